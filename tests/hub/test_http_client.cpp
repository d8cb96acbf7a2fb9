// HttpClient against the fake Hub: redirects (302 to the CDN port, relative 307),
// Authorization only on the Hub origin, Accept-Encoding identity, ranged reads into the
// caller's buffer, resume after a cut body, 200-to-range skip, 408/429/5xx retries with
// Retry-After, retry exhaustion, timeouts and prompt cancellation.
#include "fake_hub.h"
#include "hub/http_client.h"

#include <QCoreApplication>
#include <QTest>

#include <atomic>

using namespace qs;
using namespace qs::test;

namespace {

QByteArray pattern(int n, int seed = 7)
{
    QByteArray d(n, '\0');
    uint32_t x = uint32_t(seed) * 2654435761u + 1;
    for (int i = 0; i < n; ++i) {
        x = x * 1664525u + 1013904223u;
        d[i] = char(x >> 24);
    }
    return d;
}

HttpClientConfig config(const FakeHub& hub, const QString& token = QString())
{
    HttpClientConfig c;
    c.hubOrigin = QUrl(hub.endpoint());
    c.token = token;
    c.retryBaseMs = 5;
    c.retryCapMs = 20;
    c.retryAfterCapMs = 30;
    c.downloadTimeoutMs = 20000;
    c.metadataTimeoutMs = 20000;
    return c;
}

HttpRequest ranged(const QUrl& url, uint64_t start, uint64_t len, std::vector<uint8_t>& buf)
{
    buf.assign(len, 0);
    HttpRequest r;
    r.url = url;
    r.ranged = true;
    r.rangeStart = start;
    r.rangeLength = len;
    r.dest = buf.data();
    r.followOtherHosts = true;
    r.what = QStringLiteral("test range");
    return r;
}

QByteArray asBytes(const std::vector<uint8_t>& v) { return QByteArray(reinterpret_cast<const char*>(v.data()), qsizetype(v.size())); }

// Cancels once at least `after` bytes were reported.
class CancelAfter : public Progress {
public:
    explicit CancelAfter(uint64_t after) : m_after(after) {}
    void report(uint64_t done, uint64_t, const char*) override { m_done = done; }
    bool cancelled() const override { return m_done.load() >= m_after; }
    std::atomic<uint64_t> m_done{0};

private:
    uint64_t m_after;
};

} // namespace

class TestHttpClient : public QObject {
    Q_OBJECT

    std::unique_ptr<FakeHub> m_hub;
    QByteArray m_big = pattern(300000);
    QByteArray m_small = pattern(1000, 3);
    QString m_commit;

    QUrl resolveUrl(const QString& file) const
    {
        return QUrl(m_hub->endpoint() + QStringLiteral("/org/repo/resolve/") + m_commit + QLatin1Char('/') + file);
    }

private Q_SLOTS:
    void init()
    {
        m_hub = std::make_unique<FakeHub>();
        QMap<QString, FakeFile> files;
        files.insert(QStringLiteral("model.safetensors"), FakeFile::fromData(m_big, true));
        files.insert(QStringLiteral("config.json"), FakeFile::fromData(m_small, false));
        m_commit = m_hub->addCommit(QStringLiteral("org/repo"), files);
        m_hub->setValidTokens({QStringLiteral("hf_good")});
    }
    void cleanup() { m_hub.reset(); }

    void lfsRedirectGoesToCdnWithoutToken()
    {
        HttpClient client(config(*m_hub, QStringLiteral("hf_good")));
        std::vector<uint8_t> buf;
        auto r = client.run(ranged(resolveUrl(QStringLiteral("model.safetensors")), 1000, 5000, buf));
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        QCOMPARE(r->status, 206);
        QCOMPARE(asBytes(buf), m_big.mid(1000, 5000));
        QCOMPARE(r->hubHeader("X-Linked-Size"), QByteArray::number(m_big.size()));
        QCOMPARE(r->hubHeader("X-Repo-Commit"), m_commit.toLatin1());
        QCOMPARE(r->contentRangeTotal, int64_t(m_big.size()));
        QCOMPARE(r->finalUrl.port(), int(m_hub->cdnPort()));
        const auto log = m_hub->log();
        QCOMPARE(log.size(), 2);
        QCOMPARE(log[0].server, QStringLiteral("hub"));
        QCOMPARE(log[0].status, 302);
        QVERIFY(log[0].hasAuthorization());
        QCOMPARE(log[0].header("range"), QByteArray("bytes=1000-5999"));
        QCOMPARE(log[1].server, QStringLiteral("cdn"));
        QCOMPARE(log[1].port, m_hub->cdnPort());
        QVERIFY(!log[1].hasAuthorization());
        QCOMPARE(log[1].status, 206);
        QCOMPARE(log[1].header("range"), QByteArray("bytes=1000-5999"));
        for (const auto& e : log) QCOMPARE(e.header("accept-encoding"), QByteArray("identity"));
    }

