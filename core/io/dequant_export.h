#pragma once
// `export --dequantize` (issue #10): writes the fp32 view of each named tensor — the
// logical tensors of a quantized checkpoint layout decoded by their registry entry
// (docs/CHECKPOINTS.md), plain tensors widened exactly — to one .safetensors file with
// the same names and shapes. Tensors are read and written chunk by chunk (rows of about
// chunkElements values), so memory stays at one chunk plus what the tensor's reader
// holds; the file is written to a temporary name and renamed on success.
// Stored dtype: F32 (bit for bit the decode) or BF16 (RNE from the fp32 decode, every
// NaN written as the canonical 0x7FC0).
// Errors name the tensor (reader failures, exit 2), the file (I/O) or "cancelled".
#include "common/progress.h"
#include "common/result.h"
#include "io/model.h"
#include "io/safetensors_writer.h"

#include <QString>

#include <string>
#include <vector>

namespace qs {

struct DequantExportParams {
    QString out;                       // target .safetensors
    DType dtype = DType::F32;          // F32 or BF16
    int64_t chunkElements = 1 << 22;   // values per chunk (at least one row)
    SafetensorsMetadata metadata;      // extra __metadata__ entries (sorted into the header as given)
};

struct DequantExportResult {
    size_t tensors = 0;
    size_t decoded = 0;                // tensors of a quantized layout among them
    uint64_t dataBytes = 0;
};

Result<DequantExportResult> exportDequantized(const Model& model, const std::vector<std::string>& names,
                                              const DequantExportParams& params, Progress* progress = nullptr);

// float32 -> stored bytes of an export dtype (F32 copy; BF16 RNE, NaN -> 0x7FC0).
void encodeExportValues(DType dtype, const float* values, int64_t n, uint8_t* out);

} // namespace qs
