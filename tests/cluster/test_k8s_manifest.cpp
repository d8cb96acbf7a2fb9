// packaging/cluster/quantscope-indexed-job.yaml checked structurally (there is no
// cluster here and no YAML library in the dependencies): a small reader for the block
// YAML subset the file uses (maps, lists, "key: value", folded scalars, comments, "---")
// flattens each document to paths like spec.template.spec.containers[0].image, and the
// test checks what an Indexed Job and its merge Job need: completionMode Indexed,
// completions = parallelism = the shard count given to --shard auto/N, restartPolicy,
// the shared ReadWriteMany volume mounted by both (shards and range cache on it), and a
// merge that reads the folder the shards write.
#include "test_paths.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

#include <map>
#include <vector>

namespace {

using Doc = std::map<QString, QString>;  // flattened path -> scalar

QString scalar(QString v)
{
    const qsizetype hash = v.indexOf(QLatin1String(" #"));
    if (hash >= 0 && !v.startsWith('"')) v = v.left(hash);
    v = v.trimmed();
    if (v.size() >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith('\'') && v.endsWith('\''))))
        v = v.mid(1, v.size() - 2);
    if (v.startsWith('"')) v = v.mid(1, v.indexOf('"', 1) - 1);  // "x"  # comment
    return v;
}

// Flattens one document. Returns an error text, or "" on success.
QString flatten(const QStringList& lines, Doc& out)
{
    struct Level { int indent; QString name; int items; };
    std::vector<Level> stack;
    auto pathOf = [&](const QString& key) {
        QString p;
        for (const Level& l : stack) p += (l.name.startsWith('[') || p.isEmpty() ? "" : ".") + l.name;
        if (!key.isEmpty()) p += (key.startsWith('[') || p.isEmpty() ? "" : ".") + key;
        return p;
    };
    for (qsizetype i = 0; i < lines.size(); ++i) {
        QString line = lines[i];
        if (line.contains('\t')) return QStringLiteral("line with a tab: ") + line;
        if (line.trimmed().isEmpty() || line.trimmed().startsWith('#')) continue;
        int indent = int(line.indexOf(line.trimmed()));
        QString text = line.trimmed();
        while (text.startsWith(QLatin1String("- ")) || text == QLatin1String("-")) {  // a list item
            // close deeper levels and a previous item of this list (a key at this indent stays:
            // "key:\n- item" lists at the key's own indent)
            while (!stack.empty() && (stack.back().indent > indent || (stack.back().indent == indent && stack.back().name.startsWith('['))))
                stack.pop_back();
            if (stack.empty()) return QStringLiteral("list item without a key: ") + line;
            const int n = stack.back().items++;
            stack.push_back({indent, QStringLiteral("[%1]").arg(n), 0});
            text = text.mid(1).trimmed();
            indent += 2;
            if (text.isEmpty()) break;
        }
        if (text.isEmpty()) continue;
        while (!stack.empty() && stack.back().indent >= indent) stack.pop_back();
        const qsizetype colon = text.indexOf(QRegularExpression(QStringLiteral(":( |$)")));
        auto block = [&](const QString& style, int base) {  // a folded or literal scalar below this line
            QStringList b;
            while (i + 1 < lines.size() && (lines[i + 1].trimmed().isEmpty() || lines[i + 1].indexOf(lines[i + 1].trimmed()) > base))
                b << lines[++i].trimmed();
            return b.join(style == QLatin1String("|") ? "\n" : " ").trimmed();
        };
        auto isBlock = [](const QString& v) { return v == QLatin1String(">-") || v == QLatin1String(">") || v == QLatin1String("|"); };
        if (colon < 0) {  // a list scalar ("- ReadWriteMany", "- >-" and its lines)
            out[pathOf(QString())] = isBlock(text) ? block(text, indent - 2) : scalar(text);
            continue;
        }
        const QString key = text.left(colon).trimmed();
        const QString value = text.mid(colon + 1).trimmed();
        if (isBlock(value)) {
            out[pathOf(key)] = block(value, indent);
        } else if (value.isEmpty()) {
            stack.push_back({indent, key, 0});
        } else if (value.startsWith('[')) {  // a flow list of scalars
            const QStringList items = value.mid(1, value.lastIndexOf(']') - 1).split(',');
            for (qsizetype k = 0; k < items.size(); ++k) out[pathOf(key) + QStringLiteral("[%1]").arg(k)] = scalar(items[k]);
        } else {
            out[pathOf(key)] = scalar(value);
        }
    }
    return QString();
}

std::vector<Doc> readManifest(const QString& path, QString* error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = "cannot read " + path;
        return {};
    }
    std::vector<Doc> docs;
    QStringList current;
    const QStringList lines = QString::fromUtf8(f.readAll()).split('\n');
    auto flush = [&] {
        Doc d;
        const QString e = flatten(current, d);
        if (!e.isEmpty()) *error = e;
        if (!d.empty()) docs.push_back(d);
        current.clear();
    };
    for (const QString& l : lines) {
        if (l.trimmed() == QLatin1String("---")) flush();
        else current << l;
    }
    flush();
    return docs;
}

const Doc* findDoc(const std::vector<Doc>& docs, const QString& kind, const QString& name)
{
    for (const Doc& d : docs)
        if (d.count("kind") && d.at("kind") == kind && d.count("metadata.name") && d.at("metadata.name") == name) return &d;
    return nullptr;
}

QString get(const Doc& d, const QString& path) { return d.count(path) ? d.at(path) : QString(); }

