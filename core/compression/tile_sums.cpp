#include "compression/tile_sums.h"
#include "common/parallel.h"

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
#pragma omp parallel for schedule(static) if (worthParallel(chunks, numel))
    for (int64_t c = 0; c < chunks; ++c) {
        const int64_t b = c * kPrepassChunk;
        parts[size_t(c)].addRange(x + b, std::min(kPrepassChunk, numel - b));
    }
    Stats all;
    for (const Stats& s : parts) all.merge(s);  // fixed order
    TensorPrepass p;
    p.shift = all.mean();
    p.ctx = all.context();
    return p;
}

ErrorSums TileSums::formatTotal(size_t format) const
{
    ErrorSums total(shift);
    for (const ErrorSums& s : sums[format]) total.merge(s);
    return total;
}

namespace {

constexpr int64_t kMaxBandElems = 1 << 20;   // a wider band of tile rows is cut into segments
constexpr int64_t kSegmentElems = 1 << 18;   // target block size of a segment
constexpr int64_t kRank1BandTiles = 64;      // rank 1: 64 tile rows = 64K elements

} // namespace

std::vector<TileChunk> planTileChunks(const TileGrid& g, const std::vector<const Format*>& formats)
{
    std::vector<TileChunk> plan;
    if (g.tileCount() == 0) return plan;
    if (!g.sameAsFormatView()) {  // rank 1: the format row is cut at multiples of 1024
        for (int64_t th = 0; th < g.tilesH; th += kRank1BandTiles)
            plan.push_back({th, std::min(g.tilesH, th + kRank1BandTiles), 0, g.tilesW});
        return plan;
    }
    int64_t rowAlign = kTileSize, colAlign = kTileSize;
    for (const Format* f : formats) {
        if (!f) continue;
        rowAlign = std::lcm(rowAlign, int64_t(std::max(1, f->rowAlign)));
        colAlign = std::lcm(colAlign, int64_t(blockWidth(*f)));
    }
    const int64_t band = rowAlign / kTileSize;  // tile rows per band
    const int64_t bandRows = band * kTileSize;
    int64_t segTiles = g.tilesW;
    if (bandRows * g.viewCols > kMaxBandElems)
        segTiles = std::max(colAlign, kSegmentElems / bandRows / colAlign * colAlign) / kTileSize;
    for (int64_t th = 0; th < g.tilesH; th += band)
        for (int64_t tw = 0; tw < g.tilesW; tw += segTiles)
            plan.push_back({th, std::min(g.tilesH, th + band), tw, std::min(g.tilesW, tw + segTiles)});
    return plan;
}

int64_t maxBlockElems(const TileGrid& g, const std::vector<TileChunk>& plan)
{
    int64_t m = 0;
    for (const TileChunk& c : plan) m = std::max(m, c.blockElems(g));
    return m;
}

void copyTileBlock(const float* x, const TileGrid& g, const TileChunk& c, float* out)
{
    const int64_t r0 = c.th0 * kTileSize, c0 = c.tw0 * kTileSize, w = c.width(g);
    for (int64_t i = 0; i < c.blockRows(); ++i) {
        const int64_t r = r0 + i;
        float* dst = out + i * w;
        const int64_t len = r < g.viewRows ? std::clamp<int64_t>(g.rowLength(r) - c0, 0, w) : 0;
        if (len > 0) std::memcpy(dst, x + r * g.viewCols + c0, size_t(len) * sizeof(float));
        std::fill(dst + len, dst + w, 0.0f);
    }
}

void quantizeTileBlock(const Format& f, const float* xb, const TileGrid& g, const TileChunk& c,
                       const QuantContext& ctx, const FormatOptions& opt, float* out)
{
    const int64_t blockElems = c.blockElems(g);
    if (!g.sameAsFormatView()) {
        // Rank 1: the block is a flat run of the one format row (tile-view stride 32),
        // starting at a multiple of 1024 elements, i.e. on whole format blocks.
        const int64_t start = c.th0 * kTileElems;
        const int64_t real = std::clamp<int64_t>(g.numel - start, 0, blockElems);
        if (real > 0) f.fast(xb, out, 1, real, ctx, opt);
        std::fill(out + real, out + blockElems, 0.0f);
        return;
    }
    const int64_t realRows = std::min(c.th1 * kTileSize, g.viewRows) - c.th0 * kTileSize;
    const int64_t realElems = realRows * c.width(g);
    if (realElems > 0) f.fast(xb, out, realRows, c.width(g), ctx, opt);
    std::fill(out + realElems, out + blockElems, 0.0f);
}

