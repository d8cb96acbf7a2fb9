// FP8 block scales (DeepSeek-V3, Qwen FP8; FORMATS.md §9, docs/CHECKPOINTS.md §0): a
// weight X stored as F8_E4M3 (or F8_E5M2) codes of rank >= 2 next to X_scale_inv (F32,
// BF16, F16 or F8_E8M0) of shape [leading..., ceil(M/bm), ceil(N/bn)], the block size
// from quantization_config.weight_block_size (128x128 when absent).
// value[i][j] = decode(code[i][j]) * scale_inv[i / bm][j / bn], one float32 multiply
// (RNE); ragged edges use the edge block's scale; NaN codes give NaN.
//
// Unlike the other layouts this one is "in place": the logical tensor keeps the name,
// the stored dtype and the bytes of its code tensor, and X_scale_inv stays listed as a
// tensor of its own (as before the registry existed). Detection: quant_method "fp8", or
// any FP8 tensor with a _scale_inv sibling when no other layout is configured.
#include "io/layouts/layout.h"

#include "io/dtype.h"
#include "io/json_util.h"
#include "io/safetensors.h"

#include <algorithm>
#include <unordered_map>

namespace qs::layouts {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }
bool isFp8(DType t) { return t == DType::F8_E4M3 || t == DType::F8_E5M2; }
bool isScaleDtype(DType t) { return t == DType::F32 || t == DType::BF16 || t == DType::F16 || t == DType::F8_E8M0; }

std::vector<int64_t> scaleShapeFor(const std::vector<int64_t>& shape, int64_t bm, int64_t bn)
{
    std::vector<int64_t> want(shape.begin(), shape.end() - 2);
    want.push_back(ceilDiv(shape[shape.size() - 2], bm));
    want.push_back(ceilDiv(shape.back(), bn));
    return want;
}

// Leading dims beyond two index whole matrices: the scale has the same leading dims and
// a [ceil(M/bm), ceil(N/bn)] grid per matrix.
class BlockFp8Reader final : public LayoutReader {
public:
    BlockFp8Reader(TensorInfo info, ByteViewPtr codes, std::vector<float> scales, int64_t bm, int64_t bn)
        : LayoutReader(std::move(info)), m_codes(std::move(codes)), m_scales(std::move(scales)),
          m_table(decodeTable8(m_info.dtype)), m_bm(bm), m_bn(bn)
    {
        m_m = m_info.shape[m_info.shape.size() - 2];
        m_sRows = ceilDiv(m_m, m_bm);
        m_sCols = ceilDiv(cols(), m_bn);
    }
    float referenceAt(int64_t r, int64_t c) const override
    {
        const int64_t mat = r / m_m, i = r % m_m;
        const float s = m_scales[size_t((mat * m_sRows + i / m_bm) * m_sCols + c / m_bn)];
        return decodeReference(m_info.dtype, m_codes->data() + r * cols() + c) * s;
    }
    void readRows(int64_t r0, int64_t r1, float* out) const override { readBlock(r0, r1, 0, cols(), out); }
    void readBlock(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const override
    {
        const int64_t n = cols();
        r0 = std::clamp<int64_t>(r0, 0, rows());
        r1 = std::clamp<int64_t>(r1, r0, rows());
        c0 = std::clamp<int64_t>(c0, 0, n);
        c1 = std::clamp<int64_t>(c1, c0, n);
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t mat = r / m_m, i = r % m_m;
            const float* srow = m_scales.data() + (mat * m_sRows + i / m_bm) * m_sCols;
            const uint8_t* code = m_codes->data() + r * n;
            float* o = out + (r - r0) * (c1 - c0) - c0;  // o[j] for j in [c0, c1)
            for (int64_t jb = c0 / m_bn; jb < m_sCols && jb * m_bn < c1; ++jb) {
                const float s = srow[jb];
                const int64_t j0 = std::max(c0, jb * m_bn), j1 = std::min(c1, (jb + 1) * m_bn);
                for (int64_t j = j0; j < j1; ++j) o[j] = m_table[code[j]] * s;
            }
        }
    }

private:
    ByteViewPtr m_codes;
    std::vector<float> m_scales;
    const float* m_table;
    int64_t m_bm, m_bn, m_m = 1, m_sRows = 1, m_sCols = 1;
};

std::string fp8Label(DType t, int64_t bm, int64_t bn)
{
    return std::string(t == DType::F8_E5M2 ? "fp8_e5m2" : "fp8_e4m3") + " block " + std::to_string(bm) + "x" +
           std::to_string(bn) + " (scale_inv)";
}

