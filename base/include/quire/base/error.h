// Error: the one error value every Quire module returns across its boundary.
//
// An Error has a code from a small fixed set, a message for a person ("what, where, how
// to fix"), and optional details that locate the problem (a form field, a file:line:col).
// Codes map one-to-one onto HTTP statuses in the server; their names are part of the
// public API ("code" in every error response): never rename one.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quire {

enum class ErrorCode {
  kInvalidArgument,   // the request is malformed or names something unusable (HTTP 400)
  kValidationFailed,  // well-formed input that breaks a rule; details say which (HTTP 422)
  kUnauthenticated,   // no or bad credentials (HTTP 401)
  kForbidden,         // the caller may not do this (HTTP 403)
  kNotFound,          // the thing named does not exist (HTTP 404)
  kConflict,          // clashes with current state: exists already, locked, changed (HTTP 409)
  kTooManyRequests,   // too many attempts: wait (a "retryAfter" detail says how many seconds) (HTTP
                      // 429)
  kUnavailable,       // cannot be done now, try later: resource busy or held elsewhere (HTTP 503)
  kDeadlineExceeded,  // took longer than allowed (HTTP 504)
  kCorruption,        // stored data is damaged; never answered with wrong data (HTTP 500)
  kInternal,          // a bug or an unexpected failure underneath (HTTP 500)
};

// The stable snake_case name of a code, e.g. "not_found".
std::string_view ErrorCodeName(ErrorCode code);

// One located part of an error: `field` names where (a form field, a key, "file:12:5"),
// `message` says what is wrong there.
struct ErrorDetail {
  std::string field;
  std::string message;

  friend bool operator==(const ErrorDetail&, const ErrorDetail&) = default;
};

class Error {
 public:
  Error(ErrorCode code, std::string message, std::vector<ErrorDetail> details = {})
      : code_(code), message_(std::move(message)), details_(std::move(details)) {}

  static Error InvalidArgument(std::string message) {
    return {ErrorCode::kInvalidArgument, std::move(message)};
  }
  static Error ValidationFailed(std::string message, std::vector<ErrorDetail> details = {}) {
    return {ErrorCode::kValidationFailed, std::move(message), std::move(details)};
  }
  static Error Unauthenticated(std::string message) {
    return {ErrorCode::kUnauthenticated, std::move(message)};
  }
  static Error Forbidden(std::string message) {
    return {ErrorCode::kForbidden, std::move(message)};
  }
  static Error NotFound(std::string message) { return {ErrorCode::kNotFound, std::move(message)}; }
  static Error Conflict(std::string message) { return {ErrorCode::kConflict, std::move(message)}; }
  // With a "retryAfter" detail holding the seconds to wait (the Retry-After header over HTTP).
  static Error TooManyRequests(std::string message, long retry_after_seconds) {
    return {ErrorCode::kTooManyRequests,
            std::move(message),
            {{"retryAfter", std::to_string(retry_after_seconds)}}};
  }
  static Error Unavailable(std::string message) {
    return {ErrorCode::kUnavailable, std::move(message)};
  }
  static Error DeadlineExceeded(std::string message) {
    return {ErrorCode::kDeadlineExceeded, std::move(message)};
  }
  static Error Corruption(std::string message) {
    return {ErrorCode::kCorruption, std::move(message)};
  }
  static Error Internal(std::string message) { return {ErrorCode::kInternal, std::move(message)}; }

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<ErrorDetail>& details() const { return details_; }

  Error& AddDetail(std::string field, std::string message) {
    details_.push_back({std::move(field), std::move(message)});
    return *this;
  }

  // Returns a copy whose message is "<context>: <message>", for adding where an error
  // happened as it travels up (e.g. "opening /var/lib/quire: ...").
  Error WithContext(std::string_view context) const;

  // "not_found: <message>" plus "; <field>: <message>" per detail, for logs and the CLI.
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::vector<ErrorDetail> details_;
};

}  // namespace quire
