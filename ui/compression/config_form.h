#pragma once
// ConfigForm: the compression config of the explorer's compression workspace as a form
// (algorithm, quantization formats with their order, and the params: metric, threshold,
// tile formats, cluster, k, iters, seed). Loading and every edit go through
// qs::parseCompressionConfig, so validation is the CLI's own code. An invalid file or
// value is shown inline next to the field at fault and NOT applied: config() keeps the
// last valid config until the form is valid again. formJson() is what "Save config as…"
// writes; `quantscope wq --compression-config` accepts it (round-trip tested).
#include "analysis/compression_config.h"
#include "common/result.h"

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QSpinBox;

namespace qs {

class ConfigForm : public QWidget {
    Q_OBJECT
public:
    explicit ConfigForm(QWidget* parent = nullptr);

    // Reads and validates a config file; on success the form shows it and configChanged
    // is emitted. On failure the error is shown next to its field, the form and config()
    // stay as they were, and false is returned.
    bool loadFile(const QString& path);
    bool loadJson(const QByteArray& json, const QString& path);

    const CompressionConfig& config() const { return m_config; }
    QString sourcePath() const { return m_source; }
    // The form differs from the file it was loaded from (or nothing was loaded).
    bool isModified() const { return m_source.isEmpty() || formJson() != m_loadedJson; }
    // The form's content as a config file (two-space indent, trailing newline).
    QByteArray formJson() const;
    // Writes formJson() (temporary file + rename); false + error text when it cannot.
    Result<void> saveAs(const QString& path);

    // The error shown for a field ("" = none). Fields: "file", "algorithm",
    // "quantization_formats", "params.metric", "params.threshold", "params.formats",
    // "params.cluster", "params.k", "params.iters", "seed".
    QString fieldError(const QString& field) const;
    bool hasErrors() const;

    // Widgets (tests and the workspace drive them directly).
    QComboBox* algorithmBox() const { return m_algorithm; }
    QComboBox* metricBox() const { return m_metric; }
    QLineEdit* thresholdField() const { return m_threshold; }
    QListWidget* formatList() const { return m_formats; }
    QListWidget* tileFormatList() const { return m_tiles; }
    QComboBox* clusterBox() const { return m_cluster; }
    QSpinBox* kBox() const { return m_k; }
    QSpinBox* itersBox() const { return m_iters; }
    QLineEdit* seedField() const { return m_seed; }
    QCheckBox* randomSeedBox() const { return m_randomSeed; }

    // Sets the threshold (and metric) from the live slider without re-reading the file.
    void setThreshold(double threshold);
    void setMetric(MetricKind metric);
    // wsqnr / wrel can be chosen only while an importance file is loaded (metric_box.h).
    void setImportanceLoaded(bool loaded);

public Q_SLOTS:
    // Re-validates the form; applies it when valid (emits configChanged).
    bool applyForm();

Q_SIGNALS:
    void configChanged(const qs::CompressionConfig& config);
    void errorsChanged();

private:
    void fill(const CompressionConfig& cfg);
    void clearErrors();
    void showError(const QString& message, const QString& path);
    void updateEnabled();
    // Tile formats in effect when none is checked (the checked formats ∩ bf16/bfp8/bfp4/
    // bfp2) show partly checked; they are not written to params.formats.
    void showEffectiveTiles();
    // "Config: x.json", "(saved)", "— modified, not saved", warnings.
    void updateStatus();
    QLabel* errorLabel(const QString& field) const;

    CompressionConfig m_config;
    QByteArray m_loadedJson;  // formJson() right after loading m_source
    QString m_source;  // the file the config came from ("" = built in / edited)
    QByteArray m_defaultJson;  // formJson() of the built-in default
    bool m_savedHere = false;  // m_source was written by saveAs()
    bool m_filling = false;
    QComboBox* m_algorithm = nullptr;
    QListWidget* m_formats = nullptr;
    QListWidget* m_tiles = nullptr;
    QComboBox* m_metric = nullptr;
    QLineEdit* m_threshold = nullptr;
    QComboBox* m_cluster = nullptr;
    QSpinBox* m_k = nullptr;
    QSpinBox* m_iters = nullptr;
    QLineEdit* m_seed = nullptr;
    QCheckBox* m_randomSeed = nullptr;
    QMap<QString, QLabel*> m_errors;
    QLabel* m_status = nullptr;
};

} // namespace qs
