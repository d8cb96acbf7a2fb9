// Natural order and tensor selection: every golden filter query (expected.json), the
// default selection, regex/limit additions and the error messages.
#include "io/selection.h"
#include "test_paths.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <algorithm>
#include <random>
#include <set>

using namespace qs;

namespace {

QJsonObject expectedJson()
{
    QFile f(qs::test::goldenPath(QStringLiteral("model/expected.json")));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

std::vector<std::string> strings(const QJsonArray& a)
{
    std::vector<std::string> out;
    for (const auto& v : a) out.push_back(v.toString().toStdString());
    return out;
}

std::vector<std::string> naturallySorted(std::vector<std::string> v)
{
    naturalSort(v);
    return v;
}

} // namespace

class TestSelection : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void naturalOrder()
    {
        QVERIFY(naturalLess("layers.2", "layers.10"));
        QVERIFY(!naturalLess("layers.10", "layers.2"));
        QVERIFY(naturalLess("layers.9.mlp", "layers.10.attn"));
        QVERIFY(naturalLess("a", "a.b"));
        QVERIFY(naturalLess("a.b", "a_b"));       // '.' < '_' byte-wise
        QVERIFY(naturalLess("x1y", "x01z"));      // value first: equal 1, then 'y' < 'z'
        QVERIFY(naturalLess("x1", "x01"));        // equal value: fewer leading zeros first
        QVERIFY(!naturalLess("x01", "x1"));
        QVERIFY(!naturalLess("same", "same"));
        QVERIFY(naturalLess("w99999999999999999999998", "w99999999999999999999999"));  // beyond 64 bits
        QVERIFY(naturalLess("w9", "w99999999999999999999999"));
        QVERIFY(naturalLess("", "a"));
        QVERIFY(naturalLess("experts.2.w", "experts.10.w"));
        QVERIFY(naturalLess("Z", "a"));  // byte-wise outside digit runs

        // Strict weak order on random strings: irreflexive, asymmetric, transitive.
        std::mt19937 rng(7);
        const char alphabet[] = "ab.0019";
        std::vector<std::string> v;
        for (int i = 0; i < 300; ++i) {
            std::string s;
            const int len = int(rng() % 7);
            for (int k = 0; k < len; ++k) s += alphabet[rng() % 7];
            v.push_back(s);
        }
        for (const auto& a : v) {
            QVERIFY(!naturalLess(a, a));
            for (const auto& b : v) {
                if (naturalLess(a, b)) QVERIFY(!naturalLess(b, a));
                if (a != b) QVERIFY(naturalLess(a, b) || naturalLess(b, a));  // total
            }
        }
        naturalSort(v);
        for (size_t i = 1; i < v.size(); ++i) QVERIFY(!naturalLess(v[i], v[i - 1]));
    }

