#include "widgets/job_status.h"

#include "icons.h"
#include "jobs/job_progress.h"

#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>

namespace qs {

JobStatus::JobStatus(QWidget* parent) : QWidget(parent)
{
    auto* lay = new QHBoxLayout(this);
    lay->setContentsMargins(4, 0, 4, 0);
    lay->setSpacing(6);
    m_label = new QLabel(this);
    m_label->setObjectName(QStringLiteral("jobLabel"));
    m_label->setMinimumWidth(160);
    m_label->setMaximumWidth(420);
    m_bar = new QProgressBar(this);
    m_bar->setObjectName(QStringLiteral("jobProgress"));
    m_bar->setRange(0, kJobProgressScale);
    m_bar->setFixedWidth(160);
    m_bar->setMaximumHeight(16);
    m_bar->setTextVisible(false);
    m_cancel = new QToolButton(this);
    m_cancel->setObjectName(QStringLiteral("jobCancel"));
    m_cancel->setIcon(icon(IconId::Cancel));
    m_cancel->setAutoRaise(true);
    m_cancel->setToolTip(tr("Cancel the running jobs (Esc)"));
    connect(m_cancel, &QToolButton::clicked, this, [this] {
        Q_EMIT cancelRequested();
        cancelAll();
    });
    lay->addWidget(m_label);
    lay->addWidget(m_bar);
    lay->addWidget(m_cancel);
    setVisible(false);
}

void JobStatus::trackVoid(const QString& title, QFuture<void> future)
{
    auto* watcher = new QFutureWatcher<void>(this);
    Job job;
    job.title = title;
    job.watcher = watcher;
    job.future = future;
    m_jobs.push_back(job);
    connect(watcher, &QFutureWatcherBase::progressValueChanged, this, [this, watcher](int v) {
        for (Job& j : m_jobs)
            if (j.watcher == watcher) j.value = v;
        refresh();
    });
    connect(watcher, &QFutureWatcherBase::progressTextChanged, this, [this, watcher](const QString& t) {
        for (Job& j : m_jobs)
            if (j.watcher == watcher) j.text = t;
        refresh();
    });
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] { remove(watcher); });
    connect(watcher, &QFutureWatcherBase::canceled, this, [this, watcher] { remove(watcher); });
    watcher->setFuture(future);
    refresh();
}

void JobStatus::remove(QFutureWatcherBase* watcher)
{
    for (auto it = m_jobs.begin(); it != m_jobs.end(); ++it)
        if (it->watcher == watcher) {
            m_jobs.erase(it);
            watcher->deleteLater();
            break;
        }
    refresh();
    if (m_jobs.empty()) Q_EMIT idle();
}

void JobStatus::cancelAll()
{
    // Not finished ones only (see cancelJob in jobs/jobs.h for the Qt 6.4 reason).
    for (Job& j : m_jobs)
        if (!j.future.isFinished()) j.future.cancel();
}

void JobStatus::refresh()
{
    if (m_jobs.empty()) {
        setVisible(false);
        return;
    }
    // The newest job in the status bar; every running job in the tooltip (the job list).
    const Job& j = m_jobs.back();
    QString text = j.text.isEmpty() ? j.title : j.text;
    if (m_jobs.size() > 1) text += tr("  (+%1 more)").arg(m_jobs.size() - 1);
    m_label->setText(m_label->fontMetrics().elidedText(text, Qt::ElideMiddle, m_label->maximumWidth()));
    QStringList list;
    for (const Job& job : m_jobs)
        list << tr("%1 — %2 %").arg(job.text.isEmpty() ? job.title : job.text).arg(job.value * 100 / kJobProgressScale);
    m_label->setToolTip(list.join(QLatin1Char('\n')));
    m_bar->setValue(j.value);
    setVisible(true);
}

} // namespace qs
