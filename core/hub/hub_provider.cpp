// HubProvider: opening (revision -> commit, listing), metadata and paths.
// Reading byte ranges is in hub_provider_read.cpp.
#include "hub/hub_provider.h"

#include <QFileInfo>
#include <QRegularExpression>

#include <set>

namespace qs {

namespace {

Error withRepo(const Error& e, const QString& prefix)
{
    return Error{(prefix + QStringLiteral(": ")).toStdString() + e.message, e.exitCode};
}

QString normaliseEtag(QByteArray e)
{
    e = e.trimmed();
    if (e.startsWith("W/")) e = e.mid(2);
    if (e.size() >= 2 && e.startsWith('"') && e.endsWith('"')) e = e.mid(1, e.size() - 2);
    return QString::fromLatin1(e);
}

// <URL>; rel="next" from a Link header (possibly a comma-separated list).
QUrl nextLink(const QByteArray& header, const QUrl& base)
{
    static const QRegularExpression re(QStringLiteral(R"(<([^>]+)>\s*;\s*rel\s*=\s*"?next"?)"));
    const auto m = re.match(QString::fromLatin1(header));
    if (!m.hasMatch()) return {};
    return base.resolved(QUrl::fromEncoded(m.captured(1).toLatin1()));
}

} // namespace

HubProvider::HubProvider(ModelRef ref, HubOptions options)
    : m_ref(std::move(ref)),
      m_opt(std::move(options)),
      m_root(m_ref.subPath),
      m_cache(m_opt.cacheDir, m_ref.repoId),
      m_hf(m_opt.hfHubCache, m_ref.repoId)
{
    while (m_opt.endpoint.endsWith(QLatin1Char('/'))) m_opt.endpoint.chop(1);
}

HubProvider::~HubProvider() = default;

Result<std::shared_ptr<HubProvider>> HubProvider::open(const ModelRef& ref, const HubOptions& options, Progress* progress)
{
    if (ref.isLocal()) return Error::usage("internal error: HubProvider::open given a local path");
    QS_TRY(validateRepoId(ref.repoId));
    QS_TRY(validateRevision(ref.revision));
    if (options.cacheDir.isEmpty()) return Error::usage("internal error: HubOptions::cacheDir is empty");
    std::shared_ptr<HubProvider> p(new HubProvider(ref, options));
    QS_TRY(p->resolveCommit(progress));
    QS_TRY(p->loadListing(progress));
    QS_TRY(p->checkRoot());
    return p;
}

HttpClient* HubProvider::client()
{
    if (m_opt.offline) return nullptr;
    std::call_once(m_clientOnce, [this] {
        HttpClientConfig c;
        const QUrl e(m_opt.endpoint);
        c.hubOrigin = e.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment);
        c.token = m_opt.token;
        c.userAgent = QByteArray("quantscope/") + QS_VERSION + "; qt/" + QT_VERSION_STR;
        c.metadataTimeoutMs = m_opt.metadataTimeoutMs;
        c.downloadTimeoutMs = m_opt.downloadTimeoutMs;
        c.maxParallel = std::max(1, m_opt.maxParallel);
        c.maxRetries = std::max(0, m_opt.maxRetries);
        c.retryBaseMs = m_opt.retryBaseMs;
        c.retryCapMs = m_opt.retryCapMs;
        c.retryAfterCapMs = m_opt.retryAfterCapMs;
        m_client = std::make_unique<HttpClient>(c);
    });
    return m_client.get();
}

HttpStats HubProvider::httpStats() const { return m_client ? m_client->stats() : HttpStats{}; }

QString HubProvider::describe() const
{
    QString s = m_ref.repoId + QLatin1Char('@') + m_commit;
    if (!m_root.isEmpty()) s += QLatin1Char('/') + m_root;
    if (!m_ref.fileName.isEmpty()) s += QLatin1Char('/') + m_ref.fileName;
    return s;
}

QString HubProvider::resultsName() const { return QString(m_ref.repoId).replace(QLatin1Char('/'), QLatin1String("__")); }

QString HubProvider::listingSource() const
{
    std::lock_guard<std::mutex> lk(m_mutex);
    return m_listing.source;
}

QUrl HubProvider::apiUrl(const QByteArray& encodedPathAndQuery) const
{
    return QUrl::fromEncoded(m_opt.endpoint.toUtf8() + encodedPathAndQuery, QUrl::StrictMode);
}

