#include "quire/base/json_text.h"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>

namespace quire {
namespace json = boost::json;

namespace {

bool HasDouble(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_:
      return true;
    case json::kind::array:
      for (const json::value& e : v.get_array()) {
        if (HasDouble(e)) return true;
      }
      return false;
    case json::kind::object:
      for (const auto& m : v.get_object()) {
        if (HasDouble(m.value())) return true;
      }
      return false;
    default:
      return false;
  }
}

void Write(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, r.ptr);
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        Write(e, out);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& m : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string_view(m.key()));
        out += ':';
        Write(m.value(), out);
      }
      out += '}';
      return;
    }
    default:
      out += json::serialize(v);
  }
}

}  // namespace

std::string JsonText(const json::value& value) {
  // Most documents hold no double: Boost's serializer writes those unchanged, faster.
  if (!HasDouble(value)) return json::serialize(value);
  std::string out;
  Write(value, out);
  return out;
}

void AppendJsonString(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  // Runs of bytes written as they are, appended at once: most text has nothing to escape.
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 15];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

}  // namespace quire
