// The explorer's longer jobs and exports: "Analyze selection" over a group and over the
// filter's matches (rows and table.txt compared with `quantscope wq`), cancelling a long
// analysis and a tensor view, and PNG export equal to `quantscope plot weights` for the
// same inputs and size.
#include "analysis/wq_run.h"
#include "test_paths.h"
#include "gui_test_util.h"
#include "io/selection.h"
#include "main_window.h"
#include "models/format_list_model.h"
#include "models/results_model.h"
#include "models/tensor_filter_proxy.h"
#include "models/tensor_tree_model.h"
#include "plots/qcp.h"
#include "widgets/elided_label.h"
#include "widgets/format_panel.h"
#include "widgets/job_status.h"
#include "widgets/plot_panel.h"
#include "widgets/results_panel.h"
#include "widgets/tensor_view.h"

#include <QDirIterator>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QStatusBar>
#include <QTest>
#include <QTreeView>

#include <set>

using namespace qs;
using namespace qs::test;

namespace {

constexpr int kWait = 40000;


QString readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

QString findFile(const QString& dir, const QString& name)
{
    QDirIterator it(dir, {name}, QDir::Files, QDirIterator::Subdirectories);
    return it.hasNext() ? it.next() : QString();
}

bool runBinary(const QStringList& args, QString* output)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(qs::test::binaryPath(), args);
    if (!p.waitForFinished(120000)) return false;
    *output = QString::fromUtf8(p.readAll());
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

} // namespace

class TestWindowJobs : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void analyzeGroupMatchesCli();
    void analyzeFilterMatches();
    void cancelLongAnalysis();
    void cancelTensorView();
    void pngExportEqualsHeadless();

private:
    void open(const QString& path);
    MainWindow* m_w = nullptr;
    QTemporaryDir m_tmp;
};

void TestWindowJobs::initTestCase()
{
    isolateSettings();
    QVERIFY(m_tmp.isValid());
    qputenv("QS_DEMO_DIR", demoDir().toUtf8());
}

void TestWindowJobs::init()
{
    m_w = new MainWindow;
    m_w->resize(1400, 900);
    m_w->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_w));
}

void TestWindowJobs::cleanup()
{
    delete m_w;
    m_w = nullptr;
}

void TestWindowJobs::open(const QString& path)
{
    QSignalSpy opened(m_w, &MainWindow::modelOpened);
    QSignalSpy failed(m_w, &MainWindow::modelFailed);
    m_w->openModel(path);
    QTRY_VERIFY_WITH_TIMEOUT(opened.count() + failed.count() > 0, kWait);
    QVERIFY2(failed.isEmpty(), qPrintable(m_w->lastError()));
}

void TestWindowJobs::analyzeGroupMatchesCli()
{
    open(demoDir());
    m_w->formatPanel()->model()->setCheckedNames({"bf16", "bfp8"});
    const QModelIndex group = m_w->treeProxy()->mapFromSource(m_w->treeModel()->indexForPath("model.layers.0.mlp"));
    QVERIFY(group.isValid());
    m_w->treeView()->setCurrentIndex(group);
    QSignalSpy done(m_w, &MainWindow::analysisFinished);
    m_w->analyzeSelection();
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);

    // Expected tensors: every tensor the group shows except FP8 scale siblings, which are
    // read with their weights (the biases and norms a default wq skips are included: the
    // user selected them).
    std::set<QString> expected;
    for (const TensorInfo& t : m_w->model()->tensors()) {
        const QString n = QString::fromStdString(t.name);
        if (n.startsWith("model.layers.0.mlp.") && !n.endsWith("_scale_inv")) expected.insert(n);
    }
    QCOMPARE(expected.size(), size_t(2));
    QCOMPARE(done.first().first().toInt(), int(expected.size()));
    const ResultsModel* rm = m_w->resultsPanel()->model();
    QCOMPARE(rm->rowCount(), int(expected.size()) * 2);
    std::set<QString> tensorsInTable;
    for (int r = 0; r < rm->rowCount(); ++r) tensorsInTable.insert(rm->index(r, ResultsModel::ColTensor).data().toString());
    QCOMPARE(tensorsInTable, expected);
    QVERIFY(m_w->findChild<ElidedLabel*>("resultsCaption")->fullText().contains(
        QString("%1 tensors (group model.layers.0.mlp)").arg(expected.size())));
    // PCC colouring like the CLI: bf16 rows green.
    QCOMPARE(rm->index(0, ResultsModel::ColPcc).data(Qt::ForegroundRole).value<QColor>(), ResultsModel::pccColour(1.0));

    // table.txt has the CLI's layout: compare with `quantscope wq` on the same selection.
    const QString gui = m_tmp.filePath("gui/table.txt");
    QVERIFY(m_w->exportTable(gui));
    QString out;
    const QString cliDir = m_tmp.filePath("cli");
    QVERIFY2(runBinary({"wq", demoDir(), "--regex", "^model\\.layers\\.0\\.mlp\\.", "-c", "bf16", "-c", "bfp8",
                        "--results-dir", cliDir},
                       &out),
             qPrintable(out));
    const QString cliTable = findFile(cliDir, "table.txt");
    QVERIFY2(!cliTable.isEmpty(), qPrintable(out));
    const QString a = maskTimes(readAll(gui)), b = maskTimes(readAll(cliTable));
    QVERIFY(!a.isEmpty());
    QCOMPARE(a, b);

    // CSV and JSON: one line / entry per row.
    QVERIFY(m_w->exportTable(m_tmp.filePath("gui/table.csv")));
    const QStringList csv = readAll(m_tmp.filePath("gui/table.csv")).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(csv.size(), rm->rowCount() + 1);
    QVERIFY(csv.first().startsWith("tensor,shape,dtype,compression,format,pcc,mae,atol"));
    QVERIFY(m_w->exportTable(m_tmp.filePath("gui/results.json")));
    QJsonParseError perr;
    const QJsonDocument json = QJsonDocument::fromJson(readAll(m_tmp.filePath("gui/results.json")).toUtf8(), &perr);
    QVERIFY2(perr.error == QJsonParseError::NoError, qPrintable(perr.errorString()));
    QVERIFY(json.isObject());
    QVERIFY(readAll(m_tmp.filePath("gui/results.json")).contains("model.layers.0.mlp.down_proj.weight"));
}

