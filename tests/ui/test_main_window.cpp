// The explorer window under the offscreen platform: start page, opening the demo model,
// selecting tensors by keyboard and mouse, the filter, toggling formats, switching tabs,
// dropping a file, error states and persisted settings. Assertions are on the widgets'
// and models' state.
#include "compression/compression_workspace.h"
#include "gui_test_util.h"
#include "error_text.h"
#include "main_window.h"
#include "models/format_list_model.h"
#include "models/results_model.h"
#include "models/tensor_filter_proxy.h"
#include "models/tensor_tree_model.h"
#include "plots/qcp.h"
#include "settings.h"
#include "widgets/elided_label.h"
#include "widgets/format_panel.h"
#include "widgets/job_status.h"
#include "widgets/plot_panel.h"
#include "widgets/results_panel.h"
#include "widgets/start_page.h"
#include "widgets/tensor_view.h"

#include <QAction>
#include <QHeaderView>
#include <QLabel>
#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QSignalSpy>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QToolButton>
#include <QTest>
#include <QTreeView>

using namespace qs;
using namespace qs::test;

namespace {
constexpr int kWait = 30000;
}

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void startPageEmptyState();
    void opensDemoAndShowsFirstWeight();
    void keyboardMovesThroughTree();
    void mouseSelectsTensor();
    void filterShowsMatchesAndParents();
    void toggleFormatsDrivesViews();
    void switchTabsAndLogToggle();
    void dropFileOpensIt();
    void homeFolderShownAsTilde();
    void longTextsNeverResizePanes();
    void errorsStayInTheWindow();
    void hubErrorsSayWhatToDo();
    void settingsPersist();
    void standardShortcuts();

private:
    void openDemo();
    void waitForTensor(const QString& name);
    int visibleLeaves(const QModelIndex& parent = {}) const;

    MainWindow* m_w = nullptr;
    QTemporaryDir m_tmp;
};

void TestMainWindow::initTestCase()
{
    isolateSettings();
    QVERIFY(m_tmp.isValid());
    QVERIFY2(QFileInfo::exists(demoDir() + "/model.safetensors.index.json"), qPrintable(demoDir()));
    qputenv("QS_DEMO_DIR", demoDir().toUtf8());
}

void TestMainWindow::init()
{
    m_w = new MainWindow;
    m_w->resize(1400, 900);
    m_w->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_w));
}

void TestMainWindow::cleanup()
{
    m_w->close();
    delete m_w;
    m_w = nullptr;
}

void TestMainWindow::openDemo()
{
    QSignalSpy opened(m_w, &MainWindow::modelOpened);
    QSignalSpy failed(m_w, &MainWindow::modelFailed);
    m_w->openDemoModel();
    QTRY_VERIFY_WITH_TIMEOUT(opened.count() + failed.count() > 0, kWait);
    QVERIFY2(failed.isEmpty(), qPrintable(m_w->lastError()));
}

void TestMainWindow::waitForTensor(const QString& name)
{
    // Both the four tensor panels and the full-tensor metrics must land.
    QTRY_VERIFY2_WITH_TIMEOUT(m_w->currentTensor() == name && m_w->tensorView()->panel(TensorView::TabHeatmap)->hasData() &&
                                  !m_w->resultsPanel()->model()->isEmpty() &&
                                  m_w->resultsPanel()->model()->report().tensors.front().info.name == name.toStdString(),
                              qPrintable(QStringLiteral("want %1: tensor %2, heat %3, rows %4, caption \"%5\", jobs %6")
                                             .arg(name, m_w->currentTensor())
                                             .arg(m_w->tensorView()->panel(TensorView::TabHeatmap)->hasData())
                                             .arg(m_w->resultsPanel()->model()->rowCount())
                                             .arg(m_w->findChild<ElidedLabel*>("resultsCaption")->fullText())
                                             .arg(m_w->jobStatus()->runningCount())),
                              kWait);
}

int TestMainWindow::visibleLeaves(const QModelIndex& parent) const
{
    int n = 0;
    const QAbstractItemModel* m = m_w->treeProxy();
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        if (i.data(TensorTreeModel::IsTensorRole).toBool()) ++n;
        n += visibleLeaves(i);
    }
    return n;
}

