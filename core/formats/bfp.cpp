// Tenstorrent block floats bfp8 / bfp4 / bfp2 (FORMATS.md §3): groups of 16 consecutive
// elements of a row (the tail zero-padded) share the maximum raw fp32 exponent field.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "formats/kernels.h"
#include "formats/simd.h"

namespace qs::kernels {

namespace {

constexpr int kGroup = 16;

// ---- reference (straight from §3.3 / §3.4 / §3.8.2) ----------------------------------

// Encode one element against shared exponent E (§3.3 step 2):
// ef == 0 (±0, subnormal) -> code 0. Otherwise S = mf | 2^23 is shifted right by
// d = E - ef with the shifted-out bits DISCARDED (no sticky bit), then the low k = 24 - m
// bits are rounded off with RNE on that truncated value (r > half, or r == half and q
// odd -> q + 1), q is clamped to 2^m - 1 (the exponent is never bumped), and a zero q
// clears the sign (no negative zero). code = sign << m | q.
// `saturateAbove` (optimize_bfp's lower candidate): an element whose own exponent field
// exceeds E takes the largest magnitude with its sign.
uint32_t encodeRef(uint32_t u, uint32_t E, int m, bool saturateAbove = false)
{
    const uint32_t ef = (u >> 23) & 0xFF;
    const uint32_t mask = (1u << m) - 1;
    if (ef == 0)
        return 0;
    if (saturateAbove && ef > E)
        return (u >> 31) << m | mask;
    const uint32_t S = (u & 0x7FFFFF) | 0x800000;
    const uint32_t d = E - ef;
    const uint32_t A = d >= 24 ? 0 : S >> d;
    const int k = 24 - m;
    uint32_t q = A >> k;
    const uint32_t r = A & ((1u << k) - 1);
    const uint32_t half = 1u << (k - 1);
    if (r > half || (r == half && (q & 1)))
        q += 1;
    q = std::min(q, mask);
    const uint32_t sign = q == 0 ? 0 : u >> 31;
    return sign << m | q;
}

// Decode (§3.4): mag == 0 -> exponent field 0. Otherwise p = top set bit of mag,
// shift = (m-1) - p, frac = (mag << (shift+1)) & (2^m - 1), and the fp32 word is
// sign<<31 | (E - shift)<<23 | frac<<(23 - m) (E = 255 gives Inf/NaN words).
uint32_t decodeRef(uint32_t code, uint32_t E, int m)
{
    const uint32_t mask = (1u << m) - 1;
    const uint32_t mag = code & mask, sign = code >> m;
    if (mag == 0)
        return sign << 31;
    const int p = 31 - std::countl_zero(mag);
    const int shift = (m - 1) - p;
    const uint32_t frac = (mag << (shift + 1)) & mask;
    return sign << 31 | (E - uint32_t(shift)) << 23 | frac << (23 - m);
}

// tt-metal optimize_bfp (§3.8.2, prefer_lower_bfp_exponent): also try E-1 (elements with
// a larger exponent clip to the largest magnitude), score both in double in element
// order, keep E on ties; skipped for E <= m and E == 255.
bool preferLowerRef(const uint32_t* u, uint32_t E, int m)
{
    if (E <= uint32_t(m) || E == 255)
        return false;
    const uint32_t mask = (1u << m) - 1;
    const double scale = std::ldexp(1.0, int(E) - 127 - (m - 1));
    double ordinaryError = 0.0, lowerError = 0.0;
    for (int i = 0; i < kGroup; ++i) {
        const uint32_t c0 = encodeRef(u[i], E, m);
        const uint32_t c1 = encodeRef(u[i], E - 1, m, true);
        const double input = std::bit_cast<float>(u[i]);
        const double q0 = (c0 & mask) * scale * ((c0 >> m) ? -1.0 : 1.0);
        const double q1 = (c1 & mask) * (scale * 0.5) * ((c1 >> m) ? -1.0 : 1.0);
        ordinaryError += (input - q0) * (input - q0);
        lowerError += (input - q1) * (input - q1);
    }
    return lowerError < ordinaryError;
}

// One zero-padded group of 16 words -> 16 decoded words.
void groupRef(const uint32_t* u, uint32_t* y, int m, bool optimize)
{
    uint32_t E = 0;
    for (int i = 0; i < kGroup; ++i)
        E = std::max(E, (u[i] >> 23) & 0xFF);
    const bool lower = optimize && m != 1 && preferLowerRef(u, E, m);
    const uint32_t Eq = lower ? E - 1 : E;
    for (int i = 0; i < kGroup; ++i)
        y[i] = decodeRef(encodeRef(u[i], Eq, m, lower), Eq, m);
}

void bfpRef(const float* in, float* out, int64_t rows, int64_t cols, int m, const FormatOptions& opt)
{
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c0 = 0; c0 < cols; c0 += kGroup) {
            const int64_t n = std::min<int64_t>(kGroup, cols - c0);
            uint32_t u[kGroup] = {}, y[kGroup];
            std::memcpy(u, in + r * cols + c0, size_t(n) * 4);
            groupRef(u, y, m, opt.bfpOptimizeExponent);
            std::memcpy(out + r * cols + c0, y, size_t(n) * 4);
        }
    }
}

