#include "compression/config_form.h"

#include "compression/metric_box.h"

#include "analysis/wq_run.h"

#include "formats/format.h"
#include "plots/palette.h"
#include "plots/plot_render.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPixmap>
#include <QSet>
#include <QSpinBox>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

namespace qs {

namespace {

using json = nlohmann::json;

const char* const kAlgorithms[] = {"none", "transpose", "mixed-tile-threshold", "mixed-tile-greedy", "mixed-tile-random"};
const QString kFormPath = QStringLiteral("form");

QIcon swatch(const std::string& name, int index)
{
    QPixmap pm(12, 12);
    pm.fill(formatColorOr(name, index));
    return QIcon(pm);
}

QString shortNumber(double v) { return QString::number(v, 'g', 10); }

} // namespace

ConfigForm::ConfigForm(QWidget* parent) : QWidget(parent)
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(6, 6, 6, 6);
    outer->setSpacing(4);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("configSource"));
    m_status->setWordWrap(true);
    m_status->setStyleSheet(QStringLiteral("color:#475569"));
    outer->addWidget(m_status);

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setVerticalSpacing(3);
    outer->addLayout(form);
    auto addError = [&](const QString& field) {
        auto* l = new QLabel(this);
        l->setObjectName(QStringLiteral("error:") + field);
        l->setWordWrap(true);
        l->setStyleSheet(QStringLiteral("color:#b91c1c; font-size:11px"));
        l->hide();
        m_errors.insert(field, l);
        form->addRow(QString(), l);
    };
    addError(QStringLiteral("file"));

    m_algorithm = new QComboBox(this);
    m_algorithm->setObjectName(QStringLiteral("algorithmBox"));
    for (const char* a : kAlgorithms) m_algorithm->addItem(QString::fromLatin1(a));
    form->addRow(tr("Algorithm"), m_algorithm);
    addError(QStringLiteral("algorithm"));

    m_formats = new QListWidget(this);
    m_formats->setAccessibleName(tr("Formats"));
    m_formats->setObjectName(QStringLiteral("formatList"));
    m_formats->setDragDropMode(QAbstractItemView::InternalMove);
    m_formats->setToolTip(tr("quantization_formats: checked formats run in this order (drag to reorder); "
                             "none checked = the original seven"));
    m_formats->setMaximumHeight(120);
    int idx = 0;
    for (const Format& f : qs::formats()) {
        auto* it = new QListWidgetItem(swatch(std::string(f.name), idx++), QString::fromLatin1(f.name.data(), int(f.name.size())));
        it->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable | Qt::ItemIsDragEnabled);
        it->setCheckState(Qt::Unchecked);
        m_formats->addItem(it);
    }
    form->addRow(tr("Formats"), m_formats);
    addError(QStringLiteral("quantization_formats"));

    m_tiles = new QListWidget(this);
    m_tiles->setAccessibleName(tr("Tile formats"));
    m_tiles->setObjectName(QStringLiteral("tileFormatList"));
    m_tiles->setFlow(QListView::LeftToRight);
    m_tiles->setWrapping(true);
    m_tiles->setMaximumHeight(52);
    m_tiles->setToolTip(tr("params.formats: candidate tile formats; none checked = the run's formats ∩ bf16/bfp8/bfp4/bfp2"));
    idx = 0;
    for (const Format& f : qs::formats()) {
        ++idx;
        if (!f.tileFormat) continue;
        auto* it = new QListWidgetItem(swatch(std::string(f.name), idx - 1), QString::fromLatin1(f.name.data(), int(f.name.size())));
        it->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        it->setCheckState(Qt::Unchecked);
        m_tiles->addItem(it);
    }
    form->addRow(tr("Tile formats"), m_tiles);
    addError(QStringLiteral("params.formats"));

    m_metric = new QComboBox(this);
    m_metric->setObjectName(QStringLiteral("metricBox"));
    fillMetricBox(m_metric);
    setWeightedMetricsEnabled(m_metric, false);
    form->addRow(tr("Metric"), m_metric);
    addError(QStringLiteral("params.metric"));

    m_threshold = new QLineEdit(this);
    m_threshold->setObjectName(QStringLiteral("thresholdField"));
    m_threshold->setToolTip(tr("pcc, wsqnr (dB): the minimum; mae, atol, wrel: the maximum"));
    form->addRow(tr("Threshold"), m_threshold);
    addError(QStringLiteral("params.threshold"));

    m_cluster = new QComboBox(this);
    m_cluster->setObjectName(QStringLiteral("clusterBox"));
    m_cluster->addItems({QStringLiteral("single"), QStringLiteral("kmeans")});
    m_k = new QSpinBox(this);
    m_k->setAccessibleName(tr("k (clusters)"));
    m_k->setObjectName(QStringLiteral("kBox"));
    m_k->setRange(0, 1000000);
    auto* clusterRow = new QHBoxLayout;
    clusterRow->addWidget(m_cluster, 1);
    clusterRow->addWidget(new QLabel(tr("k"), this));
    clusterRow->addWidget(m_k);
    form->addRow(tr("Cluster (greedy)"), clusterRow);
    addError(QStringLiteral("params.cluster"));
    addError(QStringLiteral("params.k"));

    m_iters = new QSpinBox(this);
    m_iters->setObjectName(QStringLiteral("itersBox"));
    m_iters->setRange(0, int(kMaxRandomIters));  // above it the config is refused
    form->addRow(tr("Iters (random)"), m_iters);
    addError(QStringLiteral("params.iters"));

    m_seed = new QLineEdit(this);
    m_seed->setObjectName(QStringLiteral("seedField"));
    m_seed->setPlaceholderText(tr("none"));
    m_randomSeed = new QCheckBox(tr("random"), this);
    auto* seedRow = new QHBoxLayout;
    seedRow->addWidget(m_seed, 1);
    seedRow->addWidget(m_randomSeed);
    form->addRow(tr("Seed"), seedRow);
    addError(QStringLiteral("seed"));
    outer->addStretch(1);

    // Every edit re-validates (and applies when valid).
    connect(m_algorithm, &QComboBox::currentIndexChanged, this, [this] { updateEnabled(); if (!m_filling) applyForm(); });
    connect(m_metric, &QComboBox::currentIndexChanged, this, [this] { if (!m_filling) applyForm(); });
    connect(m_cluster, &QComboBox::currentIndexChanged, this, [this] { updateEnabled(); if (!m_filling) applyForm(); });
    connect(m_threshold, &QLineEdit::editingFinished, this, [this] { if (!m_filling) applyForm(); });
    connect(m_seed, &QLineEdit::editingFinished, this, [this] { if (!m_filling) applyForm(); });
    connect(m_randomSeed, &QCheckBox::toggled, this, [this] { updateEnabled(); if (!m_filling) applyForm(); });
    connect(m_k, &QSpinBox::valueChanged, this, [this] { if (!m_filling) applyForm(); });
    connect(m_iters, &QSpinBox::valueChanged, this, [this] { if (!m_filling) applyForm(); });
    connect(m_formats, &QListWidget::itemChanged, this, [this] { if (!m_filling) applyForm(); });
    connect(m_formats->model(), &QAbstractItemModel::rowsMoved, this, [this] { if (!m_filling) applyForm(); });
    connect(m_tiles, &QListWidget::itemChanged, this, [this] { if (!m_filling) applyForm(); });
    // Every edit: the tile formats in effect and the "modified" mark follow.
    connect(this, &ConfigForm::configChanged, this, [this] {
        showEffectiveTiles();
        updateStatus();
    });
    connect(this, &ConfigForm::errorsChanged, this, &ConfigForm::updateStatus);

    // Start from the default threshold config (what the workspace shows before a load).
    auto initial = parseCompressionConfig(QByteArray(R"({"algorithm":"mixed-tile-threshold"})"), QString());
    if (initial) {
        m_config = *initial;
        fill(m_config);
    }
    m_defaultJson = formJson();
    updateStatus();
}

