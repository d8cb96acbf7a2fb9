#include "compression/planner.h"

#include <algorithm>
#include <optional>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace qs {

namespace {

struct Increment {
    double dBytes;
    double dSse;     // error saved (> 0)
    int32_t item;
    int32_t to;      // option index reached
    int32_t rank;    // position in the item's hull sequence
};

// Lower convex hull of an item's options in (bytes, sse), from the fewest bytes:
// strictly decreasing sse, decreasing slope magnitude (convex).
std::vector<int> lowerHull(const PlanItem& it)
{
    std::vector<int> idx(it.options.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](int a, int b) {
        const auto &A = it.options[size_t(a)], &B = it.options[size_t(b)];
        if (A.bytes != B.bytes) return A.bytes < B.bytes;
        if (A.sse != B.sse) return A.sse < B.sse;
        return a < b;
    });
    std::vector<int> hull;
    for (int i : idx) {
        const PlanOption& p = it.options[size_t(i)];
        if (!hull.empty()) {
            const PlanOption& last = it.options[size_t(hull.back())];
            if (p.sse >= last.sse) continue;  // dominated: more (or equal) bytes, no better
            if (p.bytes == last.bytes) continue;
        }
        while (hull.size() >= 2) {
            const PlanOption& a = it.options[size_t(hull[hull.size() - 2])];
            const PlanOption& b = it.options[size_t(hull.back())];
            // b is above segment a-p (not convex) when its saving rate is <= that of b->p
            const double r1 = (a.sse - b.sse) / (b.bytes - a.bytes);
            const double r2 = (b.sse - p.sse) / (p.bytes - b.bytes);
            if (r1 <= r2) hull.pop_back();
            else break;
        }
        hull.push_back(i);
    }
    return hull;
}


double totalBytes(const std::vector<PlanItem>& items, const std::vector<int>& choice)
{
    double b = 0;
    for (size_t i = 0; i < items.size(); ++i) b += items[i].options[size_t(choice[i])].bytes;
    return b;
}

// Fill: any option of any item that lowers the error and fits, best saving per byte first.
void fill(const std::vector<PlanItem>& items, double budget, std::vector<int>& choice)
{
    double bytes = totalBytes(items, choice);
    for (;;) {
        double bestRate = 0, bestSave = 0;
        size_t bi = 0;
        int bo = -1;
        for (size_t i = 0; i < items.size(); ++i) {
            const PlanOption& cur = items[i].options[size_t(choice[i])];
            for (size_t o = 0; o < items[i].options.size(); ++o) {
                const PlanOption& p = items[i].options[o];
                const double save = cur.sse - p.sse, db = p.bytes - cur.bytes;
                if (save <= 0 || bytes + db > budget) continue;
                const double rate = db <= 0 ? std::numeric_limits<double>::infinity() : save / db;
                if (bo < 0 || rate > bestRate || (rate == bestRate && save > bestSave))
                    bestRate = rate, bestSave = save, bi = i, bo = int(o);
            }
        }
        if (bo < 0) return;
        bytes += items[bi].options[size_t(bo)].bytes - items[bi].options[size_t(choice[bi])].bytes;
        choice[bi] = bo;
    }
}

