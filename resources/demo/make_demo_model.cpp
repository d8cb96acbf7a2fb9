// qs_make_demo OUTPUT_DIR: writes the small DeepSeek-style demo checkpoint the GUI and
// the tests open (config.json with an FP8 quantization_config, an index and two
// shards, ~1.3 MB). Deterministic on every machine: std::mt19937 raw output (its
// sequence is fixed by the standard), our own uniform/normal/log/exp in plain IEEE
// double arithmetic (no libm transcendental, whose last bits differ between libms),
// no FMA contraction (-ffp-contract=off). Re-running with an up-to-date output (same
// content version in the marker file) does nothing. Exit status 0 ok, 1 on failure.
#include "formats/minifloat.h"
#include "io/safetensors_writer.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

using qs::DType;

// Bump when anything below changes the output bytes.
const char* const kVersion = "quantscope-demo-model 1\n";
const QString kMarker = QStringLiteral(".quantscope-demo-version");

// ---- deterministic math --------------------------------------------------------------
constexpr double kLn2 = 0.6931471805599453094;

// ln x for x > 0: x = m·2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2·atanh(s), s = (m-1)/(m+1).
double detLog(double x)
{
    int e = 0;
    double m = std::frexp(x, &e);  // exact
    if (m < 0.70710678118654752440) {
        m *= 2.0;
        --e;
    }
    const double s = (m - 1.0) / (m + 1.0), s2 = s * s;
    double term = s, sum = 0.0;
    for (int k = 1; k < 60; k += 2) {
        sum += term / k;
        term *= s2;
    }
    return 2.0 * sum + e * kLn2;
}

// e^x: x = k·ln2 + r, |r| <= ln2/2, Taylor series of e^r, times 2^k (exact).
double detExp(double x)
{
    const double k = std::floor(x / kLn2 + 0.5);
    const double r = x - k * kLn2;
    double term = 1.0, sum = 1.0;
    for (int n = 1; n < 30; ++n) {
        term *= r / n;
        sum += term;
    }
    return std::ldexp(sum, int(k));
}

class Rng {
public:
    explicit Rng(uint32_t seed) : m_gen(seed) {}
    // Uniform in (0, 1) with 53 random bits.
    double uniform()
    {
        const uint64_t a = m_gen() >> 5, b = m_gen() >> 6;
        return (double(a) * 67108864.0 + double(b) + 0.5) / 9007199254740992.0;
    }
    // Standard normal, Marsaglia's polar method.
    double normal()
    {
        if (m_hasSpare) {
            m_hasSpare = false;
            return m_spare;
        }
        while (true) {
            const double u = 2.0 * uniform() - 1.0, v = 2.0 * uniform() - 1.0;
            const double s = u * u + v * v;
            if (s >= 1.0 || s == 0.0) continue;
            const double f = std::sqrt(-2.0 * detLog(s) / s);
            m_spare = v * f;
            m_hasSpare = true;
            return u * f;
        }
    }
    uint32_t below(uint32_t n) { return uint32_t(uniform() * n); }

private:
    std::mt19937 m_gen;
    double m_spare = 0.0;
    bool m_hasSpare = false;
};

uint32_t seedOf(const std::string& name)  // FNV-1a, so each tensor has its own stream
{
    uint32_t h = 2166136261u;
    for (unsigned char c : name) h = (h ^ c) * 16777619u;
    return h;
}

