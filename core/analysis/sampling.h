#pragma once
// Sampled estimates (issue #11, `--sample F --seed N`): a seeded random subset of 32-row
// bands of a tensor, and the whole-tensor metrics estimated from the per-band error sums
// with 95 % confidence intervals. Estimator: the metrics of the merged sampled sums
// (a ratio estimator: MAE = Σ|d| / n, PCC and SQNR from the pooled moments); interval:
// delete-one-band jackknife standard error with the finite-population correction
// (1 - m/M), times the Student t quantile for m - 1 degrees of freedom. Plain C++20.
// Allocation: every band of every tensor is drawn with the same probability F (randomized
// rounding of F x bands per tensor, see sampleBands), so a tensor may get no band at all;
// estimates of a group of tensors (an atlas cell) pool the bands of all its members
// (estimateFromBands over the concatenated bands, M = the group's total bands).
// Never fails: no band gives NaN metrics (not sampled); one band a point estimate with a
// NaN interval (not computable); every band sampled is marked exact.
#include "metrics/metrics.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace qs {

inline constexpr uint64_t kDefaultSampleSeed = 20240611;  // --seed default (README)
inline constexpr int64_t kSampleBandRows = 32;
// The bands of a tensor of `rows` rows of its 2-D view (the last may be shorter).
constexpr int64_t bandCount(int64_t rows) { return (rows + kSampleBandRows - 1) / kSampleBandRows; }

// --sample F --seed N: the fraction of each tensor's 32-row bands analysed, and the seed.
struct SampleSpec {
    double fraction = 1.0;
    uint64_t seed = kDefaultSampleSeed;
};

// The seed of one tensor's band draw: the run's seed mixed with the tensor's name
// (FNV-1a 64, then splitmix64), so a tensor's bands depend only on the seed and its
// name, never on the selection, the order or the shard.
uint64_t tensorSampleSeed(uint64_t seed, const std::string& tensorName);

// How many of a tensor's `bands` bands a sample of `fraction` reads: randomized rounding,
// m = floor(F x M) + (u < frac(F x M)) with u uniform in [0, 1) from the seed, so
// E[m] = F x M exactly and every band's inclusion probability is F (a tensor of fewer
// than 1/F bands gets 0 or 1). F >= 1: all of them. A pure function of (bands, F, seed).
int64_t sampleBandCount(int64_t bands, double fraction, uint64_t seed);

// Sorted band indices in [0, bands): sampleBandCount of them, chosen by a seeded partial
// Fisher-Yates shuffle (std::mt19937_64) — may be empty.
std::vector<int64_t> sampleBands(int64_t bands, double fraction, uint64_t seed);

// The same sums about another shift (u = x - shift): bands of different tensors pooled.
ErrorSums withShift(const ErrorSums& s, double shift);

struct Interval {
    double value = 0, lo = 0, hi = 0;
    // false for an undefined metric or a point estimate from one band (NaN ends)
    bool bounded() const { return !std::isnan(value) && !std::isnan(lo) && !std::isnan(hi); }
};

struct SampleEstimate {
    Metrics metrics;          // point estimate (metrics of the merged sampled sums)
    Interval pcc, mae, sqnrDb;
    int64_t sampledBands = 0, totalBands = 0;
    bool exact = false;       // every band sampled: the value is the full one
    // The sampled bands' sums (same shift; wq keeps them so atlas cells and the planner
    // can pool the bands of several tensors). Empty for tensors read whole (1-D).
    std::vector<ErrorSums> bands;

    // --sample drew none of the tensor's bands: nothing was read, every metric is NaN.
    bool notSampled() const { return sampledBands == 0 && totalBands > 0; }
    // The estimate rests on bands (a rank >= 2 tensor under --sample), so groups of
    // tensors pool them; false for a tensor read whole (1-D) or a row from an older
    // results.json without band sums.
    bool banded() const { return !bands.empty() || notSampled(); }
};

// Every metric NaN (count 0): the metrics of a tensor of which nothing was read.
Metrics unmeasuredMetrics();

// bandSums: the ErrorSums of each sampled band (same shift); totalBands: M. No band:
// metrics NaN (count 0); one band (or a NaN leave-one-out value): interval sides NaN.
SampleEstimate estimateFromBands(const std::vector<ErrorSums>& bandSums, int64_t totalBands);

// One band's sums as 20 numbers and back (results.json "band_sums", so `merge` pools the
// bands of an atlas cell as the single run did): shift, n, Σu, Σu², Σd, Σd², Σud, Σ|d|,
// max|d|, Σx², Σvx², Σvd², weighted, min x, max x, min y, max y, extremes known, non-finite
// x, non-finite y. A writer stores NaN/±Inf as null and a reader gives null back as NaN;
// unpackSums turns a NaN extreme into the empty default (±Inf). Exact round trip.
constexpr size_t kPackedSums = 20;
std::array<double, kPackedSums> packSums(const ErrorSums& s);
ErrorSums unpackSums(const std::array<double, kPackedSums>& v);

} // namespace qs