    void relative307FollowedOnSameOriginWithToken()
    {
        HttpClient client(config(*m_hub, QStringLiteral("hf_good")));
        HttpRequest q;
        q.url = resolveUrl(QStringLiteral("config.json"));
        q.what = QStringLiteral("config.json");
        auto r = client.run(q);
        QVERIFY(r.ok());
        QCOMPARE(r->status, 200);
        QCOMPARE(r->body, m_small);
        QCOMPARE(r->redirects, 1);
        const auto log = m_hub->log();
        QCOMPARE(log.size(), 2);
        QCOMPARE(log[0].status, 307);
        QVERIFY(log[1].path().startsWith("/api/resolve-cache/models/org/repo/"));
        QCOMPARE(log[1].port, m_hub->hubPort());
        QVERIFY(log[1].hasAuthorization());
        QCOMPARE(log[1].header("accept-encoding"), QByteArray("identity"));
    }

    void headStopsAtTheCrossHostRedirect()
    {
        HttpClient client(config(*m_hub));
        HttpRequest q;
        q.method = "HEAD";
        q.url = resolveUrl(QStringLiteral("model.safetensors"));
        auto r = client.run(q);
        QVERIFY(r.ok());
        QCOMPARE(r->status, 302);
        QCOMPARE(r->header("X-Linked-Size"), QByteArray::number(m_big.size()));
        // The redirect's own Content-Length is its short text body, not the file size.
        QVERIFY(r->header("Content-Length").toLongLong() != m_big.size());
        QCOMPARE(m_hub->log().size(), 1);
    }

    void resumesACutBody()
    {
        FakeFaults f;
        f.cutAfterBytes = 1000;
        f.cutCount = 2;
        m_hub->setFaults(f);
        HttpClient client(config(*m_hub));
        std::vector<uint8_t> buf;
        auto r = client.run(ranged(resolveUrl(QStringLiteral("model.safetensors")), 10, 250000, buf));
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        QCOMPARE(asBytes(buf), m_big.mid(10, 250000));
        // Each cut delivers 1000 bytes; every later request asks for the first missing
        // byte. (Qt itself may resend a request whose cut came before any body byte
        // reached the reply; that repeats the same range, never a wrong one.)
        QList<qint64> starts;
        for (const auto& e : m_hub->log())
            if (e.server == QLatin1String("cdn")) {
                const QByteArray range = e.header("range");
                QVERIFY(range.startsWith("bytes=") && range.endsWith("-250009"));
                starts << range.mid(6, range.indexOf('-') - 6).toLongLong();
            }
        QVERIFY(client.stats().resumes >= 1);
        QVERIFY(starts.size() >= 2 && starts.size() <= 4);
        QCOMPARE(starts.first(), qint64(10));
        QVERIFY(starts.last() > 10);
        for (qsizetype i = 1; i < starts.size(); ++i) {
            QVERIFY(starts[i] >= starts[i - 1]);
            QCOMPARE((starts[i] - 10) % 1000, qint64(0));
        }
    }

    void skipsAheadWhenRangeIsIgnored()
    {
        FakeFaults f;
        f.ignoreRange = true;
        m_hub->setFaults(f);
        HttpClient client(config(*m_hub));
        std::vector<uint8_t> buf;
        auto r = client.run(ranged(resolveUrl(QStringLiteral("model.safetensors")), 70000, 3000, buf));
        QVERIFY(r.ok());
        QCOMPARE(asBytes(buf), m_big.mid(70000, 3000));
        QCOMPARE(r->status, 200);
        QCOMPARE(client.stats().restarts, uint64_t(1));
    }

