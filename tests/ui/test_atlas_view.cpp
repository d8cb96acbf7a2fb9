// Issue #11 in the explorer: the Atlas page. A run over the demo model's weights (filter
// /weight$/, formats bf16 bfp8 bfp4 bfp2) compared with the core: the view's cells and
// the drawn colour map equal buildAtlas over runWq's rows of the same selection; the map
// fills in tensor by tensor while the walk streams (the worker is held at every tensor,
// so the counts are exact, not timing); the format and metric switches redraw the
// matching aggregation; the budget slider at the bf16 total plans bf16 everywhere, at its
// bottom the smallest format everywhere, in the middle the planner's own choices and
// totals (shown in the totals line); Save plan writes the same plan.json as the CLI's
// code; the read-out line of a cell names its tensor and value; a click opens the tensor;
// a cell of several experts lists them (worst first) and its menu opens the chosen one.
#include "analysis/atlas.h"
#include "analysis/model_sinks.h"
#include "analysis/plan_file.h"
#include "analysis/wq_run.h"
#include "atlas/atlas_view.h"
#include "atlas/budget_slider.h"
#include "compression/planner.h"
#include "gui_test_util.h"
#include "main_window.h"
#include "models/format_list_model.h"
#include "models/tensor_tree_model.h"
#include "plots/atlas_plot.h"
#include "plots/qcp.h"
#include "widgets/elided_label.h"
#include "widgets/format_panel.h"

#include <QAction>
#include <QApplication>
#include <QMouseEvent>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QSemaphore>
#include <QSignalSpy>
#include <QSlider>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <map>
#include <mutex>
#include <set>

using namespace qs;
using namespace qs::test;

namespace {

constexpr int kWait = 60000;
const QStringList kFormats{"bf16", "bfp8", "bfp4", "bfp2"};
const char* kDown = "model.layers.0.mlp.down_proj.weight";

QCPColorMap* colorMap(QCustomPlot* plot)
{
    if (!plot) return nullptr;
    for (int i = 0; i < plot->plottableCount(); ++i)
        if (auto* m = qobject_cast<QCPColorMap*>(plot->plottable(i))) return m;
    return nullptr;
}

bool sameValue(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// What the map draws for a cell: its worst value; an exact reconstruction (SQNR +inf)
// at the best end of the colour range; nothing (NaN, transparent) for an empty cell.
double drawnValue(const AtlasCell& c, const QCPColorMap* map)
{
    if (!c.tensors || std::isnan(c.worstValue)) return NAN;
    if (std::isinf(c.worstValue)) return c.worstValue > 0 ? map->dataRange().upper : map->dataRange().lower;
    return c.worstValue;
}

} // namespace

class TestAtlasView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void finishedRunEqualsCoreAtlas();
    void fillsInAsTensorsStream();
    void formatAndMetricSwitch();
    void budgetSliderPlans();
    void hoverNamesTensorsAndClickOpens();
    void cellOfSeveralExpertsListsThem();
    void pageFitsALaptopScreen();
    void refinesFromSampleToFull();
    void unsampledCellsAreGrey();

private:
    void open(const QString& path);
    void runAtlas();
    WqReport reference() const;
    MainWindow* m_w = nullptr;
    AtlasView* m_view = nullptr;
    QTemporaryDir m_tmp;
};

void TestAtlasView::initTestCase()
{
    isolateSettings();
    QVERIFY(m_tmp.isValid());
    qputenv("QS_DEMO_DIR", demoDir().toUtf8());
}

void TestAtlasView::init()
{
    m_w = new MainWindow;
    m_w->resize(1366, 740);
    m_w->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_w));
    m_view = m_w->findChild<AtlasView*>();
    QVERIFY(m_view);
}

void TestAtlasView::cleanup()
{
    delete m_w;
    m_w = nullptr;
    m_view = nullptr;
}

