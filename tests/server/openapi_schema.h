// Checks a JSON value against a schema of the OpenAPI document (the subset Quire's document
// uses: $ref, allOf, object properties and required, arrays, scalar types, enums, nullable),
// and against docs/api.md's forms: camelCase member names, instants as
// 2026-12-06T09:00:00.000Z. Used on the document's own examples and on real answers.
#pragma once

#include <boost/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace quire::server {

namespace openapi_schema_detail {

namespace json = boost::json;

inline const json::object& Resolve(const json::value& doc, const json::object& schema) {
  if (const json::value* ref = schema.if_contains("$ref")) {
    const std::string name(ref->as_string());
    return doc.at("components")
        .at("schemas")
        .at(name.substr(name.find_last_of('/') + 1))
        .as_object();
  }
  return schema;
}

inline void Check(const json::value& doc, const json::value& value, const json::object& raw,
                  const std::string& where, std::vector<std::string>& problems) {
  static const std::regex kCamel("^[a-z][a-zA-Z0-9]*$");
  static const std::regex kInstant(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");
  // Members whose keys are the user's own (variables, metadata, a form's JSON, event data).
  static const std::set<std::string> kFreeForm{"variables", "metadata", "localVariables", "schema"};
  const json::object& schema = Resolve(doc, raw);
  if (const json::value* all = schema.if_contains("allOf")) {
    json::object merged;
    for (const json::value& part : all->as_array()) {
      const json::object& p = Resolve(doc, part.as_object());
      if (const json::value* props = p.if_contains("properties")) {
        for (const auto& m : props->as_object()) merged[m.key()] = m.value();
      }
    }
    Check(doc, value, json::object{{"type", "object"}, {"properties", merged}}, where, problems);
    return;
  }
  if (schema.contains("oneOf") || schema.contains("anyOf")) return;
  if (value.is_null()) {
    if (!schema.contains("nullable")) problems.push_back(where + " is null but not nullable");
    return;
  }
  const std::string type = schema.contains("type") ? std::string(schema.at("type").as_string())
                           : schema.contains("properties") ? "object"
                                                           : "";
  if (type == "object") {
    if (!value.is_object()) {
      problems.push_back(where + " should be an object");
      return;
    }
    const json::value* props = schema.if_contains("properties");
    for (const auto& m : value.as_object()) {
      const std::string name(m.key());
      const std::string at = where + "." + name;
      if (!std::regex_match(name, kCamel)) problems.push_back(at + " is not camelCase");
      if (name.ends_with("At") && !m.value().is_null() &&
          !(m.value().is_string() &&
            std::regex_match(std::string(m.value().as_string()), kInstant))) {
        problems.push_back(at + " must be an instant such as 2026-12-06T09:00:00.000Z");
      }
      if (props == nullptr) continue;
      const json::value* p = props->as_object().if_contains(name);
      if (p == nullptr) {
        problems.push_back(at + " is not in the schema");
      } else if (!kFreeForm.contains(name)) {
        Check(doc, m.value(), p->as_object(), at, problems);
      }
    }
    if (const json::value* required = schema.if_contains("required")) {
      for (const json::value& r : required->as_array()) {
        if (!value.as_object().contains(r.as_string())) {
          problems.push_back(where + " lacks the required '" + std::string(r.as_string()) + "'");
        }
      }
    }
  } else if (type == "array") {
    if (!value.is_array()) {
      problems.push_back(where + " should be an array");
      return;
    }
    std::size_t i = 0;
    for (const json::value& e : value.as_array()) {
      Check(doc, e, schema.at("items").as_object(), where + "[" + std::to_string(i++) + "]",
            problems);
    }
  } else if (type == "string") {
    if (!value.is_string()) {
      problems.push_back(where + " should be a string");
    } else if (const json::value* e = schema.if_contains("enum")) {
      bool found = false;
      for (const json::value& option : e->as_array()) found = found || option == value;
      if (!found) problems.push_back(where + " is not one of its enum");
    }
  } else if (type == "integer") {
    if (!value.is_int64() && !value.is_uint64())
      problems.push_back(where + " should be an integer");
  } else if (type == "number") {
    if (!value.is_number()) problems.push_back(where + " should be a number");
  } else if (type == "boolean") {
    if (!value.is_bool()) problems.push_back(where + " should be true or false");
  }
}

}  // namespace openapi_schema_detail

// What is wrong with `value` as an instance of `schema` (empty: nothing).
inline std::vector<std::string> SchemaProblems(const boost::json::value& doc,
                                               const boost::json::value& value,
                                               const boost::json::object& schema,
                                               const std::string& where) {
  std::vector<std::string> problems;
  openapi_schema_detail::Check(doc, value, schema, where, problems);
  return problems;
}

// The schema of a route's JSON answer with `status`, or nullptr when none is described.
inline const boost::json::object* AnswerSchema(const boost::json::value& doc,
                                               const std::string& method, const std::string& path,
                                               int status) {
  const boost::json::value* p = doc.at("paths").as_object().if_contains(path);
  if (p == nullptr || !p->as_object().contains(method)) return nullptr;
  const boost::json::value* r =
      p->at(method).at("responses").as_object().if_contains(std::to_string(status));
  if (r != nullptr && r->as_object().contains("$ref")) {  // a shared answer: the error shape
    const std::string ref(r->at("$ref").as_string());
    r = &doc.at("components").at("responses").at(ref.substr(ref.find_last_of('/') + 1));
  }
  if (r == nullptr || !r->as_object().contains("content")) return nullptr;
  const boost::json::value* j = r->at("content").as_object().if_contains("application/json");
  if (j == nullptr) return nullptr;
  return &j->at("schema").as_object();
}

}  // namespace quire::server
