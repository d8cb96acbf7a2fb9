// `quantscope reconstruct` and `quantscope sweep` run as processes (qs::test::binaryPath()) on the
// golden model repo: reconstruction bit-identical to the MIXED tensor, sweep numbers equal
// to the library's, and bad input -> exit 1, a message naming the field/file, no output.
#include "analysis/assignment_io.h"
#include "compression/mixed.h"
#include "formats_under_test.h"
#include "golden.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>

using namespace qs;

namespace {

const QString kRepo = qs::test::goldenPath(QStringLiteral("model/repo"));

struct Run {
    int code = -1;
    QString out, err;
};

Run run(const QStringList& args, const QString& cwd)
{
    QProcess p;
    p.setWorkingDirectory(cwd);
    p.start(qs::test::binaryPath(), args);
    Run r;
    if (!p.waitForFinished(120000)) return r;
    r.code = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

std::vector<float> goldenView(const QString& name, std::vector<int64_t>& shape)
{
    QString err;
    auto views = test::GoldenFile::load(test::goldenPath("model/fp32_views.safetensors"), &err);
    const test::GoldenTensor* t = views ? views->tensor(name) : nullptr;
    if (!t) return {};
    shape.assign(t->shape.begin(), t->shape.end());
    return t->toFloat();
}

// The float32 payload of a .npy we wrote (header length at bytes 8..9).
std::vector<float> readFloatNpy(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    const QByteArray b = f.readAll();
    const int start = 10 + (uint8_t(b[8]) | (uint8_t(b[9]) << 8));
    std::vector<float> v(size_t(b.size() - start) / 4);
    std::memcpy(v.data(), b.constData() + start, v.size() * 4);
    return v;
}

} // namespace

class TestCommands : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (!QFileInfo::exists(qs::test::binaryPath())) QSKIP("quantscope binary not built");
    }

    // An assignment written by wq, re-applied by reconstruct, equals the library's MIXED
    // tensor bit for bit (as .npy and as .safetensors).
    void reconstructFromWqRun()
    {
        QTemporaryDir dir;
        const QString cfg = dir.filePath("greedy.json");
        QVERIFY(writeFileAtomic(cfg, R"({"algorithm": "mixed-tile-greedy", "quantization_formats": ["bf16", "bfp8", "bfp4", "bfp2"],
                                          "params": {"metric": "pcc", "threshold": 0.999}})").ok());
        Run wq = run({"wq", kRepo, "model.layers.0.self_attn.q_a_proj.weight", "--compression-config", cfg, "--results-dir", dir.path()}, dir.path());
        QVERIFY2(wq.code == 0, qPrintable(wq.err));
        QDirIterator it(dir.path(), {"*_assignment.npy"}, QDir::Files, QDirIterator::Subdirectories);
        QVERIFY(it.hasNext());
        const QString npy = it.next();

        std::vector<int64_t> shape;
        const std::vector<float> x = goldenView("model.layers.0.self_attn.q_a_proj.weight", shape);
        QVERIFY(!x.empty());
        MixedParams p;
        p.candidates = qstest::fmts({"bf16", "bfp8", "bfp4", "bfp2"});
        auto mixed = runMixed(x.data(), shape, p);
        QVERIFY(mixed.ok());
        auto saved = readAssignmentNpy(npy);
        QVERIFY(saved.ok());
        QCOMPARE(saved->codes, mixed->assignment);
        auto want = reconstructMixed(x.data(), shape, mixed->assignment, p.candidates, {});
        QVERIFY(want.ok());

        Run r = run({"reconstruct", kRepo, "model.layers.0.self_attn.q_a_proj.weight", npy, "--out", dir.filePath("y.npy")}, dir.path());
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.out.contains("wrote"));
        const std::vector<float> y = readFloatNpy(dir.filePath("y.npy"));
        QCOMPARE(test::compareBits("reconstruct .npy", want->data(), y.data(), qint64(y.size())), QString());
        QCOMPARE(y.size(), x.size());

        r = run({"reconstruct", kRepo, "model.layers.0.self_attn.q_a_proj.weight", npy, "--out", dir.filePath("y.safetensors")}, dir.path());
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QString err;
        auto st = test::GoldenFile::load(dir.filePath("y.safetensors"), &err);
        QVERIFY2(st, qPrintable(err));
        const test::GoldenTensor* t = st->tensor("model.layers.0.self_attn.q_a_proj.weight");
        QVERIFY(t && t->dtype == "F32");
        const std::vector<float> ys = t->toFloat();
        QCOMPARE(test::compareBits("reconstruct .safetensors", want->data(), ys.data(), qint64(ys.size())), QString());
    }

    // #9.3: the mapping records the run's options, so reconstruct needs no flags to
    // reproduce a run made with --mx-scale rceil, and refuses a flag that contradicts it.
    void reconstructUsesRecordedOptions()
    {
        QTemporaryDir dir;
        const QString cfg = dir.filePath("thr.json");
        QVERIFY(writeFileAtomic(cfg, R"({"algorithm": "mixed-tile-threshold", "quantization_formats": ["bf16", "mxfp4", "bfp4"],
                                          "params": {"metric": "pcc", "threshold": 0.99, "formats": ["bf16", "mxfp4", "bfp4"]}})").ok());
        const char* name = "model.layers.0.self_attn.q_a_proj.weight";
        Run wq = run({"wq", kRepo, name, "-c", "bf16,mxfp4,bfp4", "--mx-scale", "rceil", "--compression-config", cfg,
                      "--results-dir", dir.path()}, dir.path());
        QVERIFY2(wq.code == 0, qPrintable(wq.err));
        QDirIterator it(dir.path(), {"*_assignment.npy"}, QDir::Files, QDirIterator::Subdirectories);
        QVERIFY(it.hasNext());
        const QString npy = it.next();
        std::vector<int64_t> shape;
        const std::vector<float> x = goldenView(name, shape);
        auto saved = readAssignmentNpy(npy);
        QVERIFY(saved.ok());
        QString mapPath = npy;
        mapPath.replace("_assignment.npy", "_assignment_mapping.json");
        auto mapping = readAssignmentMapping(mapPath);
        QVERIFY(mapping.ok());
        QCOMPARE(mapping->formats, (std::vector<std::string>{"bf16", "bfp4", "mxfp4"}));  // registry order
        QVERIFY(std::count(saved->codes.begin(), saved->codes.end(), int8_t(2)) > 0);  // MXFP4 tiles exist
        FormatOptions rceil;
        rceil.mxScale = MxScaleRule::Rceil;
        auto want = reconstructMixed(x.data(), shape, saved->codes, qstest::fmts({"bf16", "bfp4", "mxfp4"}), rceil);
        QVERIFY(want.ok());
        Run r = run({"reconstruct", kRepo, name, npy, "--out", dir.filePath("y.npy")}, dir.path());
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const std::vector<float> y = readFloatNpy(dir.filePath("y.npy"));
        QCOMPARE(test::compareBits("reconstruct with recorded options", want->data(), y.data(), qint64(y.size())), QString());
        r = run({"reconstruct", kRepo, name, npy, "--mx-scale", "floor", "--out", dir.filePath("z.npy")}, dir.path());
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("the assignment was made with --mx-scale rceil, but --mx-scale floor was given"), qPrintable(r.err));
        r = run({"reconstruct", kRepo, "lm_head.weight", npy}, dir.path());
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("the assignment is for tensor \"model.layers.0.self_attn.q_a_proj.weight\", not \"lm_head.weight\""),
                 qPrintable(r.err));
    }

    void reconstructErrors()
    {
        QTemporaryDir dir;
        const QString npy = dir.filePath("t_assignment.npy");
        QVERIFY(writeAssignmentNpy(npy, std::vector<int8_t>(6, 1), 2, 3).ok());
        QVERIFY(writeAssignmentMapping(dir.filePath("t_assignment_mapping.json"), {{"bf16", "bfp8"}, 2, 3, {}, {}, {}}).ok());
        Run r = run({"reconstruct", kRepo, "lm_head.weight", npy}, dir.path());
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(npy + ": assignment shape (2, 3) does not match tensor lm_head.weight of shape (180, 136), which has (6, 5) tiles"),
                 qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(dir.filePath("lm_head.weight_mixed.npy")));

        QFile m(dir.filePath("bad_mapping.json"));
        QVERIFY(m.open(QIODevice::WriteOnly));
        m.write(R"({"int_to_format": {"0": "bf16", "1": "bfp5"}})");
        m.close();
        r = run({"reconstruct", kRepo, "lm_head.weight", npy, "--assignment-mapping", dir.filePath("bad_mapping.json")}, dir.path());
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(dir.filePath("bad_mapping.json") + ": unknown format \"bfp5\""), qPrintable(r.err));

        r = run({"reconstruct", kRepo, "no.such.tensor", npy}, dir.path());
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("No tensor named \"no.such.tensor\""), qPrintable(r.err));
    }

    // sweep.csv holds the library's numbers: per threshold the mixed bytes/metric, and
    // the pure formats; the Pareto column marks the front.
    void sweepMatchesLibrary()
    {
        QTemporaryDir dir;
        Run r = run({"sweep", kRepo, "lm_head", "--thresholds", "0.99,0.999", "--algorithm", "threshold", "--out-dir", "out"}, dir.path());
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(QFileInfo::exists(dir.filePath("out/sweep.png")));
        QFile f(dir.filePath("out/sweep.csv"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines[0], QString("tensor,threshold,format,device_bytes,payload_bytes,bits_per_element,pcc,mae,atol,met_threshold,"
                                   "bf16_tiles,bfp8_tiles,bfp4_tiles,bfp2_tiles,pareto"));
        QCOMPARE(lines.size(), 1 + 4 + 2);

        std::vector<int64_t> shape;
        const std::vector<float> x = goldenView("lm_head.weight", shape);
        MixedParams p;
        p.algorithm = MixedAlgorithm::Threshold;
        p.candidates = qstest::fmts({"bf16", "bfp8", "bfp4", "bfp2"});
        auto sums = computeTileSums(x.data(), shape, p.candidates, {});
        QVERIFY(sums.ok());
        for (int i = 0; i < 2; ++i) {
            p.threshold = i == 0 ? 0.99 : 0.999;
            auto m = runMixedOnSums(*sums, p);
            const QStringList c = lines[5 + i].split(',');
            QCOMPARE(c[2], QString("mixed"));
            QCOMPARE(c[3].toDouble(), m->bytes);
            QCOMPARE(c[4].toDouble(), m->payloadBytes);
            QCOMPARE(c[6].toDouble(), m->metrics.pcc);
            QCOMPARE(c[10].toLongLong(), m->tileCounts[0]);
            QCOMPARE(c[13].toLongLong(), m->tileCounts[3]);
        }
        QVERIFY(lines[1].startsWith("\"lm_head.weight\",,bf16,61440,48960,"));  // device: 30 tiles; payload: 180 x 136 x 2
        QVERIFY(r.out.contains("MIXED"));
    }

    void sweepErrorsLeaveNoFolder()
    {
        QTemporaryDir dir;
        const std::pair<QStringList, QString> cases[] = {
            {{"--thresholds", "0.99,abc"}, "--thresholds: \"abc\" is not a number"},
            {{"--metric", "rmse"}, "--metric: unknown metric \"rmse\" (valid: pcc, mae, atol)"},
            {{"--algorithm", "random"}, "--algorithm: unknown algorithm \"random\" (valid: threshold, greedy)"},
            {{"--k", "0"}, "--k: expected an integer >= 1, got \"0\""},
            {{"-c", "fp8_e4m3"}, "-c: \"fp8_e4m3\" is not a tile format"},
            {{"-c", "bfp3"}, "-c: unknown format \"bfp3\""},
        };
        for (const auto& [extra, message] : cases) {
            Run r = run(QStringList{"sweep", kRepo, "lm_head", "--out-dir", "out"} + extra, dir.path());
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.contains(message), qPrintable(r.err));
        }
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
    }
};

QTEST_GUILESS_MAIN(TestCommands)
#include "test_commands.moc"
