// Mixed-tile algorithms on synthetic tensors: tiling, tile sums, threshold (brute force),
// greedy properties, incremental metrics, random determinism, k-means, reconstruction.
#include "compression/mixed.h"
#include "compression/mixed_internal.h"
#include "formats_under_test.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace qs;
using qstest::fmt;
using qstest::fmts;

namespace {

// N(0, 0.02) with a log-normal scale per row (last axis) and a few x20 outlier columns.
std::vector<float> weightLike(const std::vector<int64_t>& shape, uint64_t seed)
{
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    const int64_t cols = shape.size() >= 2 ? shape.back() : std::max<int64_t>(n, 1);
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.02f), ls(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n));
    float scale = 1.0f;
    for (int64_t i = 0; i < n; ++i) {
        if (i % cols == 0) scale = std::exp(ls(rng));
        x[size_t(i)] = nd(rng) * scale * ((i % cols) % 37 == 5 ? 20.0f : 1.0f);
    }
    return x;
}

std::vector<const Format*> four() { return fmts({"bf16", "bfp8", "bfp4", "bfp2"}); }

MixedParams params(MixedAlgorithm a, MetricKind m, double thr, std::vector<const Format*> c)
{
    MixedParams p;
    p.algorithm = a;
    p.metric = m;
    p.threshold = thr;
    p.candidates = std::move(c);
    return p;
}

// Thresholds between the pure formats' tensor-level metrics, so decisions are mixed.
std::vector<std::pair<MetricKind, double>> interestingThresholds(const TileSums& s)
{
    const Metrics b8 = finish(s.formatTotal(1)), b4 = finish(s.formatTotal(2)), b2 = finish(s.formatTotal(3));
    return {{MetricKind::Pcc, 0.999},
            {MetricKind::Pcc, (b8.pcc + b4.pcc) / 2},
            {MetricKind::Pcc, (b4.pcc + b2.pcc) / 2},
            {MetricKind::Mae, std::sqrt(b8.mae * b4.mae)},
            {MetricKind::Mae, std::sqrt(b4.mae * b2.mae)},
            {MetricKind::Atol, std::sqrt(b8.atol * b4.atol)},
            {MetricKind::Atol, b2.atol * 0.999}};
}

bool relClose(double a, double b, double rel) { return std::fabs(a - b) <= rel * std::max({std::fabs(a), std::fabs(b), 1e-300}); }

} // namespace

