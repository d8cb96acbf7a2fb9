#pragma once
// AtlasView: the explorer's model atlas (issue #11 §1-2), a page beside the tensor plots.
// "Atlas of selection" (Analyze menu, Ctrl+Shift+A, or the page's Run button) runs the one
// per-tensor walk over the selection Analyze selection would use, in the checked formats,
// as a background job (atlas_job.h: progress and cancel in the status bar); every finished
// tensor goes into the aggregation (analysis/atlas.h, the same entries `quantscope atlas`
// aggregates: analysis/model_sinks.h) and the heat map is redrawn, at most every
// replotInterval() ms, so it fills in cell by cell. A format and a metric switch (sqnr,
// pcc, mae; wsqnr and wrel when the run had an importance file) pick what is shown; the
// read-out line under the map names the cell's tensors and their values; a click opens
// the tensor in the Tensor page (a menu to pick from when the cell holds several).
// The walk runs first over a 1 % sample of every tensor's 32-row bands, then 10 %, then
// every row (setPasses): the map appears early and refines as the passes arrive;
// estimated cells are marked (≈) and the read-out gives each estimate's 95 % interval.
// Once the walk has finished, the budget slider ("fits in N") runs the planner
// (compression/planner.h, one format per tensor, the same input as `quantscope plan`)
// at the chosen budget, recolours the map by the format planned per cell and shows the
// totals and the gap to the Lagrangian bound; Save plan… writes the plan file
// (analysis/plan_file.h, plan.json) that wq/export --compression-config apply. installAtlasView() adds the page and the menu entry.
#include "analysis/atlas.h"
#include "analysis/model_sinks.h"
#include "analysis/plan_file.h"
#include "analysis/wq_run.h"
#include "atlas/atlas_job.h"
#include "compression/planner.h"

#include <QFuture>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

class QComboBox;
class QCustomPlot;
class QLabel;
class QMenu;
class QPushButton;
class QSlider;
class QStackedWidget;
class QTimer;
class QVBoxLayout;

namespace qs {

class BudgetSlider;
class ElidedLabel;
class MainWindow;

class AtlasView : public QWidget {
    Q_OBJECT
public:
    enum Mode { ModeMetric = 0, ModePlan = 1 };

    explicit AtlasView(MainWindow* window, QWidget* parent = nullptr);
    ~AtlasView() override;
    // Small hints: the page takes the room the Tensor page sizes (it never moves the panes).
    QSize sizeHint() const override { return {340, 200}; }
    QSize minimumSizeHint() const override { return {340, 115}; }

    QComboBox* formatBox() const { return m_format; }
    QComboBox* metricBox() const { return m_metric; }
    QComboBox* modeBox() const { return m_mode; }
    QSlider* budgetSlider() const;
    BudgetSlider* budgetBar() const { return m_budget; }
    QLabel* budgetLabel() const { return m_budgetLabel; }
    QLabel* totalsLabel() const { return m_totals; }
    ElidedLabel* readout() const { return m_readout; }  // fullText(): the whole line
    QPushButton* runButton() const { return m_run; }
    QPushButton* savePlanButton() const { return m_save; }
    QCustomPlot* plot() const { return m_plot; }  // nullptr before the first tensor
    QMenu* cellMenu() const { return m_cellMenu; }  // the last "pick a tensor" menu

    // What is shown: the aggregation of the tensors received so far (final rows once the
    // walk finished), the tensors, and the number of non-empty cells of the shown format.
    const Atlas& atlas() const { return m_atlas; }
    const std::vector<WqTensor>& tensors() const { return m_tensors; }
    int filledCells() const;
    bool isRunning() const;
    QString lastError() const { return m_lastError; }

    // The planner's input (the finished rows), uniform totals per format (atlas order),
    // the model's stored bytes of the planned tensors, the budget and the solution.
    const PlanInput& planInput() const { return m_planInput; }
    const std::vector<double>& uniformTotals() const { return m_uniform; }
    double storedBytes() const { return m_stored; }
    double budget() const { return m_budgetBytes; }
    const std::optional<PlanSolution>& plan() const { return m_solution; }
    // The shown plan as the plan file Save plan… writes (analysis/plan_file.h).
    PlanFile planFile() const;
    // The format planned for a cell (index into atlas().formats; -1: empty or no plan).
    int planCellFormat(int layer, int kind) const;

