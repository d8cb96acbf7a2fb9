#pragma once
// The fixed colour of each number format, shared by every plot and widget (tile maps,
// size-vs-accuracy scatters, curve plots, the GUI's format checklist), so a format looks
// the same everywhere. Header only; unknown names get nullopt (callers pick a fallback,
// e.g. from fallbackColor(index)).
#include <QColor>

#include <optional>
#include <string_view>

namespace qs {

// bf16 blue, bfp8 green, bfp4 amber, bfp2 red, fp0 grey, mxfp4 purple, nvfp4 teal.
inline std::optional<QColor> formatColor(std::string_view name)
{
    struct Entry { std::string_view name; QRgb rgb; };
    static constexpr Entry kPalette[] = {
        {"bf16", 0x1f77b4},   // blue
        {"bfp8", 0x2ca02c},   // green
        {"bfp4", 0xf0a30a},   // amber
        {"bfp2", 0xd62728},   // red
        {"fp0", 0x7f7f7f},    // grey
        {"mxfp4", 0x9467bd},  // purple
        {"nvfp4", 0x17becf},  // teal
        {"fp32", 0x202020},   // unquantized tiles (assignment code -1)
        {"none", 0x202020},
    };
    for (const Entry& e : kPalette)
        if (e.name == name) return QColor::fromRgb(e.rgb);
    return std::nullopt;
}

// A stable colour for anything without a palette entry (index = position in a list).
inline QColor fallbackColor(int index)
{
    static constexpr QRgb kMore[] = {0x8c564b, 0xe377c2, 0xbcbd22, 0x393b79, 0x637939, 0x8c6d31, 0x843c39, 0x7b4173};
    return QColor::fromRgb(kMore[unsigned(index) % (sizeof kMore / sizeof kMore[0])]);
}

inline QColor formatColorOr(std::string_view name, int index)
{
    return formatColor(name).value_or(fallbackColor(index));
}

} // namespace qs
