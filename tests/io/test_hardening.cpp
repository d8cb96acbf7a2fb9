// Issue #16 regressions on the I/O layer: nesting-bounded linear JSON parsing (no stack
// overflow, bounded messages, duplicate keys found in big headers, cancellable), the
// index size limit, and symlinks leaving a model folder.
#include "io_test_util.h"

#include "io/json_util.h"
#include "io/local_provider.h"
#include "io/model.h"
#include "io/safetensors.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace qs;
using namespace qs::test;

namespace {

std::string nested(size_t depth)
{
    return std::string(depth, '[') + std::string(depth, ']');
}

QString parseMessage(const std::string& header)
{
    auto f = rawFile(header);
    auto h = parseHeader("x.safetensors", f.data() + 8, header.size(), f.size());
    return h.ok() ? QString("ok") : QString::fromStdString(h.error().message);
}

} // namespace

class TestHardening : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // #16.1: 100,000 nested arrays anywhere in a header are refused with a message
    // (they used to overflow the stack in the message's dump()).
    void deepNestingRefused_data()
    {
        QTest::addColumn<QString>("header");
        const std::string deep = nested(100000);
        QTest::newRow("tensor") << QString::fromStdString("{\"w.weight\":" + deep + "}");
        QTest::newRow("metadata") << QString::fromStdString("{\"__metadata__\":{\"a\":" + deep + "}}");
        QTest::newRow("shape") << QString::fromStdString("{\"w\":{\"dtype\":\"F32\",\"shape\":" + deep +
                                                         ",\"data_offsets\":[0,0]}}");
    }
    void deepNestingRefused()
    {
        QFETCH(QString, header);
        QCOMPARE(parseMessage(header.toStdString()),
                 QString("x.safetensors: header is not valid JSON: nesting deeper than 64 levels"));
    }

    // Nesting up to the bound still parses (and is then refused for its meaning, with a
    // message that shows a bounded prefix of the value).
    void nestingAtTheBound()
    {
        const std::string v = nested(63);  // + the top-level object = 64 levels
        QCOMPARE(parseMessage("{\"w\":" + v + "}"),
                 QString("x.safetensors: tensor \"w\": expected an object with dtype, shape and data_offsets, got "
                         "an array ") + QString(60, '[') + "...");
    }

    // Messages never serialize a huge value: the 60-character rendering of a 10 MB string.
    void boundedMessages()
    {
        const std::string big(10'000'000, 'x');
        const nlohmann::json v = {{"k", big}};
        const std::string s = jsonShort(v);
        QCOMPARE(s, "{\"k\":\"" + std::string(54, 'x') + "...");
    }

    // #16.3: one linear pass; a 200,000-tensor header parses, keeps byte-wise order and
    // still finds a duplicate name at the end.
    void bigHeaderAndDuplicates()
    {
        std::string json = "{";
        const int n = 200000;
        for (int i = 0; i < n; ++i) {
            if (i) json += ',';
            json += "\"t" + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
        }
        auto f = rawFile(json + "}");
        auto h = parseHeader("x.safetensors", f.data() + 8, json.size() + 1, f.size());
        QVERIFY2(h.ok(), h.ok() ? "" : h.error().message.c_str());
        QCOMPARE(h->tensors.size(), size_t(n));
        QCOMPARE(h->tensors.front().name, std::string("t0"));
        QCOMPARE(h->tensors[1].name, std::string("t1"));
        QCOMPARE(h->tensors[2].name, std::string("t10"));
        QVERIFY(h->find("t199999"));
        const std::string dup = json + ",\"t7\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}";
        QCOMPARE(parseMessage(dup), QString("x.safetensors: tensor \"t7\" appears more than once in the header"));
        QCOMPARE(parseMessage("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}"),
                 QString("x.safetensors: key \"a\" appears more than once in \"__metadata__\" of the header"));
    }

    // #16.3: the parse polls the cancel flag (Ctrl+C is honoured inside one big header).
    void headerParseIsCancellable()
    {
        std::string json = "{";
        for (int i = 0; i < 100000; ++i)
            json += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
        json += "}";
        auto f = rawFile(json);
        CancelFlag cancel;
        cancel.cancel();
        auto h = parseHeader("x.safetensors", f.data() + 8, json.size(), f.size(), &cancel);
        QVERIFY(!h.ok());
        QCOMPARE(QString::fromStdString(h.error().message), QString("Cancelled."));
    }

    // #16.11: the index limit is 64 MB (its parse takes ~8x that in memory).
    void indexSizeLimit()
    {
        auto p = std::make_shared<MemoryProvider>();
        p->files["model.safetensors.index.json"] = std::vector<uint8_t>((64u << 20) + 1, ' ');
        auto m = Model::open(p);
        QVERIFY(!m.ok());
        QCOMPARE(QString::fromStdString(m.error().message),
                 QString("model.safetensors.index.json: 67108865 bytes is more than the 64 MB an index may have"));
        QCOMPARE(m.error().exitCode, 2);
    }

    // #16.13: a shard symlink leading out of the model folder is refused; a link inside
    // the folder and an HF cache snapshot's link into its blobs store are followed.
    void symlinksOutsideRefused()
    {
        QTemporaryDir tmp;
        const QString outside = tmp.filePath("secret.safetensors");
        QVERIFY(writeFile(outside, safetensorsBytes({{"w", DType::F32, {1}, floatsAs(DType::F32, {1.f})}})));
        QVERIFY(QDir().mkpath(tmp.filePath("model/real")));
        QVERIFY(QFile::link(outside, tmp.filePath("model/model.safetensors")));
        auto p = LocalProvider::open(tmp.filePath("model"));
        QVERIFY(p.ok());
        auto size = (*p)->fileSize("model.safetensors");
        QVERIFY(!size.ok());
        QCOMPARE(QString::fromStdString(size.error().message),
                 QString("model.safetensors: is a symbolic link to %1, outside the model folder %2; refused")
                     .arg(QFileInfo(outside).canonicalFilePath(), QDir::cleanPath(tmp.filePath("model"))));
        QVERIFY(!(*p)->read("model.safetensors", 0, 8).ok());
        QVERIFY(!Model::open(*p).ok());

        // inside the folder: fine
        QVERIFY(QFile::remove(tmp.filePath("model/model.safetensors")));
        QVERIFY(QFile::copy(outside, tmp.filePath("model/real/w.safetensors")));
        QVERIFY(QFile::link("real/w.safetensors", tmp.filePath("model/model.safetensors")));
        auto p2 = LocalProvider::open(tmp.filePath("model"));
        QVERIFY(p2.ok());
        QVERIFY((*p2)->fileSize("model.safetensors").ok());

        // HF cache layout: snapshots/<commit>/x -> ../../blobs/<etag>
        const QString repo = tmp.filePath("hub/models--org--name");
        QVERIFY(QDir().mkpath(repo + "/blobs") && QDir().mkpath(repo + "/snapshots/abc123"));
        QVERIFY(QFile::copy(outside, repo + "/blobs/etag1"));
        QVERIFY(QFile::link("../../blobs/etag1", repo + "/snapshots/abc123/model.safetensors"));
        auto p3 = LocalProvider::open(repo + "/snapshots/abc123");
        QVERIFY(p3.ok());
        QVERIFY((*p3)->fileSize("model.safetensors").ok());
        auto m3 = Model::open(*p3);
        QVERIFY(m3.ok());
        // ...but not beyond the blobs store
        QVERIFY(QFile::link(outside, repo + "/snapshots/abc123/other.safetensors"));
        QVERIFY(!(*p3)->fileSize("other.safetensors").ok());
    }
};

QTEST_GUILESS_MAIN(TestHardening)
#include "test_hardening.moc"
