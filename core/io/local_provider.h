#pragma once
// LocalProvider: a FileProvider over a local folder (files listed recursively, hidden
// entries skipped) or a single .safetensors file (listFiles() is then just its name).
// Files are memory-mapped once (QFile::map) and handed out as slices of the mapping;
// a file that cannot be mapped is read range by range into buffers instead.
// Errors (exitCode 2): a missing path -> "No such file or directory: <path>"; a folder
// with no .safetensors file; paths outside the folder; ranges beyond a file's end;
// symbolic links (in a model folder) whose target is outside the folder, except exactly
// the Hugging Face cache layout: a folder snapshots/<commit> whose links point into the
// sibling ../../blobs store.
#include "io/file_provider.h"

#include <QString>

#include <map>
#include <memory>
#include <mutex>

namespace qs {

class LocalProvider final : public FileProvider {
public:
    // Checks that path exists and holds (or is) a .safetensors file.
    static Result<std::shared_ptr<LocalProvider>> open(const QString& path);

    QString describe() const override { return m_absPath; }
    QString repoName() const override { return m_repoName; }
    QString resultsName() const override { return m_resultsName; }
    QString revision() const override { return QStringLiteral("local"); }

    Result<QStringList> listFiles(Progress* progress = nullptr) override;
    bool hasFile(const QString& path) override;
    Result<uint64_t> fileSize(const QString& path) override;
    Result<ByteViewPtr> read(const QString& path, uint64_t offset, uint64_t length,
                             Progress* progress = nullptr) override;

    bool isSingleFile() const { return m_singleFile; }
    // Absolute local path of a repo-relative file (no existence check).
    QString localPath(const QString& path) const;

private:
    LocalProvider() = default;
    Result<QString> resolve(const QString& path) const;
    Result<ByteViewPtr> mapped(const QString& path, const QString& local);

    QString m_absPath;      // folder, or the single file
    QString m_root;         // folder holding the files
    QString m_repoName, m_resultsName;
    bool m_singleFile = false;
    QString m_canonRoot;    // folder mode: the folder with symlinks resolved
    QString m_blobsDir;     // folder mode inside an HF cache: <repo>/blobs, resolved
    QStringList m_files;    // cached listing

    std::mutex m_mutex;
    std::map<QString, ByteViewPtr> m_maps;  // whole-file mappings (nullptr: unmappable)
};

} // namespace qs
