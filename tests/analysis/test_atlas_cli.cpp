// `quantscope atlas` end to end on the demo model: files written, CSV consistent with
// the wq rows' metrics, one PNG per format named after it, top-20 report, bad --metric.
#include "cli_runner.h"
#include "test_paths.h"

#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

class TestAtlasCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void writesAtlas()
    {
        QTemporaryDir tmp;
        const QString out = tmp.filePath("atl");
        const CliRun r = runCli({"atlas", qs::test::demoDirPath(), "-c", "bfp8,bfp4", "--metric", "mae", "--out-dir", out});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith("Worst 20 by mae (abs):\n"));
        QCOMPARE(r.out.count('\n'), 21);
        for (const char* f : {"atlas.json", "atlas.csv", "atlas_bfp8.png", "atlas_bfp4.png"})
            QVERIFY2(QFile::exists(out + "/" + f), f);
        // per format, its 20 most sensitive tensors, every line of that format
        for (const char* f : {"bfp8", "bfp4"}) {
            QFile top(out + "/atlas_top_" + f + ".txt");
            QVERIFY2(top.open(QIODevice::ReadOnly), f);
            const QStringList lines = QString::fromUtf8(top.readAll()).split('\n', Qt::SkipEmptyParts);
            QCOMPARE(lines.size(), 17);  // the 16 tensors of the demo selection
            QCOMPARE(lines.first(), QString("Worst 16 by mae (abs):"));  // as many as it holds
            for (const QString& l : lines.mid(1)) QVERIFY2(l.contains(QString("  ") + f + " "), qPrintable(l));
        }
        QImage png(out + "/atlas_bfp4.png");
        QVERIFY(!png.isNull() && png.width() >= 700);
        QFile csv(out + "/atlas.csv");
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.first(), QString("format,layer,kind,tensors,numel,pcc,mae,atol,sqnr_db,worst_tensor,worst_value,estimate,wsqnr_db,wrel,"
                                           "pcc_lo,pcc_hi,mae_lo,mae_hi,sqnr_db_lo,sqnr_db_hi"));
        // one-tensor cells: the worst value is the tensor's own mae, equal to the cell's
        int singles = 0;
        for (const QString& l : lines.mid(1)) {
            const QStringList c = l.split(',');
            QCOMPARE(c.size(), 20);
            for (int i = 14; i < 20; ++i) QVERIFY(c[i].isEmpty());  // no intervals without --sample
            if (c[3] == "1") {
                QCOMPARE(c[6], c[10]);
                ++singles;
            }
            QCOMPARE(c[11], QString("0"));
        }
        QVERIFY(singles > 10);
        // the worst tensor in the report appears with bfp4 (the coarser format)
        QVERIFY(QString::fromUtf8(r.out).section('\n', 1, 1).contains("bfp4"));
    }

    void plan()
    {
        QTemporaryDir tmp;
        const QString out = tmp.filePath("plan");
        const CliRun r = runCli({"plan", qs::test::demoDirPath(), "-c", "bf16,bfp8,bfp4,bfp2", "--bits", "5", "--out-dir", out});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith("plan: 16 tensors, "));
        QFile csv(out + "/plan.csv");
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.first(), QString("tensor,format,bytes,sse"));
        QCOMPARE(lines.size(), 17);
        double bytes = 0;
        QSet<QString> formats;
        for (const QString& l : lines.mid(1)) bytes += l.section(',', 2, 2).toDouble(), formats.insert(l.section(',', 1, 1));
        QFile js(out + "/plan.json");
        QVERIFY(js.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(js.readAll()).object();
        QCOMPARE(o["bytes"].toDouble(), bytes);
        QVERIFY(bytes <= o["budget_bytes"].toDouble());
        QCOMPARE(o["budget_bytes"].toDouble(), 5.0 * o["params"].toDouble() / 8.0);
        QVERIFY(o["lower_bound_sse"].toDouble() <= o["sse"].toDouble());
        QVERIFY(formats.size() >= 2);  // 5 bits/param forces a mix
        // the bigger the budget, the smaller the error
        const CliRun r2 = runCli({"plan", qs::test::demoDirPath(), "-c", "bf16,bfp8,bfp4,bfp2", "--budget", "1MB", "--out-dir", out + "2"});
        QCOMPARE(r2.exitCode, 0);
        QFile js2(out + "2/plan.json");
        QVERIFY(js2.open(QIODevice::ReadOnly));
        const QJsonObject o2 = QJsonDocument::fromJson(js2.readAll()).object();
        QCOMPARE(o2["budget_bytes"].toDouble(), 1e6);
        QVERIFY(o2["bytes"].toDouble() <= 1e6 && o2["bytes"].toDouble() > bytes);
        QVERIFY(o2["sse"].toDouble() < o["sse"].toDouble());
    }

    void planErrors()
    {
        const CliRun both = runCli({"plan", qs::test::demoDirPath(), "--bits", "4", "--budget", "1MB"});
        QCOMPARE(both.exitCode, 1);
        QVERIFY(both.err.contains("give exactly one of --budget SIZE and --bits B"));
        const CliRun bad = runCli({"plan", qs::test::demoDirPath(), "--budget", "1TB"});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY(bad.err.contains("--budget: '1TB' is not a size"));
        const CliRun small = runCli({"plan", qs::test::demoDirPath(), "-c", "bfp8", "--budget", "1KB"});
        QCOMPARE(small.exitCode, 1);
        QVERIFY(small.err.contains("planner: the budget of 1000 bytes is below the smallest possible size"));
    }

    void badMetric()
    {
        const CliRun r = runCli({"atlas", qs::test::demoDirPath(), "--metric", "rmse"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("--metric: expected sqnr, pcc, mae, wsqnr or wrel, got \"rmse\""));
    }
};

QTEST_GUILESS_MAIN(TestAtlasCli)
#include "test_atlas_cli.moc"
