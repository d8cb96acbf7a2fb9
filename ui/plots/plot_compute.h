#pragma once
// Computes the plot data structs (plot_data.h) from a tensor reader or from synthetic
// curves. Plain C++ on the format registry and the io reader: no widgets, safe to call
// on any thread. The tensor is streamed in fixed row chunks (OpenMP over chunks, partial
// results merged in chunk order), so results never depend on the thread count and no
// full copy of a large tensor is made.
// Errors: cancel -> Error "cancelled"; a tensor that cannot be decoded is refused by the
// model layer before a reader exists.
#include "analysis/analysis.h"
#include "analysis/synth.h"
#include "metrics/input_weights.h"
#include "common/progress.h"
#include "common/result.h"
#include "metrics/metrics.h"
#include "plots/plot_data.h"

#include <optional>
#include <string>
#include <vector>

namespace qs {

class TensorReader;

// The 2-D matrix a heat map shows: rank 2 as is, rank >= 3 one [H, W] slice of the
// flattened leading axes, rank 1 as (ceil(n/32), 32) row-major, rank 0 as 1 x 1.
struct HeatmapGeometry {
    int64_t rows = 1, cols = 1;    // matrix shown
    int64_t sliceCount = 1;
    bool oneD = false;             // rank <= 1: element i sits at (i / 32, i % 32)
};
HeatmapGeometry heatmapGeometry(const std::vector<int64_t>& shape);

struct TensorScan {
    Stats stats;
    HeatmapData heatmap;
};

// One pass: statistics of the fp32 view and the heat map of slice `slice`
// (at most maxCells cells per axis).
Result<TensorScan> scanTensor(const TensorReader& reader, int64_t slice, int maxCells, Progress* progress);

// The "effective weight" heat map of slice `slice` (issue #18): each element's |W|·√v,
// v = the E[x²] of its input channel (weights describe the tensor's 2-D view), cells the
// largest of their block. Elements whose weight or value is not finite are left out.
// Error for a rank <= 1 tensor (it has no input axis) and when cancelled.
Result<HeatmapData> effectiveHeatmap(const TensorReader& reader, int64_t slice, int maxCells,
                                     const InputWeights& weights, Progress* progress);

// Bins chosen from the data: Scott's rule (3.49 sigma n^(-1/3)) clamped to [10, 400] bins;
// binsOverride > 0 forces a count. A constant tensor gets ±max(|v|·1e-6, 1e-6).
Result<HistogramData> valueHistogram(const TensorReader& reader, const Stats& stats, int binsOverride,
                                     Progress* progress);

// A second model's tensor shown against the first's as one more series (the explorer's
// Compare with…, issue #10): reader holds B's values of the same shape; key/label name it.
struct ComparedSeries {
    const TensorReader* reader = nullptr;
    std::string key = "compare";
    std::string label;
};

// Error (reconstructed − original) histograms per format over a deterministic sample of
// at most maxSample elements (whole tensor when it is smaller): evenly spaced patches of
// 32·k rows x up to 65536 columns, aligned so no format block is cut. 201 shared bins
// over ±(largest |error| of any format).
// With compare: one more series, B − A over the same sample (shared bins).
Result<ErrorHistogramData> errorHistograms(const TensorReader& reader, const Stats& stats,
                                           const std::vector<FormatChoice>& formats, int64_t maxSample,
                                           Progress* progress, const ComparedSeries* compare = nullptr);

// B's transfer curve against A (Compare with…): over a deterministic sample of at most
// maxSample element pairs (evenly spaced whole rows, each cut to maxSample columns; pairs
// with a non-finite side left out), at each x of the grid the B value of the sampled
// element whose A value is nearest (the lower on a tie); NaN with no pair. Labelled
// "<label>" or "<label> (MAE=<mae>)" when mae is given.
Result<PlotCurve> comparedCurve(const TensorReader& a, const ComparedSeries& b, const std::vector<double>& x,
                                int64_t maxSample, const double* mae, Progress* progress);

// WQ.md §6 `plot weights`: `points` values evenly spaced over the tensor's [min, max]
// (constant tensor: ±max(|v|·1e-6, 1e-6)), the Ideal line, and per format the
// reconstruction of those values, labelled "<FORMAT> (MAE=<mae>)" when maes holds the
// tensor's MAE per format (same order), else "<FORMAT>".
CurvePlotData transferCurves(const std::string& tensorName, const Stats& stats,
                             const std::vector<FormatChoice>& formats, int points,
                             const std::vector<double>* maes);

// The staircase curves as a curve plot (WQ.md §6 `plot synth`).
CurvePlotData synthPlotData(const SynthCurves& curves);

// "1.234e-05" (printf %.3e), the MAE / ATOL style of the wq table.
std::string sci3(double v);

} // namespace qs
