// Memory-budget planner: the Lagrangian/greedy solver with repair against exact DP
// over bytes on random multiple-choice knapsacks, bound and budget properties, errors,
// and tile granularity from the per-tile sums.
#include "compression/planner.h"
#include "formats_under_test.h"

#include <QtTest>

#include <cmath>
#include <random>

using namespace qs;

namespace {

// Exact optimum by DP over integer bytes.
double exactOptimum(const std::vector<PlanItem>& items, int64_t budget)
{
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> dp(size_t(budget + 1), 0.0);  // dp[b]: min sse with bytes <= b
    for (const PlanItem& it : items) {
        std::vector<double> nd(dp.size(), inf);
        for (int64_t b = 0; b <= budget; ++b)
            for (const PlanOption& o : it.options) {
                const int64_t w = int64_t(o.bytes);
                if (w <= b && dp[size_t(b - w)] + o.sse < nd[size_t(b)]) nd[size_t(b)] = dp[size_t(b - w)] + o.sse;
            }
        dp.swap(nd);
    }
    return dp[size_t(budget)];
}

// Weight-like instance: tensor sizes vary, 4 formats (16/8/4/2 bits), error ~ 4^-bits
// with per-tensor sensitivity; some instances get random non-convex options.
std::vector<PlanItem> randomInstance(std::mt19937_64& rng, int n, bool wild)
{
    std::uniform_int_distribution<int> size(1, 12);
    std::lognormal_distribution<double> sens(0.0, 1.5);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const int bits[4] = {16, 8, 4, 2};
    std::vector<PlanItem> items(static_cast<size_t>(n));
    for (auto& it : items) {
        const int s = size(rng);
        const double k = sens(rng);
        for (int b : bits) {
            PlanOption o;
            o.bytes = double(s * b);
            o.sse = wild ? 1000.0 * u(rng) * (16 - b) : s * k * std::pow(4.0, -b) * 1e6 * (0.7 + 0.6 * u(rng));
            it.options.push_back(o);
        }
    }
    return items;
}

} // namespace

