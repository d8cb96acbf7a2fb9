// HubProvider against the fake Hub: revision pinning, tree pagination, the siblings +
// HEAD fallback (sizes never from a redirect), header probes in parallel within the
// bound, ranged reads (merging, splitting), the range cache (atomic, verified), CDN URL
// expiry, Authorization/Accept-Encoding on the wire, and a second run with zero requests.
#include "hub_test_util.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QTest>

#include <thread>

using namespace qs;
using namespace qs::test;

namespace {

QString msg(const Error& e) { return QString::fromStdString(e.message); }

} // namespace

class TestHubProvider : public QObject {
    Q_OBJECT

    HubFixture m_fx;
    const QString kShard1 = QStringLiteral("model-00001-of-00002.safetensors");
    const QString kShard2 = QStringLiteral("model-00002-of-00002.safetensors");

private Q_SLOTS:
    void init() { QVERIFY2(m_fx.setUp(QTest::currentTestFunction() == QByteArray("treePagination")).isEmpty(), "fixture"); }
    void cleanup() { m_fx = HubFixture(); }

    void openPinsTheCommit()
    {
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
        QCOMPARE((*p)->commit(), m_fx.commit);
        QCOMPARE((*p)->describe(), QStringLiteral("org/model@") + m_fx.commit);
        QCOMPARE((*p)->resultsName(), QStringLiteral("org__model"));
        QCOMPARE((*p)->revision(), QStringLiteral("main"));
        QVERIFY((*p)->isRemote());
        auto files = (*p)->listFiles();
        QVERIFY(files.ok());
        QCOMPARE(*files, QStringList({"config.json", kShard1, kShard2, "model.safetensors.index.json"}));
        for (const QString& f : *files) {
            auto size = (*p)->fileSize(f);
            QVERIFY(size.ok());
            QCOMPARE(qint64(*size), QFileInfo(m_fx.modelDir + QLatin1Char('/') + f).size());
        }
        // A push to main after opening never mixes commits: reads stay on the pinned one.
        QMap<QString, FakeFile> changed;
        changed.insert(QStringLiteral("config.json"), FakeFile::fromData("{\"changed\": true}", false));
        m_fx.hub->addCommit(QStringLiteral("org/model"), changed);
        auto cfg = (*p)->readAll(QStringLiteral("config.json"));
        QVERIFY(cfg.ok());
        QCOMPARE(viewBytes(*cfg), readFile(m_fx.modelDir + QStringLiteral("/config.json")));
        auto r = tensorRange(m_fx.modelDir, kShard2, "model.norm.weight");
        auto t = (*p)->read(r.file, r.offset, r.length);
        QVERIFY(t.ok());

        const auto log = m_fx.hub->log();
        QVERIFY(log.size() >= 4);
        QCOMPARE(log[0].target, QByteArray("/api/models/org/model/revision/main"));
        QCOMPARE(log[1].path(), "/api/models/org/model/tree/" + m_fx.commit.toLatin1());
        for (qsizetype i = 1; i < log.size(); ++i) {
            QVERIFY2(log[i].target.contains(m_fx.commit.toLatin1()), log[i].target.constData());
            QVERIFY(!log[i].target.contains("/main"));
        }
    }

    void branchesTagsAndPullRequests()
    {
        const QString v1 = m_fx.commit;
        m_fx.hub->setTag(QStringLiteral("org/model"), QStringLiteral("refs/pr/1"), v1);
        m_fx.hub->setTag(QStringLiteral("org/model"), QStringLiteral("feature/x"), v1);
        for (const QString& rev : {QStringLiteral("refs/pr/1"), QStringLiteral("feature/x")}) {
            m_fx.hub->clearLog();
            auto p = openHub(QStringLiteral("org/model"), rev, m_fx.options());
            QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
            QCOMPARE((*p)->commit(), v1);
            // The revision is one percent-encoded path segment.
            QCOMPARE(m_fx.hub->log().first().target,
                     "/api/models/org/model/revision/" + QUrl::toPercentEncoding(rev));
        }
    }

