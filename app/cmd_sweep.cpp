// `quantscope sweep MODEL [FILTER...] --metric pcc --thresholds 0.99,0.995,0.999,0.9995
// [--algorithm threshold|greedy] [--regex P]`: for every selected tensor and threshold,
// the size and metric of the mixed-tile result next to the pure tile formats. Each
// tensor is quantized once per format (tile sums); every threshold reuses the sums.
// Writes sweep.csv and sweep.png (size versus metric, Pareto front marked) into
// --out-dir (default results/<model>/sweep/<timestamp>/, written under a hidden
// ".incomplete" name and renamed when done) and prints a table.
#include "cli_support.h"
#include "commands.h"

#include "analysis/work_folder.h"

#include "common/escape.h"

#include "analysis/assignment_io.h"
#include "analysis/model_open.h"
#include "compression/mixed.h"
#include "compression/pareto.h"
#include "io/selection.h"
#include "plots/compression_plots.h"
#include "plots/plot_render.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>

#include <cmath>
#include <limits>
#include <cstdio>

namespace {

struct SweepRow {
    std::string tensor;
    double threshold = NAN;   // NaN for the pure-format rows
    std::string key;          // format name or "mixed"
    std::string label;
    double bytes = 0;         // device bytes (whole tiles): what the algorithms and the Pareto front use
    int64_t numel = 0;
    qs::Metrics metrics;
    bool met = true;
    std::vector<int64_t> counts;
    bool pareto = false;
    double payload = 0;       // payload bytes (elements + block scales + per-tensor extras)
};

qs::Result<std::shared_ptr<qs::Model>> openModelArg(const QCommandLineParser& p, const QString& model, qs::Progress* progress)
{
    return qs::openModel(model, p.value("revision"), p.value("cache-dir"), progress);
}

std::string num(const char* f, double v)
{
    if (std::isnan(v)) return "n/a";  // an undefined metric (e.g. PCC of a constant tensor)
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string withCommas(double v)
{
    std::string d = num("%.0f", v), out;
    for (size_t i = 0; i < d.size(); ++i) {
        if (i && (d.size() - i) % 3 == 0) out += ',';
        out += d[i];
    }
    return out;
}

std::string pad(const std::string& s, size_t w, bool right = false)
{
    if (s.size() >= w) return s;
    return right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
}

void markPareto(std::vector<SweepRow>& rows, size_t begin, size_t end, qs::MetricKind metric)
{
    std::vector<double> b, m;
    for (size_t i = begin; i < end; ++i) {
        b.push_back(rows[i].bytes);
        m.push_back(qs::decisionValue(rows[i].metrics, metric));
    }
    for (size_t i : qs::paretoFront(b, m, qs::higherIsBetter(metric))) rows[begin + i].pareto = true;
}

std::string csvOf(const std::vector<SweepRow>& rows, const std::vector<const qs::Format*>& cand)
{
    std::string out = "tensor,threshold,format,device_bytes,payload_bytes,bits_per_element,pcc,mae,atol,met_threshold";
    for (const qs::Format* f : cand) {
        out += ',';
        out += f->name;
        out += "_tiles";
    }
    out += ",pareto\n";
    for (const SweepRow& r : rows) {
        out += '"';
        out += r.tensor;
        out += "\",";
        if (!std::isnan(r.threshold)) out += num("%.17g", r.threshold);
        out += ',';
        out += r.key;
        for (double v : {r.bytes, r.payload, r.numel ? 8.0 * r.payload / double(r.numel) : 0.0, r.metrics.pcc, r.metrics.mae,
                         r.metrics.atol}) {
            out += ',';
            out += num("%.17g", v);
        }
        out += r.met ? ",true" : ",false";
        for (size_t f = 0; f < cand.size(); ++f) {
            out += ',';
            if (f < r.counts.size()) out += std::to_string(r.counts[f]);
        }
        out += r.pareto ? ",true\n" : ",false\n";
    }
    return out;
}

std::string tableOf(const std::vector<SweepRow>& rows, const std::vector<const qs::Format*>& cand)
{
    std::string out;
    std::string current;
    for (const SweepRow& r : rows) {
        if (r.tensor != current) {
            current = r.tensor;
            out += "\n" + qs::escapeControl(r.tensor) + "\n  " + pad("THRESHOLD", 10) + pad("FORMAT", 8) + pad("PCC", 9) + "  " + pad("MAE", 10) +
                   pad("ATOL", 10) + pad("DEVICE", 14, true) + pad("PAYLOAD", 14, true);
            for (const qs::Format* f : cand) out += pad(std::string(f->label), 7, true);
            out += "  PARETO\n";
        }
        out += "  " + pad(std::isnan(r.threshold) ? "-" : num("%g", r.threshold), 10) + pad(r.label, 8) +
               pad(num("% .5f", r.metrics.pcc), 9) + "  " + pad(num("%.3e", r.metrics.mae), 10) +
               pad(num("%.3e", r.metrics.atol), 10) + pad(withCommas(r.bytes), 14, true) + pad(withCommas(r.payload), 14, true);
        for (size_t f = 0; f < cand.size(); ++f) out += pad(f < r.counts.size() ? std::to_string(r.counts[f]) : "", 7, true);
        out += std::string("  ") + (r.pareto ? "*" : "") + (r.met ? "" : " (misses threshold)") + "\n";
    }
    return out;
}

} // namespace

int runSweepCommand(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "Size versus accuracy of mixed-tile compression over several thresholds. For every selected tensor the\n"
        "candidate tile formats are applied once; then, per threshold, the mixed-tile algorithm picks a format per\n"
        "32x32 tile. Prints, per tensor, the pure formats and the mixed result of each threshold (size in bytes of\n"
        "whole 32x32 tiles, PCC/MAE/ATOL) with the Pareto-optimal rows marked, and writes sweep.csv and sweep.png\n"
        "(size versus metric; with several tensors the plot shows totals: sizes summed, metrics averaged).\n\n"
        "Example:\n"
        "  quantscope sweep deepseek-ai/DeepSeek-R1 model.layers.0.mlp --metric pcc \\\n"
        "    --thresholds 0.99,0.995,0.999,0.9995 --algorithm greedy");
    addHelp(p);
    p.addPositionalArgument("MODEL", "Hub repo id or URL, local folder, or .safetensors file.");
    p.addPositionalArgument("FILTER", "Optional filter words (dotted prefix or substring, as in wq).", "[FILTER...]");
    p.addOption({"metric", "pcc (a minimum), mae or atol (maxima). Default: pcc.", "METRIC", "pcc"});
    p.addOption({"thresholds", "Comma-separated thresholds. Default: 0.99,0.995,0.999,0.9995.", "LIST",
                 "0.99,0.995,0.999,0.9995"});
    p.addOption({"algorithm", "threshold (per tile) or greedy (tensor level). Default: greedy.", "ALG", "greedy"});
    p.addOption({{"c", "format"}, "Tile format (repeatable or comma-separated). Default: bf16,bfp8,bfp4,bfp2.", "FORMAT"});
    p.addOption({"cluster", "Greedy: single (default) or kmeans.", "MODE", "single"});
    p.addOption({"k", "Greedy with kmeans: number of groups (default 10).", "N", "10"});
    p.addOption({"regex", "Only names matching this regular expression.", "PATTERN"});
    p.addOption({"limit", "Keep the first N matching tensors.", "N"});
    p.addOption({"out-dir", "Output folder (default: results/<model>/sweep/<timestamp>).", "DIR"});
    p.addOption({"revision", "Hub revision (default: main).", "rev"});
    p.addOption({"cache-dir", "Cache for fetched byte ranges.", "dir"});
    addFormatOptionFlags(p);
    if (!p.parse(QStringList{"quantscope sweep"} + args)) return usageError("sweep", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, "quantscope sweep"));
        return 0;
    }
    const QStringList pos = p.positionalArguments();
    if (pos.isEmpty()) return usageError("sweep", "missing MODEL");

    // Arguments first (exit 1 before anything is opened or written).
    qs::MixedParams params;
    if (!qs::parseMetric(p.value("metric").toStdString(), params.metric))
        return reportError(qs::Error::usage("--metric: unknown metric \"" + p.value("metric").toStdString() + "\" (valid: pcc, mae, atol)"));
    if (qs::isWeighted(params.metric))
        return reportError(qs::Error::usage("--metric " + p.value("metric").toStdString() +
                                            ": sweep has no importance file; weighted metrics are for wq --importance"));
    const QString alg = p.value("algorithm").toLower();
    if (alg == "threshold" || alg == "mixed-tile-threshold") params.algorithm = qs::MixedAlgorithm::Threshold;
    else if (alg == "greedy" || alg == "mixed-tile-greedy" || alg == "mixed-tile") params.algorithm = qs::MixedAlgorithm::Greedy;
    else return reportError(qs::Error::usage("--algorithm: unknown algorithm \"" + p.value("algorithm").toStdString() + "\" (valid: threshold, greedy)"));
    std::vector<double> thresholds;
    for (const QString& t : p.value("thresholds").split(',', Qt::SkipEmptyParts)) {
        bool ok = false;
        const double v = t.trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(v)) return reportError(qs::Error::usage("--thresholds: \"" + t.trimmed().toStdString() + "\" is not a number"));
        thresholds.push_back(v);
    }
    if (thresholds.empty()) return reportError(qs::Error::usage("--thresholds: no threshold given"));
    const QString cluster = p.value("cluster").toLower();
    if (cluster != "single" && cluster != "kmeans")
        return reportError(qs::Error::usage("--cluster: expected single or kmeans, got \"" + p.value("cluster").toStdString() + "\""));
    params.kmeans = cluster == "kmeans";
    bool kOk = false;
    params.k = p.value("k").toInt(&kOk);
    if (!kOk || params.k < 1) return reportError(qs::Error::usage("--k: expected an integer >= 1, got \"" + p.value("k").toStdString() + "\""));
    QStringList names = p.values("format");
    if (names.isEmpty()) names = {"bf16", "bfp8", "bfp4", "bfp2"};
    for (const QString& n : names.join(',').split(',', Qt::SkipEmptyParts)) {
        const qs::Format* f = qs::findFormat(n.trimmed().toStdString());
        if (!f) return reportError(qs::Error::usage("-c: unknown format \"" + n.trimmed().toStdString() + "\" (valid: " + qs::formatNameList() + ")"));
        if (!f->tileFormat) return reportError(qs::Error::usage("-c: \"" + std::string(f->name) + "\" is not a tile format"));
        if (std::find(params.candidates.begin(), params.candidates.end(), f) == params.candidates.end()) params.candidates.push_back(f);
    }
    auto options = formatOptionsFrom(p);
    if (!options) return reportError(options.error());
    params.options = *options;
    if (const std::string unused = qs::unusedOptionMessage(params.options, params.candidates); !unused.empty())
        return reportError(qs::Error::usage(unused));
    int limit = 0;
    if (p.isSet("limit")) {
        bool ok = false;
        limit = p.value("limit").toInt(&ok);
        if (!ok || limit < 1) return reportError(qs::Error::usage("--limit: expected an integer >= 1, got \"" + p.value("limit").toStdString() + "\""));
    }
    params.threshold = thresholds.front();
    if (auto v = qs::validateMixedParams(params); !v) return reportError(v.error());

    CliProgress progress;
    auto model = openModelArg(p, pos[0], &progress);
    if (!model) {
        progress.finish();
        return reportError(model.error());
    }
    std::vector<std::string> filter;
    for (const QString& w : pos.mid(1)) filter.push_back(w.toStdString());
    auto selected = qs::selectTensors((*model)->tensorNames(), filter, p.value("regex").toStdString(), limit, false,
                                      &(*model)->layoutTensorNames());
    if (!selected) {
        progress.finish();
        return reportError(selected.error());
    }
    if (auto kept = skipIntegerTensors(**model, *selected, progress); !kept) {
        progress.finish();
        return reportError(kept.error());
    }

    std::vector<SweepRow> rows;
    for (size_t ti = 0; ti < selected->size(); ++ti) {
        const std::string& name = (*selected)[ti];
        progress.phase("[" + std::to_string(ti + 1) + "/" + std::to_string(selected->size()) + "] " + name);
        auto reader = (*model)->reader(name, &progress);
        if (!reader) {
            progress.finish();
            return reportError(reader.error());
        }
        const std::vector<float> x = (*reader)->readAll();
        const std::vector<int64_t> shape = (*reader)->shape();
        auto sums = qs::computeTileSums(x.data(), shape, params.candidates, params.options, &progress);
        if (!sums) {
            progress.finish();
            return reportError(sums.error());
        }
        const size_t begin = rows.size();
        for (double thr : thresholds) {
            params.threshold = thr;
            auto r = qs::runMixedOnSums(*sums, params);
            if (!r) {
                progress.finish();
                return reportError(r.error());
            }
            if (thr == thresholds.front())
                for (size_t f = 0; f < params.candidates.size(); ++f) {
                    std::vector<int64_t> counts(params.candidates.size(), 0);
                    counts[f] = sums->grid.tileCount();
                    rows.push_back({name, NAN, std::string(params.candidates[f]->name), std::string(params.candidates[f]->label),
                                    r->pureBytes[f], (*reader)->numel(), r->pureMetrics[f], true, counts, false,
                                    r->purePayloadBytes[f]});
                }
            rows.push_back({name, thr, "mixed", "MIXED", r->bytes, (*reader)->numel(), r->metrics, r->metThreshold, r->tileCounts,
                            false, r->payloadBytes});
        }
        markPareto(rows, begin, rows.size(), params.metric);
    }
    progress.finish();

    // Totals over the tensors (size summed, metrics averaged) for the plot and, with
    // several tensors, as "(all)" rows.
    qs::SweepPlotData plot;
    const std::string metricLabel = QString::fromStdString(std::string(qs::metricName(params.metric))).toUpper().toStdString();
    plot.metricLabel = metricLabel;
    plot.higherIsBetter = params.metric == qs::MetricKind::Pcc;
    plot.logMetric = !plot.higherIsBetter;
    std::vector<SweepRow> totals;
    for (const SweepRow& r : rows) {
        auto it = std::find_if(totals.begin(), totals.end(), [&](const SweepRow& t) {
            return t.key == r.key && (t.threshold == r.threshold || (std::isnan(t.threshold) && std::isnan(r.threshold)));
        });
        if (it == totals.end()) {
            SweepRow t = r;
            t.tensor = "(all)";
            t.metrics = {};
            t.metrics.pcc = t.metrics.mae = t.metrics.atol = 0;
            t.bytes = 0;
            t.payload = 0;
            t.numel = 0;
            t.counts.assign(r.counts.size(), 0);
            t.met = true;
            totals.push_back(t);
            it = totals.end() - 1;
        }
        it->bytes += r.bytes;
        it->payload += r.payload;
        it->numel += r.numel;
        if (!std::isnan(r.metrics.pcc)) it->metrics.pcc += r.metrics.pcc, ++it->metrics.count;  // defined PCCs only
        it->metrics.mae += r.metrics.mae / double(selected->size());
        it->metrics.atol = std::max(it->metrics.atol, r.metrics.atol);
        it->met = it->met && r.met;
        for (size_t f = 0; f < r.counts.size(); ++f) it->counts[f] += r.counts[f];
    }
    for (SweepRow& t : totals)
        t.metrics.pcc = t.metrics.count ? t.metrics.pcc / double(t.metrics.count) : std::numeric_limits<double>::quiet_NaN();
    markPareto(totals, 0, totals.size(), params.metric);
    for (const SweepRow& t : totals)
        plot.points.push_back({t.key, std::isnan(t.threshold) ? t.label : "MIXED (" + std::string(qs::algorithmName(params.algorithm)) + ")",
                               t.bytes, qs::metricValue(t.metrics, params.metric),
                               std::isnan(t.threshold) ? std::string() : "threshold " + QString::number(t.threshold, 'g', 6).toStdString()});
    plot.title = (selected->size() == 1 ? selected->front() : std::to_string(selected->size()) + " tensors (total size, mean " +
                                                                  std::string(qs::metricName(params.metric)) + ")") +
                 " — " + std::string(qs::algorithmName(params.algorithm));
    if (selected->size() > 1) rows.insert(rows.end(), totals.begin(), totals.end());

    // Output folder: written under a hidden name, renamed when complete.
    QString outDir = p.value("out-dir");
    if (outDir.isEmpty())
        outDir = QStringLiteral("results/%1/sweep/%2").arg((*model)->provider().resultsName(),
                                                           QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss"));
    const QFileInfo outInfo(outDir);
    if (QFileInfo::exists(outDir) && !QDir(outDir).isEmpty())
        return reportError(qs::Error::usage("--out-dir " + outDir.toStdString() + ": exists and is not empty"));
    // Built in a per-process work folder next to it, renamed into place at the end.
    auto folder = qs::WorkFolder::create(outInfo.absolutePath(), outInfo.fileName());
    if (!folder) return reportError(folder.error());
    const QString work = folder->workPath();
    auto finishWith = [&](const qs::Error& e) {
        folder->discard();
        return reportError(e);
    };
    if (auto w = qs::writeFileAtomic(QDir(work).filePath("sweep.csv"), QByteArray::fromStdString(csvOf(rows, params.candidates))); !w)
        return finishWith(w.error());
    if (auto w = qs::savePlotPng([&](QCustomPlot* cp) { qs::buildSweepPlot(cp, plot); }, QDir(work).filePath("sweep.png"), 1000, 650); !w)
        return finishWith(w.error());
    if (auto c = folder->commit(/*suffixOnCollision=*/!p.isSet("out-dir")); !c) return finishWith(c.error());
    outDir += folder->finalPath().mid(QDir(outInfo.absolutePath()).filePath(outInfo.fileName()).size());  // "-N" if taken

    printOut((*model)->provider().repoName().toStdString() + " - sweep of " + std::to_string(selected->size()) + " tensors, " +
             std::string(qs::algorithmName(params.algorithm)) + ", metric " + std::string(qs::metricName(params.metric)) + "\n" +
             tableOf(rows, params.candidates) + "\nwrote " + QDir::toNativeSeparators(outDir).toStdString() + "/sweep.csv, sweep.png\n");
    return 0;
}
