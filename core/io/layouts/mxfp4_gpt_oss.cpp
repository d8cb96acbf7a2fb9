// gpt-oss MXFP4 (docs/CHECKPOINTS.md §1): X_blocks U8 [..., R, G, 16] + X_scales U8
// [..., R, G] -> logical X [..., R, G*32]. Byte p of block g of row r: low nibble =
// element 32g + 2p, high nibble = element 32g + 2p + 1; value = E2M1(code) * 2^(s - 127)
// (exact: a power of two; code 8 = -0.0); s = 255 (E8M0 NaN) makes the whole block NaN.
#include "io/layouts/layout.h"

#include "formats/minifloat.h"
#include "io/safetensors.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace qs::layouts {

namespace {

constexpr const char* kBlocks = "_blocks";
constexpr const char* kScales = "_scales";

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class Mxfp4Reader final : public LayoutReader {
public:
    Mxfp4Reader(TensorInfo info, ByteViewPtr blocks, ByteViewPtr scales)
        : LayoutReader(std::move(info)), m_blocks(std::move(blocks)), m_scales(std::move(scales))
    {
        m_groups = cols() / 32;
        // Both nibbles of every byte, decoded once: pair[b] = {E2M1(b & 15), E2M1(b >> 4)}.
        for (int b = 0; b < 256; ++b) {
            m_pair[size_t(b)][0] = decodeE2M1(uint8_t(b & 15));
            m_pair[size_t(b)][1] = decodeE2M1(uint8_t(b >> 4));
        }
    }

    float referenceAt(int64_t r, int64_t c) const override
    {
        const int64_t g = c / 32, k = c % 32;
        const uint8_t s = m_scales->data()[r * m_groups + g];
        if (s == 255) return std::numeric_limits<float>::quiet_NaN();
        const uint8_t byte = m_blocks->data()[(r * m_groups + g) * 16 + k / 2];
        const uint8_t code = (k % 2) ? uint8_t(byte >> 4) : uint8_t(byte & 15);
        return std::ldexp(decodeE2M1(code), int(s) - 127);
    }

    // Fast path: one power-of-two factor per block, a byte -> two values table.
    void readRows(int64_t r0, int64_t r1, float* out) const override { readBlock(r0, r1, 0, cols(), out); }
    void readBlock(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const override
    {
        const int64_t w = c1 - c0;
        for (int64_t r = r0; r < r1; ++r) {
            float* o = out + (r - r0) * w - c0;
            for (int64_t g = c0 / 32; g * 32 < c1; ++g) {
                const uint8_t s = m_scales->data()[r * m_groups + g];
                const int64_t j0 = std::max(c0, g * 32), j1 = std::min(c1, g * 32 + 32);
                if (s == 255) {
                    std::fill(o + j0, o + j1, std::numeric_limits<float>::quiet_NaN());
                    continue;
                }
                // 2^(s-127) for s in [0, 254]: a normal or subnormal float, exact.
                const float f = s == 0 ? std::ldexp(1.0f, -127) : bitsFloat(uint32_t(s) << 23);
                const uint8_t* blk = m_blocks->data() + (r * m_groups + g) * 16;
                if (j0 == g * 32 && j1 == g * 32 + 32) {
                    for (int p = 0; p < 16; ++p) {
                        const auto& v = m_pair[blk[p]];
                        o[j0 + 2 * p] = v[0] * f;
                        o[j0 + 2 * p + 1] = v[1] * f;
                    }
                } else {
                    for (int64_t j = j0; j < j1; ++j) {
                        const int64_t k = j - g * 32;
                        o[j] = m_pair[blk[k / 2]][size_t(k % 2)] * f;
                    }
                }
            }
        }
    }

private:
    ByteViewPtr m_blocks, m_scales;
    int64_t m_groups = 0;
    std::array<std::array<float, 2>, 256> m_pair{};
};

Result<void> group(const std::vector<TensorInfo>& stored, const StoredLayout& params, const ReadSmall&,
                   std::vector<TensorInfo>& logical)
{
    std::unordered_map<std::string, const TensorInfo*> byName;
    for (const auto& t : stored) byName.emplace(t.name, &t);
    for (const auto& b : stored) {
        if (endsWith(b.name, kScales)) {
            const std::string base = b.name.substr(0, b.name.size() - 7);
            if (!byName.count(base + kBlocks))
                return partError(b, "is an MXFP4 scale part but \"" + base + kBlocks + "\" is missing");
            continue;
        }
        if (!endsWith(b.name, kBlocks)) continue;
        const std::string base = b.name.substr(0, b.name.size() - 7);
        if (b.dtype != DType::U8) return partError(b, "has dtype " + b.dtypeName + "; MXFP4 blocks must be U8");
        if (b.shape.size() < 3 || b.shape.back() != 16)
            return partError(b, "has shape " + shapeList(b.shape) + "; MXFP4 blocks must be [..., R, G, 16]");
        auto it = byName.find(base + kScales);
        if (it == byName.end())
            return partError(b, "has no scale part: expected \"" + base + kScales + "\" (U8 " +
                                    shapeList(std::vector<int64_t>(b.shape.begin(), b.shape.end() - 1)) + ")");
        const TensorInfo& s = *it->second;
        const std::vector<int64_t> want(b.shape.begin(), b.shape.end() - 1);
        if (s.dtype != DType::U8) return partError(s, "has dtype " + s.dtypeName + "; MXFP4 scales must be U8 (E8M0)");
        if (s.shape != want)
            return partError(s, "has shape " + shapeList(s.shape) + " but \"" + b.name + "\" " + shapeList(b.shape) +
                                    " needs scales of shape " + shapeList(want));
        TensorInfo l;
        l.name = base;
        l.dtype = DType::F32;
        l.dtypeName = params.label;
        l.shape.assign(b.shape.begin(), b.shape.end() - 2);
        l.shape.push_back(b.shape[b.shape.size() - 2] * 32);
        l.file = b.file;
        l.dataOffset = b.dataOffset;
        l.byteLength = b.byteLength + s.byteLength;
        l.listedInIndex = b.listedInIndex;
        auto lay = std::make_shared<StoredLayout>(params);
        lay->parts = {{"blocks", b.name}, {"scales", s.name}};
        l.layout = std::move(lay);
        logical.push_back(std::move(l));
    }
    return {};
}

Result<std::shared_ptr<LayoutReader>> open(const TensorInfo& logical, const std::vector<PartData>& parts)
{
    if (parts.size() != 2) return Error::model("mxfp4: expected 2 parts for \"" + logical.name + "\"");
    const int64_t n = logical.numel();
    if (int64_t(parts[0].bytes->size()) != n / 2 || int64_t(parts[1].bytes->size()) != n / 32)
        return partError(*parts[0].info, "has a packed length that does not match the logical shape " + shapeList(logical.shape));
    return std::shared_ptr<LayoutReader>(std::make_shared<Mxfp4Reader>(logical, parts[0].bytes, parts[1].bytes));
}

} // namespace

// Our mxfp4 with the OCP defaults (floor scale rule, RNE elements): a block whose largest
// code is 4 or 6 re-derives the stored scale, and every E2M1 value x 2^k stays on the grid.
LayoutEntry mxfp4GptOssEntry()
{
    return {"mxfp4-gpt-oss", group, open, [](const TensorInfo&) { return std::optional<EmulatedFormat>({"mxfp4", {}}); }};
}

} // namespace qs::layouts
