// MainWindow: the importance file (issue #18) — File › Open importance…, re-binding when
// another model opens, the status line, the Importance panel, the heat map's effective
// weight and the tree's worst-wREL order. Drops come through dropEvent
// (main_window_export.cpp), which asks isImportanceFile().
#include "main_window.h"

#include "io/safetensors.h"
#include "models/tensor_filter_proxy.h"
#include "models/tensor_tree_model.h"
#include "settings.h"
#include "widgets/job_status.h"
#include "widgets/tensor_view.h"

#include <QAction>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QStatusBar>
#include <QTreeView>

#include <cmath>

namespace qs {

namespace {

// The file a spec names, for messages: a local path's file name, a Hub spec's path.
QString specName(const QString& spec)
{
    const qsizetype colon = spec.indexOf(QLatin1Char(':'));
    if (colon > 0 && !QFileInfo::exists(spec)) return spec;
    return QFileInfo(spec).fileName();
}

constexpr qint64 kMaxProbedHeader = 16 << 20;  // a header this large is a model's, not importance

} // namespace

void MainWindow::buildImportanceActions(QMenu* fileMenu)
{
    m_openImportanceAction = fileMenu->addAction(tr("Open &importance…"), this, [this] {
        const QString f = QFileDialog::getOpenFileName(
            this, tr("Open an importance matrix"), QString(),
            tr("Importance matrices (*.gguf *.dat *.safetensors);;llama.cpp imatrix (*.gguf *.dat);;"
               "QuantScope importance (*.safetensors);;All files (*)"));
        if (!f.isEmpty()) openImportance(f);
    });
    m_openImportanceAction->setObjectName(QStringLiteral("openImportanceAction"));
    m_openImportanceAction->setToolTip(tr("Load llama.cpp's imatrix (.gguf, .dat) or an importance .safetensors: "
                                          "wSQNR / wREL in the results, the Importance panel, the effective-weight heat map"));
    m_hubImportanceAction = fileMenu->addAction(tr("Open importance from the &Hub…"), this, [this] {
        bool ok = false;
        const QString spec = QInputDialog::getText(this, tr("Importance from the Hub"),
                                                   tr("The file as org/repo:path/in/repo (read with the model's revision "
                                                      "and cache, by ranged reads):"),
                                                   QLineEdit::Normal, QString(), &ok);
        if (ok && !spec.trimmed().isEmpty()) openImportance(spec.trimmed());
    });
    m_clearImportanceAction = fileMenu->addAction(tr("C&lear importance"), this, &MainWindow::clearImportance);
    m_clearImportanceAction->setObjectName(QStringLiteral("clearImportanceAction"));

    m_importanceStatus = new QLabel(this);
    m_importanceStatus->setObjectName(QStringLiteral("importanceStatus"));
    m_importanceStatus->setAccessibleName(tr("Importance file"));
    m_importanceStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_importanceStatus->hide();
    statusBar()->insertPermanentWidget(0, m_importanceStatus);

    connect(m_view, &TensorView::heatModeChanged, this, [this] { startHeatmap(m_view->slice()); });
    connect(m_view, &TensorView::importanceExpertChanged, this, [this] { refreshImportanceView(); });

    // The tree's context menu: its orders.
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_tree, &QWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
        QMenu menu(this);
        QAction* worst = menu.addAction(m_treeModel->worstWeighted() ? tr("Sort by worst wREL (worst first)")
                                                                     : tr("Sort by worst REL (worst first)"),
                                        this, &MainWindow::sortTreeByWorst);
        worst->setEnabled(m_treeModel->hasWorst());
        if (!m_treeModel->hasWorst()) worst->setToolTip(tr("Run Analyze selection (Ctrl+R) first"));
        menu.addAction(tr("Sort by name"), this, [this] { m_tree->sortByColumn(TensorTreeModel::ColName, Qt::AscendingOrder); });
        menu.exec(m_tree->viewport()->mapToGlobal(pos));
    });
}

