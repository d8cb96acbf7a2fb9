#include "widgets/format_panel.h"

#include "models/format_list_model.h"
#include "settings.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace qs {

namespace {

QComboBox* makeCombo(QWidget* parent, const char* objectName,
                     std::initializer_list<std::pair<const char*, const char*>> items, const QString& tip)
{
    auto* c = new QComboBox(parent);
    c->setObjectName(QLatin1String(objectName));
    for (const auto& [value, text] : items) c->addItem(QObject::tr(text), QLatin1String(value));
    c->setToolTip(tip);
    return c;
}

void selectData(QComboBox* c, const QString& value)
{
    const int i = c->findData(value);
    c->setCurrentIndex(i >= 0 ? i : 0);
}

} // namespace

FormatPanel::FormatPanel(QWidget* parent) : QWidget(parent)
{
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(0, 0, 0, 0);
    lay->setSpacing(4);

    auto* title = new QLabel(tr("<b>Formats</b>"), this);
    lay->addWidget(title);

    m_model = new FormatListModel(this);
    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("formatList"));
    m_view->setAccessibleName(tr("Formats"));
    m_view->setModel(m_model);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setSectionResizeMode(FormatListModel::ColName, QHeaderView::Stretch);
    m_view->horizontalHeader()->setSectionResizeMode(FormatListModel::ColBits, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(FormatListModel::ColBlock, QHeaderView::ResizeToContents);
    m_view->setShowGrid(false);
    m_view->setSelectionMode(QAbstractItemView::NoSelection);
    m_view->setFocusPolicy(Qt::NoFocus);
    m_view->setAlternatingRowColors(true);
    // A click anywhere on the row toggles the format.
    connect(m_view, &QTableView::clicked, this, [this](const QModelIndex& idx) {
        if (idx.column() == FormatListModel::ColName) return;  // the check box handles itself
        const QModelIndex nameIdx = m_model->index(idx.row(), FormatListModel::ColName);
        m_model->setData(nameIdx, m_model->isChecked(idx.row()) ? Qt::Unchecked : Qt::Checked, Qt::CheckStateRole);
    });
    lay->addWidget(m_view, 1);

    auto* presets = new QHBoxLayout;
    presets->setSpacing(4);
    auto addPreset = [&](const QString& text, const char* name, const QString& tip, auto fn) {
        auto* b = new QPushButton(text, this);
        b->setObjectName(QLatin1String(name));
        b->setToolTip(tip);
        b->setAutoDefault(false);
        connect(b, &QPushButton::clicked, this, fn);
        presets->addWidget(b);
    };
    addPreset(tr("Original seven"), "presetOriginal", tr("mxfp4 nvfp4 bf16 bfp8 bfp4 bfp2 fp0 (-c all)"),
              [this] { m_model->checkOriginal(); });
    addPreset(tr("All"), "presetAll", tr("Every format in the registry (-c every)"), [this] { m_model->checkAll(); });
    addPreset(tr("None"), "presetNone", tr("Uncheck every format"), [this] { m_model->checkNone(); });
    lay->addLayout(presets);

    auto* form = new QFormLayout;
    form->setContentsMargins(0, 4, 0, 0);
    form->setLabelAlignment(Qt::AlignRight);
    m_mxScale = makeCombo(this, "mxScaleRule",
                          {{"floor", "FLOOR (OCP)"}, {"rceil", "RCEIL (NVIDIA)"}, {"even", "EVEN"}, {"ceil", "CEIL"}},
                          tr("MX shared-scale rule (FORMATS.md §6.2)"));
    m_rounding = makeCombo(this, "elemRounding", {{"rne", "nearest even"}, {"away", "half away (microxcaling)"}},
                           tr("MX/NVFP4 element rounding (FORMATS.md §6.3)"));
    m_nvClamp = makeCombo(this, "nvScaleClamp", {{"none", "none (TE/vLLM)"}, {"modelopt", "ModelOpt"}, {"torchao", "torchao"}},
                          tr("NVFP4 block-scale lower clamp (FORMATS.md §7.2)"));
    m_fp8Scaling = makeCombo(this, "fp8Scaling", {{"cast", "cast"}, {"per-tensor", "per-tensor scale"}, {"block128", "128×128 blocks"}},
                             tr("fp8_e4m3 / fp8_e5m2 scaling (FORMATS.md §8; --fp8-scaling)"));
    m_bf16Nan = makeCombo(this, "bf16Nan", {{"reference", "reference (bit trick)"}, {"canonical", "canonical 0x7FC0"}},
                          tr("bf16 NaN handling (--bf16-nan)"));
    auto makeCheck = [this](const char* name, const QString& text, const QString& tip) {
        auto* c = new QCheckBox(text, this);
        c->setObjectName(QLatin1String(name));
        c->setToolTip(tip);
        return c;
    };
    m_nv2d = makeCheck("nvfp4TwoD", tr("NVFP4 16×16"), tr("NVFP4 with 16×16 weight blocks, TransformerEngine's recipe (--nvfp4-2d)"));
    m_bfpOptimize = makeCheck("bfpOptimize", tr("BFP E−1"),
                              tr("tt-metal optimize_bfp: also try shared exponent E−1 for bfp8/bfp4 (--bfp-optimize)"));
    m_fp8NonSat = makeCheck("fp8NonSaturating", tr("FP8 → Inf/NaN"),
                            tr("FP8 without saturation: overflow becomes NaN/Inf (--fp8-nonsaturating)"));
    auto* checks = new QHBoxLayout;
    checks->setSpacing(8);
    for (QCheckBox* c : {m_nv2d, m_bfpOptimize, m_fp8NonSat}) checks->addWidget(c);
    checks->addStretch(1);
    form->addRow(tr("MX scale"), m_mxScale);
    form->addRow(tr("Rounding"), m_rounding);
    form->addRow(tr("NVFP4 clamp"), m_nvClamp);
    form->addRow(tr("FP8 scaling"), m_fp8Scaling);
    form->addRow(tr("bf16 NaN"), m_bf16Nan);
    form->addRow(checks);
    lay->addLayout(form);

    connect(m_model, &FormatListModel::checkedChanged, this, &FormatPanel::formatsChanged);
    for (QComboBox* c : {m_mxScale, m_rounding, m_nvClamp, m_fp8Scaling, m_bf16Nan})
        connect(c, &QComboBox::currentIndexChanged, this, &FormatPanel::formatsChanged);
    for (QCheckBox* c : {m_nv2d, m_bfpOptimize, m_fp8NonSat})
        connect(c, &QCheckBox::toggled, this, &FormatPanel::formatsChanged);
}

