#include "atlas/atlas_view.h"

#include "atlas/budget_slider.h"
#include "analysis/sampling.h"
#include "formats/format.h"
#include "jobs/jobs.h"
#include "main_window.h"
#include "models/format_list_model.h"
#include "models/tensor_tree_model.h"
#include "plots/atlas_plot.h"
#include "plots/plot_render.h"
#include "plots/qcp.h"
#include "settings.h"
#include "widgets/elided_label.h"
#include "widgets/format_panel.h"
#include "widgets/job_status.h"

#include <QAction>
#include <QComboBox>
#include <QCursor>
#include <QFileDialog>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMouseEvent>
#include <QPushButton>
#include <QSlider>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs {

namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();
constexpr int kMaxNamed = 6;  // tensors named in a read-out line

QString label(const std::string& format)
{
    if (const Format* f = findFormat(format)) return QString::fromStdString(std::string(f->label));
    return QString::fromStdString(format).toUpper();
}

// A metric value as the read-out shows it: "23.41 dB", "0.999873", "0.00123".
QString metricText(double v, AtlasMetric m)
{
    if (std::isnan(v)) return QStringLiteral("n/a");
    if (std::isinf(v)) return v > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
    switch (m) {
    case AtlasMetric::Sqnr:
    case AtlasMetric::Wsqnr: return QStringLiteral("%1 dB").arg(v, 0, 'f', 2);
    case AtlasMetric::Pcc: return QString::number(v, 'f', 6);
    case AtlasMetric::Mae:
    case AtlasMetric::Wrel: return QString::number(v, 'g', 4);
    }
    return QString::number(v, 'g', 6);
}

QString sizeText(double bytes) { return humanBytes(bytes); }

// The 95 % interval of an estimate in the metric's unit: " [22.90, 23.80]" ("" without).
QString intervalText(const Interval& ci, AtlasMetric m)
{
    if (!std::isfinite(ci.lo) || !std::isfinite(ci.hi)) return {};
    auto n = [m](double v) {
        switch (m) {
        case AtlasMetric::Sqnr: return QString::number(v, 'f', 2);
        case AtlasMetric::Pcc: return QString::number(v, 'f', 6);
        default: return QString::number(v, 'g', 4);
        }
    };
    return QStringLiteral(" [%1, %2]").arg(n(ci.lo), n(ci.hi));
}

const Interval* intervalOf(const SampleEstimate& e, AtlasMetric m)
{
    switch (m) {
    case AtlasMetric::Sqnr: return &e.sqnrDb;
    case AtlasMetric::Pcc: return &e.pcc;
    case AtlasMetric::Mae: return &e.mae;
    default: return nullptr;
    }
}

// A row's value in the read-out: "23.41 dB", or for an estimate "≈23.41 dB [22.90, 23.80]".
QString rowText(const WqRow& r, AtlasMetric m)
{
    const QString v = metricText(atlasValue(r.metrics, m), m);
    if (!r.estimate || r.estimate->exact) return v;
    if (r.estimate->notSampled()) return QObject::tr("(not sampled in this pass)");
    const Interval* ci = intervalOf(*r.estimate, m);
    return QStringLiteral("≈") + v + (ci ? intervalText(*ci, m) : QString());
}

const Interval* cellInterval(const AtlasCell& c, AtlasMetric m)
{
    switch (m) {
    case AtlasMetric::Sqnr: return &c.sqnrCi;
    case AtlasMetric::Pcc: return &c.pccCi;
    case AtlasMetric::Mae: return &c.maeCi;
    default: return nullptr;
    }
}

// The stored bytes of a tensor as the checkpoint holds it (its FP8 scale sibling included).
double storedOf(const Model* model, const TensorInfo& info)
{
    double b = double(info.byteLength);
    if (model && !info.scaleInvName.empty())
        if (const TensorInfo* s = model->find(info.scaleInvName)) b += double(s->byteLength);
    return b;
}

} // namespace

