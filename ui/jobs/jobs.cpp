#include "jobs/jobs.h"

#include "analysis/diff.h"
#include "analysis/model_open.h"
#include "importance/importance_job.h"
#include "jobs/job_progress.h"

#include <QThread>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <chrono>

namespace qs {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

bool isCancel(const Error& e) { return e.message == "cancelled"; }

} // namespace

void lowerThisThread()
{
#ifdef __linux__
    thread_local bool done = false;
    if (done) return;
    done = true;
    setpriority(PRIO_PROCESS, pid_t(syscall(SYS_gettid)), 4);
#endif
}

QThreadPool* jobPool()
{
    // Not QThreadPool::globalInstance(): Qt's raster paint engine hands work to the global
    // pool and waits for it (QRasterPaintEngine::drawLines -> QSemaphore::acquire), so
    // long jobs there stall painting on the UI thread until they finish.
    static QThreadPool* pool = [] {
        auto* p = new QThreadPool;
        p->setObjectName(QStringLiteral("quantscope-jobs"));
        p->setMaxThreadCount(std::max(2, QThread::idealThreadCount()));
        return p;
    }();
    return pool;
}

QFuture<OpenModelResult> openModelJob(OpenModelParams params)
{
    return QtConcurrent::run(jobPool(), [](QPromise<OpenModelResult>& promise, OpenModelParams p) {
        lowerThisThread();
        const auto t0 = Clock::now();
        PromiseProgress<OpenModelResult> progress(promise);
        progress.setText(QObject::tr("Opening %1").arg(p.text));
        OpenModelResult out;
        out.params = p;
        auto model = openModel(p.text, p.revision.isEmpty() ? QStringLiteral("main") : p.revision, p.cacheDir,
                               &progress);
        if (!model) {
            out.error = model.error();
        } else {
            out.model = *model;
            out.tree = buildTensorTree(*out.model);
        }
        out.seconds = since(t0);
        promise.addResult(std::move(out));
    }, std::move(params));
}

QFuture<TensorViewResult> tensorViewJob(TensorViewParams params)
{
    return QtConcurrent::run(jobPool(), [](QPromise<TensorViewResult>& promise, TensorViewParams p) {
        lowerThisThread();
        const auto t0 = Clock::now();
        PromiseProgress<TensorViewResult> progress(promise);
        TensorViewResult out;
        out.tensor = p.tensor;
        auto finish = [&](std::optional<Error> e) {
            out.error = std::move(e);
            out.seconds = since(t0);
            if (!promise.isCanceled()) promise.addResult(std::move(out));
        };
        const TensorInfo* info = p.model->find(p.tensor);
        if (!info) return finish(Error::usage("no tensor named " + p.tensor));
        out.info = *info;
        progress.setText(QObject::tr("Reading %1").arg(QString::fromStdString(p.tensor)));
        progress.setSpan(0.0, 0.3);
        auto reader = p.model->reader(p.tensor, &progress);
        if (!reader) return finish(reader.error());
        const TensorReader& r = **reader;
        progress.setText(QObject::tr("Scanning %1").arg(QString::fromStdString(p.tensor)));
        progress.setSpan(0.3, 0.55);
        auto scan = scanTensor(r, p.slice, p.maxCells, &progress);
        if (!scan) return finish(scan.error());
        out.stats = scan->stats;
        out.heatmap = std::move(scan->heatmap);
        if (p.effective) {
            auto eff = effectiveHeatmap(r, p.slice, p.maxCells, *p.effective, &progress);
            if (!eff) return finish(eff.error());
            out.heatmap = std::move(*eff);
        }
        out.heatmap.title = p.tensor;
        progress.setSpan(0.55, 0.7);
        auto hist = valueHistogram(r, out.stats, 0, &progress);
        if (!hist) return finish(hist.error());
        out.histogram = std::move(*hist);
        out.histogram.title = p.tensor;
        out.histogram.logY = p.histogramLog;
        progress.setSpan(0.7, 0.98);
        std::shared_ptr<TensorReader> other;  // Compare with…: B's tensor, when it pairs
        if (p.compare)
            if (auto b = comparedReader(*p.model, *p.compare, p.compareLabel, p.tensor, &progress)) other = *b;
        const ComparedSeries compared{other.get(), "compare", p.compareLabel};
        auto errs = errorHistograms(r, out.stats, p.formats, p.maxErrorSample, &progress, other ? &compared : nullptr);
        if (!errs) return finish(errs.error());
        out.errors = std::move(*errs);
        out.errors.title = p.tensor;
        out.errors.logY = p.errorLog;
        out.transfer = transferCurves(p.tensor, out.stats, p.formats, p.points, nullptr);
        if (other) {
            auto curve = comparedCurve(r, compared, out.transfer.x, p.maxErrorSample, nullptr, &progress);
            if (!curve) return finish(curve.error());
            out.transfer.curves.push_back(std::move(*curve));
        }
        finish(std::nullopt);
    }, std::move(params));
}

