#pragma once
// Opening MODEL as every command and the GUI take it: a Hub repo id or URL (with
// --revision and --cache-dir) or a local folder / .safetensors file, through the Hub
// resolver, then Model::open. Errors as Model::open and the resolver report them
// (exitCode 1 for a malformed reference, 2 for a missing model or network failure).
#include "common/progress.h"
#include "common/result.h"
#include "io/model.h"

#include <QString>

#include <memory>

namespace qs {

// A reference written as a path ("/x", "./x", "../x", "~/x", ".", "..", "x.safetensors"),
// whether or not it exists.
bool looksLikeLocalPath(const QString& text);

Result<std::shared_ptr<Model>> openModel(const QString& model, const QString& revision, const QString& cacheDir,
                                         Progress* progress = nullptr);

} // namespace qs
