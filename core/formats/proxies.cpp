// The reference's per-element mxfp4/nvfp4 stand-ins (see proxies.h). NumPy semantics
// that matter: np.sign(±0) = +0, np.sign(NaN) = NaN; np.argmin returns the first
// minimum (first NaN if any); np.round is round-half-even; a python float combined with
// a float32 array stays float32, a python float with a python float is float64.
#include "formats/proxies.h"

#include <bit>
#include <climits>
#include <cmath>
#include <cstdint>

#include "formats/kernels.h"
#include "formats/log2_model.h"

namespace qs {

namespace {

constexpr float kFp4Levels[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};

// np.sign for float32.
float npSign(float x)
{
    if (std::isnan(x))
        return x;
    return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
}

// NaN results of the proxies: x86 NumPy gives the input's NaN for a NaN input and
// +NaN (0x7FC00000, through np.abs) for ±Inf; fix the bits so both paths agree.
float canonicalNan(float x, float r)
{
    if (!std::isnan(r))
        return r;
    return std::isnan(x) ? x * 0.0f : std::bit_cast<float>(0x7FC00000u);
}

// ---- references ----------------------------------------------------------------------

// argmin over float32 distances, first minimum wins (ties toward the smaller level).
float fp4Ref(float x)
{
    const float ax = std::fabs(x);
    int idx = 0;
    float best = std::fabs(ax - kFp4Levels[0]);
    for (int i = 1; i < 8; ++i) {
        const float d = std::fabs(ax - kFp4Levels[i]);
        if (d < best) {  // NaN distances never win: index 0 stays
            best = d;
            idx = i;
        }
    }
    return npSign(x) * kFp4Levels[idx];
}

// quantize_fp8_e4m3 on one element (bias 7, e_min -6, e_max 7, 3 mantissa bits):
// e = floor(np.log2(|x|)) as int32 (±inf/NaN -> INT_MIN). Normal range: m = |x| / 2^e
// in double, frac = rint((m - 1) * 8) / 8 (half-even); frac == 1 is a carry-out: frac
// = 0 and e = min(e + 1, 7) (so [248, 256) -> 128); value (1 + frac) 2^e stored as
// float32. e < -6: rint(|x| / 2^-9) * 2^-9 in float32. e > 7: 240. Result sign(x) * value.
float e4m3Ref(float x)
{
    const float ax = std::fabs(x);
    if (!(ax > 0.0f))
        return npSign(x) * 0.0f;
    const float fl = std::floor(log2model::log2f(ax));
    const int e = std::isfinite(fl) ? int(fl) : INT_MIN;
    float out;
    if (e >= -6 && e <= 7) {
        const double m = double(ax) / std::exp2(double(e));
        double fracQ = std::nearbyint((m - 1.0) * 8.0) / 8.0;
        int en = e;
        if (fracQ >= 1.0) {
            fracQ = 0.0;
            en = std::min(e + 1, 7);
        }
        out = float((1.0 + fracQ) * std::exp2(double(en)));
    } else if (e < -6) {
        const float step = 0x1p-9f;
        out = std::nearbyint(ax / step) * step;
    } else {
        out = 240.0f;
    }
    return npSign(x) * out;
}

float mxfp4ProxyRef(float x)
{
    if (std::isnan(x))
        return x * 0.0f;
    const float a = std::fabs(x);
    float q = 0.0f;
    if (a != 0.0f) {
        const float s = float(double(a) / 6.0);
        float sq = 0.0f;
        if (s > 0.0f)
            sq = std::pow(2.0f, std::ceil(log2model::log2f(s)));
        const float xhat = fp4Ref(a / sq) * sq;
        q = std::fabs(xhat);
    }
    return canonicalNan(x, npSign(x) * q);
}

float nvfp4ProxyRef(float x)
{
    if (std::isnan(x))
        return x * 0.0f;
    const float a = std::fabs(x);
    const float s = a > 0.0f ? float(double(a) / 6.0) : 0.0f;
    const float sq = e4m3Ref(s);
    float q = 0.0f;
    if (sq != 0.0f)
        q = std::fabs(fp4Ref(a / sq) * sq);
    return canonicalNan(x, npSign(x) * q);
}

// ---- fast paths ----------------------------------------------------------------------

// Round half DOWN on the E2M1 grid (= nearest level, ties to the smaller one), for
// 0 <= a < 2^23 where every float32 distance to a level is exact, so the argmin is
// exactly this; saturating at 6. Larger or NaN arguments use the argmin.
inline float fp4Fast(float x)
{
    const float ax = std::fabs(x);
    if (!(ax < 0x1p23f))
        return fp4Ref(x);
    const float a = ax < 6.0f ? ax : 6.0f;
    uint32_t t = std::bit_cast<uint32_t>(a) >> 23;
    t = t > 127u ? t : 127u;
    const float quantum = std::bit_cast<float>((t - 1) << 23);
    const float half = std::bit_cast<float>((t - 2) << 23);
    float r = kernels::roundGridRne(a, 127, 1);
    if (r - a == half)  // an RNE tie that went up: ties go down here
        r -= quantum;
    return npSign(x) * r;
}

// Same helper with the table-driven floor(log2) and the rounding done on fp32 bits:
// RNE to 3 mantissa bits carries into the exponent exactly like the frac == 1 bump.
inline float e4m3Fast(float x)
{
    const float ax = std::fabs(x);
    if (!(ax > 0.0f) || std::isinf(ax))
        return e4m3Ref(x);
    const int e = log2model::floorLog2(ax);
    float out;
    if (e >= -6 && e <= 7) {
        const uint32_t u = std::bit_cast<uint32_t>(ax);
        const uint32_t r = (u + 0x7FFFFu + ((u >> 20) & 1u)) & 0xFFF00000u;
        out = std::bit_cast<float>(r);
        if (out >= 256.0f)  // carry-out at e = 7: exponent capped, mantissa dropped
            out = 128.0f;
    } else if (e < -6) {
        out = std::nearbyint(ax * 512.0f) * 0x1p-9f;
    } else {
        out = 240.0f;
    }
    return npSign(x) * out;
}

inline float mxfp4ProxyFast(float x)
{
    if (std::isnan(x))
        return x * 0.0f;
    const float a = std::fabs(x);
    if (a == 0.0f)
        return 0.0f;
    const float s = float(double(a) / 6.0);
    float sq;
    if (s == 0.0f)
        sq = 0.0f;
    else if (std::isinf(s))
        sq = s;
    else
        sq = kernels::pow2f(log2model::ceilLog2(s));
    return canonicalNan(x, npSign(x) * std::fabs(fp4Fast(a / sq) * sq));
}

inline float nvfp4ProxyFast(float x)
{
    if (std::isnan(x))
        return x * 0.0f;
    const float a = std::fabs(x);
    const float s = a > 0.0f ? float(double(a) / 6.0) : 0.0f;
    const float sq = e4m3Fast(s);
    if (sq == 0.0f)
        return npSign(x) * 0.0f;
    return canonicalNan(x, npSign(x) * std::fabs(fp4Fast(a / sq) * sq));
}

} // namespace

float proxyFp4E2M1(float x) { return fp4Ref(x); }
float proxyE4M3Scalar(float x) { return e4m3Ref(x); }
float proxyMxfp4(float x) { return mxfp4ProxyRef(x); }
float proxyNvfp4(float x) { return nvfp4ProxyRef(x); }

namespace kernels {

void mxfp4ProxyRef(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&)
{
    for (int64_t i = 0, n = rows * cols; i < n; ++i)
        out[i] = qs::mxfp4ProxyRef(in[i]);
}
void mxfp4ProxyFast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&)
{
    for (int64_t i = 0, n = rows * cols; i < n; ++i)
        out[i] = qs::mxfp4ProxyFast(in[i]);
}
void nvfp4ProxyRef(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&)
{
    for (int64_t i = 0, n = rows * cols; i < n; ++i)
        out[i] = qs::nvfp4ProxyRef(in[i]);
}
void nvfp4ProxyFast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&)
{
    for (int64_t i = 0, n = rows * cols; i < n; ++i)
        out[i] = qs::nvfp4ProxyFast(in[i]);
}

} // namespace kernels

} // namespace qs
