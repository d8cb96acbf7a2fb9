// The layout registry: detection from the quantization config, grouping, lookup.
#include "io/layouts/layout.h"

#include "io/dtype.h"
#include "io/json_util.h"
#include "io/safetensors.h"

#include <QJsonArray>

#include <algorithm>
#include <set>
#include <unordered_map>

namespace qs::layouts {

namespace {

const std::vector<LayoutEntry>& entries()
{
    static const std::vector<LayoutEntry> table{mxfp4GptOssEntry(), gptqEntry(), awqEntry(), ctPackQuantizedEntry(),
                                                nvfp4ModelOptEntry(), ctNvfp4Entry(), ctUnpackedEntry(),
                                                fp8BlockEntry()};
    return table;
}

Error unsupported(const std::string& what)
{
    return Error::model("config.json: quantization_config: " + what +
                        " is recognised but not supported yet (supported: fp8 block scales, mxfp4 (gpt-oss), "
                        "gptq 2/4/8-bit, awq gemm 4-bit, compressed-tensors pack-quantized and nvfp4-pack-quantized, "
                        "modelopt NVFP4; docs/CHECKPOINTS.md)");
}

// An integer field of o, def when absent; false when present but not an integer.
bool intField(const QJsonObject& o, const char* key, int64_t def, int64_t& out)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull()) {
        out = def;
        return true;
    }
    const double d = v.toDouble(0.5);
    if (!v.isDouble() || d != double(int64_t(d))) return false;
    out = int64_t(d);
    return true;
}

Error badField(const std::string& field, const std::string& expected)
{
    return Error::model("config.json: quantization_config." + field + ": expected " + expected);
}

std::string intLabel(int bits, int64_t group, const std::string& who)
{
    std::string s = "int" + std::to_string(bits);
    if (group > 0) s += " g" + std::to_string(group);
    else if (group == 0) s += " per-channel";
    else s += " per-tensor";
    return s + " (" + who + ")";
}

// A 4-bit float layout (E2M1 codes in blocks of `block` along the input axis with one scale each).
StoredLayout fp4Layout(const char* id, const char* label, int64_t block)
{
    StoredLayout out;
    out.id = id;
    out.label = label;
    out.bits = 4;
    out.groupSize = block;
    return out;
}

Result<StoredLayout> detectCompressedTensors(const QJsonObject& qc)
{
    QString format = qc.value(QLatin1String("format")).toString();
    const QJsonObject groups = qc.value(QLatin1String("config_groups")).toObject();
    QJsonObject weights;
    int withWeights = 0;
    for (auto it = groups.begin(); it != groups.end(); ++it) {
        const QJsonObject g = it.value().toObject();
        const QString gf = g.value(QLatin1String("format")).toString();
        if (!gf.isEmpty() && format.isEmpty()) format = gf;
        if (!gf.isEmpty() && gf != format)
            return unsupported("compressed-tensors with config_groups in different formats (" + toStd(format) + ", " +
                               toStd(gf) + ")");
        if (g.value(QLatin1String("weights")).isObject()) {
            const QJsonObject w = g.value(QLatin1String("weights")).toObject();
            if (withWeights++ && w != weights)
                return unsupported("compressed-tensors with several config_groups of different weight schemes");
            weights = w;
        }
    }
    StoredLayout out;
    if (format.isEmpty() || format == QLatin1String("dense")) return out;  // nothing packed
    if (format == QLatin1String("nvfp4-pack-quantized")) {
        return fp4Layout("ct-nvfp4-pack-quantized", "nvfp4 (compressed-tensors)", 16);
    }
    if (format == QLatin1String("float-quantized") || format == QLatin1String("int-quantized") ||
        format == QLatin1String("naive-quantized")) {
        const QString strategy = weights.value(QLatin1String("strategy")).toString(QStringLiteral("tensor"));
        int64_t group = 0;
        out.id = "ct-unpacked";
        out.symmetric = weights.value(QLatin1String("symmetric")).toBool(true);
        if (strategy == QLatin1String("tensor")) {
            out.groupSize = -1;
            out.label = "per-tensor";
        } else if (strategy == QLatin1String("channel")) {
            out.groupSize = 0;
            out.label = "per-channel";
        } else if (strategy == QLatin1String("group")) {
            if (!intField(weights, "group_size", 0, group) || group < 1)
                return badField("config_groups.*.weights.group_size", "a positive integer with strategy \"group\"");
            out.groupSize = group;
            out.label = "g" + std::to_string(group);
        } else if (strategy == QLatin1String("block")) {
            const QJsonArray b = weights.value(QLatin1String("block_structure")).toArray();
            if (b.size() != 2 || b.at(0).toInt() < 1 || b.at(1).toInt() < 1)
                return badField("config_groups.*.weights.block_structure", "two positive integers [rows, cols]");
            out.blockRows = b.at(0).toInt();
            out.groupSize = b.at(1).toInt();
            out.label = "block " + std::to_string(out.blockRows) + "x" + std::to_string(out.groupSize);
        } else {
            return unsupported("compressed-tensors " + toStd(format) + " with strategy \"" + toStd(strategy) + "\"");
        }
        out.label += " (compressed-tensors)";
        return out;
    }
    if (format != QLatin1String("pack-quantized"))
        return unsupported("compressed-tensors format \"" + toStd(format) + "\"");
    int64_t bits = 0, group = 0;
    if (!intField(weights, "num_bits", 4, bits) || (bits != 4 && bits != 8))
        return badField("config_groups.*.weights.num_bits", "4 or 8 for pack-quantized");
    if (weights.value(QLatin1String("type")).toString(QStringLiteral("int")) != QLatin1String("int"))
        return unsupported("compressed-tensors pack-quantized with weights.type \"" +
                           toStd(weights.value(QLatin1String("type")).toString()) + "\"");
    const QString strategy = weights.value(QLatin1String("strategy")).toString(QStringLiteral("tensor"));
    if (strategy == QLatin1String("group")) {
        if (!intField(weights, "group_size", 0, group) || group < 1)
            return badField("config_groups.*.weights.group_size", "a positive integer with strategy \"group\"");
    } else if (strategy == QLatin1String("channel")) {
        group = 0;
    } else if (strategy == QLatin1String("tensor")) {
        group = -1;
    } else {
        return unsupported("compressed-tensors pack-quantized with strategy \"" + toStd(strategy) + "\"");
    }
    out.id = "ct-pack-quantized";
    out.bits = int(bits);
    out.groupSize = group;
    out.symmetric = weights.value(QLatin1String("symmetric")).toBool(true);
    out.label = intLabel(out.bits, group, "compressed-tensors");
    return out;
}

} // namespace


