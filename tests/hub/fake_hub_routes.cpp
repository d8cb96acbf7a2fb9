// The fake Hub's routes: repo info, tree pages, resolve (302 to the CDN for LFS files,
// relative 307 for small files), the resolve-cache, the CDN, and the fault switches that
// apply to every request.
#include "fake_hub_state.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>

namespace qs::test {

QByteArray encodePath(const QString& path)
{
    QByteArrayList out;
    for (const QString& s : path.split(QLatin1Char('/'))) out << QUrl::toPercentEncoding(s);
    return out.join('/');
}

namespace {

class Routes {
public:
    explicit Routes(FakeHub::State& st) : m_st(st) {}

    static Resp error(int status, const QByteArray& code, const QByteArray& message, bool json = true)
    {
        Resp r;
        r.status = status;
        if (!code.isEmpty()) r.set("X-Error-Code", code);
        r.set("X-Error-Message", message);
        if (json) {
            r.set("Content-Type", "application/json");
            r.body = QJsonDocument(QJsonObject{{QStringLiteral("error"), QString::fromUtf8(message)}}).toJson(QJsonDocument::Compact);
        } else {
            r.set("Content-Type", "text/plain");
            r.body = message;
        }
        return r;
    }

    Resp handle(const Req& rq)
    {
        // Faults that apply to every request.
        if (m_st.fail429Remaining > 0) {
            --m_st.fail429Remaining;
            Resp r = error(429, "", "Too many requests");
            if (m_st.faults.retryAfterSeconds >= 0) r.set("Retry-After", QByteArray::number(m_st.faults.retryAfterSeconds));
            return r;
        }
        if (m_st.fail503Remaining > 0) {
            --m_st.fail503Remaining;
            return error(503, "", "Service Unavailable");
        }
        if (m_st.faults.random500Rate > 0 && m_st.rng.generateDouble() < m_st.faults.random500Rate)
            return error(500, "", "Internal Error (random fault)");
        return rq.server == QLatin1String("cdn") ? handleCdn(rq) : handleHub(rq);
    }

    static QStringList decoded(const QByteArrayList& raw, qsizetype from)
    {
        QStringList out;
        for (qsizetype i = from; i < raw.size(); ++i) out << QUrl::fromPercentEncoding(raw[i]);
        return out;
    }

    // rev at segs[at] (refs/pr/N and refs/convert/X span three raw segments).
    static QString takeRevision(const QStringList& segs, qsizetype at, qsizetype* consumed)
    {
        if (segs.size() >= at + 3 && segs[at] == QLatin1String("refs")
            && (segs[at + 1] == QLatin1String("pr") || segs[at + 1] == QLatin1String("convert"))) {
            *consumed = 3;
            return segs.mid(at, 3).join(QLatin1Char('/'));
        }
        *consumed = 1;
        return segs.value(at);
    }

    QString bearer(const Req& rq) const
    {
        const QByteArray a = rq.headers.value("authorization");
        return a.startsWith("Bearer ") ? QString::fromUtf8(a.mid(7)).trimmed() : QString();
    }

    // nullptr + error response when the caller may not see the repo (or its files).
    const Repo* access(const Req& rq, const QString& id, bool content, Resp* err) const
    {
        const QString tok = bearer(rq);
        auto it = m_st.repos.find(id);
        const Repo* repo = it == m_st.repos.end() ? nullptr : &it.value();
        if (!repo || (repo->isPrivate && !repo->tokens.contains(tok))) {
            *err = tok.isEmpty() ? error(401, "", "Invalid username or password.")
                                 : error(404, "RepoNotFound", "Repository not found");
            return nullptr;
        }
        if (content && !repo->gated.isEmpty() && !repo->tokens.contains(tok)) {
            const QByteArray idb = id.toUtf8();
            *err = tok.isEmpty()
                ? error(401, "GatedRepo", "Access to model " + idb + " is restricted. You must have access to it and be authenticated to access it. Please log in.", false)
                : error(403, "GatedRepo", "Access to model " + idb + " is restricted and you are not in the authorized list. Visit http://127.0.0.1:"
                                              + QByteArray::number(m_st.hubPort) + "/" + idb + " to ask for access.", false);
            return nullptr;
        }
        return repo;
    }

    static QString commitOf(const Repo& repo, const QString& rev)
    {
        if (repo.refs.contains(rev)) return repo.refs.value(rev);
        if (repo.commits.contains(rev)) return rev;
        return {};
    }

