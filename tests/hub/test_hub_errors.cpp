// Hub failures and their messages (HF_HUB.md §6, §7, §13): missing/private repos, gated
// repos, stale tokens, unknown revisions, retries (429 + Retry-After, 5xx) during open,
// unreachable servers, traversal entries in listings, cancellation, and the token never
// showing up in messages or in the cache.
#include "hub_test_util.h"

#include "hub/hub_errors.h"

#include <QTest>

#include <atomic>

using namespace qs;
using namespace qs::test;

namespace {

QString msg(const Error& e) { return QString::fromStdString(e.message); }

class CancelAfter : public Progress {
public:
    explicit CancelAfter(uint64_t after) : m_after(after) {}
    void report(uint64_t done, uint64_t, const char*) override { m_done = done; }
    bool cancelled() const override { return m_done.load() >= m_after; }

private:
    std::atomic<uint64_t> m_done{0};
    uint64_t m_after;
};

HttpResponse response(int status, std::initializer_list<std::pair<const char*, const char*>> headers, QByteArray body = {})
{
    HttpResponse r;
    r.status = status;
    for (const auto& [k, v] : headers) r.headers.append({QByteArray(k), QByteArray(v)});
    r.body = std::move(body);
    r.finalUrl = QUrl(QStringLiteral("https://huggingface.co/org/name/resolve/abc/model.safetensors"));
    return r;
}

} // namespace

class TestHubErrors : public QObject {
    Q_OBJECT

    HubFixture m_fx;

