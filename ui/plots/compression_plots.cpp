#include "plots/compression_plots.h"

#include "plots/plot_readout.h"

#include "compression/mixed.h"
#include "compression/pareto.h"
#include "formats/format.h"
#include "plots/palette.h"
#include "plots/plot_render.h"
#include "plots/plot_style.h"
#include "plots/qcp.h"

#include <QDir>

#include <algorithm>
#include <cmath>

namespace qs {

namespace {

QString qstr(const std::string& s) { return QString::fromStdString(s); }

QString labelOf(const std::string& key)
{
    if (key == "mixed") return QStringLiteral("MIXED");
    if (const Format* f = findFormat(key)) return qstr(std::string(f->label));
    return qstr(key).toUpper();
}

QString thousands(double v)
{
    return QLocale(QLocale::English).toString(qlonglong(std::llround(v)));
}

// Bytes shown in B / KB / MB / GB (powers of 1000) picked from the largest value.
struct SizeUnit { double div; const char* name; };
SizeUnit sizeUnit(double maxBytes)
{
    if (maxBytes >= 1e9) return {1e9, "GB"};
    if (maxBytes >= 1e6) return {1e6, "MB"};
    if (maxBytes >= 1e3) return {1e3, "KB"};
    return {1, "bytes"};
}

QCPRange paddedRange(double lo, double hi, double frac, bool log)
{
    if (log) {
        lo = std::max(lo, 1e-300);
        hi = std::max(hi, lo);
        const double f = std::pow(hi / lo, frac);
        return hi > lo ? QCPRange(lo / std::max(f, 1.5), hi * std::max(f, 1.5)) : QCPRange(lo / 2, hi * 2);
    }
    if (!(hi > lo)) {
        const double d = std::max(std::fabs(lo) * 0.05, 1e-9);
        return QCPRange(lo - d, hi + d);
    }
    return QCPRange(lo - (hi - lo) * frac, hi + (hi - lo) * frac);
}

QCPGraph* scatterGraph(QCustomPlot* plot, const QColor& colour, QCPScatterStyle::ScatterShape shape, double size,
                       const QString& name)
{
    QCPGraph* g = plot->addGraph();
    g->setLineStyle(QCPGraph::lsNone);
    QCPScatterStyle style(shape, colour.darker(130), colour, size);
    g->setScatterStyle(style);
    g->setName(name);
    return g;
}

// Size plots: the legend goes right of the axis rect, so it never covers the best points.
void styleLegend(QCustomPlot* plot)
{
    plot->legend->setVisible(true);
    plot->legend->setFont(plotAxisFont());
    plot->legend->setBrush(QColor(255, 255, 255, 230));
    plot->legend->setBorderPen(QPen(QColor(200, 200, 200)));
    placeLegend(plot, Qt::AlignTop | Qt::AlignRight, 0);
}

} // namespace

void buildTileMapPlot(QCustomPlot* plot, const TileMapData& d)
{
    applyPlotTheme(plot, qstr(d.title));
    plot->xAxis->setLabel(QStringLiteral("tile column (32 columns each)"));
    plot->yAxis->setLabel(QStringLiteral("tile row (32 rows each)"));
    plot->xAxis->grid()->setVisible(false);
    plot->yAxis->grid()->setVisible(false);
    const int64_t W = std::max<int64_t>(d.tilesW, 1), H = std::max<int64_t>(d.tilesH, 1);
    // Levels: fp32 (code -1) first when present, then the formats in code order.
    const bool hasNone = std::find(d.codes.begin(), d.codes.end(), int8_t(-1)) != d.codes.end();
    std::vector<QColor> colours;
    if (hasNone) colours.push_back(formatColorOr("fp32", 0));
    for (size_t i = 0; i < d.formats.size(); ++i) colours.push_back(formatColorOr(d.formats[i], int(i)));
    const int levels = int(std::max<size_t>(colours.size(), 2));
    while (int(colours.size()) < levels) colours.push_back(colours.empty() ? QColor(Qt::gray) : colours.back());

    // A dimension of one tile gets two cells so QCPColorMap can size the cells.
    const int nx = int(W == 1 ? 2 : W), ny = int(H == 1 ? 2 : H);
    auto* map = new QCPColorMap(plot->xAxis, plot->yAxis);
    map->data()->setSize(nx, ny);
    const double hx = double(W) / (2.0 * nx), hy = double(H) / (2.0 * ny);
    map->data()->setRange(QCPRange(-0.5 + hx, W - 0.5 - hx), QCPRange(-0.5 + hy, H - 0.5 - hy));
    for (int iy = 0; iy < ny; ++iy)
        for (int ix = 0; ix < nx; ++ix) {
            const int64_t tw = ix * W / nx, th = iy * H / ny;
            const size_t t = size_t(th * d.tilesW + tw);
            const int code = t < d.codes.size() ? d.codes[t] : -1;
            map->data()->setCell(ix, iy, double(code + (hasNone ? 1 : 0)));
        }
    QCPColorGradient grad;
    grad.clearColorStops();
    for (int i = 0; i < levels; ++i) grad.setColorStopAt(double(i) / (levels - 1), colours[size_t(i)]);
    grad.setLevelCount(levels);
    map->setGradient(grad);
    map->setInterpolate(false);
    map->setDataRange(QCPRange(0, levels - 1));
    map->setTightBoundary(false);  // cells extend half a cell around their centres
    map->removeFromLegend();

    // Legend: one square per format with its tile count and bytes.
    for (size_t i = 0; i < d.formats.size(); ++i) {
        const int64_t count = i < d.counts.size() ? d.counts[i] : 0;
        const double bytes = i < d.bytes.size() ? d.bytes[i] : 0;
        scatterGraph(plot, colours[i + (hasNone ? 1 : 0)], QCPScatterStyle::ssSquare, 11,
                     QString("%1: %2 tiles, %3 B").arg(labelOf(d.formats[i])).arg(count).arg(thousands(bytes)));
    }
    if (hasNone) scatterGraph(plot, colours[0], QCPScatterStyle::ssSquare, 11, QStringLiteral("FP32 (unassigned)"));
    // Legend in its own row below the map, so it never hides tiles.
    plot->legend->setVisible(true);
    plot->legend->setFont(plotAxisFont());
    plot->legend->setBorderPen(QPen(QColor(200, 200, 200)));
    plot->axisRect()->insetLayout()->take(plot->legend);
    plot->plotLayout()->addElement(plot->plotLayout()->rowCount(), 0, plot->legend);
    plot->legend->setWrap(2);  // two entries per row; rearrange the entries added so far
    plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
    plot->plotLayout()->setRowStretchFactor(plot->plotLayout()->rowCount() - 1, 0.001);

    plot->xAxis->setRange(-0.5, W - 0.5);
    plot->yAxis->setRange(-0.5, H - 0.5);
    plot->yAxis->setRangeReversed(true);
    keepDataAspect(plot);
    auto intTicks = QSharedPointer<QCPAxisTickerFixed>::create();
    intTicks->setTickStep(1.0);
    intTicks->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    plot->xAxis->setTicker(intTicks);
    plot->yAxis->setTicker(intTicks);
}

void buildSizeAccuracyPlot(QCustomPlot* plot, const SizeAccuracyData& d)
{
    applyPlotTheme(plot, qstr(d.title));
    double maxBytes = 0, lo = INFINITY, hi = -INFINITY;
    for (const auto& p : d.points) {
        maxBytes = std::max(maxBytes, p.bytes);
        if (std::isfinite(p.metric) && (!d.logMetric || p.metric > 0)) { lo = std::min(lo, p.metric); hi = std::max(hi, p.metric); }
    }
    if (d.showThreshold && std::isfinite(d.threshold)) { lo = std::min(lo, d.threshold); hi = std::max(hi, d.threshold); }
    if (!std::isfinite(lo)) { lo = 0; hi = 1; }
    const SizeUnit unit = sizeUnit(maxBytes);
    plot->xAxis->setLabel(QString("Device size (%1, whole 32×32 tiles)").arg(unit.name));
    plot->yAxis->setLabel(qstr(d.metricLabel));
    if (d.logMetric) setLogAxis(plot->yAxis);
    int i = 0;
    for (const auto& p : d.points) {
        const bool mixed = p.key == "mixed";
        const QColor c = mixed ? QColor(20, 20, 20) : formatColorOr(p.key, i);
        const auto shape = QCPScatterStyle::ScatterShape(curveMarkerShape(p.key, i++));
        QCPGraph* g = scatterGraph(plot, c, mixed ? QCPScatterStyle::ssStar : shape, mixed ? 16 : 10,
                                   qstr(p.label.empty() ? labelOf(p.key).toStdString() : p.label));
        if (mixed) g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssStar, QPen(c, 2), Qt::NoBrush, 16));
        g->addData(p.bytes / unit.div, p.metric);
    }
    if (d.showThreshold && std::isfinite(d.threshold)) {
        auto* line = new QCPItemStraightLine(plot);
        line->point1->setCoords(0, d.threshold);
        line->point2->setCoords(1, d.threshold);
        line->setPen(QPen(QColor(120, 120, 120), 1, Qt::DashLine));
        auto* text = new QCPItemText(plot);
        text->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
        text->position->setTypeY(QCPItemPosition::ptPlotCoords);
        text->position->setCoords(0.01, d.threshold);
        text->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        text->setText(QString("threshold %1").arg(d.threshold, 0, 'g', 6));
        text->setColor(QColor(100, 100, 100));
        text->setFont(plotAxisFont());
    }
    plot->xAxis->setRange(paddedRange(0, maxBytes / unit.div, 0.06, false));
    plot->yAxis->setRange(paddedRange(lo, hi, 0.08, d.logMetric));
    styleLegend(plot);
}

