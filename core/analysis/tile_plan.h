#pragma once
// The memory-budget plan at tile granularity (issue #11 §2): one format per 32x32 tile,
// from the per-tile sums the mixed-tile algorithms compute (compression/tile_sums.h,
// handed over by the walk with WqParams::tileSums). Each tile is a planner item whose
// option f costs 1024 x bytesPerElement(f) device bytes and its Σd² in f (Σd²v with
// importance; a tensor without importance counts Σd² x the run's unweighted scale).
// Per-tensor fixed bytes (Format::bytesPerTensor, 0 for the tile formats) are reserved
// from the budget first, the largest of the candidates per tensor, so the plan holds the
// budget exactly as the MIXED rows count device bytes (compression/mixed.h).
// The per-tensor plan over the same sums (every tile of a tensor in one format) is
// solved too and kept when its error is lower, so a tile plan is never worse than the
// tensor plan at the same budget. Plain C++ (no Qt); fails only as solvePlan does.
#include "common/result.h"
#include "compression/planner.h"
#include "compression/tile_sums.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qs {

struct TilePlanTensor {
    std::string name;
    std::vector<int64_t> shape;
    int64_t tilesH = 0, tilesW = 0;
    std::vector<std::vector<double>> sse;  // [format][tile]: the objective's error of the tile
    bool weighted = false;                 // sse is Σd²v (the tensor had importance)
};

// weightedRun: use the sums' Σd²v when they have them (finite), else Σd² (the caller
// scales those with rescaleUnweighted once the run's scale is known).
TilePlanTensor tilePlanTensor(const std::string& name, const std::vector<int64_t>& shape, const TileSums& sums,
                              bool weightedRun);
void rescaleUnweighted(std::vector<TilePlanTensor>& tensors, double scale);

struct TilePlan {
    std::vector<std::vector<int8_t>> assignment;  // per tensor: tilesH * tilesW codes into formats
    std::vector<std::vector<int64_t>> counts;     // per tensor, per format
    std::vector<double> bytes, sse;               // per tensor: device bytes, error (tile order sum)
    double totalBytes = 0, totalSse = 0, lowerBound = 0;
    bool perTensor = false;                       // the per-tensor plan was better and is used
    std::vector<PlanItem> items;                  // the tile items (the curve is traced over them)
    double reservedBytes = 0;                     // per-tensor fixed bytes reserved from the budget
};

Result<TilePlan> solveTilePlan(const std::vector<TilePlanTensor>& tensors, const std::vector<const Format*>& formats,
                               double budget);

} // namespace qs
