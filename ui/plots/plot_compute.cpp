#include "plots/plot_compute.h"
#include "common/parallel.h"

#include "io/model.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace qs {

namespace {

constexpr int64_t kChunkElems = 1 << 20;

struct RowChunk {
    int64_t r0, r1;
};

std::vector<RowChunk> rowChunks(int64_t rows, int64_t cols)
{
    std::vector<RowChunk> out;
    if (rows <= 0 || cols <= 0) return out;
    const int64_t step = std::max<int64_t>(1, kChunkElems / cols);
    for (int64_t r = 0; r < rows; r += step) out.push_back({r, std::min(rows, r + step)});
    return out;
}

// Rows [r0, r1) of the fp32 view: a pointer into the mapping, or decoded into buf.
const float* rowsOf(const TensorReader& reader, int64_t r0, int64_t r1, std::vector<float>& buf)
{
    if (const float* direct = reader.directRows()) return direct + r0 * reader.cols();
    buf.resize(size_t((r1 - r0) * reader.cols()));
    reader.readRows(r0, r1, buf.data());
    return buf.data();
}

// Max-abs merge with a total order on (|v|, v): order independent, hence deterministic.
inline float pickMaxAbs(float a, float b)
{
    const float fa = std::fabs(a), fb = std::fabs(b);
    return (fb > fa || (fb == fa && b > a)) ? b : a;
}

// Runs body(chunkIndex, buffer) over chunks in parallel; stops early on cancel.
template <class Body>
bool forChunks(const std::vector<RowChunk>& chunks, int64_t cols, Progress* progress, Body body)
{
    std::atomic<bool> cancelled{false};
    std::atomic<int64_t> done{0};
    const int64_t total = int64_t(chunks.size());
    int64_t elements = 0;
    for (const RowChunk& c : chunks) elements += (c.r1 - c.r0) * cols;
#pragma omp parallel if (worthParallel(total, elements))
    {
        std::vector<float> buf;
#pragma omp for schedule(dynamic, 1)
        for (int64_t i = 0; i < total; ++i) {
            if (cancelled.load(std::memory_order_relaxed)) continue;
            if (progress && progress->cancelled()) {
                cancelled.store(true);
                continue;
            }
            body(size_t(i), buf);
            const int64_t d = done.fetch_add(1) + 1;
            if (progress && omp_get_thread_num() == 0)
                progress->report(uint64_t(d), uint64_t(total), "chunks");
        }
    }
    (void)cols;
    return !cancelled.load();
}

double niceDelta(double v) { return std::max(std::fabs(v) * 1e-6, 1e-6); }

// Statistics of a run of finite values with 8 independent lanes (vectorisable; the
// order is fixed, so results do not depend on threads). Returns false, leaving s
// untouched, when the run holds a NaN or Inf: the caller then uses Stats::addRange.
bool fastStats(const float* x, int64_t n, Stats& s)
{
    constexpr int L = 8;
    double sum[L] = {}, sq[L] = {};
    float lo[L], hi[L], bad[L] = {};
    int64_t zeros[L] = {};
    for (int j = 0; j < L; ++j) lo[j] = hi[j] = n ? x[0] : 0.0f;
    int64_t i = 0;
    for (; i + L <= n; i += L)
        for (int j = 0; j < L; ++j) {
            const float v = x[i + j];
            bad[j] += v - v;  // NaN for NaN/Inf inputs, else 0
            lo[j] = v < lo[j] ? v : lo[j];
            hi[j] = v > hi[j] ? v : hi[j];
            zeros[j] += v == 0.0f;
            sum[j] += double(v);
            sq[j] += double(v) * double(v);
        }
    for (; i < n; ++i) {
        const float v = x[i];
        bad[0] += v - v;
        lo[0] = v < lo[0] ? v : lo[0];
        hi[0] = v > hi[0] ? v : hi[0];
        zeros[0] += v == 0.0f;
        sum[0] += double(v);
        sq[0] += double(v) * double(v);
    }
    for (int j = 0; j < L; ++j)
        if (bad[j] != 0.0f || bad[j] != bad[j]) return false;
    Stats c;
    c.count = n;
    float mn = lo[0], mx = hi[0];
    for (int j = 0; j < L; ++j) {
        mn = std::min(mn, lo[j]);
        mx = std::max(mx, hi[j]);
        c.zeros += zeros[j];
        c.sum += sum[j];
        c.sumSq += sq[j];
    }
    c.min = mn;
    c.max = mx;
    c.absMax = std::max(std::fabs(mn), std::fabs(mx));
    s.merge(c);
    return true;
}

// The heat-map cells of one matrix row: per block of columns, the signed value of the
// largest magnitude (min or max of the block; ties to the positive one). Finite rows.
void heatRowFast(const float* row, int64_t cols, int64_t blockCols, float* cellRow)
{
    for (int64_t c0 = 0, cx = 0; c0 < cols; c0 += blockCols, ++cx) {
        const int64_t c1 = std::min(cols, c0 + blockCols);
        float mn = row[c0], mx = row[c0];
        for (int64_t c = c0 + 1; c < c1; ++c) {
            mn = row[c] < mn ? row[c] : mn;
            mx = row[c] > mx ? row[c] : mx;
        }
        const float pick = mx >= -mn ? mx : mn;
        cellRow[cx] = pickMaxAbs(cellRow[cx], pick);
    }
}

} // namespace