    Resp handleHub(const Req& rq)
    {
        const QString tok = bearer(rq);
        if (!rq.headers.value("authorization").isEmpty() && !m_st.validTokens.contains(tok))
            return error(401, "", "Invalid credentials in Authorization header");
        const QByteArray path = rq.target.split('?').first();
        const QUrlQuery query(QString::fromUtf8(rq.target.mid(path.size() + 1)));
        const QByteArrayList raw = path.split('/').mid(1);
        const QStringList segs = decoded(raw, 0);
        if (segs.size() >= 4 && segs[0] == QLatin1String("api") && segs[1] == QLatin1String("models")) {
            const QString id = segs[2] + QLatin1Char('/') + segs[3];
            Resp err;
            const Repo* repo = access(rq, id, false, &err);
            if (!repo) return err;
            if (segs.size() == 4) return info(*repo, id, QStringLiteral("main"), query);
            if (segs[4] == QLatin1String("revision") && segs.size() >= 6)
                return info(*repo, id, segs.mid(5).join(QLatin1Char('/')), query);
            if (segs[4] == QLatin1String("tree") && segs.size() >= 6) {
                qsizetype used = 1;
                const QString rev = takeRevision(segs, 5, &used);
                return tree(*repo, id, rev, segs.mid(5 + used).join(QLatin1Char('/')), query);
            }
            return error(404, "", "Not Found");
        }
        if (segs.size() >= 7 && segs[0] == QLatin1String("api") && segs[1] == QLatin1String("resolve-cache")
            && segs[2] == QLatin1String("models")) {
            const QString id = segs[3] + QLatin1Char('/') + segs[4];
            Resp err;
            const Repo* repo = access(rq, id, true, &err);
            if (!repo) return err;
            const QString commit = segs[5];
            const QString file = segs.mid(6).join(QLatin1Char('/'));
            if (!repo->commits.contains(commit) || !repo->commits.value(commit).contains(file))
                return error(404, "EntryNotFound", "Entry not found", false);
            const FakeFile f = repo->commits.value(commit).value(file);  // const QMap::operator[] returns a copy
            Resp r = serve(rq, f);
            r.set("ETag", "\"" + f.gitOid + "\"");
            r.set("X-Repo-Commit", commit.toUtf8());
            return r;
        }
        if (segs.size() >= 5 && segs[2] == QLatin1String("resolve")) {
            const QString id = segs[0] + QLatin1Char('/') + segs[1];
            Resp err;
            const Repo* repo = access(rq, id, true, &err);
            if (!repo) return err;
            qsizetype used = 1;
            const QString rev = takeRevision(segs, 3, &used);
            const QString commit = commitOf(*repo, rev);
            if (commit.isEmpty()) return error(404, "RevisionNotFound", "Invalid rev id: " + rev.toUtf8(), false);
            const QString file = segs.mid(3 + used).join(QLatin1Char('/'));
            const QMap<QString, FakeFile> files = repo->commits.value(commit);
            if (!files.contains(file)) {
                Resp r = error(404, "EntryNotFound", "Entry not found", false);
                r.set("X-Repo-Commit", commit.toUtf8());
                return r;
            }
            const FakeFile f = files.value(file);
            Resp r;
            r.set("X-Repo-Commit", commit.toUtf8());
            r.set("Content-Type", "text/plain; charset=utf-8");
            if (f.lfs) {
                const QByteArray loc = "http://127.0.0.1:" + QByteArray::number(m_st.cdnPort) + "/cdn/" + id.toUtf8() + '/'
                                     + commit.toUtf8() + '/' + encodePath(file) + "?Expires=9999999999&Signature=g"
                                     + QByteArray::number(m_st.cdnGeneration) + "&Key-Pair-Id=FAKEKEY";
                r.status = 302;
                r.set("Location", loc);
                r.set("X-Linked-Etag", "\"" + f.sha256 + "\"");
                r.set("ETag", "\"" + f.sha256 + "\"");
                r.set("X-Linked-Size", QByteArray::number(qulonglong(f.size)));
                r.set("Accept-Ranges", "bytes");
                r.body = "Found. Redirecting to " + loc;
            } else {
                const QByteArray loc = "/api/resolve-cache/models/" + id.toUtf8() + '/' + commit.toUtf8() + '/' + encodePath(file)
                                     + "?etag=%22" + f.gitOid + "%22";
                r.status = 307;
                r.set("Location", loc);
                r.set("X-Linked-Etag", "\"" + f.gitOid + "\"");
                r.set("ETag", "\"" + f.gitOid + "\"");
                r.body = "Temporary Redirect. Redirecting to " + loc;
            }
            return r;
        }
        return error(404, "", "Not Found");
    }

