#include "quire/crm/filter.h"

#include "quire/crm/classes.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>

#include "quire/crm/money.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using Kind = FilterNode::Kind;
using Quantifier = FilterNode::Quantifier;

const std::vector<FieldDef> kCustomerFields = {
    {"id", FieldType::kId, 1, false, false, "the customer's id"},
    {"kind", FieldType::kText, 2, false, true, "company or person"},
    {"owner", FieldType::kText, 3, false, true, "the responsible employee (a user id)"},
    {"team", FieldType::kText, 4, false, true, "the team (a group id)"},
    {"category", FieldType::kText, 5, false, true, "the customer category (dictionary)"},
    {"industry", FieldType::kText, 6, false, true, "the industry (dictionary)"},
    {"customerType", FieldType::kText, 7, false, true, "the customer type (dictionary)"},
    {"source", FieldType::kText, 8, false, true, "where the customer came from (dictionary)"},
    {"deliveryTerms", FieldType::kText, 9, false, true, "the delivery terms (dictionary)"},
    {"currency", FieldType::kText, 10, false, true, "the customer's currency"},
    {"paymentTermsDays", FieldType::kNumber, 11, false, true, "the payment terms in days"},
    {"satisfaction", FieldType::kNumber, 12, false, true, "satisfaction, 1 to 5"},
    {"creditLimit", FieldType::kNumber, 13, false, true, "the credit limit"},
    {"city", FieldType::kText, 14, true, true, "a city of one of the addresses"},
    {"postalCode", FieldType::kText, 15, true, true, "a postal code of one of the addresses"},
    {"country", FieldType::kText, 16, true, true, "a country of one of the addresses"},
    {"tag", FieldType::kText, 17, true, true, "one of the tags"},
    {"createdAt", FieldType::kDay, 18, false, true, "the day it was created"},
    {"modifiedAt", FieldType::kDay, 19, false, true, "the day it was last changed"},
    {"name", FieldType::kText, 20, false, false, "the name (not indexed: use ~)"},
    {"email", FieldType::kText, 21, true, false, "an e-mail address (not indexed)"},
    {"campaign", FieldType::kId, 22, true, true, "a campaign it is a member of"},
    {"taxIdKind", FieldType::kText, 23, false, true, "nip, regon, pesel, vat-eu or none"},
    {"class", FieldType::kText, 24, true, false,
     "a computed class: key, loyal, atRisk, dormant, inDebt, new (GET /api/crm/classes)"},
};
const std::vector<FieldDef> kActivityFields = {
    {"id", FieldType::kId, 1, false, false, "the activity's id"},
    {"type", FieldType::kText, 2, false, true, "call, meeting, e-mail, visit, ..."},
    {"status", FieldType::kText, 3, false, false, "planned, done or cancelled"},
    {"start", FieldType::kDay, 4, false, true, "the day it starts (the first, if recurring)"},
    {"customer", FieldType::kId, 5, false, false, "the customer"},
    {"employee", FieldType::kText, 6, true, false, "an employee taking part"},
    {"campaign", FieldType::kText, 7, false, false, "the campaign it belongs to"},
    {"channel", FieldType::kText, 8, false, false, "phone, e-mail, in person, ..."},
    {"outcome", FieldType::kText, 9, false, false, "what came of it"},
};
const std::vector<FieldDef> kOfferFields = {
    {"id", FieldType::kId, 1, false, false, "the offer's id"},
    {"status", FieldType::kText, 2, false, true,
     "draft, sent, accepted, rejected, expired, superseded"},
    {"createdAt", FieldType::kDay, 3, false, true, "the day it was created"},
    {"customer", FieldType::kId, 4, false, false, "the customer"},
    {"owner", FieldType::kText, 5, false, false, "the responsible employee"},
    {"currency", FieldType::kText, 6, false, false, "its currency"},
    {"net", FieldType::kMoney, 7, false, false, "the net total"},
    {"gross", FieldType::kMoney, 8, false, false, "the gross total"},
    {"validUntil", FieldType::kDay, 9, false, false, "the last day it is valid"},
    {"campaign", FieldType::kText, 10, false, false, "the campaign it is attributed to"},
    {"open", FieldType::kBool, 11, false, false, "draft or sent"},
};
const std::vector<FieldDef> kOrderFields = {
    {"id", FieldType::kId, 1, false, false, "the order's id"},
    {"status", FieldType::kText, 2, false, true,
     "confirmed, in-fulfilment, delivered, invoiced, paid, cancelled"},
    {"date", FieldType::kDay, 3, false, true, "the day it was ordered"},
    {"customer", FieldType::kId, 4, false, false, "the customer"},
    {"owner", FieldType::kText, 5, false, false, "the responsible employee"},
    {"currency", FieldType::kText, 6, false, false, "its currency"},
    {"gross", FieldType::kMoney, 7, false, false, "the gross total"},
    {"paid", FieldType::kMoney, 8, false, false, "what was paid"},
    {"outstanding", FieldType::kMoney, 9, false, false, "what is still to pay"},
    {"dueDate", FieldType::kDay, 10, false, false, "the day payment is due"},
    {"campaign", FieldType::kText, 11, false, false, "the campaign it is attributed to"},
    {"unpaid", FieldType::kBool, 12, false, false, "not paid in full (and not cancelled)"},
    {"overdue", FieldType::kBool, 13, false, false, "unpaid after its due date"},
    {"offer", FieldType::kId, 14, false, false, "the offer it was made from"},
    {"paidOn", FieldType::kDay, 15, false, false, "the day of its last payment"},
};
const std::vector<FieldDef> kCaseFields = {
    {"id", FieldType::kId, 1, false, false, "the case's id"},
    {"status", FieldType::kText, 2, false, true, "new, in-progress, waiting, resolved, closed"},
    {"openedAt", FieldType::kDay, 3, false, true, "the day it was opened"},
    {"customer", FieldType::kId, 4, false, false, "the customer"},
    {"kind", FieldType::kText, 5, false, false, "complaint, warranty or post-warranty"},
    {"priority", FieldType::kText, 6, false, false, "low, normal, high, urgent"},
    {"product", FieldType::kId, 7, false, false, "the product"},
    {"assignee", FieldType::kText, 8, false, false, "the employee working on it"},
    {"open", FieldType::kBool, 9, false, false, "not resolved or closed"},
    {"breached", FieldType::kBool, 10, false, false, "past its SLA response or resolution time"},
    {"warrantyEnd", FieldType::kDay, 11, false, false, "the last day of the warranty"},
};

