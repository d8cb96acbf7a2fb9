#pragma once
// GGUF container reader (ggml's file format, version 2 and 3; docs/IMPORTANCE.md §1):
// the header — magic "GGUF", version, tensor and key/value counts, typed key/values,
// tensor infos — parsed from untrusted bytes with every count, length and offset checked
// against the bytes that exist, and F32 / F16 / BF16 tensor data decoded on request. The
// first user is the importance-matrix reader (core/io/importance.h); GGUF models can
// follow. Little-endian files only (what llama.cpp writes). QtCore only, no Qt types in
// the interface.
#include "common/result.h"
#include "io/file_provider.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qs {

// GGUF value types (gguf.h: GGUF_TYPE_*).
enum class GgufType : uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7, String = 8, Array = 9,
    U64 = 10, I64 = 11, F64 = 12
};

struct GgufValue {
    GgufType type = GgufType::U8;
    // Scalars: integers in i (signed) or u (unsigned), floats in f, bool in b.
    int64_t i = 0;
    uint64_t u = 0;
    double f = 0;
    bool b = false;
    std::string s;                   // String
    GgufType elemType = GgufType::U8;  // Array: element type and count
    uint64_t count = 0;
    std::vector<GgufValue> items;    // Array items (nested arrays allowed, depth-limited)

    // The value as an unsigned integer when it is a non-negative integer of any width.
    std::optional<uint64_t> asUInt() const;
};

struct GgufKv {
    std::string key;
    GgufValue value;
};

// ggml tensor types QuantScope decodes; others are listed but not read.
enum class GgmlType : uint32_t { F32 = 0, F16 = 1, BF16 = 30 };

struct GgufTensorInfo {
    std::string name;
    std::vector<int64_t> ne;  // ggml order: ne[0] varies fastest (the row length)
    uint32_t type = 0;        // ggml_type id
    uint64_t offset = 0;      // from the start of the data section
    int64_t numel() const;
};

struct GgufFile {
    uint32_t version = 0;
    std::vector<GgufKv> kv;
    std::vector<GgufTensorInfo> tensors;
    uint64_t alignment = 32;   // general.alignment
    uint64_t dataOffset = 0;   // absolute offset of the data section
    const GgufValue* find(const std::string& key) const;
    const GgufTensorInfo* tensor(const std::string& name) const;
};

// Parses the header from bytes [0, size) of `file` (named in messages). *truncated is set
// when the header runs past `size` (the caller may read more and try again).
Result<GgufFile> parseGgufHeader(const uint8_t* data, uint64_t size, const std::string& file, bool* truncated);

// Reads the header through a provider: a first range, growing until the header fits.
Result<GgufFile> readGgufHeader(FileProvider& provider, const QString& path);

// A tensor's elements as float, in ggml order (F32, F16 or BF16 only; others are refused
// with a message naming the tensor and its type). The range is checked against the file.
Result<std::vector<float>> readGgufTensor(FileProvider& provider, const QString& path, const GgufFile& gguf,
                                          const GgufTensorInfo& tensor);

} // namespace qs
