#include "metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace qs {

namespace {

// Partial sums of one block, accumulated in 8 independent double lanes (two 4-wide
// vectors) that are combined in a fixed order at the end: deterministic, identical for
// the AVX2 and the baseline clone (the same IEEE operations per lane), and fast without
// -ffast-math. Returns false when the block holds a NaN/Inf (the caller redoes it).
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef long long v4l __attribute__((vector_size(32)));

struct BlockSums {
    double su = 0, suu = 0, sd = 0, sdd = 0, sud = 0, sabs = 0, maxAbs = 0, sxx = 0;
    double swxx = 0, swdd = 0;
    float minX, maxX, minY, maxY;
};

struct Lanes {
    v4d su{}, suu{}, sd{}, sdd{}, sud{}, sabs{}, mx{}, sxx{}, swxx{}, swdd{};
    v4f mnx, mxx, mny, mxy;
};

// WEIGHTED adds Σw·x² and Σw·d² in the same lanes (w ≡ 1 gives sxx and sdd exactly).
template <bool WEIGHTED>
inline __attribute__((always_inline)) bool accumulateBlock(const float* x, const float* y, const float* w,
                                                           int64_t count, double shift, BlockSums& out)
{
    constexpr float inf = std::numeric_limits<float>::infinity();
    const v4d vshift = {shift, shift, shift, shift};
    const v4l absMask = {0x7FFFFFFFFFFFFFFFLL, 0x7FFFFFFFFFFFFFFFLL, 0x7FFFFFFFFFFFFFFFLL, 0x7FFFFFFFFFFFFFFFLL};
    Lanes L[2];
    for (auto& l : L) {
        l.mnx = l.mny = v4f{inf, inf, inf, inf};
        l.mxx = l.mxy = v4f{-inf, -inf, -inf, -inf};
    }
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        for (int h = 0; h < 2; ++h) {
            Lanes& l = L[h];
            v4f xf, yf;
            std::memcpy(&xf, x + i + 4 * h, sizeof xf);
            std::memcpy(&yf, y + i + 4 * h, sizeof yf);
            const v4d xd = __builtin_convertvector(xf, v4d);
            const v4d yd = __builtin_convertvector(yf, v4d);
            const v4d u = xd - vshift, d = xd - yd;
            l.su += u;
            l.suu += u * u;
            l.sd += d;
            l.sdd += d * d;
            l.sud += u * d;
            const v4d a = (v4d)((v4l)d & absMask);
            l.sabs += a;
            l.mx = a > l.mx ? a : l.mx;
            l.sxx += xd * xd;
            if constexpr (WEIGHTED) {
                v4f wf;
                std::memcpy(&wf, w + i + 4 * h, sizeof wf);
                const v4d wd = __builtin_convertvector(wf, v4d);
                l.swxx += wd * (xd * xd);
                l.swdd += wd * (d * d);
            }
            l.mnx = xf < l.mnx ? xf : l.mnx;
            l.mxx = xf > l.mxx ? xf : l.mxx;
            l.mny = yf < l.mny ? yf : l.mny;
            l.mxy = yf > l.mxy ? yf : l.mxy;
        }
    }
    out = BlockSums{};
    out.minX = out.minY = inf;
    out.maxX = out.maxY = -inf;
    for (int h = 0; h < 2; ++h)
        for (int k = 0; k < 4; ++k) {
            const Lanes& l = L[h];
            out.su += l.su[k]; out.suu += l.suu[k]; out.sd += l.sd[k]; out.sdd += l.sdd[k];
            out.sud += l.sud[k]; out.sabs += l.sabs[k]; out.sxx += l.sxx[k];
            if constexpr (WEIGHTED) { out.swxx += l.swxx[k]; out.swdd += l.swdd[k]; }
            out.maxAbs = std::max(out.maxAbs, l.mx[k]);
            out.minX = std::min(out.minX, l.mnx[k]); out.maxX = std::max(out.maxX, l.mxx[k]);
            out.minY = std::min(out.minY, l.mny[k]); out.maxY = std::max(out.maxY, l.mxy[k]);
        }
    for (; i < count; ++i) {  // tail, in order
        const double xv = x[i], yv = y[i];
        const double u = xv - shift, d = xv - yv;
        out.su += u; out.suu += u * u; out.sd += d; out.sdd += d * d; out.sud += u * d;
        out.sxx += xv * xv;
        if constexpr (WEIGHTED) {
            const double wv = w[i];
            out.swxx += wv * (xv * xv);
            out.swdd += wv * (d * d);
        }
        const double a = std::fabs(d);
        out.sabs += a;
        out.maxAbs = std::max(out.maxAbs, a);
        out.minX = std::min(out.minX, x[i]); out.maxX = std::max(out.maxX, x[i]);
        out.minY = std::min(out.minY, y[i]); out.maxY = std::max(out.maxY, y[i]);
    }
    // Any NaN/Inf in x or y makes sd and su non-finite (or max NaN); finite inputs
    // cannot overflow a double sum of one block.
    return std::isfinite(out.sd) && std::isfinite(out.su) && std::isfinite(out.maxAbs) &&
           std::isfinite(out.minY) && std::isfinite(out.maxY);
}

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
bool accumulateFinite(const float* x, const float* y, int64_t count, double shift, BlockSums& out)
{
    return accumulateBlock<false>(x, y, nullptr, count, shift, out);
}

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
bool accumulateFiniteWeighted(const float* x, const float* y, const float* w, int64_t count, double shift,
                              BlockSums& out)
{
    return accumulateBlock<true>(x, y, w, count, shift, out);
}

} // namespace

