#pragma once
// HubOptions: everything the Hub client reads from the environment or the command line
// (HF_HUB.md §9): endpoint, token and where it came from, the shared HF cache, offline
// mode, our own range cache, timeouts, parallelism and retry policy.
//
// fromEnvironment() never fails: unreadable token files mean "no token", malformed
// numbers fall back to the defaults. The token is kept only in memory; nothing in the
// hub layer prints, logs or writes it (describeToken() names its source, never its value).
#include <QProcessEnvironment>
#include <QString>

#include <cstdint>

namespace qs {

struct HubOptions {
    // Hub base URL without trailing '/' (HF_ENDPOINT, default https://huggingface.co).
    QString endpoint = QStringLiteral("https://huggingface.co");
    // Bearer token ("" = anonymous) and where it came from ("HF_TOKEN", "token file /x").
    QString token;
    QString tokenSource;
    // HF_HOME and the huggingface_hub repo cache (read-only reuse, never written).
    QString hfHome;
    QString hfHubCache;
    // HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE: no HTTP at all, cache only.
    bool offline = false;
    // Our own cache root (--cache-dir; default ~/.cache/quantscope). Byte ranges live
    // under <cacheDir>/hub/models--org--name/<commit>/.
    QString cacheDir;
    // false: fetched ranges are not written to the cache (benchmarks, read-only disks);
    // read() results are then not kept, and prefetch() keeps its ranges in memory.
    bool cacheRanges = true;

    // Inactivity timeouts (HF_HUB_ETAG_TIMEOUT for API/metadata requests,
    // HF_HUB_DOWNLOAD_TIMEOUT for content); default 10 s each.
    int metadataTimeoutMs = 10000;
    int downloadTimeoutMs = 10000;
    // Concurrent HTTP requests per provider.
    int maxParallel = 8;
    // Retries of 408/429/5xx and of failed connections: up to maxRetries, waiting
    // retryBaseMs * 2^attempt capped at retryCapMs; a Retry-After of s seconds waits
    // (s + 1) s capped at retryAfterCapMs. Tests shrink these.
    int maxRetries = 5;
    int retryBaseMs = 1000;
    int retryCapMs = 8000;
    int retryAfterCapMs = 60000;
    // Header probe: the first read of a .safetensors header fetches this many bytes
    // (or the whole file if smaller), usually covering length word and JSON at once.
    uint64_t headerProbeBytes = 64 * 1024;
    // Ranges above this are fetched as up to maxParallel parallel parts.
    uint64_t splitThreshold = 16ull << 20;

    static HubOptions fromEnvironment();
    static HubOptions fromEnvironment(const QProcessEnvironment& env);

    // "HF_TOKEN" / "token file /home/x/.cache/huggingface/token" / "no token".
    QString describeToken() const;
    // Host (and port) of the endpoint, for matching URLs that point at it.
    QString endpointHost() const;
};

// True for 1/ON/YES/TRUE in any case (huggingface_hub's truthy set).
bool envTruthy(const QString& value);
// "~/x" and "$VAR"/"${VAR}" expanded with env.
QString expandUserPath(const QString& path, const QProcessEnvironment& env);

} // namespace qs
