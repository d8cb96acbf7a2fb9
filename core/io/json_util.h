#pragma once
// Strict JSON parsing for untrusted model files (safetensors headers, the shard index,
// config.json, compression configs): explicit UTF-8 validation, one linear SAX pass with
// duplicate-key detection and a nesting bound (kJsonMaxDepth), and bounded value
// renderings for error messages. Never throws; failures are Errors naming the file.
#include "common/progress.h"
#include "common/result.h"

#include <QString>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace qs {

// Offset of the first byte that is not part of well-formed UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are ill-formed), or -1 if all is valid.
// Deepest nesting of objects/arrays accepted; deeper documents are refused at parse time
// so that nothing downstream (messages, serialization, destructors) recurses without bound.
inline constexpr int kJsonMaxDepth = 64;

int64_t firstInvalidUtf8(const uint8_t* data, size_t size);

// Writing results: JSON has no Inf or NaN, so a non-finite value is written as null and
// named in the object's "nonfinite" map ("inf", "-inf", or "n/a" for a value that is not
// defined); the document stays valid JSON that every parser reads, and nothing is lost.
void putNumber(nlohmann::json& obj, const char* key, double v);

struct JsonDuplicate {
    int depth = 0;        // 1 = a key of the top-level object
    std::string key;      // the repeated key
    std::string parent;   // key of the enclosing object ("" at depth 1)
};

struct ParsedJson {
    nlohmann::json value;
    bool hasDuplicate = false;
    JsonDuplicate duplicate;  // the first duplicate key found, if any
};

// Parses data[0, size) as one JSON document (surrounding whitespace allowed) after
// checking it is valid UTF-8. what says what the bytes are ("header", "index") for the
// message: "<file>: <what> is not valid JSON: ...". exitCode of the error is 2. Time
// and memory are linear in size; cancel (if given) is polled during the parse
// ("Cancelled.", exit 2).
Result<ParsedJson> parseJsonStrict(const QString& file, const char* what, const uint8_t* data,
                                   size_t size, const Progress* cancel = nullptr);

// A compact rendering of v for messages, cut to about maxChars characters; never
// serializes more of v than that (safe on huge untrusted values).
std::string jsonShort(const nlohmann::json& v, size_t maxChars = 60);
// "an object", "a string", "a negative integer" ... for "expected X, got Y" messages.
std::string jsonKind(const nlohmann::json& v);

// Small helpers shared by the model layer.
std::string toStd(const QString& s);
QString toQ(const std::string& s);

} // namespace qs
