// libFuzzer target: Model::open on an in-memory provider holding the files of the input
// (index + config.json + shards, "@@ <name>\n" sections), then reading every tensor.
#include "fuzz_util.h"
#include "io/io_test_util.h"
#include "io/model.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    qs::fuzz::ensureApp();
    auto provider = std::make_shared<qs::test::MemoryProvider>();
    provider->files = qs::fuzz::splitFiles(data, size);
    auto model = qs::Model::open(provider);
    if (!model) return 0;
    for (const auto& t : (*model)->tensors()) {
        if (t.numel() > (int64_t(1) << 20)) continue;  // bounded memory per input
        auto r = (*model)->reader(t.name);
        if (!r) continue;
        const std::vector<float> v = (*r)->readAll();
        (void)v;
    }
    (void)(*model)->storedBytes();
    return 0;
}
