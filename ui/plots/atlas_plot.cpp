#include "plots/atlas_plot.h"

#include "plots/plot_render.h"
#include "plots/plot_style.h"
#include "plots/qcp.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs {

void buildAtlasHeatmapPlot(QCustomPlot* plot, const Atlas& a, size_t f)
{
    const QString metric = QString::fromLatin1(atlasMetricName(a.metric)).toUpper();
    QString title = QStringLiteral("%1: %2 by layer and kind (worst tensor per cell)").arg(QString::fromStdString(a.formats[f]), metric);
    if (a.sampleFraction > 0)  // --sample: say so, and mark the estimated cells
        title += QStringLiteral(", estimated from a %1% sample of 32-row bands (\u2248: estimated cell)")
                     .arg(a.sampleFraction * 100.0, 0, 'g', 6);
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

Result<void> renderAtlasHeatmap(const Atlas& a, size_t f, const QString& path)
{
    const int w = std::clamp(300 + 60 * int(a.kinds.size()), 700, 2400);
    const int h = std::clamp(250 + 14 * int(a.layers.size()), 500, 2000);
    return savePlotPng([&](QCustomPlot* p) { buildAtlasHeatmapPlot(p, a, f); }, path, w, h);
}

} // namespace qs
