// Form validation on task completion: every rule, errors per field, nothing changed.
#include "form_validation.h"

#include <random>

#include "quire/workflow/form_sample.h"

#include "engine_fixture.h"

namespace quire::workflow::testing {
namespace {

using ::quire::testing::HasError;
using ::quire::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

definitions::FormField Make(const std::string& name, const std::string& type) {
  definitions::FormField f;
  f.name = name;
  f.type = type;
  return f;
}

std::vector<ErrorDetail> Errors(const std::vector<definitions::FormField>& fields,
                                const std::string& data) {
  auto r = ValidateForm(fields, boost::json::parse(data).as_object(), "t");
  return r ? std::vector<ErrorDetail>{} : r.error().details();
}

TEST(FormValidationTest, EveryRuleNamesItsField) {
  auto amount = Make("amount", "number");
  amount.required = true;
  amount.min = 1;
  amount.max = 100;
  auto code = Make("code", "string");
  code.min_length = 2;
  code.max_length = 5;
  code.pattern = "^[A-Z]+$";
  auto kind = Make("kind", "enum");
  kind.options = {{"a", "A"}, {"b", "B"}};
  auto when = Make("when", "date");
  auto ok = Make("ok", "boolean");
  auto count = Make("count", "long");
  auto fixed = Make("fixed", "string");
  fixed.read_only = true;
  const std::vector<definitions::FormField> form{amount, code, kind, when, ok, count, fixed};

  EXPECT_THAT(Errors(form, R"({"amount": 5, "code": "AB", "kind": "a", "when": "2026-12-24",
                               "ok": true, "count": 3})"),
              ElementsAre());
  EXPECT_THAT(Errors(form, R"({"amount": 0, "code": "ab", "kind": "c", "when": "soon",
                               "ok": "yes", "count": 2.5, "fixed": "x"})"),
              UnorderedElementsAre(ErrorDetail{"amount", "must be at least 1"},
                                   ErrorDetail{"code", "does not match the pattern ^[A-Z]+$"},
                                   ErrorDetail{"kind", "must be one of: a, b"},
                                   ErrorDetail{"when",
                                               "must be a date (2026-12-24) or a date-time "
                                               "(2026-12-24T09:00:00Z)"},
                                   ErrorDetail{"ok", "must be true or false"},
                                   ErrorDetail{"count", "must be a whole number"},
                                   ErrorDetail{"fixed", "is read-only"}));
  EXPECT_THAT(Errors(form, R"({"amount": 101, "code": "ABCDEF"})"),
              UnorderedElementsAre(ErrorDetail{"amount", "must be at most 100"},
                                   ErrorDetail{"code", "must have at most 5 characters"}));
  EXPECT_THAT(Errors(form, R"({"amount": null, "code": "A"})"),
              UnorderedElementsAre(ErrorDetail{"amount", "is required"},
                                   ErrorDetail{"code", "must have at least 2 characters"}));
  EXPECT_THAT(Errors(form, R"({"amount": "5"})"),
              ElementsAre(ErrorDetail{"amount", "must be a number"}));
}

