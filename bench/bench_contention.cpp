// bench_contention: `quantscope wq` on a model of many small tensors, alone and next to
// busy-looping processes (issue #9 §1). For each condition the run with the default
// threads is compared with OMP_NUM_THREADS=1 in the same condition; the target is a
// ratio <= 1.1 with competition (threads must never make a busy machine slower).
// Usage: bench_contention [QUANTSCOPE] [TENSORS] [REPEATS] [FORMATS]
//        (defaults: the quantscope next to this program, 1200, 5, all).
// The model: TENSORS tensors cycling through conv kernels [3,3,C,C'], depthwise
// [3,3,C,1], matrices, biases and norms (sizes 16 .. 36,864 elements), float32.
#include "io/safetensors_writer.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

double runOnce(const std::vector<std::string>& argv, bool singleThread)
{
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::fflush(stdout);
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
        if (singleThread) setenv("OMP_NUM_THREADS", "1", 1);
        else unsetenv("OMP_NUM_THREADS");
        unsetenv("OMP_WAIT_POLICY");
        execv(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "bench_contention: %s failed\n", argv[0].c_str());
        std::exit(1);
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Median of `repeats` runs, alternating the two variants so drift hits both alike.
std::pair<double, double> medians(const std::vector<std::string>& argv, int repeats)
{
    std::vector<double> multi, single;
    for (int i = 0; i < repeats; ++i) {
        multi.push_back(runOnce(argv, false));
        single.push_back(runOnce(argv, true));
    }
    std::sort(multi.begin(), multi.end());
    std::sort(single.begin(), single.end());
    return {multi[multi.size() / 2], single[single.size() / 2]};
}

std::vector<pid_t> startBusyLoops(int n)
{
    std::vector<pid_t> pids;
    for (int i = 0; i < n; ++i) {
        const pid_t pid = fork();
        if (pid == 0) {
            volatile unsigned long x = 0;
            for (;;) x = x + 1;
        }
        pids.push_back(pid);
    }
    return pids;
}

void stop(const std::vector<pid_t>& pids)
{
    for (pid_t p : pids) kill(p, SIGKILL);
    for (pid_t p : pids) waitpid(p, nullptr, 0);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const std::string exe = argc > 1 ? argv[1]
                                     : QDir(QCoreApplication::applicationDirPath()).filePath("../quantscope").toStdString();
    const int tensors = argc > 2 ? std::atoi(argv[2]) : 1200;
    const int repeats = argc > 3 ? std::atoi(argv[3]) : 5;
    const std::string formats = argc > 4 ? argv[4] : "all";
    if (!QFileInfo(QString::fromStdString(exe)).isExecutable()) {
        std::fprintf(stderr, "bench_contention: no executable %s\n", exe.c_str());
        return 1;
    }

    QTemporaryDir dir;
    const QString file = dir.filePath("small.safetensors");
    const std::vector<std::vector<int64_t>> shapes = {{3, 3, 32, 64}, {64}, {3, 3, 64, 1}, {128, 128}, {64},
                                                      {1, 1, 64, 128}, {128}, {3, 3, 128, 32}, {16}, {256, 64}};
    std::vector<std::vector<uint8_t>> bytes(static_cast<size_t>(tensors));
    std::vector<qs::TensorData> data;
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.0f, 0.05f);
    int64_t elements = 0;
    for (int i = 0; i < tensors; ++i) {
        const auto& shape = shapes[size_t(i) % shapes.size()];
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        elements += n;
        bytes[size_t(i)].resize(size_t(n) * 4);
        for (int64_t k = 0; k < n; ++k) {
            const float v = nd(rng);
            std::memcpy(bytes[size_t(i)].data() + 4 * k, &v, 4);
        }
        data.push_back({{"net.block" + std::to_string(i / 10) + ".layer" + std::to_string(i % 10) + ".weight",
                         qs::DType::F32, shape},
                        bytes[size_t(i)]});
    }
    if (auto w = qs::writeSafetensors(file, data); !w) {
        std::fprintf(stderr, "bench_contention: %s\n", w.error().message.c_str());
        return 1;
    }
    const std::vector<std::string> args = {exe, "wq", file.toStdString(), "-c", formats, "--no-results"};
    std::printf("model: %d tensors, %.2f M elements, float32; wq -c %s; median of %d runs; %ld cores\n", tensors,
                double(elements) / 1e6, formats.c_str(), repeats, sysconf(_SC_NPROCESSORS_ONLN));
    std::printf("%-28s %12s %12s %8s\n", "condition", "threads s", "1 thread s", "ratio");
    for (int busy : {0, 2}) {
        const auto loops = startBusyLoops(busy);
        const auto [multi, single] = medians(args, repeats);
        stop(loops);
        const std::string cond = busy ? "with " + std::to_string(busy) + " busy loops" : "alone";
        std::printf("%-28s %12.3f %12.3f %8.2f\n", cond.c_str(), multi, single, multi / single);
    }
    return 0;
}