    void treePagination()
    {
        FakeFaults f;
        f.treePageSize = 2;
        m_fx.hub->setFaults(f);
        auto p = openHub(QStringLiteral("org/model"), m_fx.commit, m_fx.options());
        QVERIFY(p.ok());
        QCOMPARE((*p)->listingSource(), QStringLiteral("tree"));
        auto files = (*p)->listFiles();
        QVERIFY(files.ok());
        QCOMPARE(files->size(), 7);  // 4 model files + 3 docs (the docs/ folder entry is not a file)
        QVERIFY(files->contains(QStringLiteral("docs/b.md")));
        QVector<FakeLogEntry> pages;
        for (const auto& e : m_fx.hub->log())
            if (e.path().contains("/tree/")) pages.append(e);
        QCOMPARE(pages.size(), 4);  // 8 entries, 2 per page
        QVERIFY(!pages[0].target.contains("cursor="));
        for (qsizetype i = 1; i < pages.size(); ++i) {
            QVERIFY(pages[i].target.contains("cursor="));  // the Link URL, verbatim
            QVERIFY(pages[i].target.contains("recursive=true"));
        }
    }

    void siblingsFallbackSizesFromHead()
    {
        FakeFaults f;
        f.treeDisabled = true;
        f.siblingsWithoutSize = true;
        m_fx.hub->setFaults(f);
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
        QCOMPARE((*p)->listingSource(), QStringLiteral("siblings"));
        m_fx.hub->clearLog();
        const QByteArray shard = readFile(m_fx.modelDir + QLatin1Char('/') + kShard1);
        auto size = (*p)->fileSize(kShard1);
        QVERIFY(size.ok());
        QCOMPARE(qint64(*size), qint64(shard.size()));  // X-Linked-Size, not the 302's Content-Length
        const QByteArray cfg = readFile(m_fx.modelDir + QStringLiteral("/config.json"));
        auto cfgSize = (*p)->fileSize(QStringLiteral("config.json"));
        QVERIFY(cfgSize.ok());
        QCOMPARE(qint64(*cfgSize), qint64(cfg.size()));  // Content-Length of the final 200 after the 307
        const auto log = m_fx.hub->log();
        QVERIFY(only(log, QStringLiteral("cdn")).isEmpty());  // HEAD stops at the CDN redirect
        for (const auto& e : log) QCOMPARE(e.method, QByteArray("HEAD"));
        QCOMPARE(log.size(), 3);  // 302; 307 + resolve-cache 200

        auto meta = (*p)->headFile(kShard1);
        QVERIFY(meta.ok());
        QCOMPARE(meta->etag, QString::fromLatin1(QCryptographicHash::hash(shard, QCryptographicHash::Sha256).toHex()));
        QCOMPARE(meta->commit, m_fx.commit);
        QCOMPARE(meta->location.port(), int(m_fx.hub->cdnPort()));
        auto cmeta = (*p)->headFile(QStringLiteral("config.json"));
        QVERIFY(cmeta.ok());
        QCOMPARE(cmeta->etag, QString::fromLatin1(QCryptographicHash::hash("blob " + QByteArray::number(cfg.size()) + '\0' + cfg,
                                                                           QCryptographicHash::Sha1).toHex()));
        // Reads work with sizes learnt this way.
        auto r = tensorRange(m_fx.modelDir, kShard1, "model.layers.0.input_layernorm.weight");
        auto v = (*p)->read(r.file, r.offset, r.length);
        QVERIFY(v.ok());
        QCOMPARE(viewBytes(*v), shard.mid(qsizetype(r.offset), qsizetype(r.length)));
    }

    void parallelHeaderProbesWithinTheBound()
    {
        QTemporaryDir dir;
        QVERIFY(writeModel(dir.path(), manyShards(12, 256, 256)).isEmpty());
        m_fx.hub->addCommitFromDir(QStringLiteral("org/many"), dir.path());
        HubOptions o = m_fx.options();
        o.maxParallel = 4;
        auto p = openHub(QStringLiteral("org/many"), QStringLiteral("main"), o);
        QVERIFY(p.ok());
        FakeFaults f;
        f.slowChunkDelayMs = 25;  // each 64 KiB probe takes a few chunks
        m_fx.hub->setFaults(f);
        m_fx.hub->clearLog();
        std::vector<ByteRange> prefixes;
        const auto files = manyShards(12, 256, 256);
        for (const auto& s : files) prefixes.push_back({s.file, 0, 8});
        QVERIFY((*p)->prefetch(prefixes).ok());
        const auto cdn = only(m_fx.hub->log(), QStringLiteral("cdn"));
        QCOMPARE(cdn.size(), 12);
        for (const auto& e : cdn) QCOMPARE(e.header("range"), QByteArray("bytes=0-65535"));
        const int conc = FakeHub::maxConcurrency(cdn, QStringLiteral("cdn"));
        QVERIFY2(conc >= 2 && conc <= 4, qPrintable(QString::number(conc)));
        // Length word and JSON header now come from the cache: no request.
        m_fx.hub->clearLog();
        for (const auto& s : files) {
            const QByteArray local = readFile(dir.filePath(s.file));
            auto pre = (*p)->read(s.file, 0, 8);
            QVERIFY(pre.ok());
            const uint64_t n = headerBytes(dir.filePath(s.file)) - 8;
            auto json = (*p)->read(s.file, 8, n);
            QVERIFY(json.ok());
            QCOMPARE(viewBytes(*json), local.mid(8, qsizetype(n)));
        }
        QCOMPARE(m_fx.hub->log().size(), 0);
    }

