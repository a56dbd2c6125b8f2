// The built-in functions. FEEL names, several words where FEEL has them; strings are
// counted in bytes for now (UTF-8 code points come with localisation).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "ast.h"

namespace quire::definitions::expressions {
namespace {

using Type = Value::Type;
using Args = std::span<const Value>;

Error Want(std::size_t i, const char* what, const Value& got) {
  return Error::InvalidArgument("argument " + std::to_string(i + 1) + " must be " + what +
                                ", not " + Value::TypeName(got.type()) + " " + got.ToString());
}

// FEEL: a null argument makes the result null.
bool AnyNull(Args args) {
  return std::any_of(args.begin(), args.end(), [](const Value& v) { return v.is_null(); });
}

Result<Value> StringLength(Args a, const EvalEnv&) {
  if (AnyNull(a)) return Value::Null();
  if (a[0].type() != Type::kString) return Want(0, "a string", a[0]);
  return Value::Number(static_cast<double>(a[0].AsString().size()));
}

Result<Value> ChangeCase(Args a, bool upper) {
  if (AnyNull(a)) return Value::Null();
  if (a[0].type() != Type::kString) return Want(0, "a string", a[0]);
  std::string s(a[0].AsString());
  for (char& c : s) {
    c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                : std::tolower(static_cast<unsigned char>(c)));
  }
  return Value::String(std::move(s));
}
Result<Value> UpperCase(Args a, const EvalEnv&) { return ChangeCase(a, true); }
Result<Value> LowerCase(Args a, const EvalEnv&) { return ChangeCase(a, false); }

Result<Value> Substring(Args a, const EvalEnv&) {
  if (AnyNull(a)) return Value::Null();
  if (a[0].type() != Type::kString) return Want(0, "a string", a[0]);
  if (a[1].type() != Type::kNumber) return Want(1, "a number", a[1]);
  const std::string_view s = a[0].AsString();
  const auto size = static_cast<std::int64_t>(s.size());
  std::int64_t start = ToCount(a[1].AsNumber());
  if (start < 0) start += size + 1;  // FEEL: negative counts from the end
  start = std::clamp<std::int64_t>(start, 1, size + 1);
  std::int64_t length = size - (start - 1);
  if (a.size() > 2) {
    if (a[2].type() != Type::kNumber) return Want(2, "a number", a[2]);
    length = std::clamp<std::int64_t>(ToCount(a[2].AsNumber()), 0, length);
  }
  return Value::String(
      std::string(s.substr(static_cast<std::size_t>(start - 1), static_cast<std::size_t>(length))));
}

template <bool (*Test)(std::string_view, std::string_view)>
Result<Value> StringTest(Args a, const EvalEnv&) {
  if (AnyNull(a)) return Value::Null();
  if (a[0].type() != Type::kString) return Want(0, "a string", a[0]);
  if (a[1].type() != Type::kString) return Want(1, "a string", a[1]);
  return Value::Bool(Test(a[0].AsString(), a[1].AsString()));
}
bool Contains(std::string_view s, std::string_view p) {
  return s.find(p) != std::string_view::npos;
}
bool StartsWith(std::string_view s, std::string_view p) { return s.starts_with(p); }
bool EndsWith(std::string_view s, std::string_view p) { return s.ends_with(p); }

Result<Value> ToStringFn(Args a, const EvalEnv&) {
  if (a[0].is_null()) return Value::Null();
  if (a[0].type() == Type::kString) return Value::String(std::string(a[0].AsString()));
  return Value::String(a[0].ToString());
}

Result<Value> ToNumber(Args a, const EvalEnv&) {
  if (AnyNull(a)) return Value::Null();
  if (a[0].type() == Type::kNumber) return a[0];
  if (a[0].type() != Type::kString) return Want(0, "a string", a[0]);
  const std::string_view s = a[0].AsString();
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return Value::Null();
  return Value::Number(v);
}

Result<Value> Count(Args a, const EvalEnv&) {
  if (AnyNull(a)) return Value::Null();
  if (a[0].type() != Type::kList) return Want(0, "a list", a[0]);
  return Value::Number(static_cast<double>(a[0].ListSize()));
}

// Numbers from a list argument, or from all arguments (FEEL allows both).
Result<std::vector<double>> Numbers(Args a) {
  std::vector<double> out;
  const auto take = [&out](std::size_t i, const Value& v) -> Result<void> {
    if (v.type() != Type::kNumber) return Want(i, "a number", v);
    out.push_back(v.AsNumber());
    return Ok();
  };
  if (a.size() == 1 && a[0].type() == Type::kList) {
    for (std::size_t i = 0; i < a[0].ListSize(); ++i)
      QUIRE_RETURN_IF_ERROR(take(i, a[0].ListAt(i)));
  } else {
    for (std::size_t i = 0; i < a.size(); ++i) QUIRE_RETURN_IF_ERROR(take(i, a[i]));
  }
  return out;
}

Result<Value> Sum(Args a, const EvalEnv&) {
  if (AnyNull(a)) return Value::Null();
  QUIRE_ASSIGN_OR_RETURN(const std::vector<double> n, Numbers(a));
  double total = 0;
  for (double v : n) total += v;
  return Value::Number(total);
}

Result<Value> MinMax(Args a, bool max) {
  if (AnyNull(a)) return Value::Null();
  QUIRE_ASSIGN_OR_RETURN(const std::vector<double> n, Numbers(a));
  if (n.empty()) return Value::Null();
  return Value::Number(max ? *std::max_element(n.begin(), n.end())
                           : *std::min_element(n.begin(), n.end()));
}
Result<Value> Min(Args a, const EvalEnv&) { return MinMax(a, false); }
Result<Value> Max(Args a, const EvalEnv&) { return MinMax(a, true); }

Result<Value> Mean(Args a, const EvalEnv&) {
  if (AnyNull(a)) return Value::Null();
  QUIRE_ASSIGN_OR_RETURN(const std::vector<double> n, Numbers(a));
  if (n.empty()) return Value::Null();
  double total = 0;
  for (double v : n) total += v;
  return Value::Number(total / static_cast<double>(n.size()));
}

Result<Value> ListContains(Args a, const EvalEnv&) {
  if (a[0].is_null()) return Value::Null();
  if (a[0].type() != Type::kList) return Want(0, "a list", a[0]);
  for (std::size_t i = 0; i < a[0].ListSize(); ++i) {
    const Value item = a[0].ListAt(i);
    if (item.type() == a[1].type() && item.ToString() == a[1].ToString()) return Value::Bool(true);
  }
  return Value::Bool(false);
}

template <double (*F)(double)>
Result<Value> Rounding(Args a, const EvalEnv&) {
  if (AnyNull(a)) return Value::Null();
  if (a[0].type() != Type::kNumber) return Want(0, "a number", a[0]);
  return Value::Number(F(a[0].AsNumber()));
}
double Abs(double v) { return std::fabs(v); }
double Floor(double v) { return std::floor(v); }
double Ceiling(double v) { return std::ceil(v); }

Result<Value> Decimal(Args a, const EvalEnv&) {
  if (AnyNull(a)) return Value::Null();
  if (a[0].type() != Type::kNumber) return Want(0, "a number", a[0]);
  if (a[1].type() != Type::kNumber) return Want(1, "a number", a[1]);
  const double scale = std::pow(10.0, a[1].AsNumber());
  // FEEL rounds half to even. Numbers are binary doubles, so 2.345 * 100 is
  // 234.50000000000003: snap away noise far below the last kept digit first.
  const double scaled = std::round(a[0].AsNumber() * scale * 1e6) / 1e6;
  const double lower = std::floor(scaled);
  double rounded = std::nearbyint(scaled);
  if (scaled - lower == 0.5) rounded = std::fmod(lower, 2.0) == 0 ? lower : lower + 1;
  return Value::Number(rounded / scale);
}

Result<Value> Now(Args, const EvalEnv& env) { return Value::DateTime(env.now); }

Result<Value> Today(Args, const EvalEnv& env) {
  return Value::DateTime(std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::floor<std::chrono::days>(env.now)));
}

