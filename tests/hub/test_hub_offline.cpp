// Reusing huggingface_hub's cache (HF_HUB.md §10) and offline mode: complete snapshot
// files are read with no request at all (symlinks to blobs followed; truncated copies and
// dangling links are not trusted), the HF cache is never written, HF_HUB_OFFLINE answers
// from the caches with zero requests and names the file on a miss, and an unreachable
// Hub falls back to the cached commit of a branch.
#include "hub_test_util.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDirIterator>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace qs;
using namespace qs::test;

namespace {

QString msg(const Error& e) { return QString::fromStdString(e.message); }

void writeBytes(const QString& path, const QByteArray& data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(data);
}

// (path, size, mtime) of every entry below dir, links not followed.
QStringList fingerprint(const QString& dir)
{
    QStringList out;
    QDirIterator it(dir, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QFileInfo fi(it.next());
        out << QStringLiteral("%1 %2 %3").arg(fi.filePath()).arg(fi.isSymLink() ? -1 : fi.size())
                   .arg(fi.lastModified().toMSecsSinceEpoch());
    }
    out.sort();
    return out;
}

} // namespace

class TestHubOffline : public QObject {
    Q_OBJECT

    HubFixture m_fx;
    const QString kShard1 = QStringLiteral("model-00001-of-00002.safetensors");
    const QString kShard2 = QStringLiteral("model-00002-of-00002.safetensors");

    QString repoDir() const { return m_fx.hfDir() + QStringLiteral("/models--org--model"); }

    // huggingface_hub's layout: LFS files as symlinks to blobs/<sha256>, small files as
    // regular files (HF_HUB_DISABLE_SYMLINKS style), refs/main, trees/<commit>.json.
    void buildHfCache(bool withTree)
    {
        const QString snap = repoDir() + QStringLiteral("/snapshots/") + m_fx.commit;
        QJsonObject files;
        for (const QString& f : QDir(m_fx.modelDir).entryList(QDir::Files)) {
            const QByteArray data = readFile(m_fx.modelDir + QLatin1Char('/') + f);
            QJsonObject e{{QStringLiteral("size"), double(data.size())}};
            if (f.endsWith(QLatin1String(".safetensors"))) {
                const QString sha = QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
                writeBytes(repoDir() + QStringLiteral("/blobs/") + sha, data);
                QDir().mkpath(snap);
                QVERIFY(QFile::link(QStringLiteral("../../blobs/") + sha, snap + QLatin1Char('/') + f));
                e[QStringLiteral("lfs_sha256")] = sha;
            } else {
                writeBytes(snap + QLatin1Char('/') + f, data);
            }
            files[f] = e;
        }
        writeBytes(repoDir() + QStringLiteral("/refs/main"), m_fx.commit.toLatin1());
        if (withTree)
            writeBytes(repoDir() + QStringLiteral("/trees/") + m_fx.commit + QStringLiteral(".json"),
                       QJsonDocument(QJsonObject{{QStringLiteral("format_version"), 1}, {QStringLiteral("files"), files}}).toJson());
    }

    void readEverything(HubProvider& p)
    {
        auto files = p.listFiles();
        QVERIFY(files.ok());
        QCOMPARE(files->size(), 4);
        for (const QString& f : *files) {
            auto v = p.readAll(f);
            QVERIFY2(v.ok(), v.ok() ? "" : v.error().message.c_str());
            QCOMPARE(viewBytes(*v), readFile(m_fx.modelDir + QLatin1Char('/') + f));
        }
    }

private Q_SLOTS:
    void init() { QVERIFY(m_fx.setUp().isEmpty()); }
    void cleanup() { m_fx = HubFixture(); }

    void hfSnapshotWithTreeNeedsNoRequest()
    {
        buildHfCache(true);
        const QStringList before = fingerprint(m_fx.hfDir());
        {
            auto p = openHub(QStringLiteral("org/model"), m_fx.commit, m_fx.options());
            QVERIFY(p.ok());
            QCOMPARE((*p)->listingSource(), QStringLiteral("hf-cache"));
            readEverything(**p);
            QCOMPARE((*p)->httpStats().requests, uint64_t(0));
        }
        QCOMPARE(m_fx.hub->log().size(), 0);
        {
            auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
            QVERIFY(p.ok());
            readEverything(**p);
        }
        QCOMPARE(m_fx.hub->log().size(), 1);  // only: where does main point?
        QCOMPARE(fingerprint(m_fx.hfDir()), before);  // never written
        QVERIFY(!filesBelow(m_fx.cacheDir()).join(QLatin1Char('\n')).contains(QLatin1String(".bin")));
    }

    void hfSnapshotWithoutTreeListsOnline()
    {
        buildHfCache(false);
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
        QVERIFY(p.ok());
        readEverything(**p);
        const auto log = m_fx.hub->log();
        QCOMPARE(log.size(), 2);  // repo info + one tree page; the files come from the snapshot
        QVERIFY(log[1].path().contains("/tree/"));
    }

