// `--sample F --seed N` end to end on the demo model (issue #11 §3): F = 1 gives exactly
// the full run's metrics; a sampled run marks its rows as estimates in the table, the JSON
// and table.txt, with 95 % intervals that contain the full value in the README example;
// atlas and plan mark their outputs as estimated; bad values are refused naming the flag.
#include "cli_runner.h"
#include "test_paths.h"

#include "analysis/sampling.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

namespace {

QJsonObject jsonRun(const QStringList& args)
{
    CliRun r = runCli(QStringList{"wq", qs::test::demoDirPath()} + args + QStringList{"--json", "--no-results"});
    if (r.exitCode != 0) qWarning("%s", r.err.constData());
    return QJsonDocument::fromJson(r.out).object();
}

// rows by "tensor|format"
QMap<QString, QJsonObject> rowsOf(const QJsonObject& doc)
{
    QMap<QString, QJsonObject> out;
    for (const auto& t : doc["tensors"].toArray())
        for (const auto& r : t.toObject()["rows"].toArray())
            out[t.toObject()["name"].toString() + "|" + r.toObject()["format"].toString()] = r.toObject();
    return out;
}

bool inside(const QJsonValue& ci, double v)
{
    const QJsonArray a = ci.toArray();
    return a.size() == 2 && a[0].toDouble() <= v && v <= a[1].toDouble();
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestSampleCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fractionOneIsTheFullRun()
    {
        const QJsonObject full = jsonRun({"--all", "-c", "bfp8,mxfp4,nvfp4"});
        const QJsonObject one = jsonRun({"--all", "-c", "bfp8,mxfp4,nvfp4", "--sample", "1"});
        const auto a = rowsOf(full), b = rowsOf(one);
        QVERIFY(a.size() > 40);
        QCOMPARE(a.keys(), b.keys());
        for (const QString& k : a.keys()) {
            for (const char* key : {"pcc", "mae", "atol", "rmse", "sqnr_db", "rel_rmse", "sse", "count", "payload_bytes"})
                QVERIFY2(a[k][key] == b[k][key], qPrintable(k + " " + key));
            QCOMPARE(b[k]["estimate"].toBool(true), false);  // every band read: exact
            const QJsonObject s = b[k]["sample"].toObject();
            QCOMPARE(s["bands"].toInt(), s["total_bands"].toInt());
            QVERIFY(!a[k].contains("estimate"));
        }
        QCOMPARE(one["sample"].toObject()["seed"].toDouble(), double(qs::kDefaultSampleSeed));
    }

    void sampledRowsCarryIntervals()
    {
        // the README example: 25 % of the bands, seed 5
        const QStringList sel = {"--regex", "^(model.layers.1.mlp.experts.down_proj|model.embed_tokens|lm_head)[.]weight$",
                                 "-c", "bfp8,bfp4,mxfp4"};
        const QJsonObject full = jsonRun(sel);
        const QJsonObject est = jsonRun(sel + QStringList{"--sample", "0.25", "--seed", "5"});
        const QJsonObject s = est["sample"].toObject();
        QCOMPARE(s["fraction"].toDouble(), 0.25);
        QCOMPARE(s["seed"].toInt(), 5);
        QCOMPARE(s["band_rows"].toInt(), 32);
        const auto a = rowsOf(full), b = rowsOf(est);
        QCOMPARE(b.size(), 9);
        int covered = 0;
        for (const QString& k : b.keys()) {
            const QJsonObject r = b[k];
            QVERIFY2(r["estimate"].toBool(), qPrintable(k));
            const QJsonObject rs = r["sample"].toObject();
            // experts: [4, 256, 96] -> 1024 rows, 32 bands -> 8; embed/lm_head: 16 bands -> 4
            QCOMPARE(rs["total_bands"].toInt(), k.startsWith("model.layers.1") ? 32 : 16);
            QCOMPARE(rs["bands"].toInt(), k.startsWith("model.layers.1") ? 8 : 4);
            QCOMPARE(rs["fraction"].toDouble(), 0.25);
            // the point estimate lies inside its own interval
            QVERIFY(inside(r["pcc_ci"], r["pcc"].toDouble()));
            QVERIFY(inside(r["mae_ci"], r["mae"].toDouble()));
            QVERIFY(inside(r["sqnr_db_ci"], r["sqnr_db"].toDouble()));
            // the estimate differs from the full value (only a quarter was read)...
            QVERIFY(r["mae"].toDouble() != a[k]["mae"].toDouble());
            // ... and its intervals hold the full value
            const bool pccIn = inside(r["pcc_ci"], a[k]["pcc"].toDouble());
            covered += pccIn + inside(r["mae_ci"], a[k]["mae"].toDouble()) + inside(r["sqnr_db_ci"], a[k]["sqnr_db"].toDouble());
            if (!pccIn) QCOMPARE(k, QString("model.embed_tokens.weight|mxfp4"));  // the one miss (README)
            // bytes are the whole tensor's; the squared error an estimated total
            QCOMPARE(r["payload_bytes"].toDouble(), a[k]["payload_bytes"].toDouble());
            const double ratio = r["sse"].toDouble() / a[k]["sse"].toDouble();
            QVERIFY2(ratio > 0.5 && ratio < 2.0, qPrintable(k + QString::number(ratio)));
        }
        QCOMPARE(covered, 26);  // of 27 intervals: 95 % intervals may miss
    }

    void tableAndResultsFolderMarkEstimates()
    {
        QTemporaryDir tmp;
        const CliRun r = runCli({"wq", qs::test::demoDirPath(), "--regex", "^model[.](embed_tokens|norm)[.]weight$", "-c", "bfp8",
                                 "--sample", "0.25", "--seed", "5", "--results-dir", tmp.path()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QString out = QString::fromUtf8(r.out);
        QVERIFY2(out.contains("sample: 25% of each tensor's 32-row bands (seed 5); ~ marks estimates, +- the larger side "
                              "of their 95 % interval\n"), qPrintable(out));
        QVERIFY(out.contains("(of the 4 sampled bands of 16)"));
        QVERIFY(out.contains("  COMP  FORMAT       PCC      +-         MAE      +-        ATOL"));
        QVERIFY(out.contains("  none  BFP8    ~0.99992 9.6e-06  ~3.229e-04 3.4e-05  ~1.562e-02"));
        // model.norm.weight is 1-D: read whole, exact, no "~" and no +- column
        const QString norm = out.mid(out.indexOf("model.norm.weight\n"));
        QVERIFY(norm.contains("  COMP  FORMAT       PCC        MAE"));
        QVERIFY(!norm.contains("~"));
        const QString run = QDir(tmp.path() + "/results/demo-model/none").entryList(QDir::Dirs | QDir::NoDotAndDotDot).value(0);
        QVERIFY(!run.isEmpty());
        const QByteArray table = readAll(tmp.path() + "/results/demo-model/none/" + run + "/table.txt");
        QVERIFY(table.startsWith("sample: 25% of each tensor's 32-row bands (seed 5)"));
        const QJsonObject results =
            QJsonDocument::fromJson(readAll(tmp.path() + "/results/demo-model/none/" + run + "/results.json")).object();
        QCOMPARE(results["sample"].toObject()["seed"].toInt(), 5);
        const QJsonObject normRow = results["tensors"].toArray()[1].toObject()["rows"].toArray()[0].toObject();
        QCOMPARE(normRow["estimate"].toBool(true), false);
        QCOMPARE(normRow["pcc_ci"].toArray()[0].toDouble(), normRow["pcc"].toDouble());
    }

    void atlasAndPlanAreMarkedEstimated()
    {
        QTemporaryDir tmp;
        const QString out = tmp.filePath("atl");
        const CliRun r = runCli({"atlas", qs::test::demoDirPath(), "-c", "bfp8,bfp4", "--sample", "0.25", "--out-dir", out});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("(estimate)"));
        const QJsonObject atlas = QJsonDocument::fromJson(readAll(out + "/atlas.json")).object();
        QCOMPARE(atlas["sample"].toObject()["fraction"].toDouble(), 0.25);
        int estimated = 0, exact = 0;
        for (const auto& c : atlas["cells"].toArray()) {
            const QJsonObject cell = c.toObject();
            if (cell["estimate"].toBool()) {
                ++estimated;
                // a pooled cell of fewer than 2 sampled bands: a point estimate (or none)
                QVERIFY(cell["sample_bands"].toInt() <= cell["total_bands"].toInt() && cell["total_bands"].toInt() > 0);
                if (cell["sample_bands"].toInt() < 2) {
                    QVERIFY(cell["pcc_ci"].isNull() && cell["mae_ci"].isNull());
                    QCOMPARE(cell["pcc"].isNull(), cell["sample_bands"].toInt() == 0);
                    continue;
                }
                QVERIFY(inside(cell["pcc_ci"], cell["pcc"].toDouble()));
                QVERIFY(inside(cell["mae_ci"], cell["mae"].toDouble()));
                QVERIFY(cell["mae_ci"].toArray()[0].toDouble() < cell["mae_ci"].toArray()[1].toDouble());
            } else {
                ++exact;
                QVERIFY(!cell.contains("pcc_ci"));
            }
        }
        QVERIFY(estimated > 4 && exact >= 4);  // 1-D tensors are read whole (and one-band ones drawn)
        const QStringList csv = QString::fromUtf8(readAll(out + "/atlas.csv")).split('\n', Qt::SkipEmptyParts);
        for (const QString& l : csv.mid(1)) {
            const QStringList c = l.split(',');
            QCOMPARE(c.size(), 20);
            QCOMPARE(c[14].isEmpty(), c[11] == "0");
        }

        const QString planDir = tmp.filePath("plan");
        const CliRun p = runCli({"plan", qs::test::demoDirPath(), "-c", "bf16,bfp8,bfp4", "--bits", "6", "--sample", "0.25",
                                 "--out-dir", planDir});
        QVERIFY2(p.exitCode == 0, p.err.constData());
        QVERIFY(p.out.contains("estimated squared error"));
        const QJsonObject plan = QJsonDocument::fromJson(readAll(planDir + "/plan.json")).object();
        QCOMPARE(plan["estimated"].toBool(), true);
        QCOMPARE(plan["sample"].toObject()["seed"].toDouble(), double(qs::kDefaultSampleSeed));
    }

    void badValuesAreRefused()
    {
        for (const char* bad : {"0", "1.5", "abc", "-0.1"}) {
            const CliRun r = runCli({"wq", qs::test::demoDirPath(), "--sample", bad, "--no-results"});
            QCOMPARE(r.exitCode, 1);
            QVERIFY2(r.err.contains("--sample: expected a fraction F with 0 < F <= 1") && r.err.contains(bad), r.err.constData());
        }
        const CliRun seed = runCli({"atlas", qs::test::demoDirPath(), "--seed", "3"});
        QCOMPARE(seed.exitCode, 1);
        QVERIFY(seed.err.contains("--seed is the seed of --sample"));
        const CliRun seedBad = runCli({"plan", qs::test::demoDirPath(), "--bits", "4", "--sample", "0.5", "--seed", "x"});
        QCOMPARE(seedBad.exitCode, 1);
        QVERIFY(seedBad.err.contains("--seed: expected a whole number"));
        const CliRun fp8 = runCli({"wq", qs::test::demoDirPath(), "-c", "fp8_e4m3", "--sample", "0.5", "--no-results"});
        QCOMPARE(fp8.exitCode, 1);
        QVERIFY(fp8.err.contains("--sample: fp8_e4m3 quantizes blocks of 128 rows"));
        const CliRun mixed = runCli({"wq", qs::test::demoDirPath(), "--sample", "0.5", "--no-results", "--compression-config",
                                     qs::test::sourcePath("compression_configs/compression_config.mixed_tile_threshold.example.json")});
        QCOMPARE(mixed.exitCode, 1);
        QVERIFY(mixed.err.contains("needs whole tensors"));
    }
};

QTEST_GUILESS_MAIN(TestSampleCli)
#include "test_sample_cli.moc"
