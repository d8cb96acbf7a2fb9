#include "io/gguf.h"

#include "io/dtype.h"

#include <algorithm>
#include <cstring>

namespace qs {

namespace {

constexpr uint32_t kMagic = 0x46554747u;  // "GGUF" little-endian
constexpr int kMaxArrayDepth = 4;
constexpr int kMaxDims = 4;                // GGML_MAX_DIMS
constexpr uint64_t kMaxItems = uint64_t(1) << 26;

// A bounded cursor over the header bytes; every read checks the remaining length.
struct Cursor {
    const uint8_t* p;
    uint64_t size, pos = 0;
    bool truncated = false;

    bool need(uint64_t n)
    {
        if (n > size - pos) {
            truncated = true;
            return false;
        }
        return true;
    }
    template <class T>
    bool get(T& out)
    {
        if (!need(sizeof(T))) return false;
        std::memcpy(&out, p + pos, sizeof(T));
        pos += sizeof(T);
        return true;
    }
    bool string(std::string& out)
    {
        uint64_t n = 0;
        if (!get(n) || !need(n)) return false;
        out.assign(reinterpret_cast<const char*>(p + pos), size_t(n));
        pos += n;
        return true;
    }
};

uint64_t scalarSize(GgufType t)
{
    switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::Bool: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    default: return 0;
    }
}

// Reads one value of type t; messages name the key. Returns "" on success.
std::string readValue(Cursor& c, GgufType t, GgufValue& v, const std::string& key, int depth)
{
    v.type = t;
    auto trunc = [&] { return "the value of \"" + key + "\" runs past the end of the file"; };
    switch (t) {
    case GgufType::U8: { uint8_t x; if (!c.get(x)) return trunc(); v.u = x; v.i = x; v.f = x; return {}; }
    case GgufType::I8: { int8_t x; if (!c.get(x)) return trunc(); v.i = x; v.f = x; return {}; }
    case GgufType::U16: { uint16_t x; if (!c.get(x)) return trunc(); v.u = x; v.i = x; v.f = x; return {}; }
    case GgufType::I16: { int16_t x; if (!c.get(x)) return trunc(); v.i = x; v.f = x; return {}; }
    case GgufType::U32: { uint32_t x; if (!c.get(x)) return trunc(); v.u = x; v.i = x; v.f = x; return {}; }
    case GgufType::I32: { int32_t x; if (!c.get(x)) return trunc(); v.i = x; v.f = x; return {}; }
    case GgufType::F32: { float x; if (!c.get(x)) return trunc(); v.f = x; return {}; }
    case GgufType::Bool: {
        uint8_t x;
        if (!c.get(x)) return trunc();
        if (x > 1) return "\"" + key + "\": a bool must be 0 or 1, got " + std::to_string(x);
        v.b = x == 1;
        return {};
    }
    case GgufType::String: return c.string(v.s) ? std::string() : trunc();
    case GgufType::U64: { uint64_t x; if (!c.get(x)) return trunc(); v.u = x; v.f = double(x); v.i = int64_t(x); return {}; }
    case GgufType::I64: { int64_t x; if (!c.get(x)) return trunc(); v.i = x; v.f = double(x); return {}; }
    case GgufType::F64: { double x; if (!c.get(x)) return trunc(); v.f = x; return {}; }
    case GgufType::Array: {
        if (depth >= kMaxArrayDepth) return "\"" + key + "\": arrays nested deeper than " + std::to_string(kMaxArrayDepth);
        uint32_t et = 0;
        if (!c.get(et) || !c.get(v.count)) return trunc();
        if (et > 12) return "\"" + key + "\": unknown array element type " + std::to_string(et);
        v.elemType = GgufType(et);
        const uint64_t minItem = v.elemType == GgufType::String ? 8 : v.elemType == GgufType::Array ? 12 : scalarSize(v.elemType);
        if (v.count > kMaxItems || v.count * minItem > c.size - c.pos) {
            c.truncated = v.count * minItem > c.size - c.pos && v.count <= kMaxItems;
            return "\"" + key + "\": an array of " + std::to_string(v.count) + " items does not fit in the file";
        }
        v.items.resize(size_t(v.count));
        for (GgufValue& item : v.items)
            if (std::string e = readValue(c, v.elemType, item, key, depth + 1); !e.empty()) return e;
        return {};
    }
    }
    return "\"" + key + "\": unknown value type " + std::to_string(uint32_t(t));
}

uint64_t ggmlTypeSize(uint32_t t)
{
    switch (GgmlType(t)) {
    case GgmlType::F32: return 4;
    case GgmlType::F16: case GgmlType::BF16: return 2;
    }
    return 0;
}

} // namespace

std::optional<uint64_t> GgufValue::asUInt() const
{
    switch (type) {
    case GgufType::U8: case GgufType::U16: case GgufType::U32: case GgufType::U64: return u;
    case GgufType::I8: case GgufType::I16: case GgufType::I32: case GgufType::I64:
        return i >= 0 ? std::optional<uint64_t>(uint64_t(i)) : std::nullopt;
    default: return std::nullopt;
    }
}

int64_t GgufTensorInfo::numel() const
{
    int64_t n = 1;
    for (int64_t d : ne) n *= d;
    return n;
}

const GgufValue* GgufFile::find(const std::string& key) const
{
    for (const GgufKv& k : kv)
        if (k.key == key) return &k.value;
    return nullptr;
}

