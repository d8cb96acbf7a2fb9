// `quantscope diff` with B on the (fake) Hub (issue #10): a local copy of the standard test
// model against org/model served by the fake Hub. Every paired tensor is identical (100 %,
// PCC 1 where defined), nothing is one-sided, and B's bytes came by ranged reads.
// Skipped when the binary has not been built (QS_TEST_BINARY overrides its path).
#include "hub_test_util.h"
#include "test_paths.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

using namespace qs;
using namespace qs::test;

class TestHubDiffCli : public QObject {
    Q_OBJECT

    HubFixture m_fx;
    QString m_binary;

private Q_SLOTS:
    void init()
    {
        m_binary = qEnvironmentVariable("QS_TEST_BINARY", qs::test::binaryPath());
        if (!QFileInfo(m_binary).isExecutable()) QSKIP("quantscope is not built");
        QVERIFY(m_fx.setUp().isEmpty());
    }
    void cleanup() { m_fx = HubFixture(); }

    void localAgainstHub()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* v : {"HF_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"}) env.remove(QString::fromLatin1(v));
        env.insert(QStringLiteral("HF_ENDPOINT"), m_fx.hub->endpoint());
        env.insert(QStringLiteral("HF_HOME"), m_fx.hfDir());
        env.insert(QStringLiteral("XDG_CACHE_HOME"), m_fx.tmp->filePath(QStringLiteral("xdg")));
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(m_binary, {QStringLiteral("diff"), m_fx.modelDir, QStringLiteral("org/model"), QStringLiteral("--all"),
                           QStringLiteral("--json")});
        QVERIFY(p.waitForFinished(60000));
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(p.exitCode() == 0, err.constData());
        const QJsonObject doc = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        QCOMPARE(doc["b"]["repo"].toString(), QStringLiteral("org/model"));
        QVERIFY2(doc["b"]["source"].toString().contains(m_fx.commit), qPrintable(doc["b"]["source"].toString()));
        const QJsonArray tensors = doc["tensors"].toArray();
        QVERIFY(tensors.size() >= 4);
        bool sawFp8 = false;
        for (const QJsonValue& t : tensors) {
            const QJsonObject s = t["b_vs_a"].toObject();
            QVERIFY2(s["identical"].toInteger() == s["total"].toInteger() && s["total"].toInteger() > 0,
                     qPrintable(t["name"].toString()));
            QCOMPARE(s["mae"].toDouble(), 0.0);
            if (!s["pcc"].isNull()) QCOMPARE(s["pcc"].toDouble(), 1.0);
            sawFp8 |= t["dtype_b"].toString() == QLatin1String("F8_E4M3");
        }
        QVERIFY(sawFp8);  // the FP8 weight is compared dequantized on both sides
        QVERIFY(doc["only_a"].toArray().isEmpty() && doc["only_b"].toArray().isEmpty());
        QVERIFY(doc["shape_mismatches"].toArray().isEmpty());
        int ranged = 0;
        for (const FakeLogEntry& e : m_fx.hub->log()) ranged += e.headers.contains("range");
        QVERIFY(ranged > 0);
    }
};

QTEST_GUILESS_MAIN(TestHubDiffCli)
#include "test_hub_diff_cli.moc"
