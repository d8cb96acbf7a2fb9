#pragma once
// Internal to core/formats: the qdq kernels behind the registry rows (one .cpp per
// family) and small bit helpers they share. Every kernel has the QdqFn signature
// (format.h): it quantizes whole rows of a row-major [rows, cols] view, single-threaded,
// never reads or writes outside rows*cols floats, and never fails.
#include <cstdint>

#include "formats/format.h"

namespace qs::kernels {

#define QS_KERNEL(name)                                                                 \
    void name(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext& ctx, \
              const FormatOptions& opt)

// bf16.cpp
QS_KERNEL(bf16Ref);
QS_KERNEL(bf16Fast);
// fp0 (registry.cpp)
QS_KERNEL(fp0);
// bfp.cpp: m = 7 / 3 / 1
QS_KERNEL(bfp8Ref);
QS_KERNEL(bfp8Fast);
QS_KERNEL(bfp4Ref);
QS_KERNEL(bfp4Fast);
QS_KERNEL(bfp2Ref);
QS_KERNEL(bfp2Fast);
// bfp_ideal.cpp
QS_KERNEL(bfp8IdealRef);
QS_KERNEL(bfp8IdealFast);
QS_KERNEL(bfp4IdealRef);
QS_KERNEL(bfp4IdealFast);
QS_KERNEL(bfp2IdealRef);
QS_KERNEL(bfp2IdealFast);
// mx.cpp
QS_KERNEL(mxfp4Ref);
QS_KERNEL(mxfp4Fast);
QS_KERNEL(mxfp6Ref);      // E2M3 elements
QS_KERNEL(mxfp6Fast);
QS_KERNEL(mxfp6E3m2Ref);
QS_KERNEL(mxfp6E3m2Fast);
QS_KERNEL(mxfp8Ref);      // E4M3 elements
QS_KERNEL(mxfp8Fast);
QS_KERNEL(mxfp8E5m2Ref);
QS_KERNEL(mxfp8E5m2Fast);
// nvfp4.cpp
QS_KERNEL(nvfp4Ref);
QS_KERNEL(nvfp4Fast);
// proxies.cpp
QS_KERNEL(mxfp4ProxyRef);
QS_KERNEL(mxfp4ProxyFast);
QS_KERNEL(nvfp4ProxyRef);
QS_KERNEL(nvfp4ProxyFast);
// fp8.cpp
QS_KERNEL(fp8E4m3Ref);
QS_KERNEL(fp8E4m3Fast);
QS_KERNEL(fp8E5m2Ref);
QS_KERNEL(fp8E5m2Fast);
// intq.cpp
QS_KERNEL(int8Ref);
QS_KERNEL(int8Fast);
QS_KERNEL(int4g128Ref);
QS_KERNEL(int4g128Fast);
QS_KERNEL(int4g128AsymRef);
QS_KERNEL(int4g128AsymFast);
QS_KERNEL(int4g32Ref);
QS_KERNEL(int4g32Fast);
QS_KERNEL(int4g32AsymRef);
QS_KERNEL(int4g32AsymFast);

#undef QS_KERNEL

// ---- shared helpers ------------------------------------------------------------------

// Runtime dispatch for the hot loops (no -march=native in the build).
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define QS_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define QS_CLONES
#endif

// 2^e as an exact float for -149 <= e <= 127 (subnormal below -126); 0 below, +Inf above.
[[gnu::always_inline]] inline float pow2f(int e)
{
    uint32_t u;
    if (e > 127)
        u = 0x7F800000u;
    else if (e >= -126)
        u = uint32_t(e + 127) << 23;
    else if (e >= -149)
        u = 1u << (e + 149);
    else
        u = 0;
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}

// Quantize-dequantize of a non-negative finite float a onto a minifloat grid with
// `mbits` explicit mantissa bits and minimum normal exponent field `eminBiased`
// (fp32-biased, e.g. 127 for E2M1), rounding to nearest even, no saturation:
// (a + M) - M with M = 2^(t - mbits + 23), t = max(exponent(a), emin). Exact for any
// a below 2^(emax+2) of the element format; callers clamp first.
[[gnu::always_inline]] inline float roundGridRne(float a, uint32_t eminBiased, uint32_t mbits)
{
    uint32_t ua;
    __builtin_memcpy(&ua, &a, 4);
    uint32_t t = ua >> 23;
    t = t > eminBiased ? t : eminBiased;
    const uint32_t um = (t + 23 - mbits) << 23;
    float magic;
    __builtin_memcpy(&magic, &um, 4);
    const float r = (a + magic) - magic;
    return r;
}

// Same grid, round half away from zero: RNE, then move a tie that went down one
// quantum up (the difference a - r is exact).
[[gnu::always_inline]] inline float roundGridAway(float a, uint32_t eminBiased, uint32_t mbits)
{
    uint32_t ua;
    __builtin_memcpy(&ua, &a, 4);
    uint32_t t = ua >> 23;
    t = t > eminBiased ? t : eminBiased;
    const uint32_t um = (t + 23 - mbits) << 23;
    const uint32_t uq = (t - mbits) << 23;        // quantum 2^(t - mbits)
    const uint32_t uh = (t - mbits - 1) << 23;    // half quantum
    float magic, quantum, half;
    __builtin_memcpy(&magic, &um, 4);
    __builtin_memcpy(&quantum, &uq, 4);
    __builtin_memcpy(&half, &uh, 4);
    const float r = (a + magic) - magic;
    return (a - r == half) ? r + quantum : r;
}

} // namespace qs::kernels
