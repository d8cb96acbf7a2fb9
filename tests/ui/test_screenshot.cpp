// Starts the real binary under Xvfb (xcb platform, not offscreen) on the demo model with
// the hidden --screenshot option, waits for it to save a grab of its window, and checks
// the PNG is a real picture of the explorer (size, many distinct colours, not mostly
// one colour). Skipped when xvfb-run is not installed.
#include "gui_test_util.h"
#include "test_paths.h"

#include <QImage>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <map>

class TestScreenshot : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void explorerWindowUnderXvfb();
    void missingPathOpensTheWindowWithTheError();
};

void TestScreenshot::explorerWindowUnderXvfb()
{
    const QString xvfb = QStandardPaths::findExecutable(QStringLiteral("xvfb-run"));
    if (xvfb.isEmpty()) QSKIP("xvfb-run is not installed (apt-get install xvfb)");
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString png = tmp.filePath("shot.png");

    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));  // the real xcb platform on the Xvfb display
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), tmp.filePath("config"));  // fresh settings
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), tmp.path());
    env.insert(QStringLiteral("QS_DEMO_DIR"), qs::test::demoDir());
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(xvfb, {"-a", "-s", "-screen 0 1600x1000x24", qs::test::binaryPath(), qs::test::demoDir(), "--screenshot", png,
                   "--screenshot-tensor", "model.layers.0.mlp.down_proj.weight", "--screenshot-size", "1400x900"});
    QVERIFY(p.waitForStarted(10000));
    QVERIFY2(p.waitForFinished(90000), "the binary did not save its screenshot within 90 s");
    const QString out = QString::fromUtf8(p.readAll());
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, qPrintable(out));
    QVERIFY2(out.contains("wrote " + png), qPrintable(out));

    const QImage img(png);
    QVERIFY(!img.isNull());
    QCOMPARE(img.size(), QSize(1400, 900));
    std::map<QRgb, int> colours;
    int samples = 0;
    for (int y = 0; y < img.height(); y += 2)
        for (int x = 0; x < img.width(); x += 2) {
            ++colours[img.pixel(x, y) & 0xFFFFFF];
            ++samples;
        }
    int top = 0;
    for (const auto& [c, n] : colours) top = std::max(top, n);
    QVERIFY2(colours.size() > 300, qPrintable(QStringLiteral("only %1 distinct colours").arg(colours.size())));
    QVERIFY2(top < samples * 0.85, "one colour covers most of the window: blank?");
}

void TestScreenshot::missingPathOpensTheWindowWithTheError()
{
    // `quantscope /no/such/path` with a display: the window opens and shows the error in its
    // banner, as File › Open would (offscreen platform; the hidden --screenshot option
    // makes it save a grab and quit, and say what the window shows).
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString png = tmp.filePath("missing.png");
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), tmp.filePath("config"));
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), tmp.path());
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    const QString missing = tmp.filePath("no/such/path");
    p.start(qs::test::binaryPath(), {missing, "--screenshot", png});
    QVERIFY(p.waitForFinished(60000));
    const QString out = QString::fromUtf8(p.readAll());
    QVERIFY2(p.exitCode() == 0, qPrintable(out));
    QVERIFY2(out.contains("the window shows: ") && out.contains(missing) && out.contains("not found"), qPrintable(out));
    QVERIFY2(out.contains("wrote " + png), qPrintable(out));
    QVERIFY(!QImage(png).isNull());

    // A word that is neither a command, a path nor a Hub id is still a typo on stderr.
    p.start(qs::test::binaryPath(), {"lsit"});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(QString::fromUtf8(p.readAll()).contains("\"lsit\" is not a command, a local path or a Hub repo id"));
}

QTEST_GUILESS_MAIN(TestScreenshot)
#include "test_screenshot.moc"