std::string sci3(double v)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.3e", v);
    return buf;
}

HeatmapGeometry heatmapGeometry(const std::vector<int64_t>& shape)
{
    HeatmapGeometry g;
    if (shape.size() <= 1) {
        const int64_t n = shape.empty() ? 1 : shape[0];
        g.oneD = true;
        g.cols = n < 32 ? std::max<int64_t>(n, 1) : 32;
        g.rows = std::max<int64_t>(1, (n + g.cols - 1) / g.cols);
        return g;
    }
    g.rows = shape[shape.size() - 2];
    g.cols = shape.back();
    g.sliceCount = 1;
    for (size_t i = 0; i + 2 < shape.size(); ++i) g.sliceCount *= shape[i];
    return g;
}

// The cells of one slice: at most maxCells x maxCells blocks of whole rows / columns.
HeatmapData heatmapGrid(const HeatmapGeometry& g, int64_t slice, int maxCells)
{
    HeatmapData h;
    h.sliceCount = std::max<int64_t>(1, g.sliceCount);
    h.slice = std::clamp<int64_t>(slice, 0, h.sliceCount - 1);
    h.rows = g.rows;
    h.cols = g.cols;
    maxCells = std::max(1, maxCells);
    h.blockRows = (g.rows + maxCells - 1) / maxCells;
    h.blockCols = (g.cols + maxCells - 1) / maxCells;
    h.ny = int((g.rows + h.blockRows - 1) / h.blockRows);
    h.nx = int((g.cols + h.blockCols - 1) / h.blockCols);
    h.cells.assign(size_t(h.nx) * size_t(h.ny), 0.0f);
    return h;
}

