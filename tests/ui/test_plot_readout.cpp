// Hover read-out and legend placement (#15 §4): the read-out names the cursor's x and y
// and each visible curve's value at that x (a scatter point with its tag when the cursor
// is on it, a heat map's cell); a legend with many entries sits outside the axis rect and
// wraps into columns instead of covering the curves; PlotPanel shows the read-out line.
#include <QTest>

#include <QLabel>
#include <QMouseEvent>

#include "plots/compression_plots.h"
#include "plots/plot_builders.h"
#include "plots/plot_readout.h"
#include "plots/qcp.h"
#include "widgets/plot_panel.h"

using namespace qs;

namespace {

// y = k·x for k = 1..n over x in [0, 10].
CurvePlotData lines(int n)
{
    CurvePlotData d;
    d.title = "lines";
    for (int i = 0; i <= 100; ++i) d.x.push_back(i * 0.1);
    const char* keys[] = {"bf16", "bfp8", "bfp4", "bfp2", "fp0", "mxfp4", "nvfp4", "fp8_e4m3", "fp8_e5m2", "mxfp8",
                          "mxfp8_e5m2", "mxfp6"};
    for (int k = 1; k <= n; ++k) {
        PlotCurve c;
        c.key = keys[k - 1];
        c.label = std::string(keys[k - 1]) + " (MAE=0)";
        for (double x : d.x) c.y.push_back(k * x);
        d.curves.push_back(c);
    }
    return d;
}

} // namespace

class TestPlotReadout : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void curvesAtTheCursorsX()
    {
        QCustomPlot plot;
        plot.resize(800, 500);
        plot.setViewport(QRect(0, 0, 800, 500));
        buildCurvePlot(&plot, lines(3));
        plot.replot();
        const QPointF px(plot.xAxis->coordToPixel(2.0), plot.yAxis->coordToPixel(1.0));
        const QString text = plotReadout(&plot, px);
        QVERIFY2(text.startsWith("x 2  y 1"), qPrintable(text));
        QVERIFY2(text.contains("bf16 2") && text.contains("bfp8 4") && text.contains("bfp4 6"), qPrintable(text));
        QVERIFY2(!text.contains("(MAE"), qPrintable(text));  // the name without the legend's statistic
        // A hidden curve is left out; outside the axis rect there is nothing to read.
        plot.graph(1)->setVisible(false);
        QVERIFY(!plotReadout(&plot, px).contains("bfp8"));
        QVERIFY(plotReadout(&plot, QPointF(2, 2)).isEmpty());
    }

    void scatterPointsWithTheirTags()
    {
        QCustomPlot plot;
        plot.resize(800, 500);
        plot.setViewport(QRect(0, 0, 800, 500));
        SweepPlotData d;
        d.title = "tensors";
        d.metricLabel = "PCC";
        d.xLabel = "Device bits per element";
        d.points = {{"bfp8", "BFP8", 8.5, 0.9999, "model.a.weight"}, {"bfp8", "BFP8", 8.5, 0.9990, "model.b.weight"},
                    {"bfp4", "BFP4", 4.5, 0.99, "model.a.weight"}};
        buildSweepPlot(&plot, d);
        plot.replot();
        QCOMPARE(plot.xAxis->label(), QString("Device bits per element"));
        const QPointF on(plot.xAxis->coordToPixel(8.5), plot.yAxis->coordToPixel(0.9990));
        const QString text = plotReadout(&plot, on + QPointF(3, -2));
        QVERIFY2(text.contains("BFP8 · model.b.weight: 8.5, 0.999"), qPrintable(text));
        QVERIFY2(!text.contains("BFP4"), qPrintable(text));  // far from the cursor
        // No Pareto front across tensors of different sizes.
        for (int i = 0; i < plot.graphCount(); ++i) QVERIFY(plot.graph(i)->name() != "Pareto front");
    }

    void heatMapCell()
    {
        QCustomPlot plot;
        plot.resize(600, 600);
        plot.setViewport(QRect(0, 0, 600, 600));
        auto* map = new QCPColorMap(plot.xAxis, plot.yAxis);
        map->data()->setSize(4, 2);
        map->data()->setRange(QCPRange(0, 3), QCPRange(0, 1));
        map->data()->setCell(2, 1, 0.5);
        plot.xAxis->setRange(-0.5, 3.5);
        plot.yAxis->setRange(-0.5, 1.5);
        plot.replot();
        const QString text = plotReadout(&plot, QPointF(plot.xAxis->coordToPixel(2.1), plot.yAxis->coordToPixel(0.9)));
        QVERIFY2(text.contains("row 1, column 2: 0.5"), qPrintable(text));
    }

    void manyCurvesPutTheLegendOutside()
    {
        for (int n : {3, 12}) {
            QCustomPlot plot;
            plot.resize(900, 420);
        plot.setViewport(QRect(0, 0, 900, 420));
            buildCurvePlot(&plot, lines(n));
            plot.replot();
            const QRect legend = plot.legend->outerRect(), data = plot.axisRect()->rect();
            if (n <= 8) {
                QVERIFY(data.contains(legend));  // few entries: inside, in the corner
            } else {
                QVERIFY2(!legend.intersects(data), "the legend covers the curves");
                QVERIFY(legend.left() >= data.right());
                QVERIFY2(legend.bottom() <= plot.height(),
                         qPrintable(QStringLiteral("the legend is cut off: legend %1,%2 %3x%4, plot height %5, wrap %6")
                                        .arg(legend.x()).arg(legend.y()).arg(legend.width()).arg(legend.height())
                                        .arg(plot.height()).arg(plot.legend->wrap())));
            }
        }
        // A short plot: the 12 entries wrap into more than one column.
        QCustomPlot small;
        small.resize(900, 140);
        small.setViewport(QRect(0, 0, 900, 140));
        buildCurvePlot(&small, lines(12));
        small.replot();
        small.replot();
        QVERIFY2(small.legend->columnCount() > 1, qPrintable(QStringLiteral("wrap %1 rows %2 cols %3 axis h %4 legend h %5").arg(small.legend->wrap()).arg(small.legend->rowCount()).arg(small.legend->columnCount()).arg(small.axisRect()->outerRect().height()).arg(small.legend->outerRect().height())));
        QVERIFY(small.legend->outerRect().bottom() <= small.height());
    }

    void panelShowsTheReadout()
    {
        PlotPanel panel;
        panel.resize(800, 520);
        const CurvePlotData d = lines(2);
        panel.setPlot([d](QCustomPlot* p) { buildCurvePlot(p, d); });
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QCustomPlot* plot = panel.plot();
        plot->replot();
        QLabel* readout = panel.findChild<QLabel*>("plotReadout");
        QVERIFY(readout && readout->isVisible());
        QVERIFY(readout->text().startsWith("Hover for values"));
        const QPointF px(plot->xAxis->coordToPixel(5.0), plot->yAxis->coordToPixel(3.0));
        QMouseEvent move(QEvent::MouseMove, px, plot->mapToGlobal(px), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
        QCoreApplication::sendEvent(plot, &move);
        QVERIFY2(readout->text().contains("bf16 5") && readout->text().contains("bfp8 10"), qPrintable(readout->text()));
        QEvent leave(QEvent::Leave);
        QCoreApplication::sendEvent(plot, &leave);
        QVERIFY(readout->text().startsWith("Hover for values"));
    }
};

QTEST_MAIN(TestPlotReadout)
#include "test_plot_readout.moc"
