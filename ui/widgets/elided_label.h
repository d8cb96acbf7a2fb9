#pragma once
// ElidedLabel: a one-line plain-text label that never widens its pane. It asks for no
// width of its own (long tensor names, facts and captions must not push splitters
// around), shows its text elided to the width it gets (in the middle by default, so a
// name keeps its start and its end) and the full text as tooltip when elided.
#include <QLabel>

namespace qs {

class ElidedLabel : public QLabel {
    Q_OBJECT
public:
    explicit ElidedLabel(QWidget* parent = nullptr, Qt::TextElideMode mode = Qt::ElideMiddle);

    void setFullText(const QString& text);
    const QString& fullText() const { return m_full; }

    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    void resizeEvent(QResizeEvent* e) override;

private:
    void updateShown();

    QString m_full;
    Qt::TextElideMode m_mode;
};

} // namespace qs
