#pragma once
// Plot builders: draw a plot data struct (plot_data.h) onto a freshly constructed
// QCustomPlot. They only draw — every number was computed before (plot_compute.h) — and
// they are the single drawing code for the explorer's panels and the headless
// `quantscope plot` PNGs. Interactivity (zoom, pan, legend toggles) is added by the
// window on top and never changes what a builder draws.
#include "plots/plot_data.h"

#include <QString>

class QCustomPlot;

namespace qs {

// Transfer curve (plot weights) and synthetic staircase (plot synth): one graph per
// curve, Ideal dashed, legend in the top-left corner.
void buildCurvePlot(QCustomPlot* plot, const CurvePlotData& data);
inline void buildTransferPlot(QCustomPlot* plot, const CurvePlotData& data) { buildCurvePlot(plot, data); }
inline void buildSynthPlot(QCustomPlot* plot, const CurvePlotData& data) { buildCurvePlot(plot, data); }

// Value histogram: bars over [lo, hi], linear or log count axis.
void buildHistogramPlot(QCustomPlot* plot, const HistogramData& data);

// Error histograms: one step outline per format over shared bins.
void buildErrorHistogramPlot(QCustomPlot* plot, const ErrorHistogramData& data);

// Heat map with a symmetric diverging colour scale (an effective-weight map: a sequential
// scale from 0); rows grow downwards.
void buildHeatmapPlot(QCustomPlot* plot, const HeatmapData& data);
// Shows the 32 x 32 tile grid when the visible part is at most ~48 tiles wide and tall;
// builders call it once, the window again whenever the axes' range changes.
void updateHeatmapTileGrid(QCustomPlot* plot);

// An empty plot with a centred message (empty states).
void buildMessagePlot(QCustomPlot* plot, const QString& title, const QString& message);

} // namespace qs
