#include "quire/base/json_merge_patch.h"

namespace quire {

namespace json = boost::json;

json::object MergePatch(json::object target, const json::object& patch) {
  for (const auto& member : patch) {
    if (member.value().is_null()) {
      target.erase(member.key());
    } else if (member.value().is_object()) {
      json::value* existing = target.if_contains(member.key());
      target[member.key()] =
          MergePatch(existing != nullptr ? *existing : json::value(), member.value());
    } else {
      target[member.key()] = member.value();
    }
  }
  return target;
}

json::value MergePatch(const json::value& target, const json::value& patch) {
  if (!patch.is_object()) return patch;
  // A target that is not an object is replaced by an empty one before merging.
  return MergePatch(target.is_object() ? target.get_object() : json::object(), patch.get_object());
}

}  // namespace quire
