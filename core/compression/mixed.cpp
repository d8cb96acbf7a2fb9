#include "compression/mixed.h"
#include "common/parallel.h"
#include "compression/mixed_internal.h"

#include <algorithm>
#include <limits>
#include <atomic>
#include <optional>
#include <cmath>
#include <random>
#include <set>

namespace qs {

std::string_view algorithmName(MixedAlgorithm a)
{
    switch (a) {
    case MixedAlgorithm::Threshold: return "mixed-tile-threshold";
    case MixedAlgorithm::Greedy: return "mixed-tile-greedy";
    case MixedAlgorithm::Random: return "mixed-tile-random";
    }
    return "";
}

std::string_view metricName(MetricKind m)
{
    switch (m) {
    case MetricKind::Pcc: return "pcc";
    case MetricKind::Mae: return "mae";
    case MetricKind::Atol: return "atol";
    case MetricKind::Wsqnr: return "wsqnr";
    case MetricKind::Wrel: return "wrel";
    }
    return "";
}

bool higherIsBetter(MetricKind m) { return m == MetricKind::Pcc || m == MetricKind::Wsqnr; }
bool isWeighted(MetricKind m) { return m == MetricKind::Wsqnr || m == MetricKind::Wrel; }

bool parseMetric(std::string_view name, MetricKind& out)
{
    std::string lower(name);
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    for (MetricKind m : {MetricKind::Pcc, MetricKind::Mae, MetricKind::Atol, MetricKind::Wsqnr, MetricKind::Wrel})
        if (lower == metricName(m)) { out = m; return true; }
    return false;
}

double metricValue(const Metrics& m, MetricKind kind)
{
    switch (kind) {
    case MetricKind::Pcc: return m.pcc;
    case MetricKind::Mae: return m.mae;
    case MetricKind::Atol: return m.atol;
    case MetricKind::Wsqnr: return m.wsqnrDb;
    case MetricKind::Wrel: return m.wrel;
    }
    return m.pcc;
}

double decisionValue(const Metrics& m, MetricKind kind)
{
    if (m.count > 0) return kind == MetricKind::Pcc ? m.originalPcc() : metricValue(m, kind);
    const double inf = std::numeric_limits<double>::infinity();
    const bool higher = higherIsBetter(kind);
    if (m.nonFiniteY > 0) return higher ? -inf : inf;
    return kind == MetricKind::Pcc ? 1.0 : kind == MetricKind::Wsqnr ? inf : 0.0;
}

bool meetsThreshold(double v, MetricKind kind, double threshold)
{
    if (std::isnan(v)) return false;
    return higherIsBetter(kind) ? v >= threshold : v <= threshold;
}

bool meetsThreshold(const Metrics& m, MetricKind kind, double threshold)
{
    return m.nonFiniteY == 0 && meetsThreshold(decisionValue(m, kind), kind, threshold);
}

bool metricBetter(double a, double b, MetricKind kind)
{
    if (std::isnan(b)) return !std::isnan(a);
    if (std::isnan(a)) return false;
    return higherIsBetter(kind) ? a > b : a < b;
}

namespace {

// Device bytes of `tiles` whole 32x32 tiles in f, with its per-tensor extras.
double tilesBytes(const Format& f, int64_t tiles) { return double(tiles) * kTileElems * f.bytesPerElement() + f.bytesPerTensor; }

} // namespace

double assignmentBytes(const std::vector<const Format*>& candidates, const std::vector<int64_t>& counts)
{
    double bytes = 0;
    for (size_t f = 0; f < candidates.size(); ++f)
        if (counts[f] > 0) bytes += tilesBytes(*candidates[f], counts[f]);
    return bytes;
}

// A per-row scale (Format::rowBits, int8) is held once per real row of the format view.
double deviceBytes(const Format& f, const std::vector<int64_t>& shape)
{
    const TileGrid g = makeTileGrid(shape);
    return tilesBytes(f, g.tileCount()) + double(g.formatRows) * f.rowBits / 8.0;
}

double assignmentPayloadBytes(const TileGrid& g, const std::vector<int8_t>& assignment,
                              const std::vector<const Format*>& candidates)
{
    double total = 0;
    std::vector<char> used(candidates.size(), 0);
    for (int64_t th = 0; th < g.tilesH; ++th)
        for (int64_t tw = 0; tw < g.tilesW; ++tw) {
            const int code = assignment[size_t(th * g.tilesW + tw)];
            const int64_t c0 = tw * kTileSize;
            for (int64_t i = 0; i < g.tileRows(th); ++i) {
                const int64_t len = std::clamp<int64_t>(g.rowLength(th * kTileSize + i) - c0, 0, g.tileCols(tw));
                if (len == 0) continue;
                if (code < 0) {
                    total += 4.0 * double(len);
                } else {
                    total += rowPayloadBytes(*candidates[size_t(code)], len);
                    used[size_t(code)] = 1;
                }
            }
        }
    for (size_t f = 0; f < candidates.size(); ++f)
        if (used[f]) total += candidates[f]->bytesPerTensor;
    return total;
}

Result<void> validateMixedParams(const MixedParams& p)
{
    if (p.candidates.empty()) return Error::usage("formats: no tile format to choose from");
    if (p.candidates.size() > 127) return Error::usage("formats: at most 127 tile formats");
    std::set<const Format*> seen;
    for (const Format* f : p.candidates) {
        if (!f) return Error::usage("formats: unknown format");
        if (!seen.insert(f).second) return Error::usage("formats: " + std::string(f->name) + " listed twice");
    }
    if (!std::isfinite(p.threshold)) return Error::usage("threshold: expected a finite number");
    if (p.k < 1) return Error::usage("k: expected an integer >= 1, got " + std::to_string(p.k));
    if (p.iters < 1) return Error::usage("iters: expected an integer >= 1, got " + std::to_string(p.iters));
    return {};
}

namespace detail {

std::vector<int> precisionOrder(const std::vector<const Format*>& candidates)
{
    std::vector<int> order(candidates.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return candidates[size_t(a)]->bytesPerElement() > candidates[size_t(b)]->bytesPerElement();
    });
    return order;
}

std::vector<int8_t> thresholdAssignment(const TileSums& sums, const MixedParams& p)
{
    std::vector<int> cheapFirst(p.candidates.size());
    for (size_t i = 0; i < cheapFirst.size(); ++i) cheapFirst[i] = int(i);
    std::stable_sort(cheapFirst.begin(), cheapFirst.end(), [&](int a, int b) {
        return p.candidates[size_t(a)]->bytesPerElement() < p.candidates[size_t(b)]->bytesPerElement();
    });
    const int precise = precisionOrder(p.candidates).front();
    const int64_t T = sums.grid.tileCount();
    std::vector<int8_t> assign(static_cast<size_t>(T), static_cast<int8_t>(precise));
    for (int64_t t = 0; t < T; ++t) {
        // Cheapest bytes first; among equally cheap passing formats the better tile metric.
        for (size_t i = 0; i < cheapFirst.size();) {
            const double bytes = p.candidates[size_t(cheapFirst[i])]->bytesPerElement();
            int chosen = -1;
            double chosenValue = 0;
            size_t j = i;
            for (; j < cheapFirst.size() && p.candidates[size_t(cheapFirst[j])]->bytesPerElement() == bytes; ++j) {
                const Metrics m = sums.tileMetrics(size_t(cheapFirst[j]), t);
                const double v = decisionValue(m, p.metric);
                if (meetsThreshold(m, p.metric, p.threshold) && (chosen < 0 || metricBetter(v, chosenValue, p.metric))) {
                    chosen = cheapFirst[j];
                    chosenValue = v;
                }
            }
            if (chosen >= 0) {
                assign[size_t(t)] = int8_t(chosen);
                break;
            }
            i = j;
        }
    }
    return assign;
}

} // namespace detail

