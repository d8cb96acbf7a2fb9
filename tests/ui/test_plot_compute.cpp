// The plot data computations (ui/plots/plot_compute) on small tensors with hand-known
// answers, and the builders' determinism: heat-map geometry and block max-abs
// downsampling, statistics on finite and non-finite data, histogram bins and counts,
// error histograms over the whole tensor and over a sample, transfer curves (constant
// tensor range, MAE labels), the curve CSV, and identical PNGs for identical inputs.
#include "gui_test_util.h"
#include "plots/plot_builders.h"
#include "plots/plot_compute.h"
#include "plots/plot_render.h"
#include "plots/qcp.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>

using namespace qs;
using namespace qs::test;

class TestPlotCompute : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void heatmapGeometry_data();
    void heatmapGeometry();
    void heatmapBlockMaxAbs();
    void statsWithNonFinite();
    void histogramCounts();
    void errorHistogramsWholeAndSample();
    void transferCurvesRangeAndLabels();
    void curvesCsv();
    void buildersAreDeterministic();

private:
    std::shared_ptr<TensorReader> reader(const std::string& name);
    QTemporaryDir m_dir;
    std::shared_ptr<Model> m_model;
};

void TestPlotCompute::initTestCase()
{
    QVERIFY(m_dir.isValid());
    std::vector<F32Tensor> t;
    // 4 x 6 matrix with a known largest magnitude per 2 x 3 block.
    t.push_back({"m", {4, 6}, {1, -2, 0, 0, 0, 5,     //
                              0, 0, 0, 0, -7, 0,     //
                              3, 0, 0, 0, 0, 0,      //
                              0, 0, -3, 2, 0, -2}});
    std::vector<float> special = {1.0f, std::numeric_limits<float>::quiet_NaN(), -2.0f, 0.0f,
                                  std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), 4.0f, 0.0f};
    t.push_back({"special", {8}, special});
    t.push_back({"constant", {3, 4}, std::vector<float>(12, 0.25f)});
    t.push_back({"wide", {512, 2048}, pseudoNormal(512 * 2048, 9, 0.05f)});
    t.push_back({"cube", {3, 5, 7}, pseudoNormal(105, 3, 1.0f)});
    const QString path = m_dir.filePath("p.safetensors");
    QVERIFY(writeF32(path, t));
    m_model = openLocal(path);
    QVERIFY(m_model);
}

std::shared_ptr<TensorReader> TestPlotCompute::reader(const std::string& name)
{
    auto r = m_model->reader(name);
    return r ? *r : nullptr;
}

void TestPlotCompute::heatmapGeometry_data()
{
    QTest::addColumn<QList<qint64>>("shape");
    QTest::addColumn<qint64>("rows");
    QTest::addColumn<qint64>("cols");
    QTest::addColumn<qint64>("slices");
    QTest::newRow("scalar") << QList<qint64>{} << qint64(1) << qint64(1) << qint64(1);
    QTest::newRow("1-D short") << QList<qint64>{5} << qint64(1) << qint64(5) << qint64(1);
    QTest::newRow("1-D") << QList<qint64>{100} << qint64(4) << qint64(32) << qint64(1);
    QTest::newRow("2-D") << QList<qint64>{7, 9} << qint64(7) << qint64(9) << qint64(1);
    QTest::newRow("4-D") << QList<qint64>{2, 3, 4, 5} << qint64(4) << qint64(5) << qint64(6);
}

void TestPlotCompute::heatmapGeometry()
{
    QFETCH(QList<qint64>, shape);
    QFETCH(qint64, rows);
    QFETCH(qint64, cols);
    QFETCH(qint64, slices);
    const HeatmapGeometry g = qs::heatmapGeometry(std::vector<int64_t>(shape.begin(), shape.end()));
    QCOMPARE(g.rows, rows);
    QCOMPARE(g.cols, cols);
    QCOMPARE(g.sliceCount, slices);
}

