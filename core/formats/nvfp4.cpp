// NVFP4 (FORMATS.md §7): E2M1 elements, 16 consecutive elements along K share an E4M3
// block scale, plus one FP32 per-tensor scale g = A / 2688 (A = QuantContext::absMax,
// max |x| over the finite elements of the whole tensor). Option nv2dBlocks: one scale
// per 16x16 block (TransformerEngine weights); chunks then start at multiples of 16 rows
// (Format::rowAlign = 16), and a last band of fewer than 16 rows acts zero-padded.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "formats/kernels.h"
#include "formats/minifloat.h"
#include "formats/simd.h"

namespace qs::kernels {

namespace {

constexpr int kBlock = 16;
constexpr uint32_t kNanBits = 0x7FC00000u;

// Block scale σ_b (§7.2 step 3) from the block maximum a_b and g:
// s_b = fp32(fp32(a_b / 6) / g), no clamp; σ_b = E4M3 RNE (ties to even code),
// saturating at 448.
float blockScaleRef(float amax, float g)
{
    return roundE4M3((amax / 6.0f) / g, true);
}

// Fast σ_b: same s_b, E4M3 rounding by the magic-number add (s_b >= 0 and finite here).
[[gnu::always_inline]] inline float blockScaleFast(float amax, float g)
{
    float s = (amax / 6.0f) / g;
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
            const float sigma = (nonFinite || g == 0.0f) ? 0.0f : blockScaleRef(amax, g);
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
[[gnu::always_inline]] inline void scales8(const uint32_t* mb, float g, float* sigma, float* t)
{
    using namespace simd;
    u32x8 m;
    std::memcpy(&m, mb, sizeof m);
    const f32x8 amax = asFloat(m);
    f32x8 s = (amax / splatf(6.0f)) / splatf(g);
    s = s < splatf(448.0f) ? s : splatf(448.0f);
    const f32x8 sg = simd::roundGridRne(s, 121, 3);
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
[[gnu::always_inline]] inline void nvFastT(const float* in, float* out, const Geometry& geo, float A)
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
                scales8(mb, g, sigma, t);
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
                sigma = blockScaleFast(std::bit_cast<float>(maxBits), g);
                t = sigma * g;
            }
            quantBlock<AWAY>(in, out, cols, r0, r1, c0, n, nonFinite, sigma, t, g);
        }
    }
}


// ---- the stacks' conventions (docs/CONVENTIONS.md) -----------------------------------
// Each reference below is a literal transcription of the stack's PyTorch / CUDA code in
// fp32 (torch.min / clamp propagate NaN; divisions by a Python number on CUDA multiply by
// the fp32 reciprocal). A NaN result is written as the canonical quiet NaN.

constexpr float kFltMax = 3.40282347e38f;

float tmin(float a, float b) { return (std::isnan(a) || std::isnan(b)) ? std::bit_cast<float>(kNanBits) : (a < b ? a : b); }
float tclamp(float a, float lo, float hi) { return std::isnan(a) ? a : (a < lo ? lo : (a > hi ? hi : a)); }
float canonical(float y) { return std::isnan(y) ? std::bit_cast<float>(kNanBits) : y; }

// Tensor-level numbers. A = the tensor amax as torch.max(|x|) sees it (NaN wins, then Inf).
struct ConvTensor {
    float A = 0, g = 0, enc = 0, m = 0;
};

ConvTensor convTensor(NvConvention c, const QuantContext& ctx)
{
    ConvTensor t;
    t.A = ctx.hasNan ? std::bit_cast<float>(kNanBits) : ctx.hasInf ? std::numeric_limits<float>::infinity() : ctx.absMax;
    switch (c) {
    case NvConvention::Te: {  // S_enc = min(2688 / A, FLT_MAX), 0 -> 1; S_dec = 1 / S_enc
        float sEnc = tmin(2688.0f / t.A, kFltMax);
        if (sEnc == 0.0f) sEnc = 1.0f;
        t.enc = sEnc;
        t.g = 1.0f / sEnc;
        t.m = sEnc * (1.0f / 6.0f);  // global_encode_scale * reciprocal(6)
        break;
    }
    case NvConvention::TorchAo:  // per_tensor_amax_to_scale: A / 2688 (CUDA: A * fl(1/2688))
        t.g = t.A * (1.0f / 2688.0f);
        t.enc = 1.0f / t.g;
        break;
    case NvConvention::ModelOpt:
    case NvConvention::ModelOptLegacy:  // weight_scale_2 = A / 2688 (CUDA: A * fl(1/2688))
        t.g = t.A * (1.0f / 2688.0f);
        break;
    case NvConvention::NvidiaSpec:
        break;
    }
    return t;
}

