// Synthetic staircase curves (core/analysis/synth) against the reference's plotted
// curves in tests/data/golden/synth (plot.* keys), plus the real-format curves, the grid
// and the CSV. Tolerance: every curve is compared bit for bit, the (rand16 exp) curves
// included — x is its row's maximum, so the shared exponent is x's own and the mean over
// random rows equals the reconstruction of x alone whatever the random stream (NumPy's
// PCG64 in the reference, SplitMix64 here).
#include "analysis/synth.h"
#include "formats/format.h"
#include "golden.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <cmath>

using namespace qs;
using namespace qs::test;

namespace {

std::vector<FormatChoice> choices(std::initializer_list<const char*> names)
{
    std::vector<FormatChoice> out;
    for (const char* n : names) {
        const Format* f = findFormat(n);
        if (!f) qFatal("format %s missing from the registry", n);
        out.push_back({f, {}});
    }
    return out;
}

// golden plot.<key> -> our curve key
const std::pair<const char*, const char*> kKeyMap[] = {
    {"ideal", "ideal"},           {"mxfp4", "mxfp4_proxy"},     {"nvfp4", "nvfp4_proxy"},
    {"bf16", "bf16"},             {"bfp8_ideal", "bfp8_ideal"}, {"bfp8_rand", "bfp8_rand"},
    {"bfp4_ideal", "bfp4_ideal"}, {"bfp4_rand", "bfp4_rand"},   {"bfp2_ideal", "bfp2_ideal"},
    {"bfp2_rand", "bfp2_rand"},   {"fp0", "fp0"},
};

} // namespace

class TestSynth : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void goldenCurves_data();
    void goldenCurves();
    void labelsAndOrder();
    void randCurveIndependentOfSeed();
    void realFormatsHandValues();
    void csvLayout();
    void rejectsBadSamples();
};

void TestSynth::goldenCurves_data()
{
    QTest::addColumn<int>("fileIndex");
    QTest::newRow("synth_small") << 0;
    QTest::newRow("synth_wide") << 1;
}

void TestSynth::goldenCurves()
{
    QFETCH(int, fileIndex);
    QString err;
    const auto manifest = loadJson(goldenPath("synth/manifest.json"), &err);
    QVERIFY2(manifest, qPrintable(err));
    const QJsonObject entry = manifest->object()["files"].toArray()[fileIndex].toObject();
    const auto file = GoldenFile::load(goldenPath("synth/" + entry["file"].toString()), &err);
    QVERIFY2(file, qPrintable(err));
    const QJsonObject xsSpec = entry["xs"].toObject();

    // The grid: np.linspace(start, stop, num, dtype=float32), bit for bit.
    const std::vector<float> goldenXs = file->tensor("xs")->toFloat();
    const std::vector<float> xs = linspaceF32(xsSpec["start"].toDouble(), xsSpec["stop"].toDouble(), xsSpec["num"].toInt());
    QCOMPARE(xs.size(), goldenXs.size());
    QString diff = compareBits("xs", goldenXs.data(), xs.data(), qint64(xs.size()));
    QVERIFY2(diff.isEmpty(), qPrintable(diff));

    SynthParams p;
    p.xs = xs;
    p.formats = choices({"mxfp4_proxy", "nvfp4_proxy", "bf16", "bfp8", "bfp4", "bfp2", "fp0"});
    p.randSamples = entry["rand_samples"].toInt();
    auto curves = makeSynthCurves(p);
    QVERIFY(curves.ok());
    QCOMPARE(curves->x, xs);
    for (const auto& [golden, ours] : kKeyMap) {
        const GoldenTensor* g = file->tensor(QStringLiteral("plot.") + golden);
        QVERIFY2(g, golden);
        const SynthCurve* c = curves->find(ours);
        QVERIFY2(c, ours);
        const std::vector<float> expected = g->toFloat();
        QCOMPARE(c->y.size(), expected.size());
        diff = compareBits(QStringLiteral("plot.") + golden, expected.data(), c->y.data(), qint64(expected.size()),
                           xs.data());
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
    }
}

