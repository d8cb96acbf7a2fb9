// The format registry (format.h): one row per format, in display order, and the
// chunked OpenMP driver quantizeDequantize().
#include <algorithm>
#include "common/parallel.h"
#include <cctype>
#include <cmath>
#include <cstring>
#include <numeric>

#include <omp.h>

#include "formats/format.h"
#include "formats/kernels.h"

namespace qs {

namespace kernels {

// fp0 (FORMATS.md §4): every element becomes +0.0, including -0, NaN and Inf.
void fp0(const float*, float* out, int64_t rows, int64_t cols, const QuantContext&, const FormatOptions&)
{
    std::memset(out, 0, size_t(rows * cols) * sizeof(float));
}

} // namespace kernels

namespace {

using namespace kernels;

// name, label, description, bits/element, bytes/tensor, blockK, rowAlign, needsAbsMax,
// tileFormat, original, reference, fast
const Format kFormats[] = {
    {"bf16", "BF16", "bfloat16 (E8M7), round to nearest even; reference NaN bit trick", 16.0, 0, 1, 1, false,
     true, true, bf16Ref, bf16Fast},
    {"bfp8", "BFP8", "Tenstorrent bfloat8_b: 16-element groups along K, shared 8-bit exponent, 7-bit magnitude",
     8.5, 0, 16, 1, false, true, true, bfp8Ref, bfp8Fast},
    {"bfp4", "BFP4", "Tenstorrent bfloat4_b: 16-element groups along K, shared 8-bit exponent, 3-bit magnitude",
     4.5, 0, 16, 1, false, true, true, bfp4Ref, bfp4Fast},
    {"bfp2", "BFP2", "Tenstorrent bfloat2_b: 16-element groups along K, shared 8-bit exponent, 1-bit magnitude",
     2.5, 0, 16, 1, false, true, true, bfp2Ref, bfp2Fast},
    {"fp0", "FP0", "every weight becomes zero (0 bits)", 0.0, 0, 1, 1, false, true, true, fp0, fp0},
    {"mxfp4", "MXFP4", "OCP MXFP4: E2M1 elements, 32-element blocks along K, E8M0 scale", 4.25, 0, 32, 1, false,
     true, true, mxfp4Ref, mxfp4Fast},
    {"nvfp4", "NVFP4",
     "NVIDIA NVFP4: E2M1 elements, 16-element blocks along K, E4M3 block scale, FP32 tensor scale", 4.5, 4, 16,
     16, true, true, true, nvfp4Ref, nvfp4Fast},
    {"mxfp4_proxy", "MXFP4 (ref)",
     "the original tool's per-element MXFP4 stand-in (scale 2^ceil(log2(|x|/6)), no block sharing)", 4.25, 0, 1,
     1, false, false, false, mxfp4ProxyRef, mxfp4ProxyFast},
    {"nvfp4_proxy", "NVFP4 (ref)",
     "the original tool's per-element NVFP4 stand-in (240-max E4M3 scale of |x|/6, no tensor scale)", 4.5, 0, 1,
     1, false, false, false, nvfp4ProxyRef, nvfp4ProxyFast},
    {"bfp8_ideal", "BFP8 (ideal exp)", "bfp8 with a per-element exponent (the original's ideal curve)", 8.5, 0, 1,
     1, false, false, false, bfp8IdealRef, bfp8IdealFast},
    {"bfp4_ideal", "BFP4 (ideal exp)", "bfp4 with a per-element exponent (the original's ideal curve)", 4.5, 0, 1,
     1, false, false, false, bfp4IdealRef, bfp4IdealFast},
    {"bfp2_ideal", "BFP2 (ideal exp)", "bfp2 with a per-element exponent (the original's ideal curve)", 2.5, 0, 1,
     1, false, false, false, bfp2IdealRef, bfp2IdealFast},
    {"fp8_e4m3", "FP8_E4M3", "OCP FP8 E4M3FN (max 448), saturating cast; per-tensor or 128x128 scaling options",
     8.0, 0, 1, 128, true, false, false, fp8E4m3Ref, fp8E4m3Fast},
    {"fp8_e5m2", "FP8_E5M2", "OCP FP8 E5M2 (max 57344), saturating cast; per-tensor or 128x128 scaling options",
     8.0, 0, 1, 128, true, false, false, fp8E5m2Ref, fp8E5m2Fast},
    {"mxfp8", "MXFP8", "OCP MXFP8: E4M3 elements, 32-element blocks along K, E8M0 scale", 8.25, 0, 32, 1, false,
     false, false, mxfp8Ref, mxfp8Fast},
    {"mxfp8_e5m2", "MXFP8_E5M2", "OCP MXFP8 with E5M2 elements, 32-element blocks along K, E8M0 scale", 8.25, 0,
     32, 1, false, false, false, mxfp8E5m2Ref, mxfp8E5m2Fast},
    {"mxfp6", "MXFP6", "OCP MXFP6: E2M3 elements, 32-element blocks along K, E8M0 scale", 6.25, 0, 32, 1, false,
     false, false, mxfp6Ref, mxfp6Fast},
    {"mxfp6_e3m2", "MXFP6_E3M2", "OCP MXFP6 with E3M2 elements, 32-element blocks along K, E8M0 scale", 6.25, 0,
     32, 1, false, false, false, mxfp6E3m2Ref, mxfp6E3m2Fast},
    // Emulated integer formats (docs/CHECKPOINTS.md): compressed-tensors' RTN on a bf16
    // model; bf16 scales (16 bits), asymmetric zero points packed in 4 bits.
    {"int8", "INT8",
     "int8 per output channel (one bf16 scale per row), symmetric absmax/127.5, compressed-tensors RTN", 8.0, 0, 1,
     1, false, false, false, int8Ref, int8Fast, 0, 16},
    {"int4_g128", "INT4 g128",
     "int4 in groups of 128 along K, symmetric absmax/7.5, bf16 scale, compressed-tensors RTN", 4.125, 0, 128, 1,
     false, false, false, int4g128Ref, int4g128Fast, 16, 0},
    {"int4_g128_asym", "INT4 g128 asym",
     "int4 in groups of 128 along K, (max-min)/15 bf16 scale and a 4-bit zero point, compressed-tensors RTN",
     4.15625, 0, 128, 1, false, false, false, int4g128AsymRef, int4g128AsymFast, 20, 0},
    {"int4_g32", "INT4 g32",
     "int4 in groups of 32 along K, symmetric absmax/7.5, bf16 scale, compressed-tensors RTN", 4.5, 0, 32, 1, false,
     false, false, int4g32Ref, int4g32Fast, 16, 0},
    {"int4_g32_asym", "INT4 g32 asym",
     "int4 in groups of 32 along K, (max-min)/15 bf16 scale and a 4-bit zero point, compressed-tensors RTN", 4.625,
     0, 32, 1, false, false, false, int4g32AsymRef, int4g32AsymFast, 20, 0},
};

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// The per-tensor facts of QuantContext: max |x| over the finite elements, and whether a
// NaN / an Inf occurs (max and or are order-independent, so any chunking gives the same).
QuantContext tensorContext(const float* in, int64_t n)
{
    float result = 0.0f;
    bool nan = false, inf = false;
#pragma omp parallel for reduction(max : result) reduction(|| : nan, inf) schedule(static) if (worthParallel(n / 65536 + 1, n))
    for (int64_t i = 0; i < n; ++i) {
        const float a = std::fabs(in[i]);
        if (a <= 3.4028235e38f) {
            if (a > result) result = a;
        } else {
            nan = nan || a != a;
            inf = inf || a == a;
        }
    }
    QuantContext ctx;
    ctx.absMax = result;
    ctx.hasNan = nan;
    ctx.hasInf = inf;
    return ctx;
}

} // namespace

std::span<const Format> formats()
{
    return kFormats;
}

const Format* findFormat(std::string_view name)
{
    for (const Format& f : kFormats)
        if (equalsIgnoreCase(f.name, name))
            return &f;
    return nullptr;
}

std::string formatNameList()
{
    std::string s;
    for (const Format& f : kFormats) {
        if (!s.empty())
            s += ", ";
        s += f.name;
    }
    return s;
}

namespace {

// Every format option once (FormatOptionSpec): flag, values in enum order (switches:
// "off", "on"), help, the formats that read it, and how to read and set it.
// formatOptionValues(), setFormatOption(), the CLI flags, the explorer's option rows and
// unusedOptionMessage() all read this table, so they cannot drift apart.
const std::vector<FormatOptionSpec>& optionSpecs()
{
    static const std::vector<const char*> mx = {"mxfp4", "mxfp6", "mxfp6_e3m2", "mxfp8", "mxfp8_e5m2"};
    static const std::vector<const char*> fp8 = {"fp8_e4m3", "fp8_e5m2"};
    static const std::vector<FormatOptionSpec> specs = {
        {"mx-scale", "MX scale", "rule", "MX shared-scale rule: floor (OCP, default), rceil (NVIDIA), even, ceil.",
         {"floor", "rceil", "even", "ceil"}, mx, [](const FormatOptions& o) { return size_t(o.mxScale); },
         [](FormatOptions& o, size_t i) { o.mxScale = MxScaleRule(i); }},
        {"mx-convention", "MX stack", "stack",
         "MX arithmetic of a stack: ocp (the definition, default), torchao, microxcaling (see docs/CONVENTIONS.md).",
         {"ocp", "torchao", "microxcaling"}, mx, [](const FormatOptions& o) { return size_t(o.mxConvention); },
         [](FormatOptions& o, size_t i) { o.mxConvention = MxConvention(i); }},
        {"elem-rounding", "Rounding", "mode",
         "Element ties for MX, NVFP4 and FP8: rne (ties to even), away (half away from zero) or default (rne; "
         "half away under --mx-convention microxcaling, its round=\"nearest\").",
         {"rne", "away", "default"}, {"mxfp4", "mxfp6", "mxfp6_e3m2", "mxfp8", "mxfp8_e5m2", "nvfp4", "fp8_e4m3", "fp8_e5m2"},
         [](const FormatOptions& o) { return size_t(o.elemRounding); },
         [](FormatOptions& o, size_t i) { o.elemRounding = ElemRounding(i); }},
        {"nvfp4-convention", "NVFP4 stack", "stack",
         "NVFP4 arithmetic of a stack: nvidia-spec (default), te, torchao, modelopt, modelopt-legacy (see "
         "docs/CONVENTIONS.md).",
         {"nvidia-spec", "te", "torchao", "modelopt", "modelopt-legacy"}, {"nvfp4"},
         [](const FormatOptions& o) { return size_t(o.nvConvention); },
         [](FormatOptions& o, size_t i) { o.nvConvention = NvConvention(i); }},
        {"nvfp4-2d", "NVFP4 16×16", nullptr, "NVFP4 with 16x16 weight blocks (TransformerEngine recipe).", {"off", "on"}, {"nvfp4"},
         [](const FormatOptions& o) { return size_t(o.nv2dBlocks); },
         [](FormatOptions& o, size_t i) { o.nv2dBlocks = i == 1; }},
        {"bf16-nan", "bf16 NaN", "mode", "bf16 NaN handling: reference (bit trick, default) or canonical (0x7FC0).",
         {"reference", "canonical"}, {"bf16"}, [](const FormatOptions& o) { return size_t(o.bf16CanonicalNan); },
         [](FormatOptions& o, size_t i) { o.bf16CanonicalNan = i == 1; }},
        {"bfp-optimize", "BFP E−1", nullptr, "tt-metal optimize_bfp: also try shared exponent E-1 (bfp8/bfp4).",
         {"off", "on"}, {"bfp8", "bfp4"}, [](const FormatOptions& o) { return size_t(o.bfpOptimizeExponent); },
         [](FormatOptions& o, size_t i) { o.bfpOptimizeExponent = i == 1; }},
        {"fp8-scaling", "FP8 scaling", "mode", "fp8_e4m3/fp8_e5m2 scaling: cast (default), per-tensor, block128.",
         {"cast", "per-tensor", "block128"}, fp8, [](const FormatOptions& o) { return size_t(o.fp8Scaling); },
         [](FormatOptions& o, size_t i) { o.fp8Scaling = Fp8Scaling(i); }},
        {"fp8-nonsaturating", "FP8 → Inf/NaN", nullptr, "FP8 overflow to NaN/Inf instead of saturating (fp8_e4m3/fp8_e5m2).",
         {"off", "on"}, fp8, [](const FormatOptions& o) { return size_t(!o.fp8Saturate); },
         [](FormatOptions& o, size_t i) { o.fp8Saturate = i == 0; }},
    };
    return specs;
}

// A list as a message writes it: "floor, rceil, even or ceil" / "bfp8 and bfp4".
std::string joinList(const std::vector<const char*>& items, const char* last)
{
    std::string list;
    for (size_t i = 0; i < items.size(); ++i)
        list += std::string(i == 0 ? "" : i + 1 == items.size() ? last : ", ") + items[i];
    return list;
}

} // namespace

std::span<const FormatOptionSpec> formatOptionSpecs() { return optionSpecs(); }

bool optionApplies(const FormatOptionSpec& spec, const Format& f)
{
    for (const char* n : spec.formats)
        if (f.name == n) return true;
    return false;
}

std::string formatOptionConflict(const FormatOptions& o)
{
    static const char* nvNames[] = {"nvidia-spec", "te", "torchao", "modelopt", "modelopt-legacy"};
    if (o.nvConvention != NvConvention::NvidiaSpec && o.elemRounding == ElemRounding::Away)
        return std::string("--elem-rounding away cannot be combined with --nvfp4-convention ") +
               nvNames[size_t(o.nvConvention)] + ": that stack's E2M1 encoder rounds ties to even";
    if (o.mxConvention == MxConvention::TorchAo && o.elemRounding == ElemRounding::Away)
        return "--elem-rounding away cannot be combined with --mx-convention torchao: torchao's element casts round "
               "ties to even";
    if (o.mxConvention == MxConvention::Microxcaling && o.mxScale != MxScaleRule::Floor)
        return "--mx-scale cannot be combined with --mx-convention microxcaling: microxcaling has one scale rule, "
               "floor(log2(amax)) in fp32 (shared_exp_method \"max\")";
    return {};
}

std::string unusedOptionMessage(const FormatOptions& o, std::span<const Format* const> selected)
{
    if (std::string conflict = formatOptionConflict(o); !conflict.empty()) return conflict;
    const FormatOptions defaults;
    for (const FormatOptionSpec& s : optionSpecs()) {
        if (s.get(o) == s.get(defaults)) continue;
        if (std::any_of(selected.begin(), selected.end(), [&](const Format* f) { return f && optionApplies(s, *f); }))
            continue;
        std::string flag = "--" + std::string(s.name);
        if (s.valueName) flag += std::string(" ") + s.values[s.get(o)];
        const std::string readers = joinList(s.formats, " and ");
        std::string chosen;
        for (const Format* f : selected)
            if (f) chosen += (chosen.empty() ? "" : ", ") + std::string(f->name);
        return flag + " applies to " + readers + " only, and none of the selected formats (" +
               (chosen.empty() ? std::string("none") : chosen) + ") reads it; drop the option or add such a format";
    }
    return {};
}

std::vector<std::pair<std::string, std::string>> formatOptionValues(const FormatOptions& o)
{
    std::vector<std::pair<std::string, std::string>> out;
    for (const FormatOptionSpec& s : optionSpecs()) out.emplace_back(s.name, s.values[s.get(o)]);
    return out;
}

std::string formatOptionFlags(const FormatOptions& o)
{
    const auto values = formatOptionValues(o), defaults = formatOptionValues(FormatOptions{});
    std::string s;
    for (size_t i = 0; i < values.size(); ++i) {
        if (values[i].second == defaults[i].second) continue;
        if (!s.empty()) s += ' ';
        s += "--" + values[i].first;
        if (values[i].second != "on") s += " " + values[i].second;
    }
    return s;
}


bool isSwitchOption(std::string_view name)
{
    for (const FormatOptionSpec& s : optionSpecs())
        if (name == s.name) return s.valueName == nullptr;
    return false;
}

std::string setFormatOption(FormatOptions& o, std::string_view name, std::string_view value)
{
    if (name == "nvfp4-clamp") {  // results and mapping files written before --nvfp4-convention
        if (value == "none") return {};
        return "nvfp4-clamp " + std::string(value) +
               " was replaced by --nvfp4-convention (modelopt, modelopt-legacy, torchao, te, nvidia-spec), which "
               "reproduces each stack whole; the old clamp-only variant no longer exists";
    }
    for (const FormatOptionSpec& s : optionSpecs()) {
        if (name != s.name) continue;
        std::string lower(value);
        for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
        for (size_t i = 0; i < s.values.size(); ++i)
            if (lower == s.values[i]) {
                s.set(o, i);
                return {};
            }
        return "--" + std::string(name) + ": expected " + joinList(s.values, " or ") + ", got \"" + std::string(value) + "\"";
    }
    return "unknown format option \"" + std::string(name) + "\"";
}

double elementBits(const Format& f) { return f.bitsPerElement - (f.blockK > 1 ? double(f.blockBits) / f.blockK : 0.0); }

double rowPayloadBytes(const Format& f, int64_t cols)
{
    if (cols <= 0) return 0.0;
    const double blocks = f.blockK > 1 ? double((cols + f.blockK - 1) / f.blockK) : 0.0;
    return double(cols) * elementBits(f) / 8.0 + blocks * f.blockBits / 8.0 + f.rowBits / 8.0;
}

double payloadBytes(const Format& f, int64_t rows, int64_t cols)
{
    return double(std::max<int64_t>(rows, 0)) * rowPayloadBytes(f, cols) + f.bytesPerTensor;
}

int blockWidth(const Format& f) { return std::lcm(std::max(1, f.blockK), std::max(1, f.rowAlign)); }

std::vector<const Format*> originalFormats()
{
    std::vector<const Format*> out;
    for (const char* n : {"mxfp4", "nvfp4", "bf16", "bfp8", "bfp4", "bfp2", "fp0"})
        out.push_back(findFormat(n));
    return out;
}

void quantizeDequantize(const Format& f, const float* in, float* out, int64_t rows, int64_t cols,
                        const FormatOptions& opt)
{
    if (rows <= 0 || cols <= 0)
        return;
    const QuantContext ctx = f.needsAbsMax ? tensorContext(in, rows * cols) : QuantContext{};
    // Fixed chunks of about 64K elements, a multiple of rowAlign rows; kernels are
    // row-local (beyond rowAlign bands), so the result never depends on the threads.
    const int64_t align = std::max(1, f.rowAlign);
    int64_t chunkRows = std::max<int64_t>(1, 65536 / cols);
    chunkRows = (chunkRows + align - 1) / align * align;
    const int64_t chunks = (rows + chunkRows - 1) / chunkRows;
#pragma omp parallel for schedule(dynamic, 1) if (worthParallel(chunks, rows * cols))
    for (int64_t c = 0; c < chunks; ++c) {
        const int64_t r0 = c * chunkRows;
        const int64_t n = std::min(chunkRows, rows - r0);
        f.fast(in + r0 * cols, out + r0 * cols, n, cols, ctx, opt);
    }
}

} // namespace qs
