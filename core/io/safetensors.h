#pragma once
// safetensors header parsing and validation (HF_HUB.md §12.1).
//
// Layout: bytes 0-7 = N (u64 little-endian), bytes 8..8+N = a UTF-8 JSON object
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
// then the data section; offsets are relative to its start (file offset 8+N).
//
// Checks: file >= 8 bytes; N <= 100,000,000 and 8+N <= file size; valid UTF-8 JSON
// object; __metadata__ maps strings to strings; every entry has a string dtype, a shape
// of non-negative integers, integer data_offsets with begin <= end <= data size, byte
// length = numel x bits / 8 in whole bytes (overflow-checked), no overlaps, no duplicate
// names. Holes between tensors are accepted (never read). Unknown dtype names are kept
// (DType::Unknown: listable, not decodable; their byte length cannot be checked).
// Every failure is an Error (exitCode 2) whose message starts with "<file>: " and names
// the tensor/field and what was expected.
#include "common/progress.h"
#include "common/result.h"
#include "io/dtype.h"
#include "io/file_provider.h"

#include <QString>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace qs {

inline constexpr uint64_t kSafetensorsMaxHeader = 100'000'000;

struct SafetensorsTensor {
    std::string name;
    std::string dtypeName;   // as written
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    uint64_t begin = 0;      // relative to the data section
    uint64_t end = 0;
    int64_t numel() const;
};

struct SafetensorsHeader {
    QString file;                 // as named in messages (repo-relative path)
    uint64_t fileSize = 0;
    uint64_t headerLength = 0;    // N
    std::vector<SafetensorsTensor> tensors;  // sorted by name (byte-wise)
    std::vector<std::pair<std::string, std::string>> metadata;

    uint64_t dataStart() const { return 8 + headerLength; }
    uint64_t dataSize() const { return fileSize - 8 - headerLength; }
    const SafetensorsTensor* find(const std::string& name) const;
};

// Validates the 8-byte length prefix against the file size; returns N.
Result<uint64_t> parseHeaderLength(const QString& file, const uint8_t* prefix, uint64_t prefixSize,
                                   uint64_t fileSize);

// Parses and validates the JSON header bytes json[0, headerLength) in time linear in
// the header (one SAX pass, nesting bounded by kJsonMaxDepth); progress, if given, is
// polled for cancellation ("Cancelled.").
Result<SafetensorsHeader> parseHeader(const QString& file, const uint8_t* json, uint64_t headerLength,
                                      uint64_t fileSize, const Progress* progress = nullptr);

// Reads and validates one file's header through a provider (prefix, then header).
Result<SafetensorsHeader> readHeader(FileProvider& provider, const QString& file,
                                     Progress* progress = nullptr);

// Overflow-checked numel of a shape; false on overflow past INT64_MAX.
bool checkedNumel(const std::vector<int64_t>& shape, int64_t* numel);
// "[10, 10]" for messages.
std::string shapeList(const std::vector<int64_t>& shape);

} // namespace qs
