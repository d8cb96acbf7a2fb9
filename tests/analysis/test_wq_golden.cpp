// End to end: `quantscope wq` on the golden model repo reproduces every `none` and
// `transpose` row of tests/data/golden/model/expected.json (the original tool's numbers),
// with pcc/mae compared against the float64 evaluation of the reference formulas and
// atol exactly. The original's mxfp4/nvfp4 are our mxfp4_proxy/nvfp4_proxy.
#include "cli_runner.h"
#include "test_paths.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

namespace {

QJsonObject readJson(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

QString goldenRepo() { return qs::test::goldenPath(QStringLiteral("model/repo")); }

QString findResults(const QString& root)
{
    QDir d(root + "/results/repo");
    for (const QString& alg : d.entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        for (const QString& stamp : QDir(d.filePath(alg)).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            return d.filePath(alg) + "/" + stamp;
    return {};
}

// Our registry name for the original's format names.
QString ourName(const QString& golden)
{
    if (golden == "mxfp4") return "mxfp4_proxy";
    if (golden == "nvfp4") return "nvfp4_proxy";
    return golden;
}

} // namespace

class TestWqGolden : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void noneAndTransposeRowsMatchTheReference()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString config = tmp.filePath("transpose.json");
        {
            QFile f(config);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(R"({"algorithm": "transpose"})");
        }
        const CliRun r = runCli({"wq", goldenRepo(), "-c", "mxfp4_proxy,nvfp4_proxy,bf16,bfp8,bfp4,bfp2,fp0",
                                 "--compression-config", config, "--results-dir", tmp.path()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QString results = findResults(tmp.path());
        QVERIFY2(!results.isEmpty(), "no results folder");
        const QJsonObject got = readJson(results + "/results.json");
        const QJsonObject expected = readJson(qs::test::goldenPath(QStringLiteral("model/expected.json")));

        // Same selection, in natural order (the reference sorted byte-wise; same here).
        QStringList gotNames, wantNames;
        for (const auto& t : got["tensors"].toArray()) gotNames << t.toObject()["name"].toString();
        for (const auto& n : expected["selected_tensors"].toArray()) wantNames << n.toString();
        QCOMPARE(gotNames, wantNames);

        int compared = 0;
        for (const auto& tv : got["tensors"].toArray()) {
            const QJsonObject t = tv.toObject();
            const QString name = t["name"].toString();
            const QJsonObject exp = expected["tensors"].toObject()[name].toObject();
            QCOMPARE(t["dtype"].toString(), exp["dtype"].toString());
            QCOMPARE(t["shape"].toArray(), exp["shape"].toArray());
            // fp32 stats of the view (the FP8 tensors are dequantized with 128x128 blocks).
            const QJsonObject st = t["stats"].toObject(), est = exp["fp32_stats"].toObject();
            QCOMPARE(float(st["min"].toDouble()), float(est["min"].toDouble()));
            QCOMPARE(float(st["max"].toDouble()), float(est["max"].toDouble()));
            QVERIFY(std::fabs(st["mean"].toDouble() - est["mean"].toDouble()) <= 1e-6 * (1 + std::fabs(est["mean"].toDouble())));
            for (const auto& rv : t["rows"].toArray()) {
                const QJsonObject row = rv.toObject();
                const QString comp = row["compression"].toString();
                const QJsonObject table = exp[comp].toObject();
                for (const QString& gname : table.keys()) {
                    if (ourName(gname) != row["format"].toString()) continue;
                    const QJsonObject e = table[gname].toObject();
                    const QString what = name + " " + comp + " " + gname;
                    const double pcc = row["pcc"].toDouble(), mae = row["mae"].toDouble(), atol = row["atol"].toDouble();
                    QVERIFY2(std::fabs(pcc - e["pcc_f64"].toDouble()) <= 1e-9,
                             qPrintable(what + QString(": pcc %1 vs %2").arg(pcc, 0, 'g', 17).arg(e["pcc_f64"].toDouble(), 0, 'g', 17)));
                    // and within the documented float32-noise band of the reference's own pcc
                    QVERIFY2(std::fabs(pcc - e["pcc"].toDouble()) <= 1e-4, qPrintable(what + " pcc vs reference"));
                    QVERIFY2(std::fabs(mae - e["mae_f64"].toDouble()) <= 1e-12 + 1e-9 * e["mae_f64"].toDouble(),
                             qPrintable(what + QString(": mae %1 vs %2").arg(mae, 0, 'g', 17).arg(e["mae_f64"].toDouble(), 0, 'g', 17)));
                    QVERIFY2(atol == e["atol_f64"].toDouble(),
                             qPrintable(what + QString(": atol %1 vs %2").arg(atol, 0, 'g', 17).arg(e["atol_f64"].toDouble(), 0, 'g', 17)));
                    ++compared;
                }
            }
        }
        // 12 tensors x 7 formats x {none, transpose}; the proxies are only in the golden
        // data for tensors up to 20000 elements.
        QVERIFY2(compared >= 12 * 5 * 2, qPrintable(QString("only %1 rows compared").arg(compared)));
    }
};

QTEST_GUILESS_MAIN(TestWqGolden)
#include "test_wq_golden.moc"
