// The tensor tree: TensorTree building, TensorTreeModel roles, and TensorFilterProxy's
// natural sort and WQ.md §1 filter rules (dotted prefix, substring, /regex/), with the
// parents of matches kept visible.
#include "models/tensor_filter_proxy.h"
#include "models/tensor_tree.h"
#include "models/tensor_tree_model.h"
#include "gui_test_util.h"
#include "layout_fixtures.h"

#include <QAbstractItemModelTester>
#include <QTemporaryDir>
#include <QTest>

using namespace qs;
using namespace qs::test;

class TestTreeModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void treeStructure();
    void naturalSortOfComponents();
    void roles();
    void dottedPrefixFilter();
    void substringFilter();
    void regexFilter();
    void sortByElements();
    void slashNamesFormATree();
    void quantizedTensorShowsItsParts();

private:
    QStringList childNames(const QModelIndex& parent) const;
    QStringList visibleTensors(const QModelIndex& parent = {}) const;
    QModelIndex proxyIndex(const QString& path) const;

    QTemporaryDir m_dir;
    std::shared_ptr<Model> m_model;
    TensorTreeModel* m_tree = nullptr;
    TensorFilterProxy* m_proxy = nullptr;
};

void TestTreeModel::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString path = m_dir.filePath("m.safetensors");
    std::vector<F32Tensor> t;
    for (const char* layer : {"0", "1", "2", "9", "10"})
        t.push_back({std::string("model.layers.") + layer + ".mlp.w", {2, 3}, std::vector<float>(6, 1.0f)});
    t.push_back({"model.layers.9.attn.q_proj.weight", {4, 4}, std::vector<float>(16, 0.5f)});
    t.push_back({"model.layers.1.attn.rotary.inv_freq", {8}, std::vector<float>(8, 2.0f)});
    t.push_back({"lm_head.weight", {3, 5}, std::vector<float>(15, -1.0f)});
    t.push_back({"model.norm.weight", {5}, std::vector<float>(5, 1.0f)});
    QVERIFY(writeF32(path, t));
    m_model = openLocal(path);
    QVERIFY(m_model);
    m_tree = new TensorTreeModel(this);
    m_tree->setTree(m_model, buildTensorTree(*m_model));
    new QAbstractItemModelTester(m_tree, QAbstractItemModelTester::FailureReportingMode::QtTest, this);
    m_proxy = new TensorFilterProxy(this);
    m_proxy->setSourceModel(m_tree);
    m_proxy->sort(TensorTreeModel::ColName, Qt::AscendingOrder);
    new QAbstractItemModelTester(m_proxy, QAbstractItemModelTester::FailureReportingMode::QtTest, this);
}

QStringList TestTreeModel::childNames(const QModelIndex& parent) const
{
    QStringList out;
    for (int r = 0; r < m_proxy->rowCount(parent); ++r)
        out << m_proxy->index(r, 0, parent).data(TensorTreeModel::RawRole).toString();
    return out;
}

QStringList TestTreeModel::visibleTensors(const QModelIndex& parent) const
{
    QStringList out;
    for (int r = 0; r < m_proxy->rowCount(parent); ++r) {
        const QModelIndex i = m_proxy->index(r, 0, parent);
        if (i.data(TensorTreeModel::IsTensorRole).toBool()) out << i.data(TensorTreeModel::PathRole).toString();
        out << visibleTensors(i);
    }
    return out;
}

QModelIndex TestTreeModel::proxyIndex(const QString& path) const
{
    return m_proxy->mapFromSource(m_tree->indexForPath(path));
}

