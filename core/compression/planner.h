#pragma once
// Memory-budget planner (issue #11): chooses one option per item (a tensor, or a 32x32
// tile at tile granularity) to minimise the total squared error subject to the total
// device bytes staying within a budget — a multiple-choice knapsack.
//
// Solver: Lagrangian relaxation over each item's lower convex hull of (bytes, sse)
// (equivalently the LP relaxation: hull increments taken in order of error saved per
// byte), then an exact repair/fill: the first increment that does not fit is skipped,
// later increments that still fit are taken, and a final pass upgrades any item to any
// option (hull or not) that fits the remaining bytes, best saving per byte first. The
// Lagrangian/LP bound is reported so the caller can state the optimality gap.
// Never exceeds the budget; fails (error Result) only when even the smallest option of
// every item does not fit, or when an item has no options. Plain C++20, no Qt.
#include "common/result.h"
#include "compression/tile_sums.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qs {

struct PlanOption {
    double bytes = 0;   // device bytes of the item in this option (>= 0)
    double sse = 0;     // squared error Σ(x-y)² of the item in this option (>= 0)
};

struct PlanItem {
    std::vector<PlanOption> options;  // index = the caller's option (format) index
};

struct PlanSolution {
    std::vector<int> choice;   // per item: chosen option index
    double bytes = 0;          // total device bytes of the choice (<= budget)
    double sse = 0;            // total squared error of the choice
    double lowerBound = 0;     // Lagrangian (= LP) lower bound on the optimal sse
    double gap() const { return sse > 0 ? (sse - lowerBound) / sse : 0.0; }  // relative
    double lambda = 0;         // the multiplier (error per byte) at the LP break point
};

// Solves the multiple-choice knapsack. budget in bytes.
Result<PlanSolution> solvePlan(const std::vector<PlanItem>& items, double budget);

// The whole-model curve the Lagrangian sweep traces: from every item at its fewest
// bytes, the hull steps taken in order of error saved per byte (the lower convex hull of
// the model's (total bytes, total error) over all choices). The first point is the
// smallest plan, the last the largest hull point; at most maxPoints points (evenly
// thinned, first and last kept). Empty when an item has no options.
struct PlanCurvePoint {
    double bytes = 0;
    double sse = 0;
};
std::vector<PlanCurvePoint> planCurve(const std::vector<PlanItem>& items, size_t maxPoints = 2000);

// Items at tile granularity from the per-tile sums of one tensor: one item per tile,
// option f = (1024 * bytesPerElement(f), Σd² of the tile in f). The per-tensor fixed
// bytes (bytesPerTensor) are not modelled per tile; the caller adds them.
std::vector<PlanItem> tileItems(const TileSums& sums);

// --budget SIZE (ISSUE-NOTES #11): a number with a unit B, KB/MB/GB (powers of 1000),
// KiB/MiB/GiB (powers of 1024), or "bytes/param" (times params); a bare number is bytes.
// Returns bytes; a usage error naming the text and the accepted forms otherwise.
Result<double> parseBudget(const std::string& text, int64_t params);
// --bits B: average bits per parameter -> bytes (B * params / 8); B must be > 0.
Result<double> budgetFromBits(double bits, int64_t params);

// The sse of an option from error sums (Σd², shift-independent).
inline double sseOf(const ErrorSums& s) { return s.sdd; }

} // namespace qs