class TestMixed : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tileGrid()
    {
        TileGrid g = makeTileGrid({});
        QCOMPARE(g.tilesH, 1); QCOMPARE(g.tilesW, 1); QCOMPARE(g.numel, 1);
        g = makeTileGrid({136});
        QCOMPARE(g.viewRows, 5); QCOMPARE(g.viewCols, 32); QCOMPARE(g.tilesH, 1); QCOMPARE(g.tilesW, 1);
        QCOMPARE(g.rowLength(4), 8); QCOMPARE(g.formatRows, 1); QCOMPARE(g.formatCols, 136);
        g = makeTileGrid({2, 40, 33});
        QCOMPARE(g.viewRows, 80); QCOMPARE(g.viewCols, 33); QCOMPARE(g.tilesH, 3); QCOMPARE(g.tilesW, 2);
        QCOMPARE(g.tileRows(2), 16); QCOMPARE(g.tileCols(1), 1);
        g = makeTileGrid({7168, 2048});
        QCOMPARE(g.tileCount(), 14336);
    }

    // Per-tile sums equal the sums of the quantized tensor cut into tiles, bit for bit,
    // and the pure-format totals give the whole tensor's metrics.
    void tileSumsMatchWholeTensor()
    {
        // {40, 40000} and {200000} are cut into column segments / bands (#16.9).
        for (const auto& shape : std::vector<std::vector<int64_t>>{{100, 70}, {300}, {3, 40, 33}, {}, {40, 40000}, {200000}}) {
            const auto x = weightLike(shape, 7);
            const auto c = four();
            auto sums = computeTileSums(x.data(), shape, c, {});
            QVERIFY(sums.ok());
            const TileGrid& g = sums->grid;
            for (size_t f = 0; f < c.size(); ++f) {
                std::vector<float> q(x.size());
                c[f]->fast(x.data(), q.data(), g.formatRows, g.formatCols, sums->ctx, {});
                const auto direct = pairTileSums(x.data(), q.data(), g, sums->shift);
                for (int64_t t = 0; t < g.tileCount(); ++t) {
                    QCOMPARE(direct[size_t(t)].n, sums->at(f, t).n);
                    QCOMPARE(direct[size_t(t)].sdd, sums->at(f, t).sdd);
                    QCOMPARE(direct[size_t(t)].maxAbs, sums->at(f, t).maxAbs);
                }
                const Metrics whole = computeMetrics(x.data(), q.data(), int64_t(x.size()));
                const Metrics tiled = finish(sums->formatTotal(f));
                QCOMPARE(tiled.count, int64_t(x.size()));
                QVERIFY(relClose(tiled.originalPcc(), whole.originalPcc(), 1e-12));
                QVERIFY(relClose(tiled.mae, whole.mae, 1e-12));
                QCOMPARE(tiled.atol, whole.atol);
            }
        }
    }

    // Threshold: every tile gets the cheapest candidate whose tile metric passes (brute
    // force over the candidates), else the most precise one.
    void thresholdIsPerTileCheapest()
    {
        const std::vector<int64_t> shape{200, 170};
        const auto x = weightLike(shape, 11);
        auto sums = computeTileSums(x.data(), shape, four(), {});
        QVERIFY(sums.ok());
        int mixedDecisions = 0;
        for (auto [metric, thr] : interestingThresholds(*sums)) {
            auto r = runMixedOnSums(*sums, params(MixedAlgorithm::Threshold, metric, thr, four()));
            QVERIFY(r.ok());
            for (int64_t t = 0; t < sums->grid.tileCount(); ++t) {
                int expect = 0;  // bf16, the most precise
                for (int f = 3; f >= 0; --f)
                    if (meetsThreshold(sums->tileMetrics(size_t(f), t), metric, thr)) { expect = f; break; }
                QCOMPARE(int(r->assignment[size_t(t)]), expect);
            }
            int used = 0;
            for (int64_t c : r->tileCounts) used += c > 0;
            mixedDecisions += used > 1;
        }
        QVERIFY(mixedDecisions >= 3);  // the thresholds really mix formats
    }

    // Greedy meets the threshold whenever all-most-precise does, and is never larger than
    // mixed-tile-threshold when that meets the tensor-level threshold.
    void greedyProperties_data()
    {
        QTest::addColumn<QList<qint64>>("shape");
        QTest::addColumn<bool>("kmeans");
        for (bool km : {false, true}) {
            const char* k = km ? "kmeans" : "single";
            QTest::addRow("200x170 %s", k) << QList<qint64>{200, 170} << km;
            QTest::addRow("64x512 %s", k) << QList<qint64>{64, 512} << km;
            QTest::addRow("1000 %s", k) << QList<qint64>{1000} << km;
            QTest::addRow("3x40x100 %s", k) << QList<qint64>{3, 40, 100} << km;
            QTest::addRow("33x31 %s", k) << QList<qint64>{33, 31} << km;
        }
    }
    void greedyProperties()
    {
        QFETCH(QList<qint64>, shape);
        QFETCH(bool, kmeans);
        const std::vector<int64_t> sh(shape.begin(), shape.end());
        int strictlySmaller = 0;
        const int64_t x0Tiles = makeTileGrid(sh).tileCount();
        for (uint64_t seed : {1u, 2u}) {
            const auto x = weightLike(sh, seed);
            auto sums = computeTileSums(x.data(), sh, four(), {});
            QVERIFY(sums.ok());
            for (auto [metric, thr] : interestingThresholds(*sums)) {
                auto gp = params(MixedAlgorithm::Greedy, metric, thr, four());
                gp.kmeans = kmeans;
                gp.k = 4;
                auto g = runMixedOnSums(*sums, gp);
                auto t = runMixedOnSums(*sums, params(MixedAlgorithm::Threshold, metric, thr, four()));
                QVERIFY(g.ok() && t.ok());
                QCOMPARE(g->metThreshold, g->preciseMeets);
                if (t->metThreshold) QVERIFY2(g->bytes <= t->bytes, qPrintable(QString("greedy %1 > threshold %2").arg(g->bytes).arg(t->bytes)));
                QVERIFY(g->bytes <= g->pureBytes[0]);
                strictlySmaller += t->metThreshold && g->bytes < t->bytes;
                // Nothing left to demote: no single tile of a single-tile run can move to a
                // cheaper format without breaking the threshold.
                if (!kmeans && g->metThreshold) {
                    detail::ChosenState st(*sums, g->assignment);
                    for (int64_t tile = 0; tile < sums->grid.tileCount(); ++tile)
                        for (int b = g->assignment[size_t(tile)] + 1; b < 4; ++b)
                            QVERIFY(!meetsThreshold(finish(st.afterTile(tile, g->assignment[size_t(tile)], b)), metric, thr));
                }
            }
        }
        qInfo("greedy strictly smaller than threshold in %d of 14 runs", strictlySmaller);
        if (x0Tiles >= 4) QVERIFY(strictlySmaller >= 4);  // greedy really optimises
    }

    void greedyFlagsWhenPreciseMisses()
    {
        const std::vector<int64_t> shape{64, 64};
        const auto x = weightLike(shape, 3);
        auto r = runMixed(x.data(), shape, params(MixedAlgorithm::Greedy, MetricKind::Pcc, 0.9999999999, fmts({"bfp8", "bfp4"})));
        QVERIFY(r.ok());
        QVERIFY(!r->metThreshold);
        QVERIFY(!r->preciseMeets);
        QCOMPARE(r->tileCounts[0], 4);
        QVERIFY(QString::fromStdString(r->note).contains("misses the threshold"));
    }

    // The incremental tensor-level sums equal a recomputation over the chosen tiles.
    void incrementalEqualsRecomputed()
    {
        const std::vector<int64_t> shape{300, 300};
        const auto x = weightLike(shape, 5);
        auto sums = computeTileSums(x.data(), shape, four(), {});
        QVERIFY(sums.ok());
        const int64_t T = sums->grid.tileCount();
        detail::ChosenState st(*sums, std::vector<int8_t>(size_t(T), 0));
        std::mt19937_64 rng(9);
        for (int step = 0; step < 2000; ++step) {
            const int64_t t = int64_t(rng() % uint64_t(T));
            const int b = int(rng() % 4);
            const int a = st.assignment()[size_t(t)];
            const Metrics predicted = finish(st.afterTile(t, a, b));
            st.apply({t}, b);
            ErrorSums fresh(sums->shift);
            for (int64_t u = 0; u < T; ++u) fresh.merge(sums->at(size_t(st.assignment()[size_t(u)]), u));
            const Metrics inc = finish(st.total()), rec = finish(fresh);
            QVERIFY(relClose(inc.pcc, rec.pcc, 1e-12));
            QVERIFY(relClose(inc.mae, rec.mae, 1e-12));
            QVERIFY(relClose(inc.rmse, rec.rmse, 1e-12));
            QCOMPARE(inc.atol, rec.atol);  // exact: the max is kept, not subtracted
            QVERIFY(relClose(predicted.pcc, rec.pcc, 1e-12));
            QCOMPARE(predicted.atol, rec.atol);
        }
        // Group moves (k-means path) predict the max exactly too, including the holder.
        std::vector<int64_t> group;
        ErrorSums removed(sums->shift), added(sums->shift);
        int64_t holder = 0;
        for (int64_t u = 0; u < T; ++u)
            if (sums->at(size_t(st.assignment()[size_t(u)]), u).maxAbs == finish(st.total()).atol) holder = u;
        for (int64_t u = 0; u < T; ++u)
            if (st.assignment()[size_t(u)] == st.assignment()[size_t(holder)] && (u % 3 == 0 || u == holder)) group.push_back(u);
        const int a = st.assignment()[size_t(holder)];
        const int b = a == 0 ? 1 : 0;
        for (int64_t u : group) { removed.merge(sums->at(size_t(a), u)); added.merge(sums->at(size_t(b), u)); }
        const Metrics pred = finish(st.after(group, a, removed, added, removed.maxAbs, added.maxAbs));
        st.apply(group, b);
        ErrorSums fresh(sums->shift);
        for (int64_t u = 0; u < T; ++u) fresh.merge(sums->at(size_t(st.assignment()[size_t(u)]), u));
        QCOMPARE(pred.atol, finish(fresh).atol);
        QVERIFY(relClose(pred.pcc, finish(fresh).pcc, 1e-12));
    }

    void randomIsDeterministic()
    {
        const std::vector<int64_t> shape{256, 256};
        const auto x = weightLike(shape, 4);
        auto p = params(MixedAlgorithm::Random, MetricKind::Pcc, 0.995, four());
        p.iters = 20;
        p.seed = 42;
        auto a = runMixed(x.data(), shape, p), b = runMixed(x.data(), shape, p);
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(a->assignment, b->assignment);
        QCOMPARE(int(a->samples.size()), 20);
        // The first sample is the seed's first 64 draws modulo 4, row-major.
        std::mt19937_64 rng(42);
        std::vector<int64_t> counts(4, 0);
        for (int t = 0; t < 64; ++t) ++counts[rng() % 4];
        QCOMPARE(a->samples[0].counts, counts);
        // The chosen sample is the smallest one that meets the threshold.
        double best = INFINITY;
        int64_t bestIdx = -1;
        for (size_t i = 0; i < a->samples.size(); ++i)
            if (a->samples[i].meets && a->samples[i].bytes < best) { best = a->samples[i].bytes; bestIdx = int64_t(i); }
        if (bestIdx >= 0) {
            QCOMPARE(a->chosenSample, bestIdx);
            QCOMPARE(a->bytes, best);
        }
        QCOMPARE(a->tileCounts, a->samples[size_t(a->chosenSample)].counts);
        p.seed = 43;
        auto c = runMixed(x.data(), shape, p);
        QVERIFY(c->assignment != a->assignment);
    }

    void kmeansGroups()
    {
        const std::vector<double> v{0.1, 0.11, 0.12, 0.5, 0.52, 0.9, 0.95, 1.0};
        QCOMPARE(detail::kmeans1d(v, 3), (std::vector<size_t>{0, 3, 5}));
        QCOMPARE(detail::kmeans1d(v, 1), (std::vector<size_t>{0}));
        QCOMPARE(detail::kmeans1d({1.0, 1.0, 1.0}, 5), (std::vector<size_t>{0}));
        QCOMPARE(detail::kmeans1d(v, 20).size(), size_t(8));
        QVERIFY(detail::kmeans1d({}, 3).empty());
    }

    // The MIXED tensor's per-tile sums are the sums the algorithm chose, bit for bit.
    void reconstructMatchesSums()
    {
        for (const auto& shape : std::vector<std::vector<int64_t>>{{130, 97}, {1000}, {2, 50, 64}}) {
            const auto x = weightLike(shape, 8);
            auto sums = computeTileSums(x.data(), shape, four(), {});
            QVERIFY(sums.ok());
            auto r = runMixedOnSums(*sums, params(MixedAlgorithm::Greedy, MetricKind::Pcc, 0.995, four()));
            QVERIFY(r.ok());
            auto y = reconstructMixed(x.data(), shape, r->assignment, four(), {});
            QVERIFY(y.ok());
            const auto got = pairTileSums(x.data(), y->data(), sums->grid, sums->shift);
            for (int64_t t = 0; t < sums->grid.tileCount(); ++t) {
                const ErrorSums& want = sums->at(size_t(r->assignment[size_t(t)]), t);
                QCOMPARE(got[size_t(t)].sdd, want.sdd);
                QCOMPARE(got[size_t(t)].sud, want.sud);
                QCOMPARE(got[size_t(t)].sabs, want.sabs);
                QCOMPARE(got[size_t(t)].maxAbs, want.maxAbs);
            }
            const Metrics m = computeMetrics(x.data(), y->data(), int64_t(x.size()));
            QVERIFY(relClose(m.pcc, r->metrics.pcc, 1e-12));
            QCOMPARE(m.atol, r->metrics.atol);
        }
    }

    // Extra tile formats, including NVFP4 whose per-tensor scale must come from the whole
    // tensor in both the sums and the reconstruction.
    void reconstructWithExtraTileFormats()
    {
        const auto c = fmts({"bf16", "bfp8", "nvfp4", "mxfp4", "bfp4", "bfp2", "fp0"});
        for (const auto& shape : std::vector<std::vector<int64_t>>{{96, 160}, {700}, {130, 9000}, {100001}}) {
            const auto x = weightLike(shape, 12);
            auto sums = computeTileSums(x.data(), shape, c, {});
            QVERIFY(sums.ok());
            auto p = params(MixedAlgorithm::Random, MetricKind::Pcc, 0.99, c);
            p.iters = 3;
            auto r = runMixedOnSums(*sums, p);
            QVERIFY(r.ok());
            auto y = reconstructMixed(x.data(), shape, r->assignment, c, {});
            QVERIFY(y.ok());
            const auto got = pairTileSums(x.data(), y->data(), sums->grid, sums->shift);
            for (int64_t t = 0; t < sums->grid.tileCount(); ++t) {
                QCOMPARE(got[size_t(t)].sdd, sums->at(size_t(r->assignment[size_t(t)]), t).sdd);
                QCOMPARE(got[size_t(t)].maxAbs, sums->at(size_t(r->assignment[size_t(t)]), t).maxAbs);
            }
            auto g = runMixedOnSums(*sums, params(MixedAlgorithm::Greedy, MetricKind::Pcc, 0.999, c));
            QVERIFY(g.ok() && g->metThreshold);
        }
    }

    // #16.9: every chunk of the tile plan is bounded whatever the shape (a band of tile
    // rows is cut into column segments of whole tiles and whole format blocks), and the
    // plan covers every tile exactly once.
    void tilePlanIsBoundedForAnyShape()
    {
        const auto c = fmts({"bf16", "bfp8", "nvfp4", "mxfp4", "fp8_e4m3"});
        for (const auto& shape : std::vector<std::vector<int64_t>>{
                 {1, int64_t(1) << 26}, {16, int64_t(1) << 22}, {8192, 8192}, {int64_t(1) << 26}, {3, 5, 1 << 20}, {7, 33}}) {
            const TileGrid g = makeTileGrid(shape);
            const std::vector<TileChunk> plan = planTileChunks(g, c);
            QVERIFY2(maxBlockElems(g, plan) <= (int64_t(1) << 20), qPrintable(QString::number(maxBlockElems(g, plan))));
            std::vector<int> seen(size_t(g.tileCount()), 0);
            for (const TileChunk& ch : plan) {
                QVERIFY(ch.tw0 * kTileSize % 128 == 0);  // whole 128-wide FP8 blocks
                QVERIFY(ch.th0 * kTileSize % 128 == 0 || !g.sameAsFormatView());
                for (int64_t th = ch.th0; th < ch.th1; ++th)
                    for (int64_t tw = ch.tw0; tw < ch.tw1; ++tw) ++seen[size_t(th * g.tilesW + tw)];
            }
            QVERIFY(std::all_of(seen.begin(), seen.end(), [](int v) { return v == 1; }));
        }
    }

    // Column segments keep 2-D blocks whole: FP8 with 128x128 scaling and NVFP4 on a
    // tensor whose bands are segmented give the whole-tensor values.
    void segmentedTilesKeepTwoDimensionalBlocks()
    {
        FormatOptions opt;
        opt.fp8Scaling = Fp8Scaling::Block128;
        opt.nv2dBlocks = true;
        const auto c = fmts({"fp8_e4m3", "nvfp4"});
        const std::vector<int64_t> shape{200, 8320};
        const auto x = weightLike(shape, 5);
        auto sums = computeTileSums(x.data(), shape, c, opt);
        QVERIFY(sums.ok());
        QVERIFY(planTileChunks(sums->grid, c).size() > size_t(sums->grid.tilesH / 4 + 1));  // really segmented
        for (size_t f = 0; f < c.size(); ++f) {
            std::vector<float> q(x.size());
            c[f]->reference(x.data(), q.data(), 200, 8320, sums->ctx, opt);
            const auto direct = pairTileSums(x.data(), q.data(), sums->grid, sums->shift);
            for (int64_t t = 0; t < sums->grid.tileCount(); ++t) {
                QCOMPARE(direct[size_t(t)].sdd, sums->at(f, t).sdd);
                QCOMPARE(direct[size_t(t)].maxAbs, sums->at(f, t).maxAbs);
            }
        }
    }

    void reconstructKeepsUnassignedAndRejectsBadInput()
    {
        const std::vector<int64_t> shape{40, 40};
        const auto x = weightLike(shape, 2);
        auto y = reconstructMixed(x.data(), shape, {-1, 1, 1, -1}, four(), {});
        QVERIFY(y.ok());
        QCOMPARE((*y)[0], x[0]);          // tile (0,0) kept
        QVERIFY((*y)[33] != x[33] || x[33] == 0);  // tile (0,1) bfp8
        auto bad = reconstructMixed(x.data(), shape, {0, 0, 0}, four(), {});
        QVERIFY(!bad.ok());
        QCOMPARE(QString::fromStdString(bad.error().message), QString("assignment has 3 tiles, the tensor has 2 x 2 = 4"));
        bad = reconstructMixed(x.data(), shape, {0, 0, 4, 0}, four(), {});
        QCOMPARE(QString::fromStdString(bad.error().message), QString("assignment: tile 2 has code 4, expected -1..3"));
    }

    void paramValidation()
    {
        auto p = params(MixedAlgorithm::Greedy, MetricKind::Pcc, 0.999, {});
        QCOMPARE(QString::fromStdString(validateMixedParams(p).error().message), QString("formats: no tile format to choose from"));
        p.candidates = four();
        p.k = 0;
        QCOMPARE(QString::fromStdString(validateMixedParams(p).error().message), QString("k: expected an integer >= 1, got 0"));
        p.k = 1;
        p.iters = 0;
        QCOMPARE(QString::fromStdString(validateMixedParams(p).error().message), QString("iters: expected an integer >= 1, got 0"));
        p.iters = 1;
        p.threshold = NAN;
        QCOMPARE(QString::fromStdString(validateMixedParams(p).error().message), QString("threshold: expected a finite number"));
        p.threshold = 0.9;
        p.candidates = fmts({"bf16", "bf16"});
        QCOMPARE(QString::fromStdString(validateMixedParams(p).error().message), QString("formats: bf16 listed twice"));
    }

    void bytesCountWholeTiles()
    {
        // 33x31 -> 2x1 tiles; all bfp8 = 2 * 1024 * 1.0625.
        const std::vector<int64_t> shape{33, 31};
        const auto x = weightLike(shape, 1);
        auto r = runMixed(x.data(), shape, params(MixedAlgorithm::Threshold, MetricKind::Pcc, -1.0, fmts({"bfp8", "bf16"})));
        QVERIFY(r.ok());
        QCOMPARE(r->tileCounts, (std::vector<int64_t>{2, 0}));
        QCOMPARE(r->bytes, 2 * 1024 * 1.0625);
        QCOMPARE(r->pureBytes[1], 2 * 1024 * 2.0);
        // Integer formats: group scales are in bitsPerElement; int8's per-row bf16 scale is
        // held once per real row (33 rows x 2 bytes), not per padded tile row.
        QCOMPARE(deviceBytes(*findFormat("int4_g32_asym"), shape), 2 * 1024 * 4.625 / 8);
        QCOMPARE(deviceBytes(*findFormat("int8"), shape), 2 * 1024 * 1.0 + 33 * 2.0);
        QCOMPARE(deviceBytes(*findFormat("int8"), {4, 100, 64}), 13 * 2 * 1024 * 1.0 + 400 * 2.0);  // view [400, 64]
    }
};

QTEST_GUILESS_MAIN(TestMixed)
#include "test_mixed.moc"
