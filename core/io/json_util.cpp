#include "io/json_util.h"

#include <cmath>

#include <cstdio>
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

// Builds the DOM from SAX events in one linear pass, refusing nesting deeper than
// kJsonMaxDepth and recording the first repeated key of any object (nlohmann's callback
// parser rescans objects and is quadratic in their size; this is not).
class StrictSax {
public:
    using json = nlohmann::json;
    StrictSax(json& root, const Progress* cancel) : m_root(root), m_cancel(cancel) {}

    bool null() { return value(json(nullptr)); }
    bool boolean(bool b) { return value(json(b)); }
    bool number_integer(json::number_integer_t v) { return value(json(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return value(json(v)); }
    bool number_float(json::number_float_t v, const std::string&) { return value(json(v)); }
    bool string(json::string_t& s) { return value(json(std::move(s))); }
    bool binary(json::binary_t&) { return fail("binary values are not JSON"); }

    bool start_object(std::size_t) { return open(json::object()); }
    bool start_array(std::size_t) { return open(json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(json::string_t& k)
    {
        Level& l = m_stack.back();
        // one map lookup: insert, or find the repeated key (which keeps the last value,
        // as nlohmann does)
        auto [it, inserted] = l.node->get_ref<json::object_t&>().try_emplace(std::move(k), nullptr);
        if (!inserted) {
            if (!m_found) {
                m_found = true;
                m_dup.depth = int(m_stack.size());
                m_dup.key = it->first;
                m_dup.parent = l.name ? *l.name : std::string();
            }
            it->second = nullptr;
        }
        l.slot = &it->second;
        l.key = &it->first;
        return true;
    }

    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e)
    {
        if (m_message.empty()) m_message = stripExceptionPrefix(e.what());
        return false;
    }

    const std::string& message() const { return m_message; }
    bool cancelled() const { return m_cancelled; }
    bool found() const { return m_found; }
    const JsonDuplicate& duplicate() const { return m_dup; }

private:
    struct Level {
        json* node;
        json* slot = nullptr;             // object: the value for the last key
        const std::string* key = nullptr;  // object: the last key (map keys do not move)
        const std::string* name = nullptr; // key under which this container sits
    };

    bool fail(std::string m)
    {
        if (m_message.empty()) m_message = std::move(m);
        return false;
    }

    json* place(json&& v)
    {
        if (m_stack.empty()) {
            m_root = std::move(v);
            return &m_root;
        }
        Level& l = m_stack.back();
        if (l.node->is_array()) {
            l.node->push_back(std::move(v));
            return &l.node->back();
        }
        *l.slot = std::move(v);
        return l.slot;
    }

    bool value(json&& v)
    {
        if ((++m_events & 0xFFFF) == 0 && m_cancel && m_cancel->cancelled()) {
            m_cancelled = true;
            return fail("cancelled");
        }
        place(std::move(v));
        return true;
    }

    bool open(json&& v)
    {
        if (m_stack.size() >= size_t(kJsonMaxDepth))
            return fail("nesting deeper than " + std::to_string(kJsonMaxDepth) + " levels");
        const std::string* name = nullptr;
        if (!m_stack.empty() && m_stack.back().node->is_object()) name = m_stack.back().key;
        json* node = place(std::move(v));
        m_stack.push_back(Level{node, nullptr, nullptr, name});
        return true;
    }

    bool close()
    {
        m_stack.pop_back();
        return true;
    }

    json& m_root;
    const Progress* m_cancel;
    std::vector<Level> m_stack;
    std::string m_message;
    uint64_t m_events = 0;
    bool m_cancelled = false;
    bool m_found = false;
    JsonDuplicate m_dup;
};

} // namespace

Result<ParsedJson> parseJsonStrict(const QString& file, const char* what, const uint8_t* data,
                                   size_t size, const Progress* cancel)
{
    const std::string prefix = toStd(file) + ": " + what;
    const int64_t bad = firstInvalidUtf8(data, size);
    if (bad >= 0) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", data[bad]);
        return Error::model(prefix + " is not valid UTF-8 (byte " + hex + " at offset " +
                            std::to_string(bad) + ")");
    }
    using json = nlohmann::json;
    ParsedJson out;
    StrictSax sax(out.value, cancel);
    bool ok = false;
    try {
        const char* b = reinterpret_cast<const char*>(data);
        ok = json::sax_parse(b, b + size, &sax, json::input_format_t::json, /*strict=*/true,
                             /*ignore_comments=*/false);
    } catch (const json::exception& e) {
        return Error::model(prefix + " is not valid JSON: " + stripExceptionPrefix(e.what()));
    } catch (const std::exception& e) {
        return Error::model(prefix + " could not be parsed: " + e.what());
    }
    if (sax.cancelled()) return Error::model("Cancelled.");
    if (!ok)
        return Error::model(prefix + " is not valid JSON: " +
                            (sax.message().empty() ? std::string("parse error") : sax.message()));
    out.hasDuplicate = sax.found();
    out.duplicate = sax.duplicate();
    return out;
}

namespace {

// Appends a compact rendering of v to s, stopping once s is longer than limit; the
// recursion is bounded by the parse depth limit and by the output limit.
void appendShort(const nlohmann::json& v, std::string& s, size_t limit, int depth)
{
    using json = nlohmann::json;
    if (s.size() > limit) return;
    if (depth > kJsonMaxDepth) {
        s += "...";
        return;
    }
    switch (v.type()) {
    case json::value_t::object: {
        s += '{';
        bool first = true;
        for (auto it = v.begin(); it != v.end() && s.size() <= limit; ++it) {
            if (!first) s += ',';
            first = false;
            s += json(it.key()).dump(-1, ' ', false, json::error_handler_t::replace);
            s += ':';
            appendShort(it.value(), s, limit, depth + 1);
        }
        s += '}';
        return;
    }
    case json::value_t::array: {
        s += '[';
        bool first = true;
        for (auto it = v.begin(); it != v.end() && s.size() <= limit; ++it) {
            if (!first) s += ',';
            first = false;
            appendShort(*it, s, limit, depth + 1);
        }
        s += ']';
        return;
    }
    case json::value_t::string: {
        const std::string& str = v.get_ref<const std::string&>();
        // only a prefix of a long string is rendered
        const json cut(str.size() > limit + 8 ? str.substr(0, limit + 8) : str);
        s += cut.dump(-1, ' ', false, json::error_handler_t::replace);
        return;
    }
    default:
        s += v.dump(-1, ' ', false, json::error_handler_t::replace);
        return;
    }
}

} // namespace

std::string jsonShort(const nlohmann::json& v, size_t maxChars)
{
    std::string s;
    try {
        appendShort(v, s, maxChars, 0);
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

void putNumber(nlohmann::json& obj, const char* key, double v)
{
    if (std::isfinite(v)) {
        obj[key] = v;
        return;
    }
    obj[key] = nullptr;
    obj["nonfinite"][key] = std::isnan(v) ? "n/a" : v > 0 ? "inf" : "-inf";
}

} // namespace qs