void buildRandomSamplesPlot(QCustomPlot* plot, const RandomSamplesData& d)
{
    applyPlotTheme(plot, qstr(d.title));
    double maxBytes = 0, lo = 1, hi = 0;
    for (size_t i = 0; i < d.bytes.size(); ++i) {
        maxBytes = std::max(maxBytes, d.bytes[i]);
        if (std::isfinite(d.pcc[i])) { lo = std::min(lo, d.pcc[i]); hi = std::max(hi, d.pcc[i]); }
    }
    if (lo > hi) { lo = 0; hi = 1; }
    const SizeUnit unit = sizeUnit(maxBytes);
    plot->xAxis->setLabel(QString("Device size (%1, whole 32×32 tiles)").arg(unit.name));
    plot->yAxis->setLabel(QStringLiteral("PCC"));
    QCPGraph* green = scatterGraph(plot, QColor(44, 160, 44), QCPScatterStyle::ssDisc, 8, QStringLiteral("PCC ≥ 0.999"));
    QCPGraph* amber = scatterGraph(plot, QColor(240, 163, 10), QCPScatterStyle::ssDisc, 8, QStringLiteral("0.99 ≤ PCC < 0.999"));
    QCPGraph* red = scatterGraph(plot, QColor(214, 39, 40), QCPScatterStyle::ssDisc, 8, QStringLiteral("PCC < 0.99"));
    // Points are added in bulk (one sort per graph, not one insertion each) and thinned
    // to at most kRandomPlotMaxPoints evenly spaced samples; the chosen one is drawn below.
    QVector<double> kx[3], ky[3];
    const size_t n = d.bytes.size();
    const size_t stride = n > kRandomPlotMaxPoints ? (n + kRandomPlotMaxPoints - 1) / kRandomPlotMaxPoints : 1;
    for (size_t i = 0; i < n; i += stride) {
        const double p = d.pcc[i];
        const int g = p >= 0.999 ? 0 : p >= 0.99 ? 1 : 2;
        kx[g].push_back(d.bytes[i] / unit.div);
        ky[g].push_back(p);
    }
    green->addData(kx[0], ky[0]);
    amber->addData(kx[1], ky[1]);
    red->addData(kx[2], ky[2]);
    if (d.chosen >= 0 && size_t(d.chosen) < d.bytes.size()) {
        QCPGraph* c = plot->addGraph();
        c->setLineStyle(QCPGraph::lsNone);
        c->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(QColor(20, 20, 20), 2), Qt::NoBrush, 16));
        c->setName(QStringLiteral("chosen sample"));
        c->addData(d.bytes[size_t(d.chosen)] / unit.div, d.pcc[size_t(d.chosen)]);
    }
    plot->xAxis->setRange(paddedRange(0, maxBytes / unit.div, 0.06, false));
    plot->yAxis->setRange(paddedRange(lo, hi, 0.08, false));
    styleLegend(plot);
}

