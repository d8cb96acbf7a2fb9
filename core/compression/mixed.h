#pragma once
// Mixed-tile compression (WQ.md §5): assign one candidate format per 32x32 tile of a
// tensor's tile view (compression/tiling.h) so that the tensor is small and its error
// metric meets a threshold.
//
// * Threshold — per tile independently, the cheapest candidate whose per-tile metric
//   meets the threshold, else the most precise candidate.
// * Greedy — minimise bytes subject to the TENSOR-level metric meeting the threshold:
//   start from the threshold solution when that meets the tensor-level threshold (so
//   greedy is never larger), and from all-most-precise; demote tiles (or k-means groups
//   of tiles) with the least metric loss per byte saved while the metric still meets
//   the threshold; keep the smaller result. Metrics are updated incrementally from the
//   per-tile sums (compression/tile_sums.h).
// * Random — params.iters random assignments from std::mt19937_64(seed), tile format
//   index = rng() % candidates (row-major tile order, sample after sample); pick the
//   smallest meeting the threshold, else the best metric.
//
// "Most precise" = the candidate with the most bytes per element (first on ties).
// Bytes count whole padded tiles (what the device holds, FORMATS.md §3.7):
// tiles x 1024 x bytesPerElement, plus the format's bytesPerTensor once if any tile uses it
// (deviceBytes() of a whole tensor also adds a per-row scale, Format::rowBits, per row).
// A tile or tensor whose reconstruction has NaN/Inf from finite input never meets a
// threshold. Errors (bad params, shape/assignment mismatch, cancellation) are values.
// Plain C++20: no Qt here.
#include "common/progress.h"
#include "common/result.h"
#include "compression/tile_sums.h"
#include "formats/format.h"
#include "metrics/input_weights.h"
#include "metrics/metrics.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

enum class MixedAlgorithm { Threshold, Greedy, Random };
// pcc, wsqnr: higher is better, the threshold is a minimum; mae, atol, wrel: lower is
// better, a maximum. wsqnr (dB) and wrel are the importance-weighted errors (issue #18;
// metrics.h), from per-tile weighted sums: a tile's importance is its input columns' E[x²].
enum class MetricKind { Pcc, Mae, Atol, Wsqnr, Wrel };
bool higherIsBetter(MetricKind m);
bool isWeighted(MetricKind m);

// Canonical names: "mixed-tile-threshold", "mixed-tile-greedy", "mixed-tile-random".
std::string_view algorithmName(MixedAlgorithm a);
std::string_view metricName(MetricKind m);
// "pcc" | "mae" | "atol" | "wsqnr" | "wrel" (case-insensitive); false when unknown.
bool parseMetric(std::string_view name, MetricKind& out);

double metricValue(const Metrics& m, MetricKind kind);
// The metric as the algorithms rank and test it, defined for every set of pairs: a set
// with no finite input (padding-only or all-NaN tiles) has nothing to lose and scores
// perfect (pcc 1, mae/atol 0); one whose finite inputs all became NaN/Inf scores worst
// (-inf / +inf). An undefined PCC (constant tile) ranks by the original's rule
// (Metrics::originalPcc). Otherwise metricValue().
double decisionValue(const Metrics& m, MetricKind kind);
// value meets threshold (pcc >= t, mae/atol <= t); NaN never does.
bool meetsThreshold(double value, MetricKind kind, double threshold);
// Metrics meet the threshold and the reconstruction has no NaN/Inf from finite input.
bool meetsThreshold(const Metrics& m, MetricKind kind, double threshold);
// a is strictly better than b under kind.
bool metricBetter(double a, double b, MetricKind kind);

// The formats offered as tiles by default (intersected with the run's formats).
inline constexpr std::string_view kDefaultTileFormats[] = {"bf16", "bfp8", "bfp4", "bfp2"};

