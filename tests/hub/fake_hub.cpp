#include "fake_hub.h"

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

// Percent-encodes each segment of a repo path, keeping '/'.
QByteArray encodePath(const QString& path)
{
    QByteArrayList out;
    for (const QString& s : path.split(QLatin1Char('/'))) out << QUrl::toPercentEncoding(s);
    return out.join('/');
}

struct Repo {
    bool isPrivate = false;
    QString gated;
    QSet<QString> tokens;
    QMap<QString, QString> refs;
    QMap<QString, QMap<QString, FakeFile>> commits;
};

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

FakeFile FakeFile::synthetic(uint64_t size, std::function<void(uint64_t, char*, uint64_t)> gen)
{
    FakeFile f;
    f.size = size;
    f.gen = std::move(gen);
    f.lfs = true;
    f.sha256 = hexSha256("synthetic " + QByteArray::number(qulonglong(size)));
    f.gitOid = gitBlobOid(lfsPointer(f.sha256, size));
    return f;
}

struct FakeHub::State {
    mutable QMutex mutex;
    QMap<QString, Repo> repos;
    QSet<QString> validTokens;
    FakeFaults faults;
    int cutRemaining = 0, fail429Remaining = 0, fail503Remaining = 0;
    QRandomGenerator rng{1};
    int cdnGeneration = 0;
    int commitCounter = 0;
    QVector<FakeLogEntry> log;
    int logEpoch = 0;
    QElapsedTimer clock;
    quint16 hubPort = 0, cdnPort = 0;
};

// ---------------------------------------------------------------------------------------
// The server side, living in the FakeHub thread.

struct Req {
    QString server;
    QByteArray method, target;
    QMap<QByteArray, QByteArray> headers;
};

