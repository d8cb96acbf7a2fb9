#pragma once
// The 32x32 tile view of a tensor used by the mixed-tile algorithms (WQ.md §5).
//
// View: rank 0 -> 1x1; rank 1 [N] -> rows of 32 ([ceil(N/32), 32], the last row
// zero-padded); rank >= 2 -> [prod(leading), last]. The view is padded to multiples of
// 32 and cut into tilesH x tilesW tiles, row-major. Element (r, c) of the view is flat
// element r * viewCols + c of the tensor and is "real" when r < viewRows, c < viewCols
// and that flat index is < numel; everything else is padding.
//
// Formats quantize a different 2-D view (rank 1 -> [1, N], see formats/format.h), but
// every tile format groups along the last axis in blocks of 16 or 32 aligned to the
// start of a row, so a tile-view row of 32 holds whole blocks of the format view: the
// quantized value of every real element is the same in both views.
// Plain C++20, header only; never fails (shapes are validated by the caller).
#include <cstdint>
#include <vector>

namespace qs {

inline constexpr int kTileSize = 32;
inline constexpr int kTileElems = kTileSize * kTileSize;

struct TileGrid {
    int64_t numel = 0;     // real elements of the tensor
    int64_t viewRows = 0;  // rows of the 2-D tile view (before padding)
    int64_t viewCols = 0;  // columns of the 2-D tile view (before padding)
    int64_t tilesH = 0;
    int64_t tilesW = 0;
    // Format view (formats/format.h): rows x cols the format kernels see.
    int64_t formatRows = 0;
    int64_t formatCols = 0;

    int64_t tileCount() const { return tilesH * tilesW; }
    // Real rows/cols of tile (th, tw), i.e. excluding padding rows/columns.
    int64_t tileRows(int64_t th) const
    {
        const int64_t r = viewRows - th * kTileSize;
        return r < kTileSize ? r : kTileSize;
    }
    int64_t tileCols(int64_t tw) const
    {
        const int64_t c = viewCols - tw * kTileSize;
        return c < kTileSize ? c : kTileSize;
    }
    // Real elements in row r of the view (only the last row of a rank-1 tensor is short).
    int64_t rowLength(int64_t r) const
    {
        const int64_t left = numel - r * viewCols;
        return left < viewCols ? (left < 0 ? 0 : left) : viewCols;
    }
    // The format view equals the tile view (true for rank >= 2).
    bool sameAsFormatView() const { return formatRows == viewRows && formatCols == viewCols; }
};

inline TileGrid makeTileGrid(const std::vector<int64_t>& shape)
{
    TileGrid g;
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    g.numel = numel;
    if (shape.empty()) {
        g.viewRows = g.viewCols = 1;
        g.formatRows = g.formatCols = 1;
    } else if (shape.size() == 1) {
        g.viewCols = kTileSize;
        g.viewRows = (numel + kTileSize - 1) / kTileSize;
        g.formatRows = 1;
        g.formatCols = numel;
    } else {
        g.viewCols = shape.back();
        g.viewRows = g.viewCols ? numel / g.viewCols : 0;
        g.formatRows = g.viewRows;
        g.formatCols = g.viewCols;
    }
    g.tilesH = (g.viewRows + kTileSize - 1) / kTileSize;
    g.tilesW = (g.viewCols + kTileSize - 1) / kTileSize;
    return g;
}

} // namespace qs
