// Shards sharing one --cache-dir (issue #12): several quantscope processes fetch the same
// byte ranges from the fake Hub into one range cache at the same time. Every cache entry
// must afterwards hold exactly the bytes of the file it names (no torn or mixed writes,
// no temporary files left), every process must report the same numbers, and a later
// offline run must be served from the cache alone.
// Skipped when the binary has not been built (QS_TEST_BINARY overrides its path).
#include "hub_test_util.h"
#include "report_compare.h"
#include "test_paths.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>
#include <QUrl>

#include <algorithm>
#include <memory>
#include <vector>

using namespace qs;
using namespace qs::test;

namespace {

} // namespace

class TestCacheConcurrency : public QObject {
    Q_OBJECT

    HubFixture m_fx;
    QString m_binary;

    std::unique_ptr<QProcess> start(const QString& cacheDir, bool offline)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* v : {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE",
                              "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"})
            env.remove(QString::fromLatin1(v));
        env.insert("HF_ENDPOINT", m_fx.hub->endpoint());
        env.insert("HF_HOME", m_fx.hfDir());
        env.insert("NO_COLOR", "1");
        if (offline) env.insert("HF_HUB_OFFLINE", "1");
        auto p = std::make_unique<QProcess>();
        p->setProcessEnvironment(env);
        p->start(m_binary, {"wq", "org/model", "--all", "-c", "bf16,bfp8", "--no-results", "--json", "--cache-dir", cacheDir});
        return p;
    }

    // Every cached range holds the bytes of the model file it names.
    void checkCache(const QString& cacheDir, int* segments)
    {
        static const QRegularExpression name(QStringLiteral("^(\\d+)-(\\d+)\\.bin$"));
        *segments = 0;
        QDirIterator it(cacheDir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QFileInfo fi(it.next());
            if (!fi.path().contains("/ranges/")) {
                QVERIFY2(fi.fileName() == "listing.json" || fi.fileName() == "refs.json", qPrintable(fi.filePath()));
                continue;
            }
            const auto m = name.match(fi.fileName());
            QVERIFY2(m.hasMatch(), qPrintable("a temporary or foreign file was left: " + fi.filePath()));
            const qint64 off = m.captured(1).toLongLong(), len = m.captured(2).toLongLong();
            QCOMPARE(fi.size(), len);
            const QString file = QUrl::fromPercentEncoding(QFileInfo(fi.path()).fileName().toLatin1());
            const QByteArray source = readFile(m_fx.modelDir + "/" + file);
            QVERIFY2(!source.isEmpty(), qPrintable(file));
            QVERIFY2(readFile(fi.filePath()) == source.mid(off, len), qPrintable("torn cache entry " + fi.filePath()));
            ++*segments;
        }
    }

private Q_SLOTS:
    void init()
    {
        m_binary = qEnvironmentVariable("QS_TEST_BINARY", qs::test::binaryPath());
        if (!QFileInfo(m_binary).isExecutable()) QSKIP("quantscope is not built");
        QVERIFY(m_fx.setUp().isEmpty());
    }
    void cleanup() { m_fx = HubFixture(); }

    void processesShareOneCache()
    {
        FakeFaults slow;
        slow.latencyMs = 15;         // answers overlap: the processes race for the same ranges
        slow.slowChunkDelayMs = 2;
        m_fx.hub->setFaults(slow);
        constexpr int kProcesses = 4;
        QJsonObject expected;
        for (int round = 0; round < 2; ++round) {
            m_fx.hub->clearLog();
            const QString cache = m_fx.tmp->filePath(QStringLiteral("shared-%1").arg(round));
            std::vector<std::unique_ptr<QProcess>> procs;
            for (int i = 0; i < kProcesses; ++i) procs.push_back(start(cache, false));
            for (auto& p : procs) {
                QVERIFY(p->waitForFinished(120000));
                const QByteArray err = p->readAllStandardError();
                QVERIFY2(p->exitStatus() == QProcess::NormalExit && p->exitCode() == 0, err.constData());
                const QJsonObject numbers = withoutSeconds(p->readAllStandardOutput());
                QVERIFY(!numbers.value("tensors").toArray().isEmpty());
                if (expected.isEmpty()) expected = numbers;
                QCOMPARE(numbers, expected);
            }
            // the race happened: some range was fetched by more than one process
            QMap<QByteArray, int> fetched;
            for (const FakeLogEntry& e : m_fx.hub->log())
                if (!e.header("range").isEmpty()) ++fetched[e.path() + ' ' + e.header("range")];
            QVERIFY2(std::any_of(fetched.begin(), fetched.end(), [](int n) { return n > 1; }), "no range was fetched twice");
            int segments = 0;
            checkCache(cache, &segments);
            QVERIFY(segments > 0);
            // every range was fetched once or more, never half: served offline from the cache alone
            m_fx.hub->clearLog();
            auto offline = start(cache, true);
            QVERIFY(offline->waitForFinished(60000));
            QVERIFY2(offline->exitCode() == 0, offline->readAllStandardError().constData());
            QCOMPARE(withoutSeconds(offline->readAllStandardOutput()), expected);
            QCOMPARE(m_fx.hub->log().size(), 0);
        }
    }
};

QTEST_GUILESS_MAIN(TestCacheConcurrency)
#include "test_cache_concurrency.moc"
