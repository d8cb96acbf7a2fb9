#include "analysis/tile_plan.h"

#include "compression/mixed.h"
#include "compression/tiling.h"

#include <algorithm>
#include <cmath>

namespace qs {

TilePlanTensor tilePlanTensor(const std::string& name, const std::vector<int64_t>& shape, const TileSums& sums,
                              bool weightedRun)
{
    TilePlanTensor t;
    t.name = name;
    t.shape = shape;
    t.tilesH = sums.grid.tilesH;
    t.tilesW = sums.grid.tilesW;
    const int64_t T = sums.grid.tileCount();
    t.weighted = weightedRun;
    for (size_t f = 0; f < sums.formats.size() && t.weighted; ++f)
        for (int64_t k = 0; k < T && t.weighted; ++k)
            if (!sums.at(f, k).weighted || !std::isfinite(sums.at(f, k).swdd)) t.weighted = false;
    t.sse.assign(sums.formats.size(), std::vector<double>(size_t(T)));
    for (size_t f = 0; f < sums.formats.size(); ++f)
        for (int64_t k = 0; k < T; ++k) t.sse[f][size_t(k)] = t.weighted ? sums.at(f, k).swdd : sseOf(sums.at(f, k));
    return t;
}

void rescaleUnweighted(std::vector<TilePlanTensor>& tensors, double scale)
{
    for (TilePlanTensor& t : tensors)
        if (!t.weighted)
            for (auto& row : t.sse)
                for (double& v : row) v *= scale;
}

Result<TilePlan> solveTilePlan(const std::vector<TilePlanTensor>& tensors, const std::vector<const Format*>& formats,
                               double budget)
{
    const size_t F = formats.size();
    TilePlan plan;
    double maxFixed = 0;
    for (const Format* f : formats) maxFixed = std::max(maxFixed, f->bytesPerTensor);
    plan.reservedBytes = maxFixed * double(tensors.size());
    std::vector<PlanItem> tensorItems;
    for (const TilePlanTensor& t : tensors) {
        const int64_t T = t.tilesH * t.tilesW;
        PlanItem whole;
        for (size_t f = 0; f < F; ++f) {
            double s = 0;
            for (int64_t k = 0; k < T; ++k) s += t.sse[f][size_t(k)];
            whole.options.push_back({deviceBytes(*formats[f], t.shape), s});
        }
        tensorItems.push_back(std::move(whole));
        for (int64_t k = 0; k < T; ++k) {
            PlanItem it;
            for (size_t f = 0; f < F; ++f) it.options.push_back({double(kTileElems) * formats[f]->bytesPerElement(), t.sse[f][size_t(k)]});
            plan.items.push_back(std::move(it));
        }
    }
    auto sol = solvePlan(plan.items, budget - plan.reservedBytes);
    if (!sol) return sol.error();
    size_t item = 0;
    for (const TilePlanTensor& t : tensors) {
        const int64_t T = t.tilesH * t.tilesW;
        std::vector<int8_t> codes(static_cast<size_t>(T), int8_t(0));
        std::vector<int64_t> counts(F, 0);
        double s = 0;
        for (int64_t k = 0; k < T; ++k, ++item) {
            const int c = sol->choice[item];
            codes[size_t(k)] = int8_t(c);
            ++counts[size_t(c)];
            s += t.sse[size_t(c)][size_t(k)];
        }
        plan.bytes.push_back(assignmentBytes(formats, counts));
        plan.sse.push_back(s);
        plan.assignment.push_back(std::move(codes));
        plan.counts.push_back(std::move(counts));
    }
    for (size_t i = 0; i < tensors.size(); ++i) plan.totalBytes += plan.bytes[i], plan.totalSse += plan.sse[i];
    plan.lowerBound = std::min(sol->lowerBound, plan.totalSse);
    // The per-tensor plan over the same sums: kept when it is better (a small instance
    // solved closer to its optimum than the tile instance's repair reaches).
    auto whole = solvePlan(tensorItems, budget);
    if (whole && whole->sse < plan.totalSse) {
        plan.perTensor = true;
        plan.totalBytes = plan.totalSse = 0;
        for (size_t i = 0; i < tensors.size(); ++i) {
            const int c = whole->choice[i];
            const int64_t T = tensors[i].tilesH * tensors[i].tilesW;
            plan.assignment[i].assign(size_t(T), int8_t(c));
            plan.counts[i].assign(F, 0);
            plan.counts[i][size_t(c)] = T;
            plan.bytes[i] = tensorItems[i].options[size_t(c)].bytes;
            double s = 0;
            for (int64_t k = 0; k < T; ++k) s += tensors[i].sse[size_t(c)][size_t(k)];
            plan.sse[i] = s;
            plan.totalBytes += plan.bytes[i], plan.totalSse += plan.sse[i];
        }
        plan.lowerBound = std::min(plan.lowerBound, plan.totalSse);
    }
    return plan;
}

} // namespace qs
