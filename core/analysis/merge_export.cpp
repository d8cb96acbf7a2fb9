// Joining the files of a sharded export (merge.h).
#include "analysis/merge.h"

#include "io/local_provider.h"
#include "io/safetensors.h"
#include "io/safetensors_writer.h"
#include "io/selection.h"

#include <QFileInfo>

#include <algorithm>
#include <map>

namespace qs {

namespace {

constexpr const char* kShardKey = "quantscope_shard";
constexpr const char* kCommitKey = "quantscope_shard_commit";
constexpr const char* kFingerprintKey = "quantscope_shard_fingerprint";
constexpr const char* kSelectionKey = "quantscope_shard_selection_tensors";

bool isShardKey(const std::string& k) { return k == kShardKey || k.rfind(std::string(kShardKey) + "_", 0) == 0; }

} // namespace

QString exportShardPath(const QString& out, const ShardSpec& spec)
{
    QString stem = out;
    if (stem.endsWith(QLatin1String(".safetensors"))) stem.chop(12);
    return stem + QStringLiteral("-%1-of-%2.safetensors")
                      .arg(spec.index, 5, 10, QLatin1Char('0'))
                      .arg(spec.count, 5, 10, QLatin1Char('0'));
}

std::vector<std::pair<std::string, std::string>> exportShardMetadata(const ShardRecord& r)
{
    return {{kShardKey, r.spec.text()},
            {kCommitKey, r.commit},
            {kFingerprintKey, r.fingerprint},
            {kSelectionKey, std::to_string(r.selectionTensors)}};
}

Result<int64_t> mergeExportFiles(const QStringList& files, const QString& out)
{
    struct Input {
        std::shared_ptr<LocalProvider> provider;
        QString file;
        SafetensorsHeader header;
        ShardRecord record;
    };
    std::vector<Input> in;
    std::vector<std::pair<std::string, ShardRecord>> records;
    for (const QString& f : files) {
        auto provider = LocalProvider::open(f);
        if (!provider) return provider.error();
        auto list = (*provider)->listFiles();
        if (!list || list->size() != 1) return Error::usage("merge: " + f.toStdString() + " is not one .safetensors file");
        auto header = readHeader(**provider, list->front());
        if (!header) return header.error();
        std::map<std::string, std::string> meta(header->metadata.begin(), header->metadata.end());
        if (!meta.count(kShardKey))
            return Error::usage("merge: " + f.toStdString() + " is not a shard of an export (no " + kShardKey +
                                " in its metadata: it was written without --shard K/N)");
        auto spec = parseShard(meta[kShardKey], [](const char*) { return std::nullopt; });
        if (!spec) return Error::usage("merge: " + f.toStdString() + ": " + kShardKey + " \"" + meta[kShardKey] + "\" is not K/N");
        Input i{*provider, list->front(), *header, {}};
        i.record.spec = *spec;
        i.record.command = "export";
        i.record.commit = meta[kCommitKey];
        i.record.fingerprint = meta[kFingerprintKey];
        i.record.selectionTensors = std::atoll(meta[kSelectionKey].c_str());
        i.record.partTensors = int64_t(header->tensors.size());
        records.push_back({f.toStdString(), i.record});
        in.push_back(std::move(i));
    }
    if (in.empty()) return Error::usage("merge: no files given");
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& x, const auto& y) { return x.second.spec.index < y.second.spec.index; });
    if (auto c = checkShardRecords(records); !c) return c.error();
    if (auto c = checkShardCoverage(records); !c) return c.error();

    struct Item {
        const Input* input;
        const SafetensorsTensor* tensor;
    };
    std::vector<Item> all;
    for (const Input& i : in)
        for (const SafetensorsTensor& t : i.header.tensors) all.push_back({&i, &t});
    std::stable_sort(all.begin(), all.end(), [](const Item& a, const Item& b) { return naturalLess(a.tensor->name, b.tensor->name); });
    for (size_t k = 1; k < all.size(); ++k)
        if (all[k].tensor->name == all[k - 1].tensor->name)
            return Error::usage("merge: the tensor " + all[k].tensor->name + " is in " + all[k - 1].input->file.toStdString() +
                                " and in " + all[k].input->file.toStdString());
    if (int64_t(all.size()) != in.front().record.selectionTensors)
        return Error::usage("merge: the files hold " + std::to_string(all.size()) + " tensors, their selection has " +
                            std::to_string(in.front().record.selectionTensors));
    std::vector<TensorSpec> specs;
    for (const Item& it : all) specs.push_back({it.tensor->name, it.tensor->dtype, it.tensor->shape});
    SafetensorsMetadata meta;
    for (const auto& kv : in.front().header.metadata)
        if (!isShardKey(kv.first)) meta.push_back(kv);
    auto writer = SafetensorsWriter::create(out, specs, meta);
    if (!writer) return writer.error();
    for (const Item& it : all) {
        auto bytes = it.input->provider->read(it.input->file, it.input->header.dataStart() + it.tensor->begin,
                                              it.tensor->end - it.tensor->begin);
        if (!bytes) return bytes.error();
        if (auto w = (*writer)->write((*bytes)->data(), (*bytes)->size()); !w) return w.error();
    }
    if (auto c = (*writer)->commit(); !c) return c.error();
    return int64_t(all.size());
}

} // namespace qs
