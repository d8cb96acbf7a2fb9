#pragma once
// Small checkpoints in every quantized layout of docs/CHECKPOINTS.md (issue #10), with
// pseudo-random codes and scales packed by the docs' rules plus a few fixed codes at known
// places (MXFP4 / compressed-tensors NVFP4 code 8 = -0.0, ModelOpt code 8 = +0). Used by
// the export, emulation-match and Hub tests; header-only (links qs_io through the test).
#include "io/dtype.h"
#include "io/safetensors_writer.h"

#include <QDir>
#include <QFile>
#include <QString>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace qs::fixtures {

struct StoredTensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
};

struct LayoutCase {
    std::string id;                  // short name of the case ("mxfp4", "gptq-v1", ...)
    std::string layoutId;            // registry id of its logical tensors
    std::string config;              // config.json
    std::string hfQuantConfig;       // hf_quant_config.json ("" = none)
    std::vector<StoredTensor> tensors;
    std::vector<std::string> logical;  // logical tensor names of the layout
    std::vector<std::string> plain;    // plain float tensors also in the checkpoint
    // Element (flat index in the logical tensor) whose decoded value is -0.0 / +0 by the
    // layout's rule for code 8 (-1: none).
    std::string zeroTensor;
    int64_t negativeZeroAt = -1, positiveZeroAt = -1;
};

// JSON with single quotes.
inline std::string js(std::string s)
{
    for (char& c : s)
        if (c == '\'') c = '"';
    return s;
}

inline std::vector<uint8_t> le32(const std::vector<uint32_t>& w)
{
    std::vector<uint8_t> out;
    for (uint32_t v : w)
        for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
    return out;
}

inline std::vector<uint8_t> f32Bytes(const std::vector<float>& v) { return encodeFloats(DType::F32, v); }

inline std::vector<uint8_t> randomBytes(size_t n, std::mt19937& rng)
{
    std::vector<uint8_t> b(n);
    for (auto& x : b) x = uint8_t(rng());
    return b;
}

// E4M3 scale bytes in [2^-3, 2^3] (no NaN), or fixed ones.
inline std::vector<uint8_t> e4m3Scales(size_t n, std::mt19937& rng)
{
    std::vector<uint8_t> b(n);
    for (auto& x : b) x = uint8_t(0x20 + rng() % 0x30);  // exponent 4..9 -> 2^-3 .. 2^2, any mantissa
    return b;
}

// The safetensors file bytes of these tensors.
inline std::vector<uint8_t> fileBytes(const std::vector<StoredTensor>& tensors)
{
    std::vector<TensorSpec> specs;
    for (const auto& t : tensors) specs.push_back({t.name, t.dtype, t.shape});
    uint64_t dataBytes = 0;
    auto header = buildSafetensorsHeader(QStringLiteral("model.safetensors"), specs, {}, &dataBytes);
    std::vector<uint8_t> out = header.ok() ? *header : std::vector<uint8_t>{};
    for (const auto& t : tensors) out.insert(out.end(), t.bytes.begin(), t.bytes.end());
    return out;
}

// Writes the case as a model folder (config.json, hf_quant_config.json, model.safetensors).
inline bool writeFolder(const LayoutCase& c, const QString& dir)
{
    QDir().mkpath(dir);
    auto put = [&](const QString& name, const std::vector<uint8_t>& b) {
        QFile f(dir + "/" + name);
        return f.open(QIODevice::WriteOnly) &&
               f.write(reinterpret_cast<const char*>(b.data()), qint64(b.size())) == qint64(b.size());
    };
    auto text = [](const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); };
    if (!put("config.json", text(c.config))) return false;
    if (!c.hfQuantConfig.empty() && !put("hf_quant_config.json", text(c.hfQuantConfig))) return false;
    return put("model.safetensors", fileBytes(c.tensors));
}

// A plain BF16 tensor (widened exactly by every reader).
inline StoredTensor plainBf16(const std::string& name, int64_t n, std::mt19937& rng)
{
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = float(int(rng() % 2001) - 1000) / 256.0f;
    return {name, DType::BF16, {n}, encodeFloats(DType::BF16, v)};
}

