// Mixed-tile algorithms with the importance-weighted metrics (issue #18): per-tile
// weighted sums (a tile's importance is its 32 input columns' E[x²]), wsqnr / wrel
// thresholds, and a generated tensor where importance changes the plan.
#include "compression/mixed.h"
#include "compression/tile_sums.h"
#include "formats_under_test.h"

#include <QtTest>

#include <cmath>
#include <random>

using namespace qs;
using qstest::fmts;

namespace {

constexpr int64_t kRows = 128, kCols = 256;  // 4 x 8 tiles

std::vector<float> gaussian(uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    std::vector<float> x(size_t(kRows * kCols));
    for (float& v : x) v = nd(rng);
    return x;
}

// Input channels 64..95 (tile column 2) carry 1000x the energy of the rest, as the few
// hot channels of an LLM's activations do.
InputWeights hotColumns()
{
    InputWeights w;
    w.nIn = kCols;
    w.rowsPerMatrix = kRows;
    w.v.assign(size_t(kCols), 1.0f);
    for (int64_t c = 64; c < 96; ++c) w.v[size_t(c)] = 1000.0f;
    return w;
}

MixedParams greedy(MetricKind m, double thr)
{
    MixedParams p;
    p.algorithm = MixedAlgorithm::Greedy;
    p.metric = m;
    p.threshold = thr;
    p.candidates = fmts({"bf16", "bfp8", "bfp4", "bfp2"});
    return p;
}

} // namespace

class TestMixedWeighted : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tileSumsCarryTheTilesWeights()
    {
        const std::vector<float> x = gaussian(3);
        const InputWeights w = hotColumns();
        auto ts = computeTileSums(x.data(), {kRows, kCols}, fmts({"bfp4"}), FormatOptions{}, nullptr, &w);
        QVERIFY(bool(ts));
        // Tile (1, 2) covers the hot columns: Σx²v = 1000 Σx², elsewhere Σx²v = Σx².
        for (int64_t tw = 0; tw < 8; ++tw) {
            const ErrorSums& s = ts->at(0, 1 * 8 + tw);
            QVERIFY(s.weighted);
            const double ratio = s.swxx / s.sxx;
            QVERIFY2(std::fabs(ratio - (tw == 2 ? 1000.0 : 1.0)) < 1e-9, qPrintable(QString::number(ratio)));
            QVERIFY(std::fabs(s.swdd / s.sdd - (tw == 2 ? 1000.0 : 1.0)) < 1e-9);
        }
        // The tensor-level weighted metric of the pure format equals a direct computation.
        const Metrics m = finish(ts->formatTotal(0));
        QVERIFY(std::isfinite(m.wrel) && m.wrel > 0);
        QCOMPARE(m.wsqnrDb, 10.0 * std::log10(1.0 / (m.wrel * m.wrel)));
    }

    void importanceChangesThePlan()
    {
        // The same tensor and the same threshold on the output error: with uniform weights
        // (wrel = rel_rmse) greedy spreads the cheap formats evenly; with the hot channels it
        // keeps the hot tile column precise and demotes the rest further.
        const std::vector<float> x = gaussian(5);
        const InputWeights hot = hotColumns();
        const InputWeights flat = InputWeights::uniform(kCols, kRows);
        const MixedParams p = greedy(MetricKind::Wrel, 0.05);  // 5 % of the weighted RMS
        auto withFlat = runMixed(x.data(), {kRows, kCols}, p, nullptr, &flat);
        auto withHot = runMixed(x.data(), {kRows, kCols}, p, nullptr, &hot);
        QVERIFY(withFlat && withHot);
        QVERIFY(withFlat->metThreshold && withHot->metThreshold);
        QVERIFY(withFlat->metrics.wrel <= 0.05 && withHot->metrics.wrel <= 0.05);
        QVERIFY(withFlat->assignment != withHot->assignment);
        // Bits per tile (lower code = more precise in this candidate order).
        auto bitsOf = [&](const MixedResult& r, int64_t tw) {
            double bits = 0;
            for (int64_t th = 0; th < 4; ++th) bits += p.candidates[size_t(r.assignment[size_t(th * 8 + tw)])]->bitsPerElement;
            return bits / 4;
        };
        double hotOthers = 0;
        for (int64_t tw = 0; tw < 8; ++tw)
            if (tw != 2) hotOthers += bitsOf(*withHot, tw) / 7;
        QVERIFY2(bitsOf(*withHot, 2) > hotOthers,
                 qPrintable(QString("hot column %1 bits, others %2").arg(bitsOf(*withHot, 2)).arg(hotOthers)));
        // Uniform weights: wrel is rel_rmse exactly, and the plan is the rel_rmse plan.
        QCOMPARE(withFlat->metrics.wrel, withFlat->metrics.relRmse);
    }

    void wsqnrThresholdIsTheWrelThreshold()
    {
        // wsqnr >= T dB is wrel <= 10^(-T/20): the same plan either way.
        const std::vector<float> x = gaussian(9);
        const InputWeights hot = hotColumns();
        auto a = runMixed(x.data(), {kRows, kCols}, greedy(MetricKind::Wsqnr, 26.0), nullptr, &hot);
        auto b = runMixed(x.data(), {kRows, kCols}, greedy(MetricKind::Wrel, std::pow(10.0, -26.0 / 20.0)), nullptr, &hot);
        QVERIFY(a && b);
        QCOMPARE(a->assignment, b->assignment);
        QVERIFY(a->metThreshold);
        QVERIFY(a->metrics.wsqnrDb >= 26.0);
        // Threshold algorithm: every tile meets it on its own.
        MixedParams t = greedy(MetricKind::Wsqnr, 26.0);
        t.algorithm = MixedAlgorithm::Threshold;
        auto th = runMixed(x.data(), {kRows, kCols}, t, nullptr, &hot);
        QVERIFY(th);
        auto sums = computeTileSums(x.data(), {kRows, kCols}, t.candidates, FormatOptions{}, nullptr, &hot);
        for (int64_t tile = 0; tile < 32; ++tile)
            QVERIFY(sums->tileMetrics(size_t(th->assignment[size_t(tile)]), tile).wsqnrDb >= 26.0);
    }

    void metricNames()
    {
        MetricKind k;
        QVERIFY(parseMetric("WSQNR", k) && k == MetricKind::Wsqnr);
        QVERIFY(parseMetric("wrel", k) && k == MetricKind::Wrel);
        QVERIFY(higherIsBetter(MetricKind::Wsqnr) && !higherIsBetter(MetricKind::Wrel));
        QVERIFY(isWeighted(MetricKind::Wrel) && !isWeighted(MetricKind::Pcc));
    }
};

QTEST_APPLESS_MAIN(TestMixedWeighted)
#include "test_mixed_weighted.moc"
