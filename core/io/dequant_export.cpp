// export --dequantize: chunked fp32 view -> F32/BF16 safetensors.
#include "io/dequant_export.h"

#include "formats/minifloat.h"

#include <algorithm>
#include <cstring>

namespace qs {

void encodeExportValues(DType dtype, const float* values, int64_t n, uint8_t* out)
{
    if (dtype == DType::F32) {
        std::memcpy(out, values, size_t(n) * 4);
        return;
    }
    for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = bf16BitsCanonical(values[i]);  // RNE; every NaN the canonical quiet NaN
        out[2 * i] = uint8_t(h);
        out[2 * i + 1] = uint8_t(h >> 8);
    }
}

Result<DequantExportResult> exportDequantized(const Model& model, const std::vector<std::string>& names,
                                              const DequantExportParams& params, Progress* progress)
{
    if (params.dtype != DType::F32 && params.dtype != DType::BF16)
        return Error::usage("export --dequantize: --dtype must be f32 or bf16");
    std::vector<TensorSpec> specs;
    DequantExportResult result;
    for (const auto& n : names) {
        const TensorInfo* t = model.find(n);
        if (!t) return Error::usage("No tensor named \"" + n + "\" in " + model.provider().describe().toStdString());
        specs.push_back({n, params.dtype, t->shape});
        if (t->layout) ++result.decoded;
    }
    auto writer = SafetensorsWriter::create(params.out, specs, params.metadata);
    if (!writer) return writer.error();
    const int64_t elemBytes = params.dtype == DType::F32 ? 4 : 2;
    std::vector<float> chunk;
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i < names.size(); ++i) {
        const std::string& n = names[i];
        if (progress) progress->phase("[" + std::to_string(i + 1) + "/" + std::to_string(names.size()) + "] " + n);
        if (progress && progress->cancelled()) return Error{"cancelled", 1};
        auto reader = model.reader(n, progress);
        if (!reader) return reader.error();
        const TensorReader& r = **reader;
        const int64_t rows = r.rows(), cols = r.cols();
        if (r.numel() == 0) continue;
        const int64_t step = std::max<int64_t>(1, params.chunkElements / std::max<int64_t>(cols, 1));
        for (int64_t r0 = 0; r0 < rows; r0 += step) {
            if (progress && progress->cancelled()) return Error{"cancelled", 1};
            const int64_t r1 = std::min(rows, r0 + step), count = (r1 - r0) * cols;
            chunk.resize(size_t(count));
            bytes.resize(size_t(count * elemBytes));
            r.readRows(r0, r1, chunk.data());
            encodeExportValues(params.dtype, chunk.data(), count, bytes.data());
            QS_TRY((*writer)->write(bytes.data(), bytes.size()));
            if (progress) progress->report(uint64_t(r1), uint64_t(rows), "rows");
        }
    }
    // A cancel during the last tensor must not replace an existing file.
    if (progress && progress->cancelled()) return Error{"cancelled", 1};
    QS_TRY((*writer)->commit());
    result.tensors = names.size();
    result.dataBytes = (*writer)->dataBytes();
    return result;
}

} // namespace qs
