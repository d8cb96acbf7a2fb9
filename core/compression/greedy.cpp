// mixed-tile-greedy: demote tiles (or k-means groups of tiles) from the start
// assignment with the least tensor-level metric loss per byte saved while the metric
// still meets the threshold. See mixed.h.
#include "compression/mixed_internal.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <queue>

namespace qs::detail {

ChosenState::ChosenState(const TileSums& sums, std::vector<int8_t> start)
    : m_sums(sums), m_assign(std::move(start)), m_total(sums.shift)
{
    for (size_t t = 0; t < m_assign.size(); ++t) {
        const ErrorSums& s = sums.at(size_t(m_assign[t]), int64_t(t));
        m_total.merge(s);
        m_maxes.insert(s.maxAbs);
    }
}

double ChosenState::maxExcluding(double v) const
{
    auto it = m_maxes.find(v);
    if (it == m_maxes.end()) return currentMax();
    auto last = std::prev(m_maxes.end());
    if (it != last) return *last;
    return it == m_maxes.begin() ? 0.0 : *std::prev(it);
}

ErrorSums ChosenState::afterTile(int64_t tile, int a, int b) const
{
    const ErrorSums& sa = m_sums.at(size_t(a), tile);
    const ErrorSums& sb = m_sums.at(size_t(b), tile);
    const double curMax = currentMax();
    const double others = sa.maxAbs < curMax ? curMax : maxExcluding(sa.maxAbs);
    ErrorSums s = m_total;
    s.subtract(sa);
    s.merge(sb);
    s.maxAbs = std::max(others, sb.maxAbs);
    return s;
}

ErrorSums ChosenState::after(const std::vector<int64_t>& tiles, int a, const ErrorSums& removed,
                             const ErrorSums& added, double groupMaxA, double groupMaxB)
{
    const double curMax = currentMax();
    double others = curMax;
    if (groupMaxA >= curMax) {
        // The group holds the current maximum: take its tiles out, read, put them back.
        std::vector<std::multiset<double>::node_type> held;
        held.reserve(tiles.size());
        for (int64_t t : tiles) held.push_back(m_maxes.extract(m_sums.at(size_t(a), t).maxAbs));
        others = currentMax();
        for (auto& n : held) m_maxes.insert(std::move(n));
    }
    ErrorSums s = m_total;
    s.subtract(removed);
    s.merge(added);
    s.maxAbs = std::max(others, groupMaxB);
    return s;
}

void ChosenState::apply(const std::vector<int64_t>& tiles, int b)
{
    for (int64_t t : tiles) {
        const ErrorSums& sa = m_sums.at(size_t(m_assign[size_t(t)]), t);
        const ErrorSums& sb = m_sums.at(size_t(b), t);
        m_total.subtract(sa);
        m_total.merge(sb);
        m_maxes.erase(m_maxes.find(sa.maxAbs));
        m_maxes.insert(sb.maxAbs);
        m_assign[size_t(t)] = int8_t(b);
    }
    m_total.maxAbs = currentMax();
}

namespace {

// Signed metric degradation from `before` to `after` (positive = worse).
double lossOf(double before, double after, MetricKind kind)
{
    return higherIsBetter(kind) ? before - after : after - before;
}

struct Move {
    double key;     // loss per byte saved
    double saved;   // bytes saved
    int64_t tile;
    int to;
    uint32_t version;  // tile's move counter when evaluated
    uint64_t epoch;    // state epoch when the key was computed
};

struct MoveOrder {  // priority_queue is a max-heap: "less" = lower priority
    bool operator()(const Move& x, const Move& y) const
    {
        if (x.key != y.key) return x.key > y.key;
        if (x.saved != y.saved) return x.saved < y.saved;
        if (x.tile != y.tile) return x.tile > y.tile;
        return x.to > y.to;
    }
};

} // namespace

std::vector<int8_t> greedySingle(const TileSums& sums, const MixedParams& p, std::vector<int8_t> start)
{
    const size_t F = p.candidates.size();
    std::vector<double> tileBytes(F);
    for (size_t f = 0; f < F; ++f) tileBytes[f] = p.candidates[f]->bytesPerElement() * kTileElems;

    ChosenState state(sums, std::move(start));
    std::vector<uint32_t> version(state.assignment().size(), 0);
    uint64_t epoch = 0;
    double current = decisionValue(finish(state.total()), p.metric);

    // Evaluates moving tile t from its format to b against the current state.
    auto evaluate = [&](int64_t t, int b, bool& feasible) {
        const int a = state.assignment()[size_t(t)];
        const Metrics m = finish(state.afterTile(t, a, b));
        feasible = meetsThreshold(m, p.metric, p.threshold);
        return lossOf(current, decisionValue(m, p.metric), p.metric) / (tileBytes[size_t(a)] - tileBytes[size_t(b)]);
    };
    std::priority_queue<Move, std::vector<Move>, MoveOrder> heap;
    auto pushMoves = [&](int64_t t) {
        const int a = state.assignment()[size_t(t)];
        for (size_t b = 0; b < F; ++b) {
            if (tileBytes[b] >= tileBytes[size_t(a)]) continue;
            bool feasible;
            const double key = evaluate(t, int(b), feasible);
            if (feasible)
                heap.push({key, tileBytes[size_t(a)] - tileBytes[b], t, int(b), version[size_t(t)], epoch});
        }
    };
    for (int64_t t = 0; t < int64_t(version.size()); ++t) pushMoves(t);

    // Lazy re-evaluation: a popped key computed before the last move is recomputed; it is
    // taken if it still ranks first (or after a bounded number of re-pushes, so a
    // uniform drift of all keys cannot make one move cost a pass over the heap).
    constexpr int kMaxRepush = 32;
    int repushes = 0;
    while (!heap.empty()) {
        Move mv = heap.top();
        heap.pop();
        if (mv.version != version[size_t(mv.tile)]) continue;  // the tile moved since
        if (mv.epoch != epoch) {
            bool feasible;
            mv.key = evaluate(mv.tile, mv.to, feasible);
            mv.epoch = epoch;
            if (!feasible) continue;  // metric only degrades as demotions accumulate
            if (!heap.empty() && repushes < kMaxRepush && MoveOrder{}(mv, heap.top())) {
                heap.push(mv);
                ++repushes;
                continue;
            }
        }
        state.apply({mv.tile}, mv.to);
        repushes = 0;
        ++epoch;
        ++version[size_t(mv.tile)];
        current = decisionValue(finish(state.total()), p.metric);
        pushMoves(mv.tile);
    }
    return state.assignment();
}

std::vector<size_t> kmeans1d(const std::vector<double>& v, int k, int maxIter)
{
    const size_t m = v.size();
    if (m == 0) return {};
    const size_t kk = std::min<size_t>(size_t(std::max(k, 1)), m);
    std::vector<double> prefix(m + 1, 0.0);
    for (size_t i = 0; i < m; ++i) prefix[i + 1] = prefix[i] + v[i];
    std::vector<double> c(kk);
    for (size_t j = 0; j < kk; ++j) c[j] = v[kk == 1 ? 0 : j * (m - 1) / (kk - 1)];
    std::vector<size_t> starts;
    for (int iter = 0; iter < maxIter; ++iter) {
        // Sorted data + sorted centroids: cluster j = values closer to c[j] than to its
        // neighbours, a contiguous range bounded by the midpoints.
        std::vector<size_t> bounds(kk + 1, 0);
        bounds[kk] = m;
        for (size_t j = 1; j < kk; ++j) {
            const double mid = c[j - 1] + (c[j] - c[j - 1]) / 2;
            bounds[j] = size_t(std::upper_bound(v.begin(), v.end(), mid) - v.begin());
            bounds[j] = std::max(bounds[j], bounds[j - 1]);
        }
        std::vector<double> next = c;
        for (size_t j = 0; j < kk; ++j)
            if (bounds[j + 1] > bounds[j])
                next[j] = (prefix[bounds[j + 1]] - prefix[bounds[j]]) / double(bounds[j + 1] - bounds[j]);
        std::sort(next.begin(), next.end());
        std::vector<size_t> s;
        for (size_t j = 0; j < kk; ++j)
            if (bounds[j + 1] > bounds[j]) s.push_back(bounds[j]);
        const bool stable = s == starts && next == c;
        starts = std::move(s);
        c = std::move(next);
        if (stable) break;
    }
    return starts;
}

namespace {

struct Cluster {
    std::vector<int64_t> tiles;
    ErrorSums removed, added;
    double maxA = 0, maxB = 0;
    double saved = 0;
};

} // namespace

std::vector<int8_t> greedyKmeans(const TileSums& sums, const MixedParams& p, std::vector<int8_t> start)
{
    const int F = int(p.candidates.size());
    const int64_t T = int64_t(start.size());
    std::vector<double> tileBytes(static_cast<size_t>(F));
    for (int f = 0; f < F; ++f) tileBytes[size_t(f)] = p.candidates[size_t(f)]->bytesPerElement() * kTileElems;

    // Tiles ordered by their per-tile score in each format (ascending value, ties by tile).
    std::vector<std::vector<double>> score(static_cast<size_t>(F), std::vector<double>(static_cast<size_t>(T)));
    std::vector<std::vector<int64_t>> order(static_cast<size_t>(F));
    for (int f = 0; f < F; ++f) {
        for (int64_t t = 0; t < T; ++t) score[size_t(f)][size_t(t)] = decisionValue(sums.tileMetrics(size_t(f), t), p.metric);
        auto& o = order[size_t(f)];
        o.resize(size_t(T));
        std::iota(o.begin(), o.end(), int64_t(0));
        const auto& sc = score[size_t(f)];
        std::stable_sort(o.begin(), o.end(), [&](int64_t x, int64_t y) { return sc[size_t(x)] < sc[size_t(y)]; });
    }

    ChosenState state(sums, std::move(start));
    struct Pair { int a, b; std::vector<Cluster> clusters; bool dirty = true; };
    std::vector<Pair> pairs;
    for (int a = 0; a < F; ++a)
        for (int b = 0; b < F; ++b)
            if (tileBytes[size_t(b)] < tileBytes[size_t(a)]) pairs.push_back({a, b, {}, true});

    auto recluster = [&](Pair& pr) {
        pr.clusters.clear();
        std::vector<int64_t> members;
        std::vector<double> values;
        for (int64_t t : order[size_t(pr.b)])
            if (state.assignment()[size_t(t)] == pr.a) {
                members.push_back(t);
                values.push_back(score[size_t(pr.b)][size_t(t)]);
            }
        const std::vector<size_t> starts = kmeans1d(values, p.k);
        for (size_t j = 0; j < starts.size(); ++j) {
            const size_t end = j + 1 < starts.size() ? starts[j + 1] : members.size();
            Cluster c;
            c.removed = ErrorSums(sums.shift);
            c.added = ErrorSums(sums.shift);
            for (size_t i = starts[j]; i < end; ++i) {
                const int64_t t = members[i];
                c.tiles.push_back(t);
                c.removed.merge(sums.at(size_t(pr.a), t));
                c.added.merge(sums.at(size_t(pr.b), t));
            }
            c.maxA = c.removed.maxAbs;
            c.maxB = c.added.maxAbs;
            c.saved = double(c.tiles.size()) * (tileBytes[size_t(pr.a)] - tileBytes[size_t(pr.b)]);
            pr.clusters.push_back(std::move(c));
        }
        pr.dirty = false;
    };

    for (;;) {
        const double current = decisionValue(finish(state.total()), p.metric);
        const Cluster* best = nullptr;
        const Pair* bestPair = nullptr;
        double bestKey = 0;
        for (Pair& pr : pairs) {
            if (pr.dirty) recluster(pr);
            for (const Cluster& c : pr.clusters) {
                const Metrics m = finish(state.after(c.tiles, pr.a, c.removed, c.added, c.maxA, c.maxB));
                if (!meetsThreshold(m, p.metric, p.threshold)) continue;
                const double key = lossOf(current, decisionValue(m, p.metric), p.metric) / c.saved;
                if (!best || key < bestKey || (key == bestKey && c.saved > best->saved)) {
                    best = &c;
                    bestPair = &pr;
                    bestKey = key;
                }
            }
        }
        if (!best) break;
        const int a = bestPair->a, b = bestPair->b;
        state.apply(best->tiles, b);
        for (Pair& pr : pairs)
            if (pr.a == a || pr.a == b) pr.dirty = true;
    }
    return state.assignment();
}

} // namespace qs::detail
