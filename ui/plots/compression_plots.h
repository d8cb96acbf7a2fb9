#pragma once
// Plot builders of the mixed-tile compression artefacts (WQ.md §5) and of
// `quantscope sweep`: the tile map, size versus accuracy, the random samples scatter and
// the sweep plot with its Pareto front. Like every builder (plot_builders.h) they only
// draw plain data onto a fresh QCustomPlot; the GUI shows the same builders and the
// headless PNGs go through savePlotPng (plot_render.h). Colours from plots/palette.h.
//
// renderMixedPngs() is the analysis engine's PngRenderer (analysis/wq_run.h): it writes
// <slug>_assignment.png, <slug>_size_vs_accuracy.png and, for mixed-tile-random,
// <slug>.png into dir; errors name the file (exitCode 1).
#include "analysis/wq_run.h"
#include "common/result.h"

#include <QString>

#include <cstdint>
#include <string>
#include <vector>

class QCustomPlot;

namespace qs {

// The random-samples scatter draws at most this many samples (evenly thinned).
inline constexpr size_t kRandomPlotMaxPoints = 20000;

// One colour per format; x = tile column, y = tile row (row 0 at the top).
struct TileMapData {
    std::string title;
    int64_t tilesH = 0, tilesW = 0;
    std::vector<int8_t> codes;            // tilesH * tilesW, row-major; -1 = fp32 (none)
    std::vector<std::string> formats;     // code -> registry name
    std::vector<int64_t> counts;          // per format (legend)
    std::vector<double> bytes;            // per format (legend)
};
void buildTileMapPlot(QCustomPlot* plot, const TileMapData& data);

struct SizeAccuracyPoint {
    std::string key;     // registry name, or "mixed"
    std::string label;   // legend text
    double bytes = 0;
    double metric = 0;
};
// Pure formats as one marker each, the mixed result as a star; dashed threshold line.
struct SizeAccuracyData {
    std::string title;
    std::string metricLabel;     // "PCC", "MAE", "ATOL"
    bool logMetric = false;      // mae/atol/wrel on a log axis
    double threshold = 0;
    bool showThreshold = true;
    std::vector<SizeAccuracyPoint> points;
};
void buildSizeAccuracyPlot(QCustomPlot* plot, const SizeAccuracyData& data);

// PCC versus size of every random sample: green >= 0.999, amber >= 0.99, red below;
// the chosen sample circled.
struct RandomSamplesData {
    std::string title;
    std::vector<double> bytes, pcc;
    int64_t chosen = -1;
};
void buildRandomSamplesPlot(QCustomPlot* plot, const RandomSamplesData& data);

// Size versus metric over all thresholds and tensors of a sweep: one series per pure
// format and one for the mixed results, the Pareto front drawn as a line.
// With xLabel set, x is plotted as given (e.g. bits per element, to compare tensors of
// different sizes) and no Pareto front is drawn; a point's tag (the tensor) appears in the
// hover read-out.
struct SweepPlotData {
    std::string title;
    std::string metricLabel;
    bool higherIsBetter = true;
    bool logMetric = false;
    std::string xLabel;  // empty: device bytes in a unit that fits, with the Pareto front
    struct Point { std::string key; std::string label; double bytes = 0; double metric = 0; std::string tag; };
    std::vector<Point> points;
};
void buildSweepPlot(QCustomPlot* plot, const SweepPlotData& data);

// Data of the artefacts of one tensor.
TileMapData tileMapData(const MixedArtefacts& a);
SizeAccuracyData sizeAccuracyData(const MixedArtefacts& a);
RandomSamplesData randomSamplesData(const MixedArtefacts& a);

// The PngRenderer for runWq.
Result<void> renderMixedPngs(const MixedArtefacts& a, const QString& dir, const QString& slug);

} // namespace qs
