// The golden model repo (tests/data/golden/model/repo) through LocalProvider + Model:
// tensor list, dtypes, shapes, files, index authority (the unlisted tensor is
// invisible), FP8 pairing, and every selected tensor's fp32 view bit for bit against
// fp32_views.safetensors (incl. the ragged FP8 dequantization with 128x128 blocks).
#include "io/local_provider.h"
#include "test_paths.h"
#include "io/model.h"
#include "io/selection.h"
#include "io_test_util.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>
#include <thread>

using namespace qs;
using qs::test::bitsOf;

namespace {

const QString kGolden = qs::test::goldenPath(QStringLiteral("model"));

QJsonObject expectedJson()
{
    QFile f(kGolden + "/expected.json");
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

std::shared_ptr<Model> openOrFail(const QString& path)
{
    auto p = LocalProvider::open(path);
    if (!p) {
        qWarning("%s", p.error().message.c_str());
        return nullptr;
    }
    auto m = Model::open(*p);
    if (!m) {
        qWarning("%s", m.error().message.c_str());
        return nullptr;
    }
    return *m;
}

std::vector<int64_t> shapeOf(const QJsonArray& a)
{
    std::vector<int64_t> s;
    for (const auto& v : a) s.push_back(v.toInteger());
    return s;
}

} // namespace

class TestModelGolden : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> m_model;
    std::shared_ptr<Model> m_views;
    QJsonObject m_expected;

private Q_SLOTS:
    void initTestCase()
    {
        m_expected = expectedJson();
        QVERIFY(!m_expected.isEmpty());
        m_model = openOrFail(kGolden + "/repo");
        QVERIFY(m_model);
        m_views = openOrFail(kGolden + "/fp32_views.safetensors");
        QVERIFY(m_views);
    }

    void providerBasics()
    {
        auto p = LocalProvider::open(kGolden + "/repo/");
        QVERIFY(p.ok());
        QCOMPARE((*p)->repoName(), QString("repo"));
        QCOMPARE((*p)->resultsName(), QString("repo"));
        QCOMPARE((*p)->revision(), QString("local"));
        QCOMPARE((*p)->describe(), QDir::cleanPath(qs::test::goldenPath(QStringLiteral("model/repo"))));
        auto files = (*p)->listFiles();
        QVERIFY(files.ok());
        QCOMPARE(*files, (QStringList{"config.json", "model-00001-of-00002.safetensors",
                                      "model-00002-of-00002.safetensors", "model.safetensors.index.json"}));
        QVERIFY((*p)->hasFile("config.json"));
        QVERIFY(!(*p)->hasFile("../expected.json"));
        auto size = (*p)->fileSize("model-00001-of-00002.safetensors");
        QVERIFY(size.ok());
        QCOMPARE(*size, uint64_t(110112));
        auto beyond = (*p)->read("config.json", 400, 100);
        QVERIFY(!beyond.ok());
        QVERIFY(QString::fromStdString(beyond.error().message).contains("config.json"));

        auto single = LocalProvider::open(kGolden + "/fp32_views.safetensors");
        QVERIFY(single.ok());
        QCOMPARE((*single)->repoName(), QString("model/fp32_views"));  // folder and stem (#9.7)
        QCOMPARE((*single)->resultsName(), QString("model__fp32_views"));
        QCOMPARE(*(*single)->listFiles(), QStringList{"fp32_views.safetensors"});
        QVERIFY(!(*single)->hasFile("config.json"));
    }