// gpt-oss MXFP4: experts [E=2, R=3, G=2 blocks of 32]; byte 0 of block 0 is 0x80 (element
// 0 = +0, element 1 = code 8 = -0.0); one scale 255 (NaN block).
inline LayoutCase mxfp4Case(int64_t experts = 2, int64_t rows = 3, int64_t groups = 2, uint32_t seed = 1)
{
    std::mt19937 rng(seed);
    LayoutCase c;
    c.id = "mxfp4";
    c.layoutId = "mxfp4-gpt-oss";
    c.config = js("{'quantization_config': {'quant_method': 'mxfp4', 'modules_to_not_convert': ['model.norm']}}");
    const std::string e = "model.layers.0.mlp.experts.gate_up_proj";
    std::vector<uint8_t> blocks = randomBytes(size_t(experts * rows * groups * 16), rng);
    std::vector<uint8_t> scales(size_t(experts * rows * groups));
    for (auto& s : scales) s = uint8_t(118 + rng() % 14);
    blocks[0] = 0x80;
    scales[0] = 127;
    if (scales.size() > 3) scales[3] = 255;
    c.tensors = {{e + "_blocks", DType::U8, {experts, rows, groups, 16}, blocks},
                 {e + "_scales", DType::U8, {experts, rows, groups}, scales},
                 plainBf16("model.norm.weight", 24, rng)};
    c.logical = {e};
    c.plain = {"model.norm.weight"};
    c.zeroTensor = e;
    c.negativeZeroAt = 1;
    c.positiveZeroAt = 0;
    return c;
}

// ModelOpt NVFP4 (hf_quant_config.json): [rows, cols] codes with E4M3 scales and scale_2;
// byte 0 = 0x08 (element 0 = code 8 = +0 in ModelOpt's table).
inline LayoutCase nvfp4ModelOptCase(int64_t rows = 4, int64_t cols = 48, uint32_t seed = 2)
{
    std::mt19937 rng(seed);
    LayoutCase c;
    c.id = "nvfp4-modelopt";
    c.layoutId = "nvfp4-modelopt";
    c.config = "{}";
    c.hfQuantConfig = js("{'producer': {'name': 'modelopt'}, 'quantization': {'quant_algo': 'NVFP4', 'group_size': 16}}");
    std::vector<uint8_t> codes = randomBytes(size_t(rows * cols / 2), rng);
    codes[0] = 0x08;
    c.tensors = {{"model.layers.0.mlp.down_proj.weight", DType::U8, {rows, cols / 2}, codes},
                 {"model.layers.0.mlp.down_proj.weight_scale", DType::F8_E4M3, {rows, cols / 16},
                  e4m3Scales(size_t(rows * cols / 16), rng)},
                 {"model.layers.0.mlp.down_proj.weight_scale_2", DType::F32, {1}, f32Bytes({0.0078125f * 3})},
                 {"model.layers.0.mlp.down_proj.input_scale", DType::F32, {1}, f32Bytes({1.0f})}};
    c.logical = {"model.layers.0.mlp.down_proj.weight"};
    c.zeroTensor = c.logical[0];
    c.positiveZeroAt = 0;
    return c;
}

// compressed-tensors nvfp4-pack-quantized: code 8 = -0.0; scale / global_scale first.
inline LayoutCase ctNvfp4Case(uint32_t seed = 3)
{
    std::mt19937 rng(seed);
    LayoutCase c;
    c.id = "ct-nvfp4";
    c.layoutId = "ct-nvfp4-pack-quantized";
    c.config = js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'nvfp4-pack-quantized'}}");
    std::vector<uint8_t> codes = randomBytes(3 * 16, rng);
    codes[0] = 0x08;
    c.tensors = {{"l.weight_packed", DType::U8, {3, 16}, codes},
                 {"l.weight_scale", DType::F8_E4M3, {3, 2}, e4m3Scales(6, rng)},
                 {"l.weight_global_scale", DType::F32, {1}, f32Bytes({3.0f})}};
    c.logical = {"l.weight"};
    c.zeroTensor = "l.weight";
    c.negativeZeroAt = 0;
    return c;
}

