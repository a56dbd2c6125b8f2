// Value: what an expression computes — null, boolean, number, string, date-time,
// duration, list or context (a map of names to values).
//
// Values can borrow: a string may point into the expression's literal or into a JSON
// variable, and a JSON variable itself can be held by pointer, so that reading variables
// and comparing them costs no allocation. A borrowing Value must not outlive what it
// borrows (the Expression and the Variables it was evaluated against); ToJson() and
// Owned() give a Value that owns everything.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "quire/definitions/iso8601.h"

namespace boost::json {
class value;
}  // namespace boost::json

namespace quire::definitions {

class Value;
using List = std::vector<Value>;
using Context = std::vector<std::pair<std::string, Value>>;

class Value {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kDateTime, kDuration, kList, kContext };

  Value() = default;
  static Value Null() { return {}; }
  static Value Bool(bool b) { return Value(Data(b)); }
  static Value Number(double n) { return Value(Data(n)); }
  static Value String(std::string s) { return Value(Data(std::move(s))); }
  static Value BorrowedString(std::string_view s) { return Value(Data(s)); }
  static Value DateTime(Timestamp t) { return Value(Data(t)); }
  static Value OfDuration(Duration d) { return Value(Data(d)); }
  static Value OfList(List items) {
    return Value(Data(std::make_shared<const List>(std::move(items))));
  }
  static Value OfContext(Context entries) {
    return Value(Data(std::make_shared<const Context>(std::move(entries))));
  }
  // Borrows `json`, which must outlive the Value.
  static Value Json(const boost::json::value& json) { return Value(Data(&json)); }

  Type type() const;
  bool is_null() const { return type() == Type::kNull; }

  // REQUIRES: the matching type().
  bool AsBool() const;
  double AsNumber() const;
  std::string_view AsString() const;
  Timestamp AsDateTime() const;
  const Duration& AsDuration() const;

  std::size_t ListSize() const;                  // REQUIRES: kList
  Value ListAt(std::size_t i) const;             // REQUIRES: kList, i < ListSize()
  Value Member(std::string_view name) const;     // null when absent. REQUIRES: kContext
  std::vector<std::string> MemberNames() const;  // REQUIRES: kContext

  // JSON: date-times and durations become their ISO 8601 text.
  boost::json::value ToJson() const;
  // The same value, owning everything it holds.
  Value Owned() const;
  // For messages: 42, "text", [1, 2], {a: 1}, 2026-01-01T00:00:00Z, P3D.
  std::string ToString() const;

  static const char* TypeName(Type type);

 private:
  using Data = std::variant<std::monostate, bool, double, std::string, std::string_view, Timestamp,
                            Duration, std::shared_ptr<const List>, std::shared_ptr<const Context>,
                            const boost::json::value*>;
  explicit Value(Data data) : data_(std::move(data)) {}

  Data data_;
};

}  // namespace quire::definitions
