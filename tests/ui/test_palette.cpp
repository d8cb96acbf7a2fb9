// The format palette (#15 §4): every registry format has a colour, a line style and a
// marker; the three together are unique, and so are line style + marker (a greyscale
// print still tells formats apart); colours within one line style stay apart for normal
// vision and under simulated deuteranopia, protanopia and tritanopia (Machado, Oliveira
// and Fernandes 2009, severity 1.0), and across line styles for normal vision. The
// pairs users reported (BFP8 / FP8_E4M3, MXFP4 / its proxy) are checked by name.
#include <QTest>

#include <array>
#include <cmath>
#include <set>

#include "formats/format.h"
#include "plots/palette.h"
#include "plots/plot_style.h"

using namespace qs;

namespace {

using Vec3 = std::array<double, 3>;

double toLinear(double c)
{
    c /= 255.0;
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}
double toSrgb(double c)
{
    c = std::clamp(c, 0.0, 1.0);
    return 255.0 * (c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(c, 1 / 2.4) - 0.055);
}

enum class Vision { Normal, Deutan, Protan, Tritan };

Vec3 simulate(QRgb rgb, Vision v)
{
    Vec3 c{double(qRed(rgb)), double(qGreen(rgb)), double(qBlue(rgb))};
    if (v == Vision::Normal) return c;
    static constexpr double m[3][3][3] = {
        {{0.367322, 0.860646, -0.227968}, {0.280085, 0.672501, 0.047413}, {-0.011820, 0.042940, 0.968881}},
        {{0.152286, 1.052583, -0.204868}, {0.114503, 0.786281, 0.099216}, {-0.003882, -0.048116, 1.051998}},
        {{1.255528, -0.076749, -0.178779}, {-0.078411, 0.930809, 0.147602}, {0.004733, 0.691367, 0.303900}}};
    const auto& k = m[int(v) - 1];
    const Vec3 l{toLinear(c[0]), toLinear(c[1]), toLinear(c[2])};
    Vec3 out;
    for (int i = 0; i < 3; ++i) out[size_t(i)] = toSrgb(k[i][0] * l[0] + k[i][1] * l[1] + k[i][2] * l[2]);
    return out;
}

Vec3 lab(const Vec3& rgb)
{
    const double r = toLinear(rgb[0]), g = toLinear(rgb[1]), b = toLinear(rgb[2]);
    const double x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, y = 0.2126 * r + 0.7152 * g + 0.0722 * b,
                 z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    auto f = [](double t) { return t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16.0 / 116.0; };
    return {116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))};
}

double deltaE(QRgb a, QRgb b, Vision v)
{
    const Vec3 p = lab(simulate(a, v)), q = lab(simulate(b, v));
    return std::sqrt((p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) + (p[2] - q[2]) * (p[2] - q[2]));
}

} // namespace

class TestPalette : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyFormatHasAUniqueStyle()
    {
        std::set<std::string_view> styled;
        for (const FormatStyle& s : formatStyles()) styled.insert(s.name);
        for (const Format& f : formats()) QVERIFY2(styled.count(f.name), f.name.data());
        std::set<std::pair<int, int>> lineMarker;
        std::set<QRgb> colours;
        for (const FormatStyle& s : formatStyles()) {
            QVERIFY2(lineMarker.insert({int(s.line), int(s.marker)}).second, s.name.data());
            QVERIFY2(colours.insert(s.rgb).second, s.name.data());
        }
        // The seven original formats (all the tile formats) are solid lines.
        for (const Format& f : formats())
            if (f.tileFormat) QCOMPARE(formatStyle(f.name)->line, Qt::SolidLine);
    }

    void coloursStayApart()
    {
        const auto styles = formatStyles();
        for (size_t i = 0; i < styles.size(); ++i)
            for (size_t j = i + 1; j < styles.size(); ++j) {
                const FormatStyle &a = styles[i], &b = styles[j];
                const QString pair = QString::fromLatin1(a.name.data()) + " / " + QString::fromLatin1(b.name.data());
                const double normal = deltaE(a.rgb, b.rgb, Vision::Normal);
                if (a.line != b.line) {
                    QVERIFY2(normal >= 20, qPrintable(pair + QStringLiteral(": ΔE %1").arg(normal)));
                    continue;
                }
                QVERIFY2(normal >= 30, qPrintable(pair + QStringLiteral(": ΔE %1").arg(normal)));
                for (Vision v : {Vision::Deutan, Vision::Protan, Vision::Tritan}) {
                    const double d = deltaE(a.rgb, b.rgb, v);
                    QVERIFY2(d >= 15, qPrintable(pair + QStringLiteral(" (vision %1): ΔE %2").arg(int(v)).arg(d)));
                }
            }
        // The reported pairs: clearly different colours, not only different lines.
        QVERIFY(deltaE(formatStyle("bfp8")->rgb, formatStyle("fp8_e4m3")->rgb, Vision::Normal) >= 40);
        QVERIFY(deltaE(formatStyle("mxfp4")->rgb, formatStyle("mxfp4_proxy")->rgb, Vision::Normal) >= 20);
    }

    void curvesUseThePalette()
    {
        QCOMPARE(curveColor("fp8_e4m3", 0).rgb() & 0xFFFFFF, formatStyle("fp8_e4m3")->rgb);
        QCOMPARE(curveLineStyle("fp8_e4m3"), Qt::DashLine);
        QCOMPARE(curveLineStyle("bfp8"), Qt::SolidLine);
        QCOMPARE(curveLineStyle("ideal"), Qt::DashLine);
        QCOMPARE(curveLineStyle("mxfp4_proxy"), Qt::DashDotLine);
        QVERIFY(curveMarkerShape("bf16", 0) != curveMarkerShape("bfp8", 0));
    }
};

QTEST_GUILESS_MAIN(TestPalette)
#include "test_palette.moc"
