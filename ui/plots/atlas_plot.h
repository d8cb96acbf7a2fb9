#pragma once
// Heat map of a model atlas (issue #11): one format, layers down, tensor kinds across,
// each cell coloured by its worst member's metric value (empty cells transparent; under
// --sample a cell of which no band was drawn grey, counted in the title),
// colour bar labelled with the metric and its unit. Builder like plot_builders.h;
// renderAtlasHeatmap writes it as PNG (temporary name + rename; errors name the file).
#include "analysis/atlas.h"
#include "common/result.h"

#include <QString>
#include <QStringList>

#include <vector>

class QCustomPlot;

namespace qs {

void buildAtlasHeatmapPlot(QCustomPlot* plot, const Atlas& atlas, size_t format);

// The memory-budget plan on the atlas grid (issue #11 §2, the explorer's budget slider):
// each cell coloured by the format its tensors were given (index into atlas.formats; the
// caller picks one per cell, e.g. the format holding most of its elements), one colour
// per format (palette.h), empty cells (-1) transparent; a legend row below with
// legend[f] per format (an empty text leaves the format out). cellFormat is layers x kinds, row-major.
void buildAtlasPlanPlot(QCustomPlot* plot, const Atlas& atlas, const std::vector<int>& cellFormat,
                        const QStringList& legend, const QString& title);
Result<void> renderAtlasHeatmap(const Atlas& atlas, size_t format, const QString& path);

} // namespace qs
