#pragma once
// Escaping of untrusted text (tensor names, file names, messages) for the terminal:
// C0 control characters (ESC, CR, BS, ...), DEL and the UTF-8 encoded C1 controls
// (U+0080..U+009F, e.g. CSI) become "\xNN" so a hostile name cannot move the cursor,
// recolour, retitle or overwrite lines. Tab is kept; LF only when keepNewlines.
// Valid UTF-8 text is otherwise unchanged. Never fails.
#include <cstdio>
#include <string>

namespace qs {

inline std::string escapeControl(const std::string& text, bool keepNewlines = false)
{
    std::string out;
    out.reserve(text.size());
    auto hex = [&out](unsigned v) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02X", v);
        out += buf;
    };
    for (size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if ((c < 0x20 && c != '\t' && !(keepNewlines && c == '\n')) || c == 0x7F) {
            hex(c);
        } else if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
            hex(static_cast<unsigned char>(text[++i]));  // C1 control as UTF-8
        } else {
            out += char(c);
        }
    }
    return out;
}

} // namespace qs
