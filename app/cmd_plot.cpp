// `quantscope plot synth|weights ...` (WQ.md §6): the headless plots. Data come from the
// same computations and builders as the explorer's panels (ui/plots), rendered
// offscreen at an explicit size, so the PNGs equal the window's exports.
#include "cli_support.h"
#include "commands.h"

#include "analysis/analysis.h"
#include "analysis/model_open.h"
#include "analysis/synth.h"
#include "analysis/wq_run.h"
#include "io/selection.h"
#include "plots/plot_builders.h"
#include "plots/plot_compute.h"
#include "plots/plot_render.h"
#include "widgets/plot_panel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QGuiApplication>
#include <QRegularExpression>
#include <QTabWidget>

#include <cstdio>
#include <set>

namespace {

constexpr const char* kSynthDefaultOut = "plots/compare_reconstr_error_synth_data.png";
constexpr const char* kWeightsDefaultDir = "plots/visualize_quantization_error";

bool canShow() { return QGuiApplication::platformName() != QLatin1String("offscreen"); }

// --size WxH (default 1280x800).
bool parseSize(const QCommandLineParser& p, int* w, int* h, QString* error)
{
    *w = 1280;
    *h = 800;
    if (!p.isSet("size")) return true;
    static const QRegularExpression re(QStringLiteral("^(\\d{2,5})x(\\d{2,5})$"));
    const auto m = re.match(p.value("size"));
    if (!m.hasMatch()) {
        *error = QStringLiteral("--size expects WIDTHxHEIGHT in pixels (e.g. 1280x800), got \"%1\"").arg(p.value("size"));
        return false;
    }
    *w = m.captured(1).toInt();
    *h = m.captured(2).toInt();
    return true;
}

bool parsePositiveInt(const QCommandLineParser& p, const char* name, int def, int lo, int hi, int* out, QString* error)
{
    *out = def;
    if (!p.isSet(name)) return true;
    bool ok = false;
    const int v = p.value(name).toInt(&ok);
    if (!ok || v < lo || v > hi) {
        *error = QStringLiteral("--%1 expects an integer in [%2, %3], got \"%4\"").arg(name).arg(lo).arg(hi).arg(p.value(name));
        return false;
    }
    *out = v;
    return true;
}

qs::Result<std::vector<qs::FormatChoice>> formatChoices(const QCommandLineParser& p)
{
    auto opts = formatOptionsFrom(p);
    if (!opts) return opts.error();
    auto fmts = qs::resolveFormats(p.values("c"), {});
    if (!fmts) return fmts.error();
    if (const std::string unused = qs::unusedOptionMessage(*opts, *fmts); !unused.empty())
        return qs::Error::usage(unused);
    std::vector<qs::FormatChoice> out;
    for (const qs::Format* f : *fmts) out.push_back({f, *opts});
    return out;
}

// Shows the plots in one window (tabs) and runs the event loop until it is closed.
int showPlots(const std::vector<std::pair<QString, qs::PlotBuild>>& plots, int w, int h)
{
    QTabWidget window;
    window.setWindowTitle(QStringLiteral("QuantScope plots"));
    for (const auto& [title, build] : plots) {
        auto* panel = new qs::PlotPanel(&window);
        panel->setPlot(build);
        window.addTab(panel, title);
    }
    window.resize(w, h);
    window.show();
    return QApplication::exec();
}

void addCommonOptions(QCommandLineParser& p)
{
    addHelp(p);
    p.addOption({"c", "Format (repeatable); `all` = the original seven, `every` = the whole registry. Default: all.", "FORMAT"});
    p.addOption({"size", "PNG size in pixels (default 1280x800).", "WxH"});
    addFormatOptionFlags(p);
}

int runSynth(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "Amax staircase: how a value x is reconstructed when it is the largest magnitude of its block,\n"
        "for x in linspace(0, 1, 400) (WQ.md §6). Block floats get an `(ideal exp)` and a `(rand16 exp)` curve.\n\n"
        "Example:\n  quantscope plot synth -c all --rand-samples 100 --out plots/synth.png --no-show");
    addCommonOptions(p);
    p.addOption({"rand-samples", "Rows averaged per x for the (rand16 exp) curves (default 100).", "N"});
    p.addOption({"out", "Write the plot as PNG to PATH.", "PATH"});
    p.addOption({"no-show", "Do not open a window."});
    p.addOption({"csv", "Write the plotted curves as CSV (column x, one column per curve label).", "PATH"});
    p.addOption({"seed", "Seed of the random rows (default 0).", "N"});
    if (!p.parse(QStringList{"quantscope plot synth"} + args)) return usageError("plot synth", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, "quantscope plot synth"));
        return 0;
    }
    if (!p.positionalArguments().isEmpty())
        return usageError("plot synth", "unexpected argument \"" + p.positionalArguments().first() + "\"");
    QString err;
    int w, h, samples, seed;
    if (!parseSize(p, &w, &h, &err) || !parsePositiveInt(p, "rand-samples", 100, 1, 1000000, &samples, &err) ||
        !parsePositiveInt(p, "seed", 0, 0, 2147483647, &seed, &err))
        return usageError("plot synth", err);
    auto formats = formatChoices(p);
    if (!formats) return reportError(formats.error());

    qs::SynthParams params;
    params.formats = *formats;
    params.randSamples = samples;
    params.seed = uint64_t(seed);
    auto curves = qs::makeSynthCurves(params);
    if (!curves) return reportError(curves.error());
    const qs::CurvePlotData data = qs::synthPlotData(*curves);
    const qs::PlotBuild build = [data](QCustomPlot* plot) { qs::buildSynthPlot(plot, data); };

    const bool show = !p.isSet("no-show") && canShow();
    QString out = p.value("out");
    if (out.isEmpty() && !show && !p.isSet("csv")) out = QString::fromLatin1(kSynthDefaultOut);
    if (!out.isEmpty()) {
        if (auto r = qs::savePlotPng(build, out, w, h); !r) return reportError(r.error());
        printOut("wrote " + out.toStdString() + "\n");
    }
    if (p.isSet("csv")) {
        if (auto r = qs::writeTextFile(p.value("csv"), qs::curvesCsv(data)); !r) return reportError(r.error());
        printOut("wrote " + p.value("csv").toStdString() + "\n");
    }
    if (!p.isSet("no-show") && !canShow())
        std::fprintf(stderr, "note: no display, so no window was opened (pass --no-show to silence this)\n");
    if (show) return showPlots({{QStringLiteral("synth"), build}}, w, h);
    return 0;
}

