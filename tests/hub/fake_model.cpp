#include "fake_model.h"

#include "io/safetensors_writer.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <cstring>

namespace qs::test {

std::vector<float> genValues(int64_t n, uint32_t seed, float scale)
{
    std::vector<float> v(static_cast<size_t>(n));
    uint32_t x = seed * 2654435761u + 12345u;
    for (auto& f : v) {
        x = x * 1664525u + 1013904223u;
        f = (float(x >> 8) / float(1u << 24) * 2.0f - 1.0f) * scale;
    }
    return v;
}

GenTensor genTensor(const std::string& name, DType dtype, std::vector<int64_t> shape, uint32_t seed)
{
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    GenTensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    const float scale = dtype == DType::F8_E4M3 ? 200.0f : 1.0f;
    const auto values = genValues(n, seed, scale);
    if (dtype == DType::F32) {
        t.bytes.resize(size_t(n) * 4);
        std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
    } else {
        t.bytes = encodeFloats(dtype, values);
    }
    return t;
}

std::vector<GenShard> standardModel()
{
    GenShard a{QStringLiteral("model-00001-of-00002.safetensors"), {}};
    a.tensors.push_back(genTensor("model.embed_tokens.weight", DType::F32, {256, 256}, 1));
    a.tensors.push_back(genTensor("model.layers.0.mlp.down_proj.weight", DType::BF16, {512, 256}, 2));
    a.tensors.push_back(genTensor("model.layers.0.input_layernorm.weight", DType::F32, {256}, 3));
    GenShard b{QStringLiteral("model-00002-of-00002.safetensors"), {}};
    b.tensors.push_back(genTensor("model.layers.1.mlp.up_proj.weight", DType::F32, {512, 512}, 4));
    b.tensors.push_back(genTensor("model.layers.1.self_attn.q_proj.weight", DType::F8_E4M3, {256, 384}, 5));
    GenTensor s = genTensor("model.layers.1.self_attn.q_proj.weight_scale_inv", DType::F32, {2, 3}, 6);
    for (size_t i = 0; i < s.bytes.size(); i += 4) {  // positive scales
        float f;
        std::memcpy(&f, s.bytes.data() + i, 4);
        f = 0.001f + (f < 0 ? -f : f) * 0.01f;
        std::memcpy(s.bytes.data() + i, &f, 4);
    }
    b.tensors.push_back(std::move(s));
    b.tensors.push_back(genTensor("model.norm.weight", DType::F32, {512}, 7));
    return {a, b};
}

std::vector<GenShard> manyShards(int n, int rows, int cols)
{
    std::vector<GenShard> out;
    for (int i = 0; i < n; ++i) {
        GenShard s;
        s.file = QStringLiteral("model-%1-of-%2.safetensors").arg(i + 1, 5, 10, QLatin1Char('0')).arg(n, 5, 10, QLatin1Char('0'));
        s.tensors.push_back(genTensor("model.layers." + std::to_string(i) + ".weight", DType::F32, {rows, cols}, uint32_t(100 + i)));
        out.push_back(std::move(s));
    }
    return out;
}

namespace {

QString writeJson(const QString& path, const QJsonObject& o)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return path + QStringLiteral(": ") + f.errorString();
    f.write(QJsonDocument(o).toJson(QJsonDocument::Indented));
    return f.commit() ? QString() : path + QStringLiteral(": ") + f.errorString();
}

} // namespace

QString writeModel(const QString& dir, const std::vector<GenShard>& shards, bool index)
{
    if (!QDir().mkpath(dir)) return QStringLiteral("cannot create ") + dir;
    QJsonObject weightMap;
    uint64_t total = 0;
    for (const GenShard& s : shards) {
        std::vector<TensorData> data;
        for (const GenTensor& t : s.tensors) {
            data.push_back(TensorData{TensorSpec{t.name, t.dtype, t.shape}, std::span<const uint8_t>(t.bytes)});
            weightMap[QString::fromStdString(t.name)] = s.file;
            total += t.bytes.size();
        }
        auto r = writeSafetensors(dir + QLatin1Char('/') + s.file, data, {{"format", "pt"}});
        if (!r) return QString::fromStdString(r.error().message);
    }
    if (index) {
        const QString e = writeJson(dir + QStringLiteral("/model.safetensors.index.json"),
                                    QJsonObject{{QStringLiteral("metadata"), QJsonObject{{QStringLiteral("total_size"), double(total)}}},
                                                {QStringLiteral("weight_map"), weightMap}});
        if (!e.isEmpty()) return e;
    }
    return writeJson(dir + QStringLiteral("/config.json"),
                     QJsonObject{{QStringLiteral("model_type"), QStringLiteral("test")},
                                 {QStringLiteral("quantization_config"),
                                  QJsonObject{{QStringLiteral("quant_method"), QStringLiteral("fp8")},
                                              {QStringLiteral("weight_block_size"), QJsonArray{128, 128}}}}});
}

uint64_t headerBytes(const QString& file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) return 0;
    const QByteArray p = f.read(8);
    if (p.size() != 8) return 0;
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(p[i]);
    return 8 + n;
}

} // namespace qs::test