QUrl HubProvider::resolveUrl(const QString& full) const
{
    QByteArrayList segs;
    for (const QString& s : full.split(QLatin1Char('/'))) segs << QUrl::toPercentEncoding(s);
    return apiUrl('/' + m_ref.repoId.toUtf8() + "/resolve/" + QUrl::toPercentEncoding(m_commit) + '/' + segs.join('/'));
}

HubErrorContext HubProvider::context(const QString& full, const QString& what) const
{
    HubErrorContext c;
    c.endpoint = m_opt.endpoint;
    c.repoId = m_ref.repoId;
    c.revision = m_ref.revision;
    c.path = full;
    c.what = what;
    c.hadToken = !m_opt.token.isEmpty();
    c.tokenSource = m_opt.tokenSource;
    return c;
}

Result<HttpResponse> HubProvider::get(const QUrl& url, const QString& what, Progress* progress)
{
    HttpClient* c = client();
    if (!c) return Error::model("internal error: network request while offline");
    HttpRequest q;
    q.url = url;
    q.metadata = true;
    q.what = what;
    auto r = c->run(q, progress);
    if (!r) return withRepo(r.error(), m_ref.repoId);
    return r;
}

Result<void> HubProvider::resolveCommit(Progress* progress)
{
    const QString rev = m_ref.revision;
    if (isCommitHash(rev)) {  // immutable: no request
        m_commit = rev;
        return {};
    }
    auto cached = [&]() -> std::optional<QString> {
        if (auto c = m_cache.refCommit(rev)) return c;
        return m_hf.refCommit(rev);
    };
    if (m_opt.offline) {
        if (auto c = cached()) {
            m_commit = *c;
            return {};
        }
        return Error::model(QStringLiteral("HF_HUB_OFFLINE is set and revision '%1' of %2 is not in the cache "
                                           "(neither %3/refs.json nor %4/refs/%1). Run once online, or give a "
                                           "cached 40-hex commit with --revision.")
                                .arg(rev, m_ref.repoId, m_cache.repoDir(),
                                     m_hf.repoDir().isEmpty() ? QStringLiteral("the HF cache") : m_hf.repoDir())
                                .toStdString());
    }
    const QUrl url = apiUrl("/api/models/" + m_ref.repoId.toUtf8() + "/revision/" + QUrl::toPercentEncoding(rev));
    auto r = get(url, QStringLiteral("repo info"), progress);
    const bool serverTrouble = r && (r->status == 408 || r->status == 429 || r->status >= 500);
    if (!r || serverTrouble) {
        // Like huggingface_hub: when the Hub cannot be reached, a cached commit will do.
        if (auto c = cached()) {
            m_commit = *c;
            return {};
        }
        if (!r)
            return Error::model(r.error().message + " (resolving revision '" + rev.toStdString() +
                                "'; set HF_HUB_OFFLINE=1 to work from the cache only)");
    }
    if (r->status != 200) {
        HubErrorContext ctx = context(QString(), QStringLiteral("repo info"));
        ctx.retries = serverTrouble ? m_opt.maxRetries : 0;
        return hubHttpError(*r, ctx);
    }
    auto sha = repoInfoSha(r->body, QStringLiteral("repo info of %1@%2").arg(m_ref.repoId, rev));
    if (!sha) return sha.error();
    m_commit = *sha;
    (void)m_cache.storeRef(rev, m_commit);  // a read-only cache only costs the next run a request
    return {};
}

