#include "compression/compression_workspace.h"

#include "plots/plot_readout.h"

#include "compression/config_form.h"
#include "compression/metric_box.h"
#include "analysis/importance_run.h"
#include "compression/tiling.h"
#include "compression/tile_map_view.h"
#include "formats/format.h"
#include "jobs/jobs.h"
#include "main_window.h"
#include "plots/compression_plots.h"
#include "plots/palette.h"
#include "widgets/job_status.h"
#include "plots/qcp.h"
#include "widgets/format_panel.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSlider>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>

#include <utility>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

namespace qs {

namespace {

constexpr int kSliderSteps = 1000;

// A threshold box that shows the digits a value has (0.999, 0.0000234), not 9 decimals.
class ThresholdSpinBox : public QDoubleSpinBox {
public:
    using QDoubleSpinBox::QDoubleSpinBox;
    QString textFromValue(double v) const override
    {
        QString t = QDoubleSpinBox::textFromValue(v);
        const QChar point = locale().decimalPoint().front();
        if (t.contains(point)) {
            while (t.endsWith(QLatin1Char('0'))) t.chop(1);
            if (t.endsWith(point)) t.chop(1);
        }
        return t;
    }
};

// Three significant digits: slider positions give thresholds like 0.99912 or 2.34e-05.
double roundSignificant(double v)
{
    if (!(v > 0) || !std::isfinite(v)) return v;
    const double scale = std::pow(10.0, 2 - std::floor(std::log10(v)));
    return std::round(v * scale) / scale;
}
constexpr int kSweepPoints = 25;

QString bytesText(double b) { return QLocale(QLocale::English).toString(qlonglong(std::llround(b))); }

QString algShort(const std::string& alg)
{
    if (alg == "mixed-tile-greedy") return QStringLiteral("greedy");
    if (alg == "mixed-tile-random") return QStringLiteral("random");
    return QStringLiteral("threshold");
}

} // namespace

CompressionWorkspace::CompressionWorkspace(MainWindow* window, QWidget* parent) : QWidget(parent), m_window(window)
{
    setObjectName(QStringLiteral("compressionWorkspace"));
    auto* outer = new QHBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->setChildrenCollapsible(false);
    outer->addWidget(split);

    // Left: the config form and the actions.
    auto* left = new QWidget(split);
    auto* ll = new QVBoxLayout(left);
    ll->setContentsMargins(0, 0, 0, 4);
    m_form = new ConfigForm(left);
    auto* scroll = new QScrollArea(left);
    scroll->setWidget(m_form);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    ll->addWidget(scroll, 1);
    auto* buttons = new QHBoxLayout;
    buttons->setContentsMargins(6, 0, 6, 0);
    m_runButton = new QPushButton(tr("Run on selection…"), left);
    m_runButton->setObjectName(QStringLiteral("runConfigButton"));
    m_runButton->setToolTip(tr("wq with this config over the selected group / filter matches / tensor; "
                               "writes a results folder like quantscope wq"));
    buttons->addWidget(m_runButton);
    ll->addLayout(buttons);
    split->addWidget(left);

    // Right: live controls, tabs (tile map, size vs accuracy), counts.
    auto* right = new QWidget(split);
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(4, 4, 4, 4);
    rl->setSpacing(4);
    auto* live = new QHBoxLayout;
    live->addWidget(new QLabel(tr("Metric"), right));
    m_metric = new QComboBox(right);
    m_metric->setObjectName(QStringLiteral("liveMetricBox"));
    m_metric->setAccessibleName(tr("Metric"));
    fillMetricBox(m_metric);
    setWeightedMetricsEnabled(m_metric, false);
    live->addWidget(m_metric);
    live->addSpacing(8);
    live->addWidget(new QLabel(tr("Threshold"), right));
    m_spin = new ThresholdSpinBox(right);
    m_spin->setAccessibleName(tr("Threshold"));
    m_spin->setObjectName(QStringLiteral("thresholdSpin"));
    m_spin->setDecimals(9);
    m_spin->setRange(-1, 1);
    m_spin->setSingleStep(0.0001);
    m_spin->setKeyboardTracking(false);
    m_spin->setMinimumWidth(110);
    live->addWidget(m_spin);
    live->addStretch(1);
    rl->addLayout(live);
    // The slider on a row of its own: it needs the width to be precise.
    auto* slide = new QHBoxLayout;
    slide->addWidget(new QLabel(tr("strict"), right));
    m_slider = new QSlider(Qt::Horizontal, right);
    m_slider->setObjectName(QStringLiteral("thresholdSlider"));
    m_slider->setRange(0, kSliderSteps);
    m_slider->setToolTip(tr("Right = looser threshold (log scale)"));
    slide->addWidget(m_slider, 1);
    slide->addWidget(new QLabel(tr("loose"), right));
    rl->addLayout(slide);
    m_info = new QLabel(right);
    m_info->setObjectName(QStringLiteral("workspaceInfo"));
    m_info->setWordWrap(true);
    m_info->setTextFormat(Qt::RichText);
    rl->addWidget(m_info);
    m_liveNote = new QLabel(right);
    m_liveNote->setObjectName(QStringLiteral("workspaceLiveNote"));
    m_liveNote->setWordWrap(true);
    m_liveNote->setStyleSheet(QStringLiteral("color:#64748b; font-size:11px"));
    rl->addWidget(m_liveNote);

    // Tile map, size vs accuracy and the per-format counts share the height (a 768-px
    // screen leaves the page about 450 px).
    auto* tabs = new QTabWidget(right);
    tabs->setObjectName(QStringLiteral("workspaceTabs"));
    m_map = new TileMapView(tabs);
    tabs->addTab(m_map, tr("Tile map"));
    auto* sizeTab = new QWidget(tabs);
    auto* sl = new QVBoxLayout(sizeTab);
    sl->setContentsMargins(0, 2, 0, 0);
    auto* scopeRow = new QHBoxLayout;
    scopeRow->setContentsMargins(4, 0, 4, 0);
    scopeRow->addWidget(new QLabel(tr("Show:"), sizeTab));
    m_sizeScope = new QComboBox(sizeTab);
    m_sizeScope->setObjectName(QStringLiteral("sizeScopeBox"));
    m_sizeScope->addItems({tr("Selected tensor (with threshold sweep)"), tr("Last run over the selection")});
    m_sizeScope->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_sizeScope->setMinimumContentsLength(14);  // elides on a narrow page, never widens the window
    scopeRow->addWidget(m_sizeScope);
    m_sizeTensor = new QComboBox(sizeTab);
    m_sizeTensor->setObjectName(QStringLiteral("sizeTensorBox"));
    m_sizeTensor->setAccessibleName(tr("Tensor of the last run"));
    m_sizeTensor->setToolTip(tr("Every tensor of the last run on one axis of bits per element, or one tensor in bytes "
                                "with its Pareto front"));
    m_sizeTensor->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_sizeTensor->setMinimumContentsLength(10);
    m_sizeTensor->setEnabled(false);
    scopeRow->addWidget(m_sizeTensor, 1);
    sl->addLayout(scopeRow);
    m_sizeBox = new QVBoxLayout;
    sl->addLayout(m_sizeBox, 1);
    m_sizeReadout = new QLabel(sizeTab);
    m_sizeReadout->setObjectName(QStringLiteral("sizeReadout"));
    m_sizeReadout->setAccessibleName(tr("Value under the cursor"));
    m_sizeReadout->setStyleSheet(QStringLiteral("QLabel { color: #4b5563; font-size: 11px; padding: 1px 6px; }"));
    m_sizeReadout->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    sl->addWidget(m_sizeReadout);
    tabs->addTab(sizeTab, tr("Size vs accuracy"));
    m_counts = new QTableWidget(tabs);
    m_counts->setObjectName(QStringLiteral("countsTable"));
    m_counts->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_counts->verticalHeader()->hide();
    m_counts->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_counts->setAlternatingRowColors(true);
    tabs->addTab(m_counts, tr("Tiles && bytes"));
    rl->addWidget(tabs, 1);
    split->addWidget(right);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    left->setMinimumWidth(std::min(m_form->sizeHint().width() + 24, 300));
    split->setSizes({330, 900});

    m_algTimer = new QTimer(this);
    m_algTimer->setSingleShot(true);
    m_algTimer->setInterval(150);
    connect(m_algTimer, &QTimer::timeout, this, &CompressionWorkspace::startAlgorithm);
    connect(m_slider, &QSlider::valueChanged, this, [this](int pos) {
        if (!m_syncing) setThreshold(sliderToThreshold(pos));
    });
    connect(m_slider, &QSlider::sliderReleased, this, [this] {
        m_algTimer->stop();
        startAlgorithm();
    });
    connect(m_spin, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        if (!m_syncing) setThreshold(v);
    });
    connect(m_metric, &QComboBox::currentIndexChanged, this, [this] {
        if (m_syncing) return;
        MetricKind k = MetricKind::Pcc;
        parseMetric(m_metric->currentText().toStdString(), k);
        m_form->setMetric(k);
        m_params.metric = k;
        m_params.threshold = k == MetricKind::Pcc ? 0.999 : NAN;  // the others: updateSlider centres it
        if (k == MetricKind::Pcc) m_form->setThreshold(0.999);
        // The same sums: slider, live result and algorithm follow at once; a weighted metric
        // without an importance file says so; sums of another importance state are redone.
        startSums();
    });
    connect(m_sizeScope, &QComboBox::currentIndexChanged, this, &CompressionWorkspace::updateSizePlot);
    connect(m_sizeTensor, &QComboBox::currentIndexChanged, this, &CompressionWorkspace::updateSizePlot);
    connect(m_form, &ConfigForm::configChanged, this, &CompressionWorkspace::onConfigChanged);
    // Options changed in the Formats panel change the tile sums (and the options line).
    if (m_window) connect(m_window->formatPanel(), &FormatPanel::formatsChanged, this, &CompressionWorkspace::onConfigChanged);
    connect(m_runButton, &QPushButton::clicked, this, &CompressionWorkspace::promptAndRun);
    if (m_window) {
        connect(m_window, &MainWindow::tensorShown, this, [this](const QString& name, double) { setTensor(name); });
        // While another model opens, the previous tensor's map is not shown as current;
        // if the open fails the current model stays and so does its tensor.
        connect(m_window, &MainWindow::modelOpening, this,
                [this](const QString& text) { dropTensor(tr("Opening %1 …").arg(text)); });
        connect(m_window, &MainWindow::modelFailed, this, [this] {
            const QString current = m_window->currentTensor();
            if (current.isEmpty()) dropTensor();
            else setTensor(current);
        });
        connect(m_window, &MainWindow::modelOpened, this, [this] {
            dropTensor();
            m_runReport.reset();
            fillSizeTensors();
        });
        // An importance file loaded or cleared: wsqnr / wrel become choosable (or not) and
        // the tile sums are recomputed with (or without) the weights.
        connect(m_window, &MainWindow::importanceChanged, this, [this] {
            const bool loaded = m_window->importance() != nullptr;
            setWeightedMetricsEnabled(m_metric, loaded);
            m_form->setImportanceLoaded(loaded);
            m_sumsKey.clear();
            onConfigChanged();
        });
    }
    onConfigChanged();
}