void TestMainWindow::startPageEmptyState()
{
    auto* stack = m_w->findChild<QStackedWidget*>();
    QVERIFY(stack);
    QCOMPARE(stack->currentWidget(), static_cast<QWidget*>(m_w->startPage()));
    auto* demo = m_w->startPage()->findChild<QPushButton*>("startDemo");
    QVERIFY(demo && demo->isEnabled());
    QVERIFY(m_w->statusBar()->currentMessage().contains("demo model"));
    QCOMPARE(MainWindow::demoModelDir(), QDir(demoDir()).absolutePath());
    // The staircase is drawn without any model.
    QTRY_VERIFY_WITH_TIMEOUT(m_w->tensorView()->panel(TensorView::TabStaircase)->hasData(), kWait);
    QCOMPARE(m_w->tensorView()->panel(TensorView::TabStaircase)->plot()->graphCount(), 11);  // IDEAL + 7 formats, bfp x2
}

void TestMainWindow::opensDemoAndShowsFirstWeight()
{
    openDemo();
    QVERIFY(m_w->model());
    const auto& tensors = m_w->model()->tensors();
    QCOMPARE(m_w->treeModel()->tree().nodes[0].leafCount, int64_t(tensors.size()));
    QCOMPARE(visibleLeaves() > 0, true);
    QVERIFY(m_w->findChild<QStackedWidget*>()->currentWidget() != m_w->startPage());
    // The first weight (natural order) is selected and every view fills.
    waitForTensor(QStringLiteral("lm_head.weight"));
    QCOMPARE(m_w->resultsPanel()->model()->rowCount(), 7);  // the original seven
    // No compression ran: the Comp column (all "none") is hidden (#15 §1, 1366-px screens).
    auto* table = m_w->resultsPanel()->findChild<QTableView*>("resultsTable");
    QVERIFY(table);
    QTRY_VERIFY(table->horizontalHeader()->isSectionHidden(ResultsModel::ColComp));
    QCOMPARE(m_w->tensorView()->findChild<ElidedLabel*>("tensorTitle")->fullText(), QStringLiteral("lm_head.weight"));
    QVERIFY(m_w->tensorView()->findChild<ElidedLabel*>("tensorFacts")->fullText().contains("BF16"));
    QVERIFY(m_w->tensorView()->findChild<QLabel*>("stat_0")->text() != QStringLiteral("…"));
    QCOMPARE(m_w->treeView()->currentIndex().data(TensorTreeModel::PathRole).toString(), QStringLiteral("lm_head.weight"));
    // The transfer legend carries the MAE of each format once the metrics landed.
    QTRY_VERIFY_WITH_TIMEOUT(m_w->tensorView()->panel(TensorView::TabTransfer)->plot()->graphCount() == 8 &&
                                 m_w->tensorView()->panel(TensorView::TabTransfer)->plot()->graph(1)->name().contains("MAE="),
                             kWait);
    QVERIFY(m_w->windowTitle().contains("QuantScope"));
}

void TestMainWindow::keyboardMovesThroughTree()
{
    openDemo();
    waitForTensor(QStringLiteral("lm_head.weight"));
    QTreeView* tree = m_w->treeView();
    tree->setFocus();
    // Down from lm_head.weight: the next row is the "model" group; Right expands it,
    // Down walks into it. Keep pressing Down until a tensor row becomes current.
    QString reached;
    for (int i = 0; i < 12 && reached.isEmpty(); ++i) {
        QTest::keyClick(tree, Qt::Key_Right);
        QTest::keyClick(tree, Qt::Key_Down);
        const QModelIndex cur = tree->currentIndex();
        if (cur.data(TensorTreeModel::IsTensorRole).toBool()) reached = cur.data(TensorTreeModel::PathRole).toString();
    }
    QVERIFY(!reached.isEmpty());
    QVERIFY(reached != QStringLiteral("lm_head.weight"));
    waitForTensor(reached);
    // Up goes back through the rows; the view follows the current tensor row.
    QTest::keyClick(tree, Qt::Key_Home);
    QTest::keyClick(tree, Qt::Key_Down);  // lm_head.weight (row under the expanded lm_head group)
    QCOMPARE(tree->currentIndex().data(TensorTreeModel::PathRole).toString(), QStringLiteral("lm_head.weight"));
    waitForTensor(QStringLiteral("lm_head.weight"));
}

