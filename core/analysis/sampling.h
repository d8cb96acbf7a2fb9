#pragma once
// Sampled estimates (issue #11, `--sample F --seed N`): a seeded random subset of 32-row
// bands of a tensor, and the whole-tensor metrics estimated from the per-band error sums
// with 95 % confidence intervals. Estimator: the metrics of the merged sampled sums
// (a ratio estimator: MAE = Σ|d| / n, PCC and SQNR from the pooled moments); interval:
// delete-one-band jackknife standard error with the finite-population correction
// (1 - m/M), times the Student t quantile for m - 1 degrees of freedom. Plain C++20.
// Never fails: fewer than 2 sampled bands give a zero-width interval marked exact only
// when every band was sampled.
#include "metrics/metrics.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qs {

inline constexpr uint64_t kDefaultSampleSeed = 20240611;  // --seed default (README)
inline constexpr int64_t kSampleBandRows = 32;

// --sample F --seed N: the fraction of each tensor's 32-row bands analysed, and the seed.
struct SampleSpec {
    double fraction = 1.0;
    uint64_t seed = kDefaultSampleSeed;
};

// The seed of one tensor's band draw: the run's seed mixed with the tensor's name
// (FNV-1a 64, then splitmix64), so a tensor's bands depend only on the seed and its
// name, never on the selection, the order or the shard.
uint64_t tensorSampleSeed(uint64_t seed, const std::string& tensorName);

// Sorted band indices in [0, bands): round(fraction * bands) of them, at least 2 (or all
// when bands < 2), chosen by a seeded partial Fisher-Yates shuffle (std::mt19937_64).
std::vector<int64_t> sampleBands(int64_t bands, double fraction, uint64_t seed);

struct Interval {
    double value = 0, lo = 0, hi = 0;
};

struct SampleEstimate {
    Metrics metrics;          // point estimate (metrics of the merged sampled sums)
    Interval pcc, mae, sqnrDb;
    int64_t sampledBands = 0, totalBands = 0;
    bool exact = false;       // every band sampled: the value is the full one
};

// bandSums: the ErrorSums of each sampled band (same shift); totalBands: M.
SampleEstimate estimateFromBands(const std::vector<ErrorSums>& bandSums, int64_t totalBands);

} // namespace qs
