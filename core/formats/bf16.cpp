// bf16 (FORMATS.md §2): fp32 -> bf16 -> fp32.
#include <bit>

#include "formats/kernels.h"
#include "formats/minifloat.h"

namespace qs::kernels {

// Reference. [REF] rounding: h = (u + 0x7FFF + ((u >> 16) & 1)) >> 16 in wrapping uint32
// arithmetic = RNE with ties to the even bf16 pattern, overflow to ±Inf, subnormals
// rounded (not flushed), ±0 kept; NaN payloads may carry (0x7FFFFFFF -> -0.0).
// opt.bf16CanonicalNan [HW]: every NaN -> 0x7FC0 instead.
void bf16Ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&,
             const FormatOptions& opt)
{
    const int64_t n = rows * cols;
    for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = opt.bf16CanonicalNan ? bf16BitsCanonical(in[i]) : bf16BitsRef(in[i]);
        out[i] = bf16ToFloat(h);
    }
}

namespace {

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
void bf16Loop(const float* in, float* out, int64_t n, bool canonical)
{
    // Element i is read before it is written, so in == out is fine.
    if (canonical) {
        for (int64_t i = 0; i < n; ++i) {
            const uint32_t u = std::bit_cast<uint32_t>(in[i]);
            const uint32_t r = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
            out[i] = std::bit_cast<float>((u & 0x7FFFFFFFu) > 0x7F800000u ? 0x7FC00000u : r);
        }
    } else {
        for (int64_t i = 0; i < n; ++i) {
            const uint32_t u = std::bit_cast<uint32_t>(in[i]);
            out[i] = std::bit_cast<float>((u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u);
        }
    }
}

} // namespace

// Fast path: the same integer trick on whole rows, vectorised (no per-element branches).
void bf16Fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&,
              const FormatOptions& opt)
{
    bf16Loop(in, out, rows * cols, opt.bf16CanonicalNan);
}

} // namespace qs::kernels
