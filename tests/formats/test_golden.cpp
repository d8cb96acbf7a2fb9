// Golden data of the original tool (tests/data/golden/formats): every output tensor of the
// 7 cases and every format probe of nan_inf.json must be reproduced bit for bit (NaN ==
// NaN) by the reference AND the fast kernel of the registry row.
#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include "format_test_util.h"
#include "formats/proxies.h"

using namespace qs;
using namespace qs::test;

namespace {

// Golden tensor name -> registry row ("" = elementwise helper handled separately).
const char* registryName(const QString& out)
{
    static const char* direct[] = {"bf16", "bfp8", "bfp4", "bfp2", "fp0", "bfp8_ideal", "bfp4_ideal",
                                   "bfp2_ideal", "mxfp4_proxy", "nvfp4_proxy"};
    for (const char* n : direct)
        if (out == QLatin1String(n))
            return n;
    return nullptr;
}

// Computes output `out` for `input` shaped `shape`; false when the output is not one we
// reproduce (fp8_e4m3: the reference's whole-array emulator with its carry bug).
bool compute(const QString& out, const std::vector<float>& input, const QList<qint64>& shape, Path path,
             std::vector<float>& result)
{
    int64_t rows, cols;
    view2d(shape, rows, cols);
    if (const char* name = registryName(out)) {
        result = runKernel(fmt(name), path, input, rows, cols);
        return true;
    }
    if (out == QLatin1String("fp4_e2m1") || out == QLatin1String("fp8_e4m3_scalar")) {
        result.resize(input.size());
        for (size_t i = 0; i < input.size(); ++i)
            result[i] = out == QLatin1String("fp4_e2m1") ? proxyFp4E2M1(input[i]) : proxyE4M3Scalar(input[i]);
        return true;
    }
    return false;
}

} // namespace

class TestGolden : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cases_data();
    void cases();
    void everyCaseCovered();
    void nanInfProbes_data();
    void nanInfProbes();
};

void TestGolden::cases_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("output");
    QString err;
    const auto manifest = loadJson(goldenPath(QStringLiteral("formats/manifest.json")), &err);
    QVERIFY2(manifest, qPrintable(err));
    for (const QJsonValue& c : manifest->object().value(QLatin1String("cases")).toArray()) {
        const QString file = c.toObject().value(QLatin1String("file")).toString();
        const auto gf = GoldenFile::load(goldenPath(QStringLiteral("formats/") + file), &err);
        QVERIFY2(gf, qPrintable(err));
        for (const QString& name : gf->names()) {
            if (name == QLatin1String("input") || name == QLatin1String("fp8_e4m3"))
                continue;
            for (const char* path : {"ref", "fast"}) {
                if (name == QLatin1String("fp4_e2m1") || name == QLatin1String("fp8_e4m3_scalar"))
                    if (QLatin1String(path) == QLatin1String("fast"))
                        continue;  // scalar helpers have one implementation
                QTest::addRow("%s/%s/%s", qPrintable(file), qPrintable(name), path)
                    << file << name + QLatin1Char('/') + QLatin1String(path);
            }
        }
    }
}

void TestGolden::cases()
{
    QFETCH(QString, file);
    QFETCH(QString, output);
    const QString name = output.section(QLatin1Char('/'), 0, 0);
    const Path path = output.endsWith(QLatin1String("/fast")) ? Path::Fast : Path::Reference;
    QString err;
    const auto gf = GoldenFile::load(goldenPath(QStringLiteral("formats/") + file), &err);
    QVERIFY2(gf, qPrintable(err));
    const GoldenTensor* in = gf->tensor(QStringLiteral("input"));
    const GoldenTensor* expected = gf->tensor(name);
    QVERIFY(in && expected);
    QCOMPARE(expected->shape, in->shape);
    const std::vector<float> x = in->toFloat(), want = expected->toFloat();
    QCOMPARE(qint64(x.size()), in->numel());
    std::vector<float> got;
    QVERIFY2(compute(name, x, in->shape, path, got), qPrintable(name));
    QCOMPARE(got.size(), want.size());
    const QString msg = compareBits(file + QLatin1Char(':') + output, want.data(), got.data(), qint64(got.size()), x.data());
    QVERIFY2(msg.isEmpty(), qPrintable(msg));
}

