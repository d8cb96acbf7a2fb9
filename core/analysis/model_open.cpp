#include "analysis/model_open.h"

#include "hub/hub_options.h"
#include "hub/resolve.h"

namespace qs {

bool looksLikeLocalPath(const QString& t)
{
    return t.startsWith('/') || t.startsWith("./") || t.startsWith("../") || t.startsWith("~/") || t == "." ||
           t == ".." || t.endsWith(".safetensors");
}

Result<std::shared_ptr<Model>> openModel(const QString& model, const QString& revision, const QString& cacheDir,
                                         Progress* progress)
{
    HubOptions hub = HubOptions::fromEnvironment();
    if (!cacheDir.isEmpty()) hub.cacheDir = cacheDir;
    auto provider = resolveModel(model, revision, hub, progress);
    if (!provider) {
        Error e = provider.error();
        // A path that does not resolve is a missing model (exit 2), not a malformed argument.
        if (looksLikeLocalPath(model.trimmed())) e.exitCode = 2;
        return e;
    }
    return Model::open(*provider, progress);
}

} // namespace qs
