// Issue #18 in the explorer: an importance file (QuantScope's own .safetensors, F32 [n_in]
// per weight, named like the demo model's tensors) loaded through File › Open importance's
// slot and through a drop; the status line and bound counts; the weighted columns of the
// results table equal to runWq with the same file, and their sort; the Importance panel;
// the effective-weight heat map; the tree ordered by worst wREL; errors for bad files and
// re-binding when another model opens. Every check compares real numbers.
#include "analysis/importance_run.h"
#include "analysis/wq_run.h"
#include "compression/compression_workspace.h"
#include "compression/tile_map_view.h"
#include "gui_test_util.h"
#include "main_window.h"
#include "models/format_list_model.h"
#include "models/results_model.h"
#include "models/tensor_filter_proxy.h"
#include "models/tensor_tree_model.h"
#include "plots/qcp.h"
#include "test_paths.h"
#include "widgets/format_panel.h"
#include "widgets/job_status.h"
#include "widgets/plot_panel.h"
#include "widgets/results_panel.h"
#include "widgets/tensor_view.h"

#include <QComboBox>
#include <QSlider>
#include <QTabWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QHeaderView>
#include <QLabel>
#include <QMimeData>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

using namespace qs;
using namespace qs::test;

namespace {

constexpr int kWait = 40000;

const char* kDown = "model.layers.0.mlp.down_proj.weight";       // [256, 96]
const char* kGate = "model.layers.0.mlp.gate_proj.weight";       // [96, 256]
const char* kExperts = "model.layers.1.mlp.experts.down_proj.weight";  // [4, 256, 96]
const char* kNoEntry = "model.layers.0.self_attn.kv_a_proj_with_mqa.weight";

// E[x²] with a few hot channels, all > 0 (every channel is drawn on the log axis).
std::vector<float> energies(size_t n, uint32_t seed, std::vector<size_t> hot)
{
    std::vector<float> v = pseudoNormal(n, seed, 0.5f);
    for (float& x : v) x = 0.02f + x * x;
    for (size_t h : hot) v[h] *= 60.0f;
    return v;
}

} // namespace

class TestImportanceUi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void loadShowsStatusAndBindings();
    void dropLoadsImportance();
    void weightedColumnsEqualRunWq();
    void importancePanel();
    void effectiveWeightHeatmap();
    void workspaceWeightedMetrics();
    void badFilesGiveReadableErrors();
    void anotherModelRebindsOrClears();

private:
    void openDemo();
    void loadImportance(const QString& path);
    void waitForTensor(const QString& name);
    void shot(const QString& name);
    MainWindow* m_w = nullptr;
    QTemporaryDir m_tmp;
    QString m_file;                                // the importance file
    std::map<std::string, std::vector<float>> m_v; // its values
};

void TestImportanceUi::initTestCase()
{
    isolateSettings();
    QVERIFY(m_tmp.isValid());
    qputenv("QS_DEMO_DIR", demoDir().toUtf8());
    m_v[kDown] = energies(96, 1, {7, 50});
    m_v[kGate] = energies(256, 2, {3, 100, 200});
    m_v["model.layers.0.self_attn.o_proj.weight"] = energies(256, 3, {11});
    m_v["lm_head.weight"] = energies(256, 4, {5, 6});
    std::vector<float> experts;
    for (uint32_t e = 0; e < 4; ++e) {
        const std::vector<float> row = energies(96, 10 + e, {size_t(e * 10 + 1)});
        experts.insert(experts.end(), row.begin(), row.end());
    }
    m_v[kExperts] = experts;
    m_v["model.layers.9.mlp.up_proj.weight"] = energies(64, 5, {});  // no such tensor: unmapped
    std::vector<F32Tensor> tensors;
    for (const auto& [name, v] : m_v)
        tensors.push_back({name, name == kExperts ? std::vector<int64_t>{4, 96} : std::vector<int64_t>{int64_t(v.size())}, v});
    m_file = m_tmp.filePath("imp.safetensors");
    QVERIFY(writeF32(m_file, tensors));
}