MixedResult evaluateAssignment(const TileSums& sums, const std::vector<int8_t>& assignment, MetricKind metric,
                               double threshold)
{
    MixedResult r;
    r.assignment = assignment;
    r.tilesH = sums.grid.tilesH;
    r.tilesW = sums.grid.tilesW;
    const size_t F = sums.formats.size();
    r.tileCounts.assign(F, 0);
    ErrorSums total(sums.shift);
    for (size_t t = 0; t < assignment.size(); ++t) {
        const int code = assignment[t];
        if (code < 0 || size_t(code) >= F) continue;
        ++r.tileCounts[size_t(code)];
        total.merge(sums.at(size_t(code), int64_t(t)));
    }
    r.metrics = finish(total);
    r.bytesPerFormat.assign(F, 0.0);
    for (size_t f = 0; f < F; ++f) {
        std::vector<int64_t> one(F, 0);
        one[f] = r.tileCounts[f];
        r.bytesPerFormat[f] = assignmentBytes(sums.formats, one);
    }
    r.bytes = assignmentBytes(sums.formats, r.tileCounts);
    r.metThreshold = meetsThreshold(r.metrics, metric, threshold);
    return r;
}

namespace {

void randomSearch(const TileSums& sums, const MixedParams& p, MixedResult& out)
{
    const size_t F = p.candidates.size();
    const int64_t T = sums.grid.tileCount();
    std::mt19937_64 rng(p.seed);
    std::vector<int8_t> assign(static_cast<size_t>(T)), bestAssign;
    const RandomSample* best = nullptr;
    out.samples.reserve(size_t(p.iters));
    for (int s = 0; s < p.iters; ++s) {
        for (int64_t t = 0; t < T; ++t) assign[size_t(t)] = int8_t(rng() % F);
        const MixedResult e = evaluateAssignment(sums, assign, p.metric, p.threshold);
        out.samples.push_back({e.tileCounts, e.bytes, e.metrics, e.metThreshold});
        const RandomSample& cur = out.samples.back();
        bool take = !best;
        if (best) {
            if (cur.meets != best->meets)
                take = cur.meets;
            else if (cur.meets)
                take = cur.bytes < best->bytes;
            else
                take = metricBetter(decisionValue(cur.metrics, p.metric), decisionValue(best->metrics, p.metric), p.metric);
        }
        if (take) {
            best = &cur;
            out.chosenSample = s;
            bestAssign = assign;
        }
    }
    out.assignment = std::move(bestAssign);
}

} // namespace

