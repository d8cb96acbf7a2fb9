// --sample without a per-tensor floor (issue #11 §3/§4), through the binary on a small
// synthetic model built here: every band is drawn with probability F, so a tensor may get
// no band — its wq rows say "not sampled" (JSON metrics null, sample.bands 0), a one-band
// row has a point estimate and no interval; an atlas cell pools the sampled bands of all
// its members (checked against estimateFromBands over the members' per-band sums computed
// here); plan charges a tensor with fewer than 2 bands its cell's (else its kind's) error
// per element and says which (error_source).
#include "cli_runner.h"
#include "test_paths.h"

#include "analysis/sampling.h"
#include "compression/tile_sums.h"
#include "formats/format.h"
#include "io/safetensors_writer.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <vector>

namespace {

constexpr double kF = 0.25;

struct Synth {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> values;
};

// Rows with strongly varying scales, so bands differ.
std::vector<float> values(int64_t rows, int64_t cols, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.02f), ls(0.0f, 1.0f);
    std::vector<float> v(size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        const float s = std::exp(ls(rng));
        for (int64_t c = 0; c < cols; ++c) v[size_t(r * cols + c)] = nd(rng) * s;
    }
    return v;
}

// 2 layers x (8 experts [64, 64] = 2 bands, o_proj [64, 64] = 2 bands, up_proj [256, 64] =
// 8 bands, norm [64]).
std::vector<Synth> model()
{
    std::vector<Synth> t;
    uint64_t seed = 1;
    for (int l = 0; l < 2; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        for (int e = 0; e < 8; ++e)
            t.push_back({p + "mlp.experts." + std::to_string(e) + ".down_proj.weight", {64, 64}, values(64, 64, seed++)});
        t.push_back({p + "self_attn.o_proj.weight", {64, 64}, values(64, 64, seed++)});
        t.push_back({p + "mlp.up_proj.weight", {256, 64}, values(256, 64, seed++)});
        std::vector<float> norm(64);
        for (int i = 0; i < 64; ++i) norm[size_t(i)] = 1.0f + 0.01f * float(i);
        t.push_back({p + "input_layernorm.weight", {64}, norm});
    }
    return t;
}

int64_t bandsOf(const Synth& t, uint64_t seed)
{
    return qs::sampleBandCount((t.shape[0] + 31) / 32, kF, qs::tensorSampleSeed(seed, t.name));
}

// The first seed with: in layer 0 an expert without a band and one with a band, layer 0's
// o_proj drawn and layer 1's not (so its cell is empty: error from its kind).
uint64_t pickSeed(const std::vector<Synth>& m)
{
    std::map<std::string, const Synth*> by;
    for (const Synth& s : m) by[s.name] = &s;
    for (uint64_t seed = 1; seed < 100000; ++seed) {
        int zero = 0, one = 0;
        for (int e = 0; e < 8; ++e) {
            const int64_t k = bandsOf(*by["model.layers.0.mlp.experts." + std::to_string(e) + ".down_proj.weight"], seed);
            zero += k == 0, one += k == 1;
        }
        if (zero && one && bandsOf(*by["model.layers.0.self_attn.o_proj.weight"], seed) == 1 &&
            bandsOf(*by["model.layers.1.self_attn.o_proj.weight"], seed) == 0)
            return seed;
    }
    return 0;
}

// The sampled bands' error sums of one tensor in one format (from the 32x32 tile sums).
std::vector<qs::ErrorSums> sampledBandSums(const Synth& t, const char* format, uint64_t seed)
{
    const qs::Format* f = qs::findFormat(format);
    auto sums = qs::computeTileSums(t.values.data(), t.shape, {f}, qs::FormatOptions{});
    if (!sums) return {};
    std::vector<qs::ErrorSums> out;
    const int64_t bands = (t.shape[0] + 31) / 32;
    for (int64_t b : qs::sampleBands(bands, kF, qs::tensorSampleSeed(seed, t.name))) {
        qs::ErrorSums s(sums->shift);
        for (int64_t tw = 0; tw < sums->grid.tilesW; ++tw) s.merge(sums->at(0, b * sums->grid.tilesW + tw));
        out.push_back(s);
    }
    return out;
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool close(double a, double b, double rel = 1e-6) { return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b)) + 1e-15; }

} // namespace

class TestSampleFloorCli : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString m_model;
    std::vector<Synth> m_tensors;
    uint64_t m_seed = 0;

