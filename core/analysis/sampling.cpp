#include "analysis/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace qs {

uint64_t tensorSampleSeed(uint64_t seed, const std::string& name)
{
    uint64_t h = 1469598103934665603ull;  // FNV-1a 64
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
    uint64_t z = seed ^ h;
    z += 0x9e3779b97f4a7c15ull;  // splitmix64
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

namespace {

// u in [0, 1) for the rounding: the seed's own splitmix64 step, independent of the
// shuffle's stream (53 bits).
double roundingUniform(uint64_t seed)
{
    uint64_t z = seed + 0x632be59bd9b4e019ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return double(z >> 11) * 0x1.0p-53;
}

} // namespace

int64_t sampleBandCount(int64_t bands, double fraction, uint64_t seed)
{
    if (bands <= 0 || !(fraction > 0)) return 0;
    if (fraction >= 1.0) return bands;
    const double fm = fraction * double(bands);
    const double whole = std::floor(fm);
    const int64_t m = int64_t(whole) + (roundingUniform(seed) < fm - whole ? 1 : 0);
    return std::clamp<int64_t>(m, 0, bands);
}

std::vector<int64_t> sampleBands(int64_t bands, double fraction, uint64_t seed)
{
    const int64_t m = sampleBandCount(bands, fraction, seed);
    if (m <= 0) return {};
    std::vector<int64_t> idx(static_cast<size_t>(bands));
    std::iota(idx.begin(), idx.end(), int64_t(0));
    if (m == bands) return idx;
    std::mt19937_64 rng(seed);
    for (int64_t i = 0; i < m; ++i) {
        std::uniform_int_distribution<int64_t> pick(i, bands - 1);
        std::swap(idx[size_t(i)], idx[size_t(pick(rng))]);
    }
    idx.resize(size_t(m));
    std::sort(idx.begin(), idx.end());
    return idx;
}

Metrics unmeasuredMetrics()
{
    Metrics m;
    const double na = std::numeric_limits<double>::quiet_NaN();
    m.pcc = m.mae = m.atol = m.rmse = m.sqnrDb = m.relRmse = na;
    m.sse = m.wsse = m.wssx = m.wsqnrDb = m.wrel = na;
    return m;
}

ErrorSums withShift(const ErrorSums& s, double shift)
{
    ErrorSums o = s;
    const double c = s.shift - shift;  // u' = u + c
    const double n = double(s.n);
    o.shift = shift;
    o.suu = s.suu + 2 * c * s.su + n * c * c;
    o.su = s.su + n * c;
    o.sud = s.sud + c * s.sd;
    return o;
}

std::array<double, kPackedSums> packSums(const ErrorSums& s)
{
    return {s.shift, double(s.n), s.su, s.suu, s.sd, s.sdd, s.sud, s.sabs, s.maxAbs, s.sxx, s.swxx, s.swdd,
            s.weighted ? 1.0 : 0.0, double(s.minX), double(s.maxX), double(s.minY), double(s.maxY),
            s.extremesKnown ? 1.0 : 0.0, double(s.nonFiniteX), double(s.nonFiniteY)};
}

ErrorSums unpackSums(const std::array<double, kPackedSums>& v)
{
    ErrorSums s(v[0]);
    s.n = int64_t(v[1]);
    s.su = v[2], s.suu = v[3], s.sd = v[4], s.sdd = v[5], s.sud = v[6], s.sabs = v[7], s.maxAbs = v[8];
    s.sxx = v[9], s.swxx = v[10], s.swdd = v[11];
    s.weighted = v[12] != 0;
    auto extreme = [](double x, float empty) { return std::isnan(x) ? empty : float(x); };
    const float inf = std::numeric_limits<float>::infinity();
    s.minX = extreme(v[13], inf), s.maxX = extreme(v[14], -inf);
    s.minY = extreme(v[15], inf), s.maxY = extreme(v[16], -inf);
    s.extremesKnown = v[17] != 0;
    s.nonFiniteX = std::isfinite(v[18]) ? int64_t(v[18]) : 0;
    s.nonFiniteY = std::isfinite(v[19]) ? int64_t(v[19]) : 0;
    return s;
}

namespace {

// Two-sided 95 % Student t quantile for df degrees of freedom.
double t975(int64_t df)
{
    static const double table[] = {0,      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                   2.201,  2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                   2.080,  2.074,  2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    if (df <= 0) return 0;
    if (df <= 30) return table[df];
    return 1.959964 + 2.37 / double(df);  // close to the exact quantile beyond 30
}

Interval jackknife(const std::vector<double>& loo, double full, double tq, double fpc)
{
    const double m = double(loo.size());
    double mean = 0;
    for (double v : loo) mean += v;
    mean /= m;
    double ss = 0;
    for (double v : loo) ss += (v - mean) * (v - mean);
    const double se = std::sqrt((m - 1) / m * ss * fpc);
    return {full, full - tq * se, full + tq * se};
}

} // namespace

SampleEstimate estimateFromBands(const std::vector<ErrorSums>& bands, int64_t totalBands)
{
    SampleEstimate e;
    e.sampledBands = int64_t(bands.size());
    e.totalBands = totalBands;
    e.exact = e.sampledBands >= totalBands;
    const double na = std::numeric_limits<double>::quiet_NaN();
    if (bands.empty()) {  // not sampled: nothing is known
        e.exact = false;
        e.metrics = unmeasuredMetrics();
        e.pcc = e.mae = e.sqnrDb = {na, na, na};
        return e;
    }
    ErrorSums all;
    all.shift = bands.front().shift;
    for (const ErrorSums& b : bands) all.merge(b);
    e.metrics = finish(all);
    e.pcc = {e.metrics.pcc, e.metrics.pcc, e.metrics.pcc};
    e.mae = {e.metrics.mae, e.metrics.mae, e.metrics.mae};
    e.sqnrDb = {e.metrics.sqnrDb, e.metrics.sqnrDb, e.metrics.sqnrDb};
    if (e.exact) return e;
    if (bands.size() < 2) {  // one band: a point estimate, no interval
        e.pcc = {e.metrics.pcc, na, na};
        e.mae = {e.metrics.mae, na, na};
        e.sqnrDb = {e.metrics.sqnrDb, na, na};
        return e;
    }
    std::vector<double> pcc, mae, sqnr;
    for (size_t i = 0; i < bands.size(); ++i) {
        ErrorSums s = all;
        s.subtract(bands[i]);
        const Metrics m = finish(s);
        pcc.push_back(m.pcc), mae.push_back(m.mae), sqnr.push_back(m.sqnrDb);
    }
    const double fpc = 1.0 - double(bands.size()) / double(totalBands);
    const double tq = t975(int64_t(bands.size()) - 1);
    e.pcc = jackknife(pcc, e.metrics.pcc, tq, fpc);
    // MAE is positive and right-skewed under band sampling: its interval is built on the
    // log scale and mapped back (asymmetric around the estimate)
    if (e.metrics.mae > 0 && std::all_of(mae.begin(), mae.end(), [](double v) { return v > 0; })) {
        std::vector<double> lm;
        for (double v : mae) lm.push_back(std::log(v));
        const Interval l = jackknife(lm, std::log(e.metrics.mae), tq, fpc);
        e.mae = {e.metrics.mae, std::exp(l.lo), std::exp(l.hi)};
    } else {
        e.mae = jackknife(mae, e.metrics.mae, tq, fpc);
    }
    e.sqnrDb = jackknife(sqnr, e.metrics.sqnrDb, tq, fpc);
    return e;
}

} // namespace qs