void TestMainWindow::mouseSelectsTensor()
{
    openDemo();
    waitForTensor(QStringLiteral("lm_head.weight"));
    const QString target = QStringLiteral("model.norm.weight");
    const QModelIndex idx = m_w->treeProxy()->mapFromSource(m_w->treeModel()->indexForPath(target));
    QVERIFY(idx.isValid());
    m_w->treeView()->scrollTo(idx);  // expands the parents
    QTest::qWait(50);
    const QRect r = m_w->treeView()->visualRect(idx);
    QVERIFY(r.isValid());
    QTest::mouseClick(m_w->treeView()->viewport(), Qt::LeftButton, {}, r.center());
    waitForTensor(target);
    QCOMPARE(m_w->resultsPanel()->model()->report().tensors.front().info.shape.size(), size_t(1));
    // A 1-D tensor's heat map is drawn as rows of 32.
    QCPColorMap* map = nullptr;
    QCustomPlot* heat = m_w->tensorView()->panel(TensorView::TabHeatmap)->plot();
    for (int i = 0; i < heat->plottableCount(); ++i)
        if ((map = qobject_cast<QCPColorMap*>(heat->plottable(i)))) break;
    QVERIFY(map);
    QCOMPARE(map->data()->keySize(), 32);
}

void TestMainWindow::filterShowsMatchesAndParents()
{
    openDemo();
    QLineEdit* filter = m_w->filterField();
    filter->setFocus();
    QTest::keyClicks(filter, "q_a_proj");
    int expected = 0;
    for (const auto& t : m_w->model()->tensors())
        if (QString::fromStdString(t.name).contains("q_a_proj")) ++expected;
    QVERIFY(expected >= 2);
    // Debounced: applied a moment later.
    QTRY_COMPARE_WITH_TIMEOUT(visibleLeaves(), expected, 5000);
    auto* info = m_w->findChild<QLabel*>("filterInfo");
    QCOMPARE(info->text(), QStringLiteral("%1 of %2 tensors match").arg(expected).arg(m_w->model()->tensors().size()));
    // Parents of the matches are visible (and only those).
    QCOMPARE(m_w->treeProxy()->rowCount(), 1);  // "model"
    // Dotted prefix: layers.1 must not match layers.10-style names and must include its subtree.
    m_w->setFilterText(QStringLiteral("model.layers.1"));
    int prefix = 0;
    for (const auto& t : m_w->model()->tensors())
        if (QString::fromStdString(t.name).startsWith("model.layers.1.")) ++prefix;
    QCOMPARE(visibleLeaves(), prefix);
    m_w->setFilterText(QStringLiteral("/inv_freq$/"));
    QCOMPARE(visibleLeaves(), 2);
    m_w->setFilterText(QStringLiteral("/(/"));
    QCOMPARE(visibleLeaves(), 0);
    QVERIFY(info->text().contains("invalid regular expression"));
    m_w->setFilterText(QString());
    QCOMPARE(visibleLeaves(), int(m_w->model()->tensors().size()));
}

