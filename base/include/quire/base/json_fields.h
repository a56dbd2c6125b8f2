// Reading fields of stored JSON records (the engine's, the document store's), tolerant of
// absent fields (records gain fields over time: an absent one reads as its default).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "quire/base/result.h"

namespace quire {

inline std::int64_t IntOf(const boost::json::object& o, std::string_view name,
                          std::int64_t fallback = 0) {
  const boost::json::value* v = o.if_contains(name);
  if (v == nullptr) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return fallback;
}

inline std::string StrOf(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

inline boost::json::array ArrOf(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = o.if_contains(name);
  return v != nullptr && v->is_array() ? v->get_array() : boost::json::array();
}

// A stored record that must be a JSON object; `what` names it in the error.
inline Result<boost::json::object> ParseRecord(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) {
    return Error::Corruption("a stored " + std::string(what) + " is damaged (not a JSON object)");
  }
  return std::move(v.get_object());
}

}  // namespace quire