Result<void> HubProvider::loadListing(Progress* progress)
{
    if (auto l = m_cache.listing(m_commit)) {
        m_listing = std::move(*l);
        return {};
    }
    if (auto l = m_hf.treeListing(m_commit)) {
        m_listing = std::move(*l);
        return {};
    }
    if (m_opt.offline) {
        if (auto l = m_hf.snapshotListing(m_commit)) {
            m_listing = std::move(*l);
            return {};
        }
        return Error::model(QStringLiteral("HF_HUB_OFFLINE is set and no file listing of %1@%2 is cached (looked in %3 "
                                           "and %4). Run once online.")
                                .arg(m_ref.repoId, m_commit, m_cache.repoDir(),
                                     m_hf.repoDir().isEmpty() ? QStringLiteral("the HF cache") : m_hf.repoDir())
                                .toStdString());
    }
    RepoListing l;
    l.source = QStringLiteral("tree");
    QUrl url = apiUrl("/api/models/" + m_ref.repoId.toUtf8() + "/tree/" + QUrl::toPercentEncoding(m_commit)
                      + "?recursive=true&expand=false");
    std::set<QString> seen;
    const QString what = QStringLiteral("file listing of %1@%2").arg(m_ref.repoId, m_commit);
    for (int page = 1; url.isValid() && !url.isEmpty(); ++page) {
        if (!seen.insert(url.toString()).second || page > 1000000)
            return Error::model((what + QStringLiteral(": the tree pagination repeats itself (%1)").arg(urlForMessage(url))).toStdString());
        auto r = get(url, QStringLiteral("file listing"), progress);
        if (!r) return r.error();
        if (r->status != 200) {
            const QByteArray code = r->header("X-Error-Code");
            const bool authOrMissing = r->status == 401 || r->status == 403 || code == "RepoNotFound"
                                    || code == "RevisionNotFound" || code == "GatedRepo";
            if (page == 1 && !authOrMissing) return loadSiblings(progress);  // older servers, mirrors
            HubErrorContext ctx = context(QString(), QStringLiteral("file listing"));
            ctx.retries = (r->status == 429 || r->status >= 500) ? m_opt.maxRetries : 0;
            return hubHttpError(*r, ctx);
        }
        QS_TRY(addTreePage(r->body, l, what));
        url = nextLink(r->header("Link"), r->finalUrl);
        if (progress && progress->cancelled()) return Error::model("cancelled");
    }
    m_listing = std::move(l);
    (void)m_cache.storeListing(m_commit, m_listing);
    return {};
}

Result<void> HubProvider::loadSiblings(Progress* progress)
{
    const QUrl url = apiUrl("/api/models/" + m_ref.repoId.toUtf8() + "/revision/" + QUrl::toPercentEncoding(m_commit)
                            + "?blobs=true");
    auto r = get(url, QStringLiteral("repo info"), progress);
    if (!r) return r.error();
    if (r->status != 200) return hubHttpError(*r, context(QString(), QStringLiteral("repo info (file list)")));
    auto l = siblingsListing(r->body, QStringLiteral("file list of %1@%2").arg(m_ref.repoId, m_commit));
    if (!l) return l.error();
    m_listing = std::move(*l);
    bool complete = true;
    for (const auto& [p, f] : m_listing.files) complete = complete && f.size >= 0;
    if (complete) (void)m_cache.storeListing(m_commit, m_listing);
    return {};
}

Result<void> HubProvider::checkRoot() const
{
    std::lock_guard<std::mutex> lk(m_mutex);
    if (!m_root.isEmpty()) {
        const QString prefix = m_root + QLatin1Char('/');
        auto it = m_listing.files.lower_bound(prefix);
        if (it == m_listing.files.end() || !it->first.startsWith(prefix))
            return Error::model(QStringLiteral("Folder '%1' not found in %2@%3.").arg(m_root, m_ref.repoId, m_commit).toStdString());
    }
    if (!m_ref.fileName.isEmpty() && !m_listing.has(fullPath(m_ref.fileName)))
        return Error::model(QStringLiteral("File '%1' not found in %2 at revision %3.")
                                .arg(fullPath(m_ref.fileName), m_ref.repoId, m_ref.revision).toStdString());
    return {};
}

QString HubProvider::fullPath(const QString& path) const
{
    return m_root.isEmpty() ? path : m_root + QLatin1Char('/') + path;
}

Result<QString> HubProvider::checkedPath(const QString& path) const
{
    QS_TRY(checkRepoPath(path, QStringLiteral("%1: requested file").arg(describe())));
    if (!m_ref.fileName.isEmpty() && path != m_ref.fileName)
        return Error::model(QStringLiteral("'%1' is not part of %2 (a single-file model).").arg(path, describe()).toStdString());
    const QString full = fullPath(path);
    std::lock_guard<std::mutex> lk(m_mutex);
    if (!m_listing.has(full))
        return Error::model(QStringLiteral("File '%1' not found in %2 at revision %3.").arg(full, m_ref.repoId, m_ref.revision).toStdString());
    return full;
}

Result<QStringList> HubProvider::listFiles(Progress*)
{
    if (!m_ref.fileName.isEmpty()) return QStringList{m_ref.fileName};
    std::lock_guard<std::mutex> lk(m_mutex);
    QStringList out;
    const QString prefix = m_root.isEmpty() ? QString() : m_root + QLatin1Char('/');
    for (const auto& [p, f] : m_listing.files)
        if (p.startsWith(prefix)) out << p.mid(prefix.size());
    out.sort();
    return out;
}