void TestPlotCompute::heatmapBlockMaxAbs()
{
    auto r = reader("m");
    QVERIFY(r);
    // At most 3 cells per axis: 4 x 6 -> blocks of 2 x 2 rows/cols -> 2 x 3 cells.
    auto scan = scanTensor(*r, 0, 3, nullptr);
    QVERIFY(scan.ok());
    const HeatmapData& h = scan->heatmap;
    QCOMPARE(h.blockRows, int64_t(2));
    QCOMPARE(h.blockCols, int64_t(2));
    QCOMPARE(h.nx, 3);
    QCOMPARE(h.ny, 2);
    // Block (0,0) = {1,-2,0,0} -> -2; (0,1) = {0,0,0,0} -> 0; (0,2) = {0,5,-7,0} -> -7;
    // (1,0) = {3,0,0,0} -> 3; (1,1) = {0,0,-3,2} -> -3; (1,2) = {0,0,0,-2} -> -2.
    const std::vector<float> expected = {-2, 0, -7, 3, -3, -2};
    QCOMPARE(h.cells, expected);
    QCOMPARE(h.absMax, 7.0f);
    // Full resolution: cells are the values.
    auto full = scanTensor(*r, 0, 512, nullptr);
    QVERIFY(full.ok());
    QCOMPARE(full->heatmap.nx, 6);
    QCOMPARE(full->heatmap.cells[5], 5.0f);
    // A rank-3 tensor: slice 2 of 3 is rows [10, 15) of the 2-D view.
    auto cube = reader("cube");
    auto s2 = scanTensor(*cube, 2, 512, nullptr);
    QVERIFY(s2.ok());
    QCOMPARE(s2->heatmap.sliceCount, int64_t(3));
    QCOMPARE(s2->heatmap.rows, int64_t(5));
    QCOMPARE(s2->heatmap.cols, int64_t(7));
    const std::vector<float> all = cube->readAll();
    for (int i = 0; i < 35; ++i) QCOMPARE(s2->heatmap.cells[size_t(i)], all[size_t(70 + i)]);
    // Out-of-range slices are clamped.
    QCOMPARE(scanTensor(*cube, 99, 512, nullptr)->heatmap.slice, int64_t(2));
}

void TestPlotCompute::statsWithNonFinite()
{
    auto r = reader("special");
    auto scan = scanTensor(*r, 0, 512, nullptr);
    QVERIFY(scan.ok());
    const Stats& s = scan->stats;
    QCOMPARE(s.count, int64_t(5));
    QCOMPARE(s.nan, int64_t(1));
    QCOMPARE(s.posInf, int64_t(1));
    QCOMPARE(s.negInf, int64_t(1));
    QCOMPARE(s.zeros, int64_t(2));
    QCOMPARE(s.min, -2.0);
    QCOMPARE(s.max, 4.0);
    QCOMPARE(s.sum, 3.0);
    // Non-finite cells are skipped in the heat map (1-D: one row of 8 here).
    QCOMPARE(scan->heatmap.cells[1], 0.0f);
    QCOMPARE(scan->heatmap.cells[6], 4.0f);
    // The fast finite path and Stats::addRange agree on a large finite tensor.
    auto wide = reader("wide");
    auto ws = scanTensor(*wide, 0, 512, nullptr);
    Stats ref;
    const std::vector<float> all = wide->readAll();
    ref.addRange(all.data(), int64_t(all.size()));
    QCOMPARE(ws->stats.count, ref.count);
    QCOMPARE(ws->stats.min, ref.min);
    QCOMPARE(ws->stats.max, ref.max);
    QCOMPARE(ws->stats.zeros, ref.zeros);
    QCOMPARE(ws->stats.absMax, ref.absMax);
    QVERIFY(std::fabs(ws->stats.sum - ref.sum) <= 1e-9 * (1 + std::fabs(ref.sum)));
    QVERIFY(std::fabs(ws->stats.sumSq - ref.sumSq) <= 1e-12 * ref.sumSq);
}