void TestMainWindow::toggleFormatsDrivesViews()
{
    openDemo();
    waitForTensor(QStringLiteral("lm_head.weight"));
    FormatListModel* formats = m_w->formatPanel()->model();
    formats->setCheckedNames({"bf16", "bfp8"});
    QTRY_VERIFY_WITH_TIMEOUT(m_w->resultsPanel()->model()->rowCount() == 2, kWait);
    const ResultsModel* rm = m_w->resultsPanel()->model();
    QCOMPARE(rm->index(0, ResultsModel::ColFormat).data().toString(), QStringLiteral("BF16"));
    QCOMPARE(rm->index(1, ResultsModel::ColFormat).data().toString(), QStringLiteral("BFP8"));
    // Every panel follows: 2 error series, Ideal + 2 transfer curves, staircase IDEAL + bf16 + 2 bfp8.
    QTRY_VERIFY_WITH_TIMEOUT(m_w->tensorView()->panel(TensorView::TabErrors)->plot()->graphCount() == 2, kWait);
    QTRY_VERIFY_WITH_TIMEOUT(m_w->tensorView()->panel(TensorView::TabTransfer)->plot()->graphCount() == 3, kWait);
    QTRY_VERIFY_WITH_TIMEOUT(m_w->tensorView()->panel(TensorView::TabStaircase)->plot()->graphCount() == 4, kWait);
    // A click on the check box of a row (the view's own editing path) adds nvfp4.
    const int row = formats->rowOf("nvfp4");
    formats->setData(formats->index(row, FormatListModel::ColName), Qt::Checked, Qt::CheckStateRole);
    QTRY_VERIFY_WITH_TIMEOUT(m_w->resultsPanel()->model()->rowCount() == 3, kWait);
    // The preset restores the original seven.
    m_w->formatPanel()->findChild<QPushButton*>("presetOriginal")->click();
    QTRY_VERIFY_WITH_TIMEOUT(m_w->resultsPanel()->model()->rowCount() == 7, kWait);
    // The MX scale option changes the MXFP4 result (RCEIL never clips): options reach the jobs.
    QCOMPARE(m_w->formatPanel()->options().mxScale, MxScaleRule::Floor);
}

void TestMainWindow::switchTabsAndLogToggle()
{
    openDemo();
    waitForTensor(QStringLiteral("lm_head.weight"));
    QTabWidget* tabs = m_w->tensorView()->tabs();
    QCOMPARE(tabs->count(), 6);
    for (int t = 0; t < tabs->count(); ++t) {
        tabs->setCurrentIndex(t);
        QCOMPARE(tabs->currentIndex(), t);
        // The Importance panel has data only with an importance file (test_importance_ui).
        if (t == TensorView::TabImportance) continue;
        QVERIFY2(m_w->tensorView()->panel(TensorView::Tab(t))->hasData(), qPrintable(tabs->tabText(t)));
    }
    tabs->setCurrentIndex(TensorView::TabHistogram);
    QCustomPlot* hist = m_w->tensorView()->panel(TensorView::TabHistogram)->plot();
    QCOMPARE(hist->yAxis->scaleType(), QCPAxis::stLinear);
    auto* log = m_w->tensorView()->findChild<QCheckBox*>("histogramLog");
    log->click();
    hist = m_w->tensorView()->panel(TensorView::TabHistogram)->plot();
    QCOMPARE(hist->yAxis->scaleType(), QCPAxis::stLogarithmic);
    // Legend click hides a curve and is remembered.
    QCustomPlot* transfer = m_w->tensorView()->panel(TensorView::TabTransfer)->plot();
    QVERIFY(transfer->graphCount() > 1);
    QCPAbstractLegendItem* item = transfer->legend->itemWithPlottable(transfer->graph(1));
    QVERIFY(item);
    Q_EMIT transfer->legendClick(transfer->legend, item, nullptr);
    QVERIFY(!transfer->graph(1)->visible());
    QCOMPARE(m_w->tensorView()->panel(TensorView::TabTransfer)->hiddenCurves().size(), 1);
}

void TestMainWindow::dropFileOpensIt()
{
    const QString file = m_tmp.filePath("dropped.safetensors");
    QVERIFY(writeF32(file, {{"a.weight", {4, 8}, pseudoNormal(32, 1, 0.1f)}, {"b.weight", {16}, pseudoNormal(16, 2, 1.0f)}}));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(file)});
    QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_w, &enter);
    QVERIFY(enter.isAccepted());
    QSignalSpy opened(m_w, &MainWindow::modelOpened);
    QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_w, &drop);
    QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, kWait);
    QCOMPARE(m_w->model()->tensors().size(), size_t(2));
    waitForTensor(QStringLiteral("a.weight"));
    // Something that is not a model is refused at the door.
    const QString text = m_tmp.filePath("notes.txt");
    QFile f(text);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("hello");
    f.close();
    QMimeData other;
    other.setUrls({QUrl::fromLocalFile(text)});
    QDragEnterEvent enter2(QPoint(50, 50), Qt::CopyAction, &other, Qt::LeftButton, Qt::NoModifier);
    enter2.setAccepted(false);
    QApplication::sendEvent(m_w, &enter2);
    QVERIFY(!enter2.isAccepted());
    // ... and the status bar says what can be dropped (a .png is not silently ignored).
    QCOMPARE(m_w->statusBar()->currentMessage(),
             QStringLiteral("notes.txt cannot be dropped here: drop a model folder, a .safetensors file (a model, or "
                            "importance for the open model), a compression config (.json) or an importance matrix "
                            "(.gguf, .dat)."));
}

