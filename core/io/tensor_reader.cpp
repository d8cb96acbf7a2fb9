// TensorInfo helpers, the TensorReader implementations and Model::reader.
#include "io/model.h"

#include "io/json_util.h"
#include "io/layouts/layout.h"
#include "io/safetensors.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <optional>

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

// The FP8 block scale sibling of t, checked: present, decodable, t of rank >= 2 and the
// scale of shape [leading..., ceil(M/bm), ceil(N/bn)].
Result<const TensorInfo*> checkedScale(const Model& model, const TensorInfo& t)
{
    const TensorInfo* s = model.find(t.scaleInvName);
    if (!s) return Error::model(toStd(t.file) + ": tensor \"" + t.name + "\": its scale \"" + t.scaleInvName +
                                "\" is missing");
    if (!dtypeDecodable(s->dtype)) return undecodable(*s);
    const auto block = model.fp8BlockSize();
    if (t.shape.size() < 2 || block[0] < 1 || block[1] < 1)
        return Error::model(toStd(t.file) + ": tensor \"" + t.name + "\": block scales need a tensor of rank >= 2");
    std::vector<int64_t> want(t.shape.begin(), t.shape.end() - 2);
    const int64_t m = t.shape[t.shape.size() - 2], n = t.shape.back();
    want.push_back(m / block[0] + (m % block[0] != 0));
    want.push_back(n / block[1] + (n % block[1] != 0));
    if (s->shape != want)
        return Error::model(toStd(s->file) + ": tensor \"" + s->name + "\" has shape " + shapeList(s->shape) +
                            " but \"" + t.name + "\" needs a scale of shape " + shapeList(want));
    return s;
}

// Byte-length consistency of a plain (or FP8 code) tensor.
Result<void> checkedLength(const TensorInfo& t)
{
    uint64_t need = 0;
    if (__builtin_mul_overflow(uint64_t(t.numel()), uint64_t(dtypeBytes(t.dtype)), &need) || need != t.byteLength)
        return Error::model(toStd(t.file) + ": tensor \"" + t.name + "\": " + std::to_string(t.byteLength) +
                            " stored bytes do not match " + t.dtypeName + " " + shapeList(t.shape));
    return {};
}