    void rangesMergeAndSplit()
    {
        const auto up = tensorRange(m_fx.modelDir, kShard2, "model.layers.1.mlp.up_proj.weight");
        const auto q = tensorRange(m_fx.modelDir, kShard2, "model.layers.1.self_attn.q_proj.weight");
        QCOMPARE(up.offset + up.length, q.offset);  // adjacent in the file
        const QByteArray shard = readFile(m_fx.modelDir + QLatin1Char('/') + kShard2);
        {
            auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
            QVERIFY(p.ok());
            m_fx.hub->clearLog();
            QVERIFY((*p)->prefetch({q, up}).ok());
            auto cdn = only(m_fx.hub->log(), QStringLiteral("cdn"));
            QCOMPARE(cdn.size(), 1);  // one merged request
            QCOMPARE(cdn[0].header("range"), "bytes=" + QByteArray::number(up.offset) + '-' +
                                                 QByteArray::number(q.offset + q.length - 1));
            m_fx.hub->clearLog();
            for (const auto& r : {up, q}) {
                auto v = (*p)->read(r.file, r.offset, r.length);
                QVERIFY(v.ok());
                QCOMPARE(viewBytes(*v), shard.mid(qsizetype(r.offset), qsizetype(r.length)));
            }
            QCOMPARE(m_fx.hub->log().size(), 0);
        }
        // A range above the split threshold is fetched as parallel parts, cached as one.
        HubOptions o = m_fx.options();
        o.cacheDir = m_fx.tmp->filePath(QStringLiteral("cache2"));
        o.splitThreshold = 256 * 1024;
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), o);
        QVERIFY(p.ok());
        m_fx.hub->clearLog();
        auto v = (*p)->read(up.file, up.offset, up.length);
        QVERIFY(v.ok());
        QCOMPARE(viewBytes(*v), shard.mid(qsizetype(up.offset), qsizetype(up.length)));
        auto cdn = only(m_fx.hub->log(), QStringLiteral("cdn"));
        QCOMPARE(cdn.size(), 2);
        QList<QByteArray> ranges{cdn[0].header("range"), cdn[1].header("range")};
        std::sort(ranges.begin(), ranges.end(), [](const QByteArray& a, const QByteArray& b) {
            return a.mid(6).split('-')[0].toULongLong() < b.mid(6).split('-')[0].toULongLong();
        });
        const uint64_t half = up.length / 2;
        QCOMPARE(ranges[0], "bytes=" + QByteArray::number(up.offset) + '-' + QByteArray::number(up.offset + half - 1));
        QCOMPARE(ranges[1], "bytes=" + QByteArray::number(up.offset + half) + '-' + QByteArray::number(up.offset + up.length - 1));
        QStringList bins;
        for (const QString& f : filesBelow(o.cacheDir))
            if (f.endsWith(QLatin1String(".bin"))) bins << f;
        QCOMPARE(bins.size(), 1);
        QVERIFY(bins[0].endsWith(QStringLiteral("/%1-%2.bin").arg(up.offset).arg(up.length)));
        QCOMPARE(QFileInfo(bins[0]).size(), qint64(up.length));
    }

    void cacheIsVerifiedAndAtomic()
    {
        const auto up = tensorRange(m_fx.modelDir, kShard2, "model.layers.1.mlp.up_proj.weight");
        const QByteArray shard = readFile(m_fx.modelDir + QLatin1Char('/') + kShard2);
        HubOptions o = m_fx.options();
        o.downloadTimeoutMs = 300;
        o.maxRetries = 0;
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), o);
        QVERIFY(p.ok());
        FakeFaults f;
        f.stallAfterBytes = 0;  // the connection dies before any byte
        m_fx.hub->setFaults(f);
        auto failed = (*p)->read(up.file, up.offset, up.length);
        QVERIFY(!failed.ok());
        QCOMPARE(failed.error().exitCode, 2);
        QVERIFY2(msg(failed.error()).contains(kShard2), failed.error().message.c_str());
        for (const QString& file : filesBelow(o.cacheDir)) QVERIFY2(!file.contains(QLatin1String("/ranges/")), qPrintable(file));

        m_fx.hub->setFaults(FakeFaults());
        auto ok = (*p)->read(up.file, up.offset, up.length);
        QVERIFY(ok.ok());
        QCOMPARE(viewBytes(*ok), shard.mid(qsizetype(up.offset), qsizetype(up.length)));
        QString bin;
        for (const QString& file : filesBelow(o.cacheDir))
            if (file.endsWith(QLatin1String(".bin"))) bin = file;
        QVERIFY(!bin.isEmpty());
        QCOMPARE(readFile(bin), shard.mid(qsizetype(up.offset), qsizetype(up.length)));

        // A truncated entry (disk trouble, a foreign tool) and a dead writer's temp file
        // are never used: the next run refetches and repairs.
        {
            QFile t(bin);
            QVERIFY(t.resize(qint64(up.length / 2)));
            QFile junk(QFileInfo(bin).absolutePath() + QStringLiteral("/0-16.bin.Xy12Ab"));
            QVERIFY(junk.open(QIODevice::WriteOnly));
            junk.write("0123456789abcdef");
        }
        auto p2 = openHub(QStringLiteral("org/model"), m_fx.commit, o);
        QVERIFY(p2.ok());
        m_fx.hub->clearLog();
        auto again = (*p2)->read(up.file, up.offset, up.length);
        QVERIFY(again.ok());
        QCOMPARE(viewBytes(*again), shard.mid(qsizetype(up.offset), qsizetype(up.length)));
        QCOMPARE(only(m_fx.hub->log(), QStringLiteral("cdn")).size(), 1);
        QCOMPARE(QFileInfo(bin).size(), qint64(up.length));
    }

    void expiredCdnUrlGoesBackToResolve()
    {
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
        QVERIFY(p.ok());
        const auto a = tensorRange(m_fx.modelDir, kShard1, "model.embed_tokens.weight");
        const auto b = tensorRange(m_fx.modelDir, kShard1, "model.layers.0.input_layernorm.weight");
        QVERIFY((*p)->read(a.file, a.offset, a.length).ok());
        m_fx.hub->clearLog();
        auto c = (*p)->read(b.file, b.offset, b.length);  // goes straight to the remembered CDN URL
        QVERIFY(c.ok());
        QCOMPARE(m_fx.hub->log().size(), 1);
        QCOMPARE(m_fx.hub->log()[0].server, QStringLiteral("cdn"));
        m_fx.hub->expireCdnUrls();
        m_fx.hub->clearLog();
        const auto d = tensorRange(m_fx.modelDir, kShard1, "model.layers.0.mlp.down_proj.weight");
        auto e = (*p)->read(d.file, d.offset, d.length);
        QVERIFY2(e.ok(), e.ok() ? "" : e.error().message.c_str());
        QCOMPARE(viewBytes(*e), readFile(m_fx.modelDir + QLatin1Char('/') + kShard1).mid(qsizetype(d.offset), qsizetype(d.length)));
        const auto log = m_fx.hub->log();
        QCOMPARE(log.size(), 3);
        QCOMPARE(log[0].status, 403);  // expired signature
        QCOMPARE(log[1].status, 302);  // resolve again
        QCOMPARE(log[2].status, 206);
    }

    void authorizationOnlyOnTheHubAndIdentityEncoding()
    {
        m_fx.hub->setValidTokens({QStringLiteral("hf_good")});
        HubOptions o = m_fx.options();
        o.token = QStringLiteral("hf_good");
        o.tokenSource = QStringLiteral("HF_TOKEN");
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), o);
        QVERIFY(p.ok());
        QVERIFY((*p)->readAll(QStringLiteral("config.json")).ok());
        const auto r = tensorRange(m_fx.modelDir, kShard2, "model.layers.1.mlp.up_proj.weight");
        QVERIFY((*p)->read(r.file, r.offset, r.length).ok());
        const auto log = m_fx.hub->log();
        QVERIFY(!only(log, QStringLiteral("cdn")).isEmpty());
        for (const auto& e : log) {
            QCOMPARE(e.header("accept-encoding"), QByteArray("identity"));
            if (e.server == QLatin1String("cdn")) {
                QVERIFY(!e.hasAuthorization());
                QCOMPARE(e.port, m_fx.hub->cdnPort());
            } else {
                QCOMPARE(e.header("authorization"), QByteArray("Bearer hf_good"));
            }
        }
    }

    void secondRunMakesNoRequests()
    {
        const auto a = tensorRange(m_fx.modelDir, kShard1, "model.embed_tokens.weight");
        const auto b = tensorRange(m_fx.modelDir, kShard2, "model.layers.1.mlp.up_proj.weight");
        auto readAllOf = [&](HubProvider& p) {
            QVERIFY(p.readAll(QStringLiteral("config.json")).ok());
            QVERIFY(p.readAll(QStringLiteral("model.safetensors.index.json")).ok());
            QVERIFY(p.read(a.file, a.offset, a.length).ok());
            QVERIFY(p.read(b.file, b.offset, b.length).ok());
            QVERIFY(p.read(b.file, b.offset + 100, 1000).ok());  // inside a cached range
        };
        {
            auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
            QVERIFY(p.ok());
            readAllOf(**p);
        }
        m_fx.hub->clearLog();
        {
            auto p = openHub(QStringLiteral("org/model"), m_fx.commit, m_fx.options());
            QVERIFY(p.ok());
            readAllOf(**p);
            QCOMPARE((*p)->httpStats().requests, uint64_t(0));
        }
        QCOMPARE(m_fx.hub->log().size(), 0);
        {
            // A branch costs exactly one small request to see where it points.
            auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
            QVERIFY(p.ok());
            readAllOf(**p);
        }
        QCOMPARE(m_fx.hub->log().size(), 1);
        QCOMPARE(m_fx.hub->log()[0].target, QByteArray("/api/models/org/model/revision/main"));
    }

    void singleFileAndSubfolderModels()
    {
        QMap<QString, FakeFile> files;
        const QByteArray st = readFile(m_fx.modelDir + QLatin1Char('/') + kShard1);
        files.insert(QStringLiteral("transformer/diffusion_pytorch_model.safetensors"), FakeFile::fromData(st, true));
        files.insert(QStringLiteral("transformer/config.json"), FakeFile::fromData("{}", false));
        files.insert(QStringLiteral("README.md"), FakeFile::fromData("# x", false));
        m_fx.hub->addCommit(QStringLiteral("org/diff"), files);
        auto sub = openHub(QStringLiteral("org/diff"), QStringLiteral("main"), m_fx.options(), QStringLiteral("transformer"));
        QVERIFY(sub.ok());
        QCOMPARE(*(*sub)->listFiles(), QStringList({"config.json", "diffusion_pytorch_model.safetensors"}));
        QVERIFY((*sub)->describe().endsWith(QLatin1String("/transformer")));
        auto v = (*sub)->read(QStringLiteral("diffusion_pytorch_model.safetensors"), 0, 16);
        QVERIFY(v.ok());
        QCOMPARE(viewBytes(*v), st.left(16));
        auto one = openHub(QStringLiteral("org/diff"), QStringLiteral("main"), m_fx.options(), QStringLiteral("transformer"),
                           QStringLiteral("diffusion_pytorch_model.safetensors"));
        QVERIFY(one.ok());
        QCOMPARE(*(*one)->listFiles(), QStringList({"diffusion_pytorch_model.safetensors"}));
        QVERIFY(!(*one)->hasFile(QStringLiteral("config.json")));
        auto missingDir = openHub(QStringLiteral("org/diff"), QStringLiteral("main"), m_fx.options(), QStringLiteral("unet"));
        QVERIFY(!missingDir.ok());
        QVERIFY(msg(missingDir.error()).contains(QLatin1String("Folder 'unet' not found")));
        auto missingFile = openHub(QStringLiteral("org/diff"), QStringLiteral("main"), m_fx.options(), QString(),
                                   QStringLiteral("model.safetensors"));
        QVERIFY(!missingFile.ok());
        QVERIFY(msg(missingFile.error()).contains(QLatin1String("File 'model.safetensors' not found in org/diff")));
    }

    void concurrentReadsFromManyThreads()
    {
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
        QVERIFY(p.ok());
        const QByteArray s1 = readFile(m_fx.modelDir + QLatin1Char('/') + kShard1);
        const QByteArray s2 = readFile(m_fx.modelDir + QLatin1Char('/') + kShard2);
        // 16 threads, overlapping and disjoint ranges of both shards, no event loop anywhere.
        std::vector<std::thread> threads;
        std::vector<int> bad(16, 0);
        for (int i = 0; i < 16; ++i) {
            threads.emplace_back([&, i] {
                const QByteArray& shard = (i % 2) ? s2 : s1;
                const QString file = (i % 2) ? kShard2 : kShard1;
                const uint64_t off = uint64_t(i) * 20000 + 7, len = 150000 + uint64_t(i) * 1000;
                auto v = (*p)->read(file, off, len);
                if (!v.ok() || viewBytes(*v) != shard.mid(qsizetype(off), qsizetype(len))) bad[size_t(i)] = 1;
            });
        }
        for (auto& t : threads) t.join();
        for (int i = 0; i < 16; ++i) QCOMPARE(bad[size_t(i)], 0);
    }

    void faultyServerStillGivesExactBytes()
    {
        FakeFaults f;
        f.fail503Count = 1;
        f.random500Rate = 0.3;
        f.seed = 3;
        f.cutAfterBytes = 70000;
        f.cutCount = 3;
        m_fx.hub->setFaults(f);
        HubOptions o = m_fx.options();
        o.maxRetries = 10;
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), o);
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
        auto files = (*p)->listFiles();
        QVERIFY(files.ok());
        for (const QString& file : *files) {
            auto v = (*p)->readAll(file);
            QVERIFY2(v.ok(), v.ok() ? "" : v.error().message.c_str());
            QCOMPARE(viewBytes(*v), readFile(m_fx.modelDir + QLatin1Char('/') + file));
        }
        QVERIFY((*p)->httpStats().retries > 0);
        QVERIFY((*p)->httpStats().resumes > 0);
        // A server that ignores Range: the wanted bytes are picked out of the full body.
        f = FakeFaults();
        f.ignoreRange = true;
        m_fx.hub->setFaults(f);
        o.cacheDir = m_fx.tmp->filePath(QStringLiteral("cache-200"));
        auto q = openHub(QStringLiteral("org/model"), m_fx.commit, o);
        QVERIFY(q.ok());
        const auto t = tensorRange(m_fx.modelDir, kShard2, "model.norm.weight");
        auto v = (*q)->read(t.file, t.offset, t.length);
        QVERIFY(v.ok());
        QCOMPARE(viewBytes(*v), readFile(m_fx.modelDir + QLatin1Char('/') + kShard2).mid(qsizetype(t.offset), qsizetype(t.length)));
        QVERIFY((*q)->httpStats().restarts > 0);
        // Every cache entry holds exactly the bytes its name says.
        for (const QString& bin : filesBelow(m_fx.cacheDir()) + filesBelow(o.cacheDir)) {
            if (!bin.endsWith(QLatin1String(".bin"))) continue;
            const QStringList parts = QFileInfo(bin).completeBaseName().split(QLatin1Char('-'));
            const QString enc = QFileInfo(bin).absolutePath().section(QLatin1Char('/'), -1);
            const QString file = QUrl::fromPercentEncoding(enc.toUtf8());
            QCOMPARE(readFile(bin), readFile(m_fx.modelDir + QLatin1Char('/') + file).mid(parts[0].toLongLong(), parts[1].toLongLong()));
        }
    }

    void readBoundsAndPaths()
    {
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
        QVERIFY(p.ok());
        const qint64 size = QFileInfo(m_fx.modelDir + QStringLiteral("/config.json")).size();
        auto past = (*p)->read(QStringLiteral("config.json"), uint64_t(size) - 2, 3);
        QVERIFY(!past.ok());
        QVERIFY(msg(past.error()).contains(QLatin1String("config.json")));
        auto empty = (*p)->read(QStringLiteral("config.json"), uint64_t(size), 0);
        QVERIFY(empty.ok());
        QCOMPARE((*empty)->size(), uint64_t(0));
        for (const QString& bad : {QStringLiteral("../config.json"), QStringLiteral("/etc/passwd"),
                                   QStringLiteral("http://evil/x"), QStringLiteral("a/./b")}) {
            auto r = (*p)->read(bad, 0, 1);
            QVERIFY(!r.ok());
            QVERIFY2(msg(r.error()).contains(QLatin1String("refused")), r.error().message.c_str());
            QVERIFY(!(*p)->hasFile(bad));
        }
        auto missing = (*p)->fileSize(QStringLiteral("nope.json"));
        QVERIFY(!missing.ok());
        QVERIFY(msg(missing.error()).contains(QLatin1String("'nope.json' not found in org/model")));
    }
};

QTEST_GUILESS_MAIN(TestHubProvider)
#include "test_hub_provider.moc"
