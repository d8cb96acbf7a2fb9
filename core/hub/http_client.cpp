#include "hub/http_client.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkProxyFactory>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace qs {

namespace {

constexpr int kMaxRedirects = 10;
constexpr qsizetype kErrorBodyMax = 64 * 1024;
constexpr int kConnectionsPerManager = 6;  // Qt's HTTP/1.1 channel count per host

bool isRedirect(int s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }
bool isRetryableStatus(int s) { return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504; }

QByteArray findHeader(const HttpHeaders& h, const char* name)
{
    for (const auto& p : h)
        if (p.first.compare(name, Qt::CaseInsensitive) == 0) return p.second;
    return {};
}

// "bytes a-b/total" or "bytes */total"; total "*" gives -1.
bool parseContentRange(const QByteArray& v, int64_t* a, int64_t* b, int64_t* total)
{
    static const QRegularExpression re(QStringLiteral(R"(^\s*bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)\s*$)"),
                                       QRegularExpression::CaseInsensitiveOption);
    const auto m = re.match(QString::fromLatin1(v));
    if (!m.hasMatch()) return false;
    *a = m.captured(1).isEmpty() ? -1 : m.captured(1).toLongLong();
    *b = m.captured(2).isEmpty() ? -1 : m.captured(2).toLongLong();
    *total = m.captured(3) == QLatin1String("*") ? -1 : m.captured(3).toLongLong();
    return true;
}

int defaultPort(const QUrl& u) { return u.port(u.scheme().compare(QLatin1String("http"), Qt::CaseInsensitive) == 0 ? 80 : 443); }

bool isLoopback(const QString& host)
{
    return host == QLatin1String("localhost") || host.startsWith(QLatin1String("127.")) || host == QLatin1String("::1");
}

// System proxies (http_proxy & co.) for real hosts, never for loopback test servers.
class ProxyFactory final : public QNetworkProxyFactory {
public:
    QList<QNetworkProxy> queryProxy(const QNetworkProxyQuery& q) override
    {
        if (isLoopback(q.peerHostName())) return {QNetworkProxy(QNetworkProxy::NoProxy)};
        return systemProxyForQuery(q);
    }
};

struct Batch {
    std::mutex m;
    std::condition_variable cv;
    int remaining = 0;
    std::vector<std::optional<Result<HttpResponse>>> results;
    std::atomic<uint64_t> bytesDone{0};
    uint64_t bytesTotal = 0;
    std::atomic<bool> cancelled{false};
};

struct Transfer {
    uint64_t id = 0;
    std::shared_ptr<Batch> batch;
    size_t index = 0;
    HttpRequest req;
    QUrl url;
    QByteArray method;
    int redirects = 0;
    bool usedFallback = false;
    uint64_t received = 0;         // ranged: bytes already in dest
    uint64_t receivedAtStart = 0;  // received when this attempt started
    int failures = 0;              // consecutive attempts without progress
    HttpHeaders hubHeaders;
    QNetworkReply* reply = nullptr;
    QNetworkAccessManager* nam = nullptr;
    bool waiting = false;          // in a retry pause
    // per attempt
    int status = 0;
    bool metaSeen = false;
    bool full200 = false;          // 200 to a ranged request: skip to the wanted bytes
    uint64_t bodyPos = 0;
    bool complete = false;
    QByteArray body;
    QString protocolError;
    int64_t crTotal = -1;
};

} // namespace

QByteArray HttpResponse::header(const char* name) const { return findHeader(headers, name); }
QByteArray HttpResponse::hubHeader(const char* name) const { return findHeader(hubHeaders, name); }

bool sameOrigin(const QUrl& a, const QUrl& b)
{
    return a.scheme().compare(b.scheme(), Qt::CaseInsensitive) == 0
        && a.host().compare(b.host(), Qt::CaseInsensitive) == 0 && defaultPort(a) == defaultPort(b);
}

QString urlForMessage(const QUrl& url)
{
    return url.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo).toString();
}

