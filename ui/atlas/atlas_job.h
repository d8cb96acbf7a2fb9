#pragma once
// The Atlas view's background job (STYLE.md §8, like jobs/jobs.h): the one per-tensor
// walk (runWq) over the explorer's selection, every finished tensor handed to the view as
// a result of the future (resultReadyAt), so the heat map fills in cell by cell while the
// walk goes on; progress and cancel through the promise. With several passes (sampling,
// issue #11 §3) the walk runs once per fraction, smallest first (--sample F, the same
// seed), and a fraction of 1 without sampling: the map appears from a small sample and
// each later pass replaces a tensor's estimate with a better one, the last with the full
// value. Errors travel as values in the shared state (a cancelled run reports none).
#include "analysis/wq_run.h"
#include "common/result.h"

#include <QFuture>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace qs {

struct AtlasJobParams {
    WqParams wq;  // model, selection, formats, options, importance (writeResults is forced off)
    // Sample fractions of the passes, ascending; 1 (or an empty list): one full walk.
    std::vector<double> passes;
    // Test seam: called on the worker with each finished tensor before it is handed over
    // (a test holds the walk here to watch the view fill in step by step).
    std::function<void(const WqTensor&)> onTensor;
};

// One finished tensor of one pass.
struct AtlasBand {
    int pass = 0;            // index into the passes
    double fraction = 1.0;   // its sample fraction (1: the full tensor)
    WqTensor tensor;
};

struct AtlasRunState {
    std::mutex mutex;              // guards everything below (written by the worker)
    bool started = false;
    WqReport header;               // set when the first pass starts (formats, importance)
    int passesDone = 0;            // passes finished so far
    std::optional<WqReport> report;  // the last pass's report
    std::optional<Error> error;    // not set for a cancelled run
};

QFuture<AtlasBand> atlasJob(AtlasJobParams params, std::shared_ptr<AtlasRunState> state);

} // namespace qs