const LayoutEntry* findLayout(const std::string& id)
{
    for (const auto& e : entries())
        if (e.id == id) return &e;
    return nullptr;
}

Result<StoredLayout> detectLayout(const QJsonObject& config, const QJsonObject& hfQuantConfig)
{
    StoredLayout out;
    const QJsonObject hq = hfQuantConfig.value(QLatin1String("quantization")).toObject();
    const QString algo = hq.value(QLatin1String("quant_algo")).toString();
    const QJsonObject qcObj = config.value(QLatin1String("quantization_config")).toObject();
    const bool modelopt = qcObj.value(QLatin1String("quant_method")).toString().toLower() == QLatin1String("modelopt");
    const QString algoAny = !algo.isEmpty() ? algo : modelopt ? qcObj.value(QLatin1String("quant_algo")).toString() : QString();
    if (algoAny == QLatin1String("NVFP4")) {
        return fp4Layout("nvfp4-modelopt", "nvfp4 (modelopt)", 16);
    }
    if (!algo.isEmpty())
        return Error::model("hf_quant_config.json: quantization.quant_algo \"" + toStd(algo) +
                            "\" (NVIDIA ModelOpt) is recognised but not supported yet (docs/CHECKPOINTS.md §5)");
    const QJsonValue qv = config.value(QLatin1String("quantization_config"));
    if (!qv.isObject()) return out;
    const QJsonObject qc = qv.toObject();
    const QJsonValue mv = qc.value(QLatin1String("quant_method"));
    if (mv.isUndefined() || mv.isNull()) return out;  // FP8 block scales (weight_block_size) or nothing
    if (!mv.isString()) return badField("quant_method", "a string");
    const QString method = mv.toString().toLower();
    if (method == QLatin1String("fp8")) {  // the FP8 block layout (weight_block_size, default 128x128)
        auto b = fp8BlockSizeFromConfig(config);
        if (!b) return b.error();
        return fp8BlockLayout((*b)[0], (*b)[1]);
    }
    if (method == QLatin1String("mxfp4")) {
        return fp4Layout("mxfp4-gpt-oss", "mxfp4 (gpt-oss)", 32);
    }
    if (method == QLatin1String("gptq")) {
        int64_t bits = 0, group = 0;
        if (!intField(qc, "bits", 4, bits) || (bits != 2 && bits != 3 && bits != 4 && bits != 8))
            return badField("bits", "2, 3, 4 or 8 for gptq");
        if (bits == 3) return unsupported("gptq with bits 3 (fields across words)");
        if (!intField(qc, "group_size", 128, group) || (group < 1 && group != -1))
            return badField("group_size", "a positive integer or -1 for gptq");
        const QString fmt = qc.value(QLatin1String("checkpoint_format")).toString(QStringLiteral("gptq")).toLower();
        if (fmt != QLatin1String("gptq") && fmt != QLatin1String("gptq_v2"))
            return unsupported("gptq checkpoint_format \"" + toStd(fmt) + "\"");
        out.id = "gptq";
        out.bits = int(bits);
        out.groupSize = group == -1 ? 0 : group;
        out.zeroPlusOne = fmt == QLatin1String("gptq");
        out.symmetric = false;  // qzeros are always stored
        out.label = intLabel(out.bits, out.groupSize, fmt == QLatin1String("gptq") ? "gptq" : "gptq v2");
        return out;
    }
    if (method == QLatin1String("awq")) {
        int64_t bits = 0, group = 0;
        const QString version = qc.value(QLatin1String("version")).toString(QStringLiteral("gemm")).toLower();
        if (version != QLatin1String("gemm")) return unsupported("awq version \"" + toStd(version) + "\"");
        if (!intField(qc, "bits", qc.contains(QLatin1String("w_bit")) ? qc.value(QLatin1String("w_bit")).toInt() : 4, bits) ||
            bits != 4)
            return badField("bits", "4 for awq gemm");
        if (!intField(qc, "group_size", qc.contains(QLatin1String("q_group_size"))
                                            ? qc.value(QLatin1String("q_group_size")).toInt() : 128, group) ||
            group < 1)
            return badField("group_size", "a positive integer for awq");
        out.id = "awq";
        out.bits = 4;
        out.groupSize = group;
        out.symmetric = false;
        out.label = intLabel(4, group, "awq");
        return out;
    }
    if (method == QLatin1String("compressed-tensors")) return detectCompressedTensors(qc);
    if (method == QLatin1String("modelopt"))
        return unsupported("quant_method \"modelopt\" (quant_algo \"" +
                           toStd(qc.value(QLatin1String("quant_algo")).toString()) + "\")");
    return Error::model("config.json: quantization_config.quant_method \"" + toStd(mv.toString()) +
                        "\" is not a known checkpoint layout (known: fp8, mxfp4, gptq, awq, compressed-tensors, "
                        "modelopt; docs/CHECKPOINTS.md)");
}

