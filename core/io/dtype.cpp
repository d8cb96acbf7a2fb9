#include "io/dtype.h"

#include "formats/minifloat.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; big-endian hosts need byte swaps here");

namespace qs {

namespace {

struct DTypeRow {
    DType type;
    std::string_view name;
    int bits;
    bool decodable;
};

constexpr DTypeRow kRows[] = {
    {DType::F64, "F64", 64, true},
    {DType::F32, "F32", 32, true},
    {DType::F16, "F16", 16, true},
    {DType::BF16, "BF16", 16, true},
    {DType::F8_E4M3, "F8_E4M3", 8, true},
    {DType::F8_E5M2, "F8_E5M2", 8, true},
    {DType::F8_E8M0, "F8_E8M0", 8, true},
    {DType::I64, "I64", 64, true},
    {DType::I32, "I32", 32, true},
    {DType::I16, "I16", 16, true},
    {DType::I8, "I8", 8, true},
    {DType::U8, "U8", 8, true},
    {DType::BOOL, "BOOL", 8, true},
    {DType::F4, "F4", 4, false},
    {DType::F6_E2M3, "F6_E2M3", 6, false},
    {DType::F6_E3M2, "F6_E3M2", 6, false},
    {DType::F8_E4M3FNUZ, "F8_E4M3FNUZ", 8, false},
    {DType::F8_E5M2FNUZ, "F8_E5M2FNUZ", 8, false},
    {DType::U16, "U16", 16, false},
    {DType::U32, "U32", 32, false},
    {DType::U64, "U64", 64, false},
    {DType::C64, "C64", 64, false},
    {DType::Unknown, "UNKNOWN", 0, false},
};

const DTypeRow& row(DType t)
{
    const auto i = size_t(t);
    return i < std::size(kRows) ? kRows[i] : kRows[std::size(kRows) - 1];
}

using Table = std::array<float, 256>;

Table makeTable(float (*f)(uint8_t))
{
    Table t{};
    for (int c = 0; c < 256; ++c) t[size_t(c)] = f(uint8_t(c));
    return t;
}

float decodeI8(uint8_t c) { return float(int8_t(c)); }
float decodeU8(uint8_t c) { return float(c); }
float decodeBool(uint8_t c) { return c ? 1.0f : 0.0f; }

const Table& tableE4M3() { static const Table t = makeTable(decodeE4M3); return t; }
const Table& tableE5M2() { static const Table t = makeTable(decodeE5M2); return t; }
const Table& tableE8M0() { static const Table t = makeTable(decodeE8M0); return t; }
const Table& tableI8() { static const Table t = makeTable(decodeI8); return t; }
const Table& tableU8() { static const Table t = makeTable(decodeU8); return t; }
const Table& tableBool() { static const Table t = makeTable(decodeBool); return t; }

template <class T>
inline T load(const uint8_t* p)
{
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

template <class T>
void convertRun(const uint8_t* src, int64_t n, float* out)
{
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(load<T>(src + i * int64_t(sizeof(T))));
}

void table8Run(const float* table, const uint8_t* src, int64_t n, float* out)
{
    for (int64_t i = 0; i < n; ++i) out[i] = table[src[i]];
}

void bf16Run(const uint8_t* src, int64_t n, float* out)
{
    for (int64_t i = 0; i < n; ++i) {
        const uint32_t u = uint32_t(load<uint16_t>(src + 2 * i)) << 16;
        std::memcpy(out + i, &u, 4);
    }
}

// IEEE binary16 -> binary32 (after ryg's half_to_float), branch-free so the run loop
// vectorises: shift exponent+mantissa into place (o = em << 13) and rebias by +112;
// exponent 31 (Inf/NaN) is rebiased by +224 to the fp32 all-ones exponent, mantissa
// (payload) kept; exponent 0 (zero/subnormal) is built as the normal fp32
// (1 + m/1024)·2^-14 minus 2^-14 = m·2^-24, an exact subtraction. Sign copied.
inline float halfToFloat(uint16_t h)
{
    const uint32_t em = h & 0x7FFFu;
    const uint32_t o = em << 13;
    const uint32_t normal = o + (112u << 23);
    const uint32_t infNan = o + (224u << 23);
    float sub;
    const uint32_t subBits = o + (113u << 23);
    std::memcpy(&sub, &subBits, 4);
    sub -= 0x1p-14f;
    uint32_t subU;
    std::memcpy(&subU, &sub, 4);
    // Selections as bit masks (no branches: the subtraction is always done).
    const uint32_t isInfNan = 0u - uint32_t(em >= 0x7C00u);
    const uint32_t isSub = 0u - uint32_t(em < 0x0400u);
    uint32_t r = (infNan & isInfNan) | (normal & ~isInfNan);
    r = (subU & isSub) | (r & ~isSub);
    r |= uint32_t(h & 0x8000u) << 16;
    float f;
    std::memcpy(&f, &r, 4);
    return f;
}

void f16Run(const uint8_t* src, int64_t n, float* out)
{
    for (int64_t i = 0; i < n; ++i) out[i] = halfToFloat(load<uint16_t>(src + 2 * i));
}

} // namespace

DType dtypeFromName(std::string_view name)
{
    for (const auto& r : kRows)
        if (r.type != DType::Unknown && r.name == name) return r.type;
    if (name == "E8M0" || name == "UE8") return DType::F8_E8M0;
    if (name == "FP4") return DType::F4;
    return DType::Unknown;
}

std::string_view dtypeName(DType t) { return row(t).name; }
int dtypeBits(DType t) { return row(t).bits; }
int dtypeBytes(DType t) { return row(t).bits % 8 == 0 ? row(t).bits / 8 : 0; }
bool dtypeDecodable(DType t) { return row(t).decodable; }

float f16ToFloat(uint16_t h)
{
    return halfToFloat(h);
}

const float* decodeTable8(DType t)
{
    switch (t) {
    case DType::F8_E4M3: return tableE4M3().data();
    case DType::F8_E5M2: return tableE5M2().data();
    case DType::F8_E8M0: return tableE8M0().data();
    case DType::I8: return tableI8().data();
    case DType::U8: return tableU8().data();
    case DType::BOOL: return tableBool().data();
    default: return nullptr;
    }
}

void decodeToFloat(DType t, const uint8_t* src, int64_t n, float* out)
{
    if (n <= 0) return;
    switch (t) {
    case DType::F32: std::memcpy(out, src, size_t(n) * 4); return;
    case DType::BF16: bf16Run(src, n, out); return;
    case DType::F16: f16Run(src, n, out); return;
    case DType::F64: convertRun<double>(src, n, out); return;
    case DType::I64: convertRun<int64_t>(src, n, out); return;
    case DType::I32: convertRun<int32_t>(src, n, out); return;
    case DType::I16: convertRun<int16_t>(src, n, out); return;
    case DType::F8_E4M3:
    case DType::F8_E5M2:
    case DType::F8_E8M0:
    case DType::I8:
    case DType::U8:
    case DType::BOOL: table8Run(decodeTable8(t), src, n, out); return;
    default:
        // Precondition violated: not decodable. Fill with NaN rather than read garbage.
        for (int64_t i = 0; i < n; ++i) out[i] = std::nanf("");
        return;
    }
}

// Written from the definitions, one element at a time (no tables, no bit tricks for
// the IEEE types): value = (-1)^s · 2^(e - bias) · (1 + f/2^m), subnormal
// 2^(1 - bias) · f/2^m, Inf/NaN from the all-ones exponent (NaN payload kept).
float decodeReference(DType t, const uint8_t* p)
{
    switch (t) {
    case DType::F32: return load<float>(p);
    case DType::F64: return static_cast<float>(load<double>(p));  // RNE (default rounding mode)
    case DType::BF16: {
        const uint16_t h = load<uint16_t>(p);
        const int s = h >> 15, e = (h >> 7) & 0xFF, f = h & 0x7F;
        if (e == 0xFF) {
            if (f == 0) return s ? -INFINITY : INFINITY;
            return bitsFloat(uint32_t(h) << 16);  // NaN, payload kept
        }
        const float v = e == 0 ? std::ldexp(float(f), -126 - 7) : std::ldexp(float(128 + f), e - 127 - 7);
        return s ? -v : v;
    }
    case DType::F16: {
        const uint16_t h = load<uint16_t>(p);
        const int s = h >> 15, e = (h >> 10) & 0x1F, f = h & 0x3FF;
        if (e == 0x1F) {
            if (f == 0) return s ? -INFINITY : INFINITY;
            return bitsFloat(uint32_t(s) << 31 | 0x7F800000u | uint32_t(f) << 13);
        }
        const float v = e == 0 ? std::ldexp(float(f), -14 - 10) : std::ldexp(float(1024 + f), e - 15 - 10);
        return s ? -v : v;
    }
    case DType::F8_E4M3: return decodeE4M3(p[0]);
    case DType::F8_E5M2: return decodeE5M2(p[0]);
    case DType::F8_E8M0: return decodeE8M0(p[0]);
    case DType::I64: return static_cast<float>(load<int64_t>(p));
    case DType::I32: return static_cast<float>(load<int32_t>(p));
    case DType::I16: return static_cast<float>(load<int16_t>(p));
    case DType::I8: return static_cast<float>(int8_t(p[0]));
    case DType::U8: return static_cast<float>(p[0]);
    case DType::BOOL: return p[0] ? 1.0f : 0.0f;
    default: return std::nanf("");
    }
}

bool dtypeIsInteger(DType t)
{
    switch (t) {
    case DType::I64: case DType::I32: case DType::I16: case DType::I8: case DType::U8:
    case DType::U16: case DType::U32: case DType::U64: case DType::BOOL: return true;
    default: return false;
    }
}

} // namespace qs
