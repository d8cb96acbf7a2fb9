// OCP MX block formats (FORMATS.md §6): 32 consecutive elements along K share one E8M0
// scale; elements E2M1 (mxfp4), E2M3 / E3M2 (mxfp6), E4M3 / E5M2 (mxfp8). A tail block
// shorter than 32 behaves as if zero-padded (zeros never raise the block maximum).
#include <algorithm>
#include <bit>
#include <cmath>

#include "formats/kernels.h"
#include "formats/minifloat.h"
#include "formats/simd.h"

namespace qs::kernels {

namespace {

constexpr int kBlock = 32;
constexpr uint32_t kNanBits = 0x7FC00000u;

struct Elem {
    int mbits;            // explicit mantissa bits
    uint32_t eminBiased;  // fp32-biased exponent field of the element's min normal
    int emax;             // emax_elem (§5)
    float maxElem;        // largest finite magnitude
    uint8_t (*encode)(float, ElemRounding);
    float (*decode)(uint8_t);
};

uint8_t encE4M3(float x, ElemRounding r) { return encodeE4M3(x, true, r); }
uint8_t encE5M2(float x, ElemRounding r) { return encodeE5M2(x, true, r); }

constexpr Elem kE2M1{1, 127, 2, 6.0f, encodeE2M1, decodeE2M1};
constexpr Elem kE2M3{3, 127, 2, 7.5f, encodeE2M3, decodeE2M3};
constexpr Elem kE3M2{2, 125, 4, 28.0f, encodeE3M2, decodeE3M2};
constexpr Elem kE4M3{3, 121, 8, 448.0f, encE4M3, decodeE4M3};
constexpr Elem kE5M2{2, 113, 15, 57344.0f, encE5M2, decodeE5M2};

bool isPow2(float d)
{
    int e;
    return std::frexp(d, &e) == 0.5f;
}

// floor(log2(a)) as microxcaling computes it: torch.log2 in fp32 (correctly rounded:
// an a a few ulps below 2^k gives exactly k), then floor. a > 0 finite.
int floorLog2F32(float a)
{
    return int(std::floor(float(std::log2(double(a)))));
}

// Shared scale exponent s of a block with finite maximum magnitude amax (§6.2 step 2-3).
// fl(x) = floor(log2 x) = ilogb (exact, also for subnormals).
//   FLOOR: fl(amax) - emax_elem.
//   RCEIL: d = fp32(amax / max_elem); s = fl(d) + (d not a power of two).
//          (torchao: d = fp32(amax * fp32(1 / max_elem)).)
//   EVEN:  fl of (bits(amax) + 2^(22 - mbits)) with the mantissa dropped, - emax_elem.
//          A rounded amax of 2^128 gives s = 128 - emax_elem (a valid MX scale, OCP);
//          torchao makes such a block NaN (its isfinite test on the rounded amax).
//   CEIL:  ceil(log2 amax) - emax_elem.
//   microxcaling (its only rule, shared_exp_method "max"): floor(fp32 log2(amax)) - emax,
//          amax == 0 -> floor(log2(2^-126)).
// amax == 0 (or a rule's argument reaching 0) -> -127 (scale byte 0). Returned value is
// clamped below at -127; a value above 127 means "NaN scale" (caller).
int scaleExponent(float amax, const Elem& el, MxScaleRule rule, MxConvention conv)
{
    if (conv == MxConvention::Microxcaling) {
        const int s = (amax == 0.0f ? -126 : floorLog2F32(amax)) - el.emax;
        return s < -127 ? -127 : s;
    }
    if (amax == 0.0f)
        return -127;
    int s = 0;
    switch (rule) {
    case MxScaleRule::Floor:
        s = std::ilogb(amax) - el.emax;
        break;
    case MxScaleRule::Rceil: {
        const float d = conv == MxConvention::TorchAo ? amax * (1.0f / el.maxElem) : amax / el.maxElem;
        if (d == 0.0f)
            return -127;
        s = std::ilogb(d) + (isPow2(d) ? 0 : 1);
        break;
    }
    case MxScaleRule::Even: {
        const uint32_t u = std::bit_cast<uint32_t>(amax) + (1u << (22 - el.mbits));
        const int ef = int(u >> 23);
        if (ef == 0)
            return -127;
        if (ef == 255 && conv == MxConvention::TorchAo)
            return 128;
        s = ef - 127 - el.emax;
        break;
    }
    case MxScaleRule::Ceil:
        s = std::ilogb(amax) + (isPow2(amax) ? 0 : 1) - el.emax;
        break;
    }
    return s < -127 ? -127 : s;
}

// Element ties: Away, or Default under microxcaling (its round="nearest").
bool roundsAway(const FormatOptions& opt)
{
    return opt.elemRounding == ElemRounding::Away ||
           (opt.elemRounding == ElemRounding::Default && opt.mxConvention == MxConvention::Microxcaling);
}

// microxcaling's _quantize_elemwise_core for one scaled element xs (fp32 throughout):
// private exponent pe = max(floor(fp32 log2(|xs| + [xs == 0])), emin); m = xs / 2^pe * 2^mbits;
// r = sign(m) * floor(|m| + 0.5) ("nearest"; "even" subtracts 1 at an even tie), so -0.0
// gives +0.0 and the fp32 add rounds 0.5 - 2^-25 up; q = r / 2^mbits * 2^pe clamped to
// ±max_elem.
float microxElement(float xs, const Elem& el, bool away)
{
    const int emin = int(el.eminBiased) - 127;
    const float axs = std::fabs(xs);
    int pe = floorLog2F32(axs + (xs == 0.0f ? 1.0f : 0.0f));
    pe = pe < emin ? emin : pe;
    const float m = (xs / std::ldexp(1.0f, pe)) * std::ldexp(1.0f, el.mbits);
    const float am = std::fabs(m);
    float r = std::floor(am + 0.5f);
    if (!away) {  // torch.remainder(|m| - 0.5, 2) == 0: an even tie goes down
        float mod = std::fmod(am - 0.5f, 2.0f);
        if (mod != 0.0f && mod < 0.0f) mod += 2.0f;
        if (mod == 0.0f) r -= 1.0f;
    }
    const float sgn = m > 0.0f ? 1.0f : (m < 0.0f ? -1.0f : 0.0f);
    r = sgn * r;
    float q = (r / std::ldexp(1.0f, el.mbits)) * std::ldexp(1.0f, pe);
    q = std::min(std::max(q, -el.maxElem), el.maxElem);
    return q;
}

// Reference block: NaN/Inf anywhere -> the whole block NaN (scale 0xFF); otherwise
// P_i = encode(ldexp(V_i, -s)) with the element's RNE (ties to even code) or
// round-half-away rule and saturation (§5, §6.3), V̂_i = decode(P_i) * 2^s.
// microxcaling: V̂_i = microxElement(V_i / 2^s) * 2^s.
void blockRef(const float* v, float* out, int n, const Elem& el, const FormatOptions& opt)
{
    float amax = 0.0f;
    bool nonFinite = false;
    for (int i = 0; i < n; ++i) {
        if (!std::isfinite(v[i]))
            nonFinite = true;
        else
            amax = std::max(amax, std::fabs(v[i]));
    }
    const int s = nonFinite ? 128 : scaleExponent(amax, el, opt.mxScale, opt.mxConvention);
    if (s > 127) {
        for (int i = 0; i < n; ++i)
            out[i] = std::bit_cast<float>(kNanBits);
        return;
    }
    const float X = decodeE8M0(e8m0FromExponent(s));
    const ElemRounding rounding = roundsAway(opt) ? ElemRounding::Away : ElemRounding::Rne;
    for (int i = 0; i < n; ++i) {
        if (opt.mxConvention == MxConvention::Microxcaling)
            out[i] = microxElement(v[i] / X, el, rounding == ElemRounding::Away) * X;
        else
            out[i] = el.decode(el.encode(std::ldexp(v[i], -s), rounding)) * X;
    }
}

void mxRef(const float* in, float* out, int64_t rows, int64_t cols, const Elem& el, const FormatOptions& opt)
{
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c0 = 0; c0 < cols; c0 += kBlock)
            blockRef(in + r * cols + c0, out + r * cols + c0, int(std::min<int64_t>(kBlock, cols - c0)), el, opt);
}

// ---- fast path ---------------------------------------------------------------------
// Per block: amax and the NaN/Inf test from the integer maximum of |bits| (8-lane vectors);
// s as in the reference (scalar, once per 32 elements). Per element, branch-free:
// a = |x| * 2^-s (exact, = ldexp), clamp to max_elem (saturation: rounding a value
// <= max_elem never exceeds it), round onto the element grid with the magic-number
// add (roundGridRne / roundGridAway, exact RNE / half-away), multiply by 2^s (exact
// or overflow to Inf, as decode * X) and restore the sign bit (so -0 stays -0).

// Scale exponent of a block from its largest |bits| (128 = NaN scale).
[[gnu::always_inline]] inline int blockScale(uint32_t maxBits, const Elem& el, const FormatOptions& opt)
{
    return maxBits >= 0x7F800000u ? 128 : scaleExponent(std::bit_cast<float>(maxBits), el, opt.mxScale, opt.mxConvention);
}

// microxcaling (MICRO): the same grid rounding, then its two departures: the one value
// just below half the smallest subnormal step rounds up to that step (the fp32 add in
// floor(|m| + 0.5)), and a value whose scaled magnitude is 0 (-0.0, or underflow) is +0.
template <int MB, uint32_t EMIN>
constexpr uint32_t kQuirkBits = ((EMIN - MB - 1) << 23) - 1u;  // 2^(emin-mb-1) minus one ulp
template <int MB, uint32_t EMIN>
constexpr uint32_t kStepBits = (EMIN - MB) << 23;              // the smallest subnormal step

// Tail block (n < 32), scalar.
template <int MB, uint32_t EMIN, bool AWAY, bool MICRO>
[[gnu::always_inline]] inline void blockTail(const float* v, float* out, int n, const Elem& el, const FormatOptions& opt)
{
    uint32_t maxBits = 0;
    for (int i = 0; i < n; ++i) {
        const uint32_t a = std::bit_cast<uint32_t>(v[i]) & 0x7FFFFFFFu;
        maxBits = a > maxBits ? a : maxBits;
    }
    const int s = blockScale(maxBits, el, opt);
    if (s > 127) {
        for (int i = 0; i < n; ++i)
            out[i] = std::bit_cast<float>(kNanBits);
        return;
    }
    const float inv = pow2f(-s), X = pow2f(s), maxElem = el.maxElem;
    for (int i = 0; i < n; ++i) {
        const uint32_t u = std::bit_cast<uint32_t>(v[i]);
        float a = std::bit_cast<float>(u & 0x7FFFFFFFu) * inv;
        a = a < maxElem ? a : maxElem;
        float r = AWAY ? roundGridAway(a, EMIN, MB) : roundGridRne(a, EMIN, MB);
        uint32_t sign = u & 0x80000000u;
        if (MICRO) {
            r = std::bit_cast<uint32_t>(a) == kQuirkBits<MB, EMIN> ? std::bit_cast<float>(kStepBits<MB, EMIN>) : r;
            sign = a != 0.0f ? sign : 0u;
        }
        out[i] = std::bit_cast<float>(std::bit_cast<uint32_t>(r * X) | sign);
    }
}

// Full block of 32: four 8-lane vectors.
template <int MB, uint32_t EMIN, bool AWAY, bool MICRO>
[[gnu::always_inline]] inline void blockVec(const float* v, float* out, const Elem& el, const FormatOptions& opt)
{
    using namespace simd;
    u32x8 u[4];
    for (int k = 0; k < 4; ++k)
        u[k] = load(v + 8 * k);
    const u32x8 m = umax(umax(u[0] & 0x7FFFFFFFu, u[1] & 0x7FFFFFFFu), umax(u[2] & 0x7FFFFFFFu, u[3] & 0x7FFFFFFFu));
    const int s = blockScale(hmax(m), el, opt);
    if (s > 127) {
        for (int k = 0; k < 4; ++k)
            store(out + 8 * k, splat(kNanBits));
        return;
    }
    const f32x8 inv = splatf(pow2f(-s)), X = splatf(pow2f(s)), maxElem = splatf(el.maxElem);
    for (int k = 0; k < 4; ++k) {
        const f32x8 a = simd::fmin(asFloat(u[k] & 0x7FFFFFFFu) * inv, maxElem);
        f32x8 r = AWAY ? simd::roundGridAway(a, EMIN, MB) : simd::roundGridRne(a, EMIN, MB);
        u32x8 sign = u[k] & 0x80000000u;
        if (MICRO) {
            r = asBits(a) == splat(kQuirkBits<MB, EMIN>) ? asFloat(splat(kStepBits<MB, EMIN>)) : r;
            sign = a != splatf(0.0f) ? sign : splat(0u);
        }
        store(out + 8 * k, asBits(r * X) | sign);
    }
}

template <int MB, uint32_t EMIN, bool AWAY, bool MICRO>
[[gnu::always_inline]] inline void mxFastT(const float* in, float* out, int64_t rows, int64_t cols,
                                           const Elem& el, const FormatOptions& opt)
{
    for (int64_t r = 0; r < rows; ++r) {
        const float* x = in + r * cols;
        float* o = out + r * cols;
        int64_t c0 = 0;
        for (; c0 + kBlock <= cols; c0 += kBlock)
            blockVec<MB, EMIN, AWAY, MICRO>(x + c0, o + c0, el, opt);
        if (c0 < cols)
            blockTail<MB, EMIN, AWAY, MICRO>(x + c0, o + c0, int(cols - c0), el, opt);
    }
}

template <int MB, uint32_t EMIN>
[[gnu::always_inline]] inline void mxFast(const float* in, float* out, int64_t rows, int64_t cols,
                                          const Elem& el, const FormatOptions& opt)
{
    const bool away = roundsAway(opt), micro = opt.mxConvention == MxConvention::Microxcaling;
    if (micro)
        away ? mxFastT<MB, EMIN, true, true>(in, out, rows, cols, el, opt)
             : mxFastT<MB, EMIN, false, true>(in, out, rows, cols, el, opt);
    else
        away ? mxFastT<MB, EMIN, true, false>(in, out, rows, cols, el, opt)
             : mxFastT<MB, EMIN, false, false>(in, out, rows, cols, el, opt);
}

} // namespace

