#include "fake_deepseek.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace qs::test {

namespace {

constexpr int64_t kHidden = 7168, kInter = 18432, kMoeInter = 2048, kQLora = 1536, kKvLora = 512, kRope = 64,
                  kNope = 128, kV = 128, kHeads = 128, kVocab = 129280, kExperts = 256, kLayers = 61, kDense = 3;

int64_t blocks(int64_t n) { return (n + 127) / 128; }

uint64_t mix(uint64_t x)  // splitmix64 finaliser
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// A Gaussian-like value with mean 0 and standard deviation 1 (sum of four uniform bytes).
double gaussish(uint64_t h)
{
    const double s = double(h & 0xff) + double((h >> 8) & 0xff) + double((h >> 16) & 0xff) + double((h >> 24) & 0xff);
    return (s - 510.0) / 147.8;
}

uint16_t toBf16(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even (no NaN here)
    return uint16_t(u >> 16);
}

// An E4M3 code of a N(0, 112) weight (block amax near 448) from 16 random bits: the exponent
// field follows the Gaussian's mass per binade, the mantissa is uniform, 0x7f/0xff (NaN) never.
uint8_t fp8Code(uint32_t r)
{
    const uint32_t sign = (r >> 15) & 1u, mant = (r >> 12) & 7u, u = r & 4095u;
    static constexpr uint32_t kCum[] = {90, 1040, 2322, 3170, 3625, 3858, 3973, 4033};  // e = 15 .. 8
    uint32_t e = 0;
    for (int i = 0; i < 8; ++i)
        if (u < kCum[i]) {
            e = 15u - uint32_t(i);
            break;
        }
    if (e == 0) e = u & 7u;  // the thin tail: small normals, subnormals and zero
    uint32_t m = mant;
    if (e == 15 && m == 7) m = 6;  // 448, not NaN
    return uint8_t((sign << 7) | (e << 3) | m);
}

// fp8Code for every 16-bit input, built once.
const uint8_t* fp8Table()
{
    static const std::vector<uint8_t> table = [] {
        std::vector<uint8_t> t(65536);
        for (uint32_t r = 0; r < 65536; ++r) t[r] = fp8Code(r);
        return t;
    }();
    return table.data();
}

// The 8 stored bytes of word w (bytes [8w, 8w + 8)) of a tensor.
void wordBytes(const SynthTensor& t, uint64_t seed, uint64_t w, uint8_t out[8])
{
    switch (t.kind) {
    case SynthKind::Fp8Weight: {
        const uint8_t* code = fp8Table();
        const uint64_t a = mix(seed ^ (2 * w)), b = mix(seed ^ (2 * w + 1));
        for (int i = 0; i < 4; ++i) {
            out[i] = code[(a >> (16 * i)) & 0xffffu];
            out[4 + i] = code[(b >> (16 * i)) & 0xffffu];
        }
        return;
    }
    case SynthKind::ScaleInv:
    case SynthKind::Bias:
        for (int i = 0; i < 2; ++i) {
            const uint64_t h = mix(seed ^ (2 * w + uint64_t(i)));
            float f;
            if (t.kind == SynthKind::ScaleInv)  // amax / 448 for weights of amax 0.05 .. 0.36: 1.1e-4 .. 8e-4, > 0
                f = float(2.2e-4 * std::exp2(double(h & 0xffff) / 65536.0 * 2.8 - 1.0));
            else
                f = float(0.02 * gaussish(h));
            std::memcpy(out + 4 * i, &f, 4);
        }
        return;
    case SynthKind::Norm:
    case SynthKind::Dense:
        for (int i = 0; i < 4; ++i) {
            const uint64_t h = mix(seed ^ (4 * w + uint64_t(i)));
            const double g = gaussish(h);
            const float f = float(t.kind == SynthKind::Norm ? 1.0 + 0.25 * g : 0.02 * g);
            const uint16_t b = toBf16(f);
            out[2 * i] = uint8_t(b & 0xff);
            out[2 * i + 1] = uint8_t(b >> 8);
        }
        return;
    }
}

} // namespace