void TestPlotCompute::histogramCounts()
{
    auto r = reader("wide");
    auto scan = scanTensor(*r, 0, 512, nullptr);
    auto h = valueHistogram(*r, scan->stats, 0, nullptr);
    QVERIFY(h.ok());
    double total = 0;
    for (double c : h->counts) total += c;
    QCOMPARE(int64_t(total), int64_t(512 * 2048));
    QVERIFY(h->counts.size() >= 10 && h->counts.size() <= 400);
    QCOMPARE(h->lo, scan->stats.min);
    QCOMPARE(h->hi, scan->stats.max);
    QVERIFY(QString::fromStdString(h->binRule).startsWith("Scott"));
    // Fixed bins on the hand matrix: values {-7..5} in 4 bins of width 3.
    auto m = reader("m");
    auto ms = scanTensor(*m, 0, 512, nullptr);
    auto h4 = valueHistogram(*m, ms->stats, 4, nullptr);
    QCOMPARE(h4->counts, (std::vector<double>{1, 3, 17, 3}));  // [-7,-4) [-4,-1) [-1,2) [2,5]
    // Constant tensor: ±max(|v|·1e-6, 1e-6) range, everything in one bin.
    auto c = reader("constant");
    auto cs = scanTensor(*c, 0, 512, nullptr);
    auto hc = valueHistogram(*c, cs->stats, 0, nullptr);
    QCOMPARE(hc->lo, 0.25 - 1e-6);
    QCOMPARE(hc->hi, 0.25 + 1e-6);
    double inBins = 0;
    for (double v : hc->counts) inBins += v;
    QCOMPARE(inBins, 12.0);
}

void TestPlotCompute::errorHistogramsWholeAndSample()
{
    auto r = reader("wide");
    auto scan = scanTensor(*r, 0, 512, nullptr);
    std::vector<FormatChoice> fc = {{findFormat("bf16"), {}}, {findFormat("bfp4"), {}}, {findFormat("fp0"), {}}};
    auto whole = errorHistograms(*r, scan->stats, fc, 1 << 24, nullptr);
    QVERIFY(whole.ok());
    QCOMPARE(whole->sampled, int64_t(512 * 2048));
    QCOMPARE(whole->series.size(), size_t(3));
    QCOMPARE(whole->bins, 201);
    // fp0's error is -x: the range is ±max|x| and its histogram mirrors the values.
    QCOMPARE(whole->hi, double(scan->stats.absMax));
    for (const auto& s : whole->series) {
        double n = 0;
        for (double c : s.counts) n += c;
        QCOMPARE(int64_t(n), whole->sampled);
    }
    // A sample: whole 32-row stripes, evenly spaced, never more than asked.
    auto sample = errorHistograms(*r, scan->stats, fc, 100000, nullptr);
    QVERIFY(sample.ok());
    QVERIFY(sample->sampled <= 100000);
    QCOMPARE(sample->sampled % (32 * 2048), int64_t(0));
    QCOMPARE(sample->total, int64_t(512 * 2048));
    // Deterministic.
    auto again = errorHistograms(*r, scan->stats, fc, 100000, nullptr);
    QCOMPARE(again->series[1].counts, sample->series[1].counts);
    // Cancellation is an Error "cancelled".
    CancelFlag cancel;
    cancel.cancel();
    auto cancelled = errorHistograms(*r, scan->stats, fc, 1 << 24, &cancel);
    QVERIFY(!cancelled.ok());
    QCOMPARE(cancelled.error().message, std::string("cancelled"));
}

