// `quantscope diff` through the binary (issue #10): two small local folders written here,
// metrics against a float64 reference computed here, pairing (one side only, different
// shapes), the identical-value rule (+0/-0, NaN), --emulate with a format that rounds like
// B (100 %) and one that does not (the share computed here by hand), a gpt-oss MXFP4
// folder against its decoding, and errors.
#include "cli_runner.h"

#include "io/safetensors_writer.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

struct T {
    std::string name;
    qs::DType dtype;
    std::vector<int64_t> shape;
    std::vector<float> values;
};

bool writeFolder(const QString& dir, const std::vector<T>& tensors, const QByteArray& config = "{}")
{
    std::vector<std::vector<uint8_t>> bytes;
    std::vector<qs::TensorData> data;
    for (const T& t : tensors) bytes.push_back(qs::encodeFloats(t.dtype, t.values));
    for (size_t i = 0; i < tensors.size(); ++i) data.push_back({{tensors[i].name, tensors[i].dtype, tensors[i].shape}, bytes[i]});
    if (!qs::writeSafetensors(dir + "/model.safetensors", data)) return false;
    QFile f(dir + "/config.json");
    return f.open(QIODevice::WriteOnly) && f.write(config) == config.size();
}

std::vector<float> randomValues(size_t n, uint32_t seed)
{
    std::mt19937 gen(seed);
    std::normal_distribution<float> d(0.0f, 0.02f);
    std::vector<float> v(n);
    for (float& x : v) x = d(gen);
    return v;
}

uint32_t bitsOf(float f)
{
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}
float fromBits(uint32_t b)
{
    float f;
    std::memcpy(&f, &b, 4);
    return f;
}

// bf16 round to nearest even, by hand (finite inputs).
float bf16(float x)
{
    const uint32_t b = bitsOf(x);
    const uint32_t r = b + 0x7FFFu + ((b >> 16) & 1u);
    return fromBits(r & 0xFFFF0000u);
}
std::vector<float> bf16All(std::vector<float> v)
{
    for (float& x : v) x = bf16(x);
    return v;
}
float f16(float x) { return qs::f16ToFloat(qs::floatToF16(x)); }

// The float64 reference of B against A over the finite pairs.
struct Ref {
    double pcc = 0, mae = 0, atol = 0, rmse = 0, sqnr = 0, sse = 0, sxx = 0;
    int64_t n = 0, identical = 0, signedZeros = 0, nans = 0;
};
Ref reference(const std::vector<float>& x, const std::vector<float>& y)
{
    Ref r;
    double sx = 0, sy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const bool nx = std::isnan(x[i]), ny = std::isnan(y[i]);
        if (nx && ny) ++r.identical, ++r.nans;
        else if (!nx && !ny && bitsOf(x[i]) == bitsOf(y[i])) ++r.identical;
        else if (!nx && !ny && x[i] == 0.0f && y[i] == 0.0f) ++r.identical, ++r.signedZeros;
        if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
        const double d = double(x[i]) - double(y[i]);
        r.mae += std::fabs(d);
        r.atol = std::max(r.atol, std::fabs(d));
        r.sse += d * d;
        r.sxx += double(x[i]) * double(x[i]);
        sx += x[i], sy += y[i];
        ++r.n;
    }
    const double mx = sx / double(r.n), my = sy / double(r.n);
    double cxy = 0, vx = 0, vy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
        cxy += (x[i] - mx) * (y[i] - my);
        vx += (x[i] - mx) * (x[i] - mx);
        vy += (y[i] - my) * (y[i] - my);
    }
    r.pcc = cxy / std::sqrt(vx * vy);
    r.mae /= double(r.n);
    r.rmse = std::sqrt(r.sse / double(r.n));
    r.sqnr = 10.0 * std::log10(r.sxx / r.sse);
    return r;
}

bool near(double got, double want, double rel = 1e-12) { return std::fabs(got - want) <= rel * std::max(1.0, std::fabs(want)); }

