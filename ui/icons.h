#pragma once
// Toolbar and tree icons, drawn with QPainter at every requested size (no image plugin
// needed: the Debian Qt has no SVG image format installed by default). One flat style:
// 1.5 px strokes in slate grey with one accent colour.
#include <QIcon>

namespace qs {

enum class IconId {
    App,       // staircase logo (also the window icon)
    Open,      // folder
    Demo,      // flask
    Go,        // arrow right (open what is typed)
    Analyze,   // bars + play
    Export,    // tray with arrow up
    Copy,      // two sheets
    Refresh,   // circular arrow
    Cancel,    // x in circle
    Group,     // small folder (tree)
    Tensor,    // 3x3 grid (tree)
    Filter,    // funnel
};

QIcon icon(IconId id);

} // namespace qs
