#pragma once
// The two on-disk caches the Hub provider uses (HF_HUB.md §10).
//
// RangeCache — ours, under <cacheDir>/hub/models--org--name/:
//   refs.json                              {"refs": {"main": "<commit>"}} (revision -> commit)
//   <commit>/listing.json                  the commit's file listing (RepoListing::toJson)
//   <commit>/ranges/<enc path>/<off>-<len>.bin   fetched bytes [off, off+len) of a file
// Keyed by commit, so a branch that moves never mixes files of two commits. Every file is
// written to a temporary name and renamed (QSaveFile), so a crash or a cut connection
// never leaves a partial entry; a segment whose size differs from its name is treated as
// absent and deleted. Nothing in it contains the token.
//
// HfCacheReader — read-only reuse of huggingface_hub's cache <HF_HUB_CACHE>/models--org--name/
// (refs/<rev>, snapshots/<commit>/<path>, trees/<commit>.json). The tool never writes there.
#include "common/result.h"
#include "hub/hub_listing.h"
#include "io/file_provider.h"

#include <QString>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

class QFile;

namespace qs {

// A whole file mapped read-only; keeps the QFile (and so the mapping) alive.
class MappedFileView final : public ByteView {
public:
    ~MappedFileView() override;
    // nullptr + *error when the file cannot be opened or mapped (empty files map to an
    // empty view).
    static std::shared_ptr<const MappedFileView> open(const QString& path, QString* error = nullptr);
    const uint8_t* data() const override { return m_ptr; }
    uint64_t size() const override { return m_size; }

private:
    MappedFileView() = default;
    std::unique_ptr<QFile> m_file;
    const uint8_t* m_ptr = nullptr;
    uint64_t m_size = 0;
};

// Uninitialised heap bytes that the network layer fills in place.
class OwnedBuffer final : public ByteView {
public:
    explicit OwnedBuffer(uint64_t size) : m_bytes(new uint8_t[size ? size : 1]), m_size(size) {}
    const uint8_t* data() const override { return m_bytes.get(); }
    uint64_t size() const override { return m_size; }
    uint8_t* mutableData() { return m_bytes.get(); }

private:
    std::unique_ptr<uint8_t[]> m_bytes;
    uint64_t m_size;
};

// "models--org--name"
QString repoFolderName(const QString& repoId);

class RangeCache {
public:
    RangeCache(const QString& cacheDir, const QString& repoId);

    QString repoDir() const { return m_repoDir; }
    std::optional<QString> refCommit(const QString& revision) const;
    Result<void> storeRef(const QString& revision, const QString& commit);
    std::optional<RepoListing> listing(const QString& commit) const;
    Result<void> storeListing(const QString& commit, const RepoListing& listing);

    struct Segment {
        uint64_t offset = 0;
        uint64_t length = 0;
    };
    // Cached segments of a file, sorted by offset (directory scanned once, then kept).
    std::vector<Segment> segments(const QString& commit, const QString& path);
    // The mapped segment, or nullptr when it vanished or has the wrong size (then it is
    // deleted and forgotten).
    ByteViewPtr mapSegment(const QString& commit, const QString& path, const Segment& s);
    Result<void> storeSegment(const QString& commit, const QString& path, uint64_t offset, const uint8_t* data,
                              uint64_t length);
    // Folder holding the segments of a file.
    QString segmentDir(const QString& commit, const QString& path) const;

private:
    QString m_repoDir;
    mutable std::mutex m_mutex;
    std::map<QString, std::vector<Segment>> m_index;  // commit + '\n' + path

    std::vector<Segment>& indexFor(const QString& commit, const QString& path);
};

class HfCacheReader {
public:
    HfCacheReader(const QString& hubCacheDir, const QString& repoId);

    QString repoDir() const { return m_repoDir; }
    // refs/<revision> (nested for revisions with '/'), when it holds a 40-hex commit.
    std::optional<QString> refCommit(const QString& revision) const;
    // snapshots/<commit>/<path> when it exists as a regular file (symlinks followed;
    // dangling links are "not cached"), else "".
    QString snapshotFile(const QString& commit, const QString& path) const;
    bool hasSnapshot(const QString& commit) const;
    std::optional<RepoListing> treeListing(const QString& commit) const;      // trees/<commit>.json
    std::optional<RepoListing> snapshotListing(const QString& commit) const;  // walk snapshots/<commit>/

private:
    QString m_repoDir;
};

} // namespace qs
