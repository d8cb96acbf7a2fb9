#pragma once
// The outputs of atlas and plan made from a finished report's rows, shared by the
// commands themselves and by `merge` (which rebuilds the report from shard folders), so
// a merged atlas or plan is written by the same code as a single run's.
// Each returns the process exit status and prints its own errors and report.
#include "analysis/atlas.h"
#include "analysis/tile_plan.h"
#include "analysis/wq_run.h"

#include <QString>

// atlas.json, atlas.csv, atlas_<format>.png in outDir; the top-20 on stdout.
int writeAtlasOutputs(const qs::WqReport& report, qs::AtlasMetric metric, const QString& outDir);

// The plan's budget as the command line gave it: --bits B or --budget SIZE.
struct PlanRequest {
    bool byBits = false;
    double bits = 0;
    QString budget;
};
// --bits/--budget as given: the request, or a usage error (exit 1 message).
qs::Result<PlanRequest> planRequest(bool bitsSet, const QString& bits, bool budgetSet, const QString& budget);
// plan.json (the plan file, analysis/plan_file.h), plan.csv and plan_curve.png in outDir;
// the plan line on stdout. tiles (the run's per-tile errors, WqParams::tileSums) given:
// the plan at tile granularity, its assignments in outDir/plan_tiles/ (<slug>_assignment.npy
// and its mapping JSON, as a mixed-tile run writes them).
int writePlanOutputs(const qs::WqReport& report, const PlanRequest& request, const QString& outDir,
                     const std::vector<qs::TilePlanTensor>* tiles = nullptr);