// Per block: σ (the stored E4M3 scale), k (elements: x * k or x / k) and f (value = code * f).
struct ConvBlock {
    float sigma, k, f;
};

ConvBlock convBlock(NvConvention c, const ConvTensor& t, float b)
{
    switch (c) {
    case NvConvention::Te: {
        const float d = tclamp(tmin(b * t.m, kFltMax), -448.0f, 448.0f);
        const float sigma = roundE4M3(d, false);
        const float enc = tmin(1.0f / (sigma * t.g), kFltMax);
        return {sigma, enc, (sigma * t.A) * (1.0f / 2688.0f)};  // dequantize_fp4_kernel's final_scale
    }
    case NvConvention::TorchAo: {
        const float sb = b * (1.0f / 6.0f);  // max_abs / 6 (CUDA)
        const float sigma = roundE4M3(tclamp(sb / t.g, 0x1p-6f, 448.0f), false);
        return {sigma, t.enc / sigma, t.g * sigma};
    }
    case NvConvention::ModelOpt:
    case NvConvention::ModelOptLegacy: {
        float p = b / (6.0f * t.g);
        if (p == 0.0f) p = 1.0f;
        if (c == NvConvention::ModelOpt) p = tclamp(p, 0x1p-9f, 448.0f);
        const float sigma = roundE4M3(p, false);
        const float k = sigma * t.g;
        return {sigma, k, k};
    }
    case NvConvention::NvidiaSpec:
        break;
    }
    return {0, 0, 0};
}

// TransformerEngine cast_to_fp4x2: the masks in its order (ties to even; -0.0 -> code 0).
uint8_t teCode(float v)
{
    uint8_t r = 0;
    if (v >= 0.0f && v <= 0.25f) r = 0;
    if (v > 0.25f && v < 0.75f) r = 1;
    if (v >= 0.75f && v <= 1.25f) r = 2;
    if (v > 1.25f && v < 1.75f) r = 3;
    if (v >= 1.75f && v <= 2.5f) r = 4;
    if (v > 2.5f && v < 3.5f) r = 5;
    if (v >= 3.5f && v <= 5.0f) r = 6;
    if (v > 5.0f) r = 7;
    if (v >= -0.25f && v < -0.0f) r = 8;
    if (v < -0.25f && v > -0.75f) r = 9;
    if (v <= -0.75f && v >= -1.25f) r = 10;
    if (v < -1.25f && v > -1.75f) r = 11;
    if (v <= -1.75f && v >= -2.5f) r = 12;
    if (v < -2.5f && v > -3.5f) r = 13;
    if (v <= -3.5f && v >= -5.0f) r = 14;
    if (v < -5.0f) r = 15;
    return r;
}

// ModelOpt _cast_fp4: searchsorted over the bounds (NaN sorts last), +1 on an odd bound.
uint8_t modeloptCode(float y)
{
    static constexpr float bounds[7] = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f};
    const uint8_t sign = y < 0.0f ? 1 : 0;
    const float a = std::fabs(y);
    uint8_t ord = 0;
    if (std::isnan(a))
        ord = 7;
    else
        for (float bd : bounds) ord += bd < a ? 1 : 0;
    const uint8_t odd = (a == 0.75f || a == 1.75f || a == 3.5f) ? 1 : 0;
    return uint8_t((sign << 3) + ord + odd);
}
// ModelOpt's e2m1_values table: code 8 is +0.
float modeloptValue(uint8_t code)
{
    static constexpr float v[16] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, 0, -0.5f, -1, -1.5f, -2, -3, -4, -6};
    return v[code & 15];
}

