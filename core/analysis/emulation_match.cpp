// Emulation match: qdq(x) == x per element, over the dequantized view.
#include "analysis/emulation_match.h"

#include "common/parallel.h"
#include "formats/format.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <vector>

namespace qs {

namespace {

// Bitwise equality with +0 == -0.
inline bool identical(float a, float b)
{
    uint32_t x, y;
    std::memcpy(&x, &a, 4);
    std::memcpy(&y, &b, 4);
    return x == y || ((x | y) & 0x7FFFFFFFu) == 0;
}

} // namespace

Result<EmulationMatch> measureEmulationMatch(const TensorReader& reader, const layouts::EmulatedFormat& emulated,
                                             const QuantContext& context, Progress* progress)
{
    const Format* f = findFormat(emulated.format);
    if (!f) return Error::usage("emulation match: no format \"" + emulated.format + "\" in the registry");
    FormatOptions opt;
    for (const auto& [flag, value] : emulated.options)
        if (const std::string e = setFormatOption(opt, flag, value); !e.empty()) return Error::usage("emulation match: " + e);
    EmulationMatch out;
    out.format = emulated.text();
    const int64_t rows = reader.rows(), cols = reader.cols();
    out.total = reader.numel();
    if (rows <= 0 || cols <= 0) return out;
    // Fixed chunks of about 256K values, whole rowAlign bands (FP8 128x128 blocks).
    const int64_t align = std::max(1, f->rowAlign);
    int64_t chunkRows = std::max<int64_t>(1, (int64_t(1) << 18) / cols);
    chunkRows = (chunkRows + align - 1) / align * align;
    const int64_t chunks = (rows + chunkRows - 1) / chunkRows;
    int64_t same = 0;
    std::atomic<bool> cancelled{false};
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : same) if (worthParallel(chunks, rows * cols))
    for (int64_t c = 0; c < chunks; ++c) {
        if (cancelled || (progress && progress->cancelled())) {
            cancelled = true;
            continue;
        }
        const int64_t r0 = c * chunkRows, n = std::min(chunkRows, rows - r0);
        std::vector<float> x(size_t(n * cols)), y(size_t(n * cols));
        reader.readRows(r0, r0 + n, x.data());
        f->fast(x.data(), y.data(), n, cols, context, opt);
        int64_t s = 0;
        for (size_t i = 0; i < x.size(); ++i) s += identical(x[i], y[i]);
        same += s;
    }
    if (cancelled || (progress && progress->cancelled())) return Error{"cancelled", 1};
    out.identical = same;
    return out;
}

std::string emulationMatchLine(const std::string& tensor, const std::string& layout, const EmulationMatch& m)
{
    char pct[32] = "–";
    if (m.total > 0) std::snprintf(pct, sizeof pct, "%.2f", 100.0 * double(m.identical) / double(m.total));
    return tensor + ": stored as " + layout + "; our " + m.format + " reproduces " + std::to_string(m.identical) +
           " of " + std::to_string(m.total) + " values (" + pct + " %) of the dequantized view";
}

} // namespace qs