    void goldenFilterQueries()
    {
        const QJsonObject e = expectedJson();
        QVERIFY(!e.isEmpty());
        const std::vector<std::string> names = strings(e.value("all_index_tensors").toArray());
        QCOMPARE(names.size(), size_t(16));
        const QJsonArray queries = e.value("filter_queries").toArray();
        QVERIFY(queries.size() >= 10);
        for (const auto& qv : queries) {
            const QJsonObject q = qv.toObject();
            const QStringList argv = q.value("argv").toVariant().toStringList();
            auto r = selectTensors(names, argv);
            if (q.contains("error")) {
                QVERIFY2(!r.ok(), qPrintable(argv.join(' ')));
                QCOMPARE(r.error().exitCode, 1);
                const QString query = q.value("query").toString();
                QCOMPARE(QString::fromStdString(r.error().message), "No tensors matched \"" + query + "\".");
                continue;
            }
            QVERIFY2(r.ok(), qPrintable(argv.join(' ')));
            // #9.4: a FILTER selects among all tensors (the original's filter_tensor_names_on_all),
            // FP8 scales aside; the original applied it inside the "weight" candidates first
            // ("selected"). The reference sorts byte-wise, we sort naturally.
            std::vector<std::string> expected;
            for (const auto& n : strings(q.value("filter_tensor_names_on_all").toArray()))
                if (!QString::fromStdString(n).endsWith("_scale_inv")) expected.push_back(n);
            if (argv.join(' ').trimmed().isEmpty() || expected.empty())  // the default; or only scales match
                expected = strings(q.value(argv.join(' ').trimmed().isEmpty() ? "selected" : "filter_tensor_names_on_all").toArray());
            QCOMPARE(std::set<std::string>(r->begin(), r->end()), std::set<std::string>(expected.begin(), expected.end()));
            QCOMPARE(*r, naturallySorted(expected));
            // The plain filter over all names (filter_tensor_names_on_all).
            const QString query = argv.join(' ').trimmed();
            std::vector<std::string> onAll;
            for (const auto& n : names)
                if (query.isEmpty() || matchesQuery(n, query)) onAll.push_back(n);
            const auto expectedAll = strings(q.value("filter_tensor_names_on_all").toArray());
            QCOMPARE(std::set<std::string>(onAll.begin(), onAll.end()),
                     std::set<std::string>(expectedAll.begin(), expectedAll.end()));
        }
        // The default selection equals selected_tensors.
        auto def = selectTensors(names, QStringList{});
        QVERIFY(def.ok());
        const auto sel = strings(e.value("selected_tensors").toArray());
        QCOMPARE(*def, naturallySorted(sel));
    }

    void naturalOrderIsApplied()
    {
        const std::vector<std::string> names = {"model.layers.10.w.weight", "model.layers.2.w.weight",
                                                "model.layers.1.w.weight", "model.layers.1.w.weight_scale_inv"};
        auto r = selectTensors(names, QStringList{"model.layers"});
        QVERIFY(r.ok());
        QCOMPARE(*r, (std::vector<std::string>{"model.layers.1.w.weight", "model.layers.2.w.weight",
                                                "model.layers.10.w.weight"}));
        auto one = selectTensors(names, QStringList{"model.layers.1"});
        QVERIFY(one.ok());
        QCOMPARE(*one, (std::vector<std::string>{"model.layers.1.w.weight"}));  // not layers.10
    }

    void dottedQueryRules()
    {
        QVERIFY(matchesQuery("model.layers.1.mlp.w", "model.layers.1"));
        QVERIFY(!matchesQuery("model.layers.10.x", "model.layers.1"));
        QVERIFY(matchesQuery("Model.Layers.0.x", "model..LAYERS.0."));  // empty parts dropped, case-insensitive
        QVERIFY(!matchesQuery("model.layers.1.experts.0.w", "experts.0"));  // anchored at the root
        QVERIFY(matchesQuery("a.b", "."));                                  // no parts: everything
        QVERIFY(!matchesQuery("a", "a.b"));
        QVERIFY(matchesQuery("model.o_proj.weight", "O_PROJ"));             // substring, case-insensitive
        QVERIFY(isDefaultCandidate("x.WEIGHT"));
        QVERIFY(!isDefaultCandidate("x.weight_scale_inv"));
        QVERIFY(!isDefaultCandidate("rotary.inv_freq"));
    }

    void fallbackToAllNames()
    {
        const std::vector<std::string> names = {"a.inv_freq", "b.bias"};
        auto r = selectTensors(names, QStringList{});  // no candidates: all names
        QVERIFY(r.ok());
        QCOMPARE(*r, names);
    }

