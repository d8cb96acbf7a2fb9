// MainWindow: Compare with… (issue #10) — a second model B opened in a job (local folder
// or Hub id), its status line, and the note for a tensor B does not pair with. The panels
// and the diff row come from the view and metrics jobs (jobs.h: compare, compareLabel).
#include "main_window.h"

#include "settings.h"
#include "widgets/job_status.h"

#include <QAction>
#include <QFileDialog>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QStatusBar>

namespace qs {

void MainWindow::buildCompareActions(QMenu* fileMenu)
{
    m_compareAction = fileMenu->addAction(tr("Compare with &folder…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Compare with a model folder"));
        if (!dir.isEmpty()) openCompare(dir);
    });
    m_compareAction->setObjectName(QStringLiteral("compareAction"));
    m_compareAction->setToolTip(tr("Open a second model B: the tensor of the same name shows B's values against "
                                   "this model's in the transfer and error panels, with a diff row in the table"));
    m_compareHubAction = fileMenu->addAction(tr("Compare with Hub &model…"), this, [this] {
        bool ok = false;
        const QString id = QInputDialog::getText(this, tr("Compare with a Hub model"),
                                                 tr("Hub repo id or URL of model B (org/name, or a local path):"),
                                                 QLineEdit::Normal, QString(), &ok);
        if (ok && !id.trimmed().isEmpty()) openCompare(id.trimmed());
    });
    m_compareHubAction->setObjectName(QStringLiteral("compareHubAction"));
    m_clearCompareAction = fileMenu->addAction(tr("Clear comparison"), this, &MainWindow::clearCompare);
    m_clearCompareAction->setObjectName(QStringLiteral("clearCompareAction"));
    m_clearCompareAction->setEnabled(false);

    m_compareStatus = new QLabel(this);
    m_compareStatus->setObjectName(QStringLiteral("compareStatus"));
    m_compareStatus->setAccessibleName(tr("Compared model"));
    m_compareStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_compareStatus->hide();
    statusBar()->insertPermanentWidget(0, m_compareStatus);
}

QString MainWindow::compareLabel() const
{
    if (!m_compare) return {};
    return tr("B: %1").arg(m_compare->provider().repoName());
}

QString MainWindow::compareNote() const
{
    if (!m_compare || !m_model || m_tensor.empty()) return {};
    const TensorInfo* a = m_model->find(m_tensor);
    const TensorInfo* b = m_compare->find(m_tensor);
    if (!a) return {};
    if (!b) return tr("%1 has no tensor %2").arg(compareLabel(), QString::fromStdString(m_tensor));
    if (a->shape != b->shape)
        return tr("%1: shapes differ, A %2 and %3 %4 (not compared)")
            .arg(QString::fromStdString(m_tensor), QString::fromStdString(a->shapeString()), compareLabel(),
                 QString::fromStdString(b->shapeString()));
    if (dtypeIsInteger(a->dtype) || dtypeIsInteger(b->dtype))
        return tr("%1: integer tensors are not compared").arg(QString::fromStdString(m_tensor));
    return {};
}

void MainWindow::showCompareNote()
{
    if (const QString note = compareNote(); !note.isEmpty()) statusBar()->showMessage(note, 10000);
}

void MainWindow::openCompare(const QString& text, const QString& revision)
{
    const QString t = text.trimmed();
    if (t.isEmpty()) return;
    cancelJob(m_compareFuture);
    const uint64_t gen = ++m_compareGen;
    statusBar()->showMessage(tr("Opening %1 to compare …").arg(t));
    m_compareFuture = openModelJob(OpenModelParams{t, revision, settings::cacheDir.value()});
    m_jobs->track(tr("Opening %1 to compare").arg(t), m_compareFuture);
    m_compareFuture.then(this, [this, gen, t](OpenModelResult r) {
        if (gen != m_compareGen) return;
        if (r.error) {
            showError(tr("Could not open %1 to compare").arg(t), *r.error);
            Q_EMIT compareFailed(m_lastError);
            return;
        }
        m_compare = r.model;
        m_compareText = t;
        const QString describe = m_compare->provider().describe();
        m_compareStatus->setText(compareLabel());
        m_compareStatus->setToolTip(tr("Compared with %1 (File › Clear comparison ends it)").arg(describe));
        m_compareStatus->show();
        m_clearCompareAction->setEnabled(true);
        statusBar()->showMessage(tr("Comparing with %1").arg(describe), 6000);
        refreshTensor();
        Q_EMIT compareChanged(describe);
    });
}

void MainWindow::clearCompare()
{
    cancelJob(m_compareFuture);
    ++m_compareGen;
    const bool had = m_compare != nullptr;
    m_compare.reset();
    m_compareText.clear();
    m_compareStatus->hide();
    m_clearCompareAction->setEnabled(false);
    if (!had) return;
    statusBar()->showMessage(tr("Comparison cleared."), 6000);
    refreshTensor();
    Q_EMIT compareChanged(QString());
}

} // namespace qs