QJsonObject tensorNamed(const QJsonObject& doc, const QString& name)
{
    for (const QJsonValue& t : doc["tensors"].toArray())
        if (t["name"].toString() == name) return t.toObject();
    return {};
}

QJsonObject parse(const CliRun& r)
{
    QJsonParseError e;
    const QJsonDocument d = QJsonDocument::fromJson(r.out, &e);
    return e.error == QJsonParseError::NoError ? d.object() : QJsonObject();
}

} // namespace

class TestDiffCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void metricsPairingAndIdenticalRule()
    {
        QTemporaryDir a, b;
        const std::vector<float> w1 = randomValues(16 * 40, 1);
        std::vector<float> w2 = randomValues(8 * 33, 2);
        w2[5] = -0.0f;                                            // B has +0 here
        w2[9] = std::numeric_limits<float>::quiet_NaN();          // B has another NaN
        const std::vector<float> w3 = randomValues(4 * 8, 3);
        QVERIFY(writeFolder(a.path(), {{"model.l.0.w1.weight", qs::DType::F32, {16, 40}, w1},
                                       {"model.l.0.w2.weight", qs::DType::F32, {8, 33}, w2},
                                       {"model.l.0.w3.weight", qs::DType::F32, {4, 8}, w3},
                                       {"model.l.0.gone.weight", qs::DType::F32, {3, 5}, randomValues(15, 4)}}));
        const std::vector<float> b1 = bf16All(w1);  // stored BF16: decodes to exactly these
        std::vector<float> b2 = w2;
        for (size_t i = 0; i < b2.size(); i += 3) b2[i] += 0.001f;
        b2[5] = 0.0f;
        b2[9] = fromBits(0x7FC00123u);
        QVERIFY(writeFolder(b.path(), {{"model.l.0.w1.weight", qs::DType::BF16, {16, 40}, b1},
                                       {"model.l.0.w2.weight", qs::DType::F32, {8, 33}, b2},
                                       {"model.l.0.w3.weight", qs::DType::F32, {8, 4}, w3},
                                       {"model.l.0.extra.weight", qs::DType::F32, {2, 2}, {1, 2, 3, 4}}}));

        const CliRun r = runCli({"diff", a.path(), b.path(), "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject doc = parse(r);
        QCOMPARE(doc["command"].toString(), QStringLiteral("diff"));
        QCOMPARE(doc["tensors"].toArray().size(), 2);
        QVERIFY(doc["emulate"].isNull());
        QCOMPARE(doc["only_a"].toArray(), QJsonArray{QStringLiteral("model.l.0.gone.weight")});
        QCOMPARE(doc["only_b"].toArray(), QJsonArray{QStringLiteral("model.l.0.extra.weight")});
        const QJsonArray mm = doc["shape_mismatches"].toArray();
        QCOMPARE(mm.size(), 1);
        QCOMPARE(mm[0]["name"].toString(), QStringLiteral("model.l.0.w3.weight"));
        QCOMPARE(mm[0]["shape_a"].toArray(), (QJsonArray{4, 8}));
        QCOMPARE(mm[0]["shape_b"].toArray(), (QJsonArray{8, 4}));

        double pooledAbs = 0, pooledSse = 0, pooledSxx = 0;
        int64_t pooledN = 0, ident = 0, total = 0;
        for (const auto& [name, x, y, dtypeB] :
             {std::tuple{QStringLiteral("model.l.0.w1.weight"), w1, b1, QStringLiteral("BF16")},
              std::tuple{QStringLiteral("model.l.0.w2.weight"), w2, b2, QStringLiteral("F32")}}) {
            const Ref ref = reference(x, y);
            const QJsonObject t = tensorNamed(doc, name);
            QCOMPARE(t["dtype_a"].toString(), QStringLiteral("F32"));
            QCOMPARE(t["dtype_b"].toString(), dtypeB);
            const QJsonObject s = t["b_vs_a"].toObject();
            QVERIFY2(near(s["pcc"].toDouble(), ref.pcc), qPrintable(name));
            QVERIFY(near(s["mae"].toDouble(), ref.mae));
            QCOMPARE(s["atol"].toDouble(), ref.atol);
            QVERIFY(near(s["rmse"].toDouble(), ref.rmse));
            QVERIFY(near(s["sqnr_db"].toDouble(), ref.sqnr, 1e-10));
            QCOMPARE(s["count"].toInteger(), qint64(ref.n));
            QCOMPARE(s["identical"].toInteger(), qint64(ref.identical));
            QCOMPARE(s["total"].toInteger(), qint64(x.size()));
            QCOMPARE(s["signed_zero_pairs"].toInteger(), qint64(ref.signedZeros));
            QCOMPARE(s["nan_pairs"].toInteger(), qint64(ref.nans));
            QVERIFY(t["b_vs_emulated"].isNull());
            pooledAbs += ref.mae * double(ref.n), pooledSse += ref.sse, pooledSxx += ref.sxx, pooledN += ref.n;
            ident += ref.identical, total += int64_t(x.size());
        }
        // w2: +0/-0 and the two NaNs count as identical; two thirds of the rest are moved.
        const QJsonObject w2s = tensorNamed(doc, QStringLiteral("model.l.0.w2.weight"))["b_vs_a"].toObject();
        QCOMPARE(w2s["signed_zero_pairs"].toInteger(), qint64(1));
        QCOMPARE(w2s["nan_pairs"].toInteger(), qint64(1));
        QCOMPARE(w2s["identical"].toInteger(), qint64(264 - 88 + 1));
        const QJsonObject sum = doc["summary"]["b_vs_a"].toObject();
        QCOMPARE(sum["tensors"].toInt(), 2);
        QVERIFY(near(sum["weighted"]["mae"].toDouble(), pooledAbs / double(pooledN)));
        QVERIFY(near(sum["weighted"]["rmse"].toDouble(), std::sqrt(pooledSse / double(pooledN))));
        QVERIFY(near(sum["weighted"]["sqnr_db"].toDouble(), 10.0 * std::log10(pooledSxx / pooledSse), 1e-10));
        QCOMPARE(sum["identical"].toInteger(), qint64(ident));
        QCOMPARE(sum["total"].toInteger(), qint64(total));

        // The table says the same, with what could not be paired.
        const CliRun t = runCli({"diff", a.path(), b.path()});
        QVERIFY2(t.exitCode == 0, t.err.constData());
        QVERIFY2(t.out.contains("paired: 2 tensors, 1 with different shapes, 1 only in A, 1 only in B"), t.out.constData());
        QVERIFY2(t.out.contains("model.l.0.w1.weight  (16, 40)  F32 -> BF16"), t.out.constData());
        QVERIFY2(t.out.contains("Shapes differ (1, not compared)\n  model.l.0.w3.weight  A (4, 8) F32, B (8, 4) F32"), t.out.constData());
        QVERIFY2(t.out.contains("Only in A (1)\n  model.l.0.gone.weight"), t.out.constData());
        QVERIFY2(t.out.contains("Only in B (1)\n  model.l.0.extra.weight"), t.out.constData());
        QVERIFY2(t.out.contains("+0 and -0 count as equal"), t.out.constData());
        QVERIFY2(t.out.contains("(1 pairs equal only up to the sign of zero, 1 NaN pairs)"), t.out.constData());

        // A filter applies to both sides' names.
        const CliRun f = runCli({"diff", a.path(), b.path(), "w1", "--json"});
        QVERIFY2(f.exitCode == 0, f.err.constData());
        const QJsonObject fd = parse(f);
        QCOMPARE(fd["tensors"].toArray().size(), 1);
        QVERIFY(fd["only_a"].toArray().isEmpty() && fd["only_b"].toArray().isEmpty());
    }

    void emulateBf16IsExactAndAnotherFormatIsCounted()
    {
        QTemporaryDir a, b, c;
        std::vector<float> x = randomValues(32 * 64, 7);
        for (size_t i = 0; i < x.size(); i += 2) x[i] = float(int(i % 37) - 18) / 16.0f;  // exact in bf16 and f16
        QVERIFY(writeFolder(a.path(), {{"model.w.weight", qs::DType::F32, {32, 64}, x}}));
        QVERIFY(writeFolder(b.path(), {{"model.w.weight", qs::DType::BF16, {32, 64}, bf16All(x)}}));
        std::vector<float> h(x.size());
        for (size_t i = 0; i < x.size(); ++i) h[i] = f16(x[i]);
        QVERIFY(writeFolder(c.path(), {{"model.w.weight", qs::DType::F16, {32, 64}, h}}));

        const CliRun r = runCli({"diff", a.path(), b.path(), "--emulate", "bf16", "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject doc = parse(r);
        QCOMPARE(doc["emulate"].toString(), QStringLiteral("bf16"));
        const QJsonObject e = tensorNamed(doc, "model.w.weight")["b_vs_emulated"].toObject();
        QCOMPARE(e["identical"].toInteger(), qint64(x.size()));
        QCOMPARE(e["identical_fraction"].toDouble(), 1.0);
        QCOMPARE(e["pcc"].toDouble(), 1.0);
        QCOMPARE(e["mae"].toDouble(), 0.0);
        QVERIFY(e["sqnr_db"].isNull());
        QCOMPARE(e["nonfinite"]["sqnr_db"].toString(), QStringLiteral("inf"));
        QCOMPARE(doc["summary"]["b_vs_emulated"]["identical_fraction"].toDouble(), 1.0);

        // B = f16(A) against bf16(A): identical where both roundings agree (counted here).
        int64_t same = 0;
        for (size_t i = 0; i < x.size(); ++i) same += bitsOf(bf16(x[i])) == bitsOf(h[i]) || (bf16(x[i]) == 0.0f && h[i] == 0.0f);
        QVERIFY(same > int64_t(x.size()) / 2 && same < int64_t(x.size()));
        const CliRun r2 = runCli({"diff", a.path(), c.path(), "--emulate", "bf16", "--json"});
        QVERIFY2(r2.exitCode == 0, r2.err.constData());
        const QJsonObject e2 = tensorNamed(parse(r2), "model.w.weight")["b_vs_emulated"].toObject();
        QCOMPARE(e2["identical"].toInteger(), qint64(same));
        QVERIFY(near(e2["identical_fraction"].toDouble(), double(same) / double(x.size())));
        std::vector<float> q(x.size());
        for (size_t i = 0; i < x.size(); ++i) q[i] = bf16(x[i]);
        const Ref ref = reference(q, h);
        QVERIFY(near(e2["mae"].toDouble(), ref.mae));
        QCOMPARE(e2["atol"].toDouble(), ref.atol);
        QVERIFY(near(e2["pcc"].toDouble(), ref.pcc));

        const CliRun t = runCli({"diff", a.path(), c.path(), "--emulate", "bf16"});
        QVERIFY2(t.out.contains("emulate: bf16 (rows BF16(A): B against A quantized with bf16)"), t.out.constData());
        QVERIFY2(t.out.contains("Summary: B against BF16(A)"), t.out.constData());
    }

    void gptOssMxfp4AgainstItsDecoding()
    {
        QTemporaryDir q, d;
        // B: a gpt-oss MXFP4 folder, bytes written by hand; A: its decoding per docs/CHECKPOINTS.md §1.
        const int E = 2, R = 4, G = 3;
        QByteArray blocks(E * R * G * 16, '\0'), scales(E * R * G, '\0');
        for (int i = 0; i < blocks.size(); ++i) blocks[i] = char((i * 37 + 11) & 0xFF);
        for (int i = 0; i < scales.size(); ++i) scales[i] = char(118 + i % 11);
        static const float lut[16] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0.0f, -0.5f, -1, -1.5f, -2, -3, -4, -6};
        std::vector<float> dec(size_t(E * R * G * 32));
        for (int blk = 0; blk < E * R * G; ++blk)
            for (int p = 0; p < 16; ++p) {
                const uint8_t byte = uint8_t(blocks[blk * 16 + p]);
                const int s = uint8_t(scales[blk]) - 127;
                dec[size_t(blk * 32 + 2 * p)] = std::ldexp(lut[byte & 0xF], s);
                dec[size_t(blk * 32 + 2 * p + 1)] = std::ldexp(lut[byte >> 4], s);
            }
        const std::string e = "model.layers.0.mlp.experts.gate_up_proj";
        const std::vector<uint8_t> bb(blocks.begin(), blocks.end()), sb(scales.begin(), scales.end());
        QVERIFY(qs::writeSafetensors(q.filePath("model.safetensors"),
                                     {{{e + "_blocks", qs::DType::U8, {E, R, G, 16}}, bb}, {{e + "_scales", qs::DType::U8, {E, R, G}}, sb}}));
        QFile cfg(q.filePath("config.json"));
        QVERIFY(cfg.open(QIODevice::WriteOnly));
        cfg.write("{\"quantization_config\": {\"quant_method\": \"mxfp4\"}}");
        cfg.close();
        QVERIFY(writeFolder(d.path(), {{e, qs::DType::F32, {E, R, G * 32}, dec}}));

        const CliRun r = runCli({"diff", d.path(), q.path(), "--emulate", "mxfp4", "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject t = tensorNamed(parse(r), QString::fromStdString(e));
        QCOMPARE(t["dtype_b"].toString(), QStringLiteral("mxfp4 (gpt-oss)"));
        QCOMPARE(t["shape"].toArray(), (QJsonArray{E, R, G * 32}));
        const qint64 n = E * R * G * 32;
        QCOMPARE(t["b_vs_a"]["identical"].toInteger(), n);        // the layout decodes as the docs say
        QCOMPARE(t["b_vs_emulated"]["identical"].toInteger(), n); // and our MXFP4 rounds A to B exactly
        QCOMPARE(t["b_vs_emulated"]["pcc"].toDouble(), 1.0);
        int64_t zeros = 0;  // code 8 decodes to -0, which MXFP4 rounding of A keeps: no sign-only pair
        for (float v : dec) zeros += v == 0.0f;
        QVERIFY(zeros > 0);
        QCOMPARE(t["b_vs_emulated"]["signed_zero_pairs"].toInteger(), qint64(0));
    }

    void errors()
    {
        QTemporaryDir a;
        QVERIFY(writeFolder(a.path(), {{"model.w.weight", qs::DType::F32, {2, 2}, {1, 2, 3, 4}}}));
        const CliRun one = runCli({"diff", a.path()});
        QCOMPARE(one.exitCode, 1);
        QVERIFY2(one.err.contains("expected two models, A and B"), one.err.constData());
        const CliRun missing = runCli({"diff", a.path(), a.path() + "/nope"});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains("B (" + (a.path() + "/nope").toUtf8() + "): "), missing.err.constData());
        const CliRun fmt = runCli({"diff", a.path(), a.path(), "--emulate", "fp5"});
        QCOMPARE(fmt.exitCode, 1);
        QVERIFY2(fmt.err.contains("--emulate: unknown format \"fp5\""), fmt.err.constData());
        const CliRun opt = runCli({"diff", a.path(), a.path(), "--mx-scale", "rceil"});
        QCOMPARE(opt.exitCode, 1);
        QVERIFY2(opt.err.contains("give --emulate FORMAT"), opt.err.constData());
        const CliRun none = runCli({"diff", a.path(), a.path(), "nothing_like_this"});
        QCOMPARE(none.exitCode, 1);
        QVERIFY2(none.err.contains("No tensors matched"), none.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestDiffCli)
#include "test_diff_cli.moc"
