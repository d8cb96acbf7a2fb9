#pragma once
// The data of every plot, as plain structs (no widgets). Jobs compute them off the UI
// thread (plot_compute.h); the builders (plot_builders.h) only draw them. The headless
// `quantscope plot` commands and the explorer use the same structs and builders, so a
// PNG from either is the same picture for the same inputs and size.
#include <cstdint>
#include <string>
#include <vector>

namespace qs {

// One line of a curve plot.
struct PlotCurve {
    std::string key;    // stable id ("ideal", "bfp8", "bfp8_rand" ...): picks the colour
    std::string label;  // legend text
    std::vector<double> y;
    bool reference = false;  // the Ideal line: drawn dashed and dark
};

// A set of curves over one x grid: the transfer curve (`plot weights`) and the
// synthetic staircase (`plot synth`).
struct CurvePlotData {
    std::string title;
    std::string xLabel;
    std::string yLabel;
    std::vector<double> x;
    std::vector<PlotCurve> curves;
    bool stepped = false;  // staircase look for the synth curves
};

// Value histogram of a tensor: `counts.size()` equal bins over [lo, hi].
struct HistogramData {
    std::string title;
    double lo = 0, hi = 1;
    std::vector<double> counts;
    int64_t total = 0;     // finite values binned
    bool logY = false;
    std::string binRule;   // how the bin count was chosen ("Scott, 212 bins")
};

// Error histograms, one series per format, shared bins over [lo, hi].
struct ErrorHistogramData {
    std::string title;
    double lo = -1, hi = 1;
    int bins = 0;
    struct Series {
        std::string key;
        std::string label;
        std::vector<double> counts;
    };
    std::vector<Series> series;
    int64_t sampled = 0;   // elements the histograms cover
    int64_t total = 0;     // elements of the tensor
    bool logY = true;
};

// A 2-D heat map of a matrix (or one slice of a higher-rank tensor), downsampled by
// block max-abs: each cell holds the signed value of the largest-magnitude element of
// its rows x cols block (block 1 x 1 when the matrix is small enough).
struct HeatmapData {
    std::string title;
    int64_t rows = 0, cols = 0;          // the matrix shown (source resolution)
    int64_t blockRows = 1, blockCols = 1;
    int nx = 0, ny = 0;                  // cells
    std::vector<float> cells;            // ny * nx, row-major (cells[iy * nx + ix])
    float absMax = 0;                    // largest |cell|
    float colorRange = 0;                // symmetric colour range: 99.5th percentile of |cell|
                                         // (outliers saturate instead of washing out the map)
    int64_t slice = 0, sliceCount = 1;   // which leading-index slice (rank >= 3)
    std::string note;                    // e.g. "1-D tensor shown as (ceil(n/32), 32)"
    // Effective weight (issue #18): cells hold the largest |W|·√E[x²] of their block
    // (>= 0, a sequential colour scale from 0) instead of the signed value.
    bool effective = false;
};

} // namespace qs
