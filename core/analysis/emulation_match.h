#pragma once
// Emulation match (issue #10): how many values of a quantized checkpoint's dequantized
// view our emulation of the same format reproduces exactly. The view x is read chunk by
// chunk, quantize-dequantized with the layout's emulated format (layouts::emulatedFormat:
// registry name + options, e.g. nvfp4 --nvfp4-convention modelopt) using the tensor-wide
// context of x (absMax over finite values, NaN/Inf seen), and compared with x element by
// element: identical = float32 bit patterns equal, with +0 and -0 counted equal (a
// layout's sign of zero for code 8 is its own convention, not a difference in value).
// A NaN is identical only to the same NaN bits. Counts are exact integers, independent
// of the thread count. Errors: an unknown format or option in the entry (a bug, exit 1),
// "cancelled".
#include "analysis/wq_run.h"
#include "common/progress.h"
#include "common/result.h"
#include "io/layouts/layout.h"
#include "io/model.h"

namespace qs {

Result<EmulationMatch> measureEmulationMatch(const TensorReader& reader, const layouts::EmulatedFormat& emulated,
                                             const QuantContext& context, Progress* progress = nullptr);

// "<tensor>: stored as <layout>; our <format> reproduces N of M values (P %) of the
// dequantized view" (P with two decimals; "–" when M = 0).
std::string emulationMatchLine(const std::string& tensor, const std::string& layout, const EmulationMatch& match);

} // namespace qs