AtlasView::AtlasView(MainWindow* window, QWidget* parent) : QWidget(parent), m_window(window)
{
    setObjectName(QStringLiteral("atlasView"));
    // No wider a minimum than the Tensor page's: the page never moves the panes (its row of
    // controls needs ~590 px, which the right pane has from a 1366-px screen up).
    setMinimumWidth(340);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(6, 4, 6, 4);
    outer->setSpacing(4);

    // Row 1: run / cancel, what is shown, the run's status.
    auto* top = new QHBoxLayout;
    top->setSpacing(6);
    m_run = new QPushButton(tr("Run atlas"), this);
    m_run->setObjectName(QStringLiteral("atlasRun"));
    m_run->setAccessibleName(tr("Run the atlas over the selection"));
    m_run->setToolTip(tr("Analyse the selection (as Analyze selection picks it) in the checked formats, by layer and "
                         "tensor kind (Ctrl+Shift+A)"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("atlasCancel"));
    m_cancel->setAccessibleName(tr("Cancel the atlas run"));
    m_cancel->setEnabled(false);
    m_mode = new QComboBox(this);
    m_mode->setObjectName(QStringLiteral("atlasMode"));
    m_mode->setAccessibleName(tr("Colour the cells by"));
    m_mode->addItem(tr("Metric map"), int(ModeMetric));
    m_mode->addItem(tr("Budget plan"), int(ModePlan));
    m_format = new QComboBox(this);
    m_format->setObjectName(QStringLiteral("atlasFormat"));
    m_format->setAccessibleName(tr("Atlas format"));
    m_format->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_metric = new QComboBox(this);
    m_metric->setObjectName(QStringLiteral("atlasMetric"));
    m_metric->setAccessibleName(tr("Atlas metric"));
    fillMetrics(false);
    auto* formatLabel = new QLabel(tr("Format"), this);
    formatLabel->setBuddy(m_format);
    auto* metricLabel = new QLabel(tr("Metric"), this);
    metricLabel->setBuddy(m_metric);
    auto* modeLabel = new QLabel(tr("Show"), this);
    modeLabel->setBuddy(m_mode);
    m_status = new ElidedLabel(this, Qt::ElideRight);
    m_status->setObjectName(QStringLiteral("atlasStatus"));
    m_status->setAccessibleName(tr("Atlas status"));
    m_status->setStyleSheet(QStringLiteral("color:#475569"));
    top->addWidget(m_run);
    top->addWidget(m_cancel);
    top->addSpacing(6);
    top->addWidget(modeLabel);
    top->addWidget(m_mode);
    top->addWidget(formatLabel);
    top->addWidget(m_format);
    top->addWidget(metricLabel);
    top->addWidget(m_metric);
    top->addWidget(m_status, 1);
    outer->addLayout(top);

    // The map (or a message before the first tensor) and its read-out line.
    m_stack = new QStackedWidget(this);
    m_message = new QLabel(tr("The atlas shows the error of every tensor of the selection by layer (rows) and tensor "
                              "kind (columns), one format at a time, and plans the most accurate format per tensor for "
                              "a size budget.\n\nPress Run atlas (Ctrl+Shift+A) to analyse the selection — the tensors "
                              "the tree shows, as Analyze selection picks them — in the checked formats."),
                           m_stack);
    m_message->setObjectName(QStringLiteral("atlasMessage"));
    m_message->setWordWrap(true);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setStyleSheet(QStringLiteral("color:#64748b; padding:12px"));
    m_message->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);  // never sizes the window
    m_stack->addWidget(m_message);
    m_plotHost = new QWidget(m_stack);
    m_plotLayout = new QVBoxLayout(m_plotHost);
    m_plotLayout->setContentsMargins(0, 0, 0, 0);
    m_stack->addWidget(m_plotHost);
    outer->addWidget(m_stack, 1);
    m_readout = new ElidedLabel(this, Qt::ElideRight);
    m_readout->setObjectName(QStringLiteral("atlasReadout"));
    m_readout->setAccessibleName(tr("Atlas read-out"));
    m_readout->setStyleSheet(QStringLiteral("color:#334155"));
    m_readout->setFullText(tr("Hover a cell to name its tensors; click to open one."));
    outer->addWidget(m_readout);

    // Row 2: the budget.
    auto* budgetRow = new QHBoxLayout;
    budgetRow->setSpacing(6);
    auto* budgetTitle = new QLabel(tr("Budget"), this);
    m_budget = new BudgetSlider(this);
    m_budget->setObjectName(QStringLiteral("atlasBudget"));
    m_budget->slider()->setObjectName(QStringLiteral("atlasBudgetSlider"));
    m_budget->slider()->setAccessibleName(tr("Memory budget"));
    m_budget->slider()->setToolTip(tr("Fits in this many bytes: the planner picks one format per tensor with the least "
                                      "total squared error (marks: the stored size and each format for every tensor)"));
    budgetTitle->setBuddy(m_budget->slider());
    m_budget->setEnabled(false);
    m_budgetLabel = new QLabel(tr("fits in –"), this);
    m_budgetLabel->setObjectName(QStringLiteral("atlasBudgetLabel"));
    m_budgetLabel->setAccessibleName(tr("Budget size"));
    m_budgetLabel->setMinimumWidth(m_budgetLabel->fontMetrics().horizontalAdvance(QStringLiteral("fits in 999.9 MiB")));
    m_save = new QPushButton(tr("Save plan…"), this);
    m_save->setObjectName(QStringLiteral("atlasSavePlan"));
    m_save->setAccessibleName(tr("Save plan"));
    m_save->setToolTip(tr("Write plan.json (as quantscope plan writes it) for the budget shown"));
    m_save->setEnabled(false);
    budgetRow->addWidget(budgetTitle, 0, Qt::AlignTop);
    budgetRow->addWidget(m_budget, 1);
    budgetRow->addWidget(m_budgetLabel, 0, Qt::AlignTop);
    budgetRow->addWidget(m_save, 0, Qt::AlignTop);
    outer->addLayout(budgetRow);
    m_totals = new QLabel(this);
    m_totals->setObjectName(QStringLiteral("atlasTotals"));
    m_totals->setAccessibleName(tr("Plan totals"));
    m_totals->setWordWrap(true);
    m_totals->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_totals->setText(tr("The budget slider plans once the atlas run has finished."));
    outer->addWidget(m_totals);

    m_replot = new QTimer(this);
    m_replot->setSingleShot(true);
    m_replot->setInterval(150);
    connect(m_replot, &QTimer::timeout, this, &AtlasView::rebuild);

    connect(m_run, &QPushButton::clicked, this, &AtlasView::runOnSelection);
    connect(m_cancel, &QPushButton::clicked, this, &AtlasView::cancel);
    connect(m_format, &QComboBox::currentIndexChanged, this, [this](int) {
        if (m_mode->currentIndex() != ModeMetric) setMode(ModeMetric);
        else redraw();
    });
    connect(m_metric, &QComboBox::currentIndexChanged, this, [this](int) { rebuild(); });
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this](int i) { setMode(i); });
    connect(m_budget->slider(), &QSlider::valueChanged, this, [this](int v) {
        setBudget(m_budget->bytesAt(v));
        setMode(ModePlan);  // moving the slider shows the plan
    });
    connect(m_save, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save the plan"), QStringLiteral("plan.json"),
                                                          tr("JSON (*.json)"));
        if (!path.isEmpty() && !savePlan(path)) QMessageBox::warning(this, tr("Save plan"), m_lastError);
    });
    // Another model: the atlas belongs to the previous one.
    connect(window, &MainWindow::modelOpened, this, [this](const QString&) {
        cancel();
        clearAll(m_message->text());
    });
}