const FieldDef kCustomField = {"custom", FieldType::kText, kCustomCode, false,
                               true,     "a custom field"};

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string FieldNames(Entity e) {
  std::string out;
  for (const FieldDef& f : FieldsOf(e)) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out + ", custom.NAME";
}

std::string UnknownField(Entity e, std::string_view name) {
  std::string msg = std::string(EntityPlural(e)) + " have no field '" + std::string(name) + "'";
  const FieldDef* best = nullptr;
  std::size_t best_d = 3;
  for (const FieldDef& f : FieldsOf(e)) {
    const std::size_t d = EditDistance(name, f.name);
    if (d < best_d) best = &f, best_d = d;
  }
  if (best != nullptr) return msg + ": did you mean '" + std::string(best->name) + "'?";
  return msg + " (fields: " + FieldNames(e) + ")";
}

bool EqualsFold(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::int32_t DaysOf(std::chrono::year_month_day ymd) {
  return static_cast<std::int32_t>(std::chrono::sys_days(ymd).time_since_epoch().count());
}
std::chrono::year_month_day YmdOf(std::int32_t day) {
  return std::chrono::year_month_day(std::chrono::sys_days(std::chrono::days(day)));
}

// A value typed for `def` from what was written; `quoted`: it was a quoted string. Errors
// are messages (the caller adds the place).
Result<FilterValue> TypedValue(const FieldDef& def, std::string_view name, std::string_view text,
                               bool quoted, std::string_view currency_hint = {}) {
  (void)currency_hint;
  FilterValue v;
  v.text = std::string(text);
  auto fail = [&](std::string_view want) {
    return Error::ValidationFailed("'" + std::string(text) + "' is not " + std::string(want) +
                                   " (" + std::string(name) + " is " +
                                   std::string(FieldTypeName(def.type)) + ")");
  };
  switch (def.type) {
    case FieldType::kText:
      return v;
    case FieldType::kNumber:
    case FieldType::kMoney: {
      Result<std::int64_t> n = ParseFixed(text, kPlaces);
      if (!n.has_value()) return fail("a number like 1500 or 1500.50");
      v.number = *n;
      return v;
    }
    case FieldType::kId: {
      if (text.empty() || text.size() > 19 ||
          !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return fail("an id (digits)");
      }
      v.number = std::stoll(std::string(text));
      return v;
    }
    case FieldType::kBool:
      if (EqualsFold(text, "true") || EqualsFold(text, "yes")) {
        v.number = 1;
      } else if (EqualsFold(text, "false") || EqualsFold(text, "no")) {
        v.number = 0;
      } else {
        return fail("true or false");
      }
      return v;
    case FieldType::kDay: {
      if (std::optional<std::int32_t> d = ParseIsoDay(text)) {
        v.day.date = *d;
        return v;
      }
      // today, startOfMonth, startOfYear, each optionally followed by +N or -N and a unit
      // (spaces allowed): "today-90d", "startOfYear + 1m".
      std::string compact;
      for (char c : text) {
        if (c != ' ') compact += c;
      }
      static constexpr std::pair<std::string_view, DaySpec::Base> kBases[] = {
          {"today", DaySpec::Base::kToday},
          {"startOfMonth", DaySpec::Base::kStartOfMonth},
          {"startOfYear", DaySpec::Base::kStartOfYear}};
      for (const auto& [word, base] : kBases) {
        if (compact.size() < word.size() || !EqualsFold(compact.substr(0, word.size()), word)) {
          continue;
        }
        std::string_view rest = std::string_view(compact).substr(word.size());
        v.day.base = base;
        if (rest.empty()) return v;
        if (rest.size() < 3 || (rest[0] != '+' && rest[0] != '-')) break;
        const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(rest.back())));
        std::string_view digits = rest.substr(1, rest.size() - 2);
        if ((unit != 'd' && unit != 'w' && unit != 'm' && unit != 'y') || digits.size() > 5 ||
            !std::all_of(digits.begin(), digits.end(),
                         [](char c) { return c >= '0' && c <= '9'; })) {
          break;
        }
        v.day.amount = std::stoi(std::string(digits)) * (rest[0] == '-' ? -1 : 1);
        v.day.unit = unit;
        return v;
      }
      (void)quoted;
      return fail("a day like 2026-01-31, today, today - 90d, startOfYear or startOfMonth + 1m");
    }
  }
  return v;
}

// ---- Text form -----------------------------------------------------------------------------

struct Token {
  enum class Type { kWord, kString, kNumber, kOp, kLParen, kRParen, kComma, kPlusMinus, kEnd };
  Type type = Type::kEnd;
  std::string text;
  std::size_t offset = 0;
};

class TextParser {
 public:
  explicit TextParser(std::string_view text) : text_(text) {}

