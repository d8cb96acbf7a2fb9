#pragma once
// A synthetic DeepSeek-V3 checkpoint for the fake Hub (issue #11 §4): the real tensor names,
// shapes, dtypes and FP8 block-scale layout (61 layers + the MTP layer 61, MLA attention,
// 3 dense MLPs then 256 routed + 1 shared expert per layer, F8_E4M3 weights with F32
// weight_scale_inv [ceil(out/128), ceil(in/128)], BF16 norms/embeddings/router), spread over
// 163 shards "model-000KK-of-000163.safetensors" roughly by layer, with the index and a
// config.json carrying DeepSeek-V3's quantization_config. Nothing is stored: each shard's
// header is built in memory and its data bytes are a hash of (tensor, 8-byte word), so any
// byte range is generated on the fly, the same in one read or in pieces.
//
// Values are plausible, not real: F8 codes of a Gaussian-like weight with block amax near
// 448, scale_inv around 2e-4 (positive), norms near 1, embeddings/router N(0, ~0.02).
#include "fake_hub.h"
#include "io/dtype.h"

#include <QByteArray>
#include <QMap>
#include <QString>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qs::test {

// What a tensor's values look like (see the file comment).
enum class SynthKind : uint8_t { Fp8Weight, ScaleInv, Norm, Dense, Bias };

struct SynthTensor {
    std::string name;
    SynthKind kind = SynthKind::Dense;
    DType dtype = DType::BF16;
    std::vector<int64_t> shape;
    uint64_t elements = 0, bytes = 0;
    int shard = 0;            // 0-based shard index
    uint64_t begin = 0;       // data offset within the shard's data section
};

class DeepSeekV3Synth {
public:
    // Builds the layout (about 92 k tensors, 163 headers, the index): about a second.
    DeepSeekV3Synth();

    static constexpr int kShards = 163;
    const std::vector<SynthTensor>& tensors() const { return m_tensors; }
    const SynthTensor* find(const std::string& name) const;
    QString shardName(int shard) const;  // "model-00001-of-000163.safetensors"
    const QByteArray& shardHeader(int shard) const { return m_headers[size_t(shard)]; }  // 8 + JSON
    uint64_t shardSize(int shard) const;
    // Bytes [offset, offset + n) of shard (header, then data); n may span tensors.
    void generate(int shard, uint64_t offset, char* out, uint64_t n) const;

    QByteArray indexJson() const { return m_index; }
    static QByteArray configJson();
    uint64_t dataBytes() const { return m_dataBytes; }       // Σ tensor bytes (= index total_size)
    uint64_t headerBytes() const;                            // Σ shard header bytes
    // Σ elements; withScales: count the weight_scale_inv tensors; withMtp: count layer 61
    // (the MTP module). elements(false, false) = 671,026,419,200 = DeepSeek-V3's "671 B".
    uint64_t elements(bool withScales, bool withMtp = true) const;

    // The files to serve: 163 synthetic LFS shards (distinct sha256 per shard), the index
    // and config.json. The generators keep self alive.
    static QMap<QString, FakeFile> files(const std::shared_ptr<const DeepSeekV3Synth>& self);

private:
    std::vector<SynthTensor> m_tensors;
    std::vector<std::vector<uint32_t>> m_byShard;  // tensor indices in data order
    std::vector<uint64_t> m_shardData;
    std::vector<QByteArray> m_headers;
    QByteArray m_index;
    uint64_t m_dataBytes = 0;
};

} // namespace qs::test
