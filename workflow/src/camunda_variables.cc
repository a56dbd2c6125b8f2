#include "quire/workflow/camunda_variables.h"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

#include "quire/base/json_text.h"

namespace quire::workflow {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 12> kTypes = {"string", "boolean", "integer", "long",
                                                     "short",  "double",  "date",    "json",
                                                     "object", "null",    "bytes",   "file"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error Misfit(std::string_view name, std::string_view type, std::string_view expected) {
  return Error::InvalidArgument("variable '" + std::string(name) + "' is of Camunda type " +
                                std::string(type) + ", so its \"value\" must be " +
                                std::string(expected));
}

template <class T>
bool ParseWhole(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

bool IsCamundaTyped(const json::value& v) {
  if (!v.is_object()) return false;
  const json::object& o = v.get_object();
  const json::value* type = o.if_contains("type");
  if (type == nullptr || !type->is_string()) return false;
  for (const auto& member : o) {
    const std::string_view key = member.key();
    if (key != "value" && key != "type" && key != "valueInfo") return false;
  }
  const std::string t = Lower(type->get_string());
  for (const std::string_view known : kTypes) {
    if (t == known) return true;
  }
  return false;
}

Result<json::value> FromCamundaTyped(std::string_view name, const json::object& typed) {
  const json::value* type_value = typed.if_contains("type");
  const std::string_view type = type_value != nullptr && type_value->is_string()
                                    ? std::string_view(type_value->get_string())
                                    : std::string_view();
  const std::string t = Lower(type);
  const json::value* found = typed.if_contains("value");
  const json::value value = found != nullptr ? *found : json::value();
  // Without a type Camunda infers one from the JSON value: the value is kept as it is.
  if (t.empty()) return value;
  if (t == "null" || value.is_null()) return json::value();
  if (t == "string" || t == "date") {
    if (!value.is_string()) return Misfit(name, type, "a string");
    return value;
  }
  if (t == "boolean") {
    if (value.is_bool()) return value;
    if (value.is_string() && (value.get_string() == "true" || value.get_string() == "false")) {
      return json::value(value.get_string() == "true");
    }
    return Misfit(name, type, "true or false");
  }
  if (t == "integer" || t == "long" || t == "short") {
    std::int64_t n = 0;
    if (value.is_int64()) {
      n = value.get_int64();
    } else if (value.is_uint64() && value.get_uint64() <= INT64_MAX) {
      n = static_cast<std::int64_t>(value.get_uint64());
    } else if (value.is_double() && std::fabs(value.get_double()) < 9.0e18 &&
               std::nearbyint(value.get_double()) == value.get_double()) {
      // In range before the cast: converting 1e30 to an integer is undefined.
      n = static_cast<std::int64_t>(value.get_double());
    } else if (!(value.is_string() && ParseWhole(std::string_view(value.get_string()), n))) {
      return Misfit(name, type, "a whole number");
    }
    const bool fits = t == "long" || (t == "integer" && n >= INT32_MIN && n <= INT32_MAX) ||
                      (t == "short" && n >= INT16_MIN && n <= INT16_MAX);
    if (!fits) {
      return Misfit(name, type,
                    t == "short" ? "a whole number from -32768 to 32767"
                                 : "a whole number that fits in 32 bits (use Long)");
    }
    return json::value(n);
  }
  if (t == "double") {
    if (value.is_number()) return json::value(value.to_number<double>());
    if (value.is_string()) {
      boost::system::error_code ec;
      const json::value parsed = json::parse(value.get_string(), ec);
      if (!ec && parsed.is_number()) return json::value(parsed.to_number<double>());
    }
    return Misfit(name, type, "a number");
  }
  if (t == "json" || t == "object") {
    if (!value.is_string()) return value;  // already JSON
    boost::system::error_code ec;
    json::value parsed = json::parse(value.get_string(), ec);
    if (ec) return Misfit(name, type, "JSON text, such as \"{\\\"a\\\": 1}\"");
    return parsed;
  }
  if (t == "bytes" || t == "file") {
    return Error::InvalidArgument("variable '" + std::string(name) + "' is of Camunda type " +
                                  std::string(type) +
                                  ", which Quire does not keep in process variables: store the "
                                  "content as a document (POST /api/documents) and pass its id");
  }
  return Error::InvalidArgument("variable '" + std::string(name) +
                                "' has the unknown Camunda type '" + std::string(type) +
                                "' (String, Boolean, Integer, Long, Short, Double, Date, Json, "
                                "Object or Null)");
}

Result<json::object> PlainVariables(const json::object& variables) {
  json::object out;
  for (const auto& [name, value] : variables) {
    if (IsCamundaTyped(value)) {
      QUIRE_ASSIGN_OR_RETURN(out[name], FromCamundaTyped(name, value.get_object()));
    } else {
      out[name] = value;
    }
  }
  return out;
}

json::object CamundaTyped(const json::value& v) {
  json::object out{{"valueInfo", json::object()}};
  switch (v.kind()) {
    case json::kind::null:
      out["type"] = "Null";
      out["value"] = nullptr;
      break;
    case json::kind::bool_:
      out["type"] = "Boolean";
      out["value"] = v;
      break;
    case json::kind::int64:
    case json::kind::uint64: {
      const bool small = v.is_int64() ? (v.get_int64() >= INT32_MIN && v.get_int64() <= INT32_MAX)
                                      : v.get_uint64() <= INT32_MAX;
      out["type"] = small ? "Integer" : "Long";
      out["value"] = v;
      break;
    }
    case json::kind::double_:
      out["type"] = "Double";
      out["value"] = v;
      break;
    case json::kind::string:
      out["type"] = "String";
      out["value"] = v;
      break;
    default:
      out["type"] = "Json";
      out["value"] = JsonText(v);
      break;
  }
  return out;
}

json::object CamundaTypedVariables(const json::object& variables) {
  json::object out;
  for (const auto& [name, value] : variables) out[name] = CamundaTyped(value);
  return out;
}

}  // namespace quire::workflow