void TestMainWindow::homeFolderShownAsTilde()
{
    // A model under the home folder is shown as ~/…, and a typed ~/… opens it.
    const QString home = m_tmp.filePath("home");
    QVERIFY(QDir().mkpath(home + "/models"));
    QVERIFY(writeF32(home + "/models/one.safetensors", {{"a.weight", {4, 8}, pseudoNormal(32, 3, 0.1f)}}));
    const QByteArray oldHome = qgetenv("HOME");
    qputenv("HOME", home.toLocal8Bit());
    QSignalSpy opened(m_w, &MainWindow::modelOpened);
    m_w->openModel(QStringLiteral("~/models/one.safetensors"));
    QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, kWait);
    qputenv("HOME", oldHome);
    QCOMPARE(opened.front().front().toString().left(24), QStringLiteral("~/models/one.safetensors"));
    QCOMPARE(m_w->findChild<QLineEdit*>("modelField")->text(), QStringLiteral("~/models/one.safetensors"));
    QVERIFY2(m_w->statusBar()->currentMessage().startsWith("~/models/one.safetensors"),
             qPrintable(m_w->statusBar()->currentMessage()));
}

void TestMainWindow::longTextsNeverResizePanes()
{
    // Issue #15: a long label (facts of an FP8 tensor, a run's caption) must not narrow the
    // left pane; the results' Tensor column keeps a useful width and recovers after a narrow
    // resize; an elided name shows in full as tooltip.
    openDemo();
    waitForTensor(QStringLiteral("lm_head.weight"));
    auto* split = m_w->findChild<QSplitter*>(QStringLiteral("mainSplitter"));
    QVERIFY(split);
    QCoreApplication::processEvents();
    const QList<int> before = split->sizes();
    const QString longText = QStringLiteral("model.layers.61.mlp.experts.255.down_proj.weight ").repeated(8);
    m_w->resultsPanel()->setCaption(longText);
    m_w->tensorView()->showEmpty(longText);
    QTest::qWait(50);
    QCOMPARE(split->sizes(), before);
    auto* caption = m_w->findChild<ElidedLabel*>(QStringLiteral("resultsCaption"));
    QCOMPARE(caption->fullText(), longText);
    QVERIFY(caption->text().size() < longText.size());  // elided
    QCOMPARE(caption->toolTip(), longText);

    m_w->selectTensor(QStringLiteral("model.layers.0.mlp.down_proj.weight"));
    waitForTensor(QStringLiteral("model.layers.0.mlp.down_proj.weight"));
    QTableView* table = m_w->resultsPanel()->view();
    const int wide = table->horizontalHeader()->sectionSize(ResultsModel::ColTensor);
    m_w->resize(900, 700);
    QTest::qWait(50);
    QVERIFY2(table->horizontalHeader()->sectionSize(ResultsModel::ColTensor) >= 170,  // kMinTensorWidth
             qPrintable(QString::number(table->horizontalHeader()->sectionSize(ResultsModel::ColTensor))));
    m_w->resize(1400, 900);
    QTRY_COMPARE_WITH_TIMEOUT(table->horizontalHeader()->sectionSize(ResultsModel::ColTensor), wide, 5000);
    const QModelIndex cell = table->model()->index(0, ResultsModel::ColTensor);
    QCOMPARE(cell.data(Qt::ToolTipRole).toString(), QStringLiteral("model.layers.0.mlp.down_proj.weight"));
}

