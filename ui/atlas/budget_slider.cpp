#include "atlas/budget_slider.h"

#include <QPainter>
#include <QSlider>
#include <QStyle>
#include <QStyleOptionSlider>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace qs {

namespace {

QFont markFont(const QFont& base)
{
    QFont f = base;
    f.setPointSizeF(f.pointSizeF() * 0.85);
    return f;
}

} // namespace

BudgetSlider::BudgetSlider(QWidget* parent) : QWidget(parent)
{
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setRange(0, kSteps);
    m_slider->setSingleStep(1);
    m_slider->setPageStep(kSteps / 20);
    auto* l = new QVBoxLayout(this);
    l->setContentsMargins(0, 0, 0, 4 + 2 * QFontMetrics(markFont(font())).height());
    l->setSpacing(0);
    l->addWidget(m_slider);
    setMinimumWidth(200);
}

void BudgetSlider::setByteRange(double lo, double hi)
{
    m_lo = lo;
    m_hi = std::max(hi, lo);
    update();
}

void BudgetSlider::setMarks(std::vector<Mark> marks)
{
    m_marks = std::move(marks);
    QStringList all;
    for (const Mark& m : m_marks) all << m.label;
    m_slider->setAccessibleDescription(tr("Marks: %1").arg(all.join(QStringLiteral(", "))));
    update();
}

double BudgetSlider::bytesAt(int position) const
{
    if (position <= 0) return m_lo;
    if (position >= kSteps) return m_hi;
    return m_lo + (m_hi - m_lo) * double(position) / double(kSteps);
}

int BudgetSlider::positionOf(double bytes) const
{
    if (!(m_hi > m_lo)) return kSteps;
    const double t = std::clamp((bytes - m_lo) / (m_hi - m_lo), 0.0, 1.0);
    return int(std::lround(t * kSteps));
}

int BudgetSlider::markX(double bytes) const
{
    QStyleOptionSlider opt;
    opt.initFrom(m_slider);
    opt.orientation = Qt::Horizontal;
    opt.minimum = 0;
    opt.maximum = kSteps;
    opt.sliderPosition = opt.sliderValue = 0;
    const QRect handle = m_slider->style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, m_slider);
    const QRect groove = m_slider->style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderGroove, m_slider);
    const int span = groove.width() - handle.width();
    return m_slider->x() + groove.x() + handle.width() / 2 +
           QStyle::sliderPositionFromValue(0, kSteps, positionOf(bytes), span);
}

void BudgetSlider::paintEvent(QPaintEvent*)
{
    if (m_marks.empty()) return;
    QPainter p(this);
    const QFont f = markFont(font());
    p.setFont(f);
    const QFontMetrics fm(f);
    const int top = m_slider->geometry().bottom() + 1;
    std::vector<const Mark*> order;
    for (const Mark& m : m_marks) order.push_back(&m);
    std::sort(order.begin(), order.end(), [](const Mark* a, const Mark* b) { return a->bytes < b->bytes; });
    int lastRight[2] = {-100000, -100000};
    p.setPen(palette().color(QPalette::WindowText));
    for (const Mark* m : order) {
        const double slack = 1e-9 * std::max(1.0, std::fabs(m_hi));
        if (m->bytes < m_lo - slack || m->bytes > m_hi + slack) continue;
        const int x = markX(m->bytes);
        p.drawLine(x, top, x, top + 4);
        const int w = fm.horizontalAdvance(m->label);
        const int left = std::clamp(x - w / 2, 0, std::max(0, width() - w));
        int line = 0;
        if (left <= lastRight[0] + 6) line = 1;
        if (line == 1 && left <= lastRight[1] + 6) continue;  // no room (the description lists it)
        lastRight[line] = left + w;
        p.drawText(QPoint(left, top + 4 + fm.ascent() + line * fm.height()), m->label);
    }
}

} // namespace qs
