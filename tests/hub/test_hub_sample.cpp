// `wq --sample` over the fake Hub (issue #11 §3): the Range requests are exactly the
// sampled 32-row bands of each tensor (whole bands, adjacent bands merged into one request,
// as many bands as the JSON reports) plus the FP8 scale rows those bands need, besides the
// header probes: nothing else of the tensors' bytes is fetched.
#include "hub_test_util.h"
#include "test_paths.h"

#include "io/local_provider.h"
#include "io/model.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <algorithm>
#include <map>

using namespace qs;
using namespace qs::test;

class TestHubSample : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void requestsOnlyTheSampledBands()
    {
        const QString binary = qEnvironmentVariable("QS_TEST_BINARY", qs::test::binaryPath());
        if (!QFileInfo(binary).isExecutable()) QSKIP("quantscope is not built");
        FakeHub hub;
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("model");
        // pad.bias (80 KB, not selected) keeps the tensors' bytes beyond the 64 KiB header probe.
        GenShard s{QStringLiteral("model.safetensors"), {}};
        s.tensors.push_back(genTensor("pad.bias", DType::F32, {20000}, 1));
        s.tensors.push_back(genTensor("model.layers.0.mlp.down_proj.weight", DType::BF16, {1000, 256}, 2));
        // small unselected pads keep the three sampled tensors apart in the file
        s.tensors.push_back(genTensor("pad2.bias", DType::F32, {16}, 5));
        GenTensor sc = genTensor("model.layers.0.self_attn.q_proj.weight_scale_inv", DType::F32, {6, 3}, 4);
        for (size_t i = 0; i < sc.bytes.size(); i += 4) sc.bytes[i + 3] = 0x3c;  // positive, ~0.01
        s.tensors.push_back(std::move(sc));
        s.tensors.push_back(genTensor("pad3.bias", DType::F32, {16}, 6));
        s.tensors.push_back(genTensor("model.layers.0.self_attn.q_proj.weight", DType::F8_E4M3, {700, 384}, 3));
        QCOMPARE(writeModel(dir, {s}), QString());
        hub.addCommitFromDir(QStringLiteral("org/big"), dir);

        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* v : {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_CACHE"}) env.remove(QString::fromLatin1(v));
        env.insert("HF_ENDPOINT", hub.endpoint());
        env.insert("HF_HOME", tmp.filePath("hf"));
        env.insert("XDG_CACHE_HOME", tmp.filePath("xdg"));
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(binary, {"wq", "org/big", "model.layers", "-c", "bfp8", "--sample", "0.25", "--seed", "7", "--json", "--no-results"});
        QVERIFY(p.waitForFinished(60000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QJsonObject doc = QJsonDocument::fromJson(p.readAllStandardOutput()).object();

        // Where the tensors live, from the local copy.
        auto local = LocalProvider::open(dir);
        QVERIFY(local.ok());
        auto model = Model::open(*local);
        QVERIFY(model.ok());
        const TensorInfo* down = (*model)->find("model.layers.0.mlp.down_proj.weight");
        const TensorInfo* q = (*model)->find("model.layers.0.self_attn.q_proj.weight");
        const TensorInfo* qs = (*model)->find("model.layers.0.self_attn.q_proj.weight_scale_inv");
        QVERIFY(down && q && qs);
        QVERIFY(down->dataOffset > 65536 && q->dataOffset > 65536 && qs->dataOffset > 65536);

        // The ranged requests that fetched content (206), header probes (from 0) aside.
        std::vector<std::pair<uint64_t, uint64_t>> got;  // [a, b)
        for (const FakeLogEntry& e : hub.log()) {
            if (e.status != 206) continue;
            const QByteArray spec = e.header("range").mid(6);
            const uint64_t a = spec.split('-')[0].toULongLong(), b = spec.split('-')[1].toULongLong() + 1;
            if (a != 0) got.emplace_back(a, b);
        }
        std::sort(got.begin(), got.end());
        QVERIFY(!got.empty());
        for (size_t i = 1; i < got.size(); ++i) QVERIFY2(got[i].first > got[i - 1].second, "adjacent ranges are merged");

        // Each request lies in one tensor: whole 32-row bands of the codes, or scale rows.
        std::map<std::string, int64_t> bandsRead;
        std::vector<std::pair<uint64_t, uint64_t>> scaleGot;
        std::vector<int64_t> qRows;  // q_proj rows fetched
        for (const auto& [a, b] : got) {
            bool placed = false;
            for (const TensorInfo* t : {down, q}) {
                if (a < t->dataOffset || b > t->dataOffset + t->byteLength) continue;
                const uint64_t rowBytes = uint64_t(t->cols()) * uint64_t(dtypeBytes(t->dtype)), band = 32 * rowBytes;
                QCOMPARE((a - t->dataOffset) % band, uint64_t(0));
                const bool tail = b == t->dataOffset + t->byteLength;
                if (!tail) QCOMPARE((b - a) % band, uint64_t(0));
                bandsRead[t->name] += int64_t((b - a + band - 1) / band);
                if (t == q)
                    for (uint64_t r = (a - t->dataOffset) / rowBytes; r < (b - t->dataOffset) / rowBytes; ++r) qRows.push_back(int64_t(r));
                placed = true;
            }
            if (!placed && a >= qs->dataOffset && b <= qs->dataOffset + qs->byteLength) {
                scaleGot.emplace_back(a, b);
                placed = true;
            }
            QVERIFY2(placed, qPrintable(QStringLiteral("bytes %1-%2 belong to no sampled tensor").arg(a).arg(b)));
        }
        // As many bands as the report says were sampled: 32 -> 8 bands, 22 -> round(5.5) = 6.
        for (const QJsonValue& tv : doc["tensors"].toArray()) {
            const QJsonObject row = tv["rows"].toArray()[0].toObject();
            QVERIFY(row["estimate"].toBool());
            QCOMPARE(bandsRead[tv["name"].toString().toStdString()], int64_t(row["sample"]["bands"].toInt()));
        }
        QCOMPARE(bandsRead[down->name], int64_t(8));
        QCOMPARE(bandsRead[q->name], int64_t(6));
        // The scale rows are exactly those of the fetched q_proj rows (row / 128), merged.
        std::vector<int64_t> ids;
        for (int64_t r : qRows) ids.push_back(r / 128);
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        std::vector<std::pair<uint64_t, uint64_t>> scaleWant;
        for (int64_t id : ids) {
            const uint64_t a = qs->dataOffset + uint64_t(id) * 12, b = a + 12;
            if (!scaleWant.empty() && scaleWant.back().second == a) scaleWant.back().second = b;
            else scaleWant.emplace_back(a, b);
        }
        QCOMPARE(scaleGot, scaleWant);
    }
};

QTEST_GUILESS_MAIN(TestHubSample)
#include "test_hub_sample.moc"
