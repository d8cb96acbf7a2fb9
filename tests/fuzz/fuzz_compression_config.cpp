// libFuzzer target: compression configs (the JSON given with --compression-config or
// loaded by the explorer): parse, resolve the mixed params, write the used config.
#include "analysis/compression_config.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    auto cfg = qs::parseCompressionConfig(bytes, QStringLiteral("fuzz.json"));
    if (!cfg) return 0;
    std::vector<const qs::Format*> all;
    for (const qs::Format& f : qs::formats()) all.push_back(&f);
    std::optional<qs::MixedParams> mixed;
    if (cfg->isMixed()) {
        auto m = cfg->toMixed(all, {});
        if (m) mixed = *m;
    }
    (void)qs::usedConfigJson(*cfg, cfg->formats, mixed ? &*mixed : nullptr);
    return 0;
}