Result<Value> DateTimeFn(Args a, const EvalEnv&) {
  if (AnyNull(a)) return Value::Null();
  if (a[0].type() == Type::kDateTime) return a[0];
  if (a[0].type() != Type::kString) return Want(0, "a string", a[0]);
  QUIRE_ASSIGN_OR_RETURN(const Timestamp t, ParseDateTime(a[0].AsString()));
  return Value::DateTime(t);
}

Result<Value> Date(Args a, const EvalEnv& env) {
  QUIRE_ASSIGN_OR_RETURN(const Value t, DateTimeFn(a, env));
  if (t.is_null()) return t;
  return Value::DateTime(std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::floor<std::chrono::days>(t.AsDateTime())));
}

Result<Value> DurationFn(Args a, const EvalEnv&) {
  if (AnyNull(a)) return Value::Null();
  if (a[0].type() == Type::kDuration) return a[0];
  if (a[0].type() != Type::kString) return Want(0, "a string", a[0]);
  QUIRE_ASSIGN_OR_RETURN(const Duration d, ParseDuration(a[0].AsString()));
  return Value::OfDuration(d);
}

Result<Value> IsDefined(Args a, const EvalEnv&) { return Value::Bool(!a[0].is_null()); }

constexpr int kMany = 1 << 20;

const Function kFunctions[] = {
    {"string length", 1, 1, StringLength},
    {"upper case", 1, 1, UpperCase},
    {"lower case", 1, 1, LowerCase},
    {"substring", 2, 3, Substring},
    {"contains", 2, 2, StringTest<Contains>},
    {"starts with", 2, 2, StringTest<StartsWith>},
    {"ends with", 2, 2, StringTest<EndsWith>},
    {"string", 1, 1, ToStringFn},
    {"number", 1, 1, ToNumber},
    {"count", 1, 1, Count},
    {"sum", 1, kMany, Sum},
    {"min", 1, kMany, Min},
    {"max", 1, kMany, Max},
    {"mean", 1, kMany, Mean},
    {"list contains", 2, 2, ListContains},
    {"abs", 1, 1, Rounding<Abs>},
    {"floor", 1, 1, Rounding<Floor>},
    {"ceiling", 1, 1, Rounding<Ceiling>},
    {"decimal", 2, 2, Decimal},
    {"now", 0, 0, Now},
    {"today", 0, 0, Today},
    {"date", 1, 1, Date},
    {"date and time", 1, 1, DateTimeFn},
    {"duration", 1, 1, DurationFn},
    {"is defined", 1, 1, IsDefined},
};

}  // namespace

std::int64_t ToCount(double number) {
  constexpr double kLimit = 9007199254740992.0;  // 2^53
  if (std::isnan(number)) return 0;
  return static_cast<std::int64_t>(std::clamp(std::trunc(number), -kLimit, kLimit));
}

std::span<const Function> Functions() { return kFunctions; }

const Function* FindFunction(std::string_view name) {
  for (const Function& f : kFunctions) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

}  // namespace quire::definitions::expressions
