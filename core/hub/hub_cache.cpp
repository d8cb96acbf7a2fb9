#include "hub/hub_cache.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSaveFile>
#include <QUrl>

#include <algorithm>

namespace qs {

namespace {

constexpr qint64 kMaxJsonBytes = 512ll << 20;

Result<void> writeAtomically(const QString& path, const char* data, qint64 size)
{
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        return Error::model(("cannot create the cache folder " + QFileInfo(path).absolutePath()).toStdString());
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return Error::model(("cannot write " + path + ": " + f.errorString()).toStdString());
    qint64 done = 0;
    while (done < size) {
        const qint64 n = f.write(data + done, std::min<qint64>(size - done, 64ll << 20));
        if (n <= 0) return Error::model(("cannot write " + path + ": " + f.errorString()).toStdString());
        done += n;
    }
    if (!f.commit()) return Error::model(("cannot write " + path + ": " + f.errorString()).toStdString());
    return {};
}

std::optional<QByteArray> readSmall(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly) || f.size() > kMaxJsonBytes) return std::nullopt;
    return f.readAll();
}

// A file path as one folder name: percent-encoded ('/' too), hashed when too long.
QString encodePathSegment(const QString& path)
{
    QString enc = QString::fromLatin1(QUrl::toPercentEncoding(path));
    if (enc.size() > 200)
        enc = QStringLiteral("sha1-") + QString::fromLatin1(QCryptographicHash::hash(path.toUtf8(), QCryptographicHash::Sha1).toHex());
    return enc;
}

} // namespace

MappedFileView::~MappedFileView() = default;

std::shared_ptr<const MappedFileView> MappedFileView::open(const QString& path, QString* error)
{
    std::shared_ptr<MappedFileView> v(new MappedFileView);
    v->m_file = std::make_unique<QFile>(path);
    if (!v->m_file->open(QIODevice::ReadOnly)) {
        if (error) *error = v->m_file->errorString();
        return nullptr;
    }
    v->m_size = uint64_t(v->m_file->size());
    if (v->m_size == 0) return v;
    v->m_ptr = v->m_file->map(0, qint64(v->m_size));
    if (!v->m_ptr) {
        if (error) *error = v->m_file->errorString();
        return nullptr;
    }
    return v;
}

QString repoFolderName(const QString& repoId)
{
    return QStringLiteral("models--") + QString(repoId).replace(QLatin1Char('/'), QLatin1String("--"));
}

// ------------------------------------------------------------------------ RangeCache

RangeCache::RangeCache(const QString& cacheDir, const QString& repoId)
    : m_repoDir(QDir::cleanPath(cacheDir + QStringLiteral("/hub/") + repoFolderName(repoId)))
{
}

std::optional<QString> RangeCache::refCommit(const QString& revision) const
{
    std::lock_guard<std::mutex> lk(m_mutex);
    const auto data = readSmall(m_repoDir + QStringLiteral("/refs.json"));
    if (!data) return std::nullopt;
    const QString c = QJsonDocument::fromJson(*data).object().value(QStringLiteral("refs")).toObject().value(revision).toString();
    if (!isCommitHash(c)) return std::nullopt;
    return c;
}

Result<void> RangeCache::storeRef(const QString& revision, const QString& commit)
{
    std::lock_guard<std::mutex> lk(m_mutex);
    const QString path = m_repoDir + QStringLiteral("/refs.json");
    QJsonObject refs;
    if (const auto data = readSmall(path)) refs = QJsonDocument::fromJson(*data).object().value(QStringLiteral("refs")).toObject();
    if (refs.value(revision).toString() == commit) return {};
    refs[revision] = commit;
    const QByteArray out = QJsonDocument(QJsonObject{{QStringLiteral("refs"), refs}}).toJson(QJsonDocument::Indented);
    return writeAtomically(path, out.constData(), out.size());
}

std::optional<RepoListing> RangeCache::listing(const QString& commit) const
{
    const QString path = m_repoDir + QLatin1Char('/') + commit + QStringLiteral("/listing.json");
    const auto data = readSmall(path);
    if (!data) return std::nullopt;
    auto l = RepoListing::fromJson(*data, path);
    if (!l) return std::nullopt;
    for (const auto& [p, f] : l->files)
        if (f.size < 0) return std::nullopt;  // only complete listings are cached
    return std::move(*l);
}

Result<void> RangeCache::storeListing(const QString& commit, const RepoListing& listing)
{
    const QByteArray out = listing.toJson(commit);
    return writeAtomically(m_repoDir + QLatin1Char('/') + commit + QStringLiteral("/listing.json"), out.constData(), out.size());
}

QString RangeCache::segmentDir(const QString& commit, const QString& path) const
{
    return m_repoDir + QLatin1Char('/') + commit + QStringLiteral("/ranges/") + encodePathSegment(path);
}