// torchao _f32_to_floatx_unpacked(ebits 2, mbits 1): sign saved, saturate at >= 6,
// below 1 by adding 2^22 in fp32, else the magic-number integer add (ties to even).
uint8_t torchaoCode(float v)
{
    uint32_t x = std::bit_cast<uint32_t>(v);
    const uint32_t sign = x & 0x80000000u;
    x ^= sign;
    const float a = std::bit_cast<float>(x);
    uint32_t code;
    if (a >= 6.0f) {
        code = 7;
    } else if (a < 1.0f) {
        const float d = a + std::bit_cast<float>(149u << 23);
        code = std::bit_cast<uint32_t>(d) - (149u << 23);
    } else {
        const uint32_t mantOdd = (x >> 22) & 1u;
        x += uint32_t((1 - 127) << 23) + ((1u << 21) - 1u);
        x += mantOdd;
        code = x >> 22;
    }
    return uint8_t(code | (sign ? 8u : 0u));
}

float convElementRef(NvConvention c, const ConvBlock& bl, float x)
{
    switch (c) {
    case NvConvention::Te: {
        const float v = tclamp(x * bl.k, -6.0f, 6.0f);
        return canonical(decodeE2M1(teCode(v)) * bl.f);
    }
    case NvConvention::TorchAo: {
        const float v = tclamp(x * bl.k, -6.0f, 6.0f);
        if (std::isnan(v)) return std::bit_cast<float>(kNanBits);  // torchao's code depends on NaN bits
        return canonical(decodeE2M1(torchaoCode(v)) * bl.f);
    }
    case NvConvention::ModelOpt:
    case NvConvention::ModelOptLegacy:
        return canonical(modeloptValue(modeloptCode(x / bl.k)) * bl.f);
    case NvConvention::NvidiaSpec:
        break;
    }
    return 0.0f;
}

// torch.amax(|x|) over a block: NaN wins, Inf counts.
float torchBlockMax(const float* in, int64_t cols, int64_t r0, int64_t r1, int64_t c0, int64_t c1)
{
    float b = 0.0f;
    for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c) {
            const float a = std::fabs(in[r * cols + c]);
            if (std::isnan(a)) return std::bit_cast<float>(kNanBits);
            b = a > b ? a : b;
        }
    return b;
}

void convRef(const float* in, float* out, const Geometry& geo, const QuantContext& ctx, NvConvention c)
{
    const ConvTensor t = convTensor(c, ctx);
    for (int64_t r0 = 0; r0 < geo.rows; r0 += geo.band) {
        const int64_t r1 = std::min(geo.rows, r0 + geo.band);
        for (int64_t c0 = 0; c0 < geo.cols; c0 += kBlock) {
            const int64_t c1 = std::min(geo.cols, c0 + kBlock);
            const ConvBlock bl = convBlock(c, t, torchBlockMax(in, geo.cols, r0, r1, c0, c1));
            for (int64_t r = r0; r < r1; ++r)
                for (int64_t col = c0; col < c1; ++col)
                    out[r * geo.cols + col] = convElementRef(c, bl, in[r * geo.cols + col]);
        }
    }
}

// Fast path of the conventions: the block's (k, f) from convBlock, then branch-free
// elements on the E2M1 grid by the magic add: a = |x| * k (te, torchao) or |x| / k
// (modelopt), c = min(a, 6) (NaN -> 6: ModelOpt's code 7), q = RNE(c), value q * f and a
// sign rule: te signs a nonzero scaled value (-0.0 -> +0), modelopt a nonzero code that
// is not NaN (code 8 is +0), torchao always; torchao's NaN a -> NaN. NaN results are
// written canonical.
enum class SignRule { NonzeroScaled, NonzeroCode, Always };

template <bool MUL, SignRule SIGN, bool NANA>
[[gnu::always_inline]] inline uint32_t convElemFast(uint32_t u, float k, float f)
{
    const float ax = std::bit_cast<float>(u & 0x7FFFFFFFu);
    const float a = MUL ? ax * k : ax / k;
    const bool nanA = !(a == a);
    const float cl = a < 6.0f ? a : 6.0f;
    const float q = roundGridRne(cl, 127, 1);
    const float y = q * f;
    uint32_t sign = u & 0x80000000u;
    if (SIGN == SignRule::NonzeroScaled) sign = a != 0.0f ? sign : 0u;
    if (SIGN == SignRule::NonzeroCode) sign = (q != 0.0f && !nanA) ? sign : 0u;
    const uint32_t bits = std::bit_cast<uint32_t>(y) | sign;
    return (!(y == y) || (NANA && nanA)) ? kNanBits : bits;
}