// The data set must hold what the README promises, so the loop above cannot silently
// test nothing.
void TestGolden::everyCaseCovered()
{
    QString err;
    const auto manifest = loadJson(goldenPath(QStringLiteral("formats/manifest.json")), &err);
    QVERIFY2(manifest, qPrintable(err));
    const QJsonArray cases = manifest->object().value(QLatin1String("cases")).toArray();
    QCOMPARE(cases.size(), 7);
    int proxies = 0;
    for (const QJsonValue& c : cases) {
        const auto gf = GoldenFile::load(goldenPath(QStringLiteral("formats/") + c.toObject().value(QLatin1String("file")).toString()), &err);
        QVERIFY2(gf, qPrintable(err));
        for (const char* n : {"bf16", "bfp8", "bfp4", "bfp2", "fp0", "bfp8_ideal", "bfp4_ideal", "bfp2_ideal",
                              "fp4_e2m1", "fp8_e4m3_scalar"})
            QVERIFY2(gf->contains(QLatin1String(n)), n);
        if (gf->contains(QStringLiteral("mxfp4_proxy")) && gf->contains(QStringLiteral("nvfp4_proxy")))
            ++proxies;
    }
    QCOMPARE(proxies, 6);
}

void TestGolden::nanInfProbes_data()
{
    QTest::addColumn<int>("probe");
    QTest::addColumn<QString>("output");
    QString err;
    const auto doc = loadJson(goldenPath(QStringLiteral("formats/nan_inf.json")), &err);
    QVERIFY2(doc, qPrintable(err));
    const QJsonArray probes = doc->object().value(QLatin1String("format_probes")).toArray();
    QVERIFY(probes.size() >= 5);
    for (int p = 0; p < probes.size(); ++p) {
        const QJsonObject o = probes[p].toObject();
        const QJsonObject results = o.value(QLatin1String("results")).toObject();
        for (auto it = results.begin(); it != results.end(); ++it) {
            if (it.key() == QLatin1String("fp8_e4m3"))
                continue;
            for (const char* path : {"ref", "fast"})
                QTest::addRow("%s/%s/%s", qPrintable(o.value(QLatin1String("probe")).toString()),
                              qPrintable(it.key()), path)
                    << p << it.key() + QLatin1Char('/') + QLatin1String(path);
        }
    }
}

void TestGolden::nanInfProbes()
{
    QFETCH(int, probe);
    QFETCH(QString, output);
    const QString name = output.section(QLatin1Char('/'), 0, 0);
    const Path path = output.endsWith(QLatin1String("/fast")) ? Path::Fast : Path::Reference;
    QString err;
    const auto doc = loadJson(goldenPath(QStringLiteral("formats/nan_inf.json")), &err);
    QVERIFY2(doc, qPrintable(err));
    const QJsonObject o = doc->object().value(QLatin1String("format_probes")).toArray()[probe].toObject();
    std::vector<float> x;
    for (const QJsonValue& b : o.value(QLatin1String("input_bits")).toArray()) {
        const auto u = parseHexBits(b);
        QVERIFY(u);
        x.push_back(bitsToFloat(*u));
    }
    const QJsonObject res = o.value(QLatin1String("results")).toObject().value(name).toObject();
    QVERIFY2(!res.contains(QLatin1String("error")), "the reference raised here; nothing to compare");
    std::vector<float> want;
    for (const QJsonValue& b : res.value(QLatin1String("output_bits")).toArray()) {
        const auto u = parseHexBits(b);
        QVERIFY(u);
        want.push_back(bitsToFloat(*u));
    }
    QCOMPARE(want.size(), x.size());
    std::vector<float> got;
    QVERIFY2(compute(name, x, {qint64(x.size())}, path, got), qPrintable(name));
    const QString msg = compareBits(output, want.data(), got.data(), qint64(x.size()), x.data());
    QVERIFY2(msg.isEmpty(), qPrintable(msg));
}

QTEST_GUILESS_MAIN(TestGolden)
#include "test_golden.moc"