void TestImportanceUi::init()
{
    m_w = new MainWindow;
    m_w->resize(1366, 740);
    m_w->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_w));
}

void TestImportanceUi::cleanup()
{
    delete m_w;
    m_w = nullptr;
}

// QS_UI_SHOT_DIR set: a grab of the window (to look at while developing).
void TestImportanceUi::shot(const QString& name)
{
    const QString dir = qEnvironmentVariable("QS_UI_SHOT_DIR");
    if (dir.isEmpty()) return;
    QTest::qWait(300);
    m_w->grab().save(QDir(dir).filePath(name + ".png"));
}

void TestImportanceUi::openDemo()
{
    QSignalSpy opened(m_w, &MainWindow::modelOpened);
    m_w->openModel(demoDir());
    QTRY_VERIFY_WITH_TIMEOUT(opened.count() == 1, kWait);
    QTRY_VERIFY_WITH_TIMEOUT(!m_w->isBusy(), kWait);
}

void TestImportanceUi::loadImportance(const QString& path)
{
    QSignalSpy changed(m_w, &MainWindow::importanceChanged);
    QSignalSpy failed(m_w, &MainWindow::importanceFailed);
    m_w->openImportance(path);  // what File › Open importance… calls with the chosen file
    QTRY_VERIFY_WITH_TIMEOUT(changed.count() + failed.count() > 0, kWait);
    QVERIFY2(failed.isEmpty(), qPrintable(m_w->lastError()));
    QVERIFY(m_w->importance());
}

void TestImportanceUi::waitForTensor(const QString& name)
{
    m_w->selectTensor(name);
    QTRY_VERIFY_WITH_TIMEOUT(m_w->currentTensor() == name && !m_w->resultsPanel()->model()->isEmpty() &&
                                 m_w->resultsPanel()->model()->report().tensors.front().info.name == name.toStdString() &&
                                 m_w->tensorView()->panel(TensorView::TabHeatmap)->hasData() && !m_w->isBusy(),
                             kWait);
}

void TestImportanceUi::loadShowsStatusAndBindings()
{
    openDemo();
    QLabel* status = m_w->importanceStatus();
    QVERIFY(status && !status->isVisible());
    // No importance yet: the weighted metrics cannot be chosen in the workspace.
    auto* metrics = qobject_cast<QStandardItemModel*>(m_w->compressionWorkspace()->metricBox()->model());
    QVERIFY(metrics);
    QCOMPARE(metrics->item(3)->text(), QStringLiteral("wsqnr"));
    QVERIFY(!metrics->item(3)->isEnabled());
    QVERIFY(!metrics->item(4)->isEnabled());

    loadImportance(m_file);
    QCOMPARE(status->text(), QStringLiteral("importance: imp.safetensors — 5 of 6 entries bound, 1 unmapped"));
    QVERIFY(status->isVisible());
    QCOMPARE(status->accessibleName(), QStringLiteral("Importance file"));
    QVERIFY(status->toolTip().contains("model.layers.9.mlp.up_proj.weight"));
    const RunImportance& imp = *m_w->importance();
    QCOMPARE(imp.file.entries.size(), size_t(6));
    QCOMPARE(imp.index.bindings.size(), size_t(5));
    QCOMPARE(boundEntries(imp), 5);
    QCOMPARE(imp.index.unmappedEntries, std::vector<std::string>{"model.layers.9.mlp.up_proj.weight"});
    QCOMPARE(m_w->importanceSpec(), m_file);
    QVERIFY(metrics->item(3)->isEnabled());
    QVERIFY(metrics->item(4)->isEnabled());
    shot("importance_loaded");

    // Clear: nothing weighted, the status line goes.
    QSignalSpy changed(m_w, &MainWindow::importanceChanged);
    m_w->clearImportance();
    QCOMPARE(changed.count(), 1);
    QVERIFY(!m_w->importance());
    QVERIFY(!status->isVisible());
    QVERIFY(!metrics->item(3)->isEnabled());
}

