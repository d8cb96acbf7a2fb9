// `quantscope atlas MODEL [FILTER...] -c FORMATS [--out-dir D] [--metric sqnr|pcc|mae]`:
// whole-model error by layer and kind (issue #11). Thin: runs the one per-tensor walk
// (runWq), hands the "none" rows to core/analysis/atlas and writes atlas.json, atlas.csv,
// one heat-map PNG per format, and prints the top-20 report (sinks.h). With --shard the
// walk covers one part and writes a shard folder under --out-dir for `merge`.
#include "cli_support.h"
#include "commands.h"
#include "sinks.h"

#include <QCommandLineParser>

#include <cstdio>

int runAtlasCommand(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "Whole-model error atlas: every selected tensor in every format, grouped by layer (rows) and tensor kind\n"
        "(columns). Writes atlas.json, atlas.csv and atlas_<format>.png (a heat map per format; a cell with several\n"
        "tensors shows its worst member) to --out-dir, and prints the 20 worst tensors.\n\n"
        "Example:\n  quantscope atlas ./my-model -c bfp8,bfp4 --metric sqnr --out-dir atlas");
    addHelp(p);
    addSelectionFlags(p);
    p.addOption({{"c", "format"}, "Formats (repeatable or comma-separated; 'all' as in wq).", "FORMAT"});
    p.addOption({"metric", "sqnr (default), pcc or mae, or with --importance wsqnr or wrel: the value the heat maps and "
                           "the top-20 rank by.", "name", "sqnr"});
    p.addOption({"importance", "Importance matrix (as wq --importance): cells also carry wsqnr and wrel, aggregated "
                               "from their tensors' weighted sums.", "FILE"});
    p.addOption({"out-dir", "Folder for atlas.json, atlas.csv and the PNGs (default: atlas); with --shard, the parent of the shard's results/ folder.", "dir", "atlas"});
    addFormatOptionFlags(p);
    if (!p.parse(QStringList{"quantscope atlas"} + args)) return usageError("atlas", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, "quantscope atlas"));
        return 0;
    }
    qs::WqParams params;
    if (auto sel = selectionFrom(p, params); !sel) return usageError("atlas", QString::fromStdString(sel.error().message));
    qs::AtlasMetric metric;
    if (!qs::parseAtlasMetric(p.value("metric").toStdString(), metric))
        return usageError("atlas", "--metric: expected sqnr, pcc, mae, wsqnr or wrel, got \"" + p.value("metric") + "\"");
    params.importance = p.value("importance");
    if ((metric == qs::AtlasMetric::Wsqnr || metric == qs::AtlasMetric::Wrel) && params.importance.isEmpty())
        return usageError("atlas", "--metric " + p.value("metric") + " weighs the error by input-channel importance: give --importance FILE");

    params.formats = p.values("c");
    params.writeResults = params.shard.has_value();  // a shard writes its rows for merge
    params.resultsDir = p.value("out-dir");
    params.command = "atlas";
    params.commandOptions = {{"metric", qs::atlasMetricName(metric)}};
    auto opts = formatOptionsFrom(p);
    if (!opts) return reportError(opts.error());
    params.options = *opts;
    params.refuseUnusedOptions = true;

    CliProgress progress;
    auto report = qs::runWq(params, qs::WqObserver{}, qs::PngRenderer{}, &progress);
    progress.finish();
    if (!report) return reportError(report.error());
    if (report->shard) {
        std::fprintf(stderr, "shard %s: %s (merge the shards with 'quantscope merge')\n",
                     report->shard->spec.text().c_str(), report->resultsPath.toLocal8Bit().constData());
        return 0;
    }
    return writeAtlasOutputs(*report, metric, p.value("out-dir"));
}
