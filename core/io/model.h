#pragma once
// Model: the tensors of a safetensors checkpoint (a local folder with or without
// model.safetensors.index.json, a single .safetensors file, or a Hub repo), read
// through a FileProvider. Opening validates every header (HF_HUB.md §12, issue #2):
// header length within the file and <= 100 MB, UTF-8 JSON object, offsets inside the
// data section and non-overlapping, byte length = elements x dtype size, index entries
// pointing at files inside the model (no "..", absolute paths or URLs). Every
// violation is an Error naming the file (and tensor/field) and what was expected.
//
// The index is authoritative: with model.safetensors.index.json only names in its
// weight_map exist (other shard tensors are listed in unlistedTensors() only; a
// weight_map name missing from its shard is an error). Without an index every
// *.safetensors file is read and a name in two files is an error. A tensor W of dtype
// F8_E4M3/F8_E5M2 and rank >= 2 with a sibling W_scale_inv (F32, BF16, F16 or F8_E8M0,
// shape [leading..., ceil(M/bm), ceil(N/bn)], else an error naming both) is an FP8
// checkpoint tensor: its fp32 view is dequantized with the block size from config.json
// quantization_config.weight_block_size (default 128x128), FORMATS.md §9. An F8 tensor
// without a sibling just decodes its codes. The pairing and decoding is the layout
// registry's fp8-block entry (core/io/layouts/fp8_block.cpp), an "in place" layout:
// W keeps its stored dtype and W_scale_inv stays listed. Unknown/undecodable dtypes open (listing
// works); reader() then fails naming tensor, dtype and file.
//
// Quantized checkpoint layouts (issue #10, core/io/layouts/, docs/CHECKPOINTS.md): from
// config.json quantization_config (and hf_quant_config.json) the layout registry groups
// stored tensors into logical ones (TensorInfo::layout set); tensors() then lists the
// logical tensors and storedParts() the parts. A recognised but unsupported layout, an
// unknown quant_method or a malformed group (missing part, wrong shape or dtype) is an
// Error at open naming the layout or the tensor and what was expected.
#include "common/progress.h"
#include "common/result.h"
#include "io/dtype.h"
#include "io/file_provider.h"

#include <QJsonObject>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qs {

// How a logical tensor of a quantized checkpoint layout is stored (docs/CHECKPOINTS.md):
// the registry entry, its parameters and the stored parts it is decoded from. Shared by
// every copy of the TensorInfo.
struct StoredLayout {
    std::string id;                 // registry id: "mxfp4-gpt-oss", "gptq", "awq", "ct-pack-quantized"
    std::string label;              // what `list` shows: "mxfp4 (gpt-oss)", "int4 g128 (gptq)"
    int bits = 0;                   // code bits (4, 8 ...)
    int64_t groupSize = 0;          // elements per scale along the input axis; 0 = per channel, -1 = per tensor
    int64_t blockRows = 0;          // > 0: 2-D blocks of blockRows x groupSize (compressed-tensors "block")
    bool zeroPlusOne = false;       // GPTQ v1: the stored zero point is zero - 1
    bool symmetric = true;          // no zero points stored
    // The FP8 block layout: the logical tensor is its own code tensor (stored name,
    // dtype and bytes kept) and its scale stays listed; nothing is hidden.
    bool inPlace = false;
    std::vector<std::pair<std::string, std::string>> parts;  // role -> stored tensor name
    const std::string* part(const std::string& role) const;  // nullptr if absent
};

struct TensorInfo {
    std::string name;
    std::string dtypeName;          // as written in the header ("BF16")
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    QString file;                   // repo-relative shard path
    uint64_t dataOffset = 0;        // absolute offset of the first byte in the file
    uint64_t byteLength = 0;
    std::string scaleInvName;       // non-empty: the FP8 scale sibling (W_scale_inv)
    bool listedInIndex = true;
    // Set on a logical tensor of a quantized layout: then dtypeName is the layout's
    // label, dtype F32 (the decoded view), file/dataOffset those of its first part and
    // byteLength the stored bytes of all parts.
    std::shared_ptr<const StoredLayout> layout;

    int64_t numel() const;
    // The 2-D view every format uses: [prod(leading), last]; rank 0 -> [1,1], rank 1 [N] -> [1,N].
    int64_t rows() const;
    int64_t cols() const;
    std::string shapeString() const;  // "(180, 136)"; Python tuple style: "(136,)", "()"
};

class TensorReader;

// Rows [r0, r1) of a tensor's 2-D view (sampled reading, --sample).
struct RowRange {
    int64_t r0 = 0, r1 = 0;
};

class Model {
public:
    // Opens a model: reads the index (or every shard header), validates, and sorts
    // tensor names naturally ("layers.2" before "layers.10").
    static Result<std::shared_ptr<Model>> open(std::shared_ptr<FileProvider> provider,
                                               Progress* progress = nullptr);