void TestTreeModel::treeStructure()
{
    const TensorTree& tree = m_tree->tree();
    const int layers = tree.find("model.layers");
    QVERIFY(layers > 0);
    QCOMPARE(tree.nodes[size_t(layers)].leafCount, int64_t(7));
    QCOMPARE(tree.nodes[size_t(layers)].elements, int64_t(5 * 6 + 16 + 8));
    QCOMPARE(tree.nodes[size_t(layers)].storedBytes, uint64_t((5 * 6 + 16 + 8) * 4));
    QCOMPARE(tree.nodes[0].leafCount, int64_t(9));
    QVERIFY(tree.find("model.layers.10.mlp.w") > 0);
    QCOMPARE(tree.find("model.layers.3"), -1);
    // tensorsUnder gives the subtree's tensors only (layers.1 but not layers.10).
    const auto under = tree.tensorsUnder(tree.find("model.layers.1"), *m_model);
    QCOMPARE(under.size(), size_t(2));
    for (const auto& n : under) QVERIFY(QString::fromStdString(n).startsWith("model.layers.1."));
}

void TestTreeModel::naturalSortOfComponents()
{
    m_proxy->setFilterQuery(QString());
    QCOMPARE(childNames({}), QStringList({"lm_head", "model"}));
    QCOMPARE(childNames(proxyIndex("model.layers")), QStringList({"0", "1", "2", "9", "10"}));
    QCOMPARE(childNames(proxyIndex("model")), QStringList({"layers", "norm"}));
}

void TestTreeModel::roles()
{
    const QModelIndex layers = m_tree->indexForPath("model.layers");
    QCOMPARE(layers.data(Qt::DisplayRole).toString(), QStringLiteral("layers  (7)"));
    QCOMPARE(layers.data(TensorTreeModel::IsTensorRole).toBool(), false);
    const QModelIndex q = m_tree->indexForPath("model.layers.9.attn.q_proj.weight");
    QCOMPARE(q.data(Qt::DisplayRole).toString(), QStringLiteral("weight"));
    QCOMPARE(q.data(TensorTreeModel::IsTensorRole).toBool(), true);
    QCOMPARE(q.siblingAtColumn(TensorTreeModel::ColDType).data().toString(), QStringLiteral("F32"));
    QCOMPARE(q.siblingAtColumn(TensorTreeModel::ColShape).data().toString(), QStringLiteral("(4, 4)"));
    QCOMPARE(q.siblingAtColumn(TensorTreeModel::ColElements).data(TensorTreeModel::RawRole).toLongLong(), 16);
    QCOMPARE(q.siblingAtColumn(TensorTreeModel::ColStored).data().toString(), QStringLiteral("64 B"));
    QCOMPARE(withThousands(1234567), QStringLiteral("1,234,567"));
    QCOMPARE(humanBytes(1536.0), QStringLiteral("1.5 KiB"));
    QVERIFY(q.data(Qt::ToolTipRole).toString().contains("model.layers.9.attn.q_proj.weight"));
}

void TestTreeModel::dottedPrefixFilter()
{
    m_proxy->setFilterQuery("model.layers.1");
    QVERIFY(m_proxy->isFiltering());
    QStringList shown = visibleTensors();
    shown.sort();
    QCOMPARE(shown, QStringList({"model.layers.1.attn.rotary.inv_freq", "model.layers.1.mlp.w"}));
    // The parents of the matches stay visible; layers.10 does not match the prefix.
    QCOMPARE(childNames(proxyIndex("model.layers")), QStringList({"1"}));
    QCOMPARE(childNames({}), QStringList({"model"}));
    // Case-insensitive, empty parts dropped.
    m_proxy->setFilterQuery("MODEL..Layers.10");
    QCOMPARE(visibleTensors(), QStringList({"model.layers.10.mlp.w"}));
    m_proxy->setFilterQuery(QString());
    QCOMPARE(visibleTensors().size(), 9);
}

