// The headless commands as a user runs them: output layout, results folder, exit
// codes and error messages, `wq` as argv[0], list and export.
#include "cli_runner.h"
#include "test_paths.h"

#include "io/safetensors_writer.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <vector>

namespace {

QString goldenRepo() { return qs::test::goldenPath(QStringLiteral("model/repo")); }

QString onlySubdir(const QString& path)
{
    const QStringList e = QDir(path).entryList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden);
    return e.size() == 1 ? QDir(path).filePath(e.first()) : QString();
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestWqCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void reportLayoutAndResultsFolder()
    {
        QTemporaryDir tmp;
        const CliRun r = runCli({"wq", goldenRepo(), "model.layers.1", "-c", "bf16", "-c", "bfp8", "--summary",
                                 "--results-dir", tmp.path()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QString out = QString::fromUtf8(r.out);
        const QStringList lines = out.split('\n');
        QCOMPARE(lines[0], QString("repo @local - 5 tensors"));
        QCOMPARE(lines[1], QString("formats: bf16, bfp8"));
        QCOMPARE(lines[2], QString("compression: none"));
        QCOMPARE(lines[3], QString("backend: emulation"));
        QVERIFY(out.contains("Hierarchy\n  └── model (5)\n      └── layers (5)\n          └── 1 (5)\n"));
        QVERIFY(out.contains("model.layers.1.mlp.gate.weight\n  shape=(2, 136) min="));
        QVERIFY(out.contains("  COMP  FORMAT       PCC        MAE       ATOL  TIME(s)   SIZE  DEVICE       RMSE  SQNR(dB)    BITS     REL\n  none  BF16     "));
        QVERIFY(out.contains("Summary (mean across matched tensors)\n  none  BF16  pcc="));
        QVERIFY(!out.contains("\033["));  // NO_COLOR

        // results/<model>/<algorithm>/<stamp>/ with table.txt == the printed tables.
        const QString run = onlySubdir(tmp.path() + "/results/repo/none");
        QVERIFY2(!run.isEmpty() && !QFileInfo(run).fileName().startsWith('.'), qPrintable(run));
        const QByteArray table = readAll(run + "/table.txt");
        QVERIFY(!table.isEmpty());
        QVERIFY(r.out.endsWith(table));
        QVERIFY(table.startsWith("model.layers.1.input_layernorm.weight\n"));
        const QJsonObject used = QJsonDocument::fromJson(readAll(run + "/compression_config.used.json")).object();
        QCOMPARE(used["algorithm"].toString(), QString("none"));
        QCOMPARE(used["quantization_formats"].toArray(), QJsonArray({"bf16", "bfp8"}));
        QVERIFY(!used.contains("seed"));
        const QJsonObject results = QJsonDocument::fromJson(readAll(run + "/results.json")).object();
        QCOMPARE(results["tensors"].toArray().size(), 5);
        QCOMPARE(results["tensors"].toArray()[0].toObject()["rows"].toArray().size(), 2);
        // Every format option is recorded, defaults included (issue #15 §4).
        const QJsonObject defaults = results["format_options"].toObject();
        QCOMPARE(defaults.size(), 9);
        QCOMPARE(defaults["mx-scale"].toString(), QString("floor"));
        QCOMPARE(defaults["mx-convention"].toString(), QString("ocp"));
        QCOMPARE(defaults["nvfp4-convention"].toString(), QString("nvidia-spec"));
        QCOMPARE(defaults["elem-rounding"].toString(), QString("default"));
        QCOMPARE(defaults["nvfp4-2d"].toString(), QString("off"));
        QCOMPARE(defaults["fp8-scaling"].toString(), QString("cast"));
        QVERIFY(!out.contains("options:"));
    }

    void formatOptionsRecorded()
    {
        // Non-default options: in the printed header, first in table.txt, all in results.json.
        QTemporaryDir tmp;
        const CliRun r = runCli({"wq", goldenRepo(), "gate", "-c", "mxfp4", "-c", "nvfp4", "-c", "fp8_e4m3", "--mx-scale",
                                 "rceil", "--nvfp4-2d", "--nvfp4-convention", "te", "--fp8-nonsaturating",
                                 "--elem-rounding", "rne", "--results-dir", tmp.path()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QString out = QString::fromUtf8(r.out);
        const QString flags = "--mx-scale rceil --elem-rounding rne --nvfp4-convention te --nvfp4-2d --fp8-nonsaturating";
        QVERIFY2(out.contains("\nbackend: emulation\noptions: " + flags + "\n"), qPrintable(out));
        const QString run = onlySubdir(tmp.path() + "/results/repo/none");
        QVERIFY(!run.isEmpty());
        QVERIFY(readAll(run + "/table.txt").startsWith(("options: " + flags + "\n\nmodel.layers.1.mlp.gate.weight\n").toUtf8()));
        const QJsonObject o = QJsonDocument::fromJson(readAll(run + "/results.json")).object()["format_options"].toObject();
        QCOMPARE(o["mx-scale"].toString(), QString("rceil"));
        QCOMPARE(o["nvfp4-2d"].toString(), QString("on"));
        QCOMPARE(o["nvfp4-convention"].toString(), QString("te"));
        QCOMPARE(o["fp8-nonsaturating"].toString(), QString("on"));
        QCOMPARE(o["elem-rounding"].toString(), QString("rne"));
    }

    // #14: nothing is ignored silently. An option none of the selected formats reads, two
    // options that contradict each other, and the retired --nvfp4-clamp are refused with
    // exit 1 and a message naming them, in every command that takes format options.
    void inapplicableOptionsAreRefused()
    {
        struct Case {
            QStringList args;
            const char* message;
        };
        const QString repo = goldenRepo();
        const Case cases[] = {
            {{"wq", repo, "gate", "-c", "bf16,bfp8", "--mx-scale", "rceil", "--no-results"},
             "--mx-scale rceil applies to mxfp4, mxfp6, mxfp6_e3m2, mxfp8 and mxfp8_e5m2 only, and none of the selected "
             "formats (bf16, bfp8) reads it"},
            {{"wq", repo, "gate", "-c", "bfp2", "--bfp-optimize", "--no-results"},
             "--bfp-optimize applies to bfp8 and bfp4 only, and none of the selected formats (bfp2) reads it"},
            {{"wq", repo, "gate", "-c", "bf16", "--elem-rounding", "away", "--no-results"},
             "--elem-rounding away applies to mxfp4, mxfp6, mxfp6_e3m2, mxfp8, mxfp8_e5m2, nvfp4, fp8_e4m3 and "
             "fp8_e5m2 only"},
            {{"wq", repo, "gate", "-c", "nvfp4", "--nvfp4-convention", "te", "--elem-rounding", "away", "--no-results"},
             "--elem-rounding away cannot be combined with --nvfp4-convention te: that stack's E2M1 encoder rounds ties "
             "to even"},
            {{"wq", repo, "gate", "-c", "mxfp4", "--mx-convention", "microxcaling", "--mx-scale", "even", "--no-results"},
             "--mx-scale cannot be combined with --mx-convention microxcaling"},
            {{"wq", repo, "gate", "-c", "nvfp4", "--nvfp4-clamp", "modelopt", "--no-results"},
             "--nvfp4-clamp was replaced by --nvfp4-convention"},
            {{"export", repo, "gate", "-c", "bfp8", "--fp8-scaling", "block128", "--out", "x.safetensors"},
             "--fp8-scaling block128 applies to fp8_e4m3 and fp8_e5m2 only, and none of the selected formats (bfp8)"},
            {{"sweep", repo, "gate", "-c", "bfp8,bfp4", "--nvfp4-2d"},
             "--nvfp4-2d applies to nvfp4 only, and none of the selected formats (bfp8, bfp4) reads it"},
            {{"plot", "synth", "-c", "bfp8", "--bf16-nan", "canonical", "--no-show", "--out", "x.png"},
             "--bf16-nan canonical applies to bf16 only"},
        };
        for (const Case& c : cases) {
            QTemporaryDir tmp;
            const CliRun r = runCli(c.args, tmp.path());
            QVERIFY2(r.exitCode == 1, qPrintable(c.args.join(' ') + " -> " + QString::number(r.exitCode) + " " + r.err));
            QVERIFY2(r.err.contains(c.message), qPrintable(c.args.join(' ') + " -> " + r.err));
        }
    }

    void jsonOnStdoutAndNoResults()
    {
        QTemporaryDir tmp;
        // #9.7: stdout is exactly one valid JSON document (usable in a pipe), with the
        // summary rows, and an exact reconstruction's SQNR as null named in "nonfinite".
        const CliRun r = runCli({"wq", goldenRepo(), "gate", "-c", "bfp4,bf16", "--json", "--summary", "--no-results"},
                                tmp.path());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.startsWith("{\n") && r.out.endsWith("}\n"), r.out.left(200).constData());
        QJsonParseError e;
        const QJsonObject doc = QJsonDocument::fromJson(r.out, &e).object();
        QCOMPARE(e.error, QJsonParseError::NoError);
        QCOMPARE(doc["tensors"].toArray().size(), 1);
        QCOMPARE(doc["tensors"].toArray()[0].toObject()["name"].toString(), QString("model.layers.1.mlp.gate.weight"));
        QVERIFY(!r.out.contains("\"inf\"") || r.out.contains("\"nonfinite\""));
        const QJsonArray summary = doc["summary"].toArray();
        QCOMPARE(summary.size(), 2);
        QCOMPARE(summary[0].toObject()["label"].toString(), QString("BFP4"));
        QCOMPARE(summary[0].toObject()["tensors"].toInt(), 1);
        QVERIFY(summary[0].toObject()["mean_pcc"].toDouble() > 0.9);
        QVERIFY(!QDir(tmp.path() + "/results").exists());
        // an exact row: sqnr_db is null and "nonfinite" says it is +inf
        QTemporaryDir t2;
        const QString m = t2.filePath("m.safetensors");
        std::vector<uint8_t> b(64 * 4, 0);
        for (int i = 0; i < 64; ++i) {
            const float v = float(i - 32);  // exact in bf16
            std::memcpy(b.data() + 4 * i, &v, 4);
        }
        QVERIFY(qs::writeSafetensors(m, {{{"w", qs::DType::F32, {8, 8}}, b}}).ok());
        const CliRun x = runCli({"wq", m, "-c", "bf16", "--json", "--no-results"});
        const QJsonObject row = QJsonDocument::fromJson(x.out).object()["tensors"].toArray()[0].toObject()["rows"].toArray()[0].toObject();
        QVERIFY(row["sqnr_db"].isNull());
        QCOMPARE(row["nonfinite"].toObject()["sqnr_db"].toString(), QString("inf"));
        QCOMPARE(row["pcc"].toDouble(), 1.0);
    }

    void errorsHaveMessagesAndExitCodes()
    {
        QTemporaryDir tmp;
        CliRun r = runCli({"wq", goldenRepo(), "no_such_tensor", "--results-dir", tmp.path()});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("No tensors matched \"no_such_tensor\""), r.err.constData());
        QVERIFY(!QDir(tmp.path() + "/results").exists());

        r = runCli({"wq", goldenRepo(), "-c", "bfp9"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("unknown format \"bfp9\""));
        QVERIFY(r.err.contains("bfp8"));

        r = runCli({"wq", tmp.path() + "/missing-model"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("missing-model"), r.err.constData());

        r = runCli({"wq", goldenRepo(), "--backend", "ttnn"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("tt-metal"));

        const QString bad = tmp.filePath("bad.json");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"algorithm": "mixed-tile-sideways"})");
        f.close();
        r = runCli({"wq", goldenRepo(), "--compression-config", bad, "--results-dir", tmp.path()});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("algorithm"), r.err.constData());
        QVERIFY(!QDir(tmp.path() + "/results").exists());

        r = runCli({"wq", goldenRepo(), "--limit", "x"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("--limit"));
    }

    void malformedModelFilesAreModelFailures()
    {
        QTemporaryDir tmp;
        // A shard cut short in its data section, and a header that lies about its length.
        const QByteArray good = readAll(qs::test::goldenPath(QStringLiteral("model/repo/model-00002-of-00002.safetensors")));
        QVERIFY(good.size() > 1000);
        QFile cut(tmp.filePath("cut.safetensors"));
        QVERIFY(cut.open(QIODevice::WriteOnly));
        cut.write(good.left(good.size() - 100));
        cut.close();
        CliRun r = runCli({"wq", cut.fileName(), "--no-results"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("cut.safetensors"), r.err.constData());

        QFile lying(tmp.filePath("lying.safetensors"));
        QVERIFY(lying.open(QIODevice::WriteOnly));
        QByteArray bytes = good;
        bytes[0] = char(0xFF);  // header length far beyond the file
        bytes[1] = char(0xFF);
        bytes[2] = char(0xFF);
        lying.write(bytes);
        lying.close();
        r = runCli({"wq", lying.fileName(), "--no-results"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("lying.safetensors") && r.err.contains("header"), r.err.constData());
    }

    void invokedAsWq()
    {
        QTemporaryDir tmp;
        const QString link = tmp.filePath("wq");
        QVERIFY(QFile::link(qs::test::binaryPath(), link));
        const CliRun r = runCli({goldenRepo(), "inv_freq", "-c", "bf16", "--no-results"}, tmp.path(),
                                QProcessEnvironment::systemEnvironment(), link);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("model.layers.0.self_attn.rotary_emb.inv_freq"));
        // `wq --version` names itself and the package, with the one version number.
        const CliRun h = runCli({"--help"}, tmp.path(), QProcessEnvironment::systemEnvironment(), link);
        QVERIFY2(h.out.startsWith("Usage: wq [options] MODEL [FILTER...]\n"), h.out.left(120).constData());
        const CliRun v = runCli({"--version"}, tmp.path(), QProcessEnvironment::systemEnvironment(), link);
        const CliRun q = runCli({"--version"});
        QCOMPARE(v.exitCode, 0);
        QVERIFY2(q.out.startsWith("quantscope ") && q.out.size() > 13, q.out.constData());
        QCOMPARE(v.out, "wq (quantscope) " + q.out.mid(11));
    }

    // #9.1: OpenMP workers wait passively unless the user chose otherwise (libgomp's own
    // report of what it read: GOMP_SPINCOUNT 0 = passive, 300000 = the default spin).
    void openMpWaitsPassively()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove("OMP_WAIT_POLICY");
        env.remove("GOMP_SPINCOUNT");
        env.insert("OMP_DISPLAY_ENV", "verbose");
        CliRun r = runCli({"--version"}, QString(), env);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.trimmed().endsWith("OPENMP DISPLAY ENVIRONMENT END") || r.err.contains("GOMP_SPINCOUNT"), r.err.constData());
        QVERIFY2(r.err.mid(r.err.lastIndexOf("GOMP_SPINCOUNT")).startsWith("GOMP_SPINCOUNT = '0'"), r.err.constData());
        QCOMPARE(r.out, runCli({"--version"}).out);
        env.insert("OMP_WAIT_POLICY", "active");
        r = runCli({"--version"}, QString(), env);
        QVERIFY2(r.err.mid(r.err.lastIndexOf("GOMP_SPINCOUNT")).startsWith("GOMP_SPINCOUNT = '30000000000'"),
                 r.err.constData());
    }

    // #9.1: runs of small tensors are analysed side by side, big ones alone; the report
    // is the same with one thread or two, in the same (natural) order.
    void manySmallTensorsSameResultsAnyThreads()
    {
        QTemporaryDir tmp;
        const QString model = tmp.filePath("m.safetensors");
        std::vector<std::vector<uint8_t>> bytes;
        std::vector<qs::TensorData> t;
        bytes.reserve(303);
        for (int i = 0; i < 303; ++i) {
            // mostly tiny, two big enough to run alone (>= 128K elements), one integer-valued
            const std::vector<int64_t> shape = i == 100 || i == 250 ? std::vector<int64_t>{512, 300}
                                               : i % 3 ? std::vector<int64_t>{24, 40} : std::vector<int64_t>{3, 3, 8, 1};
            int64_t n = 1;
            for (int64_t d : shape) n *= d;
            bytes.emplace_back(size_t(n) * 4);
            for (int64_t k = 0; k < n; ++k) {
                const float v = std::sin(float(i * 7919 + k) * 0.37f) * (1.0f + float(i % 5));
                std::memcpy(bytes.back().data() + 4 * k, &v, 4);
            }
            t.push_back({{"layer." + std::to_string(i) + ".weight", qs::DType::F32, shape}, bytes.back()});
        }
        QVERIFY(qs::writeSafetensors(model, t).ok());
        auto run = [&](const char* threads) {
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert("OMP_NUM_THREADS", threads);
            const CliRun r = runCli({"wq", model, "-c", "all,fp8_e4m3", "--no-results", "--json"}, QString(), env);
            if (r.exitCode != 0) qWarning("%s", r.err.constData());
            QJsonObject doc = QJsonDocument::fromJson(r.out).object();
            QJsonArray tensors = doc["tensors"].toArray();
            for (qsizetype i = 0; i < tensors.size(); ++i) {  // timings differ; nothing else may
                QJsonObject o = tensors[i].toObject();
                QJsonArray rows = o["rows"].toArray();
                for (qsizetype k = 0; k < rows.size(); ++k) {
                    QJsonObject row = rows[k].toObject();
                    row.remove("seconds");
                    rows[k] = row;
                }
                o["rows"] = rows;
                tensors[i] = o;
            }
            return tensors;
        };
        const QJsonArray one = run("1"), two = run("2");
        QCOMPARE(one.size(), 303);
        QCOMPARE(one[10].toObject()["name"].toString(), QString("layer.10.weight"));  // natural order
        QCOMPARE(one[302].toObject()["name"].toString(), QString("layer.302.weight"));
        QCOMPARE(one[100].toObject()["numel"].toInt(), 512 * 300);
        QVERIFY(one == two);
    }

    // #9.5: PCC of a 1-element or constant tensor is n/a, left out of the summary mean
    // (and counted); --pcc-undefined original restores the original's 1.0 / 0.0.
    void undefinedPccIsNa()
    {
        QTemporaryDir tmp;
        const QString m = tmp.filePath("m.safetensors");
        auto floatsOf = [](std::vector<float> v) {
            std::vector<uint8_t> b(v.size() * 4);
            std::memcpy(b.data(), v.data(), b.size());
            return b;
        };
        std::vector<float> ramp(256);
        for (int i = 0; i < 256; ++i) ramp[size_t(i)] = std::sin(float(i)) * 0.1f;
        const auto a = floatsOf(ramp), bias = floatsOf({0.123456789f}), ones = floatsOf(std::vector<float>(64, 1.0f));
        QVERIFY(qs::writeSafetensors(m, {{{"a.weight", qs::DType::F32, {16, 16}}, a},
                                         {{"b.bias.weight", qs::DType::F32, {1}}, bias},
                                         {{"c.norm.weight", qs::DType::F32, {64}}, ones}})
                    .ok());
        CliRun r = runCli({"wq", m, "-c", "bf16", "--summary", "--no-results"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QStringList lines = QString::fromUtf8(r.out).split('\n');
        auto pccOf = [&](const QString& tensor) {
            for (qsizetype i = 0; i + 3 < lines.size(); ++i)
                if (lines[i] == tensor) return lines[i + 3].simplified().section(' ', 2, 2);
            return QString();
        };
        QCOMPARE(pccOf("b.bias.weight"), QString("n/a"));
        QCOMPARE(pccOf("c.norm.weight"), QString("n/a"));
        const QString aPcc = pccOf("a.weight");
        QVERIFY(aPcc.startsWith("0.99") || aPcc.startsWith("1.0"));
        QVERIFY2(r.out.contains("  none  BF16  pcc= " + aPcc.toUtf8() + "  mae="), r.out.constData());
        QVERIFY(r.out.contains("(2 n/a)"));

        r = runCli({"wq", m, "-c", "bf16", "--summary", "--no-results", "--pcc-undefined", "original"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("options: --pcc-undefined original"));
        const QStringList orig = QString::fromUtf8(r.out).split('\n');
        // #9.7: SIZE reads in a unit that fits (the original's GB column said 0.000)
        QVERIFY(orig.contains("  none  BF16     1.00000  0.000e+00  0.000e+00    0.000  128 B  2.0 KB  0.000e+00       inf  16.000  0.00%"));
        QVERIFY(!r.out.contains("n/a"));
        QVERIFY(r.out.contains("  none  BF16     0.00000  "));  // the [1] bias, not exact in bf16
        r = runCli({"wq", m, "-c", "bf16", "--pcc-undefined", "zero"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("--pcc-undefined: expected n/a or original, got \"zero\""));
    }

    // #9.7: a single-file model is titled and filed by its folder and stem.
    void singleFileModelNamedByFolderAndStem()
    {
        QTemporaryDir tmp;
        QVERIFY(QDir().mkpath(tmp.filePath("face-detect")));
        const QString m = tmp.filePath("face-detect/model.safetensors");
        std::vector<uint8_t> b(64 * 4);
        for (int i = 0; i < 64; ++i) {
            const float v = 0.01f * float(i);
            std::memcpy(b.data() + 4 * i, &v, 4);
        }
        QVERIFY(qs::writeSafetensors(m, {{{"w.weight", qs::DType::F32, {8, 8}}, b}}).ok());
        const CliRun r = runCli({"wq", m, "-c", "bf16", "--results-dir", tmp.path()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.startsWith("face-detect/model @local - 1 tensors\n"), r.out.left(80).constData());
        QVERIFY(QDir(tmp.filePath("results/face-detect__model/none")).exists());
        // #9.4: the hierarchy is in natural order and '/' names form a tree
        const QString tf = tmp.filePath("face-detect/tf.safetensors");
        QVERIFY(qs::writeSafetensors(tf, {{{"net/conv2d_10/weight", qs::DType::F32, {8, 8}}, b},
                                          {{"net/conv2d_2/weight", qs::DType::F32, {8, 8}}, b}})
                    .ok());
        const CliRun h = runCli({"wq", tf, "-c", "bf16", "--no-results"});
        QVERIFY2(h.out.contains("Hierarchy\n  └── net (2)\n      ├── conv2d_2\n      │   └── weight\n      └── conv2d_10\n"),
                 h.out.constData());
        QVERIFY(h.out.indexOf("\nnet/conv2d_2/weight\n") < h.out.indexOf("\nnet/conv2d_10/weight\n"));
        // list says nothing about FP8 scales when there are none
        const CliRun l = runCli({"list", m});
        QVERIFY2(l.out.contains("\nlogical: 64 parameters, 256 B as fp32\n"), l.out.constData());
        QVERIFY(!l.out.contains("FP8"));
    }

    // #9.4: integer and bool tensors are skipped with one line naming their dtypes (list
    // marks them); a FILTER or --regex selects among all tensors, not only "weight" ones.
    void integersSkippedAndFiltersSeeAll()
    {
        QTemporaryDir tmp;
        const QString m = tmp.filePath("m.safetensors");
        std::vector<uint8_t> f(64 * 4), i32(64 * 4, 1), b8(64, 1);
        for (int i = 0; i < 64; ++i) {
            const float v = 0.01f * float(i % 9);
            std::memcpy(f.data() + 4 * i, &v, 4);
        }
        QVERIFY(qs::writeSafetensors(m, {{{"conv.weight", qs::DType::F32, {8, 8}}, f},
                                         {{"conv.bias", qs::DType::F32, {64}}, f},
                                         {{"index.weight", qs::DType::I32, {64}}, i32},
                                         {{"mask.weight", qs::DType::BOOL, {64}}, b8}})
                    .ok());
        CliRun r = runCli({"wq", m, "-c", "bf16", "--no-results"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.contains("note: skipped 2 integer tensors (I32, BOOL): integers and booleans are not quantized\n"),
                 r.err.constData());
        QVERIFY(r.out.contains(" - 1 tensors\n") && r.out.contains("\nconv.weight\n"));
        r = runCli({"wq", m, "-c", "bf16", "--no-results", "--regex", "."});
        QVERIFY(r.out.contains(" - 2 tensors\n") && r.out.contains("\nconv.bias\n"));
        r = runCli({"wq", m, "-c", "bf16", "--no-results", "--all"});
        QVERIFY(r.out.contains(" - 2 tensors\n"));
        r = runCli({"wq", m, "-c", "bf16", "--no-results", "conv"});
        QVERIFY(r.out.contains(" - 2 tensors\n"));  // the bias too: a filter sees all tensors
        r = runCli({"wq", m, "-c", "bf16", "--no-results", "index"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("No float tensors matched; skipped 1 integer tensor (I32): integers and booleans are not quantized."),
                 r.err.constData());
        const CliRun l = runCli({"list", m});
        QVERIFY2(l.out.contains("(integer: not quantized)"), l.out.constData());

        // #9.6: a [64] tensor is one row of 64: full blocks; a depthwise [3, 3, 8, 1] kernel
        // holds one real value per block: flagged in the row, explained, and in the JSON.
        const QString dwm = tmp.filePath("dw.safetensors");
        QVERIFY(qs::writeSafetensors(dwm, {{{"dw.weight", qs::DType::F32, {2, 2, 16, 1}}, f}}).ok());
        r = runCli({"wq", dwm, "-c", "bfp8,mxfp4,bf16", "--no-results"});
        // BITS are payload bits: one 8-bit element and one 8-bit block scale per value
        // REL: 0.270 % of the weights' RMS (rel_rmse, #18)
        QVERIFY2(r.out.contains("  16.000  0.270%  [block: 1.0 of 16 real]\n  note: BFP8: the block axis (the last dimension) is shorter "
                                "than its 16-element block; each block holds only 1.0 real values"),
                 r.out.constData());
        QVERIFY(r.out.contains("  12.000   16.2%  [block: 1.0 of 32 real]\n"));
        QVERIFY(QString::fromUtf8(r.out).contains(QRegularExpression("none  BF16 .*  16.000  +\\d\\.\\d+%\n")));  // BF16 has no blocks
        r = runCli({"wq", dwm, "-c", "mxfp4", "--no-results", "--json"});
        const QJsonObject fill = QJsonDocument::fromJson(r.out).object()["tensors"].toArray()[0].toObject()["rows"]
                                     .toArray()[0].toObject()["block_fill"].toObject();
        QCOMPARE(fill["block"].toInt(), 32);
        QCOMPARE(fill["real_per_block"].toDouble(), 1.0);
    }

    // #9.2: payload bytes (elements + one scale byte per started block + per-tensor
    // extras) and device bytes (whole 32x32 tiles) in every row; a MIXED row whose
    // assignment is one format everywhere equals that format's pure row in both.
    void payloadAndDeviceBytes()
    {
        QTemporaryDir tmp;
        const QString m = tmp.filePath("m.safetensors");
        std::vector<uint8_t> a(70 * 50 * 4), b(1000 * 4);
        for (size_t i = 0; i < a.size() / 4; ++i) {
            const float v = std::sin(float(i) * 0.3f) * 0.05f;
            std::memcpy(a.data() + 4 * i, &v, 4);
        }
        for (size_t i = 0; i < b.size() / 4; ++i) {
            const float v = std::cos(float(i) * 0.7f) * 0.05f;
            std::memcpy(b.data() + 4 * i, &v, 4);
        }
        QVERIFY(qs::writeSafetensors(m, {{{"a.weight", qs::DType::F32, {70, 50}}, a}, {{"b.weight", qs::DType::F32, {1000}}, b}}).ok());
        const QString cfg = tmp.filePath("one.json");
        QFile c(cfg);
        QVERIFY(c.open(QIODevice::WriteOnly));
        c.write(R"({"algorithm": "mixed-tile-threshold", "params": {"metric": "pcc", "threshold": 0.0, "formats": ["bfp8"]}})");
        c.close();
        const CliRun r = runCli({"wq", m, "-c", "bfp8,nvfp4", "--compression-config", cfg, "--no-results", "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonArray tensors = QJsonDocument::fromJson(r.out).object()["tensors"].toArray();
        QCOMPARE(tensors.size(), 2);
        struct Want { double payload, device; };
        // a [70, 50]: 70 rows x (50 B + 4 scale bytes); 3 x 2 tiles of 1,088 B.
        // b [1000]: 1,000 B + 63 scale bytes; one 32-row tile of the 1-D tile view.
        const Want want[] = {{70.0 * 54.0, 6.0 * 1088.0}, {1063.0, 1088.0}};
        for (int t = 0; t < 2; ++t) {
            const QJsonArray rows = tensors[t].toObject()["rows"].toArray();
            QJsonObject pure, mixed, nv;
            for (const auto& v : rows) {
                const QJsonObject o = v.toObject();
                if (o["format"] == "bfp8") pure = o;
                if (o["format"] == "mixed") mixed = o;
                if (o["format"] == "nvfp4") nv = o;
            }
            QCOMPARE(pure["payload_bytes"].toDouble(), want[t].payload);
            QCOMPARE(pure["device_bytes"].toDouble(), want[t].device);
            QCOMPARE(mixed["payload_bytes"].toDouble(), pure["payload_bytes"].toDouble());
            QCOMPARE(mixed["device_bytes"].toDouble(), pure["device_bytes"].toDouble());
            QCOMPARE(mixed["bits_per_element"].toDouble(), pure["bits_per_element"].toDouble());
            QVERIFY(nv["payload_bytes"].toDouble() > 0 && nv["device_bytes"].toDouble() > nv["payload_bytes"].toDouble());
        }
        // BITS are payload bits per element: 8 x 3,780 / 3,500 for a
        QCOMPARE(tensors[0].toObject()["rows"].toArray()[0].toObject()["bits_per_element"].toDouble(), 8.0 * 3780.0 / 3500.0);
    }

    void helpAndVersion()
    {
        CliRun r = runCli({"--version"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith("quantscope "));
        r = runCli({"--help"});
        QCOMPARE(r.exitCode, 0);
        for (const char* cmd : {"wq", "list", "export", "plot", "reconstruct", "sweep"}) QVERIFY(r.out.contains(cmd));
        r = runCli({"help", "wq"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("--compression-config"));
        r = runCli({"wq", "--help"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("--summary"));
        // #9.7: the usage line names the command, not the binary's path; no Qt options
        QVERIFY2(r.out.startsWith("Usage: quantscope wq [options] MODEL [FILTER...]\n"), r.out.left(120).constData());
        QVERIFY(!r.out.contains("help-all") && !r.out.contains("Qt"));
        for (const char* cmd : {"list", "export", "sweep", "reconstruct", "atlas", "plan"}) {
            const CliRun h = runCli({cmd, "--help"});
            QVERIFY2(h.out.startsWith("Usage: quantscope " + QByteArray(cmd) + " [options]"), h.out.left(120).constData());
            QVERIFY(!h.out.contains("help-all"));
        }
        r = runCli({"frobnicate-this"});
        QVERIFY(r.exitCode != 0);
    }

    void listShowsEveryTensorAndTotals()
    {
        const CliRun r = runCli({"list", goldenRepo()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QString out = QString::fromUtf8(r.out);
        QVERIFY(out.contains("model.layers.0.self_attn.q_a_proj.weight "));
        QVERIFY(out.contains("F8_E4M3"));
        QVERIFY(out.contains("(64, 136)"));
        QVERIFY(out.contains("model-00001-of-00002.safetensors"));
        QVERIFY(!out.contains("kv_a_layernorm"));  // not in the index: invisible
        QVERIFY(out.contains("16 tensors"));
        QVERIFY(out.contains("stored:"));
        QVERIFY(out.contains("logical:"));
    }

    void exportWritesAFakeQuantizedCheckpoint()
    {
        QTemporaryDir tmp;
        const QString out = tmp.filePath("x.safetensors");
        CliRun r = runCli({"export", goldenRepo(), "model.layers.1", "-c", "bfp4", "--out", out});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(QFileInfo(out).size() > 0);
        // Exporting again in bfp4 and analysing the export: bfp4 of bfp4 is exact.
        r = runCli({"wq", out, "-c", "bfp4", "--no-results", "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject doc = QJsonDocument::fromJson(r.out.mid(r.out.indexOf("\n{") + 1)).object();
        QCOMPARE(doc["tensors"].toArray().size(), 5);
        for (const auto& t : doc["tensors"].toArray())
            QCOMPARE(t.toObject()["rows"].toArray()[0].toObject()["atol"].toDouble(), 0.0);
        r = runCli({"export", goldenRepo(), "-c", "bfp4", "--out", tmp.filePath("x.bin")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains(".safetensors"));
    }
};

QTEST_GUILESS_MAIN(TestWqCli)
#include "test_wq_cli.moc"