    FileProvider& provider() const { return *m_provider; }
    std::shared_ptr<FileProvider> providerPtr() const { return m_provider; }
    // Every tensor the model has (index order is irrelevant: natural sort by name).
    const std::vector<TensorInfo>& tensors() const { return m_tensors; }
    std::vector<std::string> tensorNames() const;
    const TensorInfo* find(const std::string& name) const;
    // The stored parts of quantized layouts (X_blocks, X.qweight ...): hidden from
    // tensors(), selection and list, found by findStored() (parts first, then tensors()).
    const std::vector<TensorInfo>& storedParts() const { return m_parts; }
    const TensorInfo* findStored(const std::string& name) const;
    // Names of the logical tensors of quantized layouts: weights for the default
    // selection even where their names lack "weight" (gpt-oss experts.gate_up_proj).
    const std::vector<std::string>& layoutTensorNames() const { return m_layoutNames; }
    // Removes integer and bool tensors from names (a selection: they are never
    // quantized) and returns the one line that says so, naming their dtypes: "skipped 1
    // integer tensor (I32): integers and booleans are not quantized"; "" if none. An
    // error (exit 1) when nothing is left.
    Result<std::string> skipNonFloat(std::vector<std::string>& names) const;
    const QJsonObject& config() const { return m_config; }  // config.json, empty if none
    std::array<int64_t, 2> fp8BlockSize() const { return m_fp8Block; }
    bool hasIndex() const { return m_hasIndex; }
    // Tensors present in a shard but not in the index's weight_map (invisible: not in
    // tensors(), no reader), listedInIndex = false. Empty without an index.
    const std::vector<TensorInfo>& unlistedTensors() const { return m_unlisted; }
    // Distinct shard files the tensors live in (sorted).
    QStringList shardFiles() const;
    // Stored bytes of all tensors and of one tensor including its scale sibling (0 if
    // the name is unknown).
    uint64_t storedBytes() const;
    uint64_t storedBytes(const std::string& name) const;

    // A reader of the tensor's fp32 view (dequantized when it has a _scale_inv
    // sibling; a name ending in "_fp32" selects that view explicitly). Fetches the
    // bytes (remote) but decodes nothing until rows are read. Errors: unknown name
    // (exitCode 1); a dtype that cannot be decoded (names tensor, dtype and file) or
    // unreadable bytes (exitCode 2).
    Result<std::shared_ptr<TensorReader>> reader(const std::string& name,
                                                 Progress* progress = nullptr) const;

    // A reader of only these rows of the 2-D view (sorted, disjoint, non-empty ranges;
    // --sample): its view is the rows concatenated in order, info().shape
    // [Σ(r1 - r0), cols] (rank < 2: the tensor, rows must be {0, 1}). Plain and FP8 block
    // tensors fetch exactly the byte ranges rowsByteRanges() names (prefetched together,
    // so a remote provider merges adjacent ones); the FP8 scale rows those rows need are
    // fetched alone. Quantized layouts (core/io/layouts) fetch their parts and decode the
    // chosen rows only. Errors as reader().
    Result<std::shared_ptr<TensorReader>> rowsReader(const std::string& name, const std::vector<RowRange>& rows,
                                                     Progress* progress = nullptr) const;
    // The byte ranges rowsReader() reads for these rows: each run of rows' codes, then the
    // scale rows of an FP8 block tensor, adjacent ones merged. Empty for unknown names
    // and quantized layouts (their parts are read whole).
    std::vector<ByteRange> rowsByteRanges(const std::string& name, const std::vector<RowRange>& rows) const;

    // Internal, used by open(); public for tests of the validators. tensors must be
    // validated (bounds, dtype sizes, FP8 scale shapes); they are sorted naturally here.
    Model(std::shared_ptr<FileProvider> provider, std::vector<TensorInfo> tensors, QJsonObject config,
          std::array<int64_t, 2> fp8Block, bool hasIndex, std::vector<TensorInfo> unlisted = {});

private:
    std::shared_ptr<FileProvider> m_provider;
    std::vector<TensorInfo> m_tensors;
    QJsonObject m_config;
    std::array<int64_t, 2> m_fp8Block{128, 128};
    bool m_hasIndex = false;
    std::vector<TensorInfo> m_unlisted;
    std::vector<TensorInfo> m_parts;
    std::vector<std::string> m_layoutNames;

public:
    // Internal, used by open(): the stored parts of the logical tensors in tensors().
    void setLayoutTensors(std::vector<TensorInfo> parts);
};

// The FP8 block size from config.json's quantization_config.weight_block_size: two
// positive integers, {128, 128} when absent. Errors name config.json and the field.
Result<std::array<int64_t, 2>> fp8BlockSizeFromConfig(const QJsonObject& config,
                                                      const QString& file = QStringLiteral("config.json"));

// Decodes rows of a tensor's fp32 view, chunk by chunk, from the mapped bytes. Thread
// safe: several threads may read disjoint (or the same) row ranges at once.
class TensorReader {
public:
    virtual ~TensorReader() = default;
    const TensorInfo& info() const { return m_info; }
    const std::vector<int64_t>& shape() const { return m_info.shape; }
    int64_t rows() const { return m_info.rows(); }
    int64_t cols() const { return m_info.cols(); }
    int64_t numel() const { return m_info.numel(); }
    // Writes rows [r0, r1) of the 2-D fp32 view to out ((r1 - r0) * cols floats).
    virtual void readRows(int64_t r0, int64_t r1, float* out) const = 0;
    // Writes rows [r0, r1) x columns [c0, c1) to out ((r1 - r0) * (c1 - c0) floats),
    // decoding only those elements. The default goes through readRows one row at a time.
    virtual void readBlock(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const;
    // Zero-copy access when the stored data already is aligned little-endian F32 and no
    // dequantization applies; nullptr otherwise.
    virtual const float* directRows() const { return nullptr; }
    // The whole fp32 view as one vector (for plots, transpose, export).
    std::vector<float> readAll() const;

protected:
    explicit TensorReader(TensorInfo info) : m_info(std::move(info)) {}
    TensorInfo m_info;
};

} // namespace qs
