#pragma once
// Binding an importance file to a model's tensors (issue #18; docs/IMPORTANCE.md).
//
// imatrix files name weights the way llama.cpp does (blk.3.attn_q.weight,
// blk.3.ffn_down_exps.weight, output.weight); models on the Hub use Hugging Face names
// (model.layers.3.self_attn.q_proj.weight, model.layers.3.mlp.experts.7.down_proj.weight,
// lm_head.weight). One table per architecture (from config.json "architectures" /
// "model_type"; taken from llama.cpp's gguf-py/gguf/tensor_mapping.py and constants.py)
// maps one to the other. QuantScope's own .safetensors files already use the model's
// names and bind by name.
//
// A binding says which rows of an entry a model tensor takes and along which axis of the
// tensor the input features run:
//   - nn.Linear [out, in]: the last axis (inputAxis = -1); one matrix;
//   - a merged llama.cpp expert entry (*_exps, one matrix per expert) against the model's
//     per-expert tensors (mlp.experts.E.down_proj.weight, Mixtral / Qwen3-MoE /
//     DeepSeek): tensor E takes matrix E (matrix = E);
//   - a stacked expert tensor [E, out, in] (matrix = -1: all matrices, matrix e for
//     rows e*out .. (e+1)*out-1) — inputAxis -1;
//   - gpt-oss's fused experts (mlp.experts.gate_up_proj [E, in, 2*out],
//     mlp.experts.down_proj [E, in, out]; computed as x @ W): inputAxis = -2.
// Row permutations of llama.cpp's converter (Q/K for rotary) reorder output rows only;
// input columns are untouched, so the importance of column i is column i's in both.
#include "common/result.h"
#include "io/importance.h"
#include "io/model.h"

#include <QJsonObject>

#include <string>
#include <vector>

namespace qs {

struct ImportanceBinding {
    std::string tensor;                    // the model tensor's name
    const ImportanceEntry* entry = nullptr;
    int64_t matrix = -1;                   // the entry's matrix this tensor takes; -1: all
                                           // (nMat == 1, or a stacked/fused [E, ...] tensor)
    int inputAxis = -1;                    // -1: last axis; -2: second-to-last
    int64_t nIn = 0;                       // input width (entry.nIn; the tensor's axis length)
    std::string error;                     // non-empty: this tensor cannot use the entry
                                           // (width mismatch, ...); the message names both
};

struct ImportanceIndex {
    std::string architecture;              // as read from config.json ("" if none)
    std::vector<ImportanceBinding> bindings;     // sorted by tensor name
    std::vector<std::string> unmappedEntries;    // file entries no model tensor took
    std::vector<std::string> weightsWithoutEntry;// model weights (rank >= 2, default "weight"
                                                 // selection) that no entry covers
    const ImportanceBinding* find(const std::string& tensor) const;

    // Added with the name tables:
    std::string table;                     // the name table used ("Qwen3-MoE", ...; "names"
                                           // for QuantScope's own files: identity)
    std::string note;                      // non-empty when the architecture has no table of
                                           // its own and the generic table was used
    std::vector<std::string> unmappedReasons;    // parallel to unmappedEntries: why
};

// The names of the architectures that have a table of their own, with the config.json
// keys that select each ("Qwen3-MoE: Qwen3MoeForCausalLM, qwen3_moe"), for help texts.
std::vector<std::string> importanceTableNames();

// The model's architecture key for the name tables: config.json "architectures"[0]
// (e.g. "Qwen3MoeForCausalLM"), else "model_type"; "" when neither.
std::string modelArchitecture(const QJsonObject& config);

// llama.cpp names -> the model's names, for one architecture. An entry name may map to
// several model tensors (a merged expert entry -> one tensor per expert, each with its
// matrix). Names of QuantScope's own files are the model's names (identity).
// The file (a legacy .dat keeps experts in one row) is split here once the width is known,
// so `file` is not const.
// The table is looked up by "architectures"[0], then "model_type"; an architecture without
// a table of its own uses the generic one (every table's rows except gpt-oss's fused x @ W
// experts; their HF names do not collide) and `note` says so. A tensor that cannot use its
// entry (input width, expert count, rank, a legacy split that does not divide) keeps a
// binding with `error` set; the other tensors bind regardless. Bindings point into `file`.
Result<ImportanceIndex> bindImportance(ImportanceFile& file, const QJsonObject& config,
                                       const std::vector<TensorInfo>& tensors);

} // namespace qs
