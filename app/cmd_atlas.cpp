// `quantscope atlas MODEL [FILTER...] -c FORMATS [--out-dir D] [--metric sqnr|pcc|mae]`:
// whole-model error by layer and kind (issue #11). Thin: runs the one per-tensor walk
// (runWq), hands the "none" rows to core/analysis/atlas and writes atlas.json, atlas.csv,
// one heat-map PNG per format, and prints the top-20 report.
#include "cli_support.h"
#include "commands.h"
#include "analysis/assignment_io.h"
#include "analysis/atlas.h"
#include "analysis/wq_run.h"
#include "plots/atlas_plot.h"

#include <QCommandLineParser>
#include <QDir>

#include <cstdio>
#include <limits>

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
    p.addOption({"out-dir", "Folder for atlas.json, atlas.csv and the PNGs (default: atlas).", "dir", "atlas"});
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
    params.writeResults = false;
    auto opts = formatOptionsFrom(p);
    if (!opts) return reportError(opts.error());
    params.options = *opts;
    params.refuseUnusedOptions = true;

    std::vector<qs::AtlasEntry> entries;
    CliProgress progress;
    qs::WqObserver observer;
    observer.tensorDone = [&](const qs::WqReport&, const qs::WqTensor& t) {
        for (const qs::WqRow& r : t.rows) {
            if (r.compression != "none") continue;
            qs::AtlasEntry e;
            e.tensor = t.info.name;
            e.format = r.format;
            e.numel = t.info.numel();
            e.metrics = r.metrics;
            if (!t.importanceNote.empty()) {  // no importance for this tensor: no weighted values
                e.metrics.wsqnrDb = e.metrics.wrel = e.metrics.wsse = e.metrics.wssx = std::numeric_limits<double>::quiet_NaN();
            }
            entries.push_back(std::move(e));
        }
    };
    auto report = qs::runWq(params, observer, qs::PngRenderer{}, &progress);
    progress.finish();
    if (!report) return reportError(report.error());

    const qs::Atlas atlas = qs::buildAtlas(entries, metric, 20);
    const QString outDir = p.value("out-dir");
    if (!QDir().mkpath(outDir))
        return reportError(qs::Error::model("atlas: cannot create the output folder " + outDir.toStdString()));
    const QDir dir(outDir);
    if (auto w = qs::writeFileAtomic(dir.filePath("atlas.json"), QByteArray::fromStdString(qs::atlasJson(atlas))); !w)
        return reportError(w.error());
    if (auto w = qs::writeFileAtomic(dir.filePath("atlas.csv"), QByteArray::fromStdString(qs::atlasCsv(atlas))); !w)
        return reportError(w.error());
    for (size_t f = 0; f < atlas.formats.size(); ++f) {
        const QString png = dir.filePath(QString::fromStdString("atlas_" + qs::slugify(atlas.formats[f]) + ".png"));
        if (auto w = qs::renderAtlasHeatmap(atlas, f, png); !w) return reportError(w.error());
    }
    printOut(qs::atlasReport(atlas));
    std::fprintf(stderr, "atlas: %s\n", outDir.toLocal8Bit().constData());
    return 0;
}
