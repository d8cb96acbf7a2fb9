#pragma once
// The reference tool's per-element stand-ins, reproduced bit for bit (golden README
// "Reference semantics"; FORMATS.md §6.4, §7.3, §5 [REF] note). They are the registry's
// mxfp4_proxy / nvfp4_proxy rows; the scalar helpers are public so tests and plots can
// use them. NumPy's float32 log2 is modelled by formats/log2_model.h. Never fail.
namespace qs {

// quantize_fp4_e2m1: sign(x) * the E2M1 level {0,.5,1,1.5,2,3,4,6} whose float32
// distance |(|x|) - level| is smallest, FIRST minimum on ties (0.25 -> 0, 5 -> 4); from
// 2^25 upward float32 distances tie spuriously (1e8 -> 6, 1.5e8 -> 0). ±Inf -> ±0,
// NaN -> NaN, -0.0 -> +0.0 (np.sign(-0.0) = +0).
float proxyFp4E2M1(float x);

// quantize_fp8_e4m3 applied to a ONE-element array (the golden fp8_e4m3_scalar): the
// reference's IEEE-style E4M3 with e_max = 7, so max 240, [248, 256) -> 128 (carry-out
// clamps the exponent, drops the mantissa), e > 7 -> 240, subnormal step 2^-9 with
// half-even rounding, ±Inf passes through, NaN stays NaN.
float proxyE4M3Scalar(float x);

// quantize_weight_values(x, "mxfp4") for one element: s = float32(|x|/6 in double),
// s_q = 2^ceil(log2f s), result sign(x) * proxyFp4E2M1(|x| / s_q) * s_q (float32,
// may overflow to Inf); ±Inf -> NaN.
float proxyMxfp4(float x);

// quantize_weight_values(x, "nvfp4") for one element: s_q = proxyE4M3Scalar(float32(|x|/6));
// 0 if s_q == 0, else sign(x) * proxyFp4E2M1(|x| / s_q) * s_q; ±Inf -> NaN.
float proxyNvfp4(float x);

} // namespace qs
