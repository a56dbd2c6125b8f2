// The filter language of segments: one language over customers, activities, offers, orders
// and service cases, in a text form for people and a JSON form for programs.
//
// Text form (keywords in any case; field names as the API spells them):
//   city = "Kraków" and tag = vip
//   category in (A, B) or not kind = person
//   createdAt >= 2025-01-01 and satisfaction >= 4
//   custom.region = north
//   has activity (type = meeting and start >= today - 90d)
//   no order (date >= today - 12m)
//   sum order.gross (status = paid and date >= startOfYear) > 50000
//   count offer (status = sent) >= 2
//   has case (open)
//   campaign = 12                        (a member of campaign 12)
//   name ~ "kowal"                       (contains, letters compared without case)
//
//   filter     := or
//   or         := and { "or" and }
//   and        := unary { "and" unary }
//   unary      := "not" unary | "(" or ")" | relation | comparison
//   relation   := ("has" | "no") ENTITY [ "(" or ")" ]
//               | "count" ENTITY [ "(" or ")" ] OP value
//               | "sum" ENTITY "." FIELD [ "(" or ")" ] OP value
//   comparison := FIELD OP value | FIELD ["not"] "in" "(" value { "," value } ")"
//               | FIELD "~" value | FIELD            (a yes/no field alone: "open")
//   OP         := "=" | "!=" | "<" | "<=" | ">" | ">="
//   value      := "quoted text" | word | number | YYYY-MM-DD
//               | ("today" | "startOfMonth" | "startOfYear") [ ("+"|"-") N ("d"|"w"|"m"|"y") ]
//
// JSON form (the same tree):
//   {"and": [...]}, {"or": [...]}, {"not": {...}}
//   {"field": "city", "op": "=", "value": "Kraków"}     op: = != < <= > >= in "not in" ~
//   {"field": "category", "op": "in", "value": ["A", "B"]}
//   {"field": "open"}                                     a yes/no field, true
//   {"has": "activity", "where": {...}}, {"no": "order", "where": {...}}
//   {"count": "offer", "where": {...}, "op": ">=", "value": 2}
//   {"sum": "order.gross", "where": {...}, "op": ">", "value": "50000"}
//
// Meaning:
//   - A list field (tag, city, employee, campaign) is = a value when any of its values is,
//     != when none is. A field that is not set equals nothing (= and < are false, != true).
//   - Dates are days in Europe/Warsaw; an instant (createdAt) is compared by its day there.
//     Relative days are resolved when the filter runs, so a saved segment moves with time.
//   - "has E (f)": a related record E of the customer matches f; "no E (f)": none does.
//     "count E (f) OP n" and "sum E.field (f) OP x" compare the number of matching records or
//     the sum of a money field over them (in one currency: the one f names with
//     "currency = EUR", PLN when it names none). A customer with no matching record counts 0.
//   - Filters over activities, offers, orders or cases reach their customer's fields with
//     "has customer (f)".
//
// Errors point at the text's line and column ("line 1, column 14: ...", detail field
// "text:1:14") or at the JSON's place ("filter/and/1/op"), and say what would be right.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/result.h"

namespace quire::crm {

enum class Entity : std::uint8_t { kCustomer, kActivity, kOffer, kOrder, kCase };
inline constexpr Entity kEntities[] = {Entity::kCustomer, Entity::kActivity, Entity::kOffer,
                                       Entity::kOrder, Entity::kCase};

// "customer", "activity", "offer", "order", "case".
std::string_view EntityName(Entity e);
// The plural: "customers", ..., "cases".
std::string_view EntityPlural(Entity e);
// Either form.
std::optional<Entity> EntityFromName(std::string_view name);

enum class FieldType : std::uint8_t {
  kText,    // exact text; ~ contains
  kNumber,  // a decimal (at 10^-4)
  kMoney,   // a decimal amount in the record's currency
  kDay,     // a day (instants: their day in Europe/Warsaw)
  kBool,    // yes / no
  kId,      // a record's id
};
std::string_view FieldTypeName(FieldType t);

struct FieldDef {
  std::string_view name;
  FieldType type;
  std::uint8_t code;     // in rows and index keys; custom fields: kCustomCode
  bool multi = false;    // holds a list: = when any value is
  bool indexed = false;  // customers: has a secondary index; related records: see SegmentIndex
  std::string_view doc;  // one line for the documentation and `explain`
};
inline constexpr std::uint8_t kCustomCode = 0xFF;

// The fields a filter over `e` may name (custom fields are "custom.NAME").
const std::vector<FieldDef>& FieldsOf(Entity e);
// The field `name` of `e` (custom.NAME: a text field with kCustomCode), or nullptr.
const FieldDef* FindField(Entity e, std::string_view name);

enum class Op : std::uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn, kContains };
std::string_view OpText(Op op);

// A day as a filter names it: a date, or a day relative to the day the filter runs.
struct DaySpec {
  enum class Base : std::uint8_t { kDate, kToday, kStartOfMonth, kStartOfYear } base = Base::kDate;
  std::int32_t date = 0;    // kDate: days since 1970-01-01
  std::int32_t amount = 0;  // added: + or - this many units
  char unit = 'd';          // d, w, m, y
  // The day it names when the filter runs on `today` (days since 1970-01-01).
  std::int32_t Resolve(std::int32_t today) const;
  std::string ToText() const;
};

struct FilterValue {
  std::string text;         // kText (and what was typed, for messages)
  std::int64_t number = 0;  // kNumber, kMoney: at 10^-4; kId: the id; kBool: 0 or 1
  DaySpec day;              // kDay
};

struct FilterNode {
  enum class Kind : std::uint8_t { kAnd, kOr, kNot, kCompare, kRelation };
  Kind kind = Kind::kAnd;
  std::vector<FilterNode> children;  // and / or: two or more; not: one; relation: 0 or 1
  std::string where;                 // "line 1, column 5" or "filter/and/0"

  // kCompare: `field` of the entity being filtered.
  std::string field;              // as named ("city", "custom.region")
  const FieldDef* def = nullptr;  // its definition
  Op op = Op::kEq;
  std::vector<FilterValue> values;  // one; kIn / kNotIn: one or more

  // kRelation: the entity's related records.
  enum class Quantifier : std::uint8_t { kHas, kNo, kCount, kSum } quantifier = Quantifier::kHas;
  Entity related = Entity::kActivity;
  const FieldDef* sum_field = nullptr;  // kSum: the money field added up
  // kCount / kSum: how the count or sum compares (op) with values[0]; children[0] (if any)
  // is the related records' filter.
};

struct Filter {
  Entity target = Entity::kCustomer;
  FilterNode root;
  // The fields the filter names, "entity.field" (for explain and for the plan's choice).
  std::string ToText() const;
  boost::json::value ToJson() const;
};

// Parses the text form. Errors: kValidationFailed, the message and a detail ("text:L:C")
// locating the first problem.
Result<Filter> ParseFilterText(std::string_view text, Entity target = Entity::kCustomer);
// Parses the JSON form. Errors: kValidationFailed with a detail naming the place
// ("filter/and/1/value").
Result<Filter> ParseFilterJson(const boost::json::value& filter, Entity target = Entity::kCustomer);

// Days since 1970-01-01 of an ISO date "YYYY-MM-DD", or nullopt.
std::optional<std::int32_t> ParseIsoDay(std::string_view text);
std::string FormatIsoDay(std::int32_t day);

}  // namespace quire::crm
