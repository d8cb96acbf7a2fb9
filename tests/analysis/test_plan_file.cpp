// The plan file (analysis/plan_file.h): a round trip keeps every field and every double
// bit for bit; each malformed field is refused with the file and the field named; the
// compression-config reader recognises a plan file by its algorithm.
#include "analysis/compression_config.h"
#include "analysis/plan_file.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace qs;

class TestPlanFile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void roundTrip();
    void errorsNameTheField_data();
    void errorsNameTheField();
    void compressionConfigRecognisesAPlan();
};

static PlanFile samplePlan()
{
    PlanFile p;
    p.model = "demo-model";
    p.revision = "local";
    p.granularity = "tile";
    p.budgetBytes = 474495.0;
    p.totalBytes = 474304.0;
    p.totalError = 61.594123456789012;   // needs 17 digits
    p.lowerBound = 0.1 + 0.2;            // 0.30000000000000004
    p.estimated = true;
    p.params = 759256;
    p.objective = "weighted_sse";
    p.importance = "demo \"imatrix\".gguf";
    p.weightedTensors = 12;
    p.unweightedScale = 1.0 / 3.0;
    PlanChoice a;
    a.tensor = "model.layers.0.mlp.down_proj.weight";
    a.format = "bfp4";
    a.bytes = 36864;
    a.error = 1e-300;
    a.weighted = true;
    PlanChoice b;
    b.tensor = "lm_head.weight";
    b.format = "mixed";
    b.assignment = "plan_tiles/lm_head.weight_assignment.npy";
    b.candidates = {"bf16", "bfp8", "bfp4", "bfp2"};
    b.bytes = 123456;
    b.error = 2.0 / 7.0;
    b.weighted = false;
    p.choices = {a, b};
    return p;
}

void TestPlanFile::roundTrip()
{
    QTemporaryDir tmp;
    const QString path = tmp.filePath("sub/plan.json");
    const PlanFile p = samplePlan();
    QVERIFY(writePlanFile(p, path).ok());
    QVERIFY(!QFile::exists(path + ".tmp"));
    auto r = readPlanFile(path);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    QCOMPARE(r->model, p.model);
    QCOMPARE(r->revision, p.revision);
    QCOMPARE(r->granularity, p.granularity);
    QCOMPARE(r->budgetBytes, p.budgetBytes);
    QCOMPARE(r->totalBytes, p.totalBytes);
    QVERIFY(r->totalError == p.totalError);  // exact, not fuzzy
    QVERIFY(r->lowerBound == p.lowerBound);
    QCOMPARE(r->estimated, true);
    QCOMPARE(r->params, p.params);
    QCOMPARE(r->objective, p.objective);
    QCOMPARE(r->importance, p.importance);
    QCOMPARE(r->weightedTensors, p.weightedTensors);
    QVERIFY(r->unweightedScale == p.unweightedScale);
    QCOMPARE(r->choices.size(), size_t(2));
    for (size_t i = 0; i < 2; ++i) {
        const PlanChoice &x = r->choices[i], &y = p.choices[i];
        QCOMPARE(x.tensor, y.tensor);
        QCOMPARE(x.format, y.format);
        QCOMPARE(x.assignment, y.assignment);
        QCOMPARE(x.candidates, y.candidates);
        QVERIFY(x.bytes == y.bytes && x.error == y.error);
        QCOMPARE(x.weighted, y.weighted);
    }
    QVERIFY(r->find("lm_head.weight") == &r->choices[1]);
    QVERIFY(r->find("nope") == nullptr);
    QCOMPARE(planAssignmentPath(path, r->choices[1]), tmp.filePath("sub/plan_tiles/lm_head.weight_assignment.npy"));
    // written again, the same text
    QCOMPARE(planFileJson(*r), planFileJson(p));
}

