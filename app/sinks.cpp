#include "sinks.h"

#include "cli_support.h"

#include "analysis/assignment_io.h"
#include "analysis/model_sinks.h"
#include "compression/mixed.h"
#include "compression/planner.h"
#include "plots/atlas_plot.h"
#include "plots/plan_plot.h"

#include <QDir>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

int writeAtlasOutputs(const qs::WqReport& report, qs::AtlasMetric metric, const QString& outDir)
{
    const std::vector<qs::AtlasEntry> entries = qs::atlasEntries(report.tensors);
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
        // The 20 most sensitive tensors of this format (issue #11 §1): atlas_top_<format>.txt.
        std::vector<qs::AtlasEntry> one;
        for (const qs::AtlasEntry& e : entries)
            if (e.format == atlas.formats[f]) one.push_back(e);
        const QString top = dir.filePath(QString::fromStdString("atlas_top_" + qs::slugify(atlas.formats[f]) + ".txt"));
        if (auto w = qs::writeFileAtomic(top, QByteArray::fromStdString(qs::atlasReport(qs::buildAtlas(one, metric, 20)))); !w)
            return reportError(w.error());
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

int writePlanOutputs(const qs::WqReport& report, const PlanRequest& request, const QString& outDir,
                     const std::vector<qs::TilePlanTensor>* tiles)
{
    // With importance (#18) the objective is Σd²v (analysis/model_sinks.h).
    const bool weightedRun = report.importance.has_value();
    const qs::PlanInput in = qs::planInput(report.tensors, weightedRun);
    auto budget = request.byBits ? qs::budgetFromBits(request.bits, in.params)
                                 : qs::parseBudget(request.budget.toStdString(), in.params);
    if (!budget) return reportError(budget.error());
    const std::string importance = weightedRun ? report.importance->source : std::string();
    if (!QDir().mkpath(outDir))
        return reportError(qs::Error::model("plan: cannot create the output folder " + outDir.toStdString()));
    const QDir dir(outDir);

    qs::PlanFile plan;
    qs::PlanCurveData curve;
    if (!tiles) {
        auto sol = qs::solvePlan(in.items, *budget);
        if (!sol) return reportError(sol.error());
        plan = qs::planFileOf(in, *sol, *budget, importance);
        curve.curve = qs::planCurve(in.items);
        curve.uniform = qs::uniformPoints(in);
    } else {
        std::vector<qs::TilePlanTensor> scaled = *tiles;
        if (weightedRun) qs::rescaleUnweighted(scaled, in.unweightedScale);
        std::vector<const qs::Format*> formats;
        for (const std::string& f : report.formats) formats.push_back(qs::findFormat(f));
        auto tp = qs::solveTilePlan(scaled, formats, *budget);
        if (!tp) return reportError(tp.error());
        plan.granularity = "tile";
        plan.budgetBytes = *budget;
        plan.totalBytes = tp->totalBytes;
        plan.totalError = tp->totalSse;
        plan.lowerBound = tp->lowerBound;
        plan.params = in.params;
        plan.objective = weightedRun ? "weighted_sse" : "sse";
        if (weightedRun) {
            plan.importance = importance;
            plan.weightedTensors = int64_t(in.weightedTensors);
            plan.unweightedScale = in.unweightedScale;
        }
        // Assignments as a mixed-tile run writes them; a tensor whose tiles all took one
        // format is planned as that format (no file).
        const QString tileDir = dir.filePath("plan_tiles");
        std::set<std::string> usedSlugs;
        for (size_t i = 0; i < scaled.size(); ++i) {
            const qs::TilePlanTensor& t = scaled[i];
            qs::PlanChoice c;
            c.tensor = t.name;
            c.bytes = tp->bytes[i];
            c.error = tp->sse[i];
            if (weightedRun) c.weighted = t.weighted;
            const auto& counts = tp->counts[i];
            const auto one = std::find(counts.begin(), counts.end(), t.tilesH * t.tilesW);
            if (one != counts.end()) {
                c.format = report.formats[size_t(one - counts.begin())];
            } else {
                c.format = "mixed";
                c.candidates = report.formats;
                const std::string slug = qs::uniqueSlug(t.name, usedSlugs);
                c.assignment = "plan_tiles/" + slug + "_assignment.npy";
                if (auto w = qs::writeAssignmentNpy(dir.filePath(QString::fromStdString(c.assignment)), tp->assignment[i],
                                                    t.tilesH, t.tilesW); !w)
                    return reportError(w.error());
                qs::AssignmentMapping mapping;
                mapping.formats = report.formats;
                mapping.tilesH = t.tilesH;
                mapping.tilesW = t.tilesW;
                mapping.tensor = t.name;
                mapping.tensorShape = t.shape;
                mapping.options = report.options;
                if (auto w = qs::writeAssignmentMapping(QDir(tileDir).filePath(QString::fromStdString(slug + "_assignment_mapping.json")),
                                                        mapping); !w)
                    return reportError(w.error());
            }
            plan.choices.push_back(std::move(c));
        }
        curve.curve = qs::planCurve(tp->items);
        for (size_t f = 0; f < formats.size(); ++f) {
            qs::UniformPoint u{report.formats[f]};
            for (const qs::TilePlanTensor& t : scaled) {
                u.bytes += qs::deviceBytes(*formats[f], t.shape);
                for (double v : t.sse[f]) u.sse += v;
                ++u.tensors;
            }
            curve.uniform.push_back(u);
        }
    }
    plan.model = report.repo.toStdString();
    plan.revision = report.revision.toStdString();
    plan.estimated = report.sample.has_value();
    if (report.sample) plan.sampleFraction = report.sample->fraction, plan.sampleSeed = report.sample->seed;
    if (auto w = qs::writePlanFile(plan, dir.filePath("plan.json")); !w) return reportError(w.error());
    if (auto w = qs::writeFileAtomic(dir.filePath("plan.csv"), QByteArray::fromStdString(qs::planCsv(plan))); !w)
        return reportError(w.error());
    curve.budget = *budget;
    curve.chosenBytes = plan.totalBytes;
    curve.chosenSse = plan.totalError;
    curve.errorLabel = weightedRun ? "importance-weighted squared error" : "squared error";
    curve.title = plan.model + ": total " + curve.errorLabel + " against size (" + plan.granularity + " plan)";
    if (auto w = qs::renderPlanCurve(curve, dir.filePath("plan_curve.png")); !w) return reportError(w.error());
    char line[400];
    const double gap = plan.totalError > 0 ? (plan.totalError - plan.lowerBound) / plan.totalError : 0.0;
    std::snprintf(line, sizeof line,
                  "plan: %zu tensors%s, %.0f of %.0f budget bytes (%.3f bits/param), %s%ssquared error %.6g, "
                  "gap to the Lagrangian bound %.3g %%\n",
                  plan.choices.size(), tiles ? " in 32x32 tiles" : "", plan.totalBytes, *budget,
                  8.0 * plan.totalBytes / double(std::max<int64_t>(1, plan.params)),
                  plan.estimated ? "estimated " : "", weightedRun ? "importance-weighted " : "", plan.totalError, gap * 100);
    printOut(line);
    return 0;
}
