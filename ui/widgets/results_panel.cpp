#include "widgets/results_panel.h"

#include "icons.h"
#include "models/results_model.h"
#include "widgets/elided_label.h"

#include <QApplication>
#include <QClipboard>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QMenu>
#include <QShortcut>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace qs {

namespace {

// A header that keeps room for the sort arrow in the sorted column only (QHeaderView adds
// it to every section): twelve number columns then fit a 1366-px screen.
class CompactHeader : public QHeaderView {
public:
    using QHeaderView::QHeaderView;

protected:
    QSize sectionSizeFromContents(int logicalIndex) const override
    {
        QSize s = QHeaderView::sectionSizeFromContents(logicalIndex);
        if (isSortIndicatorShown() && logicalIndex != sortIndicatorSection())
            s.rwidth() -= s.height() + style()->pixelMetric(QStyle::PM_HeaderMargin, nullptr, this);
        return s;
    }
};

} // namespace

ResultsPanel::ResultsPanel(QWidget* parent) : QWidget(parent)
{
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(8, 4, 8, 4);
    lay->setSpacing(2);
    auto* head = new QHBoxLayout;
    m_caption = new ElidedLabel(this);
    m_caption->setObjectName(QStringLiteral("resultsCaption"));
    auto* copy = new QToolButton(this);
    copy->setObjectName(QStringLiteral("resultsCopy"));
    copy->setIcon(icon(IconId::Copy));
    copy->setAutoRaise(true);
    copy->setToolTip(tr("Copy the selected rows (or all) as tab-separated text (Ctrl+C)"));
    m_hiddenNote = new QLabel(this);
    m_hiddenNote->setObjectName(QStringLiteral("resultsHiddenColumns"));
    m_hiddenNote->setStyleSheet(QStringLiteral("color:#64748b; font-size:11px"));
    m_hiddenNote->hide();
    head->addWidget(m_caption, 1);
    head->addWidget(m_hiddenNote);
    head->addWidget(copy);
    lay->addLayout(head);

    m_model = new ResultsModel(this);
    m_proxy = new ResultsSortProxy(this);
    m_proxy->setSourceModel(m_model);
    m_view = new QTableView(this);
    m_view->setHorizontalHeader(new CompactHeader(Qt::Horizontal, m_view));
    m_view->setObjectName(QStringLiteral("resultsTable"));
    m_view->setAccessibleName(tr("Results"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(-1, Qt::AscendingOrder);  // the run's order until a header is clicked
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(ResultsModel::ColTensor, QHeaderView::Interactive);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view->horizontalHeader(), &QWidget::customContextMenuRequested, this, &ResultsPanel::showHeaderMenu);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideMiddle);
    lay->addWidget(m_view, 1);
    m_view->viewport()->installEventFilter(this);
    // After the other columns have sized to new rows (queued: the header resizes them first).
    auto refit = [this] { QMetaObject::invokeMethod(this, &ResultsPanel::fitTensorColumn, Qt::QueuedConnection); };
    connect(m_proxy, &QAbstractItemModel::modelReset, this, refit);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, refit);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, refit);
    // The sorted column gets the arrow's room (CompactHeader), the others give it back.
    connect(m_view->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this, [this, refit] {
        m_view->horizontalHeader()->resizeSections(QHeaderView::ResizeToContents);
        refit();
    });

    connect(copy, &QToolButton::clicked, this, &ResultsPanel::copySelection);
    auto* sc = new QShortcut(QKeySequence::Copy, m_view);
    sc->setContext(Qt::WidgetWithChildrenShortcut);
    connect(sc, &QShortcut::activated, this, &ResultsPanel::copySelection);
    setCaption(tr("Results: select a tensor, or run Analyze selection (Ctrl+R) on a group or the filter's matches."));
}

QString ResultsPanel::caption() const
{
    return m_caption->fullText();
}

void ResultsPanel::setCaption(const QString& text) { m_caption->setFullText(text); }

namespace {
constexpr int kMinTensorWidth = 170;
}

bool ResultsPanel::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_view->viewport() && event->type() == QEvent::Resize) fitTensorColumn();
    return QWidget::eventFilter(watched, event);
}