    void retries429HonouringRetryAfter()
    {
        FakeFaults f;
        f.fail429Count = 2;
        f.retryAfterSeconds = 1;
        m_hub->setFaults(f);
        HttpClient client(config(*m_hub));
        HttpRequest q;
        q.url = resolveUrl(QStringLiteral("config.json"));
        auto r = client.run(q);
        QVERIFY(r.ok());
        QCOMPARE(r->status, 200);
        QCOMPARE(r->body, m_small);
        const HttpStats s = client.stats();
        QCOMPARE(s.retries, uint64_t(2));
        QCOMPARE(s.lastRetryAfterSeconds, 1);
        QCOMPARE(s.lastRetryWaitMs, 30);  // (1 + 1) s capped at retryAfterCapMs
    }

    void retries5xxThenGivesUp()
    {
        FakeFaults f;
        f.fail503Count = 3;
        m_hub->setFaults(f);
        {
            HttpClient client(config(*m_hub));
            std::vector<uint8_t> buf;
            auto r = client.run(ranged(resolveUrl(QStringLiteral("model.safetensors")), 0, 100, buf));
            QVERIFY(r.ok());
            QCOMPARE(r->status, 206);
            QCOMPARE(client.stats().retries, uint64_t(3));
        }
        f.fail503Count = 100;
        m_hub->setFaults(f);
        auto cfg = config(*m_hub);
        cfg.maxRetries = 2;
        HttpClient client(cfg);
        std::vector<uint8_t> buf;
        auto r = client.run(ranged(resolveUrl(QStringLiteral("model.safetensors")), 0, 100, buf));
        QVERIFY(r.ok());
        QCOMPARE(r->status, 503);
        QCOMPARE(client.stats().retries, uint64_t(2));
    }

    void randomServerErrorsAreRetried()
    {
        FakeFaults f;
        f.random500Rate = 0.3;
        f.seed = 42;
        m_hub->setFaults(f);
        auto cfg = config(*m_hub);
        cfg.maxRetries = 10;
        HttpClient client(cfg);
        std::vector<std::vector<uint8_t>> bufs(24);
        std::vector<HttpRequest> reqs;
        for (int i = 0; i < 24; ++i) reqs.push_back(ranged(resolveUrl(QStringLiteral("model.safetensors")), uint64_t(i) * 10000, 10000, bufs[size_t(i)]));
        auto rs = client.run(std::move(reqs));
        for (int i = 0; i < 24; ++i) {
            QVERIFY(rs[size_t(i)].ok());
            QCOMPARE(rs[size_t(i)]->status, 206);
            QCOMPARE(asBytes(bufs[size_t(i)]), m_big.mid(i * 10000, 10000));
        }
        QVERIFY(client.stats().retries > 0);
    }

    void timeoutIsBounded()
    {
        FakeFaults f;
        f.stallAfterBytes = 0;
        m_hub->setFaults(f);
        auto cfg = config(*m_hub);
        cfg.downloadTimeoutMs = 200;
        cfg.maxRetries = 1;
        HttpClient client(cfg);
        std::vector<uint8_t> buf;
        auto r = client.run(ranged(resolveUrl(QStringLiteral("model.safetensors")), 0, 5000, buf));
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error().message).contains(QLatin1String("timeout")), r.error().message.c_str());
        QCOMPARE(r.error().exitCode, 2);
    }

    void cancelAbortsInFlightRequests()
    {
        FakeFaults f;
        f.stallAfterBytes = 2000;
        m_hub->setFaults(f);
        HttpClient client(config(*m_hub));
        std::vector<uint8_t> buf;
        CancelAfter progress(2000);
        auto r = client.run(ranged(resolveUrl(QStringLiteral("model.safetensors")), 0, 200000, buf), &progress);
        QVERIFY(!r.ok());
        QCOMPARE(QString::fromStdString(r.error().message), QStringLiteral("cancelled"));
        QCOMPARE(progress.m_done.load(), uint64_t(2000));
    }
};

QTEST_GUILESS_MAIN(TestHttpClient)
#include "test_http_client.moc"
