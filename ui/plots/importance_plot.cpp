#include "plots/importance_plot.h"

#include "plots/palette.h"
#include "plots/plot_readout.h"
#include "plots/plot_style.h"
#include "plots/qcp.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <QFontMetricsF>

namespace qs {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

QString why(const std::string& note)
{
    if (note == "no entry") return QObject::tr("the importance file has no entry for it");
    if (note == "1-D" || note == "scalar") return QObject::tr("a 1-D tensor (a bias or a norm) has no input channels");
    return qs(note);
}

} // namespace

std::vector<int64_t> topChannels(const std::vector<double>& ex2, int count)
{
    std::vector<int64_t> idx;
    for (size_t i = 0; i < ex2.size(); ++i)
        if (std::isfinite(ex2[i]) && ex2[i] > 0) idx.push_back(int64_t(i));
    const size_t k = std::min(idx.size(), size_t(std::max(0, count)));
    std::partial_sort(idx.begin(), idx.begin() + std::ptrdiff_t(k), idx.end(), [&](int64_t a, int64_t b) {
        return ex2[size_t(a)] != ex2[size_t(b)] ? ex2[size_t(a)] > ex2[size_t(b)] : a < b;
    });
    idx.resize(k);
    return idx;
}

ImportancePanel importancePanel(const RunImportance* imp, const TensorInfo& tensor, int64_t expert)
{
    ImportancePanel out;
    const QString name = qs(tensor.name);
    if (!imp) {
        out.message = QObject::tr("No importance file is loaded. File › Open importance… (or drop an imatrix .gguf / .dat "
                                  "or an importance .safetensors on the window) shows the E[x²] of each input channel "
                                  "here and adds wSQNR / wREL to the results.");
        return out;
    }
    const ImportanceBinding* b = imp->index.find(tensor.name);
    const std::string note = weightsProblem(b, tensor.shape, Layout::AsStored);
    if (!b || !b->entry) {
        out.message = QObject::tr("No importance for %1: %2.").arg(name, why(note));
        return out;
    }
    if (!b->error.empty()) {
        out.message = QObject::tr("%1 cannot use its importance entry: %2").arg(name, qs(b->error));
        return out;
    }
    const ImportanceEntry& e = *b->entry;
    int64_t m = 0;
    if (b->matrix >= 0) {
        m = b->matrix;  // one expert's tensor of a merged entry
    } else if (e.nMat > 1) {
        out.experts = e.nMat;  // a stacked [E, ...] tensor: the user picks the expert
        m = std::clamp<int64_t>(expert, 0, e.nMat - 1);
        out.expert = m;
    }
    const QString matrixText =
        e.nMat > 1 ? QObject::tr(", expert %1 of %2").arg(m).arg(e.nMat) : QString();
    if (m >= e.nMat) {
        out.message = QObject::tr("%1 takes matrix %2 of \"%3\", which has only %4.")
                          .arg(name).arg(m).arg(qs(e.name)).arg(e.nMat);
        return out;
    }
    if (e.noData[size_t(m)]) {
        out.message = QObject::tr("Expert %1 of \"%2\" saw no calibration data (count 0): no E[x²] to show, and no "
                                  "weighted metrics for %3.")
                          .arg(m).arg(qs(e.name), name);
        return out;
    }
    ImportancePlotData d;
    d.title = tensor.name;
    d.ex2.assign(e.ex2.begin() + std::ptrdiff_t(m * e.nIn), e.ex2.begin() + std::ptrdiff_t((m + 1) * e.nIn));
    const ImportanceStats st = importanceStats(d.ex2.data(), int64_t(d.ex2.size()));
    d.subtitle = QObject::tr("E[x²] of entry \"%1\"%2 · %3 channels\nmean %4 · max/mean %5 · the top 1 % of channels "
                             "carry %6 % of the energy")
                     .arg(qs(e.name), matrixText)
                     .arg(e.nIn)
                     .arg(QString::number(st.mean, 'g', 3), QString::number(st.maxOverMean, 'g', 3),
                          QString::number(100.0 * st.top1Share, 'g', 3))
                     .toStdString();
    QStringList notes;
    const auto zeros = std::count_if(d.ex2.begin(), d.ex2.end(), [](double v) { return !(v > 0); });
    if (zeros) notes << QObject::tr("%1 channels with E[x²] = 0 are not drawn (log scale)").arg(zeros);
    if (!note.empty()) notes << QObject::tr("no weighted metrics for this tensor: %1").arg(why(note));
    d.note = notes.join(QStringLiteral(" · ")).toStdString();
    out.plot = std::move(d);
    return out;
}