const GgufTensorInfo* GgufFile::tensor(const std::string& name) const
{
    for (const GgufTensorInfo& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

Result<GgufFile> parseGgufHeader(const uint8_t* data, uint64_t size, const std::string& file, bool* truncated)
{
    Cursor c{data, size};
    *truncated = false;
    auto fail = [&](const std::string& what) -> Result<GgufFile> {
        *truncated = c.truncated;
        return Error::model(file + ": not a valid GGUF file: " + what);
    };
    uint32_t magic = 0;
    if (!c.get(magic)) return fail("shorter than the 4-byte magic");
    if (magic != kMagic) return fail("the file does not start with \"GGUF\"");
    GgufFile g;
    uint64_t nTensors = 0, nKv = 0;
    if (!c.get(g.version) || !c.get(nTensors) || !c.get(nKv)) return fail("the header is cut short");
    if (g.version != 2 && g.version != 3) return fail("version " + std::to_string(g.version) + " (expected 2 or 3)");
    // Every key/value takes at least 12 bytes and every tensor info at least 24: a count
    // that cannot fit the remaining bytes is refused before anything is allocated.
    auto fits = [&](uint64_t count, uint64_t minBytes) {
        if (count <= (size - c.pos) / minBytes + 1 && count <= kMaxItems) return true;
        c.truncated = count <= kMaxItems;
        return false;
    };
    if (!fits(nKv, 12)) return fail(std::to_string(nKv) + " key/values cannot fit in the file");
    for (uint64_t k = 0; k < nKv; ++k) {
        GgufKv kv;
        uint32_t t = 0;
        if (!c.string(kv.key) || !c.get(t)) return fail("key/value " + std::to_string(k) + " is cut short");
        if (t > 12) return fail("key \"" + kv.key + "\" has unknown type " + std::to_string(t));
        if (std::string e = readValue(c, GgufType(t), kv.value, kv.key, 0); !e.empty()) return fail(e);
        g.kv.push_back(std::move(kv));
    }
    if (const GgufValue* a = g.find("general.alignment")) {
        const auto v = a->asUInt();
        if (!v || *v == 0 || (*v & (*v - 1)) != 0 || *v > (uint64_t(1) << 20))
            return fail("general.alignment must be a power of two (up to 1 MiB)");
        g.alignment = *v;
    }
    if (!fits(nTensors, 24)) return fail(std::to_string(nTensors) + " tensor infos cannot fit in the file");
    for (uint64_t k = 0; k < nTensors; ++k) {
        GgufTensorInfo t;
        uint32_t nDims = 0;
        if (!c.string(t.name) || !c.get(nDims)) return fail("tensor info " + std::to_string(k) + " is cut short");
        if (nDims == 0 || nDims > uint32_t(kMaxDims))
            return fail("tensor \"" + t.name + "\" has " + std::to_string(nDims) + " dimensions (expected 1 to 4)");
        int64_t numel = 1;
        for (uint32_t d = 0; d < nDims; ++d) {
            int64_t n = 0;
            if (!c.get(n)) return fail("tensor \"" + t.name + "\" is cut short");
            if (n < 0 || (n > 0 && numel > (int64_t(1) << 50) / n))
                return fail("tensor \"" + t.name + "\" has an impossible dimension " + std::to_string(n));
            numel *= n;
            t.ne.push_back(n);
        }
        if (!c.get(t.type) || !c.get(t.offset)) return fail("tensor \"" + t.name + "\" is cut short");
        if (t.offset % g.alignment != 0)
            return fail("tensor \"" + t.name + "\" starts at offset " + std::to_string(t.offset) + ", not a multiple of " +
                        std::to_string(g.alignment));
        for (const GgufTensorInfo& other : g.tensors)
            if (other.name == t.name) return fail("tensor \"" + t.name + "\" appears twice");
        g.tensors.push_back(std::move(t));
    }
    g.dataOffset = (c.pos + g.alignment - 1) / g.alignment * g.alignment;
    return g;
}

Result<GgufFile> readGgufHeader(FileProvider& provider, const QString& path)
{
    auto size = provider.fileSize(path);
    if (!size) return size.error();
    uint64_t want = std::min<uint64_t>(*size, uint64_t(1) << 20);
    const std::string name = path.toStdString();
    for (;;) {
        auto bytes = provider.read(path, 0, want);
        if (!bytes) return bytes.error();
        bool truncated = false;
        auto g = parseGgufHeader((*bytes)->data(), (*bytes)->size(), name, &truncated);
        if (g || !truncated || want == *size) return g;
        want = std::min<uint64_t>(*size, want * 4);
    }
}

Result<std::vector<float>> readGgufTensor(FileProvider& provider, const QString& path, const GgufFile& g,
                                          const GgufTensorInfo& t)
{
    const std::string file = path.toStdString();
    const uint64_t es = ggmlTypeSize(t.type);
    if (es == 0)
        return Error::model(file + ": tensor \"" + t.name + "\" has ggml type " + std::to_string(t.type) +
                            "; only F32, F16 and BF16 tensors are read here");
    auto size = provider.fileSize(path);
    if (!size) return size.error();
    const uint64_t bytes = uint64_t(t.numel()) * es;
    if (g.dataOffset > *size || t.offset > *size - g.dataOffset || bytes > *size - g.dataOffset - t.offset)
        return Error::model(file + ": tensor \"" + t.name + "\" (" + std::to_string(bytes) + " bytes at data offset " +
                            std::to_string(t.offset) + ") runs past the end of the file (" + std::to_string(*size) +
                            " bytes)");
    auto view = provider.read(path, g.dataOffset + t.offset, bytes);
    if (!view) return view.error();
    std::vector<float> out(size_t(t.numel()));
    const DType dt = GgmlType(t.type) == GgmlType::F32 ? DType::F32 : GgmlType(t.type) == GgmlType::F16 ? DType::F16 : DType::BF16;
    decodeToFloat(dt, (*view)->data(), t.numel(), out.data());
    return out;
}

} // namespace qs
