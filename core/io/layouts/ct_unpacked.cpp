// compressed-tensors float-quantized / int-quantized / naive-quantized (docs/CHECKPOINTS.md
// §2c): X.weight holds the codes unpacked (F8_E4M3 / F8_E5M2, or I8), X.weight_scale one
// scale per tensor ([1] or []), channel ([rows, 1]), group ([rows, ceil(cols/g)]) or block
// ([ceil(rows/bh), ceil(cols/bw)]), optional X.weight_zero_point of the scale's shape.
// value = float32(code - zp) * scale (one float32 multiply; the reference multiplies in
// the scale's dtype).
#include "io/layouts/layout.h"

#include "io/dtype.h"
#include "io/safetensors.h"

#include <unordered_map>

namespace qs::layouts {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isCode(DType t) { return t == DType::F8_E4M3 || t == DType::F8_E5M2 || t == DType::I8; }

// Block geometry: rows per scale (bh) and columns per scale (bw); per tensor = whole.
struct Grid {
    int64_t bh = 1, bw = 1, sRows = 1, sCols = 1;
    int64_t index(int64_t r, int64_t c) const { return (r / bh) * sCols + c / bw; }
};

Grid gridFor(const StoredLayout& p, int64_t rows, int64_t cols)
{
    Grid g;
    if (p.groupSize == -1) {  // tensor
        g.bh = rows;
        g.bw = cols;
    } else if (p.groupSize == 0) {  // channel
        g.bw = cols;
    } else if (p.blockRows > 0) {  // block
        g.bh = p.blockRows;
        g.bw = p.groupSize;
    } else {  // group
        g.bw = p.groupSize;
    }
    g.bh = std::max<int64_t>(g.bh, 1);
    g.bw = std::max<int64_t>(g.bw, 1);
    g.sRows = ceilDiv(rows, g.bh);
    g.sCols = ceilDiv(cols, g.bw);
    return g;
}

class UnpackedReader final : public LayoutReader {
public:
    UnpackedReader(TensorInfo info, DType codeType, ByteViewPtr codes, Grid grid, std::vector<float> scales,
                   std::vector<float> zeros)
        : LayoutReader(std::move(info)), m_type(codeType), m_codes(std::move(codes)), m_grid(grid),
          m_scales(std::move(scales)), m_zeros(std::move(zeros)), m_table(decodeTable8(codeType))
    {
    }
    float referenceAt(int64_t r, int64_t c) const override
    {
        const int64_t i = m_grid.index(r, c);
        const float code = decodeReference(m_type, m_codes->data() + r * cols() + c);
        return (m_zeros.empty() ? code : code - m_zeros[size_t(i)]) * m_scales[size_t(i)];
    }
    void readRows(int64_t r0, int64_t r1, float* out) const override { readBlock(r0, r1, 0, cols(), out); }
    void readBlock(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const override
    {
        const int64_t w = c1 - c0, n = cols();
        for (int64_t r = r0; r < r1; ++r) {
            float* o = out + (r - r0) * w - c0;
            const uint8_t* p = m_codes->data() + r * n;
            const float* s = m_scales.data() + (r / m_grid.bh) * m_grid.sCols;
            if (m_zeros.empty()) {
                for (int64_t c = c0; c < c1; ++c) o[c] = m_table[p[c]] * s[c / m_grid.bw];
            } else {
                const float* z = m_zeros.data() + (r / m_grid.bh) * m_grid.sCols;
                for (int64_t c = c0; c < c1; ++c) o[c] = (m_table[p[c]] - z[c / m_grid.bw]) * s[c / m_grid.bw];
            }
        }
    }

private:
    DType m_type;
    ByteViewPtr m_codes;
    Grid m_grid;
    std::vector<float> m_scales, m_zeros;
    const float* m_table;
};

Result<void> group(const std::vector<TensorInfo>& stored, const StoredLayout& params, const ReadSmall&,
                   std::vector<TensorInfo>& logical)
{
    std::unordered_map<std::string, const TensorInfo*> byName;
    for (const auto& t : stored) byName.emplace(t.name, &t);
    for (const auto& s : stored) {
        if (!endsWith(s.name, ".weight_scale")) continue;
        const std::string base = s.name.substr(0, s.name.size() - 13);
        auto it = byName.find(base + ".weight");
        if (it == byName.end()) return partError(s, "is a weight scale but \"" + base + ".weight\" is missing");
        const TensorInfo& w = *it->second;
        if (!isCode(w.dtype) || w.shape.size() != 2)
            return partError(w, "has dtype " + w.dtypeName + " " + shapeList(w.shape) +
                                    "; expected 2-D F8_E4M3, F8_E5M2 or I8 codes");
        const Grid g = gridFor(params, w.shape[0], w.shape[1]);
        const bool scalar = params.groupSize == -1;
        if (!dtypeDecodable(s.dtype) || dtypeIsInteger(s.dtype) ||
            (scalar ? s.numel() != 1 : s.shape != std::vector<int64_t>{g.sRows, g.sCols}))
            return partError(s, "has dtype " + s.dtypeName + " " + shapeList(s.shape) + "; expected a float scale of " +
                                    (scalar ? std::string("one value") : shapeList({g.sRows, g.sCols})) + " for \"" +
                                    w.name + "\" " + shapeList(w.shape));
        std::vector<std::pair<std::string, std::string>> parts{{"codes", w.name}, {"scales", s.name}};
        uint64_t bytes = w.byteLength + s.byteLength;
        if (auto z = byName.find(base + ".weight_zero_point"); z != byName.end()) {
            if (z->second->numel() != s.numel() || !dtypeDecodable(z->second->dtype))
                return partError(*z->second, "has " + shapeList(z->second->shape) + "; expected the shape of \"" +
                                                 s.name + "\" " + shapeList(s.shape));
            parts.push_back({"zeros", z->second->name});
            bytes += z->second->byteLength;
        } else if (!params.symmetric) {
            return partError(w, "is asymmetric but its part \"" + base + ".weight_zero_point\" is missing");
        }
        TensorInfo l;
        l.name = w.name;
        l.dtype = DType::F32;
        auto lay = std::make_shared<StoredLayout>(params);
        lay->label = (w.dtype == DType::I8 ? "int8 " : w.dtype == DType::F8_E5M2 ? "fp8_e5m2 " : "fp8_e4m3 ") +
                     params.label;
        l.dtypeName = lay->label;
        l.shape = w.shape;
        l.file = w.file;
        l.dataOffset = w.dataOffset;
        l.listedInIndex = w.listedInIndex;
        l.byteLength = bytes;
        lay->parts = std::move(parts);
        l.layout = std::move(lay);
        logical.push_back(std::move(l));
    }
    return {};
}

Result<std::shared_ptr<LayoutReader>> open(const TensorInfo& logical, const std::vector<PartData>& parts)
{
    if (parts.size() < 2) return Error::model("\"" + logical.name + "\": codes or scales part missing");
    for (const auto& p : parts)
        if (p.bytes->size() != p.info->byteLength)
            return partError(*p.info, "read " + std::to_string(p.bytes->size()) + " bytes, expected " +
                                          std::to_string(p.info->byteLength));
    if (int64_t(parts[0].bytes->size()) != logical.numel())
        return partError(*parts[0].info, "has a length that does not match " + shapeList(logical.shape));
    auto sc = decodeFloats(parts[1]);
    if (!sc) return sc.error();
    std::vector<float> zeros;
    if (parts.size() > 2) {
        zeros.resize(size_t(parts[2].info->numel()));
        decodeToFloat(parts[2].info->dtype, parts[2].bytes->data(), parts[2].info->numel(), zeros.data());
    }
    const Grid g = gridFor(*logical.layout, logical.shape[0], logical.shape[1]);
    return std::shared_ptr<LayoutReader>(std::make_shared<UnpackedReader>(logical, parts[0].info->dtype, parts[0].bytes,
                                                                          g, std::move(*sc), std::move(zeros)));
}

} // namespace

// FP8 E4M3 codes: our fp8_e4m3 with the scaling closest to the strategy — per-tensor for
// tensor (and, as we have no per-channel or per-group FP8, for channel and group: those
// match only where a row's scale equals the tensor's), block128 for 128x128 blocks.
// INT8 codes per channel, symmetric: our int8.
static std::optional<EmulatedFormat> emulation(const TensorInfo& l)
{
    if (!l.layout) return std::nullopt;
    const StoredLayout& p = *l.layout;
    if (p.groupSize == 0 && p.blockRows == 0 && p.symmetric && l.dtypeName.rfind("int8", 0) == 0)
        return EmulatedFormat{"int8", {}};
    if (l.dtypeName.rfind("fp8_e4m3", 0) != 0) return std::nullopt;
    const bool block128 = p.blockRows == 128 && p.groupSize == 128;
    return EmulatedFormat{"fp8_e4m3", {{"fp8-scaling", block128 ? "block128" : "per-tensor"}}};
}

LayoutEntry ctUnpackedEntry() { return {"ct-unpacked", group, open, emulation}; }

} // namespace qs::layouts