QFuture<MetricsResult> metricsJob(MetricsParams params)
{
    return QtConcurrent::run(jobPool(), [](QPromise<MetricsResult>& promise, MetricsParams p) {
        lowerThisThread();
        const auto t0 = Clock::now();
        PromiseProgress<MetricsResult> progress(promise);
        progress.setText(QObject::tr("Quantizing %1").arg(QString::fromStdString(p.tensor)));
        MetricsResult out;
        out.tensor = p.tensor;
        auto finish = [&](std::optional<Error> e) {
            out.error = std::move(e);
            out.seconds = since(t0);
            if (!promise.isCanceled()) promise.addResult(std::move(out));
        };
        const TensorInfo* info = p.model->find(p.tensor);
        if (!info) return finish(Error::usage("no tensor named " + p.tensor));
        auto reader = p.model->reader(p.tensor, &progress);
        if (!reader) return finish(reader.error());
        // The same weights runWq gives this tensor (none, and why, without a binding).
        std::optional<InputWeights> weights;
        if (p.importance)
            weights = tensorWeights(p.importance->index.find(info->name), info->shape, Layout::AsStored,
                                    &out.row.importanceNote);
        auto analysis = analyzeTensor(**reader, p.formats, Layout::AsStored, &progress, weights ? &*weights : nullptr);
        if (!analysis) return finish(analysis.error());
        out.row.info = *info;
        out.row.stats = analysis->stats;
        std::vector<double> maes;
        for (const FormatResult& fr : analysis->results) {
            out.row.rows.push_back(baselineRow("none", fr, info->shape));
            maes.push_back(fr.metrics.mae);
        }
        out.transfer = transferCurves(p.tensor, analysis->stats, p.formats, p.points, &maes);
        if (p.compare) {  // a pair that does not match is said by the window, not an error here
            if (auto b = comparedReader(*p.model, *p.compare, p.compareLabel, p.tensor, &progress)) {
                auto diff = diffTensor(**reader, **b, nullptr, {}, &progress);
                if (!diff) return finish(diff.error());
                out.row.rows.push_back(diffRow(diff->b.metrics, p.compareLabel));
                const ComparedSeries compared{b->get(), "compare", p.compareLabel};
                auto curve = comparedCurve(**reader, compared, out.transfer.x, int64_t(1) << 20, &diff->b.metrics.mae, &progress);
                if (!curve) return finish(curve.error());
                out.transfer.curves.push_back(std::move(*curve));
            }
        }
        finish(std::nullopt);
    }, std::move(params));
}

Result<std::shared_ptr<TensorReader>> comparedReader(const Model& a, const Model& b, const std::string& label,
                                                      const std::string& tensor, Progress* progress)
{
    const TensorInfo* ta = a.find(tensor);
    const TensorInfo* tb = b.find(tensor);
    if (!ta) return Error::usage("no tensor named " + tensor);
    if (!tb) return Error::usage(label + " has no tensor " + tensor);
    if (ta->shape != tb->shape)
        return Error::usage(tensor + ": shapes differ, A " + ta->shapeString() + " and " + label + " " + tb->shapeString());
    if (dtypeIsInteger(ta->dtype) || dtypeIsInteger(tb->dtype))
        return Error::usage(tensor + ": integer tensors are not compared");
    return b.reader(tensor, progress);
}

