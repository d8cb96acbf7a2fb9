// Compression config validation (every error message), the used-config writer, and the
// assignment files: .npy header bytes, round trips, mapping JSON, CSV.
#include "analysis/assignment_io.h"
#include "analysis/compression_config.h"
#include "formats_under_test.h"

#include <QTemporaryDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace qs;

namespace {

QString parseError(const char* json)
{
    auto r = parseCompressionConfig(QByteArray(json), "cfg/x.json");
    return r.ok() ? QString("(accepted)") : QString::fromStdString(r.error().message);
}

QByteArray fileBytes(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestConfigIo : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void configErrors_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("message");
        QTest::newRow("not json") << "{\"algorithm\": " << "cfg/x.json: not valid JSON: parse error at line 1, column 15: syntax error while parsing value - "
                                              "unexpected end of input; expected '[', '{', or a literal";
        // #16: numbers outside double range, deep nesting and duplicate keys are clean errors.
        QTest::newRow("number overflow") << R"({"params": {"threshold": 1e400}})"
                                         << "cfg/x.json: not valid JSON: number overflow parsing '1e400'";
        QTest::newRow("deep nesting") << "{\"params\": " + QString(100000, '[') + QString(100000, ']') + "}"
                                      << "cfg/x.json: not valid JSON: nesting deeper than 64 levels";
        QTest::newRow("duplicate key") << R"({"params": {"k": 1, "k": 2}})" << "cfg/x.json: params.k: appears more than once";
        QTest::newRow("iters too many") << R"({"params": {"iters": 1000000}})"
                                        << "cfg/x.json: params.iters: expected an integer from 1 to 100000, got 1000000";
        QTest::newRow("not object") << "[1]" << "cfg/x.json: expected a JSON object, got [1]";
        QTest::newRow("unknown algorithm") << R"({"algorithm": "mixed-tile-genetic"})"
                                           << "cfg/x.json: algorithm: unknown algorithm \"mixed-tile-genetic\" (valid: none, "
                                              "transpose, mixed-tile-greedy (alias mixed-tile), mixed-tile-random, mixed-tile-threshold, "
                                              "plan (a plan.json written by quantscope plan))";
        QTest::newRow("algorithm type") << R"({"algorithm": 3})"
                                        << "cfg/x.json: algorithm: expected a string (none, transpose, mixed-tile-greedy "
                                           "(alias mixed-tile), mixed-tile-random, mixed-tile-threshold, plan (a plan.json written by "
                                           "quantscope plan)), got 3";
        QTest::newRow("params type") << R"({"params": [1]})" << "cfg/x.json: params: expected an object, got [1]";
        QTest::newRow("formats type") << R"({"quantization_formats": "bf16"})"
                                      << "cfg/x.json: quantization_formats: expected a list of strings, got \"bf16\"";
        QTest::newRow("formats entry") << R"({"quantization_formats": ["bf16", 8]})"
                                       << "cfg/x.json: quantization_formats[1]: expected a format name (string), got 8";
        QTest::newRow("unknown format") << R"({"quantization_formats": ["bf16", "bfp3"]})"
                                        << QString("cfg/x.json: quantization_formats: unknown format \"bfp3\" (valid: %1, all, every)")
                                               .arg(QString::fromStdString(formatNameList()));
        QTest::newRow("threshold string") << R"({"params": {"threshold": "abc"}})"
                                          << "cfg/x.json: params.threshold: expected a number, got \"abc\"";
        QTest::newRow("threshold bool") << R"({"params": {"threshold": true}})"
                                        << "cfg/x.json: params.threshold: expected a number, got true";
        QTest::newRow("metric") << R"({"params": {"metric": "rmse"}})"
                                << "cfg/x.json: params.metric: unknown metric \"rmse\" (valid: pcc, mae, atol, wsqnr, wrel)";
        QTest::newRow("metric type") << R"({"params": {"metric": 1}})"
                                     << "cfg/x.json: params.metric: expected a string (pcc, mae, atol, wsqnr, wrel), got 1";
        QTest::newRow("k zero") << R"({"params": {"k": 0}})" << "cfg/x.json: params.k: expected an integer >= 1, got 0";
        QTest::newRow("k float") << R"({"params": {"k": 2.5}})" << "cfg/x.json: params.k: expected an integer >= 1, got 2.5";
        QTest::newRow("iters") << R"({"params": {"iters": -3}})" << "cfg/x.json: params.iters: expected an integer from 1 to 100000, got -3";
        QTest::newRow("cluster") << R"({"params": {"cluster": "dbscan"}})"
                                 << "cfg/x.json: params.cluster: expected \"single\" or \"kmeans\", got \"dbscan\"";
        QTest::newRow("tile formats") << R"({"params": {"formats": "bf16,bfp9"}})"
                                      << QString("cfg/x.json: params.formats: unknown format \"bfp9\" (valid: %1, all, every)")
                                             .arg(QString::fromStdString(formatNameList()));
        QTest::newRow("tile formats type") << R"({"params": {"tile_formats": 5}})"
                                           << "cfg/x.json: params.tile_formats: expected a list of format names or a "
                                              "comma-separated string, got 5";
        QTest::newRow("seed") << R"({"seed": -1})" << "cfg/x.json: seed: expected a non-negative integer or \"random\", got -1";
        QTest::newRow("seed string") << R"({"seed": "often"})"
                                     << "cfg/x.json: seed: expected a non-negative integer or \"random\", got \"often\"";
        QTest::newRow("random_seed") << R"({"random_seed": "yes"})" << "cfg/x.json: random_seed: expected true or false, got \"yes\"";
        QTest::newRow("params seed") << R"({"params": {"seed": 1.5}})"
                                     << "cfg/x.json: params.seed: expected a non-negative integer or \"random\", got 1.5";
    }
    void configErrors()
    {
        QFETCH(QString, json);
        QFETCH(QString, message);
        QCOMPARE(parseError(json.toUtf8().constData()), message);
    }