void TestAtlasView::open(const QString& path)
{
    QSignalSpy opened(m_w, &MainWindow::modelOpened);
    m_w->openModel(path);
    QTRY_VERIFY_WITH_TIMEOUT(opened.count() == 1, kWait);
    QTRY_VERIFY_WITH_TIMEOUT(!m_w->isBusy(), kWait);
    m_w->formatPanel()->model()->setCheckedNames(kFormats);
    m_w->setFilterText("/weight$/");
}

void TestAtlasView::runAtlas()
{
    QSignalSpy done(m_view, &AtlasView::finished);
    // Through the menu entry, as a user starts it.
    QAction* act = m_w->findChild<QAction*>("atlasAction");
    QVERIFY(act);
    act->trigger();
    QCOMPARE(m_w->pages()->currentWidget(), m_view);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
    QVERIFY2(done.first().first().toBool(), qPrintable(m_view->lastError()));
}

// runWq over the same selection, formats and options: what `quantscope atlas` aggregates.
WqReport TestAtlasView::reference() const
{
    WqParams p;
    p.model = m_w->modelText();
    p.formats = kFormats;
    p.writeResults = false;
    p.tensors = m_w->visibleSelection()->tensors;
    auto r = runWq(p, WqObserver{}, PngRenderer{}, nullptr);
    if (!r) qFatal("runWq: %s", r.error().message.c_str());
    return *r;
}

void TestAtlasView::finishedRunEqualsCoreAtlas()
{
    open(demoDir());
    runAtlas();
    const WqReport ref = reference();
    const Atlas want = buildAtlas(atlasEntries(ref.tensors), AtlasMetric::Sqnr, 0);
    const Atlas& got = m_view->atlas();
    QCOMPARE(m_view->tensors().size(), ref.tensors.size());
    QCOMPARE(got.formats, (std::vector<std::string>{"bf16", "bfp8", "bfp4", "bfp2"}));
    QCOMPARE(got.layers, want.layers);
    QCOMPARE(got.kinds, want.kinds);
    QCOMPARE(got.layers, (std::vector<int>{-1, 0, 1}));  // embed/norm/lm_head, then the two layers
    int filled = 0;
    for (size_t f = 0; f < want.formats.size(); ++f)
        for (size_t l = 0; l < want.layers.size(); ++l)
            for (size_t k = 0; k < want.kinds.size(); ++k) {
                const AtlasCell& a = got.cell(f, l, k);
                const AtlasCell& b = want.cell(f, l, k);
                QCOMPARE(a.tensors, b.tensors);
                QCOMPARE(a.worstTensor, b.worstTensor);
                QVERIFY(sameValue(a.worstValue, b.worstValue));
                QVERIFY(sameValue(a.aggregate.sqnrDb, b.aggregate.sqnrDb));
                QVERIFY(sameValue(a.aggregate.mae, b.aggregate.mae));
                filled += f == 0 && b.tensors > 0;
            }
    QCOMPARE(m_view->filledCells(), filled);
    QCOMPARE(size_t(filled), ref.tensors.size());  // every demo weight has a cell of its own
    // The drawn map: the shown format's (bf16) worst values, empty cells NaN (transparent).
    QCPColorMap* map = colorMap(m_view->plot());
    QVERIFY(map);
    for (size_t l = 0; l < want.layers.size(); ++l)
        for (size_t k = 0; k < want.kinds.size(); ++k) {
            const double v = map->data()->cell(int(k), int(l));
            QVERIFY2(sameValue(v, drawnValue(want.cell(0, l, k), map)),
                     qPrintable(QString("cell %1,%2: %3").arg(l).arg(k).arg(v)));
        }
}

