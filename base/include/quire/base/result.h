// Result<T>: a T or an Error, returned by every fallible function at a module boundary.
//
// The interface is std::expected's (has_value, value, error, *, ->, value_or) but the type
// is our own: libstdc++ 12's <expected> is unusable from clang (its concepts level), and
// the fuzz targets are built with clang. It is [[nodiscard]], so a dropped result is a
// compiler warning (an error in CI). An Error converts implicitly, so a function can
// simply `return Error::NotFound("...")`; `Result<void>` says "done, or why not".
//
// Calling value() or * on a failed Result, or error() on a successful one, is a bug: it
// aborts with the error's text, never returns garbage.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "quire/base/error.h"

namespace quire {

namespace result_internal {
[[noreturn]] inline void Die(const char* what, const Error* error) {
  std::fprintf(stderr, "quire: %s%s%s\n", what, error != nullptr ? ": " : "",
               error != nullptr ? error->ToString().c_str() : "");
  std::abort();
}
}  // namespace result_internal

template <typename T>
class [[nodiscard]] Result {
 public:
  Result() requires std::is_default_constructible_v<T> : data_(std::in_place_index<0>) {}
  Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit
  template <typename U = T>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, Result> &&
           !std::is_same_v<std::remove_cvref_t<U>, Error>) Result(U&& value)
      : data_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

  bool has_value() const { return data_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return Check(), std::get<0>(data_); }
  const T& value() const& { return Check(), std::get<0>(data_); }
  T&& value() && { return Check(), std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(data_) : static_cast<T>(std::forward<U>(fallback));
  }

  Error& error() & { return CheckError(), std::get<1>(data_); }
  const Error& error() const& { return CheckError(), std::get<1>(data_); }
  Error&& error() && { return CheckError(), std::get<1>(std::move(data_)); }

 private:
  void Check() const {
    if (!has_value()) result_internal::Die("value() of a failed Result", &std::get<1>(data_));
  }
  void CheckError() const {
    if (has_value()) result_internal::Die("error() of a successful Result", nullptr);
  }

  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  void value() const {
    if (error_) result_internal::Die("value() of a failed Result", &*error_);
  }

  Error& error() & { return CheckError(), *error_; }
  const Error& error() const& { return CheckError(), *error_; }
  Error&& error() && { return CheckError(), std::move(*error_); }

 private:
  void CheckError() const {
    if (!error_) result_internal::Die("error() of a successful Result", nullptr);
  }

  std::optional<Error> error_;
};

// Reads as "success" in `return Ok();` for Result<void>.
inline Result<void> Ok() { return {}; }

}  // namespace quire

// Evaluates `expr` (a Result); returns its error from the enclosing function if it failed.
// (The temporary is named after the line, so that the macro nests inside a lambda that is
// itself an argument of the macro.)
#define QUIRE_RETURN_IF_ERROR(expr) \
  QUIRE_RETURN_IF_ERROR_IMPL_(QUIRE_CONCAT_(quire_status_, __LINE__), expr)
#define QUIRE_RETURN_IF_ERROR_IMPL_(tmp, expr) \
  do {                                         \
    if (auto tmp = (expr); !tmp) {             \
      return std::move(tmp).error();           \
    }                                          \
  } while (false)

#define QUIRE_CONCAT_INNER_(a, b) a##b
#define QUIRE_CONCAT_(a, b) QUIRE_CONCAT_INNER_(a, b)

// Declares `lhs` from the value of `expr` (a Result<T>), or returns its error.
// Example: QUIRE_ASSIGN_OR_RETURN(auto store, Store::Open(dir, options));
#define QUIRE_ASSIGN_OR_RETURN(lhs, expr) \
  QUIRE_ASSIGN_OR_RETURN_IMPL_(QUIRE_CONCAT_(quire_result_, __LINE__), lhs, expr)
#define QUIRE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp) return std::move(tmp).error();           \
  lhs = std::move(tmp).value()