FormatOptions FormatPanel::options() const
{
    FormatOptions o;
    const QString mx = m_mxScale->currentData().toString();
    o.mxScale = mx == "rceil" ? MxScaleRule::Rceil : mx == "even" ? MxScaleRule::Even : mx == "ceil" ? MxScaleRule::Ceil
                                                                                                        : MxScaleRule::Floor;
    o.elemRounding = m_rounding->currentData().toString() == "away" ? ElemRounding::Away : ElemRounding::Rne;
    const QString nv = m_nvClamp->currentData().toString();
    o.nvClamp = nv == "modelopt" ? NvScaleClamp::ModelOpt : nv == "torchao" ? NvScaleClamp::TorchAo : NvScaleClamp::None;
    const QString fs = m_fp8Scaling->currentData().toString();
    o.fp8Scaling = fs == "per-tensor" ? Fp8Scaling::PerTensor : fs == "block128" ? Fp8Scaling::Block128 : Fp8Scaling::Cast;
    o.bf16CanonicalNan = m_bf16Nan->currentData().toString() == "canonical";
    o.nv2dBlocks = m_nv2d->isChecked();
    o.bfpOptimizeExponent = m_bfpOptimize->isChecked();
    o.fp8Saturate = !m_fp8NonSat->isChecked();
    return o;
}

std::vector<FormatChoice> FormatPanel::choices() const
{
    std::vector<FormatChoice> out;
    const FormatOptions o = options();
    for (const Format* f : m_model->checkedFormats()) out.push_back({f, o});
    return out;
}

void FormatPanel::restoreSettings()
{
    const QSignalBlocker block(this);
    const QStringList names = settings::checkedFormats.value();
    if (names.isEmpty()) m_model->checkOriginal();
    else m_model->setCheckedNames(names);
    selectData(m_mxScale, settings::mxScaleRule.value());
    selectData(m_rounding, settings::elemRounding.value());
    selectData(m_nvClamp, settings::nvScaleClamp.value());
    selectData(m_fp8Scaling, settings::fp8Scaling.value());
    selectData(m_bf16Nan, settings::bf16Nan.value());
    m_nv2d->setChecked(settings::nvfp4TwoD.value());
    m_bfpOptimize->setChecked(settings::bfpOptimize.value());
    m_fp8NonSat->setChecked(settings::fp8NonSaturating.value());
}

void FormatPanel::saveSettings() const
{
    settings::checkedFormats.set(m_model->checkedNames());
    settings::mxScaleRule.set(m_mxScale->currentData().toString());
    settings::elemRounding.set(m_rounding->currentData().toString());
    settings::nvScaleClamp.set(m_nvClamp->currentData().toString());
    settings::fp8Scaling.set(m_fp8Scaling->currentData().toString());
    settings::bf16Nan.set(m_bf16Nan->currentData().toString());
    settings::nvfp4TwoD.set(m_nv2d->isChecked());
    settings::bfpOptimize.set(m_bfpOptimize->isChecked());
    settings::fp8NonSaturating.set(m_fp8NonSat->isChecked());
}

} // namespace qs
