#include "analysis/analysis.h"
#include "common/parallel.h"

#include "io/model.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>

namespace qs {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kChunkElems = 1 << 16;     // target elements per chunk (fits L2 with y)
constexpr int64_t kMaxBandElems = 1 << 20;   // a band of whole rows larger than this is cut into column segments

// A chunk of the 2-D view: rows [r0, r1) x columns [c0, c1). Whole rows (c0 = 0,
// c1 = cols) while a band of them is small; else a band of rowAlign rows cut into
// column segments of whole blocks, so a chunk (and each thread's scratch) stays
// bounded for any shape: [1, 2^26] and [16, 2^22] cost what 8192 x 8192 does.
struct Chunk {
    int64_t r0, r1, c0, c1;
    int64_t elems() const { return (r1 - r0) * (c1 - c0); }
    int64_t width() const { return c1 - c0; }
};

int rowAlignment(const std::vector<FormatChoice>& formats)
{
    int align = 1;
    for (const auto& f : formats) align = std::lcm(align, std::max(1, f.format->rowAlign));
    return align;
}

// Column segments start at multiples of every format's block along K and of its 2-D
// block width (formats with rowAlign > 1 use square rowAlign x rowAlign blocks).
int colAlignment(const std::vector<FormatChoice>& formats)
{
    int align = 1;
    for (const auto& f : formats) align = std::lcm(align, blockWidth(*f.format));
    return align;
}

// Fixed chunking: depends only on the shape and the formats, never on threads.
std::vector<Chunk> planChunks(int64_t rows, int64_t cols, int align, int colAlign)
{
    std::vector<Chunk> chunks;
    if (rows <= 0 || cols <= 0) return chunks;
    int64_t step = std::max<int64_t>(1, kChunkElems / cols);
    step = (step + align - 1) / align * align;
    if (step * cols <= kMaxBandElems || cols <= colAlign) {
        for (int64_t r = 0; r < rows; r += step)
            chunks.push_back({r, std::min(rows, r + step), 0, cols});
        return chunks;
    }
    const int64_t width = std::max<int64_t>(colAlign, kChunkElems / align / colAlign * colAlign);
    for (int64_t r = 0; r < rows; r += align)
        for (int64_t c = 0; c < cols; c += width)
            chunks.push_back({r, std::min(rows, r + align), c, std::min(cols, c + width)});
    return chunks;
}

// Provides the fp32 data of a chunk: a pointer into memory, or decoded into scratch.
using ChunkSource = std::function<const float*(const Chunk&, float* scratch)>;

struct Plan {
    int64_t rows, cols;
    std::vector<Chunk> chunks;
    ChunkSource source;
    const InputWeights* weights = nullptr;
    int64_t bands = 0;               // > 0: banded analysis, chunkBand[i] is chunk i's band
    std::vector<int64_t> chunkBand;
};

Result<TensorAnalysis> run(const Plan& plan, const std::vector<FormatChoice>& formats, Progress* progress)
{
    const auto t0 = Clock::now();
    TensorAnalysis out;
    const size_t nf = formats.size();
    const size_t nc = plan.chunks.size();
    int64_t maxElems = 0;
    for (const auto& c : plan.chunks) maxElems = std::max(maxElems, c.elems());

    std::atomic<bool> cancelled{false};
    std::atomic<int64_t> done{0};
    const int64_t total = plan.rows * plan.cols;
    auto checkCancel = [&] {
        if (progress && progress->cancelled()) cancelled.store(true);
        return cancelled.load();
    };

    // Pass 1 (only when a format needs the tensor's max |x|, e.g. NVFP4): statistics.
    const bool needAbsMax = std::any_of(formats.begin(), formats.end(),
                                        [](const FormatChoice& f) { return f.format->needsAbsMax; });
    std::vector<Stats> chunkStats(nc);
    if (needAbsMax) {
        if (progress) progress->phase("statistics");
#pragma omp parallel if (worthParallel(int64_t(nc), total))
        {
            std::vector<float> scratch(static_cast<size_t>(maxElems));
#pragma omp for schedule(dynamic, 1)
            for (size_t i = 0; i < nc; ++i) {
                if (cancelled.load()) continue;
                const Chunk& c = plan.chunks[i];
                const float* x = plan.source(c, scratch.data());
                chunkStats[i].addRange(x, c.elems());
                if (omp_get_thread_num() == 0) checkCancel();
            }
        }
        if (checkCancel()) return Error{"cancelled", 1};
        for (const auto& s : chunkStats) out.stats.merge(s);
    }

    // The shift that keeps the metric sums precise: the mean if known, else the first
    // finite value of the tensor.
    double shift = 0;
    if (needAbsMax) {
        shift = out.stats.mean();
    } else if (nc) {
        std::vector<float> scratch(static_cast<size_t>(plan.chunks[0].elems()));
        const float* x = plan.source(plan.chunks[0], scratch.data());
        for (int64_t i = 0; i < plan.chunks[0].elems(); ++i)
            if (std::isfinite(x[i])) { shift = x[i]; break; }
    }
    const QuantContext ctx = out.stats.context();

    // Pass 2: quantize every chunk in every format and fold the error sums.
    if (progress) progress->phase("quantizing");
    std::vector<ErrorSums> sums(nc * nf, ErrorSums(shift));
    std::vector<double> formatSeconds(nf, 0.0);
#pragma omp parallel if (worthParallel(int64_t(nc), total * int64_t(nf)))
    {
        std::vector<float> scratch(static_cast<size_t>(maxElems));
        std::vector<float> y(static_cast<size_t>(maxElems));
        std::vector<float> w(plan.weights ? static_cast<size_t>(maxElems) : 0);
        std::vector<double> mySeconds(nf, 0.0);
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < nc; ++i) {
            if (cancelled.load()) continue;
            const Chunk& c = plan.chunks[i];
            const float* x = plan.source(c, scratch.data());
            if (!needAbsMax) chunkStats[i].addRange(x, c.elems());
            const int64_t rows = c.r1 - c.r0, width = c.width();
            if (plan.weights) plan.weights->fill(c.r0, c.r1, c.c0, c.c1, w.data());
            for (size_t f = 0; f < nf; ++f) {
                const auto ft = Clock::now();
                formats[f].format->fast(x, y.data(), rows, width, ctx, formats[f].options);
                if (plan.weights)
                    sums[i * nf + f].addRangeWeighted(x, y.data(), w.data(), c.elems());
                else
                    sums[i * nf + f].addRange(x, y.data(), c.elems());
                mySeconds[f] += std::chrono::duration<double>(Clock::now() - ft).count();
            }
            const int64_t d = done.fetch_add(c.elems()) + c.elems();
            if (omp_get_thread_num() == 0) {
                if (progress) progress->report(uint64_t(d), uint64_t(total), "elements");
                checkCancel();
            }
        }
#pragma omp critical
        for (size_t f = 0; f < nf; ++f) formatSeconds[f] += mySeconds[f];
    }
    if (checkCancel()) return Error{"cancelled", 1};
    if (!needAbsMax)
        for (const auto& s : chunkStats) out.stats.merge(s);

    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    const double busy = std::accumulate(formatSeconds.begin(), formatSeconds.end(), 0.0);
    out.results.resize(nf);
    for (size_t f = 0; f < nf; ++f) {
        ErrorSums total(shift);
        for (size_t i = 0; i < nc; ++i) total.merge(sums[i * nf + f]);
        FormatResult& r = out.results[f];
        r.format = formats[f].format;
        r.metrics = finish(total);
        r.bytes = payloadBytes(*r.format, plan.rows, plan.cols);
        r.seconds = busy > 0 ? elapsed * formatSeconds[f] / busy : 0.0;
    }
    if (plan.bands > 0) {  // chunks in band order: merge each band's chunks in order
        out.bandSums.assign(nf, std::vector<ErrorSums>(size_t(plan.bands), ErrorSums(shift)));
        for (size_t f = 0; f < nf; ++f)
            for (size_t i = 0; i < nc; ++i) out.bandSums[f][size_t(plan.chunkBand[i])].merge(sums[i * nf + f]);
    }
    out.seconds = elapsed;
    return out;
}

} // namespace