// ---------------------------------------------------------------------------------------
// The worker lives in the network thread; every member function runs there.
class HttpClient::Worker : public QObject {
public:
    explicit Worker(const HttpClientConfig& cfg) : m_cfg(cfg) {}

    std::atomic<uint64_t> requests{0}, bytesReceived{0}, retries{0}, resumes{0}, restarts{0};
    std::atomic<int> lastRetryWaitMs{0}, lastRetryAfter{-1};

    void init()
    {
        const int n = std::max(1, (m_cfg.maxParallel + kConnectionsPerManager - 1) / kConnectionsPerManager);
        for (int i = 0; i < n; ++i) {
            auto* nam = new QNetworkAccessManager(this);
            nam->setProxyFactory(new ProxyFactory);
            nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
            m_namLoad[nam] = 0;
        }
    }

    void submit(const std::shared_ptr<Batch>& batch, const std::vector<HttpRequest>& reqs)
    {
        for (size_t i = 0; i < reqs.size(); ++i) {
            auto t = std::make_unique<Transfer>();
            t->id = ++m_nextId;
            t->batch = batch;
            t->index = i;
            t->req = reqs[i];
            t->url = t->req.url;
            t->method = t->req.method;
            m_queue.push_back(t->id);
            m_transfers.emplace(t->id, std::move(t));
        }
        pump();
    }

    void cancel(const std::shared_ptr<Batch>& batch)
    {
        std::vector<uint64_t> ids;
        for (auto& [id, t] : m_transfers)
            if (t->batch == batch) ids.push_back(id);
        for (uint64_t id : ids) {
            Transfer* t = find(id);
            if (!t) continue;
            if (t->reply) {
                t->reply->abort();  // finished (queued) reports "cancelled"
            } else {
                finishError(t, QStringLiteral("cancelled"));
            }
        }
    }

    void shutdown()
    {
        std::vector<uint64_t> ids;
        for (auto& [id, t] : m_transfers) ids.push_back(id);
        for (uint64_t id : ids) {
            Transfer* t = find(id);
            if (!t) continue;
            if (t->reply) {
                t->reply->disconnect(this);
                t->reply->abort();
                t->reply->deleteLater();
                t->reply = nullptr;
            }
            finishError(t, QStringLiteral("the network client was shut down"));
        }
        for (auto& [nam, load] : m_namLoad) delete nam;
        m_namLoad.clear();
    }

private:
    HttpClientConfig m_cfg;
    uint64_t m_nextId = 0;
    int m_active = 0;
    std::deque<uint64_t> m_queue;
    std::unordered_map<uint64_t, std::unique_ptr<Transfer>> m_transfers;
    std::unordered_map<QNetworkAccessManager*, int> m_namLoad;

    Transfer* find(uint64_t id)
    {
        auto it = m_transfers.find(id);
        return it == m_transfers.end() ? nullptr : it->second.get();
    }

    bool hubOrigin(const QUrl& u) const { return sameOrigin(u, m_cfg.hubOrigin); }

    void pump()
    {
        while (m_active < std::max(1, m_cfg.maxParallel) && !m_queue.empty()) {
            const uint64_t id = m_queue.front();
            m_queue.pop_front();
            Transfer* t = find(id);
            if (!t) continue;
            ++m_active;
            startAttempt(t);
        }
    }

    void startAttempt(Transfer* t)
    {
        if (t->batch->cancelled.load()) {
            finishError(t, QStringLiteral("cancelled"));
            return;
        }
        t->waiting = false;
        t->status = 0;
        t->metaSeen = false;
        t->full200 = false;
        t->bodyPos = 0;
        t->complete = false;
        t->body.clear();
        t->protocolError.clear();
        t->crTotal = -1;
        t->receivedAtStart = t->received;

        QNetworkRequest nr(t->url);
        nr.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        nr.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
        nr.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
        nr.setRawHeader("Accept-Encoding", "identity");
        nr.setRawHeader("User-Agent", m_cfg.userAgent);
        if (!m_cfg.token.isEmpty() && hubOrigin(t->url))
            nr.setRawHeader("Authorization", "Bearer " + m_cfg.token.toUtf8());
        if (t->req.ranged) {
            const uint64_t a = t->req.rangeStart + t->received;
            const uint64_t b = t->req.rangeStart + t->req.rangeLength - 1;
            nr.setRawHeader("Range", "bytes=" + QByteArray::number(qulonglong(a)) + '-' + QByteArray::number(qulonglong(b)));
        }
        nr.setTransferTimeout(t->req.metadata ? m_cfg.metadataTimeoutMs : m_cfg.downloadTimeoutMs);
        // Parallel ranges go over separate HTTP/1.1 connections (one multiplexed HTTP/2
        // connection would share a single TCP window); API calls may use HTTP/2.
        if (t->req.ranged) nr.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);

