// NVFP4 packed in bytes (docs/CHECKPOINTS.md §2b, §5): ModelOpt (X.weight U8 [out, in/2],
// X.weight_scale F8_E4M3 [out, in/16], X.weight_scale_2 F32 scalar) and compressed-tensors
// nvfp4-pack-quantized (X.weight_packed U8, X.weight_scale F8_E4M3, X.weight_global_scale
// F32 [1]). Low nibble = even column, high nibble = odd column. Order of operations:
//   modelopt: per_block = fp32(scale) * scale_2 (float32), value = e2m1 * per_block; code 8 = +0
//   ct:       s = fp32(scale) / global_scale (float32), value = e2m1 * s;          code 8 = -0.0
#include "io/layouts/layout.h"

#include "formats/minifloat.h"
#include "io/dtype.h"
#include "io/safetensors.h"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace qs::layouts {

namespace {

enum class Flavour { ModelOpt, Ct };

int64_t ceilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

float e2m1(Flavour f, uint8_t code)
{
    if (f == Flavour::ModelOpt && code == 8) return 0.0f;  // ModelOpt's table has +0 at code 8
    return decodeE2M1(code);
}

class Nvfp4Reader final : public LayoutReader {
public:
    Nvfp4Reader(TensorInfo info, Flavour f, ByteViewPtr codes, ByteViewPtr scales, float second)
        : LayoutReader(std::move(info)), m_f(f), m_codes(std::move(codes)), m_scales(std::move(scales)), m_second(second)
    {
        m_groups = ceilDiv(cols(), 16);
        m_eff.resize(size_t(rows() * m_groups));
        for (size_t i = 0; i < m_eff.size(); ++i) m_eff[i] = combine(decodeTable8(DType::F8_E4M3)[m_scales->data()[i]]);
        for (int b = 0; b < 256; ++b) {
            m_pair[size_t(b)][0] = e2m1(m_f, uint8_t(b & 15));
            m_pair[size_t(b)][1] = e2m1(m_f, uint8_t(b >> 4));
        }
    }

    float referenceAt(int64_t r, int64_t c) const override
    {
        const uint8_t byte = m_codes->data()[r * (cols() / 2) + c / 2];
        const uint8_t code = (c % 2) ? uint8_t(byte >> 4) : uint8_t(byte & 15);
        const uint8_t sb = m_scales->data()[r * m_groups + c / 16];
        return e2m1(m_f, code) * combine(decodeReference(DType::F8_E4M3, &sb));
    }

