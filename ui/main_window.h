#pragma once
// MainWindow: the explorer. Start page until a model is open; then the tensor tree with
// its filter and the formats checklist on the left, the tensor view (header, statistics,
// six plot tabs) and the results table on the right, jobs in the status bar. An
// importance file (issue #18; File › Open importance…) is bound to the open model and
// weighs every wq run's errors (wSQNR, wREL); the status bar names it.
// Everything slow runs as a job (jobs/jobs.h); the window only starts jobs, shows their
// results and keeps the newest (results of superseded jobs are dropped by generation
// counters). Errors appear in the window with the action a user can take; the window
// never closes on one. The public slots below are what the menus call and what the GUI
// tests and the benchmark drive directly (no dialogs involved).
#include "analysis/analysis.h"
#include "common/result.h"
#include "importance/importance_job.h"
#include "io/model.h"
#include "jobs/jobs.h"

#include <QElapsedTimer>
#include <QFuture>
#include <QMainWindow>

#include <map>
#include <memory>
#include <optional>
#include <string>

class QAction;
class QLabel;
class QMenu;
class QLineEdit;
class QSplitter;
class QTabWidget;
class QStackedWidget;
class QTimer;
class QTreeView;

namespace qs {

class CompressionWorkspace;
class FormatPanel;
class JobStatus;
class ResultsPanel;
class StartPage;
class TensorFilterProxy;
class TensorTreeModel;
class TensorView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // The bundled demo model's folder ("" when not found): $QS_DEMO_DIR,
    // <bindir>/demo-model, <bindir>/../share/quantscope/demo-model, the build tree's.
    static QString demoModelDir();

    std::shared_ptr<Model> model() const { return m_model; }
    TensorTreeModel* treeModel() const { return m_treeModel; }
    TensorFilterProxy* treeProxy() const { return m_proxy; }
    QTreeView* treeView() const { return m_tree; }
    QLineEdit* filterField() const { return m_filter; }
    FormatPanel* formatPanel() const { return m_formats; }
    TensorView* tensorView() const { return m_view; }
    // The right pane's pages above the results table: "Tensor" (the plots), and the
    // pages other parts add (the compression workspace).
    QTabWidget* pages() const { return m_pages; }
    ResultsPanel* resultsPanel() const { return m_results; }
    JobStatus* jobStatus() const { return m_jobs; }
    StartPage* startPage() const { return m_start; }
    CompressionWorkspace* compressionWorkspace() const { return m_workspace; }
    QString modelText() const { return m_modelText; }
    QString modelRevision() const { return m_modelRevision; }
    QString currentTensor() const;
    QString lastError() const { return m_lastError; }
    bool isBusy() const;
    // What "Analyze selection" and "Run config on selection" run on: the tensors the tree
    // shows in the current group, else the filter's matches, else the current tensor
    // (empty tensors: wq's default selection); scope describes it ("3 tensors (group x)").
    // An error when the filter hides every tensor of the selection.
    Result<TensorSelection> visibleSelection() const;
    // The importance file bound to the open model (issue #18; nullptr: none) and its spec
    // (path or org/repo:path). Every wq run the window starts passes the spec.
    std::shared_ptr<const RunImportance> importance() const { return m_importance; }
    QString importanceSpec() const { return m_importance ? m_importanceSpec : QString(); }
    QLabel* importanceStatus() const { return m_importanceStatus; }
    // Is this local file an importance file rather than a model? .gguf / .dat always; a
    // .safetensors whose F32 [n_in] / [E, n_in] tensors are named like the open model's
    // weights of another shape (read from its header only).
    bool isImportanceFile(const QString& path) const;
    // Compare with… (issue #10; main_window_compare.cpp): a second model B. A tensor of
    // the open model that B has with the same name and shape gets B as one more series in
    // the transfer and error panels and a "diff" row in the results table (diffTensor, the
    // numbers `quantscope diff` prints). nullptr: no comparison.
    std::shared_ptr<Model> compareModel() const { return m_compare; }
    QString compareLabel() const;   // "B: <name>"
    // Why the current tensor has no comparison ("" when it has one, or no B is open).
    QString compareNote() const;
    QLabel* compareStatus() const { return m_compareStatus; }
    // Every keyboard shortcut of the window: ("Menu › Item", key), in menu order, then
    // the shortcuts of panels (what Help › Keyboard shortcuts lists).
    QList<QPair<QString, QKeySequence>> shortcutList() const;

public Q_SLOTS:
    void openModel(const QString& text, const QString& revision = QString());
    void openDemoModel();
    void reloadModel();
    void selectTensor(const QString& name);
    void setFilterText(const QString& text);  // applies at once (no debounce)
    void analyzeSelection();
    // Loads an importance file for the open model in a job (File › Open importance…, a
    // dropped imatrix); the current one stays until the new one has loaded and bound.
    void openImportance(const QString& spec);
    void clearImportance();
    // Opens B in a job (File › Compare with…); the tensor shown is refreshed once it opened.
    void openCompare(const QString& text, const QString& revision = QString());
    void clearCompare();
    // The tensor tree ordered by each tensor's worst wREL of the last analysis (worst
    // first; REL when it ran without importance); groups by their worst tensor.
    void sortTreeByWorst();
    void cancelJobs();
    // Exports (no dialogs). Return false and set lastError() on failure.
    bool exportCurrentPlot(const QString& path);
    bool exportAllPlots(const QString& dir);
    bool exportTable(const QString& path);  // by extension: .txt = table.txt layout, .csv, .json
    void copyPlotToClipboard();
    void setExportSize(int width, int height);
    QSize exportSize() const;

Q_SIGNALS:
    // A model starts opening (the current one stays until it has opened).
    void modelOpening(const QString& text);
    void modelOpened(const QString& describe);
    void modelFailed(const QString& message);
    // All four tensor panels drawn for this tensor; ms since the selection.
    void tensorShown(const QString& name, double ms);
    // Full-tensor metrics in the table for this tensor.
    void metricsShown(const QString& name, double ms);
    void analysisFinished(int tensors);
    // An importance file was loaded, re-bound to a newly opened model, or cleared.
    void importanceChanged();
    void importanceFailed(const QString& message);
    // Compare with…: B opened (or was cleared: describe empty), or failed to open.
    void compareChanged(const QString& describe);
    void compareFailed(const QString& message);
    void synthShown();

protected:
    // Window shortcuts win over a focused text field's own bindings (Ctrl+E is "end of
    // line" and Ctrl+K "delete to end of line" in a QLineEdit on X11).
    bool eventFilter(QObject* watched, QEvent* event) override;
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildUi();
    void buildActions();
    void restoreSettings();
    void saveSettings();
    void addRecent(const QString& text, const QString& revision);
    void showError(const QString& context, const Error& error);
    void clearError();
    void onModelOpened(OpenModelResult result);
    void onCurrentChanged(const QModelIndex& proxyIndex);
    void refreshTensor();
    void startMetrics(uint64_t viewGeneration, uint64_t metricsGeneration);
    void startSynth();
    void startHeatmap(qint64 slice);
    // Importance (main_window_importance.cpp).
    void buildImportanceActions(QMenu* fileMenu);
    void startImportance(const QString& spec, bool rebind);
    // Compare with… (main_window_compare.cpp).
    void buildCompareActions(QMenu* fileMenu);
    void showCompareNote();
    void onImportanceLoaded(ImportanceResult result, bool rebind);
    void showImportanceStatus();
    // The Importance panel and the heat map's effective-weight choice for the tensor shown.
    void refreshImportanceView();
    // The current tensor's weights for the effective-weight heat map (nullopt: values).
    std::optional<InputWeights> effectiveWeights() const;
    void updateWorst(const WqReport& report);
    void updateFilterInfo();
    void updateActions();
    QString promptExportPath(const QString& title, const QString& suggested, const QString& filter);