void TestPlotCompute::transferCurvesRangeAndLabels()
{
    Stats s;
    const float v[] = {0.5f, 0.5f};
    s.addRange(v, 2);
    std::vector<FormatChoice> fc = {{findFormat("bf16"), {}}, {findFormat("bfp8"), {}}};
    const std::vector<double> maes = {1.5e-5, 2.25e-3};
    const CurvePlotData d = transferCurves("t", s, fc, 1200, &maes);
    QCOMPARE(d.x.size(), size_t(1200));
    QCOMPARE(d.x.front(), double(float(0.5 - 1e-6)));
    QCOMPARE(d.x.back(), double(float(0.5 + 1e-6)));
    QCOMPARE(d.curves.size(), size_t(3));
    QCOMPARE(d.curves[0].label, std::string("Ideal"));
    QVERIFY(d.curves[0].reference);
    QCOMPARE(d.curves[1].label, std::string("BF16 (MAE=1.500e-05)"));
    QCOMPARE(d.curves[2].label, std::string("BFP8 (MAE=2.250e-03)"));
    for (size_t i = 0; i < d.x.size(); ++i) {
        float y = 0;
        const float x = float(d.x[i]);
        findFormat("bf16")->reference(&x, &y, 1, 1, QuantContext{}, FormatOptions{});
        QCOMPARE(float(d.curves[1].y[i]), y);
    }
    // Without MAEs: plain labels; a real range is [min, max].
    Stats r;
    const float w[] = {-2.0f, 3.0f};
    r.addRange(w, 2);
    const CurvePlotData e = transferCurves("t", r, fc, 5, nullptr);
    QCOMPARE(e.curves[1].label, std::string("BF16"));
    QCOMPARE(e.x, (std::vector<double>{-2.0, -0.75, 0.5, 1.75, 3.0}));
}

void TestPlotCompute::curvesCsv()
{
    CurvePlotData d;
    d.x = {0.0, 0.5};
    d.curves.push_back({"ideal", "IDEAL", {0.0, 0.5}, true});
    d.curves.push_back({"q", "Q, \"quoted\"", {0.0, 1.0 / 3.0}, false});
    const std::string csv = qs::curvesCsv(d);
    QCOMPARE(QString::fromStdString(csv), QStringLiteral("x,IDEAL,\"Q, \"\"quoted\"\"\"\n0,0,0\n0.5,0.5,0.333333333\n"));
}

void TestPlotCompute::buildersAreDeterministic()
{
    auto r = reader("wide");
    auto scan = scanTensor(*r, 0, 256, nullptr);
    auto hist = valueHistogram(*r, scan->stats, 0, nullptr);
    const HeatmapData heat = scan->heatmap;
    const HistogramData h = *hist;
    const QImage a = renderPlotImage([&](QCustomPlot* p) { buildHeatmapPlot(p, heat); }, 640, 480);
    const QImage b = renderPlotImage([&](QCustomPlot* p) { buildHeatmapPlot(p, heat); }, 640, 480);
    QCOMPARE(a.size(), QSize(640, 480));
    QVERIFY(a == b);
    const QImage c = renderPlotImage([&](QCustomPlot* p) { buildHistogramPlot(p, h); }, 640, 480);
    QVERIFY(c != a);
    // Log scale draws differently; its axis is logarithmic.
    HistogramData hl = h;
    hl.logY = true;
    QCustomPlot plot;
    buildHistogramPlot(&plot, hl);
    QCOMPARE(plot.yAxis->scaleType(), QCPAxis::stLogarithmic);
    // Writing a PNG goes through a temporary file and fails with a message naming the path.
    const QString bad = QStringLiteral("/proc/definitely/not/writable.png");
    auto res = savePlotPng([&](QCustomPlot* p) { buildHistogramPlot(p, h); }, bad, 200, 100);
    QVERIFY(!res.ok());
    QVERIFY(QString::fromStdString(res.error().message).contains("/proc/definitely"));
    QVERIFY(!savePlotPng([&](QCustomPlot* p) { buildHistogramPlot(p, h); }, m_dir.filePath("x.png"), 4, 4).ok());
}

QTEST_MAIN(TestPlotCompute)
#include "test_plot_compute.moc"
