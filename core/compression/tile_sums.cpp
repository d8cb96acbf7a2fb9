#include "compression/tile_sums.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <numeric>

#include <omp.h>

namespace qs {

namespace {

constexpr int64_t kPrepassChunk = 1 << 16;

} // namespace

TensorPrepass tensorPrepass(const float* x, int64_t numel)
{
    const int64_t chunks = (numel + kPrepassChunk - 1) / kPrepassChunk;
    std::vector<Stats> parts(size_t(std::max<int64_t>(chunks, 0)));
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
        const int64_t b = c * kPrepassChunk;
        parts[size_t(c)].addRange(x + b, std::min(kPrepassChunk, numel - b));
    }
    Stats all;
    for (const Stats& s : parts) all.merge(s);  // fixed order
    TensorPrepass p;
    p.shift = all.mean();
    p.ctx.absMax = all.absMax;
    return p;
}

ErrorSums TileSums::formatTotal(size_t format) const
{
    ErrorSums total(shift);
    for (const ErrorSums& s : sums[format]) total.merge(s);
    return total;
}

int64_t chunkTileRows(const std::vector<const Format*>& formats)
{
    int64_t rows = kTileSize;
    for (const Format* f : formats)
        if (f && f->rowAlign > 1) rows = std::lcm(rows, int64_t(f->rowAlign));
    return rows / kTileSize;
}

void copyTileRows(const float* x, const TileGrid& g, int64_t th0, int64_t th1, float* out)
{
    const int64_t r0 = th0 * kTileSize;
    const int64_t blockRows = (th1 - th0) * kTileSize;
    for (int64_t i = 0; i < blockRows; ++i) {
        const int64_t r = r0 + i;
        float* dst = out + i * g.viewCols;
        const int64_t len = r < g.viewRows ? g.rowLength(r) : 0;
        if (len > 0) std::memcpy(dst, x + r * g.viewCols, size_t(len) * sizeof(float));
        std::fill(dst + len, dst + g.viewCols, 0.0f);
    }
}

void quantizeTileRows(const Format& f, const float* x, const TileGrid& g, int64_t th0, int64_t th1,
                      const QuantContext& ctx, const FormatOptions& opt, float* out)
{
    const int64_t blockElems = (th1 - th0) * kTileSize * g.viewCols;
    if (!g.sameAsFormatView()) {
        // Rank 0/1: the format view is one row of numel elements; quantize it whole and
        // lay it out row-major in the tile view (flat index = r * 32 + c).
        f.fast(x, out, g.formatRows, g.formatCols, ctx, opt);
        std::fill(out + g.numel, out + blockElems, 0.0f);
        return;
    }
    const int64_t r0 = th0 * kTileSize;
    const int64_t r1 = std::min(th1 * kTileSize, g.viewRows);
    const int64_t realElems = (r1 - r0) * g.viewCols;
    if (realElems > 0) f.fast(x + r0 * g.viewCols, out, r1 - r0, g.viewCols, ctx, opt);
    std::fill(out + realElems, out + blockElems, 0.0f);
}

namespace {

// Accumulates the per-tile sums of one block of tile rows (both blocks dense, padded
// as produced by copyTileRows/quantizeTileRows).
void accumulateTiles(const float* xb, const float* qb, const TileGrid& g, int64_t th0, int64_t th1,
                     double shift, std::vector<ErrorSums>& out)
{
    float tx[kTileElems], tq[kTileElems];
    for (int64_t th = th0; th < th1; ++th) {
        const int64_t rows = g.tileRows(th);
        const int64_t rowBase = (th - th0) * kTileSize;
        for (int64_t tw = 0; tw < g.tilesW; ++tw) {
            const int64_t c0 = tw * kTileSize;
            const int64_t cols = g.tileCols(tw);
            int64_t n = 0;
            for (int64_t i = 0; i < rows; ++i) {
                const int64_t r = th * kTileSize + i;
                // Real columns of this row inside the tile (rank 1: the last row is short).
                const int64_t len = std::clamp<int64_t>(g.rowLength(r) - c0, 0, cols);
                const int64_t off = (rowBase + i) * g.viewCols + c0;
                std::memcpy(tx + n, xb + off, size_t(len) * sizeof(float));
                std::memcpy(tq + n, qb + off, size_t(len) * sizeof(float));
                n += len;
            }
            ErrorSums s(shift);
            s.addRange(tx, tq, n);
            out[size_t(th * g.tilesW + tw)] = s;
        }
    }
}

} // namespace

std::vector<ErrorSums> pairTileSums(const float* x, const float* y, const TileGrid& g, double shift)
{
    std::vector<ErrorSums> out(size_t(g.tileCount()), ErrorSums(shift));
#pragma omp parallel
    {
        const size_t blockElems = size_t(kTileSize * g.viewCols);
        std::vector<float> xb(blockElems), yb(blockElems);
#pragma omp for schedule(dynamic, 1)
        for (int64_t th = 0; th < g.tilesH; ++th) {
            copyTileRows(x, g, th, th + 1, xb.data());
            copyTileRows(y, g, th, th + 1, yb.data());
            accumulateTiles(xb.data(), yb.data(), g, th, th + 1, shift, out);
        }
    }
    return out;
}

Result<TileSums> computeTileSums(const float* x, const std::vector<int64_t>& shape,
                                 const std::vector<const Format*>& formats, const FormatOptions& opt,
                                 Progress* progress)
{
    TileSums ts;
    ts.grid = makeTileGrid(shape);
    ts.formats = formats;
    const TileGrid& g = ts.grid;
    const TensorPrepass pre = tensorPrepass(x, g.numel);
    ts.shift = pre.shift;
    ts.ctx = pre.ctx;
    ts.sums.assign(formats.size(), std::vector<ErrorSums>(size_t(g.tileCount()), ErrorSums(ts.shift)));
    if (g.tileCount() == 0) return ts;

    const int64_t step = g.sameAsFormatView() ? chunkTileRows(formats) : g.tilesH;
    const int64_t chunks = (g.tilesH + step - 1) / step;
    std::atomic<int64_t> done{0};
    std::atomic<bool> cancelled{false};
    const size_t blockElems = size_t(step * kTileSize * g.viewCols);

#pragma omp parallel
    {
        std::vector<float> xb(blockElems), qb(blockElems);
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < chunks; ++c) {
            if (cancelled.load(std::memory_order_relaxed)) continue;
            const int64_t th0 = c * step, th1 = std::min(g.tilesH, th0 + step);
            copyTileRows(x, g, th0, th1, xb.data());
            for (size_t f = 0; f < formats.size(); ++f) {
                quantizeTileRows(*formats[f], x, g, th0, th1, ts.ctx, opt, qb.data());
                accumulateTiles(xb.data(), qb.data(), g, th0, th1, ts.shift, ts.sums[f]);
            }
            const int64_t d = done.fetch_add(1) + 1;
            if (progress && omp_get_thread_num() == 0) {
                progress->report(uint64_t(d), uint64_t(chunks), "tile rows");
                if (progress->cancelled()) cancelled.store(true);
            }
        }
    }
    if (cancelled.load()) return Error::usage("cancelled");
    return ts;
}

} // namespace qs
