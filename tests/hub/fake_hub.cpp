#include "fake_hub.h"
#include "fake_hub_state.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>

namespace qs::test {

namespace {

QByteArray hexSha256(const QByteArray& d) { return QCryptographicHash::hash(d, QCryptographicHash::Sha256).toHex(); }
QByteArray gitBlobOid(const QByteArray& d)
{
    return QCryptographicHash::hash("blob " + QByteArray::number(d.size()) + '\0' + d, QCryptographicHash::Sha1).toHex();
}
QByteArray lfsPointer(const QByteArray& sha, uint64_t size)
{
    return "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha + "\nsize " + QByteArray::number(qulonglong(size)) + "\n";
}

QByteArray reason(int s)
{
    switch (s) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 302: return "Found";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}



} // namespace

FakeFile FakeFile::fromData(const QByteArray& data, bool lfs)
{
    FakeFile f;
    f.data = data;
    f.size = uint64_t(data.size());
    f.lfs = lfs;
    f.sha256 = hexSha256(data);
    f.gitOid = gitBlobOid(lfs ? lfsPointer(f.sha256, f.size) : data);
    return f;
}

FakeFile FakeFile::synthetic(uint64_t size, std::function<void(uint64_t, char*, uint64_t)> gen, const QByteArray& tag)
{
    FakeFile f;
    f.size = size;
    f.gen = std::move(gen);
    f.lfs = true;
    f.sha256 = hexSha256("synthetic " + QByteArray::number(qulonglong(size)) + (tag.isEmpty() ? QByteArray() : ' ' + tag));
    f.gitOid = gitBlobOid(lfsPointer(f.sha256, size));
    return f;
}

// ---------------------------------------------------------------------------------------
// The server side, living in the FakeHub thread.

class Server : public QObject {
public:
    explicit Server(std::shared_ptr<FakeHub::State> st) : m_st(std::move(st)) {}
    ~Server() override
    {
        qDeleteAll(m_conns);  // the sockets themselves are children of the servers
        m_conns.clear();
    }

    bool listen()
    {
        m_hub = new QTcpServer(this);
        m_cdn = new QTcpServer(this);
        if (!m_hub->listen(QHostAddress::LocalHost, 0) || !m_cdn->listen(QHostAddress::LocalHost, 0)) return false;
        connect(m_hub, &QTcpServer::newConnection, this, [this] { accept(m_hub, QStringLiteral("hub")); });
        connect(m_cdn, &QTcpServer::newConnection, this, [this] { accept(m_cdn, QStringLiteral("cdn")); });
        QMutexLocker lk(&m_st->mutex);
        m_st->hubPort = m_hub->serverPort();
        m_st->cdnPort = m_cdn->serverPort();
        return true;
    }

private:
    struct Conn {
        QTcpSocket* sock = nullptr;
        QString server;
        quint16 port = 0;
        QByteArray buf;
        bool busy = false;
        bool closeAfter = false;
        bool timerPending = false;
        FakeFile file;
        uint64_t pos = 0, end = 0;
        qint64 written = 0, cutAt = -1, stallAt = -1;
        int slowMs = 0;
        int logIndex = -1;
        int logEpoch = 0;
        QByteArray scratch;
    };

    std::shared_ptr<FakeHub::State> m_st;
    QTcpServer* m_hub = nullptr;
    QTcpServer* m_cdn = nullptr;
    QHash<QTcpSocket*, Conn*> m_conns;
    quint64 m_requestCounter = 0;

    Conn* conn(QTcpSocket* s) { return m_conns.value(s, nullptr); }

    Resp route(const Req& rq)
    {
        QMutexLocker lk(&m_st->mutex);
        return routeRequest(*m_st, rq);
    }

    void accept(QTcpServer* srv, const QString& name)
    {
        while (QTcpSocket* s = srv->nextPendingConnection()) {
            auto* c = new Conn;
            c->sock = s;
            c->server = name;
            c->port = srv->serverPort();
            m_conns.insert(s, c);
            connect(s, &QTcpSocket::readyRead, this, [this, s] { if (Conn* x = conn(s)) onRead(x); });
            connect(s, &QTcpSocket::bytesWritten, this, [this, s] { if (Conn* x = conn(s)) if (x->busy) pump(x); });
            connect(s, &QTcpSocket::disconnected, this, [this, s] {
                delete m_conns.take(s);
                s->deleteLater();
            });
        }
    }

    void onRead(Conn* c)
    {
        c->buf += c->sock->readAll();
        processBuffered(c);
    }