bool MainWindow::isImportanceFile(const QString& path) const
{
    const QFileInfo info(path);
    const QString suffix = info.suffix().toLower();
    if (suffix == QLatin1String("gguf") || suffix == QLatin1String("dat")) return true;
    if (suffix != QLatin1String("safetensors") || !m_model || !info.isFile()) return false;
    // QuantScope's importance .safetensors: only F32 [n_in] / [E, n_in] tensors, named like
    // weights of the open model that have another shape (a checkpoint's tensors have theirs).
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return false;
    const QByteArray prefix = f.read(8);
    auto length = parseHeaderLength(path, reinterpret_cast<const uint8_t*>(prefix.constData()), uint64_t(prefix.size()),
                                    uint64_t(f.size()));
    if (!length || *length > uint64_t(kMaxProbedHeader)) return false;
    const QByteArray json = f.read(qint64(*length));
    auto header = parseHeader(path, reinterpret_cast<const uint8_t*>(json.constData()), uint64_t(json.size()), uint64_t(f.size()));
    if (!header || header->tensors.empty()) return false;
    bool named = false;
    for (const SafetensorsTensor& t : header->tensors) {
        if (t.dtype != DType::F32 || t.shape.empty() || t.shape.size() > 2) return false;
        const TensorInfo* weight = m_model->find(t.name);
        if (weight && weight->shape.size() >= 2 && weight->shape != t.shape) named = true;
    }
    return named;
}

void MainWindow::openImportance(const QString& spec)
{
    const QString s = spec.trimmed();
    if (s.isEmpty()) return;
    if (!m_model) {
        const Error e = Error::usage("Open a model first: an importance file is bound to a model's tensors.");
        showError(tr("Open importance %1").arg(specName(s)), e);
        Q_EMIT importanceFailed(QString::fromStdString(e.message));
        return;
    }
    clearError();
    startImportance(s, false);
}

void MainWindow::startImportance(const QString& spec, bool rebind)
{
    cancelJob(m_importanceFuture);
    const uint64_t gen = ++m_importanceGen;
    m_importanceLoading = spec;
    ImportanceParams p{spec, m_modelRevision, settings::cacheDir.value(), m_model};
    m_importanceFuture = importanceJob(p);
    m_jobs->track(tr("Reading importance %1").arg(specName(spec)), m_importanceFuture);
    showImportanceStatus();
    m_importanceFuture.onCanceled(this, [this, gen] {
        if (gen == m_importanceGen) {
            m_importanceLoading.clear();
            showImportanceStatus();
        }
        return ImportanceResult{};
    });
    m_importanceFuture.then(this, [this, gen, rebind](ImportanceResult r) {
        if (gen != m_importanceGen) return;
        onImportanceLoaded(std::move(r), rebind);
    });
}

void MainWindow::onImportanceLoaded(ImportanceResult r, bool rebind)
{
    m_importanceLoading.clear();
    const QString name = specName(r.params.spec);
    std::optional<Error> error = r.error;
    if (!error && r.importance && boundEntries(*r.importance) == 0) {
        // Nothing would be weighted: most likely the file of another model.
        const RunImportance& imp = *r.importance;
        error = Error::model(imp.source + ": none of its " + std::to_string(imp.file.entries.size()) +
                             " entries names a tensor of " + m_model->provider().repoName().toStdString() +
                             (imp.index.architecture.empty() ? std::string()
                                                             : " (names mapped for " + imp.index.architecture + ")") +
                             "; is it the importance file of another model?");
    }
    if (error) {
        if (rebind) {  // the new model cannot use it: say so, and weigh nothing
            m_importance.reset();
            m_importanceSpec.clear();
            showError(tr("Importance %1 does not fit %2 and was cleared").arg(name, m_model->provider().repoName()), *error);
            refreshTensor();
            Q_EMIT importanceChanged();
        } else {
            showError(tr("Could not load importance %1").arg(name), *error);
        }
        showImportanceStatus();
        updateActions();
        Q_EMIT importanceFailed(QString::fromStdString(error->message));
        return;
    }
    m_importance = r.importance;
    m_importanceSpec = r.params.spec;
    // Worst errors of earlier analyses were weighed otherwise (or not at all).
    m_worst.clear();
    m_treeModel->setWorst(m_worst, true);
    m_tree->header()->setSectionHidden(TensorTreeModel::ColWorst, true);
    showImportanceStatus();
    // (The permanent status line names the file and its counts.)
    statusBar()->showMessage(tr("Importance bound to %1 in %2 ms: the results get wSQNR and wREL, the Importance panel "
                                "and the effective-weight heat map use it.")
                                 .arg(m_model->provider().repoName())
                                 .arg(qRound(r.seconds * 1000)),
                             8000);
    updateActions();
    refreshTensor();  // the metrics with weights, the Importance panel, the heat map
    Q_EMIT importanceChanged();
}

