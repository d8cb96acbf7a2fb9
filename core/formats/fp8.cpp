// Plain FP8 weight formats (FORMATS.md §8): OCP E4M3FN / E5M2 elements, RNE (ties to the
// even code), saturating by default (FormatOptions::fp8Saturate). Scaling modes:
//   Cast      Ŵ = decode(encode(W))
//   PerTensor s = fp32(A / max_elem) with A = QuantContext::absMax; Ŵ = decode(encode(W / s)) * s
//   Block128  the same per 128x128 tile of the 2-D view with s = fp32(amax_tile / max_elem)
//             (amax over the tile's finite elements); chunks start at multiples of 128
//             rows (Format::rowAlign = 128). Defined for E5M2 too (max_elem 57344).
// A zero scale (A = 0, an all-zero tile) uses s = 1, so finite elements become ±0.
// Element ties: ElemRounding (RNE by default, or half away from zero).
#include <algorithm>
#include <bit>
#include <cmath>

#include "formats/kernels.h"
#include "formats/minifloat.h"
#include "formats/simd.h"

namespace qs::kernels {

namespace {

struct Fp8 {
    bool e4m3;
    float maxElem;
    uint32_t eminBiased;
    int mbits;
};
constexpr Fp8 kE4M3{true, 448.0f, 121, 3};
constexpr Fp8 kE5M2{false, 57344.0f, 113, 2};

float scaleFor(float amax, const Fp8& f)
{
    const float s = amax / f.maxElem;
    return (s == 0.0f || !std::isfinite(s)) ? 1.0f : s;
}

// Scale regions of the view: the whole view (Cast / PerTensor) or 128x128 tiles
// (Block128). regionScale() gives a region's s (Block128: amax over the tile's finite
// elements). Kernels loop over regions without allocating.
struct Tiling {
    int64_t tileRows, tileCols;
};

Tiling tiling(int64_t rows, int64_t cols, const FormatOptions& opt)
{
    if (opt.fp8Scaling == Fp8Scaling::Block128)
        return {128, 128};
    return {std::max<int64_t>(rows, 1), std::max<int64_t>(cols, 1)};
}

float regionScale(const float* in, int64_t cols, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                  const QuantContext& ctx, const FormatOptions& opt, const Fp8& f)
{
    switch (opt.fp8Scaling) {
    case Fp8Scaling::Cast:
        return 1.0f;
    case Fp8Scaling::PerTensor:
        return scaleFor(ctx.absMax, f);
    case Fp8Scaling::Block128:
        break;
    }
    float amax = 0.0f;
    for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c) {
            const float a = std::fabs(in[r * cols + c]);
            if (a <= 3.4028235e38f)  // finite (NaN compares false)
                amax = std::max(amax, a);
        }
    return scaleFor(amax, f);
}

// Reference element: §5 encoders (minifloat.cpp) and decoders.
float elemRef(float x, const Fp8& f, bool saturate, ElemRounding r)
{
    return f.e4m3 ? decodeE4M3(encodeE4M3(x, saturate, r)) : decodeE5M2(encodeE5M2(x, saturate, r));
}

void fp8Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext& ctx,
            const FormatOptions& opt, const Fp8& f)
{
    const Tiling t = tiling(rows, cols, opt);
    for (int64_t r0 = 0; r0 < rows; r0 += t.tileRows)
        for (int64_t c0 = 0; c0 < cols; c0 += t.tileCols) {
            const int64_t r1 = std::min(rows, r0 + t.tileRows), c1 = std::min(cols, c0 + t.tileCols);
            const float s = regionScale(in, cols, r0, r1, c0, c1, ctx, opt, f);
            for (int64_t r = r0; r < r1; ++r)
                for (int64_t c = c0; c < c1; ++c) {
                    const float x = in[r * cols + c];
                    out[r * cols + c] = s == 1.0f ? elemRef(x, f, opt.fp8Saturate, opt.elemRounding)
                                                   : elemRef(x / s, f, opt.fp8Saturate, opt.elemRounding) * s;
                }
        }
}

// Fast element: |v| clamped (to max_elem when saturating, else to a bound above the
// overflow threshold), rounded by the magic add; a non-saturating result above
// max_elem becomes NaN (E4M3) or Inf (E5M2); NaN in -> NaN with its sign (0x7F|sign code).
template <bool E4M3, bool SAT, bool AWAY>
[[gnu::always_inline]] inline float elemFast(float v)
{
    constexpr float maxElem = E4M3 ? 448.0f : 57344.0f;
    constexpr float bound = SAT ? maxElem : (E4M3 ? 1024.0f : 131072.0f);
    constexpr uint32_t emin = E4M3 ? 121 : 113, mb = E4M3 ? 3 : 2;
    const uint32_t u = std::bit_cast<uint32_t>(v);
    const uint32_t sign = u & 0x80000000u;
    float a = std::bit_cast<float>(u & 0x7FFFFFFFu);
    const bool nan = !(a == a);
    a = a < bound ? a : bound;
    const float r = AWAY ? roundGridAway(nan ? 0.0f : a, emin, mb) : roundGridRne(nan ? 0.0f : a, emin, mb);
    uint32_t bits = std::bit_cast<uint32_t>(r);
    if (!SAT)
        bits = r > maxElem ? (E4M3 ? 0x7FC00000u : 0x7F800000u) : bits;
    bits = nan ? 0x7FC00000u : bits;
    return std::bit_cast<float>(bits | sign);
}

