// The diff walk: two models -> paired logical tensors -> both read in the same chunks
// -> metrics of B against A (and against F(A)). See diff.h.
#include "analysis/diff.h"

#include "analysis/analysis.h"
#include "analysis/model_open.h"
#include "common/parallel.h"
#include "io/selection.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

namespace qs {

namespace {

using Clock = std::chrono::steady_clock;

// Small tensors compared side by side, as wq batches them (wq_run.cpp): at most this
// many, and this many elements (a remote reader holds its bytes until it is reported).
constexpr size_t kBatchTensors = 256;
constexpr int64_t kBatchElements = int64_t(1) << 22;

std::string storedType(const TensorInfo& t) { return t.dtypeName; }

// The --emulate format (nullptr without) and its options: an unknown name or an option
// the format does not read is a usage error.
Result<const Format*> emulatedFormat(const DiffParams& params)
{
    if (params.emulate.isEmpty()) return static_cast<const Format*>(nullptr);
    const Format* f = findFormat(params.emulate.toStdString());
    if (!f)
        return Error::usage("--emulate: unknown format \"" + params.emulate.toStdString() + "\"; expected one of " +
                            formatNameList());
    const Format* const selected[] = {f};
    if (const std::string unused = unusedOptionMessage(params.options, selected); !unused.empty())
        return Error::usage(unused);
    return f;
}

} // namespace

IdenticalCount countIdentical(const float* x, const float* y, int64_t count)
{
    IdenticalCount c;
    c.total = count;
    for (int64_t i = 0; i < count; ++i) {
        uint32_t bx, by;
        std::memcpy(&bx, x + i, 4);
        std::memcpy(&by, y + i, 4);
        const bool nx = std::isnan(x[i]), ny = std::isnan(y[i]);
        if (nx || ny) {
            if (nx && ny) ++c.identical, ++c.nans;  // any NaN equals any NaN
        } else if (bx == by) {
            ++c.identical;
        } else if (((bx | by) & 0x7FFFFFFFu) == 0) {  // +0 against -0
            ++c.identical, ++c.signedZeros;
        }
    }
    return c;
}

Result<DiffTensor> diffTensor(const TensorReader& a, const TensorReader& b, const Format* emulate,
                              const FormatOptions& options, Progress* progress)
{
    const auto t0 = Clock::now();
    DiffTensor out;
    out.name = a.info().name;
    out.shape = a.shape();
    out.dtypeA = storedType(a.info());
    out.dtypeB = storedType(b.info());
    if (a.shape() != b.shape())
        return Error::model("tensor \"" + out.name + "\": shapes differ, A " + a.info().shapeString() + " and B " +
                            b.info().shapeString());
    const int64_t rows = a.rows(), cols = a.cols();
    std::vector<FormatChoice> choices;
    if (emulate) choices.push_back({emulate, options});
    const std::vector<ViewChunk> chunks = planViewChunks(rows, cols, choices);
    const size_t nc = chunks.size();
    int64_t maxElems = 0;
    for (const ViewChunk& c : chunks) maxElems = std::max(maxElems, c.elems());
    const int64_t total = rows * cols;
    const float* directA = a.directRows();
    const float* directB = b.directRows();
    // A chunk of a view: a pointer into a mapped fp32 tensor (whole rows), else decoded.
    auto source = [cols](const TensorReader& r, const float* direct, const ViewChunk& c, float* scratch) -> const float* {
        if (direct && (c.c1 - c.c0 == cols || c.r1 - c.r0 == 1)) return direct + c.r0 * cols + c.c0;
        r.readBlock(c.r0, c.r1, c.c0, c.c1, scratch);
        return scratch;
    };
    std::atomic<bool> cancelled{false};
    auto checkCancel = [&] {
        if (progress && progress->cancelled()) cancelled.store(true);
        return cancelled.load();
    };

    // Pass 1 (formats that read the tensor's max |x|, e.g. NVFP4): statistics of A.
    QuantContext ctx;
    if (emulate && emulate->needsAbsMax) {
        std::vector<Stats> chunkStats(nc);
#pragma omp parallel if (worthParallel(int64_t(nc), total))
        {
            std::vector<float> scratch(static_cast<size_t>(maxElems));
#pragma omp for schedule(dynamic, 1)
            for (size_t i = 0; i < nc; ++i) {
                if (cancelled.load()) continue;
                chunkStats[i].addRange(source(a, directA, chunks[i], scratch.data()), chunks[i].elems());
                if (omp_get_thread_num() == 0) checkCancel();
            }
        }
        if (checkCancel()) return Error{"cancelled", 1};
        Stats s;
        for (const Stats& c : chunkStats) s.merge(c);
        ctx = s.context();
    }

    // The shift of the sums: A's first finite value (near both sides' data).
    double shift = 0;
    if (nc) {
        std::vector<float> scratch(static_cast<size_t>(chunks[0].elems()));
        const float* x = source(a, directA, chunks[0], scratch.data());
        for (int64_t i = 0; i < chunks[0].elems(); ++i)
            if (std::isfinite(x[i])) { shift = x[i]; break; }
    }

    // Pass 2: both sides chunk by chunk, in step; per-chunk sums merged in chunk order.
    std::vector<ErrorSums> sums(nc, ErrorSums(shift)), sumsE(emulate ? nc : 0, ErrorSums(shift));
    std::vector<IdenticalCount> same(nc), sameE(emulate ? nc : 0);
    std::atomic<int64_t> done{0};
#pragma omp parallel if (worthParallel(int64_t(nc), total * (emulate ? 3 : 1)))
    {
        std::vector<float> bufA(static_cast<size_t>(maxElems)), bufB(static_cast<size_t>(maxElems)), q(emulate ? size_t(maxElems) : 0);
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < nc; ++i) {
            if (cancelled.load()) continue;
            const ViewChunk& c = chunks[i];
            const float* x = source(a, directA, c, bufA.data());
            const float* y = source(b, directB, c, bufB.data());
            sums[i].addRange(x, y, c.elems());
            same[i] = countIdentical(x, y, c.elems());
            if (emulate) {
                emulate->fast(x, q.data(), c.r1 - c.r0, c.c1 - c.c0, ctx, options);
                sumsE[i].addRange(q.data(), y, c.elems());
                sameE[i] = countIdentical(q.data(), y, c.elems());
            }
            const int64_t d = done.fetch_add(c.elems()) + c.elems();
            if (omp_get_thread_num() == 0) {
                if (progress) progress->report(uint64_t(d), uint64_t(total), "elements");
                checkCancel();
            }
        }
    }
    if (checkCancel()) return Error{"cancelled", 1};
    auto finishSide = [&](const std::vector<ErrorSums>& s, const std::vector<IdenticalCount>& ident) {
        ErrorSums all(shift);
        IdenticalCount count;
        for (size_t i = 0; i < nc; ++i) {
            all.merge(s[i]);
            count.merge(ident[i]);
        }
        DiffSide side;
        side.metrics = finish(all);
        side.identical = count;
        side.sumSq = all.sxx;
        return side;
    };
    out.b = finishSide(sums, same);
    if (emulate) out.emulated = finishSide(sumsE, sameE);
    out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return out;
}

