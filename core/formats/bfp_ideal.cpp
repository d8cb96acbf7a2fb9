// bfp8_ideal / bfp4_ideal / bfp2_ideal: the reference's per-element-exponent stand-in
// (quantize_dequantize_bfp_ideal, golden README "bfp*_ideal"), reproduced with the
// reference's float32 operation order and NumPy's semantics.
#include <bit>
#include <climits>
#include <cmath>

#include "formats/kernels.h"
#include "formats/log2_model.h"

namespace qs::kernels {

namespace {

// Reference, per element (a = |x|, all arithmetic float32 unless noted):
//   a == 0 -> +0.0 (np.sign(±0) = +0); NaN stays NaN (sign(NaN) * 0).
//   q = a / maxNorm, maxNorm = 2 - 2^-m;  e = ceil(np.log2(q)) cast to int32 (a
//   non-finite value casts to INT_MIN on x86); scale = float32(exp2(double(e)))
//   (e >= 128 -> +Inf, e <= -150 -> 0: 2^-150 is a tie that rounds to even 0);
//   norm = clip(a / scale, 0, maxNorm); nq = rint(norm / 2^-m) * 2^-m where rint
//   is np.round = round half to EVEN; out = nq * scale (0 * Inf = NaN when e >= 128);
//   result = sign(x) * out, so a negative x rounding to 0 gives -0.0, +Inf -> 0,
//   -Inf -> -0.0.
float idealRef(float x, int m)
{
    const float a = std::fabs(x);
    if (std::isnan(x))
        return x * 0.0f;  // quiet NaN, payload of x
    if (!(a > 0.0f))
        return 0.0f;
    const float maxNorm = 2.0f - std::ldexp(1.0f, -m);
    const float step = std::ldexp(1.0f, -m);
    const float q = a / maxNorm;
    const float c = std::ceil(qs::log2model::log2f(q));
    const int e = std::isfinite(c) ? int(c) : INT_MIN;
    const float scale = e == INT_MIN ? 0.0f : float(std::exp2(double(e)));
    float norm = a / scale;
    norm = std::fmin(std::fmax(norm, 0.0f), maxNorm);
    const float nq = std::nearbyint(norm / step) * step;
    const float out = nq * scale;
    const float sign = x > 0.0f ? 1.0f : -1.0f;
    return sign * out;
}

// Fast path: same float operations; ceil(log2) from the model's threshold table
// instead of a libm call, exp2 replaced by an exact power-of-two construction.
inline float idealFast(float x, float maxNorm, float step)
{
    const float a = std::fabs(x);
    if (!(a > 0.0f))
        return std::isnan(x) ? x * 0.0f : 0.0f;
    const float q = a / maxNorm;
    float scale;
    if (q == 0.0f || std::isinf(q)) {
        scale = 0.0f;  // ceil(log2) is ±inf -> INT_MIN -> exp2 = 0
    } else {
        const int e = qs::log2model::ceilLog2(q);  // in [-149, 128]
        scale = pow2f(e);
    }
    float norm = a / scale;
    norm = norm > maxNorm ? maxNorm : norm;  // norm >= 0, never NaN here
    const float nq = std::nearbyint(norm / step) * step;
    const float out = nq * scale;
    return (x > 0.0f ? 1.0f : -1.0f) * out;
}

void idealRows(const float* in, float* out, int64_t n, int m)
{
    for (int64_t i = 0; i < n; ++i)
        out[i] = idealRef(in[i], m);
}

void idealRowsFast(const float* in, float* out, int64_t n, int m)
{
    const float maxNorm = 2.0f - std::ldexp(1.0f, -m);
    const float step = std::ldexp(1.0f, -m);
    for (int64_t i = 0; i < n; ++i)
        out[i] = idealFast(in[i], maxNorm, step);
}

} // namespace

void bfp8IdealRef(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&)
{
    idealRows(in, out, rows * cols, 7);
}
void bfp4IdealRef(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&)
{
    idealRows(in, out, rows * cols, 3);
}
void bfp2IdealRef(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&)
{
    idealRows(in, out, rows * cols, 1);
}
void bfp8IdealFast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&)
{
    idealRowsFast(in, out, rows * cols, 7);
}
void bfp4IdealFast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&)
{
    idealRowsFast(in, out, rows * cols, 3);
}
void bfp2IdealFast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&)
{
    idealRowsFast(in, out, rows * cols, 1);
}

} // namespace qs::kernels