void buildSweepPlot(QCustomPlot* plot, const SweepPlotData& d)
{
    applyPlotTheme(plot, qstr(d.title));
    const bool rawX = !d.xLabel.empty();
    double maxBytes = 0, lo = INFINITY, hi = -INFINITY;
    std::vector<double> bytes, metric;
    for (const auto& p : d.points) {
        maxBytes = std::max(maxBytes, p.bytes);
        bytes.push_back(p.bytes);
        metric.push_back(p.metric);
        if (std::isfinite(p.metric) && (!d.logMetric || p.metric > 0)) { lo = std::min(lo, p.metric); hi = std::max(hi, p.metric); }
    }
    if (!std::isfinite(lo)) { lo = 0; hi = 1; }
    const SizeUnit unit = rawX ? SizeUnit{1, ""} : sizeUnit(maxBytes);
    plot->xAxis->setLabel(rawX ? qstr(d.xLabel) : QString("Device size (%1, whole 32×32 tiles)").arg(unit.name));
    plot->yAxis->setLabel(qstr(d.metricLabel));
    if (d.logMetric) setLogAxis(plot->yAxis);
    // One series per key, in first-appearance order; points sorted by x so that their
    // tags follow QCPGraph's own order.
    std::vector<std::string> keys;
    for (const auto& p : d.points)
        if (std::find(keys.begin(), keys.end(), p.key) == keys.end()) keys.push_back(p.key);
    for (size_t k = 0; k < keys.size(); ++k) {
        const bool mixed = keys[k] == "mixed";
        const QColor c = mixed ? QColor(20, 20, 20) : formatColorOr(keys[k], int(k));
        std::vector<const SweepPlotData::Point*> pts;
        for (const auto& p : d.points)
            if (p.key == keys[k]) pts.push_back(&p);
        std::stable_sort(pts.begin(), pts.end(), [](const auto* a, const auto* b) { return a->bytes < b->bytes; });
        const std::string label = pts.front()->label;
        const auto shape = QCPScatterStyle::ScatterShape(curveMarkerShape(keys[k], int(k)));
        QCPGraph* g = scatterGraph(plot, c, mixed ? QCPScatterStyle::ssStar : shape, mixed ? 12 : 8,
                                   qstr(label.empty() ? labelOf(keys[k]).toStdString() : label));
        if (mixed) g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssStar, QPen(c, 1.5), Qt::NoBrush, 12));
        QVector<double> xs, ys;
        QStringList tags;
        for (const auto* p : pts) {
            xs.push_back(p->bytes / unit.div);
            ys.push_back(p->metric);
            tags << qstr(p->tag);
        }
        g->setData(xs, ys, true);
        setPointLabels(g, tags);
    }
    const std::vector<size_t> front = rawX ? std::vector<size_t>{} : paretoFront(bytes, metric, d.higherIsBetter);
    if (!front.empty()) {
        QCPGraph* f = plot->addGraph();
        f->setName(QStringLiteral("Pareto front"));
        f->setLineStyle(QCPGraph::lsStepLeft);
        f->setPen(QPen(QColor(90, 90, 90), 1.5, Qt::DashLine));
        QVector<double> fx, fy;
        for (size_t i : front) { fx.push_back(bytes[i] / unit.div); fy.push_back(metric[i]); }
        f->setData(fx, fy, true);
        f->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(QColor(90, 90, 90), 1.5), Qt::NoBrush, 13));
    }
    plot->xAxis->setRange(paddedRange(0, maxBytes / unit.div, 0.06, false));
    plot->yAxis->setRange(paddedRange(lo, hi, 0.08, d.logMetric));
    styleLegend(plot);
}