    Resp info(const Repo& repo, const QString& id, const QString& rev, const QUrlQuery& q) const
    {
        const QString commit = commitOf(repo, rev);
        if (commit.isEmpty()) return error(404, "RevisionNotFound", "Invalid rev id: " + rev.toUtf8());
        const bool blobs = q.queryItemValue(QStringLiteral("blobs")).toLower() == QLatin1String("true");
        QJsonArray siblings;
        const QMap<QString, FakeFile> files = repo.commits.value(commit);
        for (auto it = files.begin(); it != files.end(); ++it) {
            QJsonObject s{{QStringLiteral("rfilename"), it.key()}};
            if (blobs && !m_st.faults.siblingsWithoutSize) {
                s[QStringLiteral("size")] = qint64(it->size);
                s[QStringLiteral("blobId")] = QString::fromLatin1(it->gitOid);
                if (it->lfs)
                    s[QStringLiteral("lfs")] = QJsonObject{{QStringLiteral("sha256"), QString::fromLatin1(it->sha256)},
                                                           {QStringLiteral("size"), qint64(it->size)},
                                                           {QStringLiteral("pointerSize"), 134}};
            }
            siblings.append(s);
        }
        QJsonObject o{{QStringLiteral("_id"), QStringLiteral("fake")},
                      {QStringLiteral("id"), id},
                      {QStringLiteral("modelId"), id},
                      {QStringLiteral("sha"), commit},
                      {QStringLiteral("private"), repo.isPrivate},
                      {QStringLiteral("disabled"), false},
                      {QStringLiteral("lastModified"), QStringLiteral("2024-01-01T00:00:00.000Z")},
                      {QStringLiteral("tags"), QJsonArray{}},
                      {QStringLiteral("siblings"), siblings}};
        o[QStringLiteral("gated")] = repo.gated.isEmpty() ? QJsonValue(false) : QJsonValue(repo.gated);
        Resp r;
        r.set("Content-Type", "application/json");
        r.body = QJsonDocument(o).toJson(QJsonDocument::Compact);
        return r;
    }

    Resp tree(const Repo& repo, const QString& id, const QString& rev, const QString& sub, const QUrlQuery& q) const
    {
        if (m_st.faults.treeDisabled) return error(404, "", "Not Found");
        const QString commit = commitOf(repo, rev);
        if (commit.isEmpty()) return error(404, "RevisionNotFound", "Invalid rev id: " + rev.toUtf8());
        const bool recursive = q.queryItemValue(QStringLiteral("recursive")).toLower() == QLatin1String("true");
        const QMap<QString, FakeFile> files = repo.commits.value(commit);
        // Entries: files and the directories they imply, relative to the repo root.
        QMap<QString, QJsonObject> entries;
        for (auto it = files.begin(); it != files.end(); ++it) {
            const QStringList parts = it.key().split(QLatin1Char('/'));
            for (qsizetype i = 1; i < parts.size(); ++i) {
                const QString dir = parts.mid(0, i).join(QLatin1Char('/'));
                entries.insert(dir, QJsonObject{{QStringLiteral("type"), QStringLiteral("directory")},
                                                {QStringLiteral("oid"), QStringLiteral("0000000000000000000000000000000000000000")},
                                                {QStringLiteral("size"), 0},
                                                {QStringLiteral("path"), dir}});
            }
            QJsonObject e{{QStringLiteral("type"), QStringLiteral("file")},
                          {QStringLiteral("oid"), QString::fromLatin1(it->gitOid)},
                          {QStringLiteral("size"), qint64(it->size)},
                          {QStringLiteral("path"), it.key()}};
            if (it->lfs)
                e[QStringLiteral("lfs")] = QJsonObject{{QStringLiteral("oid"), QString::fromLatin1(it->sha256)},
                                                       {QStringLiteral("size"), qint64(it->size)},
                                                       {QStringLiteral("pointerSize"), 134}};
            entries.insert(it.key(), e);
        }
        QList<QJsonObject> list;
        const QString prefix = sub.isEmpty() ? QString() : sub + QLatin1Char('/');
        if (!sub.isEmpty() && (!entries.contains(sub) || entries[sub][QStringLiteral("type")] != QLatin1String("directory")))
            return error(404, "", "Not Found");
        for (auto it = entries.begin(); it != entries.end(); ++it) {
            if (!it.key().startsWith(prefix)) continue;
            if (!recursive && it.key().mid(prefix.size()).contains(QLatin1Char('/'))) continue;
            list.append(it.value());
        }
        const int page = std::max(1, m_st.faults.treePageSize);
        const qsizetype start = QByteArray::fromBase64(q.queryItemValue(QStringLiteral("cursor")).toLatin1()).mid(4).toLongLong();
        QJsonArray arr;
        for (qsizetype i = start; i < std::min<qsizetype>(list.size(), start + page); ++i) arr.append(list[i]);
        Resp r;
        r.set("Content-Type", "application/json");
        if (start + page < list.size()) {
            QUrlQuery next;
            for (const auto& item : q.queryItems())
                if (item.first != QLatin1String("cursor") && item.first != QLatin1String("limit")) next.addQueryItem(item.first, item.second);
            next.addQueryItem(QStringLiteral("limit"), QString::number(page));
            next.addQueryItem(QStringLiteral("cursor"), QString::fromLatin1(("idx:" + QByteArray::number(start + page)).toBase64()));
            const QByteArray url = "http://127.0.0.1:" + QByteArray::number(m_st.hubPort) + "/api/models/" + id.toUtf8() + "/tree/"
                                 + QUrl::toPercentEncoding(rev) + (sub.isEmpty() ? QByteArray() : '/' + encodePath(sub)) + '?'
                                 + next.toString(QUrl::FullyEncoded).toUtf8();
            r.set("Link", "<" + url + ">; rel=\"next\"");
        }
        r.body = QJsonDocument(arr).toJson(QJsonDocument::Compact);
        return r;
    }

