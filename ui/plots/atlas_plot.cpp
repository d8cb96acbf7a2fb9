#include "plots/atlas_plot.h"

#include "plots/palette.h"
#include "plots/plot_render.h"
#include "plots/plot_style.h"
#include "plots/qcp.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs {

namespace {

// Kinds across, layers down (layer -1 = "other"), one cell per integer coordinate.
void atlasAxes(QCustomPlot* plot, const Atlas& a)
{
    const int nx = int(std::max<size_t>(1, a.kinds.size())), ny = int(std::max<size_t>(1, a.layers.size()));
    QSharedPointer<QCPAxisTickerText> xt(new QCPAxisTickerText), yt(new QCPAxisTickerText);
    for (size_t k = 0; k < a.kinds.size(); ++k) xt->addTick(double(k), QString::fromStdString(a.kinds[k]));
    const size_t step = std::max<size_t>(1, a.layers.size() / 40);
    for (size_t l = 0; l < a.layers.size(); l += step)
        yt->addTick(double(l), a.layers[l] < 0 ? QStringLiteral("other") : QString::number(a.layers[l]));
    plot->xAxis->setTicker(xt);
    plot->yAxis->setTicker(yt);
    plot->xAxis->setTickLabelRotation(60);
    plot->xAxis->setLabel(QStringLiteral("tensor kind"));
    plot->yAxis->setLabel(QStringLiteral("layer"));
    plot->yAxis->setRangeReversed(true);
    plot->xAxis->setRange(-0.5, double(nx) - 0.5);
    plot->yAxis->setRange(-0.5, double(ny) - 0.5);
}

} // namespace

void buildAtlasHeatmapPlot(QCustomPlot* plot, const Atlas& a, size_t f)
{
    const QString metric = QString::fromLatin1(atlasMetricName(a.metric)).toUpper();
    QString title = QStringLiteral("%1: %2 by layer and kind (worst tensor per cell)").arg(QString::fromStdString(a.formats[f]), metric);
    if (a.sampleFraction > 0)  // --sample: say so, and mark the estimated cells
        title += QStringLiteral("\nestimated from a %1% sample of 32-row bands (\u2248: estimated cell)")
                     .arg(a.sampleFraction * 100.0, 0, 'g', 6);
    int unsampled = 0;
    for (size_t l = 0; l < a.layers.size(); ++l)
        for (size_t k = 0; k < a.kinds.size(); ++k) unsampled += a.cell(f, l, k).notSampled();
    if (unsampled > 0) title += QStringLiteral("; grey: no band drawn (%1 cells)").arg(unsampled);
    applyPlotTheme(plot, title);
    const int nx = int(std::max<size_t>(1, a.kinds.size())), ny = int(std::max<size_t>(1, a.layers.size()));
    auto* map = new QCPColorMap(plot->xAxis, plot->yAxis);
    map->setName(QStringLiteral("atlas"));
    // two cells minimum per dimension so QCPColorMap can size them; the second stays NaN
    map->data()->setSize(std::max(2, nx), std::max(2, ny));
    map->data()->setRange(QCPRange(0, std::max(2, nx) - 1), QCPRange(0, std::max(2, ny) - 1));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (int y = 0; y < std::max(2, ny); ++y)
        for (int x = 0; x < std::max(2, nx); ++x) map->data()->setCell(x, y, nan);
    for (size_t l = 0; l < a.layers.size(); ++l)
        for (size_t k = 0; k < a.kinds.size(); ++k) {
            const AtlasCell& c = a.cell(f, l, k);
            if (c.notSampled()) {  // grey, under the map's transparent NaN
                if (a.kinds.size() * a.layers.size() <= 20000) {
                    auto* box = new QCPItemRect(plot);
                    box->setLayer(QStringLiteral("background"));
                    box->topLeft->setCoords(double(k) - 0.5, double(l) - 0.5);
                    box->bottomRight->setCoords(double(k) + 0.5, double(l) + 0.5);
                    box->setPen(Qt::NoPen);
                    box->setBrush(QColor(0xd0, 0xd0, 0xd0));
                }
                continue;
            }
            if (c.tensors == 0 || !std::isfinite(c.worstValue)) continue;
            map->data()->setCell(int(k), int(l), c.worstValue);
            lo = std::min(lo, c.worstValue), hi = std::max(hi, c.worstValue);
            if (c.estimate && a.kinds.size() * a.layers.size() <= 20000) {
                auto* mark = new QCPItemText(plot);
                mark->position->setCoords(double(k), double(l));
                mark->setText(QStringLiteral("\u2248"));
                mark->setFont(plotAxisFont());
                mark->setColor(Qt::white);
            }
        }
    if (!(lo <= hi)) lo = 0, hi = 1;
    if (lo == hi) lo -= 0.5, hi += 0.5;
    // An exact reconstruction (SQNR +inf) is drawn at the range's end it belongs to, not
    // left transparent like an empty cell; n/a (NaN) stays transparent.
    for (size_t l = 0; l < a.layers.size(); ++l)
        for (size_t k = 0; k < a.kinds.size(); ++k) {
            const AtlasCell& c = a.cell(f, l, k);
            if (c.tensors > 0 && std::isinf(c.worstValue)) map->data()->setCell(int(k), int(l), c.worstValue > 0 ? hi : lo);
        }
    map->setInterpolate(false);
    QCPColorGradient g(QCPColorGradient::gpJet);
    g.setNanHandling(QCPColorGradient::nhTransparent);
    // bad is red (jet's high end): invert for metrics where higher is better
    if (atlasHigherIsBetter(a.metric)) g = g.inverted();
    map->setGradient(g);
    map->setDataRange(QCPRange(lo, hi));

    auto* scale = new QCPColorScale(plot);
    plot->plotLayout()->addElement(1, 1, scale);
    scale->setType(QCPAxis::atRight);
    scale->setGradient(map->gradient());
    scale->setDataRange(map->dataRange());
    scale->setBarWidth(14);
    scale->axis()->setTickLabelFont(plotAxisFont());
    scale->axis()->setLabelFont(plotAxisFont());
    const QString unit = QString::fromLatin1(atlasMetricUnit(a.metric));
    scale->axis()->setLabel(unit.isEmpty() ? metric : QStringLiteral("%1 (%2)").arg(metric, unit));
    map->setColorScale(scale);
    auto* group = new QCPMarginGroup(plot);
    plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    scale->setMarginGroup(QCP::msBottom | QCP::msTop, group);

    atlasAxes(plot, a);
}