template <bool MUL, SignRule SIGN, bool NANA>
[[gnu::always_inline]] inline simd::u32x8 convElemVec(simd::u32x8 u, float k, float f)
{
    using namespace simd;
    const f32x8 ax = asFloat(u & 0x7FFFFFFFu);
    const f32x8 a = MUL ? ax * splatf(k) : ax / splatf(k);
    const auto nanA = a != a;
    const f32x8 q = simd::roundGridRne(simd::fmin(a, splatf(6.0f)), 127, 1);
    const f32x8 y = q * splatf(f);
    u32x8 sign = u & 0x80000000u;
    if (SIGN == SignRule::NonzeroScaled) sign = a != splatf(0.0f) ? sign : splat(0u);
    if (SIGN == SignRule::NonzeroCode) sign = (q != splatf(0.0f)) & ~nanA ? sign : splat(0u);
    u32x8 bits = asBits(y) | sign;
    bits = y != y ? splat(kNanBits) : bits;
    if (NANA) bits = nanA ? splat(kNanBits) : bits;
    return bits;
}

template <bool MUL, SignRule SIGN, bool NANA>
[[gnu::always_inline]] inline void convFastT(const float* in, float* out, const Geometry& geo, const QuantContext& ctx,
                                             NvConvention c)
{
    const ConvTensor t = convTensor(c, ctx);
    const int64_t cols = geo.cols;
    for (int64_t r0 = 0; r0 < geo.rows; r0 += geo.band) {
        const int64_t r1 = std::min(geo.rows, r0 + geo.band);
        for (int64_t c0 = 0; c0 < cols; c0 += kBlock) {
            const int n = int(std::min<int64_t>(kBlock, cols - c0));
            const uint32_t maxBits = bandMax(in, cols, r0, r1, c0, n);  // NaN bits sort above Inf
            const float b = maxBits > 0x7F800000u ? std::bit_cast<float>(kNanBits) : std::bit_cast<float>(maxBits);
            const ConvBlock bl = convBlock(c, t, b);
            for (int64_t r = r0; r < r1; ++r) {
                const float* x = in + r * cols + c0;
                float* o = out + r * cols + c0;
                int i = 0;
                for (; i + 8 <= n; i += 8)
                    simd::store(o + i, convElemVec<MUL, SIGN, NANA>(simd::load(x + i), bl.k, bl.f));
                for (; i < n; ++i)
                    o[i] = std::bit_cast<float>(convElemFast<MUL, SIGN, NANA>(std::bit_cast<uint32_t>(x[i]), bl.k, bl.f));
            }
        }
    }
}

} // namespace

void nvfp4Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext& ctx,
              const FormatOptions& opt)
{
    const Geometry geo{rows, cols, opt.nv2dBlocks ? 16 : 1};
    if (opt.nvConvention == NvConvention::NvidiaSpec)
        nvRef(in, out, geo, ctx.absMax, opt);
    else
        convRef(in, out, geo, ctx, opt.nvConvention);
}

QS_CLONES void nvfp4Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext& ctx,
                         const FormatOptions& opt)
{
    const Geometry geo{rows, cols, opt.nv2dBlocks ? 16 : 1};
    switch (opt.nvConvention) {
    case NvConvention::Te:
        return convFastT<true, SignRule::NonzeroScaled, false>(in, out, geo, ctx, opt.nvConvention);
    case NvConvention::TorchAo:
        return convFastT<true, SignRule::Always, true>(in, out, geo, ctx, opt.nvConvention);
    case NvConvention::ModelOpt:
    case NvConvention::ModelOptLegacy:
        return convFastT<false, SignRule::NonzeroCode, false>(in, out, geo, ctx, opt.nvConvention);
    case NvConvention::NvidiaSpec:
        break;
    }
    if (opt.elemRounding == ElemRounding::Away)
        nvFastT<true>(in, out, geo, ctx.absMax);
    else
        nvFastT<false>(in, out, geo, ctx.absMax);
}

} // namespace qs::kernels
