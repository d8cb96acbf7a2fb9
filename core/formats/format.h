#pragma once
// The format registry: one row per low-precision number format (STYLE.md §4).
// Every consumer — the CLI's -c, the GUI checklist, JSON configs, size maths and
// the mixed-tile algorithms — reads this table; nothing switches on format names.
//
// A format is applied as quantize-then-dequantize ("qdq") to a 2-D row-major view
// [rows, cols] of a tensor, cols = the last (K) axis (FORMATS.md §0, §3.1):
// rank 0 -> [1,1], rank 1 [N] -> [1,N], rank >= 2 -> [prod(leading), last].
// Kernels take whole rows and are single-threaded; callers split a tensor into row
// chunks whose boundaries are multiples of Format::rowAlign and parallelise.
// Plain C++20: no Qt here.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qs {

// MX shared-scale rule (FORMATS.md §6.2).
enum class MxScaleRule : uint8_t { Floor, Rceil, Even, Ceil };
// Element ties for MX/NVFP4/FP8 elements (FORMATS.md §6.3): to the even code, or half away
// from zero. Default (the option's default) is Rne, except under --mx-convention
// microxcaling, whose own default rounds half away (its round="nearest").
enum class ElemRounding : uint8_t { Rne, Away, Default };
// Whose NVFP4 arithmetic (docs/CONVENTIONS.md): the NVIDIA definition read exactly
// (default), TransformerEngine's reference recipe, torchao, ModelOpt (current, with the
// block-scale lower clamp) and ModelOpt before that clamp.
enum class NvConvention : uint8_t { NvidiaSpec, Te, TorchAo, ModelOpt, ModelOptLegacy };
// Whose MX arithmetic (docs/CONVENTIONS.md): the OCP definition (default), torchao's
// to_mx (a block whose rounded maximum overflows fp32 becomes NaN), microxcaling.
enum class MxConvention : uint8_t { Ocp, TorchAo, Microxcaling };
// Plain FP8 weight formats (FORMATS.md §8).
enum class Fp8Scaling : uint8_t { Cast, PerTensor, Block128 };

struct FormatOptions {
    MxScaleRule mxScale = MxScaleRule::Floor;   // OCP default
    ElemRounding elemRounding = ElemRounding::Default;
    MxConvention mxConvention = MxConvention::Ocp;
    NvConvention nvConvention = NvConvention::NvidiaSpec;
    bool nv2dBlocks = false;                    // TE 16x16 weight blocks instead of 1x16
    bool bf16CanonicalNan = false;              // [HW] every NaN -> 0x7FC0 (reference keeps bit trick)
    bool bfpOptimizeExponent = false;           // [HW] tt-metal optimize_bfp (E-1 search), bfp8/bfp4
    bool fp8Saturate = true;                    // satfinite (default) vs non-saturating
    Fp8Scaling fp8Scaling = Fp8Scaling::Cast;

    bool operator==(const FormatOptions&) const = default;
};

// Per-tensor facts some formats need, computed by the caller in a pre-pass over the
// whole tensor (not per chunk): NVFP4's second-level scale and FP8 per-tensor scaling.
struct QuantContext {
    float absMax = 0.0f;  // max |x| over the finite elements of the whole tensor
    bool hasNan = false;  // the whole tensor holds a NaN / an Inf (conventions whose
    bool hasInf = false;  // tensor scale sees them: NVFP4 te, torchao, modelopt)
};

// in and out point at rows*cols contiguous floats (row-major); out may equal in.
using QdqFn = void (*)(const float* in, float* out, int64_t rows, int64_t cols,
                       const QuantContext& ctx, const FormatOptions& opt);

struct Format {
    std::string_view name;         // registry key, lower case: "bfp8"
    std::string_view label;        // display label as the original printed it: "BFP8"
    std::string_view description;  // one line for --help and the GUI tooltip
    double bitsPerElement;         // logical storage incl. shared scales: bfp8 8.5, mxfp4 4.25
    double bytesPerTensor;         // fixed extra bytes per tensor (nvfp4: 4 for the FP32 scale)
    int blockK;                    // elements sharing a scale along K (1 = none/per element)
    int rowAlign;                  // chunk row boundaries must be multiples of this (1 usually)
    bool needsAbsMax;              // reads QuantContext::absMax
    bool tileFormat;               // may be assigned to a 32x32 tile by mixed-tile algorithms
    bool original;                 // one of the seven formats of the original tool (-c all)
    QdqFn reference;               // scalar reference written from FORMATS.md
    QdqFn fast;                    // fast path; bit-identical to reference (tested)
    int blockBits = 8;             // bits stored per started block of blockK: its scale (8 for
                                   // E8M0/E4M3/bfp exponents; int4 groups: 16 bf16 + 4 zero point)
    int rowBits = 0;               // bits stored once per row of the view (int8's bf16 scale per channel)