CompressionWorkspace::~CompressionWorkspace()
{
    cancelJob(m_sumsFuture);
    cancelJob(m_algFuture);
    cancelJob(m_runFuture);
}

QString CompressionWorkspace::examplesDir()
{
    QStringList candidates;
    const QString bin = QCoreApplication::applicationDirPath();
    candidates << bin + QStringLiteral("/../share/quantscope/compression_configs") << bin + QStringLiteral("/compression_configs")
               << bin + QStringLiteral("/../compression_configs");
    for (const QString& c : candidates) {
        const QDir d(c);
        if (d.exists() && !d.entryList({QStringLiteral("*.json")}, QDir::Files).isEmpty()) return d.absolutePath();
    }
    return {};
}

bool CompressionWorkspace::loadConfig(const QString& path)
{
    const bool ok = m_form->loadFile(path);
    if (!ok) m_lastError = m_form->fieldError(QStringLiteral("file"));
    if (auto* pages = m_window->pages(); pages->currentWidget() != this) pages->setCurrentWidget(this);
    return ok;
}

bool CompressionWorkspace::saveConfigAs(const QString& path)
{
    auto r = m_form->saveAs(path);
    if (!r) m_lastError = QString::fromStdString(r.error().message);
    return r.ok();
}

void CompressionWorkspace::dropTensor(const QString& message)
{
    cancelJob(m_sumsFuture);
    cancelJob(m_algFuture);
    ++m_sumsGen;  // a result for the dropped tensor arriving now is ignored
    ++m_algGen;
    m_tensor.clear();
    m_sums.reset();
    m_sumsKey.clear();
    m_map->showMessage(message.isEmpty() ? tr("Select a tensor to see its tile map.") : message);
}