Result<MixedResult> runMixedOnSums(const TileSums& sums, const MixedParams& params)
{
    QS_TRY(validateMixedParams(params));
    // wsqnr >= T is wrel <= 10^(-T/20) (wsqnr = -20 log10 wrel): the algorithms rank by
    // wrel, which stays finite for exact tiles where wsqnr is +inf.
    MixedParams p = params;
    if (p.metric == MetricKind::Wsqnr) {
        p.metric = MetricKind::Wrel;
        p.threshold = std::pow(10.0, -params.threshold / 20.0);
    }
    if (sums.formats != p.candidates) return Error::usage("internal: tile sums were computed for other formats");
    const int64_t T = sums.grid.tileCount();
    const int precise = detail::precisionOrder(p.candidates).front();
    const std::vector<int8_t> allPrecise(static_cast<size_t>(T), static_cast<int8_t>(precise));
    const bool preciseMeets = evaluateAssignment(sums, allPrecise, p.metric, p.threshold).metThreshold;

    std::vector<int8_t> chosen;
    std::vector<RandomSample> samples;
    int64_t chosenSample = -1;
    std::string note;
    switch (p.algorithm) {
    case MixedAlgorithm::Threshold:
        chosen = detail::thresholdAssignment(sums, p);
        break;
    case MixedAlgorithm::Greedy: {
        if (!preciseMeets) {
            chosen = allPrecise;
            note = "most precise assignment (" + std::string(p.candidates[size_t(precise)]->name) +
                   ") misses the threshold";
            break;
        }
        auto search = [&](std::vector<int8_t> start) {
            return p.kmeans ? detail::greedyKmeans(sums, p, std::move(start))
                            : detail::greedySingle(sums, p, std::move(start));
        };
        chosen = search(allPrecise);
        note = "greedy from all-" + std::string(p.candidates[size_t(precise)]->name);
        const std::vector<int8_t> thr = detail::thresholdAssignment(sums, p);
        if (evaluateAssignment(sums, thr, p.metric, p.threshold).metThreshold) {
            const std::vector<int8_t> fromThr = search(thr);
            const MixedResult a = evaluateAssignment(sums, chosen, p.metric, p.threshold);
            const MixedResult b = evaluateAssignment(sums, fromThr, p.metric, p.threshold);
            if (b.bytes < a.bytes ||
                (b.bytes == a.bytes && metricBetter(decisionValue(b.metrics, p.metric), decisionValue(a.metrics, p.metric), p.metric))) {
                chosen = fromThr;
                note = "greedy from the mixed-tile-threshold solution";
            }
        }
        break;
    }
    case MixedAlgorithm::Random: {
        MixedResult tmp;
        randomSearch(sums, p, tmp);
        chosen = std::move(tmp.assignment);
        samples = std::move(tmp.samples);
        chosenSample = tmp.chosenSample;
        break;
    }
    }

    MixedResult r = evaluateAssignment(sums, chosen, p.metric, p.threshold);
    r.preciseMeets = preciseMeets;
    r.note = std::move(note);
    if (!r.metThreshold && r.note.empty()) r.note = "no assignment found that meets the threshold";
    r.samples = std::move(samples);
    r.chosenSample = chosenSample;
    const size_t F = p.candidates.size();
    for (size_t f = 0; f < F; ++f) {
        r.pureMetrics.push_back(finish(sums.formatTotal(f)));
        std::vector<int64_t> counts(F, 0);
        counts[f] = T;
        r.pureBytes.push_back(assignmentBytes(p.candidates, counts));
        r.purePayloadBytes.push_back(payloadBytes(*p.candidates[f], sums.grid.formatRows, sums.grid.formatCols));
    }
    r.payloadBytes = assignmentPayloadBytes(sums.grid, r.assignment, p.candidates);
    return r;
}