void TestTreeModel::substringFilter()
{
    m_proxy->setFilterQuery("Q_PROJ");
    QCOMPARE(visibleTensors(), QStringList({"model.layers.9.attn.q_proj.weight"}));
    QCOMPARE(childNames(proxyIndex("model.layers")), QStringList({"9"}));
    m_proxy->setFilterQuery("weight");
    QStringList shown = visibleTensors();
    QCOMPARE(shown, QStringList({"lm_head.weight", "model.layers.9.attn.q_proj.weight", "model.norm.weight"}));
    m_proxy->setFilterQuery("no-such-thing");
    QCOMPARE(m_proxy->rowCount(), 0);
    m_proxy->setFilterQuery(QString());
}

void TestTreeModel::regexFilter()
{
    m_proxy->setFilterQuery("/mlp\\.w$/");
    QCOMPARE(visibleTensors().size(), 5);
    QVERIFY(m_proxy->filterError().isEmpty());
    m_proxy->setFilterQuery("/layers\\.(9|10)\\./");
    QCOMPARE(visibleTensors(), QStringList({"model.layers.9.attn.q_proj.weight", "model.layers.9.mlp.w",
                                            "model.layers.10.mlp.w"}));
    m_proxy->setFilterQuery("/[unclosed/");
    QCOMPARE(m_proxy->rowCount(), 0);
    QVERIFY(m_proxy->filterError().contains("invalid regular expression"));
    QVERIFY(!m_proxy->matches(QStringLiteral("model.norm.weight")));
    m_proxy->setFilterQuery(QString());
    QVERIFY(m_proxy->filterError().isEmpty());
}

void TestTreeModel::sortByElements()
{
    m_proxy->sort(TensorTreeModel::ColElements, Qt::DescendingOrder);
    // Top level: model (69 elements) before lm_head (15).
    QCOMPARE(childNames({}), QStringList({"model", "lm_head"}));
    m_proxy->sort(TensorTreeModel::ColName, Qt::AscendingOrder);
    QCOMPARE(childNames({}), QStringList({"lm_head", "model"}));
}

// #9.4: TF-style names ('/' separators) form a tree like dotted names; a node's path is
// the name's prefix with its own separators; groups sort naturally (conv2d_2 < conv2d_10).
void TestTreeModel::slashNamesFormATree()
{
    const QString path = m_dir.filePath("tf.safetensors");
    std::vector<F32Tensor> t;
    for (const char* n : {"net/conv2d_10/kernel", "net/conv2d_2/kernel", "net/conv2d_2/bias", "net/dense.1/kernel"})
        t.push_back({n, {2, 2}, std::vector<float>(4, 1.0f)});
    QVERIFY(writeF32(path, t));
    auto model = openLocal(path);
    QVERIFY(model);
    TensorTreeModel tree;
    tree.setTree(model, buildTensorTree(*model));
    TensorFilterProxy proxy;
    proxy.setSourceModel(&tree);
    proxy.sort(TensorTreeModel::ColName, Qt::AscendingOrder);
    QCOMPARE(proxy.rowCount(), 1);
    const QModelIndex net = proxy.index(0, 0);
    QCOMPARE(net.data().toString(), QString("net  (4)"));
    QStringList kids;
    for (int r = 0; r < proxy.rowCount(net); ++r) kids << proxy.index(r, 0, net).data().toString().section("  ", 0, 0);
    QCOMPARE(kids, (QStringList{"conv2d_2", "conv2d_10", "dense", }));
    const QModelIndex conv = tree.indexForPath("net/conv2d_2");
    QVERIFY(conv.isValid());
    QCOMPARE(tree.rowCount(conv), 2);
    QVERIFY(tree.indexForPath("net/dense.1/kernel").isValid());
}

