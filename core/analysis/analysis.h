#pragma once
// Tensor analysis: quantize-dequantize a tensor's fp32 view in every chosen format and
// compute the error metrics in the same pass (STYLE.md §6-7, WQ.md §4).
//
// The tensor is streamed in fixed row chunks (OpenMP; chunk boundaries depend only on
// the shape, never on the thread count). Each chunk is decoded once into a per-thread
// buffer (or used in place when the stored data is fp32), quantized into a second
// per-thread buffer per format, and folded into one ErrorSums per chunk and format;
// the per-chunk sums are merged in chunk order. No full copy of the tensor is made for
// the "none" compression; "transpose" materialises the transposed fp32 view once.
// Errors: cancelled -> Error "cancelled"; decoding errors from the reader.
#include "common/progress.h"
#include "common/result.h"
#include "formats/format.h"
#include "metrics/input_weights.h"
#include "metrics/metrics.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qs {

class TensorReader;

struct FormatChoice {
    const Format* format = nullptr;
    FormatOptions options;
};

enum class Layout : uint8_t {
    AsStored,    // "none": quantize the tensor as it is
    Transposed,  // "transpose": 2-D swap the axes, N-D reverse all axes (WQ.md §5)
};

struct FormatResult {
    const Format* format = nullptr;
    Metrics metrics;
    double bytes = 0;    // payload bytes of the tensor in this format (formats/format.h payloadBytes)
    double seconds = 0;  // wall time spent quantizing + measuring this format
};

struct TensorAnalysis {
    Stats stats;                       // of the fp32 view (finite values)
    std::vector<FormatResult> results; // one per FormatChoice, same order
    double seconds = 0;
    // analyzeBands only: the error sums of each band, [format][band] (same shift).
    std::vector<std::vector<ErrorSums>> bandSums;
};


// Analyzes rows/cols 2-D data provided by a reader (the common path).
// weights (optional): importance weights of the view as analysed (the transposed view for
// Layout::Transposed); the results then carry wsqnr/wrel.
Result<TensorAnalysis> analyzeTensor(const TensorReader& reader, const std::vector<FormatChoice>& formats,
                                     Layout layout, Progress* progress = nullptr,
                                     const InputWeights* weights = nullptr);

// Banded analysis (--sample, analysis/sampling.h): the reader's view is a run of bands of
// bandRows rows (the last may be shorter); no chunk straddles a band, and the result also
// carries each band's error sums per format. bandRows must be a multiple of every
// format's rowAlign. Stats and the per-tensor context (absMax) are those of the bands.
Result<TensorAnalysis> analyzeBands(const TensorReader& reader, int64_t bandRows,
                                    const std::vector<FormatChoice>& formats, Progress* progress = nullptr,
                                    const InputWeights* weights = nullptr);

// Analyzes an fp32 array already in memory (GUI, tests, transposed views).
Result<TensorAnalysis> analyzeArray(const float* data, int64_t rows, int64_t cols,
                                    const std::vector<FormatChoice>& formats, Progress* progress = nullptr,
                                    const InputWeights* weights = nullptr);

// The fixed chunks analyzeTensor walks a rows x cols view in for these formats: whole
// rows, or row bands cut into column segments of whole blocks (depends on the shape and
// the formats only). Other walks over the same view (diff) use it to read in step.
struct ViewChunk {
    int64_t r0, r1, c0, c1;
    int64_t elems() const { return (r1 - r0) * (c1 - c0); }
};
std::vector<ViewChunk> planViewChunks(int64_t rows, int64_t cols, const std::vector<FormatChoice>& formats);

// The transposed fp32 view of a tensor of the given shape (2-D swap, N-D all axes
// reversed, rank <= 1 unchanged), read chunk by chunk from the reader.
std::vector<float> readTransposed(const TensorReader& reader, std::vector<int64_t>* transposedShape);

} // namespace qs
