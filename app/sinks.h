#pragma once
// The outputs of atlas and plan made from a finished report's rows, shared by the
// commands themselves and by `merge` (which rebuilds the report from shard folders), so
// a merged atlas or plan is written by the same code as a single run's.
// Each returns the process exit status and prints its own errors and report.
#include "analysis/atlas.h"
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
// plan.json and plan.csv in outDir; the plan line on stdout.
int writePlanOutputs(const qs::WqReport& report, const PlanRequest& request, const QString& outDir);
