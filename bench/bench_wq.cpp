// bench_wq: the whole `quantscope wq` process on one large tensor — wall time,
// elements per second and peak memory (max RSS) — against the targets of issue #2:
// >= 30x the original tool's 9-36 M elements/s per format, and peak memory at most
// 1.5x the tensor's fp32 size + 100 MB. Usage: bench_wq [rows cols] (default 8192 8192).
#include "io/safetensors_writer.h"

#include <QCoreApplication>
#include <QDir>
#include <QTemporaryDir>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int64_t rows = argc > 2 ? std::atoll(argv[1]) : 8192, cols = argc > 2 ? std::atoll(argv[2]) : 8192;
    const int64_t n = rows * cols;
    QTemporaryDir dir;
    const QString file = dir.filePath("big.safetensors");
    {
        // N(0, 0.02) weights with per-row scales, stored as BF16 (as checkpoints are).
        std::mt19937 rng(1);
        std::normal_distribution<float> nd(0.0f, 0.02f);
        std::vector<float> row(static_cast<size_t>(cols));
        auto w = qs::SafetensorsWriter::create(file, {{"model.layers.0.mlp.down_proj.weight", qs::DType::BF16, {rows, cols}}});
        if (!w) {
            std::fprintf(stderr, "%s\n", w.error().message.c_str());
            return 1;
        }
        for (int64_t r = 0; r < rows; ++r) {
            const float scale = 0.5f + float(r % 7) * 0.25f;
            for (auto& v : row) v = nd(rng) * scale;
            const auto bytes = qs::encodeFloats(qs::DType::BF16, row);
            if (!(*w)->write(bytes.data(), bytes.size())) return 1;
        }
        if (!(*w)->commit()) return 1;
    }
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