int64_t numelOf(const std::vector<int64_t>& shape)
{
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

// Weight-like values: N(0, 0.02) · per-row log-normal scale · x20 on a few outlier columns.
std::vector<float> weights(const std::string& name, const std::vector<int64_t>& shape)
{
    Rng rng(seedOf(name));
    const int64_t cols = shape.back(), rows = numelOf(shape) / cols;
    std::vector<double> colScale(static_cast<size_t>(cols), 1.0);
    for (int k = 0; k < 3; ++k) colScale[rng.below(uint32_t(cols))] = 20.0;
    std::vector<float> w(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        const double rowScale = detExp(0.5 * rng.normal());
        for (int64_t c = 0; c < cols; ++c)
            w[size_t(r * cols + c)] = float(0.02 * rowScale * colScale[size_t(c)] * rng.normal());
    }
    return w;
}

std::vector<float> norms(const std::string& name, int64_t n)
{
    Rng rng(seedOf(name));
    std::vector<float> w(static_cast<size_t>(n));
    for (auto& v : w) v = float(1.0 + 0.1 * rng.normal());
    return w;
}

std::vector<float> invFreq(int64_t n)  // 1 / 10000^(2i / 2n)
{
    std::vector<float> w(static_cast<size_t>(n));
    const double ln10000 = detLog(10000.0);
    for (int64_t i = 0; i < n; ++i) w[size_t(i)] = float(detExp(-double(2 * i) / double(2 * n) * ln10000));
    return w;
}

struct Tensor {
    qs::TensorSpec spec;
    std::vector<uint8_t> bytes;
};

Tensor makeTensor(const std::string& name, DType t, std::vector<int64_t> shape, const std::vector<float>& values)
{
    return Tensor{{name, t, std::move(shape)}, qs::encodeFloats(t, values)};
}

// DeepSeek-style FP8: per 128x128 block scale = amax / 448 (fp32), code = RNE e4m3(w / scale).
void addFp8(std::vector<Tensor>& out, const std::string& name, int64_t m, int64_t n)
{
    const std::vector<float> w = weights(name, {m, n});
    const int64_t bm = 128, bn = 128, sr = (m + bm - 1) / bm, sc = (n + bn - 1) / bn;
    std::vector<float> scales(static_cast<size_t>(sr * sc));
    std::vector<uint8_t> codes(static_cast<size_t>(m * n));
    for (int64_t bi = 0; bi < sr; ++bi)
        for (int64_t bj = 0; bj < sc; ++bj) {
            float amax = 0.0f;
            for (int64_t i = bi * bm; i < std::min(m, (bi + 1) * bm); ++i)
                for (int64_t j = bj * bn; j < std::min(n, (bj + 1) * bn); ++j)
                    amax = std::max(amax, std::fabs(w[size_t(i * n + j)]));
            const float s = amax > 0.0f ? amax / 448.0f : 1.0f;
            scales[size_t(bi * sc + bj)] = s;
            for (int64_t i = bi * bm; i < std::min(m, (bi + 1) * bm); ++i)
                for (int64_t j = bj * bn; j < std::min(n, (bj + 1) * bn); ++j)
                    codes[size_t(i * n + j)] = qs::encodeE4M3(w[size_t(i * n + j)] / s, true);
        }
    out.push_back(Tensor{{name, DType::F8_E4M3, {m, n}}, std::move(codes)});
    out.push_back(makeTensor(name + "_scale_inv", DType::F32, {sr, sc}, scales));
}

void addWeight(std::vector<Tensor>& out, const std::string& name, DType t, std::vector<int64_t> shape)
{
    out.push_back(makeTensor(name, t, shape, weights(name, shape)));
}

std::vector<Tensor> layer(int l)
{
    const std::string p = "model.layers." + std::to_string(l) + ".";
    std::vector<Tensor> t;
    t.push_back(makeTensor(p + "input_layernorm.weight", DType::BF16, {256}, norms(p + "input_layernorm.weight", 256)));
    addFp8(t, p + "self_attn.q_a_proj.weight", 192, 256);
    addFp8(t, p + "self_attn.kv_a_proj_with_mqa.weight", 200, 256);
    addWeight(t, p + "self_attn.o_proj.weight", DType::F16, {256, 256});
    t.push_back(makeTensor(p + "self_attn.rotary_emb.inv_freq", DType::F32, {32}, invFreq(32)));
    if (l == 0) {
        addWeight(t, p + "mlp.gate_proj.weight", DType::BF16, {96, 256});
        addWeight(t, p + "mlp.down_proj.weight", DType::BF16, {256, 96});
    } else {
        addWeight(t, p + "mlp.gate.weight", DType::F32, {8, 256});
        addWeight(t, p + "mlp.experts.down_proj.weight", DType::BF16, {4, 256, 96});
        addWeight(t, p + "mlp.shared_experts.up_proj.weight", DType::BF16, {100, 150});
    }
    return t;
}

// As the reference writer: descending element size, then name, so every tensor starts
// at a file offset that is a multiple of its element size.
void sortForAlignment(std::vector<Tensor>& t)
{
    std::sort(t.begin(), t.end(), [](const Tensor& a, const Tensor& b) {
        const int sa = qs::dtypeBytes(a.spec.dtype), sb = qs::dtypeBytes(b.spec.dtype);
        return sa != sb ? sa > sb : a.spec.name < b.spec.name;
    });
}

bool writeText(const QString& path, const QByteArray& text)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size() || !f.commit()) {
        std::fprintf(stderr, "qs_make_demo: cannot write %s: %s\n", qPrintable(path), qPrintable(f.errorString()));
        return false;
    }
    return true;
}

