#pragma once
// Writing safetensors files (used by `quantscope export`, the demo generator, tests).
//
// Layout as the reference writer: 8-byte LE header length, the JSON header
// ("__metadata__" first, then the tensors in the given order) padded with spaces so
// the data starts at a multiple of 8, then the raw little-endian tensor bytes in the
// given order, contiguous. Only whole-byte dtypes (F32, F16, BF16, F8_*, I*, U8, BOOL,
// ...). Files are written to a temporary name next to the target and renamed on
// commit (QSaveFile), so a failure never leaves a half-written file.
// Errors (exitCode 2) name the file and the tensor: duplicate/empty names, sub-byte or
// unknown dtypes, byte counts that do not match dtype x shape, I/O failures.
#include "common/result.h"
#include "io/dtype.h"

#include <QString>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

class QSaveFile;

namespace qs {

struct TensorSpec {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
};

struct TensorData {
    TensorSpec spec;
    std::span<const uint8_t> bytes;  // numel x dtype bytes, little-endian
};

using SafetensorsMetadata = std::vector<std::pair<std::string, std::string>>;

// Streaming writer: declare every tensor up front, then append the data section in
// order (any chunking), then commit(). Destroying it uncommitted discards the file.
class SafetensorsWriter {
public:
    static Result<std::unique_ptr<SafetensorsWriter>> create(const QString& path, std::vector<TensorSpec> specs,
                                                             const SafetensorsMetadata& metadata = {});
    ~SafetensorsWriter();

    Result<void> write(const void* data, uint64_t bytes);
    Result<void> commit();  // checks every declared byte was written, then renames

    uint64_t dataBytes() const { return m_dataBytes; }
    uint64_t headerBytes() const { return m_headerBytes; }  // 8 + padded JSON

private:
    SafetensorsWriter() = default;
    QString m_path;
    std::unique_ptr<QSaveFile> m_file;
    uint64_t m_dataBytes = 0, m_written = 0, m_headerBytes = 0;
};

// Builds the padded header (length prefix + JSON) for specs; checks names and dtypes.
Result<std::vector<uint8_t>> buildSafetensorsHeader(const QString& path, const std::vector<TensorSpec>& specs,
                                                    const SafetensorsMetadata& metadata, uint64_t* dataBytes);

// One-shot: every tensor with its bytes.
Result<void> writeSafetensors(const QString& path, const std::vector<TensorData>& tensors,
                              const SafetensorsMetadata& metadata = {});

// Helpers to turn float32 values into stored bytes of a dtype (RNE; F32/F16/BF16/F8_E4M3
// (saturating)/F8_E5M2 (saturating)). Other dtypes: empty result.
std::vector<uint8_t> encodeFloats(DType t, std::span<const float> values);
// float32 -> IEEE binary16 bits, RNE; overflow -> Inf, NaN -> quiet NaN, subnormals exact.
uint16_t floatToF16(float value);

} // namespace qs
