#pragma once
// Per-tile, per-format error sums: the one pass over a tensor that every mixed-tile
// algorithm works from (WQ.md §5). For each candidate format the whole tensor is
// quantized once (format kernels via Format::fast, in the fixed chunks of
// planTileChunks(), OpenMP over chunks, QuantContext::absMax taken once over the whole
// tensor) and one qs::ErrorSums is accumulated per 32x32 tile over the tile's REAL elements
// (padding excluded; the original scored the zero-padded tile). All sums share one
// shift (the tensor's mean over finite values), so they can be merged and subtracted:
// the tensor-level metric of any assignment is finish(sum of the chosen tiles' sums).
// Results never depend on the thread count.
//
// quantizeTileBlock() is the shared primitive: the quantized values of a chunk of tiles,
// exactly as quantizing the whole tensor gives them; reconstructMixed() uses it.
// Fails only when cancelled. Plain C++20: no Qt here.
#include "common/progress.h"
#include "common/result.h"
#include "compression/tiling.h"
#include "formats/format.h"
#include "metrics/input_weights.h"
#include "metrics/metrics.h"

#include <cstdint>
#include <vector>

namespace qs {

struct TensorPrepass {
    double shift = 0;       // common ErrorSums shift: mean of the finite values (0 if none)
    QuantContext ctx;       // absMax over the whole tensor
};

// Mean and absMax of the finite values (chunked, fixed merge order).
TensorPrepass tensorPrepass(const float* x, int64_t numel);

struct TileSums {
    TileGrid grid;
    double shift = 0;
    QuantContext ctx;
    std::vector<const Format*> formats;       // the candidates, in the caller's order
    std::vector<std::vector<ErrorSums>> sums; // [format][tile], tile = th * tilesW + tw

    const ErrorSums& at(size_t format, int64_t tile) const { return sums[format][size_t(tile)]; }
    // finish() of one tile in one format.
    Metrics tileMetrics(size_t format, int64_t tile) const { return finish(at(format, tile)); }
    // Sum over all tiles of one format (= the pure-format tensor-level sums).
    ErrorSums formatTotal(size_t format) const;
};

// A unit of work over the tile view: tile rows [th0, th1) x tile columns [tw0, tw1).
// Its dense block is blockRows() x width() floats, row-major: the real rows of the
// range first (real columns only), then zero rows up to whole tiles.
struct TileChunk {
    int64_t th0, th1, tw0, tw1;
    int64_t blockRows() const { return (th1 - th0) * kTileSize; }
    int64_t width(const TileGrid& g) const
    {
        const int64_t c1 = tw1 * kTileSize < g.viewCols ? tw1 * kTileSize : g.viewCols;
        return c1 - tw0 * kTileSize;
    }
    int64_t blockElems(const TileGrid& g) const { return blockRows() * width(g); }
};

// The fixed work plan for these formats (shape and formats only, never the threads):
// bands of tile rows that are multiples of every format's rowAlign (rank 1: bands of
// 64 tile rows = 64K elements of the one format row), cut into column segments of whole
// tiles and whole format blocks when a band is wider than about 1M elements, so every
// chunk's buffers stay bounded for any shape ([1, 2^26] costs what 8192 x 8192 does).
// Per-tile sums do not depend on the plan.
std::vector<TileChunk> planTileChunks(const TileGrid& grid, const std::vector<const Format*>& formats);
// Largest blockElems() of a plan (the per-thread buffer size).
int64_t maxBlockElems(const TileGrid& grid, const std::vector<TileChunk>& plan);

// Copies a chunk of x (numel floats in tensor order) into its dense block (see TileChunk).
void copyTileBlock(const float* x, const TileGrid& grid, const TileChunk& c, float* out);

// Quantizes the chunk whose dense block xb holds (from copyTileBlock) with f into out,
// laid out the same way (padding = 0): exactly the values quantizing the whole tensor
// gives, since chunks start on whole format blocks and row bands.
void quantizeTileBlock(const Format& f, const float* xb, const TileGrid& grid, const TileChunk& c,
                       const QuantContext& ctx, const FormatOptions& opt, float* out);

// Per-tile ErrorSums of an (x, y) pair (both numel floats in tensor order) over the tile
// view, accumulated exactly as computeTileSums does: a reconstruction can be checked
// against the sums bit for bit.
std::vector<ErrorSums> pairTileSums(const float* x, const float* y, const TileGrid& grid, double shift);

// weights (rank >= 2 only): importance weights of the tile view; the sums then carry the
// weighted parts (ErrorSums::addRangeWeighted) for the wsqnr / wrel metrics.
Result<TileSums> computeTileSums(const float* x, const std::vector<int64_t>& shape,
                                 const std::vector<const Format*>& formats, const FormatOptions& opt,
                                 Progress* progress = nullptr, const InputWeights* weights = nullptr);

} // namespace qs