    void readRows(int64_t r0, int64_t r1, float* out) const override { readBlock(r0, r1, 0, cols(), out); }
    void readBlock(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const override
    {
        const int64_t w = c1 - c0, half = cols() / 2;
        for (int64_t r = r0; r < r1; ++r) {
            float* o = out + (r - r0) * w - c0;
            const uint8_t* p = m_codes->data() + r * half;
            const float* eff = m_eff.data() + r * m_groups;
            for (int64_t c = c0; c < c1; ++c) o[c] = m_pair[p[c / 2]][size_t(c % 2)] * eff[c / 16];
        }
    }

private:
    float combine(float s) const { return m_f == Flavour::ModelOpt ? s * m_second : s / m_second; }

    Flavour m_f;
    ByteViewPtr m_codes, m_scales;
    float m_second;
    int64_t m_groups = 1;
    std::vector<float> m_eff;
    std::array<std::array<float, 2>, 256> m_pair{};
};

Result<void> group(Flavour f, const std::vector<TensorInfo>& stored, const StoredLayout& params, std::vector<TensorInfo>& logical)
{
    std::unordered_map<std::string, const TensorInfo*> byName;
    for (const auto& t : stored) byName.emplace(t.name, &t);
    const std::string codeSuffix = f == Flavour::ModelOpt ? ".weight" : ".weight_packed";
    const std::string secondSuffix = f == Flavour::ModelOpt ? ".weight_scale_2" : ".weight_global_scale";
    for (const auto& q : stored) {
        if (!endsWith(q.name, codeSuffix) || (f == Flavour::ModelOpt && q.dtype != DType::U8)) continue;
        const std::string base = q.name.substr(0, q.name.size() - codeSuffix.size());
        if (q.dtype != DType::U8 || q.shape.size() != 2)
            return partError(q, "has dtype " + q.dtypeName + " " + shapeList(q.shape) + "; NVFP4 codes must be U8 [out, in/2]");
        auto part = [&](const std::string& s) -> const TensorInfo* {
            auto it = byName.find(base + s);
            return it == byName.end() ? nullptr : it->second;
        };
        const TensorInfo* scale = part(".weight_scale");
        const TensorInfo* second = part(secondSuffix);
        if (!scale) return partError(q, "is an NVFP4 weight but its part \"" + base + ".weight_scale\" is missing");
        if (!second) return partError(q, "is an NVFP4 weight but its part \"" + base + secondSuffix + "\" is missing");
        const int64_t rows = q.shape[0], cols = q.shape[1] * 2;
        const std::vector<int64_t> want{rows, ceilDiv(cols, 16)};
        if (scale->dtype != DType::F8_E4M3 || scale->shape != want)
            return partError(*scale, "has dtype " + scale->dtypeName + " " + shapeList(scale->shape) +
                                         "; expected F8_E4M3 " + shapeList(want) + " (one scale per 16 values)");
        if (second->dtype != DType::F32 || second->numel() != 1)
            return partError(*second, "has dtype " + second->dtypeName + " " + shapeList(second->shape) +
                                          "; expected one F32 value");
        TensorInfo l;
        l.name = base + ".weight";
        l.dtype = DType::F32;
        l.dtypeName = params.label;
        l.shape = {rows, cols};
        l.file = q.file;
        l.dataOffset = q.dataOffset;
        l.listedInIndex = q.listedInIndex;
        l.byteLength = q.byteLength + scale->byteLength + second->byteLength;
        auto lay = std::make_shared<StoredLayout>(params);
        lay->parts = {{"codes", q.name}, {"scales", scale->name}, {"second", second->name}};
        l.layout = std::move(lay);
        logical.push_back(std::move(l));
    }
    return {};
}

Result<std::shared_ptr<LayoutReader>> open(Flavour f, const TensorInfo& logical, const std::vector<PartData>& parts)
{
    if (parts.size() != 3) return Error::model("nvfp4: expected 3 parts for \"" + logical.name + "\"");
    for (const auto& p : parts)
        if (p.bytes->size() != p.info->byteLength)
            return partError(*p.info, "read " + std::to_string(p.bytes->size()) + " bytes, expected " +
                                          std::to_string(p.info->byteLength));
    if (int64_t(parts[0].bytes->size()) * 2 != logical.numel())
        return partError(*parts[0].info, "has a packed length that does not match " + shapeList(logical.shape));
    float second = 0;
    decodeToFloat(DType::F32, parts[2].bytes->data(), 1, &second);
    return std::shared_ptr<LayoutReader>(
        std::make_shared<Nvfp4Reader>(logical, f, parts[0].bytes, parts[1].bytes, second));
}

} // namespace

LayoutEntry nvfp4ModelOptEntry()
{
    return {"nvfp4-modelopt",
            [](const std::vector<TensorInfo>& s, const StoredLayout& p, const ReadSmall&, std::vector<TensorInfo>& l) {
                return group(Flavour::ModelOpt, s, p, l);
            },
            [](const TensorInfo& l, const std::vector<PartData>& parts) { return open(Flavour::ModelOpt, l, parts); },
            [](const TensorInfo&) {  // ModelOpt's own arithmetic (code 8 = +0, weight_scale_2 = amax / 2688)
                return std::optional<EmulatedFormat>({"nvfp4", {{"nvfp4-convention", "modelopt"}}});
            }};
}

LayoutEntry ctNvfp4Entry()
{
    return {"ct-nvfp4-pack-quantized",
            [](const std::vector<TensorInfo>& s, const StoredLayout& p, const ReadSmall&, std::vector<TensorInfo>& l) {
                return group(Flavour::Ct, s, p, l);
            },
            [](const TensorInfo& l, const std::vector<PartData>& parts) { return open(Flavour::Ct, l, parts); },
            [](const TensorInfo&) {  // no compressed-tensors convention of our own: the NVIDIA definition
                return std::optional<EmulatedFormat>({"nvfp4", {}});
            }};
}

} // namespace qs::layouts