void ConfigForm::showEffectiveTiles()
{
    // The candidates the run will use, as the run computes them (CompressionConfig::toMixed),
    // when the config names none.
    QSet<QString> effective;
    if (m_config.tileFormats.empty())
        if (auto run = resolveFormats({}, m_config.formats))
            if (auto mixed = m_config.toMixed(*run, FormatOptions{}))
                for (const Format* f : mixed->candidates) effective.insert(QString::fromUtf8(f->name.data(), int(f->name.size())));
    const bool saved = m_filling;
    m_filling = true;
    for (int i = 0; i < m_tiles->count(); ++i) {
        QListWidgetItem* it = m_tiles->item(i);
        if (it->checkState() == Qt::Checked) continue;
        const bool inEffect = effective.contains(it->text());
        it->setCheckState(inEffect ? Qt::PartiallyChecked : Qt::Unchecked);
        it->setToolTip(inEffect ? tr("In effect: no tile format is checked, so the run's formats that are tile "
                                     "formats are the candidates. Check formats to choose them explicitly.")
                                : QString());
    }
    m_filling = saved;
}

void ConfigForm::updateStatus()
{
    QString text;
    if (m_source.isEmpty()) {
        text = formJson() == m_defaultJson ? tr("Built-in default — open or drop a compression config (.json).")
                                           : tr("Built-in default, modified — not saved (Save config as…).");
    } else {
        text = tr("Config: %1").arg(QFileInfo(m_source).fileName());
        if (formJson() != m_loadedJson) text += tr(" — modified, not saved");
        else if (m_savedHere) text += tr(" (saved)");
    }
    for (const std::string& w : m_config.warnings) text += QStringLiteral("\n⚠ ") + QString::fromStdString(w);
    m_status->setText(text);
    m_status->setToolTip(QDir::toNativeSeparators(m_source));
}

