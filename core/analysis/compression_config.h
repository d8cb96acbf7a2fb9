#pragma once
// Compression configs (WQ.md §5): parsing and validation of the JSON file given with
// --compression-config, resolution of the mixed-tile parameters, and the
// compression_config.used.json written next to every result.
//
// Every error names the file and the field and says what was expected, e.g.
//   compression_configs/x.json: params.threshold: expected a number, got "abc"
// (exitCode 1); invalid JSON, nesting deeper than 64 levels, duplicate keys and numbers
// outside double range included (no JSON-library exception escapes). Unknown keys and
// params the algorithm does not read are not errors; they are listed in `warnings` and
// not written back.
#include "analysis/plan_file.h"
#include "common/result.h"
#include "compression/mixed.h"
#include "formats/format.h"

#include <QByteArray>
#include <QString>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qs {

// Upper bound of params.iters (mixed-tile-random): every sample is kept, written to the
// CSV and plotted, so the count must stay reasonable; larger values are a config error.
inline constexpr int64_t kMaxRandomIters = 100000;

struct CompressionConfig {
    QString path;                          // the file (messages); empty without a config
    std::string algorithm = "none";        // canonical name (alias mixed-tile resolved)
    std::vector<std::string> formats;      // quantization_formats (registry names); empty = not given
    nlohmann::json params = nlohmann::json::object();  // the algorithm's own keys as given
                                                       // (others warned about and dropped)
    std::optional<uint64_t> seed;          // the seed in use, when one applies
    std::string seedSource;                // "config" | "params" | "random" | "default"
    std::vector<std::string> warnings;     // unknown keys

    // Validated params (defaults when absent).
    MetricKind metric = MetricKind::Pcc;
    double threshold = 0.999;
    bool kmeans = false;                   // params.cluster == "kmeans"
    int k = 10;
    int iters = 50;
    std::vector<std::string> tileFormats;  // params.formats / params.tile_formats; empty = not given
    // algorithm "plan": the plan file (analysis/plan_file.h; plan.json of quantscope plan),
    // read and validated by readPlanFile; formats = the plan's formats (registry order).
    std::shared_ptr<const PlanFile> plan;

    bool isMixed() const;
    MixedAlgorithm mixedAlgorithm() const;  // only when isMixed()
    // Candidates: params.formats (any registry format with tileFormat), else runFormats
    // intersected with bf16/bfp8/bfp4/bfp2; always in registry order (codes follow it).
    // Error when nothing is left.
    Result<MixedParams> toMixed(const std::vector<const Format*>& runFormats, const FormatOptions& options) const;
};

// "none, transpose, mixed-tile-greedy (alias mixed-tile), mixed-tile-random, mixed-tile-threshold, plan"
std::string algorithmList();
// Canonical algorithm name, or empty when unknown.
std::string canonicalAlgorithm(const std::string& name);

// path is used in messages only. A seed "random" / random_seed true draws a fresh 53-bit
// seed (exact in any JSON reader); a mixed-tile-random config without a seed uses 0
// ("default").
Result<CompressionConfig> parseCompressionConfig(const QByteArray& json, const QString& path);
Result<CompressionConfig> loadCompressionConfig(const QString& path);

// compression_config.used.json: algorithm, quantization_formats, params without the seed
// (for a mixed algorithm with the resolved metric, threshold, formats and the
// algorithm's own parameters filled in), and seed + seed_source when a seed applies.
// Keys sorted, two-space indent, trailing newline.
std::string usedConfigJson(const CompressionConfig& config, const std::vector<std::string>& quantizationFormats,
                           const MixedParams* mixed = nullptr);

} // namespace qs
