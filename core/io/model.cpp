// Model::open: the index (or every shard header), config.json, FP8 scale pairing.
#include "io/model.h"

#include "io/json_util.h"
#include "io/layouts/layout.h"
#include "io/safetensors.h"
#include "io/selection.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

namespace qs {

namespace {

const QString kIndexFile = QStringLiteral("model.safetensors.index.json");
const QString kConfigFile = QStringLiteral("config.json");
const QString kHfQuantConfigFile = QStringLiteral("hf_quant_config.json");
// The parsed index takes about 8x its size in memory (measured: a 140 MB index used
// 1.15 GB), so 64 MB keeps it near 0.5 GB; the largest real indexes are ~10 MB
// (DeepSeek-V3: 91 k tensors in 163 shards).
constexpr uint64_t kMaxIndexBytes = 64ull << 20;
constexpr uint64_t kMaxConfigBytes = 16ull << 20;


Error cancelledError() { return Error::model("Cancelled."); }

// Reason a weight_map shard path is refused, or empty if it is a plain relative path.
std::string badShardPath(const std::string& p)
{
    if (p.empty()) return "is empty";
    if (p.find('\\') != std::string::npos) return "contains a backslash";
    if (p[0] == '/') return "is an absolute path";
    static const QRegularExpression scheme(QStringLiteral("^[A-Za-z][A-Za-z0-9+.-]*:"));
    if (p.find("://") != std::string::npos || scheme.match(QString::fromStdString(p)).hasMatch())
        return "is a URL, not a path inside the model";
    size_t start = 0;
    while (true) {
        const size_t slash = p.find('/', start);
        const std::string part = p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part == "..") return "leaves the model folder (\"..\")";
        if (part.empty() || part == ".") return "is not a plain relative path";
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    if (!QString::fromStdString(p).endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive))
        return "is not a .safetensors file";
    return {};
}

struct IndexEntries {
    std::vector<std::pair<std::string, QString>> weightMap;  // name -> shard
    QStringList shards;                                       // distinct, sorted
};

Result<IndexEntries> readIndex(FileProvider& provider, Progress* progress)
{
    const std::string f = toStd(kIndexFile);
    auto size = provider.fileSize(kIndexFile);
    if (!size) return size.error();
    if (*size > kMaxIndexBytes)
        return Error::model(f + ": " + std::to_string(*size) + " bytes is more than the " +
                            std::to_string(kMaxIndexBytes >> 20) + " MB an index may have");
    auto bytes = provider.read(kIndexFile, 0, *size, progress);
    if (!bytes) return bytes.error();
    auto parsed = parseJsonStrict(kIndexFile, "index", (*bytes)->data(), size_t((*bytes)->size()), progress);
    if (!parsed) return parsed.error();
    const nlohmann::json& root = parsed->value;
    if (!root.is_object())
        return Error::model(f + ": expected a JSON object {\"weight_map\": {...}}, got " + jsonKind(root));
    if (parsed->hasDuplicate) {
        const auto& d = parsed->duplicate;
        if (d.depth == 2 && d.parent == "weight_map")
            return Error::model(f + ": tensor \"" + d.key + "\" appears more than once in weight_map");
        return Error::model(f + ": key \"" + d.key + "\" appears more than once" +
                            (d.parent.empty() ? std::string() : " in \"" + d.parent + "\""));
    }
    auto wm = root.find("weight_map");
    if (wm == root.end())
        return Error::model(f + ": missing \"weight_map\" (expected {\"weight_map\": {\"tensor\": \"shard.safetensors\"}})");
    if (!wm->is_object())
        return Error::model(f + ": weight_map must be an object of tensor name -> shard file, got " + jsonKind(*wm));
    if (wm->empty()) return Error::model(f + ": weight_map is empty");

    IndexEntries out;
    std::map<QString, bool> exists;
    for (auto it = wm->begin(); it != wm->end(); ++it) {
        const std::string at = f + ": weight_map[\"" + it.key() + "\"]: ";
        if (it.key().empty()) return Error::model(f + ": weight_map has an empty tensor name");
        if (!it.value().is_string())
            return Error::model(at + "expected a shard file name, got " + jsonKind(it.value()) + " " +
                                jsonShort(it.value()));
        const std::string shard = it.value().get<std::string>();
        const std::string why = badShardPath(shard);
        if (!why.empty()) return Error::model(at + "shard \"" + shard + "\" " + why);
        const QString q = toQ(shard);
        auto e = exists.find(q);
        if (e == exists.end()) e = exists.emplace(q, provider.hasFile(q)).first;
        if (!e->second)
            return Error::model(at + "shard \"" + shard + "\" does not exist in " + toStd(provider.describe()));
        out.weightMap.emplace_back(it.key(), q);
    }
    for (const auto& [shard, ok] : exists) out.shards.push_back(shard);
    return out;
}

// Reads every shard's header: 8-byte prefixes first (prefetched together), then the
// JSON headers (prefetched together), so a remote provider fetches them in parallel.
Result<std::vector<SafetensorsHeader>> readHeaders(FileProvider& provider, const QStringList& shards,
                                                   Progress* progress)
{
    std::vector<uint64_t> sizes;
    std::vector<ByteRange> prefixes;
    for (const QString& s : shards) {
        auto size = provider.fileSize(s);
        if (!size) return size.error();
        if (*size < 8) return parseHeaderLength(s, nullptr, 0, *size).error();
        sizes.push_back(*size);
        prefixes.push_back({s, 0, 8});
    }
    if (progress) progress->phase("reading safetensors headers");
    QS_TRY(provider.prefetch(prefixes, progress));
    std::vector<uint64_t> lengths;
    std::vector<ByteRange> jsons;
    for (qsizetype i = 0; i < shards.size(); ++i) {
        auto prefix = provider.read(shards[i], 0, 8, progress);
        if (!prefix) return prefix.error();
        auto n = parseHeaderLength(shards[i], (*prefix)->data(), (*prefix)->size(), sizes[size_t(i)]);
        if (!n) return n.error();
        lengths.push_back(*n);
        jsons.push_back({shards[i], 8, *n});
    }
    QS_TRY(provider.prefetch(jsons, progress));
    std::vector<SafetensorsHeader> headers;
    for (qsizetype i = 0; i < shards.size(); ++i) {
        if (progress && progress->cancelled()) return cancelledError();
        const uint64_t n = lengths[size_t(i)];
        auto bytes = provider.read(shards[i], 8, n, progress);
        if (!bytes) return bytes.error();
        if ((*bytes)->size() != n)
            return Error::model(toStd(shards[i]) + ": read " + std::to_string((*bytes)->size()) +
                                " header bytes, expected " + std::to_string(n));
        auto h = parseHeader(shards[i], (*bytes)->data(), n, sizes[size_t(i)], progress);
        if (!h) return h.error();
        headers.push_back(std::move(*h));
        if (progress) progress->report(uint64_t(i + 1), uint64_t(shards.size()), "files");
    }
    return headers;
}

TensorInfo toInfo(const SafetensorsHeader& h, const SafetensorsTensor& t, bool listed)
{
    TensorInfo info;
    info.name = t.name;
    info.dtypeName = t.dtypeName;
    info.dtype = t.dtype;
    info.shape = t.shape;
    info.file = h.file;
    info.dataOffset = h.dataStart() + t.begin;
    info.byteLength = t.end - t.begin;
    info.listedInIndex = listed;
    return info;
}

Result<QJsonObject> readConfig(FileProvider& provider, Progress* progress, const QString& file = kConfigFile)
{
    const std::string f = toStd(file);
    auto size = provider.fileSize(file);
    if (!size) return size.error();
    if (*size > kMaxConfigBytes)
        return Error::model(f + ": " + std::to_string(*size) + " bytes is too large for a model config");
    auto bytes = provider.read(file, 0, *size, progress);
    if (!bytes) return bytes.error();
    const int64_t bad = firstInvalidUtf8((*bytes)->data(), size_t((*bytes)->size()));
    if (bad >= 0)
        return Error::model(f + ": not valid UTF-8 (at byte offset " + std::to_string(bad) + ")");
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(
        QByteArray::fromRawData(reinterpret_cast<const char*>((*bytes)->data()), qsizetype((*bytes)->size())), &err);
    if (err.error != QJsonParseError::NoError)
        return Error::model(f + ": not valid JSON: " + toStd(err.errorString()) + " at byte offset " +
                            std::to_string(err.offset));
    if (!doc.isObject()) return Error::model(f + ": expected a JSON object");
    return doc.object();
}

} // namespace

