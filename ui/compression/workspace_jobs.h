#pragma once
// Background jobs of the compression workspace (STYLE.md §8, like jobs/jobs.h):
// * tileSumsJob — reads one tensor and computes its per-tile, per-format error sums once
//   (compression/tile_sums.h); every live threshold / greedy / sweep result afterwards
//   comes from these sums (runMixedOnSums), never from re-quantizing.
// * runConfigJob — `wq` with a compression config over a selection, writing the results
//   folder exactly as the CLI does (same runWq, same renderMixedPngs). The PNGs are drawn
//   on the UI thread (widgets live there): the worker hands each one over and waits.
// Errors travel as values; a cancelled job reports no error.
#include "analysis/wq_run.h"
#include "common/result.h"
#include "compression/mixed.h"
#include "compression/tile_sums.h"
#include "io/model.h"
#include "jobs/jobs.h"

#include <QFuture>
#include <QString>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace qs {

struct TileSumsParams {
    std::shared_ptr<const Model> model;
    std::string tensor;
    std::vector<const Format*> candidates;
    FormatOptions options;
    // Importance weights of the tile view (issue #18): the sums then carry wsqnr / wrel.
    std::optional<InputWeights> weights;
};
struct TileSumsResult {
    std::string tensor;
    std::vector<int64_t> shape;
    std::shared_ptr<const TileSums> sums;
    std::optional<Error> error;
    double seconds = 0;
};
QFuture<TileSumsResult> tileSumsJob(TileSumsParams params);

using RunConfigState = WqRunState;
// params.writeResults / resultsDir decide whether a results folder is written.
// Each finished tensor is a result of the future (for the results table).
QFuture<WqTensor> runConfigJob(WqParams params, std::shared_ptr<RunConfigState> state);

// renderMixedPngs run on the UI thread on behalf of a worker (blocks the worker until
// done; direct call when already on the UI thread).
Result<void> renderMixedPngsOnUiThread(const MixedArtefacts& a, const QString& dir, const QString& slug);

} // namespace qs