private Q_SLOTS:
    void initTestCase()
    {
        m_tensors = model();
        m_seed = pickSeed(m_tensors);
        QVERIFY(m_seed > 0);
        std::vector<qs::TensorData> files;
        for (const Synth& t : m_tensors)
            files.push_back({{t.name, qs::DType::F32, t.shape},
                             std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(t.values.data()), t.values.size() * 4)});
        m_model = m_tmp.filePath("synth/model.safetensors");
        QVERIFY(QDir().mkpath(m_tmp.filePath("synth")));
        QVERIFY(qs::writeSafetensors(m_model, files).ok());
    }

    void unsampledAndOneBandRows()
    {
        const QString seed = QString::number(m_seed);
        const CliRun r = runCli({"wq", m_model, "--all", "-c", "bfp4", "--sample", "0.25", "--seed", seed, "--json", "--no-results"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject doc = QJsonDocument::fromJson(r.out).object();
        int unsampled = 0, oneBand = 0, whole = 0;
        for (const auto& tv : doc["tensors"].toArray()) {
            const QJsonObject t = tv.toObject();
            const Synth* s = nullptr;
            for (const Synth& x : m_tensors)
                if (QString::fromStdString(x.name) == t["name"].toString()) s = &x;
            QVERIFY(s);
            const QJsonObject row = t["rows"].toArray()[0].toObject();
            const QJsonObject smp = row["sample"].toObject();
            if (s->shape.size() < 2) {  // norms: read whole, exact
                QCOMPARE(row["estimate"].toBool(true), false);
                ++whole;
                continue;
            }
            const int64_t k = bandsOf(*s, m_seed);
            QCOMPARE(smp["bands"].toInteger(), k);
            QCOMPARE(smp["total_bands"].toInteger(), (s->shape[0] + 31) / 32);
            if (k == 0) {
                ++unsampled;
                QCOMPARE(row["estimate"].toBool(), true);
                QCOMPARE(row["note"].toString(), QString("not sampled"));
                for (const char* key : {"pcc", "mae", "sqnr_db", "sse", "pcc_ci", "mae_ci", "sqnr_db_ci"})
                    QVERIFY2(row[key].isNull(), key);
                QCOMPARE(row["count"].toInt(), 0);
            } else if (k == 1) {
                ++oneBand;
                QVERIFY(row["pcc"].isDouble() && row["mae"].toDouble() > 0);
                QVERIFY(row["pcc_ci"].isNull() && row["mae_ci"].isNull());  // not computable from one band
                // the point estimate is the band's own metrics
                const auto bs = sampledBandSums(*s, "bfp4", m_seed);
                QCOMPARE(bs.size(), size_t(1));
                QVERIFY(close(row["mae"].toDouble(), qs::finish(bs[0]).mae));
            }
        }
        QVERIFY(unsampled > 0 && oneBand > 0 && whole == 2);

        const CliRun table = runCli({"wq", m_model, "model.layers.1.self_attn.o_proj.weight", "-c", "bfp4", "--sample", "0.25",
                                     "--seed", seed, "--no-results"});
        QVERIFY2(table.exitCode == 0, table.err.constData());
        const QString out = QString::fromUtf8(table.out);
        QVERIFY2(out.contains("shape=(64, 64) not sampled: none of its 2 bands was drawn"), qPrintable(out));
        QVERIFY2(out.contains(QRegularExpression("  none  BFP4\\s+-\\s+-\\s+-\\s+-")), qPrintable(out));
    }

    // A cell's estimate is the ratio estimator over the pooled bands of its members, with
    // the jackknife over them (FPC over the cell's bands): recomputed here from the sums.
    void atlasCellPoolsTheBands()
    {
        const QString out = m_tmp.filePath("atlas");
        const CliRun r = runCli({"atlas", m_model, "--all", "-c", "bfp4", "--sample", "0.25", "--seed", QString::number(m_seed),
                                 "--out-dir", out});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject atlas = QJsonDocument::fromJson(readAll(out + "/atlas.json")).object();
        QJsonObject cell;
        for (const auto& c : atlas["cells"].toArray())
            if (c.toObject()["layer"].toInt() == 0 && c.toObject()["kind"].toString() == "mlp.experts.*.down_proj.weight")
                cell = c.toObject();
        QVERIFY(!cell.isEmpty());
        std::vector<qs::ErrorSums> pooled;
        for (const Synth& s : m_tensors)
            if (s.name.rfind("model.layers.0.mlp.experts.", 0) == 0)
                for (const qs::ErrorSums& b : sampledBandSums(s, "bfp4", m_seed))
                    pooled.push_back(pooled.empty() ? b : qs::withShift(b, pooled.front().shift));
        QVERIFY(pooled.size() >= 2);
        const qs::SampleEstimate e = qs::estimateFromBands(pooled, 16);
        QCOMPARE(cell["tensors"].toInt(), 8);
        QCOMPARE(cell["estimate"].toBool(), true);
        QCOMPARE(cell["sample_bands"].toInteger(), int64_t(pooled.size()));
        QCOMPARE(cell["total_bands"].toInteger(), int64_t(16));
        QVERIFY2(close(cell["pcc"].toDouble(), e.metrics.pcc), qPrintable(QString::number(cell["pcc"].toDouble(), 'g', 12)));
        QVERIFY(close(cell["mae"].toDouble(), e.metrics.mae));
        QVERIFY(close(cell["sqnr_db"].toDouble(), e.metrics.sqnrDb));
        QVERIFY(close(cell["pcc_ci"].toArray()[0].toDouble(), e.pcc.lo) && close(cell["pcc_ci"].toArray()[1].toDouble(), e.pcc.hi));
        QVERIFY(close(cell["mae_ci"].toArray()[0].toDouble(), e.mae.lo) && close(cell["mae_ci"].toArray()[1].toDouble(), e.mae.hi));
        QVERIFY(close(cell["sqnr_db_ci"].toArray()[0].toDouble(), e.sqnrDb.lo));
        QVERIFY(e.mae.lo < e.mae.hi);
        // the norms' cells are exact (read whole)
        for (const auto& c : atlas["cells"].toArray())
            if (c.toObject()["kind"].toString() == "input_layernorm.weight") QCOMPARE(c.toObject()["estimate"].toBool(true), false);
    }

    // plan: >= 2 bands (or read whole) -> tensor; fewer -> its cell's error per element x
    // its elements; an empty cell -> its kind's across layers.
    void planErrorSources()
    {
        const QString out = m_tmp.filePath("plan");
        const CliRun r = runCli({"plan", m_model, "--all", "-c", "bfp4", "--bits", "16", "--sample", "0.25", "--seed",
                                 QString::number(m_seed), "--out-dir", out});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject plan = QJsonDocument::fromJson(readAll(out + "/plan.json")).object();
        std::map<QString, QJsonObject> by;
        for (const auto& t : plan["tensors"].toArray()) by[t.toObject()["tensor"].toString()] = t.toObject();
        QCOMPARE(by.size(), m_tensors.size());
        QCOMPARE(by["model.layers.0.mlp.up_proj.weight"]["error_source"].toString(), QString("tensor"));  // 2 of 8 bands
        QCOMPARE(by["model.layers.1.input_layernorm.weight"]["error_source"].toString(), QString("tensor"));
        QCOMPARE(by["model.layers.0.self_attn.o_proj.weight"]["error_source"].toString(), QString("cell"));
        QCOMPARE(by["model.layers.1.self_attn.o_proj.weight"]["error_source"].toString(), QString("kind"));
        for (int e = 0; e < 8; ++e)
            QCOMPARE(by["model.layers.0.mlp.experts." + QString::number(e) + ".down_proj.weight"]["error_source"].toString(),
                     QString("cell"));
        // the empty cell's tensor: layer 0's o_proj band, Σd² per element x 4096 elements
        const Synth* o0 = nullptr;
        for (const Synth& s : m_tensors)
            if (s.name == "model.layers.0.self_attn.o_proj.weight") o0 = &s;
        const auto band = sampledBandSums(*o0, "bfp4", m_seed);
        QCOMPARE(band.size(), size_t(1));
        const double expected = band[0].sdd / double(band[0].n) * 4096.0;
        QVERIFY2(close(by["model.layers.1.self_attn.o_proj.weight"]["sse"].toDouble(), expected),
                 qPrintable(QString::number(by["model.layers.1.self_attn.o_proj.weight"]["sse"].toDouble())));
        // the experts of layer 0: the pooled bands of the cell
        double sdd = 0, n = 0;
        for (const Synth& s : m_tensors)
            if (s.name.rfind("model.layers.0.mlp.experts.", 0) == 0)
                for (const qs::ErrorSums& b : sampledBandSums(s, "bfp4", m_seed)) sdd += b.sdd, n += double(b.n);
        QVERIFY(close(by["model.layers.0.mlp.experts.0.down_proj.weight"]["sse"].toDouble(), sdd / n * 4096.0));
    }
};

QTEST_GUILESS_MAIN(TestSampleFloorCli)
#include "test_sample_floor_cli.moc"
