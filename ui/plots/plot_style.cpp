#include "plots/plot_style.h"

#include <algorithm>

#include "formats/format.h"
#include "plots/palette.h"
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

// The palette's colour (plots/palette.h); other registry formats a stable colour from
// their registry position.
QColor registryColor(const std::string& name, int index)
{
    if (auto c = formatColor(name)) return *c;
    const auto all = formats();
    for (size_t i = 0; i < all.size(); ++i)
        if (all[i].name == name) return fallbackColor(int(i));
    return fallbackColor(index);
}

} // namespace

QColor curveColor(const std::string& key, int index)
{
    if (key == "ideal") return QColor(40, 40, 40);
    if (formatStyle(key)) return registryColor(key, index);
    const std::string base = baseKey(key);
    QColor c = registryColor(base, index);
    if (base != key) c = c.lighter(125);
    return c;
}

Qt::PenStyle curveLineStyle(const std::string& key)
{
    if (key == "ideal") return Qt::DashLine;
    if (const FormatStyle* s = formatStyle(key)) return s->line;
    if (baseKey(key) != key) return Qt::DashLine;
    return Qt::SolidLine;
}

int curveMarkerShape(const std::string& key, int index)
{
    static constexpr QCPScatterStyle::ScatterShape kShapes[] = {
        QCPScatterStyle::ssDisc,        QCPScatterStyle::ssSquare,       QCPScatterStyle::ssDiamond,
        QCPScatterStyle::ssTriangle,    QCPScatterStyle::ssTriangleInverted, QCPScatterStyle::ssCross,
        QCPScatterStyle::ssPlus,        QCPScatterStyle::ssCircle,       QCPScatterStyle::ssStar,
        QCPScatterStyle::ssCrossSquare, QCPScatterStyle::ssPlusSquare,   QCPScatterStyle::ssCrossCircle,
        QCPScatterStyle::ssPlusCircle,  QCPScatterStyle::ssPeace};
    const FormatStyle* s = formatStyle(key);
    const int i = s ? int(s->marker) : index % int(std::size(kShapes));
    return int(kShapes[i]);
}

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

void keepDataAspect(QCustomPlot* plot)
{
    QObject::connect(plot, &QCustomPlot::beforeReplot, plot, [plot] {
        const QRect r = plot->axisRect()->rect();
        if (r.width() < 2 || r.height() < 2) return;
        const QCPRange x = plot->xAxis->range(), y = plot->yAxis->range();
        const double sx = x.size() / r.width(), sy = y.size() / r.height();  // data units per pixel
        if (!(sx > 0) || !(sy > 0)) return;
        if (sx > sy * 1.0001) plot->yAxis->setRange(y.center(), sx * r.height(), Qt::AlignCenter);
        else if (sy > sx * 1.0001) plot->xAxis->setRange(x.center(), sy * r.width(), Qt::AlignCenter);
    });
}

void placeLegend(QCustomPlot* plot, Qt::Alignment corner, int maxInside)
{
    QCPLegend* legend = plot->legend;
    if (legend->itemCount() <= maxInside) {
        plot->axisRect()->insetLayout()->setInsetAlignment(0, corner);
        return;
    }
    plot->axisRect()->insetLayout()->take(legend);
    int row = 0;
    for (int r = 0; r < plot->plotLayout()->rowCount(); ++r)
        if (plot->plotLayout()->element(r, 0) == plot->axisRect()) row = r;
    // A column of its own: the legend on top, an empty element below taking the rest of
    // the height (a layout cell would otherwise stretch the legend's box over it).
    auto* column = new QCPLayoutGrid;
    plot->plotLayout()->addElement(row, 1, column);
    plot->plotLayout()->setColumnStretchFactor(1, 0.001);
    column->addElement(0, 0, legend);
    column->addElement(1, 0, new QCPLayoutElement(plot));
    column->setRowStretchFactor(0, 0.001);
    column->setRowStretchFactor(1, 1);
    column->setMargins(QMargins(0, 0, 4, 0));
    legend->setMargins(QMargins(4, 3, 4, 3));
    legend->setFillOrder(QCPLayoutGrid::foRowsFirst, false);
    auto fit = [plot, legend] {
        const int n = legend->itemCount();
        if (n == 0) return;
        const int rowHeight = std::max(1, legend->item(0)->minimumOuterSizeHint().height() + legend->rowSpacing());
        // Before the first layout the axis rect has no height: assume room for 8 rows (never
        // fewer than 6: one legend row would make the plot's minimum width absurd).
        const int height = plot->axisRect()->outerRect().height();
        const int available = height > 40 ? height - 8 : 8 * rowHeight;
        const int rows = std::clamp(available / rowHeight, std::min(n, 6), n);
        if (legend->wrap() != rows) {
            legend->setWrap(rows);
            legend->setFillOrder(QCPLayoutGrid::foRowsFirst, true);
        }
    };
    fit();
    QObject::connect(plot, &QCustomPlot::beforeReplot, plot, fit);
}

void setLogAxis(QCPAxis* axis)
{
    axis->setScaleType(QCPAxis::stLogarithmic);
    auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
    ticker->setLogBase(10);
    ticker->setSubTickCount(8);
    axis->setTicker(ticker);
    axis->setNumberFormat(QStringLiteral("eb"));
    axis->setNumberPrecision(0);
}

} // namespace qs
