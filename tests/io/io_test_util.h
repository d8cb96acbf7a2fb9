#pragma once
// Helpers shared by the io tests: an in-memory FileProvider (records prefetch calls,
// can pose as remote) and builders for small safetensors files / models.
#include "io/file_provider.h"
#include "io/safetensors_writer.h"

#include <QByteArray>
#include <QFile>
#include <QString>

#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace qs::test {

class MemoryProvider final : public FileProvider {
public:
    std::map<QString, std::vector<uint8_t>> files;
    bool remote = false;
    std::vector<std::vector<ByteRange>> prefetches;  // every prefetch() call
    int reads = 0;
    std::vector<ByteRange> readLog;                  // every read() call

    QString describe() const override { return QStringLiteral("/mem/model"); }
    QString repoName() const override { return QStringLiteral("model"); }
    QString resultsName() const override { return QStringLiteral("model"); }
    QString revision() const override { return QStringLiteral("local"); }
    Result<QStringList> listFiles(Progress* = nullptr) override
    {
        QStringList out;
        for (const auto& [k, v] : files) out.push_back(k);
        return out;
    }
    bool hasFile(const QString& path) override { return files.count(path) != 0; }
    Result<uint64_t> fileSize(const QString& path) override
    {
        auto it = files.find(path);
        if (it == files.end()) return Error::model(path.toStdString() + ": no such file");
        return uint64_t(it->second.size());
    }
    Result<ByteViewPtr> read(const QString& path, uint64_t offset, uint64_t length, Progress* = nullptr) override
    {
        ++reads;
        readLog.push_back({path, offset, length});
        auto it = files.find(path);
        if (it == files.end()) return Error::model(path.toStdString() + ": no such file");
        const auto& f = it->second;
        if (offset > f.size() || length > f.size() - offset)
            return Error::model(path.toStdString() + ": range beyond the end");
        // A fresh exact-size heap copy: ASan sees any read past the range.
        std::vector<uint8_t> copy(f.begin() + std::ptrdiff_t(offset), f.begin() + std::ptrdiff_t(offset + length));
        return ByteViewPtr(std::make_shared<BufferView>(std::move(copy)));
    }
    Result<void> prefetch(const std::vector<ByteRange>& ranges, Progress* = nullptr) override
    {
        prefetches.push_back(ranges);
        return {};
    }
    bool isRemote() const override { return remote; }

    void put(const QString& name, const std::string& text) { files[name] = std::vector<uint8_t>(text.begin(), text.end()); }
};

struct RawTensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
};

// The bytes of a safetensors file with these tensors (our writer's layout).
inline std::vector<uint8_t> safetensorsBytes(const std::vector<RawTensor>& tensors,
                                             const SafetensorsMetadata& meta = {})
{
    std::vector<TensorSpec> specs;
    for (const auto& t : tensors) specs.push_back({t.name, t.dtype, t.shape});
    uint64_t dataBytes = 0;
    auto header = buildSafetensorsHeader(QStringLiteral("x.safetensors"), specs, meta, &dataBytes);
    std::vector<uint8_t> out = header.ok() ? *header : std::vector<uint8_t>{};
    for (const auto& t : tensors) out.insert(out.end(), t.bytes.begin(), t.bytes.end());
    return out;
}

// A file from a raw header string: 8-byte length + json + data bytes.
inline std::vector<uint8_t> rawFile(const std::string& json, const std::vector<uint8_t>& data = {})
{
    const uint64_t n = json.size();
    std::vector<uint8_t> out(8 + json.size() + data.size());
    for (int i = 0; i < 8; ++i) out[size_t(i)] = uint8_t(n >> (8 * i));
    if (!json.empty()) std::memcpy(out.data() + 8, json.data(), json.size());
    if (!data.empty()) std::memcpy(out.data() + 8 + json.size(), data.data(), data.size());
    return out;
}

inline std::vector<uint8_t> floatsAs(DType t, const std::vector<float>& v)
{
    return encodeFloats(t, v);
}

inline std::vector<float> ramp(size_t n, float scale = 0.01f)
{
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = scale * float(int(i % 97) - 48);
    return v;
}

inline bool writeFile(const QString& path, const std::vector<uint8_t>& bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return false;
    return f.write(reinterpret_cast<const char*>(bytes.data()), qint64(bytes.size())) == qint64(bytes.size());
}

inline bool writeFile(const QString& path, const std::string& text)
{
    return writeFile(path, std::vector<uint8_t>(text.begin(), text.end()));
}

inline uint32_t bitsOf(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

} // namespace qs::test
