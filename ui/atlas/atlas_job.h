#pragma once
// The Atlas view's background job (STYLE.md §8, like jobs/jobs.h): the one per-tensor
// walk (runWq) over the explorer's selection, every finished tensor handed to the view as
// a result of the future (resultReadyAt), so the heat map fills in cell by cell while the
// walk goes on; progress and cancel through the promise. Errors travel as values in the
// shared state (a cancelled run reports none).
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
    // Test seam: called on the worker with each finished tensor before it is handed over
    // (a test holds the walk here to watch the view fill in step by step).
    std::function<void(const WqTensor&)> onTensor;
};

// One finished tensor of the walk.
struct AtlasBand {
    WqTensor tensor;
};

struct AtlasRunState {
    std::mutex mutex;              // guards everything below (written by the worker)
    bool started = false;
    WqReport header;               // set when the walk starts (formats, importance)
    std::optional<WqReport> report;
    std::optional<Error> error;    // not set for a cancelled run
};

QFuture<AtlasBand> atlasJob(AtlasJobParams params, std::shared_ptr<AtlasRunState> state);

} // namespace qs
