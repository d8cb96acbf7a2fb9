#include "atlas/atlas_job.h"

#include "jobs/job_progress.h"
#include "jobs/jobs.h"

#include <QObject>
#include <QtConcurrent/QtConcurrentRun>

namespace qs {

QFuture<AtlasBand> atlasJob(AtlasJobParams params, std::shared_ptr<AtlasRunState> state)
{
    return QtConcurrent::run(jobPool(), [](QPromise<AtlasBand>& promise, AtlasJobParams p, std::shared_ptr<AtlasRunState> st) {
        lowerThisThread();
        p.wq.writeResults = false;  // the view keeps the rows; nothing is written
        PromiseProgress<AtlasBand> progress(promise);
        progress.setText(QObject::tr("Atlas"));
        progress.setSpan(0.0, 0.02);  // opening the model
        WqObserver observer;
        observer.started = [&](const WqReport& header) {
            {
                std::lock_guard<std::mutex> lock(st->mutex);
                st->header = header;
                st->started = true;
            }
            progress.setSpan(0.02, 1.0);
            progress.setItemWeights(header.tensorElements);
        };
        observer.tensorDone = [&](const WqReport&, const WqTensor& t) {
            if (p.onTensor) p.onTensor(t);
            promise.addResult(AtlasBand{t});
        };
        auto report = runWq(p.wq, observer, PngRenderer{}, &progress);
        std::lock_guard<std::mutex> lock(st->mutex);
        if (!report) {
            if (report.error().message != "cancelled") st->error = report.error();
        } else {
            st->report = std::move(*report);
        }
    }, std::move(params), std::move(state));
}

} // namespace qs
