#pragma once
// ResultsModel: the wq rows (per tensor, compression and format) as a table. It keeps
// the whole WqReport so that "Export table.txt" renders exactly what the CLI writes
// (renderTableTxt). Columns: tensor, compression, format, PCC, MAE, ATOL, RMSE,
// SQNR, REL (rel_rmse), wSQNR and wREL (importance-weighted, issue #18), bits/element,
// payload and device bytes. DisplayRole is formatted like the CLI (PCC %.5f, errors
// %.3e, REL/wREL "1.83%"); RawRole holds doubles for sorting (NaN where a cell reads
// "n/a" or "-"); PCC is coloured like the CLI (green >= 0.999, amber >= 0.99, red below).
// ResultsSortProxy sorts numbers numerically with n/a and "-" last in either direction.
#include "analysis/wq_run.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QColor>

#include <utility>
#include <vector>

namespace qs {

class ResultsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        ColTensor, ColComp, ColFormat, ColPcc, ColMae, ColAtol, ColRmse, ColSqnr,
        ColRel,    // rel_rmse, every row
        ColWsqnr,  // importance-weighted SQNR (dB); "-" for a tensor without weights
        ColWrel,   // importance-weighted relative error
        ColBits, ColBytes, ColDevice, ColumnCount
    };
    enum Role { RawRole = Qt::UserRole + 1 };

    explicit ResultsModel(QObject* parent = nullptr);

    // Replaces everything (header and tensors).
    void setReport(WqReport report);
    // Starts a streamed report: header fields kept, tensors cleared.
    void beginReport(WqReport header);
    void appendTensor(const WqTensor& tensor);
    void clear();
    const WqReport& report() const { return m_report; }
    bool isEmpty() const { return m_rows.empty(); }
    // The report was run with an importance file (the weighted columns mean something).
    bool weighted() const { return m_report.importance.has_value(); }

    // Tab-separated text of the given source rows (all rows when empty), with a header.
    QString toTsv(const std::vector<int>& rows = {}) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // The CLI's PCC colours (text) and a light tint for the cell background.
    static QColor pccColour(double pcc);
    static QColor pccTint(double pcc);

private:
    QString text(int row, int column) const;
    std::vector<std::pair<int, int>> m_rows;  // (tensor index, row index) per table row
    WqReport m_report;
};

// Sorts the table by RawRole: numbers numerically, text naturally; a NaN (a cell reading
// "n/a" or "-") goes last whichever way the column is sorted, so the measured rows stay
// on top.
class ResultsSortProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit ResultsSortProxy(QObject* parent = nullptr);

protected:
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;
};

// rel_rmse / wrel as a share of the weights' RMS, as the CLI prints it: "1.83%", "0.0412%".
QString relPercent(double v);

} // namespace qs