void CompressionWorkspace::setTensor(const QString& name)
{
    if (name.toStdString() == m_tensor && m_sums) return;
    m_tensor = name.toStdString();
    startSums();
}

void CompressionWorkspace::onConfigChanged()
{
    CompressionConfig cfg = m_form->config();
    // Not a mixed algorithm: the live view still shows mixed-tile-threshold.
    if (!cfg.isMixed()) cfg.algorithm = "mixed-tile-threshold";
    auto run = resolveFormats({}, cfg.formats);
    Result<MixedParams> p = run ? cfg.toMixed(*run, m_window ? m_window->formatPanel()->options() : FormatOptions{})
                                : Result<MixedParams>(run.error());
    // A result of the previous config's algorithm must not arrive after this change.
    cancelJob(m_algFuture);
    ++m_algGen;
    m_algResult.reset();
    m_paramsOk = p.ok();
    if (!p) {
        m_info->setText(QStringLiteral("<span style='color:#b91c1c'>%1</span>").arg(QString::fromStdString(p.error().message).toHtmlEscaped()));
        return;
    }
    m_params = *p;
    if (!std::isfinite(m_params.threshold)) m_params.threshold = 0;
    {
        m_syncing = true;
        m_metric->setCurrentText(QString::fromStdString(std::string(metricName(m_params.metric))));
        m_syncing = false;
    }
    const std::string alg = m_form->config().algorithm;
    // The format options the tile sums and a run use (the Formats panel's), shown here too.
    const std::string flags = formatOptionFlags(m_params.options);
    const QString options = flags.empty() ? tr("Format options: the defaults.")
                                          : tr("Format options: %1.").arg(QString::fromStdString(flags));
    m_liveNote->setText((alg == "mixed-tile-greedy" || alg == "mixed-tile-random"
                             ? tr("The threshold algorithm follows the slider live; %1 (slower) is recomputed from the same "
                                  "tile sums when the slider rests or is released.").arg(algShort(alg))
                             : tr("The map, counts and bytes follow the slider live (recomputed from per-tile sums).")) +
                        QLatin1Char(' ') + options);
    startSums();
}

