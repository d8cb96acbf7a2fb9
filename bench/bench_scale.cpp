// bench_scale: the whole of DeepSeek-V3 (issue #11 §4) over the Hub, without 688 GB.
//
// The fake Hub of the hub tests (in this process, its own thread) serves a synthetic
// DeepSeek-V3 (tests/hub/fake_deepseek.h: the real 91,991 tensor names, shapes, dtypes and
// FP8 block-scale layout in 163 shards, bytes generated from the offset). The real binary
// runs against it as a child process (HF_ENDPOINT pointing at the fake Hub, caches in a
// temporary folder); for each run: requests, bytes served, wall time, peak RSS of the child
// (wait4 rusage).
//  1. `quantscope list` (the index + all 163 headers).
//  2. `quantscope wq` on a few whole tensors (FP8 experts + an attention matrix): the
//     read-and-analyse rate a full run would have.
//  3. `quantscope atlas --sample F` over the whole model, then `quantscope plan --sample F
//     --budget B` end to end (only when the binary has --sample).
//  4. The planner's solve alone (core/compression/planner.h) on one item per tensor of
//     the model (91,991 items x 4 formats, the real element counts, bench_planner's error
//     model).
// Prints numbers; never a pass/fail test.
// Usage: bench_scale [--binary PATH] [--sample F] [-c FORMATS] [--plan-formats FORMATS]
//                    [--budget SIZE] [--skip-list] [--skip-wq] [--skip-sample] [--skip-plan]
//                    [--regex R] [--keep DIR] [--timeout S]
#include "fake_deepseek.h"
#include "fake_hub.h"

#include "analysis/sampling.h"
#include "compression/planner.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QTemporaryDir>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace qs;
using namespace qs::test;

namespace {

struct ChildRun {
    int exitCode = -1;
    double seconds = 0;
    long peakRssKiB = 0;     // ru_maxrss of the child
    int requests = 0, cdnRequests = 0;
    qint64 bytesServed = 0;  // body bytes of every answer
    QByteArray out, err;
};

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Runs binary args with env (KEY=VALUE), stdout/stderr to files in dir; measures.
ChildRun runChild(FakeHub& hub, const QString& binary, const QStringList& args, const QStringList& env, const QString& dir,
                  int timeoutS)
{
    ChildRun r;
    const QString outPath = dir + QStringLiteral("/child.out"), errPath = dir + QStringLiteral("/child.err");
    std::vector<std::string> argStore{binary.toStdString()}, envStore;
    for (const QString& a : args) argStore.push_back(a.toStdString());
    for (const QString& e : env) envStore.push_back(e.toStdString());
    std::vector<char*> argv, envp;
    for (auto& s : argStore) argv.push_back(s.data());
    for (auto& s : envStore) envp.push_back(s.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outPath.toLocal8Bit().constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, errPath.toLocal8Bit().constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    hub.clearLog();
    QElapsedTimer t;
    t.start();
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        r.err = "cannot start " + binary.toLocal8Bit();
        return r;
    }
    int status = 0;
    rusage ru{};
    for (;;) {
        const pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid) break;
        if (t.elapsed() > qint64(timeoutS) * 1000) {
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, &ru);
            r.err = "timed out";
            break;
        }
        usleep(20000);
    }
    r.seconds = double(t.nsecsElapsed()) / 1e9;
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.peakRssKiB = ru.ru_maxrss;
    const auto log = hub.log();
    r.requests = int(log.size());
    for (const auto& e : log) r.cdnRequests += e.server == QLatin1String("cdn");
    r.bytesServed = FakeHub::bodyBytes(log);
    r.out = readAll(outPath);
    r.err += readAll(errPath);
    return r;
}

void printRun(const char* what, const ChildRun& r)
{
    std::printf("  %-34s exit %d, %.2f s, %d requests (%d ranged on the CDN), %.1f MB served, peak RSS %.0f MB\n", what,
                r.exitCode, r.seconds, r.requests, r.cdnRequests, double(r.bytesServed) / 1e6, double(r.peakRssKiB) / 1024.0);
    if (r.exitCode != 0) std::printf("    stderr: %s\n", r.err.right(2000).constData());
}

QString argValue(const QStringList& args, const char* name, const QString& fallback)
{
    const qsizetype i = args.indexOf(QString::fromLatin1(name));
    return i >= 0 && i + 1 < args.size() ? args[i + 1] : fallback;
}

