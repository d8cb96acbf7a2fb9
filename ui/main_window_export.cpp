// MainWindow: exports, drag and drop, persisted settings.
#include "main_window.h"

#include "compression/compression_workspace.h"

#include "analysis/wq_run.h"
#include "export/results_export.h"
#include "models/results_model.h"
#include "plots/plot_render.h"
#include "settings.h"
#include "widgets/format_panel.h"
#include "widgets/plot_panel.h"
#include "widgets/results_panel.h"
#include "widgets/start_page.h"
#include "widgets/tensor_view.h"

#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMimeData>
#include <QSplitter>
#include <QStatusBar>
#include <QScreen>
#include <QTabWidget>

namespace qs {

namespace {

// A dropped URL that can be opened: a local folder or a .safetensors file.
QString droppablePath(const QMimeData* mime)
{
    if (!mime || !mime->hasUrls()) return {};
    for (const QUrl& url : mime->urls()) {
        if (!url.isLocalFile()) continue;
        const QFileInfo info(url.toLocalFile());
        if (info.isDir() || (info.isFile() && info.suffix().compare(QLatin1String("safetensors"), Qt::CaseInsensitive) == 0))
            return info.absoluteFilePath();
    }
    return {};
}

// A dropped local file with one of these suffixes.
QString droppedFileWith(const QMimeData* mime, const QStringList& suffixes)
{
    if (!mime || !mime->hasUrls()) return {};
    for (const QUrl& url : mime->urls()) {
        const QFileInfo info(url.toLocalFile());
        if (url.isLocalFile() && info.isFile() && suffixes.contains(info.suffix(), Qt::CaseInsensitive))
            return info.absoluteFilePath();
    }
    return {};
}

// A dropped local .json file (a compression config).
QString droppedConfig(const QMimeData* mime) { return droppedFileWith(mime, {QStringLiteral("json")}); }

// A dropped llama.cpp importance matrix (.gguf, .dat). An importance .safetensors comes
// as a droppablePath() and the window tells it from a model (isImportanceFile).
QString droppedImatrix(const QMimeData* mime)
{
    return droppedFileWith(mime, {QStringLiteral("gguf"), QStringLiteral("dat")});
}

QString slugOf(const QString& name)
{
    return name.isEmpty() ? QStringLiteral("plot") : QString::fromStdString(slugify(name.toStdString()));
}

} // namespace

QSize MainWindow::exportSize() const { return {settings::exportWidth.value(), settings::exportHeight.value()}; }

void MainWindow::setExportSize(int width, int height)
{
    settings::exportWidth.set(std::clamp(width, 16, 16384));
    settings::exportHeight.set(std::clamp(height, 16, 16384));
}

namespace {

// Exported PNGs carry the format options their numbers depend on, as a PNG text chunk
// ("QuantScope-Format-Options": the CLI flags, or "defaults"), so a picture never loses them.
QImage withOptions(QImage image, const FormatOptions& options)
{
    const std::string flags = formatOptionFlags(options);
    image.setText(QStringLiteral("QuantScope-Format-Options"), flags.empty() ? QStringLiteral("defaults") : QString::fromStdString(flags));
    return image;
}

} // namespace

bool MainWindow::exportCurrentPlot(const QString& path)
{
    const int tab = m_view->tabs()->currentIndex();
    const QSize s = exportSize();
    auto r = writePng(withOptions(m_view->panel(TensorView::Tab(tab))->render(s.width(), s.height()), m_formats->options()), path);
    if (!r) {
        showError(tr("Export plot"), r.error());
        return false;
    }
    settings::exportDir.set(QFileInfo(path).absolutePath());
    statusBar()->showMessage(tr("Wrote %1 (%2×%3)").arg(path).arg(s.width()).arg(s.height()), 6000);
    return true;
}

bool MainWindow::exportAllPlots(const QString& dir)
{
    const QSize s = exportSize();
    const QString slug = slugOf(currentTensor());
    int written = 0;
    for (int t = 0; t < TensorView::TabCount; ++t) {
        PlotPanel* panel = m_view->panel(TensorView::Tab(t));
        if (!panel->hasData()) continue;
        const QString base = t == TensorView::TabStaircase ? QStringLiteral("staircase") : slug + QLatin1Char('_') + m_view->tabName(t);
        auto r = writePng(withOptions(panel->render(s.width(), s.height()), m_formats->options()),
                          QDir(dir).filePath(base + QStringLiteral(".png")));
        if (!r) {
            showError(tr("Export plots"), r.error());
            return false;
        }
        ++written;
    }
    settings::exportDir.set(QDir(dir).absolutePath());
    statusBar()->showMessage(tr("Wrote %1 PNGs to %2").arg(written).arg(dir), 6000);
    return written > 0;
}

void MainWindow::copyPlotToClipboard()
{
    const QSize s = exportSize();
    QApplication::clipboard()->setImage(
        m_view->panel(TensorView::Tab(m_view->tabs()->currentIndex()))->render(s.width(), s.height()));
    statusBar()->showMessage(tr("Plot copied to the clipboard"), 4000);
}

bool MainWindow::exportTable(const QString& path)
{
    const WqReport& report = m_results->model()->report();
    if (report.tensors.empty()) {
        showError(tr("Export table"), Error::usage("The results table is empty: select a tensor or run Analyze selection."));
        return false;
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    std::string text;
    if (suffix == "csv") text = resultsCsv(report);
    else if (suffix == "json") text = renderJson(report);
    else text = renderTableTxt(report);
    auto r = writeTextFile(path, text);
    if (!r) {
        showError(tr("Export table"), r.error());
        return false;
    }
    settings::exportDir.set(QFileInfo(path).absolutePath());
    statusBar()->showMessage(tr("Wrote %1").arg(path), 6000);
    return true;
}

QString MainWindow::promptExportPath(const QString& title, const QString& suggested, const QString& filter)
{
    QString name = suggested;
    if (name.isEmpty())
        name = slugOf(currentTensor()) + QLatin1Char('_') + m_view->tabName(m_view->tabs()->currentIndex()) +
               QStringLiteral(".png");
    const QString dir = settings::exportDir.value().isEmpty() ? QDir::currentPath() : settings::exportDir.value();
    return QFileDialog::getSaveFileName(this, title, QDir(dir).filePath(name), filter);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    const QMimeData* mime = event->mimeData();
    if (!droppablePath(mime).isEmpty() || !droppedConfig(mime).isEmpty() || !droppedImatrix(mime).isEmpty()) {
        event->acceptProposedAction();
        return;
    }
    // Refused at the door (the cursor says so) and the status bar says what would do.
    QString what = tr("This");
    if (mime && mime->hasUrls() && !mime->urls().isEmpty()) {
        const QUrl url = mime->urls().constFirst();
        what = url.isLocalFile() ? QFileInfo(url.toLocalFile()).fileName() : url.toDisplayString();
    }
    statusBar()->showMessage(
        tr("%1 cannot be dropped here: drop a model folder, a .safetensors file (a model, or importance for the open "
           "model), a compression config (.json) or an importance matrix (.gguf, .dat).")
            .arg(what),
        8000);
}

void MainWindow::dropEvent(QDropEvent* event)
{
    // A .json file is a compression config for the compression workspace.
    if (const QString config = droppedConfig(event->mimeData()); !config.isEmpty() && m_workspace) {
        event->acceptProposedAction();
        m_workspace->loadConfig(config);
        return;
    }
    // An importance matrix is bound to the open model (issue #18).
    if (const QString imatrix = droppedImatrix(event->mimeData()); !imatrix.isEmpty()) {
        event->acceptProposedAction();
        openImportance(imatrix);
        return;
    }
    const QString path = droppablePath(event->mimeData());
    if (path.isEmpty()) return;
    event->acceptProposedAction();
    if (QFileInfo(path).isFile() && isImportanceFile(path)) openImportance(path);
    else openModel(path);
}

void MainWindow::addRecent(const QString& text, const QString& revision)
{
    // Local paths are stored absolute so the entry works from any working directory.
    QString key = text;
    if (QFileInfo::exists(text)) key = QFileInfo(text).absoluteFilePath();
    const QString entry = revision.isEmpty() ? key : key + QLatin1Char('\t') + revision;
    QStringList recent = settings::recentModels.value();
    recent.removeAll(entry);
    recent.removeAll(key);
    recent.prepend(entry);
    while (recent.size() > settings::kMaxRecent) recent.removeLast();
    settings::recentModels.set(recent);
    m_start->setRecent(recent);
}

void MainWindow::restoreSettings()
{
    m_start->setRecent(settings::recentModels.value());
    m_formats->restoreSettings();
    m_view->setRandSamples(settings::randSamples.value());
    m_view->setLogScales(settings::histogramLog.value(), settings::errorHistogramLog.value());
    // First start: 1480x940, or 95 % of a smaller screen (a 1366x768 laptop).
    if (const QByteArray g = settings::windowGeometry.value(); g.isEmpty() || !restoreGeometry(g)) {
        QSize size(1480, 940);
        if (const QScreen* s = screen()) size = size.boundedTo(s->availableGeometry().size() * 0.95);
        resize(size);
        // The tree pane takes 37 % (at most 545 px): on a laptop screen the tensor view
        // and the results table get the rest (the minimum sizes no longer force it).
        const int left = std::min(545, int(size.width() * 0.37));
        m_mainSplitter->setSizes({left, size.width() - left});
    }
    if (const QByteArray s = settings::windowState.value(); !s.isEmpty()) restoreState(s);
    if (const QByteArray s = settings::mainSplitter.value(); !s.isEmpty()) m_mainSplitter->restoreState(s);
    if (const QByteArray s = settings::leftSplitter.value(); !s.isEmpty()) m_leftSplitter->restoreState(s);
    if (const QByteArray s = settings::rightSplitter.value(); !s.isEmpty()) m_rightSplitter->restoreState(s);
    m_view->tabs()->setCurrentIndex(std::clamp(settings::currentTab.value(), 0, TensorView::TabCount - 1));
    m_pages->setCurrentIndex(std::clamp(settings::currentPage.value(), 0, m_pages->count() - 1));
}

void MainWindow::saveSettings()
{
    settings::windowGeometry.set(saveGeometry());
    settings::windowState.set(saveState());
    settings::mainSplitter.set(m_mainSplitter->saveState());
    settings::leftSplitter.set(m_leftSplitter->saveState());
    settings::rightSplitter.set(m_rightSplitter->saveState());
    settings::currentTab.set(m_view->tabs()->currentIndex());
    settings::currentPage.set(m_pages->currentIndex());
    settings::randSamples.set(m_view->randSamples());
    settings::histogramLog.set(m_view->histogramLog());
    settings::errorHistogramLog.set(m_view->errorLog());
    m_formats->saveSettings();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveSettings();
    cancelJobs();
    QMainWindow::closeEvent(event);
}

} // namespace qs
