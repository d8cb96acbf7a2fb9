// bench_shard [DIR] [FORMATS]: sharded runs (issue #12) on a generated 64-file model with
// a DeepSeek-like mix of sizes (two large embeddings, per layer attention matrices, a
// dense MLP or 16 small experts plus a shared expert, norms). Prints
//  * the byte imbalance of the split into 2, 4, 8 and 16 shards (largest vs smallest part),
//  * the wall time of `wq` over the whole model in one process, and of 4 shards run as 4
//    parallel processes on this machine (bytes read per second per shard and in all),
//  * the time `merge` takes to join the 4 shard folders.
// Numbers only, never pass/fail. The model (1.49 GB of BF16, 1,272 tensors) is generated once into DIR
// (default /tmp/qs-bench-shard) and reused.
#include "analysis/model_open.h"
#include "io/dtype.h"
#include "io/safetensors_writer.h"
#include "io/selection.h"
#include "io/shard.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

namespace {

struct Spec {
    std::string name;
    std::vector<int64_t> shape;
};

std::vector<Spec> modelSpecs()
{
    const int64_t hidden = 1024, vocab = 32768, dense = 2816, expert = 512, experts = 16, layers = 24;
    std::vector<Spec> s;
    s.push_back({"model.embed_tokens.weight", {vocab, hidden}});
    for (int64_t l = 0; l < layers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        s.push_back({p + "input_layernorm.weight", {hidden}});
        s.push_back({p + "post_attention_layernorm.weight", {hidden}});
        s.push_back({p + "self_attn.q_a_proj.weight", {384, hidden}});
        s.push_back({p + "self_attn.q_b_proj.weight", {hidden * 2, 384}});
        s.push_back({p + "self_attn.kv_a_proj_with_mqa.weight", {144, hidden}});
        s.push_back({p + "self_attn.kv_b_proj.weight", {hidden * 2, 128}});
        s.push_back({p + "self_attn.o_proj.weight", {hidden, hidden * 2}});
        if (l < 3) {  // dense layers first, as in DeepSeek-V3
            for (const char* m : {"gate_proj", "up_proj"}) s.push_back({p + "mlp." + m + ".weight", {dense, hidden}});
            s.push_back({p + "mlp.down_proj.weight", {hidden, dense}});
        } else {
            s.push_back({p + "mlp.gate.weight", {experts, hidden}});
            for (int64_t e = 0; e < experts; ++e) {
                const std::string q = p + "mlp.experts." + std::to_string(e) + ".";
                s.push_back({q + "gate_proj.weight", {expert, hidden}});
                s.push_back({q + "up_proj.weight", {expert, hidden}});
                s.push_back({q + "down_proj.weight", {hidden, expert}});
            }
            for (const char* m : {"gate_proj", "up_proj"}) s.push_back({p + "mlp.shared_experts." + m + ".weight", {expert, hidden}});
            s.push_back({p + "mlp.shared_experts.down_proj.weight", {hidden, expert}});
        }
    }
    s.push_back({"model.norm.weight", {hidden}});
    s.push_back({"lm_head.weight", {vocab, hidden}});
    return s;
}

bool generate(const QString& dir)
{
    if (QFile::exists(dir + "/model.safetensors.index.json")) return true;
    QDir().mkpath(dir);
    const std::vector<Spec> specs = modelSpecs();
    constexpr int kFiles = 64;
    uint64_t total = 0;
    for (const Spec& s : specs) {
        int64_t n = 1;
        for (int64_t d : s.shape) n *= d;
        total += uint64_t(n) * 2;
    }
    // Consecutive tensors fill the files to about total/64 bytes each, as checkpoints are cut.
    QJsonObject weightMap;
    size_t next = 0;
    uint64_t seed = 1;
    for (int f = 1; f <= kFiles && next < specs.size(); ++f) {
        const QString file = QStringLiteral("model-%1-of-%2.safetensors").arg(f, 5, 10, QLatin1Char('0')).arg(kFiles, 5, 10, QLatin1Char('0'));
        std::vector<qs::TensorSpec> part;
        uint64_t bytes = 0;
        while (next < specs.size() && (part.empty() || bytes < total / kFiles || f == kFiles)) {
            const Spec& s = specs[next++];
            part.push_back({s.name, qs::DType::BF16, s.shape});
            int64_t n = 1;
            for (int64_t d : s.shape) n *= d;
            bytes += uint64_t(n) * 2;
            weightMap.insert(QString::fromStdString(s.name), file);
        }
        auto w = qs::SafetensorsWriter::create(dir + "/" + file, part, {{"format", "pt"}});
        if (!w) return std::fprintf(stderr, "%s\n", w.error().message.c_str()), false;
        for (const qs::TensorSpec& t : part) {
            int64_t n = 1;
            for (int64_t d : t.shape) n *= d;
            std::vector<uint16_t> v(static_cast<size_t>(n));
            for (auto& x : v) {  // bf16 of a value in about N(0, 0.02): sign, exponent 2^-7..2^-5, mantissa
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                const uint32_t r = uint32_t(seed >> 33);
                x = uint16_t(((r & 1u) << 15) | ((120u + (r >> 1) % 3) << 7) | ((r >> 8) & 0x7F));
            }
            if (auto e = (*w)->write(v.data(), v.size() * 2); !e) return false;
        }
        if (auto c = (*w)->commit(); !c) return std::fprintf(stderr, "%s\n", c.error().message.c_str()), false;
    }
    QJsonObject index{{"metadata", QJsonObject{{"total_size", double(total)}}}, {"weight_map", weightMap}};
    QFile idx(dir + "/model.safetensors.index.json");
    if (!idx.open(QIODevice::WriteOnly)) return false;
    idx.write(QJsonDocument(index).toJson());
    QFile cfg(dir + "/config.json");
    if (!cfg.open(QIODevice::WriteOnly)) return false;
    cfg.write("{\"model_type\": \"deepseek_v3\"}\n");
    return true;
}

double runAll(const QString& bin, const std::vector<QStringList>& commands)
{
    QElapsedTimer t;
    t.start();
    std::vector<std::unique_ptr<QProcess>> ps;
    for (const QStringList& args : commands) {
        auto p = std::make_unique<QProcess>();
        p->setStandardOutputFile(QProcess::nullDevice());
        p->start(bin, args);
        ps.push_back(std::move(p));
    }
    for (auto& p : ps) {
        p->waitForFinished(-1);
        if (p->exitCode() != 0) {
            std::fprintf(stderr, "bench_shard: %s failed: %s\n", qPrintable(commands.front().join(' ')),
                         p->readAllStandardError().constData());
            std::exit(1);
        }
    }
    return double(t.nsecsElapsed()) / 1e9;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QString dir = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QStringLiteral("/tmp/qs-bench-shard");
    const QString formats = argc > 2 ? QString::fromLocal8Bit(argv[2]) : QStringLiteral("bfp8,bfp4,mxfp4");
    const QString bin = QDir(QCoreApplication::applicationDirPath()).filePath("../quantscope");
    const QString model = dir + "/model";
    if (!generate(model)) return 1;

    auto opened = qs::openModel(model, {}, {});
    if (!opened) return std::fprintf(stderr, "%s\n", opened.error().message.c_str()), 1;
    auto names = qs::selectTensors((*opened)->tensorNames(), std::vector<std::string>{});
    if (!names) return 1;
    std::vector<uint64_t> weights;
    uint64_t total = 0;
    for (const std::string& n : *names) weights.push_back((*opened)->find(n)->byteLength), total += weights.back();
    std::printf("model: %zu tensors in 64 files, %.1f MB (default selection)\n", names->size(), double(total) / 1e6);
    for (int n : {2, 4, 8, 16}) {
        const std::vector<int> part = qs::shardAssignment(weights, n);
        std::vector<uint64_t> load(size_t(n), 0);
        for (size_t i = 0; i < part.size(); ++i) load[size_t(part[i])] += weights[i];
        const auto [lo, hi] = std::minmax_element(load.begin(), load.end());
        std::printf("split into %2d: largest %.3f MB, smallest %.3f MB, imbalance %.3f %% (largest tensor %.3f MB)\n", n,
                    double(*hi) / 1e6, double(*lo) / 1e6, 100.0 * double(*hi - *lo) / double(*hi),
                    double(*std::max_element(weights.begin(), weights.end())) / 1e6);
    }

    const QString out = dir + "/runs";
    QDir(out).removeRecursively();
    const QStringList common = {"wq", model, "-c", formats};
    runAll(bin, {common + QStringList{"--no-results"}});  // warm the page cache
    const double one = runAll(bin, {common + QStringList{"--results-dir", out + "/single"}});
    std::vector<QStringList> four;
    for (int k = 1; k <= 4; ++k) four.push_back(common + QStringList{"--shard", QStringLiteral("%1/4").arg(k), "--results-dir", out + "/shards"});
    const double par = runAll(bin, four);
    const double merge = runAll(bin, {{"merge", out + "/shards", "--out", out + "/merged"}});
    std::printf("1 process, whole model: %.2f s, %.0f MB/s\n", one, double(total) / 1e6 / one);
    std::printf("4 shards as 4 parallel processes: %.2f s wall, %.0f MB/s per shard, %.0f MB/s in all (%.2fx)\n", par,
                double(total) / 4e6 / par, double(total) / 1e6 / par, one / par);
    std::printf("merge of the 4 shard folders: %.2f s\n", merge);
    return 0;
}