WqRow diffRow(const Metrics& metrics, const std::string& label)
{
    WqRow row;
    row.compression = "diff";
    row.format = "B";
    row.label = label;
    row.metrics = metrics;
    return row;
}

QFuture<HeatmapResult> heatmapJob(HeatmapParams params)
{
    return QtConcurrent::run(jobPool(), [](QPromise<HeatmapResult>& promise, HeatmapParams p) {
        lowerThisThread();
        PromiseProgress<HeatmapResult> progress(promise);
        HeatmapResult out;
        out.tensor = p.tensor;
        auto reader = p.model->reader(p.tensor, &progress);
        if (!reader) {
            out.error = reader.error();
        } else if (p.effective) {
            auto eff = effectiveHeatmap(**reader, p.slice, p.maxCells, *p.effective, &progress);
            if (!eff) out.error = eff.error();
            else out.heatmap = std::move(*eff);
        } else if (auto scan = scanTensor(**reader, p.slice, p.maxCells, &progress); !scan) {
            out.error = scan.error();
        } else {
            out.heatmap = std::move(scan->heatmap);
        }
        out.heatmap.title = p.tensor;
        if (!promise.isCanceled()) promise.addResult(std::move(out));
    }, std::move(params));
}

QFuture<SynthJobResult> synthJob(SynthParams params)
{
    return QtConcurrent::run(jobPool(), [](QPromise<SynthJobResult>& promise, SynthParams p) {
        lowerThisThread();
        PromiseProgress<SynthJobResult> progress(promise);
        progress.setText(QObject::tr("Synthetic staircase curves"));
        SynthJobResult out;
        auto curves = makeSynthCurves(p, &progress);
        if (!curves) out.error = curves.error();
        else out.plot = synthPlotData(*curves);
        if (!promise.isCanceled()) promise.addResult(std::move(out));
    }, std::move(params));
}

void streamWq(QPromise<WqTensor>& promise, const WqParams& params, const PngRenderer& renderer, const QString& title,
              WqRunState& state)
{
    PromiseProgress<WqTensor> progress(promise);
    progress.setText(title);
    progress.setSpan(0.0, 0.02);  // opening the model
    WqObserver observer;
    observer.started = [&](const WqReport& header) {
        {
            std::lock_guard<std::mutex> lock(state.mutex);
            state.header = header;
            state.started = true;
        }
        progress.setSpan(0.02, 1.0);
        progress.setItemWeights(header.tensorElements);
    };
    observer.tensorDone = [&](const WqReport&, const WqTensor& t) { promise.addResult(t); };
    auto report = runWq(params, observer, renderer, &progress);
    std::lock_guard<std::mutex> lock(state.mutex);
    if (!report) {
        if (!isCancel(report.error())) state.error = report.error();
    } else {
        state.report = std::move(*report);
    }
}

QFuture<WqTensor> analyzeSelectionJob(AnalyzeParams params, std::shared_ptr<AnalyzeState> state)
{
    return QtConcurrent::run(jobPool(), [](QPromise<WqTensor>& promise, AnalyzeParams p, std::shared_ptr<AnalyzeState> st) {
        lowerThisThread();
        p.wq.writeResults = false;
        PngRenderer noArtefacts;  // the GUI writes no results folder
        streamWq(promise, p.wq, noArtefacts, QObject::tr("Analyzing selection"), *st);
    }, std::move(params), std::move(state));
}

WqReport singleTensorReport(const Model& model, const WqTensor& tensor, const std::vector<FormatChoice>& formats,
                            const RunImportance* importance)
{
    WqReport r;
    r.repo = model.provider().repoName();
    r.revision = model.provider().revision();
    r.describe = model.provider().describe();
    for (const auto& f : formats) r.formats.push_back(std::string(f.format->name));
    r.compressions = {"none"};
    if (!formats.empty()) r.options = formats.front().options;
    r.tensorNames = {tensor.info.name};
    r.tensors = {tensor};
    if (importance) r.importance = describeImportance(*importance);
    return r;
}

} // namespace qs
