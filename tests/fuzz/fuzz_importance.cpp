// libFuzzer target: importance files (#18) — the input is one file served from memory,
// read as a GGUF imatrix (GGUF container header, typed key/values, tensor infos, F32
// tensor data) when it starts with "GGUF", else as llama.cpp's legacy .dat; each entry
// is then split into matrices of a few widths (the legacy all-ones convention) and its
// statistics computed.
#include "fuzz_util.h"
#include "io/importance.h"
#include "io/io_test_util.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    qs::fuzz::ensureApp();
    qs::test::MemoryProvider provider;
    provider.files[QStringLiteral("imatrix")] = std::vector<uint8_t>(data, data + size);
    auto file = qs::readImportance(provider, QStringLiteral("imatrix"));
    if (!file) return 0;
    for (qs::ImportanceEntry e : file->entries) {
        for (int64_t m = 0; m < e.nMat; ++m)
            if (!e.noData[size_t(m)]) (void)qs::importanceStats(e.ex2.data() + m * e.nIn, e.nIn);
        (void)qs::splitMatrices(e, std::max<int64_t>(1, e.nIn / 2), true);
    }
    return 0;
}
