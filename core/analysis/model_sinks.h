#pragma once
// What the model-level views make of a finished walk's rows (issue #11), shared by the
// CLI's sinks (app/sinks.cpp, also used by `merge`) and the explorer's Atlas view, so the
// window and `quantscope atlas` / `quantscope plan` aggregate and plan the same rows:
// * atlasEntries — the "none" rows of each tensor as atlas entries (analysis/atlas.h); a
//   sampled row (--sample, not exact) is an estimate with its intervals;
// * planInput — one planner item per tensor with its "none" rows as options (device
//   bytes, as the budget counts them and a MIXED row does; squared error Σd²; with importance Σd²v, a tensor without importance counting
//   Σd² times the median Σx²v/Σx² of the weighted tensors);
// * planFileOf — the plan file (analysis/plan_file.h) of a solution (importanceSource: the
//   run's importance file as recorded, weighted runs only); planCsv the text of plan.csv;
// * uniformPoints — every format applied to every tensor: the curve's marked points.
// Never fails; a tensor without "none" rows is left out.
#include "analysis/atlas.h"
#include "analysis/plan_file.h"
#include "analysis/wq_run.h"
#include "compression/planner.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qs {

std::vector<AtlasEntry> atlasEntries(const std::vector<WqTensor>& tensors);

struct PlanInput {
    std::vector<std::string> names;                  // per item: the tensor
    std::vector<std::vector<std::string>> formats;   // per item, per option: registry name
    std::vector<PlanItem> items;
    std::vector<char> weighted;                      // per item: the option's sse is Σd²v
    bool weightedRun = false;                        // the run had an importance file
    size_t weightedTensors = 0;                      // items with their own weighted sums
    double unweightedScale = 1.0;                    // median Σx²v/Σx² (weighted runs)
    int64_t params = 0;                              // elements of all items
    // --sample runs: per item, per option, what its error rests on (atlas.h sampledErrors:
    // "tensor", or "cell" / "kind" / "model" for a tensor of fewer than 2 sampled bands,
    // charged its group's squared error per element). Empty otherwise.
    std::vector<std::vector<std::string>> errorSource;
};
PlanInput planInput(const std::vector<WqTensor>& tensors, bool weightedRun);

// granularity "tensor"; model and revision left empty (the caller knows them).
PlanFile planFileOf(const PlanInput& input, const PlanSolution& solution, double budget,
                    const std::string& importanceSource);
// plan.csv of any plan file: tensor,format,bytes,sse (17 significant digits).
std::string planCsv(const PlanFile& plan);

struct UniformPoint {
    std::string format;
    double bytes = 0, sse = 0;  // totals over the items that have the format
    size_t tensors = 0;         // items that have it (all, normally)
};
std::vector<UniformPoint> uniformPoints(const PlanInput& input);

// What plan_curve.png shows (ui/plots/plan_plot.h): the planner's whole-model curve
// (planCurve over the plan's items: total device bytes against total error), every
// uniform format as a labelled point, the budget and the chosen plan.
struct PlanCurveData {
    std::vector<PlanCurvePoint> curve;
    std::vector<UniformPoint> uniform;
    double budget = 0;
    double chosenBytes = 0, chosenSse = 0;
    std::string title, errorLabel;  // errorLabel: "squared error" / "importance-weighted squared error"
};

} // namespace qs
