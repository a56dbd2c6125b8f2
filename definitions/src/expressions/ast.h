// Internal: the compiled form of an expression, a tree of immutable nodes.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "quire/definitions/expression.h"

namespace quire::definitions {

namespace expressions {

enum class Op {
  kLiteral,   // literal
  kVariable,  // name
  kMember,    // kids[0].name
  kIndex,     // kids[0][kids[1]], 1-based as in FEEL; negative counts from the end
  kNegate,
  kNot,
  kAnd,
  kOr,
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,
  kPower,
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kIn,       // kids[0] in kids[1] (a list, a range, or a single value)
  kBetween,  // kids[0] between kids[1] and kids[2]
  kIf,       // if kids[0] then kids[1] else kids[2]
  kList,     // [kids...]
  kContext,  // {keys[i]: kids[i], ...}
  kRange,    // [kids[0]..kids[1]] with open_low/open_high
  kCall,     // function(kids...)
  kEmpty,    // JUEL: empty kids[0]
};

struct EvalEnv {
  const Variables& variables;
  Timestamp now;
};

using FunctionImpl = Result<Value> (*)(std::span<const Value> args, const EvalEnv& env);

struct Function {
  const char* name;
  int min_args;
  int max_args;
  FunctionImpl impl;
};

// A number used as a position or count: its whole part, clamped to +-2^53 (NaN is 0), so
// that no double is ever converted to an integer it does not fit.
std::int64_t ToCount(double number);

// The built-in functions, and the one named `name` (nullptr when none).
std::span<const Function> Functions();
const Function* FindFunction(std::string_view name);

}  // namespace expressions

struct Expression::Node {
  expressions::Op op = expressions::Op::kLiteral;
  std::size_t position = 0;                         // in the source text, for messages
  int depth = 1;                                    // 1 + the depth of the deepest kid
  Value literal;                                    // kLiteral: owned
  std::string name;                                 // kVariable, kMember
  const expressions::Function* function = nullptr;  // kCall
  bool open_low = false;                            // kRange
  bool open_high = false;                           // kRange
  std::vector<std::unique_ptr<const Node>> kids;
  std::vector<std::string> keys;  // kContext: the entry names, one per kid
};

namespace expressions {

// Parses `body` (without "${", "}" or "="); `offset` is where it starts in the full text.
Result<std::unique_ptr<const Expression::Node>> Parse(std::string_view body, std::size_t offset,
                                                      Dialect dialect,
                                                      const std::string& full_text);

Result<Value> Evaluate(const Expression::Node& node, const EvalEnv& env);

}  // namespace expressions
}  // namespace quire::definitions