void TestAtlasView::fillsInAsTensorsStream()
{
    open(demoDir());
    const QStringList selection = m_w->visibleSelection()->tensors;
    QVERIFY(selection.size() >= 10);
    // The worker waits at every finished tensor until the test lets it go on.
    auto gate = std::make_shared<QSemaphore>(0);
    m_view->setWorkerHook([gate](const WqTensor&) { gate->acquire(); });
    m_view->setReplotInterval(0);
    QSignalSpy updated(m_view, &AtlasView::updated);
    QSignalSpy done(m_view, &AtlasView::finished);
    m_view->runOnSelection();
    QVERIFY(m_view->isRunning());
    std::set<std::pair<int, std::string>> cells;  // the (layer, kind) cells of the tensors so far
    std::vector<int> seen;
    for (int i = 0; i < 4; ++i) {
        gate->release();
        QTRY_VERIFY_WITH_TIMEOUT(int(m_view->tensors().size()) == i + 1 && !updated.isEmpty() &&
                                     updated.last().at(0).toInt() == i + 1,
                                 kWait);
        const WqTensor& t = m_view->tensors().back();
        const LayerKind lk = layerKind(t.info.name);
        cells.insert({lk.layer, lk.kind});
        QCOMPARE(updated.last().at(1).toInt(), int(cells.size()));
        QCOMPARE(m_view->filledCells(), int(cells.size()));
        seen.push_back(m_view->filledCells());
        // The drawn map has exactly these cells filled.
        QCPColorMap* map = colorMap(m_view->plot());
        QVERIFY(map);
        int drawn = 0;
        for (int y = 0; y < int(m_view->atlas().layers.size()); ++y)
            for (int x = 0; x < int(m_view->atlas().kinds.size()); ++x) drawn += !std::isnan(map->data()->cell(x, y));
        QCOMPARE(drawn, int(cells.size()));
        QVERIFY(m_view->isRunning());
        QVERIFY(!m_view->budgetSlider()->isEnabled());  // the planner waits for the whole walk
    }
    QCOMPARE(seen, (std::vector<int>{1, 2, 3, 4}));
    gate->release(100000);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
    QCOMPARE(int(m_view->tensors().size()), int(selection.size()));
    QCOMPARE(m_view->filledCells(), int(selection.size()));
    QVERIFY(m_view->budgetSlider()->isEnabled());
}

void TestAtlasView::formatAndMetricSwitch()
{
    open(demoDir());
    runAtlas();
    const WqReport ref = reference();
    auto check = [&](const char* format, AtlasMetric metric) {
        const Atlas want = buildAtlas(atlasEntries(ref.tensors), metric, 0);
        const size_t f = size_t(std::find(want.formats.begin(), want.formats.end(), format) - want.formats.begin());
        QCPColorMap* map = colorMap(m_view->plot());
        QVERIFY(map);
        int cells = 0;
        for (size_t l = 0; l < want.layers.size(); ++l)
            for (size_t k = 0; k < want.kinds.size(); ++k) {
                const AtlasCell& c = want.cell(f, l, k);
                QVERIFY(sameValue(map->data()->cell(int(k), int(l)), drawnValue(c, map)));
                cells += c.tensors > 0;
            }
        QVERIFY(cells > 10);
        QCOMPARE(m_view->atlas().metric, metric);
    };
    QComboBox* fmt = m_view->formatBox();
    QComboBox* metric = m_view->metricBox();
    QCOMPARE(fmt->count(), 4);
    QCOMPARE(metric->count(), 3);  // no importance file: sqnr, pcc, mae
    auto values = [&] {
        std::vector<double> v;
        QCPColorMap* map = colorMap(m_view->plot());
        for (int y = 0; y < map->data()->valueSize(); ++y)
            for (int x = 0; x < map->data()->keySize(); ++x) v.push_back(map->data()->cell(x, y));
        return v;
    };
    check("bf16", AtlasMetric::Sqnr);
    const std::vector<double> bf16 = values();
    fmt->setCurrentIndex(fmt->findData("bfp2"));
    check("bfp2", AtlasMetric::Sqnr);
    QVERIFY(values() != bf16);
    metric->setCurrentIndex(metric->findData("mae"));
    check("bfp2", AtlasMetric::Mae);
    metric->setCurrentIndex(metric->findData("pcc"));
    fmt->setCurrentIndex(fmt->findData("bfp8"));
    check("bfp8", AtlasMetric::Pcc);
    // The colour bar names the metric.
    QCPColorScale* scale = colorMap(m_view->plot())->colorScale();
    QVERIFY(scale);
    QCOMPARE(scale->axis()->label(), QString("PCC"));
}