  Result<Filter> Parse(Entity target) {
    QUIRE_RETURN_IF_ERROR(Tokenize());
    Filter f;
    f.target = target;
    QUIRE_ASSIGN_OR_RETURN(f.root, ParseOr(target, false));
    if (Peek().type != Token::Type::kEnd) {
      return Fail(Peek(), "expected 'and', 'or' or the end of the filter, found " + Show(Peek()));
    }
    return f;
  }

 private:
  std::string Where(std::size_t offset) const {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line, column = 1;
      } else if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) {
        ++column;
      }
    }
    return std::to_string(line) + ":" + std::to_string(column);
  }
  std::string Place(std::size_t offset) const {
    const std::string w = Where(offset);
    const std::size_t colon = w.find(':');
    return "line " + w.substr(0, colon) + ", column " + w.substr(colon + 1);
  }
  Error Fail(const Token& at, std::string message) const { return FailAt(at.offset, message); }
  Error FailAt(std::size_t offset, const std::string& message) const {
    return Error::ValidationFailed("the filter is not valid: " + Place(offset) + ": " + message,
                                   {{"text:" + Where(offset), message}});
  }
  static std::string Show(const Token& t) {
    if (t.type == Token::Type::kEnd) return "the end of the filter";
    if (t.type == Token::Type::kString) return "\"" + t.text + "\"";
    return "'" + t.text + "'";
  }

  Result<void> Tokenize() {
    std::size_t i = 0;
    auto word_char = [](unsigned char c) {
      return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c >= 0x80;
    };
    while (i < text_.size()) {
      const unsigned char c = static_cast<unsigned char>(text_[i]);
      if (std::isspace(c)) {
        ++i;
        continue;
      }
      Token t;
      t.offset = i;
      if (c == '"' || c == '\'') {
        const char quote = static_cast<char>(c);
        ++i;
        while (true) {
          if (i >= text_.size()) return FailAt(t.offset, "this quoted text is not closed");
          if (text_[i] == '\\' && i + 1 < text_.size()) {
            t.text += text_[i + 1];
            i += 2;
            continue;
          }
          if (text_[i] == quote) break;
          t.text += text_[i++];
        }
        ++i;
        t.type = Token::Type::kString;
      } else if (c == '(' || c == ')' || c == ',') {
        t.type = c == '('   ? Token::Type::kLParen
                 : c == ')' ? Token::Type::kRParen
                            : Token::Type::kComma;
        t.text = std::string(1, static_cast<char>(c));
        ++i;
      } else if (c == '=' || c == '!' || c == '<' || c == '>' || c == '~') {
        t.type = Token::Type::kOp;
        t.text = std::string(1, static_cast<char>(c));
        ++i;
        if (i < text_.size() && (text_[i] == '=' || (c == '<' && text_[i] == '>'))) {
          t.text += text_[i++];
        }
        if (t.text == "!") return FailAt(t.offset, "'!' alone is no operator: use != or not");
        if (t.text == "==") t.text = "=";
        if (t.text == "<>") t.text = "!=";
      } else if ((c == '+' || c == '-') &&
                 (i + 1 >= text_.size() ||
                  !std::isdigit(static_cast<unsigned char>(text_[i + 1])) ||
                  (!tokens_.empty() && tokens_.back().type == Token::Type::kWord))) {
        // A sign: "today - 90d" (after a word), or a minus before a number.
        t.type = Token::Type::kPlusMinus;
        t.text = std::string(1, static_cast<char>(c));
        ++i;
      } else if (std::isdigit(c) || c == '-' || c == '+') {
        t.type = Token::Type::kNumber;
        t.text += text_[i++];
        while (i < text_.size() && word_char(static_cast<unsigned char>(text_[i]))) {
          t.text += text_[i++];
        }
      } else if (word_char(c)) {
        t.type = Token::Type::kWord;
        while (i < text_.size() && word_char(static_cast<unsigned char>(text_[i]))) {
          t.text += text_[i++];
        }
      } else {
        return FailAt(i, "unexpected character '" + std::string(1, static_cast<char>(c)) + "'");
      }
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.offset = text_.size();
    tokens_.push_back(end);
    return Ok();
  }

  const Token& Peek(std::size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Take() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool IsKeyword(const Token& t, std::string_view word) const {
    return t.type == Token::Type::kWord && EqualsFold(t.text, word);
  }

  // `inside`: within a relation's parentheses (no relation may nest there).
  Result<FilterNode> ParseOr(Entity e, bool inside) {
    QUIRE_ASSIGN_OR_RETURN(FilterNode first, ParseAnd(e, inside));
    if (!IsKeyword(Peek(), "or")) return first;
    FilterNode node;
    node.kind = Kind::kOr;
    node.where = Place(Peek().offset);
    node.children.push_back(std::move(first));
    while (IsKeyword(Peek(), "or")) {
      Take();
      QUIRE_ASSIGN_OR_RETURN(FilterNode next, ParseAnd(e, inside));
      node.children.push_back(std::move(next));
    }
    return node;
  }

  Result<FilterNode> ParseAnd(Entity e, bool inside) {
    QUIRE_ASSIGN_OR_RETURN(FilterNode first, ParseUnary(e, inside));
    if (!IsKeyword(Peek(), "and")) return first;
    FilterNode node;
    node.kind = Kind::kAnd;
    node.where = Place(Peek().offset);
    node.children.push_back(std::move(first));
    while (IsKeyword(Peek(), "and")) {
      Take();
      QUIRE_ASSIGN_OR_RETURN(FilterNode next, ParseUnary(e, inside));
      node.children.push_back(std::move(next));
    }
    return node;
  }

  Result<FilterNode> ParseUnary(Entity e, bool inside) {
    const Token& t = Peek();
    if (IsKeyword(t, "not")) {
      Take();
      FilterNode node;
      node.kind = Kind::kNot;
      node.where = Place(t.offset);
      QUIRE_ASSIGN_OR_RETURN(FilterNode child, ParseUnary(e, inside));
      node.children.push_back(std::move(child));
      return node;
    }
    if (t.type == Token::Type::kLParen) {
      Take();
      QUIRE_ASSIGN_OR_RETURN(FilterNode inner, ParseOr(e, inside));
      if (Peek().type != Token::Type::kRParen) {
        return Fail(Peek(), "expected ')' to close the '(' at " + Place(t.offset) + ", found " +
                                Show(Peek()));
      }
      Take();
      return inner;
    }
    if (t.type != Token::Type::kWord) {
      return Fail(
          t, "expected a field name, 'not', 'has', 'no', 'count', 'sum' or '(', found " + Show(t));
    }
    for (std::string_view q : {"has", "no", "count", "sum"}) {
      // "has" followed by a word that names an entity (or entity.field for sum).
      if (!IsKeyword(t, q) || Peek(1).type != Token::Type::kWord) continue;
      return ParseRelation(e, inside);
    }
    return ParseComparison(e);
  }

  Result<FilterNode> ParseRelation(Entity e, bool inside) {
    const Token& q = Take();
    FilterNode node;
    node.kind = Kind::kRelation;
    node.where = Place(q.offset);
    node.quantifier = EqualsFold(q.text, "has")     ? Quantifier::kHas
                      : EqualsFold(q.text, "no")    ? Quantifier::kNo
                      : EqualsFold(q.text, "count") ? Quantifier::kCount
                                                    : Quantifier::kSum;
    const Token& what = Take();
    std::string entity_name = what.text, field_name;
    if (node.quantifier == Quantifier::kSum) {
      const std::size_t dot = what.text.find('.');
      if (dot == std::string::npos) {
        return Fail(what, "sum needs the field to add up, as in 'sum order.gross (...) > 1000'");
      }
      entity_name = what.text.substr(0, dot);
      field_name = what.text.substr(dot + 1);
    }
    std::optional<Entity> related = EntityFromName(entity_name);
    if (!related) {
      return Fail(what, "'" + entity_name +
                            "' is no kind of record: use customer, activity, offer, order or case");
    }
    node.related = *related;
    QUIRE_RETURN_IF_ERROR(CheckRelation(e, inside, node, q.offset));
    if (node.quantifier == Quantifier::kSum) {
      node.sum_field = FindField(*related, field_name);
      if (node.sum_field == nullptr) return Fail(what, UnknownField(*related, field_name));
      if (node.sum_field->type != FieldType::kMoney) {
        return Fail(what, "only amounts of money can be added up: " + entity_name + "." +
                              field_name + " is " +
                              std::string(FieldTypeName(node.sum_field->type)));
      }
    }
    if (Peek().type == Token::Type::kLParen) {
      const Token& open = Take();
      QUIRE_ASSIGN_OR_RETURN(FilterNode inner, ParseOr(*related, true));
      if (Peek().type != Token::Type::kRParen) {
        return Fail(Peek(), "expected ')' to close the '(' at " + Place(open.offset) + ", found " +
                                Show(Peek()));
      }
      Take();
      node.children.push_back(std::move(inner));
    }
    if (node.quantifier == Quantifier::kCount || node.quantifier == Quantifier::kSum) {
      const Token& op = Peek();
      if (op.type != Token::Type::kOp || op.text == "~") {
        return Fail(op, "expected a comparison (=, !=, <, <=, >, >=) after the " +
                            std::string(node.quantifier == Quantifier::kCount ? "count" : "sum") +
                            ", found " + Show(op));
      }
      Take();
      node.op = OpOf(op.text);
      const Token& v = Peek();
      if (v.type != Token::Type::kNumber) return Fail(v, "expected a number, found " + Show(v));
      Take();
      static const FieldDef kCount = {"count", FieldType::kNumber, 0, false, false, ""};
      Result<FilterValue> value = TypedValue(
          node.quantifier == Quantifier::kCount ? kCount : *node.sum_field,
          node.quantifier == Quantifier::kCount ? "a count" : node.sum_field->name, v.text, false);
      if (!value.has_value()) return Fail(v, value.error().message());
      node.values.push_back(std::move(*value));
    }
    return node;
  }

  Result<void> CheckRelation(Entity e, bool inside, const FilterNode& node,
                             std::size_t offset) const {
    if (inside) {
      return FailAt(offset,
                    "a condition on related records cannot hold another: write it beside it");
    }
    if (e == Entity::kCustomer && node.related == Entity::kCustomer) {
      return FailAt(offset, "customers are filtered directly: leave out 'has customer'");
    }
    if (e != Entity::kCustomer && node.related != Entity::kCustomer) {
      return FailAt(offset, std::string(EntityPlural(e)) +
                                " reach only their customer: 'has customer (...)'");
    }
    if (e != Entity::kCustomer &&
        (node.quantifier == Quantifier::kCount || node.quantifier == Quantifier::kSum)) {
      return FailAt(offset, "a record has one customer: use 'has customer (...)'");
    }
    return Ok();
  }

  static Op OpOf(std::string_view text) {
    if (text == "=") return Op::kEq;
    if (text == "!=") return Op::kNe;
    if (text == "<") return Op::kLt;
    if (text == "<=") return Op::kLe;
    if (text == ">") return Op::kGt;
    if (text == ">=") return Op::kGe;
    return Op::kContains;
  }

  Result<FilterNode> ParseComparison(Entity e) {
    const Token& name = Take();
    FilterNode node;
    node.kind = Kind::kCompare;
    node.where = Place(name.offset);
    node.field = name.text;
    node.def = FindField(e, name.text);
    if (node.def == nullptr) return Fail(name, UnknownField(e, name.text));
    const Token& op = Peek();
    bool negated_in = false;
    if (IsKeyword(op, "not") && IsKeyword(Peek(1), "in")) {
      Take();
      negated_in = true;
    }
    if (IsKeyword(Peek(), "in")) {
      Take();
      node.op = negated_in ? Op::kNotIn : Op::kIn;
      if (Peek().type != Token::Type::kLParen) {
        return Fail(Peek(), "expected '(' and a list of values after 'in', found " + Show(Peek()));
      }
      Take();
      while (true) {
        QUIRE_ASSIGN_OR_RETURN(FilterValue v, ParseValue(node));
        node.values.push_back(std::move(v));
        if (Peek().type == Token::Type::kComma) {
          Take();
          continue;
        }
        if (Peek().type == Token::Type::kRParen) {
          Take();
          break;
        }
        return Fail(Peek(), "expected ',' or ')' in the list of values, found " + Show(Peek()));
      }
      return node;
    }
    if (op.type != Token::Type::kOp) {
      if (node.def->type == FieldType::kBool) {  // "open" alone: open = true
        FilterValue yes;
        yes.text = "true";
        yes.number = 1;
        node.values.push_back(std::move(yes));
        return node;
      }
      return Fail(op, "expected a comparison (=, !=, <, <=, >, >=, ~ or in) after " + name.text +
                          ", found " + Show(op));
    }
    Take();
    node.op = OpOf(op.text);
    if (node.op == Op::kContains && node.def->type != FieldType::kText) {
      return Fail(op, "~ (contains) compares text; " + name.text + " is " +
                          std::string(FieldTypeName(node.def->type)));
    }
    if (node.op != Op::kEq && node.op != Op::kNe && node.op != Op::kContains &&
        (node.def->type == FieldType::kBool)) {
      return Fail(op, name.text + " is yes or no: compare it with = or !=");
    }
    QUIRE_ASSIGN_OR_RETURN(FilterValue v, ParseValue(node));
    node.values.push_back(std::move(v));
    return node;
  }

  Result<FilterValue> ParseValue(const FilterNode& node) {
    const Token& t = Peek();
    if (t.type != Token::Type::kString && t.type != Token::Type::kWord &&
        t.type != Token::Type::kNumber) {
      return Fail(t, "expected a value for " + node.field + ", found " + Show(t));
    }
    Take();
    std::string text = t.text;
    // A day relative to today, written with spaces: "today - 90d".
    if (t.type == Token::Type::kWord && node.def->type == FieldType::kDay &&
        Peek().type == Token::Type::kPlusMinus) {
      text += Take().text;
      if (Peek().type != Token::Type::kNumber) {
        return Fail(Peek(), "expected a length like 90d, 2w, 12m or 1y, found " + Show(Peek()));
      }
      text += Take().text;
    }
    Result<FilterValue> v = TypedValue(*node.def, node.field, text, t.type == Token::Type::kString);
    if (!v.has_value()) return Fail(t, v.error().message());
    return v;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
};

// ---- JSON form -----------------------------------------------------------------------------

class JsonParser {
 public:
  Result<FilterNode> Parse(const json::value& v, Entity e, bool inside, const std::string& at) {
    if (!v.is_object())
      return Fail(at, "expected an object such as {\"field\": ..., \"op\": ..., \"value\": ...}");
    const json::object& o = v.get_object();
    auto group = [&](std::string_view key, Kind kind) -> Result<FilterNode> {
      const json::value& list = o.at(key);
      if (!list.is_array() || list.get_array().empty()) {
        return Fail(at + "/" + std::string(key), "expected a non-empty list of conditions");
      }
      FilterNode node;
      node.kind = kind;
      node.where = at;
      const json::array& a = list.get_array();
      for (std::size_t i = 0; i < a.size(); ++i) {
        QUIRE_ASSIGN_OR_RETURN(
            FilterNode child,
            Parse(a[i], e, inside, at + "/" + std::string(key) + "/" + std::to_string(i)));
        node.children.push_back(std::move(child));
      }
      if (node.children.size() == 1) return std::move(node.children[0]);
      return node;
    };
    if (o.contains("and")) return group("and", Kind::kAnd);
    if (o.contains("or")) return group("or", Kind::kOr);
    if (const json::value* n = o.if_contains("not")) {
      FilterNode node;
      node.kind = Kind::kNot;
      node.where = at;
      QUIRE_ASSIGN_OR_RETURN(FilterNode child, Parse(*n, e, inside, at + "/not"));
      node.children.push_back(std::move(child));
      return node;
    }
    for (auto [key, q] :
         {std::pair{"has", Quantifier::kHas}, std::pair{"no", Quantifier::kNo},
          std::pair{"count", Quantifier::kCount}, std::pair{"sum", Quantifier::kSum}}) {
      if (o.contains(key)) return ParseRelation(o, key, q, e, inside, at);
    }
    if (o.contains("field")) return ParseComparison(o, e, at);
    return Fail(at, "expected one of the keys and, or, not, field, has, no, count or sum");
  }

 private:
  static Error Fail(const std::string& at, const std::string& message) {
    return Error::ValidationFailed("the filter is not valid: " + at + ": " + message,
                                   {{at, message}});
  }

  Result<FilterNode> ParseRelation(const json::object& o, std::string_view key, Quantifier q,
                                   Entity e, bool inside, const std::string& at) {
    FilterNode node;
    node.kind = Kind::kRelation;
    node.where = at;
    node.quantifier = q;
    const json::value& what = o.at(key);
    const std::string what_at = at + "/" + std::string(key);
    if (!what.is_string()) return Fail(what_at, "expected the kind of record, as text");
    std::string entity_name(what.get_string()), field_name;
    if (q == Quantifier::kSum) {
      const std::size_t dot = entity_name.find('.');
      if (dot == std::string::npos) {
        return Fail(what_at, "sum needs the field to add up, as in \"order.gross\"");
      }
      field_name = entity_name.substr(dot + 1);
      entity_name.resize(dot);
    }
    std::optional<Entity> related = EntityFromName(entity_name);
    if (!related) {
      return Fail(what_at,
                  "'" + entity_name +
                      "' is no kind of record: use customer, activity, offer, order or case");
    }
    node.related = *related;
    if (inside) return Fail(at, "a condition on related records cannot hold another");
    if (e == Entity::kCustomer && *related == Entity::kCustomer) {
      return Fail(what_at, "customers are filtered directly: leave out has customer");
    }
    if (e != Entity::kCustomer && *related != Entity::kCustomer) {
      return Fail(what_at, std::string(EntityPlural(e)) + " reach only their customer");
    }
    if (e != Entity::kCustomer && (q == Quantifier::kCount || q == Quantifier::kSum)) {
      return Fail(what_at, "a record has one customer: use has");
    }
    if (q == Quantifier::kSum) {
      node.sum_field = FindField(*related, field_name);
      if (node.sum_field == nullptr) return Fail(what_at, UnknownField(*related, field_name));
      if (node.sum_field->type != FieldType::kMoney) {
        return Fail(what_at, "only amounts of money can be added up");
      }
    }
    if (const json::value* w = o.if_contains("where")) {
      QUIRE_ASSIGN_OR_RETURN(FilterNode inner, Parse(*w, *related, true, at + "/where"));
      node.children.push_back(std::move(inner));
    }
    if (q == Quantifier::kCount || q == Quantifier::kSum) {
      QUIRE_ASSIGN_OR_RETURN(node.op, OpAt(o, at, false));
      static const FieldDef kCount = {"count", FieldType::kNumber, 0, false, false, ""};
      const json::value* v = o.if_contains("value");
      if (v == nullptr) return Fail(at, "expected \"value\": the number to compare with");
      QUIRE_ASSIGN_OR_RETURN(
          FilterValue fv,
          ValueAt(*v, q == Quantifier::kCount ? kCount : *node.sum_field,
                  q == Quantifier::kCount ? "a count" : node.sum_field->name, at + "/value"));
      node.values.push_back(std::move(fv));
    }
    return node;
  }

  Result<Op> OpAt(const json::object& o, const std::string& at, bool allow_lists) {
    const json::value* op = o.if_contains("op");
    if (op == nullptr) return Op::kEq;
    if (!op->is_string()) return Fail(at + "/op", "expected an operator as text");
    const std::string_view s = op->get_string();
    static constexpr std::pair<std::string_view, Op> kOps[] = {
        {"=", Op::kEq},         {"==", Op::kEq},     {"!=", Op::kNe}, {"<", Op::kLt},
        {"<=", Op::kLe},        {">", Op::kGt},      {">=", Op::kGe}, {"in", Op::kIn},
        {"not in", Op::kNotIn}, {"~", Op::kContains}};
    for (const auto& [text, value] : kOps) {
      if (s != text) continue;
      if (!allow_lists && (value == Op::kIn || value == Op::kNotIn || value == Op::kContains)) {
        break;
      }
      return value;
    }
    return Fail(at + "/op",
                "'" + std::string(s) + "' is no operator: use " +
                    (allow_lists ? "=, !=, <, <=, >, >=, in, not in or ~" : "=, !=, <, <=, >, >="));
  }

  Result<FilterValue> ValueAt(const json::value& v, const FieldDef& def, std::string_view name,
                              const std::string& at) {
    std::string text;
    if (v.is_string()) {
      text = std::string(v.get_string());
    } else if (v.is_int64() || v.is_uint64()) {
      text = json::serialize(v);
    } else if (v.is_double()) {
      return Fail(at,
                  "write a fractional number as text (\"1500.50\"): binary fractions are "
                  "not exact");
    } else if (v.is_bool()) {
      text = v.get_bool() ? "true" : "false";
    } else {
      return Fail(at, "expected a value (text, a whole number or true/false)");
    }
    Result<FilterValue> fv = TypedValue(def, name, text, v.is_string());
    if (!fv.has_value()) return Fail(at, fv.error().message());
    return fv;
  }

  Result<FilterNode> ParseComparison(const json::object& o, Entity e, const std::string& at) {
    FilterNode node;
    node.kind = Kind::kCompare;
    node.where = at;
    const json::value& f = o.at("field");
    if (!f.is_string()) return Fail(at + "/field", "expected a field name as text");
    node.field = std::string(f.get_string());
    node.def = FindField(e, node.field);
    if (node.def == nullptr) return Fail(at + "/field", UnknownField(e, node.field));
    QUIRE_ASSIGN_OR_RETURN(node.op, OpAt(o, at, true));
    const json::value* v = o.if_contains("value");
    if (v == nullptr) {
      if (node.def->type == FieldType::kBool && node.op == Op::kEq) {
        FilterValue yes;
        yes.text = "true";
        yes.number = 1;
        node.values.push_back(std::move(yes));
        return node;
      }
      return Fail(at, "expected \"value\"");
    }
    if (node.op == Op::kContains && node.def->type != FieldType::kText) {
      return Fail(at + "/op", "~ (contains) compares text; " + node.field + " is " +
                                  std::string(FieldTypeName(node.def->type)));
    }
    if (node.def->type == FieldType::kBool && node.op != Op::kEq && node.op != Op::kNe) {
      return Fail(at + "/op", node.field + " is yes or no: compare it with = or !=");
    }
    if (node.op == Op::kIn || node.op == Op::kNotIn) {
      if (!v->is_array() || v->get_array().empty()) {
        return Fail(at + "/value", "expected a non-empty list of values for in");
      }
      const json::array& a = v->get_array();
      for (std::size_t i = 0; i < a.size(); ++i) {
        QUIRE_ASSIGN_OR_RETURN(FilterValue fv, ValueAt(a[i], *node.def, node.field,
                                                       at + "/value/" + std::to_string(i)));
        node.values.push_back(std::move(fv));
      }
      return node;
    }
    QUIRE_ASSIGN_OR_RETURN(FilterValue fv, ValueAt(*v, *node.def, node.field, at + "/value"));
    node.values.push_back(std::move(fv));
    return node;
  }
};

// ---- Printing ------------------------------------------------------------------------------

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string ValueText(const FieldDef& def, const FilterValue& v) {
  switch (def.type) {
    case FieldType::kText:
      return Quote(v.text);
    case FieldType::kNumber:
    case FieldType::kMoney:
      return FormatTrimmed(v.number, kPlaces, 0);
    case FieldType::kId:
      return std::to_string(v.number);
    case FieldType::kBool:
      return v.number != 0 ? "true" : "false";
    case FieldType::kDay:
      return v.day.ToText();
  }
  return v.text;
}

json::value ValueJson(const FieldDef& def, const FilterValue& v) {
  switch (def.type) {
    case FieldType::kText:
      return json::string(v.text);
    case FieldType::kNumber:
    case FieldType::kMoney:
      return json::string(FormatTrimmed(v.number, kPlaces, 0));
    case FieldType::kId:
      return json::string(std::to_string(v.number));
    case FieldType::kBool:
      return v.number != 0;
    case FieldType::kDay:
      return json::string(v.day.ToText());
  }
  return nullptr;
}

const FieldDef kCountDef = {"count", FieldType::kNumber, 0, false, false, ""};

std::string NodeText(const FilterNode& n, bool nested) {
  switch (n.kind) {
    case Kind::kAnd:
    case Kind::kOr: {
      std::string out;
      for (const FilterNode& c : n.children) {
        if (!out.empty()) out += n.kind == Kind::kAnd ? " and " : " or ";
        out += NodeText(c, true);
      }
      return nested ? "(" + out + ")" : out;
    }
    case Kind::kNot:
      return "not " + NodeText(n.children[0], true);
    case Kind::kCompare: {
      std::string out = n.field;
      if (n.op == Op::kIn || n.op == Op::kNotIn) {
        out += n.op == Op::kIn ? " in (" : " not in (";
        for (std::size_t i = 0; i < n.values.size(); ++i) {
          if (i > 0) out += ", ";
          out += ValueText(*n.def, n.values[i]);
        }
        return out + ")";
      }
      return out + " " + std::string(OpText(n.op)) + " " + ValueText(*n.def, n.values[0]);
    }
    case Kind::kRelation: {
      static constexpr std::string_view kWords[] = {"has", "no", "count", "sum"};
      std::string out(kWords[static_cast<int>(n.quantifier)]);
      out += " ";
      out += EntityName(n.related);
      if (n.quantifier == Quantifier::kSum) out += "." + std::string(n.sum_field->name);
      if (!n.children.empty()) out += " (" + NodeText(n.children[0], false) + ")";
      if (n.quantifier == Quantifier::kCount || n.quantifier == Quantifier::kSum) {
        out += " " + std::string(OpText(n.op)) + " " +
               ValueText(n.quantifier == Quantifier::kSum ? *n.sum_field : kCountDef, n.values[0]);
      }
      return out;
    }
  }
  return {};
}

json::value NodeJson(const FilterNode& n) {
  json::object o;
  switch (n.kind) {
    case Kind::kAnd:
    case Kind::kOr: {
      json::array a;
      for (const FilterNode& c : n.children) a.push_back(NodeJson(c));
      o[n.kind == Kind::kAnd ? "and" : "or"] = std::move(a);
      return o;
    }
    case Kind::kNot:
      o["not"] = NodeJson(n.children[0]);
      return o;
    case Kind::kCompare:
      o["field"] = n.field;
      o["op"] = OpText(n.op);
      if (n.op == Op::kIn || n.op == Op::kNotIn) {
        json::array a;
        for (const FilterValue& v : n.values) a.push_back(ValueJson(*n.def, v));
        o["value"] = std::move(a);
      } else {
        o["value"] = ValueJson(*n.def, n.values[0]);
      }
      return o;
    case Kind::kRelation: {
      static constexpr std::string_view kWords[] = {"has", "no", "count", "sum"};
      std::string what(EntityName(n.related));
      if (n.quantifier == Quantifier::kSum) what += "." + std::string(n.sum_field->name);
      o[kWords[static_cast<int>(n.quantifier)]] = what;
      if (!n.children.empty()) o["where"] = NodeJson(n.children[0]);
      if (n.quantifier == Quantifier::kCount || n.quantifier == Quantifier::kSum) {
        o["op"] = OpText(n.op);
        o["value"] =
            ValueJson(n.quantifier == Quantifier::kSum ? *n.sum_field : kCountDef, n.values[0]);
      }
      return o;
    }
  }
  return o;
}

}  // namespace

std::string_view EntityName(Entity e) {
  static constexpr std::string_view kNames[] = {"customer", "activity", "offer", "order", "case"};
  return kNames[static_cast<int>(e)];
}
std::string_view EntityPlural(Entity e) {
  static constexpr std::string_view kNames[] = {"customers", "activities", "offers", "orders",
                                                "cases"};
  return kNames[static_cast<int>(e)];
}
std::optional<Entity> EntityFromName(std::string_view name) {
  for (Entity e : kEntities) {
    if (EqualsFold(name, EntityName(e)) || EqualsFold(name, EntityPlural(e))) return e;
  }
  return std::nullopt;
}

std::string_view FieldTypeName(FieldType t) {
  switch (t) {
    case FieldType::kText:
      return "text";
    case FieldType::kNumber:
      return "a number";
    case FieldType::kMoney:
      return "an amount of money";
    case FieldType::kDay:
      return "a day";
    case FieldType::kBool:
      return "yes or no";
    case FieldType::kId:
      return "an id";
  }
  return "?";
}

const std::vector<FieldDef>& FieldsOf(Entity e) {
  switch (e) {
    case Entity::kCustomer:
      return kCustomerFields;
    case Entity::kActivity:
      return kActivityFields;
    case Entity::kOffer:
      return kOfferFields;
    case Entity::kOrder:
      return kOrderFields;
    case Entity::kCase:
      return kCaseFields;
  }
  return kCustomerFields;
}

const FieldDef* FindField(Entity e, std::string_view name) {
  if (name == "tags") name = "tag";
  for (const FieldDef& f : FieldsOf(e)) {
    if (f.name == name) return &f;
  }
  if (e == Entity::kCustomer && name.starts_with("custom.") && name.size() > 7) {
    return &kCustomField;
  }
  return nullptr;
}

std::string_view OpText(Op op) {
  static constexpr std::string_view kText[] = {"=",  "!=", "<",      "<=", ">",
                                               ">=", "in", "not in", "~"};
  return kText[static_cast<int>(op)];
}

std::int32_t DaySpec::Resolve(std::int32_t today) const {
  using namespace std::chrono;
  std::int32_t base_day = date;
  const year_month_day t = YmdOf(today);
  switch (base) {
    case Base::kDate:
      base_day = date;
      break;
    case Base::kToday:
      base_day = today;
      break;
    case Base::kStartOfMonth:
      base_day = DaysOf(t.year() / t.month() / day(1));
      break;
    case Base::kStartOfYear:
      base_day = DaysOf(t.year() / January / day(1));
      break;
  }
  if (amount == 0) return base_day;
  switch (unit) {
    case 'd':
      return base_day + amount;
    case 'w':
      return base_day + 7 * amount;
    case 'm':
    case 'y': {
      year_month_day b = YmdOf(base_day);
      year_month_day moved = unit == 'm' ? b + months(amount) : b + years(amount);
      if (!moved.ok()) moved = moved.year() / moved.month() / last;  // 31 March - 1m: 28/29 Feb
      return DaysOf(moved);
    }
  }
  return base_day;
}

std::string DaySpec::ToText() const {
  std::string out;
  switch (base) {
    case Base::kDate:
      return FormatIsoDay(date);
    case Base::kToday:
      out = "today";
      break;
    case Base::kStartOfMonth:
      out = "startOfMonth";
      break;
    case Base::kStartOfYear:
      out = "startOfYear";
      break;
  }
  if (amount != 0) {
    out += amount < 0 ? "-" : "+";
    out += std::to_string(amount < 0 ? -amount : amount);
    out += unit;
  }
  return out;
}

std::optional<std::int32_t> ParseIsoDay(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int y = std::stoi(std::string(text.substr(0, 4)));
  const unsigned m = static_cast<unsigned>(std::stoi(std::string(text.substr(5, 2))));
  const unsigned d = static_cast<unsigned>(std::stoi(std::string(text.substr(8, 2))));
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m),
                                        std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return DaysOf(ymd);
}

