#pragma once
// The explorer's background jobs (STYLE.md §8): each is Params + Result + a function
// returning QFuture<Result> run by QtConcurrent with QPromise progress and cancel. The
// window attaches with .then(this, ...). Results carry errors as values (`error` set,
// never an exception across the thread boundary); a cancelled job reports the error
// "cancelled" or no result at all.
#include "analysis/analysis.h"
#include "analysis/importance_run.h"
#include "analysis/synth.h"
#include "analysis/wq_run.h"
#include "common/result.h"
#include "io/model.h"
#include "models/tensor_tree.h"
#include "plots/plot_compute.h"
#include "plots/plot_data.h"

#include <QFuture>
#include <QPromise>
#include <QThreadPool>
#include <QString>
#include <QStringList>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace qs {

// The pool every explorer job runs on (a dedicated one, see jobs.cpp for why).
QThreadPool* jobPool();
// Job threads run at a lower priority (nice +4) than the UI thread, so drawing and
// input win when the cores are busy. Linux threads have their own nice value, and the
// OpenMP threads a job thread creates inherit it. Call first in a job body (once per
// pool thread).
void lowerThisThread();

// Cancels a job that is still running. A finished future is left alone: in Qt 6.4,
// cancel() walks the chain of .then() continuations through raw pointers, which dangle
// once a context continuation has run and its future is gone (crash seen in
// QFutureInterfaceBase::cancel). Call on the UI thread (where the continuations run).
template <class T>
void cancelJob(QFuture<T>& future)
{
    if (!future.isFinished()) future.cancel();
}

// --- open a model ------------------------------------------------------------------
struct OpenModelParams {
    QString text;       // Hub id / URL / local path as typed
    QString revision;   // "" = main
    QString cacheDir;   // "" = default cache
};
struct OpenModelResult {
    OpenModelParams params;
    std::shared_ptr<Model> model;
    TensorTree tree;
    std::optional<Error> error;
    double seconds = 0;
};
QFuture<OpenModelResult> openModelJob(OpenModelParams params);

// --- the tensor view: statistics and the data of every tensor panel --------------------
struct TensorViewParams {
    std::shared_ptr<const Model> model;
    std::string tensor;
    std::vector<FormatChoice> formats;
    int64_t slice = 0;            // heat-map slice of a rank >= 3 tensor
    int maxCells = 512;           // heat-map cells per axis
    int64_t maxErrorSample = 1 << 20;
    int points = 1200;            // transfer-curve points
    bool histogramLog = false;
    bool errorLog = true;
    // Set: the heat map shows the effective weight |W|·√E[x²] with these weights.
    std::optional<InputWeights> effective;
    // Compare with… (issue #10): a second model whose tensor of the same name and shape is
    // one more series in the transfer and error panels, labelled compareLabel.
    std::shared_ptr<const Model> compare;
    std::string compareLabel;
};
struct TensorViewResult {
    std::string tensor;
    TensorInfo info;
    Stats stats;
    HeatmapData heatmap;
    HistogramData histogram;
    ErrorHistogramData errors;
    CurvePlotData transfer;       // labels without MAE (metricsJob adds them)
    std::optional<Error> error;
    double seconds = 0;
};
QFuture<TensorViewResult> tensorViewJob(TensorViewParams params);

// --- full-tensor metrics of the checked formats (results table + MAE labels) -----------
struct MetricsParams {
    std::shared_ptr<const Model> model;
    std::string tensor;
    std::vector<FormatChoice> formats;
    int points = 1200;
    // Set: the rows carry wsqnr / wrel weighed with the tensor's importance, as runWq's.
    std::shared_ptr<const RunImportance> importance;
    // Compare with…: the tensor of the same name and shape in this model gets a "diff" row
    // (diffTensor: B against A, the numbers `quantscope diff` prints) and a transfer curve.
    std::shared_ptr<const Model> compare;
    std::string compareLabel;
};
struct MetricsResult {
    std::string tensor;
    WqTensor row;                 // info, stats, one "none" row per format (then the "diff" row)
    CurvePlotData transfer;       // with "(MAE=...)" labels
    std::optional<Error> error;
    double seconds = 0;
};
QFuture<MetricsResult> metricsJob(MetricsParams params);

// The compared model's reader of `tensor` when it has one of the same shape; else the
// message saying why not ("B (name) has no tensor X", "shapes differ: A (2, 3), B (3, 2)").
Result<std::shared_ptr<TensorReader>> comparedReader(const Model& a, const Model& b, const std::string& label,
                                                      const std::string& tensor, Progress* progress);
// The results-table row of a comparison: compression "diff", format "B", the label.
WqRow diffRow(const Metrics& metrics, const std::string& label);

// --- heat map of another slice ----------------------------------------------------------
struct HeatmapParams {
    std::shared_ptr<const Model> model;
    std::string tensor;
    int64_t slice = 0;
    int maxCells = 512;
    std::optional<InputWeights> effective;  // set: |W|·√E[x²] instead of the values
};
struct HeatmapResult {
    std::string tensor;
    HeatmapData heatmap;
    std::optional<Error> error;
};
QFuture<HeatmapResult> heatmapJob(HeatmapParams params);

// --- synthetic staircase ----------------------------------------------------------------
struct SynthJobResult {
    CurvePlotData plot;
    std::optional<Error> error;
};
QFuture<SynthJobResult> synthJob(SynthParams params);

// --- "Analyze selection": a wq run over a set of tensors ------------------------------
// Every finished tensor is added to the future as a result (resultReadyAt) so the table
// fills while the run goes on; the final report (header, all tensors) is the last one
// in `report` once the future finished.
struct AnalyzeParams {
    WqParams wq;                  // model, revision, filter/regex, formats, options
};
// The tensors a wq run of the explorer covers, and how to say it ("3 tensors (group x)").
struct TensorSelection {
    QStringList tensors;  // empty: wq's default selection
    QString scope;
};

// The shared state of a streaming wq run (Analyze selection, Run config on selection).
struct WqRunState {
    std::mutex mutex;             // guards everything below (written by the worker)
    bool started = false;
    WqReport header;              // set when the run starts (before any tensor)
    std::optional<WqReport> report;
    std::optional<Error> error;   // not set for a cancelled run
};
using AnalyzeState = WqRunState;
// The body of both wq jobs, on the worker: runWq with the progress line titled `title`
// (model opening gets the first 2 % of the bar, then each tensor its share by elements);
// every finished tensor becomes a result of the promise; header, report and error go to
// state.
void streamWq(QPromise<WqTensor>& promise, const WqParams& params, const PngRenderer& renderer, const QString& title,
              WqRunState& state);
QFuture<WqTensor> analyzeSelectionJob(AnalyzeParams params, std::shared_ptr<AnalyzeState> state);

// The wq table layout (renderTableTxt) of a single tensor's metrics; with the importance
// file the metrics were weighed with (the report then records it, as a wq run does).
WqReport singleTensorReport(const Model& model, const WqTensor& tensor, const std::vector<FormatChoice>& formats,
                            const RunImportance* importance = nullptr);

} // namespace qs