void TestAtlasView::budgetSliderPlans()
{
    open(demoDir());
    runAtlas();
    const WqReport ref = reference();
    const PlanInput in = planInput(ref.tensors, false);
    QCOMPARE(m_view->planInput().names, in.names);
    // Uniform totals: every tensor in one format.
    std::vector<double> uniform(4, 0.0);
    for (const PlanItem& it : in.items)
        for (size_t o = 0; o < 4; ++o) uniform[o] += it.options[o].bytes;
    QCOMPARE(m_view->uniformTotals(), uniform);
    QSlider* slider = m_view->budgetSlider();
    QVERIFY(slider->isEnabled());
    QCOMPARE(m_view->budgetBar()->highBytes(), uniform[0]);  // bf16 is the largest
    QCOMPARE(m_view->budgetBar()->lowBytes(), uniform[3]);   // bfp2 the smallest
    // The marks: the stored size and each format's total.
    double stored = 0;
    for (const WqTensor& t : ref.tensors) {
        stored += double(t.info.byteLength);
        if (!t.info.scaleInvName.empty()) stored += double(m_w->model()->find(t.info.scaleInvName)->byteLength);
    }
    QCOMPARE(m_view->storedBytes(), stored);
    QCOMPARE(m_view->budgetBar()->marks().size(), size_t(5));
    QCOMPARE(m_view->budgetBar()->marks()[0].bytes, stored);
    QCOMPARE(m_view->budgetBar()->marks()[3].label, QString("BFP4"));
    QCOMPARE(m_view->budgetBar()->marks()[3].bytes, uniform[2]);

    auto choices = [&](const char* format) {
        for (size_t i = 0; i < in.items.size(); ++i)
            if (m_view->planInput().formats[i][size_t(m_view->plan()->choice[i])] != format) return false;
        return true;
    };
    // Top: the bf16 total -> bf16 everywhere, the map coloured by format (bf16 = index 0).
    slider->setValue(slider->minimum());  // a change first, so the move to the top is one too
    slider->setValue(slider->maximum());
    QCOMPARE(m_view->budget(), uniform[0]);
    QVERIFY(m_view->plan());
    QVERIFY(choices("bf16"));
    QCOMPARE(m_view->modeBox()->currentIndex(), int(AtlasView::ModePlan));
    QCPColorMap* map = colorMap(m_view->plot());
    QVERIFY(map && map->name() == "plan");
    const Atlas& a = m_view->atlas();
    for (size_t l = 0; l < a.layers.size(); ++l)
        for (size_t k = 0; k < a.kinds.size(); ++k) {
            const double v = map->data()->cell(int(k), int(l));
            if (a.cell(0, l, k).tensors) QCOMPARE(v, 0.0);
            else QVERIFY(std::isnan(v));
        }
    // Bottom: the smallest uniform total -> the smallest format everywhere.
    slider->setValue(slider->minimum());
    QCOMPARE(m_view->budget(), uniform[3]);
    QVERIFY(choices("bfp2"));
    map = colorMap(m_view->plot());
    for (size_t l = 0; l < a.layers.size(); ++l)
        for (size_t k = 0; k < a.kinds.size(); ++k)
            if (a.cell(0, l, k).tensors) QCOMPARE(map->data()->cell(int(k), int(l)), 3.0);
    // The middle: the planner's own answer for that budget, its totals on screen.
    slider->setValue(BudgetSlider::kSteps / 2);
    const double budget = uniform[3] + (uniform[0] - uniform[3]) * 0.5;
    QVERIFY(std::fabs(m_view->budget() - budget) <= 1e-9 * budget);
    auto want = solvePlan(in.items, m_view->budget());
    QVERIFY(bool(want));
    QCOMPARE(m_view->plan()->choice, want->choice);
    QCOMPARE(m_view->plan()->bytes, want->bytes);
    QCOMPARE(m_view->plan()->sse, want->sse);
    QVERIFY(want->bytes <= m_view->budget());
    std::set<int> used(want->choice.begin(), want->choice.end());
    QVERIFY2(used.size() >= 2, "a middle budget mixes formats");
    const QString totals = m_view->totalsLabel()->text();
    QVERIFY2(totals.contains(withThousands(uint64_t(std::llround(want->bytes))) + " B"), qPrintable(totals));
    QVERIFY2(totals.contains(QString::number(want->sse, 'g', 6)), qPrintable(totals));
    QVERIFY2(totals.contains(QString::number(want->lowerBound, 'g', 6)), qPrintable(totals));
    QVERIFY2(totals.contains(QString("gap %1 %").arg(want->gap() * 100, 0, 'g', 3)), qPrintable(totals));
    // Save plan: the plan file (plan.json) with the planner's choices and totals.
    const QString path = m_tmp.filePath("plan.json");
    QVERIFY(m_view->savePlanButton()->isEnabled());
    QVERIFY2(m_view->savePlan(path), qPrintable(m_view->lastError()));
    auto saved = readPlanFile(path);
    QVERIFY2(bool(saved), saved ? "" : saved.error().message.c_str());
    QCOMPARE(saved->granularity, std::string("tensor"));
    QCOMPARE(saved->model, std::string("demo-model"));
    QCOMPARE(saved->budgetBytes, m_view->budget());
    QCOMPARE(saved->totalBytes, want->bytes);
    QCOMPARE(saved->totalError, want->sse);
    QCOMPARE(saved->lowerBound, want->lowerBound);
    QCOMPARE(saved->params, in.params);
    QVERIFY(!saved->estimated);
    QCOMPARE(saved->choices.size(), in.items.size());
    for (size_t i = 0; i < in.items.size(); ++i) {
        const size_t c = size_t(want->choice[i]);
        QCOMPARE(saved->choices[i].tensor, in.names[i]);
        QCOMPARE(saved->choices[i].format, in.formats[i][c]);
        QCOMPARE(saved->choices[i].bytes, in.items[i].options[c].bytes);
        QCOMPARE(saved->choices[i].error, in.items[i].options[c].sse);
    }
    // The format switch goes back to the metric map.
    m_view->formatBox()->setCurrentIndex(1);
    QCOMPARE(m_view->modeBox()->currentIndex(), int(AtlasView::ModeMetric));
    QCOMPARE(colorMap(m_view->plot())->name(), QString("atlas"));
}

