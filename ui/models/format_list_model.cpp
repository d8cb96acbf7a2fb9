#include "models/format_list_model.h"

#include <QColor>
#include <QFontDatabase>

namespace qs {

FormatListModel::FormatListModel(QObject* parent) : QAbstractTableModel(parent), m_checked(formats().size(), false)
{
    checkOriginal();
}

int FormatListModel::rowOf(const QString& name) const
{
    const auto all = formats();
    for (size_t i = 0; i < all.size(); ++i)
        if (QString::fromLatin1(all[i].name.data(), int(all[i].name.size())).compare(name, Qt::CaseInsensitive) == 0)
            return int(i);
    return -1;
}

QStringList FormatListModel::checkedNames() const
{
    QStringList out;
    const auto all = formats();
    for (size_t i = 0; i < all.size(); ++i)
        if (m_checked[i]) out << QString::fromLatin1(all[i].name.data(), int(all[i].name.size()));
    return out;
}

std::vector<const Format*> FormatListModel::checkedFormats() const
{
    std::vector<const Format*> out;
    const auto all = formats();
    for (size_t i = 0; i < all.size(); ++i)
        if (m_checked[i]) out.push_back(&all[i]);
    return out;
}

void FormatListModel::setAll(const std::vector<bool>& checked)
{
    if (checked == m_checked) return;
    m_checked = checked;
    Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, 0), {Qt::CheckStateRole});
    Q_EMIT checkedChanged();
}

void FormatListModel::setCheckedNames(const QStringList& names)
{
    std::vector<bool> c(formats().size(), false);
    for (const QString& n : names)
        if (const int r = rowOf(n); r >= 0) c[size_t(r)] = true;
    setAll(c);
}

void FormatListModel::checkOriginal()
{
    std::vector<bool> c(formats().size(), false);
    for (size_t i = 0; i < c.size(); ++i) c[i] = formats()[i].original;
    setAll(c);
}

void FormatListModel::checkAll() { setAll(std::vector<bool>(formats().size(), true)); }
void FormatListModel::checkNone() { setAll(std::vector<bool>(formats().size(), false)); }

int FormatListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(formats().size()); }
int FormatListModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant FormatListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid()) return {};
    const Format& f = formatAt(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case ColName: return QString::fromUtf8(f.label.data(), int(f.label.size()));
        case ColBits: return QString::number(f.bitsPerElement, 'g', 6);
        case ColBlock: return f.blockK > 1 ? QString::number(f.blockK) : QStringLiteral("–");
        }
        return {};
    case NameRole: return QString::fromLatin1(f.name.data(), int(f.name.size()));
    case Qt::CheckStateRole:
        if (index.column() == ColName) return m_checked[size_t(index.row())] ? Qt::Checked : Qt::Unchecked;
        return {};
    case Qt::ToolTipRole:
        return QStringLiteral("<b>%1</b> (<code>-c %2</code>)<br>%3<br>%4 bits per element%5%6")
            .arg(QString::fromUtf8(f.label.data(), int(f.label.size())),
                 QString::fromLatin1(f.name.data(), int(f.name.size())),
                 QString::fromUtf8(f.description.data(), int(f.description.size())))
            .arg(f.bitsPerElement)
            .arg(f.rowBits > 0 ? QStringLiteral(" + %1 bits per row").arg(f.rowBits) : QString())
            .arg(f.bytesPerTensor > 0 ? QStringLiteral(" + %1 bytes per tensor").arg(f.bytesPerTensor) : QString());
    case Qt::TextAlignmentRole:
        if (index.column() != ColName) return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::FontRole:
        if (index.column() != ColName) return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        return {};
    case Qt::ForegroundRole:
        if (index.column() != ColName) return QColor(110, 110, 110);
        return {};
    }
    return {};
}

bool FormatListModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (!index.isValid() || index.column() != ColName || role != Qt::CheckStateRole) return false;
    std::vector<bool> c = m_checked;
    c[size_t(index.row())] = value.toInt() == Qt::Checked;
    setAll(c);
    return true;
}

Qt::ItemFlags FormatListModel::flags(const QModelIndex& index) const
{
    if (!index.isValid()) return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.column() == ColName) f |= Qt::ItemIsUserCheckable;
    return f;
}

QVariant FormatListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal) return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case ColName: return tr("Format");
        case ColBits: return tr("bits/el");
        case ColBlock: return tr("block");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case ColBits: return tr("Logical storage per element, shared scales included");
        case ColBlock: return tr("Elements sharing one scale along the K (last) axis");
        }
    }
    return {};
}

} // namespace qs
