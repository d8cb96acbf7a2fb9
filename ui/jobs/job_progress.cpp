#include "jobs/job_progress.h"

#include "models/tensor_tree_model.h"

#include <QCoreApplication>
#include <QStringList>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace qs {
namespace {

QString tr(const char* s) { return QCoreApplication::translate("JobProgress", s); }

// 12,345 below a million, then "4.2 M" / "1.3 G".
QString shortCount(double v)
{
    if (v < 1e6) return withThousands(uint64_t(std::llround(v)));
    if (v < 1e9) return QString::number(v / 1e6, 'f', 1) + QStringLiteral(" M");
    return QString::number(v / 1e9, 'f', 1) + QStringLiteral(" G");
}

} // namespace

QString progressCountText(uint64_t done, uint64_t total, const char* unit)
{
    if (total == 0) return {};
    const QString u = QString::fromLatin1(unit ? unit : "");
    if (u == QLatin1String("B")) {
        static const char* const names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        int k = 0;
        double scale = 1;
        while (k < 4 && double(total) >= 1024 * scale) {
            scale *= 1024;
            ++k;
        }
        const int digits = k == 0 ? 0 : 1;
        return tr("%1 of %2 %3")
            .arg(QString::number(double(done) / scale, 'f', digits), QString::number(double(total) / scale, 'f', digits),
                 QLatin1String(names[k]));
    }
    QString text = tr("%1 of %2").arg(shortCount(double(done)), shortCount(double(total)));
    if (!u.isEmpty()) text += QLatin1Char(' ') + u;
    return text;
}

QString progressEtaText(double fraction, double elapsedSeconds)
{
    if (elapsedSeconds < 2.0 || fraction < 0.02 || fraction >= 1.0) return {};
    const double left = elapsedSeconds * (1.0 - fraction) / fraction;
    const long s = std::lround(std::ceil(left));
    if (s < 60) return tr("about %1 s left").arg(std::max(1L, s));
    if (s < 3600) return tr("about %1 min %2 s left").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return tr("about %1 h %2 min left").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
}

void JobProgressState::setTitle(const QString& title)
{
    m_title = title;
    m_item.clear();
    m_sub.clear();
    m_index = -1;
    m_count = 0;
    m_done = m_total = 0;
}

void JobProgressState::setSpan(double lo, double hi)
{
    m_spanLo = std::clamp(lo, 0.0, 1.0);
    m_spanHi = std::clamp(hi, m_spanLo, 1.0);
    m_lo = m_spanLo;
    m_hi = m_spanHi;
    m_done = m_total = 0;
}

void JobProgressState::setItemWeights(std::vector<double> weights)
{
    for (double& w : weights) w = std::max(w, 0.0);
    m_weights = std::move(weights);
    if (m_index >= 0) enterItem(m_index, m_count);
}

void JobProgressState::enterItem(int index, int count)
{
    m_index = index;
    m_count = count;
    double before = index, size = 1, all = count;
    if (int(m_weights.size()) == count) {
        all = std::accumulate(m_weights.begin(), m_weights.end(), 0.0);
        before = std::accumulate(m_weights.begin(), m_weights.begin() + index, 0.0);
        size = m_weights[size_t(index)];
        if (all <= 0) before = index, size = 1, all = count;
    }
    const double w = m_spanHi - m_spanLo;
    m_lo = m_spanLo + w * before / all;
    m_hi = m_spanLo + w * std::min(all, before + size) / all;
}

void JobProgressState::phase(const std::string& text)
{
    const QString t = QString::fromStdString(text);
    m_done = m_total = 0;
    // "[i/N] name": item i of N.
    if (t.startsWith(QLatin1Char('['))) {
        const int close = t.indexOf(QLatin1Char(']'));
        const QStringList parts = t.mid(1, close - 1).split(QLatin1Char('/'));
        bool okI = false, okN = false;
        const int i = parts.size() == 2 ? parts[0].toInt(&okI) : 0, n = parts.size() == 2 ? parts[1].toInt(&okN) : 0;
        if (close > 0 && okI && okN && i >= 1 && i <= n) {
            enterItem(i - 1, n);
            m_item = t.mid(close + 1).trimmed();
            m_sub.clear();
            return;
        }
    }
    m_sub = t;
}

void JobProgressState::report(uint64_t done, uint64_t total, const char* unit)
{
    m_done = std::min(done, total);
    m_total = total;
    m_unit = unit ? unit : "";
}

double JobProgressState::fraction() const
{
    const double f = m_total ? double(m_done) / double(m_total) : 0.0;
    return std::clamp(m_lo + (m_hi - m_lo) * f, 0.0, 1.0);
}

QString JobProgressState::text(double elapsedSeconds) const
{
    QString line = m_title;
    auto add = [&line](const QString& sep, const QString& part) {
        if (part.isEmpty()) return;
        line += line.isEmpty() ? part : sep + part;
    };
    if (m_index >= 0) {
        QString item = tr("tensor %1 of %2").arg(m_index + 1).arg(m_count);
        if (!m_item.isEmpty()) item += QStringLiteral(" (%1)").arg(m_item);
        add(QStringLiteral(": "), item);
    }
    QString step = m_sub;
    if (const QString count = progressCountText(m_done, m_total, m_unit.c_str()); !count.isEmpty())
        step = step.isEmpty() ? count : step + QLatin1Char(' ') + count;
    add(m_index >= 0 ? QStringLiteral(" · ") : QStringLiteral(": "), step);
    add(QStringLiteral(" · "), progressEtaText(fraction(), elapsedSeconds));
    return line;
}

} // namespace qs
