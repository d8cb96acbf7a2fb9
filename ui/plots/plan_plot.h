#pragma once
// The plan's whole-model curve (issue #11 §2, plan_curve.png): total device bytes (x)
// against total squared error (y, log) as the planner's Lagrangian sweep traces it, each
// uniform format a labelled point, the budget a dashed vertical line and the chosen plan
// a star. Builder like plot_builders.h; renderPlanCurve writes the PNG (temporary name +
// rename; errors name the file).
#include "analysis/model_sinks.h"
#include "common/result.h"

#include <QString>

class QCustomPlot;

namespace qs {

void buildPlanCurvePlot(QCustomPlot* plot, const PlanCurveData& data);
Result<void> renderPlanCurve(const PlanCurveData& data, const QString& path);

} // namespace qs
