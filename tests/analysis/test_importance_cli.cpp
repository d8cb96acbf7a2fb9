// `wq --importance` end to end (issue #18): QuantScope's own .safetensors importance file
// written for the demo model (DeepSeek-V3-shaped, FP8 checkpoint), the weighted columns,
// JSON fields and summary against a float64 reference computed here from the format's own
// output, the v ≡ 1 identities, tensors without an entry, an expert without data, a width
// mismatch in one tensor leaving the others reported, --top order, and bad files (exit 2).
#include "cli_runner.h"
#include "report_compare.h"
#include "test_paths.h"

#include "formats/format.h"
#include "io/local_provider.h"
#include "io/model.h"
#include "io/safetensors_writer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QDirIterator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <functional>
#include <map>

using namespace qs;

namespace {

std::shared_ptr<Model> demoModel()
{
    auto provider = LocalProvider::open(qs::test::demoDirPath());
    if (!provider) return nullptr;
    auto model = Model::open(*provider);
    return model ? *model : nullptr;
}

bool isWeight(const TensorInfo& t)
{
    return t.shape.size() >= 2 && t.name.find("weight") != std::string::npos &&
           t.name.find("scale_inv") == std::string::npos;
}

// v for input channel i of tensor k: a few hot channels (x100), the rest near 1.
float importanceValue(size_t k, int64_t i) { return (i % 17 == 3 ? 100.0f : 1.0f) + 0.01f * float((i + int64_t(k)) % 13); }

// Writes an importance file with one [n_in] row per selected weight; `value` gives v, or
// return NaN for a whole row to mark no data. skip(name): leave the tensor out.
// stacked: tensors written as [n_exp, n_in] (value's i then runs over n_exp * n_in).
QString writeImportance(const QString& path, const Model& model, const std::function<float(size_t, int64_t, const std::string&)>& value,
                        const std::function<bool(const std::string&)>& skip = {}, const std::map<std::string, int64_t>& widthOverride = {},
                        const std::map<std::string, int64_t>& stacked = {})
{
    std::vector<TensorSpec> specs;
    std::vector<std::vector<float>> data;
    size_t k = 0;
    for (const TensorInfo& t : model.tensors()) {
        if (!isWeight(t) || (skip && skip(t.name))) continue;
        int64_t nIn = t.shape.back();
        if (auto it = widthOverride.find(t.name); it != widthOverride.end()) nIn = it->second;
        const auto st = stacked.find(t.name);
        const int64_t nMat = st == stacked.end() ? 1 : st->second;
        specs.push_back({t.name, DType::F32, st == stacked.end() ? std::vector<int64_t>{nIn} : std::vector<int64_t>{nMat, nIn}});
        std::vector<float> v(static_cast<size_t>(nMat * nIn));
        for (int64_t i = 0; i < nMat * nIn; ++i) v[size_t(i)] = value(k, i, t.name);
        data.push_back(std::move(v));
        ++k;
    }
    auto w = SafetensorsWriter::create(path, specs);
    if (!w) return QString::fromStdString(w.error().message);
    for (const auto& v : data)
        if (auto r = (*w)->write(v.data(), v.size() * sizeof(float)); !r) return QString::fromStdString(r.error().message);
    if (auto r = (*w)->commit(); !r) return QString::fromStdString(r.error().message);
    return {};
}

QJsonObject runJson(const QStringList& args, CliRun* out = nullptr)
{
    const CliRun r = runCli(QStringList{"wq", qs::test::demoDirPath()} + args + QStringList{"--no-results", "--json"});
    if (out) *out = r;
    return QJsonDocument::fromJson(r.out).object();
}

QJsonObject rowOf(const QJsonObject& doc, const QString& tensor, const QString& format)
{
    for (const QJsonValue& t : doc["tensors"].toArray())
        if (t["name"].toString() == tensor)
            for (const QJsonValue& r : t["rows"].toArray())
                if (r["format"].toString() == format && r["compression"].toString() == "none") return r.toObject();
    return {};
}

} // namespace

class TestImportanceCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    std::shared_ptr<Model> m_model;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_model = demoModel();
        QVERIFY(m_model);
    }

    void weightedMetricsMatchAFloat64Reference()
    {
        const QString file = m_tmp.filePath("imp.safetensors");
        QCOMPARE(writeImportance(file, *m_model, [](size_t k, int64_t i, const std::string&) { return importanceValue(k, i); }),
                 QString());
        CliRun run;
        const QJsonObject doc = runJson({"-c", "bfp4,mxfp4", "--importance", file, "--summary"}, &run);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(doc["importance"]["format"].toString(), QString("safetensors"));
        QCOMPARE(doc["importance"]["sha256"].toString().size(), 64);
        // Every weight: wsqnr and wrel against Σx²v / Σd²v in long double over the fp32
        // view and the format's own output.
        size_t k = 0, checked = 0;
        for (const TensorInfo& t : m_model->tensors()) {
            if (!isWeight(t)) continue;
            const size_t myK = k++;
            auto reader = m_model->reader(t.name);
            QVERIFY(bool(reader));
            const std::vector<float> x = (*reader)->readAll();
            const int64_t cols = t.shape.back(), rows = int64_t(x.size()) / cols;
            for (const char* fname : {"bfp4", "mxfp4"}) {
                const Format* f = findFormat(fname);
                std::vector<float> y(x.size());
                QuantContext ctx;
                for (float v : x) ctx.absMax = std::max(ctx.absMax, std::fabs(v));
                f->fast(x.data(), y.data(), rows, cols, ctx, FormatOptions{});
                long double wxx = 0, wdd = 0, xx = 0, dd = 0;
                for (int64_t r = 0; r < rows; ++r)
                    for (int64_t c = 0; c < cols; ++c) {
                        const long double xv = x[size_t(r * cols + c)], d = xv - y[size_t(r * cols + c)];
                        const long double v = importanceValue(myK, c);
                        wxx += v * xv * xv, wdd += v * d * d, xx += xv * xv, dd += d * d;
                    }
                const QJsonObject row = rowOf(doc, QString::fromStdString(t.name), fname);
                QVERIFY2(!row.isEmpty(), t.name.c_str());
                const double wrel = row["wrel"].toDouble(), wsqnr = row["wsqnr_db"].toDouble(), rel = row["rel_rmse"].toDouble();
                QVERIFY2(std::fabs(wrel / double(std::sqrt(wdd / wxx)) - 1) < 1e-9, qPrintable(QString::fromStdString(t.name) + " " + fname));
                QVERIFY(std::fabs(wsqnr - double(10 * std::log10(wxx / wdd))) < 1e-8);
                QVERIFY(std::fabs(rel / double(std::sqrt(dd / xx)) - 1) < 1e-9);
                ++checked;
            }
        }
        QVERIFY(checked >= 20);
        // The summary averages them over the tensors.
        bool sawSummary = false;
        for (const QJsonValue& s : doc["summary"].toArray()) {
            if (s["format"].toString() != "bfp4") continue;
            double sum = 0;
            int n = 0;
            for (const QJsonValue& t : doc["tensors"].toArray())
                for (const QJsonValue& r : t["rows"].toArray())
                    if (r["format"].toString() == "bfp4" && !r["wrel"].isNull()) sum += r["wrel"].toDouble(), ++n;
            QCOMPARE(s["weighted"].toInt(), n);
            QVERIFY(std::fabs(s["mean_wrel"].toDouble() - sum / n) < 1e-15);
            sawSummary = true;
        }
        QVERIFY(sawSummary);
    }

    void unitImportanceIsTheUnweightedMetric()
    {
        const QString file = m_tmp.filePath("ones.safetensors");
        QCOMPARE(writeImportance(file, *m_model, [](size_t, int64_t, const std::string&) { return 1.0f; }), QString());
        CliRun run;
        const QJsonObject doc = runJson({"-c", "bfp8,nvfp4,fp8_e4m3", "--importance", file}, &run);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        int rows = 0;
        for (const QJsonValue& t : doc["tensors"].toArray())
            for (const QJsonValue& r : t["rows"].toArray()) {
                if (r["wrel"].isNull()) continue;
                QCOMPARE(r["wrel"].toDouble(), r["rel_rmse"].toDouble());  // exactly
                if (!r["sqnr_db"].isNull()) QCOMPARE(r["wsqnr_db"].toDouble(), r["sqnr_db"].toDouble());
                ++rows;
            }
        QVERIFY2(rows >= 36, qPrintable(QString::number(rows)));
    }

    void missingEntriesExpertsWithoutDataAndMismatches()
    {
        // One tensor left out, one expert whose row is NaN (no calibration data), one
        // entry of the wrong width: each named; every other tensor keeps its numbers.
        const std::string absent = "model.layers.1.self_attn.o_proj.weight";
        const std::string noData = "model.layers.1.mlp.experts.down_proj.weight";  // [4 experts, 256, 96]
        const std::string narrow = "model.layers.0.self_attn.q_a_proj.weight";
        QVERIFY(m_model->find(absent) && m_model->find(noData) && m_model->find(narrow));
        const QString file = m_tmp.filePath("partial.safetensors");
        QCOMPARE(writeImportance(
                     file, *m_model,
                     [&](size_t k, int64_t i, const std::string& name) {  // expert 2's row: no data
                         return name == noData && i / 96 == 2 ? std::numeric_limits<float>::quiet_NaN() : importanceValue(k, i % 256);
                     },
                     [&](const std::string& name) { return name == absent; }, {{narrow, 100}}, {{noData, 4}}),
                 QString());
        CliRun run;
        const QJsonObject doc = runJson({"-c", "bfp4", "--importance", file}, &run);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        auto noteOf = [&](const std::string& name) {
            for (const QJsonValue& t : doc["tensors"].toArray())
                if (t["name"].toString() == QString::fromStdString(name)) return t["importance_note"].toString();
            return QString("<missing>");
        };
        QCOMPARE(noteOf(absent), QString("no entry"));
        QCOMPARE(noteOf(noData), QString::fromStdString("expert 2 of \"" + noData + "\" saw no calibration data (count 0)"));
        QVERIFY2(noteOf(narrow).contains("100") && noteOf(narrow).contains("256"), qPrintable(noteOf(narrow)));
        for (const std::string& n : {absent, noData, narrow}) {
            const QJsonObject row = rowOf(doc, QString::fromStdString(n), "bfp4");
            QVERIFY(row["wrel"].isNull());
            QVERIFY(!row["rel_rmse"].isNull());
        }
        QVERIFY(!rowOf(doc, "model.layers.1.self_attn.q_a_proj.weight", "bfp4")["wrel"].isNull());
        QVERIFY(!rowOf(doc, "model.layers.1.mlp.shared_experts.up_proj.weight", "bfp4")["wrel"].isNull());
        // The table: "-" in the weighted columns, one line with the count and kinds, the
        // expert and the mismatch named as warnings.
        const CliRun text = runCli({"wq", qs::test::demoDirPath(), "-c", "bfp4", "--importance", file, "--no-results"});
        QCOMPARE(text.exitCode, 0);
        const QString out = QString::fromUtf8(text.out);
        QVERIFY2(out.contains("wSQNR(dB)") && out.contains("wREL") && out.contains("REL"), qPrintable(out.left(2000)));
        QVERIFY2(out.contains("tensors weighted; without weighted metrics:"), qPrintable(out.right(2000)));
        QVERIFY2(out.contains(QString::fromStdString("warning: " + noData + ": expert 2")), qPrintable(out.right(1500)));
        QVERIFY(out.contains(QString::fromStdString("warning: " + narrow + ": ")));
    }

    void topListsTheWorstPairs()
    {
        const QString file = m_tmp.filePath("imp.safetensors");
        CliRun run;
        const QJsonObject doc = runJson({"-c", "bfp8,bfp4,bfp2", "--importance", file, "--top", "5"}, &run);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonArray top = doc["top"].toArray();
        QCOMPARE(top.size(), 5);
        // Worst first, and the first is the largest wrel of every row.
        double worst = 0;
        for (const QJsonValue& t : doc["tensors"].toArray())
            for (const QJsonValue& r : t["rows"].toArray())
                if (!r["wrel"].isNull()) worst = std::max(worst, r["wrel"].toDouble());
        QCOMPARE(top[0]["wrel"].toDouble(), worst);
        for (int i = 1; i < top.size(); ++i) QVERIFY(top[i - 1]["wrel"].toDouble() >= top[i]["wrel"].toDouble());
        QCOMPARE(top[0]["format"].toString(), QString("bfp2"));
        QVERIFY(top[0]["kind"].toString().endsWith("weight"));
        // Without importance: by rel_rmse; the text list names tensor, layer and kind.
        const CliRun plain = runCli({"wq", qs::test::demoDirPath(), "-c", "bfp4", "--top", "3", "--no-results"});
        QCOMPARE(plain.exitCode, 0);
        const QString out = QString::fromUtf8(plain.out);
        QVERIFY2(out.contains("Top 3 by rel_rmse (worst first)"), qPrintable(out.right(1500)));
        QVERIFY(out.contains("LAYER  KIND"));
        const CliRun bad = runCli({"wq", qs::test::demoDirPath(), "-c", "bfp4", "--top", "0", "--no-results"});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY(bad.err.contains("--top: expected a positive whole number"));
    }

    void badFilesExitTwo()
    {
        // A negative E[x²]: the file and the entry are named.
        const QString neg = m_tmp.filePath("neg.safetensors");
        QCOMPARE(writeImportance(neg, *m_model, [](size_t, int64_t i, const std::string&) { return i == 5 ? -1.0f : 1.0f; }),
                 QString());
        CliRun r = runCli({"wq", qs::test::demoDirPath(), "-c", "bfp4", "--importance", neg, "--no-results"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("neg.safetensors") && r.err.contains("must be finite and >= 0"), r.err.constData());
        // Missing file; truncated GGUF.
        r = runCli({"wq", qs::test::demoDirPath(), "-c", "bfp4", "--importance", m_tmp.filePath("nope.gguf"), "--no-results"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("nope.gguf: no such file"), r.err.constData());
        QFile trunc(m_tmp.filePath("trunc.gguf"));
        QVERIFY(trunc.open(QIODevice::WriteOnly));
        trunc.write(QByteArray("GGUF\x03\x00\x00\x00", 8));
        trunc.close();
        r = runCli({"wq", qs::test::demoDirPath(), "-c", "bfp4", "--importance", trunc.fileName(), "--no-results"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("trunc.gguf"), r.err.constData());
        // A weighted compression metric needs an importance file.
        QFile cfg(m_tmp.filePath("w.json"));
        QVERIFY(cfg.open(QIODevice::WriteOnly));
        cfg.write(R"({"algorithm": "mixed-tile-greedy", "params": {"metric": "wrel", "threshold": 0.05}})");
        cfg.close();
        r = runCli({"wq", qs::test::demoDirPath(), "--compression-config", cfg.fileName(), "--no-results"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("give --importance FILE"), r.err.constData());
    }

    void importanceChangesThePlan()
    {
        // o_proj of layer 0 sees a few channels with 10^4 x the energy of the rest: with
        // --importance the planner spends more bits on it than the plain squared error does.
        const std::string hot = "model.layers.0.self_attn.o_proj.weight";
        const QString file = m_tmp.filePath("hot.safetensors");
        QCOMPARE(writeImportance(file, *m_model,
                                 [&](size_t, int64_t i, const std::string& name) { return name == hot && i % 32 == 0 ? 1e4f : 1.0f; }),
                 QString());
        auto planOf = [&](const QString& dir, const QStringList& extra) {
            const CliRun r = runCli(QStringList{"plan", qs::test::demoDirPath(), "-c", "bf16,bfp8,bfp4,bfp2", "--bits", "5",
                                                "--out-dir", m_tmp.filePath(dir)} + extra);
            QFile f(m_tmp.filePath(dir + "/plan.json"));
            if (r.exitCode != 0 || !f.open(QIODevice::ReadOnly)) qWarning("%s", r.err.constData());
            return QJsonDocument::fromJson(f.readAll()).object();
        };
        const QJsonObject plain = planOf("plan-plain", {}), weighted = planOf("plan-weighted", {"--importance", file});
        QCOMPARE(plain["objective"].toString(), QString("sse"));
        QCOMPARE(weighted["objective"].toString(), QString("weighted_sse"));
        QVERIFY(weighted["weighted_tensors"].toInt() >= 10);
        auto bitsOf = [&](const QJsonObject& plan, const std::string& name) {
            for (const QJsonValue& t : plan["tensors"].toArray())
                if (t["tensor"].toString() == QString::fromStdString(name))
                    return findFormat(t["format"].toString().toStdString())->bitsPerElement;
            return -1.0;
        };
        QVERIFY2(bitsOf(weighted, hot) > bitsOf(plain, hot),
                 qPrintable(QString("%1 vs %2").arg(bitsOf(weighted, hot)).arg(bitsOf(plain, hot))));
        QVERIFY(weighted["bytes"].toDouble() <= weighted["budget_bytes"].toDouble());
    }

    void shardsMergeWithImportance()
    {
        // #12 x #18: two shards with --importance and --top merge into the single run.
        const QString file = m_tmp.filePath("imp.safetensors");
        const QStringList common = {"-c", "bfp4,mxfp4", "--importance", file, "--top", "4", "--summary"};
        auto runInto = [&](const QString& dir, const QStringList& extra) {
            const CliRun r = runCli(QStringList{"wq", qs::test::demoDirPath()} + common + extra + QStringList{"--results-dir", m_tmp.filePath(dir)});
            return r.exitCode == 0 ? QString() : QString::fromUtf8(r.err);
        };
        QCOMPARE(runInto("single", {}), QString());
        QCOMPARE(runInto("shards", {"--shard", "1/2"}), QString());
        QCOMPARE(runInto("shards", {"--shard", "2/2"}), QString());
        const CliRun m = runCli({"merge", m_tmp.filePath("shards"), "--out", m_tmp.filePath("merged")});
        QVERIFY2(m.exitCode == 0, m.err.constData());
        auto only = [](const QString& dir) {
            QDirIterator it(dir, {"table.txt"}, QDir::Files, QDirIterator::Subdirectories);
            return it.hasNext() ? QFileInfo(it.next()).path() : QString();
        };
        auto read = [](const QString& path) {
            QFile f(path);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        };
        const QString single = QString::fromUtf8(qs::test::maskTiming(read(only(m_tmp.filePath("single")) + "/table.txt")));
        const QString merged = QString::fromUtf8(qs::test::maskTiming(read(only(m_tmp.filePath("merged")) + "/table.txt")));
        QVERIFY(single.contains("Top 4 by wrel") && single.contains("importance: "));
        QCOMPARE(merged, single);
    }

    void demoImatrixBindsByLlamaNames()
    {
        // The README's example: a llama.cpp-style GGUF imatrix for the demo model
        // (DeepseekV3ForCausalLM names), one expert of the merged down_proj without data.
        const QString file = qs::test::testDataDir() + "/importance/demo-model.imatrix.gguf";
        CliRun run;
        const QJsonObject doc = runJson({"-c", "bfp4", "--importance", file}, &run);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(doc["importance"]["format"].toString(), QString("gguf-imatrix"));
        QCOMPARE(doc["importance"]["entries"].toInt(), 12);
        QCOMPARE(doc["importance"]["bound"].toInt(), 12);
        QCOMPARE(doc["importance"]["architecture"].toString(), QString("DeepseekV3ForCausalLM"));
        QVERIFY(!rowOf(doc, "model.layers.0.self_attn.o_proj.weight", "bfp4")["wrel"].isNull());
        QVERIFY(!rowOf(doc, "lm_head.weight", "bfp4")["wrel"].isNull());  // output.weight
        QVERIFY(!rowOf(doc, "model.layers.1.mlp.gate.weight", "bfp4")["wrel"].isNull());  // ffn_gate_inp
        QVERIFY(rowOf(doc, "model.embed_tokens.weight", "bfp4")["wrel"].isNull());
        QVERIFY(rowOf(doc, "model.layers.1.mlp.experts.down_proj.weight", "bfp4")["wrel"].isNull());
    }

    void weightedMixedTileRun()
    {
        QFile cfg(m_tmp.filePath("w2.json"));
        QVERIFY(cfg.open(QIODevice::WriteOnly));
        cfg.write(R"({"algorithm": "mixed-tile-greedy", "params": {"metric": "wrel", "threshold": 0.05}})");
        cfg.close();
        CliRun run;
        const QJsonObject doc = runJson({"model.layers.1.mlp", "--compression-config", cfg.fileName(),
                                         "--importance", m_tmp.filePath("imp.safetensors")},
                                        &run);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        int mixed = 0;
        for (const QJsonValue& t : doc["tensors"].toArray())
            for (const QJsonValue& r : t["rows"].toArray())
                if (r["compression"].toString() == "mixed-tile-greedy") {
                    QVERIFY(r["met_threshold"].toBool());
                    QVERIFY2(r["wrel"].toDouble() <= 0.05, qPrintable(QString::number(r["wrel"].toDouble())));
                    ++mixed;
                }
        QCOMPARE(mixed, 3);
    }
};

QTEST_GUILESS_MAIN(TestImportanceCli)
#include "test_importance_cli.moc"
