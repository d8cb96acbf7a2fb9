#pragma once
// The explorer's importance file (issue #18): File › Open importance… and a dropped
// imatrix load it in a job (STYLE.md §8) through the same core call as `wq --importance`
// (loadRunImportance: read, then bind to the open model's tensors); the window keeps the
// result and passes the file's spec to every wq run it starts, so its weighted metrics
// equal the CLI's. Errors travel as values; a cancelled job reports no result.
// Also the texts the window shows about a loaded file (status line, tool tip) and the
// report header a single-tensor table carries.
#include "analysis/importance_run.h"
#include "analysis/wq_run.h"
#include "common/result.h"
#include "io/model.h"

#include <QFuture>
#include <QString>

#include <memory>
#include <optional>

namespace qs {

struct ImportanceParams {
    QString spec;                          // local path, or org/repo:path/in/repo (Hub)
    QString revision;                      // for a Hub spec ("" = main)
    QString cacheDir;                      // "" = the default cache
    std::shared_ptr<const Model> model;    // the model to bind to
};
struct ImportanceResult {
    ImportanceParams params;
    std::shared_ptr<const RunImportance> importance;
    std::optional<Error> error;
    double seconds = 0;
};
QFuture<ImportanceResult> importanceJob(ImportanceParams params);

// Entries of the file that some model tensor took.
int boundEntries(const RunImportance& importance);

// "importance: imatrix.gguf — 180 of 182 entries bound, 2 unmapped".
QString importanceStatusText(const RunImportance& importance);
// Source, format, datasets, the bound tensors and what did not bind (the first few names).
QString importanceToolTip(const RunImportance& importance);

} // namespace qs