    HubOptions withToken(const QString& token) const
    {
        HubOptions o = m_fx.options();
        o.token = token;
        o.tokenSource = QStringLiteral("HF_TOKEN");
        return o;
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_fx.setUp().isEmpty());
        m_fx.hub->setValidTokens({QStringLiteral("hf_good"), QStringLiteral("hf_other"), QStringLiteral("hf_SECRET_value_123")});
        m_fx.hub->addCommitFromDir(QStringLiteral("org/private"), m_fx.modelDir);
        m_fx.hub->setAccess(QStringLiteral("org/private"), true, QString(), {QStringLiteral("hf_good")});
        m_fx.hub->addCommitFromDir(QStringLiteral("org/gated"), m_fx.modelDir);
        m_fx.hub->setAccess(QStringLiteral("org/gated"), false, QStringLiteral("manual"), {QStringLiteral("hf_good")});
    }
    void cleanup() { m_fx = HubFixture(); }

    void missingOrPrivateRepo()
    {
        for (const QString& id : {QStringLiteral("org/missing"), QStringLiteral("org/private")}) {
            auto p = openHub(id, QStringLiteral("main"), m_fx.options());
            QVERIFY(!p.ok());
            QCOMPARE(p.error().exitCode, 2);
            const QString m = msg(p.error());
            QVERIFY2(m.contains(QStringLiteral("Repository %1 not found").arg(id)) && m.contains(QLatin1String("private"))
                         && m.contains(QLatin1String("set HF_TOKEN")),
                     qPrintable(m));
        }
        auto other = openHub(QStringLiteral("org/private"), QStringLiteral("main"), withToken(QStringLiteral("hf_other")));
        QVERIFY(!other.ok());
        QVERIFY2(msg(other.error()).contains(QLatin1String("the token from HF_TOKEN has no access")), other.error().message.c_str());
        auto good = openHub(QStringLiteral("org/private"), QStringLiteral("main"), withToken(QStringLiteral("hf_good")));
        QVERIFY(good.ok());
        QVERIFY((*good)->readAll(QStringLiteral("config.json")).ok());
    }

    void gatedRepo()
    {
        const QString url = m_fx.hub->endpoint() + QStringLiteral("/org/gated");
        auto anon = openHub(QStringLiteral("org/gated"), QStringLiteral("main"), m_fx.options());
        QVERIFY(anon.ok());  // info and listing are public; the files are not
        auto r = (*anon)->readAll(QStringLiteral("config.json"));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().exitCode, 2);
        QVERIFY2(msg(r.error()).contains(QLatin1String("org/gated is a gated model")) && msg(r.error()).contains(url)
                     && msg(r.error()).contains(QLatin1String("set HF_TOKEN")),
                 r.error().message.c_str());
        auto noAccess = openHub(QStringLiteral("org/gated"), QStringLiteral("main"), withToken(QStringLiteral("hf_other")));
        QVERIFY(noAccess.ok());
        const auto t = tensorRange(m_fx.modelDir, QStringLiteral("model-00001-of-00002.safetensors"), "model.embed_tokens.weight");
        auto r2 = (*noAccess)->read(t.file, t.offset, t.length);
        QVERIFY(!r2.ok());
        QVERIFY2(msg(r2.error()).contains(QLatin1String("has not been granted access")) && msg(r2.error()).contains(url),
                 r2.error().message.c_str());
        auto ok = openHub(QStringLiteral("org/gated"), QStringLiteral("main"), withToken(QStringLiteral("hf_good")));
        QVERIFY(ok.ok());
        QVERIFY((*ok)->read(t.file, t.offset, t.length).ok());
    }

    void staleTokenOnPublicRepo()
    {
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), withToken(QStringLiteral("hf_stale_987")));
        QVERIFY(!p.ok());
        QCOMPARE(p.error().exitCode, 2);
        const QString m = msg(p.error());
        QVERIFY2(m.contains(QLatin1String("rejected the token from HF_TOKEN")) && m.contains(QLatin1String("retry without it")),
                 qPrintable(m));
        QVERIFY(!m.contains(QLatin1String("hf_stale_987")));
    }

    void unknownRevision()
    {
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("nope"), m_fx.options());
        QVERIFY(!p.ok());
        QVERIFY2(msg(p.error()).contains(QLatin1String("Revision 'nope' not found in org/model")), p.error().message.c_str());
        const QString hex(40, QLatin1Char('a'));
        auto c = openHub(QStringLiteral("org/model"), hex, m_fx.options());
        QVERIFY(!c.ok());
        QVERIFY2(msg(c.error()).contains(QStringLiteral("Revision '%1' not found").arg(hex)), c.error().message.c_str());
    }

    void retriesDuringOpen()
    {
        FakeFaults f;
        f.fail429Count = 2;
        f.retryAfterSeconds = 0;
        m_fx.hub->setFaults(f);
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
        QCOMPARE((*p)->httpStats().retries, uint64_t(2));
        QCOMPARE((*p)->httpStats().lastRetryAfterSeconds, 0);

        f = FakeFaults();
        f.fail503Count = 1000;
        m_fx.hub->setFaults(f);
        HubOptions o = m_fx.options();
        o.maxRetries = 1;
        o.cacheDir = m_fx.tmp->filePath(QStringLiteral("other-cache"));
        auto q = openHub(QStringLiteral("org/model"), QStringLiteral("main"), o);
        QVERIFY(!q.ok());
        QVERIFY2(msg(q.error()).contains(QLatin1String("answered 503")) && msg(q.error()).contains(QLatin1String("after 1 retries"))
                     && msg(q.error()).contains(QLatin1String("X-Request-Id")),
                 q.error().message.c_str());
    }

    void unreachableServer()
    {
        HubOptions o = m_fx.options();
        o.endpoint = QStringLiteral("http://127.0.0.1:1");
        o.maxRetries = 1;
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), o);
        QVERIFY(!p.ok());
        QCOMPARE(p.error().exitCode, 2);
        QVERIFY2(msg(p.error()).contains(QLatin1String("127.0.0.1:1")) && msg(p.error()).contains(QLatin1String("HF_HUB_OFFLINE")),
                 p.error().message.c_str());
    }

    void traversalEntriesAreRefused()
    {
        for (const QString& bad : {QStringLiteral("../evil.safetensors"), QStringLiteral("/abs.json"),
                                   QStringLiteral("sub/../../x.json"), QStringLiteral("http://evil/x.json")}) {
            QMap<QString, FakeFile> files;
            files.insert(QStringLiteral("config.json"), FakeFile::fromData("{}", false));
            files.insert(bad, FakeFile::fromData("x", false));
            m_fx.hub->addCommit(QStringLiteral("org/evil"), files);
            for (bool tree : {true, false}) {
                FakeFaults f;
                f.treeDisabled = !tree;  // the siblings fallback checks entries too
                m_fx.hub->setFaults(f);
                HubOptions o = m_fx.options();
                o.cacheDir = m_fx.tmp->filePath(QStringLiteral("c%1").arg(qHash(bad) + tree));
                auto p = openHub(QStringLiteral("org/evil"), QStringLiteral("main"), o);
                QVERIFY(!p.ok());
                QVERIFY2(msg(p.error()).contains(QStringLiteral("refused entry '%1'").arg(bad)), p.error().message.c_str());
                QCOMPARE(p.error().exitCode, 2);
            }
        }
    }

    void cancelDuringRead()
    {
        auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), m_fx.options());
        QVERIFY(p.ok());
        FakeFaults f;
        f.slowChunkDelayMs = 20;
        m_fx.hub->setFaults(f);
        const auto t = tensorRange(m_fx.modelDir, QStringLiteral("model-00002-of-00002.safetensors"), "model.layers.1.mlp.up_proj.weight");
        CancelAfter progress(64 * 1024);
        auto r = (*p)->read(t.file, t.offset, t.length, &progress);
        QVERIFY(!r.ok());
        QVERIFY2(msg(r.error()).endsWith(QLatin1String("cancelled")), r.error().message.c_str());
        for (const QString& file : filesBelow(m_fx.cacheDir())) QVERIFY2(!file.endsWith(QLatin1String(".bin")), qPrintable(file));
        // The server stopped sending long before the end of the tensor.
        qint64 served = 0;
        for (const auto& e : only(m_fx.hub->log(), QStringLiteral("cdn"))) served += e.bodyBytes;
        QVERIFY(served < qint64(t.length));
    }

    void tokenNeverInMessagesOrCache()
    {
        const QString secret = QStringLiteral("hf_SECRET_value_123");
        HubOptions o = withToken(secret);
        QStringList messages;
        {
            auto p = openHub(QStringLiteral("org/model"), QStringLiteral("main"), o);
            QVERIFY(p.ok());
            const auto files = (*p)->listFiles();
            QVERIFY(files.ok());
            for (const QString& f : *files) QVERIFY((*p)->readAll(f).ok());
            messages << (*p)->describe() << (*p)->resultsName();
            auto bad = (*p)->read(QStringLiteral("../x"), 0, 1);
            messages << msg(bad.error());
            auto gated = openHub(QStringLiteral("org/gated"), QStringLiteral("main"), o);
            QVERIFY(gated.ok());
            auto g = (*gated)->readAll(QStringLiteral("config.json"));
            QVERIFY(!g.ok());
            messages << msg(g.error());
        }
        HubOptions stale = o;
        stale.token = QStringLiteral("hf_SECRET_stale_456");
        stale.cacheDir = m_fx.tmp->filePath(QStringLiteral("c2"));
        auto s = openHub(QStringLiteral("org/model"), QStringLiteral("main"), stale);
        QVERIFY(!s.ok());
        messages << msg(s.error());
        for (const QString& m : messages) QVERIFY2(!m.contains(QLatin1String("SECRET")), qPrintable(m));
        const QByteArray cache = allFileBytes(m_fx.cacheDir()) + allFileBytes(stale.cacheDir);
        QVERIFY(!cache.isEmpty());
        QVERIFY(!cache.contains("SECRET"));
        // It was sent, though: to the Hub, never to the CDN.
        bool sawToken = false;
        for (const auto& e : m_fx.hub->log()) {
            if (e.server == QLatin1String("cdn")) QVERIFY(!e.hasAuthorization());
            sawToken = sawToken || e.header("authorization") == "Bearer " + secret.toUtf8();
        }
        QVERIFY(sawToken);
    }

    void messagesForEachError()
    {
        HubErrorContext c;
        c.endpoint = QStringLiteral("https://huggingface.co");
        c.repoId = QStringLiteral("org/name");
        c.revision = QStringLiteral("v2");
        c.path = QStringLiteral("model.safetensors");
        c.what = QStringLiteral("model.safetensors bytes 0-9");
        auto text = [&](const HttpResponse& r) { return msg(hubHttpError(r, c)); };
        QVERIFY(text(response(404, {{"X-Error-Code", "RevisionNotFound"}})).startsWith(QLatin1String("Revision 'v2' not found in org/name")));
        QVERIFY(text(response(404, {{"X-Error-Code", "EntryNotFound"}})).startsWith(
            QLatin1String("File 'model.safetensors' not found in org/name at revision v2")));
        QVERIFY(text(response(401, {{"X-Error-Code", "GatedRepo"}})).contains(
            QLatin1String("accept the licence, then set HF_TOKEN")));
        c.hadToken = true;
        c.tokenSource = QStringLiteral("token file /t");
        QVERIFY(text(response(403, {{"X-Error-Code", "GatedRepo"}})).contains(
            QLatin1String("the token from token file /t has not been granted access yet: accept the licence at https://huggingface.co/org/name")));
        QVERIFY(text(response(401, {{"X-Error-Message", "Invalid credentials in Authorization header"}}))
                    .contains(QLatin1String("rejected the token from token file /t")));
        QVERIFY(text(response(404, {{"X-Error-Code", "RepoNotFound"}})).contains(QLatin1String("has no access")));
        QVERIFY(text(response(403, {{"X-Error-Message", "Access to this resource is disabled."}})).contains(QLatin1String("disabled")));
        c.hadToken = false;
        QVERIFY(text(response(401, {})).contains(QLatin1String("not found on https://huggingface.co, or it is private")));
        QVERIFY(text(response(404, {})).contains(QLatin1String("File 'model.safetensors' not found")));
        c.retries = 5;
        const QString s = text(response(502, {{"X-Request-Id", "Root=1-abc"}}, "<html>bad gateway</html>"));
        QVERIFY2(s.contains(QLatin1String("answered 502")) && s.contains(QLatin1String("after 5 retries"))
                     && s.contains(QLatin1String("X-Request-Id: Root=1-abc")),
                 qPrintable(s));
        QCOMPARE(hubHttpError(response(500, {}), c).exitCode, 2);
        QCOMPARE(hubErrorMessage(response(400, {}, "{\"error\":\"bad thing\"}")), QStringLiteral("bad thing"));
    }
};

QTEST_GUILESS_MAIN(TestHubErrors)
#include "test_hub_errors.moc"