Result<std::array<int64_t, 2>> fp8BlockSizeFromConfig(const QJsonObject& config, const QString& file)
{
    std::array<int64_t, 2> block{128, 128};
    const auto qc = config.value(QLatin1String("quantization_config"));
    if (qc.isUndefined() || qc.isNull()) return block;
    const std::string f = toStd(file);
    if (!qc.isObject()) return Error::model(f + ": quantization_config must be an object");
    const auto wbs = qc.toObject().value(QLatin1String("weight_block_size"));
    if (wbs.isUndefined() || wbs.isNull()) return block;
    const std::string what = f + ": quantization_config.weight_block_size must be two positive integers [rows, cols], got ";
    const QString got = QString::fromUtf8(QJsonDocument(QJsonArray{wbs}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
    if (!wbs.isArray() || wbs.toArray().size() != 2) return Error::model(what + toStd(got));
    for (int k = 0; k < 2; ++k) {
        const QJsonValue v = wbs.toArray().at(k);
        const double d = v.toDouble(-1);
        if (!v.isDouble() || !(d >= 1) || d > 1048576 || std::floor(d) != d) return Error::model(what + toStd(got));
        block[size_t(k)] = int64_t(d);
    }
    return block;
}

Result<std::shared_ptr<Model>> Model::open(std::shared_ptr<FileProvider> provider, Progress* progress)
{
    if (!provider) return Error::model("No model given.");
    auto files = provider->listFiles(progress);
    if (!files) return files.error();
    const bool hasIndex = files->contains(kIndexFile);

    QJsonObject config;
    std::array<int64_t, 2> block{128, 128};
    if (files->contains(kConfigFile)) {
        auto c = readConfig(*provider, progress);
        if (!c) return c.error();
        config = *c;
        auto b = fp8BlockSizeFromConfig(config);
        if (!b) return b.error();
        block = *b;
    }

    std::vector<TensorInfo> tensors, unlisted;
    if (hasIndex) {
        auto index = readIndex(*provider, progress);
        if (!index) return index.error();
        auto headers = readHeaders(*provider, index->shards, progress);
        if (!headers) return headers.error();
        std::map<QString, const SafetensorsHeader*> byFile;
        for (const auto& h : *headers) byFile[h.file] = &h;
        std::map<std::string, QString> listed;
        for (const auto& [name, shard] : index->weightMap) {
            const SafetensorsHeader& h = *byFile.at(shard);
            const SafetensorsTensor* t = h.find(name);
            if (!t)
                return Error::model(toStd(kIndexFile) + ": weight_map puts tensor \"" + name + "\" in \"" +
                                    toStd(shard) + "\", but " + toStd(shard) + " has no tensor of that name");
            tensors.push_back(toInfo(h, *t, true));
            listed.emplace(name, shard);
        }
        for (const auto& h : *headers)
            for (const auto& t : h.tensors) {
                auto it = listed.find(t.name);
                if (it == listed.end() || it->second != h.file) unlisted.push_back(toInfo(h, t, false));
            }
    } else {
        QStringList shards;
        for (const QString& f : *files)
            if (f.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive)) shards.push_back(f);
        if (shards.isEmpty())
            return Error::model(toStd(provider->describe()) + ": no .safetensors files in this model");
        shards.sort();
        auto headers = readHeaders(*provider, shards, progress);
        if (!headers) return headers.error();
        std::unordered_map<std::string, QString> seen;
        for (const auto& h : *headers)
            for (const auto& t : h.tensors) {
                auto [it, fresh] = seen.emplace(t.name, h.file);
                if (!fresh)
                    return Error::model("tensor \"" + t.name + "\" is in both " + toStd(it->second) + " and " +
                                        toStd(h.file) + " (without model.safetensors.index.json names must be unique)");
                tensors.push_back(toInfo(h, t, true));
            }
    }
    QJsonObject hfQuant;
    if (files->contains(kHfQuantConfigFile)) {
        auto c = readConfig(*provider, progress, kHfQuantConfigFile);
        if (!c) return c.error();
        hfQuant = *c;
    }
    std::vector<TensorInfo> parts;
    FileProvider& prov = *provider;
    const layouts::ReadSmall readSmall = [&prov, progress](const TensorInfo& t) {
        return prov.read(t.file, t.dataOffset, t.byteLength, progress);
    };
    QS_TRY(layouts::groupTensors(config, hfQuant, readSmall, tensors, parts));
    auto model = std::make_shared<Model>(std::move(provider), std::move(tensors), std::move(config), block, hasIndex,
                                         std::move(unlisted));
    model->setLayoutTensors(std::move(parts));
    return model;
}

void Model::setLayoutTensors(std::vector<TensorInfo> parts)
{
    m_parts = std::move(parts);
    auto byName = [](const TensorInfo& a, const TensorInfo& b) { return naturalLess(a.name, b.name); };
    std::sort(m_parts.begin(), m_parts.end(), byName);
    m_layoutNames.clear();
    for (const auto& t : m_tensors)
        if (t.layout && !t.layout->inPlace) m_layoutNames.push_back(t.name);
}

const TensorInfo* Model::findStored(const std::string& name) const
{
    // Parts first: a ModelOpt NVFP4 logical tensor has the name of its code part (X.weight).
    auto it = std::lower_bound(m_parts.begin(), m_parts.end(), name,
                               [](const TensorInfo& t, const std::string& n) { return naturalLess(t.name, n); });
    if (it != m_parts.end() && it->name == name) return &*it;
    return find(name);
}

Model::Model(std::shared_ptr<FileProvider> provider, std::vector<TensorInfo> tensors, QJsonObject config,
             std::array<int64_t, 2> fp8Block, bool hasIndex, std::vector<TensorInfo> unlisted)
    : m_provider(std::move(provider)), m_tensors(std::move(tensors)), m_config(std::move(config)),
      m_fp8Block(fp8Block), m_hasIndex(hasIndex), m_unlisted(std::move(unlisted))
{
    auto byName = [](const TensorInfo& a, const TensorInfo& b) { return naturalLess(a.name, b.name); };
    std::sort(m_tensors.begin(), m_tensors.end(), byName);
    std::sort(m_unlisted.begin(), m_unlisted.end(), byName);
}

std::vector<std::string> Model::tensorNames() const
{
    std::vector<std::string> out;
    out.reserve(m_tensors.size());
    for (const auto& t : m_tensors) out.push_back(t.name);
    return out;
}

Result<std::string> Model::skipNonFloat(std::vector<std::string>& names) const
{
    std::vector<std::string> kept, dtypes;
    size_t skipped = 0;
    for (std::string& n : names) {
        const TensorInfo* t = find(n);
        if (t && dtypeIsInteger(t->dtype)) {
            ++skipped;
            if (std::find(dtypes.begin(), dtypes.end(), t->dtypeName) == dtypes.end()) dtypes.push_back(t->dtypeName);
            continue;
        }
        kept.push_back(std::move(n));
    }
    names = std::move(kept);
    if (!skipped) return std::string();
    std::string list;
    for (size_t i = 0; i < dtypes.size(); ++i) list += (i ? ", " : "") + dtypes[i];
    const std::string line = "skipped " + std::to_string(skipped) + (skipped == 1 ? " integer tensor (" : " integer tensors (") +
                             list + "): integers and booleans are not quantized";
    if (names.empty()) return Error::usage("No float tensors matched; " + line + ".");
    return line;
}

const TensorInfo* Model::find(const std::string& name) const
{
    auto it = std::lower_bound(m_tensors.begin(), m_tensors.end(), name,
                               [](const TensorInfo& t, const std::string& n) { return naturalLess(t.name, n); });
    return it != m_tensors.end() && it->name == name ? &*it : nullptr;
}

QStringList Model::shardFiles() const
{
    std::set<QString> files;
    for (const auto& t : m_tensors) files.insert(t.file);
    return QStringList(files.begin(), files.end());
}

uint64_t Model::storedBytes() const
{
    uint64_t total = 0;
    for (const auto& t : m_tensors) total += t.byteLength;
    return total;
}

uint64_t Model::storedBytes(const std::string& name) const
{
    const TensorInfo* t = find(name);
    if (!t) return 0;
    uint64_t total = t->byteLength;
    if (!t->scaleInvName.empty())
        if (const TensorInfo* s = find(t->scaleInvName)) total += s->byteLength;
    return total;
}

} // namespace qs
