// GoogleTest matchers for Result<T>: assert success, or the *specific* error expected.
//
//   EXPECT_THAT(store->Write(batch), IsOk());
//   EXPECT_THAT(Store::Open(dir), HasError(ErrorCode::kUnavailable, HasSubstr("in use")));
#pragma once

#include <gmock/gmock.h>

#include <ostream>

#include "quire/base/result.h"

namespace quire {

inline void PrintTo(const Error& error, std::ostream* os) { *os << error.ToString(); }

template <typename T>
void PrintTo(const Result<T>& result, std::ostream* os) {
  if (result.has_value()) {
    *os << "a success";
  } else {
    *os << "an error";
  }
}

namespace testing {

MATCHER(IsOk, "succeeds") {
  if (arg.has_value()) return true;
  *result_listener << "failed with " << arg.error().ToString();
  return false;
}

MATCHER_P(HasError, code, "fails with " + std::string(ErrorCodeName(code))) {
  if (arg.has_value()) {
    *result_listener << "succeeded";
    return false;
  }
  *result_listener << "failed with " << arg.error().ToString();
  return arg.error().code() == code;
}

MATCHER_P2(HasError, code, message_matcher,
           "fails with " + std::string(ErrorCodeName(code)) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  if (arg.has_value()) {
    *result_listener << "succeeded";
    return false;
  }
  *result_listener << "failed with " << arg.error().ToString();
  return arg.error().code() == code && ::testing::Matches(message_matcher)(arg.error().message());
}

}  // namespace testing
}  // namespace quire
