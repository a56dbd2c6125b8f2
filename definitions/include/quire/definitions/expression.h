// Expressions in conditions, timers, mappings and assignments: a FEEL-like language, plus
// the ${...} JUEL forms Camunda 7 models use. See docs/expressions.md.
//
//   amount > 1000 and customer.segment in ["gold", "platinum"]
//   if priority >= 80 then "urgent" else "normal"
//   now() + duration("P3D")          string length(name) > 0          ${approved == true}
//
// Compile once (when a definition is loaded), evaluate many times. Evaluation reads
// variables in place (JSON, borrowed) and needs no allocation for the common shapes:
// paths, literals, comparisons, arithmetic and boolean logic.
//
// Semantics: null propagates through arithmetic and ordering comparisons (FEEL); `and`
// and `or` are three-valued; `x = null` tests for null. A variable that is not set is an
// error ("variable 'amount' is not set"), as in Camunda and Zeebe, so a typo never routes
// a token silently; a missing field of an object is null. Mixing types in arithmetic or
// ordering ("a" < 1) is an error naming both types.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/result.h"
#include "quire/definitions/iso8601.h"
#include "quire/definitions/value.h"

namespace boost::json {
class object;
}  // namespace boost::json

namespace quire::definitions {

// The variables an expression reads. The engine implements it over an instance's scopes.
class Variables {
 public:
  virtual ~Variables() = default;
  // The variable `name`, or nullptr when it is not set. What it returns must stay valid
  // and unchanged while an evaluation that uses it runs.
  virtual const boost::json::value* Find(std::string_view name) const = 0;
};

// Variables from one JSON object, borrowed.
class JsonVariables final : public Variables {
 public:
  explicit JsonVariables(const boost::json::object& object) : object_(object) {}
  const boost::json::value* Find(std::string_view name) const override;

 private:
  const boost::json::object& object_;
};

enum class Dialect {
  kFeel,  // plain text, or "= ..." as Zeebe writes it
  kJuel,  // "${...}" or "#{...}" as Camunda 7 writes it
};

class Expression {
 public:
  // Errors: kInvalidArgument, naming the character where the text stops making sense.
  static Result<Expression> Compile(std::string_view text);

  // The value, which may borrow from this expression and from `variables`. `now` is what
  // now() and today() return.
  Result<Value> Evaluate(const Variables& variables, Timestamp now) const;
  // A condition: true or false; null counts as false; any other type is an error.
  Result<bool> EvaluateCondition(const Variables& variables, Timestamp now) const;

  const std::string& text() const { return text_; }
  Dialect dialect() const { return dialect_; }
  // The names of the variables it reads at top level, each once, in order of appearance.
  const std::vector<std::string>& variables() const { return variables_; }

  struct Node;

 private:
  Expression() = default;

  std::string text_;
  Dialect dialect_ = Dialect::kFeel;
  std::shared_ptr<const Node> root_;  // immutable: copies share it
  std::vector<std::string> variables_;
};

}  // namespace quire::definitions
