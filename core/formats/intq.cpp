// Emulated integer formats (docs/CHECKPOINTS.md, "Emulated integer formats"): int8 per
// row (output channel), symmetric; int4 in groups of 128 / 32 consecutive elements along
// the last axis, symmetric or asymmetric with a zero point.
//
// The arithmetic is compressed-tensors' round-to-nearest quantizer
// (neuralmagic/compressed-tensors, quantization/utils/helpers.py calculate_qparams and
// quantization/lifecycle/forward.py _quantize) as it runs on a bf16 model: every torch op
// on a bf16 tensor computes in fp32 and rounds its result to bf16 (RNE), and the scale is
// stored in bf16. Integer type, signed range [qmin, qmax] = [-2^(b-1), 2^(b-1)-1]:
//   lo = min(min x, 0), hi = max(max x, 0)               (0 is always representable)
//   symmetric:  s = bf16(max(|lo|, |hi|) / ((qmax - qmin) / 2))      (int8 /127.5, int4 /7.5)
//   asymmetric: s = bf16(bf16(hi - lo) / (qmax - qmin))              (int4 /15)
//   s = max(s, 2^-23)                                   (torch.finfo(float32).eps clamp)
//   asymmetric: zp = rint(clamp(bf16(qmin - bf16(lo / s)), qmin, qmax)), else zp = 0
//   v = bf16(x / s); asymmetric: v = bf16(v + zp)
//   q = rint(clamp(v, qmin, qmax))                      (clamp, then round half to even)
//   out = (q - zp) * s                                   (exact in fp32; q = zp gives +0)
// A group whose scale is not finite (a NaN or an Inf in it, or a range hi - lo that
// overflows) becomes all NaN (0x7FC00000), as the reference's NaN/Inf scale makes it.
// The last group of a row may be short (cols % g elements): it is a group of its own.
#include <algorithm>
#include <bit>
#include <cmath>

#include "formats/kernels.h"
#include "formats/minifloat.h"

namespace qs::kernels {

namespace {

constexpr float kEps = 0x1p-23f;  // torch.finfo(torch.float32).eps
constexpr uint32_t kNan = 0x7FC00000u;

struct IntSpec {
    int group;   // elements per group along the row; 0 = the whole row
    int qmin, qmax;
    bool asym;
};

constexpr IntSpec kInt8{0, -128, 127, false};
constexpr IntSpec kInt4g128{128, -8, 7, false};
constexpr IntSpec kInt4g128Asym{128, -8, 7, true};
constexpr IntSpec kInt4g32{32, -8, 7, false};
constexpr IntSpec kInt4g32Asym{32, -8, 7, true};

// fp32 -> bf16 -> fp32 as PyTorch stores a bf16 result: RNE, NaN -> 0x7FC0.
inline float bf16(float x) { return bf16ToFloat(bf16BitsCanonical(x)); }

// The group's scale and zero point from its elements (scalar, both paths): false when the
// scale is not finite.
struct GroupParams {
    float s;
    float zp;
};
inline bool groupParams(float lo, float hi, bool nan, const IntSpec& sp, GroupParams& gp)
{
    if (nan) return false;
    lo = std::min(lo, 0.0f);
    hi = std::max(hi, 0.0f);
    const float range = float(sp.qmax - sp.qmin);
    float s = sp.asym ? bf16(bf16(hi - lo) / range) : bf16(std::max(std::fabs(lo), std::fabs(hi)) / (range / 2.0f));
    if (!(s <= 3.4028235e38f)) return false;  // Inf (NaN was caught above)
    s = std::max(s, kEps);
    float zp = 0.0f;
    if (sp.asym) {
        const float z = bf16(float(sp.qmin) - bf16(lo / s));
        zp = std::nearbyint(std::clamp(z, float(sp.qmin), float(sp.qmax)));
    }
    gp = {s, zp};
    return true;
}

// Reference: element by element, straight from the formulas above.
void intRef(const float* in, float* out, int64_t rows, int64_t cols, const IntSpec& sp)
{
    const int64_t g = sp.group > 0 ? sp.group : cols;
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c0 = 0; c0 < cols; c0 += g) {
            const int64_t n = std::min(g, cols - c0);
            const float* x = in + r * cols + c0;
            float* y = out + r * cols + c0;
            float lo = 0.0f, hi = 0.0f;
            bool nan = false;
            for (int64_t i = 0; i < n; ++i) {
                if (std::isnan(x[i])) nan = true;
                else {
                    lo = std::min(lo, x[i]);
                    hi = std::max(hi, x[i]);
                }
            }
            GroupParams gp;
            if (!groupParams(lo, hi, nan, sp, gp)) {
                for (int64_t i = 0; i < n; ++i) y[i] = std::bit_cast<float>(kNan);
                continue;
            }
            const int zpi = int(gp.zp);
            for (int64_t i = 0; i < n; ++i) {
                float v = bf16(x[i] / gp.s);
                if (sp.asym) v = bf16(v + gp.zp);
                v = std::clamp(v, float(sp.qmin), float(sp.qmax));
                const int q = int(std::nearbyint(v));
                y[i] = float(q - zpi) * gp.s;
            }
        }
    }
}

