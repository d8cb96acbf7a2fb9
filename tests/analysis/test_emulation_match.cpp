// Emulation match (issue #10): `wq` on a quantized checkpoint says how many values of the
// dequantized view our emulation of the stored format reproduces (identical = same
// float32 bits, +0 == -0). A gpt-oss MXFP4 folder is reproduced entirely by mxfp4; a
// ModelOpt NVFP4 folder whose blocks each hold a ±6 code and whose largest block scale
// is 448 entirely by nvfp4 --nvfp4-convention modelopt; a compressed-tensors FP8
// per-channel tensor only partly by our per-tensor fp8_e4m3 (the share worked out by
// hand below); the table line and the JSON fields through the binary.
#include "analysis/emulation_match.h"
#include "analysis/wq_run.h"
#include "cli_runner.h"
#include "layout_fixtures.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace qs;
using namespace qs::fixtures;

namespace {

Result<WqReport> wqOn(const QString& dir, const QStringList& formats = {"bf16"})
{
    WqParams p;
    p.model = dir;
    p.formats = formats;
    p.writeResults = false;
    return runWq(p, {}, {}, nullptr);
}

const WqTensor* tensorOf(const WqReport& r, const std::string& name)
{
    for (const auto& t : r.tensors)
        if (t.info.name == name) return &t;
    return nullptr;
}

} // namespace

