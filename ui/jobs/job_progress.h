#pragma once
// PromiseProgress: the core's Progress interface on top of a QPromise (STYLE.md §8).
// Core loops report (done, total, unit) per chunk and poll cancelled(); this turns the
// reports into the job's bar value and one status line that tells the truth:
//
//   "Analyzing selection: tensor 3 of 12 (model.layers.0.mlp.down_proj.weight) ·
//    quantizing 4.2 M of 16.8 M elements · about 12 s left"
//
// A phase "[i/N] name" (the convention the CLI's progress line uses too) starts item i of
// N: the bar moves through that item's share of the current span (equal shares, or the
// weights given by setItemWeights). Other phases ("statistics", "quantizing") refine the
// item. setSpan lets a job with several steps give each step its share of the bar. The
// time estimate comes from the fraction done and the time since the job started.
// Safe to call from worker threads.
#include "common/progress.h"

#include <QPromise>
#include <QString>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace qs {

// The bar's range. Fine grained so that a text change with no visible progress can still
// move the value by one step (QFuture drops a progress text whose value does not grow).
inline constexpr int kJobProgressScale = 1000000;

// "4.2 M of 16.8 M elements", "1.5 of 3.0 MiB", "3 of 5 files" (empty when total is 0).
QString progressCountText(uint64_t done, uint64_t total, const char* unit);
// "about 12 s left", "about 3 min 20 s left"; empty while an estimate would be noise
// (less than 2 s elapsed or less than 2 % done).
QString progressEtaText(double fraction, double elapsedSeconds);

// The state behind one job's status line and bar value (no Qt future; testable alone).
class JobProgressState {
public:
    void setTitle(const QString& title);
    void setSpan(double lo, double hi);
    void setItemWeights(std::vector<double> weights);
    void phase(const std::string& text);
    void report(uint64_t done, uint64_t total, const char* unit);

    double fraction() const;  // of the whole job, 0..1
    QString text(double elapsedSeconds) const;

private:
    void enterItem(int index, int count);

    QString m_title, m_item, m_sub;
    int m_index = -1, m_count = 0;
    std::vector<double> m_weights;
    double m_spanLo = 0, m_spanHi = 1;  // setSpan
    double m_lo = 0, m_hi = 1;          // the current item's share of the span
    uint64_t m_done = 0, m_total = 0;
    std::string m_unit;
};

template <class T>
class PromiseProgress final : public Progress {
public:
    explicit PromiseProgress(QPromise<T>& promise) : m_promise(promise), m_start(std::chrono::steady_clock::now())
    {
        m_promise.setProgressRange(0, kJobProgressScale);
    }

    void setSpan(double lo, double hi) { update([&] { m_state.setSpan(lo, hi); }); }
    void setText(const QString& text) { update([&] { m_state.setTitle(text); }); }
    // Relative sizes of the "[i/N]" items (e.g. element counts), for a fair bar and ETA.
    void setItemWeights(std::vector<double> weights) { update([&] { m_state.setItemWeights(std::move(weights)); }); }

    void phase(const std::string& text) override { update([&] { m_state.phase(text); }); }
    // Per chunk, from worker threads: only the counts are stored unless a line is due
    // (QFuture shows at most 25 updates a second and drops the rest anyway).
    void report(uint64_t done, uint64_t total, const char* unit) override
    {
        update([&] { m_state.report(done, total, unit); }, /*onlyWhenDue=*/true);
    }
    bool cancelled() const override { return m_promise.isCanceled(); }

private:
    static constexpr std::chrono::milliseconds kLineInterval{40};

    template <class F>
    void update(F&& change, bool onlyWhenDue = false)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        change();
        const auto now = std::chrono::steady_clock::now();
        if (onlyWhenDue && now - m_lastPush < kLineInterval) return;
        m_lastPush = now;
        const double elapsed = std::chrono::duration<double>(now - m_start).count();
        const QString text = m_state.text(elapsed);
        // Keep the top step for the end: QFuture ignores values that do not grow.
        int value = std::min(int(m_state.fraction() * (kJobProgressScale - 1000)), kJobProgressScale - 1000);
        if (text != m_lastText && value <= m_lastValue) value = m_lastValue + 1;
        if (value <= m_lastValue) return;
        m_lastValue = value;
        m_lastText = text;
        m_promise.setProgressValueAndText(value, text);
    }

    QPromise<T>& m_promise;
    const std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_lastPush{};
    std::mutex m_mutex;
    JobProgressState m_state;
    int m_lastValue = -1;
    QString m_lastText;
};

} // namespace qs
