#pragma once
// TensorTreeModel: a QAbstractItemModel over a TensorTree (STYLE.md §9). Columns:
// name, dtype, shape, elements, stored bytes, and the worst error of the last analysis
// (issue #18: each tensor's largest wREL over the formats it ran in, FP0 left out, REL without an
// importance file; a group shows its worst tensor's; NaN = not analysed). Display text is
// formatted; RawRole holds the value to sort on (name component, element count, bytes,
// worst error) and PathRole the full dotted name, so the proxy never parses display
// text. Read-only; setTree() resets. A logical tensor of a quantized layout shows its
// layout label as its dtype and its stored parts (name, dtype, shape, elements, bytes) as
// child rows that cannot be selected (issue #10).
#include "models/tensor_tree.h"

#include <QAbstractItemModel>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qs {

class Model;
struct TensorInfo;

class TensorTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { ColName, ColDType, ColShape, ColElements, ColStored, ColWorst, ColumnCount };
    enum Role {
        RawRole = Qt::UserRole + 1,  // sort key: QString name / qint64 elements / quint64 bytes
        PathRole,                    // full dotted name (QString)
        IsTensorRole,                // bool
        LeafCountRole,               // qint64
        IsPartRole,                  // bool: a stored part of a quantized layout (not selectable)
    };

    explicit TensorTreeModel(QObject* parent = nullptr);

    void setTree(std::shared_ptr<const Model> model, TensorTree tree);
    void clear();
    const TensorTree& tree() const { return m_tree; }
    // The worst error per tensor name (wREL when weighted, else REL); replaces the column.
    void setWorst(const std::map<std::string, double>& worst, bool weighted);
    bool hasWorst() const { return m_hasWorst; }
    bool worstWeighted() const { return m_worstWeighted; }
    std::shared_ptr<const Model> model() const { return m_model; }

    // Index (column 0) of the node with this full path; invalid when unknown.
    QModelIndex indexForPath(const QString& path) const;
    int nodeOf(const QModelIndex& index) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    // Stored-part rows are enabled but not selectable (they are not analysed on their own).
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    QVariant partData(const TensorInfo& part, const QModelIndex& index, int role) const;
    std::shared_ptr<const Model> m_model;
    TensorTree m_tree;
    std::vector<double> m_worst;  // per node (NaN: none)
    bool m_hasWorst = false, m_worstWeighted = false;
};

// "1,234,567" (thousands separators), "1.2 MiB" (binary units with one decimal).
QString withThousands(uint64_t v);
QString humanBytes(double bytes);
// "1 tensor", "1,024 tensors": a count with the noun in the right number.
QString countOf(uint64_t n, const QString& singular, const QString& plural);

} // namespace qs