TileMapData tileMapData(const MixedArtefacts& a)
{
    TileMapData d;
    d.title = a.tensor + "\n" + a.algorithm + " (" + a.metric + ", threshold " + QString::number(a.threshold, 'g', 6).toStdString() + ")";
    d.tilesH = a.tilesH;
    d.tilesW = a.tilesW;
    d.codes = a.assignment;
    d.formats = a.candidates;
    d.counts = a.mixedRow.tileCounts;
    d.bytes = a.mixedRow.tileBytes;
    return d;
}

SizeAccuracyData sizeAccuracyData(const MixedArtefacts& a)
{
    SizeAccuracyData d;
    MetricKind kind = MetricKind::Pcc;
    parseMetric(a.metric, kind);
    d.title = a.tensor + "\nsize vs " + a.metric;
    d.metricLabel = QString::fromStdString(a.metric).toUpper().toStdString();
    d.logMetric = !higherIsBetter(kind);  // errors (mae, atol, wrel) on a log axis; pcc and wsqnr (dB) linear
    d.threshold = a.threshold;
    for (const WqRow& r : a.baselineRows) {
        const double m = metricValue(r.metrics, kind);
        if (d.logMetric && !(m > 0)) continue;  // exact formats have no place on a log axis
        d.points.push_back({r.format, r.label, r.deviceBytes, m});  // device bytes: the tile algorithms' objective
    }
    d.points.push_back({"mixed", "MIXED (" + a.algorithm + ")", a.mixedRow.deviceBytes, metricValue(a.mixedRow.metrics, kind)});
    if (kind == MetricKind::Pcc) {
        // As the original: points below half the best PCC (fp0, ruined formats) would
        // squeeze every useful point into a line at the top; leave them out.
        double best = 0;
        for (const auto& p : d.points) best = std::max(best, p.metric);
        std::erase_if(d.points, [&](const SizeAccuracyPoint& p) { return p.key != "mixed" && p.metric < 0.5 * best; });
    }
    return d;
}

