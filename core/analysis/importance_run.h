#pragma once
// Importance for an analysis run (issue #18): the file a user named with --importance
// (a local path, or org/repo:path/in/repo read through the Hub client with the run's
// revision and cache, by ranged reads), bound to the model's tensors, and the per-element
// weights of one tensor as analysed.
#include "analysis/analysis.h"
#include "common/result.h"
#include "io/importance.h"
#include "io/importance_map.h"
#include "io/model.h"

#include <QString>

#include <memory>
#include <optional>
#include <string>

namespace qs {

struct RunImportance {
    QString spec;                 // as given
    std::string source;           // the local path, or "org/repo@<commit>:path"
    std::string sha256;           // of a local file's bytes ("" for a Hub file: the commit pins it)
    ImportanceFile file;
    ImportanceIndex index;        // points into file: RunImportance is not copied or moved
};

// Reads and binds the file. Errors name the file (exit 2 for a bad or missing file,
// 1 for a malformed spec).
Result<std::shared_ptr<RunImportance>> loadRunImportance(const QString& spec, const QString& revision,
                                                         const QString& cacheDir, const Model& model,
                                                         Progress* progress = nullptr);

// The weights of a tensor of `shape` as analysed in `layout`, from its binding; nullopt
// with *note saying why when it has none ("no entry", "1-D", an expert without data, a
// width mismatch, ...).
std::optional<InputWeights> tensorWeights(const ImportanceBinding* binding, const std::vector<int64_t>& shape,
                                          Layout layout, std::string* note);
// The same checks without building the weights: "" when tensorWeights would give them,
// else its note (for a UI that only asks whether a tensor has weights).
std::string weightsProblem(const ImportanceBinding* binding, const std::vector<int64_t>& shape, Layout layout);

} // namespace qs