DeepSeekV3Synth::DeepSeekV3Synth()
{
    auto add = [this](std::string name, DType dtype, std::vector<int64_t> shape, SynthKind kind) {
        SynthTensor t;
        t.name = std::move(name);
        t.dtype = dtype;
        t.kind = kind;
        t.shape = std::move(shape);
        t.elements = 1;
        for (int64_t d : t.shape) t.elements *= uint64_t(d);
        t.bytes = t.elements * uint64_t(dtypeBytes(dtype));
        m_tensors.push_back(std::move(t));
    };
    auto fp8 = [&](const std::string& p, int64_t out, int64_t in) {
        add(p + ".weight", DType::F8_E4M3, {out, in}, SynthKind::Fp8Weight);
        add(p + ".weight_scale_inv", DType::F32, {blocks(out), blocks(in)}, SynthKind::ScaleInv);
    };
    auto bf16 = [&](const std::string& n, std::vector<int64_t> shape, SynthKind kind) { add(n, DType::BF16, std::move(shape), kind); };

    bf16("model.embed_tokens.weight", {kVocab, kHidden}, SynthKind::Dense);
    for (int layer = 0; layer <= kLayers; ++layer) {  // 61 = the MTP module
        const std::string p = "model.layers." + std::to_string(layer) + ".";
        if (layer == kLayers) {
            bf16(p + "embed_tokens.weight", {kVocab, kHidden}, SynthKind::Dense);
            bf16(p + "enorm.weight", {kHidden}, SynthKind::Norm);
            bf16(p + "hnorm.weight", {kHidden}, SynthKind::Norm);
            bf16(p + "eh_proj.weight", {kHidden, 2 * kHidden}, SynthKind::Dense);
        }
        bf16(p + "input_layernorm.weight", {kHidden}, SynthKind::Norm);
        const std::string a = p + "self_attn.";
        fp8(a + "q_a_proj", kQLora, kHidden);
        bf16(a + "q_a_layernorm.weight", {kQLora}, SynthKind::Norm);
        fp8(a + "q_b_proj", kHeads * (kNope + kRope), kQLora);
        fp8(a + "kv_a_proj_with_mqa", kKvLora + kRope, kHidden);
        bf16(a + "kv_a_layernorm.weight", {kKvLora}, SynthKind::Norm);
        fp8(a + "kv_b_proj", kHeads * (kNope + kV), kKvLora);
        fp8(a + "o_proj", kHidden, kHeads * kV);
        bf16(p + "post_attention_layernorm.weight", {kHidden}, SynthKind::Norm);
        const std::string m = p + "mlp.";
        if (layer < kDense) {
            fp8(m + "gate_proj", kInter, kHidden);
            fp8(m + "up_proj", kInter, kHidden);
            fp8(m + "down_proj", kHidden, kInter);
        } else {
            bf16(m + "gate.weight", {kExperts, kHidden}, SynthKind::Dense);
            add(m + "gate.e_score_correction_bias", DType::F32, {kExperts}, SynthKind::Bias);
            for (int e = 0; e <= kExperts; ++e) {
                const std::string x = e < kExperts ? m + "experts." + std::to_string(e) + "." : m + "shared_experts.";
                fp8(x + "gate_proj", kMoeInter, kHidden);
                fp8(x + "up_proj", kMoeInter, kHidden);
                fp8(x + "down_proj", kHidden, kMoeInter);
            }
        }
        if (layer == kLayers) {
            bf16(p + "shared_head.norm.weight", {kHidden}, SynthKind::Norm);
            bf16(p + "shared_head.head.weight", {kVocab, kHidden}, SynthKind::Dense);
        }
    }
    bf16("model.norm.weight", {kHidden}, SynthKind::Norm);
    bf16("lm_head.weight", {kVocab, kHidden}, SynthKind::Dense);

    // Shards the way a checkpoint writer with a maximum shard size fills them: tensors in
    // order (a scale_inv with its weight), a new shard when the next would pass the maximum;
    // the maximum is the smallest that gives 163 shards (about 4.24 GB; the layout follows
    // the layers, the shards next to the 1.85 GB embeddings are smaller).
    for (const auto& t : m_tensors) m_dataBytes += t.bytes;
    auto fill = [this](uint64_t cap, bool assign) {
        int shard = 0;
        uint64_t cur = 0;
        for (size_t i = 0; i < m_tensors.size(); ++i) {
            SynthTensor& t = m_tensors[i];
            uint64_t group = t.bytes;
            if (i + 1 < m_tensors.size() && m_tensors[i + 1].kind == SynthKind::ScaleInv) group += m_tensors[i + 1].bytes;
            if (t.kind != SynthKind::ScaleInv && cur > 0 && cur + group > cap) ++shard, cur = 0;
            if (assign) {
                t.shard = shard;
                t.begin = cur;
            }
            cur += t.bytes;
        }
        return shard + 1;
    };
    uint64_t lo = m_dataBytes / kShards, hi = 2 * lo;
    while (lo < hi) {
        const uint64_t mid = lo + (hi - lo) / 2;
        if (fill(mid, false) <= kShards) hi = mid;
        else lo = mid + 1;
    }
    const int made = fill(lo, true);
    Q_ASSERT(made == kShards);
    (void)made;
    m_byShard.assign(kShards, {});
    m_shardData.assign(kShards, 0);
    for (size_t i = 0; i < m_tensors.size(); ++i) {
        m_byShard[size_t(m_tensors[i].shard)].push_back(uint32_t(i));
        m_shardData[size_t(m_tensors[i].shard)] += m_tensors[i].bytes;
    }

    m_headers.resize(kShards);
    for (int s = 0; s < kShards; ++s) {
        QByteArray json = "{\"__metadata__\":{\"format\":\"pt\"}";
        for (uint32_t i : m_byShard[size_t(s)]) {
            const SynthTensor& t = m_tensors[i];
            json += ",\"" + QByteArray::fromStdString(t.name) + "\":{\"dtype\":\"" + QByteArray(dtypeName(t.dtype).data())
                  + "\",\"shape\":[";
            for (size_t d = 0; d < t.shape.size(); ++d) json += (d ? "," : "") + QByteArray::number(qlonglong(t.shape[d]));
            json += "],\"data_offsets\":[" + QByteArray::number(qulonglong(t.begin)) + ','
                  + QByteArray::number(qulonglong(t.begin + t.bytes)) + "]}";
        }
        json += '}';
        while (json.size() % 8) json += ' ';
        QByteArray h(8, '\0');
        const uint64_t n = uint64_t(json.size());
        for (int b = 0; b < 8; ++b) h[b] = char((n >> (8 * b)) & 0xff);
        m_headers[size_t(s)] = h + json;
    }

    m_index = "{\"metadata\":{\"total_size\":" + QByteArray::number(qulonglong(m_dataBytes)) + "},\"weight_map\":{";
    for (size_t i = 0; i < m_tensors.size(); ++i)
        m_index += (i ? ",\"" : "\"") + QByteArray::fromStdString(m_tensors[i].name) + "\":\"" + shardName(m_tensors[i].shard).toLatin1()
                 + '"';
    m_index += "}}\n";
}

