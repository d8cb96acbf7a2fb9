#pragma once
// Small generated safetensors models for the hub tests: deterministic tensor values,
// written with io/safetensors_writer.h into a folder (shards, index, config.json) that
// the fake Hub then serves. Failures are returned as an error string naming the file.
#include "io/dtype.h"

#include <QString>

#include <cstdint>
#include <string>
#include <vector>

namespace qs::test {

struct GenTensor {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;  // little-endian stored bytes
};

struct GenShard {
    QString file;
    std::vector<GenTensor> tensors;
};

// Deterministic float32 values in [-scale, scale).
std::vector<float> genValues(int64_t n, uint32_t seed, float scale = 1.0f);
GenTensor genTensor(const std::string& name, DType dtype, std::vector<int64_t> shape, uint32_t seed);

// The standard test model: two shards with F32, BF16 and an FP8 (F8_E4M3) weight whose
// block scale sibling ("..._scale_inv", F32) lives in the same shard, plus
// model.safetensors.index.json and a config.json with weight_block_size [128, 128].
std::vector<GenShard> standardModel();
// n shards "model-0000i-of-0000n.safetensors" with one [rows, cols] F32 tensor each.
std::vector<GenShard> manyShards(int n, int rows, int cols);

// Writes the shards, the index (when index is true) and config.json into dir.
// Returns "" on success, else the error.
QString writeModel(const QString& dir, const std::vector<GenShard>& shards, bool index = true);

// Bytes of one shard's header (8 + JSON) as written, for byte-count bounds.
uint64_t headerBytes(const QString& file);

} // namespace qs::test
