#include "models/results_model.h"

#include "models/tensor_tree_model.h"

#include <QFontDatabase>

#include <cmath>
#include <limits>

namespace qs {

namespace {

QString sci(double v)
{
    if (std::isnan(v)) return QStringLiteral("n/a");  // not measurable: no finite pairs
    if (std::isinf(v)) return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    return QString::asprintf("%.3e", v);
}

QString dbText(double v)
{
    if (std::isnan(v)) return QStringLiteral("n/a");
    if (std::isinf(v)) return v > 0 ? QStringLiteral("∞") : QStringLiteral("-∞");
    const QString t = QString::asprintf("%.2f", v);
    return t == QLatin1String("-0.00") ? QStringLiteral("0.00") : t;  // no "-0.00" for a value that rounds to 0
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();

} // namespace

QString relPercent(double v)
{
    if (std::isnan(v)) return QStringLiteral("n/a");
    if (std::isinf(v)) return QStringLiteral("inf");
    return QString::asprintf("%.3g%%", 100.0 * v);
}

ResultsModel::ResultsModel(QObject* parent) : QAbstractTableModel(parent) {}

void ResultsModel::setReport(WqReport report)
{
    beginResetModel();
    m_report = std::move(report);
    m_rows.clear();
    for (size_t t = 0; t < m_report.tensors.size(); ++t)
        for (size_t r = 0; r < m_report.tensors[t].rows.size(); ++r) m_rows.push_back({int(t), int(r)});
    endResetModel();
}

void ResultsModel::beginReport(WqReport header)
{
    header.tensors.clear();
    setReport(std::move(header));
}

void ResultsModel::appendTensor(const WqTensor& tensor)
{
    if (tensor.rows.empty()) {
        m_report.tensors.push_back(tensor);
        return;
    }
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + int(tensor.rows.size()) - 1);
    m_report.tensors.push_back(tensor);
    const int t = int(m_report.tensors.size()) - 1;
    for (size_t r = 0; r < tensor.rows.size(); ++r) m_rows.push_back({t, int(r)});
    endInsertRows();
}

void ResultsModel::clear() { setReport(WqReport{}); }

int ResultsModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }
int ResultsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QColor ResultsModel::pccColour(double pcc)
{
    if (pcc >= 0.999) return QColor(21, 128, 61);   // green
    if (pcc >= 0.99) return QColor(180, 83, 9);     // amber
    return QColor(185, 28, 28);                     // red
}

QColor ResultsModel::pccTint(double pcc)
{
    if (pcc >= 0.999) return QColor(220, 252, 231);
    if (pcc >= 0.99) return QColor(254, 243, 199);
    return QColor(254, 226, 226);
}

QString ResultsModel::text(int row, int column) const
{
    const auto [ti, ri] = m_rows[size_t(row)];
    const WqTensor& t = m_report.tensors[size_t(ti)];
    const WqRow& r = t.rows[size_t(ri)];
    const Metrics& m = r.metrics;
    switch (column) {
    case ColTensor: return QString::fromStdString(t.info.name);
    case ColComp: return QString::fromStdString(r.compression);
    case ColFormat: {  // the row says when the format made NaN/Inf, nothing was measurable, or its blocks are nearly empty
        std::string text = r.label;
        for (const std::string& flag : {nonFiniteFlag(m), blockFillFlag(r.format, t.info.shape)})
            if (!flag.empty()) text += " " + flag;
        return QString::fromStdString(text);
    }
    case ColPcc: return std::isnan(m.pcc) ? QStringLiteral("n/a") : QString::asprintf("%.5f", m.pcc);
    case ColMae: return sci(m.mae);
    case ColAtol: return sci(m.atol);
    case ColRmse: return sci(m.rmse);
    case ColSqnr: return dbText(m.sqnrDb);
    case ColRel: return relPercent(m.relRmse);
    // A tensor without weights (no entry, 1-D, an expert without data): "-", as the CLI.
    case ColWsqnr: return !weighted() ? QString() : t.importanceNote.empty() ? dbText(m.wsqnrDb) : QStringLiteral("-");
    case ColWrel: return !weighted() ? QString() : t.importanceNote.empty() ? relPercent(m.wrel) : QStringLiteral("-");
    // A comparison row (Compare with…) has no storage of its own: "-".
    case ColBits: return r.compression == "diff" ? QStringLiteral("-") : QString::asprintf("%.4g", r.bitsPerElement);
    case ColBytes: if (r.compression == "diff") return QStringLiteral("-");
        return withThousands(uint64_t(std::llround(r.bytes)));
    case ColDevice: return r.compression == "diff" ? QStringLiteral("-") : withThousands(uint64_t(std::llround(r.deviceBytes)));
    }
    return {};
}