void TestSynth::labelsAndOrder()
{
    SynthParams p;  // defaults: 400 points, the original seven
    auto curves = makeSynthCurves(p);
    QVERIFY(curves.ok());
    QCOMPARE(curves->x.size(), size_t(400));
    QCOMPARE(curves->x.front(), 0.0f);
    QCOMPARE(curves->x.back(), 1.0f);
    std::vector<std::string> labels;
    for (const auto& c : curves->curves) labels.push_back(c.label);
    const std::vector<std::string> expected = {"IDEAL", "MXFP4", "NVFP4", "BF16", "BFP8 (ideal exp)", "BFP8 (rand16 exp)",
                                               "BFP4 (ideal exp)", "BFP4 (rand16 exp)", "BFP2 (ideal exp)",
                                               "BFP2 (rand16 exp)", "FP0"};
    QCOMPARE(labels, expected);
    // The proxies draw under the reference's "(ref)" labels.
    SynthParams q;
    q.formats = choices({"mxfp4_proxy", "nvfp4_proxy"});
    auto ref = makeSynthCurves(q);
    QVERIFY(ref.ok());
    QCOMPARE(ref->curves[1].label, std::string("MXFP4 (ref)"));
    QCOMPARE(ref->curves[2].label, std::string("NVFP4 (ref)"));
    for (const auto& c : curves->curves) QCOMPARE(c.y.size(), curves->x.size());
    // IDEAL is x, FP0 is 0.
    QCOMPARE(curves->find("ideal")->y, curves->x);
    for (float v : curves->find("fp0")->y) QCOMPARE(v, 0.0f);
}

void TestSynth::randCurveIndependentOfSeed()
{
    SynthParams p;
    p.formats = choices({"bfp8", "bfp4", "bfp2"});
    p.randSamples = 7;
    p.seed = 1;
    auto a = makeSynthCurves(p);
    p.seed = 123456789;
    p.randSamples = 13;
    auto b = makeSynthCurves(p);
    QVERIFY(a.ok() && b.ok());
    for (const char* key : {"bfp8_rand", "bfp4_rand", "bfp2_rand"}) {
        const auto& ya = a->find(key)->y;
        const auto& yb = b->find(key)->y;
        QCOMPARE(ya, yb);
        // ... and equals the format applied to x alone.
        const Format* f = findFormat(std::string(key).substr(0, 4));
        for (size_t i = 0; i < a->x.size(); ++i) {
            float y = 0;
            f->reference(&a->x[i], &y, 1, 1, QuantContext{}, FormatOptions{});
            QCOMPARE(ya[i], y);
        }
    }
}

void TestSynth::realFormatsHandValues()
{
    SynthParams p;
    p.xs = {0.0f, 0.5f, 0.6f, 0.8f, 1.0f};
    p.formats = choices({"mxfp4", "nvfp4"});
    auto c = makeSynthCurves(p);
    QVERIFY(c.ok());
    const auto& mx = c->find("mxfp4")->y;
    // MXFP4 FLOOR: x in [0.5, 1) -> scale 2^(-1-2) = 1/8; 0.6/0.125 = 4.8 -> 4 -> 0.5;
    // 0.8/0.125 = 6.4 -> clipped to 6 -> 0.75; x = 1 -> scale 1/4, 4 -> 1.
    QCOMPARE(mx[0], 0.0f);
    QCOMPARE(mx[1], 0.5f);
    QCOMPARE(mx[2], 0.5f);
    QCOMPARE(mx[3], 0.75f);
    QCOMPARE(mx[4], 1.0f);
    // NVFP4 with the per-tensor amax of the grid (1.0): g = 1/2688; block max x -> scale
    // e4m3(x/6 * 2688) * g; x = 1 -> 448 * g = 1/6 -> 6 * 1/6 = 1; x = 0.5 -> 224 -> 0.5.
    const auto& nv = c->find("nvfp4")->y;
    QCOMPARE(nv[0], 0.0f);
    QCOMPARE(nv[1], 0.5f);
    QCOMPARE(nv[4], 1.0f);
}

void TestSynth::csvLayout()
{
    SynthParams p;
    p.xs = {0.0f, 0.25f, 1.0f / 3.0f};
    p.formats = choices({"bf16", "bfp8"});
    auto c = makeSynthCurves(p);
    QVERIFY(c.ok());
    const std::string csv = synthCsv(*c);
    const QStringList lines = QString::fromStdString(csv).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 4);
    QCOMPARE(lines[0], QStringLiteral("x,IDEAL,BF16,BFP8 (ideal exp),BFP8 (rand16 exp)"));
    QCOMPARE(lines[1], QStringLiteral("0,0,0,0,0"));
    // %.9g round-trips float32: parse back and compare bits.
    const QStringList cells = lines[3].split(',');
    QCOMPARE(cells.size(), 5);
    QCOMPARE(float(cells[0].toDouble()), 1.0f / 3.0f);
    QCOMPARE(float(cells[2].toDouble()), c->find("bf16")->y[2]);
}

void TestSynth::rejectsBadSamples()
{
    SynthParams p;
    p.randSamples = 0;
    auto c = makeSynthCurves(p);
    QVERIFY(!c.ok());
    QVERIFY(c.error().message.find("--rand-samples") != std::string::npos);
}

QTEST_APPLESS_MAIN(TestSynth)
#include "test_synth.moc"