// Property, with the validator as the oracle: for random forms, whatever SampleFormValues
// makes passes ValidateForm; for forms whose bounds agree it always makes something; and
// for contradictory ones it names the required field instead of sending a bad value.
TEST(FormSampleTest, WhatItMakesAlwaysPassesTheFormsOwnChecks) {
  std::mt19937 rng(20261206);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> types = {"string", "number",   "long", "boolean",     "date",
                                          "time",   "datetime", "enum", "multiselect", "list"};
  const std::vector<std::string> patterns = {"^C-[0-9]{6}$", "^[A-Z]{2}\\d{3}$", "^\\w+@\\w+\\.pl$",
                                             "[0-9]+",       "^PL\\d{10}$",      "^a.c$"};
  const Timestamp now = SystemClock::Instance().Now();
  int made = 0;
  int named = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<definitions::FormField> fields;
    bool consistent = true;
    const int n = 1 + pick(6);
    for (int i = 0; i < n; ++i) {
      definitions::FormField f = Make("f" + std::to_string(i) + (pick(4) == 0 ? ".inner" : ""),
                                      types[static_cast<std::size_t>(pick(10))]);
      f.required = pick(2) == 0;
      f.read_only = pick(10) == 0 && !f.required;
      if (f.type == "number" || f.type == "long") {
        if (pick(2) == 0) f.min = pick(200) - 100 + (pick(2) == 0 ? 0.5 : 0);
        if (pick(2) == 0) f.max = pick(200) - 100 + (pick(2) == 0 ? 0.25 : 0);
        if (f.min && f.max && *f.min > *f.max) consistent = false;
        if (f.type == "long" && f.min && f.max && std::ceil(*f.min) > std::floor(*f.max)) {
          consistent = false;
        }
      } else if (f.type == "string") {
        if (pick(3) == 0) f.min_length = pick(12);
        if (pick(3) == 0) f.max_length = pick(12);
        if (f.min_length && f.max_length && *f.min_length > *f.max_length) consistent = false;
        if (f.required && f.max_length == 0) consistent = false;  // required, yet empty
        if (pick(3) == 0) {
          f.pattern = patterns[static_cast<std::size_t>(pick(static_cast<int>(patterns.size())))];
          if (f.min_length || f.max_length) consistent = false;  // may contradict the pattern
        }
      } else if (f.type == "enum" || f.type == "multiselect") {
        for (int o = 0; o <= pick(3); ++o) f.options.push_back({"o" + std::to_string(o), ""});
      } else if (f.type == "list") {
        f.rows = {Make("qty", "long"), Make("note", "string")};
        f.rows[0].required = true;
        f.rows[0].min = 1;
      }
      if (pick(5) == 0 && f.type == "boolean") f.default_value = "false";
      if (pick(5) == 0 && f.type == "number") f.default_value = "42";
      fields.push_back(std::move(f));
    }
    auto sample = SampleFormValues(fields, now, "t");
    if (sample) {
      ++made;
      EXPECT_THAT(ValidateForm(fields, *sample, "t"), IsOk())
          << "round " << round << ": " << boost::json::serialize(*sample);
    } else {
      ++named;
      EXPECT_FALSE(consistent) << "round " << round << ": " << sample.error().message() << " "
                               << sample.error().details().front().field << ": "
                               << sample.error().details().front().message;
      EXPECT_FALSE(sample.error().details().empty());
    }
  }
  EXPECT_GT(made, 2000);
  EXPECT_GT(named, 0);
}

TEST(FormSampleTest, UsesDefaultsAndKeepsWholeNumbersWhole) {
  auto answer = Make("answer", "enum");
  answer.options = {{"yes", ""}, {"no", ""}};
  answer.default_value = "no";
  auto count = Make("count", "number");
  count.min = 3;
  auto flag = Make("flag", "boolean");
  auto when = Make("when", "date");
  const Timestamp now = *definitions::ParseDateTime("2026-12-06T10:00:00Z");
  auto sample = SampleFormValues({answer, count, flag, when}, now, "t");
  ASSERT_TRUE(sample);
  EXPECT_EQ(sample->at("answer"), "no");
  EXPECT_TRUE(sample->at("count").is_int64());
  EXPECT_EQ(sample->at("count"), 3);
  EXPECT_EQ(sample->at("flag"), true);
  EXPECT_EQ(sample->at("when"), "2026-12-06");
}

TEST(FormValidationTest, AHostilePatternCostsLinearTime) {
  auto f = Make("s", "string");
  f.pattern = "^(a+)+$";  // catastrophic for backtracking engines
  EXPECT_THAT(Errors({f}, R"({"s": ")" + std::string(5000, 'a') + R"(!"})"),
              ElementsAre(Field(&ErrorDetail::field, "s")));
}

TEST_F(EngineTest, CompletionWithInvalidFormDataChangesNothing) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="quote"><extensionElements>
      <camunda:formData>
        <camunda:formField id="price" type="long"><camunda:validation>
          <camunda:constraint name="required"/><camunda:constraint name="min" config="1"/>
        </camunda:validation></camunda:formField>
      </camunda:formData></extensionElements></userTask>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="quote"/>
    <sequenceFlow id="f2" sourceRef="quote" targetRef="e"/></process>)"));
  const InstanceId id = Start("p");
  const TaskId task = Tasks(id).at(0).id;
  auto r = engine_->CompleteTask(task, boost::json::parse(R"({"price": 0})").as_object(), "u");
  EXPECT_THAT(r, HasError(ErrorCode::kValidationFailed, HasSubstr("nothing was changed")));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().details(), ElementsAre(ErrorDetail{"price", "must be at least 1"}));
  EXPECT_EQ(Tasks(id).size(), 1u);
  EXPECT_EQ(State(id), "active");
  EXPECT_THAT(engine_->CompleteTask(task, boost::json::parse(R"({"price": 10})").as_object(), "u"),
              IsOk());
  engine_->WaitIdle();
  EXPECT_EQ(State(id), "completed");
}

}  // namespace
}  // namespace quire::workflow::testing
