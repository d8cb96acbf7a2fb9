// quantscope: one binary, a desktop explorer and headless commands.
// The sub-command (or argv[0] == "wq") is decided here, before any widget exists
// (STYLE.md §2): headless commands run on the offscreen platform so they work without
// a display and never open a window.
#include "cli_support.h"
#include "commands.h"

#include "analysis/model_open.h"
#include "formats/format.h"
#include "hub/model_ref.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QString>
#include <QStringList>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

#include <unistd.h>

namespace {

// OpenMP workers must not spin while they wait: on a busy machine a spinning worker
// takes the time slices other processes (and our own next region) need (issue #9).
// libgomp reads OMP_WAIT_POLICY once, while it is loaded, before main(), and glibc
// resets the environment after an executable's preinit functions run, so the only
// reliable way to set it in code is to re-execute once with it set (about 10 ms). A
// user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT wins; if the exec fails we run as is.
void ensurePassiveOpenMpWaiting(char** argv)
{
    if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
    if (setenv("OMP_WAIT_POLICY", "passive", 0) != 0) return;
    execv("/proc/self/exe", argv);  // returns only on failure
}

struct Command {
    const char* name;
    const char* summary;
    std::function<int(const QStringList&)> run;
};

const std::vector<Command>& commands()
{
    static const std::vector<Command> list = {
        {"wq", "quantization report: PCC/MAE/ATOL per tensor and format, results folder",
         [](const QStringList& a) { return runWqCommand(a, "quantscope wq"); }},
        {"list", "list a model's tensors: dtype, shape, elements, stored bytes, file", runListCommand},
        {"export", "write a fake-quantized checkpoint (quantize-dequantize in one format)", runExportCommand},
        {"plot", "headless plots: `plot synth` (amax staircase) and `plot weights MODEL`", runPlotCommand},
        {"reconstruct", "re-apply a saved mixed-tile assignment to a tensor", runReconstructCommand},
        {"sweep", "mixed-tile size versus accuracy over several thresholds", runSweepCommand},
        {"atlas", "whole-model error by layer and kind: atlas.json/csv, heat map per format", runAtlasCommand},
        {"plan", "memory-budget planner: a format per tensor for a --budget or --bits", runPlanCommand},
        {"diff", "compare two checkpoints tensor by tensor (PCC/MAE/ATOL/RMSE/SQNR, identical values, --emulate)",
         runDiffCommand},
        {"merge", "join the shard folders of a --shard K/N run into one run's results (or atlas, plan, export)",
         runMergeCommand},
        {"importance", "what an importance matrix (llama.cpp imatrix .gguf/.dat, ours .safetensors) holds",
         runImportanceCommand},
    };
    return list;
}

void printHelp()
{
    std::string text =
        "QuantScope " QS_VERSION " - what low-precision number formats do to a model's weights.\n\n"
        "Usage:\n"
        "  quantscope [MODEL]                 open the explorer window (at MODEL if given)\n"
        "  quantscope <command> [args...]     run a headless command\n"
        "  wq MODEL [FILTER...]               same as `quantscope wq`\n\n"
        "Commands:\n";
    for (const auto& c : commands()) {
        char line[200];
        std::snprintf(line, sizeof line, "  %-12s %s\n", c.name, c.summary);
        text += line;
    }
    text += "  help [CMD]   this text, or the help of a command\n\n"
            "Options: --help, --version. Every command takes --help.\n\n"
            "Formats (-c):";
    for (const qs::Format& f : qs::formats()) {
        text += " ";
        text += std::string(f.name);
    }
    text += "\n  -c all = the original seven (mxfp4 nvfp4 bf16 bfp8 bfp4 bfp2 fp0), -c every = all of them.\n\n"
            "Environment: HF_TOKEN, HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE, NO_COLOR.\n";
    printOut(text);
}

int runHeadless(int argc, char** argv, const std::function<int(const QStringList&)>& run, const QStringList& args,
                bool mayShowWindow = false)
{
    // Headless: offscreen platform (plots are rendered to PNG without a display). Only
    // `plot`, which can show its plot in a window, keeps a display that is there.
    const bool display = !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && !(mayShowWindow && display))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
        // Qt warns on stderr without one; give it a private folder like a login session would.
        const QByteArray dir = QDir::tempPath().toLocal8Bit() + "/runtime-" + QByteArray::number(getuid());
        if (QDir().mkpath(QString::fromLocal8Bit(dir))) {
            QFile::setPermissions(QString::fromLocal8Bit(dir), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
            qputenv("XDG_RUNTIME_DIR", dir);
        }
    }
    QApplication app(argc, argv);
    QApplication::setApplicationName("quantscope");
    QApplication::setApplicationVersion(QS_VERSION);
    return run(args);
}

} // namespace

