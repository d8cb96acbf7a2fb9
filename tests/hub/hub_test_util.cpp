#include "hub_test_util.h"

#include "io/local_provider.h"
#include "io/safetensors.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>

namespace qs::test {

QString HubFixture::setUp(bool extraFiles)
{
    hub = std::make_unique<FakeHub>();
    tmp = std::make_unique<QTemporaryDir>();
    if (!tmp->isValid()) return QStringLiteral("no temporary dir");
    modelDir = tmp->filePath(QStringLiteral("model"));
    const QString e = writeModel(modelDir, standardModel());
    if (!e.isEmpty()) return e;
    if (extraFiles) {
        QDir().mkpath(modelDir + QStringLiteral("/docs"));
        for (const char* n : {"docs/a.md", "docs/b.md", "docs/c.md"}) {
            QFile f(modelDir + QLatin1Char('/') + QString::fromLatin1(n));
            if (!f.open(QIODevice::WriteOnly)) return QStringLiteral("cannot write ") + f.fileName();
            f.write(QByteArray("# ") + n + '\n');
        }
    }
    commit = hub->addCommitFromDir(QStringLiteral("org/model"), modelDir);
    return {};
}

HubOptions HubFixture::options() const
{
    HubOptions o;
    o.endpoint = hub->endpoint();
    o.cacheDir = cacheDir();
    o.hfHubCache = hfDir();
    o.retryBaseMs = 5;
    o.retryCapMs = 20;
    o.retryAfterCapMs = 30;
    o.metadataTimeoutMs = 20000;
    o.downloadTimeoutMs = 20000;
    return o;
}

Result<std::shared_ptr<HubProvider>> openHub(const QString& repoId, const QString& revision, const HubOptions& options,
                                             const QString& subPath, const QString& fileName)
{
    ModelRef ref;
    ref.repoId = repoId;
    ref.revision = revision;
    ref.subPath = subPath;
    ref.fileName = fileName;
    return HubProvider::open(ref, options);
}

QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QByteArray viewBytes(const ByteViewPtr& v)
{
    return v ? QByteArray(reinterpret_cast<const char*>(v->data()), qsizetype(v->size())) : QByteArray();
}

ByteRange tensorRange(const QString& modelDir, const QString& shard, const std::string& tensor)
{
    auto p = LocalProvider::open(modelDir);
    if (!p) return {};
    auto h = readHeader(**p, shard);
    if (!h) return {};
    const SafetensorsTensor* t = h->find(tensor);
    if (!t) return {};
    return ByteRange{shard, h->dataStart() + t->begin, t->end - t->begin};
}

QVector<FakeLogEntry> only(const QVector<FakeLogEntry>& log, const QString& server)
{
    QVector<FakeLogEntry> out;
    for (const auto& e : log)
        if (e.server == server) out.append(e);
    return out;
}

QStringList filesBelow(const QString& dir)
{
    QStringList out;
    QDirIterator it(dir, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) out << it.next();
    out.sort();
    return out;
}

QByteArray allFileBytes(const QString& dir)
{
    QByteArray all;
    for (const QString& f : filesBelow(dir)) all += f.toUtf8() + '\n' + readFile(f);
    return all;
}

} // namespace qs::test
