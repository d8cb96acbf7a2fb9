// tests/support/golden.{h,cpp}, the golden-data loader every area's tests use: every
// tensor of the model shards has the dtype/shape expected.json lists, F16/BF16 widen
// exactly and F8_E4M3 x scale_inv reproduces fp32_views.safetensors bit for bit, header
// order is kept, JSON helpers parse the README's conventions, and bad files give an
// error naming the file instead of crashing.
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

#include "format_test_util.h"
#include "formats/minifloat.h"

using namespace qs;
using namespace qs::test;

class TestGoldenLoader : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void shardsMatchExpected();
    void widenAndDequantMatchViews();
    void headerOrder();
    void jsonHelpers();
    void badFiles();
};

void TestGoldenLoader::shardsMatchExpected()
{
    QString err;
    const auto expected = loadJson(goldenPath(QStringLiteral("model/expected.json")), &err);
    QVERIFY2(expected, qPrintable(err));
    const QJsonArray tensors = expected->object().value(QLatin1String("repo_tensors")).toArray();
    QVERIFY(tensors.size() >= 17);
    for (const QJsonValue& v : tensors) {
        const QJsonObject t = v.toObject();
        const auto gf = GoldenFile::load(goldenPath(QStringLiteral("model/repo/") + t.value(QLatin1String("file")).toString()), &err);
        QVERIFY2(gf, qPrintable(err));
        const GoldenTensor* gt = gf->tensor(t.value(QLatin1String("name")).toString());
        QVERIFY2(gt, qPrintable(t.value(QLatin1String("name")).toString()));
        QCOMPARE(gt->dtype, t.value(QLatin1String("dtype")).toString());
        QList<qint64> shape;
        for (const QJsonValue& d : t.value(QLatin1String("shape")).toArray())
            shape.append(qint64(d.toDouble()));
        QCOMPARE(gt->shape, shape);
        QCOMPARE(qint64(gt->toFloat().size()), gt->numel());
    }
}

// fp32_views.safetensors holds the F32 view of each selected tensor: BF16/F16 widened,
// F8_E4M3 decoded and multiplied by scale_inv[i / 128][j / 128] (one fp32 multiply).
void TestGoldenLoader::widenAndDequantMatchViews()
{
    QString err;
    const auto views = GoldenFile::load(goldenPath(QStringLiteral("model/fp32_views.safetensors")), &err);
    QVERIFY2(views, qPrintable(err));
    const auto shard1 = GoldenFile::load(goldenPath(QStringLiteral("model/repo/model-00001-of-00002.safetensors")), &err);
    QVERIFY2(shard1, qPrintable(err));
    for (const char* name : {"model.embed_tokens.weight", "model.layers.0.mlp.down_proj.weight"}) {
        const auto got = shard1->tensor(QLatin1String(name))->toFloat();
        const auto want = views->tensor(QLatin1String(name))->toFloat();
        QCOMPARE(got.size(), want.size());
        const QString msg = compareBits(QLatin1String(name), want.data(), got.data(), qint64(got.size()));
        QVERIFY2(msg.isEmpty(), qPrintable(msg));
    }
    const QString w = QStringLiteral("model.layers.0.self_attn.o_proj.weight");
    const GoldenTensor* codes = shard1->tensor(w);
    const GoldenTensor* scale = shard1->tensor(w + QStringLiteral("_scale_inv"));
    QVERIFY(codes && scale);
    QCOMPARE(codes->dtype, QStringLiteral("F8_E4M3"));
    const auto s = scale->toFloat();
    const auto view = views->tensor(w)->toFloat();
    const qint64 rows = codes->shape[0], cols = codes->shape[1], scols = scale->shape[1];
    std::vector<float> deq(size_t(rows * cols));
    const auto* raw = reinterpret_cast<const uint8_t*>(codes->raw.constData());
    for (qint64 i = 0; i < rows; ++i)
        for (qint64 j = 0; j < cols; ++j)
            deq[size_t(i * cols + j)] = decodeE4M3(raw[i * cols + j]) * s[size_t((i / 128) * scols + j / 128)];
    const QString msg = compareBits(w, view.data(), deq.data(), qint64(deq.size()));
    QVERIFY2(msg.isEmpty(), qPrintable(msg));
    // The loader's own F8_E4M3 widening agrees with decodeE4M3 on every code present.
    const auto widened = codes->toFloat();
    for (qint64 i = 0; i < rows * cols; ++i)
        QCOMPARE(floatToBits(widened[size_t(i)]), floatToBits(decodeE4M3(raw[i])));
}

