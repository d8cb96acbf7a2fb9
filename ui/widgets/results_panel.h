#pragma once
// ResultsPanel: the results table (ResultsModel behind a sorting proxy), a caption
// saying what the rows are, and copy (Ctrl+C or the button: the selected rows, or all,
// as tab-separated text with a header). Which columns show: Comp only when a
// compression ran, wSQNR / wREL only for a run with an importance file — and then ATOL
// and RMSE step aside by default so every column fits a 1366-px screen (a note says so);
// right-clicking the header shows or hides any column for the session.
#include <QWidget>

#include <map>

class QLabel;
class QSortFilterProxyModel;
class QTableView;
class QToolButton;

namespace qs {

class ElidedLabel;

class ResultsModel;

class ResultsPanel : public QWidget {
    Q_OBJECT
public:
    explicit ResultsPanel(QWidget* parent = nullptr);

    ResultsModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    QSortFilterProxyModel* proxy() const { return m_proxy; }
    void setCaption(const QString& text);
    QString caption() const;
    // The selected rows (source rows) as TSV, or every row when nothing is selected.
    QString selectionAsTsv() const;
    void copySelection() const;
    // Shows or hides a column (ResultsModel::Column) for this session, over the defaults.
    void setColumnVisible(int column, bool visible);
    bool isColumnShown(int column) const;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    // The Tensor column takes the room the other columns leave, but never less than
    // kMinTensorWidth (the table scrolls sideways instead); names elide in the middle.
    void fitTensorColumn();

    ResultsModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    QTableView* m_view = nullptr;
    void showHeaderMenu(const QPoint& pos);

    ElidedLabel* m_caption = nullptr;
    QLabel* m_hiddenNote = nullptr;
    std::map<int, bool> m_userColumns;  // column -> shown, as the user chose (session only)
};

} // namespace qs