// compressed-tensors pack-quantized int4, asymmetric, g = 8 over 20 columns (ragged).
inline LayoutCase ctPackCase(uint32_t seed = 4)
{
    std::mt19937 rng(seed);
    LayoutCase c;
    c.id = "ct-pack";
    c.layoutId = "ct-pack-quantized";
    c.config = js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'pack-quantized', "
                  "'config_groups': {'group_0': {'targets': ['Linear'], 'weights': {'num_bits': 4, 'type': 'int', "
                  "'symmetric': false, 'strategy': 'group', 'group_size': 8}}}}}");
    std::vector<uint32_t> packed(3 * 3);
    for (auto& w : packed) w = uint32_t(rng());
    for (int r = 0; r < 3; ++r) packed[size_t(r * 3 + 2)] &= 0xFFFFu;  // 4 real columns in the last word
    std::vector<float> scales(9);
    for (auto& s : scales) s = float(1 + rng() % 64) / 64.0f;
    c.tensors = {{"l.weight_packed", DType::I32, {3, 3}, le32(packed)},
                 {"l.weight_scale", DType::BF16, {3, 3}, encodeFloats(DType::BF16, scales)},
                 {"l.weight_zero_point", DType::I32, {1, 3}, le32({uint32_t(rng()) & 0xFFFu, uint32_t(rng()) & 0xFFFu,
                                                                  uint32_t(rng()) & 0xFFFu})},
                 {"l.weight_shape", DType::I32, {2}, le32({3, 20})}};
    c.logical = {"l.weight"};
    return c;
}

// GPTQ 4-bit, g = 8, in = 16, out = 3 (v1 zero offset or v2).
inline LayoutCase gptqCase(bool v1, uint32_t seed = 5)
{
    std::mt19937 rng(seed);
    LayoutCase c;
    c.id = v1 ? "gptq-v1" : "gptq-v2";
    c.layoutId = "gptq";
    c.config = js(std::string("{'quantization_config': {'quant_method': 'gptq', 'bits': 4, 'group_size': 8, "
                              "'checkpoint_format': '") + (v1 ? "gptq" : "gptq_v2") + "'}}");
    std::vector<uint32_t> qw(6), qz(2);
    for (auto& w : qw) w = uint32_t(rng());
    for (auto& w : qz) w = uint32_t(rng()) & 0xFFFu;
    std::vector<uint16_t> sc(6);
    for (auto& h : sc) h = uint16_t(0x3000 + rng() % 0x1000);  // f16 in [0.125, 1)
    std::vector<uint8_t> scb;
    for (uint16_t h : sc) {
        scb.push_back(uint8_t(h));
        scb.push_back(uint8_t(h >> 8));
    }
    c.tensors = {{"m.qweight", DType::I32, {2, 3}, le32(qw)},
                 {"m.qzeros", DType::I32, {2, 1}, le32(qz)},
                 {"m.scales", DType::F16, {2, 3}, scb}};
    c.logical = {"m.weight"};
    return c;
}

// AWQ GEMM 4-bit, g = 2, in = 4, out = 8.
inline LayoutCase awqCase(uint32_t seed = 6)
{
    std::mt19937 rng(seed);
    LayoutCase c;
    c.id = "awq";
    c.layoutId = "awq";
    c.config = js("{'quantization_config': {'quant_method': 'awq', 'version': 'GEMM', 'bits': 4, 'group_size': 2, "
                  "'zero_point': true}}");
    std::vector<uint32_t> qw(4), qz(2);
    for (auto& w : qw) w = uint32_t(rng());
    for (auto& w : qz) w = uint32_t(rng());
    std::vector<uint8_t> scb;
    for (int i = 0; i < 16; ++i) {
        const uint16_t h = uint16_t(0x2C00 + rng() % 0x1400);
        scb.push_back(uint8_t(h));
        scb.push_back(uint8_t(h >> 8));
    }
    c.tensors = {{"p.qweight", DType::I32, {4, 1}, le32(qw)},
                 {"p.qzeros", DType::I32, {2, 1}, le32(qz)},
                 {"p.scales", DType::F16, {2, 8}, scb}};
    c.logical = {"p.weight"};
    return c;
}

