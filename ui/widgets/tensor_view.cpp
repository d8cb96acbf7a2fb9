#include "widgets/tensor_view.h"

#include "models/tensor_tree_model.h"
#include "plots/plot_builders.h"
#include "widgets/elided_label.h"
#include "widgets/plot_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QStandardItemModel>
#include <QFontDatabase>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

#include <cmath>

namespace qs {

namespace {

const char* kStatNames[8] = {"min", "max", "mean", "std", "max |x|", "zeros", "NaN", "±Inf"};

QString num(double v)
{
    if (std::isnan(v)) return QStringLiteral("nan");
    if (std::isinf(v)) return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    return QString::asprintf("% .6g", v);
}

} // namespace

TensorView::TensorView(QWidget* parent) : QWidget(parent)
{
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(8, 6, 8, 0);
    lay->setSpacing(4);
    m_title = new ElidedLabel(this);
    m_title->setObjectName(QStringLiteral("tensorTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont tf = m_title->font();
    tf.setPointSizeF(tf.pointSizeF() * 1.25);
    tf.setBold(true);
    m_title->setFont(tf);
    m_facts = new ElidedLabel(this, Qt::ElideRight);
    m_facts->setObjectName(QStringLiteral("tensorFacts"));
    m_facts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_facts->setStyleSheet(QStringLiteral("color:#475569"));
    lay->addWidget(m_title);
    lay->addWidget(m_facts);

    m_statsBox = new QWidget(this);
    m_statsBox->setObjectName(QStringLiteral("statsBox"));
    auto* grid = new QGridLayout(m_statsBox);
    grid->setContentsMargins(0, 2, 0, 4);
    grid->setHorizontalSpacing(14);
    grid->setVerticalSpacing(0);
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    for (int i = 0; i < 8; ++i) {
        auto* name = new QLabel(tr(kStatNames[i]), m_statsBox);
        name->setStyleSheet(QStringLiteral("color:#64748b"));
        m_stats[size_t(i)] = new QLabel(QStringLiteral("–"), m_statsBox);
        m_stats[size_t(i)]->setObjectName(QStringLiteral("stat_%1").arg(i));
        m_stats[size_t(i)]->setFont(mono);
        m_stats[size_t(i)]->setTextInteractionFlags(Qt::TextSelectableByMouse);
        grid->addWidget(name, 0, i);
        grid->addWidget(m_stats[size_t(i)], 1, i);
    }
    grid->setColumnStretch(8, 1);
    lay->addWidget(m_statsBox);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("plotTabs"));
    m_tabs->setDocumentMode(true);
    for (int t = 0; t < TabCount; ++t) m_panels[size_t(t)] = new PlotPanel(this);

    // Per-tab controls.
    m_histLog = new QCheckBox(tr("Log count axis"), this);
    m_histLog->setObjectName(QStringLiteral("histogramLog"));
    m_errLog = new QCheckBox(tr("Log count axis"), this);
    m_errLog->setObjectName(QStringLiteral("errorLog"));
    m_errLog->setChecked(true);
    m_errNote = new ElidedLabel(this, Qt::ElideRight);
    m_errNote->setStyleSheet(QStringLiteral("color:#64748b"));
    auto* errControls = new QWidget(this);
    auto* el = new QHBoxLayout(errControls);
    el->setContentsMargins(0, 0, 0, 0);
    el->addWidget(m_errLog);
    el->addWidget(m_errNote);
    m_slice = new QSpinBox(this);
    m_slice->setObjectName(QStringLiteral("heatmapSlice"));
    m_slice->setAccessibleName(tr("Slice"));  // window-tree found it unnamed (a stacked tensor shows it)
    m_slice->setRange(0, 0);
    m_slice->setKeyboardTracking(false);
    m_sliceLabel = new QLabel(tr("Slice"), this);
    m_heatMode = new QComboBox(this);
    m_heatMode->setObjectName(QStringLiteral("heatmapMode"));
    m_heatMode->setAccessibleName(tr("Heat map shows"));
    m_heatMode->addItem(tr("Values"));
    m_heatMode->addItem(tr("Effective weight |W|·√E[x²]"));
    m_heatMode->setToolTip(tr("Values: each cell's largest-magnitude weight. Effective weight: |W|·√E[x²], the weight "
                              "scaled by how strongly its input channel is driven (needs an importance file)."));
    auto* heatControls = new QWidget(this);
    auto* hl = new QHBoxLayout(heatControls);
    hl->setContentsMargins(0, 0, 0, 0);
    hl->addWidget(m_heatMode);
    hl->addWidget(m_sliceLabel);
    hl->addWidget(m_slice);
    // Elides instead of widening the tensor view (#15 §1).
    m_heatHint = new ElidedLabel(this, Qt::ElideRight);
    m_heatHint->setObjectName(QStringLiteral("heatmapHint"));
    m_heatHintText = tr("Wheel to zoom, drag to pan, double-click to reset; the 32×32 tile grid appears when zoomed in");
    m_heatHint->setFullText(m_heatHintText);
    m_heatHint->setStyleSheet(QStringLiteral("color:#64748b"));
    hl->addWidget(m_heatHint, 1);
    m_expertLabel = new QLabel(tr("Expert"), this);
    m_expert = new QSpinBox(this);
    m_expert->setObjectName(QStringLiteral("importanceExpert"));
    m_expert->setAccessibleName(tr("Expert"));
    m_expert->setToolTip(tr("The expert of the stacked tensor whose input channels are shown"));
    m_expert->setRange(0, 0);
    m_expert->setKeyboardTracking(false);
    m_importanceNote = new ElidedLabel(this, Qt::ElideRight);
    m_importanceNote->setObjectName(QStringLiteral("importanceHint"));
    m_importanceNote->setFullText(tr("E[x²] of each input channel (log scale; dashed: the mean); the hottest channels are "
                                     "labelled with their index and value"));
    m_importanceNote->setStyleSheet(QStringLiteral("color:#64748b"));
    auto* importanceControls = new QWidget(this);
    auto* il = new QHBoxLayout(importanceControls);
    il->setContentsMargins(0, 0, 0, 0);
    il->addWidget(m_expertLabel);
    il->addWidget(m_expert);
    il->addWidget(m_importanceNote, 1);
    m_expertLabel->setVisible(false);
    m_expert->setVisible(false);
    m_randSamples = new QSpinBox(this);
    m_randSamples->setObjectName(QStringLiteral("randSamples"));
    m_randSamples->setRange(1, 100000);
    m_randSamples->setValue(100);
    m_randSamples->setKeyboardTracking(false);
    m_randSamples->setToolTip(tr("Random rows averaged per x for the (rand16 exp) curves"));
    auto* synthControls = new QWidget(this);
    auto* sl = new QHBoxLayout(synthControls);
    sl->setContentsMargins(0, 0, 0, 0);
    sl->addWidget(new QLabel(tr("Rand samples"), this));
    sl->addWidget(m_randSamples);
    // Hints elide instead of setting the tensor view's minimum width (#15 §1).
    auto* synthHint = new ElidedLabel(this, Qt::ElideRight);
    synthHint->setFullText(tr("Reconstruction of a value x that is the largest magnitude of its block (synthetic, checked formats)"));
    synthHint->setStyleSheet(QStringLiteral("color:#64748b"));
    sl->addWidget(synthHint);
    auto* transferHint = new ElidedLabel(this, Qt::ElideRight);
    transferHint->setFullText(tr("Values evenly spaced over the tensor's [min, max] and their reconstruction; click a legend entry to hide a curve"));
    transferHint->setStyleSheet(QStringLiteral("color:#64748b"));

    m_tabs->addTab(wrap(TabTransfer, transferHint), tr("Transfer curve"));
    m_tabs->addTab(wrap(TabHistogram, m_histLog), tr("Histogram"));
    m_tabs->addTab(wrap(TabErrors, errControls), tr("Error histogram"));
    m_tabs->addTab(wrap(TabHeatmap, heatControls, true), tr("Heat map"));
    m_tabs->addTab(wrap(TabImportance, importanceControls, true), tr("Importance"));
    m_tabs->addTab(wrap(TabStaircase, synthControls), tr("Staircase (synthetic)"));
    lay->addWidget(m_tabs, 1);

    connect(m_histLog, &QCheckBox::toggled, this, [this](bool on) {
        if (!m_hist) return;
        m_hist->logY = on;
        const HistogramData d = *m_hist;
        panel(TabHistogram)->setPlot([d](QCustomPlot* p) { buildHistogramPlot(p, d); });
    });
    connect(m_errLog, &QCheckBox::toggled, this, [this](bool on) {
        if (!m_errors) return;
        m_errors->logY = on;
        const ErrorHistogramData d = *m_errors;
        panel(TabErrors)->setPlot([d](QCustomPlot* p) { buildErrorHistogramPlot(p, d); });
    });
    connect(m_slice, &QSpinBox::valueChanged, this, [this](int v) { Q_EMIT sliceChanged(v); });
    connect(m_heatMode, &QComboBox::currentIndexChanged, this, [this] { Q_EMIT heatModeChanged(); });
    connect(m_expert, &QSpinBox::valueChanged, this, [this](int v) { Q_EMIT importanceExpertChanged(v); });
    setEffectiveAvailable(false, tr("no importance file is loaded"));
    connect(m_randSamples, &QSpinBox::valueChanged, this, &TensorView::randSamplesChanged);
    showEmpty(tr("Select a tensor in the tree on the left."));
}

QWidget* TensorView::wrap(Tab tab, QWidget* controls, bool fill)
{
    auto* w = new QWidget(this);
    auto* l = new QVBoxLayout(w);
    l->setContentsMargins(0, 4, 0, 0);
    l->setSpacing(2);
    auto* row = new QHBoxLayout;
    row->setContentsMargins(4, 0, 4, 0);
    // fill: the controls take the row (their own hint label elides at its end).
    row->addWidget(controls, fill ? 1 : 0);
    if (!fill) row->addStretch(1);
    l->addLayout(row);
    l->addWidget(m_panels[size_t(tab)], 1);
    return w;
}

QString TensorView::tabName(int tab) const
{
    static const char* names[] = {"transfer", "histogram", "errors", "heatmap", "importance", "staircase"};
    return tab >= 0 && tab < TabCount ? QString::fromLatin1(names[tab]) : QString();
}

void TensorView::setStat(int i, const QString& value, const QString& tip)
{
    m_stats[size_t(i)]->setText(value);
    m_stats[size_t(i)]->setToolTip(tip);
}

void TensorView::showEmpty(const QString& message)
{
    m_tensor.clear();
    m_hist.reset();
    m_errors.reset();
    m_title->setFullText(tr("No tensor selected"));
    m_facts->setFullText(message);
    for (int i = 0; i < 8; ++i) setStat(i, QStringLiteral("–"));
    for (int t = 0; t < TabCount; ++t)
        if (t != TabStaircase) panel(Tab(t))->showMessage(QString(), message);
    m_sliceLabel->setVisible(false);
    m_slice->setVisible(false);
    m_expertLabel->setVisible(false);
    m_expert->setVisible(false);
}

void TensorView::showLoading(const TensorInfo& info, const Model& model)
{
    m_tensor = QString::fromStdString(info.name);
    m_hist.reset();
    m_errors.reset();
    m_title->setFullText(m_tensor);
    uint64_t stored = info.byteLength;
    QString scaleNote;
    if (!info.scaleInvName.empty())
        if (const TensorInfo* s = model.find(info.scaleInvName)) {
            stored += s->byteLength;
            scaleNote = tr(" (incl. %1)").arg(QString::fromStdString(info.scaleInvName));
        }
    const double logical = double(info.numel()) * 4.0;
    m_facts->setFullText(tr("%1 · %2 · %3 elements · %4 · stored %5%6 vs fp32 view %7")
                         .arg(QString::fromStdString(info.dtypeName), QString::fromStdString(info.shapeString()),
                              withThousands(uint64_t(info.numel())), info.file, humanBytes(double(stored)), scaleNote,
                              humanBytes(logical)));
    for (int i = 0; i < 8; ++i) setStat(i, QStringLiteral("…"));
    const QString busy = tr("Computing…");
    for (int t = 0; t < TabCount; ++t)
        if (t != TabStaircase) panel(Tab(t))->showMessage(m_tensor, busy);
}

void TensorView::setViewResult(const TensorViewResult& r, bool includeTransfer)
{
    const Stats& s = r.stats;
    setStat(0, num(s.min));
    setStat(1, num(s.max));
    setStat(2, num(s.mean()));
    setStat(3, num(s.stddev()));
    setStat(4, num(s.absMax));
    const int64_t n = r.info.numel();
    setStat(5, n ? QString::asprintf("%.3f%%", 100.0 * double(s.zeros) / double(n)) : QStringLiteral("–"),
            tr("%1 zeros of %2 elements").arg(s.zeros).arg(n));
    setStat(6, QString::number(s.nan));
    setStat(7, QStringLiteral("%1 / %2").arg(s.posInf).arg(s.negInf), tr("+Inf / −Inf"));
    for (int i : {6, 7})
        m_stats[size_t(i)]->setStyleSheet((i == 6 ? s.nan : s.posInf + s.negInf) > 0 ? QStringLiteral("color:#b91c1c")
                                                                                     : QString());
    if (includeTransfer) setTransfer(r.transfer);
    m_hist = r.histogram;
    m_hist->logY = m_histLog->isChecked();
    const HistogramData h = *m_hist;
    panel(TabHistogram)->setPlot([h](QCustomPlot* p) { buildHistogramPlot(p, h); });
    m_errors = r.errors;
    m_errors->logY = m_errLog->isChecked();
    const ErrorHistogramData e = *m_errors;
    if (e.series.empty())
        panel(TabErrors)->showMessage(m_tensor, tr("Check at least one format on the left."));
    else
        panel(TabErrors)->setPlot([e](QCustomPlot* p) { buildErrorHistogramPlot(p, e); });
    m_errNote->setFullText(e.sampled < e.total ? tr("deterministic sample of %1 of %2 elements")
                                                 .arg(withThousands(uint64_t(e.sampled)), withThousands(uint64_t(e.total)))
                                           : QString());
    setHeatmap(r.heatmap);
}

void TensorView::setTransfer(const CurvePlotData& data)
{
    panel(TabTransfer)->setPlot([data](QCustomPlot* p) { buildTransferPlot(p, data); });
}

void TensorView::setHeatmap(const HeatmapData& data)
{
    const bool slices = data.sliceCount > 1;
    m_sliceLabel->setVisible(slices);
    m_slice->setVisible(slices);
    {
        const QSignalBlocker block(m_slice);
        m_slice->setRange(0, int(std::max<int64_t>(0, std::min<int64_t>(data.sliceCount - 1, INT32_MAX))));
        m_slice->setValue(int(data.slice));
        m_slice->setSuffix(tr(" of %1").arg(data.sliceCount));
    }
    panel(TabHeatmap)->setPlot([data](QCustomPlot* p) { buildHeatmapPlot(p, data); });
}

void TensorView::setImportance(const ImportancePanel& p)
{
    const bool picker = p.experts > 1;
    m_expertLabel->setVisible(picker);
    m_expert->setVisible(picker);
    if (picker) {
        const QSignalBlocker block(m_expert);
        m_expert->setRange(0, int(std::min<int64_t>(p.experts - 1, INT32_MAX)));
        m_expert->setValue(int(p.expert));
        m_expert->setSuffix(tr(" of %1").arg(p.experts));
    }
    if (p.plot) {
        const ImportancePlotData d = *p.plot;
        panel(TabImportance)->setPlot([d](QCustomPlot* plot) { buildImportancePlot(plot, d); });
    } else {
        panel(TabImportance)->showMessage(m_tensor, p.message);
    }
}

void TensorView::setEffectiveAvailable(bool available, const QString& why)
{
    auto* items = qobject_cast<QStandardItemModel*>(m_heatMode->model());
    if (QStandardItem* item = items ? items->item(HeatEffective) : nullptr) {
        item->setEnabled(available);
        item->setToolTip(available ? QString() : tr("Not for this tensor: %1").arg(why));
    }
    // The choice stays; while this tensor has no weights the map shows values and says why.
    const bool fallback = !available && heatMode() == HeatEffective;
    m_heatHint->setFullText(fallback ? tr("Effective weight needs importance for this tensor (%1): showing values").arg(why)
                                     : m_heatHintText);
    m_heatHint->setStyleSheet(fallback ? QStringLiteral("color:#b45309") : QStringLiteral("color:#64748b"));
}

void TensorView::setSynth(const CurvePlotData& data)
{
    panel(TabStaircase)->setPlot([data](QCustomPlot* p) { buildSynthPlot(p, data); });
}

void TensorView::showError(const QString& message)
{
    for (int i = 0; i < 8; ++i) setStat(i, QStringLiteral("–"));
    for (int t = 0; t < TabCount; ++t)
        if (t != TabStaircase) panel(Tab(t))->showMessage(m_tensor, message);
}

int TensorView::randSamples() const { return m_randSamples->value(); }
void TensorView::setRandSamples(int n)
{
    const QSignalBlocker block(m_randSamples);
    m_randSamples->setValue(n);
}
bool TensorView::histogramLog() const { return m_histLog->isChecked(); }
bool TensorView::errorLog() const { return m_errLog->isChecked(); }
void TensorView::setLogScales(bool histogram, bool errors)
{
    m_histLog->setChecked(histogram);
    m_errLog->setChecked(errors);
}
int64_t TensorView::slice() const { return m_slice->value(); }
TensorView::HeatMode TensorView::heatMode() const { return m_heatMode->currentIndex() == 1 ? HeatEffective : HeatValue; }
void TensorView::setHeatMode(HeatMode mode) { m_heatMode->setCurrentIndex(mode == HeatEffective ? 1 : 0); }
int64_t TensorView::importanceExpert() const { return m_expert->value(); }
void TensorView::setImportanceExpert(int64_t expert) { m_expert->setValue(int(expert)); }

} // namespace qs