std::vector<RangeCache::Segment>& RangeCache::indexFor(const QString& commit, const QString& path)
{
    const QString key = commit + QLatin1Char('\n') + path;
    auto it = m_index.find(key);
    if (it != m_index.end()) return it->second;
    std::vector<Segment> segs;
    static const QRegularExpression name(QStringLiteral("^(\\d{1,19})-(\\d{1,19})\\.bin$"));
    const QDir dir(segmentDir(commit, path));
    for (const QFileInfo& fi : dir.entryInfoList(QDir::Files)) {
        const auto m = name.match(fi.fileName());
        if (!m.hasMatch()) continue;  // temporary files of a writer that died
        Segment s{m.captured(1).toULongLong(), m.captured(2).toULongLong()};
        if (s.length == 0 || uint64_t(fi.size()) != s.length) {
            QFile::remove(fi.absoluteFilePath());  // corrupt or foreign: never trusted
            continue;
        }
        segs.push_back(s);
    }
    std::sort(segs.begin(), segs.end(), [](const Segment& a, const Segment& b) {
        return a.offset != b.offset ? a.offset < b.offset : a.length > b.length;
    });
    return m_index.emplace(key, std::move(segs)).first->second;
}

std::vector<RangeCache::Segment> RangeCache::segments(const QString& commit, const QString& path)
{
    std::lock_guard<std::mutex> lk(m_mutex);
    return indexFor(commit, path);
}

ByteViewPtr RangeCache::mapSegment(const QString& commit, const QString& path, const Segment& s)
{
    const QString file = segmentDir(commit, path) + QStringLiteral("/%1-%2.bin").arg(s.offset).arg(s.length);
    auto view = MappedFileView::open(file);
    if (view && view->size() == s.length) return view;
    std::lock_guard<std::mutex> lk(m_mutex);
    auto& segs = indexFor(commit, path);
    segs.erase(std::remove_if(segs.begin(), segs.end(),
                              [&](const Segment& x) { return x.offset == s.offset && x.length == s.length; }),
               segs.end());
    if (view) QFile::remove(file);
    return nullptr;
}

Result<void> RangeCache::storeSegment(const QString& commit, const QString& path, uint64_t offset, const uint8_t* data,
                                      uint64_t length)
{
    if (length == 0) return {};
    const QString file = segmentDir(commit, path) + QStringLiteral("/%1-%2.bin").arg(offset).arg(length);
    QS_TRY(writeAtomically(file, reinterpret_cast<const char*>(data), qint64(length)));
    std::lock_guard<std::mutex> lk(m_mutex);
    auto& segs = indexFor(commit, path);
    const Segment s{offset, length};
    if (std::none_of(segs.begin(), segs.end(), [&](const Segment& x) { return x.offset == offset && x.length == length; })) {
        segs.push_back(s);
        std::sort(segs.begin(), segs.end(), [](const Segment& a, const Segment& b) {
            return a.offset != b.offset ? a.offset < b.offset : a.length > b.length;
        });
    }
    return {};
}

// --------------------------------------------------------------------- HfCacheReader

HfCacheReader::HfCacheReader(const QString& hubCacheDir, const QString& repoId)
    : m_repoDir(hubCacheDir.isEmpty() ? QString() : QDir::cleanPath(hubCacheDir + QLatin1Char('/') + repoFolderName(repoId)))
{
}

std::optional<QString> HfCacheReader::refCommit(const QString& revision) const
{
    if (m_repoDir.isEmpty() || !unsafeRepoPathReason(revision).isEmpty()) return std::nullopt;
    const auto data = readSmall(m_repoDir + QStringLiteral("/refs/") + revision);
    if (!data) return std::nullopt;
    const QString c = QString::fromLatin1(data->trimmed());
    if (!isCommitHash(c)) return std::nullopt;
    return c;
}

bool HfCacheReader::hasSnapshot(const QString& commit) const
{
    return !m_repoDir.isEmpty() && isCommitHash(commit) && QFileInfo(m_repoDir + QStringLiteral("/snapshots/") + commit).isDir();
}

QString HfCacheReader::snapshotFile(const QString& commit, const QString& path) const
{
    if (m_repoDir.isEmpty() || !isCommitHash(commit) || !unsafeRepoPathReason(path).isEmpty()) return {};
    const QString p = m_repoDir + QStringLiteral("/snapshots/") + commit + QLatin1Char('/') + path;
    const QFileInfo fi(p);  // exists() follows symlinks: a dangling link is "not there"
    return fi.exists() && fi.isFile() ? p : QString();
}

std::optional<RepoListing> HfCacheReader::treeListing(const QString& commit) const
{
    if (m_repoDir.isEmpty() || !isCommitHash(commit)) return std::nullopt;
    const QString path = m_repoDir + QStringLiteral("/trees/") + commit + QStringLiteral(".json");
    const auto data = readSmall(path);
    if (!data) return std::nullopt;
    auto l = hfTreeCacheListing(*data, path);
    if (!l) return std::nullopt;
    return std::move(*l);
}

std::optional<RepoListing> HfCacheReader::snapshotListing(const QString& commit) const
{
    if (!hasSnapshot(commit)) return std::nullopt;
    const QString root = m_repoDir + QStringLiteral("/snapshots/") + commit;
    RepoListing l;
    l.source = QStringLiteral("hf-snapshot");
    QDirIterator it(root, QDir::Files, QDirIterator::Subdirectories);  // follows file symlinks
    const QDir base(root);
    while (it.hasNext()) {
        const QString p = it.next();
        const QFileInfo fi(p);
        if (!fi.exists()) continue;  // dangling
        const QString rel = base.relativeFilePath(p);
        if (!unsafeRepoPathReason(rel).isEmpty()) continue;
        RepoFile f;
        f.path = rel;
        f.size = fi.size();
        l.files[rel] = f;
    }
    if (l.files.empty()) return std::nullopt;
    return l;
}

} // namespace qs
