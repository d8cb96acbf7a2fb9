#include "plots/plan_plot.h"

#include "plots/plot_render.h"
#include "plots/plot_style.h"
#include "plots/qcp.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs {

namespace {

// Bytes shown in a unit that keeps the axis numbers short.
struct Unit {
    const char* name;
    double div;
};
Unit unitFor(double maxBytes)
{
    if (maxBytes >= 1e9) return {"GB", 1e9};
    if (maxBytes >= 1e6) return {"MB", 1e6};
    if (maxBytes >= 1e3) return {"KB", 1e3};
    return {"B", 1};
}

// The log axis cannot show 0: errors are floored at a tiny fraction of the largest.
double floorOf(const PlanCurveData& d)
{
    double hi = 0, lo = std::numeric_limits<double>::infinity();
    auto see = [&](double v) {
        if (std::isfinite(v) && v > 0) hi = std::max(hi, v), lo = std::min(lo, v);
    };
    for (const auto& p : d.curve) see(p.sse);
    for (const auto& u : d.uniform) see(u.sse);
    see(d.chosenSse);
    if (!(hi > 0)) return 1e-12;
    return std::max(lo, hi * 1e-12) * 0.5;
}

} // namespace

void buildPlanCurvePlot(QCustomPlot* plot, const PlanCurveData& d)
{
    applyPlotTheme(plot, QString::fromStdString(d.title));
    double maxBytes = d.budget;
    for (const auto& p : d.curve) maxBytes = std::max(maxBytes, p.bytes);
    for (const auto& u : d.uniform) maxBytes = std::max(maxBytes, u.bytes);
    const Unit unit = unitFor(maxBytes);
    const double floor = floorOf(d);
    auto y = [&](double v) { return std::isfinite(v) ? std::max(v, floor) : floor; };

    QCPGraph* curve = plot->addGraph();
    curve->setName(QStringLiteral("planner (Lagrangian hull)"));
    curve->setPen(QPen(QColor(40, 40, 40), 2));
    for (const auto& p : d.curve) curve->addData(p.bytes / unit.div, y(p.sse));

    int i = 0;
    for (const auto& u : d.uniform) {
        const QColor c = curveColor(u.format, i);
        QCPGraph* g = plot->addGraph();
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ScatterShape(curveMarkerShape(u.format, i)), c.darker(130), c, 10));
        g->setName(QString::fromStdString("all " + u.format));
        g->addData(u.bytes / unit.div, y(u.sse));
        auto* label = new QCPItemText(plot);
        label->position->setCoords(u.bytes / unit.div, y(u.sse));
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        label->setText(QString::fromStdString(" " + u.format));
        label->setColor(c.darker(150));
        label->setFont(plotAxisFont());
        ++i;
    }
    QCPGraph* chosen = plot->addGraph();
    chosen->setLineStyle(QCPGraph::lsNone);
    chosen->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssStar, QPen(QColor(200, 30, 30), 2), Qt::NoBrush, 16));
    chosen->setName(QStringLiteral("the plan"));
    chosen->addData(d.chosenBytes / unit.div, y(d.chosenSse));

    auto* line = new QCPItemStraightLine(plot);
    line->point1->setCoords(d.budget / unit.div, 0);
    line->point2->setCoords(d.budget / unit.div, 1);
    line->setPen(QPen(QColor(200, 30, 30), 1, Qt::DashLine));
    auto* text = new QCPItemText(plot);
    text->position->setTypeX(QCPItemPosition::ptPlotCoords);
    text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    text->position->setCoords(d.budget / unit.div, 0.02);
    text->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
    text->setText(QStringLiteral("budget %1 %2 ").arg(d.budget / unit.div, 0, 'g', 6).arg(QString::fromLatin1(unit.name)));
    text->setColor(QColor(200, 30, 30));
    text->setFont(plotAxisFont());

    plot->xAxis->setLabel(QStringLiteral("total device bytes (%1)").arg(QString::fromLatin1(unit.name)));
    plot->yAxis->setLabel(QString::fromStdString("total " + d.errorLabel));
    setLogAxis(plot->yAxis);
    plot->rescaleAxes();
    const QCPRange xr = plot->xAxis->range();
    plot->xAxis->setRange(std::max(0.0, xr.lower - 0.05 * xr.size()), std::max(xr.upper, d.budget / unit.div) + 0.08 * xr.size());
    const QCPRange yr = plot->yAxis->range();
    plot->yAxis->setRange(yr.lower / 2, yr.upper * 3);
    plot->legend->setVisible(true);
    placeLegend(plot, Qt::AlignTop | Qt::AlignRight, 8);
}

Result<void> renderPlanCurve(const PlanCurveData& d, const QString& path)
{
    return savePlotPng([&](QCustomPlot* p) { buildPlanCurvePlot(p, d); }, path, 900, 600);
}

} // namespace qs