void TestMainWindow::errorsStayInTheWindow()
{
    QSignalSpy failed(m_w, &MainWindow::modelFailed);
    const QString missing = m_tmp.filePath("no/such/model");
    m_w->openModel(missing);
    // (A fast failure may be reported before openModel returns: count, don't wait.)
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kWait);
    auto* err = m_w->startPage()->findChild<QLabel*>("startError");
    QVERIFY(err->isVisible());
    QVERIFY2(err->text().contains("no/such/model"), qPrintable(err->text()));
    QVERIFY(err->text().contains("Check the spelling"));  // the action to take
    QVERIFY(m_w->isVisible());
    // A malformed file: named in the message, the window stays.
    const QString bad = m_tmp.filePath("bad.safetensors");
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray("\xff\xff\xff\xff\xff\xff\xff\x7f{garbage", 17));
    f.close();
    m_w->openModel(bad);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, kWait);
    QVERIFY2(m_w->lastError().contains("bad.safetensors"), qPrintable(m_w->lastError()));
    QVERIFY(err->text().contains("not a valid safetensors"));
    QVERIFY(m_w->isVisible());
    // An error while a model is open goes to the banner above the explorer.
    openDemo();
    m_w->openModel(missing);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 3, kWait);
    auto* banner = m_w->findChild<QLabel*>("errorBanner");
    QVERIFY(banner->isVisible());
    QVERIFY(m_w->model());  // the open model stays
}

void TestMainWindow::hubErrorsSayWhatToDo()
{
    QSignalSpy failed(m_w, &MainWindow::modelFailed);
    auto* err = m_w->startPage()->findChild<QLabel*>("startError");
    // A datasets URL is refused before any network access.
    m_w->openModel(QStringLiteral("https://huggingface.co/datasets/org/x"));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kWait);
    QVERIFY2(err->text().contains("dataset URL"), qPrintable(err->text()));
    QVERIFY(err->text().contains("Only model repositories"));
    // Offline mode with nothing cached: no network, a message saying so and what to do.
    qputenv("HF_HUB_OFFLINE", "1");
    qputenv("HF_HOME", m_tmp.filePath("hf-home").toUtf8());
    m_w->openModel(QStringLiteral("some-org/some-model"));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, kWait);
    qunsetenv("HF_HUB_OFFLINE");
    qunsetenv("HF_HOME");
    QVERIFY2(err->text().contains("some-org/some-model"), qPrintable(err->text()));
    QVERIFY(err->text().contains("Offline mode is on"));
    // One accurate piece of advice per situation, for the core's own messages.
    auto advice = [](const char* message) { return errorAdvice(Error::model(message)); };
    const QString noNetwork = advice(
        "some-org/some-model: repo info: Connection refused (http://127.0.0.1:1/api/models/some-org/some-model/revision/"
        "main, after 5 retries) (resolving revision 'main'; set HF_HUB_OFFLINE=1 to work from the cache only)");
    QVERIFY2(noNetwork.startsWith("The Hub could not be reached"), qPrintable(noNetwork));
    QVERIFY(!noNetwork.contains("Offline mode is on"));
    QVERIFY(advice("HF_HUB_OFFLINE is set and revision 'main' of org/x is not in the cache").startsWith("Offline mode is on"));
    QVERIFY(advice("org/x is a gated model: its files need a token. Log in at https://huggingface.co/org/x")
                .startsWith("This repository needs access"));
    QVERIFY(advice("Repository org/x not found on huggingface.co, or it is private. Check the id; if it is private, "
                   "set HF_TOKEN").startsWith("Check the spelling"));
    QVERIFY(advice("Host not found (https://hub.example/api/models/org/x)").startsWith("The Hub could not be reached"));
    // An invalid repo id.
    m_w->openModel(QStringLiteral("a/b/c/d"));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 3, kWait);
    QVERIFY(!err->text().isEmpty());
    QVERIFY(m_w->isVisible());
    QVERIFY(!m_w->model());
}