// The explorer needs a display; without one, say what to run instead.
int runGuiOrExplain(int argc, char** argv, const QString& model)
{
    const bool display = !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") ||
                         !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
    if (!display) {
        std::fprintf(stderr,
                     "error: no display found (DISPLAY and WAYLAND_DISPLAY are unset), so the explorer window cannot "
                     "open.\nRun a headless command instead, e.g. `quantscope wq %s`, or see `quantscope --help`.\n",
                     model.isEmpty() ? "MODEL" : model.toLocal8Bit().constData());
        return 1;
    }
    return runGui(argc, argv, model);
}

int main(int argc, char** argv)
{
    ensurePassiveOpenMpWaiting(argv);
    QStringList args;
    for (int i = 1; i < argc; ++i) args << QString::fromLocal8Bit(argv[i]);
    const QString self = QFileInfo(QString::fromLocal8Bit(argv[0])).fileName();

    if (self == "wq" && !args.isEmpty() && (args.first() == "--version" || args.first() == "-v")) {
        printOut("wq (quantscope) " QS_VERSION "\n");
        return 0;
    }
    if (self == "wq")
        return runHeadless(argc, argv, [](const QStringList& a) { return runWqCommand(a, "wq"); }, args);

    if (args.isEmpty()) return runGuiOrExplain(argc, argv, QString());
    const QString first = args.first();
    if (first == "--help" || first == "-h") {
        printHelp();
        return 0;
    }
    if (first == "--version" || first == "-v") {
        printOut("quantscope " QS_VERSION "\n");
        return 0;
    }
    if (first == "help") {
        if (args.size() == 1) {
            printHelp();
            return 0;
        }
        for (const auto& c : commands())
            if (args[1] == c.name) return runHeadless(argc, argv, c.run, {"--help"});
        std::fprintf(stderr, "error: unknown command \"%s\"\n", args[1].toLocal8Bit().constData());
        return 1;
    }
    for (const auto& c : commands())
        if (first == c.name) return runHeadless(argc, argv, c.run, args.mid(1), first == "plot");
    if (first == "gui") return runGuiOrExplain(argc, argv, args.size() > 1 ? args[1] : QString());
    if (first.startsWith('-') && first != "--screenshot") {
        std::fprintf(stderr, "error: unknown option \"%s\"\nRun 'quantscope --help' for usage.\n",
                     first.toLocal8Bit().constData());
        return 1;
    }
    // `quantscope MODEL [--screenshot PATH]` opens the explorer at MODEL (a missing path
    // opens the window with the error in its banner, as File › Open would); a word that
    // is neither a command, a path nor a Hub reference is a typo.
    if (!first.startsWith('-') && !QFileInfo::exists(first) && !qs::looksLikeLocalPath(first) &&
        !qs::parseModelReference(first, QString()).ok()) {
        std::fprintf(stderr, "error: \"%s\" is not a command, a local path or a Hub repo id\nRun 'quantscope --help' for usage.\n",
                     first.toLocal8Bit().constData());
        return 1;
    }
    return runGuiOrExplain(argc, argv, first.startsWith('-') ? QString() : first);
}
