#include "hub/resolve.h"

#include "hub/hub_provider.h"
#include "io/local_provider.h"

namespace qs {

Result<std::shared_ptr<FileProvider>> openProvider(const ModelRef& ref, const HubOptions& options, Progress* progress)
{
    if (ref.isLocal()) {
        auto p = LocalProvider::open(ref.localPath);
        if (!p) return p.error();
        return std::shared_ptr<FileProvider>(std::move(*p));
    }
    auto p = HubProvider::open(ref, options, progress);
    if (!p) return p.error();
    return std::shared_ptr<FileProvider>(std::move(*p));
}

Result<std::shared_ptr<FileProvider>> resolveModel(const QString& text, const QString& revision,
                                                   const HubOptions& options, Progress* progress)
{
    auto ref = parseModelReference(text, revision, options.endpoint);
    if (!ref) return ref.error();
    return openProvider(*ref, options, progress);
}

} // namespace qs
