#pragma once
// Per-tile, per-format error sums: the one pass over a tensor that every mixed-tile
// algorithm works from (WQ.md §5). For each candidate format the whole tensor is
// quantized once (format kernels via Format::fast, in fixed chunks of 32 tile-view
// rows, OpenMP over chunks, QuantContext::absMax taken once over the whole tensor) and
// one qs::ErrorSums is accumulated per 32x32 tile over the tile's REAL elements
// (padding excluded; the original scored the zero-padded tile). All sums share one
// shift (the tensor's mean over finite values), so they can be merged and subtracted:
// the tensor-level metric of any assignment is finish(sum of the chosen tiles' sums).
// Results never depend on the thread count.
//
// quantizeTileRows() is the shared primitive: the quantized values of a range of tile
// rows, exactly as quantizing the whole tensor gives them; reconstructMixed() uses it.
// Fails only when cancelled. Plain C++20: no Qt here.
#include "common/progress.h"
#include "common/result.h"
#include "compression/tiling.h"
#include "formats/format.h"
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

// Number of tile rows per work chunk for these formats (32-row multiples that are also
// multiples of every format's rowAlign); rank < 2 tensors are always one chunk.
int64_t chunkTileRows(const std::vector<const Format*>& formats);

// Quantizes tile rows [th0, th1) of the tile view with f and writes them to out as a
// dense (th1 - th0) * 32 x viewCols block (padding positions are 0). For rank < 2 only th0 = 0, th1 = tilesH is allowed (the format view is one
// row). (th0, th1) must be a multiple of chunkTileRows({f}) unless th1 == tilesH.
void quantizeTileRows(const Format& f, const float* x, const TileGrid& grid, int64_t th0, int64_t th1,
                      const QuantContext& ctx, const FormatOptions& opt, float* out);

// Copies tile rows [th0, th1) of x into a dense padded block as above (padding = 0).
void copyTileRows(const float* x, const TileGrid& grid, int64_t th0, int64_t th1, float* out);

// Per-tile ErrorSums of an (x, y) pair (both numel floats in tensor order) over the tile
// view, accumulated exactly as computeTileSums does: a reconstruction can be checked
// against the sums bit for bit.
std::vector<ErrorSums> pairTileSums(const float* x, const float* y, const TileGrid& grid, double shift);

Result<TileSums> computeTileSums(const float* x, const std::vector<int64_t>& shape,
                                 const std::vector<const Format*>& formats, const FormatOptions& opt,
                                 Progress* progress = nullptr);

} // namespace qs