// compressed-tensors float-quantized FP8 E4M3 per channel (scale = amax / 448 per row).
inline LayoutCase ctFp8ChannelCase(uint32_t seed = 7)
{
    std::mt19937 rng(seed);
    LayoutCase c;
    c.id = "ct-fp8-channel";
    c.layoutId = "ct-unpacked";
    c.config = js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'float-quantized', "
                  "'config_groups': {'g': {'weights': {'num_bits': 8, 'type': 'float', 'strategy': 'channel'}}}}}");
    std::vector<uint8_t> codes = randomBytes(4 * 10, rng);
    for (auto& b : codes)
        if ((b & 0x7F) == 0x7F) b = 0x7E;  // no NaN codes
    std::vector<float> scales{0.01f, 0.5f, 3.0f, 0.0625f};
    c.tensors = {{"o.weight", DType::F8_E4M3, {4, 10}, codes},
                 {"o.weight_scale", DType::F32, {4, 1}, f32Bytes(scales)}};
    c.logical = {"o.weight"};
    return c;
}

// compressed-tensors int-quantized INT8, asymmetric 2x2 blocks over 3x5 (ragged).
inline LayoutCase ctInt8BlockCase(uint32_t seed = 8)
{
    std::mt19937 rng(seed);
    LayoutCase c;
    c.id = "ct-int8-block";
    c.layoutId = "ct-unpacked";
    c.config = js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'int-quantized', "
                  "'config_groups': {'g': {'weights': {'num_bits': 8, 'type': 'int', 'symmetric': false, "
                  "'strategy': 'block', 'block_structure': [2, 2]}}}}}");
    c.tensors = {{"b.weight", DType::I8, {3, 5}, randomBytes(15, rng)},
                 {"b.weight_scale", DType::F32, {2, 3}, f32Bytes({0.5f, 0.25f, 0.125f, 2.0f, 0.75f, 0.01f})},
                 {"b.weight_zero_point", DType::I8, {2, 3}, std::vector<uint8_t>{0, 1, uint8_t(-2), 3, 4, uint8_t(-128)}}};
    c.logical = {"b.weight"};
    return c;
}

// DeepSeek FP8 block scales: [3, 5] E4M3 codes, weight_block_size [2, 2], scale_inv [2, 3].
inline LayoutCase fp8BlockCase(uint32_t seed = 9)
{
    std::mt19937 rng(seed);
    LayoutCase c;
    c.id = "fp8-block";
    c.layoutId = "fp8-block";
    c.config = js("{'quantization_config': {'quant_method': 'fp8', 'weight_block_size': [2, 2], 'fmt': 'e4m3'}}");
    std::vector<uint8_t> codes = randomBytes(15, rng);
    for (auto& b : codes)
        if ((b & 0x7F) == 0x7F) b = 0x7E;
    c.tensors = {{"q.weight", DType::F8_E4M3, {3, 5}, codes},
                 {"q.weight_scale_inv", DType::F32, {2, 3}, f32Bytes({0.001f, 0.5f, 0.3f, 2.0f, 0.07f, 1.0f})},
                 plainBf16("q.norm.weight", 5, rng)};
    c.logical = {"q.weight"};
    c.plain = {"q.norm.weight"};
    return c;
}

inline std::vector<LayoutCase> allLayoutCases()
{
    return {mxfp4Case(),      nvfp4ModelOptCase(), ctNvfp4Case(),     ctPackCase(),   gptqCase(true),
            gptqCase(false),  awqCase(),           ctFp8ChannelCase(), ctInt8BlockCase(), fp8BlockCase()};
}

} // namespace qs::fixtures
