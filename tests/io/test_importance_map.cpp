// Binding importance entries to a model's tensors (#18; core/io/importance_map.h,
// docs/IMPORTANCE.md §5): the name table of each architecture (Llama/Mistral, Qwen2,
// Qwen3, Qwen3-MoE with merged experts and an expert without data, Mixtral, DeepSeek-V3
// MLA with shared experts, gpt-oss fused experts on input axis -2), the input-axis rule
// per layout, a width mismatch on one tensor leaving the others bound, unmapped entries
// and weights without an entry listed with reasons, the legacy .dat split, QuantScope's
// own files bound by name, an unknown architecture, and `quantscope importance --model
// --out` end to end (written file read back, values compared) with its error messages.
#include <QTest>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "io/importance.h"
#include "io/importance_map.h"
#include "io/safetensors_writer.h"

#include "imatrix_test_util.h"
#include "io_test_util.h"
#include "test_paths.h"

using namespace qs;
using namespace qs::test;

namespace {

TensorInfo T(const std::string& name, std::vector<int64_t> shape, DType dtype = DType::BF16)
{
    TensorInfo t;
    t.name = name;
    t.shape = std::move(shape);
    t.dtype = dtype;
    t.dtypeName = std::string(dtypeName(dtype));
    return t;
}

QJsonObject config(const QString& architecture, const QString& modelType = {})
{
    QJsonObject c;
    if (!architecture.isEmpty()) c["architectures"] = QJsonArray{architecture};
    if (!modelType.isEmpty()) c["model_type"] = modelType;
    return c;
}

// E[x²] of column i of matrix m in every file written here: small whole numbers, so
// sums / counts give them back exactly.
double ex2Of(int64_t m, int64_t i) { return 1.0 + 10.0 * double(m) + double(i); }

struct Ent {
    std::string name;
    int64_t nIn;
    std::vector<float> counts;  // one per matrix; 0 = no data
};

std::vector<uint8_t> gguf(const std::vector<Ent>& entries)
{
    std::vector<GTensor> t;
    for (const Ent& e : entries) {
        std::vector<float> sums;
        for (size_t m = 0; m < e.counts.size(); ++m)
            for (int64_t i = 0; i < e.nIn; ++i) sums.push_back(float(double(e.counts[m]) * ex2Of(int64_t(m), i)));
        addEntry(t, e.name, e.nIn, e.counts, sums);
    }
    return ggufImatrix(t);
}

// Written as llama.cpp writes it and read back (the real path into bindImportance).
ImportanceFile readGguf(const std::vector<Ent>& entries)
{
    QTemporaryDir dir;
    auto f = readImportance(write(dir, "imatrix.gguf", gguf(entries)));
    if (!f) qFatal("%s", f.error().message.c_str());
    return std::move(*f);
}

// An entry built in memory (nMat matrices of nIn, all with data).
ImportanceFile memoryFile(const std::string& name, int64_t nIn, int64_t nMat)
{
    ImportanceFile f;
    f.format = "gguf-imatrix";
    ImportanceEntry e;
    e.name = name;
    e.nIn = nIn;
    e.nMat = nMat;
    for (int64_t m = 0; m < nMat; ++m)
        for (int64_t i = 0; i < nIn; ++i) e.ex2.push_back(ex2Of(m, i));
    e.counts.assign(size_t(nMat), 1.0);
    e.noData.assign(size_t(nMat), false);
    f.entries.push_back(std::move(e));
    return f;
}

ImportanceIndex bindAll(ImportanceFile& f, const QJsonObject& cfg, const std::vector<TensorInfo>& tensors)
{
    auto r = bindImportance(f, cfg, tensors);
    if (!r) qFatal("%s", r.error().message.c_str());
    return std::move(*r);
}

// tensor -> entry name of every binding without error.
std::map<std::string, std::string> pairs(const ImportanceIndex& index)
{
    std::map<std::string, std::string> out;
    for (const ImportanceBinding& b : index.bindings)
        if (b.error.empty()) out[b.tensor] = b.entry->name;
    return out;
}

std::vector<TensorInfo> llamaTensors(int layers)
{
    std::vector<TensorInfo> t = {T("model.embed_tokens.weight", {16, 8}), T("model.norm.weight", {8}),
                                 T("lm_head.weight", {16, 8})};
    for (int l = 0; l < layers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        for (const TensorInfo& x :
             {T(p + "input_layernorm.weight", {8}), T(p + "post_attention_layernorm.weight", {8}),
              T(p + "self_attn.q_proj.weight", {8, 8}), T(p + "self_attn.q_proj.bias", {8}),
              T(p + "self_attn.k_proj.weight", {4, 8}), T(p + "self_attn.v_proj.weight", {4, 8}),
              T(p + "self_attn.q_norm.weight", {2}), T(p + "self_attn.o_proj.weight", {8, 8}),
              T(p + "mlp.gate_proj.weight", {12, 8}), T(p + "mlp.up_proj.weight", {12, 8}),
              T(p + "mlp.down_proj.weight", {8, 12})})
            t.push_back(x);
    }
    return t;
}

std::vector<Ent> llamaEntries(int layers)
{
    std::vector<Ent> e = {{"output.weight", 8, {3}}};
    for (int l = 0; l < layers; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        for (const char* n : {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up"})
            e.push_back({b + n + ".weight", 8, {3}});
        e.push_back({b + "ffn_down.weight", 12, {3}});
    }
    return e;
}

QString writeModel(const QTemporaryDir& dir, const QString& sub, const QJsonObject& cfg, const std::vector<TensorInfo>& tensors)
{
    const QString path = dir.filePath(sub);
    QDir().mkpath(path);
    std::vector<RawTensor> raw;
    for (const TensorInfo& t : tensors) {
        int64_t n = 1;
        for (int64_t d : t.shape) n *= d;
        raw.push_back({t.name, DType::F32, t.shape, std::vector<uint8_t>(size_t(n) * 4, 0)});
    }
    if (!writeFile(path + "/model.safetensors", safetensorsBytes(raw))) qFatal("cannot write the model");
    if (!writeFile(path + "/config.json", QJsonDocument(cfg).toJson().toStdString())) qFatal("cannot write config.json");
    return path;
}

struct Run {
    int code = -1;
    QString out, err;
};

Run runCli(const QStringList& args)
{
    QProcess p;
    p.start(qs::test::binaryPath(), args);
    Run r;
    if (!p.waitForFinished(60000)) return r;
    r.code = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace

class TestImportanceMap : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void architectureFromConfig()
    {
        QCOMPARE(modelArchitecture(config("Qwen3MoeForCausalLM", "qwen3_moe")), std::string("Qwen3MoeForCausalLM"));
        QCOMPARE(modelArchitecture(config({}, "deepseek_v3")), std::string("deepseek_v3"));
        QCOMPARE(modelArchitecture(QJsonObject{}), std::string());
        QJsonObject odd;  // not an array of strings: model_type
        odd["architectures"] = QJsonArray{7};
        odd["model_type"] = "mistral";
        QCOMPARE(modelArchitecture(odd), std::string("mistral"));
    }

    void denseTables_data()
    {
        QTest::addColumn<QJsonObject>("cfg");
        QTest::addColumn<QString>("table");
        QTest::newRow("Llama") << config("LlamaForCausalLM", "llama") << "Llama";
        QTest::newRow("Mistral") << config("MistralForCausalLM", "mistral") << "Llama";
        QTest::newRow("Qwen2") << config("Qwen2ForCausalLM", "qwen2") << "Qwen2";
        QTest::newRow("Qwen3") << config("Qwen3ForCausalLM", "qwen3") << "Qwen3";
        QTest::newRow("model_type only") << config({}, "llama") << "Llama";
        QTest::newRow("other head, known model_type") << config("Qwen3ForSequenceClassification", "qwen3") << "Qwen3";
    }

    void denseTables()
    {
        QFETCH(QJsonObject, cfg);
        QFETCH(QString, table);
        ImportanceFile f = readGguf(llamaEntries(2));
        const ImportanceIndex index = bindAll(f, cfg, llamaTensors(2));
        QCOMPARE(QString::fromStdString(index.table), table);
        QCOMPARE(index.note, std::string());
        std::map<std::string, std::string> want = {{"lm_head.weight", "output.weight"}};
        for (int l = 0; l < 2; ++l) {
            const std::string p = "model.layers." + std::to_string(l) + ".", b = "blk." + std::to_string(l) + ".";
            want[p + "self_attn.q_proj.weight"] = b + "attn_q.weight";
            want[p + "self_attn.k_proj.weight"] = b + "attn_k.weight";
            want[p + "self_attn.v_proj.weight"] = b + "attn_v.weight";
            want[p + "self_attn.o_proj.weight"] = b + "attn_output.weight";
            want[p + "mlp.gate_proj.weight"] = b + "ffn_gate.weight";
            want[p + "mlp.up_proj.weight"] = b + "ffn_up.weight";
            want[p + "mlp.down_proj.weight"] = b + "ffn_down.weight";
        }
        QCOMPARE(pairs(index), want);
        QCOMPARE(index.bindings.size(), want.size());  // none with an error
        for (const ImportanceBinding& b : index.bindings) {
            QCOMPARE(b.inputAxis, -1);
            QCOMPARE(b.matrix, int64_t(-1));
            QCOMPARE(b.nIn, b.tensor.ends_with("down_proj.weight") ? int64_t(12) : int64_t(8));
        }
        // Sorted naturally, found by name, values carried: E[x²] of column 5 = 6.
        QCOMPARE(index.bindings.front().tensor, std::string("lm_head.weight"));
        const ImportanceBinding* d = index.find("model.layers.1.mlp.down_proj.weight");
        QVERIFY(d);
        QCOMPARE(d->entry->ex2[11], 12.0);
        QVERIFY(!index.find("model.layers.1.mlp.down_proj"));
        // The embedding is the only weight without an entry (norms are 1-D, the bias is not a "weight").
        QCOMPARE(index.weightsWithoutEntry, std::vector<std::string>{"model.embed_tokens.weight"});
        QVERIFY(index.unmappedEntries.empty());
    }

    void qwen3MoeMergedExperts()
    {
        // Layer 0: one tensor per expert (4 experts), expert 1 never routed (count 0).
        // Layer 1: the experts stacked [4, out, in]; its up_proj and router have no entry.
        std::vector<TensorInfo> t = {T("model.layers.0.self_attn.q_proj.weight", {8, 8}),
                                     T("model.layers.0.mlp.gate.weight", {4, 8}),
                                     T("model.layers.1.mlp.gate.weight", {4, 8}),
                                     T("model.layers.1.mlp.experts.gate_proj.weight", {4, 6, 8}),
                                     T("model.layers.1.mlp.experts.up_proj.weight", {4, 6, 8}),
                                     T("model.layers.1.mlp.experts.down_proj.weight", {4, 8, 6})};
        for (int x = 0; x < 4; ++x) {
            const std::string p = "model.layers.0.mlp.experts." + std::to_string(x) + ".";
            t.push_back(T(p + "gate_proj.weight", {6, 8}));
            t.push_back(T(p + "up_proj.weight", {6, 8}));
            t.push_back(T(p + "down_proj.weight", {8, 6}));
        }
        ImportanceFile f = readGguf({{"blk.0.attn_q.weight", 8, {7}},
                                     {"blk.0.ffn_gate_inp.weight", 8, {7}},
                                     {"blk.0.ffn_gate_exps.weight", 8, {5, 0, 3, 2}},
                                     {"blk.0.ffn_up_exps.weight", 8, {5, 0, 3, 2}},
                                     {"blk.0.ffn_down_exps.weight", 6, {5, 0, 3, 2}},
                                     {"blk.1.ffn_gate_exps.weight", 8, {1, 1, 0, 4}},
                                     {"blk.1.ffn_down_exps.weight", 6, {1, 1, 0, 4}}});
        const ImportanceIndex index = bindAll(f, config("Qwen3MoeForCausalLM", "qwen3_moe"), t);
        QCOMPARE(index.table, std::string("Qwen3-MoE"));
        QCOMPARE(index.architecture, std::string("Qwen3MoeForCausalLM"));
        QCOMPARE(index.bindings.size(), size_t(2 + 12 + 2));
        for (const ImportanceBinding& b : index.bindings) QVERIFY2(b.error.empty(), b.error.c_str());
        QCOMPARE(index.find("model.layers.0.mlp.gate.weight")->entry->name, std::string("blk.0.ffn_gate_inp.weight"));
        // Tensor E takes matrix E.
        for (int x = 0; x < 4; ++x) {
            const std::string p = "model.layers.0.mlp.experts." + std::to_string(x) + ".";
            const ImportanceBinding* g = index.find(p + "gate_proj.weight");
            const ImportanceBinding* d = index.find(p + "down_proj.weight");
            QVERIFY(g && d);
            QCOMPARE(g->entry->name, std::string("blk.0.ffn_gate_exps.weight"));
            QCOMPARE(index.find(p + "up_proj.weight")->entry->name, std::string("blk.0.ffn_up_exps.weight"));
            QCOMPARE(d->entry->name, std::string("blk.0.ffn_down_exps.weight"));
            QCOMPARE(g->matrix, int64_t(x));
            QCOMPARE(d->matrix, int64_t(x));
            QCOMPARE(g->nIn, int64_t(8));
            QCOMPARE(d->nIn, int64_t(6));
            QCOMPARE(g->inputAxis, -1);
        }
        // The expert without data keeps its binding; its matrix is marked, never zeros or ones.
        const ImportanceBinding* none = index.find("model.layers.0.mlp.experts.1.down_proj.weight");
        QVERIFY(none->entry->noData[1]);
        QVERIFY(std::isnan(none->entry->ex2[1 * 6 + 0]));
        const ImportanceBinding* two = index.find("model.layers.0.mlp.experts.2.down_proj.weight");
        QCOMPARE(two->entry->ex2[2 * 6 + 5], 26.0);  // ex2Of(2, 5)
        // The stacked tensor takes every matrix.
        const ImportanceBinding* s = index.find("model.layers.1.mlp.experts.down_proj.weight");
        QVERIFY(s);
        QCOMPARE(s->matrix, int64_t(-1));
        QCOMPARE(s->inputAxis, -1);
        QCOMPARE(s->entry->nMat, int64_t(4));
        QCOMPARE(s->entry->noData, (std::vector<bool>{false, false, true, false}));
        QCOMPARE(index.weightsWithoutEntry, (std::vector<std::string>{"model.layers.1.mlp.experts.up_proj.weight",
                                                                      "model.layers.1.mlp.gate.weight"}));
        QVERIFY(index.unmappedEntries.empty());
    }

    void mixtralExperts()
    {
        std::vector<TensorInfo> t = {T("model.layers.0.block_sparse_moe.gate.weight", {3, 8})};
        for (int x = 0; x < 3; ++x) {
            const std::string p = "model.layers.0.block_sparse_moe.experts." + std::to_string(x) + ".";
            t.push_back(T(p + "w1.weight", {6, 8}));
            t.push_back(T(p + "w2.weight", {8, 6}));
            t.push_back(T(p + "w3.weight", {6, 8}));
        }
        ImportanceFile f = readGguf({{"blk.0.ffn_gate_inp.weight", 8, {9}},
                                     {"blk.0.ffn_gate_exps.weight", 8, {1, 2, 3}},
                                     {"blk.0.ffn_down_exps.weight", 6, {1, 2, 3}},
                                     {"blk.0.ffn_up_exps.weight", 8, {1, 2, 3}}});
        const ImportanceIndex index = bindAll(f, config("MixtralForCausalLM", "mixtral"), t);
        QCOMPARE(index.table, std::string("Mixtral"));
        QCOMPARE(index.bindings.size(), size_t(10));
        QCOMPARE(index.find("model.layers.0.block_sparse_moe.gate.weight")->entry->name, std::string("blk.0.ffn_gate_inp.weight"));
        for (int x = 0; x < 3; ++x) {
            const std::string p = "model.layers.0.block_sparse_moe.experts." + std::to_string(x) + ".";
            // w1 = gate, w3 = up, w2 = down.
            QCOMPARE(index.find(p + "w1.weight")->entry->name, std::string("blk.0.ffn_gate_exps.weight"));
            QCOMPARE(index.find(p + "w3.weight")->entry->name, std::string("blk.0.ffn_up_exps.weight"));
            QCOMPARE(index.find(p + "w2.weight")->entry->name, std::string("blk.0.ffn_down_exps.weight"));
            QCOMPARE(index.find(p + "w2.weight")->matrix, int64_t(x));
            QCOMPARE(index.find(p + "w2.weight")->nIn, int64_t(6));
        }
        QVERIFY(index.weightsWithoutEntry.empty() && index.unmappedEntries.empty());

        // imatrix files from before April 2024 name each expert: blk.0.ffn_gate.2.weight.
        ImportanceFile old = readGguf({{"blk.0.ffn_gate.2.weight", 8, {4}}, {"blk.0.ffn_down.0.weight", 6, {4}}});
        const ImportanceIndex o = bindAll(old, config("MixtralForCausalLM"), t);
        QCOMPARE(pairs(o), (std::map<std::string, std::string>{
                               {"model.layers.0.block_sparse_moe.experts.0.w2.weight", "blk.0.ffn_down.0.weight"},
                               {"model.layers.0.block_sparse_moe.experts.2.w1.weight", "blk.0.ffn_gate.2.weight"}}));
        QCOMPARE(o.find("model.layers.0.block_sparse_moe.experts.2.w1.weight")->matrix, int64_t(-1));
    }

    void deepseekV3MlaAndSharedExperts()
    {
        // Layer 0 dense with FP8 q_a_proj (its scale is not a weight); layer 1 MoE with
        // two experts and shared experts. The current converter writes kv_b_proj as
        // attn_k_b / attn_v_b only: both unmapped with their reason, kv_b_proj without entry.
        std::vector<TensorInfo> t = {T("model.layers.0.self_attn.q_a_proj.weight", {6, 8}, DType::F8_E4M3),
                                     T("model.layers.0.self_attn.q_a_proj.weight_scale_inv", {1, 1}, DType::F32),
                                     T("model.layers.0.self_attn.q_a_layernorm.weight", {6}),
                                     T("model.layers.0.self_attn.q_b_proj.weight", {12, 6}),
                                     T("model.layers.0.self_attn.kv_a_proj_with_mqa.weight", {5, 8}),
                                     T("model.layers.0.self_attn.kv_b_proj.weight", {16, 4}),
                                     T("model.layers.0.self_attn.o_proj.weight", {8, 12}),
                                     T("model.layers.0.mlp.down_proj.weight", {8, 12}),
                                     T("model.layers.1.mlp.gate.weight", {2, 8}),
                                     T("model.layers.1.mlp.gate.e_score_correction_bias", {2}),
                                     T("model.layers.1.mlp.shared_experts.gate_proj.weight", {4, 8}),
                                     T("model.layers.1.mlp.shared_experts.up_proj.weight", {4, 8}),
                                     T("model.layers.1.mlp.shared_experts.down_proj.weight", {8, 4}),
                                     T("model.layers.1.mlp.experts.0.down_proj.weight", {8, 4}),
                                     T("model.layers.1.mlp.experts.1.down_proj.weight", {8, 4})};
        ImportanceFile f = readGguf({{"blk.0.attn_q_a.weight", 8, {2}},
                                     {"blk.0.attn_q_b.weight", 6, {2}},
                                     {"blk.0.attn_kv_a_mqa.weight", 8, {2}},
                                     {"blk.0.attn_k_b.weight", 4, {2}},
                                     {"blk.0.attn_v_b.weight", 8, {2}},
                                     {"blk.0.attn_output.weight", 12, {2}},
                                     {"blk.0.ffn_down.weight", 12, {2}},
                                     {"blk.1.ffn_gate_inp.weight", 8, {2}},
                                     {"blk.1.ffn_gate_shexp.weight", 8, {2}},
                                     {"blk.1.ffn_up_shexp.weight", 8, {2}},
                                     {"blk.1.ffn_down_shexp.weight", 4, {2}},
                                     {"blk.1.ffn_down_exps.weight", 4, {2, 0}}});
        const ImportanceIndex index = bindAll(f, config("DeepseekV3ForCausalLM", "deepseek_v3"), t);
        QCOMPARE(index.table, std::string("DeepSeek"));
        QCOMPARE(pairs(index), (std::map<std::string, std::string>{
                                   {"model.layers.0.mlp.down_proj.weight", "blk.0.ffn_down.weight"},
                                   {"model.layers.0.self_attn.kv_a_proj_with_mqa.weight", "blk.0.attn_kv_a_mqa.weight"},
                                   {"model.layers.0.self_attn.o_proj.weight", "blk.0.attn_output.weight"},
                                   {"model.layers.0.self_attn.q_a_proj.weight", "blk.0.attn_q_a.weight"},
                                   {"model.layers.0.self_attn.q_b_proj.weight", "blk.0.attn_q_b.weight"},
                                   {"model.layers.1.mlp.experts.0.down_proj.weight", "blk.1.ffn_down_exps.weight"},
                                   {"model.layers.1.mlp.experts.1.down_proj.weight", "blk.1.ffn_down_exps.weight"},
                                   {"model.layers.1.mlp.gate.weight", "blk.1.ffn_gate_inp.weight"},
                                   {"model.layers.1.mlp.shared_experts.down_proj.weight", "blk.1.ffn_down_shexp.weight"},
                                   {"model.layers.1.mlp.shared_experts.gate_proj.weight", "blk.1.ffn_gate_shexp.weight"},
                                   {"model.layers.1.mlp.shared_experts.up_proj.weight", "blk.1.ffn_up_shexp.weight"}}));
        QCOMPARE(index.bindings.size(), size_t(11));
        QCOMPARE(index.find("model.layers.0.self_attn.q_b_proj.weight")->nIn, int64_t(6));
        QCOMPARE(index.find("model.layers.1.mlp.experts.1.down_proj.weight")->matrix, int64_t(1));
        QCOMPARE(index.unmappedEntries, (std::vector<std::string>{"blk.0.attn_k_b.weight", "blk.0.attn_v_b.weight"}));
        QVERIFY2(index.unmappedReasons[0].starts_with("attn_k_b is kv_b_proj's K half per head, transposed"),
                 index.unmappedReasons[0].c_str());
        QVERIFY2(index.unmappedReasons[1].starts_with("attn_v_b is kv_b_proj's V half per head"), index.unmappedReasons[1].c_str());
        QCOMPARE(index.weightsWithoutEntry, std::vector<std::string>{"model.layers.0.self_attn.kv_b_proj.weight"});

        // GGUFs from before the split have attn_kv_b, which binds kv_b_proj.
        ImportanceFile old = readGguf({{"blk.0.attn_kv_b.weight", 4, {2}}});
        const ImportanceIndex o = bindAll(old, config("DeepseekV2ForCausalLM"), t);
        QCOMPARE(pairs(o), (std::map<std::string, std::string>{
                               {"model.layers.0.self_attn.kv_b_proj.weight", "blk.0.attn_kv_b.weight"}}));
    }

    void gptOssFusedExperts()
    {
        // [E=4, in, out] computed x @ W: gate_up_proj [4, 8, 12] (in = hidden 8),
        // down_proj [4, 6, 8] (in = 6). llama.cpp splits gate_up into ffn_gate_exps and
        // ffn_up_exps with the same input: the first present binds, the other is taken.
        std::vector<TensorInfo> t = {T("model.layers.0.self_attn.q_proj.weight", {8, 8}),
                                     T("model.layers.0.self_attn.sinks", {2}),
                                     T("model.layers.0.mlp.router.weight", {4, 8}),
                                     T("model.layers.0.mlp.router.bias", {4}),
                                     T("model.layers.0.mlp.experts.gate_up_proj", {4, 8, 12}),
                                     T("model.layers.0.mlp.experts.gate_up_proj_bias", {4, 12}),
                                     T("model.layers.0.mlp.experts.down_proj", {4, 6, 8}),
                                     T("model.layers.0.mlp.experts.down_proj_bias", {4, 8}),
                                     T("model.layers.1.mlp.router.weight", {4, 8}),
                                     T("model.layers.1.mlp.experts.gate_up_proj", {4, 8, 12}),
                                     T("model.layers.1.mlp.experts.down_proj", {4, 6, 8})};
        ImportanceFile f = readGguf({{"blk.0.attn_q.weight", 8, {3}},
                                     {"blk.0.ffn_gate_inp.weight", 8, {3}},
                                     {"blk.0.ffn_gate_exps.weight", 8, {1, 2, 3, 4}},
                                     {"blk.0.ffn_up_exps.weight", 8, {1, 2, 3, 4}},
                                     {"blk.0.ffn_down_exps.weight", 6, {1, 2, 3, 4}},
                                     {"blk.1.ffn_up_exps.weight", 8, {1, 0, 3, 4}}});
        const ImportanceIndex index = bindAll(f, config("GptOssForCausalLM", "gpt_oss"), t);
        QCOMPARE(index.table, std::string("gpt-oss"));
        QCOMPARE(pairs(index), (std::map<std::string, std::string>{
                                   {"model.layers.0.mlp.experts.down_proj", "blk.0.ffn_down_exps.weight"},
                                   {"model.layers.0.mlp.experts.gate_up_proj", "blk.0.ffn_gate_exps.weight"},
                                   {"model.layers.0.mlp.router.weight", "blk.0.ffn_gate_inp.weight"},
                                   {"model.layers.0.self_attn.q_proj.weight", "blk.0.attn_q.weight"},
                                   {"model.layers.1.mlp.experts.gate_up_proj", "blk.1.ffn_up_exps.weight"}}));
        for (const char* n : {"model.layers.0.mlp.experts.gate_up_proj", "model.layers.0.mlp.experts.down_proj",
                              "model.layers.1.mlp.experts.gate_up_proj"}) {
            const ImportanceBinding* b = index.find(n);
            QCOMPARE(b->inputAxis, -2);
            QCOMPARE(b->matrix, int64_t(-1));
        }
        QCOMPARE(index.find("model.layers.0.mlp.experts.gate_up_proj")->nIn, int64_t(8));
        QCOMPARE(index.find("model.layers.0.mlp.experts.down_proj")->nIn, int64_t(6));
        QCOMPARE(index.find("model.layers.0.mlp.router.weight")->inputAxis, -1);
        QVERIFY(index.unmappedEntries.empty());  // ffn_up_exps of layer 0 is taken too
        // The fused down_proj of layer 1 is listed although its name has no "weight"; biases are not.
        QCOMPARE(index.weightsWithoutEntry, (std::vector<std::string>{"model.layers.1.mlp.experts.down_proj",
                                                                      "model.layers.1.mlp.router.weight"}));
    }

    void inputAxisPerLayout_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("tensor");
        QTest::addColumn<QList<qint64>>("shape");
        QTest::addColumn<QString>("entry");
        QTest::addColumn<qint64>("nIn");
        QTest::addColumn<qint64>("nMat");
        QTest::addColumn<int>("axis");
        QTest::addColumn<qint64>("matrix");
        QTest::addColumn<QString>("error");
        QTest::newRow("2-D linear [out, in]") << "LlamaForCausalLM" << "model.layers.0.mlp.down_proj.weight" << QList<qint64>{8, 12}
                                             << "blk.0.ffn_down.weight" << qint64(12) << qint64(1) << -1 << qint64(-1) << "";
        QTest::newRow("per-expert 2-D") << "Qwen3MoeForCausalLM" << "model.layers.0.mlp.experts.3.down_proj.weight"
                                        << QList<qint64>{8, 6} << "blk.0.ffn_down_exps.weight" << qint64(6) << qint64(4) << -1
                                        << qint64(3) << "";
        QTest::newRow("stacked [E, out, in]") << "Qwen3MoeForCausalLM" << "model.layers.0.mlp.experts.down_proj.weight"
                                              << QList<qint64>{4, 8, 6} << "blk.0.ffn_down_exps.weight" << qint64(6)
                                              << qint64(4) << -1 << qint64(-1) << "";
        QTest::newRow("gpt-oss gate_up [E, in, 2out]") << "GptOssForCausalLM" << "model.layers.0.mlp.experts.gate_up_proj"
                                                       << QList<qint64>{4, 8, 12} << "blk.0.ffn_gate_exps.weight" << qint64(8)
                                                       << qint64(4) << -2 << qint64(-1) << "";
        QTest::newRow("gpt-oss down [E, in, out]") << "GptOssForCausalLM" << "model.layers.0.mlp.experts.down_proj"
                                                   << QList<qint64>{4, 6, 8} << "blk.0.ffn_down_exps.weight" << qint64(6)
                                                   << qint64(4) << -2 << qint64(-1) << "";
        QTest::newRow("stacked, other expert count")
            << "Qwen3MoeForCausalLM" << "model.layers.0.mlp.experts.down_proj.weight" << QList<qint64>{3, 8, 6}
            << "blk.0.ffn_down_exps.weight" << qint64(6) << qint64(4) << -1 << qint64(-1)
            << "\"model.layers.0.mlp.experts.down_proj.weight\" (3, 8, 6): importance entry \"blk.0.ffn_down_exps.weight\" has "
               "4 matrices (experts); the tensor does not stack 4 on its first axis";
        QTest::newRow("expert beyond the entry")
            << "Qwen3MoeForCausalLM" << "model.layers.0.mlp.experts.5.down_proj.weight" << QList<qint64>{8, 6}
            << "blk.0.ffn_down_exps.weight" << qint64(6) << qint64(4) << -1 << qint64(5)
            << "\"model.layers.0.mlp.experts.5.down_proj.weight\" (8, 6): expert 5, but importance entry "
               "\"blk.0.ffn_down_exps.weight\" has 4 matrices";
        QTest::newRow("2-D tensor, several matrices")
            << "LlamaForCausalLM" << "model.layers.0.mlp.down_proj.weight" << QList<qint64>{8, 12} << "blk.0.ffn_down.weight"
            << qint64(12) << qint64(2) << -1 << qint64(-1)
            << "\"model.layers.0.mlp.down_proj.weight\" (8, 12): importance entry \"blk.0.ffn_down.weight\" has 2 matrices "
               "(experts); the tensor does not stack 2 on its first axis";
        QTest::newRow("gpt-oss: the input is not the last axis")
            << "GptOssForCausalLM" << "model.layers.0.mlp.experts.gate_up_proj" << QList<qint64>{4, 12, 8}
            << "blk.0.ffn_gate_exps.weight" << qint64(8) << qint64(4) << -2 << qint64(-1)
            << "\"model.layers.0.mlp.experts.gate_up_proj\" (4, 12, 8): input axis -2 has 12 columns; importance entry "
               "\"blk.0.ffn_gate_exps.weight\" has 8";
    }

    void inputAxisPerLayout()
    {
        QFETCH(QString, arch);
        QFETCH(QString, tensor);
        QFETCH(QList<qint64>, shape);
        QFETCH(QString, entry);
        QFETCH(qint64, nIn);
        QFETCH(qint64, nMat);
        QFETCH(int, axis);
        QFETCH(qint64, matrix);
        QFETCH(QString, error);
        ImportanceFile f = memoryFile(entry.toStdString(), nIn, nMat);
        const ImportanceIndex index =
            bindAll(f, config(arch), {T(tensor.toStdString(), std::vector<int64_t>(shape.begin(), shape.end()))});
        QCOMPARE(index.bindings.size(), size_t(1));
        const ImportanceBinding& b = index.bindings[0];
        QCOMPARE(b.entry, &f.entries[0]);
        QCOMPARE(b.inputAxis, axis);
        QCOMPARE(qint64(b.matrix), matrix);
        QCOMPARE(qint64(b.nIn), nIn);
        QCOMPARE(QString::fromStdString(b.error), error);
        QVERIFY(index.unmappedEntries.empty() && index.weightsWithoutEntry.empty());
    }

    void widthMismatchLeavesTheOthersBound()
    {
        std::vector<Ent> e = llamaEntries(1);
        for (Ent& x : e)
            if (x.name == "blk.0.attn_q.weight") x.nIn = 6;
        ImportanceFile f = readGguf(e);
        const ImportanceIndex index = bindAll(f, config("LlamaForCausalLM"), llamaTensors(1));
        QCOMPARE(index.bindings.size(), size_t(8));
        int errors = 0;
        for (const ImportanceBinding& b : index.bindings) errors += b.error.empty() ? 0 : 1;
        QCOMPARE(errors, 1);
        const ImportanceBinding* q = index.find("model.layers.0.self_attn.q_proj.weight");
        QCOMPARE(q->error, std::string("\"model.layers.0.self_attn.q_proj.weight\" (8, 8): input axis -1 has 8 columns; "
                                       "importance entry \"blk.0.attn_q.weight\" has 6"));
        QCOMPARE(q->nIn, int64_t(6));
        QVERIFY(index.find("model.layers.0.self_attn.k_proj.weight")->error.empty());
        // Neither listed as unmapped nor as without entry: the binding says what is wrong.
        QVERIFY(index.unmappedEntries.empty());
        QCOMPARE(index.weightsWithoutEntry, std::vector<std::string>{"model.embed_tokens.weight"});
    }

    void unmappedEntriesWithReasons()
    {
        std::vector<Ent> e = llamaEntries(1);
        e.push_back({"blk.0.attn_qkv.weight", 8, {1}});
        e.push_back({"blk.7.attn_q.weight", 8, {1}});
        e.push_back({"blk.0.ffn_down_exps.weight", 12, {1, 1}});
        ImportanceFile f = readGguf(e);
        const ImportanceIndex index = bindAll(f, config("LlamaForCausalLM"), llamaTensors(1));
        QCOMPARE(pairs(index).size(), size_t(8));
        // In the file's order, each with its reason.
        QCOMPARE(index.unmappedEntries, (std::vector<std::string>{"blk.0.attn_qkv.weight", "blk.7.attn_q.weight",
                                                                  "blk.0.ffn_down_exps.weight"}));
        QCOMPARE(index.unmappedReasons,
                 (std::vector<std::string>{"no row of the Llama name table matches this name",
                                           "the model has no tensor model.layers.7.self_attn.q_proj.weight",
                                           "no row of the Llama name table matches this name"}));
        // The same merged-expert entry against a Qwen3-MoE table names both forms it looks for.
        ImportanceFile g = readGguf({{"blk.3.ffn_down_exps.weight", 12, {1, 1}}});
        const ImportanceIndex m = bindAll(g, config("Qwen3MoeForCausalLM"), llamaTensors(1));
        QCOMPARE(m.unmappedReasons, std::vector<std::string>{"the model has none of model.layers.3.mlp.experts.E.down_proj.weight, "
                                                             "model.layers.3.mlp.experts.down_proj.weight"});
    }

    void legacyDatSplitOnBinding()
    {
        // ncall 5: stored values are E[x²]·5. ffn_down_exps: 3 experts of n_in 2, expert 1
        // stored as ncall everywhere (the writer's "no data"). ffn_gate_exps: 7 values, no
        // whole number of the tensors' 8 columns: every tensor on it says so.
        QTemporaryDir dir;
        const QString path = write(dir, "imatrix.dat",
                                   legacyDat({{"blk.0.ffn_down_exps.weight", 5, {10, 20, 5, 5, 30, 40}},
                                              {"blk.0.ffn_gate_exps.weight", 1, {1, 2, 3, 4, 5, 6, 7}},
                                              {"blk.0.attn_q.weight", 2, {2, 4, 6, 8, 10, 12, 14, 16}}}));
        auto f = readImportance(path);
        QVERIFY2(f, f ? "" : f.error().message.c_str());
        QCOMPARE(f->entries[0].nMat, int64_t(1));  // not split until a model gives the width
        std::vector<TensorInfo> t = {T("model.layers.0.self_attn.q_proj.weight", {8, 8})};
        for (int x = 0; x < 3; ++x) {
            t.push_back(T("model.layers.0.mlp.experts." + std::to_string(x) + ".down_proj.weight", {8, 2}));
            t.push_back(T("model.layers.0.mlp.experts." + std::to_string(x) + ".gate_proj.weight", {2, 8}));
        }
        const ImportanceIndex index = bindAll(*f, config("Qwen3MoeForCausalLM"), t);
        const ImportanceEntry& d = *f->find("blk.0.ffn_down_exps.weight");
        QCOMPARE(d.nIn, int64_t(2));
        QCOMPARE(d.nMat, int64_t(3));
        QCOMPARE(d.noData, (std::vector<bool>{false, true, false}));
        QCOMPARE(d.ex2[0], 2.0);
        QCOMPARE(d.ex2[1], 4.0);
        QVERIFY(std::isnan(d.ex2[2]) && std::isnan(d.ex2[3]));
        QCOMPARE(d.ex2[5], 8.0);
        QCOMPARE(index.find("model.layers.0.mlp.experts.2.down_proj.weight")->matrix, int64_t(2));
        QVERIFY(index.find("model.layers.0.mlp.experts.2.down_proj.weight")->error.empty());
        QCOMPARE(index.find("model.layers.0.self_attn.q_proj.weight")->entry->ex2,
                 (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8}));
        for (int x = 0; x < 3; ++x) {
            const std::string n = "model.layers.0.mlp.experts." + std::to_string(x) + ".gate_proj.weight";
            QCOMPARE(index.find(n)->error, "\"" + n + "\" (2, 8): importance entry \"blk.0.ffn_gate_exps.weight\": 7 values are "
                                                      "not a whole number of 8-column matrices (the weight's input width)");
        }
    }

    void ownFilesBindByName()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("imp.safetensors");
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const std::vector<float> down(12, 2.0f), stacked = {1, 2, 3, 4, 5, 6, nan, nan, nan, nan, nan, nan, 7, 8, 9, 10, 11, 12},
                                 q2(16, 1.0f), k1(8, 3.0f), stray(3, 1.0f), fused = {1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2};
        auto bytes = [](const std::vector<float>& v) { return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()), v.size() * 4); };
        QVERIFY(writeSafetensors(path, {{{"model.layers.0.mlp.down_proj.weight", DType::F32, {12}}, bytes(down)},
                                        {{"model.layers.0.mlp.experts.down_proj.weight", DType::F32, {3, 6}}, bytes(stacked)},
                                        {{"model.layers.0.self_attn.q_proj.weight", DType::F32, {2, 8}}, bytes(q2)},
                                        {{"model.layers.0.self_attn.k_proj.weight", DType::F32, {1, 8}}, bytes(k1)},
                                        {{"model.layers.9.x.weight", DType::F32, {3}}, bytes(stray)}})
                    .ok());
        auto f = readImportance(path);
        QVERIFY2(f, f ? "" : f.error().message.c_str());
        std::vector<TensorInfo> t = {T("model.layers.0.mlp.down_proj.weight", {8, 12}),
                                     T("model.layers.0.mlp.experts.down_proj.weight", {3, 8, 6}),
                                     T("model.layers.0.self_attn.q_proj.weight", {8, 8}),
                                     T("model.layers.0.self_attn.k_proj.weight", {4, 8}),
                                     T("model.layers.0.self_attn.v_proj.weight", {4, 8})};
        // Any architecture: the names are the model's.
        const ImportanceIndex index = bindAll(*f, config("SomethingForCausalLM"), t);
        QCOMPARE(index.table, std::string("names"));
        QCOMPARE(index.note, std::string());
        QCOMPARE(index.bindings.size(), size_t(4));
        QVERIFY(index.find("model.layers.0.mlp.down_proj.weight")->error.empty());
        const ImportanceBinding* s = index.find("model.layers.0.mlp.experts.down_proj.weight");
        QVERIFY(s->error.empty());
        QCOMPARE(s->matrix, int64_t(-1));
        QCOMPARE(s->entry->noData, (std::vector<bool>{false, true, false}));
        QCOMPARE(s->entry->ex2[13], 8.0);
        QCOMPARE(index.find("model.layers.0.self_attn.q_proj.weight")->error,
                 std::string("\"model.layers.0.self_attn.q_proj.weight\" (8, 8): importance entry "
                             "\"model.layers.0.self_attn.q_proj.weight\" has 2 matrices (experts); the tensor does not stack 2 on "
                             "its first axis"));
        QVERIFY(index.find("model.layers.0.self_attn.k_proj.weight")->error.empty());  // [1, n_in] on a 2-D tensor
        QCOMPARE(index.unmappedEntries, std::vector<std::string>{"model.layers.9.x.weight"});
        QCOMPARE(index.unmappedReasons, std::vector<std::string>{"the model has no tensor of this name"});
        QCOMPARE(index.weightsWithoutEntry, std::vector<std::string>{"model.layers.0.self_attn.v_proj.weight"});

        // gpt-oss's fused experts by name: input axis -2.
        const QString fusedPath = dir.filePath("fused.safetensors");
        QVERIFY(writeSafetensors(fusedPath, {{{"model.layers.0.mlp.experts.gate_up_proj", DType::F32, {2, 8}}, bytes(fused)}}).ok());
        auto g = readImportance(fusedPath);
        QVERIFY(g.ok());
        const ImportanceIndex gi = bindAll(*g, config("GptOssForCausalLM"), {T("model.layers.0.mlp.experts.gate_up_proj", {2, 8, 12})});
        QCOMPARE(gi.bindings.size(), size_t(1));
        QVERIFY(gi.bindings[0].error.empty());
        QCOMPARE(gi.bindings[0].inputAxis, -2);
        QCOMPARE(gi.bindings[0].matrix, int64_t(-1));
    }

    void unknownArchitectureTriesEveryTable()
    {
        std::vector<TensorInfo> t = llamaTensors(1);
        t.push_back(T("model.layers.0.mlp.experts.1.down_proj.weight", {8, 6}));
        t.push_back(T("model.layers.0.mlp.shared_experts.down_proj.weight", {8, 6}));
        t.push_back(T("model.layers.0.self_attn.q_a_proj.weight", {6, 8}));
        ImportanceFile f = readGguf({{"blk.0.attn_q.weight", 8, {1}},
                                     {"blk.0.ffn_down_exps.weight", 6, {1, 1}},
                                     {"blk.0.ffn_down_shexp.weight", 6, {1}},
                                     {"blk.0.attn_q_a.weight", 8, {1}}});
        const ImportanceIndex index = bindAll(f, config("FooForCausalLM"), t);
        QCOMPARE(index.table, std::string("generic"));
        QCOMPARE(index.note, std::string("architecture \"FooForCausalLM\" has no name table; every table's rows were tried "
                                         "(Llama, MoE, Mixtral, DeepSeek names)"));
        QCOMPARE(pairs(index), (std::map<std::string, std::string>{
                                   {"model.layers.0.mlp.experts.1.down_proj.weight", "blk.0.ffn_down_exps.weight"},
                                   {"model.layers.0.mlp.shared_experts.down_proj.weight", "blk.0.ffn_down_shexp.weight"},
                                   {"model.layers.0.self_attn.q_a_proj.weight", "blk.0.attn_q_a.weight"},
                                   {"model.layers.0.self_attn.q_proj.weight", "blk.0.attn_q.weight"}}));
        QCOMPARE(index.find("model.layers.0.mlp.experts.1.down_proj.weight")->matrix, int64_t(1));
        ImportanceFile g = readGguf({{"blk.0.attn_q.weight", 8, {1}}});
        QCOMPARE(bindAll(g, QJsonObject{}, t).note, std::string("config.json names no architecture; every table's rows were tried "
                                                             "(Llama, MoE, Mixtral, DeepSeek names)"));
        QVERIFY(!importanceTableNames().empty());
        QCOMPARE(importanceTableNames().front(), std::string("Llama: LlamaForCausalLM, MistralForCausalLM, llama, mistral"));
    }

    void commandBindsAndWritesOwnFormat()
    {
        QTemporaryDir dir;
        // Qwen3-MoE: layer 0 with 6 per-expert tensors (expert 1 without data), layer 1
        // stacked [3, 8, 6] (expert 1 without data: a NaN row), an entry for a layer the
        // model lacks, the embedding without entry.
        std::vector<TensorInfo> t = {T("model.embed_tokens.weight", {16, 8}), T("model.layers.0.input_layernorm.weight", {8}),
                                     T("model.layers.0.self_attn.q_proj.weight", {8, 8}),
                                     T("model.layers.1.mlp.experts.down_proj.weight", {3, 8, 6}), T("lm_head.weight", {16, 8})};
        for (int x = 0; x < 6; ++x) t.push_back(T("model.layers.0.mlp.experts." + std::to_string(x) + ".down_proj.weight", {8, 6}));
        const QString model = writeModel(dir, "model", config("Qwen3MoeForCausalLM", "qwen3_moe"), t);
        const QString imatrix = write(dir, "imatrix.gguf",
                                      gguf({{"blk.0.attn_q.weight", 8, {10}},
                                            {"blk.0.ffn_down_exps.weight", 6, {4, 0, 2, 1, 1, 1}},
                                            {"blk.1.ffn_down_exps.weight", 6, {3, 0, 1}},
                                            {"blk.5.attn_k.weight", 8, {1}},
                                            {"output.weight", 8, {2}}}));
        const QString out = dir.filePath("imp.safetensors");
        const Run r = runCli({"importance", imatrix, "--model", model, "--out", out});
        QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
        QVERIFY2(r.out.contains("model: " + model + " (architecture Qwen3MoeForCausalLM, name table Qwen3-MoE)\n"
                                "bound: 9 tensors (0 unusable), entries unmapped: 1, weights without an entry: 1\n"),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains("\n    -> model.layers.0.self_attn.q_proj.weight\n"), qPrintable(r.out));
        QVERIFY2(r.out.contains("    -> model.layers.0.mlp.experts.0.down_proj.weight  [matrix 0]\n"
                                "    -> model.layers.0.mlp.experts.1.down_proj.weight  [matrix 1, no data]\n"
                                "    -> ... 3 more\n"
                                "    -> model.layers.0.mlp.experts.5.down_proj.weight  [matrix 5]\n"),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains("    -> model.layers.1.mlp.experts.down_proj.weight\n"), qPrintable(r.out));
        QVERIFY2(r.out.contains("blk.5.attn_k.weight") && r.out.contains("    -> unmapped\n"), qPrintable(r.out));
        QVERIFY2(r.out.contains("unmapped entries: 1\n  blk.5.attn_k.weight: the model has no tensor "
                                "model.layers.5.self_attn.k_proj.weight\n"
                                "weights without an entry: 1\n  model.embed_tokens.weight  (an embedding lookup: llama.cpp "
                                "collects no importance for it)\n"),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains("\nwrote " + out + ": 8 tensors (F32 E[x^2]), 1 matrices without data as NaN rows\n"
                                "not written: 1\n  model.layers.0.mlp.experts.1.down_proj.weight: expert 1 of "
                                "\"blk.0.ffn_down_exps.weight\" saw no calibration data (count 0)\n"),
                 qPrintable(r.out));

        // Read back: the model's names, E[x²] as in the imatrix, the NaN row as no data.
        auto back = readImportance(out);
        QVERIFY2(back, back ? "" : back.error().message.c_str());
        QCOMPARE(back->format, std::string("safetensors"));
        QCOMPARE(back->entries.size(), size_t(8));
        auto row = [](int64_t m, int64_t n) {
            std::vector<double> v;
            for (int64_t i = 0; i < n; ++i) v.push_back(ex2Of(m, i));
            return v;
        };
        QCOMPARE(back->find("model.layers.0.self_attn.q_proj.weight")->ex2, row(0, 8));
        QCOMPARE(back->find("lm_head.weight")->ex2, row(0, 8));
        QCOMPARE(back->find("model.layers.0.mlp.experts.0.down_proj.weight")->ex2, row(0, 6));
        QCOMPARE(back->find("model.layers.0.mlp.experts.4.down_proj.weight")->ex2, row(4, 6));
        QCOMPARE(back->find("model.layers.0.mlp.experts.4.down_proj.weight")->nMat, int64_t(1));
        QVERIFY(!back->find("model.layers.0.mlp.experts.1.down_proj.weight"));
        const ImportanceEntry* s = back->find("model.layers.1.mlp.experts.down_proj.weight");
        QVERIFY(s);
        QCOMPARE(s->nMat, int64_t(3));
        QCOMPARE(s->nIn, int64_t(6));
        QCOMPARE(s->noData, (std::vector<bool>{false, true, false}));
        QCOMPARE(std::vector<double>(s->ex2.begin(), s->ex2.begin() + 6), row(0, 6));
        QCOMPARE(std::vector<double>(s->ex2.begin() + 12, s->ex2.end()), row(2, 6));
        QVERIFY(std::isnan(s->ex2[6]));

        // The written file binds to the same model by name.
        const Run again = runCli({"importance", out, "--model", model});
        QVERIFY2(again.code == 0, qPrintable(again.err));
        QVERIFY2(again.out.startsWith("format: safetensors\n"), qPrintable(again.out));
        QVERIFY2(again.out.contains("name table names)\nbound: 8 tensors (0 unusable), entries unmapped: 0, weights without an entry: 2\n"),
                 qPrintable(again.out));
        QVERIFY(again.out.contains("  model.layers.0.mlp.experts.1.down_proj.weight\n"));
        // Without --model the command prints what the file holds, as before.
        const Run plain = runCli({"importance", imatrix});
        QCOMPARE(plain.code, 0);
        QVERIFY(!plain.out.contains("->") && !plain.out.contains("unmapped"));
    }

    void commandErrors()
    {
        QTemporaryDir dir;
        const QString model =
            writeModel(dir, "model", config("LlamaForCausalLM"), {T("model.layers.0.self_attn.q_proj.weight", {8, 8})});
        const QString imatrix = write(dir, "imatrix.gguf", gguf({{"blk.0.attn_q.weight", 8, {2}}}));
        const QString out = dir.filePath("o.safetensors");

        Run r = runCli({"importance", imatrix, "--out", out});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.startsWith("error: --out needs --model: the file is written under the model's tensor names"), qPrintable(r.err));
        r = runCli({"importance", imatrix, "--model", model, "--out", dir.filePath("o.bin")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--out " + dir.filePath("o.bin") + ": the name must end in .safetensors"), qPrintable(r.err));
        const QString bad = write(dir, "bad.dat", {1, 2, 3, 4, 5, 6, 7, 8, 9});
        r = runCli({"importance", bad, "--model", model, "--out", out});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.startsWith("error: " + bad + ": not a valid legacy imatrix (.dat) file"), qPrintable(r.err));
        r = runCli({"importance", imatrix, "--model", dir.filePath("no-such-model")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("no-such-model"), qPrintable(r.err));
        // Nothing binds: an error, and no file.
        const QString other = write(dir, "other.gguf", gguf({{"blk.0.attn_qkv.weight", 8, {2}}}));
        r = runCli({"importance", other, "--model", model, "--out", out});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("error: --out " + out + ": nothing to write: no entry of " + other), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(out));
        QVERIFY(r.out.contains("unmapped entries: 1\n  blk.0.attn_qkv.weight: no row of the Llama name table matches this name\n"));
        // A width mismatch is printed as unusable and not written; the rest is.
        const QString narrow = write(dir, "narrow.gguf", gguf({{"blk.0.attn_q.weight", 6, {2}}}));
        r = runCli({"importance", narrow, "--model", model, "--out", out});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.out.contains("    -> model.layers.0.self_attn.q_proj.weight  [unusable, see below]\n"), qPrintable(r.out));
        QVERIFY2(r.out.contains("tensors that cannot use their entry: 1\n  \"model.layers.0.self_attn.q_proj.weight\" (8, 8): "
                                "input axis -1 has 8 columns; importance entry \"blk.0.attn_q.weight\" has 6\n"),
                 qPrintable(r.out));
    }
};

QTEST_GUILESS_MAIN(TestImportanceMap)
#include "test_importance_map.moc"