QVariant ResultsModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || size_t(index.row()) >= m_rows.size()) return {};
    const auto [ti, ri] = m_rows[size_t(index.row())];
    const WqTensor& tensor = m_report.tensors[size_t(ti)];
    const WqRow& r = tensor.rows[size_t(ri)];
    const int c = index.column();
    const bool hasWeights = weighted() && tensor.importanceNote.empty();
    switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole: return text(index.row(), c);
    case RawRole:
        switch (c) {
        case ColTensor: return index.row();  // keeps the run's (natural) tensor order
        case ColComp: return QString::fromStdString(r.compression);
        case ColFormat: return QString::fromStdString(r.label);
        case ColPcc: return r.metrics.pcc;
        case ColMae: return r.metrics.mae;
        case ColAtol: return r.metrics.atol;
        case ColRmse: return r.metrics.rmse;
        case ColSqnr: return r.metrics.sqnrDb;
        case ColRel: return r.metrics.relRmse;
        case ColWsqnr: return hasWeights ? r.metrics.wsqnrDb : kNaN;
        case ColWrel: return hasWeights ? r.metrics.wrel : kNaN;
        case ColBits: return r.compression == "diff" ? kNaN : r.bitsPerElement;
        case ColBytes: return r.compression == "diff" ? kNaN : r.bytes;
        case ColDevice: return r.compression == "diff" ? kNaN : r.deviceBytes;
        }
        return {};
    case Qt::ForegroundRole:  // an undefined PCC (n/a) is neither good nor bad: no tint
        if (c == ColPcc && !std::isnan(r.metrics.pcc)) return pccColour(r.metrics.pcc);
        return {};
    case Qt::BackgroundRole:
        if (c == ColPcc && !std::isnan(r.metrics.pcc)) return pccTint(r.metrics.pcc);
        return {};
    case Qt::FontRole:
        if (c >= ColPcc) return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        return {};
    case Qt::TextAlignmentRole:
        if (c >= ColPcc) return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ToolTipRole:
        if (c == ColTensor) return text(index.row(), c);  // the full name of an elided cell
        if ((c == ColWsqnr || c == ColWrel) && weighted() && !tensor.importanceNote.empty())
            return tr("No importance-weighted metrics for this tensor: %1").arg(QString::fromStdString(tensor.importanceNote));
        if (c == ColFormat && !blockFillFlag(r.format, m_report.tensors[size_t(ti)].info.shape).empty())
            return tr("The block axis (the last dimension) is shorter than this format's block: each block holds only a "
                      "few real values, so the error looks better than the storage cost suggests.");
        if (r.metrics.undefined())
            return tr("Nothing to measure: %1 non-finite inputs, %2 finite inputs turned into NaN/Inf, no finite pair left")
                .arg(r.metrics.nonFiniteX)
                .arg(r.metrics.nonFiniteY);
        if (r.metrics.nonFiniteX + r.metrics.nonFiniteY > 0)
            return tr("Metrics over %1 finite pairs; %2 non-finite inputs and %3 non-finite reconstructions skipped")
                .arg(r.metrics.count)
                .arg(r.metrics.nonFiniteX)
                .arg(r.metrics.nonFiniteY);
        return {};
    }
    return {};
}

QVariant ResultsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal) return {};
    static const char* names[] = {"Tensor", "Comp", "Format", "PCC",     "MAE",   "ATOL",  "RMSE",
                                  "SQNR dB", "REL", "wSQNR dB", "wREL", "bits/el", "Bytes", "Device B"};
    static const char* tips[] = {"Tensor name",
                                 "Compression (none = the format applied as stored)",
                                 "Number format",
                                 "Pearson correlation of original and reconstruction (green ≥ 0.999, amber ≥ 0.99)",
                                 "Mean absolute error",
                                 "Largest absolute error",
                                 "Root mean square error",
                                 "Signal-to-quantization-noise ratio, 10·log10(Σx² / Σ(x−y)²)",
                                 "Relative error: the RMS of the error as a share of the weights' RMS, √(Σ(x−y)² / Σx²)",
                                 "Importance-weighted SQNR: 10·log10(Σx²v / Σ(x−y)²v), v = the input channel's E[x²] "
                                 "(File › Open importance…); \"-\": no importance for this tensor",
                                 "Importance-weighted relative error √(Σ(x−y)²v / Σx²v): the expected relative output error "
                                 "for inputs with those channel energies; \"-\": no importance for this tensor",
                                 "Payload bits per element (elements, block scales, per-tensor extras)",
                                 "Payload bytes: what the elements and their block scales need, plus per-tensor extras",
                                 "Device bytes: whole 32×32 tiles, what a Tenstorrent device holds (the tile algorithms' objective)"};
    if (section < 0 || section >= ColumnCount) return {};
    if (role == Qt::DisplayRole) return tr(names[section]);
    if (role == Qt::ToolTipRole) return tr(tips[section]);
    if (role == Qt::TextAlignmentRole && section >= ColPcc) return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QString ResultsModel::toTsv(const std::vector<int>& rows) const
{
    QStringList lines;
    QStringList header;
    std::vector<int> columns;  // the weighted columns only for a run with importance
    for (int c = 0; c < ColumnCount; ++c)
        if (weighted() || (c != ColWsqnr && c != ColWrel)) columns.push_back(c);
    for (int c : columns) header << headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
    lines << header.join(QLatin1Char('\t'));
    auto addRow = [&](int r) {
        QStringList cells;
        for (int c : columns) cells << text(r, c);
        lines << cells.join(QLatin1Char('\t'));
    };
    if (rows.empty())
        for (int r = 0; r < rowCount(); ++r) addRow(r);
    else
        for (int r : rows) addRow(r);
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

ResultsSortProxy::ResultsSortProxy(QObject* parent) : QSortFilterProxyModel(parent)
{
    setSortRole(ResultsModel::RawRole);
}

bool ResultsSortProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const
{
    const QVariant l = left.data(sortRole()), r = right.data(sortRole());
    if (l.typeId() != QMetaType::Double || r.typeId() != QMetaType::Double) return QSortFilterProxyModel::lessThan(left, right);
    const double a = l.toDouble(), b = r.toDouble();
    const bool na = std::isnan(a), nb = std::isnan(b);
    // Descending order asks lessThan(right, left): a NaN counts as the smallest then, the
    // largest when ascending, so it ends up last either way.
    // Ties keep the run's order in both directions.
    const bool tie = sortOrder() == Qt::AscendingOrder ? left.row() < right.row() : left.row() > right.row();
    if (na || nb) {
        if (na && nb) return tie;
        return na ? sortOrder() == Qt::DescendingOrder : sortOrder() == Qt::AscendingOrder;
    }
    return a != b ? a < b : tie;
}

} // namespace qs