Result<TensorScan> scanTensor(const TensorReader& reader, int64_t slice, int maxCells, Progress* progress)
{
    TensorScan out;
    const HeatmapGeometry g = heatmapGeometry(reader.shape());
    out.heatmap = heatmapGrid(g, slice, maxCells);
    HeatmapData& h = out.heatmap;
    if (g.oneD && reader.numel() > 32) h.note = "1-D tensor shown as (ceil(n/32), 32) rows of 32";
    if (h.sliceCount > 1) h.note = "slice " + std::to_string(h.slice) + " of " + std::to_string(h.sliceCount);

    const int64_t cols = reader.cols();
    const auto chunks = rowChunks(reader.rows(), cols);
    // Per chunk: its stats and the band of heat-map cell rows it touches.
    struct Partial {
        Stats stats;
        int64_t cy0 = 0;
        std::vector<float> cells;  // (cy1 - cy0 + 1) * nx
    };
    std::vector<Partial> parts(chunks.size());
    const int64_t sliceR0 = g.oneD ? 0 : h.slice * g.rows, sliceR1 = g.oneD ? 1 : sliceR0 + g.rows;

    const bool ok = forChunks(chunks, cols, progress, [&](size_t ci, std::vector<float>& buf) {
        const RowChunk c = chunks[ci];
        const float* data = rowsOf(reader, c.r0, c.r1, buf);
        Partial& p = parts[ci];
        const bool finite = fastStats(data, (c.r1 - c.r0) * cols, p.stats);
        if (!finite) p.stats.addRange(data, (c.r1 - c.r0) * cols);
        const int64_t a = std::max(c.r0, sliceR0), b = std::min(c.r1, sliceR1);
        if (a >= b) return;
        if (g.oneD) {  // one view row of n elements -> (ceil(n/32), 32)
            p.cy0 = 0;
            p.cells.assign(h.cells.size(), 0.0f);
            for (int64_t i = 0; i < cols; ++i) {
                const float v = data[i];
                if (!std::isfinite(v)) continue;
                const size_t idx = size_t((i / g.cols) / h.blockRows) * size_t(h.nx) + size_t((i % g.cols) / h.blockCols);
                p.cells[idx] = pickMaxAbs(p.cells[idx], v);
            }
            return;
        }
        p.cy0 = (a - sliceR0) / h.blockRows;
        const int64_t cy1 = (b - 1 - sliceR0) / h.blockRows;
        p.cells.assign(size_t(cy1 - p.cy0 + 1) * size_t(h.nx), 0.0f);
        for (int64_t r = a; r < b; ++r) {
            const float* row = data + (r - c.r0) * cols;
            float* cellRow = p.cells.data() + size_t((r - sliceR0) / h.blockRows - p.cy0) * size_t(h.nx);
            if (finite) {
                heatRowFast(row, cols, h.blockCols, cellRow);
                continue;
            }
            for (int64_t col = 0; col < cols; ++col) {
                const float v = row[col];
                if (!std::isfinite(v)) continue;
                float& cell = cellRow[col / h.blockCols];
                cell = pickMaxAbs(cell, v);
            }
        }
    });
    if (!ok) return Error::usage("cancelled");
    for (const Partial& p : parts) {
        out.stats.merge(p.stats);
        for (size_t i = 0; i < p.cells.size(); ++i) {
            float& cell = h.cells[size_t(p.cy0) * size_t(h.nx) + i];
            cell = pickMaxAbs(cell, p.cells[i]);
        }
    }
    std::vector<float> mags(h.cells.size());
    for (size_t i = 0; i < h.cells.size(); ++i) {
        mags[i] = std::fabs(h.cells[i]);
        h.absMax = std::max(h.absMax, mags[i]);
    }
    if (!mags.empty()) {
        const size_t k = std::min(mags.size() - 1, size_t(double(mags.size() - 1) * 0.995));
        std::nth_element(mags.begin(), mags.begin() + std::ptrdiff_t(k), mags.end());
        h.colorRange = mags[k] > 0 ? mags[k] : h.absMax;
    }
    return out;
}

Result<HeatmapData> effectiveHeatmap(const TensorReader& reader, int64_t slice, int maxCells,
                                     const InputWeights& weights, Progress* progress)
{
    const HeatmapGeometry g = heatmapGeometry(reader.shape());
    if (g.oneD) return Error::usage("a tensor of rank " + std::to_string(reader.shape().size()) + " has no input axis");
    HeatmapData h = heatmapGrid(g, slice, maxCells);
    h.effective = true;
    if (h.sliceCount > 1) h.note = "slice " + std::to_string(h.slice) + " of " + std::to_string(h.sliceCount);

    // The slice's rows of the view, in chunks; each chunk owns whole cell rows (chunks
    // are cut at block-row boundaries), so chunks write disjoint cells.
    const int64_t cols = reader.cols(), r0 = h.slice * g.rows;
    const int64_t step = std::max<int64_t>(1, kChunkElems / std::max<int64_t>(1, cols));
    const int64_t band = std::max<int64_t>(h.blockRows, (step / h.blockRows) * h.blockRows);
    std::vector<RowChunk> chunks;
    for (int64_t r = r0; r < r0 + g.rows; r += band) chunks.push_back({r, std::min(r0 + g.rows, r + band)});
    const bool ok = forChunks(chunks, cols, progress, [&](size_t ci, std::vector<float>& buf) {
        const RowChunk c = chunks[ci];
        const float* data = rowsOf(reader, c.r0, c.r1, buf);
        std::vector<float> w(static_cast<size_t>(cols));
        for (int64_t r = c.r0; r < c.r1; ++r) {
            weights.fill(r, r + 1, 0, cols, w.data());
            const float* row = data + (r - c.r0) * cols;
            float* cellRow = h.cells.data() + size_t((r - r0) / h.blockRows) * size_t(h.nx);
            for (int64_t col = 0; col < cols; ++col) {
                const float e = std::fabs(row[col]) * std::sqrt(w[size_t(col)]);
                if (!std::isfinite(e)) continue;
                float& cell = cellRow[col / h.blockCols];
                cell = std::max(cell, e);
            }
        }
    });
    if (!ok) return Error::usage("cancelled");
    std::vector<float> mags(h.cells);
    for (float v : mags) h.absMax = std::max(h.absMax, v);
    if (!mags.empty()) {
        const size_t k = std::min(mags.size() - 1, size_t(double(mags.size() - 1) * 0.995));
        std::nth_element(mags.begin(), mags.begin() + std::ptrdiff_t(k), mags.end());
        h.colorRange = mags[k] > 0 ? mags[k] : h.absMax;
    }
    return h;
}

