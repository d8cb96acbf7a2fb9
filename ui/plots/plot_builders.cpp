#include "plots/plot_builders.h"

#include "plots/plot_style.h"

#include "plots/qcp.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

QVector<double> toQVector(const std::vector<double>& v) { return QVector<double>(v.begin(), v.end()); }

QCPRange padded(double lo, double hi, double frac)
{
    if (!std::isfinite(lo) || !std::isfinite(hi)) return QCPRange(0, 1);
    if (hi <= lo) {
        const double d = std::max(std::fabs(lo) * 0.05, 1e-12);
        return QCPRange(lo - d, hi + d);
    }
    const double pad = (hi - lo) * frac;
    return QCPRange(lo - pad, hi + pad);
}

// A small grey annotation in the top-right corner of the axis rect.
void addCornerNote(QCustomPlot* plot, const QString& text)
{
    if (text.isEmpty()) return;
    auto* note = new QCPItemText(plot);
    note->setPositionAlignment(Qt::AlignTop | Qt::AlignRight);
    note->position->setType(QCPItemPosition::ptAxisRectRatio);
    note->position->setCoords(0.985, 0.02);
    note->setText(text);
    note->setColor(QColor(110, 110, 110));
    QFont f = plotAxisFont();
    f.setPixelSize(11);
    note->setFont(f);
    note->setClipToAxisRect(true);
}

void setCountAxis(QCustomPlot* plot, bool logY, double maxCount)
{
    plot->yAxis->setLabel(QStringLiteral("Count"));
    if (logY) {
        setLogAxis(plot->yAxis);
        plot->yAxis->setRange(0.5, std::max(10.0, maxCount * 2.5));
    } else {
        plot->yAxis->setRange(0, std::max(1.0, maxCount * 1.06));
    }
}

QCPColorGradient divergingGradient()
{
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setColorStopAt(0.0, QColor(49, 54, 149));
    g.setColorStopAt(0.25, QColor(116, 173, 209));
    g.setColorStopAt(0.5, QColor(247, 247, 247));
    g.setColorStopAt(0.75, QColor(244, 109, 67));
    g.setColorStopAt(1.0, QColor(165, 0, 38));
    g.setNanHandling(QCPColorGradient::nhNanColor);
    g.setNanColor(QColor(0, 0, 0));
    return g;
}

// Magnitudes from 0 (white) to the colour range (dark): the effective-weight map.
QCPColorGradient sequentialGradient()
{
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setColorStopAt(0.0, QColor(255, 255, 255));
    g.setColorStopAt(0.35, QColor(253, 190, 133));
    g.setColorStopAt(0.7, QColor(230, 85, 13));
    g.setColorStopAt(1.0, QColor(110, 20, 5));
    g.setNanHandling(QCPColorGradient::nhNanColor);
    g.setNanColor(QColor(0, 0, 0));
    return g;
}

} // namespace

void buildCurvePlot(QCustomPlot* plot, const CurvePlotData& data)
{
    applyPlotTheme(plot, qs(data.title));
    const QVector<double> x = toQVector(data.x);
    double ylo = std::numeric_limits<double>::infinity(), yhi = -ylo;
    for (size_t i = 0; i < data.curves.size(); ++i) {
        const PlotCurve& c = data.curves[i];
        QCPGraph* g = plot->addGraph();
        g->setName(qs(c.label));
        g->setData(x, toQVector(c.y), true);
        QPen pen(curveColor(c.key, int(i)), c.reference ? 1.3 : 1.7);
        pen.setStyle(curveLineStyle(c.key));
        g->setPen(pen);
        g->setLineStyle(data.stepped ? QCPGraph::lsStepLeft : QCPGraph::lsLine);
        for (double v : c.y)
            if (std::isfinite(v)) {
                ylo = std::min(ylo, v);
                yhi = std::max(yhi, v);
            }
    }
    plot->xAxis->setLabel(qs(data.xLabel));
    plot->yAxis->setLabel(qs(data.yLabel));
    if (!data.x.empty()) plot->xAxis->setRange(padded(data.x.front(), data.x.back(), 0.01));
    plot->yAxis->setRange(std::isfinite(ylo) ? padded(ylo, yhi, 0.04) : QCPRange(0, 1));
    plot->legend->setVisible(!data.curves.empty());
    placeLegend(plot, Qt::AlignTop | Qt::AlignLeft, 8);
}