// Issue #10: a gpt-oss MXFP4 tensor shows its layout label as dtype and its two stored
// parts as child rows (name, dtype, shape, elements, bytes) that cannot be selected and
// are never analysed; a filter on the tensor shows its parts with it.
void TestTreeModel::quantizedTensorShowsItsParts()
{
    const QString dir = m_dir.filePath("gpt-oss");
    QVERIFY(fixtures::writeFolder(fixtures::mxfp4Case(), dir));
    auto model = openLocal(dir);
    QVERIFY(model);
    TensorTreeModel tree;
    tree.setTree(model, buildTensorTree(*model));
    QAbstractItemModelTester tester(&tree, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QString e = "model.layers.0.mlp.experts.gate_up_proj";
    const QModelIndex t = tree.indexForPath(e);
    QVERIFY(t.isValid());
    QVERIFY(t.data(TensorTreeModel::IsTensorRole).toBool());
    QVERIFY(!t.data(TensorTreeModel::IsPartRole).toBool());
    QCOMPARE(t.data(Qt::DisplayRole).toString(), QString("gate_up_proj"));  // a tensor, not a group "(n)"
    QCOMPARE(t.siblingAtColumn(TensorTreeModel::ColDType).data().toString(), QString("mxfp4 (gpt-oss)"));
    QCOMPARE(t.siblingAtColumn(TensorTreeModel::ColShape).data().toString(), QString("(2, 3, 64)"));
    // stored bytes of the logical tensor: both parts (192 + 12)
    QCOMPARE(t.siblingAtColumn(TensorTreeModel::ColStored).data(TensorTreeModel::RawRole).toULongLong(), quint64(204));
    QCOMPARE(tree.rowCount(t), 2);
    const QModelIndex blocks = tree.index(0, 0, t), scales = tree.index(1, 0, t);
    QCOMPARE(blocks.data().toString(), e + "_blocks");
    QCOMPARE(scales.data().toString(), e + "_scales");
    QVERIFY(blocks.data(TensorTreeModel::IsPartRole).toBool());
    QVERIFY(!blocks.data(TensorTreeModel::IsTensorRole).toBool());
    QCOMPARE(blocks.siblingAtColumn(TensorTreeModel::ColDType).data().toString(), QString("U8"));
    QCOMPARE(blocks.siblingAtColumn(TensorTreeModel::ColShape).data().toString(), QString("(2, 3, 2, 16)"));
    QCOMPARE(blocks.siblingAtColumn(TensorTreeModel::ColElements).data(TensorTreeModel::RawRole).toLongLong(), qint64(192));
    QCOMPARE(blocks.siblingAtColumn(TensorTreeModel::ColStored).data(TensorTreeModel::RawRole).toULongLong(), quint64(192));
    QCOMPARE(scales.siblingAtColumn(TensorTreeModel::ColShape).data().toString(), QString("(2, 3, 2)"));
    QCOMPARE(scales.siblingAtColumn(TensorTreeModel::ColStored).data().toString(), QString("12 B"));
    QVERIFY(!(tree.flags(blocks) & Qt::ItemIsSelectable));
    QVERIFY(tree.flags(blocks) & Qt::ItemIsEnabled);
    QVERIFY(tree.flags(t) & Qt::ItemIsSelectable);
    // never analysed: the subtree's tensors are the logical tensor alone; totals count it once
    const int node = tree.nodeOf(t);
    QCOMPARE(tree.tree().tensorsUnder(node, *model), std::vector<std::string>{e.toStdString()});
    QCOMPARE(tree.tree().tensorsUnder(0, *model),
             (std::vector<std::string>{e.toStdString(), "model.norm.weight"}));
    QCOMPARE(tree.tree().nodes[0].leafCount, int64_t(2));
    QCOMPARE(tree.tree().find(e + "_blocks"), -1);  // parts are not paths of the tree
    // a filter that matches the tensor shows its parts with it
    TensorFilterProxy proxy;
    proxy.setSourceModel(&tree);
    proxy.setFilterQuery("gate_up");
    const QModelIndex pt = proxy.mapFromSource(t);
    QVERIFY(pt.isValid());
    QCOMPARE(proxy.rowCount(pt), 2);
    proxy.setFilterQuery("norm");
    QVERIFY(!proxy.mapFromSource(blocks).isValid());
}

QTEST_MAIN(TestTreeModel)
#include "test_tree_model.moc"
