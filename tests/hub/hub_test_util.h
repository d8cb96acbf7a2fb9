#pragma once
// Shared helpers of the hub tests: a fake Hub serving a generated model, HubOptions
// pointing at it with fast retries, file/tensor helpers and log filters.
#include "fake_hub.h"
#include "fake_model.h"
#include "hub/hub_options.h"
#include "hub/hub_provider.h"
#include "io/file_provider.h"

#include <QByteArray>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace qs::test {

struct HubFixture {
    std::unique_ptr<FakeHub> hub;
    std::unique_ptr<QTemporaryDir> tmp;
    QString modelDir;   // the generated model on disk
    QString commit;     // its commit on the fake Hub ("org/model", branch main)

    // Starts the fake Hub and serves standardModel() (+ extraFiles) as org/model.
    QString setUp(bool extraFiles = false);
    HubOptions options() const;          // cache in tmp/cache, HF cache in tmp/hf
    QString cacheDir() const { return tmp->filePath(QStringLiteral("cache")); }
    QString hfDir() const { return tmp->filePath(QStringLiteral("hf")); }
};

Result<std::shared_ptr<HubProvider>> openHub(const QString& repoId, const QString& revision, const HubOptions& options,
                                             const QString& subPath = QString(), const QString& fileName = QString());

QByteArray readFile(const QString& path);
QByteArray viewBytes(const ByteViewPtr& v);
// The stored bytes [offset, offset + length) of a tensor in a local shard.
ByteRange tensorRange(const QString& modelDir, const QString& shard, const std::string& tensor);
// Log entries of one server ("hub"/"cdn").
QVector<FakeLogEntry> only(const QVector<FakeLogEntry>& log, const QString& server);
// Every file below dir (recursively), contents concatenated: to grep for secrets.
QByteArray allFileBytes(const QString& dir);
QStringList filesBelow(const QString& dir);

} // namespace qs::test