namespace {

// Accumulates the per-tile sums of one chunk (both blocks dense, padded as produced by
// copyTileBlock/quantizeTileBlock).
void accumulateTiles(const float* xb, const float* qb, const TileGrid& g, const TileChunk& c, double shift,
                     std::vector<ErrorSums>& out, const float* wb = nullptr)
{
    float tx[kTileElems], tq[kTileElems], tw8[kTileElems];
    const int64_t w = c.width(g);
    for (int64_t th = c.th0; th < c.th1; ++th) {
        const int64_t rows = g.tileRows(th);
        const int64_t rowBase = (th - c.th0) * kTileSize;
        for (int64_t tw = c.tw0; tw < c.tw1; ++tw) {
            const int64_t c0 = tw * kTileSize;
            const int64_t cols = g.tileCols(tw);
            int64_t n = 0;
            for (int64_t i = 0; i < rows; ++i) {
                const int64_t r = th * kTileSize + i;
                // Real columns of this row inside the tile (rank 1: the last row is short).
                const int64_t len = std::clamp<int64_t>(g.rowLength(r) - c0, 0, cols);
                const int64_t off = (rowBase + i) * w + (c0 - c.tw0 * kTileSize);
                std::memcpy(tx + n, xb + off, size_t(len) * sizeof(float));
                std::memcpy(tq + n, qb + off, size_t(len) * sizeof(float));
                if (wb) std::memcpy(tw8 + n, wb + off, size_t(len) * sizeof(float));
                n += len;
            }
            ErrorSums s(shift);
            if (wb)
                s.addRangeWeighted(tx, tq, tw8, n);
            else
                s.addRange(tx, tq, n);
            out[size_t(th * g.tilesW + tw)] = s;
        }
    }
}

} // namespace

std::vector<ErrorSums> pairTileSums(const float* x, const float* y, const TileGrid& g, double shift)
{
    std::vector<ErrorSums> out(size_t(g.tileCount()), ErrorSums(shift));
    const std::vector<TileChunk> plan = planTileChunks(g, {});
    const size_t blockElems = size_t(maxBlockElems(g, plan));
#pragma omp parallel if (worthParallel(int64_t(plan.size()), g.numel))
    {
        std::vector<float> xb(blockElems), yb(blockElems);
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < plan.size(); ++i) {
            copyTileBlock(x, g, plan[i], xb.data());
            copyTileBlock(y, g, plan[i], yb.data());
            accumulateTiles(xb.data(), yb.data(), g, plan[i], shift, out);
        }
    }
    return out;
}

Result<TileSums> computeTileSums(const float* x, const std::vector<int64_t>& shape,
                                 const std::vector<const Format*>& formats, const FormatOptions& opt,
                                 Progress* progress, const InputWeights* weights)
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

    const std::vector<TileChunk> plan = planTileChunks(g, formats);
    const int64_t chunks = int64_t(plan.size());
    std::atomic<int64_t> done{0};
    std::atomic<bool> cancelled{false};
    const size_t blockElems = size_t(maxBlockElems(g, plan));

#pragma omp parallel if (worthParallel(chunks, g.numel * int64_t(formats.size())))
    {
        std::vector<float> xb(blockElems), qb(blockElems), wb(weights ? blockElems : 0);
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < chunks; ++c) {
            if (cancelled.load(std::memory_order_relaxed)) continue;
            const TileChunk& ch = plan[size_t(c)];
            copyTileBlock(x, g, ch, xb.data());
            if (weights)  // the real rows of the block (rank >= 2: every row is viewCols long)
                weights->fill(ch.th0 * kTileSize, std::min(ch.th1 * kTileSize, g.viewRows), ch.tw0 * kTileSize,
                              ch.tw0 * kTileSize + ch.width(g), wb.data());
            for (size_t f = 0; f < formats.size(); ++f) {
                quantizeTileBlock(*formats[f], xb.data(), g, ch, ts.ctx, opt, qb.data());
                accumulateTiles(xb.data(), qb.data(), g, ch, ts.shift, ts.sums[f], weights ? wb.data() : nullptr);
            }
            const int64_t d = done.fetch_add(1) + 1;
            if (progress && omp_get_thread_num() == 0) {
                progress->report(uint64_t(d), uint64_t(chunks), "tile chunks");
                if (progress->cancelled()) cancelled.store(true);
            }
        }
    }
    if (cancelled.load()) return Error::usage("cancelled");
    return ts;
}

} // namespace qs