struct Resp {
    int status = 200;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool stream = false;    // body = file bytes [start, end)
    FakeFile file;
    uint64_t start = 0, end = 0;
    bool content = false;   // subject to the body fault switches
    void set(const QByteArray& k, const QByteArray& v) { headers.append({k, v}); }
};

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
                    if (Conn* x = conn(s)) respond(x, r, handle(r, x->port));
                });
                return;
            }
            respond(c, r, handle(r, c->port));
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

    // ----------------------------------------------------------------- routing
    static Resp error(int status, const QByteArray& code, const QByteArray& message, bool json = true)
    {
        Resp r;
        r.status = status;
        if (!code.isEmpty()) r.set("X-Error-Code", code);
        r.set("X-Error-Message", message);
        if (json) {
            r.set("Content-Type", "application/json");
            r.body = QJsonDocument(QJsonObject{{QStringLiteral("error"), QString::fromUtf8(message)}}).toJson(QJsonDocument::Compact);
        } else {
            r.set("Content-Type", "text/plain");
            r.body = message;
        }
        return r;
    }

    Resp handle(const Req& rq, quint16 port)
    {
        QMutexLocker lk(&m_st->mutex);
        // Faults that apply to every request.
        if (m_st->fail429Remaining > 0) {
            --m_st->fail429Remaining;
            Resp r = error(429, "", "Too many requests");
            if (m_st->faults.retryAfterSeconds >= 0) r.set("Retry-After", QByteArray::number(m_st->faults.retryAfterSeconds));
            return r;
        }
        if (m_st->fail503Remaining > 0) {
            --m_st->fail503Remaining;
            return error(503, "", "Service Unavailable");
        }
        if (m_st->faults.random500Rate > 0 && m_st->rng.generateDouble() < m_st->faults.random500Rate)
            return error(500, "", "Internal Error (random fault)");
        Q_UNUSED(port);
        return rq.server == QLatin1String("cdn") ? handleCdn(rq) : handleHub(rq);
    }

    static QStringList decoded(const QByteArrayList& raw, qsizetype from)
    {
        QStringList out;
        for (qsizetype i = from; i < raw.size(); ++i) out << QUrl::fromPercentEncoding(raw[i]);
        return out;
    }

    // rev at segs[at] (refs/pr/N and refs/convert/X span three raw segments).
    static QString takeRevision(const QStringList& segs, qsizetype at, qsizetype* consumed)
    {
        if (segs.size() >= at + 3 && segs[at] == QLatin1String("refs")
            && (segs[at + 1] == QLatin1String("pr") || segs[at + 1] == QLatin1String("convert"))) {
            *consumed = 3;
            return segs.mid(at, 3).join(QLatin1Char('/'));
        }
        *consumed = 1;
        return segs.value(at);
    }

    QString bearer(const Req& rq) const
    {
        const QByteArray a = rq.headers.value("authorization");
        return a.startsWith("Bearer ") ? QString::fromUtf8(a.mid(7)).trimmed() : QString();
    }

    // nullptr + error response when the caller may not see the repo (or its files).
    const Repo* access(const Req& rq, const QString& id, bool content, Resp* err) const
    {
        const QString tok = bearer(rq);
        auto it = m_st->repos.find(id);
        const Repo* repo = it == m_st->repos.end() ? nullptr : &it.value();
        if (!repo || (repo->isPrivate && !repo->tokens.contains(tok))) {
            *err = tok.isEmpty() ? error(401, "", "Invalid username or password.")
                                 : error(404, "RepoNotFound", "Repository not found");
            return nullptr;
        }
        if (content && !repo->gated.isEmpty() && !repo->tokens.contains(tok)) {
            const QByteArray idb = id.toUtf8();
            *err = tok.isEmpty()
                ? error(401, "GatedRepo", "Access to model " + idb + " is restricted. You must have access to it and be authenticated to access it. Please log in.", false)
                : error(403, "GatedRepo", "Access to model " + idb + " is restricted and you are not in the authorized list. Visit http://127.0.0.1:"
                                              + QByteArray::number(m_st->hubPort) + "/" + idb + " to ask for access.", false);
            return nullptr;
        }
        return repo;
    }

    static QString commitOf(const Repo& repo, const QString& rev)
    {
        if (repo.refs.contains(rev)) return repo.refs.value(rev);
        if (repo.commits.contains(rev)) return rev;
        return {};
    }

    Resp handleHub(const Req& rq)
    {
        const QString tok = bearer(rq);
        if (!rq.headers.value("authorization").isEmpty() && !m_st->validTokens.contains(tok))
            return error(401, "", "Invalid credentials in Authorization header");
        const QByteArray path = rq.target.split('?').first();
        const QUrlQuery query(QString::fromUtf8(rq.target.mid(path.size() + 1)));
        const QByteArrayList raw = path.split('/').mid(1);
        const QStringList segs = decoded(raw, 0);
        if (segs.size() >= 4 && segs[0] == QLatin1String("api") && segs[1] == QLatin1String("models")) {
            const QString id = segs[2] + QLatin1Char('/') + segs[3];
            Resp err;
            const Repo* repo = access(rq, id, false, &err);
            if (!repo) return err;
            if (segs.size() == 4) return info(*repo, id, QStringLiteral("main"), query);
            if (segs[4] == QLatin1String("revision") && segs.size() >= 6)
                return info(*repo, id, segs.mid(5).join(QLatin1Char('/')), query);
            if (segs[4] == QLatin1String("tree") && segs.size() >= 6) {
                qsizetype used = 1;
                const QString rev = takeRevision(segs, 5, &used);
                return tree(*repo, id, rev, segs.mid(5 + used).join(QLatin1Char('/')), query);
            }
            return error(404, "", "Not Found");
        }
        if (segs.size() >= 7 && segs[0] == QLatin1String("api") && segs[1] == QLatin1String("resolve-cache")
            && segs[2] == QLatin1String("models")) {
            const QString id = segs[3] + QLatin1Char('/') + segs[4];
            Resp err;
            const Repo* repo = access(rq, id, true, &err);
            if (!repo) return err;
            const QString commit = segs[5];
            const QString file = segs.mid(6).join(QLatin1Char('/'));
            if (!repo->commits.contains(commit) || !repo->commits.value(commit).contains(file))
                return error(404, "EntryNotFound", "Entry not found", false);
            const FakeFile f = repo->commits.value(commit).value(file);  // const QMap::operator[] returns a copy
            Resp r = serve(rq, f);
            r.set("ETag", "\"" + f.gitOid + "\"");
            r.set("X-Repo-Commit", commit.toUtf8());
            return r;
        }
        if (segs.size() >= 5 && segs[2] == QLatin1String("resolve")) {
            const QString id = segs[0] + QLatin1Char('/') + segs[1];
            Resp err;
            const Repo* repo = access(rq, id, true, &err);
            if (!repo) return err;
            qsizetype used = 1;
            const QString rev = takeRevision(segs, 3, &used);
            const QString commit = commitOf(*repo, rev);
            if (commit.isEmpty()) return error(404, "RevisionNotFound", "Invalid rev id: " + rev.toUtf8(), false);
            const QString file = segs.mid(3 + used).join(QLatin1Char('/'));
            const QMap<QString, FakeFile> files = repo->commits.value(commit);
            if (!files.contains(file)) {
                Resp r = error(404, "EntryNotFound", "Entry not found", false);
                r.set("X-Repo-Commit", commit.toUtf8());
                return r;
            }
            const FakeFile f = files.value(file);
            Resp r;
            r.set("X-Repo-Commit", commit.toUtf8());
            r.set("Content-Type", "text/plain; charset=utf-8");
            if (f.lfs) {
                const QByteArray loc = "http://127.0.0.1:" + QByteArray::number(m_st->cdnPort) + "/cdn/" + id.toUtf8() + '/'
                                     + commit.toUtf8() + '/' + encodePath(file) + "?Expires=9999999999&Signature=g"
                                     + QByteArray::number(m_st->cdnGeneration) + "&Key-Pair-Id=FAKEKEY";
                r.status = 302;
                r.set("Location", loc);
                r.set("X-Linked-Etag", "\"" + f.sha256 + "\"");
                r.set("ETag", "\"" + f.sha256 + "\"");
                r.set("X-Linked-Size", QByteArray::number(qulonglong(f.size)));
                r.set("Accept-Ranges", "bytes");
                r.body = "Found. Redirecting to " + loc;
            } else {
                const QByteArray loc = "/api/resolve-cache/models/" + id.toUtf8() + '/' + commit.toUtf8() + '/' + encodePath(file)
                                     + "?etag=%22" + f.gitOid + "%22";
                r.status = 307;
                r.set("Location", loc);
                r.set("X-Linked-Etag", "\"" + f.gitOid + "\"");
                r.set("ETag", "\"" + f.gitOid + "\"");
                r.body = "Temporary Redirect. Redirecting to " + loc;
            }
            return r;
        }
        return error(404, "", "Not Found");
    }

    Resp info(const Repo& repo, const QString& id, const QString& rev, const QUrlQuery& q) const
    {
        const QString commit = commitOf(repo, rev);
        if (commit.isEmpty()) return error(404, "RevisionNotFound", "Invalid rev id: " + rev.toUtf8());
        const bool blobs = q.queryItemValue(QStringLiteral("blobs")).toLower() == QLatin1String("true");
        QJsonArray siblings;
        const QMap<QString, FakeFile> files = repo.commits.value(commit);
        for (auto it = files.begin(); it != files.end(); ++it) {
            QJsonObject s{{QStringLiteral("rfilename"), it.key()}};
            if (blobs && !m_st->faults.siblingsWithoutSize) {
                s[QStringLiteral("size")] = qint64(it->size);
                s[QStringLiteral("blobId")] = QString::fromLatin1(it->gitOid);
                if (it->lfs)
                    s[QStringLiteral("lfs")] = QJsonObject{{QStringLiteral("sha256"), QString::fromLatin1(it->sha256)},
                                                           {QStringLiteral("size"), qint64(it->size)},
                                                           {QStringLiteral("pointerSize"), 134}};
            }
            siblings.append(s);
        }
        QJsonObject o{{QStringLiteral("_id"), QStringLiteral("fake")},
                      {QStringLiteral("id"), id},
                      {QStringLiteral("modelId"), id},
                      {QStringLiteral("sha"), commit},
                      {QStringLiteral("private"), repo.isPrivate},
                      {QStringLiteral("disabled"), false},
                      {QStringLiteral("lastModified"), QStringLiteral("2024-01-01T00:00:00.000Z")},
                      {QStringLiteral("tags"), QJsonArray{}},
                      {QStringLiteral("siblings"), siblings}};
        o[QStringLiteral("gated")] = repo.gated.isEmpty() ? QJsonValue(false) : QJsonValue(repo.gated);
        Resp r;
        r.set("Content-Type", "application/json");
        r.body = QJsonDocument(o).toJson(QJsonDocument::Compact);
        return r;
    }

    Resp tree(const Repo& repo, const QString& id, const QString& rev, const QString& sub, const QUrlQuery& q) const
    {
        if (m_st->faults.treeDisabled) return error(404, "", "Not Found");
        const QString commit = commitOf(repo, rev);
        if (commit.isEmpty()) return error(404, "RevisionNotFound", "Invalid rev id: " + rev.toUtf8());
        const bool recursive = q.queryItemValue(QStringLiteral("recursive")).toLower() == QLatin1String("true");
        const QMap<QString, FakeFile> files = repo.commits.value(commit);
        // Entries: files and the directories they imply, relative to the repo root.
        QMap<QString, QJsonObject> entries;
        for (auto it = files.begin(); it != files.end(); ++it) {
            const QStringList parts = it.key().split(QLatin1Char('/'));
            for (qsizetype i = 1; i < parts.size(); ++i) {
                const QString dir = parts.mid(0, i).join(QLatin1Char('/'));
                entries.insert(dir, QJsonObject{{QStringLiteral("type"), QStringLiteral("directory")},
                                                {QStringLiteral("oid"), QStringLiteral("0000000000000000000000000000000000000000")},
                                                {QStringLiteral("size"), 0},
                                                {QStringLiteral("path"), dir}});
            }
            QJsonObject e{{QStringLiteral("type"), QStringLiteral("file")},
                          {QStringLiteral("oid"), QString::fromLatin1(it->gitOid)},
                          {QStringLiteral("size"), qint64(it->size)},
                          {QStringLiteral("path"), it.key()}};
            if (it->lfs)
                e[QStringLiteral("lfs")] = QJsonObject{{QStringLiteral("oid"), QString::fromLatin1(it->sha256)},
                                                       {QStringLiteral("size"), qint64(it->size)},
                                                       {QStringLiteral("pointerSize"), 134}};
            entries.insert(it.key(), e);
        }
        QList<QJsonObject> list;
        const QString prefix = sub.isEmpty() ? QString() : sub + QLatin1Char('/');
        if (!sub.isEmpty() && (!entries.contains(sub) || entries[sub][QStringLiteral("type")] != QLatin1String("directory")))
            return error(404, "", "Not Found");
        for (auto it = entries.begin(); it != entries.end(); ++it) {
            if (!it.key().startsWith(prefix)) continue;
            if (!recursive && it.key().mid(prefix.size()).contains(QLatin1Char('/'))) continue;
            list.append(it.value());
        }
        const int page = std::max(1, m_st->faults.treePageSize);
        const qsizetype start = QByteArray::fromBase64(q.queryItemValue(QStringLiteral("cursor")).toLatin1()).mid(4).toLongLong();
        QJsonArray arr;
        for (qsizetype i = start; i < std::min<qsizetype>(list.size(), start + page); ++i) arr.append(list[i]);
        Resp r;
        r.set("Content-Type", "application/json");
        if (start + page < list.size()) {
            QUrlQuery next;
            for (const auto& item : q.queryItems())
                if (item.first != QLatin1String("cursor") && item.first != QLatin1String("limit")) next.addQueryItem(item.first, item.second);
            next.addQueryItem(QStringLiteral("limit"), QString::number(page));
            next.addQueryItem(QStringLiteral("cursor"), QString::fromLatin1(("idx:" + QByteArray::number(start + page)).toBase64()));
            const QByteArray url = "http://127.0.0.1:" + QByteArray::number(m_st->hubPort) + "/api/models/" + id.toUtf8() + "/tree/"
                                 + QUrl::toPercentEncoding(rev) + (sub.isEmpty() ? QByteArray() : '/' + encodePath(sub)) + '?'
                                 + next.toString(QUrl::FullyEncoded).toUtf8();
            r.set("Link", "<" + url + ">; rel=\"next\"");
        }
        r.body = QJsonDocument(arr).toJson(QJsonDocument::Compact);
        return r;
    }

    Resp handleCdn(const Req& rq)
    {
        if (rq.headers.contains("authorization"))
            return error(400, "", "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>", false);
        const QByteArray path = rq.target.split('?').first();
        const QUrlQuery query(QString::fromUtf8(rq.target.mid(path.size() + 1)));
        const QStringList segs = decoded(path.split('/').mid(1), 0);
        if (segs.size() < 5 || segs[0] != QLatin1String("cdn")) return error(404, "", "NoSuchKey", false);
        const QString sig = query.queryItemValue(QStringLiteral("Signature"));
        if (sig != QStringLiteral("g%1").arg(m_st->cdnGeneration)) return error(403, "", "Request has expired", false);
        const QString id = segs[1] + QLatin1Char('/') + segs[2];
        const QString commit = segs[3];
        const QString file = segs.mid(4).join(QLatin1Char('/'));
        auto it = m_st->repos.find(id);
        if (it == m_st->repos.end() || !it->commits.contains(commit) || !it->commits.value(commit).contains(file))
            return error(404, "", "NoSuchKey", false);
        const FakeFile f = it->commits.value(commit).value(file);
        Resp r = serve(rq, f);
        r.set("ETag", "\"cdn-" + f.gitOid.left(16) + "\"");  // the CDN's own id, not the sha256
        return r;
    }

    Resp serve(const Req& rq, const FakeFile& f) const
    {
        Resp r;
        r.content = true;
        r.file = f;
        r.stream = true;
        r.set("Accept-Ranges", "bytes");
        r.set("Content-Type", "application/octet-stream");
        const QByteArray range = rq.headers.value("range").trimmed();
        uint64_t a = 0, b = f.size;  // [a, b)
        bool ranged = false;
        if (!range.isEmpty() && !m_st->faults.ignoreRange && range.startsWith("bytes=") && !range.contains(',')) {
            const QByteArray spec = range.mid(6);
            const qsizetype dash = spec.indexOf('-');
            const QByteArray lo = spec.left(dash), hi = spec.mid(dash + 1);
            if (dash >= 0 && (!lo.isEmpty() || !hi.isEmpty())) {
                ranged = true;
                if (lo.isEmpty()) {
                    const uint64_t n = hi.toULongLong();
                    a = n >= f.size ? 0 : f.size - n;
                } else {
                    a = lo.toULongLong();
                    if (!hi.isEmpty()) b = std::min<uint64_t>(hi.toULongLong() + 1, f.size);
                }
                if (a >= f.size || a >= b) {
                    Resp e = error(416, "", "Range Not Satisfiable", false);
                    e.set("Content-Range", "bytes */" + QByteArray::number(qulonglong(f.size)));
                    return e;
                }
            }
        }
        if (ranged) {
            r.status = 206;
            r.set("Content-Range", "bytes " + QByteArray::number(qulonglong(a)) + '-' + QByteArray::number(qulonglong(b - 1)) + '/'
                                       + QByteArray::number(qulonglong(f.size)));
        }
        r.start = a;
        r.end = b;
        return r;
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