Result<TensorAnalysis> analyzeArray(const float* data, int64_t rows, int64_t cols,
                                    const std::vector<FormatChoice>& formats, Progress* progress,
                                    const InputWeights* weights)
{
    Plan plan;
    plan.rows = rows;
    plan.cols = cols;
    plan.weights = weights;
    plan.chunks = planChunks(rows, cols, rowAlignment(formats), colAlignment(formats));
    plan.source = [data, cols](const Chunk& c, float* scratch) -> const float* {
        if (c.width() == cols || c.r1 - c.r0 == 1) return data + c.r0 * cols + c.c0;
        for (int64_t r = c.r0; r < c.r1; ++r)  // a segment of several rows: gather
            std::memcpy(scratch + (r - c.r0) * c.width(), data + r * cols + c.c0, size_t(c.width()) * sizeof(float));
        return scratch;
    };
    return run(plan, formats, progress);
}

Result<TensorAnalysis> analyzeTensor(const TensorReader& reader, const std::vector<FormatChoice>& formats,
                                     Layout layout, Progress* progress, const InputWeights* weights)
{
    if (layout == Layout::Transposed) {
        std::vector<int64_t> tshape;
        std::vector<float> t = readTransposed(reader, &tshape);
        const int64_t cols = tshape.empty() ? 1 : tshape.back();
        const int64_t rows = cols ? int64_t(t.size()) / cols : 0;
        return analyzeArray(t.data(), rows, cols, formats, progress, weights);
    }
    const int64_t rows = reader.rows(), cols = reader.cols();
    if (const float* direct = reader.directRows())
        return analyzeArray(direct, rows, cols, formats, progress, weights);
    Plan plan;
    plan.rows = rows;
    plan.cols = cols;
    plan.weights = weights;
    plan.chunks = planChunks(rows, cols, rowAlignment(formats), colAlignment(formats));
    plan.source = [&reader](const Chunk& c, float* scratch) -> const float* {
        reader.readBlock(c.r0, c.r1, c.c0, c.c1, scratch);
        return scratch;
    };
    return run(plan, formats, progress);
}

