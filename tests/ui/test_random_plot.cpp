// Issue #16.10: the random-samples scatter adds its points in bulk and draws at most
// kRandomPlotMaxPoints of them (evenly thinned), keeping the chosen sample marked.
#include "plots/compression_plots.h"
#include "plots/qcp.h"

#include <QTest>

using namespace qs;

class TestRandomPlot : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void thinnedAndComplete()
    {
        RandomSamplesData d;
        d.title = "t";
        const size_t n = 100000;
        for (size_t i = 0; i < n; ++i) {
            d.bytes.push_back(double((i * 7919) % n));  // unsorted keys
            d.pcc.push_back(i % 3 == 0 ? 0.9995 : i % 3 == 1 ? 0.995 : 0.9);
        }
        d.chosen = 12345;
        QCustomPlot plot;
        buildRandomSamplesPlot(&plot, d);
        QCOMPARE(plot.graphCount(), 4);
        int drawn = 0;
        for (int g = 0; g < 3; ++g) drawn += plot.graph(g)->dataCount();
        QCOMPARE(drawn, 20000);  // every 5th sample
        QVERIFY(plot.graph(0)->dataCount() > 0 && plot.graph(1)->dataCount() > 0 && plot.graph(2)->dataCount() > 0);
        QCOMPARE(plot.graph(3)->dataCount(), 1);
        QCOMPARE(plot.graph(3)->data()->at(0)->key, d.bytes[12345] / 1e3);  // KB

        // small inputs are drawn whole
        d.bytes.resize(50);
        d.pcc.resize(50);
        d.chosen = 3;
        QCustomPlot small;
        buildRandomSamplesPlot(&small, d);
        QCOMPARE(small.graph(0)->dataCount() + small.graph(1)->dataCount() + small.graph(2)->dataCount(), 50);
    }
};

QTEST_MAIN(TestRandomPlot)
#include "test_random_plot.moc"
