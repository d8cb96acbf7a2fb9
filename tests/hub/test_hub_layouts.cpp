// A quantized checkpoint over the fake Hub (issue #10): a gpt-oss MXFP4 repo with a large
// plain tensor next to the experts. `list` reads headers only; `wq … experts` fetches only
// the _blocks/_scales parts with ranged reads (never the plain tensor) and gives the same
// rows and emulation match as the run on the local folder.
// Skipped when the binary has not been built (QS_TEST_BINARY overrides its path).
#include "hub_test_util.h"
#include "layout_fixtures.h"
#include "test_paths.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
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

class TestHubLayouts : public QObject {
    Q_OBJECT

    HubFixture m_fx;
    QString m_binary;

    Run run(const QStringList& args)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* v : {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE",
                              "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"})
            env.remove(QString::fromLatin1(v));
        env.insert(QStringLiteral("HF_ENDPOINT"), m_fx.hub->endpoint());
        env.insert(QStringLiteral("HF_HOME"), m_fx.hfDir());
        env.insert(QStringLiteral("XDG_CACHE_HOME"), m_fx.tmp->filePath(QStringLiteral("xdg")));
        env.insert(QStringLiteral("NO_COLOR"), QStringLiteral("1"));
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

    // The rows of a wq --json document without timings and sources: tensor -> rows + match.
    static QJsonArray comparable(const QString& json)
    {
        QJsonArray out;
        for (const QJsonValue& tv : QJsonDocument::fromJson(json.toUtf8()).object().value("tensors").toArray()) {
            QJsonObject t = tv.toObject();
            t.remove("file");
            QJsonArray rows;
            for (const QJsonValue& rv : t.value("rows").toArray()) {
                QJsonObject r = rv.toObject();
                r.remove("seconds");
                rows.append(r);
            }
            t["rows"] = rows;
            out.append(t);
        }
        return out;
    }

private Q_SLOTS:
    void init()
    {
        m_binary = qEnvironmentVariable("QS_TEST_BINARY", qs::test::binaryPath());
        if (!QFileInfo(m_binary).isExecutable()) QSKIP("quantscope is not built");
        QVERIFY(m_fx.setUp().isEmpty());
    }
    void cleanup() { m_fx = HubFixture(); }

    void gptOssOverTheHub()
    {
        fixtures::LayoutCase c = fixtures::mxfp4Case(4, 16, 8, 21);  // experts: 8 KiB of blocks
        std::mt19937 rng(3);
        // 2 MiB never needed, stored first: the parts lie beyond the header probe of `list`
        c.tensors.insert(c.tensors.begin(), fixtures::plainBf16("lm_head.weight", 1 << 20, rng));
        const QString dir = m_fx.tmp->filePath("gpt-oss-local");
        QVERIFY(fixtures::writeFolder(c, dir));
        m_fx.hub->addCommitFromDir("org/gpt-oss-mini", dir);
        const QString url = m_fx.hub->endpoint() + "/org/gpt-oss-mini";
        const qint64 fileSize = QFileInfo(dir + "/model.safetensors").size();

        m_fx.hub->clearLog();
        const Run l = run({"list", url});
        QVERIFY2(l.exitCode == 0, qPrintable(l.err));
        const std::string e = c.logical[0];
        QVERIFY2(l.out.contains(QString::fromStdString(e) + "  mxfp4 (gpt-oss)  (4, 16, 256)"), qPrintable(l.out));
        // Data comes by ranged reads (the CDN's signed URLs do not name the file); no
        // answer without a Range header carries more than a small JSON/config body.
        auto dataBytes = [](const QVector<FakeLogEntry>& log) {
            qint64 ranged = 0;
            for (const auto& entry : log) {
                if (entry.headers.contains("range")) ranged += entry.bodyBytes;
                else if (entry.bodyBytes > 16 * 1024) return qint64(-1);  // a whole file
            }
            return ranged;
        };
        const qint64 listBytes = dataBytes(m_fx.hub->log());
        // the header probe (64 KiB by default) only, not the 2 MiB of data
        QVERIFY2(listBytes > 0 && listBytes <= 128 * 1024 && listBytes < fileSize / 16, qPrintable(QString::number(listBytes)));

        m_fx.hub->clearLog();
        const Run w = run({"wq", url, "experts", "-c", "mxfp4,bf16", "--no-results", "--json"});
        QVERIFY2(w.exitCode == 0, qPrintable(w.err));
        const qint64 wqBytes = dataBytes(m_fx.hub->log());
        // the parts (4·16·8·16 + 4·16·8 bytes; the header is cached from list), far from the
        // 2 MiB plain tensor
        const qint64 parts = 4 * 16 * 8 * 16 + 4 * 16 * 8;
        QVERIFY2(wqBytes >= parts && wqBytes < parts + 128 * 1024 && wqBytes < fileSize / 4,
                 qPrintable(QString("%1 of %2").arg(wqBytes).arg(fileSize)));

        const Run local = run({"wq", dir, "experts", "-c", "mxfp4,bf16", "--no-results", "--json"});
        QVERIFY2(local.exitCode == 0, qPrintable(local.err));
        const QJsonArray remoteRows = comparable(w.out), localRows = comparable(local.out);
        QCOMPARE(remoteRows.size(), 1);
        QCOMPARE(remoteRows, localRows);
        const QJsonObject t = remoteRows.at(0).toObject();
        QCOMPARE(t.value("layout").toString(), QString("mxfp4 (gpt-oss)"));
        QCOMPARE(t.value("emulation_match").toObject().value("total").toInt(), 4 * 16 * 256);
    }
};

QTEST_GUILESS_MAIN(TestHubLayouts)
#include "test_hub_layouts.moc"
