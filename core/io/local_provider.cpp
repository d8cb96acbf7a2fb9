#include "io/local_provider.h"

#include "io/json_util.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

namespace qs {

namespace {

constexpr int kMaxListedFiles = 200000;

// A whole file mapped read-only; unmapped when the last slice goes away.
class MappedFile final : public ByteView {
public:
    explicit MappedFile(const QString& path) : m_file(path) {}
    ~MappedFile() override
    {
        if (m_ptr) m_file.unmap(m_ptr);
    }
    bool map()
    {
        if (!m_file.open(QIODevice::ReadOnly)) return false;
        m_size = uint64_t(m_file.size());
        if (m_size == 0) return true;
        m_ptr = m_file.map(0, qint64(m_size));
        return m_ptr != nullptr;
    }
    const uint8_t* data() const override { return m_ptr; }
    uint64_t size() const override { return m_size; }

private:
    QFile m_file;
    uchar* m_ptr = nullptr;
    uint64_t m_size = 0;
};

bool isSafetensors(const QString& name)
{
    return name.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive);
}

} // namespace

Result<std::shared_ptr<LocalProvider>> LocalProvider::open(const QString& path)
{
    const QFileInfo fi(path);
    if (path.isEmpty() || !fi.exists())
        return Error::model("No such file or directory: " + toStd(path));
    std::shared_ptr<LocalProvider> p(new LocalProvider);
    p->m_absPath = QDir::cleanPath(fi.absoluteFilePath());
    if (fi.isFile()) {
        if (!isSafetensors(fi.fileName()))
            return Error::model(toStd(p->m_absPath) +
                                ": not a .safetensors file (give a .safetensors file or a model folder)");
        p->m_singleFile = true;
        p->m_root = QDir::cleanPath(fi.absolutePath());
        p->m_files = QStringList{fi.fileName()};
        // Titled and filed by its folder and stem ("face-detect/model", results under
        // "face-detect__model"): a bare "model.safetensors" says nothing, and every
        // single-file model would share results/model/.
        QString stem = fi.fileName();
        stem.chop(int(QStringLiteral(".safetensors").size()));
        if (stem.isEmpty()) stem = fi.fileName();
        const QString parent = QFileInfo(p->m_root).fileName();
        p->m_repoName = parent.isEmpty() ? stem : parent + "/" + stem;
        p->m_resultsName = parent.isEmpty() ? stem : parent + "__" + stem;
        return p;
    }
    if (!fi.isDir())
        return Error::model(toStd(p->m_absPath) + ": not a regular file or a folder");
    p->m_root = p->m_absPath;
    p->m_canonRoot = QFileInfo(p->m_root).canonicalFilePath();
    {
        // An HF cache snapshot (<repo>/snapshots/<commit>) may link into <repo>/blobs.
        QDir up(p->m_canonRoot);
        if (up.cdUp() && QFileInfo(up.path()).fileName() == QLatin1String("snapshots") && up.cdUp()) {
            const QFileInfo blobs(up.filePath(QStringLiteral("blobs")));
            if (blobs.isDir()) p->m_blobsDir = blobs.canonicalFilePath();
        }
    }
    const QFileInfo rootInfo(p->m_root);
    p->m_repoName = rootInfo.fileName().isEmpty() ? p->m_root : rootInfo.fileName();
    p->m_resultsName = p->m_repoName;

    const QDir root(p->m_root);
    QDirIterator it(p->m_root, QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    bool any = false;
    while (it.hasNext()) {
        const QString abs = it.next();
        if (p->m_files.size() >= kMaxListedFiles)
            return Error::model(toStd(p->m_absPath) + ": more than " + std::to_string(kMaxListedFiles) +
                                " files below this folder; is it really a model folder?");
        const QString rel = root.relativeFilePath(abs);
        p->m_files.push_back(rel);
        any = any || isSafetensors(rel);
    }
    if (!any)
        return Error::model(toStd(p->m_absPath) + ": no .safetensors files in this folder");
    p->m_files.sort();
    return p;
}

Result<QStringList> LocalProvider::listFiles(Progress*)
{
    return m_files;
}

QString LocalProvider::localPath(const QString& path) const
{
    return m_root + QLatin1Char('/') + path;
}

Result<QString> LocalProvider::resolve(const QString& path) const
{
    const bool bad = path.isEmpty() || path.startsWith(QLatin1Char('/')) || path.contains(QLatin1Char('\\')) ||
                     path.split(QLatin1Char('/')).contains(QStringLiteral(".."));
    if (bad)
        return Error::model(toStd(path) + ": not a relative path inside " + toStd(m_absPath));
    if (m_singleFile && path != m_files.front())
        return Error::model(toStd(path) + ": no such file (" + toStd(m_absPath) + " is a single file)");
    const QString local = localPath(path);
    if (!m_singleFile) {
        // Symlinks may not lead out of the model folder (an untrusted repo could point a
        // shard at any file of the machine), except a cache snapshot's links to its blobs.
        const QString target = QFileInfo(local).canonicalFilePath();  // empty when missing
        auto inside = [&target](const QString& dir) {
            return !dir.isEmpty() && target.startsWith(dir + QLatin1Char('/'));
        };
        if (!target.isEmpty() && !inside(m_canonRoot) && !inside(m_blobsDir))
            return Error::model(toStd(path) + ": is a symbolic link to " + toStd(target) +
                                ", outside the model folder " + toStd(m_absPath) + "; refused");
    }
    return local;
}

bool LocalProvider::hasFile(const QString& path)
{
    auto local = resolve(path);
    return local.ok() && QFileInfo(*local).isFile();
}

Result<uint64_t> LocalProvider::fileSize(const QString& path)
{
    auto local = resolve(path);
    if (!local) return local.error();
    const QFileInfo fi(*local);
    if (!fi.isFile()) return Error::model(toStd(path) + ": no such file in " + toStd(m_absPath));
    return uint64_t(fi.size());
}

Result<ByteViewPtr> LocalProvider::mapped(const QString& path, const QString& local)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_maps.find(path);
    if (it != m_maps.end()) return it->second;
    auto m = std::make_shared<MappedFile>(local);
    ByteViewPtr view;
    if (m->map()) view = m;
    // nullptr marks an unmappable file (special filesystems): read() falls back to reads.
    m_maps.emplace(path, view);
    return view;
}

