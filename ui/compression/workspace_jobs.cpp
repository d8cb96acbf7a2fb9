#include "compression/workspace_jobs.h"

#include "jobs/job_progress.h"
#include "jobs/jobs.h"
#include "plots/compression_plots.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QThread>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>

namespace qs {

QFuture<TileSumsResult> tileSumsJob(TileSumsParams params)
{
    return QtConcurrent::run(jobPool(), [](QPromise<TileSumsResult>& promise, TileSumsParams p) {
        const auto t0 = std::chrono::steady_clock::now();
        PromiseProgress<TileSumsResult> progress(promise);
        progress.setText(QObject::tr("Tile sums of %1").arg(QString::fromStdString(p.tensor)));
        TileSumsResult out;
        out.tensor = p.tensor;
        auto reader = p.model->reader(p.tensor, &progress);
        if (!reader) {
            out.error = reader.error();
        } else {
            out.shape = (*reader)->info().shape;
            progress.setSpan(0.0, 0.3);
            const std::vector<float> x = (*reader)->readAll();
            progress.setSpan(0.3, 1.0);
            auto sums = computeTileSums(x.data(), out.shape, p.candidates, p.options, &progress,
                                        p.weights ? &*p.weights : nullptr);
            if (!sums) out.error = sums.error();
            else out.sums = std::make_shared<const TileSums>(std::move(*sums));
        }
        out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!promise.isCanceled()) promise.addResult(std::move(out));
    }, std::move(params));
}

Result<void> renderMixedPngsOnUiThread(const MixedArtefacts& a, const QString& dir, const QString& slug)
{
    QCoreApplication* app = QCoreApplication::instance();
    if (!app || QThread::currentThread() == app->thread()) return renderMixedPngs(a, dir, slug);
    Result<void> result = Error::usage("rendering " + slug.toStdString() + " did not run");
    QMetaObject::invokeMethod(
        app, [&] { result = renderMixedPngs(a, dir, slug); }, Qt::BlockingQueuedConnection);
    return result;
}

QFuture<WqTensor> runConfigJob(WqParams params, std::shared_ptr<RunConfigState> state)
{
    return QtConcurrent::run(jobPool(), [](QPromise<WqTensor>& promise, WqParams p, std::shared_ptr<RunConfigState> st) {
        streamWq(promise, p, &renderMixedPngsOnUiThread, QObject::tr("Running the compression config"), *st);
    }, std::move(params), std::move(state));
}

} // namespace qs