// Fast path: the same operations without branches in the element loops (vectorised with
// the AVX2 clone): min/max with a NaN flag, then divide, bf16 rounding by the integer
// trick (values are finite here), clamp, round half to even by the 1.5*2^23 magic number
// (|v| <= 128), and (q - zp) + 0 so that a zero is +0 as in the reference.
QS_CLONES void groupMinMax(const float* x, int64_t n, float& lo, float& hi, bool& nan)
{
    float l = 0.0f, h = 0.0f;
    int bad = 0;
    for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        bad |= int(v != v);
        l = v < l ? v : l;  // a NaN compares false and leaves l, h alone
        h = v > h ? v : h;
    }
    lo = l;
    hi = h;
    nan = bad != 0;
}

QS_CLONES void groupQuantize(const float* x, float* y, int64_t n, float s, float zp, float qmin, float qmax, bool asym)
{
    constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
    for (int64_t i = 0; i < n; ++i) {
        uint32_t u = std::bit_cast<uint32_t>(x[i] / s);
        float v = std::bit_cast<float>((u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u);
        if (asym) {
            u = std::bit_cast<uint32_t>(v + zp);
            v = std::bit_cast<float>((u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u);
        }
        v = v < qmin ? qmin : v;
        v = v > qmax ? qmax : v;
        const float q = (v + kMagic) - kMagic;
        y[i] = ((q - zp) + 0.0f) * s;
    }
}

void intFast(const float* in, float* out, int64_t rows, int64_t cols, const IntSpec& sp)
{
    const int64_t g = sp.group > 0 ? sp.group : cols;
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c0 = 0; c0 < cols; c0 += g) {
            const int64_t n = std::min(g, cols - c0);
            const float* x = in + r * cols + c0;
            float* y = out + r * cols + c0;
            float lo, hi;
            bool nan;
            groupMinMax(x, n, lo, hi, nan);
            GroupParams gp;
            if (!groupParams(lo, hi, nan, sp, gp)) {
                std::fill(y, y + n, std::bit_cast<float>(kNan));
                continue;
            }
            groupQuantize(x, y, n, gp.s, gp.zp, float(sp.qmin), float(sp.qmax), sp.asym);
        }
    }
}

} // namespace

#define QS_INT_KERNELS(ref, fast, spec)                                                                  \
    void ref(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&) \
    {                                                                                                    \
        intRef(in, out, rows, cols, spec);                                                               \
    }                                                                                                    \
    void fast(const float* in, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&) \
    {                                                                                                    \
        intFast(in, out, rows, cols, spec);                                                              \
    }

QS_INT_KERNELS(int8Ref, int8Fast, kInt8)
QS_INT_KERNELS(int4g128Ref, int4g128Fast, kInt4g128)
QS_INT_KERNELS(int4g128AsymRef, int4g128AsymFast, kInt4g128Asym)
QS_INT_KERNELS(int4g32Ref, int4g32Fast, kInt4g32)
QS_INT_KERNELS(int4g32AsymRef, int4g32AsymFast, kInt4g32Asym)

#undef QS_INT_KERNELS

} // namespace qs::kernels
