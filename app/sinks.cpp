#include "sinks.h"

#include "cli_support.h"

#include "analysis/assignment_io.h"
#include "compression/planner.h"
#include "plots/atlas_plot.h"

#include <QDir>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

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

int writeAtlasOutputs(const qs::WqReport& report, qs::AtlasMetric metric, const QString& outDir)
{
    std::vector<qs::AtlasEntry> entries;
    for (const qs::WqTensor& t : report.tensors)
        for (const qs::WqRow& r : t.rows) {
            if (r.compression != "none") continue;
            qs::AtlasEntry e;
            e.tensor = t.info.name;
            e.format = r.format;
            e.numel = t.info.numel();
            e.metrics = r.metrics;
            if (r.estimate && !r.estimate->exact) {  // --sample: an estimate, with its intervals
                e.estimate = true;
                e.pccCi = r.estimate->pcc;
                e.maeCi = r.estimate->mae;
                e.sqnrCi = r.estimate->sqnrDb;
            }
            entries.push_back(std::move(e));
        }
    qs::Atlas atlas = qs::buildAtlas(entries, metric, 20);
    if (report.sample) atlas.sampleFraction = report.sample->fraction, atlas.sampleSeed = report.sample->seed;
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

qs::Result<PlanRequest> planRequest(bool bitsSet, const QString& bits, bool budgetSet, const QString& budget)
{
    if (bitsSet == budgetSet) return qs::Error::usage("give exactly one of --budget SIZE and --bits B");
    PlanRequest r;
    r.byBits = bitsSet;
    r.budget = budget;
    if (bitsSet) {
        bool ok = false;
        r.bits = bits.toDouble(&ok);
        if (!ok || !(r.bits > 0))
            return qs::Error::usage("--bits: expected a positive number, got \"" + bits.toStdString() + "\"");
    }
    return r;
}

int writePlanOutputs(const qs::WqReport& report, const PlanRequest& request, const QString& outDir)
{
    std::vector<std::string> names;
    std::vector<std::vector<std::string>> optionFormats;
    std::vector<qs::PlanItem> items;
    int64_t paramsTotal = 0;
    // With importance (#18) the objective is Σd²v; a tensor without importance counts Σd²
    // times the median Σx²v / Σx² of the weighted tensors (a neutral scale).
    const bool weightedRun = report.importance.has_value();
    std::vector<std::vector<double>> unweighted;  // per item, per option: Σd²
    std::vector<char> weighted;                   // per item
    std::vector<double> ratios;
    for (const qs::WqTensor& t : report.tensors) {
        qs::PlanItem it;
        std::vector<std::string> fmts;
        std::vector<double> sse;
        bool w = weightedRun;  // a tensor without importance has NaN weighted sums
        double ratio = 0;
        for (const qs::WqRow& r : t.rows) {
            if (r.compression != "none") continue;
            it.options.push_back({r.bytes, r.metrics.sse});
            sse.push_back(r.metrics.sse);
            if (!std::isfinite(r.metrics.wsse) || !std::isfinite(r.metrics.wssx)) w = false;
            if (w) it.options.back().sse = r.metrics.wsse;
            if (w && t.stats.sumSq > 0) ratio = r.metrics.wssx / t.stats.sumSq;
            fmts.push_back(r.format);
        }
        if (it.options.empty()) continue;
        if (w && ratio > 0) ratios.push_back(ratio);
        names.push_back(t.info.name);
        optionFormats.push_back(std::move(fmts));
        items.push_back(std::move(it));
        unweighted.push_back(std::move(sse));
        weighted.push_back(w);
        paramsTotal += t.info.numel();
    }
    double scale = 1.0;
    if (weightedRun) {
        if (!ratios.empty()) {
            std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2, ratios.end());
            scale = ratios[ratios.size() / 2];
        }
        for (size_t i = 0; i < items.size(); ++i)
            if (!weighted[i])
                for (size_t k = 0; k < items[i].options.size(); ++k) items[i].options[k].sse = unweighted[i][k] * scale;
    }
    auto budget = request.byBits ? qs::budgetFromBits(request.bits, paramsTotal)
                                 : qs::parseBudget(request.budget.toStdString(), paramsTotal);
    if (!budget) return reportError(budget.error());
    auto sol = qs::solvePlan(items, *budget);
    if (!sol) return reportError(sol.error());

    std::string csv = "tensor,format,bytes,sse\n";
    std::string json = "{\n  \"budget_bytes\": " + g9(*budget) + ",\n  \"bytes\": " + g9(sol->bytes) +
                       ",\n  \"sse\": " + g9(sol->sse) + ",\n  \"lower_bound_sse\": " + g9(sol->lowerBound) +
                       ",\n  \"gap\": " + g9(sol->gap()) + ",\n  \"params\": " + std::to_string(paramsTotal) +
                       ",\n  \"bits_per_param\": " + g9(8.0 * sol->bytes / double(std::max<int64_t>(1, paramsTotal))) +
                       (report.sample ? ",\n  \"estimated\": true,\n  \"sample\": {\"fraction\": " + g9(report.sample->fraction) +
                                            ", \"seed\": " + std::to_string(report.sample->seed) + "}"
                                      : std::string(",\n  \"estimated\": false")) +
                       ",\n  \"objective\": " + (weightedRun ? std::string("\"weighted_sse\"") : std::string("\"sse\"")) +
                       (weightedRun ? ",\n  \"importance\": " + jstr(report.importance->source) + ",\n  \"weighted_tensors\": " +
                                          std::to_string(ratios.size()) + ",\n  \"unweighted_scale\": " + g9(scale)
                                    : std::string()) +
                       ",\n  \"tensors\": [";
    for (size_t i = 0; i < items.size(); ++i) {
        const int c = sol->choice[i];
        const auto& o = items[i].options[size_t(c)];
        csv += names[i] + "," + optionFormats[i][size_t(c)] + "," + g9(o.bytes) + "," + g9(o.sse) + "\n";
        json += std::string(i ? "," : "") + "\n    {\"tensor\": " + jstr(names[i]) + ", \"format\": " +
                jstr(optionFormats[i][size_t(c)]) + ", \"bytes\": " + g9(o.bytes) + ", \"sse\": " + g9(o.sse) +
                (weightedRun ? std::string(", \"weighted\": ") + (weighted[i] ? "true" : "false") : std::string()) + "}";
    }
    json += "\n  ]\n}\n";
    if (!QDir().mkpath(outDir))
        return reportError(qs::Error::model("plan: cannot create the output folder " + outDir.toStdString()));
    if (auto w = qs::writeFileAtomic(QDir(outDir).filePath("plan.json"), QByteArray::fromStdString(json)); !w)
        return reportError(w.error());
    if (auto w = qs::writeFileAtomic(QDir(outDir).filePath("plan.csv"), QByteArray::fromStdString(csv)); !w)
        return reportError(w.error());
    char line[300];
    std::snprintf(line, sizeof line,
                  "plan: %zu tensors, %.0f of %.0f budget bytes (%.3f bits/param), %s%ssquared error %.6g, "
                  "gap to the Lagrangian bound %.3g %%\n",
                  items.size(), sol->bytes, *budget, 8.0 * sol->bytes / double(std::max<int64_t>(1, paramsTotal)),
                  report.sample ? "estimated " : "", weightedRun ? "importance-weighted " : "", sol->sse,
                  sol->gap() * 100);
    printOut(line);
    return 0;
}