    void processBuffered(Conn* c)
    {
        while (!c->busy) {
            const qsizetype idx = c->buf.indexOf("\r\n\r\n");
            if (idx < 0) return;
            const QByteArray head = c->buf.left(idx);
            c->buf.remove(0, idx + 4);
            const QByteArrayList lines = head.split('\n');
            const QByteArrayList first = lines.value(0).trimmed().split(' ');
            Req r;
            r.server = c->server;
            r.method = first.value(0);
            r.target = first.value(1);
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const QByteArray l = lines[i].trimmed();
                const qsizetype colon = l.indexOf(':');
                if (colon > 0) r.headers.insert(l.left(colon).trimmed().toLower(), l.mid(colon + 1).trimmed());
            }
            const qint64 bodyLen = r.headers.value("content-length").toLongLong();
            if (bodyLen > 0) c->buf.remove(0, std::min<qint64>(bodyLen, c->buf.size()));
            if (r.headers.value("connection").toLower() == "close") c->closeAfter = true;
            int latency = 0;
            {
                QMutexLocker lk(&m_st->mutex);
                latency = m_st->faults.latencyMs;
            }
            if (latency > 0) {
                c->busy = true;  // nothing else on this connection until the answer is out
                QTcpSocket* s = c->sock;
                QTimer::singleShot(latency, this, [this, s, r] {
                    if (Conn* x = conn(s)) respond(x, r, route(r));
                });
                return;
            }
            respond(c, r, route(r));
        }
    }

    void respond(Conn* c, const Req& rq, Resp rs)
    {
        const bool head = rq.method == "HEAD";
        const uint64_t len = rs.stream ? rs.end - rs.start : uint64_t(rs.body.size());
        QByteArray out = "HTTP/1.1 " + QByteArray::number(rs.status) + ' ' + reason(rs.status) + "\r\n";
        for (const auto& h : rs.headers) out += h.first + ": " + h.second + "\r\n";
        out += "Content-Length: " + QByteArray::number(qulonglong(len)) + "\r\n";
        out += "X-Request-Id: fake-" + QByteArray::number(++m_requestCounter) + "\r\n\r\n";
        FakeLogEntry e;
        e.server = c->server;
        e.port = c->port;
        e.method = rq.method;
        e.target = rq.target;
        e.headers = rq.headers;
        e.status = rs.status;
        e.startMs = e.endMs = m_st->clock.elapsed();
        c->sock->write(out);
        {
            QMutexLocker lk(&m_st->mutex);
            c->logIndex = int(m_st->log.size());
            c->logEpoch = m_st->logEpoch;
            m_st->log.append(e);
        }
        if (head || len == 0) return finishResponse(c);
        if (!rs.stream) {
            rs.file = FakeFile::fromData(rs.body, false);
            rs.start = 0;
            rs.end = len;
        }
        c->busy = true;
        c->file = rs.file;
        c->pos = rs.start;
        c->end = rs.end;
        c->written = 0;
        c->cutAt = c->stallAt = -1;
        c->slowMs = 0;
        if (rs.content) {
            QMutexLocker lk(&m_st->mutex);
            if (m_st->cutRemaining > 0 && m_st->faults.cutAfterBytes >= 0) {
                --m_st->cutRemaining;
                c->cutAt = m_st->faults.cutAfterBytes;
            }
            c->stallAt = m_st->faults.stallAfterBytes;
            c->slowMs = m_st->faults.slowChunkDelayMs;
        }
        pump(c);
    }

    void setLogBytes(Conn* c, bool cut)
    {
        QMutexLocker lk(&m_st->mutex);
        if (c->logEpoch == m_st->logEpoch && c->logIndex >= 0 && c->logIndex < m_st->log.size()) {
            m_st->log[c->logIndex].bodyBytes = c->written;
            m_st->log[c->logIndex].endMs = m_st->clock.elapsed();
            m_st->log[c->logIndex].cut = m_st->log[c->logIndex].cut || cut;
        }
    }

    void pump(Conn* c)
    {
        const qint64 chunkMax = c->slowMs > 0 ? 16 * 1024 : 1 << 20;
        while (c->pos < c->end) {
            if (c->timerPending || c->sock->bytesToWrite() > (4 << 20)) return;
            qint64 n = qint64(std::min<uint64_t>(c->end - c->pos, uint64_t(chunkMax)));
            if (c->cutAt >= 0) {
                if (c->written >= c->cutAt) {
                    setLogBytes(c, true);
                    c->busy = false;
                    c->sock->disconnectFromHost();  // flushes what was written, then FIN
                    return;
                }
                n = std::min(n, c->cutAt - c->written);
            }
            if (c->stallAt >= 0) {
                if (c->written >= c->stallAt) return;  // never continues
                n = std::min(n, c->stallAt - c->written);
            }
            if (c->file.gen) {
                c->scratch.resize(n);
                c->file.gen(c->pos, c->scratch.data(), uint64_t(n));
                c->sock->write(c->scratch.constData(), n);
            } else {
                c->sock->write(c->file.data.constData() + c->pos, n);
            }
            c->pos += uint64_t(n);
            c->written += n;
            setLogBytes(c, false);
            if (c->slowMs > 0 && c->pos < c->end) {
                c->timerPending = true;
                QTcpSocket* s = c->sock;
                QTimer::singleShot(c->slowMs, this, [this, s] {
                    if (Conn* x = conn(s)) {
                        x->timerPending = false;
                        pump(x);
                    }
                });
                return;
            }
        }
        if (c->cutAt >= 0 && c->written >= c->cutAt) {  // cut exactly at the end of the range
            setLogBytes(c, true);
            c->busy = false;
            c->sock->disconnectFromHost();
            return;
        }
        finishResponse(c);
    }

