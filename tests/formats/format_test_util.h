#pragma once
// Helpers shared by the formats tests: run a registry row's reference or fast kernel
// on a 2-D view, deterministic random bit patterns, bit comparisons.
#include <QString>
#include <QTest>

#include <cstdint>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "formats/format.h"
#include "golden.h"

namespace qs::test {

// 2-D view of a shape (format.h): rank 0 -> [1,1], rank 1 -> [1,N], else [prod(leading), last].
inline void view2d(const QList<qint64>& shape, int64_t& rows, int64_t& cols)
{
    if (shape.isEmpty()) {
        rows = cols = 1;
        return;
    }
    cols = shape.back();
    rows = 1;
    for (int i = 0; i + 1 < shape.size(); ++i)
        rows *= shape[i];
}

inline const Format& fmt(const char* name)
{
    const Format* f = findFormat(name);
    if (!f)
        qFatal("format %s missing from the registry", name);
    return *f;
}

// Max |x| over finite elements (QuantContext::absMax).
inline float finiteAbsMax(const std::vector<float>& x)
{
    float m = 0.0f;
    for (float v : x) {
        const float a = std::fabs(v);
        if (a <= 3.4028235e38f && a > m)
            m = a;
    }
    return m;
}

enum class Path { Reference, Fast };

// The QuantContext of a whole tensor: finite absMax, NaN and Inf flags.
inline QuantContext contextOf(const std::vector<float>& x)
{
    QuantContext c;
    c.absMax = finiteAbsMax(x);
    for (float v : x) {
        c.hasNan = c.hasNan || std::isnan(v);
        c.hasInf = c.hasInf || std::isinf(v);
    }
    return c;
}

// Whole: the tensor's context; FiniteOnly: its NaN/Inf flags cleared (a caller that only
// knows absMax), so per-block NaN/Inf handling is exercised too.
enum class ContextMode { Whole, FiniteOnly };

inline std::vector<float> runKernel(const Format& f, Path path, const std::vector<float>& in, int64_t rows,
                                    int64_t cols, const FormatOptions& opt = {}, ContextMode mode = ContextMode::Whole)
{
    std::vector<float> out(in.size(), -12345.0f);
    QuantContext ctx = contextOf(in);
    if (mode == ContextMode::FiniteOnly) ctx.hasNan = ctx.hasInf = false;
    (path == Path::Reference ? f.reference : f.fast)(in.data(), out.data(), rows, cols, ctx, opt);
    return out;
}

inline std::vector<float> fromBits(std::initializer_list<uint32_t> bits)
{
    std::vector<float> v;
    for (uint32_t b : bits)
        v.push_back(bitsToFloat(b));
    return v;
}

// Random fp32 bit patterns biased towards the interesting places: arbitrary bits,
// values near one exponent (so groups share exponents and ties occur), subnormals,
// ±0, ±Inf, NaNs, exact ties (low bits forced to a half pattern).
class BitSource {
public:
    explicit BitSource(uint64_t seed) : m_rng(seed) {}
    uint32_t next()
    {
        const uint32_t r = uint32_t(m_rng());
        const uint32_t kind = uint32_t(m_rng()) % 16;
        const uint32_t sign = uint32_t(m_rng()) & 0x80000000u;
        switch (kind) {
        case 0: return r;                                             // anything
        case 1: return sign | (r & 0x007FFFFFu);                      // subnormal
        case 2: return sign;                                          // ±0
        case 3: return sign | 0x7F800000u;                            // ±Inf
        case 4: return sign | 0x7F800000u | ((r & 0x7FFFFFu) | 1u);   // NaN
        case 5: return sign | ((r & 0x7) + 125) << 23 | (r >> 9 & 0x7FFFFFu & ~0xFFFFu) | 0x8000u; // bf16-ish ties
        case 6: return sign | ex(m_base + int(r % 5) - 2) | (r >> 8 & 0x7FFFFFu & ~0x1FFFu) | 0x1000u; // ties
        case 7: return sign | ex(m_base + int(r % 40) - 30) | (r & 0x7FFFFFu);
        case 8: return sign | (0x7F7FFFFFu - (r & 0xFFFF));             // near FLT_MAX
        case 9: return sign | ex(m_base) | ((r & 1) ? 0x7FFFFFu - (r >> 1 & 0xFF) : (r >> 1 & 0xFF)); // near powers of two
        default: return sign | ex(m_base + int(r % 12) - 8) | (r >> 9);  // common scale
        }
    }
    // Changes the "common exponent" every call so groups vary.
    void reseedBase() { m_base = 1 + int(uint32_t(m_rng()) % 252); }
    std::vector<float> floats(size_t n, size_t rebaseEvery = 32)
    {
        std::vector<float> v(n);
        for (size_t i = 0; i < n; ++i) {
            if (i % rebaseEvery == 0)
                reseedBase();
            v[i] = bitsToFloat(next());
        }
        return v;
    }

private:
    static uint32_t ex(int e) { return uint32_t(e < 0 ? 0 : (e > 255 ? 255 : e)) << 23; }
    std::mt19937_64 m_rng;
    int m_base = 127;
};

} // namespace qs::test