const SynthTensor* DeepSeekV3Synth::find(const std::string& name) const
{
    for (const auto& t : m_tensors)
        if (t.name == name) return &t;
    return nullptr;
}

QString DeepSeekV3Synth::shardName(int shard) const
{
    return QStringLiteral("model-%1-of-%2.safetensors").arg(shard + 1, 5, 10, QLatin1Char('0')).arg(kShards, 6, 10, QLatin1Char('0'));
}

uint64_t DeepSeekV3Synth::shardSize(int shard) const { return uint64_t(m_headers[size_t(shard)].size()) + m_shardData[size_t(shard)]; }

uint64_t DeepSeekV3Synth::headerBytes() const
{
    uint64_t n = 0;
    for (const auto& h : m_headers) n += uint64_t(h.size());
    return n;
}

uint64_t DeepSeekV3Synth::elements(bool withScales, bool withMtp) const
{
    uint64_t n = 0;
    for (const auto& t : m_tensors)
        if ((withScales || t.kind != SynthKind::ScaleInv) && (withMtp || t.name.rfind("model.layers.61.", 0) != 0)) n += t.elements;
    return n;
}

void DeepSeekV3Synth::generate(int shard, uint64_t offset, char* out, uint64_t n) const
{
    const QByteArray& header = m_headers[size_t(shard)];
    const uint64_t hs = uint64_t(header.size());
    if (offset < hs) {
        const uint64_t k = std::min(n, hs - offset);
        std::memcpy(out, header.constData() + offset, k);
        offset += k, out += k, n -= k;
    }
    if (n == 0) return;
    const auto& list = m_byShard[size_t(shard)];
    // The first tensor whose data ends after offset.
    auto it = std::upper_bound(list.begin(), list.end(), offset - hs,
                               [this](uint64_t pos, uint32_t i) { return pos < m_tensors[i].begin + m_tensors[i].bytes; });
    while (n > 0) {
        if (it == list.end()) {  // past the end of the file: the server never asks
            std::memset(out, 0, n);
            return;
        }
        const uint32_t ti = *it;
        const SynthTensor& t = m_tensors[ti];
        const uint64_t seed = mix(0x5EED0000ull + ti);
        uint64_t r = offset - hs - t.begin;  // tensor-relative
        const uint64_t stop = std::min(t.bytes, r + n);
        while (r < stop) {
            uint8_t w[8];
            wordBytes(t, seed, r / 8, w);
            const uint64_t in = r % 8, k = std::min<uint64_t>(8 - in, stop - r);
            std::memcpy(out, w + in, k);
            out += k, r += k, offset += k, n -= k;
        }
        ++it;
    }
}

