// `quantscope atlas` end to end on the demo model: files written, CSV consistent with
// the wq rows' metrics, one PNG per format named after it, top-20 report, bad --metric.
#include "cli_runner.h"
#include "test_paths.h"

#include <QImage>
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
        QImage png(out + "/atlas_bfp4.png");
        QVERIFY(!png.isNull() && png.width() >= 700);
        QFile csv(out + "/atlas.csv");
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.first(), QString("format,layer,kind,tensors,numel,pcc,mae,atol,sqnr_db,worst_tensor,worst_value,estimate"));
        // one-tensor cells: the worst value is the tensor's own mae, equal to the cell's
        int singles = 0;
        for (const QString& l : lines.mid(1)) {
            const QStringList c = l.split(',');
            QCOMPARE(c.size(), 12);
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

    void badMetric()
    {
        const CliRun r = runCli({"atlas", qs::test::demoDirPath(), "--metric", "rmse"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("--metric: expected sqnr, pcc or mae, got \"rmse\""));
    }
};

QTEST_GUILESS_MAIN(TestAtlasCli)
#include "test_atlas_cli.moc"
