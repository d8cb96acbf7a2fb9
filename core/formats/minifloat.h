#pragma once
// Scalar minifloat codecs (FORMATS.md §5) and bf16 bit helpers (§2), the public
// building blocks every other area may use: the safetensors reader decodes F8_E4M3 /
// F8_E5M2 / F8_E8M0 bytes with decodeE4M3 / decodeE5M2 / decodeE8M0, tests and the
// export code use the encoders.
//
// Codes are the low bits of a uint8_t (E2M1: 4 bits, E2M3/E3M2: 6 bits, E4M3/E5M2/E8M0:
// 8 bits); bits above the code width are ignored by the decoders. Nothing here fails:
// every input has a defined result (documented per function). Plain C++20.
#include <bit>
#include <cstdint>

#include "formats/format.h"

namespace qs {

// ---- fp32 bits ---------------------------------------------------------------------
inline uint32_t floatBits(float f) { return std::bit_cast<uint32_t>(f); }
inline float bitsFloat(uint32_t u) { return std::bit_cast<float>(u); }

// ---- decoders (exact; NaN codes give a quiet fp32 NaN with the code's sign) ---------

// E2M1 (FP4): magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6; bit 3 = sign (code 8 = -0.0).
inline float decodeE2M1(uint8_t code)
{
    const uint32_t s = uint32_t(code >> 3 & 1) << 31, e = code >> 1 & 3, f = code & 1;
    if (e == 0)
        return bitsFloat(s | (f ? 0x3F000000u : 0u));  // 0 or 0.5
    return bitsFloat(s | (e - 1 + 127) << 23 | f << 22);
}

// E2M3 (FP6, bias 1): bit 5 = sign, max 7.5, subnormal step 0.125.
inline float decodeE2M3(uint8_t code)
{
    const uint32_t s = uint32_t(code >> 5 & 1) << 31, e = code >> 3 & 3, f = code & 7;
    if (e == 0)
        return bitsFloat(s | floatBits(float(f) * 0.125f));
    return bitsFloat(s | (e - 1 + 127) << 23 | f << 20);
}

// E3M2 (FP6, bias 3): bit 5 = sign, max 28, subnormal step 0.0625.
inline float decodeE3M2(uint8_t code)
{
    const uint32_t s = uint32_t(code >> 5 & 1) << 31, e = code >> 2 & 7, f = code & 3;
    if (e == 0)
        return bitsFloat(s | floatBits(float(f) * 0.0625f));
    return bitsFloat(s | (e - 3 + 127) << 23 | f << 21);
}

// E4M3FN (OCP FP8 "E4M3", bias 7): max 448 (0x7E), no Inf, 0x7F/0xFF = NaN.
inline float decodeE4M3(uint8_t code)
{
    const uint32_t s = uint32_t(code >> 7) << 31, e = code >> 3 & 15, f = code & 7;
    if (e == 15 && f == 7)
        return bitsFloat(s | 0x7FC00000u);
    if (e == 0)
        return bitsFloat(s | floatBits(float(f) * 0x1p-9f));
    return bitsFloat(s | (e - 7 + 127) << 23 | f << 20);
}

// E5M2 (OCP FP8, bias 15): max 57344 (0x7B), 0x7C = +Inf, 0x7D..0x7F = NaN.
inline float decodeE5M2(uint8_t code)
{
    const uint32_t s = uint32_t(code >> 7) << 31, e = code >> 2 & 31, f = code & 3;
    if (e == 31)
        return bitsFloat(s | (f ? 0x7FC00000u : 0x7F800000u));
    if (e == 0)
        return bitsFloat(s | floatBits(float(f) * 0x1p-16f));
    return bitsFloat(s | (e - 15 + 127) << 23 | f << 21);
}

// E8M0 (MX scale): code b -> 2^(b-127) (code 0 = 2^-127, an fp32 subnormal); 0xFF -> NaN.
inline float decodeE8M0(uint8_t code)
{
    if (code == 0xFF)
        return bitsFloat(0x7FC00000u);
    if (code == 0)
        return bitsFloat(0x00400000u);
    return bitsFloat(uint32_t(code) << 23);
}

// ---- encoders ----------------------------------------------------------------------
// Exact rounding of the fp32 input onto the format's grid, subnormals included.
// ElemRounding::Rne = ties to the even code (default); Away = ties away from zero
// (microxcaling "nearest"). The sign of zero is kept (-0.0 -> the negative-zero code).

// E2M1 / E2M3 / E3M2 have no Inf/NaN: always saturate to the largest magnitude;
// ±Inf and NaN map to the largest magnitude with the input's sign.
uint8_t encodeE2M1(float x, ElemRounding r = ElemRounding::Rne);
uint8_t encodeE2M3(float x, ElemRounding r = ElemRounding::Rne);
uint8_t encodeE3M2(float x, ElemRounding r = ElemRounding::Rne);
// E4M3FN. saturate (default): |x| beyond 448 after rounding -> ±448, ±Inf -> ±448.
// Non-saturating (c10 fp8e4m3fn_from_fp32_value): rounding beyond 448 -> NaN (0x7F|sign),
// so |x| > 464 -> NaN and 464 (a tie) -> 448; ±Inf -> NaN. NaN -> 0x7F|sign always.
uint8_t encodeE4M3(float x, bool saturate = true, ElemRounding r = ElemRounding::Rne);
// E5M2. saturate: -> ±57344, ±Inf -> ±57344. Non-saturating (IEEE): rounding beyond
// 57344 -> ±Inf (61440 is a tie that goes to Inf); ±Inf -> ±Inf. NaN -> 0x7F|sign.
uint8_t encodeE5M2(float x, bool saturate = true, ElemRounding r = ElemRounding::Rne);
// E8M0: code of 2^floor(log2 x) for finite x > 0, clamped to codes [0, 254]
// (so 2^k is exact for -127 <= k <= 127); x <= 0, ±Inf or NaN -> 0xFF (NaN).
uint8_t encodeE8M0(float x);
// E8M0 code of the power of two 2^s: s + 127 for -127 <= s <= 127, 0xFF otherwise.
inline uint8_t e8m0FromExponent(int s) { return (s < -127 || s > 127) ? 0xFF : uint8_t(s + 127); }

// Generic qdq helpers: decode(encode(x)).
float roundE2M1(float x, ElemRounding r = ElemRounding::Rne);
float roundE2M3(float x, ElemRounding r = ElemRounding::Rne);
float roundE3M2(float x, ElemRounding r = ElemRounding::Rne);
float roundE4M3(float x, bool saturate = true, ElemRounding r = ElemRounding::Rne);
float roundE5M2(float x, bool saturate = true, ElemRounding r = ElemRounding::Rne);

// ---- bf16 (FORMATS.md §2) ----------------------------------------------------------
// [REF] bit trick in wrapping uint32 arithmetic: (u + 0x7FFF + ((u >> 16) & 1)) >> 16.
// Exact RNE for every non-NaN input (ties to even, overflow to ±Inf, subnormals rounded,
// ±0 kept); NaN payloads may carry into the exponent/sign (0x7FFFFFFF -> 0x8000).
inline uint16_t bf16BitsRef(float x)
{
    const uint32_t u = floatBits(x);
    return uint16_t((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}
// [HW] same rounding, but every NaN becomes the canonical 0x7FC0 (tt-metal, PyTorch).
inline uint16_t bf16BitsCanonical(float x)
{
    const uint32_t u = floatBits(x);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u)
        return 0x7FC0;
    return bf16BitsRef(x);
}
inline float bf16ToFloat(uint16_t h) { return bitsFloat(uint32_t(h) << 16); }

} // namespace qs
