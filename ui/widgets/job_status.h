#pragma once
// JobStatus: the status-bar corner that shows running jobs — the text and progress of
// the most recent one, how many others run, and a cancel button that cancels them all.
// It watches QFutures through QFutureWatcher (no polling); a job disappears from the
// list when its future finishes or is cancelled. Hidden when nothing runs.
#include <QFuture>
#include <QWidget>

#include <vector>

class QLabel;
class QProgressBar;
class QToolButton;
class QFutureWatcherBase;

namespace qs {

class JobStatus : public QWidget {
    Q_OBJECT
public:
    explicit JobStatus(QWidget* parent = nullptr);

    // Starts watching a job; `title` shows until the job reports its own text.
    template <class T>
    void track(const QString& title, const QFuture<T>& future)
    {
        trackVoid(title, QFuture<void>(future));
    }
    int runningCount() const { return int(m_jobs.size()); }
    void cancelAll();

Q_SIGNALS:
    void cancelRequested();
    void idle();

private:
    struct Job {
        QString title;
        QString text;
        int value = 0;
        QFutureWatcherBase* watcher = nullptr;
        QFuture<void> future;
    };
    void trackVoid(const QString& title, QFuture<void> future);
    void remove(QFutureWatcherBase* watcher);
    void refresh();

    std::vector<Job> m_jobs;
    QLabel* m_label = nullptr;
    QProgressBar* m_bar = nullptr;
    QToolButton* m_cancel = nullptr;
};

} // namespace qs