void ConfigForm::fill(const CompressionConfig& cfg)
{
    m_filling = true;
    m_algorithm->setCurrentText(QString::fromStdString(cfg.algorithm));
    // Checked formats first, in the config's order, then the others in registry order.
    std::vector<std::string> order = cfg.formats;
    for (const Format& f : qs::formats())
        if (std::find(order.begin(), order.end(), std::string(f.name)) == order.end()) order.emplace_back(f.name);
    for (int row = 0; row < int(order.size()); ++row) {
        const QString name = QString::fromStdString(order[size_t(row)]);
        for (int i = row; i < m_formats->count(); ++i)
            if (m_formats->item(i)->text() == name) {
                QListWidgetItem* it = m_formats->takeItem(i);
                m_formats->insertItem(row, it);
                break;
            }
        const bool checked = std::find(cfg.formats.begin(), cfg.formats.end(), order[size_t(row)]) != cfg.formats.end();
        m_formats->item(row)->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
    }
    for (int i = 0; i < m_tiles->count(); ++i) {
        const std::string n = m_tiles->item(i)->text().toStdString();
        const bool on = std::find(cfg.tileFormats.begin(), cfg.tileFormats.end(), n) != cfg.tileFormats.end();
        m_tiles->item(i)->setCheckState(on ? Qt::Checked : Qt::Unchecked);
    }
    m_metric->setCurrentText(QString::fromStdString(std::string(metricName(cfg.metric))));
    m_threshold->setText(shortNumber(cfg.threshold));
    m_cluster->setCurrentIndex(cfg.kmeans ? 1 : 0);
    m_k->setValue(cfg.k);
    m_iters->setValue(cfg.iters);
    m_randomSeed->setChecked(cfg.seedSource == "random");
    m_seed->setText(cfg.seed && cfg.seedSource != "random" && cfg.seedSource != "default" ? QString::number(*cfg.seed)
                                                                                            : QString());
    m_filling = false;
    showEffectiveTiles();
    updateEnabled();
}

void ConfigForm::updateEnabled()
{
    const QString a = m_algorithm->currentText();
    const bool mixed = a.startsWith(QLatin1String("mixed-tile"));
    m_metric->setEnabled(mixed);
    m_threshold->setEnabled(mixed);
    m_tiles->setEnabled(mixed);
    m_cluster->setEnabled(a == QLatin1String("mixed-tile-greedy"));
    m_k->setEnabled(a == QLatin1String("mixed-tile-greedy") && m_cluster->currentIndex() == 1);
    m_iters->setEnabled(a == QLatin1String("mixed-tile-random"));
    m_seed->setEnabled(!m_randomSeed->isChecked());
}

QByteArray ConfigForm::formJson() const
{
    json doc = json::object();
    const std::string alg = m_algorithm->currentText().toStdString();
    doc["algorithm"] = alg;
    std::vector<std::string> formats;
    for (int i = 0; i < m_formats->count(); ++i)
        if (m_formats->item(i)->checkState() == Qt::Checked) formats.push_back(m_formats->item(i)->text().toStdString());
    if (!formats.empty()) doc["quantization_formats"] = formats;
    json params = json::object();
    if (alg.rfind("mixed-tile", 0) == 0) {
        params["metric"] = m_metric->currentText().toStdString();
        bool ok = false;
        const QString t = m_threshold->text().trimmed();
        const double v = t.toDouble(&ok);
        if (ok) params["threshold"] = v;
        else params["threshold"] = t.toStdString();  // parseCompressionConfig names the field
        std::vector<std::string> tiles;
        for (int i = 0; i < m_tiles->count(); ++i)
            if (m_tiles->item(i)->checkState() == Qt::Checked) tiles.push_back(m_tiles->item(i)->text().toStdString());
        if (!tiles.empty()) params["formats"] = tiles;
        if (alg == "mixed-tile-greedy") {
            params["cluster"] = m_cluster->currentText().toStdString();
            if (m_cluster->currentIndex() == 1) params["k"] = m_k->value();
        }
        if (alg == "mixed-tile-random") params["iters"] = m_iters->value();
    }
    doc["params"] = params;
    if (m_randomSeed->isChecked()) {
        doc["seed"] = "random";
    } else if (const QString s = m_seed->text().trimmed(); !s.isEmpty()) {
        bool ok = false;
        const qulonglong v = s.toULongLong(&ok);
        if (ok) doc["seed"] = uint64_t(v);
        else doc["seed"] = s.toStdString();
    }
    return QByteArray::fromStdString(doc.dump(2) + "\n");
}