    void tensorList()
    {
        QVERIFY(m_model->hasIndex());
        const QJsonArray repo = m_expected.value("repo_tensors").toArray();
        int listed = 0;
        for (const auto& v : repo) {
            const QJsonObject e = v.toObject();
            const std::string name = e.value("name").toString().toStdString();
            const bool inIndex = e.value("listed_in_index").toBool();
            const TensorInfo* t = m_model->find(name);
            if (!inIndex) {
                QVERIFY2(!t, name.c_str());  // invisible
                bool found = false;
                for (const auto& u : m_model->unlistedTensors())
                    if (u.name == name) {
                        found = true;
                        QVERIFY(!u.listedInIndex);
                        QCOMPARE(u.file, e.value("file").toString());
                    }
                QVERIFY(found);
                QVERIFY(!m_model->reader(name).ok());
                continue;
            }
            ++listed;
            QVERIFY2(t, name.c_str());
            QCOMPARE(QString::fromStdString(t->dtypeName), e.value("dtype").toString());
            QCOMPARE(t->shape, shapeOf(e.value("shape").toArray()));
            QCOMPARE(t->file, e.value("file").toString());
            QVERIFY(t->listedInIndex);
            if (e.contains("scale_inv_shape")) {
                QCOMPARE(t->scaleInvName, name + "_scale_inv");
                const TensorInfo* s = m_model->find(t->scaleInvName);
                QVERIFY(s);
                QCOMPARE(s->shape, shapeOf(e.value("scale_inv_shape").toArray()));
            } else {
                QVERIFY(t->scaleInvName.empty());
            }
        }
        QCOMPARE(int(m_model->tensors().size()), listed);
        QCOMPARE(m_model->tensors().size(), size_t(m_expected.value("all_index_tensors").toArray().size()));
        QCOMPARE(m_model->unlistedTensors().size(), size_t(m_expected.value("unlisted_tensors").toArray().size()));
        // Natural order.
        const auto names = m_model->tensorNames();
        for (size_t i = 1; i < names.size(); ++i) QVERIFY(naturalLess(names[i - 1], names[i]));
        QCOMPARE(m_model->fp8BlockSize(), (std::array<int64_t, 2>{128, 128}));
        QCOMPARE(m_model->config().value("model_type").toString(), QString("deepseek_v3"));
        QCOMPARE(m_model->shardFiles(), (QStringList{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}));
        // metadata.total_size of the index = stored bytes of the listed tensors.
        QCOMPARE(m_model->storedBytes(), uint64_t(198888));
        QCOMPARE(m_model->storedBytes("model.layers.0.self_attn.q_a_proj.weight"), uint64_t(64 * 136 + 2 * 4));
        QCOMPARE(m_model->storedBytes("nope"), uint64_t(0));
    }

    void tensorInfoViews()
    {
        const TensorInfo* t = m_model->find("model.layers.0.input_layernorm.weight");
        QVERIFY(t);
        QCOMPARE(t->rows(), int64_t(1));
        QCOMPARE(t->cols(), int64_t(136));
        QCOMPARE(t->shapeString(), std::string("(136,)"));
        const TensorInfo* e = m_model->find("model.embed_tokens.weight");
        QCOMPARE(e->shapeString(), std::string("(180, 136)"));
        QCOMPARE(e->numel(), int64_t(180 * 136));
        TensorInfo scalar;
        QCOMPARE(scalar.rows(), int64_t(1));
        QCOMPARE(scalar.cols(), int64_t(1));
        QCOMPARE(scalar.numel(), int64_t(1));
        QCOMPARE(scalar.shapeString(), std::string("()"));
        TensorInfo three;
        three.shape = {4, 5, 6};
        QCOMPARE(three.rows(), int64_t(20));
        QCOMPARE(three.cols(), int64_t(6));
    }

