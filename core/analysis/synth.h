#pragma once
// Synthetic amax "staircase" curves (WQ.md §6, `quantscope plot synth`): for every x of
// a grid, how a value x is reconstructed when it is the largest magnitude of its block.
// Plain C++ on top of the format registry; the GUI's staircase panel and the headless
// plot command both call makeSynthCurves, so their curves are identical.
//
// Curves (in -c order after IDEAL), chosen from registry facts, not from names:
//  * IDEAL: y = x.
//  * a format F with a registered twin "<F>_ideal" (the block floats): two curves,
//    "<F> (ideal exp)" = the twin applied to x, and "<F> (rand<K> exp)" = the mean over
//    randSamples rows of F applied to a K-element row (K = F.blockK) whose other values
//    are uniform in [0, x) and where x sits at a random position; y = |row[pos]|.
//  * any other format: F applied to a block whose largest magnitude is x (the other
//    elements 0, which never raise the block maximum); a format that needs the per-tensor
//    amax (NVFP4, per-tensor FP8) gets the amax of the whole plotted grid.
// Random stream: SplitMix64 seeded with `seed` once per curve and consumed across the xs
// in order (x = 0 gives 0 without drawing). Each sample draws 15 uniforms
// u = (r >> 40) * 2^-24 in [0,1) (row value float32(u) * x) then the position r % K.
// The reference used NumPy's PCG64; since x is its row's maximum the shared exponent is
// x's own, so the mean equals the reconstruction of x alone and the curve matches the
// reference's bit for bit whatever the stream.
// Errors: unknown format / bad parameters -> Error (exit 1); cancel -> Error "cancelled".
#include "analysis/analysis.h"
#include "common/progress.h"
#include "common/result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qs {

struct SynthParams {
    std::vector<float> xs;                // the grid; empty -> linspaceF32(0, 1, 400)
    std::vector<FormatChoice> formats;    // empty -> the original seven (-c all)
    int randSamples = 100;                // rows averaged per x for the rand curves (>= 1)
    uint64_t seed = 0;
};

struct SynthCurve {
    std::string key;    // stable id: "ideal", "bf16", "bfp8_ideal", "bfp8_rand", "mxfp4" ...
    std::string label;  // legend / CSV column: "IDEAL", "BFP8 (rand16 exp)", "MXFP4 (ref)" ...
    std::string format; // registry name of the format drawn ("" for IDEAL)
    std::vector<float> y;
};

struct SynthCurves {
    std::vector<float> x;
    std::vector<SynthCurve> curves;
    int randSamples = 0;
    uint64_t seed = 0;

    const SynthCurve* find(const std::string& key) const;
};

// np.linspace(start, stop, num, dtype=float32): computed in double, rounded to float.
std::vector<float> linspaceF32(double start, double stop, int num);

Result<SynthCurves> makeSynthCurves(const SynthParams& params, Progress* progress = nullptr);

// The curves as CSV: header "x,<label>,...", one row per x, values printed with
// "%.9g" (round-trips float32). Labels containing ',' or '"' are quoted.
std::string synthCsv(const SynthCurves& curves);

} // namespace qs