AtlasView::~AtlasView() { cancelJob(m_future); }

QSlider* AtlasView::budgetSlider() const { return m_budget->slider(); }

bool AtlasView::isRunning() const { return m_future.isRunning(); }

void AtlasView::setReplotInterval(int ms) { m_replot->setInterval(ms); }
int AtlasView::replotInterval() const { return m_replot->interval(); }

void AtlasView::fillMetrics(bool weighted)
{
    const QString current = m_metric->currentData().toString();
    const QSignalBlocker block(m_metric);
    m_metric->clear();
    std::vector<AtlasMetric> ms{AtlasMetric::Sqnr, AtlasMetric::Pcc, AtlasMetric::Mae};
    if (weighted) ms.insert(ms.end(), {AtlasMetric::Wsqnr, AtlasMetric::Wrel});
    for (AtlasMetric m : ms) {
        const QString name = QString::fromLatin1(atlasMetricName(m));
        m_metric->addItem(name.toUpper(), name);
    }
    const int i = m_metric->findData(current);
    m_metric->setCurrentIndex(i >= 0 ? i : 0);
}

void AtlasView::fillFormats(const std::vector<std::string>& formats)
{
    const QString current = m_format->currentData().toString();
    const QSignalBlocker block(m_format);
    m_format->clear();
    for (const std::string& f : formats) m_format->addItem(label(f), QString::fromStdString(f));
    const int i = m_format->findData(current);
    m_format->setCurrentIndex(i >= 0 ? i : 0);
}

AtlasMetric AtlasView::currentMetric() const
{
    AtlasMetric m = AtlasMetric::Sqnr;
    parseAtlasMetric(m_metric->currentData().toString().toStdString(), m);
    return m;
}

int AtlasView::currentFormat() const
{
    const std::string f = m_format->currentData().toString().toStdString();
    const auto it = std::find(m_atlas.formats.begin(), m_atlas.formats.end(), f);
    return it == m_atlas.formats.end() ? (m_atlas.formats.empty() ? -1 : 0) : int(it - m_atlas.formats.begin());
}

void AtlasView::clearAll(const QString& message)
{
    ++m_gen;
    m_replot->stop();
    m_header.reset();
    m_tensors.clear();
    m_index.clear();
    m_layerKinds.clear();
    m_atlas = Atlas{};
    m_members.clear();
    m_planInput = PlanInput{};
    m_itemOf.clear();
    m_uniform.clear();
    m_stored = 0;
    m_budgetBytes = 0;
    m_solution.reset();
    m_budget->setEnabled(false);
    m_budget->setMarks({});
    m_save->setEnabled(false);
    m_budgetLabel->setText(tr("fits in –"));
    m_totals->setText(tr("The budget slider plans once the atlas run has finished."));
    {
        const QSignalBlocker block(m_mode);
        m_mode->setCurrentIndex(ModeMetric);
    }
    if (m_plot) {
        m_plot->deleteLater();
        m_plot = nullptr;
    }
    m_message->setText(message);
    m_stack->setCurrentWidget(m_message);
}

