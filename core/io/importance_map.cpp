#include "io/importance_map.h"

#include "io/selection.h"

#include <QJsonArray>

#include <algorithm>
#include <span>
#include <string_view>
#include <unordered_map>

namespace qs {

namespace {

// --- The name tables ---------------------------------------------------------------------
// Each row: a llama.cpp tensor name and the Hugging Face name it comes from, with {bid} =
// block (layer) and {xid} = expert. Taken from ggml-org/llama.cpp gguf-py/gguf/
// tensor_mapping.py (TensorNameMap.block_mappings_cfg: HF names per MODEL_TENSOR) and
// gguf-py/gguf/constants.py (TENSOR_NAMES: the GGUF name of each MODEL_TENSOR), read at
// ggml-org/llama.cpp 0024aa74 / ef035f77, and convert_hf_to_gguf.py for the tensors the
// converter splits or merges (kv_b_proj, gate_up_proj, per-expert stacking).
// The per-expert HF names ({xid}) are the ones the converter stacks into one merged
// tensor (DeepseekV2Model, Qwen2MoeModel, LlamaModel for Mixtral: "merge the experts into
// a single 3d tensor"), expert xid becoming matrix xid.
enum class Layout {
    Linear,     // [out, in] (or a stacked [E, out, in] when the entry has E matrices)
    PerExpert,  // one [out, in] tensor per expert: tensor {xid} takes matrix {xid}
    FusedXW,    // gpt-oss: [E, in, out], computed x @ W: input axis -2, every matrix
    None,       // no model tensor has this entry's input as its input axis (note says why)
};

struct NameRule {
    const char* llama;  // the imatrix entry name
    const char* hf;     // the model tensor (nullptr with Layout::None)
    Layout layout = Layout::Linear;
    const char* note = nullptr;
};

// TOKEN_EMBD, OUTPUT, ATTN_Q/K/V/OUT, FFN_GATE/UP/DOWN ("llama-hf" rows): Llama, Mistral,
// Qwen2, Qwen3, and the dense parts of every model below.
constexpr NameRule kLlama[] = {
    // An embedding is a lookup (get_rows), not a matrix product: llama.cpp collects no
    // importance for it, unless the output shares it (tied embeddings: then the output
    // product's input is the hidden state, which is the embedding's last axis too).
    {"token_embd.weight", "model.embed_tokens.weight"},
    {"output.weight", "lm_head.weight"},
    {"blk.{bid}.attn_q.weight", "model.layers.{bid}.self_attn.q_proj.weight"},
    {"blk.{bid}.attn_k.weight", "model.layers.{bid}.self_attn.k_proj.weight"},
    {"blk.{bid}.attn_v.weight", "model.layers.{bid}.self_attn.v_proj.weight"},
    {"blk.{bid}.attn_output.weight", "model.layers.{bid}.self_attn.o_proj.weight"},
    {"blk.{bid}.ffn_gate.weight", "model.layers.{bid}.mlp.gate_proj.weight"},
    {"blk.{bid}.ffn_up.weight", "model.layers.{bid}.mlp.up_proj.weight"},
    {"blk.{bid}.ffn_down.weight", "model.layers.{bid}.mlp.down_proj.weight"},
};

// FFN_GATE_INP and FFN_{GATE,UP,DOWN}_EXP, "qwen2moe olmoe" rows: Qwen2-MoE, Qwen3-MoE,
// DeepSeek. HF checkpoints keep one tensor per expert; some keep them stacked
// ("model.layers.{bid}.mlp.experts.down_proj", marked "(merged)" in tensor_mapping.py).
constexpr NameRule kMoe[] = {
    {"blk.{bid}.ffn_gate_inp.weight", "model.layers.{bid}.mlp.gate.weight"},
    {"blk.{bid}.ffn_gate_exps.weight", "model.layers.{bid}.mlp.experts.{xid}.gate_proj.weight", Layout::PerExpert},
    {"blk.{bid}.ffn_up_exps.weight", "model.layers.{bid}.mlp.experts.{xid}.up_proj.weight", Layout::PerExpert},
    {"blk.{bid}.ffn_down_exps.weight", "model.layers.{bid}.mlp.experts.{xid}.down_proj.weight", Layout::PerExpert},
    {"blk.{bid}.ffn_gate_exps.weight", "model.layers.{bid}.mlp.experts.gate_proj.weight"},
    {"blk.{bid}.ffn_up_exps.weight", "model.layers.{bid}.mlp.experts.up_proj.weight"},
    {"blk.{bid}.ffn_down_exps.weight", "model.layers.{bid}.mlp.experts.down_proj.weight"},
};

// Qwen2-MoE's shared expert and its gate (FFN_*_SHEXP, FFN_GATE_INP_SHEXP, "qwen2moe").
constexpr NameRule kQwen2MoeShared[] = {
    {"blk.{bid}.ffn_gate_inp_shexp.weight", "model.layers.{bid}.mlp.shared_expert_gate.weight"},
    {"blk.{bid}.ffn_gate_shexp.weight", "model.layers.{bid}.mlp.shared_expert.gate_proj.weight"},
    {"blk.{bid}.ffn_up_shexp.weight", "model.layers.{bid}.mlp.shared_expert.up_proj.weight"},
    {"blk.{bid}.ffn_down_shexp.weight", "model.layers.{bid}.mlp.shared_expert.down_proj.weight"},
};

// Mixtral (LlamaForCausalLM in llama.cpp, "mixtral"/"phimoe" rows): the router and w1 =
// gate, w3 = up, w2 = down. Before ggml-org/llama.cpp 08a0c020 (April 2024) experts were
// separate GGUF tensors, blk.{bid}.ffn_gate.{xid} (constants.py of that time); imatrix
// files of then name them so.
constexpr NameRule kMixtral[] = {
    {"blk.{bid}.ffn_gate_inp.weight", "model.layers.{bid}.block_sparse_moe.gate.weight"},
    {"blk.{bid}.ffn_gate_exps.weight", "model.layers.{bid}.block_sparse_moe.experts.{xid}.w1.weight", Layout::PerExpert},
    {"blk.{bid}.ffn_up_exps.weight", "model.layers.{bid}.block_sparse_moe.experts.{xid}.w3.weight", Layout::PerExpert},
    {"blk.{bid}.ffn_down_exps.weight", "model.layers.{bid}.block_sparse_moe.experts.{xid}.w2.weight", Layout::PerExpert},
    {"blk.{bid}.ffn_gate.{xid}.weight", "model.layers.{bid}.block_sparse_moe.experts.{xid}.w1.weight"},
    {"blk.{bid}.ffn_up.{xid}.weight", "model.layers.{bid}.block_sparse_moe.experts.{xid}.w3.weight"},
    {"blk.{bid}.ffn_down.{xid}.weight", "model.layers.{bid}.block_sparse_moe.experts.{xid}.w2.weight"},
};

constexpr const char* kKbNote =
    "attn_k_b is kv_b_proj's K half per head, transposed by the converter (MLA absorption): its input is "
    "the query's no-rope part (qk_nope_head_dim per head), which in the HF model is an output axis of "
    "q_b_proj and kv_b_proj, never an input axis; it cannot weight any HF tensor's input columns";
constexpr const char* kVbNote =
    "attn_v_b is kv_b_proj's V half per head: its input is the attention-weighted latent "
    "(sum over tokens of softmax weight x c_kv, kv_lora_rank per head), not c_kv itself, which is "
    "kv_b_proj's input; the two statistics differ, so it is not bound to kv_b_proj";

// DeepSeek-V2/V3/R1 multi-head latent attention ("deepseek2" rows) and shared experts.
// Current llama.cpp (convert_hf_to_gguf.py, DeepseekV2Model.modify_tensors) writes
// kv_b_proj only as attn_k_b / attn_v_b; older GGUFs have attn_kv_b, bound here.
constexpr NameRule kDeepseek[] = {
    {"blk.{bid}.attn_q_a.weight", "model.layers.{bid}.self_attn.q_a_proj.weight"},
    {"blk.{bid}.attn_q_b.weight", "model.layers.{bid}.self_attn.q_b_proj.weight"},
    {"blk.{bid}.attn_kv_a_mqa.weight", "model.layers.{bid}.self_attn.kv_a_proj_with_mqa.weight"},
    {"blk.{bid}.attn_kv_b.weight", "model.layers.{bid}.self_attn.kv_b_proj.weight"},
    {"blk.{bid}.attn_k_b.weight", nullptr, Layout::None, kKbNote},
    {"blk.{bid}.attn_v_b.weight", nullptr, Layout::None, kVbNote},
    {"blk.{bid}.ffn_gate_shexp.weight", "model.layers.{bid}.mlp.shared_experts.gate_proj.weight"},
    {"blk.{bid}.ffn_up_shexp.weight", "model.layers.{bid}.mlp.shared_experts.up_proj.weight"},
    {"blk.{bid}.ffn_down_shexp.weight", "model.layers.{bid}.mlp.shared_experts.down_proj.weight"},
};

// gpt-oss ("openai-moe" rows): the router is mlp.router; the experts are fused
// [E, in, out] tensors computed x @ W. The converter (GptOssModel) splits gate_up_proj
// into ffn_gate_exps (columns 0, 2, 4, ...) and ffn_up_exps (1, 3, 5, ...), or keeps it
// fused as ffn_gate_up_exps: all three see the same input (the hidden state routed to the
// expert), so any of them gives gate_up_proj's importance; the first present binds and the
// others are taken as the same data.
constexpr NameRule kGptOss[] = {
    {"blk.{bid}.ffn_gate_inp.weight", "model.layers.{bid}.mlp.router.weight"},
    {"blk.{bid}.ffn_gate_up_exps.weight", "model.layers.{bid}.mlp.experts.gate_up_proj", Layout::FusedXW},
    {"blk.{bid}.ffn_gate_exps.weight", "model.layers.{bid}.mlp.experts.gate_up_proj", Layout::FusedXW},
    {"blk.{bid}.ffn_up_exps.weight", "model.layers.{bid}.mlp.experts.gate_up_proj", Layout::FusedXW},
    {"blk.{bid}.ffn_down_exps.weight", "model.layers.{bid}.mlp.experts.down_proj", Layout::FusedXW},
};

using Group = std::span<const NameRule>;

struct ArchTable {
    const char* name;
    std::vector<std::string_view> keys;  // config.json "architectures"[0] or "model_type"
    std::vector<Group> groups;           // rules tried in this order
};

// One table per architecture, as the groups of rows above it uses (llama.cpp's
// MODEL_TENSORS per MODEL_ARCH in constants.py: LLAMA, QWEN2, QWEN2MOE, QWEN3, QWEN3MOE,
// DEEPSEEK2, GPT_OSS).
const std::vector<ArchTable>& archTables()
{
    static const std::vector<ArchTable> tables = {
        {"Llama", {"LlamaForCausalLM", "MistralForCausalLM", "llama", "mistral"}, {kLlama}},
        {"Mixtral", {"MixtralForCausalLM", "mixtral"}, {kLlama, kMixtral}},
        {"Qwen2", {"Qwen2ForCausalLM", "qwen2"}, {kLlama}},
        {"Qwen2-MoE", {"Qwen2MoeForCausalLM", "qwen2_moe"}, {kLlama, kMoe, kQwen2MoeShared}},
        {"Qwen3", {"Qwen3ForCausalLM", "qwen3"}, {kLlama}},
        {"Qwen3-MoE", {"Qwen3MoeForCausalLM", "qwen3_moe"}, {kLlama, kMoe}},
        {"DeepSeek", {"DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM", "deepseek_v2", "deepseek_v3"},
         {kLlama, kMoe, kDeepseek}},
        {"gpt-oss", {"GptOssForCausalLM", "gpt_oss"}, {kLlama, kGptOss}},
    };
    return tables;
}

// Architectures without a table: every decoder table's rows at once. Their HF names do
// not collide (block_sparse_moe vs mlp.experts, shared_expert vs shared_experts), so a
// model that uses any of these naming families binds. gpt-oss's fused x @ W rows are left
// out: the same HF names with an [E, out, in] layout (W x) exist elsewhere.
const ArchTable& genericTable()
{
    static const ArchTable table = {"generic", {}, {kLlama, kMoe, kQwen2MoeShared, kMixtral, kDeepseek}};
    return table;
}

// --- Name patterns ----------------------------------------------------------------------
struct Captures {
    int64_t bid = -1, xid = -1;
};

// Does name match pattern ({bid}/{xid}: a decimal number without leading zeros)?
bool matchPattern(std::string_view pattern, std::string_view name, Captures& c)
{
    c = {};
    size_t p = 0, n = 0;
    while (p < pattern.size()) {
        const bool bid = pattern.compare(p, 5, "{bid}") == 0, xid = pattern.compare(p, 5, "{xid}") == 0;
        if (bid || xid) {
            size_t end = n;
            while (end < name.size() && end - n < 10 && name[end] >= '0' && name[end] <= '9') ++end;
            if (end == n || end - n > 9 || (end - n > 1 && name[n] == '0')) return false;
            int64_t v = 0;
            for (size_t i = n; i < end; ++i) v = v * 10 + (name[i] - '0');
            (bid ? c.bid : c.xid) = v;
            n = end;
            p += 5;
            continue;
        }
        if (n >= name.size() || name[n] != pattern[p]) return false;
        ++n;
        ++p;
    }
    return n == name.size();
}

// The pattern with its placeholders filled; a placeholder without a value is written
// as "E" (experts) or "N" (blocks) for messages.
std::string fillPattern(std::string_view pattern, const Captures& c)
{
    std::string out;
    for (size_t p = 0; p < pattern.size();) {
        if (pattern.compare(p, 5, "{bid}") == 0) {
            out += c.bid >= 0 ? std::to_string(c.bid) : "N";
            p += 5;
        } else if (pattern.compare(p, 5, "{xid}") == 0) {
            out += c.xid >= 0 ? std::to_string(c.xid) : "E";
            p += 5;
        } else {
            out += pattern[p++];
        }
    }
    return out;
}

std::string shapeOf(const TensorInfo& t)
{
    return t.shapeString();
}

// --- Binding one tensor to one entry -------------------------------------------------------
struct Binder {
    bool legacy = false;                   // legacy .dat: split experts once the width is known
    std::vector<bool> split;               // per entry: splitMatrices done

