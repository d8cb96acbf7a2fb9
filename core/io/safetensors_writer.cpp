#include "io/safetensors_writer.h"

#include "formats/minifloat.h"
#include "io/json_util.h"
#include "io/safetensors.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

#include <cerrno>
#include <cstring>

#include <cstring>
#include <set>

namespace qs {

// float32 -> IEEE binary16, round to nearest even (after ryg's float_to_half_fast3_rtne):
// >= 2^16 (or rounding up to it) -> Inf, NaN -> quiet NaN with the top payload bits,
// below 2^-14 -> subnormal via an exact-RNE float addition of a magic constant.
uint16_t floatToF16(float value)
{
    uint32_t u;
    std::memcpy(&u, &value, 4);
    const uint32_t sign = u & 0x80000000u;
    u ^= sign;
    uint16_t o;
    if (u >= 0x47800000u) {  // >= 2^16, Inf or NaN
        o = u > 0x7F800000u ? uint16_t(0x7E00 | ((u >> 13) & 0x3FF)) : uint16_t(0x7C00);
    } else if (u < 0x38800000u) {  // < 2^-14: subnormal or zero
        const uint32_t magicBits = uint32_t((127 - 15) + (23 - 10) + 1) << 23;
        float f, magic;
        std::memcpy(&f, &u, 4);
        std::memcpy(&magic, &magicBits, 4);
        f += magic;
        uint32_t r;
        std::memcpy(&r, &f, 4);
        o = uint16_t(r - magicBits);
    } else {
        const uint32_t mantOdd = (u >> 13) & 1u;
        u += (uint32_t(15 - 127) << 23) + 0xFFFu;
        u += mantOdd;
        o = uint16_t(u >> 13);
    }
    return uint16_t(o | (sign >> 16));
}

std::vector<uint8_t> encodeFloats(DType t, std::span<const float> v)
{
    std::vector<uint8_t> out;
    switch (t) {
    case DType::F32:
        out.resize(v.size() * 4);
        if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
        break;
    case DType::BF16:
    case DType::F16:
        out.resize(v.size() * 2);
        for (size_t i = 0; i < v.size(); ++i) {
            const uint16_t h = t == DType::BF16 ? bf16BitsRef(v[i]) : floatToF16(v[i]);
            std::memcpy(out.data() + 2 * i, &h, 2);
        }
        break;
    case DType::F8_E4M3:
        out.resize(v.size());
        for (size_t i = 0; i < v.size(); ++i) out[i] = encodeE4M3(v[i], true);
        break;
    case DType::F8_E5M2:
        out.resize(v.size());
        for (size_t i = 0; i < v.size(); ++i) out[i] = encodeE5M2(v[i], true);
        break;
    default:
        break;
    }
    return out;
}

Result<std::vector<uint8_t>> buildSafetensorsHeader(const QString& path, const std::vector<TensorSpec>& specs,
                                                    const SafetensorsMetadata& metadata, uint64_t* dataBytes)
{
    const std::string f = toStd(QFileInfo(path).fileName());
    nlohmann::ordered_json root = nlohmann::ordered_json::object();
    if (!metadata.empty()) {
        nlohmann::ordered_json m = nlohmann::ordered_json::object();
        for (const auto& [k, v] : metadata) m[k] = v;
        root["__metadata__"] = std::move(m);
    }
    std::set<std::string> names;
    uint64_t offset = 0;
    for (const auto& s : specs) {
        const std::string at = f + ": tensor \"" + s.name + "\": ";
        if (s.name.empty() || s.name == "__metadata__")
            return Error::model(f + ": invalid tensor name \"" + s.name + "\"");
        if (firstInvalidUtf8(reinterpret_cast<const uint8_t*>(s.name.data()), s.name.size()) >= 0)
            return Error::model(f + ": tensor name is not valid UTF-8");
        if (!names.insert(s.name).second) return Error::model(at + "appears twice");
        const int bytes = dtypeBytes(s.dtype);
        if (bytes <= 0 || s.dtype == DType::Unknown)
            return Error::model(at + "dtype " + std::string(dtypeName(s.dtype)) + " cannot be written");
        int64_t numel = 0;
        uint64_t len = 0;
        if (!checkedNumel(s.shape, &numel) || __builtin_mul_overflow(uint64_t(numel), uint64_t(bytes), &len) ||
            __builtin_add_overflow(offset, len, &len))
            return Error::model(at + "shape " + shapeList(s.shape) + " is invalid or too large");
        nlohmann::ordered_json e;
        e["dtype"] = std::string(dtypeName(s.dtype));
        e["shape"] = s.shape;
        e["data_offsets"] = {offset, len};
        root[s.name] = std::move(e);
        offset = len;
    }
    std::string json;
    try {
        json = root.dump();
    } catch (const std::exception& e) {
        return Error::model(f + ": cannot encode the header: " + e.what());
    }
    while ((8 + json.size()) % 8 != 0) json.push_back(' ');
    std::vector<uint8_t> out(8 + json.size());
    uint64_t n = json.size();
    for (int i = 0; i < 8; ++i) out[size_t(i)] = uint8_t(n >> (8 * i));
    std::memcpy(out.data() + 8, json.data(), json.size());
    *dataBytes = offset;
    return out;
}

// The OS's reason for a failed write (errno) when Qt has none better.
static std::string ioCause(const QFileDevice& f, int savedErrno)
{
    const QString qt = f.errorString();
    if (savedErrno != 0 && (qt.isEmpty() || qt == QLatin1String("Unknown error"))) return std::strerror(savedErrno);
    return toStd(qt);
}

SafetensorsWriter::~SafetensorsWriter()
{
    if (m_file) m_file->cancelWriting();
}

Result<std::unique_ptr<SafetensorsWriter>> SafetensorsWriter::create(const QString& path, std::vector<TensorSpec> specs,
                                                                     const SafetensorsMetadata& metadata)
{
    std::unique_ptr<SafetensorsWriter> w(new SafetensorsWriter);
    w->m_path = path;
    auto header = buildSafetensorsHeader(path, specs, metadata, &w->m_dataBytes);
    if (!header) return header.error();
    const QFileInfo fi(path);
    if (!QDir().mkpath(fi.absolutePath()))
        return Error::model(toStd(path) + ": cannot create the folder " + toStd(fi.absolutePath()));
    w->m_file = std::make_unique<QSaveFile>(path);
    if (!w->m_file->open(QIODevice::WriteOnly))
        return Error::model(toStd(path) + ": cannot write: " + toStd(w->m_file->errorString()));
    w->m_headerBytes = header->size();
    if (w->m_file->write(reinterpret_cast<const char*>(header->data()), qint64(header->size())) != qint64(header->size()))
        return Error::model(toStd(path) + ": write failed: " + toStd(w->m_file->errorString()));
    return w;
}

Result<void> SafetensorsWriter::write(const void* data, uint64_t bytes)
{
    if (!m_file) return Error::model(toStd(m_path) + ": already committed");
    if (bytes > m_dataBytes - m_written)
        return Error::model(toStd(m_path) + ": more tensor bytes written than the header declares (" +
                            std::to_string(m_dataBytes) + ")");
    const char* p = static_cast<const char*>(data);
    while (bytes > 0) {
        const qint64 chunk = qint64(std::min<uint64_t>(bytes, 1ull << 30));
        if (m_file->write(p, chunk) != chunk)
            return Error::model(toStd(m_path) + ": write failed: " + ioCause(*m_file, errno));
        p += chunk;
        bytes -= uint64_t(chunk);
        m_written += uint64_t(chunk);
    }
    return {};
}

Result<void> SafetensorsWriter::commit()
{
    if (!m_file) return Error::model(toStd(m_path) + ": already committed");
    if (m_written != m_dataBytes)
        return Error::model(toStd(m_path) + ": " + std::to_string(m_written) + " tensor bytes written but the header declares " +
                            std::to_string(m_dataBytes));
    // Flush first so a full disk reports its real cause (QSaveFile alone says "Unknown error").
    errno = 0;
    if (!m_file->flush()) {
        const std::string cause = ioCause(*m_file, errno);
        m_file.reset();  // discards the temporary file
        return Error::model(toStd(m_path) + ": cannot save: " + cause);
    }
    errno = 0;
    const bool ok = m_file->commit();
    const std::string err = ioCause(*m_file, errno);
    m_file.reset();
    if (!ok) return Error::model(toStd(m_path) + ": cannot save: " + err);
    return {};
}

Result<void> writeSafetensors(const QString& path, const std::vector<TensorData>& tensors,
                              const SafetensorsMetadata& metadata)
{
    std::vector<TensorSpec> specs;
    for (const auto& t : tensors) specs.push_back(t.spec);
    auto w = SafetensorsWriter::create(path, specs, metadata);
    if (!w) return w.error();
    for (const auto& t : tensors) {
        int64_t numel = 0;
        checkedNumel(t.spec.shape, &numel);
        const uint64_t need = uint64_t(numel) * uint64_t(dtypeBytes(t.spec.dtype));
        if (t.bytes.size() != need)
            return Error::model(toStd(QFileInfo(path).fileName()) + ": tensor \"" + t.spec.name + "\": " +
                                std::to_string(t.bytes.size()) + " bytes given but " +
                                std::string(dtypeName(t.spec.dtype)) + " " + shapeList(t.spec.shape) + " needs " +
                                std::to_string(need));
        QS_TRY((*w)->write(t.bytes.data(), t.bytes.size()));
    }
    return (*w)->commit();
}

} // namespace qs
