#pragma once
// HttpClient: a synchronous, thread-safe HTTP client for the Hub on top of
// QNetworkAccessManagers that live in one dedicated event-loop thread. Any thread (a CLI
// main thread without an event loop, an OpenMP worker, a QtConcurrent job) calls run()
// and blocks until its requests are done; nothing needs processEvents().
//
// Policy (HF_HUB.md §5-7, §13): redirects are handled here, never by Qt. A relative or
// same-origin Location is followed with the same headers; a Location on another host is
// followed only when the request allows it (content GETs) and WITHOUT Authorization —
// the token is attached only to URLs on the Hub origin. Every request sends
// Accept-Encoding: identity. Ranged GETs write straight into the caller's buffer; a cut
// body is resumed with Range from the next missing byte, a 200 answer to a ranged request
// is read from the start and the bytes before the wanted range are skipped. 408/429/5xx
// and network failures are retried (bounded, exponential backoff, Retry-After honoured).
// HTTP error statuses are returned as responses (the caller knows the context to word the
// error); network failures, protocol violations and cancellation are Errors (exitCode 2).
#include "common/progress.h"
#include "common/result.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrl>

#include <cstdint>
#include <memory>
#include <vector>

class QThread;

namespace qs {

using HttpHeaders = QList<QPair<QByteArray, QByteArray>>;

struct HttpRequest {
    QByteArray method = "GET";  // GET or HEAD
    QUrl url;
    // When url (e.g. a remembered CDN location) answers 4xx, start once more from here.
    QUrl fallbackUrl;
    // Ranged content fetch: bytes [rangeStart, rangeStart + rangeLength) into dest.
    bool ranged = false;
    uint64_t rangeStart = 0;
    uint64_t rangeLength = 0;
    uint8_t* dest = nullptr;
    // Non-ranged requests: body kept up to maxBody bytes (more is an Error).
    qint64 maxBody = 256ll << 20;
    // Follow absolute redirects to other hosts (content GETs); never with Authorization.
    bool followOtherHosts = false;
    // Uses the metadata timeout instead of the download timeout.
    bool metadata = false;
    // For messages: "model.safetensors bytes 0-65535".
    QString what;
};

struct HttpResponse {
    int status = 0;
    HttpHeaders headers;      // of the final response
    HttpHeaders hubHeaders;   // of the last response that came from the Hub origin
    QByteArray body;          // non-ranged body, or the start of an error body
    QUrl finalUrl;            // where the final response came from
    QUrl firstUrl;            // the URL first requested
    int64_t contentRangeTotal = -1;  // TOTAL of a 206/416 Content-Range
    int redirects = 0;

    QByteArray header(const char* name) const;     // final response, case-insensitive
    QByteArray hubHeader(const char* name) const;  // last Hub-origin response
};

struct HttpStats {
    uint64_t requests = 0;       // HTTP requests sent (each redirect hop and retry counts)
    uint64_t bytesReceived = 0;  // body bytes kept
    uint64_t retries = 0;        // retried after 408/429/5xx or a failed connection
    uint64_t resumes = 0;        // resumed a cut body with Range
    uint64_t restarts = 0;       // got 200 to a ranged request and skipped ahead
    int lastRetryWaitMs = 0;
    int lastRetryAfterSeconds = -1;  // last Retry-After value honoured
};

struct HttpClientConfig {
    QUrl hubOrigin;          // scheme://host[:port] of the Hub endpoint
    QString token;           // Bearer token sent to hubOrigin only ("" = none)
    QByteArray userAgent = "quantscope";
    int metadataTimeoutMs = 10000;
    int downloadTimeoutMs = 10000;
    int maxParallel = 8;
    int maxRetries = 5;
    int retryBaseMs = 1000;
    int retryCapMs = 8000;
    int retryAfterCapMs = 60000;
};

class HttpClient {
public:
    explicit HttpClient(HttpClientConfig config);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Runs the requests (at most maxParallel at once over all callers) and waits.
    // progress gets report(bytes done, bytes total, "B") for ranged bytes; when
    // progress->cancelled() turns true the in-flight requests are aborted and every
    // unfinished request yields an Error ("cancelled").
    std::vector<Result<HttpResponse>> run(std::vector<HttpRequest> requests, Progress* progress = nullptr);
    Result<HttpResponse> run(HttpRequest request, Progress* progress = nullptr);

    HttpStats stats() const;
    const HttpClientConfig& config() const { return m_config; }
    // True when url is on the Hub origin (and would carry the token).
    bool isHubOrigin(const QUrl& url) const;

    class Worker;

private:
    HttpClientConfig m_config;
    std::unique_ptr<QThread> m_thread;
    Worker* m_worker = nullptr;  // lives in m_thread
};

// Same scheme, host and (default-filled) port.
bool sameOrigin(const QUrl& a, const QUrl& b);
// "https://host/path" without query and fragment (signed CDN URLs stay out of messages).
QString urlForMessage(const QUrl& url);

} // namespace qs