void CompressionWorkspace::startSums()
{
    if (!m_paramsOk) return;
    if (!isVisible()) return;  // a hidden workspace costs nothing; showEvent catches up
    if (!m_window || !m_window->model() || m_tensor.empty()) {
        m_map->showMessage(tr("Select a tensor to see its tile map."));
        return;
    }
    // A weighted metric needs the importance file (wq refuses it without --importance).
    const std::shared_ptr<const RunImportance> importance = m_window->importance();
    if (isWeighted(m_params.metric) && !importance) {
        m_map->showMessage(tr("%1 weighs the error by input-channel importance: open an importance file "
                              "(File › Open importance…) or choose another metric.")
                               .arg(QString::fromStdString(std::string(metricName(m_params.metric)))));
        return;
    }
    std::string key = m_tensor;
    for (const Format* f : m_params.candidates) key += "|" + std::string(f->name);
    // With importance: the tensor's weights, else v ≡ 1 (wsqnr = SQNR, wrel = REL), as
    // wq's mixed-tile run does for a tensor without an entry.
    std::optional<InputWeights> weights;
    if (importance) {
        key += "|importance:" + std::to_string(reinterpret_cast<uintptr_t>(importance.get()));
        const TensorInfo* info = m_window->model()->find(m_tensor);
        std::string note;
        if (info) weights = tensorWeights(importance->index.find(m_tensor), info->shape, Layout::AsStored, &note);
        if (info && !weights) {
            const TileGrid g = makeTileGrid(info->shape);
            weights = InputWeights::uniform(g.viewCols, g.viewRows);
        }
    }
    if (key == m_sumsKey && m_sums) {
        updateSlider();
        recomputeLive();
        startAlgorithm();
        return;
    }
    cancelJob(m_sumsFuture);
    cancelJob(m_algFuture);
    const uint64_t gen = ++m_sumsGen;
    ++m_algGen;
    m_sums.reset();
    m_sumsKey.clear();
    m_map->showMessage(tr("Computing the per-tile sums of %1 …").arg(QString::fromStdString(m_tensor)));
    TileSumsParams tp{m_window->model(), m_tensor, m_params.candidates, m_params.options, std::move(weights)};
    m_sumsFuture = tileSumsJob(tp);
    m_window->jobStatus()->track(tr("Tile sums of %1").arg(QString::fromStdString(m_tensor)), m_sumsFuture);
    m_sumsFuture.then(this, [this, gen, key](TileSumsResult r) {
        if (gen != m_sumsGen) return;
        if (r.error) {
            m_map->showMessage(tr("Could not compute the tile sums: %1").arg(QString::fromStdString(r.error->message)));
            return;
        }
        m_sums = r.sums;
        m_sumsKey = key;
        m_map->setSums(m_sums, m_tensor);
        updateSlider();
        recomputeLive();
        startAlgorithm();
        Q_EMIT sumsReady(QString::fromStdString(r.tensor));
    });
}