DiffSummary diffSummary(const std::vector<DiffTensor>& tensors, bool emulated)
{
    DiffSummary s;
    const double na = std::numeric_limits<double>::quiet_NaN();
    double pcc = 0, mae = 0, atol = 0, rmse = 0, sqnr = 0;
    int measured = 0;
    double wpcc = 0, wpccN = 0, sabs = 0, sse = 0, sxx = 0, maxAbs = 0;
    int64_t pairs = 0;
    for (const DiffTensor& t : tensors) {
        const DiffSide* side = emulated ? (t.emulated ? &*t.emulated : nullptr) : &t.b;
        if (!side) continue;
        ++s.tensors;
        s.identical.merge(side->identical);
        const Metrics& m = side->metrics;
        if (!std::isnan(m.pcc)) {
            pcc += m.pcc, ++s.pccMeasured;
            wpcc += m.pcc * double(m.count), wpccN += double(m.count);
        }
        if (m.undefined() || m.count == 0) continue;
        mae += m.mae, atol += m.atol, rmse += m.rmse, sqnr += m.sqnrDb, ++measured;
        sabs += m.mae * double(m.count);
        sse += m.sse;
        sxx += side->sumSq;
        maxAbs = std::max(maxAbs, m.atol);
        pairs += m.count;
    }
    s.mean.pcc = s.pccMeasured ? pcc / s.pccMeasured : na;
    s.mean.mae = measured ? mae / measured : na;
    s.mean.atol = measured ? atol / measured : na;
    s.mean.rmse = measured ? rmse / measured : na;
    s.mean.sqnrDb = measured ? sqnr / measured : na;  // +inf when a tensor is exact
    s.mean.count = pairs;
    s.weighted.pcc = wpccN > 0 ? wpcc / wpccN : na;
    s.weighted.mae = pairs ? sabs / double(pairs) : na;
    s.weighted.atol = pairs ? maxAbs : na;
    s.weighted.rmse = pairs ? std::sqrt(sse / double(pairs)) : na;
    s.weighted.sqnrDb = pairs ? sqnrDb(sxx, sse) : na;
    s.weighted.sse = sse;
    s.weighted.count = pairs;
    return s;
}

