// bench_hub: the Hub client against the in-process fake Hub (tests/hub/fake_hub.cpp).
//
//  1. Fetching 1 GiB of tensors (16 x 64 MiB F32 in one synthetic shard, served from a
//     generator) through HubProvider::prefetch (merged, split into parallel ranges) vs one
//     plain ranged GET of the same bytes in the same run; MB/s of both and the ratio.
//     Also with the range cache on (bytes written to disk), and reading them back.
//  2. A 100-shard repo: first Model::open (header requests, wall time, with a simulated
//     round trip per answer, parallel vs one connection), then a second open on the same
//     commit (0 requests) and on the branch (1 request).
// Usage: bench_hub [--mib N] [--shards N] [--latency MS]
#include "fake_hub.h"
#include "fake_model.h"
#include "hub/http_client.h"
#include "hub/hub_cache.h"
#include "hub/hub_provider.h"
#include "hub/resolve.h"
#include "io/model.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <cstdio>
#include <cstring>
#include <random>

using namespace qs;
using namespace qs::test;

namespace {

double mbps(uint64_t bytes, qint64 ns) { return ns > 0 ? double(bytes) / 1e6 / (double(ns) / 1e9) : 0.0; }

QByteArray safetensorsHeader(int tensors, int rows, int cols, uint64_t* dataBytes)
{
    QJsonObject o{{QStringLiteral("__metadata__"), QJsonObject{{QStringLiteral("format"), QStringLiteral("pt")}}}};
    const uint64_t each = uint64_t(rows) * uint64_t(cols) * 4;
    for (int i = 0; i < tensors; ++i)
        o[QStringLiteral("t%1").arg(i, 3, 10, QLatin1Char('0'))] =
            QJsonObject{{QStringLiteral("dtype"), QStringLiteral("F32")},
                        {QStringLiteral("shape"), QJsonArray{rows, cols}},
                        {QStringLiteral("data_offsets"), QJsonArray{double(each * uint64_t(i)), double(each * uint64_t(i + 1))}}};
    QByteArray json = QJsonDocument(o).toJson(QJsonDocument::Compact);
    while ((8 + json.size()) % 8) json += ' ';
    QByteArray out(8, '\0');
    uint64_t n = uint64_t(json.size());
    for (int i = 0; i < 8; ++i) out[i] = char((n >> (8 * i)) & 0xff);
    *dataBytes = each * uint64_t(tensors);
    return out + json;
}

HubOptions baseOptions(const FakeHub& hub, const QString& cacheDir)
{
    HubOptions o;
    o.endpoint = hub.endpoint();
    o.cacheDir = cacheDir;
    o.hfHubCache = cacheDir + QStringLiteral("/no-hf-cache");
    o.downloadTimeoutMs = 60000;
    o.metadataTimeoutMs = 60000;
    return o;
}

int argValue(const QStringList& args, const char* name, int fallback)
{
    const qsizetype i = args.indexOf(QString::fromLatin1(name));
    return i >= 0 && i + 1 < args.size() ? args[i + 1].toInt() : fallback;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int mib = argValue(args, "--mib", 1024);
    const int shards = argValue(args, "--shards", 100);
    const int latency = argValue(args, "--latency", 20);
    QTemporaryDir tmp;
    FakeHub hub;

    // ---------------------------------------------------------------- 1. 1 GiB of tensors
    const int tensors = 16;
    const int cols = 4096;
    const int rows = std::max(1, mib * (1 << 20) / tensors / (cols * 4));
    uint64_t total = 0;
    const QByteArray header = safetensorsHeader(tensors, rows, cols, &total);
    auto pattern = std::make_shared<std::vector<char>>(1 << 20);
    std::mt19937 rng(7);
    for (char& c : *pattern) c = char(rng());
    auto gen = [header, pattern](uint64_t off, char* out, uint64_t n) {
        while (n > 0) {
            if (off < uint64_t(header.size())) {
                const uint64_t k = std::min<uint64_t>(n, uint64_t(header.size()) - off);
                std::memcpy(out, header.constData() + off, k);
                off += k, out += k, n -= k;
                continue;
            }
            const uint64_t p = (off - uint64_t(header.size())) % pattern->size();
            const uint64_t k = std::min<uint64_t>(n, pattern->size() - p);
            std::memcpy(out, pattern->data() + p, k);
            off += k, out += k, n -= k;
        }
    };
    QMap<QString, FakeFile> files;
    files.insert(QStringLiteral("model.safetensors"), FakeFile::synthetic(uint64_t(header.size()) + total, gen));
    files.insert(QStringLiteral("config.json"), FakeFile::fromData("{}", false));
    const QString commit = hub.addCommit(QStringLiteral("bench/big"), files);
    std::vector<ByteRange> ranges;
    for (int i = 0; i < tensors; ++i)
        ranges.push_back({QStringLiteral("model.safetensors"), uint64_t(header.size()) + total / tensors * uint64_t(i), total / tensors});

    std::printf("bench_hub: fake Hub on 127.0.0.1 (hub port %u, CDN port %u)\n", hub.hubPort(), hub.cdnPort());
    std::printf("\n[1] %d tensors, %.1f MiB of F32 data in one shard\n", tensors, double(total) / (1 << 20));

    double plainMBps = 0;
    {
        HttpClientConfig cfg;
        cfg.hubOrigin = QUrl(hub.endpoint());
        cfg.downloadTimeoutMs = 60000;
        HttpClient client(cfg);
        OwnedBuffer buf(total);
        HttpRequest r;
        r.url = QUrl(hub.endpoint() + QStringLiteral("/bench/big/resolve/") + commit + QStringLiteral("/model.safetensors"));
        r.ranged = true;
        r.rangeStart = uint64_t(header.size());
        r.rangeLength = total;
        r.dest = buf.mutableData();
        r.followOtherHosts = true;
        r.what = QStringLiteral("plain GET");
        QElapsedTimer t;
        t.start();
        auto res = client.run(r);
        const qint64 ns = t.nsecsElapsed();
        if (!res || res->status != 206) {
            std::printf("plain GET failed: %s\n", res ? "status" : res.error().message.c_str());
            return 1;
        }
        bool ok = std::memcmp(buf.data(), pattern->data(), 4096) == 0;
        plainMBps = mbps(total, ns);
        std::printf("  one plain GET (1 connection):            %8.1f MB/s  (%.2f s)%s\n", plainMBps, double(ns) / 1e9,
                    ok ? "" : "  DATA MISMATCH");
    }
    {
        HubOptions o = baseOptions(hub, tmp.filePath(QStringLiteral("nocache")));
        o.cacheRanges = false;
        ModelRef ref;
        ref.repoId = QStringLiteral("bench/big");
        ref.revision = commit;
        auto p = HubProvider::open(ref, o);
        if (!p) return std::printf("open failed: %s\n", p.error().message.c_str()), 1;
        hub.clearLog();
        QElapsedTimer t;
        t.start();
        auto r = (*p)->prefetch(ranges);
        const qint64 ns = t.nsecsElapsed();
        if (!r) return std::printf("prefetch failed: %s\n", r.error().message.c_str()), 1;
        const auto log = hub.log();
        int cdn = 0;
        for (const auto& e : log) cdn += e.server == QLatin1String("cdn");
        auto v = (*p)->read(ranges[3].file, ranges[3].offset, 4096);
        const bool ok = v && std::memcmp((*v)->data(), pattern->data() + (ranges[3].offset - uint64_t(header.size())) % pattern->size(), 4096) == 0;
        const double par = mbps(total, ns);
        std::printf("  HubProvider parallel ranges (no cache):  %8.1f MB/s  (%.2f s, %d ranged requests, max %d concurrent)%s\n",
                    par, double(ns) / 1e9, cdn, FakeHub::maxConcurrency(log, QStringLiteral("cdn")), ok ? "" : "  DATA MISMATCH");
        std::printf("  ratio parallel / plain:                  %8.1f %%  (target >= 50 %%)\n", plainMBps > 0 ? 100.0 * par / plainMBps : 0.0);
    }
    {
        HubOptions o = baseOptions(hub, tmp.filePath(QStringLiteral("cache")));
        ModelRef ref;
        ref.repoId = QStringLiteral("bench/big");
        ref.revision = commit;
        {
            auto p = HubProvider::open(ref, o);
            if (!p) return 1;
            QElapsedTimer t;
            t.start();
            auto r = (*p)->prefetch(ranges);
            const qint64 ns = t.nsecsElapsed();
            if (!r) return std::printf("prefetch failed: %s\n", r.error().message.c_str()), 1;
            std::printf("  HubProvider parallel ranges + range cache on disk: %8.1f MB/s  (%.2f s)\n", mbps(total, ns), double(ns) / 1e9);
        }
        hub.clearLog();
        auto p = HubProvider::open(ref, o);
        if (!p) return 1;
        QElapsedTimer t;
        t.start();
        uint64_t sum = 0;
        for (const auto& r : ranges) {
            auto v = (*p)->read(r.file, r.offset, r.length);
            if (!v) return 1;
            for (uint64_t i = 0; i < (*v)->size(); i += 4096) sum += (*v)->data()[i];  // touch every page
        }
        const qint64 ns = t.nsecsElapsed();
        std::printf("  second run, same commit, from the range cache: %8.1f MB/s  (%.2f s, %d requests, checksum %llu)\n",
                    mbps(total, ns), double(ns) / 1e9, int(hub.log().size()), static_cast<unsigned long long>(sum));
        QDir(o.cacheDir).removeRecursively();
    }

    // ---------------------------------------------------------------- 2. 100 shards
    const QString dir = tmp.filePath(QStringLiteral("shards"));
    if (const QString e = writeModel(dir, manyShards(shards, 256, 256)); !e.isEmpty())
        return std::printf("cannot write the shards: %s\n", qPrintable(e)), 1;
    const QString shardCommit = hub.addCommitFromDir(QStringLiteral("bench/shards"), dir);
    FakeFaults faults;
    faults.latencyMs = latency;
    hub.setFaults(faults);
    std::printf("\n[2] %d-shard repo (index + %d x 256 KiB shards), %d ms simulated latency per answer\n", shards, shards, latency);
    auto openOnce = [&](const QString& revision, int parallel, const QString& cache, int* requests, int* headerRequests) -> qint64 {
        HubOptions o = baseOptions(hub, cache);
        o.maxParallel = parallel;
        hub.clearLog();
        QElapsedTimer t;
        t.start();
        auto provider = resolveModel(QStringLiteral("bench/shards"), revision, o);
        if (!provider) {
            std::printf("  open failed: %s\n", provider.error().message.c_str());
            return -1;
        }
        auto model = Model::open(*provider);
        const qint64 ns = t.nsecsElapsed();
        if (!model) {
            std::printf("  Model::open failed: %s\n", model.error().message.c_str());
            return -1;
        }
        const auto log = hub.log();
        *requests = int(log.size());
        *headerRequests = 0;
        for (const auto& e : log) *headerRequests += e.server == QLatin1String("cdn");
        return ns;
    };
    int req = 0, hdr = 0;
    qint64 ns = openOnce(QStringLiteral("main"), 8, tmp.filePath(QStringLiteral("c8")), &req, &hdr);
    if (ns < 0) return 1;
    std::printf("  first open, 8 parallel:   %4d requests (%d ranged header reads on the CDN), %.2f s;"
                " one after another would take >= %.2f s\n",
                req, hdr, double(ns) / 1e9, double(req) * latency / 1000.0);
    ns = openOnce(QStringLiteral("main"), 1, tmp.filePath(QStringLiteral("c1")), &req, &hdr);
    if (ns < 0) return 1;
    std::printf("  first open, 1 connection: %4d requests, %.2f s\n", req, double(ns) / 1e9);
    ns = openOnce(shardCommit, 8, tmp.filePath(QStringLiteral("c8")), &req, &hdr);
    if (ns < 0) return 1;
    std::printf("  second open, same commit: %4d requests, %.3f s\n", req, double(ns) / 1e9);
    ns = openOnce(QStringLiteral("main"), 8, tmp.filePath(QStringLiteral("c8")), &req, &hdr);
    if (ns < 0) return 1;
    std::printf("  second open, branch main: %4d request(s), %.3f s\n", req, double(ns) / 1e9);
    return 0;
}
