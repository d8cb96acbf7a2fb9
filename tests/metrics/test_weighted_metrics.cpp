// Importance-weighted metrics (issue #18): wsqnr = 10 log10(Σx²v / Σd²v) and
// wrel = sqrt(Σd²v / Σx²v), accumulated in the same pass as the other sums; rel_rmse =
// sqrt(Σd² / Σx²) on every row. Values derived by hand, against a float64 reference,
// and the v ≡ 1 identities (exact, bit for bit).
#include "metrics/input_weights.h"
#include "metrics/metrics.h"

#include <QtTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace qs;

namespace {

bool sameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

} // namespace

class TestWeightedMetrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void handExample()
    {
        // x = [[1, 2], [3, 4]], y = [[1, 2], [2, 4]]: one error of 1 at (1, 0).
        // Column importance v = [4, 1]: Σx²v = 4·1 + 1·4 + 4·9 + 1·16 = 60, Σd²v = 4·1 = 4.
        const float x[] = {1, 2, 3, 4}, y[] = {1, 2, 2, 4}, w[] = {4, 1, 4, 1};
        ErrorSums s(0.0);
        s.addRangeWeighted(x, y, w, 4);
        QCOMPARE(s.swxx, 60.0);
        QCOMPARE(s.swdd, 4.0);
        const Metrics m = finish(s);
        QCOMPARE(m.wrel, std::sqrt(4.0 / 60.0));          // 25.8 % of the weighted RMS
        QCOMPARE(m.wsqnrDb, 10.0 * std::log10(15.0));     // 11.76 dB
        // Unweighted: Σx² = 30, Σd² = 1.
        QCOMPARE(m.relRmse, std::sqrt(1.0 / 30.0));
        QCOMPARE(m.sqnrDb, 10.0 * std::log10(30.0));
        // The same error in the unimportant column weighs 4x less.
        const float y2[] = {1, 2, 3, 3};
        ErrorSums s2(0.0);
        s2.addRangeWeighted(x, y2, w, 4);
        QCOMPARE(finish(s2).wrel, std::sqrt(1.0 / 60.0));
        QCOMPARE(finish(s2).relRmse, std::sqrt(1.0 / 30.0));  // unweighted: the same error
    }

    void unitWeightsAreTheUnweightedMetricsExactly()
    {
        // v ≡ 1: the same lanes and order, so wsqnr == sqnr_db and wrel == rel_rmse bit for
        // bit; the unweighted sums are identical to addRange's, NaN/Inf blocks included.
        std::mt19937 rng(7);
        std::normal_distribution<float> g(0.3f, 2.0f);
        for (int64_t n : {int64_t(0), int64_t(1), int64_t(7), int64_t(4096), int64_t(4097), int64_t(100003)}) {
            std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n)), ones(static_cast<size_t>(n), 1.0f);
            for (int64_t i = 0; i < n; ++i) {
                x[size_t(i)] = g(rng);
                y[size_t(i)] = x[size_t(i)] + 0.01f * g(rng);
            }
            if (n > 5000) {  // a NaN input and an Inf output take the slow path of their blocks
                x[10] = std::numeric_limits<float>::quiet_NaN();
                y[5000] = std::numeric_limits<float>::infinity();
            }
            ErrorSums a(0.25), b(0.25);
            a.addRange(x.data(), y.data(), n);
            b.addRangeWeighted(x.data(), y.data(), ones.data(), n);
            QVERIFY(sameBits(a.sdd, b.sdd) && sameBits(a.sxx, b.sxx) && sameBits(a.su, b.su) && sameBits(a.sud, b.sud));
            QCOMPARE(a.n, b.n);
            QCOMPARE(a.nonFiniteX, b.nonFiniteX);
            QVERIFY(sameBits(b.swxx, b.sxx));
            QVERIFY(sameBits(b.swdd, b.sdd));
            const Metrics ma = finish(a), mb = finish(b);
            QVERIFY(std::isnan(ma.wsqnrDb) && std::isnan(ma.wrel));  // not weighted: n/a
            QVERIFY2(sameBits(mb.wsqnrDb, mb.sqnrDb), qPrintable(QString::number(n)));
            QVERIFY(sameBits(mb.wrel, mb.relRmse));
            QVERIFY(sameBits(ma.sqnrDb, mb.sqnrDb) && sameBits(ma.relRmse, mb.relRmse) && sameBits(ma.pcc, mb.pcc));
        }
    }

    void float64Reference()
    {
        // Random weights spanning 4 decades, against a straightforward long double sum.
        std::mt19937 rng(11);
        std::normal_distribution<float> g(0.0f, 1.0f);
        std::uniform_real_distribution<float> e(-2.0f, 2.0f);
        const int64_t n = 50000;
        std::vector<float> x(n), y(n), w(n);
        long double wxx = 0, wdd = 0, xx = 0, dd = 0;
        for (int64_t i = 0; i < n; ++i) {
            x[size_t(i)] = g(rng);
            y[size_t(i)] = std::nearbyint(x[size_t(i)] * 8.0f) / 8.0f;  // a coarse grid
            w[size_t(i)] = std::pow(10.0f, e(rng));
            const long double d = (long double)x[size_t(i)] - y[size_t(i)];
            wxx += (long double)w[size_t(i)] * x[size_t(i)] * x[size_t(i)];
            wdd += (long double)w[size_t(i)] * d * d;
            xx += (long double)x[size_t(i)] * x[size_t(i)];
            dd += d * d;
        }
        ErrorSums s(0.0);
        s.addRangeWeighted(x.data(), y.data(), w.data(), n);
        const Metrics m = finish(s);
        QVERIFY(std::fabs(m.wrel / double(std::sqrt(wdd / wxx)) - 1.0) < 1e-12);
        QVERIFY(std::fabs(m.wsqnrDb - double(10.0L * std::log10(wxx / wdd))) < 1e-10);
        QVERIFY(std::fabs(m.relRmse / double(std::sqrt(dd / xx)) - 1.0) < 1e-12);
    }

    void mergeAndSubtractCarryTheWeightedSums()
    {
        const float x[] = {1, -2, 3, 0.5f}, y[] = {1.5f, -2, 2, 0.5f}, w[] = {2, 3, 0.5f, 7};
        ErrorSums a(0.0), b(0.0), all(0.0);
        a.addRangeWeighted(x, y, w, 2);
        b.addRangeWeighted(x + 2, y + 2, w + 2, 2);
        all.addRangeWeighted(x, y, w, 4);
        ErrorSums m = a;
        m.merge(b);
        QCOMPARE(m.swxx, all.swxx);
        QCOMPARE(m.swdd, all.swdd);
        QVERIFY(m.weighted);
        m.subtract(b);
        QCOMPARE(m.swxx, a.swxx);
        QCOMPARE(m.swdd, a.swdd);
    }

    void missingDataIsNotANumber()
    {
        // A matrix without calibration data carries NaN weights: the weighted metrics are
        // n/a, never computed from ones or zeros; the unweighted ones are unaffected.
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const float x[] = {1, 2, 3, 4}, y[] = {1, 2, 2, 4}, w[] = {1, 1, nan, nan};
        ErrorSums s(0.0);
        s.addRangeWeighted(x, y, w, 4);
        const Metrics m = finish(s);
        QVERIFY(std::isnan(m.wsqnrDb));
        QVERIFY(std::isnan(m.wrel));
        QCOMPARE(m.relRmse, std::sqrt(1.0 / 30.0));
        QCOMPARE(m.count, int64_t(4));
    }

    void exactAndZeroSignal()
    {
        const float x[] = {1, 2}, w[] = {1, 3}, zero[] = {0, 0};
        ErrorSums s(0.0);
        s.addRangeWeighted(x, x, w, 2);  // exact reconstruction
        Metrics m = finish(s);
        QVERIFY(std::isinf(m.wsqnrDb) && m.wsqnrDb > 0);
        QCOMPARE(m.wrel, 0.0);
        QCOMPARE(m.relRmse, 0.0);
        ErrorSums z(0.0);
        z.addRangeWeighted(zero, x, w, 2);  // all-zero weights tensor quantized to non-zero
        m = finish(z);
        QVERIFY(std::isinf(m.wsqnrDb) && m.wsqnrDb < 0);
        QVERIFY(std::isinf(m.wrel));
    }

    void inputWeightsFill()
    {
        // Columns mode: a stacked [2 experts, 2 out, 3 in] tensor, rows 0-1 expert 0.
        InputWeights c;
        c.nIn = 3;
        c.rowsPerMatrix = 2;
        c.v = {1, 2, 3, 10, 20, 30};
        float out[8];
        c.fill(1, 3, 1, 3, out);  // rows 1..2, columns 1..2
        const float expect[] = {2, 3, 20, 30};
        QVERIFY(std::memcmp(out, expect, sizeof expect) == 0);
        // Rows mode: gpt-oss [2 experts, 3 in, out]: row r weighs v[r].
        InputWeights r;
        r.alongRows = true;
        r.nIn = 3;
        r.v = {1, 2, 3, 10, 20, 30};
        r.fill(2, 4, 0, 2, out);
        const float expectRows[] = {3, 3, 10, 10};
        QVERIFY(std::memcmp(out, expectRows, sizeof expectRows) == 0);
    }
};

QTEST_APPLESS_MAIN(TestWeightedMetrics)
#include "test_weighted_metrics.moc"
