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
#include <QShortcut>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace qs {

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
    head->addWidget(m_caption, 1);
    head->addWidget(copy);
    lay->addLayout(head);

    m_model = new ResultsModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(ResultsModel::RawRole);
    m_view = new QTableView(this);
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
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideMiddle);
    lay->addWidget(m_view, 1);
    m_view->viewport()->installEventFilter(this);
    // After the other columns have sized to new rows (queued: the header resizes them first).
    auto refit = [this] { QMetaObject::invokeMethod(this, &ResultsPanel::fitTensorColumn, Qt::QueuedConnection); };
    connect(m_proxy, &QAbstractItemModel::modelReset, this, refit);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, refit);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, refit);

    connect(copy, &QToolButton::clicked, this, &ResultsPanel::copySelection);
    auto* sc = new QShortcut(QKeySequence::Copy, m_view);
    sc->setContext(Qt::WidgetWithChildrenShortcut);
    connect(sc, &QShortcut::activated, this, &ResultsPanel::copySelection);
    setCaption(tr("Results: select a tensor, or run Analyze selection (Ctrl+R) on a group or the filter's matches."));
}

void ResultsPanel::setCaption(const QString& text) { m_caption->setFullText(text); }

namespace {
constexpr int kMinTensorWidth = 200;
}

bool ResultsPanel::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_view->viewport() && event->type() == QEvent::Resize) fitTensorColumn();
    return QWidget::eventFilter(watched, event);
}

void ResultsPanel::fitTensorColumn()
{
    QHeaderView* h = m_view->horizontalHeader();
    // "Comp" says something only when a compression ran; without one every row reads
    // "none" and the column's width is better spent (a 1366-px screen shows Device B).
    h->setSectionHidden(ResultsModel::ColComp, m_model->report().compressions.size() <= 1);
    int others = 0;
    for (int c = 0; c < h->count(); ++c)
        if (c != ResultsModel::ColTensor && !h->isSectionHidden(c)) others += h->sectionSize(c);
    h->resizeSection(ResultsModel::ColTensor, std::max(kMinTensorWidth, m_view->viewport()->width() - others));
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
