// The plan file applied (issue #11 §2): `plan` at tensor and tile granularity, then
// `wq --compression-config plan.json` reproduces each tensor's planned device bytes
// exactly and its squared error within 1e-9 relative; the tile plan holds the budget and
// has no more error than the tensor plan; `export --compression-config plan.json` writes
// a planned tensor exactly as `reconstruct` rebuilds its tile assignment; the curve's
// data (planCurve) starts at the smallest plan and ends at the largest hull point.
#include "cli_runner.h"
#include "test_paths.h"

#include "compression/planner.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>

namespace {

QJsonObject readJson(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// The raw bytes of one tensor of a .safetensors file.
QByteArray tensorBytes(const QString& path, const QString& name)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    const QByteArray all = f.readAll();
    uint64_t n = 0;
    std::memcpy(&n, all.constData(), 8);
    const QJsonObject h = QJsonDocument::fromJson(all.mid(8, qsizetype(n))).object();
    const QJsonArray off = h[name].toObject()["data_offsets"].toArray();
    if (off.size() != 2) return {};
    return all.mid(qsizetype(8 + n + uint64_t(off[0].toDouble())), qsizetype(off[1].toDouble() - off[0].toDouble()));
}

} // namespace

class TestPlanCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(m_tmp.isValid()); }

    void wqReproducesThePlan_data()
    {
        QTest::addColumn<QString>("granularity");
        QTest::newRow("tensor") << "tensor";
        QTest::newRow("tile") << "tile";
    }
    void wqReproducesThePlan()
    {
        QFETCH(QString, granularity);
        const QString out = m_tmp.filePath("plan-" + granularity);
        const CliRun p = runCli({"plan", qs::test::demoDirPath(), "-c", "bf16,bfp8,bfp4,bfp2", "--bits", "5",
                                 "--granularity", granularity, "--out-dir", out});
        QVERIFY2(p.exitCode == 0, p.err.constData());
        QVERIFY(QFile::exists(out + "/plan_curve.png"));
        const QJsonObject plan = readJson(out + "/plan.json");
        QCOMPARE(plan["algorithm"].toString(), QString("plan"));
        QCOMPARE(plan["granularity"].toString(), granularity);
        QVERIFY(plan["bytes"].toDouble() <= plan["budget_bytes"].toDouble());
        int mixed = 0;
        for (const QJsonValue& t : plan["tensors"].toArray()) mixed += t["format"].toString() == "mixed";
        if (granularity == "tile") QVERIFY(mixed >= 4);
        else QCOMPARE(mixed, 0);

        const CliRun w = runCli({"wq", qs::test::demoDirPath(), "--compression-config", out + "/plan.json",
                                 "--results-dir", out + "-wq"});
        QVERIFY2(w.exitCode == 0, w.err.constData());
        QDir results(out + "-wq/results/demo-model/plan");
        const QStringList runs = results.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(runs.size(), 1);
        const QJsonObject res = readJson(results.filePath(runs.first() + "/results.json"));
        QHash<QString, QJsonObject> rows;
        for (const QJsonValue& t : res["tensors"].toArray())
            for (const QJsonValue& r : t["rows"].toArray())
                if (r["compression"].toString() == "plan") rows[t["name"].toString()] = r.toObject();
        const QJsonArray tensors = plan["tensors"].toArray();
        QCOMPARE(rows.size(), tensors.size());
        double bytes = 0, sse = 0;
        for (const QJsonValue& t : tensors) {
            const QJsonObject r = rows[t["tensor"].toString()];
            QCOMPARE(r["device_bytes"].toDouble(), t["bytes"].toDouble());
            const double e = t["sse"].toDouble();
            QVERIFY2(std::fabs(r["sse"].toDouble() - e) <= 1e-9 * e,
                     qPrintable(t["tensor"].toString() + QString(": %1 vs %2").arg(r["sse"].toDouble(), 0, 'g', 17).arg(e, 0, 'g', 17)));
            QCOMPARE(r["format"].toString(), t["format"].toString());
            bytes += t["bytes"].toDouble(), sse += e;
        }
        QCOMPARE(bytes, plan["bytes"].toDouble());
        QVERIFY(std::fabs(sse - plan["sse"].toDouble()) <= 1e-12 * sse);
        m_sse[granularity] = plan["sse"].toDouble();
    }

    void tilePlanIsNoWorse()
    {
        QVERIFY(m_sse.contains("tile") && m_sse.contains("tensor"));
        QVERIFY2(m_sse["tile"] <= m_sse["tensor"], qPrintable(QString("%1 vs %2").arg(m_sse["tile"]).arg(m_sse["tensor"])));
    }

    void exportAppliesThePlan()
    {
        const QString dir = m_tmp.filePath("plan-tile");
        const QJsonObject plan = readJson(dir + "/plan.json");
        QVERIFY(!plan.isEmpty());
        const QString file = m_tmp.filePath("planned.safetensors");
        const CliRun e = runCli({"export", qs::test::demoDirPath(), "--compression-config", dir + "/plan.json", "--out", file});
        QVERIFY2(e.exitCode == 0, e.err.constData());
        int checked = 0;
        for (const QJsonValue& t : plan["tensors"].toArray()) {
            const QString name = t["tensor"].toString();
            const QString rec = m_tmp.filePath(QString("rec%1.safetensors").arg(checked));
            CliRun r;
            if (t["format"].toString() == "mixed") {
                const QString npy = dir + "/" + t["assignment"].toString();
                QString mapping = npy;
                mapping.replace("_assignment.npy", "_assignment_mapping.json");
                r = runCli({"reconstruct", qs::test::demoDirPath(), name, npy, "--assignment-mapping", mapping, "--out", rec});
            } else {
                r = runCli({"export", qs::test::demoDirPath(), "--regex", "^" + QRegularExpression::escape(name) + "$", "-c",
                            t["format"].toString(), "--out", rec});
            }
            QVERIFY2(r.exitCode == 0, r.err.constData());
            const QByteArray a = tensorBytes(file, name), b = tensorBytes(rec, name);
            QVERIFY2(!a.isEmpty() && a == b, qPrintable(name));
            if (++checked == 4) break;
        }
        QCOMPARE(checked, 4);
    }

    void curveData()
    {
        // two items: a = {(1, 10), (2, 4), (4, 1)}, b = {(1, 6), (3, 0)}: steps by saving per
        // byte: a 6/1, then b 6/2 = 3, then a 3/2 = 1.5
        std::vector<qs::PlanItem> items(2);
        items[0].options = {{1, 10}, {2, 4}, {4, 1}};
        items[1].options = {{1, 6}, {3, 0}};
        const auto c = qs::planCurve(items);
        QCOMPARE(c.size(), size_t(4));
        QCOMPARE(c[0].bytes, 2.0);
        QCOMPARE(c[0].sse, 16.0);
        QCOMPARE(c[1].bytes, 3.0);
        QCOMPARE(c[1].sse, 10.0);
        QCOMPARE(c[2].bytes, 5.0);
        QCOMPARE(c[2].sse, 4.0);
        QCOMPARE(c[3].bytes, 7.0);
        QCOMPARE(c[3].sse, 1.0);
        QCOMPARE(qs::planCurve(items, 2).size(), size_t(2));
    }

private:
    QTemporaryDir m_tmp;
    QHash<QString, double> m_sse;
};

QTEST_GUILESS_MAIN(TestPlanCli)
#include "test_plan_cli.moc"
