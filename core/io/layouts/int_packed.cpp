// Integer group layouts packed in int32 words (docs/CHECKPOINTS.md §2a, §3, §4):
// compressed-tensors pack-quantized, GPTQ v1/v2 and AWQ GEMM. Each decodes a logical
// [rows, cols] weight as value = float32(q - z) * scale[row][group(col)], one float32
// multiply of an exact integer (the references multiply in f16/bf16; ISSUE-NOTES #10).
//   ct:   rows = out, cols = in; word c/(32/b) of row r, field c%(32/b) at bits b*(c%(32/b)),
//         stored q + 2^(b-1); zero points packed along rows, same offset; scale [rows, groups].
//   gptq: qweight [in*b/32, out]: input k of output j = field k%(32/b) of word [k/(32/b)][j];
//         qzeros [groups, out*b/32] along outputs; v1 z = (field + 1) & mask; scales [groups, out].
//   awq:  qweight [in, out/8]: output 8c+m of input k = nibble REV[m] of word [k][c],
//         REV = [0,4,1,5,2,6,3,7]; qzeros [groups, out/8] alike, z = field; scales [groups, out].
// group(col) = g_idx[col] when a g_idx part exists, else col / group_size (0 per channel).
#include "io/layouts/layout.h"

#include "io/dtype.h"
#include "io/safetensors.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace qs::layouts {

namespace {

constexpr int kAwqReverse[8] = {0, 4, 1, 5, 2, 6, 3, 7};

enum class Kind { Ct, Gptq, Awq };

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int64_t ceilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

struct Geometry {
    Kind kind = Kind::Ct;
    int bits = 4;
    int64_t rows = 0, cols = 0;  // logical [out, in]
    int64_t groupSize = 0;       // > 0 group, 0 per channel, -1 per tensor
    int64_t groups = 1;          // scale columns per row
    bool zeroPlusOne = false;
    int per() const { return 32 / bits; }
    uint32_t mask() const { return (1u << bits) - 1; }
};

class IntGroupReader final : public LayoutReader {
public:
    IntGroupReader(TensorInfo info, Geometry g, ByteViewPtr codes, ByteViewPtr zeros, PartData scalePart,
                   std::vector<float> scales, std::vector<int32_t> gidx)
        : LayoutReader(std::move(info)), m_g(g), m_codes(std::move(codes)), m_zerosPacked(std::move(zeros)),
          m_scalePart(std::move(scalePart)), m_gidx(std::move(gidx))
    {
        // Fast-path tables: scale and zero per (row, group), row-major.
        const int64_t n = m_g.rows * m_g.groups;
        m_scale.resize(size_t(n));
        m_zero.assign(size_t(n), 0);
        for (int64_t r = 0; r < m_g.rows; ++r)
            for (int64_t t = 0; t < m_g.groups; ++t) {
                m_scale[size_t(r * m_g.groups + t)] = scales[size_t(scaleIndex(r, t))];
                m_zero[size_t(r * m_g.groups + t)] = zeroRef(r, t);
            }
    }

    // Reference, straight from the docs: every field read from the stored words.
    float referenceAt(int64_t r, int64_t c) const override
    {
        const int64_t t = groupOf(c);
        const int64_t si = scaleIndex(r, t);
        const float s = decodeReference(m_scalePart.info->dtype,
                                        m_scalePart.bytes->data() + si * dtypeBytes(m_scalePart.info->dtype));
        return float(codeRef(r, c) - zeroRef(r, t)) * s;
    }

