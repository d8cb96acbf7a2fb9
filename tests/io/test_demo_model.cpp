// The generated demo model (build/demo-model): layout, FP8 pairing and block scales,
// value statistics, byte-exact determinism (pinned SHA-256, regeneration into a
// temporary folder) and the up-to-date skip.
#include "io/local_provider.h"
#include "test_paths.h"
#include "io/model.h"
#include "io_test_util.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace qs;
using qs::test::bitsOf;

namespace {

QString demoDir()
{
    const QString env = qEnvironmentVariable("QS_DEMO_DIR");
    return env.isEmpty() ? qs::test::demoDirPath() : env;
}

QByteArray sha256(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256).toHex();
}

const char* const kFiles[] = {"config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                              "model.safetensors.index.json"};

} // namespace

class TestDemoModel : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> m_model;

private Q_SLOTS:
    void initTestCase()
    {
        auto p = LocalProvider::open(demoDir());
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
        auto m = Model::open(*p);
        QVERIFY2(m.ok(), m.ok() ? "" : m.error().message.c_str());
        m_model = *m;
    }

    void layout()
    {
        struct Row { const char* name; const char* dtype; std::vector<int64_t> shape; };
        std::vector<Row> want = {
            {"lm_head.weight", "BF16", {512, 256}},
            {"model.embed_tokens.weight", "BF16", {512, 256}},
            {"model.layers.0.input_layernorm.weight", "BF16", {256}},
            {"model.layers.0.mlp.down_proj.weight", "BF16", {256, 96}},
            {"model.layers.0.mlp.gate_proj.weight", "BF16", {96, 256}},
            {"model.layers.0.self_attn.kv_a_proj_with_mqa.weight", "F8_E4M3", {200, 256}},
            {"model.layers.0.self_attn.kv_a_proj_with_mqa.weight_scale_inv", "F32", {2, 2}},
            {"model.layers.0.self_attn.o_proj.weight", "F16", {256, 256}},
            {"model.layers.0.self_attn.q_a_proj.weight", "F8_E4M3", {192, 256}},
            {"model.layers.0.self_attn.q_a_proj.weight_scale_inv", "F32", {2, 2}},
            {"model.layers.0.self_attn.rotary_emb.inv_freq", "F32", {32}},
            {"model.layers.1.input_layernorm.weight", "BF16", {256}},
            {"model.layers.1.mlp.experts.down_proj.weight", "BF16", {4, 256, 96}},
            {"model.layers.1.mlp.gate.weight", "F32", {8, 256}},
            {"model.layers.1.mlp.shared_experts.up_proj.weight", "BF16", {100, 150}},
            {"model.layers.1.self_attn.kv_a_proj_with_mqa.weight", "F8_E4M3", {200, 256}},
            {"model.layers.1.self_attn.kv_a_proj_with_mqa.weight_scale_inv", "F32", {2, 2}},
            {"model.layers.1.self_attn.o_proj.weight", "F16", {256, 256}},
            {"model.layers.1.self_attn.q_a_proj.weight", "F8_E4M3", {192, 256}},
            {"model.layers.1.self_attn.q_a_proj.weight_scale_inv", "F32", {2, 2}},
            {"model.layers.1.self_attn.rotary_emb.inv_freq", "F32", {32}},
            {"model.norm.weight", "BF16", {256}},
        };
        const auto& ts = m_model->tensors();
        QCOMPARE(ts.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i) {
            QCOMPARE(ts[i].name, std::string(want[i].name));
            QCOMPARE(ts[i].dtypeName, std::string(want[i].dtype));
            QCOMPARE(ts[i].shape, want[i].shape);
        }
        QVERIFY(m_model->hasIndex());
        QVERIFY(m_model->unlistedTensors().empty());
        QCOMPARE(m_model->fp8BlockSize(), (std::array<int64_t, 2>{128, 128}));
        const QJsonObject q = m_model->config().value("quantization_config").toObject();
        QCOMPARE(q.value("quant_method").toString(), QString("fp8"));
        QCOMPARE(q.value("fmt").toString(), QString("e4m3"));
        QCOMPARE(m_model->find("model.layers.0.self_attn.q_a_proj.weight")->scaleInvName,
                 std::string("model.layers.0.self_attn.q_a_proj.weight_scale_inv"));
        QCOMPARE(m_model->find("model.layers.1.self_attn.kv_a_proj_with_mqa.weight")->scaleInvName,
                 std::string("model.layers.1.self_attn.kv_a_proj_with_mqa.weight_scale_inv"));
        QVERIFY(QFileInfo(demoDir() + "/.quantscope-demo-version").size() > 0);
    }

    // DeepSeek-style codes: every 128x128 block holds its amax as code 448, so the
    // block's max |dequantized value| is exactly 448 * scale.
    void fp8Blocks()
    {
        for (const char* name : {"model.layers.0.self_attn.q_a_proj.weight", "model.layers.1.self_attn.kv_a_proj_with_mqa.weight"}) {
            auto r = m_model->reader(name);
            QVERIFY(r.ok());
            auto s = m_model->reader(std::string(name) + "_scale_inv");
            QVERIFY(s.ok());
            const auto v = (*r)->readAll();
            const auto scales = (*s)->readAll();
            const int64_t rows = (*r)->rows(), cols = (*r)->cols();
            for (int64_t bi = 0; bi < 2; ++bi)
                for (int64_t bj = 0; bj < 2; ++bj) {
                    float amax = 0;
                    for (int64_t i = bi * 128; i < std::min<int64_t>(rows, bi * 128 + 128); ++i)
                        for (int64_t j = bj * 128; j < std::min<int64_t>(cols, bj * 128 + 128); ++j)
                            amax = std::max(amax, std::fabs(v[size_t(i * cols + j)]));
                    const float sc = scales[size_t(bi * 2 + bj)];
                    QVERIFY(sc > 0.0f && sc < 1.0f);
                    QCOMPARE(bitsOf(amax), bitsOf(448.0f * sc));
                }
        }
    }

    void valueStatistics()
    {
        auto inv = m_model->reader("model.layers.0.self_attn.rotary_emb.inv_freq");
        QVERIFY(inv.ok());
        const auto f = (*inv)->readAll();
        for (int i = 0; i < 32; ++i) {
            const double want = std::pow(10000.0, -double(i) / 32.0);
            QVERIFY2(std::fabs(f[size_t(i)] - want) <= 1e-7 * want, qPrintable(QString::number(i)));
        }
        auto norm = m_model->reader("model.layers.1.input_layernorm.weight");
        double mean = 0;
        for (float x : (*norm)->readAll()) mean += x;
        mean /= 256;
        QVERIFY(std::fabs(mean - 1.0) < 0.05);
        for (const char* name : {"model.embed_tokens.weight", "model.layers.1.mlp.experts.down_proj.weight",
                                 "model.layers.0.self_attn.o_proj.weight", "model.layers.1.mlp.gate.weight"}) {
            auto r = m_model->reader(name);
            QVERIFY(r.ok());
            const auto v = (*r)->readAll();
            double s = 0, s2 = 0, amax = 0;
            for (float x : v) {
                QVERIFY(std::isfinite(x));
                s += x;
                s2 += double(x) * x;
                amax = std::max(amax, double(std::fabs(x)));
            }
            const double m = s / double(v.size()), sd = std::sqrt(s2 / double(v.size()) - m * m);
            QVERIFY2(std::fabs(m) < 0.01 && sd > 0.01 && sd < 0.2, name);
            QVERIFY2(amax > 10 * sd, name);  // outlier columns
        }
    }

    // Pinned bytes: the generator is deterministic on every machine.
    void pinnedHashes()
    {
        const QByteArray want[] = {
            "608614206d59962de72638135dd45e53fdb5cfacce5b243774bd63c156ad7277",
            "3bf1e8d095baa14d914949d4dfcbfc107041b9d8b9bc88ba3afafde0d5963468",
            "83e7479049517d3918fb826aeeb326859b3f5392eaedb1ee877fa438bfab1c5e",
            "52a9dda4f217fde9f97b1520e494593f1b239159b298ba58ab6bb3bb765dcbc4",
        };
        for (int i = 0; i < 4; ++i) QCOMPARE(sha256(demoDir() + "/" + kFiles[i]), want[i]);
    }

    // Regenerating into a fresh folder gives the same bytes; a second run is a no-op.
    void regenerate()
    {
        const QString gen = QDir::cleanPath(demoDir() + "/../qs_make_demo");
        if (!QFileInfo::exists(gen)) QSKIP("qs_make_demo not next to the demo model");
        QTemporaryDir dir;
        const QString out = dir.filePath("demo");
        QCOMPARE(QProcess::execute(gen, {out}), 0);
        for (const char* f : kFiles) QCOMPARE(sha256(out + "/" + f), sha256(demoDir() + "/" + f));
        const QDateTime before = QFileInfo(out + "/model-00001-of-00002.safetensors").lastModified();
        QCOMPARE(QProcess::execute(gen, {out}), 0);  // up to date: nothing rewritten
        QCOMPARE(QFileInfo(out + "/model-00001-of-00002.safetensors").lastModified(), before);
        QCOMPARE(QProcess::execute(gen, {}), 1);  // usage error
    }
};

QTEST_GUILESS_MAIN(TestDemoModel)
#include "test_demo_model.moc"
