// JSON Merge Patch (RFC 7396): what PATCH means for a JSON object in Quire's API.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace quire {

// `target` with `patch` merged in, as RFC 7396 section 2 defines it: a member whose patch
// value is null is removed, an object patch is merged into the member recursively, and any
// other value (string, number, boolean, array) replaces the member. A patch that is not an
// object replaces the whole target.
boost::json::value MergePatch(const boost::json::value& target, const boost::json::value& patch);

// The same for an object target and an object patch (the common case: metadata, variables).
boost::json::object MergePatch(boost::json::object target, const boost::json::object& patch);

}  // namespace quire
