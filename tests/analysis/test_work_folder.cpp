// WorkFolder: results are built under a temporary name and renamed; a discarded run
// (cancelled, failed) leaves nothing behind, not even the empty parents it created
// (issue #15 §4: "a cancelled run leaves empty results/<model>/<algo>/ folders").
#include "analysis/work_folder.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace qs;

class TestWorkFolder : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void discardRemovesTheParentsItMade();
    void discardKeepsWhatOthersHave();
    void commitRenames();
};

void TestWorkFolder::discardRemovesTheParentsItMade()
{
    QTemporaryDir tmp;
    const QString parent = tmp.filePath("results/model/mixed-tile-greedy");
    auto f = WorkFolder::create(parent, "20261204-010203");
    QVERIFY(f.ok());
    QVERIFY(QFileInfo(f->workPath()).isDir());
    QFile file(QDir(f->workPath()).filePath("table.txt"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    f->discard();
    QVERIFY(!QFileInfo::exists(tmp.filePath("results")));
    QVERIFY(QFileInfo(tmp.path()).isDir());  // what existed before stays
}

void TestWorkFolder::discardKeepsWhatOthersHave()
{
    QTemporaryDir tmp;
    QVERIFY(QDir().mkpath(tmp.filePath("results/model/none/20261204-000000")));  // an earlier run
    auto f = WorkFolder::create(tmp.filePath("results/model/mixed-tile-greedy"), "20261204-010203");
    QVERIFY(f.ok());
    f->discard();
    QVERIFY(!QFileInfo::exists(tmp.filePath("results/model/mixed-tile-greedy")));
    QVERIFY(QFileInfo(tmp.filePath("results/model/none/20261204-000000")).isDir());
}

void TestWorkFolder::commitRenames()
{
    QTemporaryDir tmp;
    auto f = WorkFolder::create(tmp.filePath("results/m/none"), "stamp");
    QVERIFY(f.ok());
    QVERIFY(f->commit().ok());
    QCOMPARE(f->finalPath(), tmp.filePath("results/m/none/stamp"));
    QVERIFY(QFileInfo(f->finalPath()).isDir());
    QCOMPARE(QDir(tmp.filePath("results/m/none")).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
             QStringList{"stamp"});
}

QTEST_GUILESS_MAIN(TestWorkFolder)
#include "test_work_folder.moc"
