#pragma once
// The fixed look of each number format, shared by every plot and widget (tile maps,
// size-vs-accuracy scatters, curve plots, the GUI's format checklist), so a format looks
// the same everywhere. Header only; unknown names get nullopt (callers pick a fallback,
// e.g. from fallbackColor(index)).
//
// Twenty-three formats cannot be told apart by hue alone, least of all by colour-blind eyes,
// so each format has a colour, a line style and a marker shape, and the three together are
// unique. The seven formats of the original tool (and the only ones a tile map shows) are
// solid lines in the hues users know; bfp8's green leans blue and mxfp4's purple leans red
// so that bfp8/bfp2 and bf16/mxfp4 stay apart for deuteranopes and protanopes. The other
// formats are dashed (FP8, MXFP8, MXFP6), dash-dotted (the original's proxies and ideal
// curves) or dotted (the emulated integer formats). Within one line style every two colours differ by ΔE76 ≥ 30 for normal vision
// and ≥ 15 under simulated deuteranopia, protanopia and tritanopia (Machado 2009, full
// severity); across styles by ΔE76 ≥ 20 (tests/ui/test_palette.cpp checks all of it).
#include <QColor>

#include <optional>
#include <span>
#include <string_view>

namespace qs {

// Marker shapes by index (plot_style.cpp maps them onto QCPScatterStyle).
enum class Marker : int { Disc, Square, Diamond, Triangle, TriangleInverted, Cross, Plus, Circle, Star,
                          CrossSquare, PlusSquare, CrossCircle, PlusCircle, Peace };

struct FormatStyle {
    std::string_view name;
    QRgb rgb;
    Qt::PenStyle line;
    Marker marker;
};

inline std::span<const FormatStyle> formatStyles()
{
    static constexpr FormatStyle kStyles[] = {
        {"bf16", 0x1f77b4, Qt::SolidLine, Marker::Disc},               // blue
        {"bfp8", 0x009e73, Qt::SolidLine, Marker::Square},             // bluish green
        {"bfp4", 0xf0a30a, Qt::SolidLine, Marker::Diamond},            // amber
        {"bfp2", 0xd62728, Qt::SolidLine, Marker::Triangle},           // red
        {"fp0", 0x555555, Qt::SolidLine, Marker::Cross},               // dark grey
        {"mxfp4", 0xcc79a7, Qt::SolidLine, Marker::TriangleInverted},  // reddish purple
        {"nvfp4", 0x17becf, Qt::SolidLine, Marker::Plus},              // teal
        {"fp8_e4m3", 0x8c564b, Qt::DashLine, Marker::Disc},            // brown
        {"fp8_e5m2", 0xb15928, Qt::DashLine, Marker::Square},          // rust
        {"mxfp8", 0x88ccee, Qt::DashLine, Marker::Diamond},            // light cyan
        {"mxfp8_e5m2", 0x332288, Qt::DashLine, Marker::Triangle},      // indigo
        {"mxfp6", 0x7570b3, Qt::DashLine, Marker::TriangleInverted},   // lavender
        {"mxfp6_e3m2", 0xbcbd22, Qt::DashLine, Marker::Plus},          // olive
        {"mxfp4_proxy", 0x882255, Qt::DashDotLine, Marker::Circle},    // wine
        {"nvfp4_proxy", 0xff7f0e, Qt::DashDotLine, Marker::CrossSquare},// orange
        {"bfp8_ideal", 0xe7298a, Qt::DashDotLine, Marker::PlusSquare}, // magenta
        {"bfp4_ideal", 0x228833, Qt::DashDotLine, Marker::CrossCircle},// green
        {"bfp2_ideal", 0xddcc77, Qt::DashDotLine, Marker::PlusCircle}, // sand
        {"int8", 0x3031d0, Qt::DotLine, Marker::Disc},                 // ultramarine
        {"int4_g128", 0xca264e, Qt::DotLine, Marker::Square},          // crimson
        {"int4_g128_asym", 0xa5cd68, Qt::DotLine, Marker::Diamond},    // light green
        {"int4_g32", 0x18b8ff, Qt::DotLine, Marker::Triangle},         // sky blue
        {"int4_g32_asym", 0x4d3c1a, Qt::DotLine, Marker::TriangleInverted}, // dark brown
    };
    return kStyles;
}

inline const FormatStyle* formatStyle(std::string_view name)
{
    for (const FormatStyle& s : formatStyles())
        if (s.name == name) return &s;
    return nullptr;
}

// Unquantized tiles (assignment code -1) and "no compression" are near-black.
inline std::optional<QColor> formatColor(std::string_view name)
{
    if (name == "fp32" || name == "none") return QColor::fromRgb(0x202020);
    if (const FormatStyle* s = formatStyle(name)) return QColor::fromRgb(s->rgb);
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