void TestGoldenLoader::headerOrder()
{
    QString err;
    const auto gf = GoldenFile::load(goldenPath(QStringLiteral("formats/p01_len5_normal.safetensors")), &err);
    QVERIFY2(gf, qPrintable(err));
    QCOMPARE(gf->names().first(), QStringLiteral("input"));
    QCOMPARE(gf->names().size(), 14);
    QVERIFY(gf->contains(QStringLiteral("bfp8")));
    QVERIFY(!gf->contains(QStringLiteral("nope")));
    QVERIFY(gf->tensor(QStringLiteral("nope")) == nullptr);
    QCOMPARE(gf->tensor(QStringLiteral("input"))->bits().size(), size_t(5));
}

void TestGoldenLoader::jsonHelpers()
{
    QCOMPARE(*jsonFloat(QJsonValue(0.1)), 0.1f);
    QVERIFY(std::isnan(*jsonFloat(QJsonValue(QStringLiteral("nan")))));
    QCOMPARE(*jsonFloat(QJsonValue(QStringLiteral("-inf"))), -std::numeric_limits<float>::infinity());
    QVERIFY(!jsonFloat(QJsonValue(QStringLiteral("x"))));
    QCOMPARE(*parseHexBits(QJsonValue(QStringLiteral("0x7fc00000"))), 0x7FC00000u);
    QVERIFY(!parseHexBits(QJsonValue(QStringLiteral("7fc00000"))));
    QVERIFY(sameFloat(0x7FC00000u, 0xFFC00001u));
    QVERIFY(!sameFloat(0x00000000u, 0x80000000u));
}

void TestGoldenLoader::badFiles()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto write = [&](const QString& name, const QByteArray& bytes) {
        QFile f(dir.filePath(name));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
    };
    auto withHeader = [](const QByteArray& json, const QByteArray& data) {
        QByteArray b(8, '\0');
        quint64 n = quint64(json.size());
        for (int i = 0; i < 8; ++i)
            b[i] = char((n >> (8 * i)) & 0xFF);
        return b + json + data;
    };
    write(QStringLiteral("short.safetensors"), QByteArray("abc"));
    write(QStringLiteral("len.safetensors"), QByteArray("\xff\xff\xff\xff\x00\x00\x00\x00{}", 10));
    write(QStringLiteral("json.safetensors"), withHeader("{not json", ""));
    write(QStringLiteral("range.safetensors"),
          withHeader(R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", QByteArray(8, '\0')));
    write(QStringLiteral("size.safetensors"),
          withHeader(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", QByteArray(8, '\0')));
    const QStringList bad = {QStringLiteral("short"), QStringLiteral("len"), QStringLiteral("json"),
                             QStringLiteral("range"), QStringLiteral("size"), QStringLiteral("missing")};
    for (const QString& b : bad) {
        QString err;
        const QString path = dir.filePath(b + QStringLiteral(".safetensors"));
        QVERIFY2(!GoldenFile::load(path, &err), qPrintable(b));
        QVERIFY2(err.startsWith(path), qPrintable(err));
    }
    write(QStringLiteral("ok.safetensors"),
          withHeader(R"({"t":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", QByteArray("\x00\x3c\x00\xc0", 4)));
    QString err;
    const auto ok = GoldenFile::load(dir.filePath(QStringLiteral("ok.safetensors")), &err);
    QVERIFY2(ok, qPrintable(err));
    const auto v = ok->tensor(QStringLiteral("t"))->toFloat();
    QCOMPARE(v.size(), size_t(2));
    QCOMPARE(v[0], 1.0f);
    QCOMPARE(v[1], -2.0f);
    QVERIFY(!loadJson(dir.filePath(QStringLiteral("short.safetensors")), &err));
    QVERIFY(err.contains(QStringLiteral("short.safetensors")));
}

QTEST_GUILESS_MAIN(TestGoldenLoader)
#include "test_golden_loader.moc"
