#pragma once
// Model atlas (issue #11): whole-model error aggregated by layer and tensor kind.
// Input is one entry per (tensor, format) with the tensor's finished metrics, numel and
// error sums (from the one per-tensor walk, runWq); output is a grid of cells
// [format][layer][kind], each with its tensor count, the element-weighted aggregate
// (from merged sums when available) and its worst member by the chosen metric, plus
// the top-N worst tensors. Names are split into layer and kind by layerKind().
// Plain C++20: no Qt, no I/O; never fails (unknown layer -> layer -1, "non-layer" row).
#include "analysis/sampling.h"
#include "metrics/metrics.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qs {

// wsqnr / wrel: the importance-weighted metrics (issue #18, `atlas --importance`); a cell
// aggregates them from its members' Σx²v and Σd²v (tensors without importance left out).
enum class AtlasMetric { Sqnr, Pcc, Mae, Wsqnr, Wrel };

// "sqnr" | "pcc" | "mae"; false for anything else.
bool parseAtlasMetric(const std::string& s, AtlasMetric& out);
const char* atlasMetricName(AtlasMetric m);
const char* atlasMetricUnit(AtlasMetric m);  // "dB", "", "abs"
// The metric's value and whether a higher value is worse (mae) or better (sqnr, pcc).
double atlasValue(const Metrics& m, AtlasMetric metric);
bool atlasHigherIsBetter(AtlasMetric metric);

struct LayerKind {
    int layer = -1;     // the first ".<int>." component after layers/h/blocks/layer; -1: none
    std::string kind;   // the name with the layer prefix removed ("mlp.down_proj.weight"),
                        // or the full name for non-layer tensors
};
// "model.layers.12.self_attn.q_proj.weight" -> {12, "self_attn.q_proj.weight"};
// "model.layers.3.mlp.experts.17.down_proj.weight" -> {3, "mlp.experts.*.down_proj.weight"}
// (further integers are folded into '*', so the experts of a layer share one cell).
LayerKind layerKind(const std::string& tensorName);

struct AtlasEntry {
    std::string tensor;
    std::string format;
    int64_t numel = 0;
    Metrics metrics;
    ErrorSums sums;          // optional: sums.n == 0 -> the cell aggregate uses metrics only
    bool estimate = false;   // sampled (--sample): marked as an estimate everywhere
    // The member's 95 % intervals when it is an estimate (wq_run WqRow::estimate).
    Interval pccCi, maeCi, sqnrCi;
    // --sample, tensors of rank >= 2 (SampleEstimate::bands): its sampled bands' sums and
    // its total band count. Every band has inclusion probability F, so a cell whose members
    // are all banded pools their bands (no band: the member was not sampled, metrics NaN).
    bool banded = false;
    std::vector<ErrorSums> bands;
    int64_t totalBands = 0;
};

struct AtlasCell {
    int64_t tensors = 0;
    int64_t numel = 0;
    Metrics aggregate;        // finish(merged sums), or element-weighted means without sums
    std::string worstTensor;  // the member with the worst metric value (first on ties)
    double worstValue = 0;
    bool estimate = false;    // any member is an estimate
    // With estimate: 95 % intervals of the aggregate. PCC and MAE (element-weighted means of
    // the members) combine the members' interval sides in quadrature, w = numel share
    // (members are sampled independently; exact members add nothing); SQNR is its worst
    // member's value and interval (the aggregate without common sums). NaN where undefined.
    // A cell whose members are all banded (--sample, rank >= 2) is instead the pooled
    // estimate: estimateFromBands over every sampled band of every member, M = the members'
    // total bands (aggregate = the ratio estimator, intervals = the pooled jackknife).
    Interval pccCi, maeCi, sqnrCi;
    int64_t sampledBands = 0, totalBands = 0;  // pooled cells: bands behind the estimate

    // --sample drew none of the cell's bands: nothing is known of it (drawn grey).
    bool notSampled() const { return estimate && totalBands > 0 && sampledBands == 0; }
};

struct Atlas {
    AtlasMetric metric = AtlasMetric::Sqnr;
    std::vector<std::string> formats;  // in first-seen order
    std::vector<int> layers;           // sorted ascending; -1 (non-layer) first if present
    std::vector<std::string> kinds;    // sorted
    // cells[f][l][k]; tensors == 0 where no tensor falls
    std::vector<std::vector<std::vector<AtlasCell>>> cells;
    std::vector<AtlasEntry> worst;     // top-N entries, worst first (all formats)
    double sampleFraction = 0;         // > 0: a --sample run (the heat map's title says so)
    uint64_t sampleSeed = 0;           // its --seed (atlas.json "sample")

    const AtlasCell& cell(size_t f, size_t l, size_t k) const { return cells[f][l][k]; }
};

Atlas buildAtlas(const std::vector<AtlasEntry>& entries, AtlasMetric metric, size_t topN = 20);

// plan --sample: the squared error Σd² the planner charges a tensor in one format. Its own
// estimate when it has >= 2 sampled bands (or was read whole); else its cell's (layer x
// kind, pooled bands of that format) squared error per element x its elements; else (no
// band in the cell) its kind's across layers; else the format's over the whole selection.
enum class ErrorSource : uint8_t { Tensor, Cell, Kind, Model };
const char* errorSourceName(ErrorSource s);  // "tensor", "cell", "kind", "model"
struct SampledErrorInput {
    std::string tensor, format;
    int64_t numel = 0;
    const SampleEstimate* estimate = nullptr;  // null: not a sampled run's row (tensor)
    double sse = 0;                            // the row's own (scaled) Σd²
};
struct SampledError {
    double sse = 0;
    ErrorSource source = ErrorSource::Tensor;
};
std::vector<SampledError> sampledErrors(const std::vector<SampledErrorInput>& rows);

// The explorer's refining passes (ui/atlas): which sample fractions are worth a pass over
// these tensors (name, shape). Every band is drawn with probability F, so a cell
// (layer x kind) of B bands expects F x B of them; a pass F is kept when the median cell
// of rank >= 2 tensors expects at least minBands (an interval needs several), so a small
// model goes straight to its full walk and DeepSeek-sized cells get their 1 % first.
// Fractions >= 1 (the full walk) are always kept; order is preserved.
struct ShapedName {
    std::string name;
    std::vector<int64_t> shape;
};
std::vector<double> informativePasses(const std::vector<double>& passes, const std::vector<ShapedName>& tensors,
                                      double minBands = 4);

// atlas.json: {"metric","unit","formats","layers","kinds","cells":[{format,layer,kind,
// tensors,numel,pcc,mae,atol,sqnr_db,worst_tensor,worst_value,estimate[,pcc_ci,mae_ci,
// sqnr_db_ci]}...],"worst":[...]} (non-empty cells only; the *_ci pairs [lo, hi] on
// estimated cells; non-finite numbers as null).
std::string atlasJson(const Atlas& atlas);
// atlas.csv: format,layer,kind,tensors,numel,pcc,mae,atol,sqnr_db,worst_tensor,worst_value,estimate,
// wsqnr_db,wrel,pcc_lo,pcc_hi,mae_lo,mae_hi,sqnr_db_lo,sqnr_db_hi (layer empty for non-layer
// tensors; the interval columns empty on cells that are not estimates).
std::string atlasCsv(const Atlas& atlas);
// The top-N text report: one line per tensor, worst first; "(estimate)" marks sampled rows.
std::string atlasReport(const Atlas& atlas);

} // namespace qs