void buildHistogramPlot(QCustomPlot* plot, const HistogramData& data)
{
    applyPlotTheme(plot, qs(data.title));
    auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
    const int n = int(data.counts.size());
    const double width = n > 0 ? (data.hi - data.lo) / n : 1.0;
    bars->setWidth(width);
    bars->setWidthType(QCPBars::wtPlotCoords);
    bars->setPen(Qt::NoPen);
    bars->setBrush(QColor(52, 118, 186));
    bars->setBaseValue(data.logY ? 0.5 : 0.0);
    bars->setName(QStringLiteral("values"));
    QVector<double> keys, values;
    double maxCount = 0;
    for (int i = 0; i < n; ++i) {
        const double c = data.counts[size_t(i)];
        maxCount = std::max(maxCount, c);
        if (data.logY && c <= 0) continue;
        keys.push_back(data.lo + (i + 0.5) * width);
        values.push_back(c);
    }
    bars->setData(keys, values, true);
    plot->xAxis->setLabel(QStringLiteral("Value"));
    plot->xAxis->setRange(padded(data.lo, data.hi, 0.01));
    setCountAxis(plot, data.logY, maxCount);
    addCornerNote(plot, QStringLiteral("%1 finite values · %2").arg(data.total).arg(qs(data.binRule)));
}

void buildErrorHistogramPlot(QCustomPlot* plot, const ErrorHistogramData& data)
{
    applyPlotTheme(plot, qs(data.title));
    const int n = data.bins;
    const double width = n > 0 ? (data.hi - data.lo) / n : 1.0;
    QVector<double> keys;
    for (int i = 0; i < n; ++i) keys.push_back(data.lo + (i + 0.5) * width);
    double maxCount = 0;
    for (size_t s = 0; s < data.series.size(); ++s) {
        const auto& series = data.series[s];
        QCPGraph* g = plot->addGraph();
        g->setName(qs(series.label));
        QVector<double> values;
        for (double c : series.counts) {
            maxCount = std::max(maxCount, c);
            values.push_back(data.logY && c <= 0 ? 0.3 : c);  // below the axis: drawn as a drop
        }
        g->setData(keys, values, true);
        g->setLineStyle(QCPGraph::lsStepCenter);
        g->setPen(QPen(curveColor(series.key, int(s)), 1.5));
    }
    plot->xAxis->setLabel(QStringLiteral("Reconstructed − original"));
    plot->xAxis->setRange(padded(data.lo, data.hi, 0.01));
    setCountAxis(plot, data.logY, maxCount);
    plot->legend->setVisible(!data.series.empty());
    placeLegend(plot, Qt::AlignTop | Qt::AlignLeft, 8);
    if (data.sampled < data.total)
        addCornerNote(plot, QStringLiteral("sample of %1 of %2 elements").arg(data.sampled).arg(data.total));
    else
        addCornerNote(plot, QStringLiteral("%1 elements").arg(data.total));
}

