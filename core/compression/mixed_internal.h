#pragma once
// Internal to core/compression: the assignment search functions behind runMixedOnSums
// and the incremental tensor-level state they share. Not a public interface.
#include "compression/mixed.h"

#include <set>
#include <vector>

namespace qs::detail {

// Candidate indices ordered from most to least bytes per element (stable).
std::vector<int> precisionOrder(const std::vector<const Format*>& candidates);

// Tensor-level sums of the current assignment, updated incrementally: merge/subtract
// for the additive parts, a multiset of the chosen tiles' max|d| for atol (subtract
// cannot undo a max).
class ChosenState {
public:
    ChosenState(const TileSums& sums, std::vector<int8_t> start);

    const std::vector<int8_t>& assignment() const { return m_assign; }
    const ErrorSums& total() const { return m_total; }
    double currentMax() const { return m_maxes.empty() ? 0.0 : *m_maxes.rbegin(); }

    // Sums after moving the tiles of a group from format a to b, where removed/added are
    // the group's summed sums in a and b and groupMaxA/groupMaxB its largest max|d|.
    ErrorSums after(const std::vector<int64_t>& tiles, int a, const ErrorSums& removed,
                    const ErrorSums& added, double groupMaxA, double groupMaxB);
    ErrorSums afterTile(int64_t tile, int a, int b) const;
    void apply(const std::vector<int64_t>& tiles, int b);

private:
    double maxExcluding(double v) const;  // largest max|d| with one instance of v removed

    const TileSums& m_sums;
    std::vector<int8_t> m_assign;
    ErrorSums m_total;
    std::multiset<double> m_maxes;
};

std::vector<int8_t> thresholdAssignment(const TileSums& sums, const MixedParams& p);
std::vector<int8_t> greedySingle(const TileSums& sums, const MixedParams& p, std::vector<int8_t> start);
std::vector<int8_t> greedyKmeans(const TileSums& sums, const MixedParams& p, std::vector<int8_t> start);

// 1-D k-means on values sorted ascending; returns the start index of each non-empty
// cluster (contiguous ranges). Initial centroids at the quantiles; stops when stable.
std::vector<size_t> kmeans1d(const std::vector<double>& sortedValues, int k, int maxIter = 100);

} // namespace qs::detail