void TestWindowJobs::analyzeFilterMatches()
{
    open(demoDir());
    m_w->formatPanel()->model()->setCheckedNames({"bfp4"});
    m_w->selectTensor("lm_head.weight");  // a tensor, not a group: the filter decides
    m_w->setFilterText("q_a_proj");
    QSignalSpy done(m_w, &MainWindow::analysisFinished);
    m_w->analyzeSelection();
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
    auto names = selectTensors(m_w->model()->tensorNames(), QStringList{"q_a_proj"});
    QVERIFY(names.ok());
    QCOMPARE(int(names->size()), 2);  // the weights; their _scale_inv siblings are not candidates
    QCOMPARE(m_w->resultsPanel()->model()->rowCount(), 2);
    QVERIFY(m_w->findChild<ElidedLabel*>("resultsCaption")->fullText().contains("q_a_proj"));
}

void TestWindowJobs::cancelLongAnalysis()
{
    // Two 2048 x 4096 tensors (8 M elements each) and every format: seconds of work.
    const QString file = m_tmp.filePath("big.safetensors");
    const auto values = pseudoNormal(size_t(2048) * 4096, 7, 0.02f);
    QVERIFY(writeF32(file, {{"big.a.weight", {2048, 4096}, values}, {"big.b.weight", {2048, 4096}, values}}));
    m_w->formatPanel()->model()->checkOriginal();
    open(file);
    m_w->formatPanel()->model()->checkAll();
    m_w->setFilterText("weight");
    QSignalSpy done(m_w, &MainWindow::analysisFinished);
    m_w->analyzeSelection();
    QTRY_VERIFY_WITH_TIMEOUT(m_w->jobStatus()->runningCount() > 0, kWait);
    // The status line says which tensor of how many, and how far (issue #15 §2).
    auto* jobLabel = m_w->jobStatus()->findChild<QLabel*>("jobLabel");
    QVERIFY(jobLabel);
    QTRY_VERIFY_WITH_TIMEOUT(jobLabel->toolTip().contains("tensor 1 of 2 (big.a.weight)") &&
                                 jobLabel->toolTip().contains(" M elements"),
                             kWait);
    QVERIFY2(jobLabel->toolTip().contains(QRegularExpression("(^|\n)Analyzing selection: tensor 1 of 2 \\(big\\.a\\.weight\\) · "
                                                             "(statistics|quantizing) [0-9.,]+( M)? of 8\\.4 M elements")),
             qPrintable(jobLabel->toolTip()));
    m_w->cancelJobs();
    // Everything stops promptly; the window stays usable and says what happened.
    QTRY_COMPARE_WITH_TIMEOUT(m_w->jobStatus()->runningCount(), 0, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(m_w->findChild<ElidedLabel*>("resultsCaption")->fullText().contains("cancelled"), 20000);
    QCOMPARE(done.count(), 0);
    QVERIFY(m_w->resultsPanel()->model()->rowCount() < 2 * int(formats().size()));
    QVERIFY(m_w->isVisible());
    // Esc with nothing running says nothing.
    m_w->statusBar()->clearMessage();
    m_w->cancelJobs();
    QCOMPARE(m_w->statusBar()->currentMessage(), QString());
    // A new job runs normally afterwards.
    m_w->formatPanel()->model()->setCheckedNames({"bf16"});
    m_w->setFilterText(QString());
    m_w->selectTensor("big.b.weight");
    QTRY_VERIFY_WITH_TIMEOUT(m_w->resultsPanel()->model()->rowCount() == 1 &&
                                 m_w->resultsPanel()->model()->report().tensors.front().info.name == "big.b.weight",
                             kWait);
}

void TestWindowJobs::cancelTensorView()
{
    const QString file = m_tmp.filePath("big2.safetensors");
    QVERIFY(writeF32(file, {{"x.weight", {4096, 4096}, pseudoNormal(size_t(4096) * 4096, 3, 0.02f)},
                            {"y.weight", {64, 64}, pseudoNormal(4096, 4, 1.0f)}}));
    m_w->formatPanel()->model()->checkAll();
    open(file);  // selects x.weight (16 M elements, every format)
    QTRY_VERIFY_WITH_TIMEOUT(m_w->jobStatus()->runningCount() > 0 || m_w->tensorView()->panel(TensorView::TabHeatmap)->hasData(),
                             kWait);
    m_w->cancelJobs();
    QTRY_COMPARE_WITH_TIMEOUT(m_w->jobStatus()->runningCount(), 0, 20000);
    // Selecting another tensor works right away.
    m_w->formatPanel()->model()->setCheckedNames({"bfp8"});
    m_w->selectTensor("y.weight");
    QTRY_VERIFY_WITH_TIMEOUT(m_w->currentTensor() == "y.weight" &&
                                 m_w->tensorView()->panel(TensorView::TabHeatmap)->hasData() &&
                                 m_w->resultsPanel()->model()->rowCount() == 1,
                             kWait);
}

void TestWindowJobs::pngExportEqualsHeadless()
{
    open(demoDir());
    const QString tensor = QStringLiteral("model.layers.0.mlp.down_proj.weight");
    m_w->formatPanel()->model()->setCheckedNames({"bf16", "bfp8", "bfp2", "mxfp4"});
    QSignalSpy metrics(m_w, &MainWindow::metricsShown);
    m_w->selectTensor(tensor);
    QTRY_VERIFY2_WITH_TIMEOUT(m_w->currentTensor() == tensor && m_w->resultsPanel()->model()->rowCount() == 4 &&
                                  m_w->resultsPanel()->model()->report().tensors.front().info.name == tensor.toStdString(),
                              qPrintable(QStringLiteral("tensor %1, rows %2, caption \"%3\", jobs %4")
                                             .arg(m_w->currentTensor())
                                             .arg(m_w->resultsPanel()->model()->rowCount())
                                             .arg(m_w->findChild<ElidedLabel*>("resultsCaption")->fullText())
                                             .arg(m_w->jobStatus()->runningCount())),
                              kWait);
    QTRY_VERIFY_WITH_TIMEOUT(m_w->tensorView()->panel(TensorView::TabTransfer)->plot()->graphCount() == 5 &&
                                 m_w->tensorView()->panel(TensorView::TabTransfer)->plot()->graph(1)->name().contains("MAE"),
                             kWait);
    m_w->setExportSize(800, 600);
    m_w->tensorView()->tabs()->setCurrentIndex(TensorView::TabTransfer);
    const QString gui = m_tmp.filePath("png/gui.png");
    QVERIFY(m_w->exportCurrentPlot(gui));

    QString out;
    const QString cliDir = m_tmp.filePath("png/cli");
    QVERIFY2(runBinary({"plot", "weights", demoDir(), tensor, "-c", "bf16", "-c", "bfp8", "-c", "bfp2", "-c", "mxfp4",
                        "--size", "800x600", "--out-dir", cliDir},
                       &out),
             qPrintable(out));
    const QImage a(gui), b(QDir(cliDir).filePath(QString::fromStdString(slugify(tensor.toStdString())) + ".png"));
    QCOMPARE(a.size(), QSize(800, 600));
    QCOMPARE(b.size(), QSize(800, 600));
    QVERIFY2(a.convertToFormat(QImage::Format_RGB32) == b.convertToFormat(QImage::Format_RGB32),
             "the window's PNG differs from the headless PNG");
    QCOMPARE(a.text("QuantScope-Format-Options"), QString("defaults"));  // #15 §4: exports record the options

    // All plots: one PNG per panel with data, none blank (the staircase job may still run).
    QTRY_VERIFY_WITH_TIMEOUT(m_w->tensorView()->panel(TensorView::TabStaircase)->hasData() && !m_w->isBusy(), kWait);
    const QString all = m_tmp.filePath("png/all");
    QVERIFY(m_w->exportAllPlots(all));
    const QStringList pngs = QDir(all).entryList({"*.png"}, QDir::Files);
    QCOMPARE(pngs.size(), 5);
    for (const QString& p : pngs) {
        const QImage img(QDir(all).filePath(p));
        QCOMPARE(img.size(), QSize(800, 600));
        std::set<QRgb> colours;
        for (int y = 0; y < img.height(); y += 3)
            for (int x = 0; x < img.width(); x += 3) colours.insert(img.pixel(x, y));
        QVERIFY2(colours.size() > 20, qPrintable(p));
    }
}

QTEST_MAIN(TestWindowJobs)
#include "test_window_jobs.moc"