double CompressionWorkspace::sliderToThreshold(int pos) const
{
    const double f = double(pos) / kSliderSteps;
    const double e = std::log10(m_rangeLo) + (std::log10(m_rangeHi) - std::log10(m_rangeLo)) * f;
    const double v = std::pow(10.0, e);
    if (m_params.metric == MetricKind::Wsqnr) return std::round(-20.0 * std::log10(v) * 100.0) / 100.0;  // dB, 2 decimals
    return m_params.metric == MetricKind::Pcc ? 1.0 - roundSignificant(v) : roundSignificant(v);
}

double CompressionWorkspace::sliderDomain(double t) const
{
    // The slider runs over a positive "error" on a log scale, loose to the right: 1 - pcc,
    // mae, atol, wrel, and for wsqnr the wrel it equals (wsqnr = -20 log10 wrel).
    if (m_params.metric == MetricKind::Pcc) return 1.0 - t;
    if (m_params.metric == MetricKind::Wsqnr) return std::pow(10.0, -t / 20.0);
    return t;
}

int CompressionWorkspace::thresholdToSlider(double t) const
{
    const double v = sliderDomain(t);
    if (!(v > 0)) return 0;
    const double f = (std::log10(v) - std::log10(m_rangeLo)) / (std::log10(m_rangeHi) - std::log10(m_rangeLo));
    return int(std::lround(std::clamp(f, 0.0, 1.0) * kSliderSteps));
}

void CompressionWorkspace::updateSlider()
{
    if (!m_sums) return;
    if (m_params.metric == MetricKind::Pcc) {
        m_rangeLo = 1e-7;
        m_rangeHi = 1e-1;
    } else {
        // From just below the best pure format's metric to above the worst.
        double lo = INFINITY, hi = 0;
        for (size_t f = 0; f < m_sums->formats.size(); ++f) {
            const double v = sliderDomain(metricValue(finish(m_sums->formatTotal(f)), m_params.metric));
            if (std::isfinite(v) && v > 0) { lo = std::min(lo, v); hi = std::max(hi, v); }
        }
        if (!std::isfinite(lo)) { lo = 1e-8; hi = 1; }
        m_rangeLo = lo / 4;
        m_rangeHi = std::max(hi * 2, m_rangeLo * 10);
    }
    if (!std::isfinite(m_params.threshold) || (!higherIsBetter(m_params.metric) && m_params.threshold <= 0)) {
        m_params.threshold = sliderToThreshold(kSliderSteps / 2);
        m_form->setThreshold(m_params.threshold);
    }
    m_syncing = true;
    if (m_params.metric == MetricKind::Pcc) m_spin->setRange(-1.0, 1.0);
    else if (m_params.metric == MetricKind::Wsqnr) m_spin->setRange(-200.0, 400.0);  // dB
    else m_spin->setRange(0.0, 1e9);
    m_spin->setValue(m_params.threshold);
    m_slider->setValue(thresholdToSlider(m_params.threshold));
    m_syncing = false;
    // The sweep: the threshold algorithm over the slider's range.
    m_sweep.clear();
    MixedParams p = m_params;
    p.algorithm = MixedAlgorithm::Threshold;
    for (int i = 0; i < kSweepPoints; ++i) {
        p.threshold = sliderToThreshold(i * kSliderSteps / (kSweepPoints - 1));
        if (auto r = runMixedOnSums(*m_sums, p)) m_sweep.emplace_back(p.threshold, std::move(*r));
    }
}