void MainWindow::clearImportance()
{
    cancelJob(m_importanceFuture);
    ++m_importanceGen;
    m_importanceLoading.clear();
    const bool had = m_importance != nullptr;
    m_importance.reset();
    m_importanceSpec.clear();
    showImportanceStatus();
    updateActions();
    if (!had) return;
    m_worst.clear();
    m_treeModel->setWorst(m_worst, false);
    m_tree->header()->setSectionHidden(TensorTreeModel::ColWorst, true);
    statusBar()->showMessage(tr("Importance cleared: errors are no longer weighted."), 6000);
    refreshTensor();
    Q_EMIT importanceChanged();
}

void MainWindow::showImportanceStatus()
{
    if (!m_importanceLoading.isEmpty()) {
        m_importanceStatus->setText(tr("importance: reading %1 …").arg(specName(m_importanceLoading)));
        m_importanceStatus->setToolTip(m_importanceLoading);
        m_importanceStatus->show();
        return;
    }
    if (!m_importance) {
        m_importanceStatus->clear();
        m_importanceStatus->hide();
        return;
    }
    m_importanceStatus->setText(importanceStatusText(*m_importance));
    m_importanceStatus->setToolTip(importanceToolTip(*m_importance));
    m_importanceStatus->show();
}

void MainWindow::refreshImportanceView()
{
    if (!m_model || m_tensor.empty()) return;
    const TensorInfo* info = m_model->find(m_tensor);
    if (!info) return;
    m_view->setImportance(importancePanel(m_importance.get(), *info, m_view->importanceExpert()));
    if (!m_importance) {
        m_view->setEffectiveAvailable(false, tr("no importance file is loaded"));
        return;
    }
    const std::string problem = weightsProblem(m_importance->index.find(m_tensor), info->shape, Layout::AsStored);
    m_view->setEffectiveAvailable(problem.empty(), QString::fromStdString(problem));
}

std::optional<InputWeights> MainWindow::effectiveWeights() const
{
    if (!m_importance || !m_model || m_tensor.empty() || m_view->heatMode() != TensorView::HeatEffective) return std::nullopt;
    const TensorInfo* info = m_model->find(m_tensor);
    if (!info) return std::nullopt;
    std::string note;
    return tensorWeights(m_importance->index.find(m_tensor), info->shape, Layout::AsStored, &note);
}

void MainWindow::updateWorst(const WqReport& report)
{
    const bool weighted = report.importance.has_value();
    if (weighted != m_treeModel->worstWeighted()) m_worst.clear();  // never wREL next to REL
    for (const WqTensor& t : report.tensors) {
        double worst = std::nan("");
        if (!weighted || t.importanceNote.empty())
            for (const WqRow& row : t.rows) {
                if (row.format == "fp0") continue;  // every weight 0: 100 % by definition, says nothing
                const double v = weighted ? row.metrics.wrel : row.metrics.relRmse;
                if (!std::isnan(v) && (std::isnan(worst) || v > worst)) worst = v;
            }
        if (std::isnan(worst)) m_worst.erase(t.info.name);
        else m_worst[t.info.name] = worst;
    }
    m_treeModel->setWorst(m_worst, weighted);
    m_tree->header()->setSectionHidden(TensorTreeModel::ColWorst, !m_treeModel->hasWorst());
    // The proxy sorts on request only: keep an order by this column up to date.
    if (m_tree->header()->sortIndicatorSection() == TensorTreeModel::ColWorst)
        m_proxy->sort(TensorTreeModel::ColWorst, m_tree->header()->sortIndicatorOrder());
}

void MainWindow::sortTreeByWorst()
{
    if (!m_treeModel->hasWorst()) {
        statusBar()->showMessage(tr("Run Analyze selection (Ctrl+R) first: the order needs each tensor's wREL."), 6000);
        return;
    }
    m_tree->sortByColumn(TensorTreeModel::ColWorst, Qt::DescendingOrder);
    statusBar()->showMessage(m_treeModel->worstWeighted() ? tr("Tensors by their worst wREL, worst first")
                                                          : tr("Tensors by their worst REL, worst first"),
                             4000);
}

} // namespace qs