bool ConfigForm::applyForm()
{
    auto parsed = parseCompressionConfig(formJson(), kFormPath);
    clearErrors();
    if (!parsed) {
        showError(QString::fromStdString(parsed.error().message), kFormPath);
        return false;
    }
    // A seed drawn for "random" stays the same while the form is edited.
    if (parsed->seedSource == "random" && m_config.seedSource == "random") parsed->seed = m_config.seed;
    parsed->path = m_source.isEmpty() ? QString() : m_source;
    m_config = *parsed;
    Q_EMIT configChanged(m_config);
    return true;
}

bool ConfigForm::loadFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        clearErrors();
        showError(QDir::toNativeSeparators(path) + QStringLiteral(": cannot read the compression config: ") + f.errorString(),
                  path);
        return false;
    }
    return loadJson(f.readAll(), path);
}

bool ConfigForm::loadJson(const QByteArray& bytes, const QString& path)
{
    auto parsed = parseCompressionConfig(bytes, path);
    clearErrors();
    if (!parsed) {
        showError(QString::fromStdString(parsed.error().message), path);
        return false;
    }
    m_config = *parsed;
    m_source = path;
    fill(m_config);
    m_loadedJson = formJson();
    m_savedHere = false;
    Q_EMIT configChanged(m_config);  // updates the status line
    return true;
}

Result<void> ConfigForm::saveAs(const QString& path)
{
    const QByteArray bytes = formJson();
    auto parsed = parseCompressionConfig(bytes, path);
    if (!parsed) {
        clearErrors();
        showError(QString::fromStdString(parsed.error().message), path);
        return parsed.error();
    }
    QS_TRY(writeTextFile(path, bytes.toStdString()));
    m_source = path;
    m_loadedJson = bytes;
    m_savedHere = true;
    updateStatus();
    return {};
}

void ConfigForm::setThreshold(double threshold)
{
    m_filling = true;
    m_threshold->setText(shortNumber(threshold));
    m_filling = false;
    m_config.threshold = threshold;
    if (m_config.params.is_object()) m_config.params["threshold"] = threshold;
    updateStatus();
}

void ConfigForm::setImportanceLoaded(bool loaded) { setWeightedMetricsEnabled(m_metric, loaded); }

void ConfigForm::setMetric(MetricKind metric)
{
    m_filling = true;
    m_metric->setCurrentText(QString::fromStdString(std::string(metricName(metric))));
    m_filling = false;
    m_config.metric = metric;
    if (m_config.params.is_object()) m_config.params["metric"] = std::string(metricName(metric));
    updateStatus();
}

QLabel* ConfigForm::errorLabel(const QString& field) const { return m_errors.value(field, nullptr); }

QString ConfigForm::fieldError(const QString& field) const
{
    QLabel* l = errorLabel(field);
    return l && !l->isHidden() ? l->text() : QString();
}

bool ConfigForm::hasErrors() const
{
    for (QLabel* l : m_errors)
        if (!l->isHidden()) return true;
    return false;
}

void ConfigForm::clearErrors()
{
    const bool had = hasErrors();
    for (QLabel* l : m_errors) {
        l->clear();
        l->hide();
    }
    if (had) Q_EMIT errorsChanged();
}

void ConfigForm::showError(const QString& message, const QString& path)
{
    // "<path>: <field>: <what>" -> the field's label; anything else -> the file label.
    QString rest = message;
    const QString prefix = QDir::toNativeSeparators(path) + QStringLiteral(": ");
    if (rest.startsWith(prefix)) rest = rest.mid(prefix.size());
    QString field = QStringLiteral("file");
    QString text = message;
    const int colon = rest.indexOf(QStringLiteral(": "));
    if (colon > 0) {
        QString f = rest.left(colon);
        if (f == QLatin1String("params.tile_formats")) f = QStringLiteral("params.formats");
        if (f == QLatin1String("params.seed") || f == QLatin1String("random_seed")) f = QStringLiteral("seed");
        if (m_errors.contains(f)) {
            field = f;
            text = rest.mid(colon + 2);
            if (path != kFormPath) text = QFileInfo(path).fileName() + QStringLiteral(": ") + text;
        }
    }
    QLabel* l = errorLabel(field);
    l->setText(QStringLiteral("✖ ") + text);
    l->setToolTip(message);
    l->show();
    Q_EMIT errorsChanged();
}

} // namespace qs