Result<void> groupTensors(const QJsonObject& config, const QJsonObject& hfQuantConfig, const ReadSmall& readSmall,
                          std::vector<TensorInfo>& tensors, std::vector<TensorInfo>& parts)
{
    auto params = detectLayout(config, hfQuantConfig);
    if (!params) return params.error();
    if (params->id.empty()) {
        // No layout named: FP8 tensors with a _scale_inv sibling still are the FP8 block
        // layout (DeepSeek-V3 configs without quant_method; the block size or 128x128).
        auto b = fp8BlockSizeFromConfig(config);
        if (!b) return b.error();
        *params = fp8BlockLayout((*b)[0], (*b)[1]);
    }
    const LayoutEntry* e = findLayout(params->id);
    if (!e) return Error::model("layout \"" + params->id + "\" has no registry entry");
    std::vector<TensorInfo> logical;
    QS_TRY(e->group(tensors, *params, readSmall, logical));
    std::set<std::string> used;
    std::unordered_map<std::string, TensorInfo*> inPlace;  // logical tensors that replace their code tensor
    for (auto& l : logical) {
        if (l.layout->inPlace) {
            inPlace.emplace(l.name, &l);
            continue;
        }
        for (const auto& [role, name] : l.layout->parts) used.insert(name);
    }
    std::vector<TensorInfo> kept;
    for (auto& t : tensors) {
        if (auto it = inPlace.find(t.name); it != inPlace.end()) t = std::move(*it->second);
        (used.count(t.name) ? parts : kept).push_back(std::move(t));
    }
    std::erase_if(logical, [](const TensorInfo& l) { return !l.layout || l.layout->inPlace; });
    std::set<std::string> names;
    for (const auto& t : kept) names.insert(t.name);
    for (auto& l : logical) {
        if (!names.insert(l.name).second)
            return Error::model("tensor \"" + l.name + "\" exists both as a stored tensor and as the " +
                                l.layout->label + " tensor decoded from " + l.layout->parts.front().second);
        kept.push_back(std::move(l));
    }
    tensors = std::move(kept);
    return {};
}

std::string EmulatedFormat::text() const
{
    std::string s = format;
    for (const auto& [flag, value] : options) s += " --" + flag + (value == "on" ? std::string() : " " + value);
    return s;
}

std::optional<EmulatedFormat> emulatedFormat(const TensorInfo& logical)
{
    if (!logical.layout) return std::nullopt;
    const LayoutEntry* e = findLayout(logical.layout->id);
    if (!e || !e->emulation) return std::nullopt;
    return e->emulation(logical);
}

std::string tensorWhere(const TensorInfo& t) { return toStd(t.file) + ": tensor \"" + t.name + "\""; }

Error partError(const TensorInfo& t, const std::string& what) { return Error::model(tensorWhere(t) + " " + what); }

Result<std::vector<float>> decodeFloats(const PartData& p)
{
    const TensorInfo& t = *p.info;
    if (!dtypeDecodable(t.dtype) || dtypeIsInteger(t.dtype))
        return partError(t, "dtype " + t.dtypeName + " is not a float scale dtype");
    const int64_t n = t.numel();
    if (int64_t(p.bytes->size()) != n * dtypeBytes(t.dtype))
        return partError(t, "read " + std::to_string(p.bytes->size()) + " bytes, expected " +
                                std::to_string(n * dtypeBytes(t.dtype)));
    std::vector<float> out(size_t(std::max<int64_t>(n, 0)));
    if (n > 0) decodeToFloat(t.dtype, p.bytes->data(), n, out.data());
    return out;
}

} // namespace qs::layouts

namespace qs {

const std::string* StoredLayout::part(const std::string& role) const
{
    for (const auto& [r, n] : parts)
        if (r == role) return &n;
    return nullptr;
}

} // namespace qs