    void configDefaultsAndAliases()
    {
        auto c = parseCompressionConfig("{}", "x.json");
        QVERIFY(c.ok());
        QCOMPARE(c->algorithm, std::string("none"));
        QVERIFY(!c->seed);
        c = parseCompressionConfig(R"({"algorithm": "Mixed-Tile", "params": {"cluster": "kmeans", "k": 4.0, "bogus": 1}, "extra": 2})", "x.json");
        QVERIFY(c.ok());
        QCOMPARE(c->algorithm, std::string("mixed-tile-greedy"));
        QVERIFY(c->kmeans);
        QCOMPARE(c->k, 4);
        QCOMPARE(c->threshold, 0.999);
        QCOMPARE(c->warnings.size(), size_t(2));
        QCOMPARE(QString::fromStdString(c->warnings[0]), QString("x.json: unknown key \"extra\" ignored"));
        QCOMPARE(QString::fromStdString(c->warnings[1]), QString("x.json: unknown key \"params.bogus\" ignored"));
    }

    void seeds()
    {
        auto c = parseCompressionConfig(R"({"algorithm": "mixed-tile-random", "seed": 7, "random_seed": true, "params": {"seed": 9}})", "x");
        QCOMPARE(*c->seed, uint64_t(7));
        QCOMPARE(c->seedSource, std::string("config"));
        c = parseCompressionConfig(R"({"algorithm": "mixed-tile-random", "params": {"seed": 9}})", "x");
        QCOMPARE(*c->seed, uint64_t(9));
        QCOMPARE(c->seedSource, std::string("params"));
        c = parseCompressionConfig(R"({"algorithm": "mixed-tile-random", "random_seed": true, "params": {"seed": 9}})", "x");
        QCOMPARE(c->seedSource, std::string("random"));
        QVERIFY(*c->seed < (uint64_t(1) << 53));
        c = parseCompressionConfig(R"({"algorithm": "mixed-tile-random", "seed": "random"})", "x");
        QCOMPARE(c->seedSource, std::string("random"));
        c = parseCompressionConfig(R"({"algorithm": "mixed-tile-random"})", "x");
        QCOMPARE(*c->seed, uint64_t(0));
        QCOMPARE(c->seedSource, std::string("default"));
        c = parseCompressionConfig(R"({"algorithm": "mixed-tile-greedy"})", "x");
        QVERIFY(!c->seed);
    }

