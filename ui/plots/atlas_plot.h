#pragma once
// Heat map of a model atlas (issue #11): one format, layers down, tensor kinds across,
// each cell coloured by its worst member's metric value (empty cells transparent),
// colour bar labelled with the metric and its unit. Builder like plot_builders.h;
// renderAtlasHeatmap writes it as PNG (temporary name + rename; errors name the file).
#include "analysis/atlas.h"
#include "common/result.h"

#include <QString>

class QCustomPlot;

namespace qs {

void buildAtlasHeatmapPlot(QCustomPlot* plot, const Atlas& atlas, size_t format);
Result<void> renderAtlasHeatmap(const Atlas& atlas, size_t format, const QString& path);

} // namespace qs
