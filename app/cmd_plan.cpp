// `quantscope plan MODEL [FILTER...] --budget SIZE|--bits B [-c FORMATS] [--granularity
// tensor|tile] [--out-dir D]`: the memory-budget planner (issue #11). Thin: runs the one
// per-tensor walk (runWq), turns each tensor's "none" rows (or, at tile granularity, the
// per-tile sums the walk hands over) into (device bytes, squared error) options, solves
// with core/compression/planner and writes plan.json (the plan file), plan.csv and
// plan_curve.png (sinks.h). With --shard the walk (the analysis step) covers one part and
// writes a shard folder for `merge` (tensor granularity only).
#include "cli_support.h"
#include "commands.h"
#include "sinks.h"

#include <QCommandLineParser>

#include <cstdio>

int runPlanCommand(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "Memory-budget planner: one format per tensor (or per 32x32 tile) minimising the total squared error with the\n"
        "total device bytes within the budget (multiple-choice knapsack; the gap to the Lagrangian lower bound is\n"
        "reported). Writes plan.json (a plan file: wq/export --compression-config plan.json apply it), plan.csv and\n"
        "plan_curve.png to --out-dir.\n"
        "--budget SIZE: a number with B, KB/MB/GB (powers of 1000), KiB/MiB/GiB (powers of 1024) or bytes/param;\n"
        "a bare number is bytes. --bits B: average bits per parameter.\n\n"
        "Example:\n  quantscope plan ./my-model -c bf16,bfp8,bfp4,bfp2 --bits 5");
    addHelp(p);
    addSelectionFlags(p);
    p.addOption({{"c", "formats"}, "Candidate formats (repeatable or comma-separated; default: all).", "FORMAT"});
    p.addOption({"budget", "Total size budget.", "SIZE"});
    p.addOption({"bits", "Average bits per parameter.", "B"});
    p.addOption({"granularity", "tensor (default): one format per tensor; tile: one format per 32x32 tile, from the "
                                "per-tile sums of the mixed-tile algorithms (tile formats only; assignments in "
                                "plan_tiles/).", "tensor|tile", "tensor"});
    p.addOption({"out-dir", "Folder for plan.json and plan.csv (default: plan); with --shard, the parent of the shard's results/ folder.", "dir", "plan"});
    p.addOption({"importance", "Importance matrix (as wq --importance): minimise the weighted squared error Σd²v, the "
                               "expected squared output error for inputs with those channel energies. A tensor without "
                               "importance counts Σd² times the median Σx²v/Σx² of the weighted tensors.", "FILE"});
    addFormatOptionFlags(p);
    if (!p.parse(QStringList{"quantscope plan"} + args)) return usageError("plan", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, "quantscope plan"));
        return 0;
    }
    qs::WqParams params;
    if (auto sel = selectionFrom(p, params); !sel) return usageError("plan", QString::fromStdString(sel.error().message));
    auto request = planRequest(p.isSet("bits"), p.value("bits"), p.isSet("budget"), p.value("budget"));
    if (!request) return usageError("plan", QString::fromStdString(request.error().message));

    const QString granularity = p.value("granularity");
    if (granularity != "tensor" && granularity != "tile")
        return usageError("plan", "--granularity: expected tensor or tile, got \"" + granularity + "\"");
    const bool tiles = granularity == "tile";
    if (tiles && params.shard)
        return usageError("plan", "--granularity tile cannot be sharded (merge plans from the per-tensor rows); "
                                  "run it without --shard");

    params.formats = p.values("c");
    params.tileSums = tiles;
    params.writeResults = params.shard.has_value();  // a shard writes its rows for merge
    params.resultsDir = p.value("out-dir");
    params.command = "plan";
    params.commandOptions = {{request->byBits ? "bits" : "budget", (request->byBits ? p.value("bits") : p.value("budget")).toStdString()}};
    auto opts = formatOptionsFrom(p);
    if (!opts) return reportError(opts.error());
    params.options = *opts;
    params.refuseUnusedOptions = true;
    params.importance = p.value("importance");

    CliProgress progress;
    std::vector<qs::TilePlanTensor> tileErrors;
    qs::WqObserver observer;
    if (tiles)
        observer.tileSums = [&](const qs::WqTensor& t, const qs::TileSums& sums) {
            tileErrors.push_back(qs::tilePlanTensor(t.info.name, t.info.shape, sums, !params.importance.isEmpty()));
        };
    auto report = qs::runWq(params, observer, qs::PngRenderer{}, &progress);
    progress.finish();
    if (!report) return reportError(report.error());
    if (report->shard) {
        std::fprintf(stderr, "shard %s: %s (merge the shards with 'quantscope merge')\n",
                     report->shard->spec.text().c_str(), report->resultsPath.toLocal8Bit().constData());
        return 0;
    }
    return writePlanOutputs(*report, *request, p.value("out-dir"), tiles ? &tileErrors : nullptr);
}