void TestImportanceUi::dropLoadsImportance()
{
    openDemo();
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(m_file)});
    QVERIFY(m_w->isImportanceFile(m_file));                          // named like the model's weights, [n_in]
    QVERIFY(!m_w->isImportanceFile(demoDir() + "/model-00001-of-00002.safetensors"));  // a checkpoint
    QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_w, &enter);
    QVERIFY(enter.isAccepted());
    QSignalSpy changed(m_w, &MainWindow::importanceChanged);
    QSignalSpy opened(m_w, &MainWindow::modelOpening);
    QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_w, &drop);
    QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, kWait);
    QCOMPARE(opened.count(), 0);  // not opened as a model
    QCOMPARE(m_w->importance()->index.bindings.size(), size_t(5));

    // Neither a model, a config nor importance: refused, and the status bar says what can be dropped.
    const QString text = m_tmp.filePath("notes.txt");
    QFile f(text);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("hello");
    f.close();
    QMimeData other;
    other.setUrls({QUrl::fromLocalFile(text)});
    QDragEnterEvent refused(QPoint(50, 50), Qt::CopyAction, &other, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_w, &refused);
    QVERIFY(!refused.isAccepted());
    const QString message = m_w->statusBar()->currentMessage();
    QVERIFY2(message.contains("notes.txt cannot be dropped here") && message.contains("importance matrix (.gguf, .dat)"),
             qPrintable(message));
}