    double bytesPerElement() const { return bitsPerElement / 8.0; }
};

// Bytes (issue #9): PAYLOAD is what the elements and their block scales need, plus the
// per-tensor extras once: per row of the format view, cols x element bits, blockBits per
// started block of blockK (bitsPerElement = elementBits + blockBits / blockK) and rowBits
// (a per-row scale, which bitsPerElement leaves out: it depends on cols).
// DEVICE bytes (compression/mixed.h) are the 32x32 tile-padded size a device holds.
double elementBits(const Format& f);
double rowPayloadBytes(const Format& f, int64_t cols);                // one row incl. rowBits, no per-tensor extras
double payloadBytes(const Format& f, int64_t rows, int64_t cols);
// Columns a chunk of the format view must start at (a multiple of): whole blocks along K,
// and whole rowAlign x rowAlign blocks for the 2-D formats (NVFP4 16x16, FP8 128x128).
int blockWidth(const Format& f);

// All formats, in display order (bf16, bfp8, bfp4, bfp2, fp0, mxfp4, nvfp4, then the rest).
std::span<const Format> formats();
// Case-insensitive lookup; nullptr when unknown.
const Format* findFormat(std::string_view name);
// "bf16, bfp8, ..." for error messages.
std::string formatNameList();

// One format option: its CLI flag, short label, value name (nullptr for an on/off switch), help, values
// in enum order (switches "off", "on"), the formats that read it, and accessors.
struct FormatOptionSpec {
    const char* name;
    const char* label;  // short label for the explorer ("MX scale")
    const char* valueName;
    const char* help;
    std::vector<const char*> values;
    std::vector<const char*> formats;
    size_t (*get)(const FormatOptions&);
    void (*set)(FormatOptions&, size_t);
};
std::span<const FormatOptionSpec> formatOptionSpecs();
bool optionApplies(const FormatOptionSpec& spec, const Format& f);
// Two options that contradict each other (a stack convention and a rounding or scale rule
// it does not have): "" or a message naming both.
std::string formatOptionConflict(const FormatOptions& o);
// Nothing is ignored silently: "" when no two options conflict and every option set away
// from its default is read by at least one of `selected`, else a message naming the
// first such option, the formats that read it and the selected ones.
std::string unusedOptionMessage(const FormatOptions& o, std::span<const Format* const> selected);

// Every format option as (CLI flag name, value): ("mx-scale", "floor"), ("nvfp4-2d", "off"),
// ... in --help order: what results.json records.
std::vector<std::pair<std::string, std::string>> formatOptionValues(const FormatOptions& o);
// The options that differ from the defaults, written as CLI flags ("--mx-scale rceil
// --nvfp4-2d"); empty for the defaults (table.txt then keeps the original tool's layout).
std::string formatOptionFlags(const FormatOptions& o);
// Sets one option from its flag name and a value as formatOptionValues() writes it
// ("mx-scale", "rceil"; "nvfp4-2d", "on"). Returns "" or a message naming the flag and
// the values it takes ("--mx-scale: expected floor, rceil, even or ceil, got \"x\"").
std::string setFormatOption(FormatOptions& o, std::string_view name, std::string_view value);
// Options whose values are "on"/"off" (command-line switches without a value).
bool isSwitchOption(std::string_view name);
// The seven formats of the original tool in its order: mxfp4 nvfp4 bf16 bfp8 bfp4 bfp2 fp0.
std::vector<const Format*> originalFormats();

// Applies f to the 2-D view in chunks with OpenMP (fixed chunking; results do not
// depend on the thread count). Convenience for tests, plots and export.
void quantizeDequantize(const Format& f, const float* in, float* out, int64_t rows, int64_t cols,
                        const FormatOptions& opt = {});

} // namespace qs
