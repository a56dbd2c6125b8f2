#include "quire/definitions/camunda_form.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <set>

namespace quire::definitions {
namespace {

namespace json = boost::json;

std::string Text(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<double> Number(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) return v->to_number<double>();
  // The form editor writes numbers typed into its properties panel as strings.
  if (v->is_string() && !v->as_string().empty()) {
    try {
      std::size_t used = 0;
      const std::string s(v->as_string());
      const double d = std::stod(s, &used);
      if (used == s.size()) return d;
    } catch (...) {
    }
  }
  return std::nullopt;
}

// Simple, permissive forms of what form-js checks for these validation types.
constexpr std::string_view kEmailPattern = "^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$";
constexpr std::string_view kPhonePattern = "^\\+?[0-9 ()./-]{5,}$";

class Reader {
 public:
  std::vector<std::pair<std::string, std::string>> problems;

  void Components(const json::value& list, const std::string& where, const std::string& path,
                  std::vector<FormField>& out) {
    if (!list.is_array()) {
      problems.emplace_back(where, "must be a list of components");
      return;
    }
    const json::array& items = list.as_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string at = where + "[" + std::to_string(i) + "]";
      if (!items[i].is_object()) {
        problems.emplace_back(at, "must be an object");
        continue;
      }
      Component(items[i].as_object(), at, path, out);
    }
  }

 private:
  void Component(const json::object& c, const std::string& at, const std::string& path,
                 std::vector<FormField>& out) {
    const std::string type = Text(c, "type");
    if (type.empty()) {
      problems.emplace_back(at, "has no type");
      return;
    }
    if (type == "group" || type == "dynamiclist") {
      const std::string own = Text(c, "path");
      const std::string nested = own.empty() ? path : (path.empty() ? own : path + "." + own);
      const json::value* children = c.if_contains("components");
      if (children == nullptr) return;
      if (type == "group") {
        Components(*children, at + ".components", nested, out);
        return;
      }
      if (own.empty()) {
        problems.emplace_back(at, "is a dynamic list without a path for its rows");
        return;
      }
      FormField list;
      list.name = nested;
      list.label = Text(c, "label");
      list.type = "list";
      Components(*children, at + ".components", "", list.rows);
      Claim(list.name, at);
      out.push_back(std::move(list));
      return;
    }
    const std::string key = Text(c, "key");
    if (key.empty() || type == "expression") return;  // no data, or computed by the form
    FormField f;
    f.name = path.empty() ? key : path + "." + key;
    f.label = Text(c, "label");
    f.read_only = false;
    if (type == "number") {
      f.type = "number";
    } else if (type == "checkbox") {
      f.type = "boolean";
    } else if (type == "select" || type == "radio") {
      f.type = "enum";
    } else if (type == "checklist" || type == "taglist") {
      f.type = "multiselect";
    } else if (type == "datetime") {
      const std::string subtype = Text(c, "subtype");
      f.type = subtype == "time" ? "time" : subtype == "datetime" ? "datetime" : "date";
    } else {
      f.type = "string";  // textfield, textarea, filepicker, custom components
    }
    if (const json::value* v = c.if_contains("validate"); v != nullptr) {
      if (!v->is_object()) {
        problems.emplace_back(at + ".validate", "must be an object");
      } else {
        Rules(v->as_object(), at + ".validate", f);
      }
    }
    if (const json::value* vs = c.if_contains("values"); vs != nullptr && vs->is_array()) {
      for (const json::value& item : vs->as_array()) {
        if (!item.is_object()) continue;
        const json::value* value = item.as_object().if_contains("value");
        if (value == nullptr) continue;
        std::string text =
            value->is_string() ? std::string(value->as_string()) : json::serialize(*value);
        f.options.push_back({std::move(text), Text(item.as_object(), "label")});
      }
    }
    Claim(f.name, at);
    out.push_back(std::move(f));
  }

  void Rules(const json::object& rules, const std::string& at, FormField& f) {
    if (const json::value* r = rules.if_contains("required"); r != nullptr && r->is_bool()) {
      f.required = r->as_bool();
    }
    f.min = Number(rules, "min");
    f.max = Number(rules, "max");
    for (auto [name, out] :
         {std::pair{"minLength", &f.min_length}, std::pair{"maxLength", &f.max_length}}) {
      if (const auto n = Number(rules, name)) {
        if (*n < 0 || std::nearbyint(*n) != *n) {
          problems.emplace_back(at + "." + name, "must be a whole number of characters");
        } else {
          *out = static_cast<std::int64_t>(*n);
        }
      }
    }
    f.pattern = Text(rules, "pattern");
    const std::string kind = Text(rules, "validationType");
    if (kind == "email") {
      f.pattern = kEmailPattern;
    } else if (kind == "phone") {
      f.pattern = kPhonePattern;
    } else if (!kind.empty() && kind != "custom") {
      problems.emplace_back(at + ".validationType",
                            "'" + kind + "' is not one Quire checks (email, phone or custom)");
    }
  }

  void Claim(const std::string& name, const std::string& at) {
    if (!names_.insert(name).second) {
      problems.emplace_back(at, "uses the key '" + name + "', which another field already has");
    }
  }

  std::set<std::string> names_;
};

}  // namespace

Result<CamundaForm> ReadCamundaForm(std::string_view text) {
  boost::system::error_code ec;
  const json::value schema = json::parse(text, ec);
  if (ec || !schema.is_object()) {
    return Error::ValidationFailed(
        "a Camunda form must be a JSON object (as Camunda Modeler saves .form files): " +
        (ec ? ec.message() : std::string("it is not an object")));
  }
  const json::object& o = schema.as_object();
  CamundaForm form;
  form.id = Text(o, "id");
  Reader reader;
  if (const json::value* components = o.if_contains("components")) {
    reader.Components(*components, "components", "", form.fields);
  } else {
    reader.problems.emplace_back("components", "is missing: a form lists its components");
  }
  if (!reader.problems.empty()) {
    Error error = Error::ValidationFailed("the Camunda form" +
                                          (form.id.empty() ? std::string() : " '" + form.id + "'") +
                                          " has " + std::to_string(reader.problems.size()) +
                                          (reader.problems.size() == 1 ? " problem" : " problems"));
    for (auto& [where, what] : reader.problems) error.AddDetail(where, what);
    return error;
  }
  return form;
}

}  // namespace quire::definitions
