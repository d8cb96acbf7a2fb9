#include "models/tensor_filter_proxy.h"

#include "io/model.h"
#include "io/selection.h"
#include "models/tensor_tree_model.h"

#include <cmath>

namespace qs {

TensorFilterProxy::TensorFilterProxy(QObject* parent) : QSortFilterProxyModel(parent)
{
    // Parents of matches are kept through the precomputed visibility table (a group is
    // visible when any descendant matches), which is what recursive filtering does, at
    // one evaluation per name instead of one per row and query.
    setRecursiveFilteringEnabled(false);
    setSortRole(TensorTreeModel::RawRole);
    setDynamicSortFilter(false);
    connect(this, &QSortFilterProxyModel::sourceModelChanged, this, [this] {
        recompute();
        if (sourceModel())
            connect(sourceModel(), &QAbstractItemModel::modelReset, this, [this] {
                recompute();
                invalidateFilter();
            });
    });
}

void TensorFilterProxy::recompute()
{
    m_visible.clear();
    m_matchCount = 0;
    auto* src = qobject_cast<TensorTreeModel*>(sourceModel());
    if (!src) return;
    const TensorTree& tree = src->tree();
    const auto model = src->model();
    m_visible.assign(tree.nodes.size(), 0);
    const bool filtering = isFiltering();
    for (size_t n = 0; n < tree.nodes.size(); ++n) {
        const TensorNode& node = tree.nodes[n];
        if (node.tensor < 0 || !model) continue;
        if (filtering && !matches(model->tensors()[size_t(node.tensor)].name)) continue;
        ++m_matchCount;
        // Mark the node and its ancestors (stop at one already marked).
        for (int i = int(n); i >= 0 && !m_visible[size_t(i)]; i = tree.nodes[size_t(i)].parent) m_visible[size_t(i)] = 1;
    }
    // A quantized tensor's stored parts show with it (they are never matches themselves).
    for (size_t n = 0; n < tree.nodes.size(); ++n)
        if (tree.nodes[n].part >= 0) m_visible[n] = m_visible[size_t(tree.nodes[n].parent)];
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
    m_queryUtf8 = m_query.toStdString();
    recompute();
    invalidateFilter();
}

bool TensorFilterProxy::matches(const QString& fullName) const
{
    if (m_useRegex) return m_regex.isValid() && m_regex.match(fullName).hasMatch();
    if (m_query.isEmpty()) return true;
    return matchesQuery(fullName.toStdString(), m_query);
}

bool TensorFilterProxy::matches(const std::string& fullName) const
{
    if (m_useRegex) return m_regex.isValid() && m_regex.match(QString::fromStdString(fullName)).hasMatch();
    if (m_query.isEmpty()) return true;
    return matchesQuery(fullName, m_query);
}

bool TensorFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    if (!isFiltering()) return true;
    const QModelIndex idx = sourceModel()->index(sourceRow, 0, sourceParent);
    const size_t node = size_t(idx.internalId());
    return node < m_visible.size() && m_visible[node];
}

bool TensorFilterProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const
{
    const QVariant l = left.data(TensorTreeModel::RawRole), r = right.data(TensorTreeModel::RawRole);
    if (left.column() == TensorTreeModel::ColElements) return l.toLongLong() < r.toLongLong();
    if (left.column() == TensorTreeModel::ColStored) return l.toULongLong() < r.toULongLong();
    if (left.column() == TensorTreeModel::ColWorst) {
        // Not analysed (NaN) last in either direction (descending asks lessThan(right, left));
        // ties by name.
        const double a = l.toDouble(), b = r.toDouble();
        const bool na = std::isnan(a), nb = std::isnan(b);
        if (na != nb) return na ? sortOrder() == Qt::DescendingOrder : sortOrder() == Qt::AscendingOrder;
        if (!na && a != b) return a < b;
        const std::string x = left.siblingAtColumn(TensorTreeModel::ColName).data(TensorTreeModel::RawRole).toString().toStdString();
        const std::string y = right.siblingAtColumn(TensorTreeModel::ColName).data(TensorTreeModel::RawRole).toString().toStdString();
        return sortOrder() == Qt::AscendingOrder ? naturalLess(x, y) : naturalLess(y, x);
    }
    const std::string a = l.toString().toStdString(), b = r.toString().toStdString();
    if (a != b) return naturalLess(a, b);
    return left.row() < right.row();
}

} // namespace qs