// The same element, 8 lanes.
template <bool E4M3, bool SAT, bool AWAY>
[[gnu::always_inline]] inline simd::u32x8 elemVec(simd::u32x8 u)
{
    using namespace simd;
    constexpr float maxElem = E4M3 ? 448.0f : 57344.0f;
    constexpr float bound = SAT ? maxElem : (E4M3 ? 1024.0f : 131072.0f);
    constexpr uint32_t emin = E4M3 ? 121 : 113, mb = E4M3 ? 3 : 2;
    const f32x8 a = asFloat(u & 0x7FFFFFFFu);
    const auto nan = a != a;
    const f32x8 c = simd::fmin(a, splatf(bound));  // NaN -> bound
    const f32x8 r = AWAY ? simd::roundGridAway(c, emin, mb) : simd::roundGridRne(c, emin, mb);
    u32x8 bits = asBits(r);
    if (!SAT)
        bits = r > splatf(maxElem) ? splat(E4M3 ? 0x7FC00000u : 0x7F800000u) : bits;
    bits = nan ? splat(0x7FC00000u) : bits;
    return bits | (u & 0x80000000u);
}

template <bool E4M3, bool SAT, bool AWAY>
[[gnu::always_inline]] inline void fp8FastT(const float* in, float* out, int64_t rows, int64_t cols,
                                            const QuantContext& ctx, const FormatOptions& opt, const Fp8& f)
{
    using namespace simd;
    const Tiling tl = tiling(rows, cols, opt);
    for (int64_t r0 = 0; r0 < rows; r0 += tl.tileRows) {
        for (int64_t c0 = 0; c0 < cols; c0 += tl.tileCols) {
            const int64_t r1 = std::min(rows, r0 + tl.tileRows), c1 = std::min(cols, c0 + tl.tileCols);
            const float s = regionScale(in, cols, r0, r1, c0, c1, ctx, opt, f);
            const f32x8 sv = splatf(s);
            for (int64_t r = r0; r < r1; ++r) {
                const float* x = in + r * cols;
                float* o = out + r * cols;
                int64_t c = c0;
                if (s == 1.0f) {
                    for (; c + 8 <= c1; c += 8)
                        store(o + c, elemVec<E4M3, SAT, AWAY>(load(x + c)));
                    for (; c < c1; ++c)
                        o[c] = elemFast<E4M3, SAT, AWAY>(x[c]);
                } else {
                    for (; c + 8 <= c1; c += 8)
                        store(o + c, asBits(asFloat(elemVec<E4M3, SAT, AWAY>(asBits(asFloat(load(x + c)) / sv))) * sv));
                    for (; c < c1; ++c)
                        o[c] = elemFast<E4M3, SAT, AWAY>(x[c] / s) * s;
                }
            }
        }
    }
}

// One instantiation per (saturation, rounding) pair.
template <bool E4M3>
[[gnu::always_inline]] inline void fp8Dispatch(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext& ctx,
                 const FormatOptions& opt, const Fp8& f)
{
    const bool away = opt.elemRounding == ElemRounding::Away;
    if (opt.fp8Saturate)
        away ? fp8FastT<E4M3, true, true>(in, out, rows, cols, ctx, opt, f) : fp8FastT<E4M3, true, false>(in, out, rows, cols, ctx, opt, f);
    else
        away ? fp8FastT<E4M3, false, true>(in, out, rows, cols, ctx, opt, f) : fp8FastT<E4M3, false, false>(in, out, rows, cols, ctx, opt, f);
}

} // namespace

void fp8E4m3Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext& ctx,
                const FormatOptions& opt)
{
    fp8Ref(in, out, rows, cols, ctx, opt, kE4M3);
}
void fp8E5m2Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext& ctx,
                const FormatOptions& opt)
{
    fp8Ref(in, out, rows, cols, ctx, opt, kE5M2);
}
QS_CLONES void fp8E4m3Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext& ctx,
                           const FormatOptions& opt)
{
    fp8Dispatch<true>(in, out, rows, cols, ctx, opt, kE4M3);
}
QS_CLONES void fp8E5m2Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext& ctx,
                           const FormatOptions& opt)
{
    fp8Dispatch<false>(in, out, rows, cols, ctx, opt, kE5M2);
}

} // namespace qs::kernels