// Re-chooses up to kCoreItems items nearest the break point jointly by DP over bytes,
// in units of g bytes (g = 1 when the core's capacity is at most kCells; otherwise
// costs are rounded up, so the budget still holds). Keeps the old choice unless the DP
// one has less error.
void repairCore(const std::vector<PlanItem>& items, const std::vector<Increment>& incs, size_t breakAt,
                double budget, std::vector<int>& choice)
{
    constexpr size_t kCoreItems = 64;
    constexpr int64_t kCells = 1 << 15;
    std::vector<size_t> order;
    const size_t lo = breakAt > 1024 ? breakAt - 1024 : 0, hi = std::min(incs.size(), breakAt + 1024);
    for (size_t n = lo; n < hi; ++n) order.push_back(n);
    auto dist = [&](size_t n) { return n > breakAt ? n - breakAt : breakAt - n; };
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return dist(x) < dist(y); });
    std::vector<int32_t> core;
    std::vector<char> inCore(items.size(), 0);
    for (size_t n : order) {
        const int32_t it = incs[n].item;
        if (!inCore[size_t(it)] && core.size() < kCoreItems) inCore[size_t(it)] = 1, core.push_back(it);
    }
    double fixedBytes = 0, coreSse = 0;
    for (size_t i = 0; i < items.size(); ++i) {
        const PlanOption& c = items[i].options[size_t(choice[i])];
        if (inCore[i]) coreSse += c.sse;
        else fixedBytes += c.bytes;
    }
    const double cap = budget - fixedBytes;
    if (cap < 0) return;
    const double g = cap <= double(kCells) ? 1.0 : std::ceil(cap / double(kCells));
    const int64_t W = int64_t(std::floor(cap / g));
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> dp(size_t(W + 1), 0.0), nd(size_t(W + 1));
    std::vector<std::vector<int8_t>> pick(core.size(), std::vector<int8_t>(size_t(W + 1), -1));
    for (size_t k = 0; k < core.size(); ++k) {
        const auto& opts = items[size_t(core[k])].options;
        std::fill(nd.begin(), nd.end(), inf);
        for (size_t o = 0; o < opts.size() && o < 127; ++o) {
            const double wu = std::ceil(opts[o].bytes / g - 1e-12);
            if (wu > double(W)) continue;
            const int64_t w = int64_t(wu);
            for (int64_t b = w; b <= W; ++b) {
                const double v = dp[size_t(b - w)] + opts[o].sse;
                if (v < nd[size_t(b)]) nd[size_t(b)] = v, pick[k][size_t(b)] = int8_t(o);
            }
        }
        dp.swap(nd);
    }
    if (!(dp[size_t(W)] < coreSse)) return;
    int64_t b = W;
    for (size_t k = core.size(); k-- > 0;) {
        const int o = pick[k][size_t(b)];
        choice[size_t(core[k])] = o;
        b -= int64_t(std::ceil(items[size_t(core[k])].options[size_t(o)].bytes / g - 1e-12));
    }
}

// Every item's lower-hull steps from the all-cheapest start, in the Lagrangian order: best
// saving per byte first; within an item the hull order (convexity makes the global order
// consistent with it; rank breaks exact ties). nullopt when an item has no options
// (its index in empty).
struct HullSweep {
    std::vector<int> start;     // per item: its fewest-bytes hull option
    double bytes = 0, sse = 0;  // totals at the start
    std::vector<Increment> steps;
};

std::optional<HullSweep> hullSweep(const std::vector<PlanItem>& items, size_t& empty)
{
    HullSweep w;
    w.start.assign(items.size(), -1);
    w.steps.reserve(items.size() * 3);
    for (size_t i = 0; i < items.size(); ++i) {
        if (items[i].options.empty()) {
            empty = i;
            return std::nullopt;
        }
        const std::vector<int> hull = lowerHull(items[i]);
        w.start[i] = hull.front();
        w.bytes += items[i].options[size_t(hull.front())].bytes;
        w.sse += items[i].options[size_t(hull.front())].sse;
        for (size_t k = 1; k < hull.size(); ++k) {
            const PlanOption& a = items[i].options[size_t(hull[k - 1])];
            const PlanOption& b = items[i].options[size_t(hull[k])];
            w.steps.push_back({b.bytes - a.bytes, a.sse - b.sse, int32_t(i), hull[k], int32_t(k)});
        }
    }
    std::sort(w.steps.begin(), w.steps.end(), [](const Increment& a, const Increment& b) {
        const double l = a.dSse * b.dBytes, r = b.dSse * a.dBytes;
        if (l != r) return l > r;
        if (a.item != b.item) return a.item < b.item;
        return a.rank < b.rank;
    });
    return w;
}

} // namespace