void TestMainWindow::settingsPersist()
{
    openDemo();
    m_w->formatPanel()->model()->setCheckedNames({"bfp4", "nvfp4"});
    // All eight format options of the CLI are in the panel (issue #15 §4) and persist.
    FormatPanel* panel = m_w->formatPanel();
    auto combo = [&](const char* name, const char* value) {
        auto* c = panel->findChild<QComboBox*>(name);
        QVERIFY2(c, name);
        c->setCurrentIndex(c->findData(QString::fromLatin1(value)));
        QVERIFY2(c->currentIndex() >= 0, value);
    };
    combo("mx-scale", "rceil");
    combo("mx-convention", "torchao");
    combo("elem-rounding", "rne");
    combo("nvfp4-convention", "modelopt");
    combo("fp8-scaling", "block128");
    combo("bf16-nan", "canonical");
    for (const char* box : {"nvfp4-2d", "bfp-optimize", "fp8-nonsaturating"}) {
        auto* c = panel->findChild<QCheckBox*>(box);
        QVERIFY2(c, box);
        c->setChecked(true);
    }
    FormatOptions want;
    want.mxScale = MxScaleRule::Rceil;
    want.mxConvention = MxConvention::TorchAo;
    want.elemRounding = ElemRounding::Rne;
    want.nvConvention = NvConvention::ModelOpt;
    want.fp8Scaling = Fp8Scaling::Block128;
    want.bf16CanonicalNan = true;
    want.nv2dBlocks = true;
    want.bfpOptimizeExponent = true;
    want.fp8Saturate = false;
    QVERIFY(panel->options() == want);
    QCOMPARE(QString::fromStdString(formatOptionFlags(panel->options())),
             QStringLiteral("--mx-scale rceil --mx-convention torchao --elem-rounding rne --nvfp4-convention modelopt "
                            "--nvfp4-2d --bf16-nan canonical --bfp-optimize --fp8-scaling block128 --fp8-nonsaturating"));
    // Options no checked format reads are disabled, with the reason in the tooltip (bfp4 and
    // nvfp4 are checked: the MX and FP8 rows are off, NVFP4 and BFP rows on).
    QVERIFY(!panel->findChild<QComboBox*>("mx-scale")->isEnabled());
    QVERIFY(!panel->findChild<QCheckBox*>("fp8-nonsaturating")->isEnabled());
    QVERIFY(panel->findChild<QComboBox*>("nvfp4-convention")->isEnabled());
    QVERIFY(panel->findChild<QCheckBox*>("bfp-optimize")->isEnabled());
    QVERIFY(panel->findChild<QComboBox*>("mx-scale")->toolTip().contains("it applies to mxfp4, mxfp6"));
    // Two options that contradict each other are named in a red line.
    auto* conflict = panel->findChild<QLabel*>("optionConflict");
    QVERIFY(conflict && conflict->isHidden());
    combo("elem-rounding", "away");
    QVERIFY(!conflict->isHidden());
    QVERIFY2(conflict->text().contains("--nvfp4-convention modelopt"), qPrintable(conflict->text()));
    combo("elem-rounding", "rne");
    QVERIFY(conflict->isHidden());
    m_w->setExportSize(640, 480);
    m_w->pages()->setCurrentIndex(1);  // the compression workspace
    m_w->close();  // saves
    QVERIFY(settings::recentModels.value().first().startsWith(QDir(demoDir()).absolutePath()));
    QCOMPARE(settings::checkedFormats.value(), QStringList({"bfp4", "nvfp4"}));
    MainWindow second;
    QCOMPARE(second.formatPanel()->model()->checkedNames(), QStringList({"bfp4", "nvfp4"}));
    QCOMPARE(second.exportSize(), QSize(640, 480));
    QVERIFY(second.formatPanel()->options() == want);
    settings::formatOptions.reset();
    QCOMPARE(second.pages()->currentWidget(), static_cast<QWidget*>(second.compressionWorkspace()));
    settings::currentPage.reset();
    auto* recent = second.startPage()->findChild<QListWidget*>("recentList");
    QVERIFY(recent && recent->count() >= 1);
    QCOMPARE(recent->item(0)->data(Qt::UserRole).toString(), QDir(demoDir()).absolutePath());
    settings::checkedFormats.reset();
}

