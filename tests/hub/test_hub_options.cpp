// HubOptions::fromEnvironment (HF_HUB.md §6, §9): endpoint, token sources and their
// precedence, HF_HOME / HF_HUB_CACHE / HUGGINGFACE_HUB_CACHE / XDG precedence, offline
// truthy values, timeouts, the default cache dir; describeToken never shows the token.
#include "hub/hub_options.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace qs;

namespace {

QProcessEnvironment env(std::initializer_list<std::pair<const char*, QString>> vars)
{
    QProcessEnvironment e;
    e.insert(QStringLiteral("HOME"), QStringLiteral("/home/u"));
    for (const auto& [k, v] : vars) e.insert(QString::fromLatin1(k), v);
    return e;
}

void writeFile(const QString& path, const QByteArray& data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(data);
}

} // namespace

class TestHubOptions : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void defaults()
    {
        const HubOptions o = HubOptions::fromEnvironment(env({}));
        QCOMPARE(o.endpoint, QStringLiteral("https://huggingface.co"));
        QCOMPARE(o.hfHome, QStringLiteral("/home/u/.cache/huggingface"));
        QCOMPARE(o.hfHubCache, QStringLiteral("/home/u/.cache/huggingface/hub"));
        QVERIFY(!o.offline);
        QCOMPARE(o.metadataTimeoutMs, 10000);
        QCOMPARE(o.downloadTimeoutMs, 10000);
        QCOMPARE(o.maxParallel, 8);
        QCOMPARE(o.cacheDir, QDir::cleanPath(QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation)
                                             + QStringLiteral("/quantscope")));
        QCOMPARE(o.describeToken(), QStringLiteral("no token"));
    }

    void endpointTrailingSlash()
    {
        const HubOptions o = HubOptions::fromEnvironment(env({{"HF_ENDPOINT", "http://127.0.0.1:9000/mirror//"}}));
        QCOMPARE(o.endpoint, QStringLiteral("http://127.0.0.1:9000/mirror"));
        QCOMPARE(o.endpointHost(), QStringLiteral("127.0.0.1:9000"));
    }

    void cachePrecedence()
    {
        HubOptions o = HubOptions::fromEnvironment(env({{"XDG_CACHE_HOME", "/xdg"}}));
        QCOMPARE(o.hfHubCache, QStringLiteral("/xdg/huggingface/hub"));
        o = HubOptions::fromEnvironment(env({{"XDG_CACHE_HOME", "/xdg"}, {"HF_HOME", "~/hfhome"}}));
        QCOMPARE(o.hfHome, QStringLiteral("/home/u/hfhome"));
        QCOMPARE(o.hfHubCache, QStringLiteral("/home/u/hfhome/hub"));
        o = HubOptions::fromEnvironment(env({{"HF_HOME", "/h"}, {"HUGGINGFACE_HUB_CACHE", "/legacy"}}));
        QCOMPARE(o.hfHubCache, QStringLiteral("/legacy"));
        o = HubOptions::fromEnvironment(env({{"HF_HOME", "/h"}, {"HUGGINGFACE_HUB_CACHE", "/legacy"}, {"HF_HUB_CACHE", "$HOME/c"}}));
        QCOMPARE(o.hfHubCache, QStringLiteral("/home/u/c"));
    }

    void tokenPrecedence()
    {
        QTemporaryDir tmp;
        writeFile(tmp.filePath(QStringLiteral("home/token")), "  hf_file\n");
        writeFile(tmp.filePath(QStringLiteral("other")), "hf_path\n");
        const QString home = tmp.filePath(QStringLiteral("home"));
        HubOptions o = HubOptions::fromEnvironment(env({{"HF_HOME", home}}));
        QCOMPARE(o.token, QStringLiteral("hf_file"));
        QCOMPARE(o.tokenSource, QStringLiteral("token file ") + home + QStringLiteral("/token"));
        o = HubOptions::fromEnvironment(env({{"HF_HOME", home}, {"HF_TOKEN_PATH", tmp.filePath(QStringLiteral("other"))}}));
        QCOMPARE(o.token, QStringLiteral("hf_path"));
        o = HubOptions::fromEnvironment(env({{"HF_HOME", home}, {"HUGGINGFACE_HUB_TOKEN", "hf_c"}}));
        QCOMPARE(o.token, QStringLiteral("hf_c"));
        o = HubOptions::fromEnvironment(env({{"HF_HOME", home}, {"HUGGINGFACE_HUB_TOKEN", "hf_c"}, {"HUGGING_FACE_HUB_TOKEN", "hf_b"}}));
        QCOMPARE(o.token, QStringLiteral("hf_b"));
        QCOMPARE(o.tokenSource, QStringLiteral("HUGGING_FACE_HUB_TOKEN"));
        o = HubOptions::fromEnvironment(
            env({{"HF_HOME", home}, {"HUGGING_FACE_HUB_TOKEN", "hf_b"}, {"HF_TOKEN", " hf_a\n"}}));
        QCOMPARE(o.token, QStringLiteral("hf_a"));
        QCOMPARE(o.tokenSource, QStringLiteral("HF_TOKEN"));
        QCOMPARE(o.describeToken(), QStringLiteral("HF_TOKEN"));
        QVERIFY(!o.describeToken().contains(QLatin1String("hf_a")));
        // An empty HF_TOKEN means "no token here": the next source is used.
        o = HubOptions::fromEnvironment(env({{"HF_HOME", home}, {"HF_TOKEN", "  "}}));
        QCOMPARE(o.token, QStringLiteral("hf_file"));
        // No file, no variables: anonymous.
        o = HubOptions::fromEnvironment(env({{"HF_HOME", tmp.filePath(QStringLiteral("none"))}}));
        QVERIFY(o.token.isEmpty());
    }

    void offlineValues()
    {
        for (const char* v : {"1", "ON", "yes", "True", "TRUE"}) {
            QVERIFY(HubOptions::fromEnvironment(env({{"HF_HUB_OFFLINE", QString::fromLatin1(v)}})).offline);
            QVERIFY(HubOptions::fromEnvironment(env({{"TRANSFORMERS_OFFLINE", QString::fromLatin1(v)}})).offline);
        }
        for (const char* v : {"0", "", "false", "no", "2"})
            QVERIFY(!HubOptions::fromEnvironment(env({{"HF_HUB_OFFLINE", QString::fromLatin1(v)}})).offline);
    }

    void timeouts()
    {
        HubOptions o = HubOptions::fromEnvironment(env({{"HF_HUB_ETAG_TIMEOUT", "2.5"}, {"HF_HUB_DOWNLOAD_TIMEOUT", "30"}}));
        QCOMPARE(o.metadataTimeoutMs, 2500);
        QCOMPARE(o.downloadTimeoutMs, 30000);
        o = HubOptions::fromEnvironment(env({{"HF_HUB_ETAG_TIMEOUT", "abc"}, {"HF_HUB_DOWNLOAD_TIMEOUT", "-1"}}));
        QCOMPARE(o.metadataTimeoutMs, 10000);
        QCOMPARE(o.downloadTimeoutMs, 10000);
    }

    void pathExpansion()
    {
        QProcessEnvironment e = env({{"X", "/base"}});
        QCOMPARE(expandUserPath(QStringLiteral("${X}/a/$X"), e), QStringLiteral("/base/a//base"));
        QCOMPARE(expandUserPath(QStringLiteral("~/a"), e), QStringLiteral("/home/u/a"));
        QCOMPARE(expandUserPath(QStringLiteral("$UNSET/a"), e), QStringLiteral("$UNSET/a"));
    }
};

QTEST_GUILESS_MAIN(TestHubOptions)
#include "test_hub_options.moc"
