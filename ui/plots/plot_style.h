#pragma once
// The look shared by every plot (window and headless PNG): fonts, axis and grid pens,
// the legend, and the colour of a curve chosen from its key, so a format has the same
// colour in every panel. Format colours come from plots/palette.h.
#include <QColor>
#include <QFont>
#include <QString>

#include <string>

class QCustomPlot;
class QCPAxis;

namespace qs {

// Colour of a curve key: "ideal", a registry format name ("bfp8"), or a synth variant
// ("bfp8_ideal", "bfp8_rand"). Unknown keys get a stable colour from their index.
QColor curveColor(const std::string& key, int index);
// Line style of a curve key: the format's (palette.h), dashed for the Ideal line and for
// synth variants of formats without an entry of their own.
Qt::PenStyle curveLineStyle(const std::string& key);
// The format's marker (palette.h) as a QCPScatterStyle shape (an int: no QCP in this header).
int curveMarkerShape(const std::string& key, int index);

// Applies the common theme to a freshly constructed plot (builders always draw on a new
// QCustomPlot, so nothing of an earlier picture can leak into the next): white
// background, light grid, axis fonts, and a title element in a new top row.
void applyPlotTheme(QCustomPlot* plot, const QString& title);

// Matrix plots (heat map, tile map): one data unit is as many pixels across as down, so a
// 512x256 matrix is drawn twice as tall as wide. Before every replot the axis whose range
// is too small for the axis rect's shape is widened about its centre (never narrowed, so
// no data is clipped); zoom and pan keep working.
void keepDataAspect(QCustomPlot* plot);
// Legend placement: inside the axis rect at `corner` while it has at most `maxInside`
// entries, else in a column right of the axis rect, never over the data, wrapping into
// more columns when the entries do not fit the plot's height (re-fitted on every replot).
void placeLegend(QCustomPlot* plot, Qt::Alignment corner, int maxInside);
// Title font / axis font used by the theme (also by the colour scale).
// A base-10 logarithmic axis with powers of ten as labels (10^-3) and 8 sub-ticks.
void setLogAxis(QCPAxis* axis);

QFont plotTitleFont();
QFont plotAxisFont();

} // namespace qs
