#pragma once
// Internal to core/formats: 8-lane GCC vector-extension types and helpers for the fast
// kernels. A 32-byte vector is one AVX2 register in the avx2 clone (QS_CLONES) and two
// SSE2 registers otherwise (wider types make GCC lower selects lane by lane); every
// operation is exact integer or IEEE float arithmetic, so results do not depend on the
// target.
#include <cstdint>
#include <cstring>

// 64-byte vectors only ever live inside always_inline helpers: no ABI is involved.
#pragma GCC diagnostic ignored "-Wpsabi"  // (32-byte vectors without AVX in the default clone)

namespace qs::simd {

typedef uint32_t u32x8 __attribute__((vector_size(32)));
typedef int32_t i32x8 __attribute__((vector_size(32)));
typedef float f32x8 __attribute__((vector_size(32)));

[[gnu::always_inline]] inline u32x8 load(const float* p)
{
    u32x8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

[[gnu::always_inline]] inline void store(float* p, u32x8 v)
{
    std::memcpy(p, &v, sizeof v);
}

[[gnu::always_inline]] inline f32x8 asFloat(u32x8 v)
{
    f32x8 f;
    std::memcpy(&f, &v, sizeof f);
    return f;
}

[[gnu::always_inline]] inline u32x8 asBits(f32x8 f)
{
    u32x8 v;
    std::memcpy(&v, &f, sizeof v);
    return v;
}

[[gnu::always_inline]] inline u32x8 splat(uint32_t x)
{
    return u32x8{} + x;
}

[[gnu::always_inline]] inline f32x8 splatf(float x)
{
    return f32x8{} + x;
}

[[gnu::always_inline]] inline u32x8 umax(u32x8 a, u32x8 b)
{
    return a > b ? a : b;
}

[[gnu::always_inline]] inline u32x8 umin(u32x8 a, u32x8 b)
{
    return a < b ? a : b;
}

// Horizontal unsigned maximum of the 8 lanes.
[[gnu::always_inline]] inline uint32_t hmax(u32x8 v)
{
    u32x8 t = umax(v, __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3));
    t = umax(t, __builtin_shufflevector(t, t, 2, 3, 0, 1, 6, 7, 4, 5));
    t = umax(t, __builtin_shufflevector(t, t, 1, 0, 3, 2, 5, 4, 7, 6));
    return t[0];
}

// Lane-wise kernels::roundGridRne: RNE of non-negative finite a onto a minifloat grid
// with `mbits` mantissa bits and minimum normal exponent field `emin` (fp32-biased).
[[gnu::always_inline]] inline f32x8 roundGridRne(f32x8 a, uint32_t emin, uint32_t mbits)
{
    const u32x8 t = umax(asBits(a) >> 23, splat(emin));
    const f32x8 magic = asFloat((t + (23 - mbits)) << 23);
    return (a + magic) - magic;
}

// Lane-wise kernels::roundGridAway (ties away from zero).
[[gnu::always_inline]] inline f32x8 roundGridAway(f32x8 a, uint32_t emin, uint32_t mbits)
{
    const u32x8 t = umax(asBits(a) >> 23, splat(emin));
    const f32x8 magic = asFloat((t + (23 - mbits)) << 23);
    const f32x8 quantum = asFloat((t - mbits) << 23);
    const f32x8 half = asFloat((t - mbits - 1) << 23);
    const f32x8 r = (a + magic) - magic;
    return (a - r == half) ? r + quantum : r;
}

[[gnu::always_inline]] inline f32x8 fmin(f32x8 a, f32x8 b)
{
    return a < b ? a : b;  // b when a is NaN
}

} // namespace qs::simd