void TestImportanceUi::weightedColumnsEqualRunWq()
{
    openDemo();
    m_w->formatPanel()->model()->setCheckedNames({"bf16", "bfp8", "bfp4", "fp0"});
    loadImportance(m_file);
    // The filter's matches: every tensor of layer 0 (with and without an entry).
    m_w->setFilterText(QStringLiteral("model.layers.0"));
    QSignalSpy done(m_w, &MainWindow::analysisFinished);
    m_w->analyzeSelection();
    QTRY_VERIFY_WITH_TIMEOUT(done.count() == 1, kWait);
    ResultsModel* table = m_w->resultsPanel()->model();
    QVERIFY(table->weighted());
    const WqReport& shown = table->report();

    // The same run headless, through runWq with the same file.
    WqParams p;
    p.model = demoDir();
    p.formats = {"bf16", "bfp8", "bfp4", "fp0"};
    for (const std::string& n : shown.tensorNames) p.tensors << QString::fromStdString(n);
    p.writeResults = false;
    p.importance = m_file;
    auto cli = runWq(p, {}, {}, nullptr);
    QVERIFY2(cli.ok(), cli.ok() ? "" : cli.error().message.c_str());
    QCOMPARE(cli->tensors.size(), shown.tensors.size());
    QVERIFY(cli->tensors.size() >= 7);
    int weightedRows = 0, dashRows = 0;
    int row = 0;
    for (size_t t = 0; t < cli->tensors.size(); ++t) {
        const WqTensor& a = cli->tensors[t];
        const WqTensor& b = shown.tensors[t];
        QCOMPARE(b.info.name, a.info.name);
        QCOMPARE(b.importanceNote, a.importanceNote);
        QCOMPARE(b.rows.size(), a.rows.size());
        for (size_t r = 0; r < a.rows.size(); ++r, ++row) {
            const Metrics& ma = a.rows[r].metrics;
            const Metrics& mb = b.rows[r].metrics;
            auto cell = [&](int c) { return table->index(row, c).data().toString(); };
            auto raw = [&](int c) { return table->index(row, c).data(ResultsModel::RawRole).toDouble(); };
            QCOMPARE(mb.relRmse, ma.relRmse);
            QCOMPARE(raw(ResultsModel::ColRel), ma.relRmse);
            QCOMPARE(cell(ResultsModel::ColRel), QString::asprintf("%.3g%%", 100.0 * ma.relRmse));
            if (a.importanceNote.empty()) {
                ++weightedRows;
                QVERIFY(std::isfinite(ma.wrel));
                QCOMPARE(raw(ResultsModel::ColWrel), ma.wrel);
                QCOMPARE(raw(ResultsModel::ColWsqnr), ma.wsqnrDb);
                QCOMPARE(cell(ResultsModel::ColWrel), QString::asprintf("%.3g%%", 100.0 * ma.wrel));
                if (std::isfinite(ma.wsqnrDb)) QCOMPARE(cell(ResultsModel::ColWsqnr), QString::asprintf("%.2f", ma.wsqnrDb));
                // wSQNR = -20 log10 wREL: the two weighted columns agree.
                if (ma.wrel > 0) QVERIFY(std::fabs(ma.wsqnrDb + 20.0 * std::log10(ma.wrel)) < 1e-9);
            } else {
                ++dashRows;
                QCOMPARE(cell(ResultsModel::ColWrel), QStringLiteral("-"));
                QCOMPARE(cell(ResultsModel::ColWsqnr), QStringLiteral("-"));
                QVERIFY(std::isnan(raw(ResultsModel::ColWrel)));
            }
        }
    }
    QVERIFY(weightedRows >= 3 * 4);  // down_proj, gate_proj, o_proj (+ q_a_proj has none here)
    QVERIFY(dashRows >= 4);          // kv_a_proj_with_mqa, the norm, ...
    // The columns show (a run with importance); ATOL and RMSE step aside so all fit.
    QHeaderView* header = m_w->resultsPanel()->view()->horizontalHeader();
    QTRY_VERIFY(!header->isSectionHidden(ResultsModel::ColWrel) && !header->isSectionHidden(ResultsModel::ColWsqnr));
    QVERIFY(!header->isSectionHidden(ResultsModel::ColRel));
    QCOMPARE(table->headerData(ResultsModel::ColWsqnr, Qt::Horizontal, Qt::DisplayRole).toString(), QStringLiteral("wSQNR dB"));
    QCOMPARE(table->headerData(ResultsModel::ColWrel, Qt::Horizontal, Qt::DisplayRole).toString(), QStringLiteral("wREL"));
    QVERIFY(header->isSectionHidden(ResultsModel::ColSqnr));
    QVERIFY(!header->isSectionHidden(ResultsModel::ColAtol));  // PCC / MAE / ATOL stay
    m_w->resultsPanel()->setColumnVisible(ResultsModel::ColSqnr, true);  // the header menu's choice
    QVERIFY(!header->isSectionHidden(ResultsModel::ColSqnr));

    // Sorting by wREL: numeric, worst first, "-" last; ascending: best first, "-" still last.
    QSortFilterProxyModel* proxy = m_w->resultsPanel()->proxy();
    for (Qt::SortOrder order : {Qt::DescendingOrder, Qt::AscendingOrder}) {
        m_w->resultsPanel()->view()->sortByColumn(ResultsModel::ColWrel, order);
        bool seenNaN = false;
        double prev = order == Qt::DescendingOrder ? INFINITY : -INFINITY;
        int finite = 0;
        for (int r = 0; r < proxy->rowCount(); ++r) {
            const double v = proxy->index(r, ResultsModel::ColWrel).data(ResultsModel::RawRole).toDouble();
            if (std::isnan(v)) {
                seenNaN = true;
                continue;
            }
            QVERIFY2(!seenNaN, "a measured row after a \"-\" row");
            QVERIFY(order == Qt::DescendingOrder ? v <= prev : v >= prev);
            prev = v;
            ++finite;
        }
        QCOMPARE(finite, weightedRows);
        QVERIFY(seenNaN);
    }
    // The first row of the descending order is the largest wREL of the run (FP0: 100 %).
    m_w->resultsPanel()->view()->sortByColumn(ResultsModel::ColWrel, Qt::DescendingOrder);
    QCOMPARE(proxy->index(0, ResultsModel::ColWrel).data().toString(), QStringLiteral("100%"));

    // The tree by worst wREL (FP0 left out): the worst tensor first.
    std::string worstName;
    double worst = -1;
    for (const WqTensor& t : cli->tensors) {
        if (!t.importanceNote.empty()) continue;
        for (const WqRow& r : t.rows)
            if (r.format != "fp0" && r.metrics.wrel > worst) {
                worst = r.metrics.wrel;
                worstName = t.info.name;
            }
    }
    QVERIFY(!worstName.empty());
    QVERIFY(m_w->treeModel()->hasWorst());
    QVERIFY(!m_w->treeView()->header()->isSectionHidden(TensorTreeModel::ColWorst));
    m_w->setFilterText(QString());
    m_w->sortTreeByWorst();
    QModelIndex first = m_w->treeProxy()->index(0, 0);
    while (m_w->treeProxy()->rowCount(first) > 0) first = m_w->treeProxy()->index(0, 0, first);
    QCOMPARE(first.data(TensorTreeModel::PathRole).toString().toStdString(), worstName);
    QCOMPARE(first.siblingAtColumn(TensorTreeModel::ColWorst).data(TensorTreeModel::RawRole).toDouble(), worst);
    QCOMPARE(first.siblingAtColumn(TensorTreeModel::ColWorst).data().toString(), QString::asprintf("%.3g%%", 100.0 * worst));
    // Every top-level group is ordered by its worst tensor; tensors never analysed come last.
    double prev = INFINITY;
    bool seenNaN = false;
    for (int r = 0; r < m_w->treeProxy()->rowCount(); ++r) {
        const double v = m_w->treeProxy()->index(r, TensorTreeModel::ColWorst).data(TensorTreeModel::RawRole).toDouble();
        if (std::isnan(v)) { seenNaN = true; continue; }
        QVERIFY(!seenNaN && v <= prev);
        prev = v;
    }
    shot("weighted_table");
}