std::vector<ViewChunk> planViewChunks(int64_t rows, int64_t cols, const std::vector<FormatChoice>& formats)
{
    std::vector<ViewChunk> out;
    for (const Chunk& c : planChunks(rows, cols, rowAlignment(formats), colAlignment(formats)))
        out.push_back({c.r0, c.r1, c.c0, c.c1});
    return out;
}

Result<TensorAnalysis> analyzeBands(const TensorReader& reader, int64_t bandRows,
                                    const std::vector<FormatChoice>& formats, Progress* progress,
                                    const InputWeights* weights)
{
    Plan plan;
    plan.rows = reader.rows();
    plan.cols = reader.cols();
    plan.weights = weights;
    bandRows = std::max<int64_t>(1, bandRows);
    const int align = rowAlignment(formats), colAlign = colAlignment(formats);
    for (int64_t r0 = 0; r0 < plan.rows; r0 += bandRows) {
        const int64_t r1 = std::min(plan.rows, r0 + bandRows);
        for (Chunk c : planChunks(r1 - r0, plan.cols, align, colAlign)) {
            c.r0 += r0;
            c.r1 += r0;
            plan.chunks.push_back(c);
            plan.chunkBand.push_back(plan.bands);
        }
        ++plan.bands;
    }
    plan.source = [&reader](const Chunk& c, float* scratch) -> const float* {
        reader.readBlock(c.r0, c.r1, c.c0, c.c1, scratch);
        return scratch;
    };
    return run(plan, formats, progress);
}

std::vector<float> readTransposed(const TensorReader& reader, std::vector<int64_t>* transposedShape)
{
    const std::vector<int64_t>& shape = reader.shape();
    std::vector<int64_t> tshape(shape.rbegin(), shape.rend());
    if (transposedShape) *transposedShape = tshape;
    const int64_t numel = reader.numel();
    std::vector<float> out(size_t(std::max<int64_t>(numel, 0)));
    if (numel <= 0) return out;
    if (shape.size() <= 1) {
        reader.readRows(0, reader.rows(), out.data());
        return out;
    }
    // Strides of the transposed array for each source axis: reversing all axes means
    // source axis k (of rank n) becomes destination axis n-1-k.
    const size_t n = shape.size();
    std::vector<int64_t> dstStride(n);
    {
        std::vector<int64_t> tstride(n, 1);
        for (size_t k = n - 1; k-- > 0;) tstride[k] = tstride[k + 1] * tshape[k + 1];
        for (size_t k = 0; k < n; ++k) dstStride[k] = tstride[n - 1 - k];
    }
    const int64_t rows = reader.rows(), cols = reader.cols();
    const int64_t step = std::max<int64_t>(1, kChunkElems / std::max<int64_t>(cols, 1));
    std::vector<float> buf(size_t(step * cols));
    for (int64_t r0 = 0; r0 < rows; r0 += step) {
        const int64_t r1 = std::min(rows, r0 + step);
        reader.readRows(r0, r1, buf.data());
        for (int64_t r = r0; r < r1; ++r) {
            // Destination offset of (leading index of row r, column 0).
            int64_t rem = r, base = 0;
            for (size_t k = n - 1; k-- > 0;) {
                const int64_t idx = rem % shape[k];
                rem /= shape[k];
                base += idx * dstStride[k];
            }
            const float* src = buf.data() + (r - r0) * cols;
            const int64_t cs = dstStride[n - 1];
            for (int64_t c = 0; c < cols; ++c) out[size_t(base + c * cs)] = src[c];
        }
    }
    return out;
}

} // namespace qs