bool HubProvider::hasFile(const QString& path)
{
    if (!unsafeRepoPathReason(path).isEmpty()) return false;
    if (!m_ref.fileName.isEmpty() && path != m_ref.fileName) return false;
    std::lock_guard<std::mutex> lk(m_mutex);
    return m_listing.has(fullPath(path));
}

Result<uint64_t> HubProvider::fileSize(const QString& path)
{
    auto full = checkedPath(path);
    if (!full) return full.error();
    return sizeOf(*full);
}

Result<uint64_t> HubProvider::sizeOf(const QString& full)
{
    {
        std::lock_guard<std::mutex> lk(m_mutex);
        auto it = m_listing.files.find(full);
        if (it == m_listing.files.end())
            return Error::model(QStringLiteral("File '%1' not found in %2@%3.").arg(full, m_ref.repoId, m_commit).toStdString());
        if (it->second.size >= 0) return uint64_t(it->second.size);
    }
    // Listing without sizes (repo-info fallback): the HF cache copy, else HEAD.
    int64_t size = -1;
    if (const QString local = m_hf.snapshotFile(m_commit, full); !local.isEmpty()) size = QFileInfo(local).size();
    if (size < 0) {
        if (m_opt.offline) return offlineMiss(full, 0, 0);
        auto meta = headFile(m_root.isEmpty() ? full : full.mid(m_root.size() + 1));
        if (!meta) return meta.error();
        size = meta->size;
    }
    std::lock_guard<std::mutex> lk(m_mutex);
    m_listing.files[full].size = size;
    bool complete = true;
    for (const auto& [p, f] : m_listing.files) complete = complete && f.size >= 0;
    if (complete) (void)m_cache.storeListing(m_commit, m_listing);
    return uint64_t(size);
}

Result<HubProvider::FileMetadata> HubProvider::headFile(const QString& path)
{
    QS_TRY(checkRepoPath(path, QStringLiteral("%1: requested file").arg(describe())));
    const QString full = fullPath(path);
    HttpClient* c = client();
    if (!c) return offlineMiss(full, 0, 0);
    HttpRequest q;
    q.method = "HEAD";
    q.url = resolveUrl(full);
    q.metadata = true;
    q.followOtherHosts = false;  // stop at the CDN redirect: its headers carry the metadata
    q.what = full;
    auto r = c->run(q);
    if (!r) return withRepo(r.error(), m_ref.repoId);
    const bool redirect = r->status >= 300 && r->status < 400;
    if (!redirect && (r->status < 200 || r->status >= 300)) return hubHttpError(*r, context(full, full + QStringLiteral(" (HEAD)")));
    FileMetadata m;
    m.commit = QString::fromLatin1(r->header("X-Repo-Commit"));
    QByteArray etag = r->header("X-Linked-Etag");
    if (etag.isEmpty()) etag = r->header("ETag");
    m.etag = normaliseEtag(etag);
    bool ok = false;
    const qint64 linked = r->header("X-Linked-Size").toLongLong(&ok);
    if (ok && linked >= 0) {
        m.size = linked;
    } else if (!redirect && r->header("Content-Encoding").isEmpty()) {
        const qint64 cl = r->header("Content-Length").toLongLong(&ok);  // the file itself, uncompressed
        if (ok && cl >= 0) m.size = cl;
    }
    m.location = redirect ? r->finalUrl.resolved(QUrl::fromEncoded(r->header("Location"))) : r->finalUrl;
    if (m.size < 0)
        return Error::model(QStringLiteral("%1: the Hub did not say how large '%2' is (no X-Linked-Size, and the answer "
                                           "was a redirect or compressed).").arg(m_ref.repoId, full).toStdString());
    return m;
}

Error HubProvider::offlineMiss(const QString& full, uint64_t offset, uint64_t length) const
{
    const QString range = length ? QStringLiteral("bytes %1-%2 of ").arg(offset).arg(offset + length - 1) : QString();
    return Error::model(QStringLiteral("HF_HUB_OFFLINE is set and %1'%2' of %3@%4 is not cached (neither in %5 nor "
                                       "in the HF cache snapshot). Run once online to fetch it.")
                            .arg(range, full, m_ref.repoId, m_commit, m_cache.repoDir())
                            .toStdString());
}

} // namespace qs