    // Every selected tensor's fp32 view equals the golden view, bit for bit.
    void fp32ViewsBitExact()
    {
        const QJsonArray selected = m_expected.value("selected_tensors").toArray();
        QCOMPARE(selected.size(), 12);
        int fp8 = 0;
        for (const auto& v : selected) {
            const std::string name = v.toString().toStdString();
            auto r = m_model->reader(name);
            QVERIFY2(r.ok(), name.c_str());
            auto g = m_views->reader(name);
            QVERIFY2(g.ok(), name.c_str());
            QCOMPARE((*r)->shape(), (*g)->shape());
            const auto ours = (*r)->readAll();
            const auto gold = (*g)->readAll();
            QCOMPARE(ours.size(), gold.size());
            for (size_t i = 0; i < ours.size(); ++i)
                if (bitsOf(ours[i]) != bitsOf(gold[i]))
                    QFAIL(qPrintable(QString("%1[%2]: %3 vs golden %4").arg(QString::fromStdString(name)).arg(i)
                                         .arg(double(ours[i]), 0, 'g', 9).arg(double(gold[i]), 0, 'g', 9)));
            if (!(*r)->info().scaleInvName.empty()) {
                ++fp8;
                QVERIFY((*r)->directRows() == nullptr);
                // The explicit "_fp32" name selects the same view.
                auto alias = m_model->reader(name + "_fp32");
                QVERIFY(alias.ok());
                QVERIFY((*alias)->readAll() == ours);
                // The reference's inferred-block view differs (so the 128 rule matters here).
                auto ref = m_views->reader(name + "#reference_inferred_block");
                if (ref.ok()) QVERIFY((*ref)->readAll() != ours);
            }
            // Row chunks give the same values as one call.
            std::vector<float> chunked(ours.size());
            const int64_t rows = (*r)->rows(), cols = (*r)->cols();
            for (int64_t r0 = 0; r0 < rows; r0 += 7)
                (*r)->readRows(r0, std::min(rows, r0 + 7), chunked.data() + r0 * cols);
            QVERIFY(std::memcmp(chunked.data(), ours.data(), ours.size() * 4) == 0);
        }
        QCOMPARE(fp8, 3);
    }

    void directRowsForAlignedF32()
    {
        auto r = m_model->reader("model.layers.1.mlp.gate.weight");
        QVERIFY(r.ok());
        const float* direct = (*r)->directRows();
        const auto all = (*r)->readAll();
        if (direct) QVERIFY(std::memcmp(direct, all.data(), all.size() * 4) == 0);
        auto bf = m_model->reader("lm_head.weight");
        QVERIFY(bf.ok());
        QVERIFY((*bf)->directRows() == nullptr);
        // The golden views file is all F32 written by the reference writer: aligned.
        auto g = m_views->reader("lm_head.weight");
        QVERIFY(g.ok());
        QVERIFY((*g)->directRows() != nullptr);
    }

    // readRows from several threads at once gives the same bytes.
    void concurrentReads()
    {
        auto r = m_model->reader("model.layers.0.self_attn.o_proj.weight");
        QVERIFY(r.ok());
        const auto want = (*r)->readAll();
        std::vector<std::vector<float>> got(4, std::vector<float>(want.size()));
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                const int64_t rows = (*r)->rows(), cols = (*r)->cols();
                for (int rep = 0; rep < 20; ++rep)
                    for (int64_t r0 = (t * 5) % rows; r0 < rows; r0 += 3)
                        (*r)->readRows(r0, std::min(rows, r0 + 3), got[size_t(t)].data() + r0 * cols);
                for (int64_t r0 = 0; r0 < std::min<int64_t>(rows, (t * 5) % rows); ++r0)
                    (*r)->readRows(r0, r0 + 1, got[size_t(t)].data() + r0 * cols);
            });
        for (auto& th : threads) th.join();
        for (const auto& g : got) QVERIFY(std::memcmp(g.data(), want.data(), want.size() * 4) == 0);
    }

    void unknownTensorName()
    {
        auto r = m_model->reader("model.nope.weight");
        QVERIFY(!r.ok());
        QCOMPARE(r.error().exitCode, 1);
        QVERIFY(QString::fromStdString(r.error().message).contains("model.nope.weight"));
    }
};

QTEST_GUILESS_MAIN(TestModelGolden)
#include "test_model_golden.moc"
