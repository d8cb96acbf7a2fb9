#include "analysis/model_open.h"

#include "hub/hub_options.h"
#include "hub/model_ref.h"
#include "io/local_provider.h"

namespace qs {

Result<std::shared_ptr<Model>> openModel(const QString& model, const QString& revision, const QString& cacheDir,
                                         Progress* progress)
{
    HubOptions hub = HubOptions::fromEnvironment();
    if (!cacheDir.isEmpty()) hub.cacheDir = cacheDir;
    auto ref = parseModelReference(model, revision);
    if (!ref) return ref.error();
    if (!ref->isLocal()) return Error::model("Hub repos are not supported by this build yet: " + model.toStdString());
    auto provider = LocalProvider::open(ref->localPath);
    if (!provider) return provider.error();
    return Model::open(*provider, progress);
}

} // namespace qs