    void readRows(int64_t r0, int64_t r1, float* out) const override { readBlock(r0, r1, 0, cols(), out); }
    void readBlock(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const override
    {
        const int64_t w = c1 - c0;
        const uint8_t* p = m_codes->data();
        const int per = m_g.per(), bits = m_g.bits;
        const uint32_t mask = m_g.mask();
        if (m_g.kind == Kind::Gptq) {
            // qweight [in/per, out]: the words of rows r0..r1 (outputs) for one packed input
            // word are contiguous, so walk the packed words outside and the rows inside.
            for (int64_t kw = c0 / per; kw * per < c1; ++kw) {
                const int64_t cb = kw * per;
                const int i0 = int(std::max<int64_t>(0, c0 - cb)), i1 = int(std::min<int64_t>(per, c1 - cb));
                for (int64_t r = r0; r < r1; ++r) {
                    const uint32_t word = word32(p, kw * m_g.rows + r);
                    float* o = out + (r - r0) * w - c0 + cb;
                    const float* sc = m_scale.data() + r * m_g.groups;
                    const int32_t* zr = m_zero.data() + r * m_g.groups;
                    for (int i = i0; i < i1; ++i) {
                        const int64_t t = groupOf(cb + i);
                        o[i] = float(int32_t(word >> (bits * i) & mask) - zr[t]) * sc[t];
                    }
                }
            }
            return;
        }
        for (int64_t r = r0; r < r1; ++r) {
            float* o = out + (r - r0) * w - c0;
            const float* sc = m_scale.data() + r * m_g.groups;
            const int32_t* zr = m_zero.data() + r * m_g.groups;
            switch (m_g.kind) {
            case Kind::Ct: {
                const int64_t pc = ceilDiv(m_g.cols, per);
                const int32_t half = 1 << (bits - 1);
                for (int64_t c = c0; c < c1; ++c) {
                    const int64_t t = groupOf(c);
                    const int32_t q = int32_t(word32(p, r * pc + c / per) >> (bits * (c % per)) & mask) - half;
                    o[c] = float(q - zr[t]) * sc[t];
                }
                break;
            }
            case Kind::Gptq:
                for (int64_t c = c0; c < c1; ++c) {
                    const int64_t t = groupOf(c);
                    const int32_t q = int32_t(word32(p, (c / per) * m_g.rows + r) >> (bits * (c % per)) & mask);
                    o[c] = float(q - zr[t]) * sc[t];
                }
                break;
            case Kind::Awq: {
                const int64_t pc = m_g.rows / 8, wi = r / 8;
                const int shift = 4 * kAwqReverse[r % 8];
                for (int64_t c = c0; c < c1; ++c) {
                    const int64_t t = groupOf(c);
                    const int32_t q = int32_t(word32(p, c * pc + wi) >> shift & 15u);
                    o[c] = float(q - zr[t]) * sc[t];
                }
                break;
            }
            }
        }
    }

private:
    int64_t groupOf(int64_t c) const
    {
        if (!m_gidx.empty()) return m_gidx[size_t(c)];
        return m_g.groupSize > 0 ? c / m_g.groupSize : 0;
    }
    // Element index of scale (r, t) in the stored scale part.
    int64_t scaleIndex(int64_t r, int64_t t) const
    {
        switch (m_g.kind) {
        case Kind::Ct: return m_g.groupSize < 0 ? 0 : r * m_g.groups + t;
        default: return t * m_g.rows + r;  // gptq, awq: [groups, out]
        }
    }
    int32_t codeRef(int64_t r, int64_t c) const
    {
        const uint8_t* p = m_codes->data();
        switch (m_g.kind) {
        case Kind::Ct: {
            const int64_t pc = ceilDiv(m_g.cols, m_g.per());
            const uint32_t field = word32(p, r * pc + c / m_g.per()) >> (m_g.bits * (c % m_g.per())) & m_g.mask();
            return int32_t(field) - (1 << (m_g.bits - 1));
        }
        case Kind::Gptq:
            return int32_t(word32(p, (c / m_g.per()) * m_g.rows + r) >> (m_g.bits * (c % m_g.per())) & m_g.mask());
        case Kind::Awq: return int32_t(word32(p, c * (m_g.rows / 8) + r / 8) >> (4 * kAwqReverse[r % 8]) & 15u);
        }
        return 0;
    }
    int32_t zeroRef(int64_t r, int64_t t) const
    {
        if (!m_zerosPacked) return 0;
        const uint8_t* p = m_zerosPacked->data();
        const int per = m_g.per();
        switch (m_g.kind) {
        case Kind::Ct: {
            const uint32_t field = word32(p, (r / per) * m_g.groups + t) >> (m_g.bits * (r % per)) & m_g.mask();
            return int32_t(field) - (1 << (m_g.bits - 1));
        }
        case Kind::Gptq: {
            const uint32_t field = word32(p, t * ceilDiv(m_g.rows, per) + r / per) >> (m_g.bits * (r % per)) & m_g.mask();
            return int32_t(m_g.zeroPlusOne ? (field + 1) & m_g.mask() : field);
        }
        case Kind::Awq: return int32_t(word32(p, t * (m_g.rows / 8) + r / 8) >> (4 * kAwqReverse[r % 8]) & 15u);
        }
        return 0;
    }

    Geometry m_g;
    ByteViewPtr m_codes, m_zerosPacked;
    PartData m_scalePart;
    std::vector<int32_t> m_gidx;
    std::vector<float> m_scale;
    std::vector<int32_t> m_zero;
};

bool isFloatDtype(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

Result<void> expect(const TensorInfo& t, bool dtypeOk, const std::string& dtypes, const std::vector<int64_t>& shape,
                    const std::string& why)
{
    if (!dtypeOk) return partError(t, "has dtype " + t.dtypeName + "; expected " + dtypes);
    if (t.shape != shape)
        return partError(t, "has shape " + shapeList(t.shape) + "; expected " + shapeList(shape) + " (" + why + ")");
    return {};
}

// Suffixes of the code part and the logical name per kind.
const char* codeSuffix(Kind k) { return k == Kind::Ct ? ".weight_packed" : ".qweight"; }

Result<void> groupKind(Kind kind, const std::vector<TensorInfo>& stored, const StoredLayout& params,
                       const ReadSmall& readSmall, std::vector<TensorInfo>& logical)
{
    std::unordered_map<std::string, const TensorInfo*> byName;
    for (const auto& t : stored) byName.emplace(t.name, &t);
    const std::string suffix = codeSuffix(kind);
    const std::string who = kind == Kind::Ct ? "compressed-tensors pack-quantized" : kind == Kind::Gptq ? "gptq" : "awq";
    for (const auto& q : stored) {
        if (!endsWith(q.name, suffix)) continue;
        const std::string base = q.name.substr(0, q.name.size() - suffix.size());
        auto find = [&](const std::string& s) -> const TensorInfo* {
            auto it = byName.find(base + s);
            return it == byName.end() ? nullptr : it->second;
        };
        auto missing = [&](const std::string& s) {
            return partError(q, "is a " + who + " weight but its part \"" + base + s + "\" is missing");
        };
        if (q.dtype != DType::I32 || q.shape.size() != 2)
            return partError(q, "has dtype " + q.dtypeName + " " + shapeList(q.shape) + "; expected a 2-D I32 tensor");
        Geometry g;
        g.kind = kind;
        g.bits = params.bits;
        g.groupSize = params.groupSize;
        g.zeroPlusOne = params.zeroPlusOne;
        const int per = g.per();
        const std::string sScale = kind == Kind::Ct ? ".weight_scale" : ".scales";
        const std::string sZero = kind == Kind::Ct ? ".weight_zero_point" : ".qzeros";
        const std::string sGidx = kind == Kind::Ct ? ".weight_g_idx" : ".g_idx";
        const TensorInfo* scale = find(sScale);
        if (!scale) return missing(sScale);
        const TensorInfo* zero = find(sZero);
        const TensorInfo* gidx = find(sGidx);
        const TensorInfo* shapePart = nullptr;
        if (kind == Kind::Ct) {
            shapePart = find(".weight_shape");
            if (!shapePart) return missing(".weight_shape");
            if ((shapePart->dtype != DType::I32 && shapePart->dtype != DType::I64) ||
                shapePart->shape != std::vector<int64_t>{2})
                return partError(*shapePart, "has dtype " + shapePart->dtypeName + " " + shapeList(shapePart->shape) +
                                                 "; expected I32 or I64 [2] (the logical rows, cols)");
            auto bytes = readSmall(*shapePart);
            if (!bytes) return bytes.error();
            const int eb = dtypeBytes(shapePart->dtype);
            if (int64_t((*bytes)->size()) != 2 * eb) return partError(*shapePart, "could not read its 2 values");
            const uint8_t* b = (*bytes)->data();
            auto at = [&](int i) -> int64_t {
                if (eb == 4) return int32_t(word32(b, i));
                return int64_t(uint64_t(word32(b, 2 * i)) | uint64_t(word32(b, 2 * i + 1)) << 32);
            };
            g.rows = at(0);
            g.cols = at(1);
            if (g.rows != q.shape[0] || g.cols < 1 || ceilDiv(g.cols, per) != q.shape[1])
                return partError(q, "has shape " + shapeList(q.shape) + " but weight_shape (" + std::to_string(g.rows) +
                                        ", " + std::to_string(g.cols) + ") packed " + std::to_string(per) +
                                        " per word needs " +
                                        shapeList({g.rows, g.cols >= 1 ? ceilDiv(g.cols, per) : 0}));
        } else if (kind == Kind::Gptq) {
            g.cols = q.shape[0] * per;
            g.rows = q.shape[1];
        } else {
            g.cols = q.shape[0];
            g.rows = q.shape[1] * 8;
        }
        g.groups = g.groupSize > 0 ? ceilDiv(g.cols, g.groupSize) : 1;
        // Scales.
        std::vector<int64_t> wantScale;
        if (kind == Kind::Ct) {
            if (g.groupSize < 0) {
                if (!isFloatDtype(scale->dtype) || scale->numel() != 1)
                    return partError(*scale, "has dtype " + scale->dtypeName + " " + shapeList(scale->shape) +
                                                 "; expected one F32/F16/BF16 value (strategy tensor)");
            } else {
                wantScale = {g.rows, g.groups};
                QS_TRY(expect(*scale, isFloatDtype(scale->dtype), "F32, F16 or BF16", wantScale,
                              g.groupSize > 0 ? "one scale per row and group of " + std::to_string(g.groupSize)
                                              : std::string("one scale per row")));
            }
        } else {
            wantScale = {g.groups, g.rows};
            QS_TRY(expect(*scale, isFloatDtype(scale->dtype), "F16, BF16 or F32", wantScale,
                          "[groups, out] with " + std::to_string(g.cols) + " inputs"));
        }
        // Zero points.
        std::vector<std::pair<std::string, std::string>> parts{{"codes", q.name}, {"scales", scale->name}};
        const bool needZero = kind != Kind::Ct || !params.symmetric;
        if (kind == Kind::Ct && !params.symmetric && g.groupSize < 0)
            return Error::model("config.json: quantization_config: compressed-tensors pack-quantized asymmetric "
                                "per-tensor is recognised but not supported yet");
        if (needZero) {
            if (!zero) return missing(sZero);
            const std::vector<int64_t> wantZero = kind == Kind::Ct ? std::vector<int64_t>{ceilDiv(g.rows, per), g.groups}
                                                                   : std::vector<int64_t>{g.groups, ceilDiv(g.rows, per)};
            QS_TRY(expect(*zero, zero->dtype == DType::I32, "I32", wantZero,
                          std::to_string(per) + " zero points per word along the outputs"));
            parts.push_back({"zeros", zero->name});
        }
        if (gidx) {
            QS_TRY(expect(*gidx, gidx->dtype == DType::I32 || gidx->dtype == DType::I64, "I32 or I64",
                          std::vector<int64_t>{g.cols}, "the group of every input column"));
            parts.push_back({"g_idx", gidx->name});
        }
        if (shapePart) parts.push_back({"shape", shapePart->name});
        TensorInfo l;
        l.name = base + ".weight";
        l.dtype = DType::F32;
        auto lay = std::make_shared<StoredLayout>(params);
        l.dtypeName = lay->label;
        l.shape = {g.rows, g.cols};
        l.file = q.file;
        l.dataOffset = q.dataOffset;
        l.listedInIndex = q.listedInIndex;
        for (const auto& [r, n] : parts) l.byteLength += byName.at(n)->byteLength;
        lay->parts = std::move(parts);
        l.layout = std::move(lay);
        logical.push_back(std::move(l));
    }
    return {};
}

Result<std::shared_ptr<LayoutReader>> openKind(Kind kind, const TensorInfo& logical, const std::vector<PartData>& parts)
{
    const StoredLayout& lay = *logical.layout;
    Geometry g;
    g.kind = kind;
    g.bits = lay.bits;
    g.groupSize = lay.groupSize;
    g.zeroPlusOne = lay.zeroPlusOne;
    g.rows = logical.shape[0];
    g.cols = logical.shape[1];
    g.groups = g.groupSize > 0 ? ceilDiv(g.cols, g.groupSize) : 1;
    const PartData* codes = nullptr;
    const PartData* scales = nullptr;
    const PartData* zeros = nullptr;
    const PartData* gidx = nullptr;
    for (size_t i = 0; i < parts.size() && i < lay.parts.size(); ++i) {
        const std::string& r = lay.parts[i].first;
        if (r == "codes") codes = &parts[i];
        else if (r == "scales") scales = &parts[i];
        else if (r == "zeros") zeros = &parts[i];
        else if (r == "g_idx") gidx = &parts[i];
    }
    if (!codes || !scales) return Error::model("\"" + logical.name + "\": codes or scales part missing");
    for (const PartData* p : {codes, scales, zeros, gidx})
        if (p && p->bytes->size() != p->info->byteLength)
            return partError(*p->info, "read " + std::to_string(p->bytes->size()) + " bytes, expected " +
                                           std::to_string(p->info->byteLength));
    if (int64_t(codes->bytes->size()) != codes->info->numel() * 4)
        return partError(*codes->info, "has a packed length that does not match its shape");
    auto sc = decodeFloats(*scales);
    if (!sc) return sc.error();
    std::vector<int32_t> gi;
    if (gidx) {
        const int64_t n = gidx->info->numel();
        gi.resize(size_t(n));
        const int eb = dtypeBytes(gidx->info->dtype);
        for (int64_t i = 0; i < n; ++i) {
            int64_t v = int32_t(word32(gidx->bytes->data() + i * eb, 0));
            if (eb == 8) v = int64_t(uint64_t(word32(gidx->bytes->data() + i * eb, 0)) |
                                     uint64_t(word32(gidx->bytes->data() + i * eb, 1)) << 32);
            if (v == -1 && kind == Kind::Ct) {  // compressed-tensors: -1 = column order
                gi.clear();
                break;
            }
            if (v < 0 || v >= g.groups)
                return partError(*gidx->info, "has entry " + std::to_string(i) + " = group " + std::to_string(v) +
                                                  "; expected 0.." + std::to_string(g.groups - 1));
            gi[size_t(i)] = int32_t(v);
        }
    }
    return std::shared_ptr<LayoutReader>(std::make_shared<IntGroupReader>(
        logical, g, codes->bytes, zeros ? zeros->bytes : ByteViewPtr(), *scales, std::move(*sc), std::move(gi)));
}

// Our integer group format of the same code width, group and symmetry (int4_g128,
// int4_g32 and their _asym variants, int8 per channel); nullopt for other geometries
// (3-bit, groups of 64, per-tensor ...), which we do not emulate.
std::optional<EmulatedFormat> emulation(const TensorInfo& l)
{
    if (!l.layout) return std::nullopt;
    const StoredLayout& p = *l.layout;
    if (p.bits == 8 && p.groupSize == 0 && p.symmetric) return EmulatedFormat{"int8", {}};
    if (p.bits != 4 || (p.groupSize != 128 && p.groupSize != 32)) return std::nullopt;
    return EmulatedFormat{"int4_g" + std::to_string(p.groupSize) + (p.symmetric ? "" : "_asym"), {}};
}

template <Kind K>
LayoutEntry makeEntry(const char* id)
{
    return {id,
            [](const std::vector<TensorInfo>& s, const StoredLayout& p, const ReadSmall& rs, std::vector<TensorInfo>& l) {
                return groupKind(K, s, p, rs, l);
            },
            [](const TensorInfo& l, const std::vector<PartData>& parts) { return openKind(K, l, parts); },
            emulation};
}

} // namespace

LayoutEntry gptqEntry() { return makeEntry<Kind::Gptq>("gptq"); }
LayoutEntry awqEntry() { return makeEntry<Kind::Awq>("awq"); }
LayoutEntry ctPackQuantizedEntry() { return makeEntry<Kind::Ct>("ct-pack-quantized"); }

} // namespace qs::layouts
