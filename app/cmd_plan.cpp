// `quantscope plan MODEL [FILTER...] --budget SIZE|--bits B [-c FORMATS] [--out-dir D]`:
// the memory-budget planner (issue #11). Thin: runs the one per-tensor walk (runWq),
// turns each tensor's "none" rows into (bytes, squared error) options, solves with
// core/compression/planner and writes plan.json and plan.csv.
#include "cli_support.h"
#include "commands.h"
#include "analysis/assignment_io.h"
#include "analysis/wq_run.h"
#include "compression/planner.h"

#include <QCommandLineParser>
#include <QDir>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace {

std::string g9(double v)
{
    char b[40];
    std::snprintf(b, sizeof b, "%.9g", v);
    return b;
}

std::string jstr(const std::string& s)
{
    std::string o = "\"";
    for (char c : s) o += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return o + "\"";
}

} // namespace

int runPlanCommand(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "Memory-budget planner: one format per tensor minimising the total squared error with the total bytes within\n"
        "the budget (multiple-choice knapsack; the gap to the Lagrangian lower bound is reported). Writes plan.json and\n"
        "plan.csv to --out-dir.\n"
        "--budget SIZE: a number with B, KB/MB/GB (powers of 1000), KiB/MiB/GiB (powers of 1024) or bytes/param;\n"
        "a bare number is bytes. --bits B: average bits per parameter.\n\n"
        "Example:\n  quantscope plan ./my-model -c bf16,bfp8,bfp4,bfp2 --bits 5");
    addHelp(p);
    addSelectionFlags(p);
    p.addOption({{"c", "formats"}, "Candidate formats (repeatable or comma-separated; default: all).", "FORMAT"});
    p.addOption({"budget", "Total size budget.", "SIZE"});
    p.addOption({"bits", "Average bits per parameter.", "B"});
    p.addOption({"out-dir", "Folder for plan.json and plan.csv (default: plan).", "dir", "plan"});
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
    if (p.isSet("budget") == p.isSet("bits")) return usageError("plan", "give exactly one of --budget SIZE and --bits B");
    double bits = 0;
    if (p.isSet("bits")) {
        bool ok = false;
        bits = p.value("bits").toDouble(&ok);
        if (!ok || !(bits > 0)) return usageError("plan", "--bits: expected a positive number, got \"" + p.value("bits") + "\"");
    }

    params.formats = p.values("c");
    params.writeResults = false;
    auto opts = formatOptionsFrom(p);
    if (!opts) return reportError(opts.error());
    params.options = *opts;
    params.refuseUnusedOptions = true;
    params.importance = p.value("importance");

    std::vector<std::string> names;
    struct Raw {
        std::vector<double> sse, wsse;  // per option
        bool weighted = false;
        double ratio = 0;               // Σx²v / Σx² (weighted tensors)
    };
    std::vector<Raw> raw;
    std::vector<std::vector<std::string>> optionFormats;
    std::vector<qs::PlanItem> items;
    int64_t paramsTotal = 0;
    CliProgress progress;
    qs::WqObserver observer;
    observer.tensorDone = [&](const qs::WqReport&, const qs::WqTensor& t) {
        qs::PlanItem it;
        Raw rw;
        rw.weighted = !params.importance.isEmpty() && t.importanceNote.empty();
        std::vector<std::string> fmts;
        for (const qs::WqRow& r : t.rows) {
            if (r.compression != "none") continue;
            it.options.push_back({r.bytes, r.metrics.sse});
            rw.sse.push_back(r.metrics.sse);
            rw.wsse.push_back(r.metrics.wsse);
            if (!std::isfinite(r.metrics.wsse)) rw.weighted = false;
            if (rw.weighted && t.stats.sumSq > 0) rw.ratio = r.metrics.wssx / t.stats.sumSq;
            fmts.push_back(r.format);
        }
        if (it.options.empty()) return;
        raw.push_back(std::move(rw));
        names.push_back(t.info.name);
        optionFormats.push_back(std::move(fmts));
        items.push_back(std::move(it));
        paramsTotal += t.info.numel();
    };
    auto report = qs::runWq(params, observer, qs::PngRenderer{}, &progress);
    progress.finish();
    if (!report) return reportError(report.error());

    // With importance: the weighted errors; the others scaled by the median ratio.
    double scale = 1.0;
    int weightedItems = 0;
    if (!params.importance.isEmpty()) {
        std::vector<double> ratios;
        for (const Raw& rw : raw)
            if (rw.weighted && rw.ratio > 0) ratios.push_back(rw.ratio);
        weightedItems = int(ratios.size());
        if (!ratios.empty()) {
            std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2, ratios.end());
            scale = ratios[ratios.size() / 2];
        }
        for (size_t i = 0; i < items.size(); ++i)
            for (size_t k = 0; k < items[i].options.size(); ++k)
                items[i].options[k].sse = raw[i].weighted ? raw[i].wsse[k] : raw[i].sse[k] * scale;
    }

    auto budget = p.isSet("bits") ? qs::budgetFromBits(bits, paramsTotal)
                                  : qs::parseBudget(p.value("budget").toStdString(), paramsTotal);
    if (!budget) return reportError(budget.error());
    auto sol = qs::solvePlan(items, *budget);
    if (!sol) return reportError(sol.error());

    std::string csv = "tensor,format,bytes,sse\n";
    std::string json = "{\n  \"budget_bytes\": " + g9(*budget) + ",\n  \"bytes\": " + g9(sol->bytes) +
                       ",\n  \"sse\": " + g9(sol->sse) + ",\n  \"lower_bound_sse\": " + g9(sol->lowerBound) +
                       ",\n  \"gap\": " + g9(sol->gap()) + ",\n  \"params\": " + std::to_string(paramsTotal) +
                       ",\n  \"bits_per_param\": " + g9(8.0 * sol->bytes / double(std::max<int64_t>(1, paramsTotal))) +
                       ",\n  \"objective\": " + (params.importance.isEmpty() ? std::string("\"sse\"") : std::string("\"weighted_sse\"")) +
                       (params.importance.isEmpty() ? std::string()
                                                    : ",\n  \"importance\": " + jstr(params.importance.toStdString()) +
                                                          ",\n  \"weighted_tensors\": " + std::to_string(weightedItems) +
                                                          ",\n  \"unweighted_scale\": " + g9(scale)) +
                       ",\n  \"tensors\": [";
    for (size_t i = 0; i < items.size(); ++i) {
        const int c = sol->choice[i];
        const auto& o = items[i].options[size_t(c)];
        csv += names[i] + "," + optionFormats[i][size_t(c)] + "," + g9(o.bytes) + "," + g9(o.sse) + "\n";
        json += std::string(i ? "," : "") + "\n    {\"tensor\": " + jstr(names[i]) + ", \"format\": " +
                jstr(optionFormats[i][size_t(c)]) + ", \"bytes\": " + g9(o.bytes) + ", \"sse\": " + g9(o.sse) +
                (params.importance.isEmpty() ? std::string() : std::string(", \"weighted\": ") + (raw[i].weighted ? "true" : "false")) + "}";
    }
    json += "\n  ]\n}\n";
    const QString outDir = p.value("out-dir");
    if (!QDir().mkpath(outDir))
        return reportError(qs::Error::model("plan: cannot create the output folder " + outDir.toStdString()));
    if (auto w = qs::writeFileAtomic(QDir(outDir).filePath("plan.json"), QByteArray::fromStdString(json)); !w)
        return reportError(w.error());
    if (auto w = qs::writeFileAtomic(QDir(outDir).filePath("plan.csv"), QByteArray::fromStdString(csv)); !w)
        return reportError(w.error());
    char line[300];
    std::snprintf(line, sizeof line,
                  "plan: %zu tensors, %.0f of %.0f budget bytes (%.3f bits/param), %ssquared error %.6g, "
                  "gap to the Lagrangian bound %.3g %%\n",
                  items.size(), sol->bytes, *budget, 8.0 * sol->bytes / double(std::max<int64_t>(1, paramsTotal)),
                  params.importance.isEmpty() ? "" : "importance-weighted ", sol->sse,
                  sol->gap() * 100);
    printOut(line);
    return 0;
}
