#pragma once
// The one call every command makes to turn REPO (+ --revision) into the FileProvider
// that Model::open reads: a LocalProvider for a local folder / .safetensors file, a
// HubProvider for a Hub repo (model_ref.h lists the accepted forms).
// Errors: usage errors (exit 1) for references that cannot be parsed; model/network
// errors (exit 2) with actionable text for repos that cannot be opened (hub_errors.h).
#include "common/progress.h"
#include "common/result.h"
#include "hub/hub_options.h"
#include "hub/model_ref.h"
#include "io/file_provider.h"

#include <memory>

namespace qs {

Result<std::shared_ptr<FileProvider>> openProvider(const ModelRef& ref, const HubOptions& options,
                                                   Progress* progress = nullptr);

// parseModelReference(text, revision, options.endpoint) + openProvider. revision is the
// --revision value, "" when the option was not given (a URL's /tree/<rev> then applies,
// else "main").
Result<std::shared_ptr<FileProvider>> resolveModel(const QString& text, const QString& revision,
                                                   const HubOptions& options, Progress* progress = nullptr);

} // namespace qs
