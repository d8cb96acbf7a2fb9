// Sampled estimates: band selection is seeded and deterministic, and on a synthetic
// 8192x7168 tensor with strongly varying row scales the 95 % intervals of PCC and MAE at
// a 2 % sample cover the full-tensor value for at least 93 of 100 seeds.
#include "analysis/sampling.h"
#include "compression/tile_sums.h"
#include "formats/format.h"

#include <QtTest>

#include <cmath>
#include <random>

using namespace qs;

class TestAtlasSampling : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void bandSelection()
    {
        const auto a = sampleBands(256, 0.02, 7), b = sampleBands(256, 0.02, 7), c = sampleBands(256, 0.02, 8);
        QCOMPARE(a.size(), size_t(5));
        QCOMPARE(a, b);
        QVERIFY(a != c);
        QVERIFY(std::is_sorted(a.begin(), a.end()));
        QCOMPARE(sampleBands(256, 0.0001, 1).size(), size_t(2));  // at least two bands
        QCOMPARE(sampleBands(1, 0.5, 1), (std::vector<int64_t>{0}));
        QCOMPARE(sampleBands(10, 1.0, 1).size(), size_t(10));
    }

    void exactWhenEverythingSampled()
    {
        std::vector<ErrorSums> bands(3);
        const float x[] = {1, 2, 3, 4, 5, 6}, y[] = {1, 2.5f, 3, 4, 5, 7};
        for (int i = 0; i < 3; ++i) bands[size_t(i)].addRange(x + 2 * i, y + 2 * i, 2);
        const SampleEstimate e = estimateFromBands(bands, 3);
        QVERIFY(e.exact);
        QCOMPARE(e.mae.lo, e.mae.hi);
        QCOMPARE(e.metrics.mae, 1.5 / 6);
    }

    void coverage()
    {
        const int64_t rows = 8192, cols = 7168;
        std::vector<float> x(static_cast<size_t>(rows * cols));
        std::mt19937_64 rng(42);
        std::normal_distribution<float> nd(0.0f, 0.02f), ls(0.0f, 1.0f);
        for (int64_t r = 0; r < rows; ++r) {
            const float s = std::exp(ls(rng));  // strongly varying row scales (log-normal, sigma 1: x0.14 .. x7.4 at ±2 sigma)
            for (int64_t c = 0; c < cols; ++c) x[size_t(r * cols + c)] = nd(rng) * s;
        }
        const Format* f = findFormat("bfp4");
        QVERIFY(f);
        auto sums = computeTileSums(x.data(), {rows, cols}, {f}, FormatOptions{});
        QVERIFY(sums.ok());
        const int64_t tilesW = sums->grid.tilesW, bandsTotal = sums->grid.tilesH;
        QCOMPARE(bandsTotal, rows / kSampleBandRows);
        std::vector<ErrorSums> band(static_cast<size_t>(bandsTotal));
        for (int64_t b = 0; b < bandsTotal; ++b) {
            band[size_t(b)].shift = sums->shift;
            for (int64_t tw = 0; tw < tilesW; ++tw) band[size_t(b)].merge(sums->at(0, b * tilesW + tw));
        }
        const Metrics full = finish(sums->formatTotal(0));
        int pccIn = 0, maeIn = 0;
        for (uint64_t seed = 1; seed <= 100; ++seed) {
            std::vector<ErrorSums> picked;
            for (int64_t b : sampleBands(bandsTotal, 0.02, seed)) picked.push_back(band[size_t(b)]);
            const SampleEstimate e = estimateFromBands(picked, bandsTotal);
            QVERIFY(!e.exact);
            pccIn += e.pcc.lo <= full.pcc && full.pcc <= e.pcc.hi;
            maeIn += e.mae.lo <= full.mae && full.mae <= e.mae.hi;
        }
        qInfo("coverage at 2 %%: pcc %d/100, mae %d/100", pccIn, maeIn);
        QVERIFY(pccIn >= 93);
        QVERIFY(maeIn >= 93);
    }
};

QTEST_GUILESS_MAIN(TestAtlasSampling)
#include "test_atlas_sampling.moc"