void TestMainWindow::standardShortcuts()
{
    // Screen readers name every control (window-tree showed these unnamed).
    QCOMPARE(m_w->treeView()->accessibleName(), QStringLiteral("Tensor tree"));
    QCOMPARE(m_w->findChild<QTableView*>("formatList")->accessibleName(), QStringLiteral("Formats"));
    QCOMPARE(m_w->findChild<QTableView*>("resultsTable")->accessibleName(), QStringLiteral("Results"));
    for (QLineEdit* edit : {m_w->filterField(), m_w->findChild<QLineEdit*>("modelField")})
        for (QToolButton* b : edit->findChildren<QToolButton*>())
            QVERIFY2(!b->text().isEmpty(), qPrintable(edit->objectName() + " has an unnamed button"));

    QStringList found;
    for (QAction* a : m_w->findChildren<QAction*>())
        for (const QKeySequence& k : a->shortcuts()) found << k.toString() + "=" + a->text().remove('&');
    auto has = [&](const QString& key, const QString& what) {
        for (const QString& f : found)
            if (f.startsWith(key + "=") && f.contains(what, Qt::CaseInsensitive)) return true;
        return false;
    };
    QVERIFY2(has("Ctrl+O", "open folder"), qPrintable(found.join(", ")));
    QVERIFY(has("Ctrl+F", "filter"));
    QVERIFY(has("Ctrl+E", "png"));
    QVERIFY(has("Ctrl+Q", "quit"));
    QVERIFY(has("F5", "reload"));
    QVERIFY(has("Ctrl+R", "analyze"));
    QVERIFY(has("Esc", "cancel"));
    bool about = false;
    for (QAction* a : m_w->findChildren<QAction*>()) about |= a->text().contains("About");
    QVERIFY(about);
    // Ctrl+F focuses the filter.
    openDemo();
    m_w->activateWindow();
    QTest::keyClick(m_w, Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(m_w->filterField()->hasFocus());

    // Window shortcuts win over a text field's own bindings: on X11 a QLineEdit claims
    // Ctrl+E ("end of line") and Ctrl+K ("delete to end of line") through ShortcutOverride.
    // The offscreen platform has no such bindings, so a field that claims every key
    // stands in for one.
    class ClaimingField : public QLineEdit {
    public:
        using QLineEdit::QLineEdit;
        bool event(QEvent* e) override
        {
            if (e->type() == QEvent::ShortcutOverride) {
                e->accept();
                return true;
            }
            return QLineEdit::event(e);
        }
    };
    auto* field = new ClaimingField(m_w);
    m_w->statusBar()->addWidget(field);
    field->show();
    field->setText("mlp");
    field->setFocus();
    QTRY_VERIFY(field->hasFocus());
    auto* show = m_w->findChild<QAction*>("showWorkspace");
    QVERIFY(show);
    QVERIFY(!show->isChecked());
    QTest::keyClick(field, Qt::Key_K, Qt::ControlModifier);
    QTRY_VERIFY(show->isChecked());
    // Plain typing still goes to the field.
    field->setCursorPosition(0);
    QTest::keyClick(field, Qt::Key_X);
    QCOMPARE(field->text(), QStringLiteral("xmlp"));

    // Help lists every shortcut of every menu, once per key.
    const auto list = m_w->shortcutList();
    QStringList lines;
    QSet<QString> keys;
    for (const auto& [what, key] : list) {
        lines << key.toString() + " " + what;
        QVERIFY2(!keys.contains(key.toString()), qPrintable("two entries for " + key.toString()));
        keys.insert(key.toString());
    }
    for (const QString& want : {QStringLiteral("Ctrl+E Export › Current plot as PNG"),
                                QStringLiteral("Ctrl+K Compression › Show workspace"),
                                QStringLiteral("Esc Analyze › Cancel running jobs"),
                                QStringLiteral("F1 Help › Keyboard shortcuts"),
                                QStringLiteral("Alt+4 View › Heat map")})
        QVERIFY2(lines.contains(want), qPrintable(want + " not in:\n" + lines.join("\n")));
    for (QAction* a : m_w->findChildren<QAction*>())
        if (!a->shortcut().isEmpty() && !a->associatedObjects().isEmpty())
            QVERIFY2(keys.contains(a->shortcut().toString()), qPrintable(a->text()));
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
