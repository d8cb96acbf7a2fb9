#pragma once
// The look shared by every plot (window and headless PNG): fonts, axis and grid pens,
// the legend, and the colour of a curve chosen from its key, so a format has the same
// colour in every panel. Format colours come from plots/palette.h.
#include <QColor>
#include <QFont>
#include <QString>

#include <string>

class QCustomPlot;

namespace qs {

// Colour of a curve key: "ideal", a registry format name ("bfp8"), or a synth variant
// ("bfp8_ideal", "bfp8_rand"). Unknown keys get a stable colour from their index.
QColor curveColor(const std::string& key, int index);
// Dashed for the "(ideal exp)" variants and the Ideal line.
bool curveDashed(const std::string& key);

// Applies the common theme to a freshly constructed plot (builders always draw on a new
// QCustomPlot, so nothing of an earlier picture can leak into the next): white
// background, light grid, axis fonts, and a title element in a new top row.
void applyPlotTheme(QCustomPlot* plot, const QString& title);

// Matrix plots (heat map, tile map): one data unit is as many pixels across as down, so a
// 512x256 matrix is drawn twice as tall as wide. Before every replot the axis whose range
// is too small for the axis rect's shape is widened about its centre (never narrowed, so
// no data is clipped); zoom and pan keep working.
void keepDataAspect(QCustomPlot* plot);
// Title font / axis font used by the theme (also by the colour scale).
QFont plotTitleFont();
QFont plotAxisFont();

} // namespace qs
