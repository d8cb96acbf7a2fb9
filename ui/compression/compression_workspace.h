#pragma once
// CompressionWorkspace: the explorer's compression workspace (issue #6), shown as a page
// of the main window. The config form (config_form.h); for the selected tensor the tile
// map (tile_map_view.h), a live threshold slider + spin box and metric switch, a table of
// tile counts and bytes per format, and the size-versus-accuracy panel (pure formats,
// the current mixed result, a threshold sweep with its Pareto front; or every tensor of
// the last run over the selection). The per-tile sums of the tensor are computed once in
// a job; the threshold algorithm is recomputed from them on every slider move (live),
// greedy and random (slower) when the slider rests for 150 ms or is released, in a job.
// "Run config on selection" runs wq with the form's config as a job (progress, cancel),
// fills the results table and writes the results folder exactly as `quantscope wq` does.
// installCompressionWorkspace() adds the page and the Compression menu to a MainWindow.
#include "analysis/compression_config.h"
#include "analysis/wq_run.h"
#include "compression/mixed.h"
#include "compression/tile_sums.h"
#include "compression/workspace_jobs.h"

#include <QFuture>
#include <QString>
#include <QWidget>

#include <memory>
#include <optional>
#include <string>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QMenu;
class QPushButton;
class QSlider;
class QTableWidget;
class QTimer;
class QCustomPlot;
class QVBoxLayout;

namespace qs {

class ConfigForm;
class MainWindow;
class TileMapView;

class CompressionWorkspace : public QWidget {
    Q_OBJECT
public:
    explicit CompressionWorkspace(MainWindow* window, QWidget* parent = nullptr);
    ~CompressionWorkspace() override;

    // The example configs: installed (<bindir>/../share/quantscope/compression_configs),
    // else the copy in the build folder (<bindir>/compression_configs, or
    // <bindir>/../compression_configs for programs in build/tests).
    static QString examplesDir();

    ConfigForm* form() const { return m_form; }
    TileMapView* tileMap() const { return m_map; }
    QSlider* thresholdSlider() const { return m_slider; }
    QDoubleSpinBox* thresholdSpin() const { return m_spin; }
    QComboBox* metricBox() const { return m_metric; }
    QTableWidget* countsTable() const { return m_counts; }
    QCustomPlot* sizePlot() const { return m_sizePlot; }
    std::shared_ptr<const TileSums> sums() const { return m_sums; }
    std::string tensor() const { return m_tensor; }
    // The live threshold result and the config's algorithm result (when it has one).
    const MixedResult& thresholdResult() const { return m_thresholdResult; }
    const std::optional<MixedResult>& algorithmResult() const { return m_algResult; }
    // The mixed params the live view uses (candidates, metric, threshold).
    const MixedParams& liveParams() const { return m_params; }
    bool isRunning() const;
    QString lastRunFolder() const { return m_lastRunFolder; }
    QString lastError() const { return m_lastError; }

public Q_SLOTS:
    bool loadConfig(const QString& path);
    bool saveConfigAs(const QString& path);
    void setTensor(const QString& name);
    void setThreshold(double threshold);
    // wq with the form's config over the window's selection (as Analyze selection picks
    // it); resultsDir "" = no results folder.
    void runOnSelection(const QString& resultsDir);
    // The Run button and Compression › Run config on selection: refuses an unusable form
    // or selection up front (error next to the field, in the status bar and lastError()),
    // and only then asks for the results folder.
    void promptAndRun();
    void cancelRun();

Q_SIGNALS:
    void sumsReady(const QString& tensor);
    void liveUpdated();
    void algorithmUpdated();
    void runFinished(bool ok, const QString& resultsFolder);

protected:
    void showEvent(QShowEvent* event) override;

private:
    // The selection to run on, or nullopt after saying why not (form errors next to
    // their fields, the reason in the status bar and lastError()).
    std::optional<TensorSelection> runnableSelection();
    // Forgets the tensor, its sums and their jobs; the map shows message (default: "Select
    // a tensor …").
    void dropTensor(const QString& message = QString());
    void startRun(const QString& resultsDir, const TensorSelection& selection);
    void onConfigChanged();
    void startSums();
    void recomputeLive();
    void startAlgorithm();
    void requestAlgorithm();
    void updateSlider();
    void updateCounts();
    void updateSizePlot();
    void fillSizeTensors();
    double sliderToThreshold(int pos) const;
    int thresholdToSlider(double t) const;
    double sliderDomain(double threshold) const;  // the positive log-scale value behind a threshold

    MainWindow* m_window;
    ConfigForm* m_form = nullptr;
    TileMapView* m_map = nullptr;
    QSlider* m_slider = nullptr;
    QDoubleSpinBox* m_spin = nullptr;
    QComboBox* m_metric = nullptr;
    QComboBox* m_sizeScope = nullptr;
    QComboBox* m_sizeTensor = nullptr;  // last run: every tensor (bits/element) or one
    QLabel* m_sizeReadout = nullptr;
    QLabel* m_info = nullptr;
    QLabel* m_liveNote = nullptr;
    QTableWidget* m_counts = nullptr;
    QVBoxLayout* m_sizeBox = nullptr;
    QCustomPlot* m_sizePlot = nullptr;
    QPushButton* m_runButton = nullptr;
    QTimer* m_algTimer = nullptr;

    std::string m_tensor;
    std::shared_ptr<const TileSums> m_sums;
    std::string m_sumsKey;  // tensor + candidates + options of m_sums
    MixedParams m_params;   // live params (candidates of the config)
    bool m_paramsOk = false;
    MixedResult m_thresholdResult;
    std::optional<MixedResult> m_algResult;
    std::vector<std::pair<double, MixedResult>> m_sweep;
    bool m_algPending = false;  // the threshold moved while the greedy/random job ran
    double m_rangeLo = 1e-7, m_rangeHi = 1e-1;  // slider range (see sliderToThreshold)
    bool m_syncing = false;
    uint64_t m_sumsGen = 0, m_algGen = 0, m_runGen = 0;
    QFuture<TileSumsResult> m_sumsFuture;
    QFuture<std::optional<MixedResult>> m_algFuture;
    QFuture<WqTensor> m_runFuture;
    std::optional<WqReport> m_runReport;
    QString m_lastRunFolder, m_lastError;
};

// Adds the workspace as the "Compression" page beside the tensor plots (Show workspace,
// Ctrl+K) and the Compression menu (Open
// config…, Save config as…, Examples ▸, Run config on selection…) to the window.
CompressionWorkspace* installCompressionWorkspace(MainWindow* window);

} // namespace qs
