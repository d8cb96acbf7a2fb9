// `quantscope plot synth|weights` run as a user would (the real binary, offscreen):
// files written, CSV columns and values (equal to the core curves, which the synth
// golden test ties to tests/data/golden/synth), PNG sizes, and the error messages and
// exit codes of bad arguments.
#include "analysis/synth.h"
#include "test_paths.h"
#include "analysis/wq_run.h"
#include "formats/format.h"
#include "gui_test_util.h"
#include "io/selection.h"

#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace qs;

namespace {

struct Run {
    int code = -1;
    QString out;
};

Run runBinary(const QStringList& args, const QString& cwd = QString())
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    if (!cwd.isEmpty()) p.setWorkingDirectory(cwd);
    p.start(qs::test::binaryPath(), args);
    Run r;
    if (!p.waitForFinished(120000)) return r;
    r.out = QString::fromUtf8(p.readAll());
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

QStringList readLines(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
}

} // namespace

class TestPlotCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void synthPngAndCsv();
    void synthDefaultOutWithoutDisplay();
    void weightsPngsAndCsv();
    void badArguments();

private:
    QTemporaryDir m_dir;
};

void TestPlotCli::synthPngAndCsv()
{
    const QString png = m_dir.filePath("s/synth.png"), csv = m_dir.filePath("s/synth.csv");
    const Run r = runBinary({"plot", "synth", "-c", "bfp8", "-c", "mxfp4_proxy", "--rand-samples", "20", "--no-show",
                             "--out", png, "--csv", csv, "--size", "900x500"});
    QVERIFY2(r.code == 0, qPrintable(r.out));
    QVERIFY(r.out.contains("wrote " + png));
    QCOMPARE(QImage(png).size(), QSize(900, 500));
    const QStringList lines = readLines(csv);
    QCOMPARE(lines.size(), 401);
    QCOMPARE(lines[0], QStringLiteral("x,IDEAL,BFP8 (ideal exp),BFP8 (rand16 exp),MXFP4 (ref)"));
    SynthParams p;
    p.formats = {{findFormat("bfp8"), {}}, {findFormat("mxfp4_proxy"), {}}};
    p.randSamples = 20;
    auto curves = makeSynthCurves(p);
    QVERIFY(curves.ok());
    for (int i = 1; i <= 400; i += 37) {
        const QStringList cells = lines[i].split(',');
        QCOMPARE(cells.size(), 5);
        QCOMPARE(float(cells[0].toDouble()), curves->x[size_t(i - 1)]);
        for (int c = 1; c < 5; ++c) QCOMPARE(float(cells[c].toDouble()), curves->curves[size_t(c - 1)].y[size_t(i - 1)]);
    }
}

void TestPlotCli::synthDefaultOutWithoutDisplay()
{
    // No --out and no display: the plot still lands somewhere, and the note says why.
    QDir().mkpath(m_dir.filePath("cwd"));
    const Run r = runBinary({"plot", "synth", "-c", "bf16"}, m_dir.filePath("cwd"));
    QVERIFY2(r.code == 0, qPrintable(r.out));
    QVERIFY(QFileInfo::exists(m_dir.filePath("cwd/plots/compare_reconstr_error_synth_data.png")));
    QVERIFY(r.out.contains("no display"));
}

void TestPlotCli::weightsPngsAndCsv()
{
    const QString outDir = m_dir.filePath("w"), csvDir = m_dir.filePath("wcsv");
    const Run r = runBinary({"plot", "weights", qs::test::demoDir(), "model.layers.0.self_attn", "-c", "bf16", "-c", "bfp4",
                             "--points", "300", "--out-dir", outDir, "--csv-dir", csvDir, "--size", "640x400"});
    QVERIFY2(r.code == 0, qPrintable(r.out));
    auto model = qs::test::openLocal(qs::test::demoDir());
    QVERIFY(model);
    auto names = selectTensors(model->tensorNames(), QStringList{"model.layers.0.self_attn"});
    QVERIFY(names.ok() && names->size() >= 2);
    for (const std::string& n : *names) {
        const QString slug = QString::fromStdString(slugify(n));
        QCOMPARE(QImage(outDir + "/" + slug + ".png").size(), QSize(640, 400));
        const QStringList lines = readLines(csvDir + "/" + slug + ".csv");
        QCOMPARE(lines.size(), 301);
        QVERIFY2(lines[0].startsWith("x,Ideal,BF16 (MAE="), qPrintable(lines[0]));
        QVERIFY(lines[0].contains(",BFP4 (MAE="));
        // x spans the tensor's [min, max].
        auto reader = model->reader(n);
        QVERIFY(reader.ok());
        const std::vector<float> v = (*reader)->readAll();
        float lo = v[0], hi = v[0];
        for (float x : v) {
            lo = std::min(lo, x);
            hi = std::max(hi, x);
        }
        QCOMPARE(float(lines[1].split(',')[0].toDouble()), lo);
        QCOMPARE(float(lines[300].split(',')[0].toDouble()), hi);
    }
}

void TestPlotCli::badArguments()
{
    Run r = runBinary({"plot", "synth", "--rand-samples", "0", "--no-show"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.out.contains("--rand-samples"), qPrintable(r.out));
    r = runBinary({"plot", "synth", "-c", "bfp9", "--no-show"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.out.contains("bfp9"), qPrintable(r.out));
    r = runBinary({"plot", "histogram"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.out.contains("synth or weights"));
    r = runBinary({"plot", "synth", "--size", "huge", "--no-show"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.out.contains("WIDTHxHEIGHT"));
    r = runBinary({"plot", "weights", m_dir.filePath("missing-model")});
    QCOMPARE(r.code, 2);
    QVERIFY(r.out.contains("missing-model"));
    r = runBinary({"plot", "weights", qs::test::demoDir(), "no_such_tensor", "--out-dir", m_dir.filePath("none")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.out.contains("No tensors matched"), qPrintable(r.out));
}

QTEST_GUILESS_MAIN(TestPlotCli)
#include "test_plot_cli.moc"
