// TensorInfo helpers, the TensorReader implementations and Model::reader.
#include "io/model.h"

#include "io/json_util.h"
#include "io/layouts/layout.h"
#include "io/safetensors.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace qs {

int64_t TensorInfo::numel() const
{
    int64_t n = 0;
    return checkedNumel(shape, &n) ? n : 0;
}

int64_t TensorInfo::rows() const
{
    if (shape.size() < 2) return 1;
    int64_t n = 0;
    const std::vector<int64_t> lead(shape.begin(), shape.end() - 1);
    return checkedNumel(lead, &n) ? n : 0;
}

int64_t TensorInfo::cols() const
{
    return shape.empty() ? 1 : shape.back();
}

std::string TensorInfo::shapeString() const
{
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    return s + ")";
}

std::vector<float> TensorReader::readAll() const
{
    std::vector<float> out(size_t(std::max<int64_t>(0, numel())));
    if (!out.empty()) readRows(0, rows(), out.data());
    return out;
}

void TensorReader::readBlock(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const
{
    const int64_t n = cols();
    if (c0 == 0 && c1 == n) return readRows(r0, r1, out);
    std::vector<float> row(size_t(std::max<int64_t>(n, 0)));
    for (int64_t r = r0; r < r1; ++r) {
        readRows(r, r + 1, row.data());
        std::copy(row.begin() + c0, row.begin() + c1, out + (r - r0) * (c1 - c0));
    }
}

namespace {

// Clamps a row range to [0, rows] (a caller bug must not read out of bounds).
inline bool clampRows(int64_t rows, int64_t& r0, int64_t& r1)
{
    assert(0 <= r0 && r0 <= r1 && r1 <= rows);
    r0 = std::clamp<int64_t>(r0, 0, rows);
    r1 = std::clamp<int64_t>(r1, r0, rows);
    return r1 > r0;
}

// Clamps a column range to [0, cols].
inline bool clampCols(int64_t cols, int64_t& c0, int64_t& c1)
{
    assert(0 <= c0 && c0 <= c1 && c1 <= cols);
    c0 = std::clamp<int64_t>(c0, 0, cols);
    c1 = std::clamp<int64_t>(c1, c0, cols);
    return c1 > c0;
}

// Plain widening of the stored elements (F32/F16/BF16/F8/ints...).
class PlainReader final : public TensorReader {
public:
    PlainReader(TensorInfo info, ByteViewPtr bytes)
        : TensorReader(std::move(info)), m_bytes(std::move(bytes)), m_elemBytes(dtypeBytes(m_info.dtype))
    {
    }
    void readRows(int64_t r0, int64_t r1, float* out) const override
    {
        if (!clampRows(rows(), r0, r1)) return;
        const int64_t c = cols();
        if (c == 0) return;
        decodeToFloat(m_info.dtype, m_bytes->data() + r0 * c * m_elemBytes, (r1 - r0) * c, out);
    }
    void readBlock(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const override
    {
        const int64_t c = cols();
        if (!clampRows(rows(), r0, r1) || !clampCols(c, c0, c1)) return;
        for (int64_t r = r0; r < r1; ++r)
            decodeToFloat(m_info.dtype, m_bytes->data() + (r * c + c0) * m_elemBytes, c1 - c0,
                          out + (r - r0) * (c1 - c0));
    }
    const float* directRows() const override
    {
        const uint8_t* p = m_bytes->data();
        if (m_info.dtype != DType::F32 || !p || reinterpret_cast<uintptr_t>(p) % alignof(float) != 0)
            return nullptr;
        return reinterpret_cast<const float*>(p);
    }

private:
    ByteViewPtr m_bytes;
    int64_t m_elemBytes;
};

Error undecodable(const TensorInfo& t)
{
    return Error::model(toStd(t.file) + ": tensor \"" + t.name + "\": dtype " + t.dtypeName +
                        " cannot be decoded to float32 (decodable: F64, F32, F16, BF16, F8_E4M3, F8_E5M2, "
                        "F8_E8M0, I64, I32, I16, I8, U8, BOOL)");
}

} // namespace

Result<std::shared_ptr<TensorReader>> Model::reader(const std::string& name, Progress* progress) const
{
    const TensorInfo* t = find(name);
    static const std::string kSuffix = "_fp32";
    if (!t && name.size() > kSuffix.size() && name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0)
        t = find(name.substr(0, name.size() - kSuffix.size()));
    if (!t) return Error::usage("No tensor named \"" + name + "\" in " + toStd(m_provider->describe()));
    if (t->layout) {
        const layouts::LayoutEntry* e = layouts::findLayout(t->layout->id);
        if (!e) return Error::model("tensor \"" + t->name + "\": no decoder for layout " + t->layout->id);
        std::vector<layouts::PartData> parts;
        for (const auto& [role, partName] : t->layout->parts) {
            const TensorInfo* p = findStored(partName);
            if (!p) return Error::model("tensor \"" + t->name + "\": its " + role + " part \"" + partName + "\" is missing");
            auto bytes = m_provider->read(p->file, p->dataOffset, p->byteLength, progress);
            if (!bytes) return bytes.error();
            parts.push_back({p, std::move(*bytes)});
        }
        auto r = e->open(*t, parts);
        if (!r) return r.error();
        return std::shared_ptr<TensorReader>(std::move(*r));
    }
    if (!dtypeDecodable(t->dtype)) return undecodable(*t);

    auto bytes = m_provider->read(t->file, t->dataOffset, t->byteLength, progress);
    if (!bytes) return bytes.error();
    if ((*bytes)->size() != t->byteLength)
        return Error::model(toStd(t->file) + ": tensor \"" + t->name + "\": read " + std::to_string((*bytes)->size()) +
                            " bytes, expected " + std::to_string(t->byteLength));
    uint64_t need = 0;
    if (__builtin_mul_overflow(uint64_t(t->numel()), uint64_t(dtypeBytes(t->dtype)), &need) || need != t->byteLength)
        return Error::model(toStd(t->file) + ": tensor \"" + t->name + "\": " + std::to_string(t->byteLength) +
                            " stored bytes do not match " + t->dtypeName + " " + shapeList(t->shape));
    return std::shared_ptr<TensorReader>(std::make_shared<PlainReader>(*t, std::move(*bytes)));
}

} // namespace qs