void mxfp4Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions& opt)
{
    mxRef(in, out, rows, cols, kE2M1, opt);
}
void mxfp6Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions& opt)
{
    mxRef(in, out, rows, cols, kE2M3, opt);
}
void mxfp6E3m2Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions& opt)
{
    mxRef(in, out, rows, cols, kE3M2, opt);
}
void mxfp8Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions& opt)
{
    mxRef(in, out, rows, cols, kE4M3, opt);
}
void mxfp8E5m2Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions& opt)
{
    mxRef(in, out, rows, cols, kE5M2, opt);
}

QS_CLONES void mxfp4Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&,
                         const FormatOptions& opt)
{
    mxFast<1, 127>(in, out, rows, cols, kE2M1, opt);
}
QS_CLONES void mxfp6Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&,
                         const FormatOptions& opt)
{
    mxFast<3, 127>(in, out, rows, cols, kE2M3, opt);
}
QS_CLONES void mxfp6E3m2Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&,
                             const FormatOptions& opt)
{
    mxFast<2, 125>(in, out, rows, cols, kE3M2, opt);
}
QS_CLONES void mxfp8Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&,
                         const FormatOptions& opt)
{
    mxFast<3, 121>(in, out, rows, cols, kE4M3, opt);
}
QS_CLONES void mxfp8E5m2Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&,
                             const FormatOptions& opt)
{
    mxFast<2, 113>(in, out, rows, cols, kE5M2, opt);
}

} // namespace qs::kernels