RandomSamplesData randomSamplesData(const MixedArtefacts& a)
{
    RandomSamplesData d;
    d.title = a.tensor + "\n" + std::to_string(a.samples.size()) + " random assignments";
    for (size_t i = 0; i < a.samples.size(); ++i) {
        d.bytes.push_back(a.samples[i].bytes);
        d.pcc.push_back(a.samples[i].metrics.pcc);
    }
    d.chosen = a.chosenSample;
    return d;
}

Result<void> renderMixedPngs(const MixedArtefacts& a, const QString& dir, const QString& slug)
{
    const TileMapData map = tileMapData(a);
    // Roughly square tiles, within 640..1600 pixels.
    const int w = int(std::clamp<int64_t>(a.tilesW * 12 + 160, 640, 1600));
    const int h = int(std::clamp<int64_t>(a.tilesH * 12 + 220, 480, 1600));
    QS_TRY(savePlotPng([&](QCustomPlot* p) { buildTileMapPlot(p, map); }, QDir(dir).filePath(slug + "_assignment.png"), w, h));
    const SizeAccuracyData sa = sizeAccuracyData(a);
    QS_TRY(savePlotPng([&](QCustomPlot* p) { buildSizeAccuracyPlot(p, sa); }, QDir(dir).filePath(slug + "_size_vs_accuracy.png"),
                       900, 600));
    if (!a.samples.empty()) {
        const RandomSamplesData rs = randomSamplesData(a);
        QS_TRY(savePlotPng([&](QCustomPlot* p) { buildRandomSamplesPlot(p, rs); }, QDir(dir).filePath(slug + ".png"), 900, 600));
    }
    return {};
}

} // namespace qs
