#pragma once
// What the model-level views make of a finished walk's rows (issue #11), shared by the
// CLI's sinks (app/sinks.cpp, also used by `merge`) and the explorer's Atlas view, so the
// window and `quantscope atlas` / `quantscope plan` aggregate and plan the same rows:
// * atlasEntries — the "none" rows of each tensor as atlas entries (analysis/atlas.h); a
//   sampled row (--sample, not exact) is an estimate with its intervals;
// * planInput — one planner item per tensor with its "none" rows as options (payload
//   bytes, squared error Σd²; with importance Σd²v, a tensor without importance counting
//   Σd² times the median Σx²v/Σx² of the weighted tensors);
// * planJson / planCsv — the text of plan.json and plan.csv for a solution.
// Never fails; a tensor without "none" rows is left out.
#include "analysis/atlas.h"
#include "analysis/sampling.h"
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
};
PlanInput planInput(const std::vector<WqTensor>& tensors, bool weightedRun);

// importanceSource: the run's importance file as recorded (weighted runs only); sample:
// the run's --sample (the plan is then "estimated" and records fraction and seed).
std::string planJson(const PlanInput& input, const PlanSolution& solution, double budget,
                     const std::string& importanceSource, const std::optional<SampleSpec>& sample = std::nullopt);
std::string planCsv(const PlanInput& input, const PlanSolution& solution);

} // namespace qs
