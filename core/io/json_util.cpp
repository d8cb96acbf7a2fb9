#include "io/json_util.h"

#include <cstring>
#include <unordered_set>
#include <vector>

namespace qs {

int64_t firstInvalidUtf8(const uint8_t* p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        // ASCII fast path, 8 bytes at a time
        if (i + 8 <= n) {
            uint64_t w;
            std::memcpy(&w, p + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        const uint8_t c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        int len;
        uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c == 0xE0) {
            len = 3; lo = 0xA0;
        } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
            len = 3;
        } else if (c == 0xED) {
            len = 3; hi = 0x9F;  // no UTF-16 surrogates
        } else if (c == 0xF0) {
            len = 4; lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3) {
            len = 4;
        } else if (c == 0xF4) {
            len = 4; hi = 0x8F;  // <= U+10FFFF
        } else {
            return int64_t(i);
        }
        if (i + len > n) return int64_t(i);
        if (p[i + 1] < lo || p[i + 1] > hi) return int64_t(i);
        for (int k = 2; k < len; ++k)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF) return int64_t(i);
        i += len;
    }
    return -1;
}

namespace {

// Tracks the keys of every open object to find repeated keys (nlohmann keeps the last).
struct DupTracker {
    struct Level {
        std::unordered_set<std::string> keys;
        std::string name;  // key under which this object sits
    };
    std::vector<Level> stack;
    std::string pendingKey;
    bool found = false;
    JsonDuplicate dup;
};

std::string stripExceptionPrefix(const char* what)
{
    std::string s = what;
    // "[json.exception.parse_error.101] parse error at ..." -> "parse error at ..."
    if (!s.empty() && s[0] == '[') {
        const auto close = s.find("] ");
        if (close != std::string::npos) s = s.substr(close + 2);
    }
    return s;
}

} // namespace

Result<ParsedJson> parseJsonStrict(const QString& file, const char* what, const uint8_t* data,
                                   size_t size)
{
    const std::string prefix = toStd(file) + ": " + what;
    const int64_t bad = firstInvalidUtf8(data, size);
    if (bad >= 0) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", data[bad]);
        return Error::model(prefix + " is not valid UTF-8 (byte " + hex + " at offset " +
                            std::to_string(bad) + ")");
    }
    DupTracker t;
    using json = nlohmann::json;
    json::parser_callback_t cb = [&t](int, json::parse_event_t ev, json& parsed) -> bool {
        switch (ev) {
        case json::parse_event_t::object_start:
            t.stack.push_back({{}, t.pendingKey});
            t.pendingKey.clear();
            break;
        case json::parse_event_t::object_end:
            if (!t.stack.empty()) t.stack.pop_back();
            break;
        case json::parse_event_t::array_start:
            t.pendingKey.clear();
            break;
        case json::parse_event_t::key:
            if (!t.stack.empty() && parsed.is_string()) {
                const std::string& k = parsed.get_ref<const std::string&>();
                if (!t.stack.back().keys.insert(k).second && !t.found) {
                    t.found = true;
                    t.dup.depth = int(t.stack.size());
                    t.dup.key = k;
                    t.dup.parent = t.stack.back().name;
                }
                t.pendingKey = k;
            }
            break;
        default:
            break;
        }
        return true;
    };
    ParsedJson out;
    try {
        const char* b = reinterpret_cast<const char*>(data);
        out.value = json::parse(b, b + size, cb, /*allow_exceptions=*/true, /*ignore_comments=*/false);
    } catch (const json::exception& e) {
        return Error::model(prefix + " is not valid JSON: " + stripExceptionPrefix(e.what()));
    } catch (const std::exception& e) {
        return Error::model(prefix + " could not be parsed: " + e.what());
    }
    out.hasDuplicate = t.found;
    out.duplicate = t.dup;
    return out;
}

std::string jsonShort(const nlohmann::json& v, size_t maxChars)
{
    std::string s;
    try {
        s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } catch (...) {
        s = "?";
    }
    if (s.size() > maxChars) {
        size_t cut = maxChars;
        while (cut > 0 && (uint8_t(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
        s = s.substr(0, cut) + "...";
    }
    return s;
}

std::string jsonKind(const nlohmann::json& v)
{
    switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
        return v.get<int64_t>() < 0 ? "a negative integer" : "an integer";
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a non-integer number";
    default: return "an unsupported value";
    }
}

std::string toStd(const QString& s)
{
    return s.toStdString();
}

QString toQ(const std::string& s)
{
    return QString::fromStdString(s);
}

} // namespace qs