    Resp handleCdn(const Req& rq)
    {
        if (rq.headers.contains("authorization"))
            return error(400, "", "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>", false);
        const QByteArray path = rq.target.split('?').first();
        const QUrlQuery query(QString::fromUtf8(rq.target.mid(path.size() + 1)));
        const QStringList segs = decoded(path.split('/').mid(1), 0);
        if (segs.size() < 5 || segs[0] != QLatin1String("cdn")) return error(404, "", "NoSuchKey", false);
        const QString sig = query.queryItemValue(QStringLiteral("Signature"));
        if (sig != QStringLiteral("g%1").arg(m_st.cdnGeneration)) return error(403, "", "Request has expired", false);
        const QString id = segs[1] + QLatin1Char('/') + segs[2];
        const QString commit = segs[3];
        const QString file = segs.mid(4).join(QLatin1Char('/'));
        auto it = m_st.repos.find(id);
        if (it == m_st.repos.end() || !it->commits.contains(commit) || !it->commits.value(commit).contains(file))
            return error(404, "", "NoSuchKey", false);
        const FakeFile f = it->commits.value(commit).value(file);
        Resp r = serve(rq, f);
        r.set("ETag", "\"cdn-" + f.gitOid.left(16) + "\"");  // the CDN's own id, not the sha256
        return r;
    }

    Resp serve(const Req& rq, const FakeFile& f) const
    {
        Resp r;
        r.content = true;
        r.file = f;
        r.stream = true;
        r.set("Accept-Ranges", "bytes");
        r.set("Content-Type", "application/octet-stream");
        const QByteArray range = rq.headers.value("range").trimmed();
        uint64_t a = 0, b = f.size;  // [a, b)
        bool ranged = false;
        if (!range.isEmpty() && !m_st.faults.ignoreRange && range.startsWith("bytes=") && !range.contains(',')) {
            const QByteArray spec = range.mid(6);
            const qsizetype dash = spec.indexOf('-');
            const QByteArray lo = spec.left(dash), hi = spec.mid(dash + 1);
            if (dash >= 0 && (!lo.isEmpty() || !hi.isEmpty())) {
                ranged = true;
                if (lo.isEmpty()) {
                    const uint64_t n = hi.toULongLong();
                    a = n >= f.size ? 0 : f.size - n;
                } else {
                    a = lo.toULongLong();
                    if (!hi.isEmpty()) b = std::min<uint64_t>(hi.toULongLong() + 1, f.size);
                }
                if (a >= f.size || a >= b) {
                    Resp e = error(416, "", "Range Not Satisfiable", false);
                    e.set("Content-Range", "bytes */" + QByteArray::number(qulonglong(f.size)));
                    return e;
                }
            }
        }
        if (ranged) {
            r.status = 206;
            r.set("Content-Range", "bytes " + QByteArray::number(qulonglong(a)) + '-' + QByteArray::number(qulonglong(b - 1)) + '/'
                                       + QByteArray::number(qulonglong(f.size)));
        }
        r.start = a;
        r.end = b;
        return r;
    }

private:
    FakeHub::State& m_st;
};

} // namespace

Resp routeRequest(FakeHub::State& st, const Req& rq) { return Routes(st).handle(rq); }

} // namespace qs::test
