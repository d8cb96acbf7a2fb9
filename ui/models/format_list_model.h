#pragma once
// FormatListModel: the format registry as a checkable list (STYLE.md §4: the GUI reads
// the same table as the CLI's -c). Columns: label (checkable), bits per element, block
// size. Checked formats are kept in registry order; checkedChanged() fires once per
// user action or preset.
#include "formats/format.h"

#include <QAbstractTableModel>
#include <QStringList>

#include <vector>

namespace qs {

class FormatListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { ColName, ColBits, ColBlock, ColumnCount };
    enum Role { NameRole = Qt::UserRole + 1 };

    explicit FormatListModel(QObject* parent = nullptr);

    // Registry names of the checked formats, in registry order.
    QStringList checkedNames() const;
    std::vector<const Format*> checkedFormats() const;
    // Checks exactly these names (unknown names are ignored).
    void setCheckedNames(const QStringList& names);
    void checkOriginal();  // the original seven (-c all)
    void checkAll();
    void checkNone();
    bool isChecked(int row) const { return m_checked[size_t(row)]; }
    const Format& formatAt(int row) const { return formats()[size_t(row)]; }
    int rowOf(const QString& name) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

Q_SIGNALS:
    void checkedChanged();

private:
    void setAll(const std::vector<bool>& checked);
    std::vector<bool> m_checked;
};

} // namespace qs