struct MixedParams {
    MixedAlgorithm algorithm = MixedAlgorithm::Greedy;
    MetricKind metric = MetricKind::Pcc;
    double threshold = 0.999;
    std::vector<const Format*> candidates;  // assignment codes index this list
    FormatOptions options;
    bool kmeans = false;  // greedy: demote k-means groups of tiles instead of single tiles
    int k = 10;
    int iters = 50;       // random: number of samples
    uint64_t seed = 0;    // random: the std::mt19937_64 seed
};

struct RandomSample {
    std::vector<int64_t> counts;  // tiles per candidate
    double bytes = 0;
    Metrics metrics;
    bool meets = false;
};

struct MixedResult {
    std::vector<int8_t> assignment;  // tilesH * tilesW codes into candidates, row-major
    int64_t tilesH = 0, tilesW = 0;
    Metrics metrics;                 // tensor level, recomputed from the chosen tiles' sums
    double bytes = 0;                    // device bytes (whole tiles), the objective
    double payloadBytes = 0;             // payload bytes of the chosen assignment
    std::vector<int64_t> tileCounts;     // per candidate
    std::vector<double> bytesPerFormat;  // per candidate
    bool metThreshold = false;
    bool preciseMeets = false;           // all-most-precise meets the tensor-level threshold
    std::string note;                    // why the result is flagged, how greedy started
    // Every candidate applied to the whole tensor (from the same sums): the baselines.
    std::vector<Metrics> pureMetrics;
    std::vector<double> pureBytes;           // device bytes
    std::vector<double> purePayloadBytes;    // payload bytes
    // Random only: every sample, and the index of the chosen one.
    std::vector<RandomSample> samples;
    int64_t chosenSample = -1;
};

// Device bytes of an assignment with these tile counts (see header comment): whole 32x32
// tiles, what the tile algorithms optimise.
double assignmentBytes(const std::vector<const Format*>& candidates, const std::vector<int64_t>& counts);
// Device bytes of the whole tensor in one format (= assignmentBytes with every tile in f).
double deviceBytes(const Format& f, const std::vector<int64_t>& shape);
// Payload bytes of an assignment (formats/format.h payloadBytes over each tile's real
// elements, code -1 = 4 bytes per element): an assignment of one format everywhere gives
// exactly that format's payloadBytes of the tensor.
double assignmentPayloadBytes(const TileGrid& grid, const std::vector<int8_t>& assignment,
                              const std::vector<const Format*>& candidates);

// Checks params (non-empty, distinct, non-null candidates, at most 127; k, iters >= 1;
// threshold finite); the message names the field.
Result<void> validateMixedParams(const MixedParams& p);

// Quantizes x (shape) with every candidate once, then runs the algorithm.
// weights: the tensor's importance weights (needed for wsqnr / wrel; without them those
// metrics weigh every element 1, i.e. sqnr and rel_rmse).
Result<MixedResult> runMixed(const float* x, const std::vector<int64_t>& shape, const MixedParams& p,
                             Progress* progress = nullptr, const InputWeights* weights = nullptr);
// Runs the algorithm on precomputed sums (sums.formats must equal p.candidates); lets a
// sweep run many thresholds from one quantization pass.
Result<MixedResult> runMixedOnSums(const TileSums& sums, const MixedParams& p);

// Tensor-level result of a given assignment (counts, bytes, metrics) from the sums.
MixedResult evaluateAssignment(const TileSums& sums, const std::vector<int8_t>& assignment,
                               MetricKind metric, double threshold);

// The MIXED tensor: every tile's real elements taken from its format applied to the
// whole tensor (QuantContext from the whole tensor, exactly as computeTileSums does);
// code -1 keeps the tile's fp32 values. Output has numel floats in the tensor's order.
// Errors: assignment size != tiles of shape, code outside [-1, candidates).
Result<std::vector<float>> reconstructMixed(const float* x, const std::vector<int64_t>& shape,
                                            const std::vector<int8_t>& assignment,
                                            const std::vector<const Format*>& candidates,
                                            const FormatOptions& options, Progress* progress = nullptr);

} // namespace qs