void buildHeatmapPlot(QCustomPlot* plot, const HeatmapData& data)
{
    applyPlotTheme(plot, qs(data.title));
    auto* map = new QCPColorMap(plot->xAxis, plot->yAxis);
    map->setName(QStringLiteral("heatmap"));
    const double bc = double(data.blockCols), br = double(data.blockRows);
    map->data()->setSize(std::max(1, data.nx), std::max(1, data.ny));
    map->data()->setRange(QCPRange(bc / 2, (std::max(1, data.nx) - 1) * bc + bc / 2),
                          QCPRange(br / 2, (std::max(1, data.ny) - 1) * br + br / 2));
    for (int iy = 0; iy < data.ny; ++iy)
        for (int ix = 0; ix < data.nx; ++ix)
            map->data()->setCell(ix, iy, double(data.cells[size_t(iy) * size_t(data.nx) + size_t(ix)]));
    map->setInterpolate(false);
    map->setTightBoundary(true);
    map->setGradient(data.effective ? sequentialGradient() : divergingGradient());
    const double range = data.colorRange > 0 ? double(data.colorRange) : data.absMax > 0 ? double(data.absMax) : 1.0;
    map->setDataRange(data.effective ? QCPRange(0, range) : QCPRange(-range, range));

    auto* scale = new QCPColorScale(plot);
    plot->plotLayout()->addElement(1, 1, scale);
    scale->setType(QCPAxis::atRight);
    scale->setGradient(map->gradient());
    scale->setDataRange(map->dataRange());
    scale->setBarWidth(14);
    scale->axis()->setTickLabelFont(plotAxisFont());
    scale->axis()->setLabelFont(plotAxisFont());
    const bool blocks = data.blockRows * data.blockCols > 1;
    QString scaleLabel = data.effective ? (blocks ? QStringLiteral("|W|·√E[x²] (block max)") : QStringLiteral("|W|·√E[x²]"))
                                        : (blocks ? QStringLiteral("value (block max-abs)") : QStringLiteral("value"));
    if (data.colorRange > 0 && data.colorRange < data.absMax)
        scaleLabel += data.effective ? QStringLiteral(", saturates beyond %1").arg(double(data.colorRange), 0, 'g', 3)
                                     : QStringLiteral(", saturates beyond ±%1").arg(double(data.colorRange), 0, 'g', 3);
    scale->axis()->setLabel(scaleLabel);
    map->setColorScale(scale);
    auto* group = new QCPMarginGroup(plot);
    plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    scale->setMarginGroup(QCP::msBottom | QCP::msTop, group);

    plot->yAxis->setRangeReversed(true);
    plot->xAxis->setLabel(QStringLiteral("column (K axis)"));
    plot->yAxis->setLabel(QStringLiteral("row"));
    plot->xAxis->setRange(0, double(data.cols));
    plot->yAxis->setRange(0, double(data.rows));
    keepDataAspect(plot);
    QString note = QString::fromStdString(data.note);
    if (data.blockRows * data.blockCols > 1) {
        if (!note.isEmpty()) note += QStringLiteral(" · ");
        note += QStringLiteral("%1×%2 blocks per cell").arg(data.blockRows).arg(data.blockCols);
    }
    if (!note.isEmpty()) {
        // Below the plot, so it never hides data.
        auto* footer = new QCPTextElement(plot, note, plotAxisFont());
        footer->setTextColor(QColor(110, 110, 110));
        plot->plotLayout()->addElement(2, 0, footer);
    }
    updateHeatmapTileGrid(plot);
}

void updateHeatmapTileGrid(QCustomPlot* plot)
{
    const double w = plot->xAxis->range().size(), h = plot->yAxis->range().size();
    const bool tiles = w <= 48 * 32 && h <= 48 * 32;
    for (QCPAxis* ax : {plot->xAxis, plot->yAxis}) {
        if (tiles) {
            auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
            ticker->setTickStep(32);
            ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
            ax->setTicker(ticker);
            ax->grid()->setPen(QPen(QColor(0, 0, 0, 70), 1, Qt::SolidLine));
            ax->grid()->setZeroLinePen(QPen(QColor(0, 0, 0, 70), 1, Qt::SolidLine));
            ax->grid()->setLayer(QStringLiteral("axes"));
            ax->grid()->setVisible(true);
        } else {
            ax->setTicker(QSharedPointer<QCPAxisTicker>::create());
            ax->grid()->setVisible(false);
        }
    }
}

void buildMessagePlot(QCustomPlot* plot, const QString& title, const QString& message)
{
    applyPlotTheme(plot, title);
    for (QCPAxis* ax : {plot->xAxis, plot->yAxis, plot->xAxis2, plot->yAxis2}) ax->setVisible(false);
    auto* text = new QCPItemText(plot);
    text->position->setType(QCPItemPosition::ptAxisRectRatio);
    text->position->setCoords(0.5, 0.45);
    text->setText(message);
    text->setColor(QColor(120, 120, 120));
    QFont f = plotAxisFont();
    f.setPixelSize(14);
    text->setFont(f);
}

} // namespace qs
