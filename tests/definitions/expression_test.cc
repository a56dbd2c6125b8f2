#include "quire/definitions/expression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "quire/testing/result_matchers.h"

namespace quire::definitions {
namespace {

using ::quire::testing::HasError;
using ::testing::HasSubstr;

class ExpressionTest : public ::testing::Test {
 protected:
  ExpressionTest()
      : vars_(boost::json::parse(R"({
          "amount": 1500, "approved": true, "rejected": false, "nothing": null,
          "name": "Anna Berg", "segment": "gold",
          "customer": {"segment": "gold", "address": {"city": "Oslo"}, "since": "2019-05-01"},
          "items": [10, 20, 30], "tags": ["vip", "north"], "empty": [], "noItems": []
        })")
                  .as_object()),
        now_(*ParseDateTime("2026-11-24T10:30:00Z")) {}

  // The value as text ("1500", "\"gold\"", "null"), or "error: ..." .
  std::string Eval(std::string_view text) {
    auto e = Expression::Compile(text);
    if (!e) return "compile error: " + e.error().message();
    const JsonVariables vars(vars_);
    auto v = e->Evaluate(vars, now_);
    if (!v) return "error: " + v.error().message();
    return v->ToString();
  }

  boost::json::object vars_;
  Timestamp now_;
};

TEST_F(ExpressionTest, ArithmeticAndPrecedence) {
  EXPECT_EQ(Eval("1 + 2 * 3"), "7");
  EXPECT_EQ(Eval("(1 + 2) * 3"), "9");
  EXPECT_EQ(Eval("2 ** 10"), "1024");
  EXPECT_EQ(Eval("-amount + 500"), "-1000");
  EXPECT_EQ(Eval("amount / 4"), "375");
  EXPECT_EQ(Eval("7 / 2"), "3.5");
  EXPECT_EQ(Eval("1 / 0"), "null");
  EXPECT_EQ(Eval("\"a\" + \"b\""), "\"ab\"");
  EXPECT_EQ(Eval("0.1 + 0.2 > 0.3"), "true");  // binary floating point, documented
}

TEST_F(ExpressionTest, ComparisonsAndLogic) {
  EXPECT_EQ(Eval("amount > 1000"), "true");
  EXPECT_EQ(Eval("amount >= 1500 and amount <= 1500"), "true");
  EXPECT_EQ(Eval("segment = \"gold\""), "true");
  EXPECT_EQ(Eval("segment != \"gold\""), "false");
  EXPECT_EQ(Eval("segment == \"gold\""), "true");
  EXPECT_EQ(Eval("approved and not(rejected)"), "true");
  EXPECT_EQ(Eval("rejected or amount < 10"), "false");
  EXPECT_EQ(Eval("\"abc\" < \"abd\""), "true");
}

TEST_F(ExpressionTest, PathsAndIndexes) {
  EXPECT_EQ(Eval("customer.segment"), "\"gold\"");
  EXPECT_EQ(Eval("customer.address.city"), "\"Oslo\"");
  EXPECT_EQ(Eval("customer.phone"), "null");
  EXPECT_EQ(Eval("customer.phone.area"), "null");
  EXPECT_EQ(Eval("items[1]"), "10");
  EXPECT_EQ(Eval("items[-1]"), "30");
  EXPECT_EQ(Eval("items[4]"), "null");
  EXPECT_EQ(Eval("customer[\"segment\"]"), "\"gold\"");
}

TEST_F(ExpressionTest, NullHandling) {
  EXPECT_EQ(Eval("nothing + 1"), "null");
  EXPECT_EQ(Eval("nothing > 1"), "null");
  EXPECT_EQ(Eval("nothing = null"), "true");
  EXPECT_EQ(Eval("amount = null"), "false");
  EXPECT_EQ(Eval("nothing and false"), "false");
  EXPECT_EQ(Eval("nothing and true"), "null");
  EXPECT_EQ(Eval("nothing or true"), "true");
  EXPECT_EQ(Eval("not(nothing)"), "null");
}

TEST_F(ExpressionTest, UnsetVariableIsAnErrorNotNull) {
  EXPECT_EQ(Eval("amont > 1000"), "error: evaluating 'amont > 1000': variable 'amont' is not set");
  EXPECT_EQ(Eval("is defined(customer.phone)"), "false");
  // A variable that is not set is not defined (naming it elsewhere is an error).
  EXPECT_EQ(Eval("is defined(nobody)"), "false");
  EXPECT_EQ(Eval("is defined(nobody.phone)"), "false");
  EXPECT_EQ(Eval("if is defined(nobody) then nobody else \"default\""), "\"default\"");
}

TEST_F(ExpressionTest, TypeMismatchesNameBothSides) {
  EXPECT_THAT(Eval("segment < 1"), HasSubstr("cannot order string \"gold\" and number 1"));
  EXPECT_THAT(Eval("segment + 1"), HasSubstr("cannot add string \"gold\" and number 1"));
  EXPECT_THAT(Eval("amount and true"), HasSubstr("expected true or false, got number 1500"));
  EXPECT_THAT(Eval("amount.total"), HasSubstr("cannot read 'total' of number 1500"));
}

TEST_F(ExpressionTest, InBetweenAndIf) {
  EXPECT_EQ(Eval("segment in [\"gold\", \"platinum\"]"), "true");
  EXPECT_EQ(Eval("\"vip\" in tags"), "true");
  EXPECT_EQ(Eval("amount in [1000..2000]"), "true");
  EXPECT_EQ(Eval("1500 in (1000..1500)"), "false");
  EXPECT_EQ(Eval("1500 in (1000..1500]"), "true");
  EXPECT_EQ(Eval("1000 in ]1000..1500]"), "false");
  EXPECT_EQ(Eval("amount between 1000 and 2000"), "true");
  EXPECT_EQ(Eval("if amount > 1000 then \"large\" else \"small\""), "\"large\"");
  EXPECT_EQ(Eval("if nothing then 1 else 2"), "2");
  EXPECT_EQ(Eval("[1, 2, amount]"), "[1, 2, 1500]");
  EXPECT_EQ(Eval("{id: amount, \"city name\": customer.address.city, nested: {ok: true}}"),
            "{id: 1500, city name: \"Oslo\", nested: {ok: true}}");
  EXPECT_EQ(Eval("{a: 1, b: 2}.b"), "2");
  EXPECT_EQ(Eval("{}"), "{}");
  EXPECT_THAT(Eval("{a 1}"), HasSubstr("':' after the entry name"));
}

TEST_F(ExpressionTest, Functions) {
  EXPECT_EQ(Eval("string length(name)"), "9");
  EXPECT_EQ(Eval("upper case(segment)"), "\"GOLD\"");
  EXPECT_EQ(Eval("lower case(\"ABC\")"), "\"abc\"");
  EXPECT_EQ(Eval("substring(name, 6)"), "\"Berg\"");
  EXPECT_EQ(Eval("substring(name, 1, 4)"), "\"Anna\"");
  EXPECT_EQ(Eval("substring(name, -4)"), "\"Berg\"");
  EXPECT_EQ(Eval("contains(name, \"Ber\")"), "true");
  EXPECT_EQ(Eval("starts with(name, \"Anna\") and ends with(name, \"Berg\")"), "true");
  EXPECT_EQ(Eval("string(amount)"), "\"1500\"");
  EXPECT_EQ(Eval("number(\"12.5\") * 2"), "25");
  EXPECT_EQ(Eval("count(items)"), "3");
  EXPECT_EQ(Eval("sum(items)"), "60");
  EXPECT_EQ(Eval("min(items)"), "10");
  EXPECT_EQ(Eval("max(3, 9, 4)"), "9");
  EXPECT_EQ(Eval("mean(items)"), "20");
  EXPECT_EQ(Eval("sum(empty)"), "0");
  EXPECT_EQ(Eval("list contains(tags, \"north\")"), "true");
  EXPECT_EQ(Eval("abs(-3) + floor(2.7) + ceiling(2.1)"), "8");
  EXPECT_EQ(Eval("decimal(2.345, 2)"), "2.34");
  EXPECT_EQ(Eval("decimal(2.355, 2)"), "2.36");
  EXPECT_EQ(Eval("decimal(2.5, 0)"), "2");
  EXPECT_EQ(Eval("decimal(3.5, 0)"), "4");
  EXPECT_EQ(Eval("decimal(19.999, 2)"), "20");
  EXPECT_THAT(Eval("count(segment)"), HasSubstr("count(): argument 1 must be a list"));
}

TEST_F(ExpressionTest, DatesAndDurations) {
  EXPECT_EQ(Eval("now()"), "2026-11-24T10:30:00Z");
  EXPECT_EQ(Eval("today()"), "2026-11-24T00:00:00Z");
  EXPECT_EQ(Eval("now() + duration(\"P3D\")"), "2026-11-27T10:30:00Z");
  EXPECT_EQ(Eval("date(\"2026-01-31\") + duration(\"P1M\")"), "2026-02-28T00:00:00Z");
  EXPECT_EQ(Eval("date and time(\"2026-03-01T10:00:00+01:00\")"), "2026-03-01T09:00:00Z");
  EXPECT_EQ(Eval("now() - date(\"2026-11-23\")"), "PT34H30M");
  EXPECT_EQ(Eval("date(customer.since) < date(\"2020-01-01\")"), "true");
  EXPECT_EQ(Eval("now().year"), "2026");
  EXPECT_EQ(Eval("now().weekday"), "2");  // a Tuesday
  EXPECT_EQ(Eval("duration(\"PT36H\") > duration(\"P1D\")"), "true");
  EXPECT_THAT(Eval("date(\"2026-02-30\")"), HasSubstr("2026-02 has 28 days"));
}

TEST_F(ExpressionTest, JuelConditionsAsCamundaWritesThem) {
  EXPECT_EQ(Eval("${amount > 1000}"), "true");
  EXPECT_EQ(Eval("${approved}"), "true");
  EXPECT_EQ(Eval("${!approved}"), "false");
  EXPECT_EQ(Eval("${approved && amount < 2000}"), "true");
  EXPECT_EQ(Eval("${rejected || segment == 'gold'}"), "true");
  EXPECT_EQ(Eval("${segment eq 'gold' and amount gt 100}"), "true");
  EXPECT_EQ(Eval("${not approved}"), "false");
  EXPECT_EQ(Eval("${empty noItems}"), "true");
  EXPECT_EQ(Eval("${empty tags}"), "false");
  EXPECT_EQ(Eval("#{amount ge 1500}"), "true");
  EXPECT_EQ(Eval("${amount > 1000 ? 'big' : 'small'}"), "\"big\"");
  EXPECT_EQ(Eval("= amount > 100"), "true");  // Zeebe's FEEL prefix
}

TEST_F(ExpressionTest, CompileErrorsSayWhere) {
  EXPECT_EQ(Eval("amount >"),
            "compile error: expression 'amount >': at character 9 expected a value, a variable "
            "or '(', found the end");
  EXPECT_THAT(Eval("(1 + 2"), HasSubstr("at character 7 expected ')'"));
  EXPECT_THAT(Eval("frobnicate(1)"), HasSubstr("a known function, not 'frobnicate('"));
  EXPECT_THAT(Eval("string length()"), HasSubstr("string length() to get 1 argument, not 0"));
  EXPECT_THAT(Eval("'single'"), HasSubstr("at character 1 expected an operand or operator"));
  EXPECT_THAT(Eval("a & b"), HasSubstr("'&&' (or 'and')"));
  EXPECT_THAT(Eval("\"open"), HasSubstr("a closing \" for this string"));
  EXPECT_THAT(Eval("${amount >}"), HasSubstr("at character 11"));
  EXPECT_THAT(Eval(""), HasSubstr("empty"));
  EXPECT_THAT(Eval("${ }"), HasSubstr("nothing inside"));
  EXPECT_THAT(Eval("1 2"), HasSubstr("expected an operator or the end, found '2'"));
}

// Found by the expression fuzzer: numbers far outside the integer range used as positions.
TEST_F(ExpressionTest, HugeNumbersAsPositionsAreClampedNotUndefined) {
  EXPECT_EQ(Eval("substring(name, -9999999999999999999999999999999999999999999999999999990, 1)"),
            "\"A\"");
  EXPECT_EQ(Eval("substring(name, 10 ** 300)"), "\"\"");
  EXPECT_EQ(Eval("items[10 ** 300]"), "null");
  EXPECT_EQ(Eval("items[-(10 ** 300)]"), "null");
  // Found by the fuzzer after the first fix: [[...]][huge] reached the same cast.
  EXPECT_EQ(Eval("[[1]][322222222222222222222222222222222222222222222222222222222222222222]"),
            "null");
  EXPECT_EQ(Eval("substring(name, 2, 10 ** 300)"), "\"nna Berg\"");
}

// Found by the expression fuzzer: deep nesting overflowed the stack.
TEST_F(ExpressionTest, NestingIsBounded) {
  EXPECT_THAT(Eval(std::string(5000, '(') + "1" + std::string(5000, ')')),
              HasSubstr("nests more than 100 levels deep"));
  EXPECT_THAT(Eval(std::string(5000, '-') + "1"), HasSubstr("nests more than 100 levels deep"));
  EXPECT_THAT(Eval("amou" + std::string(3000, '[')), HasSubstr("nests more than 100 levels deep"));
  std::string chain = "1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  EXPECT_THAT(Eval(chain), HasSubstr("nests more than 100 levels deep"));
  std::string fine = "1";
  for (int i = 0; i < 90; ++i) fine += " + 1";
  EXPECT_EQ(Eval(fine), "91");
}

TEST_F(ExpressionTest, DurationArithmeticCannotOverflow) {
  EXPECT_THAT(Eval("duration(\"P9999Y\") + duration(\"P9999Y\")"), HasSubstr("P19998Y"));
  EXPECT_THAT(Eval("duration(\"P99999Y\")"), HasSubstr("longer than 10000 years"));
  EXPECT_THAT(Eval("duration(\"PT99999999999999999999S\")"), HasSubstr("a smaller number"));
  EXPECT_THAT(Eval("date(\"0001-01-01\") - duration(\"P1M\")"), HasSubstr("0000-12-01"));
}

TEST_F(ExpressionTest, ConditionsAreBooleanOrNull) {
  const JsonVariables vars(vars_);
  EXPECT_EQ(*Expression::Compile("amount > 1000")->EvaluateCondition(vars, now_), true);
  EXPECT_EQ(*Expression::Compile("nothing > 1")->EvaluateCondition(vars, now_), false);
  EXPECT_THAT(
      Expression::Compile("amount")->EvaluateCondition(vars, now_),
      HasError(ErrorCode::kInvalidArgument, HasSubstr("gave number 1500, not true or false")));
}

TEST_F(ExpressionTest, ReportsTheVariablesItReads) {
  auto e = Expression::Compile("customer.segment = segment and amount > limit(1) or amount < 5");
  EXPECT_FALSE(e.has_value());  // limit() is no function
  auto ok = Expression::Compile("customer.segment = segment and amount > 5 or amount < 1");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->variables(), (std::vector<std::string>{"customer", "segment", "amount"}));
  EXPECT_EQ(ok->dialect(), Dialect::kFeel);
  EXPECT_EQ(Expression::Compile("${a}")->dialect(), Dialect::kJuel);
}

TEST_F(ExpressionTest, ResultsConvertToJson) {
  const JsonVariables vars(vars_);
  // The result may borrow from the expression (the literal "x") and from the variables:
  // both stay alive until Owned() has made an independent copy.
  const auto e = Expression::Compile("[amount, \"x\", now(), duration(\"P1D\"), customer.address]");
  ASSERT_TRUE(e.has_value());
  auto v = e->Evaluate(vars, now_);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(boost::json::serialize(v->ToJson()),
            R"([1500,"x","2026-11-24T10:30:00Z","P1D",{"city":"Oslo"}])");
  const Value owned = v->Owned();
  vars_.clear();  // the owned copy no longer needs the variables
  EXPECT_EQ(owned.ToString(), "[1500, \"x\", 2026-11-24T10:30:00Z, P1D, {city: \"Oslo\"}]");
}

}  // namespace
}  // namespace quire::definitions
