#include "models/tensor_filter_proxy.h"

#include "io/selection.h"
#include "models/tensor_tree_model.h"

namespace qs {

TensorFilterProxy::TensorFilterProxy(QObject* parent) : QSortFilterProxyModel(parent)
{
    setRecursiveFilteringEnabled(true);
    setSortRole(TensorTreeModel::RawRole);
    setDynamicSortFilter(false);
}

void TensorFilterProxy::setFilterQuery(const QString& text)
{
    if (text == m_text) return;
    m_text = text;
    m_error.clear();
    const QString t = text.trimmed();
    m_useRegex = t.size() >= 2 && t.startsWith(QLatin1Char('/')) && t.endsWith(QLatin1Char('/'));
    if (m_useRegex) {
        m_regex.setPattern(t.mid(1, t.size() - 2));
        if (!m_regex.isValid()) m_error = tr("invalid regular expression: %1").arg(m_regex.errorString());
        m_query.clear();
    } else {
        m_query = t;
    }
    invalidateFilter();
}

bool TensorFilterProxy::matches(const QString& fullName) const
{
    if (m_useRegex) return m_regex.isValid() && m_regex.match(fullName).hasMatch();
    if (m_query.isEmpty()) return true;
    return matchesQuery(fullName.toStdString(), m_query);
}

bool TensorFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    if (!isFiltering()) return true;
    const QModelIndex idx = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!idx.data(TensorTreeModel::IsTensorRole).toBool()) return false;  // groups: via descendants
    return matches(idx.data(TensorTreeModel::PathRole).toString());
}

bool TensorFilterProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const
{
    const QVariant l = left.data(TensorTreeModel::RawRole), r = right.data(TensorTreeModel::RawRole);
    if (left.column() == TensorTreeModel::ColElements) return l.toLongLong() < r.toLongLong();
    if (left.column() == TensorTreeModel::ColStored) return l.toULongLong() < r.toULongLong();
    const std::string a = l.toString().toStdString(), b = r.toString().toStdString();
    if (a != b) return naturalLess(a, b);
    return left.row() < right.row();
}

} // namespace qs
