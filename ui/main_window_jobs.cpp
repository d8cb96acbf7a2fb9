// MainWindow: opening models, choosing tensors, and the jobs behind every view.
#include "main_window.h"

#include "error_text.h"
#include "io/selection.h"
#include "models/results_model.h"
#include "models/tensor_filter_proxy.h"
#include "models/tensor_tree_model.h"
#include "settings.h"
#include "widgets/format_panel.h"
#include "widgets/job_status.h"
#include "widgets/results_panel.h"
#include "widgets/start_page.h"
#include "widgets/tensor_view.h"
#include "widgets/plot_panel.h"
#include "models/format_list_model.h"

#include <QDir>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
#include <QTreeView>

namespace qs {

namespace {
// Paths under the home folder are shown as ~/…, like a shell does, and a typed ~/… opens
// the folder under the home folder.
QString homeAbbreviated(QString s)
{
    const QString home = QDir::homePath();
    if (home.size() > 1) s.replace(home + QLatin1Char('/'), QStringLiteral("~/"));
    return s;
}

// "1 tensor", "1,024 tensors".
QString tensorCount(uint64_t n) { return countOf(n, QObject::tr("tensor"), QObject::tr("tensors")); }

QString homeExpanded(const QString& s)
{
    if (s == QLatin1String("~")) return QDir::homePath();
    if (s.startsWith(QLatin1String("~/"))) return QDir::homePath() + s.mid(1);
    return s;
}
} // namespace

void MainWindow::openModel(const QString& text, const QString& revision)
{
    const QString t = homeExpanded(text.trimmed());
    if (t.isEmpty()) {
        showError(tr("Nothing to open"), Error::usage("Type a Hub repo id (org/name), a Hub URL or a local path."));
        return;
    }
    cancelJob(m_openFuture);
    const uint64_t gen = ++m_openGen;
    clearError();
    m_start->setBusy(true);
    m_modelField->setText(homeAbbreviated(t));
    m_revisionField->setText(revision);
    statusBar()->showMessage(tr("Opening %1 …").arg(homeAbbreviated(t)));
    Q_EMIT modelOpening(homeAbbreviated(t));
    OpenModelParams p{t, revision, settings::cacheDir.value()};
    m_openFuture = openModelJob(p);
    m_jobs->track(tr("Opening %1").arg(t), m_openFuture);
    m_openFuture.then(this, [this, gen](OpenModelResult r) {
        if (gen != m_openGen) return;
        onModelOpened(std::move(r));
    });
}

void MainWindow::openDemoModel()
{
    const QString dir = demoModelDir();
    if (dir.isEmpty()) {
        showError(tr("Demo model not found"),
                  Error::usage("The bundled demo model is not next to the program. Set QS_DEMO_DIR to its folder."));
        return;
    }
    openModel(dir);
}

void MainWindow::reloadModel()
{
    if (!m_modelText.isEmpty()) openModel(m_modelText, m_modelRevision);
}

void MainWindow::onModelOpened(OpenModelResult r)
{
    QElapsedTimer uiClock;
    uiClock.start();
    m_start->setBusy(false);
    if (r.error) {
        showError(tr("Could not open %1").arg(r.params.text), *r.error);
        Q_EMIT modelFailed(QString::fromStdString(r.error->message));
        return;
    }
    // Drop everything of the previous model.
    cancelJob(m_viewFuture);
    cancelJob(m_metricsFuture);
    cancelJob(m_heatFuture);
    cancelJob(m_analyzeFuture);
    ++m_viewGen;
    ++m_analyzeGen;
    m_worst.clear();  // the tree model's column is reset with the tree
    m_tree->header()->setSectionHidden(TensorTreeModel::ColWorst, true);
    // Reload (F5) keeps the tensor that was shown.
    const bool reload = m_model && r.params.text == m_modelText && r.params.revision == m_modelRevision;
    const std::string previous = reload ? m_tensor : std::string();
    m_tensor.clear();
    m_model = r.model;
    m_modelText = r.params.text;
    m_modelRevision = r.params.revision;
    m_treeModel->setTree(m_model, std::move(r.tree));
    // An importance file follows the model: bound again to the new model's tensors (or
    // cleared with a message when it does not fit). Until then nothing is weighted.
    if (const QString spec = !m_importanceLoading.isEmpty() ? m_importanceLoading : m_importanceSpec; !spec.isEmpty()) {
        const bool had = m_importance != nullptr;
        m_importance.reset();
        startImportance(spec, true);
        if (had) Q_EMIT importanceChanged();
    }

    m_proxy->setFilterQuery(m_filter->text());
    m_tree->sortByColumn(TensorTreeModel::ColName, Qt::AscendingOrder);  // also after a sort by worst wREL
    m_results->model()->clear();
    m_results->setCaption(tr("Results: select a tensor, or run Analyze selection (Ctrl+R)."));
    m_view->showEmpty(tr("Select a tensor in the tree on the left (arrow keys move through it)."));
    m_stack->setCurrentWidget(m_explorer);
    addRecent(r.params.text, r.params.revision);
    const QString describe = homeAbbreviated(m_model->provider().describe());
    setWindowTitle(QStringLiteral("%1 — QuantScope").arg(m_model->provider().repoName()));
    statusBar()->showMessage(tr("%1: %2, %3 stored (opened in %4 ms)")
                                 .arg(describe)
                                 .arg(tensorCount(uint64_t(m_model->tensors().size())))
                                 .arg(humanBytes(double(m_model->storedBytes())))
                                 .arg(qRound(r.seconds * 1000)));
    updateFilterInfo();

    // Open the way to the first weight: expand single-child chains, select it.
    std::string first;
    for (const TensorInfo& t : m_model->tensors())
        if (isDefaultCandidate(t.name) && (first.empty() || naturalLess(t.name, first))) first = t.name;
    if (first.empty() && !m_model->tensors().empty()) first = m_model->tensors().front().name;
    if (!previous.empty() && m_model->find(previous)) first = previous;
    m_tree->collapseAll();
    m_tree->expandToDepth(0);
    m_tree->resizeColumnToContents(TensorTreeModel::ColName);
    if (!first.empty()) selectTensor(QString::fromStdString(first));
    m_tree->setFocus();
    updateActions();
    if (qEnvironmentVariableIsSet("QS_TRACE_UI"))
        qInfo("model opened: job %.0f ms, UI thread %.1f ms", r.seconds * 1e3, double(uiClock.nsecsElapsed()) / 1e6);
    Q_EMIT modelOpened(describe);
}

void MainWindow::selectTensor(const QString& name)
{
    const QModelIndex src = m_treeModel->indexForPath(name);
    if (!src.isValid()) return;
    const QModelIndex idx = m_proxy->mapFromSource(src);
    if (!idx.isValid()) {  // hidden by the filter: show it anyway
        m_tensor.clear();
        m_tensor = name.toStdString();
        refreshTensor();
        return;
    }
    m_tree->scrollTo(idx);
    m_tree->setCurrentIndex(idx);  // -> onCurrentChanged
}

void MainWindow::onCurrentChanged(const QModelIndex& proxyIndex)
{
    if (!proxyIndex.isValid() || !m_model) return;
    const QModelIndex src = m_proxy->mapToSource(proxyIndex);
    if (src.data(TensorTreeModel::IsPartRole).toBool()) {
        statusBar()->showMessage(tr("%1: a stored part of %2, decoded into it (not analysed on its own)")
                                     .arg(src.data(TensorTreeModel::PathRole).toString(),
                                          src.parent().data(TensorTreeModel::PathRole).toString()),
                                 6000);
        return;
    }
    if (!src.data(TensorTreeModel::IsTensorRole).toBool()) {
        const qint64 n = src.data(TensorTreeModel::LeafCountRole).toLongLong();
        statusBar()->showMessage(tr("%1: %2 — Analyze selection (Ctrl+R) runs wq over this group")
                                     .arg(src.data(TensorTreeModel::PathRole).toString(),
                                          tensorCount(uint64_t(n))),
                                 6000);
        return;
    }
    const std::string name = src.data(TensorTreeModel::PathRole).toString().toStdString();
    if (name == m_tensor) return;
    m_tensor = name;
    refreshTensor();
}

void MainWindow::refreshTensor()
{
    if (!m_model || m_tensor.empty()) return;
    const TensorInfo* info = m_model->find(m_tensor);
    if (!info) return;
    if (m_formatsTimer->isActive()) {  // this refresh already uses the new formats
        m_formatsTimer->stop();
        startSynth();
    }
    cancelJob(m_viewFuture);
    cancelJob(m_metricsFuture);
    cancelJob(m_heatFuture);
    const uint64_t gen = ++m_viewGen;
    const uint64_t metricsGen = ++m_metricsGen;
    m_metricsDrawn = false;
    m_selectClock.start();
    m_view->showLoading(*info, *m_model);
    refreshImportanceView();  // from memory: the Importance panel needs no job
    // Everything the continuations may overwrite is set before they are attached: a job
    // that already finished runs its continuation inside .then().
    m_results->model()->clear();
    m_results->setCaption(tr("Reading %1 …").arg(currentTensor()));

    TensorViewParams vp;
    vp.model = m_model;
    vp.tensor = m_tensor;
    vp.formats = m_formats->choices();
    vp.histogramLog = m_view->histogramLog();
    vp.errorLog = m_view->errorLog();
    vp.effective = effectiveWeights();
    vp.compare = m_compare;
    vp.compareLabel = compareLabel().toStdString();
    showCompareNote();
    m_viewFuture = tensorViewJob(vp);
    m_jobs->track(tr("Reading %1").arg(currentTensor()), m_viewFuture);
    // (onCanceled handlers of a QFuture<T> must return a T; the value is unused.)
    auto cancelled = [this, gen] {
        if (gen == m_viewGen) {
            m_view->showError(tr("Cancelled. Press F5 to reload and recompute, or select another tensor."));
            m_results->setCaption(tr("Cancelled."));
        }
        return TensorViewResult{};
    };
    m_viewFuture.onCanceled(this, cancelled);
    m_viewFuture.then(this, [this, gen, metricsGen](TensorViewResult r) {
        if (gen != m_viewGen) return;
        if (r.error) {
            m_view->showError(errorHtml(tr("Could not read %1").arg(QString::fromStdString(r.tensor)), *r.error)
                                  .remove(QRegularExpression(QStringLiteral("<[^>]*>"))));
            showError(tr("Could not read %1").arg(QString::fromStdString(r.tensor)), *r.error);
            return;
        }
        QElapsedTimer drawClock;
        drawClock.start();
        m_view->setViewResult(r, !m_metricsDrawn);
        if (qEnvironmentVariableIsSet("QS_TRACE_UI"))
            qInfo("view job %.0f ms, drawing the panels %.1f ms (UI thread)", r.seconds * 1e3,
                  double(drawClock.nsecsElapsed()) / 1e6);
        Q_EMIT tensorShown(QString::fromStdString(r.tensor), double(m_selectClock.nsecsElapsed()) / 1e6);
        // The full-tensor metrics start once the panels are drawn, so the panels get
        // every core first (issue #5: select -> panels within 0.5 s).
        startMetrics(gen, metricsGen);
    });
}

void MainWindow::startMetrics(uint64_t gen, uint64_t metricsGen)
{
    // Not when another tensor was chosen or "Analyze selection" took the table since.
    if (gen != m_viewGen || metricsGen != m_metricsGen || !m_model) return;
    const std::vector<FormatChoice> formats = m_formats->choices();
    if (formats.empty() && !m_compare) {
        m_results->setCaption(tr("Check at least one format on the left to see its metrics."));
        return;
    }
    m_results->setCaption(tr("Quantizing %1 in %2 formats …").arg(currentTensor()).arg(formats.size()));
    MetricsParams mp{m_model, m_tensor, formats, 1200, m_importance, m_compare, compareLabel().toStdString()};
    m_metricsFuture = metricsJob(mp);
    m_jobs->track(tr("Quantizing %1").arg(currentTensor()), m_metricsFuture);
    m_metricsFuture.then(this, [this, gen, metricsGen, formats, importance = m_importance](MetricsResult r) {
        if (gen != m_viewGen || metricsGen != m_metricsGen) return;
        if (r.error) {
            m_results->setCaption(tr("Metrics failed: %1").arg(QString::fromStdString(r.error->message)));
            return;
        }
        m_results->model()->setReport(singleTensorReport(*m_model, r.row, formats, importance.get()));
        QString caption = tr("%1 — %2 formats over all %3 elements (%4)")
                              .arg(QString::fromStdString(r.tensor))
                              .arg(formats.size())
                              .arg(withThousands(uint64_t(r.row.info.numel())))
                              .arg(r.seconds < 1 ? QStringLiteral("%1 ms").arg(qRound(r.seconds * 1000))
                                                 : QStringLiteral("%1 s").arg(r.seconds, 0, 'f', 2));
        if (const QString note = compareNote(); !note.isEmpty()) caption += QStringLiteral(" — ") + note;
        m_results->setCaption(caption);
        m_view->setTransfer(r.transfer);
        m_metricsDrawn = true;
        updateActions();
        Q_EMIT metricsShown(QString::fromStdString(r.tensor), double(m_selectClock.nsecsElapsed()) / 1e6);
    });
}

void MainWindow::startHeatmap(qint64 slice)
{
    if (!m_model || m_tensor.empty()) return;
    cancelJob(m_heatFuture);
    const uint64_t gen = ++m_heatGen;
    const uint64_t viewGen = m_viewGen;
    m_heatFuture = heatmapJob(HeatmapParams{m_model, m_tensor, slice, 512, effectiveWeights()});
    m_jobs->track(tr("Heat map slice %1").arg(slice), m_heatFuture);
    m_heatFuture.then(this, [this, gen, viewGen](HeatmapResult r) {
        if (gen != m_heatGen || viewGen != m_viewGen) return;
        if (r.error) showError(tr("Heat map"), *r.error);
        else m_view->setHeatmap(r.heatmap);
    });
}

void MainWindow::startSynth()
{
    cancelJob(m_synthFuture);
    const uint64_t gen = ++m_synthGen;
    SynthParams p;
    p.formats = m_formats->choices();
    p.randSamples = m_view->randSamples();
    if (p.formats.empty()) {
        m_view->panel(TensorView::TabStaircase)
            ->showMessage(tr("Staircase"), tr("Check at least one format on the left."));
        return;
    }
    m_synthFuture = synthJob(p);
    m_jobs->track(tr("Staircase curves"), m_synthFuture);
    m_synthFuture.then(this, [this, gen](SynthJobResult r) {
        if (gen != m_synthGen) return;
        if (r.error) {
            showError(tr("Staircase curves"), *r.error);
            return;
        }
        m_view->setSynth(r.plot);
        updateActions();
        Q_EMIT synthShown();
    });
}

void MainWindow::setFilterText(const QString& text)
{
    m_filterTimer->stop();
    if (m_filter->text() != text) {
        const QSignalBlocker block(m_filter);
        m_filter->setText(text);
    }
    QElapsedTimer tr0;
    tr0.start();
    // Collapsed first: re-filtering a tree with thousands of expanded rows costs the view
    // a re-layout of every one of them.
    if (m_proxy->matchCount() > 200) m_tree->collapseAll();
    m_proxy->setFilterQuery(text);
    const double tFilter = double(tr0.nsecsElapsed()) / 1e6;
    // Show the matches: expand everything when they are few, else the first levels.
    if (m_proxy->isFiltering()) {
        if (m_proxy->matchCount() <= 500) m_tree->expandAll();
        else m_tree->expandToDepth(2);
        m_tree->resizeColumnToContents(TensorTreeModel::ColName);
    }
    if (qEnvironmentVariableIsSet("QS_TRACE_UI"))
        qInfo("filter \"%s\": proxy %.1f ms, total %.1f ms (%lld matches)", qPrintable(text), tFilter,
              double(tr0.nsecsElapsed()) / 1e6, (long long)m_proxy->matchCount());
    updateFilterInfo();
}

void MainWindow::updateFilterInfo()
{
    if (!m_model) {
        m_filterInfo->clear();
        return;
    }
    const qint64 total = qint64(m_model->tensors().size());
    if (!m_proxy->filterError().isEmpty()) {
        m_filterInfo->setText(m_proxy->filterError());
        m_filterInfo->setStyleSheet(QStringLiteral("color:#b91c1c"));
        return;
    }
    m_filterInfo->setStyleSheet(QStringLiteral("color:#64748b"));
    if (!m_proxy->isFiltering()) {
        m_filterInfo->setText(tensorCount(uint64_t(total)));
        return;
    }
    const qint64 n = m_proxy->matchCount();
    m_filterInfo->setText(n ? tr("%1 of %2 match").arg(withThousands(uint64_t(n)), tensorCount(uint64_t(total)))
                            : tr("No tensor matches \"%1\"").arg(m_proxy->filterQuery().trimmed()));
}

Result<TensorSelection> MainWindow::visibleSelection() const
{
    // What the user sees selected: the visible tensors of the current group, else every
    // tensor the filter shows, else the current tensor, else the default selection.
    TensorSelection out;
    const QModelIndex cur = m_tree->currentIndex();  // a proxy index: hidden rows are not in it
    // (a quantized tensor's stored-part rows do not make it a group)
    const bool group = m_model && cur.isValid() && m_proxy->rowCount(cur.siblingAtColumn(0)) > 0 &&
                       (!cur.data(TensorTreeModel::IsTensorRole).toBool() ||
                        cur.data(TensorTreeModel::LeafCountRole).toLongLong() > 1);
    auto visibleTensors = [this](const QModelIndex& root) {
        QStringList names;
        std::vector<QModelIndex> todo{root};
        while (!todo.empty()) {
            const QModelIndex i = todo.back();
            todo.pop_back();
            if (i.isValid() && i.data(TensorTreeModel::IsTensorRole).toBool())
                names << i.data(TensorTreeModel::PathRole).toString();
            for (int r = m_proxy->rowCount(i) - 1; r >= 0; --r) todo.push_back(m_proxy->index(r, 0, i));
        }
        return names;
    };
    const bool filtering = m_model && m_proxy->isFiltering();
    const QString filterNote = filtering ? tr(", filter \"%1\"").arg(m_proxy->filterQuery().trimmed()) : QString();
    if (group) {
        out.tensors = visibleTensors(cur.siblingAtColumn(0));
        out.scope = tr("group %1%2").arg(cur.data(TensorTreeModel::PathRole).toString(), filterNote);
    } else if (filtering) {
        out.tensors = visibleTensors(QModelIndex());
        out.scope = tr("the filter's matches%1").arg(filterNote);
    } else if (!m_tensor.empty()) {
        out.tensors = QStringList{currentTensor()};
        out.scope = currentTensor();
    } else {
        out.scope = tr("default selection (weights)");
    }
    // An FP8 weight's scale sibling is read with its weight, not analyzed on its own.
    if (m_model && out.tensors.size() > 1) {
        QSet<QString> scales;
        for (const QString& n : std::as_const(out.tensors))
            if (const TensorInfo* t = m_model->find(n.toStdString()); t && !t->scaleInvName.empty())
                scales.insert(QString::fromStdString(t->scaleInvName));
        out.tensors.removeIf([&](const QString& n) { return scales.contains(n); });
    }
    if ((group || filtering) && out.tensors.isEmpty())
        return Error::usage("The filter hides every tensor of the selection: nothing to analyze.");
    if (!out.tensors.isEmpty() && !(out.tensors.size() == 1 && out.scope == out.tensors.front()))
        out.scope = tr("%1 (%2)").arg(tensorCount(uint64_t(out.tensors.size())), out.scope);
    return out;
}

void MainWindow::analyzeSelection()
{
    if (!m_model) return;
    // Apply pending debounced edits first, so the run uses what is on screen and a late
    // refresh cannot replace its rows afterwards.
    if (m_filterTimer->isActive()) setFilterText(m_filter->text());
    if (m_formatsTimer->isActive()) {
        m_formatsTimer->stop();
        refreshTensor();
        startSynth();
    }
    WqParams wq;
    wq.model = m_modelText;
    wq.revision = m_modelRevision.isEmpty() ? QStringLiteral("main") : m_modelRevision;
    wq.cacheDir = settings::cacheDir.value();
    wq.formats = m_formats->model()->checkedNames();
    wq.options = m_formats->options();
    wq.writeResults = false;
    if (m_importance) wq.importance = m_importanceSpec;  // weighted metrics, as wq --importance
    if (wq.formats.isEmpty()) {
        showError(tr("Analyze selection"), Error::usage("Check at least one format on the left."));
        return;
    }
    auto selection = visibleSelection();
    if (!selection) {
        showError(tr("Analyze selection"), selection.error());
        return;
    }
    wq.tensors = selection->tensors;
    const QString scope = selection->scope;
    statusBar()->showMessage(tr("Analyzing %1 …").arg(scope));
    cancelJob(m_analyzeFuture);
    cancelJob(m_metricsFuture);
    ++m_metricsGen;  // the table belongs to the analysis now
    const uint64_t gen = ++m_analyzeGen;
    auto state = std::make_shared<AnalyzeState>();
    m_results->model()->clear();
    m_results->setCaption(tr("Analyzing %1 …").arg(scope));
    m_analyzeFuture = analyzeSelectionJob(AnalyzeParams{wq}, state);
    m_jobs->track(tr("Analyzing %1").arg(scope), m_analyzeFuture);
    auto* watcher = new QFutureWatcher<WqTensor>(this);
    connect(watcher, &QFutureWatcher<WqTensor>::resultsReadyAt, this, [this, watcher, gen, state](int a, int b) {
        if (gen != m_analyzeGen) return;
        if (m_results->model()->report().tensors.empty() && m_results->model()->isEmpty()) {
            std::lock_guard<std::mutex> lock(state->mutex);
            if (state->started) m_results->model()->beginReport(state->header);
        }
        for (int i = a; i < b; ++i) m_results->model()->appendTensor(watcher->resultAt(i));
    });
    connect(watcher, &QFutureWatcher<WqTensor>::finished, this, [this, watcher, gen, state, scope] {
        watcher->deleteLater();
        if (gen != m_analyzeGen) return;
        std::lock_guard<std::mutex> lock(state->mutex);
        if (watcher->isCanceled() && !state->report) {
            m_results->setCaption(tr("Analysis of %1 cancelled after %2.")
                                      .arg(scope, tensorCount(uint64_t(m_results->model()->report().tensors.size()))));
            return;
        }
        if (state->error) {
            m_results->setCaption(tr("Analysis of %1 failed.").arg(scope));
            showError(tr("Analyze selection"), *state->error);
            return;
        }
        if (state->report) {
            // The "Analyzing …" message would otherwise stay after the run.
            statusBar()->showMessage(tr("Analyzed %1.").arg(scope), 6000);
            m_results->model()->setReport(*state->report);
            m_results->setCaption(tr("wq over %1: %2 × %3")
                                      .arg(scope,
                                           tensorCount(uint64_t(state->report->tensors.size())),
                                           countOf(uint64_t(state->report->formats.size()), tr("format"), tr("formats"))));
            updateWorst(*state->report);
            updateActions();
            Q_EMIT analysisFinished(int(state->report->tensors.size()));
        }
    });
    watcher->setFuture(m_analyzeFuture);
}

void MainWindow::showError(const QString& context, const Error& error)
{
    m_lastError = context + QStringLiteral(": ") + QString::fromStdString(error.message);
    const QString html = errorHtml(context, error);
    if (m_stack->currentWidget() == m_start) m_start->setError(html);
    else {
        m_banner->setText(html);
        m_banner->show();
    }
    statusBar()->showMessage(m_lastError, 10000);
}

void MainWindow::clearError()
{
    m_start->setError(QString());
    m_banner->hide();
}

} // namespace qs
