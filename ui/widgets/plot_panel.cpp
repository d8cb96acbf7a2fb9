#include "widgets/plot_panel.h"

#include "plots/plot_readout.h"

#include "plots/plot_builders.h"
#include "plots/qcp.h"

#include <QLabel>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace qs {

namespace {

const QColor kHiddenText(170, 170, 170);

QCPColorMap* colorMapOf(QCustomPlot* plot)
{
    for (int i = 0; i < plot->plottableCount(); ++i)
        if (auto* m = qobject_cast<QCPColorMap*>(plot->plottable(i))) return m;
    return nullptr;
}

} // namespace

PlotPanel::PlotPanel(QWidget* parent) : QWidget(parent)
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    m_stack = new QStackedWidget(this);
    outer->addWidget(m_stack);
    m_message = new QLabel(m_stack);
    m_message->setObjectName(QStringLiteral("plotMessage"));
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_message->setAutoFillBackground(true);
    m_message->setStyleSheet(QStringLiteral("QLabel { background: white; color: #6b7280; font-size: 14px; }"));
    m_stack->addWidget(m_message);
    m_plotPage = new QWidget(m_stack);
    m_layout = new QVBoxLayout(m_plotPage);
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setSpacing(0);
    m_readout = new QLabel(m_plotPage);
    m_readout->setObjectName(QStringLiteral("plotReadout"));
    m_readout->setAccessibleName(tr("Value under the cursor"));
    m_readout->setStyleSheet(QStringLiteral("QLabel { color: #4b5563; font-size: 11px; padding: 1px 6px; }"));
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_readout->setMinimumWidth(1);  // long read-outs never widen the panel
    m_readout->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    m_layout->addWidget(m_readout);
    m_stack->addWidget(m_plotPage);
    showMessage(QString(), tr("Nothing to show yet"));
}

void PlotPanel::setPlot(const PlotBuild& build)
{
    m_hasData = true;
    install(new QCustomPlot(m_plotPage), build);
}

void PlotPanel::showMessage(const QString& title, const QString& message)
{
    m_hasData = false;
    m_build = [title, message](QCustomPlot* p) { buildMessagePlot(p, title, message); };
    m_message->setText(title.isEmpty() ? message.toHtmlEscaped()
                                       : QStringLiteral("<b style='color:#374151'>%1</b><br><br>%2")
                                             .arg(title.toHtmlEscaped(), message.toHtmlEscaped()));
    m_stack->setCurrentWidget(m_message);
}

void PlotPanel::install(QCustomPlot* plot, const PlotBuild& build)
{
    m_build = build;
    build(plot);
    plot->setMinimumSize(160, 120);  // an outside legend must not set the window's minimum width
    applyHidden(plot);
    plot->setNoAntialiasingOnDrag(true);
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom | QCP::iSelectLegend);
    plot->setSelectionTolerance(6);
    plot->legend->setSelectableParts(QCPLegend::spNone);  // clicks toggle; no selection look
    connect(plot, &QCustomPlot::legendClick, this,
            [this, plot](QCPLegend*, QCPAbstractLegendItem* item, QMouseEvent*) {
                auto* pli = qobject_cast<QCPPlottableLegendItem*>(item);
                if (!pli) return;
                QCPAbstractPlottable* p = pli->plottable();
                const bool visible = !p->visible();
                p->setVisible(visible);
                pli->setTextColor(visible ? QColor(Qt::black) : kHiddenText);
                if (visible) m_hidden.remove(p->name());
                else m_hidden.insert(p->name());
                plot->replot(QCustomPlot::rpQueuedReplot);
            });
    connect(plot, &QCustomPlot::mouseWheel, this, [this](QWheelEvent* e) { wheelZoomAxes(e->modifiers()); });
    connect(plot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) {
        // Reset the view: rebuild from the same data.
        if (m_hasData) setPlot(m_build);
    });
    if (colorMapOf(plot)) {
        auto refresh = [plot] { updateHeatmapTileGrid(plot); };
        connect(plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), plot, refresh);
        connect(plot->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), plot, refresh);
        plot->axisRect()->setRangeZoom(Qt::Horizontal | Qt::Vertical);
    }
    plot->replot();

    if (m_plot) {
        m_layout->removeWidget(m_plot);
        m_plot->hide();
        m_plot->deleteLater();
    }
    m_plot = plot;
    m_layout->insertWidget(0, plot, 1);
    installReadout(plot, m_readout, tr("Hover for values · drag to pan · wheel to zoom · double-click to reset"));
    m_stack->setCurrentWidget(m_plotPage);
    Q_EMIT rebuilt();
}

void PlotPanel::wheelZoomAxes(Qt::KeyboardModifiers mods)
{
    if (!m_plot) return;
    Qt::Orientations o = Qt::Horizontal | Qt::Vertical;
    if (mods & Qt::ControlModifier) o = Qt::Horizontal;
    else if (mods & Qt::ShiftModifier) o = Qt::Vertical;
    m_plot->axisRect()->setRangeZoom(o);
}

void PlotPanel::applyHidden(QCustomPlot* plot) const
{
    if (m_hidden.isEmpty()) return;
    for (int i = 0; i < plot->plottableCount(); ++i) {
        QCPAbstractPlottable* p = plot->plottable(i);
        if (!m_hidden.contains(p->name())) continue;
        p->setVisible(false);
        if (auto* item = plot->legend->itemWithPlottable(p)) item->setTextColor(kHiddenText);
    }
}

QImage PlotPanel::render(int width, int height) const
{
    const PlotBuild build = m_build;
    return renderPlotImage(
        [this, build](QCustomPlot* p) {
            build(p);
            applyHidden(p);
        },
        width, height);
}

} // namespace qs