        QNetworkAccessManager* nam = nullptr;
        for (auto& [m, load] : m_namLoad)
            if (!nam || load < m_namLoad[nam]) nam = m;
        ++m_namLoad[nam];
        t->nam = nam;
        t->reply = t->method == "HEAD" ? nam->head(nr) : nam->get(nr);
        ++requests;
        const uint64_t id = t->id;
        connect(t->reply, &QNetworkReply::metaDataChanged, this, [this, id] {
            if (Transfer* x = find(id)) onMeta(x);
        });
        connect(t->reply, &QIODevice::readyRead, this, [this, id] {
            if (Transfer* x = find(id)) onRead(x);
        });
        // Queued: abort() inside a handler never re-enters onFinished.
        connect(t->reply, &QNetworkReply::finished, this, [this, id] {
            if (Transfer* x = find(id)) onFinished(x);
        }, Qt::QueuedConnection);
    }

    void abortAttempt(Transfer* t)
    {
        if (t->reply && t->reply->isRunning()) t->reply->abort();
    }

    void onMeta(Transfer* t)
    {
        if (t->metaSeen || !t->reply) return;
        const QVariant sv = t->reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (!sv.isValid()) return;
        t->metaSeen = true;
        t->status = sv.toInt();
        if (!t->req.ranged || t->status < 200 || t->status >= 300) return;
        const QByteArray enc = t->reply->rawHeader("Content-Encoding").trimmed().toLower();
        if (!enc.isEmpty() && enc != "identity") {
            t->protocolError = QStringLiteral("the server compressed (Content-Encoding: %1) the answer to a ranged request")
                                   .arg(QString::fromLatin1(enc));
            abortAttempt(t);
            return;
        }
        const uint64_t want = t->req.rangeStart + t->received;
        const uint64_t end = t->req.rangeStart + t->req.rangeLength;
        if (t->status == 206) {
            int64_t a = -1, b = -1, total = -1;
            if (!parseContentRange(t->reply->rawHeader("Content-Range"), &a, &b, &total) || a < 0
                || uint64_t(a) != want || b < a || uint64_t(b) >= end) {
                t->protocolError = QStringLiteral("asked for bytes %1-%2 but the server sent Content-Range '%3'")
                                       .arg(want).arg(end - 1)
                                       .arg(QString::fromLatin1(t->reply->rawHeader("Content-Range")));
                abortAttempt(t);
                return;
            }
            t->crTotal = total;
        } else if (t->status == 200) {
            t->full200 = true;  // the whole file from byte 0: skip to what is missing
            ++restarts;
        } else {
            t->protocolError = QStringLiteral("unexpected HTTP %1 to a ranged request").arg(t->status);
            abortAttempt(t);
        }
    }

    void onRead(Transfer* t)
    {
        QNetworkReply* r = t->reply;
        if (!r) return;
        if (!t->metaSeen) onMeta(t);
        if (t->complete || !t->protocolError.isEmpty()) {
            r->skip(r->bytesAvailable());
            return;
        }
        const bool ok2xx = t->status >= 200 && t->status < 300;
        if (t->req.ranged && ok2xx) {
            while (r->bytesAvailable() > 0) {
                if (t->full200) {
                    const uint64_t want = t->req.rangeStart + t->received;
                    if (t->bodyPos < want) {
                        const qint64 s = r->skip(qint64(std::min<uint64_t>(uint64_t(r->bytesAvailable()), want - t->bodyPos)));
                        if (s <= 0) break;
                        t->bodyPos += uint64_t(s);
                        continue;
                    }
                }
                const uint64_t cap = t->req.rangeLength - t->received;
                if (cap == 0) {
                    if (!t->full200) {
                        t->protocolError = QStringLiteral("the server sent more bytes than the range asked for");
                        abortAttempt(t);
                        return;
                    }
                    break;
                }
                const qint64 n = r->read(reinterpret_cast<char*>(t->req.dest + t->received),
                                         qint64(std::min<uint64_t>(uint64_t(r->bytesAvailable()), cap)));
                if (n <= 0) break;
                t->received += uint64_t(n);
                t->bodyPos += uint64_t(n);
                t->batch->bytesDone += uint64_t(n);
                bytesReceived += uint64_t(n);
            }
            if (t->received == t->req.rangeLength) {
                t->complete = true;
                if (t->full200) abortAttempt(t);  // do not download the rest of the file
            }
        } else if (!t->req.ranged && ok2xx) {
            const QByteArray d = r->readAll();
            bytesReceived += uint64_t(d.size());
            t->body += d;
            if (t->body.size() > t->req.maxBody) {
                t->protocolError = QStringLiteral("the answer is larger than %1 bytes").arg(t->req.maxBody);
                abortAttempt(t);
            }
        } else {
            const QByteArray d = r->readAll();
            if (t->body.size() < kErrorBodyMax) t->body += d.left(kErrorBodyMax - t->body.size());
        }
    }

    HttpResponse makeResponse(Transfer* t, const HttpHeaders& headers)
    {
        HttpResponse resp;
        resp.status = t->status;
        resp.headers = headers;
        resp.hubHeaders = t->hubHeaders;
        resp.body = t->body;
        resp.finalUrl = t->url;
        resp.firstUrl = t->req.url;
        resp.contentRangeTotal = t->crTotal;
        resp.redirects = t->redirects;
        return resp;
    }

    void onFinished(Transfer* t)
    {
        QNetworkReply* r = t->reply;
        if (!r) return;
        if (!t->metaSeen) onMeta(t);
        if (r->bytesAvailable() > 0) onRead(t);
        const QNetworkReply::NetworkError err = r->error();
        const QString errStr = r->errorString();
        const HttpHeaders headers = r->rawHeaderPairs();
        if (t->status == 0) t->status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (t->status == 416 && t->crTotal < 0) {
            int64_t a, b, total;
            if (parseContentRange(r->rawHeader("Content-Range"), &a, &b, &total)) t->crTotal = total;
        }
        r->disconnect(this);
        r->deleteLater();
        t->reply = nullptr;
        --m_namLoad[t->nam];
        if (t->status > 0 && hubOrigin(t->url)) t->hubHeaders = headers;

        if (t->batch->cancelled.load()) return finishError(t, QStringLiteral("cancelled"));
        if (!t->protocolError.isEmpty())
            return finishError(t, QStringLiteral("%1: %2 (%3)").arg(t->req.what, t->protocolError, urlForMessage(t->url)));
        if (t->req.ranged && t->complete) return finishOk(t, makeResponse(t, headers));

        const int status = t->status;
        if (isRedirect(status)) return redirect(t, headers);
        if (isRetryableStatus(status)) {
            if (t->failures >= m_cfg.maxRetries) return finishOk(t, makeResponse(t, headers));
            ++t->failures;
            return retryLater(t, headers);
        }
        if (status >= 300) {
            // A remembered CDN location may have expired: go back to the resolve URL once.
            if (status >= 400 && status < 500 && t->req.fallbackUrl.isValid() && !t->usedFallback
                && !hubOrigin(t->url)) {
                t->usedFallback = true;
                t->url = t->req.fallbackUrl;
                return startAttempt(t);
            }
            return finishOk(t, makeResponse(t, headers));
        }
        if (status >= 200 && !t->req.ranged && err == QNetworkReply::NoError)
            return finishOk(t, makeResponse(t, headers));

        // A cut body, a short body, a timeout or no answer at all.
        const bool fatal = err == QNetworkReply::HostNotFoundError || err == QNetworkReply::ProtocolUnknownError
                        || err == QNetworkReply::SslHandshakeFailedError || err == QNetworkReply::ProtocolInvalidOperationError;
        QString why = err == QNetworkReply::NoError ? QStringLiteral("the body ended early") : errStr;
        if (err == QNetworkReply::OperationCanceledError || err == QNetworkReply::TimeoutError)
            why = QStringLiteral("no data for %1 s (timeout)")
                      .arg((t->req.metadata ? m_cfg.metadataTimeoutMs : m_cfg.downloadTimeoutMs) / 1000.0);
        if (!fatal && t->req.ranged && t->received > t->receivedAtStart) {
            t->failures = 0;
            ++resumes;
            return startAttempt(t);  // resume from the first missing byte
        }
        if (fatal || t->failures >= m_cfg.maxRetries)
            return finishError(t, QStringLiteral("%1: %2 (%3%4)")
                                      .arg(t->req.what, why, urlForMessage(t->url),
                                           fatal ? QString() : QStringLiteral(", after %1 retries").arg(t->failures)));
        ++t->failures;
        retryLater(t, headers);
    }

    void redirect(Transfer* t, const HttpHeaders& headers)
    {
        const QByteArray loc = findHeader(headers, "Location");
        if (loc.isEmpty()) return finishOk(t, makeResponse(t, headers));
        const QUrl target = t->url.resolved(QUrl::fromEncoded(loc));
        if (!target.isValid() || (target.scheme() != QLatin1String("http") && target.scheme() != QLatin1String("https")))
            return finishError(t, QStringLiteral("%1: invalid redirect Location from %2").arg(t->req.what, urlForMessage(t->url)));
        if (t->redirects >= kMaxRedirects)
            return finishError(t, QStringLiteral("%1: more than %2 redirects (%3)").arg(t->req.what).arg(kMaxRedirects).arg(urlForMessage(t->url)));
        const bool local = sameOrigin(target, t->url) || hubOrigin(target);
        if (!local && !t->req.followOtherHosts) return finishOk(t, makeResponse(t, headers));
        ++t->redirects;
        if (t->status == 303) t->method = "GET";
        t->url = target;
        startAttempt(t);
    }

    void retryLater(Transfer* t, const HttpHeaders& headers)
    {
        int waitMs = std::min<int64_t>(int64_t(m_cfg.retryBaseMs) << std::min(t->failures - 1, 20), m_cfg.retryCapMs);
        bool ok = false;
        const int retryAfter = findHeader(headers, "Retry-After").trimmed().toInt(&ok);
        if (ok && retryAfter >= 0) {
            waitMs = int(std::min<int64_t>((int64_t(retryAfter) + 1) * 1000, m_cfg.retryAfterCapMs));
            lastRetryAfter = retryAfter;
        } else {
            // IETF draft RateLimit: "...";r=0;t=258 -> wait t + 1 s.
            static const QRegularExpression rl(QStringLiteral(R"(r=0\s*;\s*t=(\d+))"));
            const auto m = rl.match(QString::fromLatin1(findHeader(headers, "RateLimit")));
            if (m.hasMatch())
                waitMs = int(std::min<int64_t>((m.captured(1).toLongLong() + 1) * 1000, m_cfg.retryAfterCapMs));
        }
        waitMs = std::max(0, waitMs);
        lastRetryWaitMs = waitMs;
        ++retries;
        t->waiting = true;
        const uint64_t id = t->id;
        QTimer::singleShot(waitMs, this, [this, id] {
            Transfer* x = find(id);
            if (x && x->waiting) startAttempt(x);
        });
    }

    void finishOk(Transfer* t, HttpResponse resp) { finish(t, Result<HttpResponse>(std::move(resp))); }
    void finishError(Transfer* t, const QString& msg) { finish(t, Result<HttpResponse>(Error::model(msg.toStdString()))); }

    void finish(Transfer* t, Result<HttpResponse> result)
    {
        auto batch = t->batch;
        const size_t index = t->index;
        const bool wasActive = !(std::find(m_queue.begin(), m_queue.end(), t->id) != m_queue.end());
        m_queue.erase(std::remove(m_queue.begin(), m_queue.end(), t->id), m_queue.end());
        m_transfers.erase(t->id);
        if (wasActive) --m_active;
        {
            std::lock_guard<std::mutex> lk(batch->m);
            batch->results[index] = std::move(result);
            --batch->remaining;
        }
        batch->cv.notify_all();
        pump();
    }
};

