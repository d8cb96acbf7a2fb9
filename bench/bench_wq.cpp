// bench_wq: the whole `quantscope wq` process on one large tensor — wall time,
// elements per second and peak memory (max RSS) — against the targets of issue #2:
// >= 30x the original tool's 9-36 M elements/s per format, and peak memory at most
// 1.5x the tensor's fp32 size + 100 MB. Usage: bench_wq [rows cols] (default 8192 8192).
// `bench_wq importance`: the cost of --importance (issue #18: at most 1.15x) on an
// 8192 x 4096 tensor in five formats, with and without an importance file, interleaved,
// median of 7 runs each.
#include "io/safetensors_writer.h"

#include <QCoreApplication>
#include <QDir>
#include <QTemporaryDir>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

struct RunResult {
    double seconds = 0;
    long maxRssKb = 0;
    int status = -1;
};

RunResult runProcess(const std::vector<std::string>& argv)
{
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout)) _exit(127);
        if (!freopen("/dev/null", "w", stderr)) _exit(127);
        execv(args[0], args.data());
        _exit(127);
    }
    RunResult r;
    struct rusage ru {};
    wait4(pid, &r.status, 0, &ru);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.maxRssKb = ru.ru_maxrss;
    return r;
}

} // namespace

bool writeTensor(const QString& file, int64_t rows, int64_t cols)
{
    // N(0, 0.02) weights with per-row scales, stored as BF16 (as checkpoints are).
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    std::vector<float> row(static_cast<size_t>(cols));
    auto w = qs::SafetensorsWriter::create(file, {{"model.layers.0.mlp.down_proj.weight", qs::DType::BF16, {rows, cols}}});
    if (!w) {
        std::fprintf(stderr, "%s\n", w.error().message.c_str());
        return false;
    }
    for (int64_t r = 0; r < rows; ++r) {
        const float scale = 0.5f + float(r % 7) * 0.25f;
        for (auto& v : row) v = nd(rng) * scale;
        const auto bytes = qs::encodeFloats(qs::DType::BF16, row);
        if (!(*w)->write(bytes.data(), bytes.size())) return false;
    }
    return bool((*w)->commit());
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

int importanceCost(const std::string& bin)
{
    const int64_t rows = 8192, cols = 4096;
    QTemporaryDir dir;
    const QString model = dir.filePath("model.safetensors"), imp = dir.filePath("importance.safetensors");
    if (!writeTensor(model, rows, cols)) return 1;
    {
        // E[x²] spanning three decades, a few hot channels, as in LLM activations.
        std::vector<float> v(static_cast<size_t>(cols));
        for (int64_t i = 0; i < cols; ++i) v[size_t(i)] = (i % 97 == 3 ? 500.0f : 1.0f) * (1.0f + float(i % 13));
        auto w = qs::SafetensorsWriter::create(imp, {{"model.layers.0.mlp.down_proj.weight", qs::DType::F32, {cols}}});
        if (!w || !(*w)->write(v.data(), v.size() * sizeof(float)) || !(*w)->commit()) return 1;
    }
    const std::vector<std::string> base = {bin, "wq", model.toStdString(), "--no-results", "-c", "bfp8,bfp4,bfp2,mxfp4,nvfp4"};
    std::vector<std::string> weighted = base;
    weighted.insert(weighted.end(), {"--importance", imp.toStdString()});
    runProcess(base);  // warm the page cache
    runProcess(weighted);
    std::vector<double> a, b;
    for (int i = 0; i < 7; ++i) {  // interleaved: both see the same machine
        const RunResult ra = runProcess(base), rb = runProcess(weighted);
        if (!WIFEXITED(ra.status) || WEXITSTATUS(ra.status) != 0 || !WIFEXITED(rb.status) || WEXITSTATUS(rb.status) != 0) {
            std::printf("a run FAILED\n");
            return 1;
        }
        a.push_back(ra.seconds);
        b.push_back(rb.seconds);
    }
    std::printf("bench_wq importance: one BF16 tensor %lld x %lld, -c bfp8,bfp4,bfp2,mxfp4,nvfp4, median of 7\n",
                (long long)rows, (long long)cols);
    std::printf("  without --importance: %.3f s\n  with --importance:    %.3f s\n  ratio: %.3f (target <= 1.15)\n",
                median(a), median(b), median(b) / median(a));
    return 0;
}

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (argc > 1 && std::string(argv[1]) == "importance")
        return importanceCost(QCoreApplication::applicationDirPath().toStdString() + "/../quantscope");
    const int64_t rows = argc > 2 ? std::atoll(argv[1]) : 8192, cols = argc > 2 ? std::atoll(argv[2]) : 8192;
    const int64_t n = rows * cols;
    QTemporaryDir dir;
    const QString file = dir.filePath("big.safetensors");
    if (!writeTensor(file, rows, cols)) return 1;
    const std::string bin = QCoreApplication::applicationDirPath().toStdString() + "/../quantscope";
    const double fp32Mb = double(n) * 4 / 1e6;
    std::printf("bench_wq: one BF16 tensor %lld x %lld (%.0f M elements, fp32 view %.0f MB), 2 threads\n",
                (long long)rows, (long long)cols, double(n) / 1e6, fp32Mb);
    std::printf("%-28s %9s %12s %14s %12s\n", "formats", "wall s", "M elem/s", "per format", "peak RSS MB");
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"bf16", {"-c", "bf16"}},
        {"bfp8", {"-c", "bfp8"}},
        {"bfp4", {"-c", "bfp4"}},
        {"bfp2", {"-c", "bfp2"}},
        {"mxfp4", {"-c", "mxfp4"}},
        {"nvfp4", {"-c", "nvfp4"}},
        {"all seven", {"-c", "all"}},
    };
    for (const auto& [name, flags] : cases) {
        std::vector<std::string> a = {bin, "wq", file.toStdString(), "--no-results"};
        a.insert(a.end(), flags.begin(), flags.end());
        runProcess(a);  // warm the page cache
        const RunResult r = runProcess(a);
        const int nf = name == "all seven" ? 7 : 1;
        std::printf("%-28s %9.3f %12.0f %14.0f %12.0f%s\n", name.c_str(), r.seconds, double(n) / r.seconds / 1e6,
                    double(n) * nf / r.seconds / 1e6, double(r.maxRssKb) / 1024.0,
                    WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 ? "" : "  (FAILED)");
    }
    std::printf("memory budget (1.5 x fp32 + 100 MB): %.0f MB\n", 1.5 * fp32Mb + 100);
    return 0;
}
