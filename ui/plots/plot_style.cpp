#include "plots/plot_style.h"

#include "plots/qcp.h"

namespace qs {

namespace {

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string baseKey(const std::string& key)
{
    for (const char* suffix : {"_ideal", "_rand"})
        if (endsWith(key, suffix)) return key.substr(0, key.size() - std::string(suffix).size());
    return key;
}

QFont pixelFont(int px, bool bold = false)
{
    // Pixel sizes, not points: the offscreen renderer and a real screen can differ in
    // logical DPI, and the headless PNG must equal the window's export.
    QFont f(QStringLiteral("DejaVu Sans"));
    f.setPixelSize(px);
    f.setBold(bold);
    f.setStyleHint(QFont::SansSerif);
    return f;
}

// A colour per registry format (tab10-like, chosen for white backgrounds).
QColor fallbackColor(const std::string& name, int index)
{
    static const std::pair<const char*, QColor> fixed[] = {
        {"bf16", QColor(31, 119, 180)},   {"bfp8", QColor(255, 127, 14)}, {"bfp4", QColor(44, 160, 44)},
        {"bfp2", QColor(214, 39, 40)},    {"fp0", QColor(127, 127, 127)}, {"mxfp4", QColor(148, 103, 189)},
        {"nvfp4", QColor(140, 86, 75)},   {"mxfp4_proxy", QColor(227, 119, 194)},
        {"nvfp4_proxy", QColor(188, 189, 34)},
    };
    for (const auto& [n, c] : fixed)
        if (name == n) return c;
    static const QColor cycle[] = {QColor(23, 190, 207), QColor(174, 199, 232), QColor(255, 187, 120),
                                   QColor(152, 223, 138), QColor(255, 152, 150), QColor(197, 176, 213),
                                   QColor(196, 156, 148), QColor(247, 182, 210), QColor(219, 219, 141)};
    uint32_t h = 2166136261u;  // FNV-1a: the same colour on every platform
    for (unsigned char ch : name) h = (h ^ ch) * 16777619u;
    h += uint32_t(index);
    return cycle[h % (sizeof cycle / sizeof cycle[0])];
}

} // namespace

QColor curveColor(const std::string& key, int index)
{
    if (key == "ideal") return QColor(40, 40, 40);
    const std::string base = baseKey(key);
    QColor c = fallbackColor(base, index);
    if (endsWith(key, "_ideal")) c = c.lighter(125);
    return c;
}

bool curveDashed(const std::string& key) { return key == "ideal" || endsWith(key, "_ideal"); }

QFont plotTitleFont() { return pixelFont(15, true); }
QFont plotAxisFont() { return pixelFont(12); }

void applyPlotTheme(QCustomPlot* plot, const QString& title)
{
    plot->setBackground(Qt::white);
    plot->setAntialiasedElements(QCP::aeAll);
    plot->setNotAntialiasedElements(QCP::aeGrid | QCP::aeAxes);
    const QFont axisFont = plotAxisFont();
    const QFont tickFont = pixelFont(11);
    const QColor axisColor(90, 90, 90), gridColor(228, 228, 228), subGridColor(242, 242, 242);
    for (QCPAxis* ax : {plot->xAxis, plot->yAxis, plot->xAxis2, plot->yAxis2}) {
        ax->setLabelFont(axisFont);
        ax->setTickLabelFont(tickFont);
        ax->setBasePen(QPen(axisColor, 1));
        ax->setTickPen(QPen(axisColor, 1));
        ax->setSubTickPen(QPen(axisColor, 1));
        ax->setTickLabelColor(QColor(60, 60, 60));
        ax->setLabelColor(QColor(40, 40, 40));
        ax->grid()->setPen(QPen(gridColor, 1, Qt::SolidLine));
        ax->grid()->setSubGridPen(QPen(subGridColor, 1, Qt::SolidLine));
        ax->grid()->setZeroLinePen(QPen(QColor(200, 200, 200), 1));
    }
    plot->xAxis2->setVisible(true);
    plot->yAxis2->setVisible(true);
    for (QCPAxis* ax : {plot->xAxis2, plot->yAxis2}) {
        ax->setTickLabels(false);
        ax->setTicks(false);
        ax->grid()->setVisible(false);
    }
    QObject::connect(plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), plot->xAxis2,
                     qOverload<const QCPRange&>(&QCPAxis::setRange));
    QObject::connect(plot->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), plot->yAxis2,
                     qOverload<const QCPRange&>(&QCPAxis::setRange));

    plot->legend->setFont(pixelFont(11));
    plot->legend->setBrush(QColor(255, 255, 255, 225));
    plot->legend->setBorderPen(QPen(QColor(200, 200, 200)));
    plot->legend->setIconSize(22, 10);
    plot->legend->setRowSpacing(-2);
    plot->legend->setSelectableParts(QCPLegend::spItems);

    plot->plotLayout()->insertRow(0);
    auto* titleElement = new QCPTextElement(plot, title, plotTitleFont());
    titleElement->setTextColor(QColor(30, 30, 30));
    titleElement->setMargins(QMargins(8, 6, 8, 0));
    plot->plotLayout()->addElement(0, 0, titleElement);
    plot->plotLayout()->setRowSpacing(0);
}

} // namespace qs
