#include "importance/importance_job.h"

#include "jobs/job_progress.h"
#include "jobs/jobs.h"

#include <QFileInfo>
#include <QObject>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>

namespace qs {

QFuture<ImportanceResult> importanceJob(ImportanceParams params)
{
    return QtConcurrent::run(jobPool(), [](QPromise<ImportanceResult>& promise, ImportanceParams p) {
        const auto t0 = std::chrono::steady_clock::now();
        PromiseProgress<ImportanceResult> progress(promise);
        progress.setText(QObject::tr("Reading importance %1").arg(p.spec));
        ImportanceResult out;
        out.params = p;
        if (!p.model) {
            out.error = Error::usage("Open a model first: an importance file is bound to a model's tensors.");
        } else {
            auto r = loadRunImportance(p.spec, p.revision.isEmpty() ? QStringLiteral("main") : p.revision, p.cacheDir,
                                       *p.model, &progress);
            if (r) out.importance = std::move(*r);
            else out.error = r.error();
        }
        out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!promise.isCanceled()) promise.addResult(std::move(out));
    }, std::move(params));
}

int boundEntries(const RunImportance& imp)
{
    return int(imp.file.entries.size()) - int(imp.index.unmappedEntries.size());
}

namespace {

QString fileName(const RunImportance& imp)
{
    // A Hub spec names the file after the colon; a local one by its base name.
    const QString spec = imp.spec;
    const qsizetype colon = spec.indexOf(QLatin1Char(':'));
    const QString path = colon > 0 && !QFileInfo::exists(spec) ? spec.mid(colon + 1) : spec;
    return QFileInfo(path).fileName();
}

QString someNames(const std::vector<std::string>& names, size_t most = 12)
{
    QStringList out;
    for (size_t i = 0; i < names.size() && i < most; ++i) out << QString::fromStdString(names[i]);
    QString s = out.join(QStringLiteral(", "));
    if (names.size() > most) s += QObject::tr(", … (%1 in all)").arg(names.size());
    return s;
}

} // namespace

QString importanceStatusText(const RunImportance& imp)
{
    const int entries = int(imp.file.entries.size());
    const int unmapped = int(imp.index.unmappedEntries.size());
    QString s = QObject::tr("importance: %1 — %2 of %3 entries bound").arg(fileName(imp)).arg(boundEntries(imp)).arg(entries);
    if (unmapped) s += QObject::tr(", %1 unmapped").arg(unmapped);
    return s;
}

QString importanceToolTip(const RunImportance& imp)
{
    QStringList lines;
    lines << QObject::tr("Importance file: %1 (%2)").arg(QString::fromStdString(imp.source), QString::fromStdString(imp.file.format));
    if (!imp.sha256.empty()) lines << QObject::tr("sha256 %1").arg(QString::fromStdString(imp.sha256));
    if (!imp.file.datasets.empty()) lines << QObject::tr("Calibration data: %1").arg(someNames(imp.file.datasets, 4));
    if (!imp.index.architecture.empty())
        lines << QObject::tr("Names mapped for %1").arg(QString::fromStdString(imp.index.architecture));
    int unusable = 0;
    for (const ImportanceBinding& b : imp.index.bindings) unusable += b.error.empty() ? 0 : 1;
    lines << QObject::tr("%1 model tensors bound to an entry%2")
                 .arg(imp.index.bindings.size())
                 .arg(unusable ? QObject::tr(" (%1 cannot use theirs: see the Importance panel)").arg(unusable) : QString());
    if (!imp.index.unmappedEntries.empty())
        lines << QObject::tr("Entries that match no tensor of the model: %1").arg(someNames(imp.index.unmappedEntries));
    if (!imp.index.weightsWithoutEntry.empty())
        lines << QObject::tr("Weights without an entry: %1").arg(someNames(imp.index.weightsWithoutEntry));
    lines << QObject::tr("Analyze selection and the compression runs weigh their errors with it (wSQNR, wREL).");
    return lines.join(QLatin1Char('\n'));
}

} // namespace qs