class TestPlanner : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void againstExactDp_data()
    {
        QTest::addColumn<bool>("wild");
        QTest::addColumn<int>("maxItems");
        // <= 40 tensors fit the solver's exact core (64 items); 300 exercise the
        // Lagrangian outside it
        QTest::newRow("weight-like") << false << 40;
        QTest::newRow("non-convex") << true << 40;
        QTest::newRow("weight-like 300") << false << 300;
        QTest::newRow("non-convex 300") << true << 300;
    }
    void againstExactDp()
    {
        QFETCH(bool, wild);
        QFETCH(int, maxItems);
        std::mt19937_64 rng(wild ? 7 : 11);
        const int trials = maxItems > 40 ? 12 : 200;
        double worst = 0;
        for (int trial = 0; trial < trials; ++trial) {
            const int n = maxItems > 40 ? maxItems : 5 + int(rng() % 36);  // 5..40 tensors
            const auto items = randomInstance(rng, n, wild);
            double minB = 0, maxB = 0;
            for (const auto& it : items) minB += it.options.back().bytes, maxB += it.options.front().bytes;
            const int64_t budget = int64_t(minB + (maxB - minB) * double(rng() % 1000) / 1000.0);
            auto r = solvePlan(items, double(budget));
            QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
            const double opt = exactOptimum(items, budget);
            QVERIFY(r->bytes <= double(budget));
            QVERIFY(r->lowerBound <= opt * (1 + 1e-12) + 1e-9);  // a true lower bound
            QVERIFY(r->sse >= opt * (1 - 1e-12) - 1e-9);
            // reported totals are those of the choice
            double b = 0, e = 0;
            for (size_t i = 0; i < items.size(); ++i) {
                b += items[i].options[size_t(r->choice[i])].bytes;
                e += items[i].options[size_t(r->choice[i])].sse;
            }
            QCOMPARE(r->bytes, b);
            QCOMPARE(r->sse, e);
            const double rel = opt > 0 ? (r->sse - opt) / opt : r->sse;
            worst = std::max(worst, rel);
            QVERIFY2(rel <= 0.005, qPrintable(QString("trial %1: %2 vs optimum %3").arg(trial).arg(r->sse).arg(opt)));
        }
        qInfo("worst relative excess over the exact optimum: %.4g %%", worst * 100);
    }

    void hand()
    {
        // two tensors; 8 bytes fit one upgrade: the one saving more per byte wins
        std::vector<PlanItem> items(2);
        items[0].options = {{4, 100}, {8, 10}};   // saves 90 for 4 bytes
        items[1].options = {{4, 50}, {8, 0}};     // saves 50 for 4 bytes
        auto r = solvePlan(items, 12);
        QVERIFY(r.ok());
        QCOMPARE(r->choice, (std::vector<int>{1, 0}));
        QCOMPARE(r->bytes, 12.0);
        QCOMPARE(r->sse, 60.0);
        QCOMPARE(r->lowerBound, 60.0);
        QCOMPARE(r->gap(), 0.0);
        // 10 bytes: LP takes half of the first upgrade (bound 100+50-45 = 105), the
        // integer answer keeps both at the smallest option
        auto h = solvePlan(items, 10);
        QVERIFY(h.ok());
        QCOMPARE(h->choice, (std::vector<int>{0, 0}));
        QCOMPARE(h->sse, 150.0);
        QCOMPARE(h->lowerBound, 105.0);
        QCOMPARE(h->gap(), 45.0 / 150.0);
        // everything fits: the most precise options, no gap
        auto all = solvePlan(items, 100);
        QVERIFY(all.ok());
        QCOMPARE(all->choice, (std::vector<int>{1, 1}));
        QCOMPARE(all->gap(), 0.0);
    }

    void dominatedAndNonHullOptions()
    {
        std::vector<PlanItem> items(1);
        // option 2 costs more than 1 with more error (dominated); option 1 lies above the
        // hull 0->3 but is the best that fits 6 bytes
        items[0].options = {{2, 100}, {6, 70}, {7, 80}, {10, 0}};
        auto r = solvePlan(items, 6);
        QVERIFY(r.ok());
        QCOMPARE(r->choice[0], 1);
        QCOMPARE(r->sse, 70.0);
        QCOMPARE(r->lowerBound, 50.0);  // LP: half of the 0 -> 3 hull step
    }

    void errors()
    {
        std::vector<PlanItem> items(2);
        items[0].options = {{4, 1}};
        items[1].options = {{5, 1}, {3, 2}};
        auto r = solvePlan(items, 6);
        QVERIFY(!r.ok());
        QCOMPARE(QString::fromStdString(r.error().message),
                 QString("planner: the budget of 6 bytes is below the smallest possible size (7 bytes)"));
        QCOMPARE(r.error().exitCode, 1);
        items[1].options.clear();
        auto e = solvePlan(items, 100);
        QVERIFY(!e.ok());
        QCOMPARE(QString::fromStdString(e.error().message), QString("planner: item 1 has no options"));
    }

    void budgets()
    {
        QCOMPARE(parseBudget("1000", 7).value(), 1000.0);
        QCOMPARE(parseBudget("512B", 7).value(), 512.0);
        QCOMPARE(parseBudget("1.5GB", 7).value(), 1.5e9);
        QCOMPARE(parseBudget("2 MB", 7).value(), 2e6);
        QCOMPARE(parseBudget("3KB", 7).value(), 3000.0);
        QCOMPARE(parseBudget("3KiB", 7).value(), 3072.0);
        QCOMPARE(parseBudget("2MiB", 7).value(), 2097152.0);
        QCOMPARE(parseBudget("1GiB", 7).value(), 1073741824.0);
        QCOMPARE(parseBudget("0.5bytes/param", 1000).value(), 500.0);
        for (const char* bad : {"", "GB", "-1GB", "1TB", "1 gb", "x"}) {
            auto r = parseBudget(bad, 7);
            QVERIFY2(!r.ok(), bad);
            QCOMPARE(r.error().exitCode, 1);
            QCOMPARE(QString::fromStdString(r.error().message),
                     QString("--budget: '%1' is not a size (expected a number with B, KB, MB, GB, KiB, MiB, GiB "
                             "or bytes/param; a bare number is bytes)").arg(bad));
        }
        QCOMPARE(budgetFromBits(4.5, 1000).value(), 562.5);
        QVERIFY(!budgetFromBits(0, 1000).ok());
    }

    void tileGranularity()
    {
        // 64x96 tensor, tiles of different scales: the planner's tile choice, applied,
        // has exactly the bytes and the Σd² that the per-tile sums give
        const std::vector<int64_t> shape{64, 96};
        std::vector<float> x(64 * 96);
        std::mt19937_64 rng(3);
        std::normal_distribution<float> nd(0.0f, 1.0f);
        for (size_t i = 0; i < x.size(); ++i) x[i] = nd(rng) * (1.0f + float((i % 96) / 32) * 10.0f);
        const auto formats = qstest::fmts({"bf16", "bfp8", "bfp4"});
        auto sums = computeTileSums(x.data(), shape, formats, FormatOptions{});
        QVERIFY(sums.ok());
        const auto items = tileItems(*sums);
        QCOMPARE(items.size(), size_t(6));
        const double smallest = 6 * 1024 * formats[2]->bytesPerElement();
        auto r = solvePlan(items, smallest + 2 * 1024 * (formats[0]->bytesPerElement() - formats[2]->bytesPerElement()));
        QVERIFY(r.ok());
        ErrorSums total;
        total.shift = sums->shift;
        double bytes = 0;
        for (size_t t = 0; t < items.size(); ++t) {
            total.merge(sums->at(size_t(r->choice[t]), int64_t(t)));
            bytes += 1024 * formats[size_t(r->choice[t])]->bytesPerElement();
        }
        QCOMPARE(r->bytes, bytes);
        QVERIFY(std::abs(r->sse - total.sdd) <= 1e-9 * total.sdd);
        QVERIFY(r->sse < sseOf(sums->formatTotal(2)));  // better than all-bfp4
        QVERIFY(r->sse > sseOf(sums->formatTotal(0)));  // cannot afford all-bf16
    }
};

QTEST_GUILESS_MAIN(TestPlanner)
#include "test_planner.moc"