void buildAtlasPlanPlot(QCustomPlot* plot, const Atlas& a, const std::vector<int>& cellFormat, const QStringList& legend,
                        const QString& title)
{
    applyPlotTheme(plot, title);
    const int nx = int(std::max<size_t>(1, a.kinds.size())), ny = int(std::max<size_t>(1, a.layers.size()));
    const int levels = int(std::max<size_t>(2, a.formats.size()));
    std::vector<QColor> colours;
    for (size_t f = 0; f < a.formats.size(); ++f) colours.push_back(formatColorOr(a.formats[f], int(f)));
    while (int(colours.size()) < levels) colours.push_back(colours.empty() ? QColor(Qt::gray) : colours.back());
    auto* map = new QCPColorMap(plot->xAxis, plot->yAxis);
    map->setName(QStringLiteral("plan"));
    map->data()->setSize(std::max(2, nx), std::max(2, ny));
    map->data()->setRange(QCPRange(0, std::max(2, nx) - 1), QCPRange(0, std::max(2, ny) - 1));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (int y = 0; y < std::max(2, ny); ++y)
        for (int x = 0; x < std::max(2, nx); ++x) {
            const size_t i = size_t(y) * a.kinds.size() + size_t(x);
            const bool inside = x < int(a.kinds.size()) && y < int(a.layers.size()) && i < cellFormat.size();
            map->data()->setCell(x, y, inside && cellFormat[i] >= 0 ? double(cellFormat[i]) : nan);
        }
    QCPColorGradient g;
    g.clearColorStops();
    for (int i = 0; i < levels; ++i) g.setColorStopAt(double(i) / (levels - 1), colours[size_t(i)]);
    g.setLevelCount(levels);
    g.setNanHandling(QCPColorGradient::nhTransparent);
    map->setGradient(g);
    map->setInterpolate(false);
    map->setDataRange(QCPRange(0, levels - 1));
    map->removeFromLegend();
    // Legend: one square per format, in a row below the map (never over cells).
    for (size_t f = 0; f < a.formats.size(); ++f) {
        if (int(f) < legend.size() && legend[int(f)].isEmpty()) continue;
        QCPGraph* sw = plot->addGraph();
        sw->setLineStyle(QCPGraph::lsNone);
        sw->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, colours[f].darker(130), colours[f], 11));
        sw->setName(int(f) < legend.size() ? legend[int(f)] : QString::fromStdString(a.formats[f]));
    }
    plot->legend->setVisible(true);
    plot->legend->setFont(plotAxisFont());
    plot->legend->setBorderPen(QPen(QColor(200, 200, 200)));
    plot->axisRect()->insetLayout()->take(plot->legend);
    plot->plotLayout()->addElement(plot->plotLayout()->rowCount(), 0, plot->legend);
    plot->legend->setWrap(2);
    plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
    plot->plotLayout()->setRowStretchFactor(plot->plotLayout()->rowCount() - 1, 0.001);
    atlasAxes(plot, a);
}

Result<void> renderAtlasHeatmap(const Atlas& a, size_t f, const QString& path)
{
    const int w = std::clamp(300 + 60 * int(a.kinds.size()), 700, 2400);
    const int h = std::clamp(250 + 14 * int(a.layers.size()), 500, 2000);
    return savePlotPng([&](QCustomPlot* p) { buildAtlasHeatmapPlot(p, a, f); }, path, w, h);
}

} // namespace qs