Result<ByteViewPtr> LocalProvider::read(const QString& path, uint64_t offset, uint64_t length, Progress*)
{
    auto local = resolve(path);
    if (!local) return local.error();
    if (!QFileInfo(*local).isFile()) return Error::model(toStd(path) + ": no such file in " + toStd(m_absPath));
    auto whole = mapped(path, *local);
    if (!whole) return whole.error();
    const uint64_t size = *whole ? (*whole)->size() : uint64_t(QFileInfo(*local).size());
    if (offset > size || length > size - offset)
        return Error::model(toStd(path) + ": bytes [" + std::to_string(offset) + ", " +
                            std::to_string(offset + length) + ") requested but the file has " +
                            std::to_string(size) + " bytes");
    if (length == 0) return ByteViewPtr(std::make_shared<BufferView>(std::vector<uint8_t>{}));
    if (*whole) return ByteViewPtr(std::make_shared<SliceView>(*whole, offset, length));

    QFile f(*local);
    if (!f.open(QIODevice::ReadOnly) || !f.seek(qint64(offset)))
        return Error::model(toStd(path) + ": cannot read: " + toStd(f.errorString()));
    std::vector<uint8_t> buf(length);
    const qint64 got = f.read(reinterpret_cast<char*>(buf.data()), qint64(length));
    if (got != qint64(length))
        return Error::model(toStd(path) + ": read " + std::to_string(got < 0 ? 0 : got) + " of " +
                            std::to_string(length) + " bytes at offset " + std::to_string(offset));
    return ByteViewPtr(std::make_shared<BufferView>(std::move(buf)));
}

} // namespace qs