void CompressionWorkspace::setThreshold(double threshold)
{
    m_syncing = true;
    m_spin->setValue(threshold);
    m_slider->setValue(thresholdToSlider(threshold));
    m_syncing = false;
    m_params.threshold = threshold;
    m_form->setThreshold(threshold);
    recomputeLive();
    const std::string alg = m_form->config().algorithm;
    if (alg == "mixed-tile-greedy" || alg == "mixed-tile-random") requestAlgorithm();
}

// Live greedy/random: start at once when idle; while a job runs, remember that the
// threshold moved and start one more job when it ends (coalesced, never a queue).
void CompressionWorkspace::requestAlgorithm()
{
    if (m_algFuture.isRunning()) {
        m_algPending = true;
        return;
    }
    startAlgorithm();
}

void CompressionWorkspace::recomputeLive()
{
    if (!m_sums) return;
    MixedParams p = m_params;
    p.algorithm = MixedAlgorithm::Threshold;
    auto r = runMixedOnSums(*m_sums, p);
    if (!r) {
        m_info->setText(QString::fromStdString(r.error().message).toHtmlEscaped());
        return;
    }
    m_thresholdResult = std::move(*r);
    m_algResult.reset();  // stale until the algorithm job delivers
    const QString t = QString::number(m_params.threshold, 'g', 8);
    const std::string alg = m_form->config().algorithm;
    const bool other = alg == "mixed-tile-greedy" || alg == "mixed-tile-random";
    m_map->setAssignment(m_thresholdResult,
                         tr("mixed-tile-threshold (%1 %2 %3)%4")
                             .arg(QString::fromStdString(std::string(metricName(m_params.metric))),
                                  higherIsBetter(m_params.metric) ? QStringLiteral("≥") : QStringLiteral("≤"), t,
                                  other ? tr(" — %1 follows").arg(algShort(alg)) : QString()),
                         m_params.metric);
    updateCounts();
    updateSizePlot();
    Q_EMIT liveUpdated();
}

void CompressionWorkspace::startAlgorithm()
{
    const std::string alg = m_form->config().algorithm;
    if (!m_sums || !(alg == "mixed-tile-greedy" || alg == "mixed-tile-random")) return;
    cancelJob(m_algFuture);
    const uint64_t gen = ++m_algGen;
    MixedParams p = m_params;
    p.algorithm = alg == "mixed-tile-greedy" ? MixedAlgorithm::Greedy : MixedAlgorithm::Random;
    std::shared_ptr<const TileSums> sums = m_sums;
    m_algFuture = QtConcurrent::run(jobPool(), [sums, p]() -> std::optional<MixedResult> {
        auto r = runMixedOnSums(*sums, p);
        if (!r) return std::nullopt;
        return std::move(*r);
    });
    m_algFuture.then(this, [this, gen, p, alg](std::optional<MixedResult> r) {
        if (std::exchange(m_algPending, false)) QTimer::singleShot(0, this, &CompressionWorkspace::startAlgorithm);
        if (gen != m_algGen || !r || m_form->config().algorithm != alg) return;
        m_algResult = std::move(*r);
        m_map->setAssignment(*m_algResult,
                             tr("%1 (%2 %3 %4)")
                                 .arg(QString::fromStdString(alg), QString::fromStdString(std::string(metricName(p.metric))),
                                      higherIsBetter(p.metric) ? QStringLiteral("≥") : QStringLiteral("≤"),
                                      QString::number(p.threshold, 'g', 8)),
                             p.metric);
        updateCounts();
        updateSizePlot();
        Q_EMIT algorithmUpdated();
    });
}