// ---- fast path ---------------------------------------------------------------------
// Same arithmetic as encodeRef, written branch-free over the 16 lanes of a group so GCC
// vectorises it: the shift is clamped to 31 (S < 2^24, so any shift >= 24 gives 0 as
// the d >= 24 rule does), rounding/clamp/sign-clearing are selects. For E <= 254 the
// decoded value is q * 2^(E-127-(m-1)) exactly (E - shift >= 1, §3.4), computed as one
// fp32 multiply; E = 255 groups (Inf/NaN present) take the reference's bit assembly.

template <int M>
[[gnu::always_inline]] inline void encodeLanes(const uint32_t* u, uint32_t E, uint32_t* q, bool saturateAbove)
{
    constexpr int K = 24 - M;
    constexpr uint32_t RM = (1u << K) - 1, H = 1u << (K - 1), MASK = (1u << M) - 1;
    for (int i = 0; i < kGroup; ++i) {
        const uint32_t ef = (u[i] >> 23) & 0xFF;
        const uint32_t S = (u[i] & 0x7FFFFF) | 0x800000;
        const int32_t d = int32_t(E) - int32_t(ef);
        const uint32_t sh = uint32_t(d) > 31u ? 31u : uint32_t(d);
        const uint32_t A = S >> sh;
        uint32_t v = A >> K;
        const uint32_t r = A & RM;
        v += uint32_t((r > H) | ((r == H) & ((v & 1) != 0)));
        v = v < MASK ? v : MASK;
        v = (saturateAbove && d < 0) ? MASK : v;
        q[i] = ef == 0 ? 0u : v;
    }
}

template <int M>
[[gnu::always_inline]] inline void decodeLanes(const uint32_t* u, const uint32_t* q, uint32_t E, float* y)
{
    const float scale = pow2f(int(E) - 127 - (M - 1));
    for (int i = 0; i < kGroup; ++i) {
        const uint32_t sign = q[i] ? (u[i] & 0x80000000u) : 0u;
        const float v = float(int32_t(q[i])) * scale;
        y[i] = std::bit_cast<float>(std::bit_cast<uint32_t>(v) | sign);
    }
}

// optimize_bfp in the fast path: both candidates encoded lane-wise, scored in order.
template <int M>
[[gnu::always_inline]] inline bool preferLowerFast(const uint32_t* u, uint32_t E, const uint32_t* q0, uint32_t* q1)
{
    encodeLanes<M>(u, E - 1, q1, true);
    const double scale = std::ldexp(1.0, int(E) - 127 - (M - 1)), halfScale = scale * 0.5;
    double e0 = 0.0, e1 = 0.0;
    for (int i = 0; i < kGroup; ++i) {
        const double x = std::bit_cast<float>(u[i]);
        const bool neg = (u[i] >> 31) != 0;
        const double a0 = q0[i] * scale * ((neg && q0[i]) ? -1.0 : 1.0);
        const double a1 = q1[i] * halfScale * ((neg && q1[i]) ? -1.0 : 1.0);
        e0 += (x - a0) * (x - a0);
        e1 += (x - a1) * (x - a1);
    }
    return e1 < e0;
}

// Lane-array path for optimize_bfp groups (E and E-1 candidates).
template <int M>
[[gnu::always_inline]] inline void groupOptimize(const uint32_t* u, float* y, uint32_t E)
{
    uint32_t q[kGroup];
    encodeLanes<M>(u, E, q, false);
    uint32_t q1[kGroup];
    if (preferLowerFast<M>(u, E, q, q1))
        decodeLanes<M>(u, q1, E - 1, y);
    else
        decodeLanes<M>(u, q, E, y);
}