void ResultsPanel::fitTensorColumn()
{
    QHeaderView* h = m_view->horizontalHeader();
    QStringList steppedAside;
    for (int c = ResultsModel::ColComp; c < ResultsModel::ColumnCount; ++c) {
        const bool shown = isColumnShown(c);
        h->setSectionHidden(c, !shown);
        const bool weightedDefault = c == ResultsModel::ColSqnr || c == ResultsModel::ColRmse;
        if (!shown && weightedDefault && !m_userColumns.count(c))
            steppedAside << m_model->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
    }
    m_hiddenNote->setText(tr("%1 hidden · right-click a header").arg(steppedAside.join(QStringLiteral(", "))));
    m_hiddenNote->setToolTip(tr("With an importance file the table shows wSQNR and wREL; to fit the screen %1 step aside "
                                "(copy and export keep them). Right-click a column header to choose the columns.")
                                 .arg(steppedAside.join(tr(" and "))));
    m_hiddenNote->setVisible(!steppedAside.isEmpty());
    int others = 0;
    for (int c = 0; c < h->count(); ++c)
        if (c != ResultsModel::ColTensor && !h->isSectionHidden(c)) others += h->sectionSize(c);
    h->resizeSection(ResultsModel::ColTensor, std::max(kMinTensorWidth, m_view->viewport()->width() - others));
}

bool ResultsPanel::isColumnShown(int c) const
{
    if (c == ResultsModel::ColTensor) return true;
    // The weighted columns exist only for a run with an importance file (issue #18).
    if ((c == ResultsModel::ColWsqnr || c == ResultsModel::ColWrel) && !m_model->weighted()) return false;
    if (const auto it = m_userColumns.find(c); it != m_userColumns.end()) return it->second;
    // "Comp" says something only when a compression ran; without one every row reads
    // "none" and the column's width is better spent (a 1366-px screen shows Device B).
    if (c == ResultsModel::ColComp) return m_model->report().compressions.size() > 1;
    // With the weighted columns, SQNR and RMSE step aside so Device B stays on a 1366-px
    // screen: REL says what both do (REL = 10^(-SQNR/20), RMSE relative to the weights) and
    // sits next to wREL; PCC, MAE and ATOL, the columns users know, stay.
    if (c == ResultsModel::ColSqnr || c == ResultsModel::ColRmse) return !m_model->weighted();
    return true;
}

void ResultsPanel::setColumnVisible(int column, bool visible)
{
    if (column <= ResultsModel::ColTensor || column >= ResultsModel::ColumnCount) return;
    m_userColumns[column] = visible;
    fitTensorColumn();
}

void ResultsPanel::showHeaderMenu(const QPoint& pos)
{
    QMenu menu(this);
    menu.setTitle(tr("Columns"));
    for (int c = ResultsModel::ColComp; c < ResultsModel::ColumnCount; ++c) {
        const bool weightedColumn = c == ResultsModel::ColWsqnr || c == ResultsModel::ColWrel;
        QAction* a = menu.addAction(m_model->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString());
        a->setCheckable(true);
        a->setChecked(isColumnShown(c));
        a->setEnabled(!weightedColumn || m_model->weighted());
        if (weightedColumn && !m_model->weighted()) a->setToolTip(tr("Only for a run with an importance file"));
        connect(a, &QAction::toggled, this, [this, c](bool on) { setColumnVisible(c, on); });
    }
    menu.addSeparator();
    menu.addAction(tr("Default columns"), this, [this] {
        m_userColumns.clear();
        fitTensorColumn();
    });
    menu.exec(m_view->horizontalHeader()->mapToGlobal(pos));
}

QString ResultsPanel::selectionAsTsv() const
{
    std::set<int> proxyRows;
    for (const QModelIndex& i : m_view->selectionModel()->selectedRows()) proxyRows.insert(i.row());
    std::vector<int> rows;
    if (proxyRows.empty())
        for (int r = 0; r < m_proxy->rowCount(); ++r) rows.push_back(m_proxy->mapToSource(m_proxy->index(r, 0)).row());
    else
        for (int r : proxyRows) rows.push_back(m_proxy->mapToSource(m_proxy->index(r, 0)).row());
    return m_model->toTsv(rows);
}

void ResultsPanel::copySelection() const
{
    if (m_model->rowCount() == 0) return;
    QApplication::clipboard()->setText(selectionAsTsv());
}

} // namespace qs