    void finishResponse(Conn* c)
    {
        c->busy = false;
        c->file = FakeFile();
        if (c->closeAfter) {
            c->sock->disconnectFromHost();
            return;
        }
        if (!c->buf.isEmpty()) {
            QTcpSocket* s = c->sock;
            QTimer::singleShot(0, this, [this, s] { if (Conn* x = conn(s)) processBuffered(x); });
        }
    }

};

// ---------------------------------------------------------------------------------------

FakeHub::FakeHub() : m_state(std::make_shared<State>())
{
    m_state->clock.start();
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("fake-hub"));
    m_server = new Server(m_state);
    m_server->moveToThread(m_thread);
    m_thread->start();
    bool ok = false;
    QMetaObject::invokeMethod(m_server, [this, &ok] { ok = m_server->listen(); }, Qt::BlockingQueuedConnection);
    Q_ASSERT(ok);
    QMutexLocker lk(&m_state->mutex);
    m_hubPort = m_state->hubPort;
    m_cdnPort = m_state->cdnPort;
}

FakeHub::~FakeHub()
{
    QMetaObject::invokeMethod(m_server, [s = m_server] { delete s; }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
}

QString FakeHub::endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_hubPort); }
quint16 FakeHub::hubPort() const { return m_hubPort; }
quint16 FakeHub::cdnPort() const { return m_cdnPort; }

QString FakeHub::addCommit(const QString& id, const QMap<QString, FakeFile>& files, const QString& branch)
{
    QMutexLocker lk(&m_state->mutex);
    QByteArray seed = id.toUtf8() + '#' + QByteArray::number(++m_state->commitCounter);
    for (auto it = files.begin(); it != files.end(); ++it) seed += it.key().toUtf8() + it->sha256 + it->gitOid;
    const QString commit = QString::fromLatin1(QCryptographicHash::hash(seed, QCryptographicHash::Sha1).toHex());
    Repo& repo = m_state->repos[id];
    repo.commits[commit] = files;
    if (!branch.isEmpty()) repo.refs[branch] = commit;
    return commit;
}

QString FakeHub::addCommitFromDir(const QString& id, const QString& dir, const QString& branch)
{
    QMap<QString, FakeFile> files;
    QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
    const QDir base(dir);
    while (it.hasNext()) {
        const QString p = it.next();
        QFile f(p);
        if (!f.open(QIODevice::ReadOnly)) continue;
        const QByteArray d = f.readAll();
        const QString rel = base.relativeFilePath(p);
        files.insert(rel, FakeFile::fromData(d, rel.endsWith(QLatin1String(".safetensors")) || d.size() > 10 * 1000 * 1000));
    }
    return addCommit(id, files, branch);
}

void FakeHub::setTag(const QString& id, const QString& name, const QString& commit)
{
    QMutexLocker lk(&m_state->mutex);
    m_state->repos[id].refs[name] = commit;
}

void FakeHub::setAccess(const QString& id, bool isPrivate, const QString& gated, const QSet<QString>& tokens)
{
    QMutexLocker lk(&m_state->mutex);
    Repo& r = m_state->repos[id];
    r.isPrivate = isPrivate;
    r.gated = gated;
    r.tokens = tokens;
}

void FakeHub::setValidTokens(const QSet<QString>& tokens)
{
    QMutexLocker lk(&m_state->mutex);
    m_state->validTokens = tokens;
}

void FakeHub::setFaults(const FakeFaults& faults)
{
    QMutexLocker lk(&m_state->mutex);
    m_state->faults = faults;
    m_state->cutRemaining = faults.cutCount;
    m_state->fail429Remaining = faults.fail429Count;
    m_state->fail503Remaining = faults.fail503Count;
    m_state->rng.seed(faults.seed);
}

void FakeHub::expireCdnUrls()
{
    QMutexLocker lk(&m_state->mutex);
    ++m_state->cdnGeneration;
}

QVector<FakeLogEntry> FakeHub::log() const
{
    QMutexLocker lk(&m_state->mutex);
    return m_state->log;
}

void FakeHub::clearLog()
{
    QMutexLocker lk(&m_state->mutex);
    m_state->log.clear();
    ++m_state->logEpoch;
}

qint64 FakeHub::bodyBytes(const QVector<FakeLogEntry>& log)
{
    qint64 n = 0;
    for (const auto& e : log) n += e.bodyBytes;
    return n;
}

int FakeHub::maxConcurrency(const QVector<FakeLogEntry>& log, const QString& server)
{
    QVector<QPair<qint64, int>> events;  // (time, +1 start / -1 end); ends sort first at equal times
    for (const auto& e : log) {
        if (!server.isEmpty() && e.server != server) continue;
        events.append({e.startMs * 2 + 1, +1});
        events.append({std::max(e.endMs * 2, e.startMs * 2 + 2), -1});
    }
    std::sort(events.begin(), events.end());
    int cur = 0, best = 0;
    for (const auto& ev : events) best = std::max(best, cur += ev.second);
    return best;
}

} // namespace qs::test
