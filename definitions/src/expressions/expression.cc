#include "quire/definitions/expression.h"

#include <algorithm>
#include <boost/json.hpp>

#include "ast.h"

namespace quire::definitions {
namespace {

void CollectVariables(const Expression::Node& node, std::vector<std::string>& out) {
  if (node.op == expressions::Op::kVariable &&
      std::find(out.begin(), out.end(), node.name) == out.end()) {
    out.push_back(node.name);
  }
  for (const auto& kid : node.kids) CollectVariables(*kid, out);
}

}  // namespace

const boost::json::value* JsonVariables::Find(std::string_view name) const {
  const auto it = object_.find(name);
  return it == object_.end() ? nullptr : &it->value();
}

Result<Expression> Expression::Compile(std::string_view text) {
  Expression e;
  e.text_.assign(text);
  std::string_view body = text;
  std::size_t offset = 0;
  const auto first = body.find_first_not_of(" \t\r\n");
  const auto last = body.find_last_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return Error::InvalidArgument("the expression is empty");
  }
  body = body.substr(first, last - first + 1);
  offset = first;
  if ((body.starts_with("${") || body.starts_with("#{")) && !body.ends_with("}")) {
    return Error::InvalidArgument("expression '" + e.text_ + "': '" +
                                  std::string(body.substr(0, 2)) + "' at character " +
                                  std::to_string(offset + 1) + " is not closed with '}'");
  }
  if (body.starts_with("${") || body.starts_with("#{")) {
    e.dialect_ = Dialect::kJuel;
    body = body.substr(2, body.size() - 3);
    offset += 2;
  } else if (body.starts_with("=")) {
    body.remove_prefix(1);
    offset += 1;
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Error::InvalidArgument("expression '" + e.text_ + "' has nothing inside");
  }
  QUIRE_ASSIGN_OR_RETURN(std::unique_ptr<const Node> root,
                         expressions::Parse(body, offset, e.dialect_, e.text_));
  CollectVariables(*root, e.variables_);
  e.root_ = std::move(root);
  return e;
}

Result<Value> Expression::Evaluate(const Variables& variables, Timestamp now) const {
  const expressions::EvalEnv env{variables, now};
  auto result = expressions::Evaluate(*root_, env);
  if (!result)
    return Error::InvalidArgument("evaluating '" + text_ + "': " + result.error().message());
  return result;
}

Result<bool> Expression::EvaluateCondition(const Variables& variables, Timestamp now) const {
  QUIRE_ASSIGN_OR_RETURN(const Value v, Evaluate(variables, now));
  if (v.is_null()) return false;
  if (v.type() != Value::Type::kBool) {
    return Error::InvalidArgument("condition '" + text_ + "' gave " + Value::TypeName(v.type()) +
                                  " " + v.ToString() + ", not true or false");
  }
  return v.AsBool();
}

}  // namespace quire::definitions
