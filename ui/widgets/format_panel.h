#pragma once
// FormatPanel: the formats checklist (every registry format with its bits per element),
// presets ("Original seven", "All", "None") and every format option of the CLI, built from
// the option table (formatOptionSpecs): a combo box per option with values, a check box
// per switch, named by the flag. An option none of the checked formats reads is disabled
// (its tooltip says which formats read it); two options that contradict each other are
// named in a red line. Emits formatsChanged() once per change; choices() gives what
// every view should use. Checked names and options are persisted through the settings.
#include "analysis/analysis.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
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
    struct OptionRow {
        size_t spec;                   // index into formatOptionSpecs()
        QLabel* label = nullptr;       // combo boxes only
        QComboBox* combo = nullptr;
        QCheckBox* check = nullptr;
    };
    std::vector<OptionRow> m_options;
    QLabel* m_conflict = nullptr;

    void updateOptionState();
};

} // namespace qs