Result<DiffReport> runDiff(const std::shared_ptr<Model>& a, const std::shared_ptr<Model>& b, const DiffParams& params,
                           const DiffObserver& observer, Progress* progress)
{
    DiffReport report;
    report.repoA = a->provider().repoName();
    report.revisionA = a->provider().revision();
    report.describeA = a->provider().describe();
    report.repoB = b->provider().repoName();
    report.revisionB = b->provider().revision();
    report.describeB = b->provider().describe();
    report.options = params.options;
    auto emulateR = emulatedFormat(params);
    if (!emulateR) return emulateR.error();
    const Format* emulate = *emulateR;
    if (emulate) report.emulate = std::string(emulate->name);
    if (params.limit == 0) return Error::usage("No tensors matched: --limit 0 keeps none.");

    // The selection rules of wq over the union of both sides' logical names.
    std::vector<std::string> names = a->tensorNames(), layoutNames = a->layoutTensorNames();
    for (const std::string& n : b->tensorNames())
        if (!a->find(n)) names.push_back(n);
    for (const std::string& n : b->layoutTensorNames()) layoutNames.push_back(n);
    naturalSort(names);
    std::vector<std::string> filter;
    for (const QString& w : params.filter) filter.push_back(w.toStdString());
    auto selected = selectTensors(names, filter, params.regex.toStdString(), 0, params.all, &layoutNames);
    if (!selected) return selected.error();

    std::vector<std::string> pairs, skippedTypes;
    size_t skipped = 0;
    for (const std::string& n : *selected) {
        const TensorInfo* ta = a->find(n);
        const TensorInfo* tb = b->find(n);
        if (!ta || !tb) {
            (ta ? report.onlyA : report.onlyB).push_back(n);
            continue;
        }
        if (dtypeIsInteger(ta->dtype) || dtypeIsInteger(tb->dtype)) {  // never quantized: not compared
            ++skipped;
            for (const TensorInfo* t : {ta, tb})
                if (dtypeIsInteger(t->dtype) &&
                    std::find(skippedTypes.begin(), skippedTypes.end(), t->dtypeName) == skippedTypes.end())
                    skippedTypes.push_back(t->dtypeName);
            continue;
        }
        if (ta->shape != tb->shape) {
            report.mismatches.push_back({n, ta->shape, tb->shape, ta->dtypeName, tb->dtypeName});
            continue;
        }
        pairs.push_back(n);
    }
    if (skipped) {
        std::string list;
        for (size_t i = 0; i < skippedTypes.size(); ++i) list += (i ? ", " : "") + skippedTypes[i];
        report.skipped = "skipped " + std::to_string(skipped) + (skipped == 1 ? " integer tensor (" : " integer tensors (") +
                         list + "): integers and booleans are not compared";
    }
    if (params.limit > 0 && int64_t(pairs.size()) > params.limit) pairs.resize(size_t(params.limit));
    for (const std::string& n : pairs) {
        DiffTensor t;
        t.name = n;
        t.shape = a->find(n)->shape;
        t.dtypeA = a->find(n)->dtypeName;
        t.dtypeB = b->find(n)->dtypeName;
        report.tensors.push_back(std::move(t));  // placeholders until measured (names for the header)
    }
    if (observer.started) observer.started(report);

    // Tensors in order: a big pair uses every core by itself; a run of small ones is read in
    // order and compared side by side, one pair per thread, then reported in order.
    const size_t count = pairs.size();
    std::vector<std::shared_ptr<TensorReader>> readersA, readersB;
    std::vector<std::optional<Result<DiffTensor>>> results;
    size_t batchEnd = 0;
    auto prepareBatch = [&](size_t first) -> Result<void> {
        readersA.clear();
        readersB.clear();
        results.clear();
        int64_t elements = 0;
        for (size_t i = first; i < count && readersA.size() < kBatchTensors; ++i) {
            const int64_t numel = a->find(pairs[i])->numel();
            if (!readersA.empty() && (numel >= kParallelMinElements || elements + numel > kBatchElements)) break;
            auto ra = a->reader(pairs[i], progress);
            if (!ra) return Error::model("A: " + ra.error().message);
            auto rb = b->reader(pairs[i], progress);
            if (!rb) return Error::model("B: " + rb.error().message);
            readersA.push_back(*ra);
            readersB.push_back(*rb);
            elements += numel;
            if (numel >= kParallelMinElements) break;
        }
        results.resize(readersA.size());
        if (readersA.size() == 1) {
            results[0] = diffTensor(*readersA[0], *readersB[0], emulate, params.options, progress);
        } else {
            const int64_t n = int64_t(readersA.size());
#pragma omp parallel for schedule(dynamic, 1) if (worthParallel(n, elements * (emulate ? 3 : 1)))
            for (int64_t i = 0; i < n; ++i)
                results[size_t(i)] = diffTensor(*readersA[size_t(i)], *readersB[size_t(i)], emulate, params.options, nullptr);
        }
        batchEnd = first + readersA.size();
        return {};
    };
    for (size_t ti = 0; ti < count; ++ti) {
        if (progress) progress->phase("[" + std::to_string(ti + 1) + "/" + std::to_string(count) + "] " + pairs[ti]);
        if (ti >= batchEnd) {
            auto batch = prepareBatch(ti);
            if (!batch) return batch.error();
        }
        const size_t slot = readersA.size() - (batchEnd - ti);
        Result<DiffTensor>& r = *results[slot];
        if (!r) return r.error();
        r->name = pairs[ti];
        report.tensors[ti] = std::move(*r);
        if (observer.tensorDone) observer.tensorDone(report, report.tensors[ti]);
        if (progress && progress->cancelled()) return Error{"cancelled", 1};
    }
    return report;
}

Result<DiffReport> runDiff(const DiffParams& params, const DiffObserver& observer, Progress* progress)
{
    if (params.modelA.isEmpty() || params.modelB.isEmpty())
        return Error::usage("diff needs two models: A and B (Hub repo ids or URLs, folders or .safetensors files)");
    if (auto f = emulatedFormat(params); !f) return f.error();  // before any download
    auto a = openModel(params.modelA, params.revisionA, params.cacheDir, progress);
    if (!a) {
        Error e = a.error();
        e.message = "A (" + params.modelA.toStdString() + "): " + e.message;
        return e;
    }
    auto b = openModel(params.modelB, params.revisionB, params.cacheDir, progress);
    if (!b) {
        Error e = b.error();
        e.message = "B (" + params.modelB.toStdString() + "): " + e.message;
        return e;
    }
    return runDiff(*a, *b, params, observer, progress);
}

} // namespace qs