uint64_t folderBytes(const QString& dir)
{
    uint64_t n = 0;
    QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) n += uint64_t(QFileInfo(it.next()).size());
    return n;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const QString binary = argValue(args, "--binary", QStringLiteral(QS_BINARY));
    const QString sample = argValue(args, "--sample", QStringLiteral("0.001"));
    const QString formats = argValue(args, "-c", QStringLiteral("bfp8,bfp4,mxfp4"));
    const QString planFormats = argValue(args, "--plan-formats", QStringLiteral("bf16,bfp8,bfp4,bfp2"));
    const QString budget = argValue(args, "--budget", QStringLiteral("370GB"));
    const int timeoutS = argValue(args, "--timeout", QStringLiteral("3600")).toInt();
    // --regex R: the sampled runs of [3] on a selection only (a quicker look; the numbers are then not the whole model's).
    const QString regex = argValue(args, "--regex", QString());
    const QStringList selection = regex.isEmpty() ? QStringList() : QStringList{QStringLiteral("--regex"), regex};
    const QString repo = QStringLiteral("deepseek-ai/DeepSeek-V3");
    if (!QFileInfo(binary).isExecutable()) return std::printf("no quantscope binary at %s (--binary)\n", qPrintable(binary)), 1;

    // ------------------------------------------------------------------ the model
    QElapsedTimer t;
    t.start();
    auto synth = std::make_shared<const DeepSeekV3Synth>();
    const double buildS = double(t.nsecsElapsed()) / 1e9;
    FakeHub hub;
    hub.addCommit(repo, DeepSeekV3Synth::files(synth));
    const uint64_t data = synth->dataBytes(), headers = synth->headerBytes(), index = uint64_t(synth->indexJson().size());
    std::printf("bench_scale: synthetic %s on the fake Hub %s\n", qPrintable(repo), qPrintable(hub.endpoint()));
    std::printf("  %zu tensors in %d shards, %.3f GB of tensor data (%llu bytes), %.1f MB of shard headers, %.1f MB index\n",
                synth->tensors().size(), DeepSeekV3Synth::kShards, double(data) / 1e9, static_cast<unsigned long long>(data),
                double(headers) / 1e6, double(index) / 1e6);
    std::printf("  parameters: %llu without scales and MTP layer (the real \"671 B\"), %llu in all (%llu with scale_inv)\n",
                static_cast<unsigned long long>(synth->elements(false, false)),
                static_cast<unsigned long long>(synth->elements(false, true)),
                static_cast<unsigned long long>(synth->elements(true, true)));
    {  // how fast the fake Hub can produce bytes (an upper bound on what it serves)
        const SynthTensor* w = synth->find("model.layers.3.self_attn.o_proj.weight");
        std::vector<char> buf(64 << 20);
        t.restart();
        synth->generate(w->shard, uint64_t(synth->shardHeader(w->shard).size()) + w->begin, buf.data(), buf.size());
        std::printf("  layout built in %.2f s; generator: %.0f MB/s of FP8 codes\n", buildS,
                    double(buf.size()) / 1e6 / (double(t.nsecsElapsed()) / 1e9));
    }

    QTemporaryDir tmp;
    const QString keep = argValue(args, "--keep", QString());
    const QString work = keep.isEmpty() ? tmp.path() : keep;
    QDir().mkpath(work);
    QStringList env;
    {
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        for (const char* v : {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE",
                              "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"})
            e.remove(QString::fromLatin1(v));
        e.insert(QStringLiteral("HF_ENDPOINT"), hub.endpoint());
        e.insert(QStringLiteral("HF_HOME"), work + QStringLiteral("/hf"));
        e.insert(QStringLiteral("XDG_CACHE_HOME"), work + QStringLiteral("/xdg"));
        e.insert(QStringLiteral("NO_COLOR"), QStringLiteral("1"));
        env = e.toStringList();
    }
    const QString cache = work + QStringLiteral("/xdg/quantscope");
    auto fresh = [&] { QDir(cache).removeRecursively(); };

    // ------------------------------------------------------------------ 1. list
    ChildRun listRun;
    if (!args.contains(QStringLiteral("--skip-list"))) {
        std::printf("\n[1] quantscope list %s (index + 163 headers, empty cache)\n", qPrintable(repo));
        fresh();
        ChildRun r = runChild(hub, binary, {QStringLiteral("list"), repo}, env, work, timeoutS);
        printRun("list", r);
        listRun = r;
        const auto lines = r.out.split('\n');
        int rows = 0, fp8 = 0;
        for (const auto& l : lines) {
            rows += l.startsWith("model.") || l.startsWith("lm_head");
            fp8 += l.contains("F8_E4M3");
        }
        std::printf("  %d tensor lines (%d F8_E4M3); headers + index + config = %.1f MB\n", rows, fp8,
                    double(headers + index + uint64_t(DeepSeekV3Synth::configJson().size())) / 1e6);
        for (const auto& l : lines)
            if (l.contains("layers.3.mlp.experts.255.down_proj")) std::printf("    %s\n", l.constData());
    }

    // ------------------------------------------------------------------ 2. wq on whole tensors
    double wholeRate = 0;  // bytes per second, fetch + analyse
    if (!args.contains(QStringLiteral("--skip-wq"))) {
        const QStringList names{QStringLiteral("model.layers.3.mlp.experts.0.down_proj.weight"),
                                QStringLiteral("model.layers.3.mlp.experts.1.down_proj.weight"),
                                QStringLiteral("model.layers.3.mlp.experts.2.down_proj.weight"),
                                QStringLiteral("model.layers.3.self_attn.o_proj.weight")};
        const QString regex = QStringLiteral("^model\\.layers\\.3\\.(mlp\\.experts\\.[012]\\.down_proj|self_attn\\.o_proj)\\.weight$");
        uint64_t bytes = 0;
        for (const QString& n : names)
            if (const SynthTensor* st = synth->find(n.toStdString())) {
                bytes += st->bytes;
                if (const SynthTensor* s = synth->find(n.toStdString() + "_scale_inv")) bytes += s->bytes;
            }
        std::printf("\n[2] quantscope wq on %lld whole FP8 tensors (%.1f MB with scales) -c %s\n", qlonglong(names.size()),
                    double(bytes) / 1e6, qPrintable(formats));
        fresh();
        QStringList a{QStringLiteral("wq"), repo, QStringLiteral("--regex"), regex};
        a += {QStringLiteral("-c"), formats, QStringLiteral("--no-results")};
        ChildRun r = runChild(hub, binary, a, env, work, timeoutS);
        printRun("wq", r);
        // The same open as list (index + headers), then the tensors: their rate without the open.
        const double s = r.seconds - listRun.seconds;
        const double b = double(r.bytesServed - listRun.bytesServed);
        wholeRate = listRun.exitCode == 0 && s > 0 ? b / s : double(r.bytesServed) / r.seconds;
        std::printf("  %.1f MB/s end to end; after the open (wq - list): %.1f MB in %.2f s = %.1f MB/s fetched and analysed\n",
                    double(r.bytesServed) / r.seconds / 1e6, b / 1e6, s, wholeRate / 1e6);
        std::printf("%s", r.out.left(3000).constData());
    }

    // ------------------------------------------------------------------ 3. atlas --sample, plan --sample
    ChildRun help = runChild(hub, binary, {QStringLiteral("atlas"), QStringLiteral("--help")}, env, work, 60);
    const bool hasSample = help.out.contains("--sample");
    const double f = sample.toDouble();
    const double target = f * double(data) + double(headers + index);
    {
        // What the sampling rule of core/analysis/sampling.h (sampleBands: randomized rounding of
        // F x bands 32-row bands per tensor, the run's own seeds) reads of the default selection
        // (every weight; FP8 scale rows of the touched 128-row blocks with it), before any
        // request is made; 1-D tensors are read whole.
        uint64_t rule = 0, prop = 0, selected = 0;
        for (size_t i = 0; i < synth->tensors().size(); ++i) {
            const SynthTensor& st = synth->tensors()[i];
            if (st.kind == SynthKind::ScaleInv) continue;
            const int64_t rows = st.shape.size() < 2 ? 1 : st.shape[0], cols = st.shape.back();
            const uint64_t rowBytes = uint64_t(cols) * uint64_t(dtypeBytes(st.dtype));
            const int64_t bands = bandCount(rows);
            std::vector<int64_t> picked;
            if (st.shape.size() < 2) picked = {0};
            else picked = sampleBands(bands, f, tensorSampleSeed(kDefaultSampleSeed, st.name));
            int64_t lastBlock = -1;
            for (int64_t b : picked) {
                rule += uint64_t(std::min(kSampleBandRows, rows - b * kSampleBandRows)) * rowBytes;
                const int64_t block = b * kSampleBandRows / 128;
                if (st.kind == SynthKind::Fp8Weight && block != lastBlock) rule += uint64_t((cols + 127) / 128) * 4, lastBlock = block;
            }
            prop += uint64_t(std::llround(f * double(st.bytes)));
            selected += st.bytes;
        }
        std::printf("\n[3] sampling --sample %s: the rule (each 32-row band with probability F) reads %.2f GB of the %.1f GB"
                    " selected = %.1fx the fraction (%.2f GB); target <= 1.5x\n",
                    qPrintable(sample), double(rule) / 1e9, double(selected) / 1e9, double(rule) / double(prop), double(prop) / 1e9);
    }
    if (args.contains(QStringLiteral("--skip-sample"))) {
        std::printf("    skipped (--skip-sample)\n");
    } else if (!hasSample) {
        std::printf("    atlas --sample: this quantscope has no --sample option yet; not measured\n");
    } else {
        std::printf("    quantscope atlas %s --sample %s -c %s%s (empty cache)\n", qPrintable(repo), qPrintable(sample), qPrintable(formats),
                    qPrintable(regex.isEmpty() ? QString() : QStringLiteral(" --regex ") + regex));
        fresh();
        ChildRun r = runChild(hub, binary,
                              QStringList{QStringLiteral("atlas"), repo, QStringLiteral("--sample"), sample, QStringLiteral("-c"), formats,
                               QStringLiteral("--out-dir"), work + QStringLiteral("/atlas")} + selection,
                              env, work, timeoutS);
        printRun("atlas --sample", r);
        std::printf("  bytes served %.1f MB vs %s x model + headers + index = %.1f MB: %.2fx (target <= 1.5x)\n",
                    double(r.bytesServed) / 1e6, qPrintable(sample), target / 1e6, double(r.bytesServed) / target);
        std::printf("  peak RSS %.0f MB (target <= 1024 MB); range cache written: %.1f MB\n", double(r.peakRssKiB) / 1024.0,
                    double(folderBytes(cache)) / 1e6);
        const double rate = r.seconds > 0 ? double(r.bytesServed) / r.seconds : 0;
        std::printf("  %.1f MB/s served, %.0f requests/s\n", rate / 1e6, r.seconds > 0 ? r.requests / r.seconds : 0.0);
        std::printf("%s", r.err.right(1500).constData());

        if (args.contains(QStringLiteral("--skip-plan"))) {
            std::printf("\n[3b] plan --sample: skipped (--skip-plan)\n");
        } else {
            std::printf("\n[3b] quantscope plan %s --sample %s --budget %s -c %s, end to end (empty cache)\n", qPrintable(repo),
                        qPrintable(sample), qPrintable(budget), qPrintable(planFormats));
            fresh();
            ChildRun p = runChild(hub, binary,
                                  QStringList{QStringLiteral("plan"), repo, QStringLiteral("--sample"), sample, QStringLiteral("--budget"),
                                   budget, QStringLiteral("-c"), planFormats, QStringLiteral("--out-dir"), work + QStringLiteral("/plan")}
                                      + selection,
                                  env, work, timeoutS);
            printRun("plan --sample", p);
            std::printf("%s", p.out.right(1500).constData());
        }
    }
    if (wholeRate > 0) {
        std::printf("\nA full (unsampled) run fetches %.1f GB (all tensor data + headers + index); at the whole-tensor rate of [2]"
                    " (%.1f MB/s) that is %.1f h (+ the open of [1], %.1f s)\n",
                    double(data + headers + index) / 1e9, wholeRate / 1e6, double(data) / wholeRate / 3600.0, listRun.seconds);
    }

    // ------------------------------------------------------------------ 4. the solver alone
    {
        const double bits[4] = {16, 8.5, 4.25, 2.25};  // bf16, bfp8, bfp4, bfp2
        std::mt19937_64 rng(1);
        std::lognormal_distribution<double> sens(0.0, 1.5);
        std::uniform_real_distribution<double> u(0.7, 1.3);
        // One item per planned tensor (the scales travel with their weights, as in `plan`), and
        // one per stored tensor (scales too: 91,991, the "~90,000 tensors").
        for (bool withScales : {false, true}) {
            std::vector<PlanItem> items;
            double minB = 0, maxB = 0;
            for (const SynthTensor& st : synth->tensors()) {
                if (!withScales && st.kind == SynthKind::ScaleInv) continue;
                const double elems = double(st.elements), k = sens(rng);
                PlanItem it;
                for (double b : bits) it.options.push_back({std::ceil(elems * b / 8), elems * k * std::pow(4.0, -b) * u(rng)});
                minB += it.options.back().bytes, maxB += it.options.front().bytes;
                items.push_back(std::move(it));
            }
            std::printf("\n[4] planner solve alone: %zu items (%s) x 4 formats (bf16/bfp8/bfp4/bfp2 sizes), %.1f .. %.1f GB\n",
                        items.size(), withScales ? "every stored tensor" : "every weight, scales with their weights", minB / 1e9,
                        maxB / 1e9);
            for (double gb : {250.0, 370.0, 500.0, 1000.0}) {
                const double b = gb * 1e9;
                const auto t0 = std::chrono::steady_clock::now();
                auto r = solvePlan(items, b);
                const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                if (!r.ok()) {
                    std::printf("  budget %.0f GB: %s\n", gb, r.error().message.c_str());
                    continue;
                }
                std::printf("  budget %6.0f GB: %.3f s (target <= 5 s), %.1f GB used, gap to the Lagrangian bound %.3g %%\n", gb, s,
                            r->bytes / 1e9, r->gap() * 100);
            }
        }
    }
    return 0;
}