void TestImportanceUi::importancePanel()
{
    openDemo();
    TensorView* view = m_w->tensorView();
    PlotPanel* panel = view->panel(TensorView::TabImportance);
    waitForTensor(kDown);
    // Without a file: the empty state says what to do.
    QVERIFY(!panel->hasData());
    QVERIFY(panel->findChild<QLabel*>("plotMessage")->text().contains("No importance file is loaded"));

    loadImportance(m_file);
    waitForTensor(kGate);
    waitForTensor(kDown);
    view->tabs()->setCurrentIndex(TensorView::TabImportance);
    QVERIFY(panel->hasData());
    QCustomPlot* plot = panel->plot();
    QCOMPARE(plot->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QCPGraph* g = plot->graph(0);
    QCOMPARE(g->name(), QStringLiteral("E[x²]"));
    const std::vector<float>& v = m_v[kDown];
    QCOMPARE(g->data()->size(), int(v.size()));
    for (int i = 0; i < g->data()->size(); ++i) {
        const auto it = g->data()->at(i);
        QCOMPARE(it->key, double(i));
        QCOMPARE(it->value, double(v[size_t(i)]));
    }
    // The hottest channels are marked and labelled "#index · value".
    QCPGraph* top = plot->graph(2);
    QCOMPARE(top->name(), QStringLiteral("top channels"));
    QCOMPARE(top->data()->size(), 8);
    QStringList labels;
    for (int i = 0; i < plot->itemCount(); ++i)
        if (auto* t = qobject_cast<QCPItemText*>(plot->item(i)); t && t->objectName() == "topChannelLabel") labels << t->text();
    // Expected: the 8 largest values of the file, largest first.
    std::vector<int> order(v.size());
    for (size_t i = 0; i < v.size(); ++i) order[i] = int(i);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return v[size_t(a)] > v[size_t(b)]; });
    QStringList expected;
    for (int i = 0; i < 8; ++i)
        expected << QStringLiteral("#%1 · %2").arg(order[size_t(i)]).arg(QString::number(double(v[size_t(order[size_t(i)])]), 'g', 3));
    QCOMPARE(labels, expected);
    QVERIFY(expected.front().startsWith("#50 ") || expected.front().startsWith("#7 "));  // a hot channel leads
    // The read-out names the channel's value under the mouse.
    QVERIFY(!panel->readout()->accessibleName().isEmpty());
    // The weighted columns of the single-tensor table too.
    QVERIFY(m_w->resultsPanel()->model()->weighted());
    QVERIFY(std::isfinite(m_w->resultsPanel()->model()->report().tensors.front().rows.front().metrics.wrel));
    shot("importance_panel");

    // A stacked [4, 256, 96] expert tensor: the expert picker, expert 2's row of the file.
    waitForTensor(kExperts);
    auto* expert = view->findChild<QSpinBox*>("importanceExpert");
    QVERIFY(expert && expert->isVisibleTo(view));
    QCOMPARE(expert->maximum(), 3);
    QCOMPARE(expert->accessibleName(), QStringLiteral("Expert"));
    expert->setValue(2);
    g = panel->plot()->graph(0);
    QCOMPARE(g->data()->size(), 96);
    for (int i = 0; i < 96; ++i) QCOMPARE(g->data()->at(i)->value, double(m_v[kExperts][size_t(2 * 96 + i)]));

    // A tensor without an entry: the note from tensorWeights says why.
    waitForTensor(kNoEntry);
    QVERIFY(!panel->hasData());
    QVERIFY(!expert->isVisibleTo(view));
    const QString message = panel->findChild<QLabel*>("plotMessage")->text();
    QVERIFY2(message.contains("the importance file has no entry for it"), qPrintable(message));
    // A 1-D norm: no input channels.
    waitForTensor(QStringLiteral("model.layers.0.input_layernorm.weight"));
    QVERIFY(panel->findChild<QLabel*>("plotMessage")->text().contains("1-D tensor"));
}

