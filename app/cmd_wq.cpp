// `quantscope wq` (and the binary called as `wq`): the batch quantization report.
// Parses into WqParams and makes one core call (runWq); prints as results arrive.
#include "cli_support.h"
#include "commands.h"

#include "analysis/wq_run.h"
#include "plots/compression_plots.h"

#include <QCommandLineParser>

int runWqCommand(const QStringList& args, const QString& programName)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "Quantize the weights of a model in low-precision formats and report PCC/MAE/ATOL per tensor and format.\n\n"
        "MODEL is a Hugging Face repo id (org/name), a Hub URL, a local folder of .safetensors files, or one\n"
        ".safetensors file. FILTER words select tensors: with a '.', a torch-style prefix (model.layers.0);\n"
        "otherwise a case-insensitive substring (q_proj). FILTER and --regex select among all tensors; without them\n"
        "(and without --all) every name containing 'weight'. Integer and bool tensors are skipped, with a note.\n\n"
        "Example:\n  quantscope wq deepseek-ai/DeepSeek-R1 model.layers.0.self_attn --limit 10 -c bfp8 -c bfp4\n"
        "  quantscope wq ./my-model mlp --compression-config compression_configs/compression_config.mixed_tile_greedy.example.json");
    addHelp(p);
    addSelectionFlags(p);
    p.addOption({{"c", "format"}, "Format to evaluate (repeatable, or comma-separated). 'all' = the original seven "
                 "(mxfp4 nvfp4 bf16 bfp8 bfp4 bfp2 fp0), 'every' = every format in the registry.", "FORMAT"});
    p.addOption({"compression-config", "JSON compression config (algorithm and params).", "PATH"});
    p.addOption({"backend", "emulation (default) or ttnn (needs a build with Tenstorrent's host library).", "name", "emulation"});
    p.addOption({"recompute", "Ignore cached derived data and recompute."});
    p.addOption({"summary", "Append the mean over tensors per compression and format."});
    p.addOption({"results-dir", "Parent folder of results/ (default: the working directory).", "dir", "."});
    p.addOption({"no-results", "Do not write a results folder."});
    p.addOption({"json", "Print the report as one JSON document on stdout instead of the table (for pipes; the "
                          "results folder still gets table.txt). Inf/NaN values are null, named in \"nonfinite\"."});
    p.addOption({"pcc-undefined", "What PCC reads where it is undefined (zero variance on either side, fewer than 2 "
                                  "values): n/a (default; left out of the means) or original (the original tool's "
                                  "1.0 if equal, else 0.0).", "rule", "n/a"});
    p.addOption({"importance", "Importance matrix for activation-weighted error (wSQNR, wREL): llama.cpp's GGUF imatrix "
                               "or legacy .dat, or QuantScope's .safetensors; a local path or org/repo:path/in/repo "
                               "on the Hub (read with --revision and the cache). See docs/IMPORTANCE.md.", "FILE"});
    p.addOption({"top", "After the table, the N worst tensor x format pairs by wREL (by REL = rel_rmse without "
                        "--importance), worst first, with layer and kind.", "N"});
    addFormatOptionFlags(p);
    if (!p.parse(QStringList{programName} + args)) return usageError("wq", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, programName));
        return 0;
    }
    qs::WqParams params;
    if (auto sel = selectionFrom(p, params); !sel) return usageError("wq", QString::fromStdString(sel.error().message));
    params.formats = p.values("c");
    params.configPath = p.value("compression-config");
    params.backend = p.value("backend");
    params.recompute = p.isSet("recompute");
    params.summary = p.isSet("summary");
    params.writeResults = !p.isSet("no-results");
    params.resultsDir = p.value("results-dir");
    auto opts = formatOptionsFrom(p);
    if (!opts) return reportError(opts.error());
    params.options = *opts;
    params.refuseUnusedOptions = true;
    const QString pccRule = p.value("pcc-undefined");
    if (pccRule != "n/a" && pccRule != "original")
        return usageError("wq", "--pcc-undefined: expected n/a or original, got \"" + pccRule + "\"");
    params.originalPcc = pccRule == "original";
    params.importance = p.value("importance");
    if (p.isSet("top")) {
        bool ok = false;
        params.top = p.value("top").toInt(&ok);
        if (!ok || params.top < 1) return usageError("wq", "--top: expected a positive whole number, got \"" + p.value("top") + "\"");
    }

    const bool colour = stdoutWantsColour();
    const bool json = p.isSet("json");  // stdout carries the JSON document only
    CliProgress progress;
    qs::WqObserver observer;
    observer.started = [&](const qs::WqReport& r) {
        progress.finish();
        if (!r.skipped.empty()) std::fprintf(stderr, "note: %s\n", r.skipped.c_str());
        if (!json) printOut(qs::renderHeader(r, colour));
    };
    observer.tensorDone = [&](const qs::WqReport& r, const qs::WqTensor& t) {
        progress.finish();
        if (!json) printOut(qs::renderTensor(r, t, colour));
    };
    auto report = qs::runWq(params, observer, qs::renderMixedPngs, &progress);
    progress.finish();
    if (!report) return reportError(report.error());
    if (!json) printOut(qs::renderTail(*report, colour));
    if (params.summary && !json) printOut(qs::renderSummary(*report, colour));
    if (!report->resultsPath.isEmpty())
        std::fprintf(stderr, "results: %s\n", report->resultsPath.toLocal8Bit().constData());
    if (json) printOut(qs::renderJson(*report));
    return 0;
}