void AtlasView::runOnSelection()
{
    m_lastError.clear();
    auto refuse = [this](const QString& why) {
        m_lastError = why;
        m_status->setFullText(why);
        m_window->statusBar()->showMessage(why, 8000);
        Q_EMIT finished(false);
    };
    if (!m_window->model()) return refuse(tr("Open a model first."));
    WqParams wq;
    wq.model = m_window->modelText();
    wq.revision = m_window->modelRevision().isEmpty() ? QStringLiteral("main") : m_window->modelRevision();
    wq.cacheDir = settings::cacheDir.value();
    wq.formats = m_window->formatPanel()->model()->checkedNames();
    wq.options = m_window->formatPanel()->options();
    wq.writeResults = false;
    wq.command = "atlas";
    if (m_window->importance()) wq.importance = m_window->importanceSpec();
    if (wq.formats.isEmpty()) return refuse(tr("Check at least one format on the left."));
    auto selection = m_window->visibleSelection();
    if (!selection) return refuse(QString::fromStdString(selection.error().message));
    wq.tensors = selection->tensors;
    m_scope = selection->scope;

    cancelJob(m_future);
    clearAll(tr("Reading the selection …"));
    const uint64_t gen = m_gen;
    fillMetrics(!wq.importance.isEmpty());
    m_state = std::make_shared<AtlasRunState>();
    auto state = m_state;
    m_status->setFullText(tr("Atlas of %1 …").arg(m_scope));
    m_run->setEnabled(false);
    m_cancel->setEnabled(true);
    m_pass = -1;
    {  // only the passes that give the cells bands enough to show (atlas.h informativePasses)
        std::vector<ShapedName> shaped;
        for (const QString& n : wq.tensors)
            if (const TensorInfo* t = m_window->model()->find(n.toStdString())) shaped.push_back({t->name, t->shape});
        m_runPasses = informativePasses(m_passes, shaped);
    }
    m_future = atlasJob(AtlasJobParams{wq, m_runPasses, m_hook}, state);
    m_window->jobStatus()->track(tr("Atlas of %1").arg(m_scope), m_future);
    auto* watcher = new QFutureWatcher<AtlasBand>(this);
    connect(watcher, &QFutureWatcher<AtlasBand>::resultsReadyAt, this, [this, watcher, gen, state](int a, int b) {
        if (gen != m_gen) return;
        if (!m_header) {
            std::lock_guard<std::mutex> lock(state->mutex);
            if (state->started) m_header = state->header;
        }
        for (int i = a; i < b; ++i) {
            AtlasBand band = watcher->resultAt(i);
            if (band.pass != m_pass) {
                m_pass = band.pass;
                m_status->setFullText(band.fraction < 1.0
                                          ? tr("Atlas of %1: pass %2 of %3, a %4 % sample of every tensor …")
                                                .arg(m_scope).arg(band.pass + 1).arg(m_runPasses.size())
                                                .arg(band.fraction * 100, 0, 'g', 3)
                                          : tr("Atlas of %1: %2every row …")
                                                .arg(m_scope, m_runPasses.size() > 1 ? tr("refining with ") : QString()));
            }
            addTensor(std::move(band.tensor));
        }
        if (!m_replot->isActive()) m_replot->start();
    });
    connect(watcher, &QFutureWatcher<AtlasBand>::finished, this, [this, watcher, gen, state] {
        watcher->deleteLater();
        if (gen != m_gen) return;
        m_run->setEnabled(true);
        m_cancel->setEnabled(false);
        m_replot->stop();
        std::lock_guard<std::mutex> lock(state->mutex);
        if (state->error) {
            m_lastError = QString::fromStdString(state->error->message);
            m_status->setFullText(tr("Atlas of %1 failed: %2").arg(m_scope, m_lastError));
            rebuild();
            Q_EMIT finished(false);
            return;
        }
        if (!state->report) {  // cancelled: what arrived stays on the map
            m_lastError = tr("cancelled");
            m_status->setFullText(tr("Atlas of %1 cancelled after %2 tensors.").arg(m_scope).arg(m_tensors.size()));
            rebuild();
            Q_EMIT finished(false);
            return;
        }
        // The final rows replace the streamed ones (the same rows, in the run's order).
        m_header = *state->report;
        m_tensors = state->report->tensors;
        m_index.clear();
        m_layerKinds.clear();
        for (size_t i = 0; i < m_tensors.size(); ++i) {
            m_index[m_tensors[i].info.name] = i;
            m_layerKinds.push_back(layerKind(m_tensors[i].info.name));
        }
        m_status->setFullText(tr("Atlas of %1: %2 tensors × %3 formats.")
                                  .arg(m_scope)
                                  .arg(m_tensors.size())
                                  .arg(state->report->formats.size()));
        rebuild();
        rebuildPlan();
        Q_EMIT finished(true);
    });
    watcher->setFuture(m_future);
}

void AtlasView::cancel()
{
    if (m_future.isRunning()) cancelJob(m_future);
}

void AtlasView::addTensor(WqTensor t)
{
    const auto it = m_index.find(t.info.name);
    if (it != m_index.end()) {
        m_tensors[it->second] = std::move(t);
        return;
    }
    m_index[t.info.name] = m_tensors.size();
    m_layerKinds.push_back(layerKind(t.info.name));  // once per tensor, not per redraw
    m_tensors.push_back(std::move(t));
}

