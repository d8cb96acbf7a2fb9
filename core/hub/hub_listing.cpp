#include "hub/hub_listing.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace qs {

namespace {

Error bad(const QString& what, const QString& why) { return Error::model((what + QStringLiteral(": ") + why).toStdString()); }

Result<QJsonDocument> parse(const QByteArray& json, const QString& what)
{
    QJsonParseError e{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &e);
    if (e.error != QJsonParseError::NoError)
        return bad(what, QStringLiteral("invalid JSON at byte %1 (%2)").arg(e.offset).arg(e.errorString()));
    return doc;
}

int64_t sizeOf(const QJsonValue& v)
{
    if (!v.isDouble()) return -1;
    const double d = v.toDouble();
    if (!(d >= 0) || d > 9.0e15 || d != double(int64_t(d))) return -1;
    return int64_t(d);
}

Result<void> addFile(RepoListing& l, const QString& path, int64_t size, const QString& oid, const QString& sha,
                     const QString& what)
{
    QS_TRY(checkRepoPath(path, what));
    RepoFile f;
    f.path = path;
    f.size = size;
    f.oid = oid;
    f.lfsSha256 = sha;
    l.files[path] = f;
    return {};
}

} // namespace

bool isCommitHash(const QString& s)
{
    static const QRegularExpression re(QStringLiteral("^[0-9a-f]{40}$"));
    return re.match(s).hasMatch();
}

QString unsafeRepoPathReason(const QString& path)
{
    if (path.isEmpty()) return QStringLiteral("empty path");
    if (path.startsWith(QLatin1Char('/'))) return QStringLiteral("absolute path");
    if (path.contains(QLatin1Char('\\'))) return QStringLiteral("backslash in path");
    if (path.contains(QLatin1String("://")) || path.contains(QRegularExpression(QStringLiteral("^[A-Za-z]:"))))
        return QStringLiteral("URL or drive prefix instead of a repo path");
    for (QChar c : path)
        if (c.unicode() < 0x20 || c.unicode() == 0x7f) return QStringLiteral("control character in path");
    for (const QString& s : path.split(QLatin1Char('/')))
        if (s.isEmpty() || s == QLatin1String(".") || s == QLatin1String(".."))
            return QStringLiteral("'.', '..' or empty path segment");
    return {};
}

Result<void> checkRepoPath(const QString& path, const QString& what)
{
    const QString why = unsafeRepoPathReason(path);
    if (why.isEmpty()) return {};
    return bad(what, QStringLiteral("refused entry '%1' (%2)").arg(path, why));
}

QByteArray RepoListing::toJson(const QString& commit) const
{
    QJsonObject files;
    for (const auto& [p, f] : this->files) {
        QJsonObject o{{QStringLiteral("size"), double(f.size)}};
        if (!f.oid.isEmpty()) o[QStringLiteral("oid")] = f.oid;
        if (!f.lfsSha256.isEmpty()) o[QStringLiteral("lfs_sha256")] = f.lfsSha256;
        files[p] = o;
    }
    return QJsonDocument(QJsonObject{{QStringLiteral("format"), 1},
                                     {QStringLiteral("commit"), commit},
                                     {QStringLiteral("source"), source},
                                     {QStringLiteral("files"), files}})
        .toJson(QJsonDocument::Indented);
}

Result<RepoListing> RepoListing::fromJson(const QByteArray& json, const QString& what)
{
    auto doc = parse(json, what);
    if (!doc) return doc.error();
    const QJsonObject o = doc->object();
    if (o.value(QStringLiteral("format")).toInt() != 1 || !o.value(QStringLiteral("files")).isObject())
        return bad(what, QStringLiteral("not a listing (format 1 with \"files\")"));
    RepoListing l;
    l.source = QStringLiteral("cache");
    const QJsonObject files = o.value(QStringLiteral("files")).toObject();
    for (auto it = files.begin(); it != files.end(); ++it) {
        const QJsonObject f = it.value().toObject();
        QS_TRY(addFile(l, it.key(), sizeOf(f.value(QStringLiteral("size"))), f.value(QStringLiteral("oid")).toString(),
                       f.value(QStringLiteral("lfs_sha256")).toString(), what));
    }
    return l;
}

Result<void> addTreePage(const QByteArray& json, RepoListing& listing, const QString& what)
{
    auto doc = parse(json, what);
    if (!doc) return doc.error();
    if (!doc->isArray()) return bad(what, QStringLiteral("expected a JSON array of tree entries"));
    for (const QJsonValue& v : doc->array()) {
        const QJsonObject e = v.toObject();
        const QString type = e.value(QStringLiteral("type")).toString();
        const QString path = e.value(QStringLiteral("path")).toString();
        if (type != QLatin1String("file")) continue;  // folders are implied by the file paths
        const int64_t size = sizeOf(e.value(QStringLiteral("size")));
        if (size < 0) return bad(what, QStringLiteral("entry '%1' has no valid size").arg(path));
        const QJsonObject lfs = e.value(QStringLiteral("lfs")).toObject();
        QS_TRY(addFile(listing, path, size, e.value(QStringLiteral("oid")).toString(),
                       lfs.value(QStringLiteral("oid")).toString(), what));
    }
    return {};
}

Result<QString> repoInfoSha(const QByteArray& json, const QString& what)
{
    auto doc = parse(json, what);
    if (!doc) return doc.error();
    const QString sha = doc->object().value(QStringLiteral("sha")).toString();
    if (!isCommitHash(sha)) return bad(what, QStringLiteral("no 40-hex \"sha\" commit in the answer"));
    return sha;
}

Result<RepoListing> siblingsListing(const QByteArray& json, const QString& what)
{
    auto doc = parse(json, what);
    if (!doc) return doc.error();
    const QJsonValue sib = doc->object().value(QStringLiteral("siblings"));
    if (!sib.isArray()) return bad(what, QStringLiteral("no \"siblings\" list in the answer"));
    RepoListing l;
    l.source = QStringLiteral("siblings");
    for (const QJsonValue& v : sib.toArray()) {
        const QJsonObject s = v.toObject();
        const QJsonObject lfs = s.value(QStringLiteral("lfs")).toObject();
        int64_t size = sizeOf(s.value(QStringLiteral("size")));
        if (size < 0) size = sizeOf(lfs.value(QStringLiteral("size")));
        QS_TRY(addFile(l, s.value(QStringLiteral("rfilename")).toString(), size, s.value(QStringLiteral("blobId")).toString(),
                       lfs.value(QStringLiteral("sha256")).toString(), what));
    }
    return l;
}

Result<RepoListing> hfTreeCacheListing(const QByteArray& json, const QString& what)
{
    auto doc = parse(json, what);
    if (!doc) return doc.error();
    const QJsonValue files = doc->object().value(QStringLiteral("files"));
    if (!files.isObject()) return bad(what, QStringLiteral("no \"files\" object"));
    RepoListing l;
    l.source = QStringLiteral("hf-cache");
    const QJsonObject fo = files.toObject();
    for (auto it = fo.begin(); it != fo.end(); ++it) {
        const QJsonObject f = it.value().toObject();
        QS_TRY(addFile(l, it.key(), sizeOf(f.value(QStringLiteral("size"))), f.value(QStringLiteral("blob_id")).toString(),
                       f.value(QStringLiteral("lfs_sha256")).toString(), what));
    }
    return l;
}

} // namespace qs