void TestPlanFile::errorsNameTheField_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("message");
    const QByteArray t0 = R"({"tensor": "a", "format": "bfp4", "bytes": 1, "sse": 2})";
    QTest::newRow("not json") << QByteArray("{") << "p.json: plan file is not valid JSON";
    QTest::newRow("array") << QByteArray("[]") << "p.json: expected a JSON object (a plan file), got []";
    QTest::newRow("algorithm") << QByteArray(R"({"algorithm": "none", "tensors": []})")
                               << "p.json: algorithm: expected \"plan\" in a plan file, got \"none\"";
    QTest::newRow("no algorithm") << QByteArray(R"({"tensors": []})") << "p.json: algorithm: missing";
    QTest::newRow("granularity") << QByteArray(R"({"algorithm": "plan", "granularity": "row", "tensors": []})")
                                 << "p.json: granularity: expected \"tensor\" or \"tile\", got \"row\"";
    QTest::newRow("no tensors") << QByteArray(R"({"algorithm": "plan"})") << "p.json: tensors: missing";
    QTest::newRow("budget") << QByteArray(R"({"algorithm": "plan", "budget_bytes": "1GB", "tensors": []})")
                            << "p.json: budget_bytes: expected a number >= 0, got \"1GB\"";
    QTest::newRow("format") << QByteArray(R"({"algorithm": "plan", "tensors": [)" + t0 +
                                          R"(, {"tensor": "b", "format": "bfp5", "bytes": 1, "sse": 2}]})")
                            << "p.json: tensors[1].format: unknown format \"bfp5\"";
    QTest::newRow("bytes") << QByteArray(R"({"algorithm": "plan", "tensors": [{"tensor": "a", "format": "bfp4", "bytes": -1, "sse": 2}]})")
                           << "p.json: tensors[0].bytes: expected a number >= 0, got -1";
    QTest::newRow("sse missing") << QByteArray(R"({"algorithm": "plan", "tensors": [{"tensor": "a", "format": "bfp4", "bytes": 1}]})")
                                 << "p.json: tensors[0].sse: missing";
    QTest::newRow("twice") << QByteArray(R"({"algorithm": "plan", "tensors": [)" + t0 + "," + t0 + "]}")
                           << "p.json: tensors[1].tensor: \"a\" is planned twice";
    QTest::newRow("mixed in tensor plan")
        << QByteArray(R"({"algorithm": "plan", "tensors": [{"tensor": "a", "format": "mixed", "assignment": "a.npy", "candidates": ["bfp4"], "bytes": 1, "sse": 2}]})")
        << "p.json: tensors[0].format: a tile choice (\"mixed\") in a plan of granularity \"tensor\"";
    QTest::newRow("no assignment")
        << QByteArray(R"({"algorithm": "plan", "granularity": "tile", "tensors": [{"tensor": "a", "format": "mixed", "candidates": ["bfp4"], "bytes": 1, "sse": 2}]})")
        << "p.json: tensors[0].assignment: missing";
    QTest::newRow("candidate")
        << QByteArray(R"({"algorithm": "plan", "granularity": "tile", "tensors": [{"tensor": "a", "format": "mixed", "assignment": "a.npy", "candidates": ["bfp4", 3], "bytes": 1, "sse": 2}]})")
        << "p.json: tensors[0].candidates[1]: expected a format name (string), got 3";
    QTest::newRow("duplicate key") << QByteArray(R"({"algorithm": "plan", "algorithm": "plan", "tensors": []})")
                                   << "p.json: algorithm: appears more than once";
}

void TestPlanFile::errorsNameTheField()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, message);
    auto r = parsePlanFile(json, "p.json");
    QVERIFY(!r.ok());
    QCOMPARE(r.error().exitCode, 1);
    QVERIFY2(QString::fromStdString(r.error().message).startsWith(message), r.error().message.c_str());
}

void TestPlanFile::compressionConfigRecognisesAPlan()
{
    QTemporaryDir tmp;
    const QString path = tmp.filePath("plan.json");
    PlanFile p = samplePlan();
    p.objective = "sse";
    QVERIFY(writePlanFile(p, path).ok());
    auto cfg = loadCompressionConfig(path);
    QVERIFY2(cfg.ok(), cfg.ok() ? "" : cfg.error().message.c_str());
    QCOMPARE(cfg->algorithm, std::string("plan"));
    QVERIFY(cfg->plan);
    QCOMPARE(cfg->plan->choices.size(), size_t(2));
    QVERIFY(cfg->warnings.empty());  // the plan's own keys are not "unknown"
    // a broken plan is reported by the plan reader (file and field)
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"algorithm": "plan", "tensors": [{"tensor": "a"}]})");
    f.close();
    auto bad = loadCompressionConfig(path);
    QVERIFY(!bad.ok());
    QVERIFY2(QString::fromStdString(bad.error().message).endsWith("plan.json: tensors[0].format: missing"),
             bad.error().message.c_str());
}

QTEST_GUILESS_MAIN(TestPlanFile)
#include "test_plan_file.moc"