    void toMixedCandidates()
    {
        const auto all = qstest::fmts({"mxfp4", "nvfp4", "bf16", "bfp8", "bfp4", "bfp2", "fp0"});
        auto c = parseCompressionConfig(R"({"algorithm": "mixed-tile-threshold", "params": {"metric": "mae", "threshold": 0.01}})", "x.json");
        auto m = c->toMixed(all, {});
        QVERIFY(m.ok());
        QCOMPARE(m->candidates, qstest::fmts({"bf16", "bfp8", "bfp4", "bfp2"}));
        QCOMPARE(int(m->metric), int(MetricKind::Mae));
        QCOMPARE(int(m->algorithm), int(MixedAlgorithm::Threshold));
        // Explicit tile formats, comma string, any order -> registry order.
        c = parseCompressionConfig(R"({"algorithm": "mixed-tile", "params": {"formats": "nvfp4, bfp2,bf16"}})", "x.json");
        m = c->toMixed(all, {});
        QVERIFY(m.ok());
        QCOMPARE(m->candidates, qstest::fmts({"bf16", "bfp2", "nvfp4"}));
        // Nothing left.
        m = c->toMixed({}, {});
        QVERIFY(m.ok());
        c = parseCompressionConfig(R"({"algorithm": "mixed-tile"})", "x.json");
        m = c->toMixed(qstest::fmts({"mxfp4", "fp0"}), {});
        QVERIFY(!m.ok());
        QCOMPARE(QString::fromStdString(m.error().message),
                 QString("x.json: quantization_formats: no tile format among the selected formats (mxfp4, fp0); tile "
                         "formats are bf16, bfp8, bfp4, bfp2 (others via params.formats)"));
        c = parseCompressionConfig(R"({"algorithm": "mixed-tile", "params": {"formats": ["bf16", "fp8_e4m3"]}})", "x.json");
        m = c->toMixed(all, {});
        QVERIFY(!m.ok());
        QVERIFY(QString::fromStdString(m.error().message).startsWith("x.json: params.formats: \"fp8_e4m3\" is not a tile format (tile formats: bf16, bfp8"));
    }

