#include "metrics/metrics.h"

#include <algorithm>
#include <cmath>

namespace qs {

namespace {

// Partial sums of one block, accumulated in LANES independent double lanes that are
// combined in a fixed order at the end: deterministic, and vectorisable without
// -ffast-math. Returns false when the block holds a NaN/Inf (caller redoes it slowly).
constexpr int LANES = 4;

struct BlockSums {
    double su = 0, suu = 0, sd = 0, sdd = 0, sud = 0, sabs = 0, maxAbs = 0;
    float minX, maxX, minY, maxY;
};

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
bool accumulateFinite(const float* x, const float* y, int64_t count, double shift, BlockSums& out)
{
    double su[LANES] = {}, suu[LANES] = {}, sd[LANES] = {}, sdd[LANES] = {}, sud[LANES] = {},
           sabs[LANES] = {}, mx[LANES] = {};
    float mnx[LANES], mxx[LANES], mny[LANES], mxy[LANES];
    for (int l = 0; l < LANES; ++l) {
        mnx[l] = mny[l] = std::numeric_limits<float>::infinity();
        mxx[l] = mxy[l] = -std::numeric_limits<float>::infinity();
    }
    int64_t i = 0;
    for (; i + LANES <= count; i += LANES) {
        for (int l = 0; l < LANES; ++l) {
            const double xv = x[i + l], yv = y[i + l];
            const double u = xv - shift, d = xv - yv;
            su[l] += u;
            suu[l] += u * u;
            sd[l] += d;
            sdd[l] += d * d;
            sud[l] += u * d;
            const double a = std::fabs(d);
            sabs[l] += a;
            mx[l] = a > mx[l] ? a : mx[l];
            mnx[l] = x[i + l] < mnx[l] ? x[i + l] : mnx[l];
            mxx[l] = x[i + l] > mxx[l] ? x[i + l] : mxx[l];
            mny[l] = y[i + l] < mny[l] ? y[i + l] : mny[l];
            mxy[l] = y[i + l] > mxy[l] ? y[i + l] : mxy[l];
        }
    }
    for (int l = 0; i < count; ++i, ++l) {  // tail: lanes 0.. in order
        const double xv = x[i], yv = y[i];
        const double u = xv - shift, d = xv - yv;
        su[l] += u;
        suu[l] += u * u;
        sd[l] += d;
        sdd[l] += d * d;
        sud[l] += u * d;
        const double a = std::fabs(d);
        sabs[l] += a;
        mx[l] = a > mx[l] ? a : mx[l];
        mnx[l] = x[i] < mnx[l] ? x[i] : mnx[l];
        mxx[l] = x[i] > mxx[l] ? x[i] : mxx[l];
        mny[l] = y[i] < mny[l] ? y[i] : mny[l];
        mxy[l] = y[i] > mxy[l] ? y[i] : mxy[l];
    }
    out = BlockSums{};
    out.minX = mnx[0]; out.maxX = mxx[0]; out.minY = mny[0]; out.maxY = mxy[0];
    for (int l = 0; l < LANES; ++l) {
        out.su += su[l]; out.suu += suu[l]; out.sd += sd[l]; out.sdd += sdd[l];
        out.sud += sud[l]; out.sabs += sabs[l];
        out.maxAbs = std::max(out.maxAbs, mx[l]);
        out.minX = std::min(out.minX, mnx[l]); out.maxX = std::max(out.maxX, mxx[l]);
        out.minY = std::min(out.minY, mny[l]); out.maxY = std::max(out.maxY, mxy[l]);
    }
    // Any NaN/Inf in x or y makes sd (and su) non-finite; finite inputs cannot
    // overflow a double sum of a block.
    return std::isfinite(out.sd) && std::isfinite(out.su) && std::isfinite(out.maxAbs);
}

} // namespace

void ErrorSums::addRange(const float* x, const float* y, int64_t count)
{
    constexpr int64_t BLOCK = 4096;
    for (int64_t b = 0; b < count; b += BLOCK) {
        const int64_t len = std::min(BLOCK, count - b);
        BlockSums s;
        if (accumulateFinite(x + b, y + b, len, shift, s)) {
            n += len;
            su += s.su; suu += s.suu; sd += s.sd; sdd += s.sdd; sud += s.sud; sabs += s.sabs;
            maxAbs = std::max(maxAbs, s.maxAbs);
            minX = std::min(minX, s.minX); maxX = std::max(maxX, s.maxX);
            minY = std::min(minY, s.minY); maxY = std::max(maxY, s.maxY);
            continue;
        }
        // Slow path for a block with NaN/Inf: skip and count the non-finite pairs.
        // Accumulates into fresh block sums in the same lane order as the fast path
        // would for the finite pairs, then adds them in.
        for (int64_t i = b; i < b + len; ++i) {
            const float xv = x[i], yv = y[i];
            if (!std::isfinite(xv)) { ++nonFiniteX; continue; }
            if (!std::isfinite(yv)) { ++nonFiniteY; continue; }
            const double u = double(xv) - shift, d = double(xv) - double(yv);
            ++n;
            su += u; suu += u * u; sd += d; sdd += d * d; sud += u * d;
            sabs += std::fabs(d);
            maxAbs = std::max(maxAbs, std::fabs(d));
            minX = std::min(minX, xv); maxX = std::max(maxX, xv);
            minY = std::min(minY, yv); maxY = std::max(maxY, yv);
        }
    }
}

void ErrorSums::merge(const ErrorSums& o)
{
    n += o.n;
    su += o.su; suu += o.suu; sd += o.sd; sdd += o.sdd; sud += o.sud; sabs += o.sabs;
    maxAbs = std::max(maxAbs, o.maxAbs);
    minX = std::min(minX, o.minX); maxX = std::max(maxX, o.maxX);
    minY = std::min(minY, o.minY); maxY = std::max(maxY, o.maxY);
    extremesKnown = extremesKnown && o.extremesKnown;
    nonFiniteX += o.nonFiniteX;
    nonFiniteY += o.nonFiniteY;
}

void ErrorSums::subtract(const ErrorSums& o)
{
    n -= o.n;
    su -= o.su; suu -= o.suu; sd -= o.sd; sdd -= o.sdd; sud -= o.sud; sabs -= o.sabs;
    nonFiniteX -= o.nonFiniteX;
    nonFiniteY -= o.nonFiniteY;
    extremesKnown = false;  // max|d| and the extremes cannot be un-merged
}

Metrics finish(const ErrorSums& s)
{
    Metrics m;
    m.count = s.n;
    m.nonFiniteX = s.nonFiniteX;
    m.nonFiniteY = s.nonFiniteY;
    if (s.n == 0) {
        m.pcc = 1.0;
        m.sqnrDb = std::numeric_limits<double>::infinity();
        return m;
    }
    const double n = double(s.n);
    m.mae = s.sabs / n;
    m.atol = s.maxAbs;
    m.rmse = std::sqrt(std::max(0.0, s.sdd / n));
    // Centred second moments from the shifted sums (y - shift = u - d).
    const double m2x = std::max(0.0, s.suu - s.su * s.su / n);
    const double cxd = s.sud - s.su * s.sd / n;
    const double m2d = std::max(0.0, s.sdd - s.sd * s.sd / n);
    const double m2y = std::max(0.0, m2x - 2.0 * cxd + m2d);
    const double cxy = m2x - cxd;
    const bool exact = s.maxAbs == 0.0;
    const bool zeroVarX = s.extremesKnown ? s.minX == s.maxX : m2x == 0.0;
    const bool zeroVarY = s.extremesKnown ? s.minY == s.maxY : m2y == 0.0;
    if (zeroVarX || zeroVarY || m2x == 0.0 || m2y == 0.0) {
        m.pcc = exact ? 1.0 : 0.0;
    } else {
        m.pcc = std::clamp(cxy / std::sqrt(m2x * m2y), -1.0, 1.0);
    }
    // Signal power Σx² = Σ(u + shift)².
    const double sumSqX = s.suu + 2.0 * s.shift * s.su + n * s.shift * s.shift;
    if (s.sdd == 0.0)
        m.sqnrDb = std::numeric_limits<double>::infinity();
    else if (sumSqX == 0.0)
        m.sqnrDb = -std::numeric_limits<double>::infinity();
    else
        m.sqnrDb = 10.0 * std::log10(sumSqX / s.sdd);
    return m;
}

Metrics computeMetrics(const float* x, const float* y, int64_t count)
{
    double shift = 0;
    for (int64_t i = 0; i < count; ++i)
        if (std::isfinite(x[i])) { shift = x[i]; break; }
    ErrorSums s(shift);
    s.addRange(x, y, count);
    return finish(s);
}

void Stats::addRange(const float* x, int64_t n)
{
    // Fixed-order accumulation in blocks, like ErrorSums.
    for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        if (std::isnan(v)) { ++nan; continue; }
        if (std::isinf(v)) { (v > 0 ? posInf : negInf)++; continue; }
        if (count == 0) { min = max = v; }
        else { min = std::min(min, double(v)); max = std::max(max, double(v)); }
        ++count;
        zeros += v == 0.0f;
        sum += v;
        sumSq += double(v) * double(v);
        absMax = std::max(absMax, std::fabs(v));
    }
}

void Stats::merge(const Stats& o)
{
    if (o.count) {
        if (count == 0) { min = o.min; max = o.max; }
        else { min = std::min(min, o.min); max = std::max(max, o.max); }
    }
    count += o.count;
    nan += o.nan; posInf += o.posInf; negInf += o.negInf; zeros += o.zeros;
    sum += o.sum;
    sumSq += o.sumSq;
    absMax = std::max(absMax, o.absMax);
}

double Stats::stddev() const
{
    if (count == 0) return 0.0;
    const double m = mean();
    return std::sqrt(std::max(0.0, sumSq / double(count) - m * m));
}

} // namespace qs
