// NVFP4 (FORMATS.md §7): E2M1 elements, 16 consecutive elements along K share an E4M3
// block scale, plus one FP32 per-tensor scale g = A / 2688 (A = QuantContext::absMax,
// max |x| over the finite elements of the whole tensor). Option nv2dBlocks: one scale
// per 16x16 block (TransformerEngine weights); chunks then start at multiples of 16 rows
// (Format::rowAlign = 16), and a last band of fewer than 16 rows acts zero-padded.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "formats/kernels.h"
#include "formats/minifloat.h"
#include "formats/simd.h"

namespace qs::kernels {

namespace {

constexpr int kBlock = 16;
constexpr uint32_t kNanBits = 0x7FC00000u;

// Block scale σ_b (§7.2 step 3) from the block maximum a_b and g:
// s_b = fp32(fp32(a_b / 6) / g); ModelOpt clamp: all-zero block -> σ = 1, else
// s_b >= 2^-9; TorchAo clamp: s_b in [2^-6, 448]; None (TE/vLLM): no clamp.
// σ_b = E4M3 RNE (ties to even code), saturating at 448.
float blockScaleRef(float amax, float g, NvScaleClamp clamp)
{
    if (clamp == NvScaleClamp::ModelOpt && amax == 0.0f)
        return 1.0f;
    float s = (amax / 6.0f) / g;
    if (clamp == NvScaleClamp::ModelOpt)
        s = std::max(s, 0x1p-9f);
    else if (clamp == NvScaleClamp::TorchAo)
        s = std::min(std::max(s, 0x1p-6f), 448.0f);
    return roundE4M3(s, true);
}

// Fast σ_b: same s_b, E4M3 rounding by the magic-number add (s_b >= 0 and finite here).
[[gnu::always_inline]] inline float blockScaleFast(float amax, float g, NvScaleClamp clamp)
{
    if (clamp == NvScaleClamp::ModelOpt && amax == 0.0f)
        return 1.0f;
    float s = (amax / 6.0f) / g;
    if (clamp == NvScaleClamp::ModelOpt)
        s = s > 0x1p-9f ? s : 0x1p-9f;
    else if (clamp == NvScaleClamp::TorchAo)
        s = s > 0x1p-6f ? (s < 448.0f ? s : 448.0f) : 0x1p-6f;
    s = s < 448.0f ? s : 448.0f;
    return roundGridRne(s, 121, 3);
}

// Geometry: blocks are (bandRows x 16) with bandRows = 1, or 16 for nv2dBlocks.
struct Geometry {
    int64_t rows, cols;
    int band;
};

// Reference: per block, NaN/Inf anywhere -> the block is NaN. t = σ_b * g; t == 0 ->
// the block is zero (±0, the input's sign). Else q_i = E2M1(W_i / t) with RNE (ties to
// the even code; or half-away per opt.elemRounding) and saturation at 6, and
// Ŵ_i = (decode(q_i) * σ_b) * g, left to right in fp32.
void nvRef(const float* in, float* out, const Geometry& geo, float A, const FormatOptions& opt)
{
    const float g = A / 2688.0f;
    for (int64_t r0 = 0; r0 < geo.rows; r0 += geo.band) {
        const int64_t r1 = std::min(geo.rows, r0 + geo.band);
        for (int64_t c0 = 0; c0 < geo.cols; c0 += kBlock) {
            const int64_t c1 = std::min(geo.cols, c0 + kBlock);
            float amax = 0.0f;
            bool nonFinite = false;
            for (int64_t r = r0; r < r1; ++r)
                for (int64_t c = c0; c < c1; ++c) {
                    const float v = in[r * geo.cols + c];
                    if (!std::isfinite(v))
                        nonFinite = true;
                    else
                        amax = std::max(amax, std::fabs(v));
                }
            // A == 0 (or A / 2688 underflowing) leaves g == 0: everything is zero.
            const float sigma = (nonFinite || g == 0.0f) ? 0.0f : blockScaleRef(amax, g, opt.nvClamp);
            const float t = sigma * g;
            for (int64_t r = r0; r < r1; ++r)
                for (int64_t c = c0; c < c1; ++c) {
                    const float v = in[r * geo.cols + c];
                    float& o = out[r * geo.cols + c];
                    if (nonFinite) {
                        o = std::bit_cast<float>(kNanBits);
                        continue;
                    }
                    if (t == 0.0f) {
                        o = std::copysign(0.0f, v);
                        continue;
                    }
                    o = decodeE2M1(encodeE2M1(v / t, opt.elemRounding)) * sigma * g;
                }
        }
    }
}

// Fast path: integer block maximum (and NaN/Inf test), the block scales of 8 blocks at a
// time in vector lanes (the same fp32 operations as blockScaleFast, lane by lane), then
// branch-free elements: a = min(|W| / t, 6) rounded on the E2M1 grid by the magic add,
// (a * σ) * g, sign bit restored.

// max |bits| over rows [r0, r1) x columns [c0, c0 + n).
[[gnu::always_inline]] inline uint32_t bandMax(const float* in, int64_t cols, int64_t r0, int64_t r1, int64_t c0, int n)
{
    uint32_t maxBits = 0;
    for (int64_t r = r0; r < r1; ++r) {
        const float* x = in + r * cols + c0;
        if (n == kBlock) {
            const uint32_t mb = simd::hmax(simd::umax(simd::load(x) & 0x7FFFFFFFu, simd::load(x + 8) & 0x7FFFFFFFu));
            maxBits = mb > maxBits ? mb : maxBits;
            continue;
        }
        for (int i = 0; i < n; ++i) {
            const uint32_t a = std::bit_cast<uint32_t>(x[i]) & 0x7FFFFFFFu;
            maxBits = a > maxBits ? a : maxBits;
        }
    }
    return maxBits;
}

// σ_b and t_b = σ_b * g of 8 blocks from their maxima (finite lanes; g > 0).
[[gnu::always_inline]] inline void scales8(const uint32_t* mb, float g, NvScaleClamp clamp, float* sigma, float* t)
{
    using namespace simd;
    u32x8 m;
    std::memcpy(&m, mb, sizeof m);
    const f32x8 amax = asFloat(m);
    f32x8 s = (amax / splatf(6.0f)) / splatf(g);
    if (clamp == NvScaleClamp::ModelOpt)
        s = s > splatf(0x1p-9f) ? s : splatf(0x1p-9f);
    else if (clamp == NvScaleClamp::TorchAo)
        s = s > splatf(0x1p-6f) ? (s < splatf(448.0f) ? s : splatf(448.0f)) : splatf(0x1p-6f);
    s = s < splatf(448.0f) ? s : splatf(448.0f);
    f32x8 sg = simd::roundGridRne(s, 121, 3);
    if (clamp == NvScaleClamp::ModelOpt)
        sg = amax == splatf(0.0f) ? splatf(1.0f) : sg;
    const f32x8 tv = sg * splatf(g);
    std::memcpy(sigma, &sg, sizeof sg);
    std::memcpy(t, &tv, sizeof tv);
}

template <bool AWAY>
[[gnu::always_inline]] inline void quantBlock(const float* in, float* out, int64_t cols, int64_t r0, int64_t r1,
                                              int64_t c0, int n, bool nonFinite, float sigma, float t, float g)
{
    for (int64_t r = r0; r < r1; ++r) {
        const float* x = in + r * cols + c0;
        float* o = out + r * cols + c0;
        if (nonFinite) {
            for (int i = 0; i < n; ++i)
                o[i] = std::bit_cast<float>(kNanBits);
        } else if (t == 0.0f) {
            for (int i = 0; i < n; ++i)
                o[i] = std::bit_cast<float>(std::bit_cast<uint32_t>(x[i]) & 0x80000000u);
        } else if (n == kBlock) {
            using namespace simd;
            const f32x8 tv = splatf(t), sv = splatf(sigma), gv = splatf(g);
            for (int k = 0; k < 2; ++k) {
                const u32x8 u = load(x + 8 * k);
                const f32x8 a = simd::fmin(asFloat(u & 0x7FFFFFFFu) / tv, splatf(6.0f));
                const f32x8 q = AWAY ? simd::roundGridAway(a, 127, 1) : simd::roundGridRne(a, 127, 1);
                store(o + 8 * k, asBits((q * sv) * gv) | (u & 0x80000000u));
            }
        } else {
            for (int i = 0; i < n; ++i) {
                const uint32_t u = std::bit_cast<uint32_t>(x[i]);
                float a = std::bit_cast<float>(u & 0x7FFFFFFFu) / t;
                a = a < 6.0f ? a : 6.0f;
                const float q = AWAY ? roundGridAway(a, 127, 1) : roundGridRne(a, 127, 1);
                const float y = (q * sigma) * g;
                o[i] = std::bit_cast<float>(std::bit_cast<uint32_t>(y) | (u & 0x80000000u));
            }
        }
    }
}

template <bool AWAY>
[[gnu::always_inline]] inline void nvFastT(const float* in, float* out, const Geometry& geo, float A,
                                           const FormatOptions& opt)
{
    const float g = A / 2688.0f;
    const int64_t cols = geo.cols;
    for (int64_t r0 = 0; r0 < geo.rows; r0 += geo.band) {
        const int64_t r1 = std::min(geo.rows, r0 + geo.band);
        int64_t c0 = 0;
        if (g != 0.0f) {
            for (; c0 + 8 * kBlock <= cols; c0 += 8 * kBlock) {
                uint32_t mb[8];
                bool anyNonFinite = false;
                for (int b = 0; b < 8; ++b) {
                    mb[b] = bandMax(in, cols, r0, r1, c0 + b * kBlock, kBlock);
                    anyNonFinite |= mb[b] >= 0x7F800000u;
                }
                float sigma[8], t[8];
                scales8(mb, g, opt.nvClamp, sigma, t);
                for (int b = 0; b < 8; ++b)
                    quantBlock<AWAY>(in, out, cols, r0, r1, c0 + b * kBlock, kBlock,
                                     anyNonFinite && mb[b] >= 0x7F800000u, sigma[b], t[b], g);
            }
        }
        for (; c0 < cols; c0 += kBlock) {
            const int n = int(std::min<int64_t>(kBlock, cols - c0));
            const uint32_t maxBits = bandMax(in, cols, r0, r1, c0, n);
            float sigma = 0.0f, t = 0.0f;
            const bool nonFinite = maxBits >= 0x7F800000u;
            if (!nonFinite && g != 0.0f) {
                sigma = blockScaleFast(std::bit_cast<float>(maxBits), g, opt.nvClamp);
                t = sigma * g;
            }
            quantBlock<AWAY>(in, out, cols, r0, r1, c0, n, nonFinite, sigma, t, g);
        }
    }
}

} // namespace

void nvfp4Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext& ctx,
              const FormatOptions& opt)
{
    nvRef(in, out, Geometry{rows, cols, opt.nv2dBlocks ? 16 : 1}, ctx.absMax, opt);
}

QS_CLONES void nvfp4Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext& ctx,
                         const FormatOptions& opt)
{
    const Geometry geo{rows, cols, opt.nv2dBlocks ? 16 : 1};
    if (opt.elemRounding == ElemRounding::Away)
        nvFastT<true>(in, out, geo, ctx.absMax, opt);
    else
        nvFastT<false>(in, out, geo, ctx.absMax, opt);
}

} // namespace qs::kernels