// The claim a pod template mounts at `mountPath` for container path `container`.
QString claimMountedAt(const Doc& job, const QString& container, QString* mountPath)
{
    const QString spec = QStringLiteral("spec.template.spec.");
    const QString volumeName = get(job, spec + container + ".volumeMounts[0].name");
    *mountPath = get(job, spec + container + ".volumeMounts[0].mountPath");
    for (int v = 0; v < 8; ++v)
        if (get(job, spec + QStringLiteral("volumes[%1].name").arg(v)) == volumeName)
            return get(job, spec + QStringLiteral("volumes[%1].persistentVolumeClaim.claimName").arg(v));
    return QString();
}

} // namespace

class TestK8sManifest : public QObject {
    Q_OBJECT

    std::vector<Doc> m_docs;

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        m_docs = readManifest(qs::test::sourcePath("packaging/cluster/quantscope-indexed-job.yaml"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(m_docs.size(), size_t(4));
        for (const Doc& d : m_docs) {
            QVERIFY(!get(d, "apiVersion").isEmpty());
            QVERIFY(!get(d, "kind").isEmpty());
            QVERIFY(!get(d, "metadata.name").isEmpty());
        }
    }

    void readerFlattensTheSubset()
    {
        Doc d;
        QVERIFY(flatten({"a:", "  b: 1  # c", "  l:", "    - x: \"y\"", "      z: w", "    - v", "  f: >-", "    one", "    two", "  g:", "    - >-", "      three", "      four",
                         "  m: [\"p\", q]"}, d).isEmpty());
        QCOMPARE(get(d, "a.b"), QStringLiteral("1"));
        QCOMPARE(get(d, "a.l[0].x"), QStringLiteral("y"));
        QCOMPARE(get(d, "a.l[0].z"), QStringLiteral("w"));
        QCOMPARE(get(d, "a.l[1]"), QStringLiteral("v"));
        QCOMPARE(get(d, "a.f"), QStringLiteral("one two"));
        QCOMPARE(get(d, "a.m[1]"), QStringLiteral("q"));
        QCOMPARE(get(d, "a.g[0]"), QStringLiteral("three four"));
    }

    void indexedJobRunsTheShards()
    {
        const Doc* job = findDoc(m_docs, "Job", "quantscope-shards");
        const Doc* cm = findDoc(m_docs, "ConfigMap", "quantscope-run");
        QVERIFY(job && cm);
        QCOMPARE(get(*job, "apiVersion"), QStringLiteral("batch/v1"));
        QCOMPARE(get(*job, "spec.completionMode"), QStringLiteral("Indexed"));
        const int completions = get(*job, "spec.completions").toInt();
        QVERIFY(completions > 0);
        QCOMPARE(get(*job, "spec.parallelism").toInt(), completions);
        QCOMPARE(get(*cm, "data.QS_SHARDS").toInt(), completions);  // auto/N with N = completions
        QVERIFY(!get(*cm, "data.QS_MODEL").isEmpty());
        const QString restart = get(*job, "spec.template.spec.restartPolicy");
        QVERIFY2(restart == "Never" || restart == "OnFailure", qPrintable(restart));
        const QString c = "spec.template.spec.containers[0].";
        QVERIFY(!get(*job, c + "image").isEmpty());
        QCOMPARE(get(*job, c + "envFrom[0].configMapRef.name"), get(*cm, "metadata.name"));
        const QString cmd = get(*job, c + "args[0]");
        QVERIFY2(cmd.contains("quantscope wq") && cmd.contains("--shard \"auto/$QS_SHARDS\""), qPrintable(cmd));
        // shards and cache on the shared volume
        QString mount;
        const QString claim = claimMountedAt(*job, "containers[0]", &mount);
        const Doc* pvc = findDoc(m_docs, "PersistentVolumeClaim", claim);
        QVERIFY2(pvc, qPrintable("no PersistentVolumeClaim " + claim));
        QCOMPARE(get(*pvc, "spec.accessModes[0]"), QStringLiteral("ReadWriteMany"));
        QVERIFY2(cmd.contains("--cache-dir " + mount + "/") && cmd.contains("--results-dir " + mount + "/shards"), qPrintable(cmd));
    }

    void mergeJobReadsTheShards()
    {
        const Doc* shards = findDoc(m_docs, "Job", "quantscope-shards");
        const Doc* merge = findDoc(m_docs, "Job", "quantscope-merge");
        QVERIFY(shards && merge);
        QVERIFY(get(*merge, "spec.completionMode").isEmpty() || get(*merge, "spec.completionMode") == "NonIndexed");
        QCOMPARE(get(*merge, "spec.completions"), QStringLiteral("1"));
        QString shardMount, mergeMount;
        const QString shardClaim = claimMountedAt(*shards, "containers[0]", &shardMount);
        QCOMPARE(claimMountedAt(*merge, "containers[0]", &mergeMount), shardClaim);
        QString initMount;
        QCOMPARE(claimMountedAt(*merge, "initContainers[0]", &initMount), shardClaim);
        const QString c = "spec.template.spec.containers[0].";
        QCOMPARE(get(*merge, c + "command[0]"), QStringLiteral("quantscope"));
        QCOMPARE(get(*merge, c + "command[1]"), QStringLiteral("merge"));
        QCOMPARE(get(*merge, c + "command[2]"), mergeMount + "/shards");
        QCOMPARE(get(*merge, c + "command[3]"), QStringLiteral("--out"));
        // the wait counts the shard folders of this run
        QVERIFY(get(*merge, "spec.template.spec.initContainers[0].args[0]").contains("-shard-*-of-$QS_SHARDS"));
    }
};

QTEST_GUILESS_MAIN(TestK8sManifest)
#include "test_k8s_manifest.moc"