// ---------------------------------------------------------------------------------------

HttpClient::HttpClient(HttpClientConfig config) : m_config(std::move(config))
{
    m_thread = std::make_unique<QThread>();
    m_thread->setObjectName(QStringLiteral("qs-hub-http"));
    m_worker = new Worker(m_config);
    m_worker->moveToThread(m_thread.get());
    m_thread->start();
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { w->init(); }, Qt::BlockingQueuedConnection);
}

HttpClient::~HttpClient()
{
    QMetaObject::invokeMethod(m_worker, [w = m_worker] {
        w->shutdown();
        delete w;
    }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
}

bool HttpClient::isHubOrigin(const QUrl& url) const { return sameOrigin(url, m_config.hubOrigin); }

HttpStats HttpClient::stats() const
{
    HttpStats s;
    s.requests = m_worker->requests.load();
    s.bytesReceived = m_worker->bytesReceived.load();
    s.retries = m_worker->retries.load();
    s.resumes = m_worker->resumes.load();
    s.restarts = m_worker->restarts.load();
    s.lastRetryWaitMs = m_worker->lastRetryWaitMs.load();
    s.lastRetryAfterSeconds = m_worker->lastRetryAfter.load();
    return s;
}

Result<HttpResponse> HttpClient::run(HttpRequest request, Progress* progress)
{
    std::vector<HttpRequest> v;
    v.push_back(std::move(request));
    auto r = run(std::move(v), progress);
    return std::move(r.front());
}

std::vector<Result<HttpResponse>> HttpClient::run(std::vector<HttpRequest> requests, Progress* progress)
{
    std::vector<Result<HttpResponse>> out;
    if (requests.empty()) return out;
    if (QThread::currentThread() == m_thread.get()) {
        for (size_t i = 0; i < requests.size(); ++i)
            out.emplace_back(Error::model("internal error: HttpClient::run called from its own network thread"));
        return out;
    }
    auto batch = std::make_shared<Batch>();
    batch->remaining = int(requests.size());
    batch->results.resize(requests.size());
    for (const HttpRequest& r : requests)
        if (r.ranged) batch->bytesTotal += r.rangeLength;
    auto reqs = std::make_shared<std::vector<HttpRequest>>(std::move(requests));
    QMetaObject::invokeMethod(m_worker, [w = m_worker, batch, reqs] { w->submit(batch, *reqs); }, Qt::QueuedConnection);

    bool cancelSent = false;
    for (;;) {
        {
            std::unique_lock<std::mutex> lk(batch->m);
            if (batch->cv.wait_for(lk, std::chrono::milliseconds(50), [&] { return batch->remaining == 0; })) break;
        }
        if (!progress) continue;
        if (batch->bytesTotal > 0) progress->report(batch->bytesDone.load(), batch->bytesTotal, "B");
        if (!cancelSent && progress->cancelled()) {
            cancelSent = true;
            batch->cancelled = true;
            QMetaObject::invokeMethod(m_worker, [w = m_worker, batch] { w->cancel(batch); }, Qt::QueuedConnection);
        }
    }
    if (progress && batch->bytesTotal > 0) progress->report(batch->bytesDone.load(), batch->bytesTotal, "B");
    out.reserve(batch->results.size());
    for (auto& r : batch->results) out.push_back(std::move(*r));
    return out;
}

} // namespace qs
