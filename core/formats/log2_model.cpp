// Float32 log2 model (see log2_model.h).
#include "formats/log2_model.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

namespace qs::log2model {

float log2f(float x)
{
    return float(std::log2(double(x)));
}

namespace {

constexpr int kMinK = -149, kMaxK = 127, kCount = kMaxK - kMinK + 1;

// Value 2^k * (1 + m * 2^-23) in double (exact).
double valueOf(int k, uint32_t m)
{
    return std::ldexp(1.0 + std::ldexp(double(m), -23), k);
}

// Smallest m in [1, 2^23) with pred(fl32(log2(2^k (1 + m 2^-23)))), 2^23 when none;
// pred is monotone in m because log2 and rounding are.
template <class Pred>
uint32_t threshold(int k, Pred pred)
{
    uint32_t lo = 1, hi = 1u << 23;  // answer in [lo, hi]
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if (pred(float(std::log2(valueOf(k, mid)))))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

struct Tables {
    std::array<uint32_t, kCount> ceilThr;   // ceil = k + 1 iff m >= ceilThr[k]
    std::array<uint32_t, kCount> floorThr;  // floor = k + 1 iff m >= floorThr[k]
    Tables()
    {
        for (int k = kMinK; k <= kMaxK; ++k) {
            const float fk = float(k);
            ceilThr[size_t(k - kMinK)] = threshold(k, [fk](float l) { return l > fk; });
            floorThr[size_t(k - kMinK)] = threshold(k, [fk](float l) { return l >= fk + 1.0f; });
        }
    }
};

const Tables& tables()
{
    static const Tables t;  // thread-safe initialisation
    return t;
}

// x = 2^k * (1 + m 2^-23) with m the normalised 23-bit fraction (subnormals too).
void split(float x, int& k, uint32_t& m)
{
    const uint32_t u = std::bit_cast<uint32_t>(x) & 0x7FFFFFFFu;
    const uint32_t ef = u >> 23;
    if (ef != 0) {
        k = int(ef) - 127;
        m = u & 0x7FFFFF;
        return;
    }
    const int lz = std::countl_zero(u) - 8;  // leading zeros within the 24-bit field
    k = -126 - lz;
    m = (u << lz) & 0x7FFFFF;
}

} // namespace

int ceilLog2(float x)
{
    int k;
    uint32_t m;
    split(x, k, m);
    if (m == 0)
        return k;
    return k + (m >= tables().ceilThr[size_t(k - kMinK)] ? 1 : 0);
}

int floorLog2(float x)
{
    int k;
    uint32_t m;
    split(x, k, m);
    return k + (m >= tables().floorThr[size_t(k - kMinK)] ? 1 : 0);
}

} // namespace qs::log2model
