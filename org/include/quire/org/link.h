// Link: a reference from one record to another by kind and id ("customer", "c-42"). Tasks,
// documents and CRM records link to each other with it; the kinds are open-ended.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "quire/base/result.h"

namespace quire::org {

struct Link {
  std::string kind;  // "instance", "task", "customer", "offer", ...
  std::string id;
  friend bool operator==(const Link&, const Link&) = default;
  friend auto operator<=>(const Link&, const Link&) = default;
};

// A kind of lower-case letters, digits, '_' and '-' (1 to 32, a letter first) and an id of 1 to
// 200 characters without control characters. Errors: kInvalidArgument saying which.
Result<void> CheckLink(const Link& link);

// "customer:c-42" → {customer, c-42}: the kind up to the first ':', the id after it.
// Errors: kInvalidArgument naming the expected form.
Result<Link> ParseLink(std::string_view text);

// "customer:c-42".
std::string ToString(const Link& link);

}  // namespace quire::org