Result<PlanSolution> solvePlan(const std::vector<PlanItem>& items, double budget)
{
    PlanSolution sol;
    size_t empty = 0;
    std::optional<HullSweep> sweep = hullSweep(items, empty);
    if (!sweep) return Error::usage("planner: item " + std::to_string(empty) + " has no options");
    sol.choice = std::move(sweep->start);
    const std::vector<Increment>& incs = sweep->steps;
    double bytes = sweep->bytes, sse = sweep->sse;
    if (bytes > budget)
        return Error::usage("planner: the budget of " + std::to_string(int64_t(budget)) +
                            " bytes is below the smallest possible size (" +
                            std::to_string(int64_t(std::ceil(bytes))) + " bytes)");
    std::vector<int32_t> nextRank(items.size(), 1);
    std::vector<char> blocked(items.size(), 0);
    bool lpDone = false;
    double bound = 0;
    size_t breakAt = incs.size();
    for (size_t n = 0; n < incs.size(); ++n) {
        const Increment& in = incs[n];
        if (blocked[size_t(in.item)] || nextRank[size_t(in.item)] != in.rank) continue;
        if (bytes + in.dBytes <= budget) {
            bytes += in.dBytes;
            sse -= in.dSse;
            sol.choice[size_t(in.item)] = in.to;
            ++nextRank[size_t(in.item)];
        } else {
            if (!lpDone) {  // the LP optimum takes this increment fractionally
                lpDone = true;
                const double frac = (budget - bytes) / in.dBytes;
                bound = sse - frac * in.dSse;
                sol.lambda = in.dSse / in.dBytes;
                breakAt = n;
            }
            blocked[size_t(in.item)] = 1;
        }
    }
    if (!lpDone) bound = sse;  // every increment fitted: the greedy answer is optimal
    fill(items, budget, sol.choice);
    // Exact repair on the core: the items whose hull steps lie nearest the LP break point
    // are re-chosen jointly by DP over their bytes (the rest stay fixed), then the fill
    // pass runs again on what is left.
    if (breakAt < incs.size()) {
        repairCore(items, incs, breakAt, budget, sol.choice);
        fill(items, budget, sol.choice);
    }
    // Totals summed fresh in item order (no drift from the running updates).
    sol.bytes = 0, sol.sse = 0;
    for (size_t i = 0; i < items.size(); ++i) {
        sol.bytes += items[i].options[size_t(sol.choice[i])].bytes;
        sol.sse += items[i].options[size_t(sol.choice[i])].sse;
    }
    sol.lowerBound = std::min(bound, sol.sse);
    return sol;
}

std::vector<PlanCurvePoint> planCurve(const std::vector<PlanItem>& items, size_t maxPoints)
{
    size_t empty = 0;
    const std::optional<HullSweep> sweep = hullSweep(items, empty);  // solvePlan's sweep
    if (!sweep) return {};
    const std::vector<Increment>& incs = sweep->steps;
    double bytes = sweep->bytes, sse = sweep->sse;
    std::vector<PlanCurvePoint> all;
    all.reserve(incs.size() + 1);
    all.push_back({bytes, std::max(0.0, sse)});
    for (const Increment& in : incs) {
        bytes += in.dBytes;
        sse -= in.dSse;
        all.push_back({bytes, std::max(0.0, sse)});
    }
    if (maxPoints < 2 || all.size() <= maxPoints) return all;
    std::vector<PlanCurvePoint> out;
    out.reserve(maxPoints);
    for (size_t k = 0; k < maxPoints; ++k) out.push_back(all[k * (all.size() - 1) / (maxPoints - 1)]);
    return out;
}

std::vector<PlanItem> tileItems(const TileSums& s)
{
    std::vector<PlanItem> items(size_t(s.grid.tileCount()));
    for (size_t t = 0; t < items.size(); ++t) {
        items[t].options.resize(s.formats.size());
        for (size_t f = 0; f < s.formats.size(); ++f)
            items[t].options[f] = {1024.0 * s.formats[f]->bytesPerElement(), sseOf(s.at(f, int64_t(t)))};
    }
    return items;
}

} // namespace qs

namespace qs {

Result<double> parseBudget(const std::string& text, int64_t params)
{
    const auto bad = [&] {
        return Error::usage("--budget: '" + text +
                            "' is not a size (expected a number with B, KB, MB, GB, KiB, MiB, GiB or "
                            "bytes/param; a bare number is bytes)");
    };
    size_t pos = 0;
    double v = 0;
    try {
        v = std::stod(text, &pos);
    } catch (...) {
        return bad();
    }
    std::string unit = text.substr(pos);
    while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
    if (!(v > 0) || !std::isfinite(v)) return bad();
    static const std::pair<const char*, double> units[] = {
        {"", 1},          {"B", 1},           {"KB", 1e3},         {"MB", 1e6},          {"GB", 1e9},
        {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
    for (const auto& [name, factor] : units)
        if (unit == name) return v * factor;
    if (unit == "bytes/param") return v * double(params);
    return bad();
}

Result<double> budgetFromBits(double bits, int64_t params)
{
    if (!(bits > 0) || !std::isfinite(bits))
        return Error::usage("--bits: expected a positive number of bits per parameter, got " + std::to_string(bits));
    return bits * double(params) / 8.0;
}

} // namespace qs
