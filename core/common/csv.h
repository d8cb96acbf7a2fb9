#pragma once
// CSV field quoting (RFC 4180): a field with a comma, quote or newline is wrapped in
// quotes with inner quotes doubled. Header-only, plain C++; never fails.
#include <string>

namespace qs {

inline std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s) {
        if (ch == '"') q += '"';
        q += ch;
    }
    return q + "\"";
}

} // namespace qs