void AtlasView::rebuild()
{
    m_atlas = buildAtlas(atlasEntries(m_tensors), currentMetric(), 0);
    // While a sampled pass runs, the title says so (estimated cells carry a ≈ mark).
    if (m_pass >= 0 && size_t(m_pass) < m_runPasses.size() && m_runPasses[size_t(m_pass)] < 1.0 && m_future.isRunning())
        m_atlas.sampleFraction = m_runPasses[size_t(m_pass)];
    // Members of each cell, by the same split the aggregation uses.
    std::map<int, size_t> layerIx;
    std::map<std::string, size_t> kindIx;
    for (size_t l = 0; l < m_atlas.layers.size(); ++l) layerIx[m_atlas.layers[l]] = l;
    for (size_t k = 0; k < m_atlas.kinds.size(); ++k) kindIx[m_atlas.kinds[k]] = k;
    m_members.assign(m_atlas.layers.size() * m_atlas.kinds.size(), {});
    for (size_t i = 0; i < m_tensors.size(); ++i) {
        const LayerKind& lk = m_layerKinds[i];
        const auto l = layerIx.find(lk.layer);
        const auto k = kindIx.find(lk.kind);
        if (l == layerIx.end() || k == kindIx.end()) continue;  // no "none" rows
        m_members[l->second * m_atlas.kinds.size() + k->second].push_back(i);
    }
    if (m_format->count() != int(m_atlas.formats.size())) fillFormats(m_atlas.formats);
    redraw();
}

int AtlasView::filledCells() const
{
    const int f = currentFormat();
    if (f < 0) return 0;
    int n = 0;
    for (size_t l = 0; l < m_atlas.layers.size(); ++l)
        for (size_t k = 0; k < m_atlas.kinds.size(); ++k) n += m_atlas.cell(size_t(f), l, k).tensors > 0;
    return n;
}

int AtlasView::planCellFormat(int layer, int kind) const
{
    if (!m_solution || layer < 0 || kind < 0 || size_t(layer) >= m_atlas.layers.size() ||
        size_t(kind) >= m_atlas.kinds.size())
        return -1;
    // The format holding most of the cell's elements (ties: the earlier format).
    std::vector<double> numel(m_atlas.formats.size(), 0.0);
    bool any = false;
    for (size_t t : m_members[size_t(layer) * m_atlas.kinds.size() + size_t(kind)]) {
        const size_t item = t < m_itemOf.size() ? m_itemOf[t] : kNone;
        if (item == kNone) continue;
        const std::string& f = m_planInput.formats[item][size_t(m_solution->choice[item])];
        const auto it = std::find(m_atlas.formats.begin(), m_atlas.formats.end(), f);
        if (it == m_atlas.formats.end()) continue;
        numel[size_t(it - m_atlas.formats.begin())] += double(m_tensors[t].info.numel());
        any = true;
    }
    if (!any) return -1;
    return int(std::max_element(numel.begin(), numel.end()) - numel.begin());
}

void AtlasView::redraw()
{
    if (m_atlas.formats.empty()) {
        if (m_plot) {
            m_plot->deleteLater();
            m_plot = nullptr;
        }
        m_stack->setCurrentWidget(m_message);
        Q_EMIT updated(int(m_tensors.size()), 0);
        return;
    }
    // A fresh plot per redraw (the builders lay out a fresh QCustomPlot).
    auto* plot = new QCustomPlot(m_plotHost);
    plot->setObjectName(QStringLiteral("atlasPlot"));
    plot->setAccessibleName(tr("Atlas heat map"));
    const bool planMode = m_mode->currentIndex() == ModePlan && m_solution;
    if (planMode) {
        std::vector<int> cells(m_atlas.layers.size() * m_atlas.kinds.size(), -1);
        for (size_t l = 0; l < m_atlas.layers.size(); ++l)
            for (size_t k = 0; k < m_atlas.kinds.size(); ++k)
                cells[l * m_atlas.kinds.size() + k] = planCellFormat(int(l), int(k));
        std::vector<int> tensors(m_atlas.formats.size(), 0);
        std::vector<double> bytes(m_atlas.formats.size(), 0.0);
        for (size_t i = 0; i < m_planInput.items.size(); ++i) {
            const size_t c = size_t(m_solution->choice[i]);
            const auto it = std::find(m_atlas.formats.begin(), m_atlas.formats.end(), m_planInput.formats[i][c]);
            if (it == m_atlas.formats.end()) continue;
            ++tensors[size_t(it - m_atlas.formats.begin())];
            bytes[size_t(it - m_atlas.formats.begin())] += m_planInput.items[i].options[c].bytes;
        }
        QStringList legend;
        for (size_t f = 0; f < m_atlas.formats.size(); ++f)
            legend << (tensors[f] ? tr("%1: %2 tensors, %3").arg(label(m_atlas.formats[f])).arg(tensors[f]).arg(sizeText(bytes[f]))
                                  : QString());  // unused formats stay out of the legend
        buildAtlasPlanPlot(plot, m_atlas, cells, legend,
                           tr("Plan: fits in %1 — the format per cell (most of its elements)").arg(sizeText(m_budgetBytes)));
    } else {
        buildAtlasHeatmapPlot(plot, m_atlas, size_t(std::max(0, currentFormat())));
    }
    // Shorter kind labels on screen (the read-out names tensors in full): a suffix every
    // kind shares (".weight") goes into the axis title.
    if (auto ticker = plot->xAxis->ticker().dynamicCast<QCPAxisTickerText>(); ticker && !m_atlas.kinds.empty()) {
        const QString suffix = QStringLiteral(".weight");
        const bool all = std::all_of(m_atlas.kinds.begin(), m_atlas.kinds.end(), [&](const std::string& k) {
            return QString::fromStdString(k).endsWith(suffix) && k.size() > size_t(suffix.size());
        });
        if (all) {
            for (auto it = ticker->ticks().begin(); it != ticker->ticks().end(); ++it) it.value().chop(suffix.size());
            plot->xAxis->setLabel(tr("tensor kind (each ends in %1)").arg(suffix));
        }
    }
    // The rotated kind labels would ask for a tall window; the page takes what it gets.
    plot->setMinimumSize(120, 60);
    plot->setMouseTracking(true);
    plot->installEventFilter(this);
    if (m_plot) {
        m_plotLayout->replaceWidget(m_plot, plot);
        m_plot->deleteLater();
    } else {
        m_plotLayout->addWidget(plot);
    }
    m_plot = plot;
    m_stack->setCurrentWidget(m_plotHost);
    plot->replot();
    Q_EMIT updated(int(m_tensors.size()), filledCells());
}