    void incompleteSnapshotFilesAreFetched()
    {
        buildHfCache(true);
        const QString snap = repoDir() + QStringLiteral("/snapshots/") + m_fx.commit;
        // shard 2: a truncated regular copy; config.json: a dangling link.
        QVERIFY(QFile::remove(snap + QLatin1Char('/') + kShard2));
        writeBytes(snap + QLatin1Char('/') + kShard2, readFile(m_fx.modelDir + QLatin1Char('/') + kShard2).left(1000));
        QVERIFY(QFile::remove(snap + QStringLiteral("/config.json")));
        QVERIFY(QFile::link(QStringLiteral("../../blobs/missing"), snap + QStringLiteral("/config.json")));
        auto p = openHub(QStringLiteral("org/model"), m_fx.commit, m_fx.options());
        QVERIFY(p.ok());
        readEverything(**p);
        QStringList fetched;
        for (const auto& e : m_fx.hub->log())
            if (e.path().contains("/resolve/")) fetched << QString::fromLatin1(e.path().split('/').last());
        fetched.removeDuplicates();
        fetched.sort();
        QCOMPARE(fetched, QStringList({QStringLiteral("config.json"), kShard2}));
    }

    void offlineAnswersFromTheCacheOnly()
    {
        const auto a = tensorRange(m_fx.modelDir, kShard1, "model.embed_tokens.weight");
        const auto b = tensorRange(m_fx.modelDir, kShard2, "model.norm.weight");
        {
            auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
            QVERIFY(p.ok());
            QVERIFY((*p)->read(a.file, a.offset, a.length).ok());
            QVERIFY((*p)->readAll(QStringLiteral("config.json")).ok());
        }
        m_fx.hub->clearLog();
        HubOptions o = m_fx.options();
        o.offline = true;
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), o);
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
        QCOMPARE((*p)->commit(), m_fx.commit);
        auto va = (*p)->read(a.file, a.offset, a.length);
        QVERIFY(va.ok());
        QCOMPARE(viewBytes(*va), readFile(m_fx.modelDir + QLatin1Char('/') + kShard1).mid(qsizetype(a.offset), qsizetype(a.length)));
        QVERIFY((*p)->readAll(QStringLiteral("config.json")).ok());
        auto miss = (*p)->read(b.file, b.offset, b.length);
        QVERIFY(!miss.ok());
        QCOMPARE(miss.error().exitCode, 2);
        QVERIFY2(msg(miss.error()).contains(QLatin1String("HF_HUB_OFFLINE")) && msg(miss.error()).contains(kShard2),
                 miss.error().message.c_str());
        QVERIFY((*p)->prefetch({b}).ok());  // a hint: no request, no error
        QCOMPARE((*p)->httpStats().requests, uint64_t(0));
        QCOMPARE(m_fx.hub->log().size(), 0);

        auto unknown = openHub(QStringLiteral("org/model"), QStringLiteral("v9"), o);
        QVERIFY(!unknown.ok());
        QVERIFY2(msg(unknown.error()).contains(QLatin1String("revision 'v9' of org/model is not in the cache")),
                 unknown.error().message.c_str());
        o.cacheDir = m_fx.tmp->filePath(QStringLiteral("empty-cache"));
        auto nothing = openHub(QStringLiteral("org/model"), m_fx.commit, o);
        QVERIFY(!nothing.ok());
        QVERIFY2(msg(nothing.error()).contains(QLatin1String("no file listing")), nothing.error().message.c_str());
        QCOMPARE(m_fx.hub->log().size(), 0);
    }

    void offlineFromTheHfCache()
    {
        buildHfCache(false);  // no trees/<commit>.json: the snapshot folder is the listing
        HubOptions o = m_fx.options();
        o.offline = true;
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), o);
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
        QCOMPARE((*p)->listingSource(), QStringLiteral("hf-snapshot"));
        readEverything(**p);
        QCOMPARE(m_fx.hub->log().size(), 0);
    }

    void unreachableHubUsesTheCachedCommit()
    {
        const auto a = tensorRange(m_fx.modelDir, kShard1, "model.embed_tokens.weight");
        {
            auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
            QVERIFY(p.ok());
            QVERIFY((*p)->read(a.file, a.offset, a.length).ok());
        }
        HubOptions o = m_fx.options();
        o.endpoint = QStringLiteral("http://127.0.0.1:1");
        o.maxRetries = 0;
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), o);
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
        QCOMPARE((*p)->commit(), m_fx.commit);
        QVERIFY((*p)->read(a.file, a.offset, a.length).ok());
    }
};

QTEST_GUILESS_MAIN(TestHubOffline)
#include "test_hub_offline.moc"
