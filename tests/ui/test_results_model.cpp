// The results table's cells: how numbers read (issue #15 §4: no "-0.00" SQNR).
#include "models/results_model.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace qs;

class TestResultsModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sqnrCells();
};

void TestResultsModel::sqnrCells()
{
    WqReport report;
    report.formats = {"bfp2"};
    WqTensor t;
    t.info.name = "x.weight";
    t.info.shape = {4, 8};
    for (double sqnr : {-0.001, -0.004, -0.006, 12.345, std::numeric_limits<double>::infinity()}) {
        WqRow row;
        row.compression = "none";
        row.format = "bfp2";
        row.label = "BFP2";
        row.metrics.sqnrDb = sqnr;
        t.rows.push_back(row);
    }
    report.tensorNames = {"x.weight"};
    report.tensors = {t};
    ResultsModel m;
    m.setReport(report);
    QCOMPARE(m.rowCount(), 5);
    auto cell = [&](int r) { return m.index(r, ResultsModel::ColSqnr).data().toString(); };
    QCOMPARE(cell(0), QStringLiteral("0.00"));
    QCOMPARE(cell(1), QStringLiteral("0.00"));
    QCOMPARE(cell(2), QStringLiteral("-0.01"));
    QCOMPARE(cell(3), QStringLiteral("12.35"));
    QCOMPARE(cell(4), QStringLiteral("∞"));
    // Sorting and export use the raw value, not the text.
    QCOMPARE(m.index(0, ResultsModel::ColSqnr).data(ResultsModel::RawRole).toDouble(), -0.001);
}

QTEST_GUILESS_MAIN(TestResultsModel)
#include "test_results_model.moc"