Result<void> group(const std::vector<TensorInfo>& stored, const StoredLayout& params, const ReadSmall&,
                   std::vector<TensorInfo>& logical)
{
    const int64_t bm = params.blockRows, bn = params.groupSize;
    std::unordered_map<std::string, size_t> byName;
    for (size_t i = 0; i < stored.size(); ++i) byName.emplace(stored[i].name, i);
    for (const auto& w : stored) {
        if (!isFp8(w.dtype) || w.shape.size() < 2) continue;
        auto it = byName.find(w.name + "_scale_inv");
        if (it == byName.end()) continue;
        const TensorInfo& s = stored[it->second];
        const std::vector<int64_t> want = scaleShapeFor(w.shape, bm, bn);
        if (!isScaleDtype(s.dtype))
            return Error::model(toStd(s.file) + ": tensor \"" + s.name + "\" (the block scale of \"" + w.name +
                                "\") has dtype " + s.dtypeName + "; expected F32, BF16, F16 or F8_E8M0");
        if (s.shape != want)
            return Error::model(toStd(s.file) + ": tensor \"" + s.name + "\" has shape " + shapeList(s.shape) +
                                " but \"" + w.name + "\" " + shapeList(w.shape) + " with " + std::to_string(bm) + "x" +
                                std::to_string(bn) + " blocks needs a scale of shape " + shapeList(want));
        TensorInfo l = w;  // in place: name, stored dtype and bytes of the codes
        l.scaleInvName = s.name;
        auto lay = std::make_shared<StoredLayout>(params);
        lay->label = fp8Label(w.dtype, bm, bn);
        lay->parts = {{"codes", w.name}, {"scale_inv", s.name}};
        l.layout = std::move(lay);
        logical.push_back(std::move(l));
    }
    return {};
}

Result<std::shared_ptr<LayoutReader>> open(const TensorInfo& t, const std::vector<PartData>& parts)
{
    if (parts.size() != 2) return Error::model("tensor \"" + t.name + "\": its scale_inv part is missing");
    const TensorInfo& s = *parts[1].info;
    const ByteViewPtr& bytes = parts[0].bytes;
    if (bytes->size() != t.byteLength)
        return Error::model(toStd(t.file) + ": tensor \"" + t.name + "\": read " + std::to_string(bytes->size()) +
                            " bytes, expected " + std::to_string(t.byteLength));
    uint64_t need = 0;
    if (__builtin_mul_overflow(uint64_t(t.numel()), uint64_t(dtypeBytes(t.dtype)), &need) || need != t.byteLength)
        return Error::model(toStd(t.file) + ": tensor \"" + t.name + "\": " + std::to_string(t.byteLength) +
                            " stored bytes do not match " + t.dtypeName + " " + shapeList(t.shape));
    const int64_t bm = t.layout ? t.layout->blockRows : 0, bn = t.layout ? t.layout->groupSize : 0;
    if (t.shape.size() < 2 || bm < 1 || bn < 1)
        return Error::model(toStd(t.file) + ": tensor \"" + t.name + "\": block scales need a tensor of rank >= 2");
    const std::vector<int64_t> want = scaleShapeFor(t.shape, bm, bn);
    if (s.shape != want)
        return Error::model(toStd(s.file) + ": tensor \"" + s.name + "\" has shape " + shapeList(s.shape) + " but \"" +
                            t.name + "\" needs a scale of shape " + shapeList(want));
    auto scales = decodeFloats(parts[1]);
    if (!scales) return scales.error();
    return std::shared_ptr<LayoutReader>(std::make_shared<BlockFp8Reader>(t, bytes, std::move(*scales), bm, bn));
}

} // namespace

StoredLayout fp8BlockLayout(int64_t bm, int64_t bn)
{
    StoredLayout out;
    out.id = "fp8-block";
    out.label = "fp8 block " + std::to_string(bm) + "x" + std::to_string(bn) + " (scale_inv)";
    out.bits = 8;
    out.blockRows = bm;
    out.groupSize = bn;
    out.inPlace = true;
    return out;
}

// Our fp8_e4m3 with 128x128 block scaling for 128x128 E4M3 blocks, else per-tensor.
static std::optional<EmulatedFormat> emulation(const TensorInfo& l)
{
    if (!l.layout || l.dtype != DType::F8_E4M3) return std::nullopt;
    const bool block128 = l.layout->blockRows == 128 && l.layout->groupSize == 128;
    return EmulatedFormat{"fp8_e4m3", {{"fp8-scaling", block128 ? "block128" : "per-tensor"}}};
}

LayoutEntry fp8BlockEntry() { return {"fp8-block", group, open, emulation}; }

} // namespace qs::layouts