std::string FormatIsoDay(std::int32_t day) {
  const std::chrono::year_month_day ymd = YmdOf(day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

namespace {

// "class" names computed classes (classes.h): only those, compared for (in)equality.
Result<void> CheckClasses(const FilterNode& n, bool text) {
  if (n.kind == FilterNode::Kind::kCompare && n.def != nullptr && n.def->name == "class") {
    const std::string field = text ? "text" : n.where;
    if (n.op != Op::kEq && n.op != Op::kNe && n.op != Op::kIn && n.op != Op::kNotIn) {
      return Error::ValidationFailed(n.where + ": class is compared with =, !=, in or not in",
                                     {{field, "class is compared with =, !=, in or not in"}});
    }
    for (const FilterValue& v : n.values) {
      if (!IsClassName(v.text)) {
        return Error::ValidationFailed(
            n.where + ": '" + v.text +
                "' is not a class: key, loyal, atRisk, dormant, inDebt or new",
            {{field,
              "'" + v.text + "' is not a class: key, loyal, atRisk, dormant, inDebt or new"}});
      }
    }
  }
  for (const FilterNode& c : n.children) QUIRE_RETURN_IF_ERROR(CheckClasses(c, text));
  return Ok();
}

}  // namespace

Result<Filter> ParseFilterText(std::string_view text, Entity target) {
  bool blank = std::all_of(text.begin(), text.end(),
                           [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  if (blank) {
    return Error::ValidationFailed(
        "the filter is empty: write a condition such as city = \"Kraków\"",
        {{"text:1:1", "the filter is empty"}});
  }
  QUIRE_ASSIGN_OR_RETURN(Filter f, TextParser(text).Parse(target));
  QUIRE_RETURN_IF_ERROR(CheckClasses(f.root, true));
  return f;
}

Result<Filter> ParseFilterJson(const json::value& filter, Entity target) {
  Filter f;
  f.target = target;
  QUIRE_ASSIGN_OR_RETURN(f.root, JsonParser().Parse(filter, target, false, "filter"));
  QUIRE_RETURN_IF_ERROR(CheckClasses(f.root, false));
  return f;
}

std::string Filter::ToText() const { return NodeText(root, false); }
json::value Filter::ToJson() const { return NodeJson(root); }

}  // namespace quire::crm