    ImportanceBinding bind(const TensorInfo& t, ImportanceEntry& e, size_t entryIndex, Layout layout, int64_t xid)
    {
        ImportanceBinding b;
        b.tensor = t.name;
        b.entry = &e;
        b.inputAxis = layout == Layout::FusedXW ? -2 : -1;
        b.matrix = layout == Layout::PerExpert ? xid : -1;
        const size_t rank = t.shape.size();
        const std::string what = "\"" + t.name + "\" " + shapeOf(t);
        if (rank < 2 || (layout == Layout::FusedXW && rank != 3) || (layout == Layout::PerExpert && rank != 2)) {
            b.nIn = e.nIn;
            b.error = what + ": expected " +
                      (layout == Layout::FusedXW ? std::string("a fused [experts, in, out] tensor")
                                                 : layout == Layout::PerExpert ? std::string("a 2-D [out, in] expert tensor")
                                                                               : std::string("at least 2 axes")) +
                      " for importance entry \"" + e.name + "\"";
            return b;
        }
        const int64_t width = t.shape[rank - (layout == Layout::FusedXW ? 2 : 1)];
        if (legacy && !split[entryIndex]) {
            if (auto r = splitMatrices(e, width, true); !r) {
                b.nIn = e.nIn;
                b.error = what + ": " + r.error().message;
                return b;
            }
            split[entryIndex] = true;
        }
        b.nIn = e.nIn;
        if (width != e.nIn) {
            b.error = what + ": input axis " + std::to_string(b.inputAxis) + " has " + std::to_string(width) +
                      " columns; importance entry \"" + e.name + "\" has " + std::to_string(e.nIn);
            return b;
        }
        if (layout == Layout::PerExpert) {
            if (xid >= e.nMat)
                b.error = what + ": expert " + std::to_string(xid) + ", but importance entry \"" + e.name + "\" has " +
                          std::to_string(e.nMat) + (e.nMat == 1 ? " matrix" : " matrices");
            return b;
        }
        // Linear or fused: every matrix of the entry. One matrix fits any shape; several
        // must be stacked on the first axis of a 3-D tensor.
        if (e.nMat > 1 && (rank != 3 || t.shape[0] != e.nMat))
            b.error = what + ": importance entry \"" + e.name + "\" has " + std::to_string(e.nMat) +
                      " matrices (experts); the tensor does not stack " + std::to_string(e.nMat) + " on its first axis";
        else if (e.nMat == 1 && layout == Layout::FusedXW && t.shape[0] != 1)
            b.error = what + ": importance entry \"" + e.name + "\" has 1 matrix; the tensor stacks " +
                      std::to_string(t.shape[0]) + " experts";
        return b;
    }
};

bool isFused(const ArchTable& table, const std::string& name)
{
    Captures c;
    for (const Group& g : table.groups)
        for (const NameRule& r : g)
            if (r.layout == Layout::FusedXW && matchPattern(r.hf, name, c)) return true;
    return false;
}

// Why no tensor took this entry.
std::string unmappedReason(const ArchTable& table, const std::string& entry, bool identity)
{
    if (identity) return "the model has no tensor of this name";
    std::vector<std::string> missing;
    Captures c;
    for (const Group& g : table.groups)
        for (const NameRule& r : g) {
            if (!matchPattern(r.llama, entry, c)) continue;
            if (r.layout == Layout::None) return r.note;
            const std::string name = fillPattern(r.hf, c);
            if (std::find(missing.begin(), missing.end(), name) == missing.end()) missing.push_back(name);
        }
    if (missing.empty())
        return std::string("no row of the ") + table.name + " name table matches this name";
    std::string s = missing.size() == 1 ? "the model has no tensor " : "the model has none of ";
    for (size_t i = 0; i < missing.size(); ++i) s += (i ? ", " : "") + missing[i];
    return s;
}

const ArchTable* findTable(const std::string& key)
{
    if (key.empty()) return nullptr;
    for (const ArchTable& t : archTables())
        for (std::string_view k : t.keys)
            if (k == key) return &t;
    return nullptr;
}

bool isWeight(const TensorInfo& t)
{
    return t.shape.size() >= 2 && isDefaultCandidate(t.name) && !dtypeIsInteger(t.dtype);
}

} // namespace

const ImportanceBinding* ImportanceIndex::find(const std::string& tensor) const
{
    auto it = std::lower_bound(bindings.begin(), bindings.end(), tensor,
                               [](const ImportanceBinding& b, const std::string& n) { return naturalLess(b.tensor, n); });
    return it != bindings.end() && it->tensor == tensor ? &*it : nullptr;
}

std::string modelArchitecture(const QJsonObject& config)
{
    const QJsonArray archs = config.value(QStringLiteral("architectures")).toArray();
    if (!archs.isEmpty() && archs.first().isString() && !archs.first().toString().isEmpty())
        return archs.first().toString().toStdString();
    const QJsonValue type = config.value(QStringLiteral("model_type"));
    return type.isString() ? type.toString().toStdString() : std::string();
}

std::vector<std::string> importanceTableNames()
{
    std::vector<std::string> out;
    for (const ArchTable& t : archTables()) {
        std::string s = std::string(t.name) + ":";
        for (size_t i = 0; i < t.keys.size(); ++i) s += (i ? ", " : " ") + std::string(t.keys[i]);
        out.push_back(s);
    }
    return out;
}

Result<ImportanceIndex> bindImportance(ImportanceFile& file, const QJsonObject& config,
                                       const std::vector<TensorInfo>& tensors)
{
    ImportanceIndex index;
    index.architecture = modelArchitecture(config);
    const bool identity = file.format == "safetensors";

    // The table: architectures[0], else model_type, else the generic one (with a note).
    const ArchTable* table = findTable(index.architecture);
    if (!table) table = findTable(config.value(QStringLiteral("model_type")).toString().toStdString());
    if (!table) {
        table = &genericTable();
        if (!identity)
            index.note = (index.architecture.empty() ? std::string("config.json names no architecture")
                                                     : "architecture \"" + index.architecture + "\" has no name table") +
                         "; every table's rows were tried (Llama, MoE, Mixtral, DeepSeek names)";
    }
    index.table = identity ? "names" : table->name;

    std::unordered_map<std::string, size_t> byName;
    for (size_t i = 0; i < file.entries.size(); ++i) byName.emplace(file.entries[i].name, i);
    std::vector<bool> taken(file.entries.size(), false);
    Binder binder;
    binder.legacy = file.format == "legacy-dat";
    binder.split.assign(file.entries.size(), false);

    // Model tensors are in natural order, so the bindings are too.
    std::vector<const TensorInfo*> order;
    for (const TensorInfo& t : tensors) order.push_back(&t);
    std::stable_sort(order.begin(), order.end(),
                     [](const TensorInfo* a, const TensorInfo* b) { return naturalLess(a->name, b->name); });

    for (const TensorInfo* t : order) {
        if (identity) {
            auto it = byName.find(t->name);
            if (it == byName.end()) continue;
            taken[it->second] = true;
            const Layout layout = isFused(*table, t->name) ? Layout::FusedXW : Layout::Linear;
            index.bindings.push_back(binder.bind(*t, file.entries[it->second], it->second, layout, -1));
            continue;
        }
        bool bound = false;
        Captures c;
        for (const Group& g : table->groups)
            for (const NameRule& r : g) {
                if (r.layout == Layout::None || !matchPattern(r.hf, t->name, c)) continue;
                auto it = byName.find(fillPattern(r.llama, c));
                if (it == byName.end()) continue;
                // A later row naming the same tensor is the same input under another
                // llama.cpp name (gpt-oss gate/up): taken, not bound twice.
                taken[it->second] = true;
                if (bound) continue;
                index.bindings.push_back(binder.bind(*t, file.entries[it->second], it->second, r.layout, c.xid));
                bound = true;
            }
    }

    for (const TensorInfo* t : order)
        if ((isWeight(*t) || isFused(*table, t->name)) && !index.find(t->name))
            index.weightsWithoutEntry.push_back(t->name);
    for (size_t i = 0; i < file.entries.size(); ++i)
        if (!taken[i]) {
            index.unmappedEntries.push_back(file.entries[i].name);
            index.unmappedReasons.push_back(unmappedReason(*table, file.entries[i].name, identity));
        }
    return index;
}

} // namespace qs