QByteArray DeepSeekV3Synth::configJson()
{
    return R"({
  "architectures": ["DeepseekV3ForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "auto_map": {
    "AutoConfig": "configuration_deepseek.DeepseekV3Config",
    "AutoModel": "modeling_deepseek.DeepseekV3Model",
    "AutoModelForCausalLM": "modeling_deepseek.DeepseekV3ForCausalLM"
  },
  "aux_loss_alpha": 0.001,
  "bos_token_id": 0,
  "eos_token_id": 1,
  "ep_size": 1,
  "first_k_dense_replace": 3,
  "hidden_act": "silu",
  "hidden_size": 7168,
  "initializer_range": 0.02,
  "intermediate_size": 18432,
  "kv_lora_rank": 512,
  "max_position_embeddings": 163840,
  "model_type": "deepseek_v3",
  "moe_intermediate_size": 2048,
  "moe_layer_freq": 1,
  "n_group": 8,
  "n_routed_experts": 256,
  "n_shared_experts": 1,
  "norm_topk_prob": true,
  "num_attention_heads": 128,
  "num_experts_per_tok": 8,
  "num_hidden_layers": 61,
  "num_key_value_heads": 128,
  "num_nextn_predict_layers": 1,
  "q_lora_rank": 1536,
  "qk_nope_head_dim": 128,
  "qk_rope_head_dim": 64,
  "quantization_config": {
    "activation_scheme": "dynamic",
    "fmt": "e4m3",
    "quant_method": "fp8",
    "weight_block_size": [128, 128]
  },
  "rms_norm_eps": 1e-06,
  "rope_theta": 10000,
  "routed_scaling_factor": 2.5,
  "scoring_func": "sigmoid",
  "seq_aux": true,
  "tie_word_embeddings": false,
  "topk_group": 4,
  "topk_method": "noaux_tc",
  "torch_dtype": "bfloat16",
  "transformers_version": "4.33.1",
  "use_cache": true,
  "v_head_dim": 128,
  "vocab_size": 129280
}
)";
}

QMap<QString, FakeFile> DeepSeekV3Synth::files(const std::shared_ptr<const DeepSeekV3Synth>& self)
{
    QMap<QString, FakeFile> out;
    for (int s = 0; s < kShards; ++s) {
        const QString name = self->shardName(s);
        out.insert(name, FakeFile::synthetic(
                             self->shardSize(s), [self, s](uint64_t off, char* dst, uint64_t n) { self->generate(s, off, dst, n); },
                             "deepseek-v3 " + name.toLatin1()));
    }
    out.insert(QStringLiteral("model.safetensors.index.json"), FakeFile::fromData(self->indexJson(), false));
    out.insert(QStringLiteral("config.json"), FakeFile::fromData(configJson(), false));
    return out;
}

} // namespace qs::test