void TestImportanceUi::effectiveWeightHeatmap()
{
    openDemo();
    TensorView* view = m_w->tensorView();
    QComboBox* mode = view->heatModeBox();
    QCOMPARE(mode->accessibleName(), QStringLiteral("Heat map shows"));
    loadImportance(m_file);
    waitForTensor(kDown);
    auto* items = qobject_cast<QStandardItemModel*>(mode->model());
    QVERIFY(items->item(TensorView::HeatEffective)->isEnabled());
    view->tabs()->setCurrentIndex(TensorView::TabHeatmap);
    view->setHeatMode(TensorView::HeatEffective);
    PlotPanel* panel = view->panel(TensorView::TabHeatmap);
    auto colorMap = [&]() -> QCPColorMap* {
        for (int i = 0; i < panel->plot()->plottableCount(); ++i)
            if (auto* m = qobject_cast<QCPColorMap*>(panel->plot()->plottable(i))) return m;
        return nullptr;
    };
    QTRY_VERIFY_WITH_TIMEOUT(colorMap() && colorMap()->colorScale() &&
                                 colorMap()->colorScale()->axis()->label().startsWith(QStringLiteral("|W|·√E[x²]")) &&
                                 !m_w->isBusy(),
                             kWait);
    QCPColorMap* map = colorMap();
    // [256, 96] is drawn cell for cell: cell (column c, row r) = |W[r, c]|·√v[c].
    QCOMPARE(map->data()->keySize(), 96);
    QCOMPARE(map->data()->valueSize(), 256);
    QCOMPARE(map->dataRange().lower, 0.0);
    auto model = openLocal(demoDir());
    QVERIFY(model);
    auto reader = model->reader(kDown);
    QVERIFY(reader.ok());
    const std::vector<float> w = (*reader)->readAll();
    const std::vector<float>& v = m_v[kDown];
    int checked = 0;
    for (auto [r, c] : {std::pair{0, 0}, {3, 7}, {100, 50}, {255, 95}, {17, 50}, {200, 7}}) {
        const float expected = std::fabs(w[size_t(r) * 96 + size_t(c)]) * std::sqrt(v[size_t(c)]);
        QCOMPARE(float(map->data()->cell(c, r)), expected);
        ++checked;
    }
    QCOMPARE(checked, 6);
    shot("effective_heatmap");
    // Back to values: the signed value of the element, a symmetric scale.
    view->setHeatMode(TensorView::HeatValue);
    QTRY_VERIFY_WITH_TIMEOUT(colorMap() && colorMap()->dataRange().lower < 0 && !m_w->isBusy(), kWait);
    QCOMPARE(float(colorMap()->data()->cell(7, 3)), w[3 * 96 + 7]);

    // A tensor without weights: the choice is disabled, the map shows values and says why.
    view->setHeatMode(TensorView::HeatEffective);
    waitForTensor(kNoEntry);
    QVERIFY(!items->item(TensorView::HeatEffective)->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(colorMap() && colorMap()->dataRange().lower < 0, kWait);
}

void TestImportanceUi::workspaceWeightedMetrics()
{
    openDemo();
    CompressionWorkspace* ws = m_w->compressionWorkspace();
    m_w->pages()->setCurrentWidget(ws);
    waitForTensor(kDown);
    QTRY_VERIFY_WITH_TIMEOUT(ws->sums() && ws->tensor() == kDown, kWait);
    QVERIFY(!ws->sums()->at(0, 0).weighted);
    loadImportance(m_file);
    waitForTensor(kDown);
    // The tile sums are recomputed with the tensor's weights.
    QTRY_VERIFY_WITH_TIMEOUT(ws->sums() && ws->sums()->at(0, 0).weighted && !m_w->isBusy(), kWait);
    ws->metricBox()->setCurrentText(QStringLiteral("wrel"));
    QCOMPARE(ws->liveParams().metric, MetricKind::Wrel);
    // Each candidate over the whole tensor, from the per-tile weighted sums, has the wREL
    // the analysis pass gave the table (different summation order: equal to 1e-9).
    const WqReport& table = m_w->resultsPanel()->model()->report();
    QVERIFY(table.importance.has_value());
    int compared = 0;
    for (size_t f = 0; f < ws->sums()->formats.size(); ++f) {
        const double fromTiles = ws->thresholdResult().pureMetrics[f].wrel;
        for (const WqRow& r : table.tensors.front().rows)
            if (r.format == ws->sums()->formats[f]->name) {
                QVERIFY2(std::fabs(fromTiles - r.metrics.wrel) <= 1e-9 * r.metrics.wrel,
                         qPrintable(QStringLiteral("%1: %2 vs %3").arg(QString::fromStdString(r.format)).arg(fromTiles).arg(r.metrics.wrel)));
                ++compared;
            }
    }
    QVERIFY(compared >= 2);
    // wrel: lower is better; loosening (slider right) never costs bytes.
    QSlider* slider = ws->thresholdSlider();
    double previous = INFINITY, threshold = -INFINITY;
    for (int pos = slider->minimum(); pos <= slider->maximum(); pos += 100) {
        slider->setValue(pos);
        QVERIFY(ws->liveParams().threshold >= threshold);
        threshold = ws->liveParams().threshold;
        QVERIFY(ws->thresholdResult().bytes <= previous);
        previous = ws->thresholdResult().bytes;
    }
    // wsqnr (dB): higher is better, so loosening lowers the threshold.
    ws->metricBox()->setCurrentText(QStringLiteral("wsqnr"));
    QCOMPARE(ws->liveParams().metric, MetricKind::Wsqnr);
    previous = INFINITY;
    threshold = INFINITY;
    for (int pos = slider->minimum(); pos <= slider->maximum(); pos += 100) {
        slider->setValue(pos);
        QVERIFY(std::isfinite(ws->liveParams().threshold));
        QVERIFY(ws->liveParams().threshold <= threshold);
        threshold = ws->liveParams().threshold;
        QVERIFY(ws->thresholdResult().bytes <= previous);
        previous = ws->thresholdResult().bytes;
        if (ws->thresholdResult().metThreshold) QVERIFY(ws->thresholdResult().metrics.wsqnrDb >= threshold - 1e-9);
    }
    QVERIFY(ws->findChild<QLabel*>("workspaceInfo")->text().contains("WSQNR"));
    // Cleared: the weighted metrics cannot be chosen, the map says why.
    m_w->clearImportance();
    QVERIFY(ws->tileMap()->message().contains("weighs the error by input-channel importance"));
    ws->metricBox()->setCurrentText(QStringLiteral("pcc"));
    QTRY_VERIFY_WITH_TIMEOUT(ws->sums() && !ws->sums()->at(0, 0).weighted, kWait);
}

void TestImportanceUi::badFilesGiveReadableErrors()
{
    openDemo();
    auto expectError = [&](const QString& path, const QString& part) {
        QSignalSpy failed(m_w, &MainWindow::importanceFailed);
        m_w->openImportance(path);
        QTRY_VERIFY_WITH_TIMEOUT(failed.count() == 1, kWait);
        const QString message = failed.front().front().toString();
        QVERIFY2(message.contains(QFileInfo(path).fileName()) && message.contains(part), qPrintable(message));
        // In the window: the banner names the file and what failed.
        auto* banner = m_w->findChild<QLabel*>("errorBanner");
        QVERIFY(banner && banner->isVisible());
        QVERIFY2(banner->text().contains("Could not load importance") && banner->text().contains(QFileInfo(path).fileName()),
                 qPrintable(banner->text()));
        QVERIFY(m_w->lastError().contains(part));
    };
    // A truncated GGUF.
    const QString gguf = m_tmp.filePath("broken.gguf");
    {
        QFile f(gguf);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray("GGUF\x03\x00\x00\x00\x02\x00", 10));
    }
    QSignalSpy changed(m_w, &MainWindow::importanceChanged);
    expectError(gguf, QString());
    QVERIFY(!m_w->importance());
    // A negative E[x²] in our own format: the tensor and the position are named.
    const QString neg = m_tmp.filePath("negative.safetensors");
    std::vector<float> v = m_v[kDown];
    v[5] = -1.0f;
    QVERIFY(writeF32(neg, {{kDown, {96}, v}}));
    expectError(neg, QStringLiteral("\"%1\"[0, 5]").arg(kDown));
    // A file of another model: nothing binds.
    const QString other = m_tmp.filePath("other.safetensors");
    QVERIFY(writeF32(other, {{"transformer.h.0.mlp.c_fc.weight", {16}, energies(16, 9, {})}}));
    expectError(other, QStringLiteral("none of its 1 entries names a tensor"));
    // A good file still loads afterwards, and a bad one then keeps it.
    loadImportance(m_file);
    expectError(gguf, QString());
    QVERIFY(m_w->importance());
    QCOMPARE(m_w->importanceSpec(), m_file);
    QCOMPARE(changed.count(), 1);
    // Without a model: said, not crashed.
    m_w->clearImportance();
}