    // The read-out text of a cell (layer and kind indices into atlas()), as hovering it shows.
    QString cellText(int layer, int kind) const;
    QStringList cellTensors(int layer, int kind) const;  // worst first in the shown format
    // The cell under a pixel of plot(); false outside the grid.
    bool cellAt(const QPointF& pixel, int* layer, int* kind) const;

    // Sample fractions of the walk's passes (atlas_job.h), ascending; the default
    // {0.01, 0.1, 1}: a 1 % sample first, then 10 %, then every row. {1}: one full walk.
    void setPasses(std::vector<double> passes) { m_passes = std::move(passes); }
    const std::vector<double>& passes() const { return m_passes; }
    // The passes of the last run: those of passes() that give the selection's cells bands
    // enough (analysis/atlas.h informativePasses) — a small model goes straight to full.
    const std::vector<double>& runPasses() const { return m_runPasses; }
    int currentPass() const { return m_pass; }  // of the rows shown (-1: none yet)

    void setReplotInterval(int ms);
    int replotInterval() const;
    // Test seam: runs on the worker for every finished tensor (AtlasJobParams::onTensor).
    void setWorkerHook(std::function<void(const WqTensor&)> hook) { m_hook = std::move(hook); }

public Q_SLOTS:
    void runOnSelection();
    void cancel();
    void setBudget(double bytes);
    void setMode(int mode);
    bool savePlan(const QString& path);  // writePlanFile(planFile()); false + lastError()
    // A click on a cell: opens its tensor in the Tensor page, or pops up a menu of them.
    void openCell(int layer, int kind);

Q_SIGNALS:
    void updated(int tensors, int cells);  // after every redraw of the map
    void finished(bool ok);
    void planChanged();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void addTensor(WqTensor t);
    void rebuild();       // aggregation + members + redraw
    void redraw();
    void rebuildPlan();   // after the walk: planner input, range, marks
    void solve();
    void showTotals();
    void fillFormats(const std::vector<std::string>& formats);
    void fillMetrics(bool weighted);
    void openTensor(const QString& name);
    void clearAll(const QString& message);
    AtlasMetric currentMetric() const;
    int currentFormat() const;  // index into m_atlas.formats, -1 none
    const WqRow* row(size_t tensor, const std::string& format) const;

    MainWindow* m_window;
    QPushButton* m_run = nullptr;
    QPushButton* m_cancel = nullptr;
    QComboBox* m_format = nullptr;
    QComboBox* m_metric = nullptr;
    QComboBox* m_mode = nullptr;
    ElidedLabel* m_status = nullptr;
    QStackedWidget* m_stack = nullptr;
    QLabel* m_message = nullptr;
    QWidget* m_plotHost = nullptr;
    QVBoxLayout* m_plotLayout = nullptr;
    QCustomPlot* m_plot = nullptr;
    ElidedLabel* m_readout = nullptr;
    BudgetSlider* m_budget = nullptr;
    QLabel* m_budgetLabel = nullptr;
    QLabel* m_totals = nullptr;
    QPushButton* m_save = nullptr;
    QMenu* m_cellMenu = nullptr;
    QTimer* m_replot = nullptr;
    QPointF m_pressPos;

    uint64_t m_gen = 0;
    QFuture<AtlasBand> m_future;
    std::shared_ptr<AtlasRunState> m_state;
    std::function<void(const WqTensor&)> m_hook;
    QString m_scope;
    std::vector<double> m_passes{0.01, 0.1, 1.0};
    std::vector<double> m_runPasses;
    int m_pass = -1;
    std::optional<WqReport> m_header;
    std::vector<WqTensor> m_tensors;
    std::map<std::string, size_t> m_index;           // tensor -> m_tensors index
    std::vector<LayerKind> m_layerKinds;             // per m_tensors entry: its cell's split
    Atlas m_atlas;
    std::vector<std::vector<size_t>> m_members;      // per cell (l * kinds + k): tensors
    PlanInput m_planInput;
    std::vector<size_t> m_itemOf;                    // per tensor: plan item (npos: none)
    std::vector<double> m_uniform;
    double m_stored = 0;
    double m_budgetBytes = 0;
    std::optional<PlanSolution> m_solution;
    QString m_lastError;
};

// Adds the Atlas page beside the Tensor page and "Atlas of selection" (Ctrl+Shift+A) to
// the Analyze menu.
AtlasView* installAtlasView(MainWindow* window);

} // namespace qs
