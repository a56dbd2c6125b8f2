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

namespace quire {

std::string JsonText(const boost::json::value& value);

}  // namespace quire
