#pragma once
// HubProvider: a FileProvider over one commit of a Hugging Face Hub model repo, so that
// Model::open works on Hub repos exactly as on local folders.
//
// open() pins the revision to a 40-hex commit once (a commit is used as is, with no
// request; a branch/tag costs one repo-info request, or none offline via the cached
// refs) and loads the commit's listing (our cache, the HF cache's trees/<commit>.json,
// else the paginated tree API, else repo-info siblings). Every later URL carries the
// commit. read() answers, in this order, from our range cache, from a complete file in
// the HF cache's snapshots/<commit>/ (mapped, no request), and only then over HTTP:
// the missing byte ranges are fetched with Range requests (adjacent ones merged, large
// ones split into parallel parts), stored in the range cache and returned. A header read
// at the start of a .safetensors file fetches headerProbeBytes at once, so the length
// word and (usually) the JSON header come in one request; prefetch() of many shards'
// headers runs them in parallel. Nothing but what is asked (plus that probe) is fetched.
//
// A second run on the same commit makes zero requests. With a branch revision it makes
// exactly one small repo-info request (to see whether the branch moved), unless
// HF_HUB_OFFLINE is set. Offline, anything not cached is an Error naming the file.
//
// Errors are exitCode 2 and actionable (hub_errors.h); listing entries and requested
// paths with "..", absolute paths or URLs are refused. Thread safe: read()/prefetch()
// may be called from several threads at once (two threads asking for the same missing
// range may both fetch it; the cache entry is then written twice, atomically).
#include "common/progress.h"
#include "common/result.h"
#include "hub/hub_cache.h"
#include "hub/hub_errors.h"
#include "hub/hub_listing.h"
#include "hub/hub_options.h"
#include "hub/http_client.h"
#include "hub/model_ref.h"
#include "io/file_provider.h"

#include <QUrl>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace qs {

class HubProvider final : public FileProvider {
public:
    static Result<std::shared_ptr<HubProvider>> open(const ModelRef& ref, const HubOptions& options,
                                                     Progress* progress = nullptr);
    ~HubProvider() override;

    QString describe() const override;         // "org/name@<commit>[/sub][/file]"
    QString repoName() const override { return m_ref.repoId; }
    QString resultsName() const override;      // "org__name"
    QString revision() const override { return m_ref.revision; }

    Result<QStringList> listFiles(Progress* progress = nullptr) override;
    bool hasFile(const QString& path) override;
    Result<uint64_t> fileSize(const QString& path) override;
    Result<ByteViewPtr> read(const QString& path, uint64_t offset, uint64_t length,
                             Progress* progress = nullptr) override;
    Result<void> prefetch(const std::vector<ByteRange>& ranges, Progress* progress = nullptr) override;
    bool isRemote() const override { return true; }

    const QString& commit() const { return m_commit; }
    const QString& repoId() const { return m_ref.repoId; }
    // Where the listing came from: "cache", "tree", "siblings", "hf-cache", "hf-snapshot".
    QString listingSource() const;
    // Requests made so far (zero when no client was ever needed).
    HttpStats httpStats() const;
    const HubOptions& options() const { return m_opt; }

    struct FileMetadata {
        QString commit;   // X-Repo-Commit
        QString etag;     // normalised X-Linked-Etag / ETag (sha256 for LFS, git sha1 otherwise)
        int64_t size = -1;
        QUrl location;    // where the content lives (CDN URL for LFS files)
    };
    // HEAD on the resolve URL (HF_HUB.md §5.1): relative redirects followed, stops at
    // the first redirect to another host. Size from X-Linked-Size, else the
    // Content-Length of a non-redirect, uncompressed answer.
    Result<FileMetadata> headFile(const QString& path);

private:
    HubProvider(ModelRef ref, HubOptions options);

    struct Piece {
        uint64_t offset = 0, length = 0;
        ByteViewPtr view;  // nullptr: a range-cache segment not mapped yet
    };
    struct Want {
        QString path;  // full repo path
        uint64_t offset = 0, length = 0;
    };

    Result<void> resolveCommit(Progress* progress);
    Result<void> loadListing(Progress* progress);
    Result<void> loadSiblings(Progress* progress);
    Result<void> checkRoot() const;
    HttpClient* client();
    Result<HttpResponse> get(const QUrl& url, const QString& what, Progress* progress);

    QString fullPath(const QString& path) const;
    Result<QString> checkedPath(const QString& path) const;
    Result<uint64_t> sizeOf(const QString& full);
    QUrl apiUrl(const QByteArray& encodedPathAndQuery) const;
    QUrl resolveUrl(const QString& full) const;
    HubErrorContext context(const QString& full, const QString& what) const;
    Error offlineMiss(const QString& full, uint64_t offset, uint64_t length) const;

    ByteViewPtr hfView(const QString& full);
    ByteViewPtr assemble(const QString& full, uint64_t offset, uint64_t length, const std::vector<Piece>& extra);
    Result<void> fetch(const std::vector<Want>& wants, Progress* progress, std::vector<std::pair<QString, Piece>>* fetched);

    ModelRef m_ref;
    HubOptions m_opt;
    QString m_root;    // ref.subPath
    QString m_commit;
    RangeCache m_cache;
    HfCacheReader m_hf;

    mutable std::mutex m_mutex;  // guards everything below
    RepoListing m_listing;
    std::map<QString, QUrl> m_cdn;               // full path -> last content location
    std::map<QString, ByteViewPtr> m_hfViews;    // full path -> mapped HF snapshot file (nullptr: none)
    std::map<QString, std::vector<Piece>> m_mem; // fetched pieces kept in memory when !cacheRanges

    std::once_flag m_clientOnce;
    std::unique_ptr<HttpClient> m_client;
};

} // namespace qs
