#pragma once
// TensorView: the right-hand view of one tensor — header facts (dtype, shape, file,
// stored vs logical bytes), statistics, and six plot tabs: transfer curve, value
// histogram (linear/log), error histograms (linear/log), heat map (slice picker for
// rank >= 3; values or, with an importance file, the effective weight |W|·√E[x²]), the
// importance of the input channels (issue #18; expert picker for stacked experts) and the
// synthetic staircase (rand-samples control). It only shows data
// handed to it (computed by jobs); its controls emit signals the window turns into jobs.
#include "io/model.h"
#include "jobs/jobs.h"
#include "plots/importance_plot.h"
#include "plots/plot_data.h"

#include <QWidget>

#include <array>
#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QSpinBox;
class QStackedWidget;
class QTabWidget;

namespace qs {

class ElidedLabel;

class PlotPanel;

class TensorView : public QWidget {
    Q_OBJECT
public:
    enum Tab { TabTransfer, TabHistogram, TabErrors, TabHeatmap, TabImportance, TabStaircase, TabCount };
    // What the heat map shows: the values, or |W|·√E[x²] (needs an importance file).
    enum HeatMode { HeatValue, HeatEffective };

    explicit TensorView(QWidget* parent = nullptr);

    // No tensor: a hint in the header, empty-state messages in the tensor panels.
    void showEmpty(const QString& message);
    // A tensor was chosen and its jobs run: header facts now, "computing…" in the panels.
    void showLoading(const TensorInfo& info, const Model& model);
    // includeTransfer = false keeps a transfer curve already set (with MAE labels).
    void setViewResult(const TensorViewResult& result, bool includeTransfer = true);
    void setTransfer(const CurvePlotData& data);
    void setHeatmap(const HeatmapData& data);
    void setSynth(const CurvePlotData& data);
    // The Importance panel: its plot, or the empty state saying why; the expert picker
    // when the tensor stacks experts.
    void setImportance(const ImportancePanel& panel);
    // Whether the current tensor has importance weights (else why not): the heat map's
    // "Effective weight" choice is enabled only then.
    void setEffectiveAvailable(bool available, const QString& why);
    void showError(const QString& message);

    PlotPanel* panel(Tab tab) const { return m_panels[size_t(tab)]; }
    QTabWidget* tabs() const { return m_tabs; }
    QString currentTensor() const { return m_tensor; }
    QString tabName(int tab) const;

    int randSamples() const;
    void setRandSamples(int n);
    bool histogramLog() const;
    bool errorLog() const;
    void setLogScales(bool histogram, bool errors);
    int64_t slice() const;
    HeatMode heatMode() const;
    void setHeatMode(HeatMode mode);
    QComboBox* heatModeBox() const { return m_heatMode; }
    int64_t importanceExpert() const;
    void setImportanceExpert(int64_t expert);

Q_SIGNALS:
    void randSamplesChanged(int samples);
    void sliceChanged(qint64 slice);
    void heatModeChanged();
    void importanceExpertChanged(qint64 expert);

private:
    QWidget* wrap(Tab tab, QWidget* controls, bool fill = false);
    void setStat(int i, const QString& value, const QString& tip = {});

    QString m_tensor;
    ElidedLabel* m_title = nullptr;
    ElidedLabel* m_facts = nullptr;
    std::array<QLabel*, 8> m_stats{};
    QWidget* m_statsBox = nullptr;
    QTabWidget* m_tabs = nullptr;
    std::array<PlotPanel*, TabCount> m_panels{};
    QCheckBox* m_histLog = nullptr;
    QCheckBox* m_errLog = nullptr;
    QSpinBox* m_slice = nullptr;
    QLabel* m_sliceLabel = nullptr;
    QComboBox* m_heatMode = nullptr;
    ElidedLabel* m_heatHint = nullptr;
    QString m_heatHintText;
    QSpinBox* m_expert = nullptr;
    QLabel* m_expertLabel = nullptr;
    ElidedLabel* m_importanceNote = nullptr;
    QSpinBox* m_randSamples = nullptr;
    ElidedLabel* m_errNote = nullptr;
    std::optional<HistogramData> m_hist;
    std::optional<ErrorHistogramData> m_errors;
};

} // namespace qs
