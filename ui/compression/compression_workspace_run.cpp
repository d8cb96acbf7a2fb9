// CompressionWorkspace: running the config over the selection, and installing its page and menu
// and the Compression menu into the main window.
#include "compression/compression_workspace.h"

#include "compression/config_form.h"
#include "jobs/jobs.h"
#include "main_window.h"
#include "models/results_model.h"
#include "models/tensor_filter_proxy.h"
#include "models/tensor_tree_model.h"
#include "plots/plot_render.h"
#include "settings.h"
#include "widgets/format_panel.h"
#include "widgets/job_status.h"
#include "widgets/results_panel.h"

#include <QAction>
#include <QDir>
#include <QAction>
#include <QTabWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTreeView>

namespace qs {

std::optional<TensorSelection> CompressionWorkspace::runnableSelection()
{
    // Everything that can be refused is refused before the folder dialog.
    if (!m_window || !m_window->model()) {
        m_lastError = tr("Open a model first.");
    } else if (!m_form->applyForm()) {  // shows the error next to the field
        m_lastError = tr("The config form has errors; fix them first.");
    } else if (m_form->config().isMixed() && isWeighted(m_form->config().metric) && !m_window->importance()) {
        m_lastError = tr("The metric %1 weighs the error by input-channel importance: open an importance file first "
                         "(File › Open importance…).")
                          .arg(QString::fromStdString(std::string(metricName(m_form->config().metric))));
    } else if (auto sel = m_window->visibleSelection(); !sel) {
        m_lastError = QString::fromStdString(sel.error().message);
    } else {
        m_lastError.clear();
        return std::move(*sel);
    }
    m_window->statusBar()->showMessage(m_lastError, 8000);
    return std::nullopt;
}

void CompressionWorkspace::promptAndRun()
{
    auto selection = runnableSelection();
    if (!selection) return;
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Parent folder of results/"), QDir::currentPath());
    if (!dir.isEmpty()) startRun(dir, *selection);
}

void CompressionWorkspace::runOnSelection(const QString& resultsDir)
{
    auto selection = runnableSelection();
    if (!selection) {
        Q_EMIT runFinished(false, QString());
        return;
    }
    startRun(resultsDir, *selection);
}

void CompressionWorkspace::startRun(const QString& resultsDir, const TensorSelection& selection)
{
    WqParams wq;
    wq.model = m_window->modelText();
    wq.revision = m_window->modelRevision().isEmpty() ? QStringLiteral("main") : m_window->modelRevision();
    wq.cacheDir = settings::cacheDir.value();
    wq.options = m_window->formatPanel()->options();
    wq.writeResults = !resultsDir.isEmpty();
    wq.resultsDir = resultsDir.isEmpty() ? QStringLiteral(".") : resultsDir;
    // The config file: the loaded file itself when unchanged (the header names it, as
    // the CLI's does), else the form written to a temporary file.
    std::shared_ptr<QTemporaryDir> tmp;
    if (!m_form->isModified()) {
        wq.configPath = m_form->sourcePath();
    } else {
        tmp = std::make_shared<QTemporaryDir>();
        wq.configPath = QDir(tmp->path()).filePath(QStringLiteral("compression_config.json"));
        if (auto w = writeTextFile(wq.configPath, m_form->formJson().toStdString()); !w) {
            m_lastError = QString::fromStdString(w.error().message);
            Q_EMIT runFinished(false, QString());
            return;
        }
    }
    wq.tensors = selection.tensors;
    // The explorer's importance file (issue #18): weighted metrics, and what wsqnr / wrel
    // configs rank by, as `wq --importance` gives them.
    if (m_window->importance()) wq.importance = m_window->importanceSpec();
    const QString& scope = selection.scope;
    cancelJob(m_runFuture);
    const uint64_t gen = ++m_runGen;
    auto state = std::make_shared<RunConfigState>();
    ResultsModel* table = m_window->resultsPanel()->model();
    table->clear();
    m_window->resultsPanel()->setCaption(tr("Running %1 over %2 …").arg(QString::fromStdString(m_form->config().algorithm), scope));
    m_runButton->setEnabled(false);
    m_runFuture = runConfigJob(wq, state);
    m_window->jobStatus()->track(tr("%1 over %2").arg(QString::fromStdString(m_form->config().algorithm), scope), m_runFuture);
    auto* watcher = new QFutureWatcher<WqTensor>(this);
    connect(watcher, &QFutureWatcher<WqTensor>::resultsReadyAt, this, [this, watcher, gen, state, table](int a, int b) {
        if (gen != m_runGen) return;
        if (table->report().tensors.empty() && table->isEmpty()) {
            std::lock_guard<std::mutex> lock(state->mutex);
            if (state->started) table->beginReport(state->header);
        }
        for (int i = a; i < b; ++i) table->appendTensor(watcher->resultAt(i));
    });
    connect(watcher, &QFutureWatcher<WqTensor>::finished, this, [this, watcher, gen, state, scope, table, tmp] {
        watcher->deleteLater();
        if (gen != m_runGen) return;
        m_runButton->setEnabled(true);
        std::lock_guard<std::mutex> lock(state->mutex);
        if (watcher->isCanceled() && !state->report) {
            m_window->resultsPanel()->setCaption(tr("Run over %1 cancelled.").arg(scope));
            m_lastError = tr("cancelled");
            Q_EMIT runFinished(false, QString());
            return;
        }
        if (state->error || !state->report) {
            m_lastError = state->error ? QString::fromStdString(state->error->message) : tr("no result");
            m_window->resultsPanel()->setCaption(tr("Run over %1 failed: %2").arg(scope, m_lastError));
            Q_EMIT runFinished(false, QString());
            return;
        }
        m_runReport = *state->report;
        fillSizeTensors();
        table->setReport(*state->report);
        m_lastRunFolder = state->report->resultsPath;
        m_window->resultsPanel()->setCaption(
            tr("%1 over %2: %3 tensors%4")
                .arg(QString::fromStdString(state->report->algorithm), scope)
                .arg(state->report->tensors.size())
                .arg(m_lastRunFolder.isEmpty() ? QString() : tr(" — results in %1").arg(QDir::toNativeSeparators(m_lastRunFolder))));
        updateSizePlot();
        Q_EMIT runFinished(true, m_lastRunFolder);
    });
    watcher->setFuture(m_runFuture);
}

CompressionWorkspace* installCompressionWorkspace(MainWindow* window)
{
    // A page beside the tensor plots, above the shared results table: it shares the
    // tree, the format list and the results with the explorer and fits a 1366x768 screen.
    QTabWidget* pages = window->pages();
    auto* ws = new CompressionWorkspace(window, pages);
    pages->addTab(ws, QObject::tr("Compression"));
    auto* show = new QAction(QObject::tr("Show &workspace"), window);
    show->setObjectName(QStringLiteral("showWorkspace"));
    show->setCheckable(true);
    show->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    show->setToolTip(QObject::tr("Switch between the tensor plots and the compression workspace (Ctrl+K)"));
    QObject::connect(show, &QAction::toggled, pages, [pages, ws](bool on) {
        if (on) pages->setCurrentWidget(ws);
        else if (pages->currentWidget() == ws) pages->setCurrentIndex(0);
    });
    QObject::connect(pages, &QTabWidget::currentChanged, show,
                     [pages, ws, show](int) { show->setChecked(pages->currentWidget() == ws); });
    auto* bringUp = show;  // what the menu entries below check to bring the workspace up

    auto* menu = new QMenu(QObject::tr("&Compression"), window);
    menu->setObjectName(QStringLiteral("compressionMenu"));
    // Before Help (the last menu).
    const QList<QAction*> menus = window->menuBar()->actions();
    if (!menus.isEmpty()) window->menuBar()->insertMenu(menus.last(), menu);
    else window->menuBar()->addMenu(menu);
    menu->addAction(show);
    menu->addSeparator();
    menu->addAction(QObject::tr("&Open config…"), ws, [ws, bringUp, window] {
        const QString f = QFileDialog::getOpenFileName(window, QObject::tr("Open a compression config"),
                                                       CompressionWorkspace::examplesDir(), QObject::tr("JSON (*.json)"));
        if (f.isEmpty()) return;
        bringUp->setChecked(true);
        ws->loadConfig(f);
    });
    menu->addAction(QObject::tr("&Save config as…"), ws, [ws, window] {
        const QString f = QFileDialog::getSaveFileName(window, QObject::tr("Save the compression config"),
                                                       QStringLiteral("compression_config.json"), QObject::tr("JSON (*.json)"));
        if (f.isEmpty()) return;
        if (!ws->saveConfigAs(f)) QMessageBox::warning(window, QObject::tr("Save config"), ws->lastError());
    });
    auto* examples = menu->addMenu(QObject::tr("&Examples"));
    const QString dir = CompressionWorkspace::examplesDir();
    if (!dir.isEmpty()) {
        for (const QString& name : QDir(dir).entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
            const QString path = QDir(dir).filePath(name);
            QString label = name;
            label.remove(QStringLiteral("compression_config.")).remove(QStringLiteral(".example.json"));
            examples->addAction(label, ws, [ws, bringUp, path] {
                bringUp->setChecked(true);
                ws->loadConfig(path);
            });
        }
    }
    examples->setEnabled(!examples->isEmpty());
    menu->addSeparator();
    menu->addAction(QObject::tr("&Run config on selection…"), ws, [ws, bringUp] {
        bringUp->setChecked(true);  // where the form's errors and the run show
        ws->promptAndRun();
    });
    menu->addAction(QObject::tr("Cancel the run"), ws, &CompressionWorkspace::cancelRun);
    return ws;
}

} // namespace qs
