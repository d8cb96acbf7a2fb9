#pragma once
// StartPage: what the window shows before a model is open — a field for a Hub repo id,
// URL or local path with a revision box, "Open folder…", the bundled demo model one
// click away, the recent models, and (after a failure) the error with what to do next.
#include <QWidget>

class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;

namespace qs {

class StartPage : public QWidget {
    Q_OBJECT
public:
    explicit StartPage(QWidget* parent = nullptr);

    void setRecent(const QStringList& recent);
    void setError(const QString& html);  // empty hides the error box
    void setBusy(bool busy);
    void setDemoAvailable(bool available, const QString& why);
    QLineEdit* modelField() const { return m_model; }
    QLineEdit* revisionField() const { return m_revision; }

Q_SIGNALS:
    void openRequested(const QString& text, const QString& revision);
    void browseRequested();
    void demoRequested();

private:
    QLineEdit* m_model = nullptr;
    QLineEdit* m_revision = nullptr;
    QPushButton* m_open = nullptr;
    QPushButton* m_demo = nullptr;
    QListWidget* m_recent = nullptr;
    QLabel* m_recentTitle = nullptr;
    QLabel* m_error = nullptr;
};

} // namespace qs