void AtlasView::setMode(int mode)
{
    if (mode == ModePlan && !m_solution) mode = ModeMetric;
    if (m_mode->currentIndex() != mode) {
        const QSignalBlocker block(m_mode);
        m_mode->setCurrentIndex(mode);
    }
    m_format->setEnabled(mode == ModeMetric);
    m_metric->setEnabled(mode == ModeMetric);
    redraw();
}

const WqRow* AtlasView::row(size_t tensor, const std::string& format) const
{
    for (const WqRow& r : m_tensors[tensor].rows)
        if (r.compression == "none" && r.format == format) return &r;
    return nullptr;
}

QStringList AtlasView::cellTensors(int layer, int kind) const
{
    QStringList out;
    if (layer < 0 || kind < 0 || size_t(layer) >= m_atlas.layers.size() || size_t(kind) >= m_atlas.kinds.size())
        return out;
    std::vector<size_t> members = m_members[size_t(layer) * m_atlas.kinds.size() + size_t(kind)];
    const int f = currentFormat();
    if (f >= 0) {
        const AtlasMetric m = currentMetric();
        auto value = [&](size_t t) {
            const WqRow* r = row(t, m_atlas.formats[size_t(f)]);
            return r ? atlasValue(r->metrics, m) : std::numeric_limits<double>::quiet_NaN();
        };
        // Worst first (n/a last), as the cell's colour is its worst member's.
        std::stable_sort(members.begin(), members.end(), [&](size_t a, size_t b) {
            const double va = value(a), vb = value(b);
            if (std::isnan(vb)) return !std::isnan(va);
            if (std::isnan(va)) return false;
            return atlasHigherIsBetter(m) ? va < vb : va > vb;
        });
    }
    for (size_t t : members) out << QString::fromStdString(m_tensors[t].info.name);
    return out;
}

QString AtlasView::cellText(int layer, int kind) const
{
    if (layer < 0 || kind < 0 || size_t(layer) >= m_atlas.layers.size() || size_t(kind) >= m_atlas.kinds.size())
        return {};
    const int f = currentFormat();
    const QStringList names = cellTensors(layer, kind);
    const int l = m_atlas.layers[size_t(layer)];
    QString head = QStringLiteral("%1 · %2")
                       .arg(l < 0 ? tr("no layer") : tr("layer %1").arg(l), QString::fromStdString(m_atlas.kinds[size_t(kind)]));
    if (names.isEmpty()) return head + tr(": no tensor");
    const bool planMode = m_mode->currentIndex() == ModePlan && m_solution;
    QStringList parts;
    if (planMode) {
        for (int i = 0; i < names.size() && i < kMaxNamed; ++i) {
            const size_t t = m_index.at(names[i].toStdString());
            const size_t item = t < m_itemOf.size() ? m_itemOf[t] : kNone;
            if (item == kNone) {
                parts << tr("%1 (not planned)").arg(names[i]);
                continue;
            }
            const size_t c = size_t(m_solution->choice[item]);
            const PlanOption& o = m_planInput.items[item].options[c];
            parts << tr("%1 → %2 (%3 B, Σd² %4)")
                         .arg(names[i], label(m_planInput.formats[item][c]), withThousands(uint64_t(std::llround(o.bytes))))
                         .arg(o.sse, 0, 'g', 4);
        }
        head += tr(" · plan");
    } else if (f >= 0) {
        const AtlasMetric m = currentMetric();
        const AtlasCell& cell = m_atlas.cell(size_t(f), size_t(layer), size_t(kind));
        for (int i = 0; i < names.size() && i < kMaxNamed; ++i) {
            const WqRow* r = row(m_index.at(names[i].toStdString()), m_atlas.formats[size_t(f)]);
            parts << QStringLiteral("%1 %2").arg(names[i], r ? rowText(*r, m) : QStringLiteral("–"));
        }
        head += QStringLiteral(" · %1 %2").arg(label(m_atlas.formats[size_t(f)]),
                                               QString::fromLatin1(atlasMetricName(m)).toUpper());
        const Interval* ci = cell.estimate ? cellInterval(cell, m) : nullptr;
        if (cell.notSampled())
            head += tr(" (no band of this cell sampled yet)");
        else if (cell.tensors > 1)
            head += tr(" (cell %1%2%3)")
                        .arg(cell.estimate ? QStringLiteral("≈") : QString(), metricText(atlasValue(cell.aggregate, m), m),
                             ci ? intervalText(*ci, m) : QString());
        if (cell.estimate) head += tr(" · estimate, 95 % intervals");
    }
    const QString count = names.size() == 1 ? QString() : tr("%1 tensors, worst first: ").arg(names.size());
    QString tail = parts.join(QStringLiteral(" · "));
    if (names.size() > kMaxNamed) tail += tr(" · … and %1 more").arg(names.size() - kMaxNamed);
    return head + QStringLiteral(" │ ") + count + tail;
}