    void usedConfig()
    {
        auto c = parseCompressionConfig(R"({"algorithm": "mixed-tile-random", "params": {"seed": 5, "iters": 3, "threshold": 0.99}})", "x");
        auto m = c->toMixed(qstest::fmts({"bf16", "bfp8"}), {});
        QVERIFY(m.ok());
        QCOMPARE(m->seed, uint64_t(5));
        const std::string expect = R"({
  "algorithm": "mixed-tile-random",
  "params": {
    "formats": [
      "bf16",
      "bfp8"
    ],
    "iters": 3,
    "metric": "pcc",
    "threshold": 0.99
  },
  "quantization_formats": [
    "bf16",
    "bfp8"
  ],
  "seed": 5,
  "seed_source": "params"
}
)";
        QCOMPARE(QString::fromStdString(usedConfigJson(*c, {"bf16", "bfp8"}, &*m)), QString::fromStdString(expect));
        // #16: only the algorithm's own params are kept and written (no raw copies).
        c = parseCompressionConfig(R"({"algorithm": "mixed-tile-threshold", "params": {"k": 3, "iters": 4, "junk": [[[1]]]}})", "x");
        QVERIFY(c.ok());
        QCOMPARE(c->warnings.size(), size_t(3));
        QCOMPARE(QString::fromStdString(c->warnings[0]), QString("x: \"params.iters\" does not apply to mixed-tile-threshold; ignored"));
        QCOMPARE(QString::fromStdString(usedConfigJson(*c, {"bf16"})),
                 QString("{\n  \"algorithm\": \"mixed-tile-threshold\",\n  \"params\": {\n    \"metric\": \"pcc\",\n"
                         "    \"threshold\": 0.999\n  },\n  \"quantization_formats\": [\n    \"bf16\"\n  ]\n}\n"));
        c = parseCompressionConfig(R"({"algorithm": "transpose", "params": {"threshold": 0.5}})", "x");
        QCOMPARE(QString::fromStdString(usedConfigJson(*c, {"bf16"})),
                 QString("{\n  \"algorithm\": \"transpose\",\n  \"params\": {},\n  \"quantization_formats\": [\n    \"bf16\"\n  ]\n}\n"));
    }

    // Byte-exact header: what NumPy 1.24.2's np.save writes for an int8 (3, 5) array
    // (header length 0x76: 20 spaces of growth room, padding to 128 bytes).
    void npyHeaderBytes()
    {
        const QByteArray pre = npyPreamble("|i1", {3, 5});
        QCOMPARE(pre.size(), 128);
        QByteArray expect("\x93NUMPY\x01\x00\x76\x00", 10);
        expect += "{'descr': '|i1', 'fortran_order': False, 'shape': (3, 5), }";
        expect += QByteArray(128 - 10 - 59 - 1, ' ');
        expect += '\n';
        QCOMPARE(pre, expect);
        QCOMPARE(npyPreamble("<f4", {7}), QByteArray("\x93NUMPY\x01\x00\x76\x00", 10) +
                                              "{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }" +
                                              QByteArray(128 - 10 - 57 - 1, ' ') + "\n");
        QCOMPARE(npyPreamble("<f4", {123456, 7168}).size() % 64, 0);
    }

    void npyRoundTripAndErrors()
    {
        QTemporaryDir dir;
        const QString p = dir.filePath("sub/a_assignment.npy");
        const std::vector<int8_t> codes{0, 1, 2, 3, -1, 2};
        QVERIFY(writeAssignmentNpy(p, codes, 2, 3).ok());
        auto r = readAssignmentNpy(p);
        QVERIFY(r.ok());
        QCOMPARE(r->codes, codes);
        QCOMPARE(r->tilesH, 2);
        QCOMPARE(r->tilesW, 3);
        QCOMPARE(fileBytes(p).size(), 128 + 6);
        QVERIFY(!QDir(dir.filePath("sub")).entryList(QDir::Files).join(",").contains("~"));  // no temp left

        auto expectError = [&](const QByteArray& bytes, const QString& what) {
            const QString q = dir.filePath("bad.npy");
            QFile f(q);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(bytes);
            f.close();
            auto e = readAssignmentNpy(q);
            QVERIFY(!e.ok());
            QCOMPARE(QString::fromStdString(e.error().message), q + ": " + what);
        };
        expectError("hello", "not a NumPy .npy file (magic \\x93NUMPY missing)");
        QByteArray v3 = fileBytes(p);
        v3[6] = 3;
        expectError(v3, "unsupported .npy format version 3.0 (expected 1.0 or 2.0)");
        QByteArray f4 = npyPreamble("<f4", {1, 1}) + QByteArray(4, 0);
        expectError(f4, "dtype '<f4', expected int8 ('|i1')");
        QByteArray fo = npyPreamble("|i1", {1, 2});
        fo.replace("False", "True ");
        expectError(fo + QByteArray(2, 0), "fortran_order True, expected C order");
        expectError(npyPreamble("|i1", {2, 3}) + QByteArray(5, 0), "holds 5 data bytes, shape (2, 3) needs 6");
        expectError(npyPreamble("|i1", {2, 3, 1}) + QByteArray(6, 0), "shape with 3 dimensions, expected (tiles_h, tiles_w)");
    }

    void mappingRoundTripAndErrors()
    {
        QTemporaryDir dir;
        const QString p = dir.filePath("m.json");
        // #9.3: the original's keys in its exact form (tile_hw an integer, int_to_format a
        // list, -1 in neither), plus the options, tensor and tool beside them.
        AssignmentMapping w{{"bf16", "bfp8", "bfp4", "bfp2"}, 6, 5, "model.layers.0.mlp.up_proj.weight", {180, 160}, {}};
        FormatOptions opts;
        opts.mxScale = MxScaleRule::Rceil;
        opts.nv2dBlocks = true;
        w.options = opts;
        QVERIFY(writeAssignmentMapping(p, w).ok());
        const QJsonObject doc = QJsonDocument::fromJson(fileBytes(p)).object();
        QVERIFY(doc["tile_hw"].isDouble());
        QCOMPARE(doc["tile_hw"].toInt(), 32);
        QCOMPARE(doc["int_to_format"].toArray(), (QJsonArray{"bf16", "bfp8", "bfp4", "bfp2"}));
        QCOMPARE(doc["format_to_int"].toObject(), (QJsonObject{{"bf16", 0}, {"bfp8", 1}, {"bfp4", 2}, {"bfp2", 3}}));
        QCOMPARE(doc["assignment_shape"].toArray(), (QJsonArray{6, 5}));
        QCOMPARE(doc["unassigned_code"].toInt(), -1);
        QCOMPARE(doc["format_options"].toObject()["mx-scale"].toString(), QString("rceil"));
        QCOMPARE(doc["format_options"].toObject()["nvfp4-2d"].toString(), QString("on"));
        QCOMPARE(doc["tensor_shape"].toArray(), (QJsonArray{180, 160}));
        QCOMPARE(doc["tool"].toString(), QString("quantscope"));
        auto m = readAssignmentMapping(p);
        QVERIFY(m.ok());
        QCOMPARE(m->formats, (std::vector<std::string>{"bf16", "bfp8", "bfp4", "bfp2"}));
        QCOMPARE(m->tilesH, 6);
        QCOMPARE(m->tilesW, 5);
        QCOMPARE(m->tensor, std::string("model.layers.0.mlp.up_proj.weight"));
        QVERIFY(m->options && *m->options == opts);

        auto expectError = [&](const char* json, const QString& what) {
            const QString q = dir.filePath("bad.json");
            QFile f(q);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(json);
            f.close();
            auto e = readAssignmentMapping(q);
            QVERIFY(!e.ok());
            QCOMPARE(QString::fromStdString(e.error().message), q + ": " + what);
        };
        expectError(R"({"int_to_format": {"0": "bf16", "1": "bfp3"}})",
                    QString("unknown format \"bfp3\" (known: %1)").arg(QString::fromStdString(formatNameList())));
        expectError(R"({"int_to_format": {"0": "bf16", "2": "bfp8"}})", "format codes must be 0..n-1 without gaps (code 2)");
        expectError(R"({"format_to_int": {"bf16": 0, "bfp8": 1.5}})", "format_to_int.bfp8: expected an integer");
        expectError(R"({"tile_hw": [32, 32]})", "neither int_to_format nor format_to_int is present");
        expectError(R"({"int_to_format": {"0": "bf16"}, "tile_hw": [16, 16]})", "tile_hw: only 32 x 32 tiles are supported");
        expectError(R"({"int_to_format": ["bf16"], "tile_hw": 16})", "tile_hw: only 32 x 32 tiles are supported");
        expectError(R"({"int_to_format": ["bf16", 3]})", "int_to_format[1]: expected a format name");
        expectError(R"({"int_to_format": ["bf16"], "format_options": {"mx-scale": "up"}})",
                    "format_options: --mx-scale: expected floor, rceil, even or ceil, got \"up\"");
        expectError("{", "not valid JSON: unterminated object");
        // format_to_int alone works (the original's mapping may have only that).
        QFile f(dir.filePath("ok.json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"format_to_int": {"bfp8": 1, "bf16": 0, "none": -1}})");
        f.close();
        auto ok = readAssignmentMapping(dir.filePath("ok.json"));
        QVERIFY(ok.ok());
        QCOMPARE(ok->formats, (std::vector<std::string>{"bf16", "bfp8"}));
    }

    void samplesCsv()
    {
        SampleRow a{{3, 1}, 2.5e9, {}};
        a.metrics.pcc = 0.5;
        a.metrics.mae = 0.25;
        a.metrics.atol = 1;
        QCOMPARE(QString::fromUtf8(randomSamplesCsv({"bf16", "bfp8"}, {a})),
                 QString("sample_id,bf16_tiles,bfp8_tiles,total_gb,pcc,mae,atol\n0,3,1,2.5,0.5,0.25,1\n"));
    }
};

QTEST_GUILESS_MAIN(TestConfigIo)
#include "test_config_io.moc"
