#include "widgets/elided_label.h"

#include <QResizeEvent>

namespace qs {

ElidedLabel::ElidedLabel(QWidget* parent, Qt::TextElideMode mode) : QLabel(parent), m_mode(mode)
{
    setTextFormat(Qt::PlainText);
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
}

void ElidedLabel::setFullText(const QString& text)
{
    m_full = text;
    updateShown();
}

QSize ElidedLabel::minimumSizeHint() const { return {16, QLabel::minimumSizeHint().height()}; }

QSize ElidedLabel::sizeHint() const
{
    // Height of one line; the width it would like is the full text's, but the Ignored
    // policy means layouts never grow a pane for it.
    return {fontMetrics().horizontalAdvance(m_full) + 2 * margin() + 4, QLabel::sizeHint().height()};
}

void ElidedLabel::resizeEvent(QResizeEvent* e)
{
    QLabel::resizeEvent(e);
    updateShown();
}

void ElidedLabel::updateShown()
{
    const int room = contentsRect().width() - 2 * margin();
    const QString shown = fontMetrics().elidedText(m_full, m_mode, std::max(room, 0));
    if (shown != text()) QLabel::setText(shown);
    setToolTip(shown == m_full ? QString() : m_full);
}

} // namespace qs
