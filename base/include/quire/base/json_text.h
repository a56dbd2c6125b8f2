// JSON text as Quire writes it to people and programs: like boost::json::serialize, except
// that numbers stored as doubles are written the shortest way that reads back the same
// value (48000.0 as 48000, 0.1 as 0.1, 1e30 as 1e+30), as JavaScript's JSON.stringify does,
// instead of Boost's scientific form (4.8E4, 1E-1). NaN and infinities, which JSON cannot
// hold, are written as null.
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace quire {

std::string JsonText(const boost::json::value& value);

// Appends `text` to `out` as a JSON string: quoted, with '"', '\\' and control characters
// escaped (RFC 8259); other UTF-8 as it is. For lists written without building a
// boost::json::value per item (a team's calendar month is thousands of them).
void AppendJsonString(std::string_view text, std::string& out);

}  // namespace quire
