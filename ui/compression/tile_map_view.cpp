#include "compression/tile_map_view.h"

#include "formats/format.h"
#include "plots/compression_plots.h"
#include "plots/plot_style.h"
#include "plots/qcp.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace qs {

namespace {

QString upperName(const Format* f) { return f ? QString::fromLatin1(f->label.data(), int(f->label.size())) : QStringLiteral("FP32"); }

QString num(double v) { return std::isfinite(v) ? QString::number(v, 'g', 6) : QStringLiteral("nan"); }

} // namespace

TileMapView::TileMapView(QWidget* parent) : QWidget(parent)
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->setSpacing(2);
    auto* top = new QHBoxLayout;
    top->setContentsMargins(4, 2, 4, 0);
    top->addWidget(new QLabel(tr("Layer:"), this));
    m_layer = new QComboBox(this);
    m_layer->setObjectName(QStringLiteral("tileLayerBox"));
    m_layer->addItems({tr("Formats"), tr("Per-tile metric (heat map)")});
    m_layer->setToolTip(tr("Formats: one colour per format. Heat map: each tile's metric in its assigned format."));
    top->addWidget(m_layer);
    top->addStretch(1);
    outer->addLayout(top);
    m_message = new QLabel(this);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color:#64748b; padding:24px"));
    outer->addWidget(m_message, 1);
    m_plotBox = new QVBoxLayout;
    outer->addLayout(m_plotBox, 100);
    connect(m_layer, &QComboBox::currentIndexChanged, this, [this] { redraw(); });
    showMessage(tr("Select a tensor to see its tile map."));
}

bool TileMapView::heatLayerShown() const { return m_layer->currentIndex() == 1; }

void TileMapView::setSums(std::shared_ptr<const TileSums> sums, const std::string& tensor)
{
    m_sums = std::move(sums);
    m_tensor = tensor;
}

void TileMapView::showMessage(const QString& text)
{
    m_message->setText(text);
    m_message->show();
    if (m_plot) m_plot->hide();
}

QString TileMapView::message() const { return m_message->isHidden() ? QString() : m_message->text(); }

void TileMapView::setAssignment(const MixedResult& result, const QString& subtitle, MetricKind metric)
{
    m_result = result;
    m_subtitle = subtitle;
    m_metric = metric;
    redraw();
}

