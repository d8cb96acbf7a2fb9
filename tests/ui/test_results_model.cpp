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
    void nothingFiniteReadsNa();
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

// #16.12: a row with no finite pair reads n/a and its Format cell carries the flag; a
// row whose format made some values Inf says how many.
void TestResultsModel::nothingFiniteReadsNa()
{
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> x(16), allInf(16, inf), someInf(16);
    for (int i = 0; i < 16; ++i) x[size_t(i)] = someInf[size_t(i)] = float(i);
    someInf[2] = someInf[9] = inf;
    WqTensor t;
    t.info.name = "x.weight";
    t.info.shape = {4, 4};
    for (const auto* y : {&allInf, &someInf}) {
        WqRow row;
        row.compression = "none";
        row.format = "bf16";
        row.label = "BF16";
        row.metrics = computeMetrics(x.data(), y->data(), 16);
        t.rows.push_back(row);
    }
    WqReport report;
    report.formats = {"bf16"};
    report.tensorNames = {"x.weight"};
    report.tensors = {t};
    ResultsModel m;
    m.setReport(report);
    auto cell = [&](int r, int c) { return m.index(r, c).data().toString(); };
    for (int c : {ResultsModel::ColPcc, ResultsModel::ColMae, ResultsModel::ColAtol, ResultsModel::ColRmse, ResultsModel::ColSqnr})
        QCOMPARE(cell(0, c), QStringLiteral("n/a"));
    QCOMPARE(cell(0, ResultsModel::ColFormat), QStringLiteral("BF16 [n/a: no finite pairs]"));
    QVERIFY(!m.index(0, ResultsModel::ColPcc).data(Qt::BackgroundRole).isValid());  // n/a is not "bad"
    QVERIFY(m.index(0, ResultsModel::ColPcc).data(Qt::ToolTipRole).toString().startsWith("Nothing to measure"));
    QCOMPARE(cell(1, ResultsModel::ColFormat), QStringLiteral("BF16 [2 -> NaN/Inf]"));
    QCOMPARE(cell(1, ResultsModel::ColPcc), QStringLiteral("1.00000"));

    // #9.6: a depthwise kernel [3, 3, 8, 1] in BFP8: one real value per 16-element block
    WqReport dw;
    WqTensor k;
    k.info.name = "dw.weight";
    k.info.shape = {3, 3, 8, 1};
    WqRow row;
    row.compression = "none";
    row.format = "bfp8";
    row.label = "BFP8";
    row.metrics = computeMetrics(x.data(), x.data(), 16);
    k.rows = {row};
    row.format = "bf16";
    row.label = "BF16";
    k.rows.push_back(row);
    dw.tensorNames = {"dw.weight"};
    dw.tensors = {k};
    m.setReport(dw);
    QCOMPARE(m.index(0, ResultsModel::ColFormat).data().toString(), QStringLiteral("BFP8 [block: 1.0 of 16 real]"));
    QVERIFY(m.index(0, ResultsModel::ColFormat).data(Qt::ToolTipRole).toString().startsWith("The block axis"));
    QCOMPARE(m.index(1, ResultsModel::ColFormat).data().toString(), QStringLiteral("BF16"));
    // #9.2: payload and device bytes side by side
    QCOMPARE(m.headerData(ResultsModel::ColBytes, Qt::Horizontal, Qt::DisplayRole).toString(), QStringLiteral("Bytes"));
    QCOMPARE(m.headerData(ResultsModel::ColDevice, Qt::Horizontal, Qt::DisplayRole).toString(), QStringLiteral("Device B"));
    QVERIFY(m.headerData(ResultsModel::ColDevice, Qt::Horizontal, Qt::ToolTipRole).toString().startsWith("Device bytes: whole 32×32 tiles"));
}

QTEST_GUILESS_MAIN(TestResultsModel)
#include "test_results_model.moc"
