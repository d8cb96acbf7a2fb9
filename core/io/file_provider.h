#pragma once
// FileProvider: where a model's files come from. The model layer (safetensors headers,
// index, tensor bytes) reads only through this interface, so a local folder and a Hub
// repo behave the same. LocalProvider (local_provider.h) memory-maps files; the Hub
// provider (hub/) fetches byte ranges over HTTP into its cache and maps those.
// Errors name the file and say what went wrong; exitCode 2 (model/network failure).
#include "common/progress.h"
#include "common/result.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <vector>

namespace qs {

// Read-only bytes that stay valid while the pointer lives (a mapping or a buffer).
class ByteView {
public:
    virtual ~ByteView() = default;
    virtual const uint8_t* data() const = 0;
    virtual uint64_t size() const = 0;
};
using ByteViewPtr = std::shared_ptr<const ByteView>;

// A heap buffer as a ByteView.
class BufferView final : public ByteView {
public:
    explicit BufferView(std::vector<uint8_t> bytes) : m_bytes(std::move(bytes)) {}
    const uint8_t* data() const override { return m_bytes.data(); }
    uint64_t size() const override { return m_bytes.size(); }

private:
    std::vector<uint8_t> m_bytes;
};

// A sub-range of another view (keeps the parent alive).
class SliceView final : public ByteView {
public:
    SliceView(ByteViewPtr parent, uint64_t offset, uint64_t length)
        : m_parent(std::move(parent)), m_offset(offset), m_length(length) {}
    const uint8_t* data() const override { return m_parent->data() + m_offset; }
    uint64_t size() const override { return m_length; }

private:
    ByteViewPtr m_parent;
    uint64_t m_offset, m_length;
};

struct ByteRange {
    QString file;      // repo-relative path, '/'-separated
    uint64_t offset = 0;
    uint64_t length = 0;
};

class FileProvider {
public:
    virtual ~FileProvider() = default;

    // "/abs/path/model" or "org/name@<40-hex commit>" for messages and titles.
    virtual QString describe() const = 0;
    // Short repo name as the title line prints it ("org/name" or the folder's base name).
    virtual QString repoName() const = 0;
    // Results-folder name: "org__name", or the local folder's base name.
    virtual QString resultsName() const = 0;
    // Revision as the user gave it ("main"; "local" for local paths).
    virtual QString revision() const = 0;

    // Repo-relative paths of every file, '/'-separated, sorted.
    virtual Result<QStringList> listFiles(Progress* progress = nullptr) = 0;
    virtual bool hasFile(const QString& path) = 0;
    virtual Result<uint64_t> fileSize(const QString& path) = 0;
    // The bytes [offset, offset + length) of path (fetched and cached if remote).
    virtual Result<ByteViewPtr> read(const QString& path, uint64_t offset, uint64_t length,
                                     Progress* progress = nullptr) = 0;
    // The whole file (small files: config.json, the index).
    Result<ByteViewPtr> readAll(const QString& path, Progress* progress = nullptr)
    {
        auto size = fileSize(path);
        if (!size) return size.error();
        return read(path, 0, *size, progress);
    }
    // Hint that these ranges are needed next: a remote provider fetches them in
    // parallel (adjacent ranges merged, large ones split). Local: nothing to do.
    virtual Result<void> prefetch(const std::vector<ByteRange>& ranges, Progress* progress = nullptr)
    {
        (void)ranges; (void)progress;
        return {};
    }
    virtual bool isRemote() const { return false; }
};

} // namespace qs