QJsonObject config()
{
    QJsonObject q{{"quant_method", "fp8"}, {"fmt", "e4m3"}, {"activation_scheme", "dynamic"},
                  {"weight_block_size", QJsonArray{128, 128}}};
    return QJsonObject{{"architectures", QJsonArray{"DeepseekV3ForCausalLM"}},
                       {"model_type", "deepseek_v3"},
                       {"hidden_size", 256},
                       {"vocab_size", 512},
                       {"num_hidden_layers", 2},
                       {"q_lora_rank", 192},
                       {"kv_lora_rank", 136},
                       {"intermediate_size", 96},
                       {"moe_intermediate_size", 96},
                       {"n_routed_experts", 4},
                       {"torch_dtype", "bfloat16"},
                       {"quantization_config", q}};
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: qs_make_demo OUTPUT_DIR\n");
        return 1;
    }
    const QString dir = QString::fromLocal8Bit(argv[1]);
    const QString index = dir + "/model.safetensors.index.json";
    const char* shardNames[2] = {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
    {
        QFile marker(dir + "/" + kMarker);
        if (marker.open(QIODevice::ReadOnly) && marker.readAll() == kVersion && QFileInfo::exists(index) &&
            QFileInfo::exists(dir + "/" + shardNames[0]) && QFileInfo::exists(dir + "/" + shardNames[1]) &&
            QFileInfo::exists(dir + "/config.json"))
            return 0;  // up to date
    }
    if (!QDir().mkpath(dir)) {
        std::fprintf(stderr, "qs_make_demo: cannot create %s\n", qPrintable(dir));
        return 1;
    }
    QFile::remove(dir + "/" + kMarker);

    std::vector<Tensor> shards[2];
    addWeight(shards[0], "model.embed_tokens.weight", DType::BF16, {512, 256});
    for (auto& t : layer(0)) shards[0].push_back(std::move(t));
    for (auto& t : layer(1)) shards[1].push_back(std::move(t));
    shards[1].push_back(makeTensor("model.norm.weight", DType::BF16, {256}, norms("model.norm.weight", 256)));
    addWeight(shards[1], "lm_head.weight", DType::BF16, {512, 256});

    QJsonObject weightMap;
    qint64 total = 0;
    for (int s = 0; s < 2; ++s) {
        sortForAlignment(shards[s]);
        std::vector<qs::TensorData> data;
        for (const auto& t : shards[s]) {
            data.push_back({t.spec, t.bytes});
            weightMap.insert(QString::fromStdString(t.spec.name), shardNames[s]);
            total += qint64(t.bytes.size());
        }
        auto r = qs::writeSafetensors(dir + "/" + shardNames[s], data, {{"format", "pt"}});
        if (!r) {
            std::fprintf(stderr, "qs_make_demo: %s\n", r.error().message.c_str());
            return 1;
        }
    }
    const QJsonObject idx{{"metadata", QJsonObject{{"total_size", total}}}, {"weight_map", weightMap}};
    if (!writeText(dir + "/config.json", QJsonDocument(config()).toJson(QJsonDocument::Indented)) ||
        !writeText(index, QJsonDocument(idx).toJson(QJsonDocument::Indented)) ||
        !writeText(dir + "/" + kMarker, kVersion))
        return 1;
    return 0;
}
