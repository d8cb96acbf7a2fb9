#include "models/tensor_tree_model.h"

#include "icons.h"
#include "io/model.h"

#include "models/results_model.h"

#include <QFontDatabase>

#include <cmath>
#include <limits>

namespace qs {

QString withThousands(uint64_t v)
{
    QString digits = QString::number(v);
    for (int i = digits.size() - 3; i > 0; i -= 3) digits.insert(i, QLatin1Char(','));
    return digits;
}

QString countOf(uint64_t n, const QString& singular, const QString& plural)
{
    return withThousands(n) + QLatin1Char(' ') + (n == 1 ? singular : plural);
}

QString humanBytes(double bytes)
{
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        ++u;
    }
    return u == 0 ? QStringLiteral("%1 B").arg(qint64(bytes)) : QStringLiteral("%1 %2").arg(bytes, 0, 'f', 1).arg(units[u]);
}

TensorTreeModel::TensorTreeModel(QObject* parent) : QAbstractItemModel(parent)
{
    m_tree.nodes.emplace_back();
}

void TensorTreeModel::setTree(std::shared_ptr<const Model> model, TensorTree tree)
{
    beginResetModel();
    m_model = std::move(model);
    m_tree = std::move(tree);
    if (m_tree.nodes.empty()) m_tree.nodes.emplace_back();
    m_worst.assign(m_tree.nodes.size(), std::numeric_limits<double>::quiet_NaN());
    m_hasWorst = false;
    endResetModel();
}

void TensorTreeModel::setWorst(const std::map<std::string, double>& worst, bool weighted)
{
    m_worst.assign(m_tree.nodes.size(), std::numeric_limits<double>::quiet_NaN());
    m_worstWeighted = weighted;
    m_hasWorst = false;
    if (m_model)
        for (size_t n = 1; n < m_tree.nodes.size(); ++n) {
            const TensorNode& node = m_tree.nodes[n];
            if (node.tensor < 0) continue;
            const auto it = worst.find(m_model->tensors()[size_t(node.tensor)].name);
            if (it == worst.end() || std::isnan(it->second)) continue;
            m_hasWorst = true;
            // The tensor and every group above it: the largest value below.
            for (int i = int(n); i > 0; i = m_tree.nodes[size_t(i)].parent) {
                double& w = m_worst[size_t(i)];
                if (std::isnan(w) || it->second > w) w = it->second;
            }
        }
    // The column of every group's children (a reset would lose the view's expansion).
    for (size_t n = 0; n < m_tree.nodes.size(); ++n) {
        const TensorNode& node = m_tree.nodes[n];
        if (node.children.empty()) continue;
        const QModelIndex parent = n == 0 ? QModelIndex() : createIndex(node.row, 0, quintptr(n));
        Q_EMIT dataChanged(index(0, ColWorst, parent), index(int(node.children.size()) - 1, ColWorst, parent));
    }
    Q_EMIT headerDataChanged(Qt::Horizontal, ColWorst, ColWorst);
}

void TensorTreeModel::clear() { setTree(nullptr, TensorTree{}); }

int TensorTreeModel::nodeOf(const QModelIndex& index) const
{
    return index.isValid() ? int(index.internalId()) : 0;
}

QModelIndex TensorTreeModel::indexForPath(const QString& path) const
{
    const int n = m_tree.find(path);
    if (n <= 0) return {};
    return createIndex(m_tree.nodes[size_t(n)].row, 0, quintptr(n));
}

QModelIndex TensorTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (column < 0 || column >= ColumnCount || row < 0) return {};
    const TensorNode& p = m_tree.nodes[size_t(nodeOf(parent))];
    if (size_t(row) >= p.children.size()) return {};
    return createIndex(row, column, quintptr(p.children[size_t(row)]));
}

QModelIndex TensorTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid()) return {};
    const int p = m_tree.nodes[size_t(nodeOf(child))].parent;
    if (p <= 0) return {};
    return createIndex(m_tree.nodes[size_t(p)].row, 0, quintptr(p));
}

int TensorTreeModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() && parent.column() != 0) return 0;
    return int(m_tree.nodes[size_t(nodeOf(parent))].children.size());
}

int TensorTreeModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QVariant TensorTreeModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid()) return {};
    const TensorNode& n = m_tree.nodes[size_t(nodeOf(index))];
    const TensorInfo* t = (n.tensor >= 0 && m_model) ? &m_model->tensors()[size_t(n.tensor)] : nullptr;
    if (n.part >= 0 && m_model && size_t(n.part) < m_model->storedParts().size())
        return partData(m_model->storedParts()[size_t(n.part)], index, role);
    const bool group = int(n.children.size()) > n.partChildren;
    switch (role) {
    case PathRole: return n.path;
    case IsTensorRole: return t != nullptr;
    case IsPartRole: return false;
    case LeafCountRole: return qint64(n.leafCount);
    case RawRole:
        switch (index.column()) {
        case ColName: return n.name;
        case ColDType: return t ? QString::fromStdString(t->dtypeName) : QString();
        case ColShape: return t ? QString::fromStdString(t->shapeString()) : QString();
        case ColElements: return qint64(n.elements);
        case ColStored: return quint64(n.storedBytes);
        case ColWorst: return m_worst.empty() ? std::numeric_limits<double>::quiet_NaN() : m_worst[size_t(nodeOf(index))];
        }
        return {};
    case Qt::DisplayRole:
        switch (index.column()) {
        case ColName: return group ? QStringLiteral("%1  (%2)").arg(n.name).arg(n.leafCount) : n.name;
        case ColDType: return t ? QString::fromStdString(t->dtypeName) : QString();
        case ColShape: return t ? QString::fromStdString(t->shapeString()) : QString();
        case ColElements: return withThousands(uint64_t(n.elements));
        case ColStored: return humanBytes(double(n.storedBytes));
        case ColWorst: {
            const double w = m_worst.empty() ? std::nan("") : m_worst[size_t(nodeOf(index))];
            return std::isnan(w) ? QString() : relPercent(w);
        }
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == ColWorst)
            return m_worstWeighted ? tr("The largest importance-weighted relative error (wREL) over the formats of the last "
                                        "analysis%1; FP0 is left out (100 % by definition)")
                                         .arg(group ? tr(", of any tensor in this group") : QString())
                                   : tr("The largest relative error (REL) over the formats of the last analysis%1; FP0 is "
                                        "left out (100 % by definition). With an importance file: wREL.")
                                         .arg(group ? tr(", of any tensor in this group") : QString());
        if (t && t->layout)
            return QStringLiteral("%1\nstored as %2 · %3 · %4 elements · %5 in %6 (%7)")
                .arg(n.path, QString::fromStdString(t->layout->label), QString::fromStdString(t->shapeString()),
                     withThousands(uint64_t(t->numel())), humanBytes(double(m_model->storedBytes(t->name))), t->file,
                     t->layout->inPlace ? tr("scale %1").arg(QString::fromStdString(t->scaleInvName))
                                        : tr("%n stored part(s), on expand", nullptr, int(t->layout->parts.size())));
        if (t)
            return QStringLiteral("%1\n%2 %3 · %4 elements · %5 in %6")
                .arg(n.path, QString::fromStdString(t->dtypeName), QString::fromStdString(t->shapeString()),
                     withThousands(uint64_t(t->numel())), humanBytes(double(t->byteLength)), t->file);
        return QStringLiteral("%1\n%2 · %3 · %4")
            .arg(n.path, countOf(uint64_t(n.leafCount), QStringLiteral("tensor"), QStringLiteral("tensors")),
                 countOf(uint64_t(n.elements), QStringLiteral("element"), QStringLiteral("elements")),
                 humanBytes(double(n.storedBytes)));
    case Qt::DecorationRole:
        if (index.column() == ColName) return icon(group ? IconId::Group : IconId::Tensor);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() >= ColElements) return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ForegroundRole:
        if (group && index.column() != ColName) return QColor(120, 120, 120);
        return {};
    case Qt::FontRole:
        if (index.column() >= ColShape) return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        return {};
    }
    return {};
}

QVariant TensorTreeModel::partData(const TensorInfo& p, const QModelIndex& index, int role) const
{
    switch (role) {
    case PathRole: return QString::fromStdString(p.name);
    case IsTensorRole: return false;
    case IsPartRole: return true;
    case LeafCountRole: return qint64(0);
    case RawRole:
    case Qt::DisplayRole:
        switch (index.column()) {
        case ColName: return QString::fromStdString(p.name);
        case ColDType: return QString::fromStdString(p.dtypeName);
        case ColShape: return QString::fromStdString(p.shapeString());
        case ColElements: return role == RawRole ? QVariant(qint64(p.numel())) : QVariant(withThousands(uint64_t(p.numel())));
        case ColStored: return role == RawRole ? QVariant(quint64(p.byteLength)) : QVariant(humanBytes(double(p.byteLength)));
        case ColWorst: return role == RawRole ? QVariant(std::numeric_limits<double>::quiet_NaN()) : QVariant(QString());
        }
        return {};
    case Qt::ToolTipRole:
        return tr("%1\nstored part: %2 %3 · %4 bytes in %5 (decoded into its logical tensor; not analysed on its own)")
            .arg(QString::fromStdString(p.name), QString::fromStdString(p.dtypeName), QString::fromStdString(p.shapeString()),
                 withThousands(p.byteLength), p.file);
    case Qt::TextAlignmentRole:
        if (index.column() >= ColElements) return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ForegroundRole: return QColor(120, 120, 120);
    case Qt::FontRole:
        if (index.column() >= ColShape) return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        return {};
    }
    return {};
}

Qt::ItemFlags TensorTreeModel::flags(const QModelIndex& index) const
{
    if (!index.isValid()) return Qt::NoItemFlags;
    const int n = nodeOf(index);
    if (m_tree.nodes[size_t(n)].part >= 0) return Qt::ItemIsEnabled | Qt::ItemNeverHasChildren;
    return QAbstractItemModel::flags(index);
}

QVariant TensorTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal) return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case ColName: return tr("Tensor");
        case ColDType: return tr("DType");
        case ColShape: return tr("Shape");
        case ColElements: return tr("Elements");
        case ColStored: return tr("Stored");
        case ColWorst: return m_worstWeighted ? tr("worst wREL") : tr("worst REL");
        }
    }
    if (role == Qt::TextAlignmentRole && section >= ColElements) return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

} // namespace qs
