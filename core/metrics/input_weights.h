#pragma once
// Per-element importance weights of a tensor's 2-D view (issue #18): element (r, c)
// weighs the E[x²] of its input channel. Two shapes cover every layout:
//   columns (input on the view's last axis: nn.Linear [out, in], stacked [E, out, in]):
//     w(r, c) = v[(r / rowsPerMatrix) * nIn + c];
//   rows (input on the view's rows: gpt-oss fused [E, in, out], a transposed [out, in]):
//     w(r, c) = v[r]  (v holds nMat * nIn values, matrix-major).
// The analysis view and the 32x32 tile view of a rank >= 2 tensor are the same
// [prod(leading), last] rows x columns, so one description serves both.
// A matrix without calibration data would hold NaN (every weighted sum it touches is
// NaN: n/a, never computed from ones or zeros). Plain C++20, header only.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace qs {

struct InputWeights {
    bool alongRows = false;
    int64_t nIn = 0;
    int64_t rowsPerMatrix = 0;   // columns mode only
    std::vector<float> v;

    // The weights of rows [r0, r1) x columns [c0, c1), row-major.
    void fill(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const
    {
        const int64_t width = c1 - c0;
        for (int64_t r = r0; r < r1; ++r, out += width) {
            if (alongRows) {
                std::fill(out, out + width, v[size_t(r)]);
            } else {
                const float* row = v.data() + (r / rowsPerMatrix) * nIn + c0;
                std::copy(row, row + width, out);
            }
        }
    }
    // The weights of chosen rows of the view, as the rows' own view ([Σ rows, nIn]): rows
    // are (r0, r1) pairs, sorted (--sample reads only those rows).
    InputWeights subsetRows(const std::vector<std::pair<int64_t, int64_t>>& rows) const
    {
        InputWeights w;
        w.alongRows = alongRows;
        w.nIn = nIn;
        w.rowsPerMatrix = 1;
        for (const auto& [r0, r1] : rows)
            for (int64_t r = r0; r < r1; ++r) {
                if (alongRows) w.v.push_back(v[size_t(r)]);
                else {
                    const float* row = v.data() + (r / rowsPerMatrix) * nIn;
                    w.v.insert(w.v.end(), row, row + nIn);
                }
            }
        return w;
    }
    // v ≡ 1 over a view of `cols` columns: weighted metrics equal the unweighted ones.
    static InputWeights uniform(int64_t cols, int64_t rows)
    {
        InputWeights w;
        w.nIn = cols;
        w.rowsPerMatrix = std::max<int64_t>(1, rows);
        w.v.assign(size_t(std::max<int64_t>(cols, 0)), 1.0f);
        return w;
    }
};

} // namespace qs