void TestAtlasView::hoverNamesTensorsAndClickOpens()
{
    open(demoDir());
    runAtlas();
    const Atlas& a = m_view->atlas();
    const LayerKind lk = layerKind(kDown);
    const int l = int(std::find(a.layers.begin(), a.layers.end(), lk.layer) - a.layers.begin());
    const int k = int(std::find(a.kinds.begin(), a.kinds.end(), lk.kind) - a.kinds.begin());
    QVERIFY(size_t(k) < a.kinds.size());
    QCOMPARE(m_view->cellTensors(l, k), QStringList{kDown});
    // The expected value: the tensor's bfp4 SQNR from its row (bf16 is exact on this BF16 weight).
    m_view->formatBox()->setCurrentIndex(m_view->formatBox()->findData("bfp4"));
    double sqnr = NAN;
    for (const WqTensor& t : m_view->tensors())
        if (t.info.name == kDown)
            for (const WqRow& r : t.rows)
                if (r.compression == "none" && r.format == "bfp4") sqnr = r.metrics.sqnrDb;
    QVERIFY(std::isfinite(sqnr));
    const QString text = m_view->cellText(l, k);
    QCOMPARE(text, QString("layer 0 · mlp.down_proj.weight · BFP4 SQNR │ %1 %2 dB").arg(kDown).arg(sqnr, 0, 'f', 2));
    // The mouse over that cell shows it in the read-out line.
    QCustomPlot* plot = m_view->plot();
    const QPoint at(int(plot->xAxis->coordToPixel(k)), int(plot->yAxis->coordToPixel(l)));
    int gl = -1, gk = -1;
    QVERIFY(m_view->cellAt(at, &gl, &gk));
    QCOMPARE(gl, l);
    QCOMPARE(gk, k);
    QMouseEvent move(QEvent::MouseMove, QPointF(at), plot->mapToGlobal(QPointF(at)), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(plot, &move);
    QCOMPARE(m_view->readout()->fullText(), text);
    // A click opens the tensor in the Tensor page.
    QTest::mouseClick(plot, Qt::LeftButton, {}, at);
    QCOMPARE(m_w->pages()->currentIndex(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_w->currentTensor(), QString(kDown), kWait);
}

void TestAtlasView::cellOfSeveralExpertsListsThem()
{
    // Three experts of one layer share the cell (0, mlp.experts.*.down_proj.weight); the
    // read-out lists them worst first, as runWq's rows rank them.
    const QString dir = m_tmp.filePath("experts");
    QVERIFY(QDir().mkpath(dir));
    std::vector<F32Tensor> ts;
    for (int e = 0; e < 3; ++e) {
        const std::string n = "model.layers.0.mlp.experts." + std::to_string(e) + ".down_proj.weight";
        std::vector<float> v = pseudoNormal(64 * 64, uint32_t(e + 1), 0.02f);
        for (size_t i = 0; i < v.size(); i += size_t(7 + 5 * e)) v[i] *= 30.0f;  // outliers: different SQNRs
        ts.push_back({n, {64, 64}, v});
    }
    ts.push_back({"model.layers.1.mlp.experts.0.down_proj.weight", {64, 64}, pseudoNormal(64 * 64, 9, 0.02f)});
    QVERIFY(writeF32(dir + "/model.safetensors", ts));
    open(dir);
    m_w->formatPanel()->model()->setCheckedNames({"bf16", "bfp4"});
    runAtlas();
    const Atlas& a = m_view->atlas();
    QCOMPARE(a.kinds, (std::vector<std::string>{"mlp.experts.*.down_proj.weight"}));
    QCOMPARE(a.layers, (std::vector<int>{0, 1}));
    QCOMPARE(m_view->filledCells(), 2);
    m_view->formatBox()->setCurrentIndex(m_view->formatBox()->findData("bfp4"));
    // Worst first: by the bfp4 SQNR of runWq's rows (lowest first).
    std::vector<std::pair<double, QString>> bySqnr;
    for (const WqTensor& t : reference().tensors)
        for (const WqRow& r : t.rows)
            if (r.format == "bfp4" && layerKind(t.info.name).layer == 0)
                bySqnr.push_back({r.metrics.sqnrDb, QString::fromStdString(t.info.name)});
    std::sort(bySqnr.begin(), bySqnr.end());
    QCOMPARE(bySqnr.size(), size_t(3));
    QVERIFY(bySqnr[0].first < bySqnr[1].first && bySqnr[1].first < bySqnr[2].first);
    const QStringList names = m_view->cellTensors(0, 0);
    QCOMPARE(names, (QStringList{bySqnr[0].second, bySqnr[1].second, bySqnr[2].second}));
    QCOMPARE(QString::fromStdString(a.cell(1, 0, 0).worstTensor), names.front());
    const QString text = m_view->cellText(0, 0);
    QCOMPARE(text, QString("layer 0 · mlp.experts.*.down_proj.weight · BFP4 SQNR (cell %1 dB) │ 3 tensors, worst first: "
                           "%2 %3 dB · %4 %5 dB · %6 %7 dB")
                       .arg(a.cell(1, 0, 0).aggregate.sqnrDb, 0, 'f', 2)
                       .arg(names[0]).arg(bySqnr[0].first, 0, 'f', 2)
                       .arg(names[1]).arg(bySqnr[1].first, 0, 'f', 2)
                       .arg(names[2]).arg(bySqnr[2].first, 0, 'f', 2));
    // A click on the cell offers the three; choosing one opens it.
    m_view->openCell(0, 0);
    QMenu* menu = m_view->cellMenu();
    QVERIFY(menu);
    QCOMPARE(menu->actions().size(), 3);
    QCOMPARE(menu->actions()[1]->text(), names[1]);
    menu->actions()[1]->trigger();
    menu->close();
    QTRY_COMPARE_WITH_TIMEOUT(m_w->currentTensor(), names[1], kWait);
    QCOMPARE(m_w->pages()->currentIndex(), 0);
}

// The page never makes the window taller than the Tensor page does, and at 1366x740 with a
// plan shown every control is on screen, inside the window, with an accessible name.
void TestAtlasView::pageFitsALaptopScreen()
{
    open(demoDir());
    runAtlas();
    m_view->budgetSlider()->setValue(400);
    QCOMPARE(m_view->modeBox()->currentIndex(), int(AtlasView::ModePlan));
    QVERIFY2(m_view->minimumSizeHint().height() <= m_w->pages()->widget(0)->minimumSizeHint().height(),
             qPrintable(QString("atlas page %1 px, tensor page %2 px").arg(m_view->minimumSizeHint().height())
                            .arg(m_w->pages()->widget(0)->minimumSizeHint().height())));
    QVERIFY(m_w->minimumSizeHint().width() <= 1100 && m_w->minimumSizeHint().height() <= 700);
    QTest::qWait(50);
    const QRect window = m_w->rect();
    const QList<QWidget*> controls{m_view->runButton(), m_view->formatBox(), m_view->metricBox(), m_view->modeBox(),
                                   m_view->budgetSlider(), m_view->savePlanButton(), m_view->totalsLabel(),
                                   m_view->readout(), m_view->plot()};
    for (QWidget* c : controls) {
        QVERIFY(c && c->isVisible());
        const QRect r(c->mapTo(m_w, QPoint(0, 0)), c->size());
        QVERIFY2(window.contains(r), qPrintable(c->objectName()));
        QVERIFY2(!c->accessibleName().isEmpty(), qPrintable(c->objectName()));
    }
    QVERIFY(m_view->plot()->axisRect()->rect().height() > 40);
}

// Sampling (issue #11 §3): the walk runs a 5 % sample, then 25 %, then every row. After
// the first pass the cells are estimates (marked, intervals in the read-out); each pass
// narrows every tensor's interval; the last pass replaces the estimates with full values.
void TestAtlasView::refinesFromSampleToFull()
{
    const QString dir = m_tmp.filePath("tall");
    QVERIFY(QDir().mkpath(dir));
    std::vector<F32Tensor> ts;
    for (int l = 0; l < 2; ++l) {
        std::vector<float> v = pseudoNormal(4096 * 64, uint32_t(l + 3), 0.02f);
        for (size_t r = 0; r < 4096; ++r)  // strongly varying row scales
            for (size_t c = 0; c < 64; ++c) v[r * 64 + c] *= 1.0f + float((r * 7919) % 97) / 8.0f;
        ts.push_back({"model.layers." + std::to_string(l) + ".mlp.down_proj.weight", {4096, 64}, v});
    }
    QVERIFY(writeF32(dir + "/model.safetensors", ts));
    open(dir);
    m_w->formatPanel()->model()->setCheckedNames({"bf16", "bfp4"});
    m_view->setPasses({0.05, 0.25, 1.0});
    m_view->setReplotInterval(0);
    struct Seen {
        std::mutex mutex;
        std::map<std::string, std::vector<double>> widths;  // bfp4 SQNR interval width per pass (0: exact)
    };
    auto seen = std::make_shared<Seen>();
    auto gate = std::make_shared<QSemaphore>(0);
    m_view->setWorkerHook([gate, seen](const WqTensor& t) {
        {
            std::lock_guard<std::mutex> lock(seen->mutex);
            for (const WqRow& r : t.rows)
                if (r.format == "bfp4")
                    seen->widths[t.info.name].push_back(r.estimate && !r.estimate->exact ? r.estimate->sqnrDb.hi - r.estimate->sqnrDb.lo : 0.0);
        }
        gate->acquire();
    });
    QSignalSpy done(m_view, &AtlasView::finished);
    m_view->runOnSelection();
    gate->release(2);  // the first pass: both tensors from a 5 % sample
    QTRY_VERIFY_WITH_TIMEOUT(m_view->tensors().size() == 2 && m_view->filledCells() == 2 && m_view->currentPass() == 0, kWait);
    m_view->formatBox()->setCurrentIndex(m_view->formatBox()->findData("bfp4"));
    for (int l = 0; l < 2; ++l) {
        QVERIFY(m_view->atlas().cell(1, size_t(l), 0).estimate);
        const QString text = m_view->cellText(l, 0);
        QVERIFY2(text.contains(" dB [") && text.contains("≈") && text.contains("estimate, 95 % intervals"), qPrintable(text));
    }
    QVERIFY(m_view->plot()->itemCount() >= 2);  // the ≈ marks of the estimated cells
    gate->release(100000);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
    QVERIFY(done.first().first().toBool());
    {
        std::lock_guard<std::mutex> lock(seen->mutex);
        QCOMPARE(seen->widths.size(), size_t(2));
        for (const auto& [name, w] : seen->widths) {
            QCOMPARE(w.size(), size_t(3));
            QVERIFY2(w[0] > w[1] && w[1] > 0 && w[2] == 0.0, qPrintable(QString("%1: %2 %3 %4").arg(QString::fromStdString(name)).arg(w[0]).arg(w[1]).arg(w[2])));
        }
    }
    // Full values at the end: no estimate left, and the read-out gives plain values.
    for (int l = 0; l < 2; ++l) {
        QVERIFY(!m_view->atlas().cell(1, size_t(l), 0).estimate);
        QVERIFY(!m_view->cellText(l, 0).contains("≈"));
    }
    QCOMPARE(m_view->plot()->itemCount(), 0);
}

// --sample: a cell none of whose bands was drawn is grey (a rectangle under the map's
// transparent NaN), not blank like a cell without tensors, and the title counts them.
void TestAtlasView::unsampledCellsAreGrey()
{
    auto entry = [](const char* name, int64_t bandsDrawn) {
        AtlasEntry e;
        e.tensor = name;
        e.format = "bfp4";
        e.numel = 64 * 64;
        e.estimate = true;
        e.banded = true;
        e.totalBands = 2;
        const double na = std::nan("");
        e.metrics.pcc = e.metrics.mae = e.metrics.sqnrDb = na;
        for (int64_t b = 0; b < bandsDrawn; ++b) {
            ErrorSums s;
            for (int i = 0; i < 32; ++i) s.add(1.0f + float(i), 1.0f + float(i) * 1.01f);
            e.bands.push_back(s);
            e.metrics = finish(s);
        }
        return e;
    };
    Atlas a = buildAtlas({entry("model.layers.0.mlp.down_proj.weight", 1), entry("model.layers.0.self_attn.o_proj.weight", 0),
                          entry("model.layers.1.mlp.down_proj.weight", 2)},
                         AtlasMetric::Sqnr);
    a.sampleFraction = 0.25;
    QCustomPlot plot;
    buildAtlasHeatmapPlot(&plot, a, 0);
    int grey = 0;
    QPointF at;
    for (int i = 0; i < plot.itemCount(); ++i)
        if (auto* r = qobject_cast<QCPItemRect*>(plot.item(i)))
            ++grey, at = (r->topLeft->coords() + r->bottomRight->coords()) / 2;
    QCOMPARE(grey, 1);
    const size_t o = size_t(std::find(a.kinds.begin(), a.kinds.end(), "self_attn.o_proj.weight") - a.kinds.begin());
    QCOMPARE(at, QPointF(double(o), 0.0));                   // layer 0's o_proj
    QVERIFY(std::isnan(colorMap(&plot)->data()->cell(int(o), 0)));
    QVERIFY(std::isnan(colorMap(&plot)->data()->cell(int(o), 1)));  // no tensor there: blank, no rectangle
    auto* title = qobject_cast<QCPTextElement*>(plot.plotLayout()->element(0, 0));
    QVERIFY(title && title->text().contains("grey: no band drawn (1 cells)"));
}

QTEST_MAIN(TestAtlasView)
#include "test_atlas_view.moc"