Result<HistogramData> valueHistogram(const TensorReader& reader, const Stats& stats, int binsOverride,
                                     Progress* progress)
{
    HistogramData h;
    h.total = stats.count;
    if (stats.count == 0) {
        h.lo = -1;
        h.hi = 1;
        h.counts.assign(10, 0.0);
        h.binRule = "no finite values";
        return h;
    }
    h.lo = stats.min;
    h.hi = stats.max;
    int bins = binsOverride;
    if (h.hi <= h.lo) {
        const double d = niceDelta(h.lo);
        h.lo -= d;
        h.hi += d;
        if (bins <= 0) bins = 10;
        h.binRule = "constant tensor";
    } else if (bins <= 0) {
        const double sigma = stats.stddev();
        const double width = 3.49 * sigma * std::cbrt(1.0 / double(stats.count));
        const double raw = width > 0 ? std::ceil((h.hi - h.lo) / width) : 10.0;
        bins = int(std::clamp(raw, 10.0, 400.0));
        h.binRule = "Scott's rule";
    } else {
        h.binRule = "fixed";
    }
    h.binRule += ", " + std::to_string(bins) + " bins";
    const double lo = h.lo, scale = double(bins) / (h.hi - h.lo);
    const int64_t cols = reader.cols();
    const auto chunks = rowChunks(reader.rows(), cols);
    std::vector<std::vector<int64_t>> parts(chunks.size());
    const bool ok = forChunks(chunks, cols, progress, [&](size_t ci, std::vector<float>& buf) {
        const RowChunk c = chunks[ci];
        const float* data = rowsOf(reader, c.r0, c.r1, buf);
        auto& counts = parts[ci];
        counts.assign(size_t(bins), 0);
        const int64_t n = (c.r1 - c.r0) * cols;
        for (int64_t i = 0; i < n; ++i) {
            const float v = data[i];
            if (!std::isfinite(v)) continue;
            const int b = std::clamp(int((double(v) - lo) * scale), 0, bins - 1);
            ++counts[size_t(b)];
        }
    });
    if (!ok) return Error::usage("cancelled");
    std::vector<int64_t> counts(size_t(bins), 0);
    for (const auto& p : parts)
        for (size_t i = 0; i < p.size(); ++i) counts[i] += p[i];
    h.counts.assign(counts.begin(), counts.end());
    return h;
}

