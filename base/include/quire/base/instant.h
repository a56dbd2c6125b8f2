// Instants as text: ISO 8601 in UTC with milliseconds, always 24 characters
// ("2026-12-06T09:00:00.000Z"). The one form every instant takes in Quire's API, CLI output
// and audit chain (docs/api.md).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "quire/base/clock.h"
#include "quire/base/result.h"

namespace quire {

std::string FormatInstant(Timestamp t);
// Reads exactly the form FormatInstant writes. Errors: kInvalidArgument with an example.
Result<Timestamp> ParseInstant(std::string_view text);

}  // namespace quire
