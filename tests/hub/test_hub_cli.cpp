// The built binary against the fake Hub: `quantscope list` on a Hub URL (HF_ENDPOINT set
// to the fake server), again with HF_HUB_OFFLINE=1 and no request, and the exit codes and
// messages of a missing repo, a dataset URL and a stale token (never echoed).
// Skipped when the binary has not been built (QS_TEST_BINARY overrides its path).
#include "hub_test_util.h"
#include "imatrix_test_util.h"
#include "test_paths.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <QFileInfo>
#include <QProcess>
#include <QTest>

#include <cmath>

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

    void importanceFromTheHub()
    {
        // #18: --importance org/repo:path reads a GGUF imatrix through the Hub client (the
        // run's cache, ranged reads), binds llama.cpp names to the model (model_type "test":
        // the generic table), and a second run offline makes no request.
        std::vector<GTensor> t;
        std::vector<float> down(256), up(512), q(384);
        for (size_t i = 0; i < down.size(); ++i) down[i] = 10.0f * float(1 + i % 5);  // count 10: E[x²] = 1..5
        for (size_t i = 0; i < up.size(); ++i) up[i] = 10.0f;
        for (size_t i = 0; i < q.size(); ++i) q[i] = 10.0f * (i == 7 ? 100.0f : 1.0f);
        addEntry(t, "blk.0.ffn_down.weight", 256, {10}, down);
        addEntry(t, "blk.1.ffn_up.weight", 512, {10}, up);
        addEntry(t, "blk.1.attn_q.weight", 384, {10}, q);
        addEntry(t, "blk.9.ffn_gate.weight", 16, {10}, std::vector<float>(16, 1.0f));  // no such layer
        const std::vector<uint8_t> bytes = ggufImatrix(t);
        QMap<QString, FakeFile> files;
        files.insert(QStringLiteral("imatrix.gguf"), FakeFile::fromData(QByteArray(reinterpret_cast<const char*>(bytes.data()), qsizetype(bytes.size())), true));
        m_fx.hub->addCommit(QStringLiteral("org/imatrix"), files);
        const QStringList args = {QStringLiteral("wq"), QStringLiteral("org/model"), QStringLiteral("-c"), QStringLiteral("bfp4"),
                                  QStringLiteral("--importance"), QStringLiteral("org/imatrix:imatrix.gguf"),
                                  QStringLiteral("--no-results"), QStringLiteral("--json")};
        Run r = run(args);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject doc = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(doc["importance"]["format"].toString(), QStringLiteral("gguf-imatrix"));
        QVERIFY2(doc["importance"]["source"].toString().startsWith(QStringLiteral("org/imatrix@")), qPrintable(doc["importance"]["source"].toString()));
        QCOMPARE(doc["importance"]["unmapped_entries"].toArray().size(), 1);
        int weighted = 0;
        for (const QJsonValue& tv : doc["tensors"].toArray()) {
            const QString name = tv["name"].toString();
            const QJsonObject row = tv["rows"].toArray()[0].toObject();
            if (name == QLatin1String("model.layers.0.mlp.down_proj.weight") || name == QLatin1String("model.layers.1.mlp.up_proj.weight") ||
                name == QLatin1String("model.layers.1.self_attn.q_proj.weight")) {
                QVERIFY2(!row["wrel"].isNull(), qPrintable(name));
                ++weighted;
            } else {
                QVERIFY2(row["wrel"].isNull(), qPrintable(name));
            }
        }
        QCOMPARE(weighted, 3);
        // up_proj's importance is uniform: its weighted metrics are its plain ones.
        for (const QJsonValue& tv : doc["tensors"].toArray())
            if (tv["name"].toString() == QLatin1String("model.layers.1.mlp.up_proj.weight")) {
                const QJsonObject row = tv["rows"].toArray()[0].toObject();
                QVERIFY(std::fabs(row["wrel"].toDouble() / row["rel_rmse"].toDouble() - 1) < 1e-12);
            }
        // The imatrix was fetched by byte ranges, not as a whole.
        bool ranged = false;
        for (const FakeLogEntry& e : m_fx.hub->log())
            if (e.target.contains("imatrix.gguf") && e.headers.contains("range")) ranged = true;
        QVERIFY(ranged);
        m_fx.hub->clearLog();
        Run offline = run(args, {{"HF_HUB_OFFLINE", QStringLiteral("1")}});
        QVERIFY2(offline.exitCode == 0, qPrintable(offline.err));
        QCOMPARE(m_fx.hub->log().size(), 0);
        // A file the repo does not have is named.
        Run missing = run({QStringLiteral("wq"), QStringLiteral("org/model"), QStringLiteral("-c"), QStringLiteral("bfp4"),
                           QStringLiteral("--importance"), QStringLiteral("org/imatrix:nope.dat"), QStringLiteral("--no-results")});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains(QLatin1String("has no file \"nope.dat\"")), qPrintable(missing.err));
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
