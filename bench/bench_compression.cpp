// Mixed-tile compression speed on a 7168 x 2048 fp32 tensor (14,336 tiles), N(0, 0.02)
// with a log-normal scale per row: tile sums for bf16/bfp8/bfp4/bfp2 (the per-format
// quantization), then mixed-tile-threshold, greedy (single and k-means) and random with
// iters 50 on those sums, and each algorithm end to end as `wq` runs it (runMixed).
// Prints seconds; never fails. Usage: bench_compression [rows cols]
#include "compression/mixed.h"
#include "formats/format.h"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace {

double seconds(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv)
{
    const int64_t rows = argc > 2 ? std::atoll(argv[1]) : 7168, cols = argc > 2 ? std::atoll(argv[2]) : 2048;
    std::vector<float> x(size_t(rows * cols));
    std::mt19937_64 rng(1);
    std::normal_distribution<float> nd(0.0f, 0.02f), ls(0.0f, 0.5f);
    for (int64_t r = 0; r < rows; ++r) {
        const float s = std::exp(ls(rng));
        for (int64_t c = 0; c < cols; ++c) x[size_t(r * cols + c)] = nd(rng) * s;
    }
    const std::vector<int64_t> shape{rows, cols};
    std::vector<const qs::Format*> cand;
    for (const char* n : {"bf16", "bfp8", "bfp4", "bfp2"}) cand.push_back(qs::findFormat(n));
    std::printf("tensor %lldx%lld fp32 (%lld tiles), %d OpenMP threads\n", (long long)rows, (long long)cols,
                (long long)qs::makeTileGrid(shape).tileCount(), omp_get_max_threads());

    auto t0 = std::chrono::steady_clock::now();
    auto sums = qs::computeTileSums(x.data(), shape, cand, {});
    const double tSums = seconds(t0);
    std::printf("%-44s %7.3f s\n", "tile sums (4 formats, quantization incl.)", tSums);

    qs::MixedParams p;
    p.candidates = cand;
    p.metric = qs::MetricKind::Pcc;
    p.threshold = 0.999;
    struct Case { const char* name; qs::MixedAlgorithm alg; bool kmeans; };
    const Case cases[] = {{"mixed-tile-threshold", qs::MixedAlgorithm::Threshold, false},
                          {"mixed-tile-greedy (single)", qs::MixedAlgorithm::Greedy, false},
                          {"mixed-tile-greedy (kmeans, k=10)", qs::MixedAlgorithm::Greedy, true},
                          {"mixed-tile-random (iters 50)", qs::MixedAlgorithm::Random, false}};
    for (const Case& c : cases) {
        p.algorithm = c.alg;
        p.kmeans = c.kmeans;
        t0 = std::chrono::steady_clock::now();
        auto r = qs::runMixedOnSums(*sums, p);
        const double tAlg = seconds(t0);
        t0 = std::chrono::steady_clock::now();
        auto e2e = qs::runMixed(x.data(), shape, p);
        const double tAll = seconds(t0);
        std::printf("%-44s %7.3f s on sums, %7.3f s end to end  (pcc %.6f, %.0f bytes, %s)\n", c.name, tAlg, tAll,
                    r->metrics.pcc, r->bytes, r->metThreshold ? "meets" : "misses");
        (void)e2e;
    }
    return 0;
}
