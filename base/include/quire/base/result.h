// Result<T>: a T or an Error, returned by every fallible function at a module boundary.
//
// It is std::expected<T, Error> marked [[nodiscard]], so a dropped result is a compiler
// warning (an error in CI). An Error converts implicitly, so a function can simply
// `return Error::NotFound("...")`; `Result<void>` says "done, or why not".
#pragma once

#include <expected>
#include <utility>

#include "quire/base/error.h"

namespace quire {

template <typename T>
class [[nodiscard]] Result : public std::expected<T, Error> {
  using Base = std::expected<T, Error>;

 public:
  using Base::Base;
  Result() = default;
  Result(Error error) : Base(std::unexpect, std::move(error)) {}  // NOLINT: implicit by design
};

// Reads as "success" in `return Ok();` for Result<void>.
inline Result<void> Ok() { return {}; }

}  // namespace quire

// Evaluates `expr` (a Result); returns its error from the enclosing function if it failed.
#define QUIRE_RETURN_IF_ERROR(expr)                    \
  do {                                                 \
    if (auto quire_result_ = (expr); !quire_result_) { \
      return std::move(quire_result_).error();         \
    }                                                  \
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
