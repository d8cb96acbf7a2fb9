// Atlas aggregation on a model with known values: layer/kind split, grid shape, worst
// member per cell, merged-sum aggregates equal to the metrics of the concatenated data,
// top-N order, estimate marking.
#include "analysis/atlas.h"

#include <QtTest>

using namespace qs;

namespace {

AtlasEntry entry(const std::string& name, const std::string& format, const std::vector<float>& x,
                 const std::vector<float>& y, bool estimate = false)
{
    AtlasEntry e;
    e.tensor = name;
    e.format = format;
    e.numel = int64_t(x.size());
    e.sums.shift = 0;
    e.sums.addRange(x.data(), y.data(), int64_t(x.size()));
    e.metrics = finish(e.sums);
    e.estimate = estimate;
    return e;
}

} // namespace

class TestAtlas : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void layerKinds()
    {
        auto a = layerKind("model.layers.12.self_attn.q_proj.weight");
        QCOMPARE(a.layer, 12);
        QCOMPARE(QString::fromStdString(a.kind), QString("self_attn.q_proj.weight"));
        auto b = layerKind("model.layers.3.mlp.experts.17.down_proj.weight");
        QCOMPARE(b.layer, 3);
        QCOMPARE(QString::fromStdString(b.kind), QString("mlp.experts.*.down_proj.weight"));
        auto c = layerKind("transformer.h.0.attn.c_attn.weight");
        QCOMPARE(c.layer, 0);
        QCOMPARE(QString::fromStdString(c.kind), QString("attn.c_attn.weight"));
        auto d = layerKind("model.embed_tokens.weight");
        QCOMPARE(d.layer, -1);
        QCOMPARE(QString::fromStdString(d.kind), QString("model.embed_tokens.weight"));
    }

    void metricNames()
    {
        AtlasMetric m;
        QVERIFY(parseAtlasMetric("mae", m) && m == AtlasMetric::Mae);
        QVERIFY(parseAtlasMetric("pcc", m) && m == AtlasMetric::Pcc);
        QVERIFY(parseAtlasMetric("sqnr", m) && m == AtlasMetric::Sqnr);
        QVERIFY(!parseAtlasMetric("SQNR", m));
        QCOMPARE(QString(atlasMetricUnit(AtlasMetric::Sqnr)), QString("dB"));
    }

    void knownModel()
    {
        // two layers x two kinds (the experts of layer 1 share a cell), two formats
        const std::vector<float> x{1, 2, 3, 4};
        std::vector<AtlasEntry> es{
            entry("model.layers.0.mlp.experts.0.w", "bfp4", x, {1, 2, 3, 5}),    // |d| = 1 once
            entry("model.layers.0.mlp.experts.1.w", "bfp4", x, {1, 2, 3, 4}),    // exact
            entry("model.layers.0.attn.q.weight", "bfp4", x, {1, 2, 3, 4.5f}),   // |d| = .5 once
            entry("model.layers.1.mlp.experts.0.w", "bfp4", x, {2, 3, 4, 5}, true),  // |d| = 1 x4
            entry("model.layers.0.mlp.experts.0.w", "bf16", x, x),
            entry("model.embed.weight", "bf16", x, {1, 2, 3, 3}),
        };
        const Atlas a = buildAtlas(es, AtlasMetric::Mae, 3);
        QCOMPARE(a.formats, (std::vector<std::string>{"bfp4", "bf16"}));
        QCOMPARE(a.layers, (std::vector<int>{-1, 0, 1}));
        QCOMPARE(a.kinds, (std::vector<std::string>{"attn.q.weight", "mlp.experts.*.w", "model.embed.weight"}));
        // bfp4, layer 0, experts: two members, merged mae = 1/8, worst = experts.0 (mae .25)
        const AtlasCell& c = a.cell(0, 1, 1);
        QCOMPARE(c.tensors, int64_t(2));
        QCOMPARE(c.numel, int64_t(8));
        QCOMPARE(c.aggregate.mae, 0.125);
        QCOMPARE(c.aggregate.atol, 1.0);
        QCOMPARE(c.worstValue, 0.25);
        QCOMPARE(QString::fromStdString(c.worstTensor), QString("model.layers.0.mlp.experts.0.w"));
        QVERIFY(!c.estimate);
        // the merged aggregate is exactly the metrics of the concatenated pairs
        const std::vector<float> xx{1, 2, 3, 4, 1, 2, 3, 4}, yy{1, 2, 3, 5, 1, 2, 3, 4};
        const Metrics ref = computeMetrics(xx.data(), yy.data(), 8);
        QCOMPARE(c.aggregate.pcc, ref.pcc);
        QCOMPARE(c.aggregate.sqnrDb, ref.sqnrDb);
        // an estimate member marks its cell
        QVERIFY(a.cell(0, 2, 1).estimate);
        QCOMPARE(a.cell(0, 2, 1).aggregate.mae, 1.0);
        // empty cells stay empty
        QCOMPARE(a.cell(1, 2, 1).tensors, int64_t(0));
        QCOMPARE(a.cell(1, 0, 2).aggregate.mae, 0.25);
        // top 3 by mae, worst first, ties in input order
        QCOMPARE(a.worst.size(), size_t(3));
        QCOMPARE(QString::fromStdString(a.worst[0].tensor), QString("model.layers.1.mlp.experts.0.w"));
        QCOMPARE(QString::fromStdString(a.worst[1].tensor), QString("model.layers.0.mlp.experts.0.w"));
        QCOMPARE(QString::fromStdString(a.worst[1].format), QString("bfp4"));
        QCOMPARE(QString::fromStdString(a.worst[2].tensor), QString("model.embed.weight"));
        // with sqnr the worst member is the lowest
        const Atlas s = buildAtlas(es, AtlasMetric::Sqnr);
        QCOMPARE(QString::fromStdString(s.cell(0, 1, 1).worstTensor), QString("model.layers.0.mlp.experts.0.w"));
        QCOMPARE(s.cell(0, 1, 1).worstValue, es[0].metrics.sqnrDb);
    }
};

QTEST_GUILESS_MAIN(TestAtlas)
#include "test_atlas.moc"
