// Compare with… in the explorer (issue #10): a second model B opened through the window's
// slot; for a tensor B has with the same shape the results table gets a "diff" row whose
// numbers are runDiff's (what `quantscope diff` prints), and the transfer and error
// panels carry B's series (its values against A's); a different shape or a missing
// tensor is said in the status bar and the table caption, with no diff row; Clear
// comparison removes it all.
#include "analysis/diff.h"
#include "gui_test_util.h"
#include "main_window.h"
#include "models/results_model.h"
#include "plots/qcp.h"
#include "widgets/plot_panel.h"
#include "widgets/results_panel.h"
#include "widgets/tensor_view.h"

#include <QFileInfo>
#include <QLabel>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>
#include <set>

using namespace qs;
using namespace qs::test;

namespace {

constexpr int kWait = 40000;

float bf16(float x)
{
    uint32_t b;
    std::memcpy(&b, &x, 4);
    b = (b + 0x7FFFu + ((b >> 16) & 1u)) & 0xFFFF0000u;
    float r;
    std::memcpy(&r, &b, 4);
    return r;
}

const WqRow* diffRowOf(const ResultsModel& m)
{
    if (m.report().tensors.empty()) return nullptr;
    for (const WqRow& r : m.report().tensors.front().rows)
        if (r.compression == "diff") return &r;
    return nullptr;
}

QCPGraph* graphNamed(QCustomPlot* plot, const QString& prefix)
{
    for (int i = 0; plot && i < plot->graphCount(); ++i)
        if (plot->graph(i)->name().startsWith(prefix)) return plot->graph(i);
    return nullptr;
}

} // namespace