class TestEmulationMatch : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private Q_SLOTS:
    // Every decoded MXFP4 block is a fixed point of OCP mxfp4 (floor scale): the largest
    // code c·2^k re-derives scale 2^(k') with all codes still on the E2M1 grid.
    void gptOssMxfp4IsReproducedEntirely()
    {
        LayoutCase c = mxfp4Case(2, 8, 4, 11);
        c.tensors[1].bytes[3] = 125;  // no NaN block (scale 255) in this folder
        const QString dir = m_tmp.filePath("gpt-oss");
        QVERIFY(writeFolder(c, dir));
        auto r = wqOn(dir, {"mxfp4", "bf16"});
        QVERIFY2(r.ok(), r ? "" : r.error().message.c_str());
        const WqTensor* t = tensorOf(*r, c.logical[0]);
        QVERIFY(t);
        QCOMPARE(t->layout, std::string("mxfp4 (gpt-oss)"));
        QVERIFY(t->emulationMatch);
        QCOMPARE(t->emulationMatch->format, std::string("mxfp4"));
        QCOMPARE(t->emulationMatch->total, int64_t(2 * 8 * 4 * 32));
        QCOMPARE(t->emulationMatch->identical, t->emulationMatch->total);
        // the plain tensor has neither
        const WqTensor* norm = tensorOf(*r, "model.norm.weight");
        QVERIFY(norm);
        QVERIFY(norm->layout.empty());
        QVERIFY(!norm->emulationMatch);
        // the mxfp4 row agrees: every value reproduced, so the error is zero
        for (const auto& row : t->rows)
            if (row.format == "mxfp4") QCOMPARE(row.metrics.mae, 0.0);
    }

    // ModelOpt NVFP4 written as ModelOpt would: weight_scale_2 = 2^-10, every block holds
    // a ±6 code (nibble 7 or 15), one block scale is 448 (0x7E) so the tensor's absmax is
    // 6·448·2^-10 = 2688·2^-10 and our modelopt convention re-derives scale_2 and every
    // block scale exactly.
    void modelOptNvfp4()
    {
        LayoutCase c = nvfp4ModelOptCase(4, 64, 12);
        auto& codes = c.tensors[0].bytes;   // [4, 32] bytes: 2 blocks of 16 values = 8 bytes each
        auto& scales = c.tensors[1].bytes;  // [4, 4]
        for (size_t b = 0; b < codes.size(); b += 8) codes[b + 3] = uint8_t((codes[b + 3] & 0xF0) | 0x07);
        scales[5] = 0x7E;
        c.tensors[2].bytes = f32Bytes({0x1p-10f});
        const QString dir = m_tmp.filePath("modelopt");
        QVERIFY(writeFolder(c, dir));
        auto r = wqOn(dir);
        QVERIFY2(r.ok(), r ? "" : r.error().message.c_str());
        const WqTensor* t = tensorOf(*r, c.logical[0]);
        QVERIFY(t);
        QCOMPARE(t->layout, std::string("nvfp4 (modelopt)"));
        QVERIFY(t->emulationMatch);
        QCOMPARE(t->emulationMatch->format, std::string("nvfp4 --nvfp4-convention modelopt"));
        QCOMPARE(t->emulationMatch->total, int64_t(4 * 64));
        QCOMPARE(t->emulationMatch->identical, int64_t(4 * 64));
    }

    // FP8 per channel (compressed-tensors) against our per-tensor fp8_e4m3. Row 0 has scale
    // 1 and the code 448, so the tensor scale is 448/448 = 1: row 0 (codes 448, 1, 0.5, -1)
    // is reproduced. Row 1 has scale 0.25: 1·0.25 = 0.25 and 448·0.25 = 112 are E4M3
    // values; 2^-9·0.25 = 2^-11 rounds to 0 and 3·2^-9·0.25 = 0.75·2^-9 rounds to 2^-9 —
    // 6 of 8 values (75 %).
    void fp8PerChannelPartly()
    {
        LayoutCase c;
        c.config = js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'float-quantized', "
                      "'config_groups': {'g': {'weights': {'num_bits': 8, 'type': 'float', 'strategy': 'channel'}}}}}");
        c.tensors = {{"o.weight", DType::F8_E4M3, {2, 4}, std::vector<uint8_t>{0x7E, 0x38, 0x30, 0xB8, 0x38, 0x01, 0x03, 0x7E}},
                     {"o.weight_scale", DType::F32, {2, 1}, f32Bytes({1.0f, 0.25f})}};
        const QString dir = m_tmp.filePath("fp8-channel");
        QVERIFY(writeFolder(c, dir));
        auto r = wqOn(dir);
        QVERIFY2(r.ok(), r ? "" : r.error().message.c_str());
        const WqTensor* t = tensorOf(*r, "o.weight");
        QVERIFY(t);
        QCOMPARE(t->layout, std::string("fp8_e4m3 per-channel (compressed-tensors)"));
        QVERIFY(t->emulationMatch);
        QCOMPARE(t->emulationMatch->format, std::string("fp8_e4m3 --fp8-scaling per-tensor"));
        QCOMPARE(t->emulationMatch->identical, int64_t(6));
        QCOMPARE(t->emulationMatch->total, int64_t(8));
        QCOMPARE(QString::fromStdString(emulationMatchLine("o.weight", t->layout, *t->emulationMatch)),
                 QString("o.weight: stored as fp8_e4m3 per-channel (compressed-tensors); our fp8_e4m3 --fp8-scaling "
                         "per-tensor reproduces 6 of 8 values (75.00 %) of the dequantized view"));
    }

    // DeepSeek FP8 blocks of 2x2 (not 128x128): compared with per-tensor scaling; the
    // block with the largest scale holds 448, the others lose values only where the
    // per-tensor grid is coarser. Here every code is 1.0 (0x38) except one 448: the scales
    // 1 and 2^-4 keep 1·2^-4 = 2^-4 representable, so all 6 values are reproduced.
    void fp8BlockLayout()
    {
        LayoutCase c;
        c.config = js("{'quantization_config': {'quant_method': 'fp8', 'weight_block_size': [2, 2]}}");
        c.tensors = {{"q.weight", DType::F8_E4M3, {2, 3}, std::vector<uint8_t>{0x7E, 0x38, 0x38, 0x38, 0x38, 0x38}},
                     {"q.weight_scale_inv", DType::F32, {1, 2}, f32Bytes({1.0f, 0.0625f})}};
        const QString dir = m_tmp.filePath("fp8-block");
        QVERIFY(writeFolder(c, dir));
        auto r = wqOn(dir);
        QVERIFY2(r.ok(), r ? "" : r.error().message.c_str());
        const WqTensor* t = tensorOf(*r, "q.weight");
        QVERIFY(t);
        QCOMPARE(t->info.dtypeName, std::string("F8_E4M3"));  // in place: the stored dtype
        QCOMPARE(t->layout, std::string("fp8_e4m3 block 2x2 (scale_inv)"));
        QVERIFY(t->emulationMatch);
        QCOMPARE(t->emulationMatch->identical, int64_t(6));
        QCOMPARE(t->emulationMatch->total, int64_t(6));
    }

    // Integer layouts are compared with our integer formats of the same code width, group
    // and symmetry. compressed-tensors pack-quantized symmetric int4, group 32, one row
    // [7, 0 x 31] with scale 1: int4_g32 takes s' = bf16(7/7.5) = 239·2^-8 = 0.93359375;
    // 7/s' = 7.4979 -> bf16 7.5 -> clamp 7 -> 6.53515625, not 7; the 31 zeros stay zero.
    void ctInt4GroupOf32()
    {
        LayoutCase c;
        c.config = js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'pack-quantized', "
                      "'config_groups': {'g': {'weights': {'num_bits': 4, 'type': 'int', 'symmetric': true, "
                      "'strategy': 'group', 'group_size': 32}}}}}");
        c.tensors = {{"p.weight_packed", DType::I32, {1, 4}, le32({0x8888888Fu, 0x88888888u, 0x88888888u, 0x88888888u})},
                     {"p.weight_scale", DType::BF16, {1, 1}, encodeFloats(DType::BF16, std::vector<float>{1.0f})},
                     {"p.weight_shape", DType::I32, {2}, le32({1, 32})}};
        const QString dir = m_tmp.filePath("ct-int4");
        QVERIFY(writeFolder(c, dir));
        auto r = wqOn(dir, {"int4_g32"});
        QVERIFY2(r.ok(), r ? "" : r.error().message.c_str());
        const WqTensor* t = tensorOf(*r, "p.weight");
        QVERIFY(t);
        QVERIFY(t->emulationMatch);
        QCOMPARE(t->emulationMatch->format, std::string("int4_g32"));
        QCOMPARE(t->emulationMatch->identical, int64_t(31));
        QCOMPARE(t->emulationMatch->total, int64_t(32));
    }

    // compressed-tensors int-quantized int8 per channel, row [127, 0, 0, 0] with scale 1:
    // int8 takes s' = bf16(127/127.5) = 255·2^-8; 127/s' = 127.498 -> bf16 127.5 -> clamp
    // 127 -> 126.50390625: 3 of 4. Asymmetric GPTQ groups of 128 map to int4_g128_asym;
    // groups of 8 (the fixture) have no emulated format.
    void ctInt8ChannelAndOtherGeometries()
    {
        LayoutCase c;
        c.config = js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'int-quantized', "
                      "'config_groups': {'g': {'weights': {'num_bits': 8, 'type': 'int', 'symmetric': true, "
                      "'strategy': 'channel'}}}}}");
        c.tensors = {{"i.weight", DType::I8, {1, 4}, std::vector<uint8_t>{127, 0, 0, 0}},
                     {"i.weight_scale", DType::F32, {1, 1}, f32Bytes({1.0f})}};
        const QString dir = m_tmp.filePath("ct-int8");
        QVERIFY(writeFolder(c, dir));
        auto r = wqOn(dir, {"int8"});
        QVERIFY2(r.ok(), r ? "" : r.error().message.c_str());
        const WqTensor* t = tensorOf(*r, "i.weight");
        QVERIFY(t);
        QVERIFY(t->emulationMatch);
        QCOMPARE(t->emulationMatch->format, std::string("int8"));
        QCOMPARE(t->emulationMatch->identical, int64_t(3));
        QCOMPARE(t->emulationMatch->total, int64_t(4));

        StoredLayout gptq;
        gptq.id = "gptq";
        gptq.bits = 4;
        gptq.groupSize = 128;
        gptq.symmetric = false;
        TensorInfo info;
        info.layout = std::make_shared<StoredLayout>(gptq);
        auto f = layouts::emulatedFormat(info);
        QVERIFY(f);
        QCOMPARE(f->text(), std::string("int4_g128_asym"));

        const QString g8 = m_tmp.filePath("gptq-g8");
        QVERIFY(writeFolder(gptqCase(true), g8));
        auto r8 = wqOn(g8);
        QVERIFY2(r8.ok(), r8 ? "" : r8.error().message.c_str());
        const WqTensor* t8 = tensorOf(*r8, "m.weight");
        QVERIFY(t8);
        QCOMPARE(t8->layout.empty(), false);
        QVERIFY(!t8->emulationMatch);
    }

    // --sample: the match counts the values of the bands read; a tensor none of whose
    // bands was drawn keeps its layout but has no match (nothing was decoded).
    void sampledRunsMeasureWhatTheyRead()
    {
        LayoutCase c = mxfp4Case(2, 64, 4, 11);  // logical [2, 64, 128]: 128 rows = 4 bands
        c.tensors[1].bytes[3] = 125;              // no NaN block
        const QString dir = m_tmp.filePath("gpt-oss-sampled");
        QVERIFY(writeFolder(c, dir));
        auto run = [&](double fraction, uint64_t seed) {
            WqParams p;
            p.model = dir;
            p.formats = {"mxfp4"};
            p.writeResults = false;
            p.sample = SampleSpec{fraction, seed};
            return runWq(p, {}, {}, nullptr);
        };
        auto half = run(0.5, 7);
        QVERIFY2(half.ok(), half ? "" : half.error().message.c_str());
        const WqTensor* t = tensorOf(*half, c.logical[0]);
        QVERIFY(t && t->emulationMatch);
        QCOMPARE(t->emulationMatch->total, int64_t(2 * 32 * 128));  // 2 of the 4 bands
        QCOMPARE(t->emulationMatch->identical, t->emulationMatch->total);
        uint64_t seed = 1;
        while (sampleBandCount(4, 0.01, tensorSampleSeed(seed, c.logical[0])) != 0) ++seed;
        auto none = run(0.01, seed);
        QVERIFY2(none.ok(), none ? "" : none.error().message.c_str());
        t = tensorOf(*none, c.logical[0]);
        QVERIFY(t);
        QCOMPARE(t->layout, std::string("mxfp4 (gpt-oss)"));
        QVERIFY(!t->emulationMatch);
        QVERIFY(t->rows.at(0).estimate && t->rows.at(0).estimate->sampledBands == 0);
        QVERIFY(std::isnan(t->rows.at(0).metrics.mae));
    }

    // Through the binary: the line after the table and the JSON fields.
    void cliLineAndJson()
    {
        LayoutCase c;
        c.config = js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'float-quantized', "
                      "'config_groups': {'g': {'weights': {'num_bits': 8, 'type': 'float', 'strategy': 'channel'}}}}}");
        c.tensors = {{"o.weight", DType::F8_E4M3, {2, 4}, std::vector<uint8_t>{0x7E, 0x38, 0x30, 0xB8, 0x38, 0x01, 0x03, 0x7E}},
                     {"o.weight_scale", DType::F32, {2, 1}, f32Bytes({1.0f, 0.25f})}};
        const QString dir = m_tmp.filePath("cli");
        QVERIFY(writeFolder(c, dir));
        const CliRun w = runCli({"wq", dir, "-c", "fp8_e4m3", "--no-results"});
        QCOMPARE(w.exitCode, 0);
        QVERIFY2(w.out.contains("  o.weight: stored as fp8_e4m3 per-channel (compressed-tensors); our fp8_e4m3 "
                                "--fp8-scaling per-tensor reproduces 6 of 8 values (75.00 %) of the dequantized view\n"),
                 w.out.constData());
        const CliRun j = runCli({"wq", dir, "-c", "fp8_e4m3", "--no-results", "--json"});
        QCOMPARE(j.exitCode, 0);
        const QJsonObject t = QJsonDocument::fromJson(j.out).object().value("tensors").toArray().at(0).toObject();
        QCOMPARE(t.value("layout").toString(), QString("fp8_e4m3 per-channel (compressed-tensors)"));
        const QJsonObject m = t.value("emulation_match").toObject();
        QCOMPARE(m.value("format").toString(), QString("fp8_e4m3 --fp8-scaling per-tensor"));
        QCOMPARE(m.value("identical").toInt(), 6);
        QCOMPARE(m.value("total").toInt(), 8);
    }
};

QTEST_GUILESS_MAIN(TestEmulationMatch)
#include "test_emulation_match.moc"
