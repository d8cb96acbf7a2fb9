// Model::open beyond the golden repo: index validation (paths, missing shards, names
// missing from a shard), config.json weight_block_size, FP8 pairing and dequantization
// (FORMATS.md §9 index example, E8M0/BF16 scales, stacked 3-D, custom blocks), no-index
// models, prefetch order for remote providers, LocalProvider errors.
#include "io/local_provider.h"
#include "io/model.h"
#include "io_test_util.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace qs;
using namespace qs::test;

namespace {

const QString kIndex = QStringLiteral("model.safetensors.index.json");

// Two shards + index: a.weight (F32 [2,3]) and b.weight (BF16 [4]) in shard 1, c.weight in shard 2.
std::shared_ptr<MemoryProvider> twoShardModel()
{
    auto p = std::make_shared<MemoryProvider>();
    p->files["s1.safetensors"] = safetensorsBytes({{"a.weight", DType::F32, {2, 3}, floatsAs(DType::F32, ramp(6))},
                                                   {"b.weight", DType::BF16, {4}, floatsAs(DType::BF16, ramp(4))}});
    p->files["s2.safetensors"] = safetensorsBytes({{"c.weight", DType::F16, {2, 2}, floatsAs(DType::F16, ramp(4))},
                                                   {"hidden.weight", DType::F32, {1}, floatsAs(DType::F32, {1.0f})}});
    p->put(kIndex, R"({"metadata":{"total_size":1},"weight_map":{"a.weight":"s1.safetensors","b.weight":"s1.safetensors","c.weight":"s2.safetensors"}})");
    return p;
}

QString openError(std::shared_ptr<FileProvider> p)
{
    auto m = Model::open(std::move(p));
    return m.ok() ? QString() : QString::fromStdString(m.error().message);
}

QString indexError(const std::string& weightMapEntries)
{
    auto p = twoShardModel();
    p->put(kIndex, "{\"weight_map\":{" + weightMapEntries + "}}");
    return openError(p);
}

// An FP8 model [m, n] with scale grid filled from scales (F32 unless given).
std::shared_ptr<MemoryProvider> fp8Model(int64_t m, int64_t n, const std::vector<uint8_t>& codes,
                                         const std::vector<int64_t>& scaleShape, DType scaleType,
                                         const std::vector<uint8_t>& scaleBytes, const std::string& config = "")
{
    auto p = std::make_shared<MemoryProvider>();
    p->files["model.safetensors"] = safetensorsBytes({{"w.weight", DType::F8_E4M3, {m, n}, codes},
                                                      {"w.weight_scale_inv", scaleType, scaleShape, scaleBytes}});
    if (!config.empty()) p->put("config.json", config);
    return p;
}

} // namespace

class TestModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void indexIsAuthoritative()
    {
        auto p = twoShardModel();
        auto m = Model::open(p);
        QVERIFY2(m.ok(), m.ok() ? "" : m.error().message.c_str());
        QCOMPARE((*m)->tensorNames(), (std::vector<std::string>{"a.weight", "b.weight", "c.weight"}));
        QCOMPARE((*m)->unlistedTensors().size(), size_t(1));
        QCOMPARE((*m)->unlistedTensors()[0].name, std::string("hidden.weight"));
        QVERIFY(!(*m)->find("hidden.weight"));
        QCOMPARE((*m)->find("c.weight")->file, QString("s2.safetensors"));
        QCOMPARE((*(*m)->reader("a.weight"))->readAll(), ramp(6));
    }

    void indexBadPaths()
    {
        const struct { const char* entry; const char* expect; } cases[] = {
            {"\"a.weight\":\"../s1.safetensors\"", "shard \"../s1.safetensors\" leaves the model folder"},
            {"\"a.weight\":\"sub/../../x.safetensors\"", "leaves the model folder"},
            {"\"a.weight\":\"/abs/s1.safetensors\"", "is an absolute path"},
            {"\"a.weight\":\"http://evil.example/s1.safetensors\"", "is a URL"},
            {"\"a.weight\":\"hf://s1.safetensors\"", "is a URL"},
            {"\"a.weight\":\"C:s1.safetensors\"", "is a URL"},
            {"\"a.weight\":\"sub\\\\s1.safetensors\"", "contains a backslash"},
            {"\"a.weight\":\"\"", "is empty"},
            {"\"a.weight\":\"./s1.safetensors\"", "not a plain relative path"},
            {"\"a.weight\":\"s1.bin\"", "is not a .safetensors file"},
            {"\"a.weight\":5", "expected a shard file name"},
            {"\"a.weight\":\"missing.safetensors\"", "shard \"missing.safetensors\" does not exist in /mem/model"},
        };
        for (const auto& c : cases) {
            const QString msg = indexError(c.entry);
            QVERIFY2(msg.startsWith("model.safetensors.index.json: weight_map[\"a.weight\"]: "), qPrintable(msg));
            QVERIFY2(msg.contains(c.expect), qPrintable(msg));
        }
    }

    void indexStructure()
    {
        auto p = twoShardModel();
        p->put(kIndex, R"({"metadata":{}})");
        QVERIFY(openError(p).startsWith("model.safetensors.index.json: missing \"weight_map\""));
        p->put(kIndex, R"({"weight_map":[]})");
        QVERIFY(openError(p).contains("weight_map must be an object"));
        p->put(kIndex, R"({"weight_map":{}})");
        QVERIFY(openError(p).contains("weight_map is empty"));
        p->put(kIndex, R"([1])");
        QVERIFY(openError(p).startsWith("model.safetensors.index.json: expected a JSON object"));
        p->put(kIndex, "{\"weight_map\":{\"a\xff\":\"s1.safetensors\"}}");
        QVERIFY(openError(p).startsWith("model.safetensors.index.json: index is not valid UTF-8"));
        p->put(kIndex, R"({"weight_map":{"a.weight":"s1.safetensors",)");
        QVERIFY(openError(p).startsWith("model.safetensors.index.json: index is not valid JSON"));
        p->put(kIndex, R"({"weight_map":{"a.weight":"s1.safetensors","a.weight":"s2.safetensors"}})");
        QCOMPARE(openError(p), QString("model.safetensors.index.json: tensor \"a.weight\" appears more than once in weight_map"));
    }

    void indexNamesTensorMissingFromShard()
    {
        const QString msg = indexError(R"("a.weight":"s2.safetensors")");
        QCOMPARE(msg, QString("model.safetensors.index.json: weight_map puts tensor \"a.weight\" in \"s2.safetensors\", "
                              "but s2.safetensors has no tensor of that name"));
    }

    void shardHeaderErrorNamesShard()
    {
        auto p = twoShardModel();
        p->files["s2.safetensors"].resize(6);
        const QString msg = openError(p);
        QVERIFY2(msg.startsWith("s2.safetensors: file is 6 bytes"), qPrintable(msg));
    }

    void prefetchesPrefixesThenHeaders()
    {
        auto p = twoShardModel();
        p->remote = true;
        auto m = Model::open(p);
        QVERIFY(m.ok());
        QCOMPARE(p->prefetches.size(), size_t(2));
        QCOMPARE(p->prefetches[0].size(), size_t(2));
        for (const auto& r : p->prefetches[0]) {
            QCOMPARE(r.offset, uint64_t(0));
            QCOMPARE(r.length, uint64_t(8));
        }
        QCOMPARE(p->prefetches[0][0].file, QString("s1.safetensors"));
        QCOMPARE(p->prefetches[0][1].file, QString("s2.safetensors"));
        for (const auto& r : p->prefetches[1]) QCOMPARE(r.offset, uint64_t(8));
    }

    void noIndex()
    {
        auto p = twoShardModel();
        p->files.erase(kIndex);
        auto m = Model::open(p);
        QVERIFY(m.ok());
        QVERIFY(!(*m)->hasIndex());
        QCOMPARE((*m)->tensors().size(), size_t(4));  // hidden.weight visible now
        QVERIFY((*m)->unlistedTensors().empty());
        // Duplicate names across files are an error naming both files.
        p->files["s3.safetensors"] = safetensorsBytes({{"a.weight", DType::F32, {1}, floatsAs(DType::F32, {2.0f})}});
        QCOMPARE(openError(p), QString("tensor \"a.weight\" is in both s1.safetensors and s3.safetensors "
                                       "(without model.safetensors.index.json names must be unique)"));
        auto empty = std::make_shared<MemoryProvider>();
        empty->put("config.json", "{}");
        QVERIFY(openError(empty).contains("no .safetensors files"));
    }

    void configBlockSize()
    {
        const std::vector<uint8_t> codes(4, 0x38);
        const auto s = floatsAs(DType::F32, {1.0f, 1.0f, 1.0f, 1.0f});
        const struct { const char* cfg; const char* expect; } bad[] = {
            {R"({"quantization_config":{"weight_block_size":[128]}})", "[128]"},
            {R"({"quantization_config":{"weight_block_size":[0,128]}})", "[0,128]"},
            {R"({"quantization_config":{"weight_block_size":[-1,128]}})", "[-1,128]"},
            {R"({"quantization_config":{"weight_block_size":[1.5,128]}})", "[1.5,128]"},
            {R"({"quantization_config":{"weight_block_size":"128x128"}})", "\"128x128\""},
            {R"({"quantization_config":{"weight_block_size":[128,128,1]}})", "[128,128,1]"},
        };
        for (const auto& c : bad) {
            const QString msg = openError(fp8Model(2, 2, codes, {2, 2}, DType::F32, s, c.cfg));
            QVERIFY2(msg.startsWith("config.json: quantization_config.weight_block_size must be two positive integers [rows, cols], got "),
                     qPrintable(msg));
            QVERIFY2(msg.endsWith(c.expect), qPrintable(msg));
        }
        QVERIFY(openError(fp8Model(2, 2, codes, {2, 2}, DType::F32, s, R"({"quantization_config":5})")).contains("quantization_config must be an object"));
        QVERIFY(openError(fp8Model(2, 2, codes, {2, 2}, DType::F32, s, "{not json")).startsWith("config.json: not valid JSON"));
        QVERIFY(openError(fp8Model(2, 2, codes, {2, 2}, DType::F32, s, "[]")).startsWith("config.json: expected a JSON object"));
        // A 1x1 block: scale grid [2, 2] fits a [2, 2] weight.
        auto m = Model::open(fp8Model(2, 2, codes, {2, 2}, DType::F32, floatsAs(DType::F32, {1.0f, 2.0f, 4.0f, 8.0f}),
                                      R"({"quantization_config":{"weight_block_size":[1,1]}})"));
        QVERIFY(m.ok());
        QCOMPARE((*m)->fp8BlockSize(), (std::array<int64_t, 2>{1, 1}));
        QCOMPARE((*(*m)->reader("w.weight"))->readAll(), (std::vector<float>{1.0f, 2.0f, 4.0f, 8.0f}));
        // Default 128x128 without config: the same [2,2] scale is a shape error naming both.
        QCOMPARE(openError(fp8Model(2, 2, codes, {2, 2}, DType::F32, s)),
                 QString("model.safetensors: tensor \"w.weight_scale_inv\" has shape [2, 2] but \"w.weight\" [2, 2] "
                         "with 128x128 blocks needs a scale of shape [1, 1]"));
    }

    // FORMATS.md §9 index example: M = 300, N = 200 -> grid [3, 2]; (250, 150) uses
    // scale[1][1], (299, 199) uses scale[2][1]; one fp32 multiply; NaN codes propagate.
    void fp8IndexExample()
    {
        std::vector<uint8_t> codes(300 * 200, 0x38);  // 1.0
        codes[0] = 0x7F;                               // NaN
        codes[1] = 0x2A;                               // 0.3125
        const std::vector<float> scales = {0.0123f, 2.0f, 3.0f, 5.0f, 7.0f, 11.0f};
        auto m = Model::open(fp8Model(300, 200, codes, {3, 2}, DType::F32, floatsAs(DType::F32, scales)));
        QVERIFY2(m.ok(), m.ok() ? "" : m.error().message.c_str());
        auto r = (*m)->reader("w.weight");
        QVERIFY(r.ok());
        QVERIFY((*r)->directRows() == nullptr);
        const auto v = (*r)->readAll();
        QVERIFY(std::isnan(v[0]));
        QCOMPARE(bitsOf(v[1]), bitsOf(0.0038437499f));
        QCOMPARE(v[250 * 200 + 150], 5.0f);   // scale[1][1]
        QCOMPARE(v[299 * 200 + 199], 11.0f);  // scale[2][1]
        QCOMPARE(v[127 * 200 + 127], 0.0123f);
        QCOMPARE(v[128 * 200 + 127], 3.0f);
        QCOMPARE(v[255 * 200 + 128], 5.0f);
        QCOMPARE(v[256 * 200 + 0], 7.0f);
        // Any row window gives the same values.
        std::vector<float> part(3 * 200);
        (*r)->readRows(254, 257, part.data());
        QVERIFY(std::memcmp(part.data(), v.data() + 254 * 200, part.size() * 4) == 0);
        // The scale itself is an ordinary F32 tensor.
        QCOMPARE((*(*m)->reader("w.weight_scale_inv"))->readAll(), scales);
    }

    void fp8ScaleDtypes()
    {
        const std::vector<uint8_t> codes = {0x38, 0xBC, 0x2A, 0x7E};  // 1, -1.5, 0.3125, 448
        // F8_E8M0 scale 2^-8 (code 119).
        auto e8 = Model::open(fp8Model(2, 2, codes, {1, 1}, DType::F8_E8M0, {119}));
        QVERIFY(e8.ok());
        QCOMPARE((*(*e8)->reader("w.weight"))->readAll(),
                 (std::vector<float>{0.00390625f, -0.005859375f, 0.001220703125f, 1.75f}));
        // BF16 scale 0.5.
        auto bf = Model::open(fp8Model(2, 2, codes, {1, 1}, DType::BF16, floatsAs(DType::BF16, {0.5f})));
        QVERIFY(bf.ok());
        QCOMPARE((*(*bf)->reader("w.weight"))->readAll(), (std::vector<float>{0.5f, -0.75f, 0.15625f, 224.0f}));
        // An unsupported scale dtype is an error naming both tensors.
        const QString msg = openError(fp8Model(2, 2, codes, {1, 1}, DType::I32, {1, 0, 0, 0}));
        QCOMPARE(msg, QString("model.safetensors: tensor \"w.weight_scale_inv\" (the block scale of \"w.weight\") has "
                              "dtype I32; expected F32, BF16, F16 or F8_E8M0"));
    }

    void fp8WithoutScaleDecodesCodes()
    {
        auto p = std::make_shared<MemoryProvider>();
        p->files["model.safetensors"] = safetensorsBytes({{"w.weight", DType::F8_E5M2, {1, 3}, {0x3C, 0x7C, 0x35}}});
        auto m = Model::open(p);
        QVERIFY(m.ok());
        QVERIFY((*m)->find("w.weight")->scaleInvName.empty());
        const auto v = (*(*m)->reader("w.weight"))->readAll();
        QCOMPARE(v[0], 1.0f);
        QVERIFY(std::isinf(v[1]));
        QCOMPARE(v[2], 0.3125f);
        // A non-FP8 tensor with a _scale_inv sibling is not dequantized either.
        p->files["model.safetensors"] = safetensorsBytes({{"x.weight", DType::BF16, {1, 1}, floatsAs(DType::BF16, {2.0f})},
                                                          {"x.weight_scale_inv", DType::F32, {1, 1}, floatsAs(DType::F32, {3.0f})}});
        auto m2 = Model::open(p);
        QVERIFY(m2.ok());
        QCOMPARE((*(*m2)->reader("x.weight"))->readAll(), (std::vector<float>{2.0f}));
    }

    void fp8Stacked3d()
    {
        // [2, 130, 3] with blocks 128x128: scale [2, 2, 1].
        std::vector<uint8_t> codes(2 * 130 * 3, 0x38);
        const std::vector<float> scales = {1.0f, 2.0f, 3.0f, 4.0f};
        auto p = std::make_shared<MemoryProvider>();
        p->files["model.safetensors"] = safetensorsBytes({{"e.weight", DType::F8_E4M3, {2, 130, 3}, codes},
                                                          {"e.weight_scale_inv", DType::F32, {2, 2, 1}, floatsAs(DType::F32, scales)}});
        auto m = Model::open(p);
        QVERIFY2(m.ok(), m.ok() ? "" : m.error().message.c_str());
        const auto v = (*(*m)->reader("e.weight"))->readAll();
        QCOMPARE(v[127 * 3], 1.0f);
        QCOMPARE(v[128 * 3], 2.0f);
        QCOMPARE(v[130 * 3], 3.0f);  // second matrix, row 0
        QCOMPARE(v[(130 + 129) * 3 + 2], 4.0f);
    }

    void undecodableDtypeErrorsOnRead()
    {
        auto p = std::make_shared<MemoryProvider>();
        p->files["model.safetensors"] = safetensorsBytes({{"ok.weight", DType::F32, {1}, floatsAs(DType::F32, {1.0f})}});
        // Splice an F4 and an unknown-dtype tensor in by hand.
        p->files["odd.safetensors"] = rawFile(
            R"({"f4.weight":{"dtype":"F4","shape":[4],"data_offsets":[0,2]},"q.weight":{"dtype":"Q7","shape":[3],"data_offsets":[2,9]}})",
            std::vector<uint8_t>(9, 0));
        auto m = Model::open(p);
        QVERIFY2(m.ok(), m.ok() ? "" : m.error().message.c_str());
        QCOMPARE((*m)->tensors().size(), size_t(3));  // listing works
        auto f4 = (*m)->reader("f4.weight");
        QVERIFY(!f4.ok());
        QCOMPARE(f4.error().exitCode, 2);
        QVERIFY(QString::fromStdString(f4.error().message).startsWith("odd.safetensors: tensor \"f4.weight\": dtype F4 cannot be decoded"));
        auto q = (*m)->reader("q.weight");
        QVERIFY(!q.ok());
        QVERIFY(QString::fromStdString(q.error().message).startsWith("odd.safetensors: tensor \"q.weight\": dtype Q7 cannot be decoded"));
    }

    void emptyAndScalarTensors()
    {
        auto p = std::make_shared<MemoryProvider>();
        p->files["model.safetensors"] = safetensorsBytes({{"s", DType::F32, {}, floatsAs(DType::F32, {5.0f})},
                                                          {"e", DType::BF16, {0, 4}, {}},
                                                          {"z", DType::BF16, {3, 0}, {}}});
        auto m = Model::open(p);
        QVERIFY(m.ok());
        QCOMPARE((*(*m)->reader("s"))->readAll(), std::vector<float>{5.0f});
        QVERIFY((*(*m)->reader("e"))->readAll().empty());
        auto z = (*m)->reader("z");
        QVERIFY(z.ok());
        QVERIFY((*z)->readAll().empty());
        QCOMPARE((*z)->rows(), int64_t(3));
        QCOMPARE((*z)->cols(), int64_t(0));
    }

    void localProviderErrors()
    {
        auto missing = LocalProvider::open("/nonexistent/qs-model");
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().exitCode, 2);
        QCOMPARE(QString::fromStdString(missing.error().message), QString("No such file or directory: /nonexistent/qs-model"));
        QTemporaryDir dir;
        QVERIFY(writeFile(dir.filePath("config.json"), std::string("{}")));
        auto noWeights = LocalProvider::open(dir.path());
        QVERIFY(!noWeights.ok());
        QCOMPARE(QString::fromStdString(noWeights.error().message), dir.path() + ": no .safetensors files in this folder");
        auto notSt = LocalProvider::open(dir.filePath("config.json"));
        QVERIFY(!notSt.ok());
        QVERIFY(QString::fromStdString(notSt.error().message).contains("not a .safetensors file"));

        // Nested files are listed with '/' paths; hidden files are skipped; escaping paths refused.
        QVERIFY(QDir(dir.path()).mkpath("sub"));
        QVERIFY(writeFile(dir.filePath("sub/m.safetensors"),
                          safetensorsBytes({{"w", DType::F32, {1}, floatsAs(DType::F32, {1.0f})}})));
        QVERIFY(writeFile(dir.filePath(".hidden"), std::string("x")));
        auto p = LocalProvider::open(dir.path());
        QVERIFY(p.ok());
        QCOMPARE(*(*p)->listFiles(), (QStringList{"config.json", "sub/m.safetensors"}));
        QVERIFY(!(*p)->read("../x", 0, 1).ok());
        QVERIFY(!(*p)->read("/etc/passwd", 0, 1).ok());
        QVERIFY(!(*p)->fileSize("sub/../../x").ok());
        auto zero = (*p)->read("config.json", 2, 0);
        QVERIFY(zero.ok());
        QCOMPARE((*zero)->size(), uint64_t(0));
        auto m = Model::open(*p);
        QVERIFY(m.ok());
        QCOMPARE((*m)->find("w")->file, QString("sub/m.safetensors"));
    }
};

QTEST_GUILESS_MAIN(TestModel)
#include "test_model.moc"