Result<ErrorHistogramData> errorHistograms(const TensorReader& reader, const Stats& stats,
                                           const std::vector<FormatChoice>& formats, int64_t maxSample,
                                           Progress* progress, const ComparedSeries* compare)
{
    ErrorHistogramData out;
    out.total = reader.numel();
    const int64_t rows = reader.rows(), cols = reader.cols();
    if (compare && (!compare->reader || compare->reader->shape() != reader.shape())) compare = nullptr;
    if ((formats.empty() && !compare) || rows <= 0 || cols <= 0) return out;

    // Patch plan: whole tensor if small, else evenly spaced (stripe, segment) patches.
    int align = 32;
    for (const auto& f : formats) align = std::lcm(align, std::max(1, f.format->rowAlign));
    const int64_t pc = cols <= 65536 ? cols : 65536;
    const int64_t pr = rows * cols <= maxSample ? rows : std::min<int64_t>(rows, align);
    const int64_t stripes = (rows + pr - 1) / pr, segs = (cols + pc - 1) / pc;
    const int64_t totalPatches = stripes * segs;
    const int64_t want = rows * cols <= maxSample ? totalPatches
                                                  : std::clamp<int64_t>(maxSample / (pr * pc), 1, totalPatches);
    struct Patch {
        int64_t stripe, seg;
    };
    std::vector<Patch> patches;
    for (int64_t k = 0; k < want; ++k) {
        const int64_t idx = want == totalPatches ? k : (k * totalPatches) / want;
        patches.push_back({idx / segs, idx % segs});
    }

    const QuantContext ctx = stats.context();
    const size_t nf = formats.size();
    const size_t ns = nf + (compare ? 1 : 0);  // the compared model is the last series
    // errors[patch][series]
    std::vector<std::vector<std::vector<float>>> errs(patches.size(), std::vector<std::vector<float>>(ns));
    std::vector<RowChunk> patchRows;
    for (const Patch& p : patches) patchRows.push_back({p.stripe * pr, std::min(rows, (p.stripe + 1) * pr)});
    const bool ok = forChunks(patchRows, cols, progress, [&](size_t pi, std::vector<float>& buf) {
        const RowChunk rc = patchRows[pi];
        const float* data = rowsOf(reader, rc.r0, rc.r1, buf);
        const int64_t c0 = patches[pi].seg * pc, c1 = std::min(cols, c0 + pc);
        const int64_t prow = rc.r1 - rc.r0, pcol = c1 - c0;
        std::vector<float> in(size_t(prow * pcol)), outv(in.size());
        for (int64_t r = 0; r < prow; ++r)
            std::copy(data + r * cols + c0, data + r * cols + c1, in.begin() + r * pcol);
        for (size_t fi = 0; fi < nf; ++fi) {
            formats[fi].format->fast(in.data(), outv.data(), prow, pcol, ctx, formats[fi].options);
            auto& e = errs[pi][fi];
            e.reserve(in.size());
            for (size_t i = 0; i < in.size(); ++i) {
                const float d = outv[i] - in[i];
                if (std::isfinite(in[i]) && std::isfinite(d)) e.push_back(d);
            }
        }
        if (compare) {
            std::vector<float> bbuf;
            const float* bdata = rowsOf(*compare->reader, rc.r0, rc.r1, bbuf);
            auto& e = errs[pi][nf];
            e.reserve(in.size());
            for (int64_t r = 0; r < prow; ++r)
                for (int64_t c = 0; c < pcol; ++c) {
                    const float a = in[size_t(r * pcol + c)];
                    const float d = bdata[r * cols + c0 + c] - a;
                    if (std::isfinite(a) && std::isfinite(d)) e.push_back(d);
                }
        }
    });
    if (!ok) return Error::usage("cancelled");

    double emax = 0;
    int64_t sampled = 0;
    for (const auto& p : errs) {
        if (nf && !p.empty()) sampled += int64_t(p[0].size());
        else if (!p.empty()) sampled += int64_t(p.back().size());
        for (const auto& e : p)
            for (float d : e) emax = std::max(emax, double(std::fabs(d)));
    }
    if (emax == 0) emax = std::max(double(stats.absMax) * 1e-6, 1e-12);
    out.sampled = sampled;
    out.bins = 201;
    out.lo = -emax;
    out.hi = emax;
    const double scale = double(out.bins) / (2 * emax);
    for (size_t fi = 0; fi < ns; ++fi) {
        ErrorHistogramData::Series s;
        s.key = fi < nf ? std::string(formats[fi].format->name) : compare->key;
        s.label = fi < nf ? std::string(formats[fi].format->label) : compare->label;
        s.counts.assign(size_t(out.bins), 0.0);
        for (const auto& p : errs)
            for (float d : p[fi]) {
                const int b = std::clamp(int((double(d) + emax) * scale), 0, out.bins - 1);
                s.counts[size_t(b)] += 1.0;
            }
        out.series.push_back(std::move(s));
    }
    return out;
}

