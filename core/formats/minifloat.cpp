// Scalar minifloat encoders (FORMATS.md §5), written straight from the spec in double
// arithmetic: every fp32 value and every scaling by a power of two is exact in double,
// so the only rounding is the explicit nearbyint/round below.
#include "formats/minifloat.h"

#include <cmath>
#include <limits>

namespace qs {

namespace {

struct MiniSpec {
    int mbits;        // explicit mantissa bits
    int bias;
    double maxFinite; // largest finite magnitude
    int width;        // code width in bits (sign is the top bit)
};

constexpr MiniSpec kE2M1{1, 1, 6.0, 4};
constexpr MiniSpec kE2M3{3, 1, 7.5, 6};
constexpr MiniSpec kE3M2{2, 3, 28.0, 6};
constexpr MiniSpec kE4M3{3, 7, 448.0, 8};
constexpr MiniSpec kE5M2{2, 15, 57344.0, 8};

enum class Overflow { Saturate, Nan, Inf };

// Magnitude code of a finite |x| rounded onto the format's grid extended with an
// unbounded exponent range. Rounding rule: q = RNE (ties to even q, hence to the even
// code) or round-half-away of |x| / 2^(e - mbits), with e = max(floor(log2|x|), emin),
// emin = 1 - bias (subnormals share emin's quantum). Returns false when the rounded
// value exceeds maxFinite (the caller decides saturate / NaN / Inf).
bool magnitudeCode(double a, const MiniSpec& s, ElemRounding r, uint32_t& code)
{
    const int emin = 1 - s.bias;
    int e = emin;
    if (a > 0) {
        const int fl = std::ilogb(a);
        e = fl > emin ? fl : emin;
    }
    const double scaled = std::ldexp(a, s.mbits - e);  // exact
    double q = r == ElemRounding::Away ? std::round(scaled) : std::nearbyint(scaled);
    if (q >= std::ldexp(1.0, s.mbits + 1)) {  // rounded up into the next binade
        q = std::ldexp(q, -1);
        ++e;
    }
    const double value = std::ldexp(q, e - s.mbits);
    if (value > s.maxFinite)
        return false;
    code = uint32_t((e - emin) << s.mbits) + uint32_t(q);
    return true;
}

uint8_t encodeGeneric(float x, const MiniSpec& s, ElemRounding r, Overflow ovf, uint32_t nanCode,
                      uint32_t infCode)
{
    const uint32_t signBit = 1u << (s.width - 1);
    const uint32_t sign = std::signbit(x) ? signBit : 0u;
    const uint32_t maxCode = [&] {
        uint32_t c = 0;
        magnitudeCode(s.maxFinite, s, ElemRounding::Rne, c);
        return c;
    }();
    if (std::isnan(x))
        return uint8_t(ovf == Overflow::Saturate && nanCode == 0 ? (sign | maxCode) : (sign | nanCode));
    if (std::isinf(x)) {
        switch (ovf) {
        case Overflow::Saturate: return uint8_t(sign | maxCode);
        case Overflow::Nan: return uint8_t(sign | nanCode);
        case Overflow::Inf: return uint8_t(sign | infCode);
        }
    }
    uint32_t code = 0;
    if (!magnitudeCode(std::fabs(double(x)), s, r, code)) {
        switch (ovf) {
        case Overflow::Saturate: code = maxCode; break;
        case Overflow::Nan: code = nanCode; break;
        case Overflow::Inf: code = infCode; break;
        }
    }
    return uint8_t(sign | code);
}

} // namespace

uint8_t encodeE2M1(float x, ElemRounding r) { return encodeGeneric(x, kE2M1, r, Overflow::Saturate, 0, 0); }
uint8_t encodeE2M3(float x, ElemRounding r) { return encodeGeneric(x, kE2M3, r, Overflow::Saturate, 0, 0); }
uint8_t encodeE3M2(float x, ElemRounding r) { return encodeGeneric(x, kE3M2, r, Overflow::Saturate, 0, 0); }

uint8_t encodeE4M3(float x, bool saturate, ElemRounding r)
{
    if (std::isnan(x))
        return uint8_t((std::signbit(x) ? 0x80 : 0) | 0x7F);
    return encodeGeneric(x, kE4M3, r, saturate ? Overflow::Saturate : Overflow::Nan, 0x7F, 0x7F);
}

uint8_t encodeE5M2(float x, bool saturate, ElemRounding r)
{
    if (std::isnan(x))
        return uint8_t((std::signbit(x) ? 0x80 : 0) | 0x7F);
    return encodeGeneric(x, kE5M2, r, saturate ? Overflow::Saturate : Overflow::Inf, 0x7F, 0x7C);
}

uint8_t encodeE8M0(float x)
{
    if (!(x > 0) || std::isinf(x))
        return 0xFF;
    const int fl = std::ilogb(x);  // exact floor(log2 x), also for subnormals
    return e8m0FromExponent(fl < -127 ? -127 : fl);
}

float roundE2M1(float x, ElemRounding r) { return decodeE2M1(encodeE2M1(x, r)); }
float roundE2M3(float x, ElemRounding r) { return decodeE2M3(encodeE2M3(x, r)); }
float roundE3M2(float x, ElemRounding r) { return decodeE3M2(encodeE3M2(x, r)); }
float roundE4M3(float x, bool saturate, ElemRounding r) { return decodeE4M3(encodeE4M3(x, saturate, r)); }
float roundE5M2(float x, bool saturate, ElemRounding r) { return decodeE5M2(encodeE5M2(x, saturate, r)); }

} // namespace qs
