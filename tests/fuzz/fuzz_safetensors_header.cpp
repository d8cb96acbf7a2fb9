// libFuzzer target: a whole .safetensors file (length prefix, JSON header, data) through
// parseHeaderLength + parseHeader, the code every local and Hub model goes through.
#include "io/safetensors.h"

#include <QString>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString file = QStringLiteral("fuzz.safetensors");
    auto n = qs::parseHeaderLength(file, data, size, size);
    if (!n) return 0;
    auto h = qs::parseHeader(file, data + 8, *n, size);
    if (!h) return 0;
    for (const auto& t : h->tensors) {
        (void)h->find(t.name);
        (void)t.numel();
    }
    return 0;
}