void TestImportanceUi::anotherModelRebindsOrClears()
{
    openDemo();
    loadImportance(m_file);
    // Reload (F5): bound again to the re-opened model.
    QSignalSpy changed(m_w, &MainWindow::importanceChanged);
    m_w->reloadModel();
    QTRY_VERIFY_WITH_TIMEOUT(changed.count() >= 2 && m_w->importance(), kWait);  // cleared while opening, then bound
    QCOMPARE(m_w->importance()->index.bindings.size(), size_t(5));
    QCOMPARE(m_w->importanceStatus()->text(), QStringLiteral("importance: imp.safetensors — 5 of 6 entries bound, 1 unmapped"));

    // A model none of whose tensors the file names: cleared, with a message.
    const QString model = m_tmp.filePath("tiny.safetensors");
    QVERIFY(writeF32(model, {{"a.weight", {4, 8}, pseudoNormal(32, 1, 0.1f)}}));
    QSignalSpy failed(m_w, &MainWindow::importanceFailed);
    m_w->openModel(model);
    QTRY_VERIFY_WITH_TIMEOUT(failed.count() == 1, kWait);
    QVERIFY(!m_w->importance());
    QVERIFY(m_w->importanceSpec().isEmpty());
    QVERIFY(!m_w->importanceStatus()->isVisible());
    QVERIFY2(m_w->lastError().contains("does not fit") && m_w->lastError().contains("none of its 6 entries"),
             qPrintable(m_w->lastError()));
}

QTEST_MAIN(TestImportanceUi)
#include "test_importance_ui.moc"
