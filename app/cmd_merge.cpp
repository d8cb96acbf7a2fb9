// `quantscope merge RESULTS_DIR... [--out D]` (issue #12): joins the outputs of the
// shards of a `--shard K/N` run into what one process would have written. Thin: finds
// and checks the shard folders (core/analysis/merge), then hands the merged report to
// the sink of the command the shards ran (wq: the results folder; atlas, plan: sinks.h);
// .safetensors files from `export --shard` are joined into one file.
#include "cli_support.h"
#include "commands.h"
#include "sinks.h"

#include "analysis/merge.h"

#include <QCommandLineParser>

#include <chrono>
#include <cstdio>

int runMergeCommand(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "Join the outputs of a sharded run (--shard K/N on wq, atlas, plan or export) into the output one process over\n"
        "the whole selection writes: a wq results folder (table.txt, results.json, artefacts), atlas.json/csv/PNGs,\n"
        "plan.json/csv, or one .safetensors file. RESULTS_DIR is a shard's results folder or a folder searched for\n"
        "them. Shards from different commits, selections or options, duplicate or missing shards and incomplete\n"
        "folders are refused.\n\n"
        "Example:\n  quantscope merge shards/ --out results/demo-model/none/merged\n"
        "  quantscope merge demo-bfp4-0000*-of-00003.safetensors --out demo-bfp4.safetensors");
    addHelp(p);
    p.addPositionalArgument("RESULTS_DIR", "Shard results folders, folders holding them, or export shard files.",
                            "RESULTS_DIR...");
    p.addOption({"out", "Output: the merged results folder (wq; default results/<model>/<algorithm>/<stamp>), the "
                        "atlas or plan folder (default atlas, plan), or the .safetensors file (export; required).",
                 "D"});
    if (!p.parse(QStringList{"quantscope merge"} + args)) return usageError("merge", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, "quantscope merge"));
        return 0;
    }
    const QStringList paths = p.positionalArguments();
    if (paths.isEmpty()) return usageError("merge", "missing RESULTS_DIR (the shard folders to merge)");
    const auto t0 = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

    if (std::all_of(paths.begin(), paths.end(), [](const QString& x) { return x.endsWith(".safetensors"); })) {
        if (!p.isSet("out") || !p.value("out").endsWith(".safetensors"))
            return usageError("merge", "export shards merge into one file: give --out FILE.safetensors");
        auto n = qs::mergeExportFiles(paths, p.value("out"));
        if (!n) return reportError(n.error());
        std::fprintf(stderr, "merged %lld shards (%lld tensors) into %s in %.2f s\n", (long long)paths.size(),
                     (long long)*n, p.value("out").toLocal8Bit().constData(), seconds());
        return 0;
    }
    auto folders = qs::findShardFolders(paths);
    if (!folders) return reportError(folders.error());
    auto run = qs::mergeShards(*folders);
    if (!run) return reportError(run.error());
    const std::string& command = run->shard.command;
    auto option = [&](const char* key) {
        for (const auto& [k, v] : run->shard.commandOptions)
            if (k == key) return QString::fromStdString(v);
        return QString();
    };
    int status = 0;
    QString out = p.value("out");
    if (command == "atlas") {
        qs::AtlasMetric metric = qs::AtlasMetric::Sqnr;
        qs::parseAtlasMetric(option("metric").toStdString(), metric);
        status = writeAtlasOutputs(run->report, metric, out.isEmpty() ? QStringLiteral("atlas") : out);
        out = out.isEmpty() ? QStringLiteral("atlas") : out;
    } else if (command == "plan") {
        auto request = planRequest(!option("bits").isEmpty(), option("bits"), !option("budget").isEmpty(), option("budget"));
        if (!request) return reportError(request.error());
        out = out.isEmpty() ? QStringLiteral("plan") : out;
        status = writePlanOutputs(run->report, *request, out);
    } else if (command == "wq") {
        if (out.isEmpty()) out = qs::defaultMergedPath(run->report);
        auto written = qs::writeMergedFolder(*run, out);
        if (!written) return reportError(written.error());
        std::fprintf(stderr, "results: %s\n", out.toLocal8Bit().constData());
    } else {
        return reportError(qs::Error::usage("merge: the shards are of \"" + command + "\", which merge does not know"));
    }
    if (status == 0)
        std::fprintf(stderr, "merged %d shards (%zu tensors, commit %s) into %s in %.2f s\n", run->shard.spec.count,
                     run->report.tensors.size(), run->shard.commit.c_str(), out.toLocal8Bit().constData(), seconds());
    return status;
}