int runWeights(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "One PNG per selected tensor: the Ideal line and each format's reconstruction of `points` values\n"
        "evenly spaced over the tensor's [min, max], labelled with the format's MAE over the real tensor.\n\n"
        "Example:\n  quantscope plot weights deepseek-ai/DeepSeek-R1 model.layers.0.self_attn.kv_a_layernorm.weight -c all");
    addCommonOptions(p);
    p.addPositionalArgument("MODEL", "Hub repo id or URL, local folder, or .safetensors file.");
    p.addPositionalArgument("FILTER", "Optional filter words (dotted prefix or substring).", "[FILTER...]");
    p.addOption({"revision", "Hub revision (default: main).", "rev"});
    p.addOption({"cache-dir", "Cache for fetched byte ranges.", "dir"});
    p.addOption({"regex", "Only names matching this regular expression.", "PATTERN"});
    p.addOption({"limit", "Keep the first N selected tensors.", "N"});
    p.addOption({"points", "Values per curve (default 1200).", "N"});
    p.addOption({"out-dir", QString("PNG folder (default %1).").arg(kWeightsDefaultDir), "D"});
    p.addOption({"show", "Also open the plots in a window."});
    p.addOption({"csv-dir", "Also write each tensor's curves as <slug>.csv into D.", "D"});
    if (!p.parse(QStringList{"quantscope plot weights"} + args)) return usageError("plot weights", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, "quantscope plot weights"));
        return 0;
    }
    const QStringList pos = p.positionalArguments();
    if (pos.isEmpty()) return usageError("plot weights", "missing MODEL");
    QString err;
    int w, h, points, limit;
    if (!parseSize(p, &w, &h, &err) || !parsePositiveInt(p, "points", 1200, 2, 10000000, &points, &err) ||
        !parsePositiveInt(p, "limit", 0, 1, 2147483647, &limit, &err))
        return usageError("plot weights", err);
    auto formats = formatChoices(p);
    if (!formats) return reportError(formats.error());

    CliProgress progress;
    auto model = qs::openModel(pos.first(), p.value("revision"), p.value("cache-dir"), &progress);
    if (!model) {
        progress.finish();
        return reportError(model.error());
    }
    auto names = qs::selectTensors((*model)->tensorNames(), pos.mid(1), p.value("regex"), limit, false,
                                   &(*model)->layoutTensorNames());
    if (!names) {
        progress.finish();
        return reportError(names.error());
    }
    if (auto kept = skipIntegerTensors(**model, *names, progress); !kept) {
        progress.finish();
        return reportError(kept.error());
    }
    const QString outDir = p.isSet("out-dir") ? p.value("out-dir") : QString::fromLatin1(kWeightsDefaultDir);
    std::vector<std::pair<QString, qs::PlotBuild>> shown;
    std::string written;
    std::set<std::string> usedSlugs;  // one PNG per tensor even when names collide
    for (const std::string& name : *names) {
        progress.phase("plotting " + name);
        auto reader = (*model)->reader(name, &progress);
        if (!reader) {
            progress.finish();
            return reportError(reader.error());
        }
        auto analysis = qs::analyzeTensor(**reader, *formats, qs::Layout::AsStored, &progress);
        if (!analysis) {
            progress.finish();
            return reportError(analysis.error());
        }
        std::vector<double> maes;
        for (const auto& r : analysis->results) maes.push_back(r.metrics.mae);
        const qs::CurvePlotData data = qs::transferCurves(name, analysis->stats, *formats, points, &maes);
        const qs::PlotBuild build = [data](QCustomPlot* plot) { qs::buildTransferPlot(plot, data); };
        const QString slug = QString::fromStdString(qs::uniqueSlug(name, usedSlugs));
        const QString png = QDir(outDir).filePath(slug + ".png");
        if (auto r = qs::savePlotPng(build, png, w, h); !r) {
            progress.finish();
            return reportError(r.error());
        }
        written += "wrote " + png.toStdString() + "\n";
        if (p.isSet("csv-dir")) {
            const QString csv = QDir(p.value("csv-dir")).filePath(slug + ".csv");
            if (auto r = qs::writeTextFile(csv, qs::curvesCsv(data)); !r) {
                progress.finish();
                return reportError(r.error());
            }
            written += "wrote " + csv.toStdString() + "\n";
        }
        if (p.isSet("show")) shown.push_back({QString::fromStdString(name), build});
    }
    progress.finish();
    printOut(written);
    if (p.isSet("show")) {
        if (canShow()) return showPlots(shown, w, h);
        std::fprintf(stderr, "note: --show: no display, so no window was opened\n");
    }
    return 0;
}

} // namespace

int runPlotCommand(const QStringList& args)
{
    const QString sub = args.value(0);
    if (sub == "synth") return runSynth(args.mid(1));
    if (sub == "weights") return runWeights(args.mid(1));
    if (sub.isEmpty() || sub == "--help" || sub == "-h" || sub == "help") {
        printOut("Usage:\n"
                 "  quantscope plot synth [-c FORMAT]... [--rand-samples N] [--out PATH] [--no-show] [--csv PATH]\n"
                 "  quantscope plot weights MODEL [FILTER...] [-c FORMAT]... [--points N] [--out-dir D] [--show]"
                 " [--csv-dir D]\n\n"
                 "Run `quantscope plot synth --help` or `quantscope plot weights --help` for the options.\n");
        return sub.isEmpty() ? 1 : 0;
    }
    return usageError("plot", "unknown plot \"" + sub + "\" (expected synth or weights)");
}
