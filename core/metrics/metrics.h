#pragma once
// Error metrics between an fp32 view x and its reconstruction y (WQ.md §4), and the
// summary statistics of a tensor.
//
// One mechanism for every caller: ErrorSums holds shifted raw sums in double
// (u = x - shift, d = x - y): n, Σu, Σu², Σd, Σd², Σu·d, Σ|d|, max|d|. Sums are
// additive, so streaming code keeps one ErrorSums per fixed chunk and merges them in a
// fixed order (results never depend on the thread count), and the mixed-tile
// algorithms keep one per tile and format and add/subtract them to update a tensor's
// metrics incrementally. The shift (a value near the data, e.g. the tensor's first
// finite element or its mean) keeps a large mean from cancelling a small variance.
// Pairs where x or y is NaN/Inf are not accumulated; they are counted instead.
// Plain C++20: no Qt here.
#include "formats/format.h"

#include <cstdint>
#include <limits>
#include <string>

namespace qs {

struct ErrorSums {
    double shift = 0;      // subtracted from x (and y) before squaring; equal for merged sums
    int64_t n = 0;         // finite pairs accumulated
    double su = 0, suu = 0;        // Σu, Σu²   (u = x - shift)
    double sd = 0, sdd = 0;        // Σd, Σd²   (d = x - y)
    double sud = 0;                // Σu·d
    double sabs = 0;               // Σ|d|
    double maxAbs = 0;             // max |d|
    double sxx = 0;                // Σx² (unshifted: SQNR and rel_rmse)
    // Importance-weighted sums (issue #18), accumulated by addRangeWeighted only:
    // Σ v·x², Σ v·d² with v the per-element weight (the input channel's E[x²]).
    double swxx = 0, swdd = 0;
    bool weighted = false;         // the weighted sums were accumulated
    // Exact extremes, so "zero variance" is decided exactly (not from rounded sums).
    float minX = std::numeric_limits<float>::infinity(), maxX = -std::numeric_limits<float>::infinity();
    float minY = std::numeric_limits<float>::infinity(), maxY = -std::numeric_limits<float>::infinity();
    bool extremesKnown = true;     // false after subtract(): fall back to the sums
    int64_t nonFiniteX = 0;        // pairs skipped because x was NaN/Inf
    int64_t nonFiniteY = 0;        // pairs skipped because x was finite but y was NaN/Inf

    explicit ErrorSums(double shiftValue = 0) : shift(shiftValue) {}

    void add(float x, float y) { addRange(&x, &y, 1); }
    // Hot path: accumulates a contiguous run in a fixed order.
    void addRange(const float* x, const float* y, int64_t count);
    // The same pass with per-element weights w (finite pairs only; a NaN weight makes the
    // weighted sums NaN). The unweighted sums are bit-identical to addRange's, and with
    // w ≡ 1 swxx == sxx and swdd == sdd exactly (same lanes, same order).
    void addRangeWeighted(const float* x, const float* y, const float* w, int64_t count);
    void merge(const ErrorSums& other);     // other.shift must equal shift
    void subtract(const ErrorSums& other);  // inverse of merge for the additive parts

private:
    void addRangeImpl(const float* x, const float* y, const float* w, int64_t count);
};

// 10 log10(signal / noise): +inf for noise 0, -inf for signal 0 (noise > 0), NaN when
// either is NaN. relativeRms: sqrt(noise / signal) (0 for noise 0, +inf for signal 0).
double sqnrDb(double signal, double noise);
double relativeRms(double signal, double noise);

// When pairs exist but none is finite (an all-NaN/Inf input, or a format that turned
// every finite value into NaN/Inf), nothing can be measured: every metric is NaN ("n/a"),
// never the perfect-looking values of an empty set.
// PCC is undefined with fewer than 2 pairs or zero variance on either side: NaN ("n/a",
// left out of every mean). originalPcc() gives the original tool's rule for it (1.0
// when x == y, else 0.0), which the mixed-tile algorithms rank with and
// `--pcc-undefined original` prints.
struct Metrics {
    double pcc = 1.0;    // Pearson correlation; NaN when undefined (see above)
    double mae = 0.0;    // mean |x - y|
    double atol = 0.0;   // max |x - y|
    double rmse = 0.0;   // sqrt(mean (x - y)^2)
    double sqnrDb = 0.0; // 10 log10(Σx² / Σ(x-y)²); +inf when the reconstruction is exact
    double relRmse = 0.0;// sqrt(Σ(x-y)² / Σx²): the error as a share of the weights' RMS
    // Importance-weighted (issue #18; NaN when the sums were not weighted or an input
    // channel had no data): wsqnr = 10 log10(Σx²v / Σd²v), wrel = sqrt(Σd²v / Σx²v).
    double wsqnrDb = std::numeric_limits<double>::quiet_NaN();
    double wrel = std::numeric_limits<double>::quiet_NaN();
    // The raw squared errors behind them (the budget planner adds them over tensors):
    // Σd² and Σd²v, Σx²v (NaN when not weighted).
    double sse = 0.0;
    double wsse = std::numeric_limits<double>::quiet_NaN();
    double wssx = std::numeric_limits<double>::quiet_NaN();
    int64_t count = 0;   // finite pairs the metrics cover
    int64_t nonFiniteX = 0;
    int64_t nonFiniteY = 0;

    bool undefined() const { return count == 0 && nonFiniteX + nonFiniteY > 0; }
    // The original's value where PCC is undefined but pairs exist (exact -> 1, else 0).
    double originalPcc() const { return pcc == pcc || undefined() ? pcc : (atol == 0.0 ? 1.0 : 0.0); }
};

Metrics finish(const ErrorSums& s);

// The flag a result row carries: "[n/a: no finite pairs]", "[N -> NaN/Inf]" when the
// format turned N finite values into NaN/Inf, or "" for a clean row.
std::string nonFiniteFlag(const Metrics& m);

// One-shot helper: metrics of two equal-length arrays (single thread, shift = x[0]).
Metrics computeMetrics(const float* x, const float* y, int64_t count);

// Summary statistics of a tensor's fp32 view over its finite values.
struct Stats {
    int64_t count = 0;  // finite values
    int64_t nan = 0, posInf = 0, negInf = 0, zeros = 0;
    double min = 0, max = 0;
    double sum = 0;     // Σx in double (chunked, fixed order)
    double sumSq = 0;   // Σx² in double
    float absMax = 0;   // max |x| over finite values (QuantContext::absMax)

    void addRange(const float* x, int64_t count);
    void merge(const Stats& other);
    double mean() const { return count ? sum / double(count) : 0.0; }
    double stddev() const;  // population standard deviation
    int64_t nonFinite() const { return nan + posInf + negInf; }
    // The per-tensor facts the formats read (absMax, and whether a NaN / an Inf occurs).
    QuantContext context() const
    {
        QuantContext c;
        c.absMax = absMax;
        c.hasNan = nan > 0;
        c.hasInf = posInf + negInf > 0;
        return c;
    }
};

} // namespace qs
