#pragma once
// The `wq` run (WQ.md §2-3): resolve the model, select tensors, compute the "none"
// baseline for every chosen format plus the configured algorithm, and produce the
// report that the CLI prints, the GUI shows, and the results folder stores.
// The CLI and the GUI call the same entry point with the same WqParams, so their
// outputs match. Errors: Error.exitCode 1 = bad arguments/config/nothing matched,
// 2 = model or network failure; "cancelled" when the Progress was cancelled.
#include "analysis/analysis.h"
#include "compression/tile_sums.h"
#include "analysis/sampling.h"
#include "common/progress.h"
#include "common/result.h"
#include "formats/format.h"
#include "io/model.h"
#include "io/shard.h"
#include "metrics/metrics.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <optional>
#include <vector>

namespace qs {

struct WqParams {
    QString model;                 // Hub id / URL, local folder or .safetensors file
    QString revision;              // --revision; empty: the URL's revision, else main
    QString cacheDir;              // empty: the default cache
    QStringList filter;            // positional filter words (joined by one space)
    QString regex;                 // --regex
    QStringList tensors;           // the explorer's exact selection (non-empty: these, in natural
                                   // order; filter and regex are not used)
    int limit = -1;                // --limit (negative: no limit)
    bool all = false;              // --all: every tensor (not only the "weight" default)
    QStringList formats;           // -c values; may contain "all" / "every"
    QString configPath;            // --compression-config
    QString backend = "emulation"; // emulation | ttnn
    bool recompute = false;
    bool summary = false;
    bool writeResults = true;      // create results/<name>/<algorithm>/<timestamp>/
    QString resultsDir = ".";      // --results-dir (parent of results/)
    FormatOptions options;
    bool refuseUnusedOptions = false;  // CLI: an option none of the formats reads is an error
                                       // (unusedOptionMessage); the explorer's panel keeps its own
    bool originalPcc = false;      // --pcc-undefined original: the original's 1.0/0.0 where PCC is undefined
    QString importance;            // --importance: local path or org/repo:path/in/repo (Hub,
                                   // same --revision, cache and ranged reads); empty: none
    int top = 0;                   // --top N: the N worst tensor x format pairs after the table
    // --shard K/N (io/shard.h): analyse part K of the byte-balanced split only; the folder is
    // marked for `merge`, which produces `command`'s output (wq, atlas, plan) from the rows.
    std::optional<ShardSpec> shard;
    // --sample F --seed N (analysis/sampling.h): analyse a seeded randomized rounding of
    // F x bands 32-row bands of each tensor of rank >= 2 (reading only those rows; possibly
    // none: "not sampled", NaN metrics); every row then carries an estimate with 95 %
    // intervals and its bands' sums (SampleEstimate::bands) for atlas / plan pooling. Compression "none" only; formats whose row blocks do
    // not divide 32 rows are refused.
    std::optional<SampleSpec> sample;
    std::string command = "wq";
    std::vector<std::pair<std::string, std::string>> commandOptions;  // recorded, fingerprinted
    // The plan's tile granularity (#11): also run the mixed algorithms' per-tile pass
    // (compression/tile_sums.h) over the run's formats on every tensor and hand the sums
    // to WqObserver::tileSums. Every format must be a tile format (an error otherwise).
    bool tileSums = false;
};

struct WqRow {
    std::string compression;       // "none", "transpose", "mixed-tile-greedy", ...
    std::string format;            // registry name, or "mixed"
    std::string label;             // "BF16", "MIXED"
    Metrics metrics;
    double seconds = 0;
    double bytes = 0;              // payload bytes: elements + block scales + per-tensor extras (#9)
    double deviceBytes = 0;        // 32x32 tile-padded bytes, what a Tenstorrent device holds
    double bitsPerElement = 0;
    // Mixed-tile rows only:
    bool mixed = false;
    std::vector<std::string> tileFormats;   // candidate names, in table column order
    std::vector<int64_t> tileCounts;        // per candidate
    std::vector<double> tileBytes;          // per candidate
    bool metThreshold = true;               // false: the row misses the threshold (see note)
    std::string note;                       // why a mixed row is flagged / how it was found
    // Rows of a sampled run (--sample): the estimate and its 95 % intervals; `metrics` are
    // then its point estimates (sse, wsse, wssx scaled to the whole tensor's elements).
    // exact: every band was read (small or 1-D tensors), the values are the full ones.
    std::optional<SampleEstimate> estimate;
};

// How many values of a quantized tensor's dequantized view our emulation of its stored
// format reproduces bit for bit (analysis/emulation_match.h; issue #10).
struct EmulationMatch {
    std::string format;            // what was applied: "nvfp4 --nvfp4-convention modelopt"
    int64_t identical = 0, total = 0;
};

struct WqTensor {
    TensorInfo info;
    // The stored layout label of a logical tensor of a quantized checkpoint ("mxfp4
    // (gpt-oss)"), empty for plain tensors; its emulation match when we emulate the format.
    std::string layout;
    std::optional<EmulationMatch> emulationMatch;
    std::string slug;  // file-name stem of its artefacts (empty when none were written)
    Stats stats;
    std::vector<WqRow> rows;
    // With --importance: why this tensor has no weighted metrics ("" when it has them):
    // "no entry", "1-D", "expert 3 of blk.1.ffn_down_exps.weight has no data", a width
    // mismatch naming both sides, ...
    std::string importanceNote;
};

// The importance file a run used (recorded in results.json and table.txt).
struct WqImportance {
    QString spec;                      // as given (path or org/repo:path)
    std::string source;                // the local path, or org/repo@<commit>:path
    std::string format;                // gguf-imatrix | legacy-dat | safetensors
    std::string sha256;                // of the file's bytes
    std::string architecture;          // the name table used
    int entries = 0, bound = 0;        // file entries; model tensors bound to one
    std::vector<std::string> unmappedEntries;
};

struct RunImportance;
// What a run records of its importance file (analysis/importance_run.h).
WqImportance describeImportance(const RunImportance& importance);

// One --top line: a tensor x format pair ranked by wrel (rel_rmse without importance).
struct WqTopRow {
    std::string tensor, compression, format, label;
    std::string layer;                 // first numeric component of the name, "" if none
    std::string kind;                  // the name with numeric components replaced by '*'
    double value = 0;                  // the ranking value (wrel or rel_rmse)
};

struct WqReport {
    QString repo;                      // "org/name" or the folder's base name
    QString revision;                  // as requested ("main", "local")
    QString describe;                  // provider description (path or id@commit)
    QString backend = "emulation";
    QString configPath;
    std::string algorithm = "none";    // the configured algorithm (canonical name)
    std::vector<std::string> formats;  // registry names, in the order evaluated
    std::vector<std::string> compressions;  // "none" then the algorithm if not none
    std::vector<std::string> tensorNames;
    std::vector<double> tensorElements;  // elements of each selected tensor (progress weights)
    std::vector<WqTensor> tensors;
    bool originalPcc = false;          // rows carry the original's 1.0/0.0 for an undefined PCC
    std::string skipped;               // "skipped 1 integer tensor (I32): ..." or ""
    QString resultsPath;               // the results folder written (empty if none)
    std::string usedConfigJson;        // compression_config.used.json content
    FormatOptions options;             // the format options the run used
    bool summary = false;
    std::optional<WqImportance> importance;  // set when the run was given --importance
    int top = 0;                       // --top N (0: no list)
    std::optional<ShardRecord> shard;  // a --shard run: which part, of what (merge checks it)
    // A run with a plan file (--compression-config plan.json, algorithm "plan"):
    std::vector<std::string> notInPlan;  // selected tensors the plan has no choice for
    int64_t planNotSelected = 0;         // planned tensors outside the selection
    std::optional<SampleSpec> sample;  // a --sample run (recorded in results.json and table.txt)
};

// Rendering of the mixed-tile PNG artefacts is injected by the caller (the plot
// builders live in ui/; core stays free of widgets).
struct MixedArtefacts {
    std::string tensor;
    std::string algorithm;
    std::string metric;                // pcc | mae | atol
    double threshold = 0;
    int64_t tilesH = 0, tilesW = 0;
    std::vector<int8_t> assignment;    // tilesH * tilesW, index into candidates
    std::vector<std::string> candidates;
    WqRow mixedRow;
    std::vector<WqRow> baselineRows;   // the "none" rows of the same tensor
    struct Sample { std::vector<int64_t> counts; double bytes; Metrics metrics; };
    std::vector<Sample> samples;       // mixed-tile-random only
    int64_t chosenSample = -1;         // index of the sample the MIXED row is
};
using PngRenderer = std::function<Result<void>(const MixedArtefacts&, const QString& dir, const QString& slug)>;

// Streaming observer: the CLI prints as results arrive; the GUI fills its table.
struct WqObserver {
    std::function<void(const WqReport&)> started;            // header known, tensors selected
    std::function<void(const WqReport&, const WqTensor&)> tensorDone;
    // With WqParams::tileSums: each tensor's per-tile sums, after its rows (before tensorDone).
    std::function<void(const WqTensor&, const TileSums&)> tileSums;
};

// The "none"/"transpose" row of one format's analysis.
// shape: the tensor's shape as analysed (reversed for "transpose"), for device bytes
// and bits per element.
WqRow baselineRow(const std::string& compression, const FormatResult& result, const std::vector<int64_t>& shape);

// What a shard's fingerprint covers besides the selection: backend, algorithm, used
// config, PCC rule, --summary, the skipped note, formats and every format option.
std::vector<std::string> shardFields(const WqReport& report);

// Resolves formats (-c list, config, default "all") to registry rows.
Result<std::vector<const Format*>> resolveFormats(const QStringList& requested,
                                                  const std::vector<std::string>& fromConfig);

Result<WqReport> runWq(const WqParams& params, const WqObserver& observer, const PngRenderer& renderer,
                       Progress* progress);

// Text rendering, identical for stdout (colour optional), table.txt and the GUI.
std::string renderHeader(const WqReport& report, bool colour);
std::string renderTensor(const WqReport& report, const WqTensor& tensor, bool colour);
// One --summary line: the mean over the tensors of one compression x format; rows
// whose metrics are n/a (nothing finite) are counted in rows but not in the means.
struct SummaryRow {
    std::string compression, format, label;
    double pcc = 0, mae = 0, atol = 0;  // NaN when no row was measurable
    double relRmse = 0;                 // mean rel_rmse (NaN when no row was measurable)
    double wsqnrDb = 0, wrel = 0;       // means over the rows with weighted metrics (NaN: none)
    int weighted = 0;                   // rows with weighted metrics
    double bytes = 0;                   // mean payload bytes per tensor
    double deviceBytes = 0;             // mean device bytes per tensor
    int rows = 0, measured = 0;         // rows, rows with finite pairs (MAE/ATOL means)
    int pccMeasured = 0;                // rows whose PCC is defined (the PCC mean)
    bool mixed = false;
};
std::vector<SummaryRow> summaryRows(const WqReport& report);

// Block-axis warning (#9): when the last dimension (the block axis) is shorter than the
// format's block (depthwise kernels [kh, kw, C, 1], 1x1 convolutions transposed), every
// block holds only that many real values and the result looks better than the storage
// cost suggests. sparseBlockFill() gives the block and its real elements for such a
// row (nothing when the blocks are full, or the format has none); blockFillFlag() the
// row flag, "[block: 1.0 of 16 real]" or "".
struct BlockFill {
    int block = 0;              // the format's block along K
    double realPerBlock = 0;    // real elements per block (< block)
};
std::optional<BlockFill> sparseBlockFill(const std::string& formatName, const std::vector<int64_t>& shape);
std::string blockFillFlag(const std::string& formatName, const std::vector<int64_t>& shape);
std::string renderSummary(const WqReport& report, bool colour);
// After the tensors: with --importance, which tensors have no weighted metrics (how many,
// which kinds, and every per-tensor reason); with --top N, the N worst tensor x format
// pairs by wrel (rel_rmse without importance), worst first. "" when neither applies.
std::string renderTail(const WqReport& report, bool colour);
std::vector<WqTopRow> topRows(const WqReport& report);
std::string renderTableTxt(const WqReport& report);   // tensors + summary, no colour
std::string renderJson(const WqReport& report);       // results.json (keys sorted)

// <slug>: runs of characters outside [A-Za-z0-9._-] replaced by '_' (WQ.md §5); names
// whose slug would exceed kSlugMaxChars are cut and end in "-" + slugHash(name).
inline constexpr size_t kSlugMaxChars = 96;
std::string slugify(const std::string& name);
// 16 hex digits (FNV-1a 64 of the name).
std::string slugHash(const std::string& name);
// slugify(name), made unique among `used` (a run's slugs so far) by a "-<hash>" suffix
// when another name already produced it ("a/b.weight" vs "a:b.weight"); adds it to used.
std::string uniqueSlug(const std::string& name, std::set<std::string>& used);

} // namespace qs
