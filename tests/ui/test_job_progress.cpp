// The status line and bar value of a background job (issue #15 §2): the real phase,
// "tensor n of N", bytes or elements done, a time estimate, and a bar that moves through
// each tensor's share instead of filling on the first tensor.
#include "jobs/job_progress.h"

#include <QPromise>
#include <QFuture>
#include <QTest>

using namespace qs;

class TestJobProgress : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void countTexts();
    void etaTexts();
    void itemsShareTheBarByWeight();
    void phasesRefineTheItem();
    void textOnlyChangesReachTheFuture();
};

void TestJobProgress::countTexts()
{
    QCOMPARE(progressCountText(3, 12, "tensors"), QStringLiteral("3 of 12 tensors"));
    QCOMPARE(progressCountText(4200000, 16777216, "elements"), QStringLiteral("4.2 M of 16.8 M elements"));
    QCOMPARE(progressCountText(12345, 999999, "elements"), QStringLiteral("12,345 of 999,999 elements"));
    QCOMPARE(progressCountText(512, 1000, "B"), QStringLiteral("512 of 1000 B"));
    QCOMPARE(progressCountText(3 << 20, 80 << 20, "B"), QStringLiteral("3.0 of 80.0 MiB"));
    QCOMPARE(progressCountText(5, 7, ""), QStringLiteral("5 of 7"));
    QVERIFY(progressCountText(0, 0, "B").isEmpty());
}

void TestJobProgress::etaTexts()
{
    QVERIFY(progressEtaText(0.5, 1.0).isEmpty());   // too early to tell
    QVERIFY(progressEtaText(0.01, 10.0).isEmpty()); // too little done
    QCOMPARE(progressEtaText(0.5, 12.0), QStringLiteral("about 12 s left"));
    QCOMPARE(progressEtaText(0.25, 40.0), QStringLiteral("about 2 min 00 s left"));
    QCOMPARE(progressEtaText(0.1, 500.0), QStringLiteral("about 1 h 15 min left"));
}

void TestJobProgress::itemsShareTheBarByWeight()
{
    JobProgressState s;
    s.setTitle("Analyzing");
    s.setItemWeights({1, 3});  // the second tensor is three times larger
    s.phase("[1/2] a.weight");
    QCOMPARE(s.fraction(), 0.0);
    s.report(50, 100, "elements");
    QCOMPARE(s.fraction(), 0.125);
    s.phase("[2/2] b.weight");
    QCOMPARE(s.fraction(), 0.25);
    s.report(100, 100, "elements");
    QCOMPARE(s.fraction(), 1.0);

    // Without weights: equal shares; inside a span set by the job.
    JobProgressState e;
    e.setSpan(0.5, 1.0);
    e.phase("[2/4] x");
    QCOMPARE(e.fraction(), 0.625);
}

void TestJobProgress::phasesRefineTheItem()
{
    JobProgressState s;
    s.setTitle("Analyzing selection");
    s.phase("[3/12] model.layers.0.mlp.down_proj.weight");
    QCOMPARE(s.text(0.5), QStringLiteral("Analyzing selection: tensor 3 of 12 (model.layers.0.mlp.down_proj.weight)"));
    s.phase("quantizing");
    s.report(4200000, 16777216, "elements");
    QCOMPARE(s.text(0.5),
             QStringLiteral("Analyzing selection: tensor 3 of 12 (model.layers.0.mlp.down_proj.weight) · quantizing "
                            "4.2 M of 16.8 M elements"));
    // With time elapsed, an estimate: 2/12 + 0.25/12 done after 13.5 s -> 58.5 s left.
    s.report(4194304, 16777216, "elements");
    QVERIFY2(s.text(13.5).endsWith(" · about 59 s left"), qPrintable(s.text(13.5)));

    // A job without items: its phase and byte count.
    JobProgressState open;
    open.setTitle("Opening org/model");
    open.phase("reading safetensors headers");
    open.report(2, 5, "files");
    QCOMPARE(open.text(0), QStringLiteral("Opening org/model: reading safetensors headers 2 of 5 files"));
}

void TestJobProgress::textOnlyChangesReachTheFuture()
{
    // QFuture ignores a progress text whose value does not grow: a new phase with no
    // progress yet must still show.
    QPromise<int> promise;
    QFuture<int> future = promise.future();
    promise.start();
    {
        PromiseProgress<int> p(promise);
        p.setText("Job");
        p.phase("[1/1] t");
        p.report(10, 10, "elements");
        const int full = future.progressValue();
        QTest::qWait(60);  // past QFuture's 25-per-second throttle
        p.phase("writing");
        QVERIFY(future.progressValue() > full);
        QVERIFY(future.progressValue() < future.progressMaximum());
        QCOMPARE(future.progressText(), QStringLiteral("Job: tensor 1 of 1 (t) · writing"));
    }
    promise.finish();
}

QTEST_GUILESS_MAIN(TestJobProgress)
#include "test_job_progress.moc"
