#pragma once
// Pareto front of (size, metric) points: the points no other point beats in both size
// (smaller is better) and metric (higher is better for pcc, lower for mae/atol).
// Used by `quantscope sweep` (CSV column and the front line of its plot).
// Plain C++20, header only; NaN metrics are never on the front.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace qs {

// Indices of the front, ordered by increasing size. Of equal points the first is kept.
inline std::vector<size_t> paretoFront(const std::vector<double>& bytes, const std::vector<double>& metric,
                                       bool higherIsBetter)
{
    std::vector<size_t> idx;
    for (size_t i = 0; i < bytes.size() && i < metric.size(); ++i)
        if (!std::isnan(metric[i]) && !std::isnan(bytes[i])) idx.push_back(i);
    auto better = [&](double a, double b) { return higherIsBetter ? a > b : a < b; };
    // By size ascending, then best metric first, then input order.
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
        if (bytes[a] != bytes[b]) return bytes[a] < bytes[b];
        return better(metric[a], metric[b]);
    });
    std::vector<size_t> front;
    for (size_t i : idx)
        if (front.empty() || better(metric[i], metric[front.back()])) front.push_back(i);
    return front;
}

} // namespace qs
