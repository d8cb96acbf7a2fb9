#pragma once
// PlotPanel: an interactive QCustomPlot around a plot builder. Every setPlot() draws on
// a new QCustomPlot (builders start from a fresh plot), then adds the interactions:
// drag to pan, wheel to zoom (Ctrl: x only, Shift: y only), double-click to reset the
// view, click a legend entry to hide/show its curve (remembered across rebuilds by
// label), the heat map's tile grid when zoomed in, and a read-out line under the plot
// with the values under the mouse (plots/plot_readout.h). render() draws the same builder
// offscreen at an explicit size, so an exported PNG equals the headless one.
#include "plots/plot_render.h"

#include <QImage>
#include <QSet>
#include <QWidget>

class QCustomPlot;
class QLabel;
class QStackedWidget;
class QVBoxLayout;

namespace qs {

class PlotPanel : public QWidget {
    Q_OBJECT
public:
    explicit PlotPanel(QWidget* parent = nullptr);

    void setPlot(const PlotBuild& build);
    // An empty state: a title and a centred hint (a plain label: cheap to switch to,
    // so showing "Computing…" on four panels never stalls the UI thread).
    void showMessage(const QString& title, const QString& message);

    QCustomPlot* plot() const { return m_plot; }
    QLabel* readout() const { return m_readout; }
    bool hasData() const { return m_hasData; }
    // The picture at width x height, with the curves hidden in the legend left out.
    QImage render(int width, int height) const;
    QSet<QString> hiddenCurves() const { return m_hidden; }

Q_SIGNALS:
    void rebuilt();

private:
    void install(QCustomPlot* plot, const PlotBuild& build);
    void applyHidden(QCustomPlot* plot) const;
    void wheelZoomAxes(Qt::KeyboardModifiers mods);

    QStackedWidget* m_stack = nullptr;
    QLabel* m_message = nullptr;
    QLabel* m_readout = nullptr;   // plotReadout() of the mouse position
    QWidget* m_plotPage = nullptr;
    QVBoxLayout* m_layout = nullptr;
    QCustomPlot* m_plot = nullptr;
    PlotBuild m_build;
    QSet<QString> m_hidden;
    bool m_hasData = false;
};

} // namespace qs
