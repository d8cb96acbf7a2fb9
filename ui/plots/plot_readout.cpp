#include "plots/plot_readout.h"

#include "plots/qcp.h"

#include <QEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QPointer>

#include <cmath>
#include <limits>

namespace qs {

namespace {

constexpr const char* kLabelsProperty = "qsPointLabels";
constexpr double kScatterReach = 14.0;  // pixels

QString num(double v)
{
    if (std::isnan(v)) return QStringLiteral("NaN");
    if (std::isinf(v)) return v > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
    return QString::number(v, 'g', 6);
}

// The name of a plottable as the legend shows it, without a trailing "(…)" statistic.
QString shortName(const QCPAbstractPlottable* p)
{
    QString n = p->name();
    const qsizetype paren = n.indexOf(QStringLiteral(" ("));
    return paren > 0 ? n.left(paren) : n;
}

// Index of the data point whose key is nearest x (data sorted by key), or -1.
int nearestByKey(const QCPGraph* g, double x)
{
    const auto data = g->data();
    if (data->isEmpty()) return -1;
    auto it = data->findBegin(x, false);  // first point with key >= x (or end)
    int best = -1;
    double bestDist = std::numeric_limits<double>::infinity();
    for (auto c : {it, it == data->constBegin() ? it : it - 1}) {
        if (c == data->constEnd()) continue;
        const double d = std::fabs(c->key - x);
        if (d < bestDist) {
            bestDist = d;
            best = int(c - data->constBegin());
        }
    }
    return best;
}

// Index of the point nearest on screen within kScatterReach pixels, or -1.
int nearestOnScreen(const QCPGraph* g, const QPointF& pixel, double* dist)
{
    const auto data = g->data();
    int best = -1;
    double bestD = kScatterReach;
    for (auto it = data->constBegin(); it != data->constEnd(); ++it) {
        const QPointF p = g->coordsToPixels(it->key, it->value);
        const double d = std::hypot(p.x() - pixel.x(), p.y() - pixel.y());
        if (d <= bestD) {
            bestD = d;
            best = int(it - data->constBegin());
        }
    }
    *dist = bestD;
    return best;
}

QString pointLabel(const QCPGraph* g, int index)
{
    const QStringList labels = g->property(kLabelsProperty).toStringList();
    return index >= 0 && index < labels.size() ? labels[index] : QString();
}

} // namespace

void setPointLabels(QCPGraph* graph, const QStringList& labels) { graph->setProperty(kLabelsProperty, labels); }

QString plotReadout(QCustomPlot* plot, const QPointF& pixel)
{
    QCPAxisRect* rect = plot->axisRectAt(pixel);
    if (!rect || !rect->rect().contains(pixel.toPoint())) return {};
    const double x = plot->xAxis->pixelToCoord(pixel.x()), y = plot->yAxis->pixelToCoord(pixel.y());
    QStringList parts;
    for (int i = 0; i < plot->plottableCount(); ++i) {
        QCPAbstractPlottable* p = plot->plottable(i);
        if (!p->visible()) continue;
        if (auto* map = qobject_cast<QCPColorMap*>(p)) {
            int kx = 0, ky = 0;
            map->data()->coordToCell(x, y, &kx, &ky);
            if (kx < 0 || ky < 0 || kx >= map->data()->keySize() || ky >= map->data()->valueSize()) continue;
            parts << QObject::tr("row %1, column %2: %3").arg(ky).arg(kx).arg(num(map->data()->cell(kx, ky)));
            continue;
        }
        auto* g = qobject_cast<QCPGraph*>(p);
        if (!g || g->data()->isEmpty()) continue;
        if (g->lineStyle() == QCPGraph::lsNone) {  // a scatter series: the point under the cursor
            double d = 0;
            const int k = nearestOnScreen(g, pixel, &d);
            if (k < 0) continue;
            const auto it = g->data()->constBegin() + k;
            const QString label = pointLabel(g, k);
            parts << QStringLiteral("%1%2: %3, %4")
                         .arg(shortName(g), label.isEmpty() ? QString() : QStringLiteral(" · ") + label, num(it->key),
                              num(it->value));
            continue;
        }
        const int k = nearestByKey(g, x);
        if (k < 0) continue;
        const auto it = g->data()->constBegin() + k;
        parts << QStringLiteral("%1 %2").arg(shortName(g), num(it->value));
    }
    const QString head = QStringLiteral("x %1  y %2").arg(num(x), num(y));
    return parts.isEmpty() ? head : head + QStringLiteral("  │  ") + parts.join(QStringLiteral("  ·  "));
}

namespace {

class ReadoutFilter : public QObject {
public:
    ReadoutFilter(QCustomPlot* plot, QLabel* label, const QString& hint)
        : QObject(plot), m_plot(plot), m_label(label), m_hint(hint)
    {
    }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (watched != m_plot || !m_label) return false;
        if (event->type() == QEvent::MouseMove) {
            const QString text = plotReadout(m_plot, static_cast<QMouseEvent*>(event)->position());
            m_label->setText(text.isEmpty() ? m_hint : text);
        } else if (event->type() == QEvent::Leave) {
            m_label->setText(m_hint);
        }
        return false;
    }

private:
    QCustomPlot* m_plot;
    QPointer<QLabel> m_label;
    QString m_hint;
};

} // namespace

void installReadout(QCustomPlot* plot, QLabel* label, const QString& hint)
{
    plot->setMouseTracking(true);
    plot->installEventFilter(new ReadoutFilter(plot, label, hint));
    label->setText(hint);
}

} // namespace qs
