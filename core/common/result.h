#pragma once
// Result<T>: a value or an Error, passed across layers instead of exceptions
// (STYLE.md §11). Error messages name the file, tensor or field at fault and what
// was expected. exitCode is the CLI exit status the error maps to (WQ.md §2):
// 1 = bad arguments / config / nothing matched, 2 = model or network failure.
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace qs {

struct Error {
    std::string message;
    int exitCode = 1;

    static Error usage(std::string m) { return {std::move(m), 1}; }
    static Error model(std::string m) { return {std::move(m), 2}; }
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(m_v); }
    const T& value() const& { assert(ok()); return std::get<0>(m_v); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(m_v)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { assert(!ok()); return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_err(std::move(error)), m_ok(false) {}
    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const Error& error() const { assert(!m_ok); return m_err; }

private:
    Error m_err;
    bool m_ok = true;
};

} // namespace qs

// Propagate an error from an expression returning Result<...>.
#define QS_TRY(expr)                                   \
    do {                                               \
        auto&& qs_try_r_ = (expr);                     \
        if (!qs_try_r_.ok()) return qs_try_r_.error(); \
    } while (0)
