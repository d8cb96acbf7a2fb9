// bench_formats: throughput of the format kernels as `wq` uses them.
// Fills a 4096 x 4096 fp32 tensor with N(0, 0.02), measures the streaming-read bandwidth
// (sum of the array, 2 threads), then for bf16/bfp8/bfp4/bfp2/mxfp4/nvfp4 runs
// quantize-dequantize + ErrorSums metrics in one pass per 64K-element chunk with 2
// OpenMP threads (NVFP4's per-tensor absMax pre-pass included), and prints G elements/s
// (wall clock, and normalised by the CPU time actually received on a shared machine).
// A program that prints numbers, never a pass/fail test.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include <omp.h>

#include "formats/format.h"
#include "metrics/metrics.h"

using namespace qs;

namespace {

constexpr int64_t kRows = 4096, kCols = 4096, kN = kRows * kCols;
constexpr int64_t kChunkRows = 16;  // 64K elements; a multiple of every rowAlign <= 16
constexpr int kReps = 5;

double seconds()
{
    using clock = std::chrono::steady_clock;
    return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

double cpuSeconds()  // all threads of the process
{
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

// CPU time of the fastest repetition: on a shared machine the wall time includes time
// the threads spent waiting for a core, the CPU time does not.
double g_lastCpu = 0;

// Best-of-kReps wall time of fn().
template <class Fn>
double bestOf(Fn&& fn)
{
    double best = 1e30;
    for (int r = 0; r < kReps; ++r) {
        const double t0 = seconds(), c0 = cpuSeconds();
        fn();
        const double t = seconds() - t0;
        if (t < best) {
            best = t;
            g_lastCpu = cpuSeconds() - c0;
        }
    }
    return best;
}

double streamingRead(const std::vector<float>& x, double& sink)
{
    return bestOf([&] {
        double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static)
        for (int64_t c = 0; c < kN / 65536; ++c) {
            float s[16] = {};
            const float* p = x.data() + c * 65536;
            for (int64_t i = 0; i < 65536; i += 16)
                for (int l = 0; l < 16; ++l)
                    s[l] += p[i + l];
            float t = 0;
            for (float v : s)
                t += v;
            total += t;
        }
        sink += total;
    });
}

// One pass: per chunk, qdq into a thread-local buffer and accumulate ErrorSums; chunk
// sums merged in order. withMetrics = false measures the kernel alone.
double qdqPass(const Format& f, const std::vector<float>& x, bool withMetrics, Metrics& m)
{
    const int64_t chunks = kRows / kChunkRows;
    std::vector<ErrorSums> sums(size_t(chunks), ErrorSums(0.0));
    const double t = bestOf([&] {
        QuantContext ctx;
        if (f.needsAbsMax) {
            float amax = 0;
#pragma omp parallel for reduction(max : amax) schedule(static)
            for (int64_t i = 0; i < kN; ++i) {
                const float a = std::fabs(x[size_t(i)]);
                if (a <= 3.4028235e38f && a > amax)
                    amax = a;
            }
            ctx.absMax = amax;
        }
#pragma omp parallel
        {
            std::vector<float> y(size_t(kChunkRows * kCols));
#pragma omp for schedule(dynamic, 4)
            for (int64_t c = 0; c < chunks; ++c) {
                const float* in = x.data() + c * kChunkRows * kCols;
                f.fast(in, y.data(), kChunkRows, kCols, ctx, {});
                ErrorSums s(0.0);
                if (withMetrics)
                    s.addRange(in, y.data(), kChunkRows * kCols);
                sums[size_t(c)] = s;
            }
        }
    });
    ErrorSums total(0.0);
    for (const ErrorSums& s : sums)
        total.merge(s);
    m = finish(total);
    return t;
}

} // namespace

int main()
{
    std::printf("bench_formats: %lld x %lld fp32, N(0, 0.02), 64K-element chunks, best of %d\n",
                static_cast<long long>(kRows), static_cast<long long>(kCols), kReps);
    std::vector<float> x(static_cast<size_t>(kN));
    {
        std::mt19937_64 rng(20240601);
        std::normal_distribution<float> dist(0.0f, 0.02f);
        for (float& v : x)
            v = dist(rng);
    }
    double sink = 0;
    omp_set_num_threads(2);
    const double tRead = streamingRead(x, sink);
    std::printf("streaming read (2 threads): %.2f GB/s = %.2f G elements/s (cpu %.2f)\n\n", kN * 4.0 / tRead * 1e-9,
                kN / tRead * 1e-9, 2.0 * kN / g_lastCpu * 1e-9);

    std::printf("G elements/s. 'cpu' = elements per CPU-second of the same run times the thread count:\n"
                "what the run would reach with its cores to itself.\n");
    {
        // ErrorSums::addRange alone (x against itself), the metrics share of every row.
        const int64_t chunks = kRows / kChunkRows;
        std::vector<ErrorSums> sums(size_t(chunks), ErrorSums(0.0));
        const double t = bestOf([&] {
#pragma omp parallel for schedule(dynamic, 4)
            for (int64_t c = 0; c < chunks; ++c) {
                ErrorSums e(0.0);
                e.addRange(x.data() + c * kChunkRows * kCols, x.data() + c * kChunkRows * kCols, kChunkRows * kCols);
                sums[size_t(c)] = e;
            }
        });
        std::printf("metrics only (ErrorSums::addRange, 2 threads): %.2f G elements/s (cpu %.2f)\n\n", kN / t * 1e-9,
                    2.0 * kN / g_lastCpu * 1e-9);
    }
    std::printf("%-7s %15s %10s %15s %10s %15s %12s %10s\n", "format", "qdq+metrics 2T", "(cpu)", "qdq only 2T",
                "(cpu)", "qdq+metrics 1T", "mae", "pcc");
    for (const char* name : {"bf16", "bfp8", "bfp4", "bfp2", "mxfp4", "nvfp4"}) {
        const Format* f = findFormat(name);
        Metrics m{}, m2{}, m1{};
        omp_set_num_threads(2);
        const double t2 = qdqPass(*f, x, true, m);
        const double c2 = g_lastCpu;
        const double t2q = qdqPass(*f, x, false, m2);
        const double c2q = g_lastCpu;
        omp_set_num_threads(1);
        const double t1 = qdqPass(*f, x, true, m1);
        std::printf("%-7s %15.2f %10.2f %15.2f %10.2f %15.2f %12.4e %10.6f\n", std::string(f->label).c_str(),
                    kN / t2 * 1e-9, 2.0 * kN / c2 * 1e-9, kN / t2q * 1e-9, 2.0 * kN / c2q * 1e-9, kN / t1 * 1e-9,
                    m.mae, m.pcc);
    }
    std::printf("\n(sink %.3g)\n", sink);
    return 0;
}
