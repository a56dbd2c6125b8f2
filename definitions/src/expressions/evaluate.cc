// Tree-walking evaluation with FEEL's null semantics. Values borrow: a variable is read in
// place, a string literal is lent from the tree.
#include <array>
#include <cmath>

#include "ast.h"

namespace quire::definitions::expressions {
namespace {

using Node = Expression::Node;
using Type = Value::Type;

Error TypeError(const Node& node, const std::string& what) {
  return Error::InvalidArgument("at character " + std::to_string(node.position + 1) + ": " + what);
}

std::string Describe(const Value& v) {
  return std::string(Value::TypeName(v.type())) + " " + v.ToString();
}

// Durations compare by the instant they reach from a fixed date (calendar parts included).
Timestamp Reach(const Duration& d) {
  return Add(Timestamp{std::chrono::sys_days{std::chrono::year{2000} / 1 / 1}}, d);
}

bool Equal(const Value& a, const Value& b) {
  const Type ta = a.type();
  if (ta != b.type()) return false;
  switch (ta) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return a.AsBool() == b.AsBool();
    case Type::kNumber:
      return a.AsNumber() == b.AsNumber();
    case Type::kString:
      return a.AsString() == b.AsString();
    case Type::kDateTime:
      return a.AsDateTime() == b.AsDateTime();
    case Type::kDuration:
      return Reach(a.AsDuration()) == Reach(b.AsDuration());
    case Type::kList: {
      if (a.ListSize() != b.ListSize()) return false;
      for (std::size_t i = 0; i < a.ListSize(); ++i) {
        if (!Equal(a.ListAt(i), b.ListAt(i))) return false;
      }
      return true;
    }
    case Type::kContext: {
      const auto names = a.MemberNames();
      if (names.size() != b.MemberNames().size()) return false;
      for (const std::string& n : names) {
        if (!Equal(a.Member(n), b.Member(n))) return false;
      }
      return true;
    }
  }
  return false;
}

// -1, 0, 1; or an error when the two cannot be ordered. REQUIRES: neither is null.
Result<int> Order(const Node& node, const Value& a, const Value& b) {
  const Type ta = a.type();
  if (ta == b.type()) {
    const auto cmp = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
    switch (ta) {
      case Type::kNumber:
        return cmp(a.AsNumber(), b.AsNumber());
      case Type::kString:
        return cmp(a.AsString(), b.AsString());
      case Type::kDateTime:
        return cmp(a.AsDateTime(), b.AsDateTime());
      case Type::kDuration:
        return cmp(Reach(a.AsDuration()), Reach(b.AsDuration()));
      default:
        break;
    }
  }
  return TypeError(node, "cannot order " + Describe(a) + " and " + Describe(b));
}

Result<Value> Arithmetic(const Node& node, const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return Value::Null();
  const Type ta = a.type();
  const Type tb = b.type();
  if (ta == Type::kNumber && tb == Type::kNumber) {
    const double x = a.AsNumber();
    const double y = b.AsNumber();
    switch (node.op) {
      case Op::kAdd:
        return Value::Number(x + y);
      case Op::kSubtract:
        return Value::Number(x - y);
      case Op::kMultiply:
        return Value::Number(x * y);
      case Op::kDivide:
        return y == 0 ? Value::Null() : Value::Number(x / y);
      case Op::kPower:
        return Value::Number(std::pow(x, y));
      default:
        break;
    }
  }
  if (node.op == Op::kAdd && ta == Type::kString && tb == Type::kString) {
    return Value::String(std::string(a.AsString()) + std::string(b.AsString()));
  }
  if (ta == Type::kDateTime && tb == Type::kDuration && node.op == Op::kAdd) {
    return Value::DateTime(Add(a.AsDateTime(), b.AsDuration()));
  }
  if (ta == Type::kDuration && tb == Type::kDateTime && node.op == Op::kAdd) {
    return Value::DateTime(Add(b.AsDateTime(), a.AsDuration()));
  }
  if (ta == Type::kDateTime && tb == Type::kDuration && node.op == Op::kSubtract) {
    return Value::DateTime(Add(a.AsDateTime(), b.AsDuration().Times(-1)));
  }
  if (ta == Type::kDateTime && tb == Type::kDateTime && node.op == Op::kSubtract) {
    return Value::OfDuration({0, 0, 0, (a.AsDateTime() - b.AsDateTime()).count()});
  }
  if (ta == Type::kDuration && tb == Type::kDuration &&
      (node.op == Op::kAdd || node.op == Op::kSubtract)) {
    const Duration& x = a.AsDuration();
    const Duration y = node.op == Op::kAdd ? b.AsDuration() : b.AsDuration().Times(-1);
    return Value::OfDuration(
        {x.years + y.years, x.months + y.months, x.days + y.days, x.milliseconds + y.milliseconds});
  }
  static constexpr const char* kVerbs[] = {"add", "subtract", "multiply", "divide", "raise"};
  const int verb = static_cast<int>(node.op) - static_cast<int>(Op::kAdd);
  return TypeError(
      node, std::string("cannot ") + kVerbs[verb] + " " + Describe(a) + " and " + Describe(b));
}

// Three-valued truth of a boolean operand: true, false, or null (nullopt).
Result<std::optional<bool>> Truth(const Node& node, const Value& v) {
  if (v.is_null()) return std::optional<bool>();
  if (v.type() == Type::kBool) return std::optional<bool>(v.AsBool());
  return TypeError(node, "expected true or false, got " + Describe(v));
}

Result<bool> InRange(const Node& range, const Value& x, const EvalEnv& env) {
  QUIRE_ASSIGN_OR_RETURN(const Value low, Evaluate(*range.kids[0], env));
  QUIRE_ASSIGN_OR_RETURN(const Value high, Evaluate(*range.kids[1], env));
  if (x.is_null() || low.is_null() || high.is_null()) return false;
  QUIRE_ASSIGN_OR_RETURN(const int lo, Order(range, x, low));
  QUIRE_ASSIGN_OR_RETURN(const int hi, Order(range, x, high));
  return (range.open_low ? lo > 0 : lo >= 0) && (range.open_high ? hi < 0 : hi <= 0);
}

Result<Value> Property(const Node& node, const Value& base) {
  using namespace std::chrono;
  const std::string& name = node.name;
  if (base.type() == Type::kDateTime) {
    const Timestamp t = base.AsDateTime();
    const sys_days date = floor<days>(t);
    const year_month_day ymd{date};
    const hh_mm_ss<milliseconds> time{t - time_point_cast<milliseconds>(date)};
    if (name == "year") return Value::Number(static_cast<int>(ymd.year()));
    if (name == "month") return Value::Number(static_cast<unsigned>(ymd.month()));
    if (name == "day") return Value::Number(static_cast<unsigned>(ymd.day()));
    if (name == "weekday") return Value::Number(weekday{date}.iso_encoding());
    if (name == "hour") return Value::Number(static_cast<double>(time.hours().count()));
    if (name == "minute") return Value::Number(static_cast<double>(time.minutes().count()));
    if (name == "second") return Value::Number(static_cast<double>(time.seconds().count()));
  }
  if (base.type() == Type::kDuration) {
    const Duration& d = base.AsDuration();
    if (name == "years") return Value::Number(static_cast<double>(d.years));
    if (name == "months") return Value::Number(static_cast<double>(d.months));
    if (name == "days")
      return Value::Number(static_cast<double>(d.days + d.milliseconds / 86'400'000));
    if (name == "hours") return Value::Number(static_cast<double>(d.milliseconds / 3'600'000 % 24));
    if (name == "minutes") return Value::Number(static_cast<double>(d.milliseconds / 60'000 % 60));
    if (name == "seconds")
      return Value::Number(static_cast<double>(d.milliseconds % 60'000) / 1000.0);
  }
  return TypeError(node, "cannot read '" + name + "' of " + Describe(base));
}

}  // namespace

Result<Value> Evaluate(const Node& n, const EvalEnv& env) {
  switch (n.op) {
    case Op::kLiteral:
      if (n.literal.type() == Type::kString) return Value::BorrowedString(n.literal.AsString());
      return n.literal;
    case Op::kVariable: {
      const boost::json::value* v = env.variables.Find(n.name);
      if (v == nullptr) {
        return Error::InvalidArgument("variable '" + n.name + "' is not set");
      }
      return Value::Json(*v);
    }
    case Op::kMember: {
      QUIRE_ASSIGN_OR_RETURN(const Value base, Evaluate(*n.kids[0], env));
      if (base.is_null()) return Value::Null();
      if (base.type() == Type::kContext) return base.Member(n.name);
      return Property(n, base);
    }
    case Op::kIndex: {
      QUIRE_ASSIGN_OR_RETURN(const Value base, Evaluate(*n.kids[0], env));
      QUIRE_ASSIGN_OR_RETURN(const Value index, Evaluate(*n.kids[1], env));
      if (base.is_null() || index.is_null()) return Value::Null();
      if (base.type() == Type::kContext && index.type() == Type::kString) {
        return base.Member(index.AsString());
      }
      if (base.type() != Type::kList || index.type() != Type::kNumber) {
        return TypeError(n, "cannot index " + Describe(base) + " with " + Describe(index));
      }
      const auto size = static_cast<std::int64_t>(base.ListSize());
      std::int64_t i = ToCount(index.AsNumber());
      if (i < 0) i += size + 1;  // -1 is the last item
      if (i < 1 || i > size) return Value::Null();
      return base.ListAt(static_cast<std::size_t>(i - 1));
    }
    case Op::kNegate: {
      QUIRE_ASSIGN_OR_RETURN(const Value v, Evaluate(*n.kids[0], env));
      if (v.is_null()) return Value::Null();
      if (v.type() != Type::kNumber) return TypeError(n, "cannot negate " + Describe(v));
      return Value::Number(-v.AsNumber());
    }
    case Op::kNot: {
      QUIRE_ASSIGN_OR_RETURN(const Value v, Evaluate(*n.kids[0], env));
      QUIRE_ASSIGN_OR_RETURN(const std::optional<bool> t, Truth(n, v));
      return t ? Value::Bool(!*t) : Value::Null();
    }
    case Op::kAnd:
    case Op::kOr: {
      const bool decisive = n.op == Op::kOr;  // the value that settles it at once
      QUIRE_ASSIGN_OR_RETURN(const Value left, Evaluate(*n.kids[0], env));
      QUIRE_ASSIGN_OR_RETURN(const std::optional<bool> l, Truth(n, left));
      if (l == decisive) return Value::Bool(decisive);
      QUIRE_ASSIGN_OR_RETURN(const Value right, Evaluate(*n.kids[1], env));
      QUIRE_ASSIGN_OR_RETURN(const std::optional<bool> r, Truth(n, right));
      if (r == decisive) return Value::Bool(decisive);
      if (!l || !r) return Value::Null();
      return Value::Bool(!decisive);
    }
    case Op::kAdd:
    case Op::kSubtract:
    case Op::kMultiply:
    case Op::kDivide:
    case Op::kPower: {
      QUIRE_ASSIGN_OR_RETURN(const Value a, Evaluate(*n.kids[0], env));
      QUIRE_ASSIGN_OR_RETURN(const Value b, Evaluate(*n.kids[1], env));
      return Arithmetic(n, a, b);
    }
    case Op::kEqual:
    case Op::kNotEqual: {
      QUIRE_ASSIGN_OR_RETURN(const Value a, Evaluate(*n.kids[0], env));
      QUIRE_ASSIGN_OR_RETURN(const Value b, Evaluate(*n.kids[1], env));
      return Value::Bool(Equal(a, b) == (n.op == Op::kEqual));
    }
    case Op::kLess:
    case Op::kLessEqual:
    case Op::kGreater:
    case Op::kGreaterEqual: {
      QUIRE_ASSIGN_OR_RETURN(const Value a, Evaluate(*n.kids[0], env));
      QUIRE_ASSIGN_OR_RETURN(const Value b, Evaluate(*n.kids[1], env));
      if (a.is_null() || b.is_null()) return Value::Null();
      QUIRE_ASSIGN_OR_RETURN(const int c, Order(n, a, b));
      switch (n.op) {
        case Op::kLess:
          return Value::Bool(c < 0);
        case Op::kLessEqual:
          return Value::Bool(c <= 0);
        case Op::kGreater:
          return Value::Bool(c > 0);
        default:
          return Value::Bool(c >= 0);
      }
    }
    case Op::kIn: {
      QUIRE_ASSIGN_OR_RETURN(const Value x, Evaluate(*n.kids[0], env));
      const Node& target = *n.kids[1];
      if (target.op == Op::kRange) {
        QUIRE_ASSIGN_OR_RETURN(const bool in, InRange(target, x, env));
        return Value::Bool(in);
      }
      if (target.op == Op::kList) {  // test item by item: no list is built
        for (const auto& item : target.kids) {
          QUIRE_ASSIGN_OR_RETURN(const Value v, Evaluate(*item, env));
          if (Equal(x, v)) return Value::Bool(true);
        }
        return Value::Bool(false);
      }
      QUIRE_ASSIGN_OR_RETURN(const Value list, Evaluate(target, env));
      if (list.type() != Type::kList) return Value::Bool(Equal(x, list));
      for (std::size_t i = 0; i < list.ListSize(); ++i) {
        if (Equal(x, list.ListAt(i))) return Value::Bool(true);
      }
      return Value::Bool(false);
    }
    case Op::kBetween: {
      QUIRE_ASSIGN_OR_RETURN(const Value x, Evaluate(*n.kids[0], env));
      QUIRE_ASSIGN_OR_RETURN(const Value low, Evaluate(*n.kids[1], env));
      QUIRE_ASSIGN_OR_RETURN(const Value high, Evaluate(*n.kids[2], env));
      if (x.is_null() || low.is_null() || high.is_null()) return Value::Null();
      QUIRE_ASSIGN_OR_RETURN(const int lo, Order(n, x, low));
      QUIRE_ASSIGN_OR_RETURN(const int hi, Order(n, x, high));
      return Value::Bool(lo >= 0 && hi <= 0);
    }
    case Op::kIf: {
      QUIRE_ASSIGN_OR_RETURN(const Value test, Evaluate(*n.kids[0], env));
      const bool yes = test.type() == Type::kBool && test.AsBool();
      return Evaluate(*n.kids[yes ? 1 : 2], env);
    }
    case Op::kList: {
      List items;
      items.reserve(n.kids.size());
      for (const auto& kid : n.kids) {
        QUIRE_ASSIGN_OR_RETURN(Value v, Evaluate(*kid, env));
        items.push_back(std::move(v));
      }
      return Value::OfList(std::move(items));
    }
    case Op::kContext: {
      Context entries;
      entries.reserve(n.kids.size());
      for (std::size_t i = 0; i < n.kids.size(); ++i) {
        QUIRE_ASSIGN_OR_RETURN(Value v, Evaluate(*n.kids[i], env));
        entries.emplace_back(n.keys[i], std::move(v));
      }
      return Value::OfContext(std::move(entries));
    }
    case Op::kRange:
      return TypeError(n, "a range [a..b] can only follow 'in'");
    case Op::kCall: {
      // is defined(x): false for a variable that is not set (FEEL, as Camunda's), where
      // naming an unset variable elsewhere is an error; also for a path below one.
      if (n.function->name == std::string_view("is defined") && n.kids.size() == 1) {
        const Node* root = n.kids[0].get();
        while ((root->op == Op::kMember || root->op == Op::kIndex) && !root->kids.empty()) {
          root = root->kids[0].get();
        }
        if (root->op == Op::kVariable && env.variables.Find(root->name) == nullptr) {
          return Value::Bool(false);
        }
      }
      std::array<Value, 4> small;
      std::vector<Value> large;
      std::span<Value> args;
      if (n.kids.size() <= small.size()) {
        args = std::span<Value>(small.data(), n.kids.size());
      } else {
        large.resize(n.kids.size());
        args = large;
      }
      for (std::size_t i = 0; i < n.kids.size(); ++i) {
        QUIRE_ASSIGN_OR_RETURN(args[i], Evaluate(*n.kids[i], env));
      }
      auto result = n.function->impl(args, env);
      if (!result) {
        return Error::InvalidArgument(std::string(n.function->name) +
                                      "(): " + result.error().message());
      }
      return result;
    }
    case Op::kEmpty: {
      QUIRE_ASSIGN_OR_RETURN(const Value v, Evaluate(*n.kids[0], env));
      switch (v.type()) {
        case Type::kNull:
          return Value::Bool(true);
        case Type::kString:
          return Value::Bool(v.AsString().empty());
        case Type::kList:
          return Value::Bool(v.ListSize() == 0);
        case Type::kContext:
          return Value::Bool(v.MemberNames().empty());
        default:
          return Value::Bool(false);
      }
    }
  }
  return Error::Internal("unknown expression node");
}

}  // namespace quire::definitions::expressions
