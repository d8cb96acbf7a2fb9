#pragma once
// FormatPanel: the formats checklist (every registry format with its bits per element),
// presets ("Original seven", "All", "None") and the eight format options of the CLI:
// MX shared-scale rule, MX/NVFP4 element rounding, NVFP4 block-scale clamp, FP8 scaling,
// bf16 NaN handling, NVFP4 16x16 blocks, BFP E-1 search, non-saturating FP8. Emits
// formatsChanged() once per change; choices() gives what every view should use.
// Checked names and options are persisted through the typed settings.
#include "analysis/analysis.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QTableView;

namespace qs {

class FormatListModel;

class FormatPanel : public QWidget {
    Q_OBJECT
public:
    explicit FormatPanel(QWidget* parent = nullptr);

    std::vector<FormatChoice> choices() const;
    FormatOptions options() const;
    FormatListModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }

    void restoreSettings();
    void saveSettings() const;

Q_SIGNALS:
    void formatsChanged();

private:
    FormatListModel* m_model = nullptr;
    QTableView* m_view = nullptr;
    QComboBox* m_mxScale = nullptr;
    QComboBox* m_rounding = nullptr;
    QComboBox* m_nvClamp = nullptr;
    QComboBox* m_fp8Scaling = nullptr;
    QComboBox* m_bf16Nan = nullptr;
    QCheckBox* m_nv2d = nullptr;
    QCheckBox* m_bfpOptimize = nullptr;
    QCheckBox* m_fp8NonSat = nullptr;
};

} // namespace qs
