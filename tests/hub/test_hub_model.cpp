// End to end: Model::open(resolveModel(...)) on a fake-Hub repo gives the same tensors
// and bit-identical fp32 views as the same folder opened locally (the generated model
// with BF16 and block-scaled FP8 weights, and the golden repo); evaluating one tensor
// fetches no more than tensor + scale + headers + index + config + the header probes;
// a second open on the same commit makes no request.
#include "golden.h"
#include "hub_test_util.h"

#include "hub/resolve.h"
#include "io/model.h"

#include <QFileInfo>
#include <QTest>

#include <cstring>

using namespace qs;
using namespace qs::test;

namespace {

QString msg(const Error& e) { return QString::fromStdString(e.message); }

std::shared_ptr<Model> openModel(const QString& ref, const HubOptions& o)
{
    auto provider = resolveModel(ref, QString(), o);
    if (!provider) {
        qWarning("%s", provider.error().message.c_str());
        return nullptr;
    }
    auto m = Model::open(*provider);
    if (!m) {
        qWarning("%s", m.error().message.c_str());
        return nullptr;
    }
    return *m;
}

// Every tensor's fp32 view, bit for bit.
QString compareModels(const Model& local, const Model& remote)
{
    if (local.tensorNames() != remote.tensorNames()) return QStringLiteral("tensor names differ");
    for (const std::string& name : local.tensorNames()) {
        auto a = local.reader(name);
        auto b = remote.reader(name);
        if (!a || !b) return QStringLiteral("no reader for ") + QString::fromStdString(name);
        const std::vector<float> va = (*a)->readAll(), vb = (*b)->readAll();
        if (va.size() != vb.size() || std::memcmp(va.data(), vb.data(), va.size() * sizeof(float)) != 0)
            return QStringLiteral("fp32 view differs: ") + QString::fromStdString(name);
        if (local.find(name)->shape != remote.find(name)->shape) return QStringLiteral("shape differs: ") + QString::fromStdString(name);
    }
    return {};
}

} // namespace

class TestHubModel : public QObject {
    Q_OBJECT

    HubFixture m_fx;

private Q_SLOTS:
    void init() { QVERIFY(m_fx.setUp().isEmpty()); }
    void cleanup() { m_fx = HubFixture(); }

    void hubModelEqualsLocalModel()
    {
        auto local = openModel(m_fx.modelDir, m_fx.options());
        QVERIFY(local);
        QVERIFY(!local->provider().isRemote());
        auto remote = openModel(m_fx.hub->endpoint() + QStringLiteral("/org/model/tree/main"), m_fx.options());
        QVERIFY(remote);
        QVERIFY(remote->provider().isRemote());
        QCOMPARE(remote->provider().describe(), QStringLiteral("org/model@") + m_fx.commit);
        QCOMPARE(remote->tensors().size(), size_t(7));
        QVERIFY(remote->find("model.layers.1.self_attn.q_proj.weight"));
        QVERIFY(!remote->find("model.layers.1.self_attn.q_proj.weight")->scaleInvName.empty());
        const QString diff = compareModels(*local, *remote);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
    }

    void goldenRepoThroughTheHub()
    {
        const QString dir = goldenPath(QStringLiteral("model/repo"));
        m_fx.hub->addCommitFromDir(QStringLiteral("golden/repo"), dir);
        auto local = openModel(dir, m_fx.options());
        QVERIFY(local);
        auto remote = openModel(QStringLiteral("golden/repo"), m_fx.options());
        QVERIFY(remote);
        QVERIFY(remote->tensors().size() > 0);
        QCOMPARE(remote->hasIndex(), local->hasIndex());
        const QString diff = compareModels(*local, *remote);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
    }

    void oneTensorFetchesLittleMoreThanItsBytes()
    {
        auto model = openModel(QStringLiteral("org/model"), m_fx.options());
        QVERIFY(model);
        const std::string name = "model.layers.1.self_attn.q_proj.weight";
        auto reader = model->reader(name);
        QVERIFY2(reader.ok(), reader.ok() ? "" : reader.error().message.c_str());
        QCOMPARE((*reader)->readAll().size(), size_t(256 * 384));

        const TensorInfo* t = model->find(name);
        const TensorInfo* s = model->find(t->scaleInvName);
        QVERIFY(t && s);
        uint64_t headers = 0, probeSlack = 0;
        for (const QString& shard : {QStringLiteral("model-00001-of-00002.safetensors"), QStringLiteral("model-00002-of-00002.safetensors")}) {
            headers += headerBytes(m_fx.modelDir + QLatin1Char('/') + shard);
            probeSlack += 64 * 1024;  // the header probe may read up to 64 KiB past the header
        }
        const uint64_t index = uint64_t(QFileInfo(m_fx.modelDir + QStringLiteral("/model.safetensors.index.json")).size());
        const uint64_t config = uint64_t(QFileInfo(m_fx.modelDir + QStringLiteral("/config.json")).size());
        uint64_t content = 0, other = 0;
        const auto log = m_fx.hub->log();
        for (const auto& e : log) {
            const bool isContent = e.server == QLatin1String("cdn") || e.path().startsWith("/api/resolve-cache/");
            (isContent ? content : other) += uint64_t(e.bodyBytes);
            if (e.server == QLatin1String("cdn")) QVERIFY2(!e.header("range").isEmpty(), "a whole shard was requested");
        }
        const uint64_t must = t->byteLength + s->byteLength + index + config;
        qInfo("content bytes served %llu: tensor %llu + scale %llu + index %llu + config %llu; headers %llu; other %llu",
              qulonglong(content), qulonglong(t->byteLength), qulonglong(s->byteLength), qulonglong(index),
              qulonglong(config), qulonglong(headers), qulonglong(other));
        QVERIFY2(content >= must, qPrintable(QString::number(content)));
        QVERIFY2(content <= must + headers + probeSlack,
                 qPrintable(QStringLiteral("%1 > %2").arg(content).arg(must + headers + probeSlack)));
        QVERIFY2(other <= 8 * 1024, qPrintable(QString::number(other)));  // repo info, tree page, redirect bodies

        // Same commit again: nothing goes over the wire.
        m_fx.hub->clearLog();
        auto again = openModel(QStringLiteral("org/model"), m_fx.options());
        QVERIFY(again);
        auto r2 = again->reader(name);
        QVERIFY(r2.ok());
        QCOMPARE(m_fx.hub->log().size(), 1);  // "main" -> commit
        m_fx.hub->clearLog();
        auto pinned = openModel(m_fx.hub->endpoint() + QStringLiteral("/org/model/tree/") + m_fx.commit, m_fx.options());
        QVERIFY(pinned);
        QVERIFY(pinned->reader(name).ok());
        QCOMPARE(m_fx.hub->log().size(), 0);
    }

    void resolveModelErrors()
    {
        auto bad = resolveModel(QStringLiteral("https://huggingface.co/datasets/x/y"), QString(), m_fx.options());
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().exitCode, 1);
        auto missing = resolveModel(QStringLiteral("org/missing"), QString(), m_fx.options());
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().exitCode, 2);
        QVERIFY(msg(missing.error()).contains(QLatin1String("Repository org/missing not found")));
    }
};

QTEST_GUILESS_MAIN(TestHubModel)
#include "test_hub_model.moc"
