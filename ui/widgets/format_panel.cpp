#include "widgets/format_panel.h"

#include "models/format_list_model.h"
#include "settings.h"

#include <algorithm>

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace qs {

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

    // The options, two label + combo pairs per grid row, then the switches in one row.
    auto* grid = new QGridLayout;
    grid->setContentsMargins(0, 4, 0, 0);
    grid->setHorizontalSpacing(6);
    grid->setVerticalSpacing(3);
    auto* checks = new QHBoxLayout;
    checks->setSpacing(8);
    const auto specs = formatOptionSpecs();
    int combos = 0;
    for (size_t i = 0; i < specs.size(); ++i) {
        const FormatOptionSpec& spec = specs[i];
        OptionRow row{i};
        const QString tip = QString::fromUtf8(spec.help) + QStringLiteral(" (--%1)").arg(QLatin1String(spec.name));
        if (spec.valueName) {
            row.combo = new QComboBox(this);
            row.combo->setObjectName(QLatin1String(spec.name));
            row.combo->setAccessibleName(QString::fromUtf8(spec.label));
            for (const char* v : spec.values) row.combo->addItem(QLatin1String(v), QLatin1String(v));
            row.combo->setCurrentIndex(int(spec.get(FormatOptions{})));
            row.combo->setToolTip(tip);
            // Narrow panes elide the value instead of widening the window (#15 §1).
            row.combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
            row.combo->setMinimumContentsLength(4);
            row.label = new QLabel(QString::fromUtf8(spec.label), this);
            row.label->setBuddy(row.combo);
            row.label->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
            grid->addWidget(row.label, combos / 2, (combos % 2) * 2);
            grid->addWidget(row.combo, combos / 2, (combos % 2) * 2 + 1);
            ++combos;
            connect(row.combo, &QComboBox::currentIndexChanged, this, [this] {
                updateOptionState();
                Q_EMIT formatsChanged();
            });
        } else {
            row.check = new QCheckBox(QString::fromUtf8(spec.label), this);
            row.check->setObjectName(QLatin1String(spec.name));
            row.check->setToolTip(tip);
            checks->addWidget(row.check);
            connect(row.check, &QCheckBox::toggled, this, [this] {
                updateOptionState();
                Q_EMIT formatsChanged();
            });
        }
        m_options.push_back(row);
    }
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
    checks->addStretch(1);
    lay->addLayout(grid);
    lay->addLayout(checks);
    m_conflict = new QLabel(this);
    m_conflict->setObjectName(QStringLiteral("optionConflict"));
    m_conflict->setWordWrap(true);
    m_conflict->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_conflict->hide();
    lay->addWidget(m_conflict);

    connect(m_model, &FormatListModel::checkedChanged, this, [this] {
        updateOptionState();
        Q_EMIT formatsChanged();
    });
    updateOptionState();
}

void FormatPanel::updateOptionState()
{
    const std::vector<const Format*> checked = m_model->checkedFormats();
    const auto specs = formatOptionSpecs();
    for (const OptionRow& row : m_options) {
        const FormatOptionSpec& spec = specs[row.spec];
        const bool used = std::any_of(checked.begin(), checked.end(), [&](const Format* f) { return optionApplies(spec, *f); });
        QStringList readers;
        for (const char* n : spec.formats) readers << QLatin1String(n);
        QWidget* w = row.combo ? static_cast<QWidget*>(row.combo) : row.check;
        w->setEnabled(used);
        if (row.label) row.label->setEnabled(used);
        w->setToolTip(QString::fromUtf8(spec.help) + QStringLiteral(" (--%1)").arg(QLatin1String(spec.name)) +
                      (used ? QString() : tr("\nNone of the checked formats reads it (it applies to %1).").arg(readers.join(", "))));
    }
    const QString conflict = QString::fromStdString(formatOptionConflict(options()));
    m_conflict->setText(conflict);
    m_conflict->setVisible(!conflict.isEmpty());
}

FormatOptions FormatPanel::options() const
{
    FormatOptions o;
    const auto specs = formatOptionSpecs();
    for (const OptionRow& row : m_options) {
        const FormatOptionSpec& spec = specs[row.spec];
        spec.set(o, row.combo ? size_t(std::max(0, row.combo->currentIndex())) : (row.check->isChecked() ? 1 : 0));
    }
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
    FormatOptions o;
    for (const QString& item : settings::formatOptions.value()) {
        const qsizetype eq = item.indexOf('=');
        if (eq > 0) setFormatOption(o, item.left(eq).toStdString(), item.mid(eq + 1).toStdString());  // unknown: default
    }
    const auto specs = formatOptionSpecs();
    for (const OptionRow& row : m_options) {
        const size_t v = specs[row.spec].get(o);
        if (row.combo) {
            const QSignalBlocker b(row.combo);
            row.combo->setCurrentIndex(int(v));
        } else {
            const QSignalBlocker b(row.check);
            row.check->setChecked(v == 1);
        }
    }
    updateOptionState();
}

void FormatPanel::saveSettings() const
{
    settings::checkedFormats.set(m_model->checkedNames());
    QStringList items;
    for (const auto& [name, value] : formatOptionValues(options()))
        items << QString::fromStdString(name) + '=' + QString::fromStdString(value);
    settings::formatOptions.set(items);
}

} // namespace qs
