#pragma once
// ResultsModel: the wq rows (per tensor, compression and format) as a table. It keeps
// the whole WqReport so that "Export table.txt" renders exactly what the CLI writes
// (renderTableTxt). Columns: tensor, compression, format, PCC, MAE, ATOL, RMSE,
// SQNR, bits/element, bytes. DisplayRole is formatted like the CLI (PCC %.5f, errors
// %.3e); RawRole holds doubles for sorting; PCC is coloured like the CLI (green >= 0.999,
// amber >= 0.99, red below).
#include "analysis/wq_run.h"

#include <QAbstractTableModel>
#include <QColor>

#include <utility>
#include <vector>

namespace qs {

class ResultsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { ColTensor, ColComp, ColFormat, ColPcc, ColMae, ColAtol, ColRmse, ColSqnr, ColBits, ColBytes, ColDevice, ColumnCount };
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

} // namespace qs
