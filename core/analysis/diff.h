#pragma once
// `diff`: two checkpoints compared tensor by tensor (issue #10). Logical tensors are
// paired by name; a pair of equal shapes is streamed in the same fixed chunks
// (analysis.h planViewChunks), both readers decoding one chunk at a time, and folded
// into ErrorSums: the metrics of B against A (x = A, y = B). With an emulated format F,
// the same pass also quantizes A's chunk with F and measures B against F(A) (x = F(A),
// y = B), and counts the values of F(A) and B that are identical as float32 bit
// patterns, where +0 and -0 count as equal (and are counted apart, to say so) and a
// NaN equals any NaN. Names on one side only and shape mismatches are listed, not
// fatal. The CLI and the explorer call the same functions, so their numbers match.
// Errors: bad arguments (unknown format, nothing matched) exitCode 1; a model that does
// not open or a tensor that does not decode exitCode 2 (both name what failed);
// "cancelled" when the Progress was cancelled.
#include "common/progress.h"
#include "common/result.h"
#include "formats/format.h"
#include "io/model.h"
#include "metrics/metrics.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qs {

struct DiffParams {
    QString modelA, modelB;        // Hub id / URL, local folder or .safetensors file
    QString revisionA, revisionB;  // --revision, --revision-b
    QString cacheDir;
    QStringList filter;            // positional filter words, applied to both sides' names
    QString regex;
    bool all = false;
    int limit = -1;                // the first N paired tensors (negative: all)
    QString emulate;               // registry name; empty: no emulation
    FormatOptions options;         // the emulated format's options
};

// Values of two arrays that are the same float32 (see the header comment).
struct IdenticalCount {
    int64_t identical = 0;         // includes the two kinds below
    int64_t total = 0;
    int64_t signedZeros = 0;       // +0 against -0, counted identical
    int64_t nans = 0;              // NaN against NaN, counted identical
    double fraction() const { return total ? double(identical) / double(total) : 1.0; }
    void merge(const IdenticalCount& o)
    {
        identical += o.identical, total += o.total, signedZeros += o.signedZeros, nans += o.nans;
    }
};
IdenticalCount countIdentical(const float* x, const float* y, int64_t count);

// One comparison of a paired tensor: metrics, identical values, and the Σx² of its
// reference (for the element-weighted SQNR of the summary).
struct DiffSide {
    Metrics metrics;
    IdenticalCount identical;
    double sumSq = 0;              // Σx² over the finite pairs
};

struct DiffTensor {
    std::string name;
    std::vector<int64_t> shape;
    std::string dtypeA, dtypeB;    // stored dtype or layout label ("BF16", "mxfp4 (gpt-oss)")
    DiffSide b;                    // B against A
    std::optional<DiffSide> emulated;  // B against F(A), with an emulated format
    double seconds = 0;
};

struct DiffMismatch {
    std::string name;
    std::vector<int64_t> shapeA, shapeB;
    std::string dtypeA, dtypeB;
};

// Means over the tensors (a metric that is undefined for a tensor is left out) and the
// element-weighted view: PCC weighted by pairs, MAE and RMSE pooled over every pair,
// ATOL the largest, SQNR from the pooled Σx² and Σd².
struct DiffSummary {
    int tensors = 0;
    Metrics mean, weighted;
    int pccMeasured = 0;           // tensors whose PCC is defined
    IdenticalCount identical;      // pooled
};

struct DiffReport {
    QString repoA, revisionA, describeA;
    QString repoB, revisionB, describeB;
    std::string emulate;           // registry name, "" without
    FormatOptions options;
    std::vector<DiffTensor> tensors;           // paired, equal shapes, natural order
    std::vector<DiffMismatch> mismatches;      // paired by name, shapes differ
    std::vector<std::string> onlyA, onlyB;     // selected names present on one side only
    std::string skipped;                       // the integer-tensor note, "" if none
};

struct DiffObserver {
    std::function<void(const DiffReport&)> started;  // sides opened, pairs known
    std::function<void(const DiffReport&, const DiffTensor&)> tensorDone;
};

// One pair of readers of equal shape, streamed in step (parallel chunks when worth it).
// emulate: nullptr for none.
Result<DiffTensor> diffTensor(const TensorReader& a, const TensorReader& b, const Format* emulate,
                              const FormatOptions& options, Progress* progress = nullptr);

// Pairs two opened models' tensors (the selection rules of wq applied to the union of
// their names) and compares every pair.
Result<DiffReport> runDiff(const std::shared_ptr<Model>& a, const std::shared_ptr<Model>& b, const DiffParams& params,
                           const DiffObserver& observer = {}, Progress* progress = nullptr);
// Opens A and B (openModel: local or Hub, ranged reads), then the above.
Result<DiffReport> runDiff(const DiffParams& params, const DiffObserver& observer = {}, Progress* progress = nullptr);

DiffSummary diffSummary(const std::vector<DiffTensor>& tensors, bool emulated);

// Text (table; '-' for an undefined value) and JSON (keys sorted; null for an undefined
// value, named in "nonfinite" like wq's).
std::string renderDiffHeader(const DiffReport& report, bool colour);
std::string renderDiffTensor(const DiffReport& report, const DiffTensor& tensor, bool colour);
std::string renderDiffTail(const DiffReport& report, bool colour);  // mismatches, one-sided names, summary
std::string renderDiffJson(const DiffReport& report);

} // namespace qs
