#pragma once
// Sharded runs (issue #12): `--shard K/N` splits a command's selection into N parts
// balanced by the bytes each part reads, so that N processes on N machines (a Slurm job
// array, a Kubernetes Indexed Job) each analyse one part and `quantscope merge` joins
// their folders into what one process would have written.
//
// * K counts from 1 to N on the command line and in every folder and message.
// * `auto` takes K and N from the scheduler: Slurm job arrays
//   (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, or with SLURM_ARRAY_TASK_MIN and
//   SLURM_ARRAY_TASK_MAX; K = ID - MIN + 1, MIN defaults to 0), or a Kubernetes Indexed
//   Job (JOB_COMPLETION_INDEX, 0-based, K = index + 1) whose count N comes from
//   `auto/N` (an Indexed Job does not export its completions). `auto/N` with Slurm
//   checks that the array has N tasks.
// * The split is greedy longest-processing-time on the tensors' stored byte lengths,
//   read from the headers alone: tensors by bytes descending (ties: selection order),
//   each to the part with the fewest bytes so far (ties: the lowest part). Every shard
//   computes the same split; a part keeps its tensors in selection order.
// Interface in std types (QtCore only for the hash). Errors: Error::usage (exit 1) naming the value and what was
// expected.
#include "common/result.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace qs {

struct ShardSpec {
    int index = 1;   // K, 1..count
    int count = 1;   // N
    std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// Reads one environment variable (nullopt when unset); tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup processEnvironment();

// "K/N", "auto" or "auto/N". The error names the flag value and, for auto, which
// variables were looked at.
Result<ShardSpec> parseShard(const std::string& text, const EnvLookup& env = processEnvironment());

// Which part (0-based) each item goes to; weights are bytes, in selection order.
std::vector<int> shardAssignment(const std::vector<uint64_t>& weights, int count);
// The indices (selection order) of part `spec.index` of the split.
std::vector<size_t> shardPart(const std::vector<uint64_t>& weights, const ShardSpec& spec);

class Model;
class FileProvider;

// What a shard's output records (results.json "shard", table.txt "shard:" line, an
// exported file's metadata), so that `merge` can check that its inputs belong together.
struct ShardRecord {
    ShardSpec spec;
    std::string commit;        // the model's resolved 40-hex commit ("local" for local files)
    std::string fingerprint;   // of the whole selection (names, bytes) and every option
    std::string command;       // "wq", "atlas", "plan", "export": what merge produces
    std::vector<std::pair<std::string, std::string>> commandOptions;  // e.g. atlas metric
    int64_t selectionTensors = 0;   // the whole selection
    uint64_t selectionBytes = 0;
    int64_t partTensors = 0;        // this shard's part
    uint64_t partBytes = 0;
};

// The commit a provider reads: the 40 hex digits after '@' in describe(), else "local".
std::string modelCommit(const FileProvider& provider);

// The one cut every sharded command makes: `names` (the final selection, in order) is
// replaced by part spec.index of the byte-balanced split; the record fingerprints the
// whole selection (names and stored byte lengths), the commit, the command and its
// options, and `fields` (formats, format options, config... as the caller renders them).
ShardRecord cutSelection(const Model& model, std::vector<std::string>& names, const ShardSpec& spec,
                         const std::string& command,
                         const std::vector<std::pair<std::string, std::string>>& commandOptions,
                         const std::vector<std::string>& fields);

// 16 hex digits of SHA-256 over the given fields (each length-prefixed, so no two lists
// of fields collide by concatenation).
std::string fingerprint(const std::vector<std::string>& fields);

} // namespace qs
