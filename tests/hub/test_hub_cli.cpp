// The built binary against the fake Hub: `quantscope list` on a Hub URL (HF_ENDPOINT set
// to the fake server), again with HF_HUB_OFFLINE=1 and no request, and the exit codes and
// messages of a missing repo, a dataset URL and a stale token (never echoed).
// Skipped when the binary has not been built (QS_TEST_BINARY overrides its path).
#include "hub_test_util.h"
#include "test_paths.h"

#include <QFileInfo>
#include <QProcess>
#include <QTest>

using namespace qs;
using namespace qs::test;

namespace {

struct Run {
    int exitCode = -1;
    QString out, err;
};

} // namespace

class TestHubCli : public QObject {
    Q_OBJECT

    HubFixture m_fx;
    QString m_binary;

    Run run(const QStringList& args, std::initializer_list<std::pair<const char*, QString>> extraEnv = {})
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* v : {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE",
                              "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"})
            env.remove(QString::fromLatin1(v));
        env.insert(QStringLiteral("HF_ENDPOINT"), m_fx.hub->endpoint());
        env.insert(QStringLiteral("HF_HOME"), m_fx.hfDir());
        env.insert(QStringLiteral("XDG_CACHE_HOME"), m_fx.tmp->filePath(QStringLiteral("xdg")));
        env.insert(QStringLiteral("NO_COLOR"), QStringLiteral("1"));
        for (const auto& [k, v] : extraEnv) env.insert(QString::fromLatin1(k), v);
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(m_binary, args);
        Run r;
        if (!p.waitForFinished(60000)) return r;
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

private Q_SLOTS:
    void init()
    {
        m_binary = qEnvironmentVariable("QS_TEST_BINARY", qs::test::binaryPath());
        if (!QFileInfo(m_binary).isExecutable()) QSKIP("quantscope is not built");
        QVERIFY(m_fx.setUp().isEmpty());
    }
    void cleanup() { m_fx = HubFixture(); }

    void listOnlineThenOffline()
    {
        const QString url = m_fx.hub->endpoint() + QStringLiteral("/org/model/tree/main");
        Run r = run({QStringLiteral("list"), url});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        for (const char* name : {"model.embed_tokens.weight", "model.layers.0.mlp.down_proj.weight",
                                 "model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.q_proj.weight_scale_inv"})
            QVERIFY2(r.out.contains(QLatin1String(name)), qPrintable(r.out));
        QVERIFY(!m_fx.hub->log().isEmpty());
        // The default cache is $XDG_CACHE_HOME/quantscope; nothing went into the HF cache.
        QVERIFY(!filesBelow(m_fx.tmp->filePath(QStringLiteral("xdg/quantscope"))).isEmpty());
        QVERIFY(filesBelow(m_fx.hfDir()).isEmpty());

        m_fx.hub->clearLog();
        Run offline = run({QStringLiteral("list"), QStringLiteral("org/model")}, {{"HF_HUB_OFFLINE", QStringLiteral("1")}});
        QVERIFY2(offline.exitCode == 0, qPrintable(offline.err));
        QCOMPARE(offline.out, r.out);
        QCOMPARE(m_fx.hub->log().size(), 0);
    }

    void exitCodesAndMessages()
    {
        Run missing = run({QStringLiteral("list"), QStringLiteral("org/missing")});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains(QLatin1String("Repository org/missing not found")), qPrintable(missing.err));
        Run dataset = run({QStringLiteral("list"), QStringLiteral("https://huggingface.co/datasets/a/b")});
        QCOMPARE(dataset.exitCode, 1);
        QVERIFY2(dataset.err.contains(QLatin1String("Only model repos are supported")), qPrintable(dataset.err));
        m_fx.hub->setValidTokens({QStringLiteral("hf_good")});
        Run stale = run({QStringLiteral("list"), QStringLiteral("org/model")}, {{"HF_TOKEN", QStringLiteral("hf_SECRET_stale")}});
        QCOMPARE(stale.exitCode, 2);
        QVERIFY2(stale.err.contains(QLatin1String("rejected the token from HF_TOKEN")), qPrintable(stale.err));
        QVERIFY(!(stale.out + stale.err).contains(QLatin1String("SECRET")));
    }
};

QTEST_GUILESS_MAIN(TestHubCli)
#include "test_hub_cli.moc"