void CompressionWorkspace::updateCounts()
{
    if (!m_sums) return;
    const std::string alg = m_form->config().algorithm;
    const bool other = m_algResult.has_value();
    const QString algName = other ? algShort(alg) : QString();
    QStringList headers{tr("Format"), tr("Threshold tiles"), tr("Threshold bytes")};
    if (other) headers << tr("%1 tiles").arg(algName) << tr("%1 bytes").arg(algName);
    const int nf = int(m_sums->formats.size());
    m_counts->clear();
    m_counts->setColumnCount(int(headers.size()));
    m_counts->setHorizontalHeaderLabels(headers);
    m_counts->setRowCount(nf + 2);
    const QString metricLabel = QString::fromStdString(std::string(metricName(m_params.metric))).toUpper();
    auto set = [&](int r, int c, const QString& text) {
        auto* it = new QTableWidgetItem(text);
        if (c > 0) it->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_counts->setItem(r, c, it);
    };
    auto fill = [&](const MixedResult& m, int col) {
        for (int f = 0; f < nf; ++f) {
            set(f, col, QString::number(m.tileCounts[size_t(f)]));
            set(f, col + 1, bytesText(m.bytesPerFormat[size_t(f)]));
        }
        set(nf, col, QString::number(m.tilesH * m.tilesW));
        set(nf, col + 1, bytesText(m.bytes));
        set(nf + 1, col, m.metThreshold ? tr("meets") : tr("misses"));
        set(nf + 1, col + 1, QString::number(metricValue(m.metrics, m_params.metric), 'g', 7));
    };
    for (int f = 0; f < nf; ++f) {
        auto* it = new QTableWidgetItem(QString::fromLatin1(m_sums->formats[size_t(f)]->label.data(),
                                                            int(m_sums->formats[size_t(f)]->label.size())));
        QPixmap pm(10, 10);
        pm.fill(formatColorOr(m_sums->formats[size_t(f)]->name, f));
        it->setIcon(QIcon(pm));
        m_counts->setItem(f, 0, it);
    }
    set(nf, 0, tr("Total"));
    set(nf + 1, 0, tr("Tensor %1").arg(metricLabel));
    fill(m_thresholdResult, 1);
    if (other) fill(*m_algResult, 3);

    const MixedResult& shown = other ? *m_algResult : m_thresholdResult;
    // Payload bytes against BF16's payload (2 bytes an element): what the weights take; the
    // device bytes (whole 32x32 tiles) follow, so a 1-D norm weight reads honestly.
    const double bf16Payload = 2.0 * double(m_sums->grid.numel);
    const double mv = metricValue(shown.metrics, m_params.metric);
    m_info->setText(tr("<b>%1</b> — %2 × %3 tiles (%4)  ·  <b>%5</b>: %6 bytes%7, %8 %9 <span style='color:%10'>%11</span>")
                        .arg(QString::fromStdString(m_tensor).toHtmlEscaped())
                        .arg(shown.tilesH)
                        .arg(shown.tilesW)
                        .arg(shown.tilesH * shown.tilesW)
                        .arg(other ? QString::fromStdString(alg) : QStringLiteral("mixed-tile-threshold"))
                        .arg(bytesText(shown.payloadBytes))
                        .arg(bf16Payload > 0 ? tr(" (%1% of BF16's %2 B; %3 B on a device in whole tiles)")
                                                   .arg(100.0 * shown.payloadBytes / bf16Payload, 0, 'f', 1)
                                                   .arg(bytesText(bf16Payload), bytesText(shown.bytes))
                                             : QString())
                        .arg(metricLabel)
                        .arg(QString::number(mv, 'g', 7))
                        .arg(shown.metThreshold ? QStringLiteral("#15803d") : QStringLiteral("#b91c1c"))
                        .arg(shown.metThreshold ? tr("meets the threshold") : tr("misses the threshold")));
}

