// bench_header: safetensors header parsing (issue #16.3). Builds headers of N tensors
// (F32, shape [4, 4], contiguous offsets; names "model.layers.<i>.mlp.w") and times
// parseHeader, which used to be quadratic in N (36 s for 40 k); prints N, header MB,
// seconds and the process's peak RSS.
// Usage: bench_header [N ...]   (default 10000 100000 1000000)
#include "io/safetensors.h"

#include <QElapsedTimer>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <sys/resource.h>

int main(int argc, char** argv)
{
    std::vector<long> counts;
    for (int i = 1; i < argc; ++i) counts.push_back(std::atol(argv[i]));
    if (counts.empty()) counts = {10000, 100000, 1000000};
    std::printf("%10s %10s %9s %12s\n", "tensors", "header MB", "parse s", "peak RSS MB");
    for (long n : counts) {
        std::string json = "{";
        uint64_t off = 0;
        for (long i = 0; i < n; ++i) {
            if (i) json += ',';
            json += "\"model.layers." + std::to_string(i) + ".mlp.w\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[" +
                    std::to_string(off) + "," + std::to_string(off + 64) + "]}";
            off += 64;
        }
        json += "}";
        const uint64_t fileSize = 8 + json.size() + off;
        QElapsedTimer t;
        t.start();
        auto h = qs::parseHeader("bench.safetensors", reinterpret_cast<const uint8_t*>(json.data()), json.size(), fileSize);
        const double s = double(t.nsecsElapsed()) / 1e9;
        if (!h) {
            std::fprintf(stderr, "%s\n", h.error().message.c_str());
            return 1;
        }
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        std::printf("%10ld %10.1f %9.2f %12.0f\n", n, double(json.size()) / 1e6, s, double(ru.ru_maxrss) / 1024.0);
    }
    return 0;
}
