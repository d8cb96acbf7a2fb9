#pragma once
// FakeHub: a small HTTP/1.1 server on 127.0.0.1 that serves model repos the way
// HF_HUB.md describes the Hugging Face Hub, for tests and benchmarks of the hub client.
//
// Two QTcpServers run in one dedicated QThread (so a test thread can make synchronous
// client calls): the "hub" port serves repo info (/api/models/{id}[/revision/{rev}]),
// the tree API with Link pagination, resolve (302 to the "cdn" port for LFS files with
// X-Linked-Size/X-Linked-Etag/X-Repo-Commit and a redirect Content-Length that is NOT
// the file size; relative 307 to /api/resolve-cache/... for small files) and the
// resolve-cache; the "cdn" port serves signed URLs, refuses Authorization (400, like S3)
// and expired signatures (403). Both honour Range (206/416). Private and gated repos,
// stale tokens and unknown revisions/files answer with the statuses and X-Error-Code
// headers of HF_HUB.md §6. Every request is logged (server, method, target, headers,
// status, body bytes written). Fault switches cut bodies, answer 429/503/random 500s,
// slow or stall bodies, and ignore Range.
#include <QByteArray>
#include <QMap>
#include <QSet>
#include <QString>
#include <QVector>

#include <cstdint>
#include <functional>
#include <memory>

class QThread;

namespace qs::test {

class Server;

struct FakeFile {
    QByteArray data;     // content, unless gen is set
    uint64_t size = 0;   // = data.size() unless gen is set
    // Synthetic content (large benchmark files): fills out with bytes [offset, offset+n).
    std::function<void(uint64_t offset, char* out, uint64_t n)> gen;
    bool lfs = false;
    QByteArray sha256;   // hex, LFS files (computed from data when empty)
    QByteArray gitOid;   // hex sha1 of the git blob (the pointer for LFS files)

    static FakeFile fromData(const QByteArray& data, bool lfs);
    // tag goes into the (made-up) sha256, so that synthetic files of equal size differ.
    static FakeFile synthetic(uint64_t size, std::function<void(uint64_t, char*, uint64_t)> gen, const QByteArray& tag = {});
};

struct FakeLogEntry {
    QString server;          // "hub" or "cdn"
    quint16 port = 0;
    QByteArray method;
    QByteArray target;       // as received (path?query)
    QMap<QByteArray, QByteArray> headers;  // lower-case names
    int status = 0;
    qint64 bodyBytes = 0;    // body bytes written to the socket
    bool cut = false;        // the body was cut by a fault switch
    qint64 startMs = 0;      // server clock: request handled
    qint64 endMs = 0;        // server clock: last body byte written (or cut)

    bool hasAuthorization() const { return headers.contains("authorization"); }
    QByteArray header(const char* lowerName) const { return headers.value(lowerName); }
    QByteArray path() const { return target.split('?').first(); }
};

struct FakeFaults {
    int cutAfterBytes = -1;   // content bodies: close the connection after N body bytes
    int cutCount = 0;         // ... for this many responses
    int fail429Count = 0;     // the next N requests answer 429 (+ Retry-After if >= 0)
    int retryAfterSeconds = -1;
    int fail503Count = 0;     // the next N requests answer 503
    double random500Rate = 0; // fraction of requests answered 500 (seeded)
    quint32 seed = 1;
    int latencyMs = 0;        // every answer starts this late (a simulated round trip)
    int slowChunkDelayMs = 0; // pause between 16 KiB body chunks
    int stallAfterBytes = -1; // content bodies: stop sending (connection stays open)
    bool ignoreRange = false; // answer ranged GETs with 200 and the whole body
    int treePageSize = 1000;
    bool treeDisabled = false;        // tree API answers 404 without an error code
    bool siblingsWithoutSize = false; // repo info never carries sizes
};

class FakeHub {
public:
    FakeHub();
    ~FakeHub();
    FakeHub(const FakeHub&) = delete;
    FakeHub& operator=(const FakeHub&) = delete;

    QString endpoint() const;  // http://127.0.0.1:<hubPort>
    quint16 hubPort() const;
    quint16 cdnPort() const;

    // Adds a commit holding files to repo id and points branch at it; returns the
    // 40-hex commit. *.safetensors and files above 10 MB are LFS.
    QString addCommit(const QString& id, const QMap<QString, FakeFile>& files, const QString& branch = QStringLiteral("main"));
    // Every file under dir (recursively) as one commit.
    QString addCommitFromDir(const QString& id, const QString& dir, const QString& branch = QStringLiteral("main"));
    void setTag(const QString& id, const QString& name, const QString& commit);
    // Private repo / gated ("auto"/"manual") with the tokens that have access.
    void setAccess(const QString& id, bool isPrivate, const QString& gated, const QSet<QString>& tokens);
    // Tokens the server knows; any other Bearer token is answered 401 (stale token).
    void setValidTokens(const QSet<QString>& tokens);
    void setFaults(const FakeFaults& faults);
    // Signed CDN URLs issued so far answer 403 from now on.
    void expireCdnUrls();

    QVector<FakeLogEntry> log() const;
    void clearLog();
    // Sum of body bytes written for the log entries (all servers).
    static qint64 bodyBytes(const QVector<FakeLogEntry>& log);
    // Most entries of log (matching server, "" = any) whose [startMs, endMs] overlap.
    static int maxConcurrency(const QVector<FakeLogEntry>& log, const QString& server);

    struct State;

private:
    std::shared_ptr<State> m_state;
    QThread* m_thread = nullptr;
    Server* m_server = nullptr;
    quint16 m_hubPort = 0, m_cdnPort = 0;
};

} // namespace qs::test
