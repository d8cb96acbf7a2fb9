// TEMPORARY stand-ins until core/formats' registry lands: bf16 / bfp8/4/2 / fp0 written
// from FORMATS.md §2-4 (scalar), exposed under test-only Format rows.
#include "formats_under_test.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace qstest {
namespace {

uint32_t bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
float fromBits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

void bf16(const float* in, float* out, int64_t rows, int64_t cols, const qs::QuantContext&, const qs::FormatOptions&)
{
    for (int64_t i = 0; i < rows * cols; ++i) {
        const uint32_t u = bits(in[i]);
        out[i] = fromBits(((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16);
    }
}

template <int M>
void bfp(const float* in, float* out, int64_t rows, int64_t cols, const qs::QuantContext&, const qs::FormatOptions&)
{
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t g = 0; g < cols; g += 16) {
            const int64_t n = std::min<int64_t>(16, cols - g);
            const float* x = in + r * cols + g;
            float* y = out + r * cols + g;
            uint32_t E = 0;
            for (int64_t i = 0; i < n; ++i) E = std::max(E, (bits(x[i]) >> 23) & 0xFF);
            for (int64_t i = 0; i < n; ++i) {
                const uint32_t u = bits(x[i]);
                const uint32_t ef = (u >> 23) & 0xFF, sign = u >> 31;
                if (ef == 0) { y[i] = 0.0f; continue; }
                const uint32_t S = (u & 0x7FFFFF) | 0x800000, d = E - ef;
                const uint32_t A = d >= 24 ? 0 : S >> d;
                const int k = 24 - M;
                uint32_t q = A >> k;
                const uint32_t rem = A & ((1u << k) - 1), half = 1u << (k - 1);
                if (rem > half || (rem == half && (q & 1))) ++q;
                q = std::min(q, (1u << M) - 1);
                if (q == 0) { y[i] = 0.0f; continue; }
                const float v = std::ldexp(float(q), int(E) - 127 - (M - 1));
                y[i] = sign ? -v : v;
            }
        }
}

void fp0(const float*, float* out, int64_t rows, int64_t cols, const qs::QuantContext&, const qs::FormatOptions&)
{
    for (int64_t i = 0; i < rows * cols; ++i) out[i] = 0.0f;
}

const qs::Format kFormats[] = {
    {"bf16", "BF16", "", 16, 0, 1, 1, false, true, true, bf16, bf16},
    {"bfp8", "BFP8", "", 8.5, 0, 16, 1, false, true, true, bfp<7>, bfp<7>},
    {"bfp4", "BFP4", "", 4.5, 0, 16, 1, false, true, true, bfp<3>, bfp<3>},
    {"bfp2", "BFP2", "", 2.5, 0, 16, 1, false, true, true, bfp<1>, bfp<1>},
    {"fp0", "FP0", "", 0, 0, 1, 1, false, true, true, fp0, fp0},
};

} // namespace

const qs::Format* fmt(const std::string& name)
{
    for (const qs::Format& f : kFormats)
        if (f.name == name) return &f;
    std::fprintf(stderr, "test format %s unavailable\n", name.c_str());
    std::abort();
}

std::vector<const qs::Format*> fmts(const std::vector<std::string>& names)
{
    std::vector<const qs::Format*> out;
    for (const auto& n : names) out.push_back(fmt(n));
    return out;
}

} // namespace qstest