CurvePlotData transferCurves(const std::string& tensorName, const Stats& stats,
                             const std::vector<FormatChoice>& formats, int points,
                             const std::vector<double>* maes)
{
    CurvePlotData d;
    d.title = tensorName;
    d.xLabel = "Original value";
    d.yLabel = "Reconstructed value";
    points = std::max(points, 2);
    double lo = stats.count ? stats.min : 0.0, hi = stats.count ? stats.max : 0.0;
    if (hi <= lo) {
        const double delta = niceDelta(lo);
        lo -= delta;
        hi += delta;
    }
    const std::vector<float> xs = linspaceF32(lo, hi, points);
    float amax = 0;
    for (float v : xs) amax = std::max(amax, std::fabs(v));
    d.x.assign(xs.begin(), xs.end());
    d.curves.push_back({"ideal", "Ideal", d.x, true});
    QuantContext ctx;
    ctx.absMax = amax;
    std::vector<float> ys(xs.size());
    for (size_t fi = 0; fi < formats.size(); ++fi) {
        const Format& f = *formats[fi].format;
        f.fast(xs.data(), ys.data(), 1, int64_t(xs.size()), ctx, formats[fi].options);
        PlotCurve c;
        c.key = std::string(f.name);
        c.label = std::string(f.label);
        if (maes && fi < maes->size()) c.label += " (MAE=" + sci3((*maes)[fi]) + ")";
        c.y.assign(ys.begin(), ys.end());
        d.curves.push_back(std::move(c));
    }
    return d;
}

Result<PlotCurve> comparedCurve(const TensorReader& a, const ComparedSeries& b, const std::vector<double>& x,
                                int64_t maxSample, const double* mae, Progress* progress)
{
    PlotCurve curve;
    curve.key = b.key;
    curve.label = b.label + (mae ? " (MAE=" + sci3(*mae) + ")" : std::string());
    curve.y.assign(x.size(), std::numeric_limits<double>::quiet_NaN());
    if (!b.reader || b.reader->shape() != a.shape()) return curve;
    const int64_t rows = a.rows(), cols = a.cols();
    if (rows <= 0 || cols <= 0) return curve;
    maxSample = std::max<int64_t>(maxSample, 1);
    const int64_t width = std::min(cols, maxSample);
    const int64_t want = std::clamp<int64_t>(maxSample / width, 1, rows);
    std::vector<std::pair<float, float>> pairs;
    pairs.reserve(size_t(want * width));
    std::vector<float> ra(static_cast<size_t>(width)), rb(static_cast<size_t>(width));
    for (int64_t k = 0; k < want; ++k) {
        if (progress && progress->cancelled()) return Error{"cancelled", 1};
        const int64_t r = want == rows ? k : (k * rows) / want;
        a.readBlock(r, r + 1, 0, width, ra.data());
        b.reader->readBlock(r, r + 1, 0, width, rb.data());
        for (int64_t c = 0; c < width; ++c)
            if (std::isfinite(ra[size_t(c)]) && std::isfinite(rb[size_t(c)])) pairs.emplace_back(ra[size_t(c)], rb[size_t(c)]);
    }
    if (pairs.empty()) return curve;
    std::sort(pairs.begin(), pairs.end());
    for (size_t i = 0; i < x.size(); ++i) {
        auto it = std::lower_bound(pairs.begin(), pairs.end(), std::make_pair(float(x[i]), -std::numeric_limits<float>::infinity()));
        if (it == pairs.end()) it = std::prev(it);
        else if (it != pairs.begin() && double(x[i]) - double(std::prev(it)->first) <= double(it->first) - double(x[i]))
            it = std::prev(it);
        curve.y[i] = it->second;
    }
    return curve;
}

CurvePlotData synthPlotData(const SynthCurves& curves)
{
    CurvePlotData d;
    d.title = "Reconstruction of a block's largest value (rand samples: " + std::to_string(curves.randSamples) + ")";
    d.xLabel = "FP amax value";
    d.yLabel = "Reconstructed FP value";
    d.x.assign(curves.x.begin(), curves.x.end());
    for (const auto& c : curves.curves) {
        PlotCurve pc;
        pc.key = c.key;
        pc.label = c.label;
        pc.y.assign(c.y.begin(), c.y.end());
        pc.reference = c.key == "ideal";
        d.curves.push_back(std::move(pc));
    }
    return d;
}

} // namespace qs
