// Form validation on task completion: every rule, errors per field, nothing changed.
#include "form_validation.h"

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
