#pragma once
// The plan file (issue #11 §2): what `quantscope plan` decided, in a form that
// `wq --compression-config PLAN` and `export --compression-config PLAN` apply and the
// explorer's "Save plan…" writes. It is plan.json itself: a compression config whose
// "algorithm" is "plan" (analysis/compression_config.h recognises it), one file.
//
//   {"algorithm": "plan", "model": "demo-model", "revision": "local",
//    "granularity": "tensor" | "tile", "budget_bytes": …, "bytes": …, "sse": …,
//    "lower_bound_sse": …, "gap": …, "estimated": false, "params": …,
//    "bits_per_param": …, "objective": "sse" | "weighted_sse", ["importance": …,
//    "weighted_tensors": …, "unweighted_scale": …,]
//    "tensors": [{"tensor": NAME, "format": "bfp4", "bytes": …, "sse": …},
//                {"tensor": NAME, "format": "bfp8", …, "error_source": "cell"},  (--sample)
//                {"tensor": NAME, "format": "mixed", "assignment": "plan_tiles/x.npy",
//                 "candidates": ["bf16", "bfp8", …], "bytes": …, "sse": …}, …]}
//
// bytes are device bytes (32x32 tile-padded, as wq's device_bytes / a MIXED row count
// them), sse the squared error Σ(x-y)² (Σ(x-y)²v with "objective": "weighted_sse").
// A tile plan's assignment is an int8 .npy (analysis/assignment_io.h), codes indexing
// "candidates", its path relative to the plan file's folder. Numbers are written with
// 17 significant digits, so they read back exactly.
// writePlanFile writes to a temporary name and renames; readPlanFile validates every
// field and fails with an Error (exit 1) naming the file and the field, e.g.
//   plan/plan.json: tensors[3].format: unknown format "bfp5" (valid: …)
#include "common/result.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qs {

struct PlanChoice {
    std::string tensor;
    std::string format;                    // registry name, or "mixed" for tiles
    std::string assignment;                // .npy path relative to the plan file, tiles only
    std::vector<std::string> candidates;   // code -> registry name, tiles only
    double bytes = 0, error = 0;           // device bytes; squared error (weighted: Σd²v)
    std::optional<bool> weighted;          // weighted runs: this tensor had its own importance
    // estimated plans: what the error rests on — "tensor" (its own sampled bands), or for a
    // tensor of fewer than 2 sampled bands its "cell"'s, "kind"'s or "model"'s error per
    // element (analysis/atlas.h sampledErrors); empty (not written) otherwise.
    std::string errorSource;
};

struct PlanFile {
    std::string model, revision, granularity;  // granularity: "tensor" | "tile"
    double budgetBytes = 0, totalBytes = 0, totalError = 0, lowerBound = 0;
    bool estimated = false;                // made from sampled rows (totals are estimates)
    double sampleFraction = 0;             // estimated plans: --sample F and --seed N ("sample")
    uint64_t sampleSeed = 0;
    std::vector<PlanChoice> choices;
    // Recorded beside the choices (written, read back; defaults when absent):
    std::string objective = "sse";         // "sse" | "weighted_sse"
    int64_t params = 0;                    // elements of the planned tensors
    std::string importance;                // weighted plans: the importance file as recorded
    int64_t weightedTensors = 0;           // weighted plans: tensors with their own importance
    double unweightedScale = 1.0;          // weighted plans: the scale of the others' Σd²

    const PlanChoice* find(const std::string& tensor) const;
};

// The text of the plan file (the layout above; one line per tensor).
std::string planFileJson(const PlanFile& plan);
Result<void> writePlanFile(const PlanFile& plan, const QString& path);
Result<PlanFile> parsePlanFile(const QByteArray& json, const QString& path);  // path: messages only
Result<PlanFile> readPlanFile(const QString& path);

// A tile choice's assignment file as a path usable from here (relative to the plan file).
QString planAssignmentPath(const QString& planPath, const PlanChoice& choice);

} // namespace qs
