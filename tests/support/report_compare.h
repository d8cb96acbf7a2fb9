#pragma once
// Comparing two runs' reports, which differ only in their timings: table.txt with the
// TIME(s) column masked, results.json without the rows' "seconds".
#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QString>

namespace qs::test {

// The TIME(s) column of every row (the sixth field) replaced by "T".
inline QByteArray maskTiming(const QByteArray& table)
{
    static const QRegularExpression row(QStringLiteral("^(  \\S+ +\\S+ +\\S+ +\\S+ +\\S+ +)\\d+\\.\\d{3}"),
                                        QRegularExpression::MultilineOption);
    return QString::fromUtf8(table).replace(row, QStringLiteral("\\1T")).toUtf8();
}

// results.json without the timings.
inline QJsonObject withoutSeconds(const QByteArray& json)
{
    QJsonObject doc = QJsonDocument::fromJson(json).object();
    QJsonArray tensors = doc.value(QStringLiteral("tensors")).toArray();
    for (qsizetype i = 0; i < tensors.size(); ++i) {
        QJsonObject t = tensors[i].toObject();
        QJsonArray rows = t.value(QStringLiteral("rows")).toArray();
        for (qsizetype r = 0; r < rows.size(); ++r) {
            QJsonObject row = rows[r].toObject();
            row.remove(QStringLiteral("seconds"));
            rows[r] = row;
        }
        t[QStringLiteral("rows")] = rows;
        tensors[i] = t;
    }
    doc[QStringLiteral("tensors")] = tensors;
    return doc;
}

} // namespace qs::test