Result<MixedResult> runMixed(const float* x, const std::vector<int64_t>& shape, const MixedParams& p,
                             Progress* progress, const InputWeights* weights)
{
    QS_TRY(validateMixedParams(p));
    std::optional<InputWeights> uniform;
    if (isWeighted(p.metric) && !weights) {  // v ≡ 1: wsqnr = sqnr, wrel = rel_rmse
        const TileGrid g = makeTileGrid(shape);
        uniform = InputWeights::uniform(g.viewCols, g.viewRows);
        weights = &*uniform;
    }
    auto sums = computeTileSums(x, shape, p.candidates, p.options, progress, weights);
    if (!sums) return sums.error();
    return runMixedOnSums(*sums, p);
}

Result<std::vector<float>> reconstructMixed(const float* x, const std::vector<int64_t>& shape,
                                            const std::vector<int8_t>& assignment,
                                            const std::vector<const Format*>& candidates,
                                            const FormatOptions& options, Progress* progress)
{
    const TileGrid g = makeTileGrid(shape);
    if (int64_t(assignment.size()) != g.tileCount())
        return Error::usage("assignment has " + std::to_string(assignment.size()) + " tiles, the tensor has " +
                            std::to_string(g.tilesH) + " x " + std::to_string(g.tilesW) + " = " +
                            std::to_string(g.tileCount()));
    for (size_t t = 0; t < assignment.size(); ++t) {
        const int code = assignment[t];
        if (code < -1 || code >= int(candidates.size()))
            return Error::usage("assignment: tile " + std::to_string(t) + " has code " + std::to_string(code) +
                                ", expected -1.." + std::to_string(int(candidates.size()) - 1));
        if (code >= 0 && !candidates[size_t(code)]) return Error::usage("assignment: unknown format for code " + std::to_string(code));
    }
    std::vector<float> out(x, x + g.numel);  // code -1 keeps fp32
    if (g.tileCount() == 0) return out;
    const QuantContext ctx = tensorPrepass(x, g.numel).ctx;

    const std::vector<TileChunk> plan = planTileChunks(g, candidates);
    const size_t blockElems = size_t(maxBlockElems(g, plan));
    std::atomic<bool> cancelled{false};
#pragma omp parallel if (worthParallel(int64_t(plan.size()), g.numel * int64_t(candidates.size())))
    {
        std::vector<float> xb(blockElems), qb(blockElems);
#pragma omp for schedule(dynamic, 1)
        for (size_t c = 0; c < plan.size(); ++c) {
            if (cancelled.load(std::memory_order_relaxed)) continue;
            if (progress && progress->cancelled()) { cancelled.store(true); continue; }
            const TileChunk& ch = plan[c];
            const int64_t w = ch.width(g);
            bool copied = false;
            for (size_t f = 0; f < candidates.size(); ++f) {
                bool used = false;
                for (int64_t th = ch.th0; th < ch.th1 && !used; ++th)
                    for (int64_t tw = ch.tw0; tw < ch.tw1 && !used; ++tw) used = assignment[size_t(th * g.tilesW + tw)] == int(f);
                if (!used) continue;
                if (!copied) copyTileBlock(x, g, ch, xb.data()), copied = true;
                quantizeTileBlock(*candidates[f], xb.data(), g, ch, ctx, options, qb.data());
                for (int64_t th = ch.th0; th < ch.th1; ++th)
                    for (int64_t tw = ch.tw0; tw < ch.tw1; ++tw) {
                        if (assignment[size_t(th * g.tilesW + tw)] != int(f)) continue;
                        const int64_t c0 = tw * kTileSize;
                        for (int64_t i = 0; i < g.tileRows(th); ++i) {
                            const int64_t r = th * kTileSize + i;
                            const int64_t len = std::clamp<int64_t>(g.rowLength(r) - c0, 0, g.tileCols(tw));
                            const float* src = qb.data() + (r - ch.th0 * kTileSize) * w + (c0 - ch.tw0 * kTileSize);
                            std::copy(src, src + len, out.data() + r * g.viewCols + c0);
                        }
                    }
            }
        }
    }
    if (cancelled.load()) return Error::usage("cancelled");
    return out;
}

} // namespace qs