    // Data
    std::shared_ptr<Model> m_model;
    QString m_modelText, m_modelRevision;
    std::string m_tensor;
    QElapsedTimer m_selectClock;
    bool m_metricsDrawn = false;  // the transfer curve with MAE labels is already shown
    uint64_t m_openGen = 0, m_viewGen = 0, m_synthGen = 0, m_heatGen = 0, m_analyzeGen = 0, m_metricsGen = 0;
    QFuture<OpenModelResult> m_openFuture;
    QFuture<TensorViewResult> m_viewFuture;
    QFuture<MetricsResult> m_metricsFuture;
    QFuture<HeatmapResult> m_heatFuture;
    QFuture<SynthJobResult> m_synthFuture;
    QFuture<WqTensor> m_analyzeFuture;
    QString m_lastError;
    std::shared_ptr<const RunImportance> m_importance;
    QString m_importanceSpec;       // of m_importance
    QString m_importanceLoading;    // the spec a running job loads ("" = none)
    uint64_t m_importanceGen = 0;
    QFuture<ImportanceResult> m_importanceFuture;
    std::shared_ptr<Model> m_compare;  // Compare with…: B
    QString m_compareText;
    uint64_t m_compareGen = 0;
    QFuture<OpenModelResult> m_compareFuture;
    std::map<std::string, double> m_worst;  // tensor -> worst wREL (REL) of the last analyses

    // Widgets
    QStackedWidget* m_stack = nullptr;
    StartPage* m_start = nullptr;
    QWidget* m_explorer = nullptr;
    QSplitter* m_mainSplitter = nullptr;
    QSplitter* m_leftSplitter = nullptr;
    QSplitter* m_rightSplitter = nullptr;
    QTabWidget* m_pages = nullptr;
    QLabel* m_banner = nullptr;
    QLineEdit* m_modelField = nullptr;
    QLineEdit* m_revisionField = nullptr;
    QLineEdit* m_filter = nullptr;
    QLabel* m_filterInfo = nullptr;
    QTimer* m_filterTimer = nullptr;
    QTimer* m_formatsTimer = nullptr;
    QTreeView* m_tree = nullptr;
    TensorTreeModel* m_treeModel = nullptr;
    TensorFilterProxy* m_proxy = nullptr;
    FormatPanel* m_formats = nullptr;
    TensorView* m_view = nullptr;
    ResultsPanel* m_results = nullptr;
    JobStatus* m_jobs = nullptr;
    CompressionWorkspace* m_workspace = nullptr;  // ui/compression (dock + Compression menu)

    // Actions
    QAction* m_analyzeAction = nullptr;
    QAction* m_exportPlotAction = nullptr;
    QAction* m_exportAllAction = nullptr;
    QAction* m_copyPlotAction = nullptr;
    QAction* m_exportTableAction = nullptr;
    QAction* m_reloadAction = nullptr;
    QAction* m_openImportanceAction = nullptr;
    QAction* m_hubImportanceAction = nullptr;
    QAction* m_clearImportanceAction = nullptr;
    QLabel* m_importanceStatus = nullptr;
    QAction* m_compareAction = nullptr;
    QAction* m_compareHubAction = nullptr;
    QAction* m_clearCompareAction = nullptr;
    QLabel* m_compareStatus = nullptr;
};

} // namespace qs
