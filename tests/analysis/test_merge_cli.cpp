// `--shard K/N` and `quantscope merge` end to end on the demo model: the merged output of
// wq (plain and mixed-tile), atlas, plan and export equals one run over everything
// (table.txt byte for byte except the TIME(s) column, results.json except "seconds",
// artefacts, atlas.json/csv/PNGs, plan.json/csv, the exported file), and every refusal
// says which folders and shards are wrong.
#include "cli_runner.h"
#include "report_compare.h"
#include "test_paths.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using qs::test::maskTiming;
using qs::test::withoutSeconds;

namespace {

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void writeAll(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
}

// The one results folder below dir whose name ends in `suffix` ("" = the only one).
QString folderBelow(const QString& dir, const QString& suffix = QString())
{
    QStringList found;
    QDirIterator it(dir, {QStringLiteral("results.json")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString d = QFileInfo(it.next()).path();
        if (suffix.isEmpty() || d.endsWith(suffix)) found << d;
    }
    return found.size() == 1 ? found.front() : QString();
}

QStringList filesBelow(const QString& dir)
{
    QStringList out;
    QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) out << QDir(dir).relativeFilePath(it.next());
    out.sort();
    return out;
}

bool copyTree(const QString& from, const QString& to)
{
    for (const QString& rel : filesBelow(from)) {
        QDir().mkpath(QFileInfo(QDir(to).filePath(rel)).path());
        if (!QFile::copy(QDir(from).filePath(rel), QDir(to).filePath(rel))) return false;
    }
    return true;
}

} // namespace

class TestMergeCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_demo;

    QString path(const QString& rel) const { return m_tmp.filePath(rel); }

    // wq over the demo model, shards 1..n into <dir>/ (or one run with n == 0).
    void runWq(const QStringList& extra, const QString& dir, int n)
    {
        for (int k = n ? 1 : 0; k <= n; ++k) {
            QStringList args = QStringList{"wq", m_demo} + extra + QStringList{"--results-dir", path(dir)};
            if (n) args << "--shard" << QStringLiteral("%1/%2").arg(k).arg(n);
            const CliRun r = runCli(args);
            QVERIFY2(r.exitCode == 0, r.err.constData());
            if (n) QVERIFY2(r.out.contains(QStringLiteral("shard: %1/%2 - ").arg(k).arg(n).toUtf8()), r.out.constData());
            if (!n) break;
        }
    }

    QString shard(const QString& dir, int k, int n) const
    {
        return folderBelow(path(dir), QStringLiteral("-shard-%1-of-%2").arg(k).arg(n));
    }

    CliRun merge(const QStringList& inputs, const QString& out = QString())
    {
        QStringList args = QStringList{"merge"} + inputs;
        if (!out.isEmpty()) args << "--out" << out;
        return runCli(args, m_tmp.path());
    }

    void expectRefusal(const QStringList& inputs, const QString& message)
    {
        const CliRun r = merge(inputs, path("refused"));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(QString::fromUtf8(r.err).contains(message), qPrintable("expected: " + message + "\ngot: " + r.err));
        QVERIFY(!QFileInfo::exists(path("refused")));
    }

    void compareWithSingle(const QString& single, const QString& merged)
    {
        QCOMPARE(maskTiming(readAll(merged + "/table.txt")), maskTiming(readAll(single + "/table.txt")));
        QCOMPARE(withoutSeconds(readAll(merged + "/results.json")), withoutSeconds(readAll(single + "/results.json")));
        QCOMPARE(readAll(merged + "/compression_config.used.json"), readAll(single + "/compression_config.used.json"));
        QCOMPARE(filesBelow(merged), filesBelow(single));
        for (const QString& f : filesBelow(single))
            if (!f.endsWith(".json") && !f.endsWith(".txt")) QVERIFY2(readAll(merged + "/" + f) == readAll(single + "/" + f), qPrintable(f));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_demo = qs::test::demoDirPath();
        QVERIFY2(QFileInfo::exists(m_demo + "/model.safetensors.index.json"), qPrintable(m_demo));
        runWq({"-c", "bf16,bfp8", "--summary"}, "wq-shards", 3);
        runWq({"-c", "bf16,bfp8", "--summary"}, "wq-single", 0);
    }

    void shardFolderIsMarked()
    {
        const QString s2 = shard("wq-shards", 2, 3);
        QVERIFY(!s2.isEmpty());
        const QByteArray table = readAll(s2 + "/table.txt");
        QVERIFY2(table.startsWith("shard: 2/3 - "), table.constData());
        const QJsonObject sh = QJsonDocument::fromJson(readAll(s2 + "/results.json")).object().value("shard").toObject();
        QCOMPARE(sh.value("index").toInt(), 2);
        QCOMPARE(sh.value("count").toInt(), 3);
        QCOMPARE(sh.value("commit").toString(), QStringLiteral("local"));
        QCOMPARE(sh.value("command").toString(), QStringLiteral("wq"));
        QCOMPARE(sh.value("selection_tensors").toInt(), 16);
        QCOMPARE(sh.value("fingerprint").toString().size(), 16);
        // the parts cover the selection once, balanced by bytes
        int tensors = 0;
        double lo = 1e300, hi = 0;
        for (int k = 1; k <= 3; ++k) {
            const QJsonObject s = QJsonDocument::fromJson(readAll(shard("wq-shards", k, 3) + "/results.json")).object();
            tensors += s.value("tensors").toArray().size();
            QCOMPARE(s.value("shard").toObject().value("fingerprint"), sh.value("fingerprint"));
            const double b = s.value("shard").toObject().value("part_bytes").toDouble();
            lo = std::min(lo, b), hi = std::max(hi, b);
        }
        QCOMPARE(tensors, 16);
        QVERIFY2(hi - lo <= 262144, qPrintable(QString("%1 %2").arg(lo).arg(hi)));  // within the largest tensor
    }

    void wqMergeEqualsSingleRun()
    {
        const CliRun r = merge({path("wq-shards")}, path("wq-merged"));
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.contains("merged 3 shards (16 tensors, commit local)"), r.err.constData());
        compareWithSingle(folderBelow(path("wq-single")), path("wq-merged"));
        // folders given one by one, in any order, work the same
        const CliRun again = merge({shard("wq-shards", 3, 3), shard("wq-shards", 1, 3), shard("wq-shards", 2, 3)},
                                   path("wq-merged-2"));
        QVERIFY2(again.exitCode == 0, again.err.constData());
        QCOMPARE(readAll(path("wq-merged-2/results.json")), readAll(path("wq-merged/results.json")));
    }

    void mixedTileMergeGathersArtefacts()
    {
        const QString cfg = qs::test::sourcePath("compression_configs/compression_config.mixed_tile_threshold.example.json");
        const QStringList args = {"--regex", "o_proj|q_a", "-c", "bf16,bfp8,bfp4,bfp2", "--compression-config", cfg};
        runWq(args, "mixed-shards", 2);
        runWq(args, "mixed-single", 0);
        const CliRun r = merge({path("mixed-shards")}, path("mixed-merged"));
        QVERIFY2(r.exitCode == 0, r.err.constData());
        compareWithSingle(folderBelow(path("mixed-single")), path("mixed-merged"));
        QVERIFY(filesBelow(path("mixed-merged")).filter("_assignment.npy").size() == 6);
    }

    void atlasAndPlanMergeEqualSingleRun()
    {
        for (int k = 1; k <= 3; ++k) {
            const QString sk = QStringLiteral("%1/3").arg(k);
            CliRun a = runCli({"atlas", m_demo, "-c", "bfp8,bfp4", "--metric", "pcc", "--shard", sk, "--out-dir", path("atlas-shards")});
            QVERIFY2(a.exitCode == 0, a.err.constData());
            CliRun p = runCli({"plan", m_demo, "-c", "bf16,bfp8,bfp4,bfp2", "--bits", "5", "--shard", sk, "--out-dir", path("plan-shards")});
            QVERIFY2(p.exitCode == 0, p.err.constData());
        }
        const CliRun a1 = runCli({"atlas", m_demo, "-c", "bfp8,bfp4", "--metric", "pcc", "--out-dir", path("atlas-single")});
        QVERIFY2(a1.exitCode == 0, a1.err.constData());
        const CliRun am = merge({path("atlas-shards")}, path("atlas-merged"));
        QVERIFY2(am.exitCode == 0, am.err.constData());
        QCOMPARE(am.out, a1.out);  // the worst-20 report
        QCOMPARE(filesBelow(path("atlas-merged")), filesBelow(path("atlas-single")));
        for (const QString& f : filesBelow(path("atlas-single")))
            QVERIFY2(readAll(path("atlas-merged/") + f) == readAll(path("atlas-single/") + f), qPrintable(f));

        const CliRun p1 = runCli({"plan", m_demo, "-c", "bf16,bfp8,bfp4,bfp2", "--bits", "5", "--out-dir", path("plan-single")});
        QVERIFY2(p1.exitCode == 0, p1.err.constData());
        const CliRun pm = merge({path("plan-shards")}, path("plan-merged"));
        QVERIFY2(pm.exitCode == 0, pm.err.constData());
        QCOMPARE(pm.out, p1.out);
        QCOMPARE(readAll(path("plan-merged/plan.json")), readAll(path("plan-single/plan.json")));
        QCOMPARE(readAll(path("plan-merged/plan.csv")), readAll(path("plan-single/plan.csv")));
        // atlas shards and plan shards never mix
        expectRefusal({shard("atlas-shards", 1, 3), shard("plan-shards", 2, 3), shard("plan-shards", 3, 3)},
                      "is a shard of atlas but " + shard("plan-shards", 2, 3) + " of plan");
    }

    void exportMergeEqualsSingleFile()
    {
        for (int k = 1; k <= 3; ++k) {
            const CliRun e = runCli({"export", m_demo, "mlp", "-c", "bfp4", "--dtype", "bf16", "--shard",
                                     QStringLiteral("%1/3").arg(k), "--out", path("exp.safetensors")});
            QVERIFY2(e.exitCode == 0, e.err.constData());
            QVERIFY2(e.err.contains(QStringLiteral("exp-0000%1-of-00003.safetensors (shard %1/3 of 5 tensors)").arg(k).toUtf8()),
                     e.err.constData());
        }
        const CliRun one = runCli({"export", m_demo, "mlp", "-c", "bfp4", "--dtype", "bf16", "--out", path("single.safetensors")});
        QVERIFY2(one.exitCode == 0, one.err.constData());
        const QStringList parts = {path("exp-00001-of-00003.safetensors"), path("exp-00002-of-00003.safetensors"),
                                   path("exp-00003-of-00003.safetensors")};
        const CliRun m = merge(parts, path("merged.safetensors"));
        QVERIFY2(m.exitCode == 0, m.err.constData());
        QCOMPARE(readAll(path("merged.safetensors")), readAll(path("single.safetensors")));
        // refusals: a part missing, a file that is no shard
        CliRun r = merge({parts[0], parts[2]}, path("x.safetensors"));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("shard 2/3 is missing"), r.err.constData());
        r = merge({parts[0], path("single.safetensors")}, path("x.safetensors"));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("single.safetensors is not a shard of an export"), r.err.constData());
        QVERIFY(!QFileInfo::exists(path("x.safetensors")));
    }

    void refusesMissingAndDuplicateShards()
    {
        const QString s1 = shard("wq-shards", 1, 3), s2 = shard("wq-shards", 2, 3), s3 = shard("wq-shards", 3, 3);
        expectRefusal({s1, s3}, "merge: shard 2/3 is missing; given: 1/3 (" + s1 + "), 3/3 (" + s3 + ")");
        expectRefusal({s2}, "merge: shards 1/3, 3/3 are missing; given: 2/3 (" + s2 + ")");
        QVERIFY(copyTree(s1, path("dup/copy-of-1")));
        expectRefusal({s1, s2, s3, path("dup/copy-of-1")}, "merge: shard 1/3 is given 2 times: " + path("dup/copy-of-1") + ", " + s1);
        // a shard of another split (1/2) among 1/3, 2/3, 3/3
        runWq({"-c", "bf16,bfp8", "--summary"}, "halves", 2);
        expectRefusal({s1, shard("halves", 2, 2), s3}, "is shard 1/3 but " + shard("halves", 2, 2) + " is shard 2/2: the shard counts differ");
        // a single run's folder
        expectRefusal({s1, folderBelow(path("wq-single"))}, folderBelow(path("wq-single")) + " is not a shard folder");
    }

    void sampledAtlasMergeEqualsSingleRun()
    {
        // --sample (#11 §3): the shards' estimates and intervals come back from results.json
        for (int k = 1; k <= 2; ++k) {
            CliRun a = runCli({"atlas", m_demo, "-c", "bfp8,bfp4", "--sample", "0.25", "--seed", "9", "--shard",
                               QStringLiteral("%1/2").arg(k), "--out-dir", path("satlas-shards")});
            QVERIFY2(a.exitCode == 0, a.err.constData());
        }
        const CliRun a1 = runCli({"atlas", m_demo, "-c", "bfp8,bfp4", "--sample", "0.25", "--seed", "9", "--out-dir", path("satlas-single")});
        QVERIFY2(a1.exitCode == 0, a1.err.constData());
        QVERIFY(a1.out.contains("(estimate)"));
        const CliRun am = merge({path("satlas-shards")}, path("satlas-merged"));
        QVERIFY2(am.exitCode == 0, am.err.constData());
        QCOMPARE(am.out, a1.out);
        for (const char* f : {"atlas.json", "atlas.csv"}) QVERIFY2(readAll(path("satlas-merged/") + f) == readAll(path("satlas-single/") + f), f);
        QVERIFY(readAll(path("satlas-merged/atlas.json")).contains("\"pcc_ci\": ["));
        // another seed is another sample: its shard does not merge with these
        CliRun other = runCli({"atlas", m_demo, "-c", "bfp8,bfp4", "--sample", "0.25", "--seed", "10", "--shard", "2/2",
                               "--out-dir", path("satlas-seed")});
        QVERIFY2(other.exitCode == 0, other.err.constData());
        expectRefusal({shard("satlas-shards", 1, 2), shard("satlas-seed", 2, 2)},
                      "come from different selections or options (fingerprint ");
    }

    void refusesOtherCommitsSelectionsAndOptions()
    {
        const QString s1 = shard("wq-shards", 1, 3), s2 = shard("wq-shards", 2, 3), s3 = shard("wq-shards", 3, 3);
        // another commit
        QVERIFY(copyTree(s2, path("commit/s2")));
        QByteArray json = readAll(path("commit/s2/results.json"));
        json.replace("\"commit\": \"local\"", "\"commit\": \"0123456789abcdef0123456789abcdef01234567\"");
        writeAll(path("commit/s2/results.json"), json);
        expectRefusal({s1, path("commit/s2"), s3}, "merge: " + s1 + " was made from commit local but " + path("commit/s2") +
                                                        " from commit 0123456789abcdef0123456789abcdef01234567");
        // other formats, other format options, another selection
        runWq({"-c", "bf16", "--summary", "--shard", "2/3"}, "fmt", 0);
        expectRefusal({s1, folderBelow(path("fmt")), s3}, "come from different runs: formats bf16, bfp8 vs bf16");
        runWq({"-c", "bf16,bfp8", "--summary", "--bfp-optimize", "--shard", "2/3"}, "opt", 0);
        expectRefusal({s1, folderBelow(path("opt")), s3}, "come from different runs: format options (defaults) vs --bfp-optimize");
        runWq({"-c", "bf16,bfp8", "--shard", "2/3"}, "nosummary", 0);
        expectRefusal({s1, folderBelow(path("nosummary")), s3}, "come from different runs: --summary on vs off");
        runWq({"layers", "-c", "bf16,bfp8", "--summary", "--shard", "2/3"}, "sel", 0);
        expectRefusal({s1, folderBelow(path("sel")), s3}, "merge: " + s1 + " and " + folderBelow(path("sel")) +
                                                               " come from different selections or options (fingerprint ");
    }

    void refusesIncompleteFolders()
    {
        const QString s1 = shard("wq-shards", 1, 3), s2 = shard("wq-shards", 2, 3), s3 = shard("wq-shards", 3, 3);
        QVERIFY(copyTree(s3, path("inc/no-table")));
        QFile::remove(path("inc/no-table/table.txt"));
        expectRefusal({s1, s2, path("inc/no-table")}, path("inc/no-table") + " is not a complete shard folder: it has no table.txt");
        QVERIFY(copyTree(s3, path("inc/.x.123.abcdef.incomplete")));
        expectRefusal({s1, s2, path("inc/.x.123.abcdef.incomplete")},
                      "is not a complete shard folder: it is the work folder of a run that did not finish");
        // results.json cut short: a tensor fewer than the shard's part
        QVERIFY(copyTree(s3, path("inc/short")));
        QJsonObject doc = QJsonDocument::fromJson(readAll(path("inc/short/results.json"))).object();
        QJsonArray tensors = doc.value("tensors").toArray();
        const int had = int(tensors.size());
        tensors.removeLast();
        doc["tensors"] = tensors;
        writeAll(path("inc/short/results.json"), QJsonDocument(doc).toJson());
        expectRefusal({s1, s2, path("inc/short")}, QStringLiteral("is not a complete shard folder: it holds %1 tensors, its shard 3/3 has %2")
                                                          .arg(had - 1).arg(had));
        writeAll(path("inc/short/results.json"), "{\"tensors\": ");
        expectRefusal({s1, s2, path("inc/short")}, "is not a complete shard folder: its results.json is not a results document");
        // a mixed-tile artefact missing
        const QString m1 = shard("mixed-shards", 1, 2);
        QVERIFY(!m1.isEmpty());
        QVERIFY(copyTree(m1, path("inc/mixed")));
        const QStringList npys = filesBelow(path("inc/mixed")).filter("_assignment.npy");
        QVERIFY(!npys.isEmpty());
        QFile::remove(path("inc/mixed/") + npys.front());
        expectRefusal({path("inc/mixed"), shard("mixed-shards", 2, 2)}, "is not a complete shard folder: the artefact " + npys.front());
        // nothing to merge, an --out that is taken
        const CliRun none = merge({path("inc/nothing-here")});
        QCOMPARE(none.exitCode, 1);
        QDir().mkpath(path("empty"));
        const CliRun empty = merge({path("empty")});
        QVERIFY2(empty.err.contains("holds no results folder of a sharded run"), empty.err.constData());
        QDir().mkpath(path("taken"));
        writeAll(path("taken/file"), "x");
        const CliRun taken = merge({s1, s2, s3}, path("taken"));
        QCOMPARE(taken.exitCode, 1);
        QVERIFY2(taken.err.contains("exists and is not an empty folder"), taken.err.constData());
    }

    void shardFlagErrors()
    {
        CliRun r = runCli({"wq", m_demo, "--shard", "4/3", "--no-results"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("--shard 4/3: K must be a whole number from 1 to 3 (K counts from 1)"), r.err.constData());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* v : {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX",
                              "JOB_COMPLETION_INDEX"})
            env.remove(v);
        r = runCli({"atlas", m_demo, "--shard", "auto", "--out-dir", path("never")}, QString(), env);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("--shard auto: none of SLURM_ARRAY_TASK_ID"), r.err.constData());
        // auto from a Kubernetes index: JOB_COMPLETION_INDEX=1 with auto/3 is shard 2/3
        env.insert("JOB_COMPLETION_INDEX", "1");
        r = runCli({"wq", m_demo, "-c", "bf16,bfp8", "--summary", "--shard", "auto/3", "--results-dir", path("k8s")}, QString(), env);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(folderBelow(path("k8s")).endsWith("-shard-2-of-3"));
        // and from a Slurm array task
        env.remove("JOB_COMPLETION_INDEX");
        env.insert("SLURM_ARRAY_TASK_ID", "2");
        env.insert("SLURM_ARRAY_TASK_MIN", "0");
        env.insert("SLURM_ARRAY_TASK_MAX", "2");
        r = runCli({"wq", m_demo, "-c", "bf16,bfp8", "--summary", "--shard", "auto", "--results-dir", path("slurm")}, QString(), env);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(folderBelow(path("slurm")).endsWith("-shard-3-of-3"));
        // the k8s shard 2/3 merges with the others
        const CliRun m = merge({shard("wq-shards", 1, 3), folderBelow(path("k8s")), folderBelow(path("slurm"))}, path("mixed-origin"));
        QVERIFY2(m.exitCode == 0, m.err.constData());
        QCOMPARE(withoutSeconds(readAll(path("mixed-origin/results.json"))), withoutSeconds(readAll(path("wq-merged/results.json"))));
    }
};

QTEST_GUILESS_MAIN(TestMergeCli)
#include "test_merge_cli.moc"