bool AtlasView::cellAt(const QPointF& pixel, int* layer, int* kind) const
{
    if (!m_plot || !m_plot->axisRect()->rect().contains(pixel.toPoint())) return false;
    const long k = std::lround(m_plot->xAxis->pixelToCoord(pixel.x()));
    const long l = std::lround(m_plot->yAxis->pixelToCoord(pixel.y()));
    if (k < 0 || l < 0 || size_t(k) >= m_atlas.kinds.size() || size_t(l) >= m_atlas.layers.size()) return false;
    *layer = int(l);
    *kind = int(k);
    return true;
}

bool AtlasView::eventFilter(QObject* watched, QEvent* event)
{
    if (watched != m_plot || !m_plot) return QWidget::eventFilter(watched, event);
    int l = 0, k = 0;
    switch (event->type()) {
    case QEvent::MouseMove: {
        const QPointF p = static_cast<QMouseEvent*>(event)->position();
        m_readout->setFullText(cellAt(p, &l, &k) ? cellText(l, k) : tr("Hover a cell to name its tensors; click to open one."));
        break;
    }
    case QEvent::Leave: m_readout->setFullText(tr("Hover a cell to name its tensors; click to open one.")); break;
    case QEvent::MouseButtonPress: m_pressPos = static_cast<QMouseEvent*>(event)->position(); break;
    case QEvent::MouseButtonRelease: {
        auto* me = static_cast<QMouseEvent*>(event);
        if (me->button() == Qt::LeftButton && (me->position() - m_pressPos).manhattanLength() < 5 &&
            cellAt(me->position(), &l, &k))
            openCell(l, k);
        break;
    }
    default: break;
    }
    return false;
}

void AtlasView::openCell(int layer, int kind)
{
    const QStringList names = cellTensors(layer, kind);
    if (names.isEmpty()) return;
    if (names.size() == 1) return openTensor(names.front());
    if (m_cellMenu) m_cellMenu->deleteLater();
    m_cellMenu = new QMenu(this);
    m_cellMenu->setObjectName(QStringLiteral("atlasCellMenu"));
    m_cellMenu->setAccessibleName(tr("Tensors of the cell"));
    for (const QString& n : names) m_cellMenu->addAction(n, this, [this, n] { openTensor(n); });
    m_cellMenu->popup(QCursor::pos());
}

void AtlasView::openTensor(const QString& name)
{
    m_window->pages()->setCurrentIndex(0);  // the Tensor page
    m_window->selectTensor(name);
}

// --- the budget -----------------------------------------------------------------------

void AtlasView::rebuildPlan()
{
    const bool weighted = m_header && m_header->importance.has_value();
    m_planInput = qs::planInput(m_tensors, weighted);
    m_itemOf.assign(m_tensors.size(), kNone);
    std::map<std::string, size_t> item;
    for (size_t i = 0; i < m_planInput.names.size(); ++i) item[m_planInput.names[i]] = i;
    m_stored = 0;
    for (size_t t = 0; t < m_tensors.size(); ++t)
        if (const auto it = item.find(m_tensors[t].info.name); it != item.end()) {
            m_itemOf[t] = it->second;
            m_stored += storedOf(m_window->model().get(), m_tensors[t].info);
        }
    m_uniform.assign(m_atlas.formats.size(), 0.0);
    for (size_t i = 0; i < m_planInput.items.size(); ++i)
        for (size_t o = 0; o < m_planInput.items[i].options.size(); ++o) {
            const auto it = std::find(m_atlas.formats.begin(), m_atlas.formats.end(), m_planInput.formats[i][o]);
            if (it != m_atlas.formats.end()) m_uniform[size_t(it - m_atlas.formats.begin())] += m_planInput.items[i].options[o].bytes;
        }
    if (m_planInput.items.empty() || m_uniform.empty()) {
        m_totals->setText(tr("Nothing to plan: no tensor of the selection has rows."));
        return;
    }
    const double lo = *std::min_element(m_uniform.begin(), m_uniform.end());
    const double hi = *std::max_element(m_uniform.begin(), m_uniform.end());
    m_budget->setByteRange(lo, hi);
    std::vector<BudgetSlider::Mark> marks;
    marks.push_back({m_stored, tr("stored")});
    for (size_t f = 0; f < m_uniform.size(); ++f) marks.push_back({m_uniform[f], label(m_atlas.formats[f])});
    m_budget->setMarks(std::move(marks));
    m_budget->setEnabled(true);
    m_budget->slider()->setToolTip(tr("Fits in this many bytes: the planner picks one format per tensor with the least "
                                      "total squared error.\nStored now: %1; every tensor in %2")
                                       .arg(sizeText(m_stored), [&] {
                                           QStringList s;
                                           for (size_t f = 0; f < m_uniform.size(); ++f)
                                               s << QStringLiteral("%1 %2").arg(label(m_atlas.formats[f]), sizeText(m_uniform[f]));
                                           return s.join(QStringLiteral(", "));
                                       }()));
    setBudget(hi);  // the most accurate plan until the slider moves (the map stays on the metric)
}