void buildImportancePlot(QCustomPlot* plot, const ImportancePlotData& data)
{
    applyPlotTheme(plot, qs(data.title));
    if (!data.subtitle.empty()) {
        QFont f = plotAxisFont();
        f.setPixelSize(11);
        auto* sub = new QCPTextElement(plot, qs(data.subtitle), f);
        sub->setTextColor(QColor(90, 90, 90));
        plot->plotLayout()->insertRow(1);
        plot->plotLayout()->addElement(1, 0, sub);
    }
    const int n = int(data.ex2.size());
    QVector<double> keys(n), values(n);
    double lo = std::numeric_limits<double>::infinity(), hi = 0, sum = 0;
    for (int i = 0; i < n; ++i) {
        const double v = data.ex2[size_t(i)];
        keys[i] = i;
        // A log axis has no place for 0: a gap in the line (the note says how many).
        values[i] = v > 0 && std::isfinite(v) ? v : std::numeric_limits<double>::quiet_NaN();
        if (v > 0 && std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        if (std::isfinite(v)) sum += v;
    }
    QCPGraph* g = plot->addGraph();
    g->setName(QStringLiteral("E[x²]"));
    g->setData(keys, values, true);
    g->setPen(QPen(fallbackColor(3), 1.2));
    g->setLineStyle(QCPGraph::lsLine);

    // The mean, dashed.
    if (n > 0 && sum > 0) {
        QCPGraph* mean = plot->addGraph();
        mean->setName(QStringLiteral("mean"));
        mean->setData(QVector<double>{0, double(n - 1)}, QVector<double>{sum / n, sum / n}, true);
        QPen pen(curveColor("ideal", 0), 1.0);
        pen.setStyle(Qt::DashLine);
        mean->setPen(pen);
    }

    // The top channels: marked, labelled "#index · value".
    const std::vector<int64_t> top = topChannels(data.ex2, data.topCount);
    if (!top.empty()) {
        std::vector<int64_t> byKey = top;
        std::sort(byKey.begin(), byKey.end());
        QCPGraph* t = plot->addGraph();
        t->setName(QStringLiteral("top channels"));
        t->setLineStyle(QCPGraph::lsNone);
        t->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, fallbackColor(6), fallbackColor(6), 6));
        QVector<double> tk, tv;
        QStringList names;
        for (int64_t c : byKey) {
            tk << double(c);
            tv << data.ex2[size_t(c)];
            names << QObject::tr("channel %1").arg(c);
        }
        t->setData(tk, tv, true);
        setPointLabels(t, names);
        QFont f = plotAxisFont();
        f.setPixelSize(10);
        // Largest first: they get the first pick of place. Positioned in pixels on every
        // replot (zoom changes the spacing): above the point, inside the axis rect,
        // moved up past the labels already placed that it would overprint.
        QList<QCPItemText*> labels;
        std::vector<QPointF> anchors;  // (channel, E[x²])
        for (int64_t c : top) {
            auto* label = new QCPItemText(plot);
            label->setObjectName(QStringLiteral("topChannelLabel"));
            label->position->setType(QCPItemPosition::ptAbsolute);
            label->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
            label->setPadding(QMargins(2, 0, 2, 0));
            label->setText(QStringLiteral("#%1 · %2").arg(c).arg(QString::number(data.ex2[size_t(c)], 'g', 3)));
            label->setColor(fallbackColor(6).darker(120));
            label->setBrush(QColor(255, 255, 255, 200));  // readable over the line
            label->setFont(f);
            label->setClipToAxisRect(true);
            labels << label;
            anchors.emplace_back(double(c), data.ex2[size_t(c)]);
        }
        // After the layout step: the axis rect and the axes' pixel mapping are this replot's.
        QObject::connect(plot, &QCustomPlot::afterLayout, plot, [plot, labels, anchors] {
            const QRect area = plot->axisRect()->rect();
            QList<QRectF> placed;
            for (qsizetype i = 0; i < labels.size(); ++i) {
                QCPItemText* label = labels[i];
                const QPointF p(plot->xAxis->coordToPixel(anchors[size_t(i)].x()),
                                plot->yAxis->coordToPixel(anchors[size_t(i)].y()));
                const QFontMetricsF fm(label->font());
                const double w = fm.horizontalAdvance(label->text()) + 4, h = fm.height();
                const double x = std::clamp(p.x() - w / 2, double(area.left()) + 1,
                                            std::max(double(area.left()) + 1, double(area.right()) - w - 1));
                QRectF r(x, p.y() - 4 - h, w, h);
                for (int tries = 0; tries < 8; ++tries) {
                    const auto clash = std::find_if(placed.begin(), placed.end(), [&](const QRectF& o) { return r.intersects(o); });
                    if (clash == placed.end()) break;
                    r.moveBottom(clash->top() - 1);
                }
                placed << r;
                label->position->setCoords(r.left(), r.top());
            }
        });
    }

    plot->xAxis->setLabel(QObject::tr("input channel"));
    plot->yAxis->setLabel(QObject::tr("E[x²] (log scale)"));
    setLogAxis(plot->yAxis);
    if (std::isfinite(lo) && hi > 0) {
        if (hi <= lo) {
            lo /= 2;
            hi *= 2;
        }
        plot->yAxis->setRange(lo / 2, hi * 8);  // room above for the labels
    } else {
        plot->yAxis->setRange(1e-3, 1);
    }
    plot->xAxis->setRange(-0.5 - 0.01 * n, n - 0.5 + 0.01 * n);
    // No legend over the data: the subtitle gives the mean, the panel's hint says the
    // dashed line is it, and the read-out names every curve under the mouse.
    plot->legend->setVisible(false);
    if (!data.note.empty()) {
        auto* footer = new QCPTextElement(plot, qs(data.note), plotAxisFont());
        footer->setTextColor(QColor(110, 110, 110));
        plot->plotLayout()->addElement(plot->plotLayout()->rowCount(), 0, footer);
    }
}

} // namespace qs