void ErrorSums::addRange(const float* x, const float* y, int64_t count)
{
    addRangeImpl(x, y, nullptr, count);
}

void ErrorSums::addRangeWeighted(const float* x, const float* y, const float* w, int64_t count)
{
    weighted = true;
    addRangeImpl(x, y, w, count);
}

void ErrorSums::addRangeImpl(const float* x, const float* y, const float* w, int64_t count)
{
    constexpr int64_t BLOCK = 4096;
    for (int64_t b = 0; b < count; b += BLOCK) {
        const int64_t len = std::min(BLOCK, count - b);
        BlockSums s;
        if (w ? accumulateFiniteWeighted(x + b, y + b, w + b, len, shift, s)
              : accumulateFinite(x + b, y + b, len, shift, s)) {
            n += len;
            su += s.su; suu += s.suu; sd += s.sd; sdd += s.sdd; sud += s.sud; sabs += s.sabs;
            sxx += s.sxx; swxx += s.swxx; swdd += s.swdd;
            maxAbs = std::max(maxAbs, s.maxAbs);
            minX = std::min(minX, s.minX); maxX = std::max(maxX, s.maxX);
            minY = std::min(minY, s.minY); maxY = std::max(maxY, s.maxY);
            continue;
        }
        // Slow path for a block with NaN/Inf: skip and count the non-finite pairs,
        // accumulating the finite ones one by one.
        for (int64_t i = b; i < b + len; ++i) {
            const float xv = x[i], yv = y[i];
            if (!std::isfinite(xv)) { ++nonFiniteX; continue; }
            if (!std::isfinite(yv)) { ++nonFiniteY; continue; }
            const double u = double(xv) - shift, d = double(xv) - double(yv);
            ++n;
            su += u; suu += u * u; sd += d; sdd += d * d; sud += u * d;
            sxx += double(xv) * double(xv);
            if (w) {
                swxx += double(w[i]) * (double(xv) * double(xv));
                swdd += double(w[i]) * (d * d);
            }
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
    sxx += o.sxx; swxx += o.swxx; swdd += o.swdd;
    weighted = weighted || o.weighted;
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
    sxx -= o.sxx; swxx -= o.swxx; swdd -= o.swdd;
    nonFiniteX -= o.nonFiniteX;
    nonFiniteY -= o.nonFiniteY;
    extremesKnown = false;  // max|d| and the extremes cannot be un-merged
}

double sqnrDb(double signal, double noise)
{
    if (!(signal == signal) || !(noise == noise)) return std::numeric_limits<double>::quiet_NaN();
    if (noise <= 0.0) return std::numeric_limits<double>::infinity();
    if (signal <= 0.0) return -std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(signal / noise);
}

double relativeRms(double signal, double noise)
{
    if (!(signal == signal) || !(noise == noise)) return std::numeric_limits<double>::quiet_NaN();
    if (noise <= 0.0) return 0.0;
    if (signal <= 0.0) return std::numeric_limits<double>::infinity();
    return std::sqrt(noise / signal);
}

Metrics finish(const ErrorSums& s)
{
    Metrics m;
    m.count = s.n;
    m.nonFiniteX = s.nonFiniteX;
    m.nonFiniteY = s.nonFiniteY;
    if (s.n == 0) {
        if (m.undefined()) {
            const double na = std::numeric_limits<double>::quiet_NaN();
            m.pcc = m.mae = m.atol = m.rmse = m.sqnrDb = m.relRmse = na;
        } else {  // empty: nothing differs, PCC undefined
            m.pcc = std::numeric_limits<double>::quiet_NaN();
            m.sqnrDb = std::numeric_limits<double>::infinity();
            m.relRmse = 0.0;
            if (s.weighted) { m.wsqnrDb = m.sqnrDb; m.wrel = 0.0; m.wsse = m.wssx = 0.0; }
        }
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
    const bool zeroVarX = s.extremesKnown ? s.minX == s.maxX : m2x == 0.0;
    const bool zeroVarY = s.extremesKnown ? s.minY == s.maxY : m2y == 0.0;
    if (zeroVarX || zeroVarY || m2x == 0.0 || m2y == 0.0) {
        m.pcc = std::numeric_limits<double>::quiet_NaN();  // undefined; originalPcc() has the old rule
    } else {
        m.pcc = std::clamp(cxy / std::sqrt(m2x * m2y), -1.0, 1.0);
    }
    m.sqnrDb = sqnrDb(s.sxx, s.sdd);
    m.relRmse = relativeRms(s.sxx, s.sdd);
    m.sse = s.sdd;
    if (s.weighted) {
        m.wsse = s.swdd;
        m.wssx = s.swxx;
        m.wsqnrDb = sqnrDb(s.swxx, s.swdd);
        m.wrel = relativeRms(s.swxx, s.swdd);
    }
    return m;
}

std::string nonFiniteFlag(const Metrics& m)
{
    if (m.undefined()) return "[n/a: no finite pairs]";
    if (m.nonFiniteY > 0) return "[" + std::to_string(m.nonFiniteY) + " -> NaN/Inf]";
    return {};
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

namespace {

struct StatsBlock {
    double sum = 0, sumSq = 0;
    float mn, mx, absMax = 0;
    int64_t zeros = 0;
};

// One block of finite values in fixed lanes (see accumulateFinite); false when the
// block holds a NaN/Inf.
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
bool statsFinite(const float* x, int64_t count, StatsBlock& out)
{
    constexpr float inf = std::numeric_limits<float>::infinity();
    typedef int v4i __attribute__((vector_size(16)));
    v4d sum[2] = {}, sq[2] = {};
    v4f mn[2] = {{inf, inf, inf, inf}, {inf, inf, inf, inf}};
    v4f mx[2] = {{-inf, -inf, -inf, -inf}, {-inf, -inf, -inf, -inf}};
    v4i zeros[2] = {};
    const v4i absMaskF = {0x7FFFFFFF, 0x7FFFFFFF, 0x7FFFFFFF, 0x7FFFFFFF};
    v4f am[2] = {};
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        for (int h = 0; h < 2; ++h) {
            v4f xf;
            std::memcpy(&xf, x + i + 4 * h, sizeof xf);
            const v4d xd = __builtin_convertvector(xf, v4d);
            sum[h] += xd;
            sq[h] += xd * xd;
            mn[h] = xf < mn[h] ? xf : mn[h];
            mx[h] = xf > mx[h] ? xf : mx[h];
            zeros[h] -= (xf == 0.0f);  // true is -1
            const v4f a = (v4f)((v4i)xf & absMaskF);
            am[h] = a > am[h] ? a : am[h];
        }
    }
    out = StatsBlock{};
    out.mn = inf;
    out.mx = -inf;
    for (int h = 0; h < 2; ++h)
        for (int k = 0; k < 4; ++k) {
            out.sum += sum[h][k];
            out.sumSq += sq[h][k];
            out.mn = std::min(out.mn, mn[h][k]);
            out.mx = std::max(out.mx, mx[h][k]);
            out.zeros += zeros[h][k];
            out.absMax = std::max(out.absMax, am[h][k]);
        }
    for (; i < count; ++i) {
        const float v = x[i];
        out.sum += v;
        out.sumSq += double(v) * double(v);
        out.mn = std::min(out.mn, v);
        out.mx = std::max(out.mx, v);
        out.zeros += v == 0.0f;
        out.absMax = std::max(out.absMax, std::fabs(v));
    }
    return std::isfinite(out.sum) && std::isfinite(out.mn) && std::isfinite(out.mx);
}

} // namespace

void Stats::addRange(const float* x, int64_t n)
{
    constexpr int64_t BLOCK = 4096;
    for (int64_t b = 0; b < n; b += BLOCK) {
        const int64_t len = std::min(BLOCK, n - b);
        StatsBlock s;
        if (len > 0 && statsFinite(x + b, len, s)) {
            if (count == 0) { min = s.mn; max = s.mx; }
            else { min = std::min(min, double(s.mn)); max = std::max(max, double(s.mx)); }
            count += len;
            zeros += s.zeros;
            sum += s.sum;
            sumSq += s.sumSq;
            absMax = std::max(absMax, s.absMax);
            continue;
        }
        for (int64_t i = b; i < b + len; ++i) {  // a block with NaN/Inf: one by one
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