class TestCompareUi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        isolateSettings();
        QVERIFY(m_a.isValid() && m_b.isValid());
        m_x = pseudoNormal(48 * 64, 3, 0.05f);
        QVERIFY(writeF32(m_a.filePath("model.safetensors"),
                         {{"model.a.weight", {48, 64}, m_x},
                          {"model.b.weight", {16, 8}, pseudoNormal(128, 4, 1.0f)},
                          {"model.c.weight", {10, 10}, pseudoNormal(100, 5, 1.0f)}}));
        m_y = m_x;
        for (float& v : m_y) v = bf16(v);
        QVERIFY(writeF32(m_b.filePath("model.safetensors"),
                         {{"model.a.weight", {48, 64}, m_y}, {"model.b.weight", {8, 16}, pseudoNormal(128, 4, 1.0f)}}));
    }

    void compareShowsBAgainstA()
    {
        MainWindow w;
        w.resize(1366, 740);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy opened(&w, &MainWindow::modelOpened);
        w.openModel(m_a.path());
        QTRY_VERIFY_WITH_TIMEOUT(opened.count() == 1, kWait);
        w.selectTensor("model.a.weight");
        QTRY_VERIFY_WITH_TIMEOUT(!w.resultsPanel()->model()->isEmpty() && !w.isBusy(), kWait);
        QVERIFY(!diffRowOf(*w.resultsPanel()->model()));

        QSignalSpy changed(&w, &MainWindow::compareChanged);
        w.openCompare(m_b.path());  // what File › Compare with folder… calls
        QTRY_VERIFY_WITH_TIMEOUT(changed.count() == 1, kWait);
        QVERIFY(w.compareModel());
        const QString label = QStringLiteral("B: ") + QFileInfo(m_b.path()).fileName();
        QCOMPARE(w.compareLabel(), label);
        QCOMPARE(w.compareStatus()->text(), label);
        QTRY_VERIFY_WITH_TIMEOUT(diffRowOf(*w.resultsPanel()->model()) && !w.isBusy(), kWait);

        // The diff row: the numbers of the CLI's walk (runDiff), bit for bit.
        DiffParams p;
        p.modelA = m_a.path();
        p.modelB = m_b.path();
        p.filter = {QStringLiteral("model.a.weight")};
        auto report = runDiff(p);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().message.c_str());
        QCOMPARE(report->tensors.size(), size_t(1));
        const Metrics& cli = report->tensors[0].b.metrics;
        const WqRow* row = diffRowOf(*w.resultsPanel()->model());
        QCOMPARE(row->label, label.toStdString());
        QCOMPARE(row->metrics.pcc, cli.pcc);
        QCOMPARE(row->metrics.mae, cli.mae);
        QCOMPARE(row->metrics.atol, cli.atol);
        QCOMPARE(row->metrics.rmse, cli.rmse);
        QCOMPARE(row->metrics.sqnrDb, cli.sqnrDb);
        QVERIFY(cli.mae > 0 && cli.pcc < 1.0 && cli.pcc > 0.9999);
        // The table shows it as a row of its own, "-" where storage does not apply.
        ResultsModel* m = w.resultsPanel()->model();
        int diffLine = -1;
        for (int r = 0; r < m->rowCount(); ++r)
            if (m->index(r, ResultsModel::ColComp).data().toString() == QLatin1String("diff")) diffLine = r;
        QVERIFY(diffLine >= 0);
        QCOMPARE(m->index(diffLine, ResultsModel::ColFormat).data().toString(), label);
        QCOMPARE(m->index(diffLine, ResultsModel::ColMae).data().toString(), QString::asprintf("%.3e", cli.mae));
        QCOMPARE(m->index(diffLine, ResultsModel::ColBytes).data().toString(), QStringLiteral("-"));

        // The panels: B's transfer curve (with its MAE) takes only B's values; B's errors
        // are one more series covering every element (the tensor is smaller than the sample).
        QTRY_VERIFY_WITH_TIMEOUT(graphNamed(w.tensorView()->panel(TensorView::TabTransfer)->plot(), label + " (MAE="), kWait);
        QCPGraph* t = graphNamed(w.tensorView()->panel(TensorView::TabTransfer)->plot(), label);
        const std::set<float> values(m_y.begin(), m_y.end());
        QVERIFY(t->data()->size() > 100);
        for (auto it = t->data()->constBegin(); it != t->data()->constEnd(); ++it)
            QVERIFY2(values.count(float(it->value)), qPrintable(QString::number(it->value)));
        QCPGraph* e = graphNamed(w.tensorView()->panel(TensorView::TabErrors)->plot(), label);
        QVERIFY(e);
        double counted = 0;
        for (auto it = e->data()->constBegin(); it != e->data()->constEnd(); ++it)
            if (it->value >= 1.0) counted += it->value;  // an empty bin of the log axis is drawn at 0.3
        QCOMPARE(counted, double(m_x.size()));

        // Another shape, a missing tensor: said, and no diff row.
        w.selectTensor("model.b.weight");
        QTRY_VERIFY_WITH_TIMEOUT(w.currentTensor() == "model.b.weight" && !w.resultsPanel()->model()->isEmpty() &&
                                     w.resultsPanel()->model()->report().tensors.front().info.name == "model.b.weight" &&
                                     !w.isBusy(),
                                 kWait);
        QCOMPARE(w.compareNote(), QStringLiteral("model.b.weight: shapes differ, A (16, 8) and %1 (8, 16) (not compared)").arg(label));
        QVERIFY(!diffRowOf(*w.resultsPanel()->model()));
        QVERIFY(w.resultsPanel()->caption().contains(w.compareNote()));
        w.selectTensor("model.c.weight");
        QTRY_VERIFY_WITH_TIMEOUT(w.currentTensor() == "model.c.weight" && !w.isBusy(), kWait);
        QCOMPARE(w.compareNote(), QStringLiteral("%1 has no tensor model.c.weight").arg(label));
        QVERIFY(!graphNamed(w.tensorView()->panel(TensorView::TabTransfer)->plot(), label));

        // Clear comparison: back to the formats alone.
        w.selectTensor("model.a.weight");
        QTRY_VERIFY_WITH_TIMEOUT(diffRowOf(*w.resultsPanel()->model()) && !w.isBusy(), kWait);
        w.clearCompare();
        QVERIFY(!w.compareModel());
        QVERIFY(!w.compareStatus()->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(!w.resultsPanel()->model()->isEmpty() && !w.isBusy(), kWait);
        QVERIFY(!diffRowOf(*w.resultsPanel()->model()));
        QVERIFY(!graphNamed(w.tensorView()->panel(TensorView::TabTransfer)->plot(), label));
    }

private:
    QTemporaryDir m_a, m_b;
    std::vector<float> m_x, m_y;
};

QTEST_MAIN(TestCompareUi)
#include "test_compare_ui.moc"