    void regexAndLimit()
    {
        const std::vector<std::string> names = {"m.layers.0.q.weight", "m.layers.1.q.weight", "m.layers.2.k.weight",
                                                "m.layers.10.q.weight", "m.layers.1.q.weight_scale_inv"};
        auto r = selectTensors(names, QStringList{}, QStringLiteral("q\\.weight$"));
        QVERIFY(r.ok());
        QCOMPARE(*r, (std::vector<std::string>{"m.layers.0.q.weight", "m.layers.1.q.weight", "m.layers.10.q.weight"}));
        auto both = selectTensors(names, QStringList{"m.layers.1"}, QStringLiteral("q\\."));
        QVERIFY(both.ok());
        QCOMPARE(*both, (std::vector<std::string>{"m.layers.1.q.weight"}));
        auto scale = selectTensors(names, QStringList{}, QStringLiteral("scale_inv$"));  // falls back to all
        QVERIFY(scale.ok());
        QCOMPARE(*scale, (std::vector<std::string>{"m.layers.1.q.weight_scale_inv"}));
        auto lim = selectTensors(names, QStringList{"weight"}, QString(), 2);
        QVERIFY(lim.ok());
        QCOMPARE(*lim, (std::vector<std::string>{"m.layers.0.q.weight", "m.layers.1.q.weight"}));
        auto dotted = selectTensors(names, std::vector<std::string>{"m.layers.2"}, std::string(), 0);
        QVERIFY(dotted.ok());
        QCOMPARE(*dotted, (std::vector<std::string>{"m.layers.2.k.weight"}));
        QVERIFY(!selectTensors(names, std::vector<std::string>{"layers.2"}).ok());  // anchored at the root

        auto bad = selectTensors(names, QStringList{}, QStringLiteral("(unclosed"));
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().exitCode, 1);
        QVERIFY(QString::fromStdString(bad.error().message).startsWith("Invalid --regex \"(unclosed\""));

        auto none = selectTensors(names, QStringList{"k"}, QStringLiteral("^zzz"));
        QVERIFY(!none.ok());
        QCOMPARE(QString::fromStdString(none.error().message), QString("No tensors matched \"k\" with --regex \"^zzz\"."));
        auto none2 = selectTensors(names, QStringList{}, QStringLiteral("^zzz"));
        QCOMPARE(QString::fromStdString(none2.error().message), QString("No tensors matched --regex \"^zzz\"."));
        auto empty = selectTensors({}, QStringList{});
        QVERIFY(!empty.ok());
        QCOMPARE(empty.error().exitCode, 1);
    }

    // #9.4: --regex . selects every tensor (the original found only the "weight" ones);
    // --all selects every tensor but FP8 scales; no filter keeps the original default.
    void filtersSelectAmongAllTensors()
    {
        const std::vector<std::string> names = {"a.weight", "a.weight_scale_inv", "a.bias", "b.inv_freq", "c.weight"};
        auto re = selectTensors(names, QStringList{}, QStringLiteral("."));
        QVERIFY(re.ok());
        QCOMPARE(re->size(), names.size());
        auto all = selectTensors(names, QStringList{}, QString(), 0, true);
        QVERIFY(all.ok());
        QCOMPARE(*all, (std::vector<std::string>{"a.bias", "a.weight", "b.inv_freq", "c.weight"}));
        auto def = selectTensors(names, QStringList{});
        QCOMPARE(*def, (std::vector<std::string>{"a.weight", "c.weight"}));
        auto word = selectTensors(names, QStringList{"a"});
        QCOMPARE(*word, (std::vector<std::string>{"a.bias", "a.weight"}));
    }

    void wordsAreJoinedAndTrimmed()
    {
        const std::vector<std::string> names = {"mlp down_proj.weight", "mlp.down_proj.weight"};
        auto r = selectTensors(names, QStringList{" mlp", "down_proj "});
        QVERIFY(r.ok());
        QCOMPARE(*r, (std::vector<std::string>{"mlp down_proj.weight"}));
        auto blank = selectTensors(names, QStringList{"  ", ""});  // blank -> no filter
        QVERIFY(blank.ok());
        QCOMPARE(blank->size(), size_t(2));
    }
};

QTEST_GUILESS_MAIN(TestSelection)
#include "test_selection.moc"