// Rows of a plain or FP8 block tensor read by ranges (--sample). Segment k holds the
// codes of original rows [row0, row0 + rows), which are rows [compact0, compact0 + rows)
// of this reader's view. An FP8 block tensor also holds the scale rows its rows need.
class RowsReader final : public TensorReader {
public:
    struct Segment {
        int64_t row0 = 0, rows = 0, compact0 = 0;
        ByteViewPtr bytes;
    };
    struct Scales {
        std::vector<int64_t> rowIds;   // scale rows held (sorted)
        std::vector<float> values;     // rowIds.size() x sCols
        int64_t bm = 128, bn = 128, m = 1, sRows = 1, sCols = 1;
    };
    RowsReader(TensorInfo compact, std::vector<Segment> segments, std::optional<Scales> scales)
        : TensorReader(std::move(compact)), m_segments(std::move(segments)), m_scales(std::move(scales)),
          m_elemBytes(dtypeBytes(m_info.dtype)), m_table(m_scales ? decodeTable8(m_info.dtype) : nullptr)
    {
    }
    void readRows(int64_t r0, int64_t r1, float* out) const override { readBlock(r0, r1, 0, cols(), out); }
    void readBlock(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const override
    {
        const int64_t n = cols();
        if (!clampRows(rows(), r0, r1) || !clampCols(n, c0, c1)) return;
        for (int64_t r = r0; r < r1; ++r) {
            const auto it = std::upper_bound(m_segments.begin(), m_segments.end(), r,
                                             [](int64_t v, const Segment& s) { return v < s.compact0; });
            const Segment& seg = *(it - 1);
            const int64_t local = r - seg.compact0, orig = seg.row0 + local;
            const uint8_t* code = seg.bytes->data() + local * n * m_elemBytes;
            float* o = out + (r - r0) * (c1 - c0) - c0;  // o[j] for j in [c0, c1)
            if (!m_scales) {
                decodeToFloat(m_info.dtype, code + c0 * m_elemBytes, c1 - c0, o + c0);
                continue;
            }
            const Scales& sc = *m_scales;
            const int64_t sr = (orig / sc.m) * sc.sRows + (orig % sc.m) / sc.bm;
            const size_t k = size_t(std::lower_bound(sc.rowIds.begin(), sc.rowIds.end(), sr) - sc.rowIds.begin());
            const float* srow = sc.values.data() + int64_t(k) * sc.sCols;
            for (int64_t jb = c0 / sc.bn; jb < sc.sCols && jb * sc.bn < c1; ++jb) {
                const float s = srow[jb];
                const int64_t j0 = std::max(c0, jb * sc.bn), j1 = std::min(c1, (jb + 1) * sc.bn);
                for (int64_t j = j0; j < j1; ++j) o[j] = m_table[code[j]] * s;
            }
        }
    }

private:
    std::vector<Segment> m_segments;
    std::optional<Scales> m_scales;
    int64_t m_elemBytes;
    const float* m_table;
};

// Chosen rows of another reader (quantized layouts: their parts are read whole, only the
// chosen rows are decoded).
class SubsetReader final : public TensorReader {
public:
    SubsetReader(TensorInfo compact, std::shared_ptr<TensorReader> inner, std::vector<RowRange> ranges)
        : TensorReader(std::move(compact)), m_inner(std::move(inner)), m_ranges(std::move(ranges))
    {
        int64_t at = 0;
        for (const RowRange& r : m_ranges) m_start.push_back(at), at += r.r1 - r.r0;
    }
    void readRows(int64_t r0, int64_t r1, float* out) const override { readBlock(r0, r1, 0, cols(), out); }
    void readBlock(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const override
    {
        if (!clampRows(rows(), r0, r1) || !clampCols(cols(), c0, c1)) return;
        for (int64_t r = r0; r < r1;) {
            const size_t k = size_t(std::upper_bound(m_start.begin(), m_start.end(), r) - m_start.begin()) - 1;
            const int64_t local = r - m_start[k];
            const int64_t run = std::min(r1 - r, m_ranges[k].r1 - m_ranges[k].r0 - local);
            m_inner->readBlock(m_ranges[k].r0 + local, m_ranges[k].r0 + local + run, c0, c1, out + (r - r0) * (c1 - c0));
            r += run;
        }
    }

private:
    std::shared_ptr<TensorReader> m_inner;
    std::vector<RowRange> m_ranges;
    std::vector<int64_t> m_start;
};

// Adjacent row ranges joined: [0,32) + [32,64) -> [0,64).
std::vector<RowRange> mergedRows(const std::vector<RowRange>& rows)
{
    std::vector<RowRange> out;
    for (const RowRange& r : rows) {
        if (r.r1 <= r.r0) continue;
        if (!out.empty() && out.back().r1 == r.r0) out.back().r1 = r.r1;
        else out.push_back(r);
    }
    return out;
}

// The scale rows (global index in the [leading..., sRows, sCols] grid) that rows need, in
// order, each once.
std::vector<int64_t> scaleRowsOf(const std::vector<RowRange>& rows, int64_t m, int64_t bm, int64_t sRows)
{
    std::vector<int64_t> ids;
    for (const RowRange& r : rows)
        for (int64_t row = r.r0; row < r.r1; ++row) {
            const int64_t sr = (row / m) * sRows + (row % m) / bm;
            if (ids.empty() || ids.back() != sr) ids.push_back(sr);
        }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

// Runs of consecutive ids: [first, last + 1).
std::vector<RowRange> idRuns(const std::vector<int64_t>& ids)
{
    std::vector<RowRange> out;
    for (int64_t id : ids) {
        if (!out.empty() && out.back().r1 == id) ++out.back().r1;
        else out.push_back({id, id + 1});
    }
    return out;
}

TensorInfo compactInfo(const TensorInfo& t, const std::vector<RowRange>& rows)
{
    TensorInfo c = t;
    int64_t n = 0;
    for (const RowRange& r : rows) n += r.r1 - r.r0;
    if (t.shape.size() >= 2) c.shape = {n, t.cols()};
    return c;
}

} // namespace

std::vector<ByteRange> Model::rowsByteRanges(const std::string& name, const std::vector<RowRange>& rowsIn) const
{
    std::vector<ByteRange> out;
    const TensorInfo* t = find(name);
    if (!t || (t->layout && !t->layout->inPlace) || !dtypeDecodable(t->dtype)) return out;
    const std::vector<RowRange> rows = mergedRows(rowsIn);
    const uint64_t rowBytes = uint64_t(t->cols()) * uint64_t(dtypeBytes(t->dtype));
    for (const RowRange& r : rows)
        out.push_back({t->file, t->dataOffset + uint64_t(r.r0) * rowBytes, uint64_t(r.r1 - r.r0) * rowBytes});
    if (t->scaleInvName.empty() || t->shape.size() < 2) return out;
    const TensorInfo* s = find(t->scaleInvName);
    if (!s || s->shape.size() < 2 || !dtypeDecodable(s->dtype)) return out;
    const int64_t m = t->shape[t->shape.size() - 2];
    const int64_t sRows = s->shape[s->shape.size() - 2], sCols = s->shape.back();
    const uint64_t sRowBytes = uint64_t(sCols) * uint64_t(dtypeBytes(s->dtype));
    for (const RowRange& r : idRuns(scaleRowsOf(rows, m, m_fp8Block[0], sRows)))
        out.push_back({s->file, s->dataOffset + uint64_t(r.r0) * sRowBytes, uint64_t(r.r1 - r.r0) * sRowBytes});
    return out;
}

Result<std::shared_ptr<TensorReader>> Model::rowsReader(const std::string& name, const std::vector<RowRange>& rowsIn,
                                                        Progress* progress) const
{
    const TensorInfo* t = find(name);
    if (!t) return reader(name, progress);  // its error
    const std::vector<RowRange> rows = mergedRows(rowsIn);
    const int64_t total = t->rows();
    for (const RowRange& r : rows)
        if (r.r0 < 0 || r.r1 > total)
            return Error::usage("tensor \"" + t->name + "\": rows " + std::to_string(r.r0) + ".." + std::to_string(r.r1) +
                                " outside its " + std::to_string(total) + " rows");
    if (t->shape.size() < 2 || (rows.size() == 1 && rows[0].r0 == 0 && rows[0].r1 == total)) return reader(name, progress);
    if (t->layout && !t->layout->inPlace) {
        auto inner = reader(name, progress);
        if (!inner) return inner.error();
        return std::shared_ptr<TensorReader>(std::make_shared<SubsetReader>(compactInfo(*t, rows), *inner, rows));
    }
    if (!dtypeDecodable(t->dtype)) return undecodable(*t);
    if (auto ok = checkedLength(*t); !ok) return ok.error();
    const TensorInfo* s = nullptr;
    if (!t->scaleInvName.empty()) {
        auto sr = checkedScale(*this, *t);
        if (!sr) return sr.error();
        s = *sr;
    }
    const std::vector<ByteRange> ranges = rowsByteRanges(name, rows);
    if (auto pf = m_provider->prefetch(ranges, progress); !pf) return pf.error();
    std::vector<RowsReader::Segment> segments;
    int64_t compact = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
        const ByteRange& br = ranges[i];
        auto bytes = m_provider->read(br.file, br.offset, br.length, progress);
        if (!bytes) return bytes.error();
        if ((*bytes)->size() != br.length)
            return Error::model(toStd(t->file) + ": tensor \"" + t->name + "\": read " + std::to_string((*bytes)->size()) +
                                " bytes, expected " + std::to_string(br.length));
        segments.push_back({rows[i].r0, rows[i].r1 - rows[i].r0, compact, std::move(*bytes)});
        compact += rows[i].r1 - rows[i].r0;
    }
    std::optional<RowsReader::Scales> scales;
    if (s) {
        RowsReader::Scales sc;
        sc.bm = m_fp8Block[0];
        sc.bn = m_fp8Block[1];
        sc.m = t->shape[t->shape.size() - 2];
        sc.sRows = s->shape[s->shape.size() - 2];
        sc.sCols = s->shape.back();
        sc.rowIds = scaleRowsOf(rows, sc.m, sc.bm, sc.sRows);
        sc.values.resize(sc.rowIds.size() * size_t(sc.sCols));
        size_t at = 0;
        for (size_t i = rows.size(); i < ranges.size(); ++i) {
            const ByteRange& br = ranges[i];
            auto bytes = m_provider->read(br.file, br.offset, br.length, progress);
            if (!bytes) return bytes.error();
            const uint64_t count = br.length / uint64_t(dtypeBytes(s->dtype));
            if ((*bytes)->size() != br.length || at + count > sc.values.size())
                return Error::model(toStd(s->file) + ": tensor \"" + s->name + "\": read " +
                                    std::to_string((*bytes)->size()) + " bytes, expected " + std::to_string(br.length));
            decodeToFloat(s->dtype, (*bytes)->data(), int64_t(count), sc.values.data() + at);
            at += count;
        }
        scales = std::move(sc);
    }
    return std::shared_ptr<TensorReader>(std::make_shared<RowsReader>(compactInfo(*t, rows), std::move(segments), std::move(scales)));
}

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
