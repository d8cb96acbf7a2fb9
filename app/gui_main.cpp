// The explorer window's entry point: `quantscope [MODEL]`. Hidden options for the
// README screenshot, the screenshot test and a look at the window (all but --screenshot
// also act without it):
//   --screenshot PATH        save a grab of the window as PNG once the model is shown
//                            (or at once without MODEL) and quit (exit 0, 3 on failure)
//   --screenshot-tensor NAME select this tensor first (default: the first weight)
//   --screenshot-tab N       plot tab to show (0 transfer .. 3 heat map, 4 importance, 5 staircase)
//   --screenshot-size WxH    window size (default 1480x940)
//   --screenshot-importance SPEC  load this importance file (File › Open importance…) first
//   --screenshot-analyze     run Analyze selection over every weight (filter /weight$/) first
//   --screenshot-compare M   File › Compare with… model M (folder or Hub id) first
//   --screenshot-atlas       run the Atlas page over every weight (filter /weight$/) and show it
//   --screenshot-budget P    then move its budget slider to position P (0..1000: the plan)
// and --revision R for MODEL.
#include "commands.h"

#include "atlas/atlas_view.h"
#include "main_window.h"
#include "widgets/tensor_view.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <QSlider>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>

namespace {

struct ScreenshotOptions {
    QString path;
    QString tensor;
    QString revision;
    int tab = -1;
    QSize size{1480, 940};
    QString importance;
    QString compare;
    bool analyze = false;
    bool atlas = false;
    int budget = -1;
};

ScreenshotOptions parseHidden(const QStringList& args)
{
    ScreenshotOptions o;
    o.analyze = args.contains(QStringLiteral("--screenshot-analyze"));
    o.atlas = args.contains(QStringLiteral("--screenshot-atlas"));
    for (int i = 0; i + 1 < args.size(); ++i) {
        const QString& a = args[i];
        if (a == "--screenshot-importance") o.importance = args[i + 1];
        if (a == "--screenshot-compare") o.compare = args[i + 1];
        if (a == "--screenshot") o.path = args[i + 1];
        else if (a == "--screenshot-tensor") o.tensor = args[i + 1];
        else if (a == "--revision") o.revision = args[i + 1];
        else if (a == "--screenshot-tab") o.tab = args[i + 1].toInt();
        else if (a == "--screenshot-budget") o.budget = args[i + 1].toInt();
        else if (a == "--screenshot-size") {
            const QStringList wh = args[i + 1].split('x');
            if (wh.size() == 2 && wh[0].toInt() > 100 && wh[1].toInt() > 100) o.size = QSize(wh[0].toInt(), wh[1].toInt());
        }
    }
    return o;
}

// Saves the window once no job runs any more (checked every 100 ms, at most 60 s).
void grabWhenIdle(qs::MainWindow* w, const QString& path)
{
    auto* timer = new QTimer(w);
    auto* waited = new int(0);
    QObject::connect(timer, &QTimer::timeout, w, [w, timer, waited, path] {
        *waited += 100;
        if (w->isBusy() && *waited < 60000) return;
        timer->stop();
        delete waited;
        // Let the last replots land, then grab.
        QTimer::singleShot(300, w, [w, path] {
            const QPixmap shot = w->grab();
            const bool ok = shot.save(path, "PNG");
            std::fprintf(ok ? stdout : stderr, "%s %s\n", ok ? "wrote" : "error: cannot write",
                         path.toLocal8Bit().constData());
            QApplication::exit(ok ? 0 : 3);
        });
    });
    timer->start(100);
}

} // namespace

int runGui(int argc, char** argv, const QString& modelArg)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("quantscope"));
    QApplication::setOrganizationName(QStringLiteral("QuantScope"));
    QApplication::setApplicationDisplayName(QStringLiteral("QuantScope"));
    QApplication::setApplicationVersion(QStringLiteral(QS_VERSION));

    const ScreenshotOptions shot = parseHidden(QApplication::arguments());
    qs::MainWindow window;
    if (!shot.path.isEmpty()) window.resize(shot.size);
    window.show();

    // Without --screenshot the steps below run too (for looking at the window, e.g. with
    // window-tree); the grab needs --screenshot.
    const bool grab = !shot.path.isEmpty();
    if (shot.tab >= 0) window.tensorView()->tabs()->setCurrentIndex(shot.tab);
    auto done = [&window, shot, grab] {
        if (grab) grabWhenIdle(&window, shot.path);
    };
    if (grab && modelArg.isEmpty()) {
        done();
    } else if (!modelArg.isEmpty() && (grab || !shot.importance.isEmpty() || shot.analyze || shot.atlas ||
                                      !shot.tensor.isEmpty() || !shot.compare.isEmpty())) {
        QObject::connect(&window, &qs::MainWindow::modelOpened, &window, [&window, shot, done] {
            if (!shot.tensor.isEmpty()) window.selectTensor(shot.tensor);
            // Then the importance file and the analysis, if asked for; the grab waits
            // until the last step has started its jobs.
            auto analyzeAndGrab = [&window, shot, done] {
                if (shot.analyze) {
                    window.setFilterText(QStringLiteral("/weight$/"));
                    window.analyzeSelection();
                }
                if (shot.atlas) {
                    auto* atlas = window.findChild<qs::AtlasView*>();
                    window.setFilterText(QStringLiteral("/weight$/"));
                    window.pages()->setCurrentWidget(atlas);
                    if (shot.budget >= 0)
                        QObject::connect(atlas, &qs::AtlasView::finished, atlas, [atlas, shot](bool ok) {
                            if (ok) atlas->budgetSlider()->setValue(shot.budget);
                        }, Qt::SingleShotConnection);
                    atlas->runOnSelection();
                }
                done();
            };
            auto importanceThen = [&window, shot, done, analyzeAndGrab] {
                if (shot.importance.isEmpty()) return analyzeAndGrab();
                QObject::connect(&window, &qs::MainWindow::importanceChanged, &window, analyzeAndGrab, Qt::SingleShotConnection);
                QObject::connect(&window, &qs::MainWindow::importanceFailed, &window, [&window, done] {
                    std::fprintf(stderr, "the window shows: %s\n", window.lastError().toLocal8Bit().constData());
                    done();
                }, Qt::SingleShotConnection);
                window.openImportance(shot.importance);
            };
            if (shot.compare.isEmpty()) return importanceThen();
            QObject::connect(&window, &qs::MainWindow::compareChanged, &window, importanceThen, Qt::SingleShotConnection);
            QObject::connect(&window, &qs::MainWindow::compareFailed, &window, [&window, done] {
                std::fprintf(stderr, "the window shows: %s\n", window.lastError().toLocal8Bit().constData());
                done();
            }, Qt::SingleShotConnection);
            window.openCompare(shot.compare);
        }, Qt::SingleShotConnection);
        QObject::connect(&window, &qs::MainWindow::modelFailed, &window, [&window, done] {
            std::fprintf(stderr, "the window shows: %s\n", window.lastError().toLocal8Bit().constData());
            done();
        });
    }
    if (!modelArg.isEmpty()) window.openModel(modelArg, shot.revision);
    return QApplication::exec();
}