void CompressionWorkspace::updateSizePlot()
{
    SweepPlotData d;
    const MetricKind kind = m_params.metric;
    d.metricLabel = QString::fromStdString(std::string(metricName(kind))).toUpper().toStdString();
    d.higherIsBetter = higherIsBetter(kind);
    d.logMetric = !higherIsBetter(kind);  // errors on a log axis; pcc and wsqnr (dB) linear
    auto add = [&](const std::string& key, const std::string& label, double bytes, double metric,
                   const std::string& tag = {}) {
        if (d.logMetric && !(metric > 0)) return;
        if (!std::isfinite(metric)) return;
        d.points.push_back({key, label, bytes, metric, tag});
    };
    m_sizeTensor->setEnabled(m_sizeScope->currentIndex() == 1 && m_runReport);
    if (m_sizeScope->currentIndex() == 1) {
        const int pick = m_sizeTensor->currentIndex() - 1;  // -1: every tensor
        if (!m_runReport) {
            d.title = "Run the config on a selection to compare its tensors";
        } else if (pick < 0 || pick >= int(m_runReport->tensors.size())) {
            // Tensors of different sizes on one axis: device bits per element; the read-out
            // names each point's tensor.
            d.title = std::to_string(m_runReport->tensors.size()) + " tensors of the last run (" + m_runReport->algorithm +
                      "), per element";
            d.xLabel = "Device bits per element (whole 32×32 tiles)";
            for (const WqTensor& t : m_runReport->tensors) {
                const double n = double(t.info.numel());
                if (n <= 0) continue;
                for (const WqRow& r : t.rows)
                    add(r.mixed ? "mixed" : r.format, r.mixed ? "MIXED (" + r.compression + ")" : r.label,
                        r.deviceBytes * 8.0 / n, metricValue(r.metrics, kind), t.info.name);
            }
        } else {
            const WqTensor& t = m_runReport->tensors[size_t(pick)];
            d.title = t.info.name + "\nlast run (" + m_runReport->algorithm + ")";
            for (const WqRow& r : t.rows)
                add(r.mixed ? "mixed" : r.format, r.mixed ? "MIXED (" + r.compression + ")" : r.label, r.deviceBytes,
                    metricValue(r.metrics, kind), t.info.name);
        }
    } else if (m_sums && !m_thresholdResult.pureBytes.empty()) {
        d.title = m_tensor + "\nsize vs " + std::string(metricName(kind));
        for (size_t f = 0; f < m_sums->formats.size(); ++f)
            add(std::string(m_sums->formats[f]->name), std::string(m_sums->formats[f]->label), m_thresholdResult.pureBytes[f],
                metricValue(m_thresholdResult.pureMetrics[f], kind));
        for (const auto& [t, r] : m_sweep) add("sweep", "threshold sweep", r.bytes, metricValue(r.metrics, kind));
        add("live", "threshold (current)", m_thresholdResult.bytes, metricValue(m_thresholdResult.metrics, kind));
        if (m_algResult)
            add("mixed", "MIXED (" + m_form->config().algorithm + ")", m_algResult->bytes, metricValue(m_algResult->metrics, kind));
        if (kind == MetricKind::Pcc) {  // as sizeAccuracyData: ruined formats would squash the rest
            double best = 0;
            for (const auto& p : d.points) best = std::max(best, p.metric);
            std::erase_if(d.points, [&](const SweepPlotData::Point& p) { return p.metric < 0.5 * best; });
        }
    } else {
        return;
    }
    auto* plot = new QCustomPlot(this);
    plot->setObjectName(QStringLiteral("sizeAccuracyPlot"));
    plot->setMinimumSize(160, 120);  // an outside legend must not set the page's minimum width
    buildSweepPlot(plot, d);
    plot->replot(QCustomPlot::rpQueuedReplot);
    if (m_sizePlot) {
        m_sizeBox->removeWidget(m_sizePlot);
        m_sizePlot->hide();
        m_sizePlot->deleteLater();
    }
    m_sizePlot = plot;
    m_sizeBox->addWidget(plot);
    installReadout(plot, m_sizeReadout, tr("Hover a point for its format, tensor, size and metric"));
}

void CompressionWorkspace::fillSizeTensors()
{
    const QSignalBlocker block(m_sizeTensor);
    m_sizeTensor->clear();
    m_sizeTensor->addItem(tr("All tensors (bits per element)"));
    if (m_runReport)
        for (const WqTensor& t : m_runReport->tensors) m_sizeTensor->addItem(QString::fromStdString(t.info.name));
    m_sizeTensor->setCurrentIndex(0);
}

void CompressionWorkspace::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    QTimer::singleShot(0, this, &CompressionWorkspace::startSums);
}

bool CompressionWorkspace::isRunning() const { return m_runFuture.isRunning(); }

void CompressionWorkspace::cancelRun() { cancelJob(m_runFuture); }

} // namespace qs
