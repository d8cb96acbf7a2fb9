#pragma once
// BudgetSlider: a horizontal slider over a byte range (the Atlas view's "fits in N GB")
// with labelled marks at given byte values (the model's stored size, each uniform
// format's total) painted under the groove, their labels on up to two lines (a label with
// no room is left out of the picture; the accessible description lists every mark).
// Positions are 0..kSteps, linear in bytes; bytesAt(kSteps) is exactly the range's top and
// bytesAt(0) its bottom.
#include <QString>
#include <QWidget>

#include <vector>

class QSlider;

namespace qs {

class BudgetSlider : public QWidget {
    Q_OBJECT
public:
    static constexpr int kSteps = 1000;
    struct Mark {
        double bytes = 0;
        QString label;
    };

    explicit BudgetSlider(QWidget* parent = nullptr);

    QSlider* slider() const { return m_slider; }
    void setByteRange(double lo, double hi);
    void setMarks(std::vector<Mark> marks);
    const std::vector<Mark>& marks() const { return m_marks; }
    double lowBytes() const { return m_lo; }
    double highBytes() const { return m_hi; }
    double bytesAt(int position) const;
    int positionOf(double bytes) const;  // nearest position, clamped

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    int markX(double bytes) const;
    QSlider* m_slider = nullptr;
    double m_lo = 0, m_hi = 1;
    std::vector<Mark> m_marks;
};

} // namespace qs
