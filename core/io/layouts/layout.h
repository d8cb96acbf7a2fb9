#pragma once
// The checkpoint-layout registry (issue #10, docs/CHECKPOINTS.md): one entry per way a
// quantized checkpoint stores a logical weight. An entry detects itself from
// config.json's quantization_config (or hf_quant_config.json), groups the stored tensors
// into logical tensors (name, logical shape, parts), and decodes a logical tensor to
// float32 through a TensorReader (a fast path per row range, plus a scalar reference
// per element that the tests hold it to bit for bit).
//
// Failures are Errors naming the layout ("compressed-tensors format
// nvfp4-pack-quantized is recognised but not supported yet"), the tensor and what was
// expected (missing part, wrong shape or dtype, packed length not matching the logical
// shape). The FP8 block layout (X_scale_inv) is an entry too, "in place" (StoredLayout::inPlace).
#include "common/result.h"
#include "io/file_provider.h"
#include "io/model.h"

#include <QJsonObject>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qs::layouts {

// The decoded bytes of one stored part, with its header info.
struct PartData {
    const TensorInfo* info = nullptr;
    ByteViewPtr bytes;
};

// A reader that also offers the scalar reference of one element (tests compare them).
class LayoutReader : public TensorReader {
public:
    // The value of element (r, c) of the 2-D view, decoded straight from the docs.
    virtual float referenceAt(int64_t r, int64_t c) const = 0;

protected:
    using TensorReader::TensorReader;
};

// The emulated format (core/formats registry name and option flags as formatOptionValues
// writes them) whose quantize-dequantize a layout's decoded values are expected to be
// fixed points of: `wq` measures the share of values it reproduces (issue #10).
struct EmulatedFormat {
    std::string format;                                        // "nvfp4"
    std::vector<std::pair<std::string, std::string>> options;  // {"nvfp4-convention", "modelopt"}
    std::string text() const;                                  // "nvfp4 --nvfp4-convention modelopt"
};

// Reads the bytes of a small stored tensor at grouping time (compressed-tensors
// weight_shape holds the logical shape as data).
using ReadSmall = std::function<Result<ByteViewPtr>(const TensorInfo&)>;

struct LayoutEntry {
    std::string id;  // "mxfp4-gpt-oss"
    // Groups stored tensors: appends logical tensors (layout set, parts named) and the
    // names of the parts they consume. params carries what detection read.
    std::function<Result<void>(const std::vector<TensorInfo>& stored, const StoredLayout& params,
                               const ReadSmall& readSmall, std::vector<TensorInfo>& logical)>
        group;
    // Builds the reader of a logical tensor from its parts (in params.parts order).
    std::function<Result<std::shared_ptr<LayoutReader>>(const TensorInfo& logical, const std::vector<PartData>& parts)>
        open;
    // The format we emulate that matches this logical tensor's storage; nullopt when none
    // (or no entry says). Unset: no emulation match.
    std::function<std::optional<EmulatedFormat>(const TensorInfo& logical)> emulation;
};

// The emulated format of a logical tensor of a quantized layout (nullopt for plain
// tensors and layouts without one).
std::optional<EmulatedFormat> emulatedFormat(const TensorInfo& logical);

// The entry with this id, nullptr if none.
const LayoutEntry* findLayout(const std::string& id);

// Detection: the layout parameters a checkpoint's quantization config names; an empty
// id when there is no quantized layout named (then FP8 tensors with a _scale_inv
// sibling still form the fp8-block layout); "fp8-block" for quant_method "fp8". Errors:
// unknown quant_method, recognised but unsupported layouts, malformed fields.
Result<StoredLayout> detectLayout(const QJsonObject& config, const QJsonObject& hfQuantConfig);

// Runs detection and grouping: splits tensors into the logical tensors of the layout
// (replacing their parts) and the parts. No layout: tensors unchanged, parts empty.
Result<void> groupTensors(const QJsonObject& config, const QJsonObject& hfQuantConfig, const ReadSmall& readSmall,
                          std::vector<TensorInfo>& tensors, std::vector<TensorInfo>& parts);

// The entries (one file each).
LayoutEntry mxfp4GptOssEntry();
LayoutEntry gptqEntry();
LayoutEntry awqEntry();
LayoutEntry ctPackQuantizedEntry();
LayoutEntry nvfp4ModelOptEntry();
LayoutEntry ctNvfp4Entry();
LayoutEntry ctUnpackedEntry();
LayoutEntry fp8BlockEntry();
// The fp8-block parameters for a weight_block_size of bm x bn.
StoredLayout fp8BlockLayout(int64_t bm, int64_t bn);

// Helpers for the entries.
std::string tensorWhere(const TensorInfo& t);  // "x.safetensors: tensor \"name\""
Error partError(const TensorInfo& t, const std::string& what);
// Decodes a small float part (scales) to float32; errors name the tensor.
Result<std::vector<float>> decodeFloats(const PartData& p);
// Reads little-endian 32-bit word i of an I32 part.
inline uint32_t word32(const uint8_t* p, int64_t i)
{
    const uint8_t* b = p + 4 * i;
    return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

} // namespace qs::layouts