// Vector path for groups with 25 <= E <= 254, 8 lanes at a time. Every element with
// ef == 0 then has d = E >= 25, so its significand is shifted out (no explicit flush);
// RNE of the truncated A on its low K bits is (A + H - 1 + lsb(A >> K)) >> K (exact,
// A < 2^24); the clamp is a min; the sign is applied by negating q before the int->float
// conversion, so q == 0 gives +0.0 (the reference's sign clearing) and the decoded value
// is the exact fp32 product q * 2^(E-127-(m-1)).
template <int M>
[[gnu::always_inline]] inline simd::u32x8 groupVec(simd::u32x8 u, simd::u32x8 ef, uint32_t E)
{
    using namespace simd;
    constexpr int K = 24 - M;
    constexpr uint32_t H = 1u << (K - 1), MASK = (1u << M) - 1;
    const u32x8 sh = umin(splat(E) - ef, splat(31));  // E >= ef
    const u32x8 A = ((u & 0x7FFFFFu) | 0x800000u) >> sh;
    const u32x8 q = umin((A + (H - 1) + ((A >> K) & 1u)) >> K, splat(MASK));
    const i32x8 neg = (i32x8)u >> 31;  // -1 for negative inputs, else 0
    const i32x8 qs = ((i32x8)q ^ neg) - neg;
    const f32x8 scale = asFloat(splat((E - (M - 1)) << 23));  // 2^(E-127-(m-1)), normal here
    return asBits(__builtin_convertvector(qs, f32x8) * scale);
}

// One group of 16 readable/writable floats.
template <int M>
[[gnu::always_inline]] inline void groupFast(const float* x, float* o, bool optimize)
{
    using namespace simd;
    const u32x8 u0 = load(x), u1 = load(x + 8);
    const u32x8 ef0 = (u0 >> 23) & 0xFFu, ef1 = (u1 >> 23) & 0xFFu;
    const uint32_t E = hmax(umax(ef0, ef1));
    const bool lowerCandidate = M != 1 && optimize && E > uint32_t(M) && E != 255;
    if (E == 255 || E < 25 || lowerCandidate) {
        // Specials (Inf/NaN: bit-assembled decode), groups below 2^-102 (need the explicit
        // ef == 0 flush) and optimize_bfp groups take the lane-array code.
        uint32_t w[kGroup];
        std::memcpy(w, x, sizeof w);
        float y[kGroup];
        if (lowerCandidate) {
            groupOptimize<M>(w, y, E);
        } else {
            uint32_t yb[kGroup];
            groupRef(w, yb, M, optimize);
            std::memcpy(y, yb, sizeof y);
        }
        std::memcpy(o, y, sizeof y);
        return;
    }
    store(o, groupVec<M>(u0, ef0, E));
    store(o + 8, groupVec<M>(u1, ef1, E));
}

template <int M>
[[gnu::always_inline]] inline void bfpFast(const float* in, float* out, int64_t rows, int64_t cols, bool optimize)
{
    for (int64_t r = 0; r < rows; ++r) {
        const float* x = in + r * cols;
        float* o = out + r * cols;
        int64_t c0 = 0;
        for (; c0 + kGroup <= cols; c0 += kGroup)
            groupFast<M>(x + c0, o + c0, optimize);
        if (c0 < cols) {  // zero-padded tail group
            const int64_t n = cols - c0;
            float t[kGroup] = {};
            std::memcpy(t, x + c0, size_t(n) * 4);
            groupFast<M>(t, t, optimize);
            std::memcpy(o + c0, t, size_t(n) * 4);
        }
    }
}

} // namespace

void bfp8Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions& opt)
{
    bfpRef(in, out, rows, cols, 7, opt);
}
void bfp4Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions& opt)
{
    bfpRef(in, out, rows, cols, 3, opt);
}
void bfp2Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions& opt)
{
    bfpRef(in, out, rows, cols, 1, opt);
}
QS_CLONES void bfp8Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&,
                        const FormatOptions& opt)
{
    bfpFast<7>(in, out, rows, cols, opt.bfpOptimizeExponent);
}
QS_CLONES void bfp4Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&,
                        const FormatOptions& opt)
{
    bfpFast<3>(in, out, rows, cols, opt.bfpOptimizeExponent);
}
QS_CLONES void bfp2Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&,
                        const FormatOptions& opt)
{
    bfpFast<1>(in, out, rows, cols, opt.bfpOptimizeExponent);
}

} // namespace qs::kernels