void AtlasView::setBudget(double bytes)
{
    if (m_planInput.items.empty()) return;
    m_budgetBytes = bytes;
    {
        const QSignalBlocker block(m_budget->slider());
        m_budget->slider()->setValue(m_budget->positionOf(bytes));
    }
    m_budgetLabel->setText(tr("fits in %1").arg(sizeText(bytes)));
    solve();
    if (m_mode->currentIndex() == ModePlan) redraw();
    Q_EMIT planChanged();
}

void AtlasView::solve()
{
    auto sol = solvePlan(m_planInput.items, m_budgetBytes);
    if (!sol) {
        m_solution.reset();
        m_lastError = QString::fromStdString(sol.error().message);
        m_totals->setText(tr("No plan: %1").arg(m_lastError));
        m_save->setEnabled(false);
        return;
    }
    m_solution = *sol;
    m_save->setEnabled(true);
    showTotals();
}

void AtlasView::showTotals()
{
    const PlanSolution& s = *m_solution;
    const double bits = 8.0 * s.bytes / double(std::max<int64_t>(1, m_planInput.params));
    m_totals->setText(tr("Plan: %1 B of %2 B (%3 bits/param) · %4squared error Σd² %5 · Lagrangian bound %6 (gap %7 %)")
                          .arg(withThousands(uint64_t(std::llround(s.bytes))))
                          .arg(withThousands(uint64_t(std::llround(m_budgetBytes))))
                          .arg(bits, 0, 'f', 3)
                          .arg(m_planInput.weightedRun ? tr("importance-weighted ") : QString())
                          .arg(s.sse, 0, 'g', 6)
                          .arg(s.lowerBound, 0, 'g', 6)
                          .arg(s.gap() * 100, 0, 'g', 3));
}

PlanFile AtlasView::planFile() const
{
    if (!m_solution) return PlanFile{};
    // The plan is made from the last, full pass (never from a sample): not estimated.
    PlanFile f = planFileOf(m_planInput, *m_solution, m_budgetBytes,
                            m_header && m_header->importance ? m_header->importance->source : std::string());
    f.model = m_header ? m_header->repo.toStdString() : std::string();
    f.revision = m_header ? m_header->revision.toStdString() : std::string();
    return f;
}

bool AtlasView::savePlan(const QString& path)
{
    if (!m_solution) {
        m_lastError = tr("No plan to save: run the atlas and choose a budget first.");
        return false;
    }
    // The plan file (analysis/plan_file.h): plan.json as quantscope plan writes it, which
    // wq/export --compression-config apply.
    if (auto w = writePlanFile(planFile(), path); !w) {
        m_lastError = QString::fromStdString(w.error().message);
        return false;
    }
    m_window->statusBar()->showMessage(tr("Wrote %1").arg(path), 6000);
    return true;
}

AtlasView* installAtlasView(MainWindow* window)
{
    QTabWidget* pages = window->pages();
    auto* view = new AtlasView(window, pages);
    pages->addTab(view, QObject::tr("Atlas"));
    QMenu* analyze = window->menuBar()->findChild<QMenu*>(QStringLiteral("analyzeMenu"));
    auto* act = new QAction(QObject::tr("&Atlas of selection"), window);
    act->setObjectName(QStringLiteral("atlasAction"));
    act->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    act->setToolTip(QObject::tr("The error of every selected tensor by layer and kind, and the budget planner (Ctrl+Shift+A)"));
    QObject::connect(act, &QAction::triggered, view, [pages, view] {
        pages->setCurrentWidget(view);
        view->runOnSelection();
    });
    if (analyze) {
        const QList<QAction*> acts = analyze->actions();
        // After Analyze selection, before Cancel.
        analyze->insertAction(acts.size() > 1 ? acts[1] : nullptr, act);
    } else {
        window->addAction(act);
    }
    return view;
}

} // namespace qs
