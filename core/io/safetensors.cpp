#include "io/safetensors.h"

#include "io/json_util.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace qs {

using nlohmann::json;

int64_t SafetensorsTensor::numel() const
{
    int64_t n = 0;
    return checkedNumel(shape, &n) ? n : -1;
}

const SafetensorsTensor* SafetensorsHeader::find(const std::string& name) const
{
    auto it = std::lower_bound(tensors.begin(), tensors.end(), name,
                               [](const SafetensorsTensor& t, const std::string& n) { return t.name < n; });
    return it != tensors.end() && it->name == name ? &*it : nullptr;
}

bool checkedNumel(const std::vector<int64_t>& shape, int64_t* numel)
{
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) return false;
        if (__builtin_mul_overflow(n, d, &n)) return false;
    }
    *numel = n;
    return true;
}

std::string shapeList(const std::vector<int64_t>& shape)
{
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

static std::string withThousands(uint64_t v)
{
    std::string d = std::to_string(v), out;
    for (size_t i = 0; i < d.size(); ++i) {
        if (i && (d.size() - i) % 3 == 0) out += ',';
        out += d[i];
    }
    return out;
}

Result<uint64_t> parseHeaderLength(const QString& file, const uint8_t* prefix, uint64_t prefixSize,
                                   uint64_t fileSize)
{
    const std::string f = toStd(file);
    if (fileSize < 8 || prefixSize < 8)
        return Error::model(f + ": file is " + std::to_string(fileSize) +
                            " bytes; a safetensors file starts with an 8-byte header length");
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | prefix[i];
    if (n > kSafetensorsMaxHeader)
        return Error::model(f + ": header length " + std::to_string(n) + " exceeds the limit of " +
                            withThousands(kSafetensorsMaxHeader) + " bytes (not a safetensors file?)");
    if (n > fileSize - 8)
        return Error::model(f + ": header length " + std::to_string(n) + " needs " + std::to_string(8 + n) +
                            " bytes but the file has only " + std::to_string(fileSize) + " (truncated?)");
    if (n < 2)
        return Error::model(f + ": header length " + std::to_string(n) +
                            " is too small for a JSON object (expected at least \"{}\")");
    return n;
}

namespace {

struct EntryCtx {
    const std::string& file;
    const std::string& name;
    std::string at() const { return file + ": tensor \"" + name + "\": "; }
};

// A non-negative JSON integer that fits in int64, else nullopt.
bool nonNegativeInt(const json& v, uint64_t* out)
{
    if (v.is_number_unsigned()) {
        *out = v.get<uint64_t>();
        return true;
    }
    if (v.is_number_integer()) {
        const int64_t s = v.get<int64_t>();
        if (s < 0) return false;
        *out = uint64_t(s);
        return true;
    }
    return false;
}

Result<SafetensorsTensor> parseEntry(const EntryCtx& c, const json& v, uint64_t dataSize)
{
    if (!v.is_object())
        return Error::model(c.at() + "expected an object with dtype, shape and data_offsets, got " +
                            jsonKind(v) + " " + jsonShort(v));
    SafetensorsTensor t;
    t.name = c.name;

    auto dt = v.find("dtype");
    if (dt == v.end()) return Error::model(c.at() + "missing \"dtype\"");
    if (!dt->is_string() || dt->get_ref<const std::string&>().empty())
        return Error::model(c.at() + "dtype must be a non-empty string such as \"BF16\", got " + jsonShort(*dt));
    t.dtypeName = dt->get<std::string>();
    t.dtype = dtypeFromName(t.dtypeName);

    auto sh = v.find("shape");
    if (sh == v.end()) return Error::model(c.at() + "missing \"shape\"");
    if (!sh->is_array())
        return Error::model(c.at() + "shape must be an array of non-negative integers, got " + jsonShort(*sh));
    for (const json& d : *sh) {
        uint64_t u = 0;
        if (!nonNegativeInt(d, &u) || u > uint64_t(std::numeric_limits<int64_t>::max()))
            return Error::model(c.at() + "shape must be an array of non-negative integers, got " +
                                jsonShort(*sh) + " (" + jsonShort(d) + " is " + jsonKind(d) + ")");
        t.shape.push_back(int64_t(u));
    }

    auto off = v.find("data_offsets");
    if (off == v.end()) return Error::model(c.at() + "missing \"data_offsets\"");
    if (!off->is_array() || off->size() != 2 || !nonNegativeInt((*off)[0], &t.begin) ||
        !nonNegativeInt((*off)[1], &t.end))
        return Error::model(c.at() + "data_offsets must be two non-negative integers [begin, end], got " +
                            jsonShort(*off));
    auto offs = [&t] { return "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]"; };  // messages only
    if (t.begin > t.end)
        return Error::model(c.at() + "data_offsets " + offs() + ": begin is after end");
    if (t.end > dataSize)
        return Error::model(c.at() + "data_offsets " + offs() + " end beyond the data section of " +
                            std::to_string(dataSize) + " bytes");

    int64_t numel = 0;
    if (!checkedNumel(t.shape, &numel))
        return Error::model(c.at() + "shape " + shapeList(t.shape) +
                            " has more elements than fit in a signed 64-bit count");
    const int bits = dtypeBits(t.dtype);
    if (bits > 0) {  // Unknown dtypes cannot be size-checked
        uint64_t totalBits = 0;
        if (__builtin_mul_overflow(uint64_t(numel), uint64_t(bits), &totalBits))
            return Error::model(c.at() + t.dtypeName + " " + shapeList(t.shape) + " is too large: its size in bits overflows 64 bits");
        if (totalBits % 8 != 0)
            return Error::model(c.at() + t.dtypeName + " " + shapeList(t.shape) + " is " +
                                std::to_string(totalBits) + " bits, not a whole number of bytes");
        const uint64_t need = totalBits / 8;
        if (t.end - t.begin != need)
            return Error::model(c.at() + "data_offsets " + offs() + " give " + std::to_string(t.end - t.begin) +
                                " bytes but " + t.dtypeName + " " + shapeList(t.shape) + " needs " +
                                std::to_string(need));
    }
    return t;
}

} // namespace

Result<SafetensorsHeader> parseHeader(const QString& file, const uint8_t* data, uint64_t headerLength,
                                      uint64_t fileSize, const Progress* progress)
{
    const std::string f = toStd(file);
    if (headerLength > kSafetensorsMaxHeader || fileSize < 8 || headerLength > fileSize - 8)
        return Error::model(f + ": header length " + std::to_string(headerLength) +
                            " does not fit in the file of " + std::to_string(fileSize) + " bytes");
    auto parsed = parseJsonStrict(file, "header", data, size_t(headerLength), progress);
    if (!parsed) return parsed.error();
    const json& root = parsed->value;
    if (!root.is_object())
        return Error::model(f + ": header must be a JSON object {\"name\": {...}}, got " + jsonKind(root) +
                            " " + jsonShort(root));
    if (parsed->hasDuplicate) {
        const JsonDuplicate& d = parsed->duplicate;
        if (d.depth == 1)
            return Error::model(f + ": tensor \"" + d.key + "\" appears more than once in the header");
        return Error::model(f + ": key \"" + d.key + "\" appears more than once in \"" + d.parent +
                            "\" of the header");
    }

    SafetensorsHeader h;
    h.file = file;
    h.fileSize = fileSize;
    h.headerLength = headerLength;
    const uint64_t dataSize = h.dataSize();
    h.tensors.reserve(root.size());
    size_t seen = 0;
    for (auto it = root.begin(); it != root.end(); ++it) {
        if ((++seen & 0xFFFF) == 0 && progress && progress->cancelled()) return Error::model("Cancelled.");
        if (it.key() == "__metadata__") {
            const json& m = it.value();
            if (!m.is_object())
                return Error::model(f + ": __metadata__ must be an object of string values, got " + jsonKind(m));
            for (auto mi = m.begin(); mi != m.end(); ++mi) {
                if (!mi.value().is_string())
                    return Error::model(f + ": __metadata__ must map strings to strings; \"" + mi.key() +
                                        "\" is " + jsonKind(mi.value()) + " " + jsonShort(mi.value()));
                h.metadata.emplace_back(mi.key(), mi.value().get<std::string>());
            }
            continue;
        }
        if (it.key().empty()) return Error::model(f + ": a tensor has an empty name");
        auto t = parseEntry(EntryCtx{f, it.key()}, it.value(), dataSize);
        if (!t) return t.error();
        h.tensors.push_back(std::move(*t));
    }
    // nlohmann's object is a std::map: already sorted by name (byte-wise).

    // Overlap check on the non-empty ranges, sorted by begin.
    std::vector<const SafetensorsTensor*> byOffset;
    byOffset.reserve(h.tensors.size());
    for (const auto& t : h.tensors)
        if (t.end > t.begin) byOffset.push_back(&t);
    std::sort(byOffset.begin(), byOffset.end(), [](auto* a, auto* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    for (size_t i = 1; i < byOffset.size(); ++i) {
        const auto* a = byOffset[i - 1];
        const auto* b = byOffset[i];
        if (b->begin < a->end)
            return Error::model(f + ": tensor \"" + b->name + "\" (data_offsets [" + std::to_string(b->begin) +
                                ", " + std::to_string(b->end) + "]) overlaps tensor \"" + a->name +
                                "\" (data_offsets [" + std::to_string(a->begin) + ", " +
                                std::to_string(a->end) + "])");
    }
    return h;
}

Result<SafetensorsHeader> readHeader(FileProvider& provider, const QString& file, Progress* progress)
{
    auto size = provider.fileSize(file);
    if (!size) return size.error();
    if (*size < 8) return parseHeaderLength(file, nullptr, 0, *size).error();
    auto prefix = provider.read(file, 0, 8, progress);
    if (!prefix) return prefix.error();
    auto n = parseHeaderLength(file, (*prefix)->data(), (*prefix)->size(), *size);
    if (!n) return n.error();
    auto bytes = provider.read(file, 8, *n, progress);
    if (!bytes) return bytes.error();
    if ((*bytes)->size() != *n)
        return Error::model(toStd(file) + ": read " + std::to_string((*bytes)->size()) + " header bytes, expected " +
                            std::to_string(*n));
    return parseHeader(file, (*bytes)->data(), *n, *size, progress);
}

} // namespace qs
