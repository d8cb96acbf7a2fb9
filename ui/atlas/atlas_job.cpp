#include "atlas/atlas_job.h"

#include "jobs/job_progress.h"
#include "analysis/sampling.h"
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
        std::vector<double> passes = p.passes;
        if (passes.empty() || passes.back() < 1.0) passes.push_back(1.0);
        double work = 0;  // the bar: each pass its share by fraction
        for (double f : passes) work += f;
        double at = 0;
        for (size_t i = 0; i < passes.size(); ++i) {
            const double f = passes[i];
            const bool full = f >= 1.0;
            WqParams wq = p.wq;
            if (!full) wq.sample = SampleSpec{f, p.wq.sample ? p.wq.sample->seed : kDefaultSampleSeed};
            else wq.sample.reset();
            const double lo = at / work, hi = (at + f) / work;
            at += f;
            progress.setText(full ? (passes.size() > 1 ? QObject::tr("Atlas: every row") : QObject::tr("Atlas"))
                                  : QObject::tr("Atlas: %1 % sample").arg(f * 100, 0, 'g', 3));
            progress.setSpan(lo, lo + (hi - lo) * 0.02);  // opening the model
            WqObserver observer;
            observer.started = [&](const WqReport& header) {
                if (i == 0) {
                    std::lock_guard<std::mutex> lock(st->mutex);
                    st->header = header;
                    st->started = true;
                }
                progress.setSpan(lo + (hi - lo) * 0.02, hi);
                progress.setItemWeights(header.tensorElements);
            };
            observer.tensorDone = [&](const WqReport&, const WqTensor& t) {
                if (p.onTensor) p.onTensor(t);
                promise.addResult(AtlasBand{int(i), full ? 1.0 : f, t});
            };
            auto report = runWq(wq, observer, PngRenderer{}, &progress);
            std::lock_guard<std::mutex> lock(st->mutex);
            if (!report) {
                if (report.error().message != "cancelled") st->error = report.error();
                return;
            }
            st->passesDone = int(i) + 1;
            if (i + 1 == passes.size()) st->report = std::move(*report);
        }
    }, std::move(params), std::move(state));
}

} // namespace qs
