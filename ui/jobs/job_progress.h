#pragma once
// PromiseProgress: the core's Progress interface on top of a QPromise (STYLE.md §8).
// Core loops report (done, total) per chunk and poll cancelled(); this maps the report
// into the current span of the job's 0..1000 progress range (setSpan lets a job with
// several steps give each step its share) and reads the future's cancel flag. The
// phase text becomes the future's progress text. Safe to call from worker threads.
#include "common/progress.h"

#include <QPromise>
#include <QString>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>

namespace qs {

inline constexpr int kJobProgressScale = 1000;

template <class T>
class PromiseProgress final : public Progress {
public:
    explicit PromiseProgress(QPromise<T>& promise) : m_promise(promise)
    {
        m_promise.setProgressRange(0, kJobProgressScale);
    }

    // The fraction [lo, hi] of the whole job that the following reports cover.
    void setSpan(double lo, double hi)
    {
        m_lo = std::clamp(lo, 0.0, 1.0);
        m_hi = std::clamp(hi, m_lo.load(), 1.0);
        push(m_lo);
    }
    void setText(const QString& text)
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_text = text;
        }
        push(m_lo);
    }

    void phase(const std::string& text) override { setText(QString::fromStdString(text)); }
    void report(uint64_t done, uint64_t total, const char* unit) override
    {
        (void)unit;
        const double f = total ? std::min(1.0, double(done) / double(total)) : 0.0;
        push(m_lo + (m_hi - m_lo) * f);
    }
    bool cancelled() const override { return m_promise.isCanceled(); }

private:
    void push(double fraction)
    {
        QString text;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            text = m_text;
        }
        // QPromise keeps the value monotonic and throttles signals itself.
        m_promise.setProgressValueAndText(int(fraction * kJobProgressScale), text);
    }

    QPromise<T>& m_promise;
    std::atomic<double> m_lo{0.0}, m_hi{1.0};
    std::mutex m_mutex;
    QString m_text;
};

} // namespace qs
