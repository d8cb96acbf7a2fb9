#pragma once
// The file listing of one repo commit: what the tree API (HF_HUB.md §3), repo info
// siblings (§2) or the HF cache's trees/<commit>.json (§10) say, normalised to
// {path, size, git oid, LFS sha256}. Paths are checked on the way in: an entry with
// "..", ".", an empty segment, a leading '/', a backslash, a control character or a URL
// is refused with an Error naming it (exitCode 2), never used to build a file name.
#include "common/result.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <map>

namespace qs {

struct RepoFile {
    QString path;
    int64_t size = -1;   // -1: unknown (siblings without blobs); asked with HEAD later
    QString oid;         // git blob sha1 (of the LFS pointer for LFS files)
    QString lfsSha256;   // content sha256 for LFS files
};

struct RepoListing {
    std::map<QString, RepoFile> files;  // by path (sorted)
    QString source;                     // "tree", "siblings", "hf-cache", "hf-snapshot", "cache"

    bool has(const QString& path) const { return files.count(path) != 0; }
    // Our cache format: {"format":1,"commit":...,"source":...,"files":{path:{size,oid,lfs_sha256}}}.
    QByteArray toJson(const QString& commit) const;
    static Result<RepoListing> fromJson(const QByteArray& json, const QString& what);
};

// "" when path is a safe repo-relative path, else the reason it is refused.
QString unsafeRepoPathReason(const QString& path);
Result<void> checkRepoPath(const QString& path, const QString& what);

// Adds the "file" entries of one tree API page (a JSON array) to listing.
Result<void> addTreePage(const QByteArray& json, RepoListing& listing, const QString& what);
// Repo info JSON: {"sha": ..., "siblings": [{"rfilename", "size"?, "blobId"?, "lfs"?}]}.
Result<QString> repoInfoSha(const QByteArray& json, const QString& what);
Result<RepoListing> siblingsListing(const QByteArray& json, const QString& what);
// huggingface_hub 1.x trees/<commit>.json.
Result<RepoListing> hfTreeCacheListing(const QByteArray& json, const QString& what);

bool isCommitHash(const QString& s);  // 40 lower-case hex digits

} // namespace qs
