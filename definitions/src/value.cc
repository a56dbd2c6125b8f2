#include "quire/definitions/value.h"

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>

namespace quire::definitions {

Value::Type Value::type() const {
  switch (data_.index()) {
    case 0:
      return Type::kNull;
    case 1:
      return Type::kBool;
    case 2:
      return Type::kNumber;
    case 3:
    case 4:
      return Type::kString;
    case 5:
      return Type::kDateTime;
    case 6:
      return Type::kDuration;
    case 7:
      return Type::kList;
    case 8:
      return Type::kContext;
    default:
      break;
  }
  const boost::json::value& j = *std::get<const boost::json::value*>(data_);
  switch (j.kind()) {
    case boost::json::kind::null:
      return Type::kNull;
    case boost::json::kind::bool_:
      return Type::kBool;
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return Type::kNumber;
    case boost::json::kind::string:
      return Type::kString;
    case boost::json::kind::array:
      return Type::kList;
    case boost::json::kind::object:
      return Type::kContext;
  }
  return Type::kNull;
}

namespace {
const boost::json::value* JsonOf(const auto& data) {
  const auto* p = std::get_if<const boost::json::value*>(&data);
  return p == nullptr ? nullptr : *p;
}
}  // namespace

bool Value::AsBool() const {
  if (const auto* j = JsonOf(data_)) return j->as_bool();
  return std::get<bool>(data_);
}

double Value::AsNumber() const {
  if (const auto* j = JsonOf(data_)) return j->to_number<double>();
  return std::get<double>(data_);
}

std::string_view Value::AsString() const {
  if (const auto* j = JsonOf(data_)) return j->as_string();
  if (const auto* s = std::get_if<std::string>(&data_)) return *s;
  return std::get<std::string_view>(data_);
}

Timestamp Value::AsDateTime() const { return std::get<Timestamp>(data_); }
const Duration& Value::AsDuration() const { return std::get<Duration>(data_); }

std::size_t Value::ListSize() const {
  if (const auto* j = JsonOf(data_)) return j->as_array().size();
  return std::get<std::shared_ptr<const List>>(data_)->size();
}

Value Value::ListAt(std::size_t i) const {
  if (const auto* j = JsonOf(data_)) return Json(j->as_array()[i]);
  return (*std::get<std::shared_ptr<const List>>(data_))[i];
}

Value Value::Member(std::string_view name) const {
  if (const auto* j = JsonOf(data_)) {
    const boost::json::object& o = j->as_object();
    const auto it = o.find(name);
    return it == o.end() ? Null() : Json(it->value());
  }
  for (const auto& [key, value] : *std::get<std::shared_ptr<const Context>>(data_)) {
    if (key == name) return value;
  }
  return Null();
}

std::vector<std::string> Value::MemberNames() const {
  std::vector<std::string> names;
  if (const auto* j = JsonOf(data_)) {
    for (const auto& kv : j->as_object()) names.emplace_back(kv.key());
    return names;
  }
  for (const auto& kv : *std::get<std::shared_ptr<const Context>>(data_)) names.push_back(kv.first);
  return names;
}

boost::json::value Value::ToJson() const {
  if (const auto* j = JsonOf(data_)) return *j;
  switch (type()) {
    case Type::kNull:
      return nullptr;
    case Type::kBool:
      return AsBool();
    case Type::kNumber: {
      const double n = AsNumber();
      if (std::trunc(n) == n && std::fabs(n) < 9.0e15) return static_cast<std::int64_t>(n);
      return n;
    }
    case Type::kString:
      return boost::json::string(AsString());
    case Type::kDateTime:
      return boost::json::string(FormatDateTime(AsDateTime()));
    case Type::kDuration:
      return boost::json::string(FormatDuration(AsDuration()));
    case Type::kList: {
      boost::json::array out;
      for (std::size_t i = 0; i < ListSize(); ++i) out.push_back(ListAt(i).ToJson());
      return out;
    }
    case Type::kContext: {
      boost::json::object out;
      for (const auto& [key, value] : *std::get<std::shared_ptr<const Context>>(data_)) {
        out[key] = value.ToJson();
      }
      return out;
    }
  }
  return nullptr;
}

Value Value::Owned() const {
  if (const auto* j = JsonOf(data_)) {
    switch (type()) {
      case Type::kNull:
        return Null();
      case Type::kBool:
        return Bool(AsBool());
      case Type::kNumber:
        return Number(AsNumber());
      case Type::kString:
        return String(std::string(AsString()));
      case Type::kList: {
        List items;
        for (const auto& item : j->as_array()) items.push_back(Json(item).Owned());
        return OfList(std::move(items));
      }
      case Type::kContext: {
        Context entries;
        for (const auto& kv : j->as_object())
          entries.emplace_back(std::string(kv.key()), Json(kv.value()).Owned());
        return OfContext(std::move(entries));
      }
      default:
        break;
    }
  }
  if (const auto* s = std::get_if<std::string_view>(&data_)) return String(std::string(*s));
  if (const auto* l = std::get_if<std::shared_ptr<const List>>(&data_)) {
    List items;
    for (const Value& v : **l) items.push_back(v.Owned());
    return OfList(std::move(items));
  }
  if (const auto* c = std::get_if<std::shared_ptr<const Context>>(&data_)) {
    Context entries;
    for (const auto& [k, v] : **c) entries.emplace_back(k, v.Owned());
    return OfContext(std::move(entries));
  }
  return *this;
}

std::string Value::ToString() const {
  switch (type()) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return AsBool() ? "true" : "false";
    case Type::kNumber: {
      const double n = AsNumber();
      char buffer[32];
      if (std::trunc(n) == n && std::fabs(n) < 9.0e15) {
        std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(n));
      } else {
        std::snprintf(buffer, sizeof buffer, "%.15g", n);
      }
      return buffer;
    }
    case Type::kString:
      return "\"" + std::string(AsString()) + "\"";
    case Type::kDateTime:
      return FormatDateTime(AsDateTime());
    case Type::kDuration:
      return FormatDuration(AsDuration());
    case Type::kList: {
      std::string out = "[";
      for (std::size_t i = 0; i < ListSize(); ++i) out += (i ? ", " : "") + ListAt(i).ToString();
      return out + "]";
    }
    case Type::kContext: {
      std::string out = "{";
      bool first = true;
      for (const std::string& name : MemberNames()) {
        out += (first ? "" : ", ") + name + ": " + Member(name).ToString();
        first = false;
      }
      return out + "}";
    }
  }
  return "null";
}

const char* Value::TypeName(Type type) {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "boolean";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kDateTime:
      return "date-time";
    case Type::kDuration:
      return "duration";
    case Type::kList:
      return "list";
    case Type::kContext:
      return "context";
  }
  return "value";
}

}  // namespace quire::definitions