void TileMapView::redraw()
{
    if (!m_sums || m_result.assignment.empty()) return;
    TileMapData d;
    d.title = m_tensor + "\n" + m_subtitle.toStdString();
    d.tilesH = m_result.tilesH;
    d.tilesW = m_result.tilesW;
    d.codes = m_result.assignment;
    for (const Format* f : m_sums->formats) d.formats.emplace_back(f->name);
    d.counts = m_result.tileCounts;
    d.bytes = m_result.bytesPerFormat;

    // A fresh plot per redraw (the builder lays out a fresh QCustomPlot).
    auto* plot = new QCustomPlot(this);
    plot->setObjectName(QStringLiteral("tileMapPlot"));
    buildTileMapPlot(plot, d);
    if (heatLayerShown()) {
        const int64_t W = d.tilesW, H = d.tilesH;
        auto* heat = new QCPColorMap(plot->xAxis, plot->yAxis);
        heat->setName(QStringLiteral("heat"));
        heat->removeFromLegend();
        const int nx = int(W == 1 ? 2 : W), ny = int(H == 1 ? 2 : H);
        heat->data()->setSize(nx, ny);
        const double hx = double(W) / (2.0 * nx), hy = double(H) / (2.0 * ny);
        heat->data()->setRange(QCPRange(-0.5 + hx, W - 0.5 - hx), QCPRange(-0.5 + hy, H - 0.5 - hy));
        double lo = INFINITY, hi = -INFINITY;
        for (int iy = 0; iy < ny; ++iy)
            for (int ix = 0; ix < nx; ++ix) {
                const int64_t tw = ix * W / nx, th = iy * H / ny, t = th * W + tw;
                const int code = m_result.assignment[size_t(t)];
                double v = NAN;
                if (code >= 0) v = metricValue(m_sums->tileMetrics(size_t(code), t), m_metric);
                heat->data()->setCell(ix, iy, v);
                if (std::isfinite(v)) { lo = std::min(lo, v); hi = std::max(hi, v); }
            }
        if (!(lo < hi)) { lo = std::isfinite(lo) ? lo - 1e-9 : 0; hi = lo + 2e-9; }
        heat->setInterpolate(false);
        heat->setTightBoundary(false);
        QCPColorGradient g(QCPColorGradient::gpThermal);
        if (higherIsBetter(m_metric)) g.setColorStops({{0, QColor(120, 0, 0)}, {0.5, QColor(240, 163, 10)}, {1, QColor(250, 250, 230)}});
        g.setNanHandling(QCPColorGradient::nhTransparent);
        heat->setGradient(g);
        heat->setDataRange(QCPRange(lo, hi));
        auto* scale = new QCPColorScale(plot);
        int row = 0;
        for (int r = 0; r < plot->plotLayout()->rowCount(); ++r)
            if (plot->plotLayout()->element(r, 0) == plot->axisRect()) row = r;
        plot->plotLayout()->addElement(row, 1, scale);
        plot->plotLayout()->setColumnStretchFactor(1, 0.01);
        scale->setType(QCPAxis::atRight);
        scale->axis()->setLabel(QString::fromStdString(std::string(metricName(m_metric))).toUpper() + tr(" per tile"));
        scale->axis()->setTickLabelFont(plotAxisFont());
        scale->axis()->setLabelFont(plotAxisFont());
        heat->setColorScale(scale);
        heat->setDataRange(QCPRange(lo, hi));
        auto* group = new QCPMarginGroup(plot);
        plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
        scale->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    }
    plot->setMouseTracking(true);
    plot->installEventFilter(this);
    plot->replot(QCustomPlot::rpQueuedReplot);
    if (m_plot) {
        m_plotBox->removeWidget(m_plot);
        m_plot->hide();
        m_plot->deleteLater();
    }
    m_plot = plot;
    m_plotBox->addWidget(plot);
    m_message->hide();
    plot->show();
}

QString TileMapView::tileText(int64_t th, int64_t tw) const
{
    if (!m_sums || th < 0 || tw < 0 || th >= m_result.tilesH || tw >= m_result.tilesW) return {};
    const int64_t t = th * m_result.tilesW + tw;
    const int code = m_result.assignment[size_t(t)];
    QString s = tr("Tile %1 (row %2, column %3)\nFormat: %4")
                    .arg(t)
                    .arg(th)
                    .arg(tw)
                    .arg(upperName(code >= 0 ? m_sums->formats[size_t(code)] : nullptr));
    for (size_t f = 0; f < m_sums->formats.size(); ++f) {
        const Metrics m = m_sums->tileMetrics(f, t);
        s += QStringLiteral("\n%1 %2  PCC %3  MAE %4  ATOL %5")
                 .arg(int(f) == code ? QStringLiteral("▶") : QStringLiteral("  "), upperName(m_sums->formats[f]).leftJustified(6),
                      num(m.pcc), num(m.mae), num(m.atol));
        // Importance-weighted tile sums (issue #18): the tile's weighted errors too.
        if (m_sums->at(f, t).weighted)
            s += QStringLiteral("  wSQNR %1  wREL %2").arg(num(m.wsqnrDb), num(m.wrel));
    }
    return s;
}

bool TileMapView::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_plot && event->type() == QEvent::MouseMove) {
        const auto* me = static_cast<QMouseEvent*>(event);
        const QPointF pos = me->position();
        if (m_plot->axisRect()->rect().contains(pos.toPoint())) {
            const int64_t tw = std::llround(m_plot->xAxis->pixelToCoord(pos.x()));
            const int64_t th = std::llround(m_plot->yAxis->pixelToCoord(pos.y()));
            const QString text = tileText(th, tw);
            if (!text.isEmpty()) QToolTip::showText(me->globalPosition().toPoint(), text, m_plot);
            else QToolTip::hideText();
        } else {
            QToolTip::hideText();
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace qs
