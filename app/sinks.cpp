#include "sinks.h"

#include "cli_support.h"

#include "analysis/assignment_io.h"
#include "analysis/model_sinks.h"
#include "compression/planner.h"
#include "plots/atlas_plot.h"

#include <QDir>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

int writeAtlasOutputs(const qs::WqReport& report, qs::AtlasMetric metric, const QString& outDir)
{
    qs::Atlas atlas = qs::buildAtlas(qs::atlasEntries(report.tensors), metric, 20);
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
    // With importance (#18) the objective is Σd²v (analysis/model_sinks.h).
    const bool weightedRun = report.importance.has_value();
    const qs::PlanInput in = qs::planInput(report.tensors, weightedRun);
    auto budget = request.byBits ? qs::budgetFromBits(request.bits, in.params)
                                 : qs::parseBudget(request.budget.toStdString(), in.params);
    if (!budget) return reportError(budget.error());
    auto sol = qs::solvePlan(in.items, *budget);
    if (!sol) return reportError(sol.error());
    const std::string json =
        qs::planJson(in, *sol, *budget, weightedRun ? report.importance->source : std::string(), report.sample);
    const std::string csv = qs::planCsv(in, *sol);
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
                  in.items.size(), sol->bytes, *budget, 8.0 * sol->bytes / double(std::max<int64_t>(1, in.params)),
                  report.sample ? "estimated " : "", weightedRun ? "importance-weighted " : "", sol->sse,
                  sol->gap() * 100);
    printOut(line);
    return 0;
}
