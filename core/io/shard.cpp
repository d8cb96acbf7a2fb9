#include "io/shard.h"

#include "io/file_provider.h"
#include "io/model.h"

#include <QCryptographicHash>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <queue>

namespace qs {

namespace {

// A whole number in [lo, hi], nothing else.
std::optional<long long> wholeNumber(const std::string& s, long long lo, long long hi)
{
    if (s.empty() || s.size() > 12 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    const long long v = std::stoll(s);
    if (v < lo || v > hi) return std::nullopt;
    return v;
}

constexpr long long kMaxShards = 100000;

Error shardError(const std::string& text, const std::string& why)
{
    return Error::usage("--shard " + text + ": " + why);
}

Result<ShardSpec> fromEnvironment(const std::string& text, std::optional<int> givenCount, const EnvLookup& env)
{
    auto number = [&](const char* name) -> Result<std::optional<long long>> {
        const auto v = env(name);
        if (!v) return std::optional<long long>{};
        const auto n = wholeNumber(*v, 0, 1LL << 40);
        if (!n) return shardError(text, std::string(name) + "=\"" + *v + "\" is not a whole number >= 0");
        return std::optional<long long>{*n};
    };
    auto id = number("SLURM_ARRAY_TASK_ID");
    if (!id) return id.error();
    if (*id) {  // a Slurm job array
        auto count = number("SLURM_ARRAY_TASK_COUNT");
        auto min = number("SLURM_ARRAY_TASK_MIN");
        auto max = number("SLURM_ARRAY_TASK_MAX");
        if (!count) return count.error();
        if (!min) return min.error();
        if (!max) return max.error();
        const long long first = min->value_or(0);
        long long n = 0;
        if (*count) n = **count;
        else if (*max) n = **max - first + 1;
        else if (givenCount) n = *givenCount;
        else
            return shardError(text, "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor "
                                    "SLURM_ARRAY_TASK_MAX is; give the count as --shard auto/N");
        if (givenCount && n != *givenCount)
            return shardError(text, "the Slurm array has " + std::to_string(n) + " tasks, not " +
                                        std::to_string(*givenCount));
        const long long k = **id - first + 1;
        if (n < 1 || n > kMaxShards || k < 1 || k > n)
            return shardError(text, "SLURM_ARRAY_TASK_ID=" + std::to_string(**id) + " with first index " +
                                        std::to_string(first) + " is not one of " + std::to_string(n) +
                                        " consecutive tasks (submit with --array=0-" + std::to_string(n - 1) + ")");
        return ShardSpec{int(k), int(n)};
    }
    auto index = number("JOB_COMPLETION_INDEX");
    if (!index) return index.error();
    if (*index) {  // a Kubernetes Indexed Job
        if (!givenCount)
            return shardError(text, "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the shard count is "
                                    "not: use --shard auto/N with N = the Job's completions");
        if (**index >= *givenCount)
            return shardError(text, "JOB_COMPLETION_INDEX=" + std::to_string(**index) + " is not below the count " +
                                        std::to_string(*givenCount));
        return ShardSpec{int(**index + 1), *givenCount};
    }
    return shardError(text, "none of SLURM_ARRAY_TASK_ID (a Slurm job array) or JOB_COMPLETION_INDEX (a Kubernetes "
                            "Indexed Job) is set; give the shard as K/N");
}

} // namespace

EnvLookup processEnvironment()
{
    return [](const char* name) -> std::optional<std::string> {
        const char* v = std::getenv(name);
        if (!v || !*v) return std::nullopt;
        return std::string(v);
    };
}

Result<ShardSpec> parseShard(const std::string& text, const EnvLookup& env)
{
    const size_t slash = text.find('/');
    const std::string first = text.substr(0, slash);
    std::optional<int> count;
    if (slash != std::string::npos) {
        const auto n = wholeNumber(text.substr(slash + 1), 1, kMaxShards);
        if (!n) return shardError(text, "expected K/N with N a whole number from 1 to " + std::to_string(kMaxShards));
        count = int(*n);
    }
    if (first == "auto") return fromEnvironment(text, count, env);
    if (!count) return shardError(text, "expected K/N (K from 1 to N), auto or auto/N");
    const auto k = wholeNumber(first, 1, *count);
    if (!k) return shardError(text, "K must be a whole number from 1 to " + std::to_string(*count) + " (K counts from 1)");
    return ShardSpec{int(*k), *count};
}

std::vector<int> shardAssignment(const std::vector<uint64_t>& weights, int count)
{
    std::vector<int> part(weights.size(), 0);
    if (count <= 1) return part;
    std::vector<size_t> order(weights.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return weights[a] > weights[b]; });
    // (bytes so far, part): the smallest first, the lowest part on ties.
    using Load = std::pair<uint64_t, int>;
    std::priority_queue<Load, std::vector<Load>, std::greater<Load>> loads;
    for (int p = 0; p < count; ++p) loads.push({0, p});
    for (size_t i : order) {
        Load l = loads.top();
        loads.pop();
        part[i] = l.second;
        l.first += weights[i];
        loads.push(l);
    }
    return part;
}

std::vector<size_t> shardPart(const std::vector<uint64_t>& weights, const ShardSpec& spec)
{
    const std::vector<int> part = shardAssignment(weights, spec.count);
    std::vector<size_t> out;
    for (size_t i = 0; i < part.size(); ++i)
        if (part[i] == spec.index - 1) out.push_back(i);
    return out;
}

std::string modelCommit(const FileProvider& provider)
{
    const std::string d = provider.describe().toStdString();
    const size_t at = d.rfind('@');
    if (at != std::string::npos && d.size() - at - 1 == 40) return d.substr(at + 1);
    return "local";
}

ShardRecord cutSelection(const Model& model, std::vector<std::string>& names, const ShardSpec& spec,
                         const std::string& command,
                         const std::vector<std::pair<std::string, std::string>>& commandOptions,
                         const std::vector<std::string>& fields)
{
    ShardRecord r;
    r.spec = spec;
    r.commit = modelCommit(model.provider());
    r.command = command;
    r.commandOptions = commandOptions;
    std::vector<uint64_t> weights;
    weights.reserve(names.size());
    std::vector<std::string> all = {"quantscope-shard-v1", r.commit, command};
    for (const auto& [k, v] : commandOptions) all.push_back(k + "=" + v);
    all.insert(all.end(), fields.begin(), fields.end());
    for (const std::string& n : names) {
        const TensorInfo* t = model.find(n);
        weights.push_back(t ? t->byteLength : 0);
        all.push_back(n + "\t" + std::to_string(weights.back()));
    }
    r.fingerprint = fingerprint(all);
    r.selectionTensors = int64_t(names.size());
    for (uint64_t w : weights) r.selectionBytes += w;
    std::vector<std::string> part;
    for (size_t i : shardPart(weights, spec)) {
        part.push_back(std::move(names[i]));
        r.partBytes += weights[i];
    }
    names = std::move(part);
    r.partTensors = int64_t(names.size());
    return r;
}

std::string fingerprint(const std::vector<std::string>& fields)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    for (const std::string& f : fields) {
        const QByteArray len = QByteArray::number(qulonglong(f.size())) + ':';
        h.addData(len);
        h.addData(QByteArrayView(f.data(), qsizetype(f.size())));
    }
    return h.result().toHex().left(16).toStdString();
}

} // namespace qs
