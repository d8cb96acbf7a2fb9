#pragma once
// Progress and cancellation seen by long-running core code (plain C++, no Qt).
// Core loops call report() per chunk and stop early when cancelled() is true;
// the job layer (CLI bar, GUI QPromise) implements this interface.
#include <atomic>
#include <cstdint>
#include <string>

namespace qs {

class Progress {
public:
    virtual ~Progress() = default;
    // A new phase of work, e.g. "quantizing model.layers.0.mlp.down_proj.weight".
    virtual void phase(const std::string& text) { (void)text; }
    // Units done of total in the current phase (bytes or elements; unit says which).
    virtual void report(uint64_t done, uint64_t total, const char* unit = "") { (void)done; (void)total; (void)unit; }
    virtual bool cancelled() const { return false; }
};

// A Progress that only carries a cancel flag (tests, nested calls).
class CancelFlag : public Progress {
public:
    void cancel() { m_cancel.store(true); }
    bool cancelled() const override { return m_cancel.load(); }

private:
    std::atomic<bool> m_cancel{false};
};

} // namespace qs
