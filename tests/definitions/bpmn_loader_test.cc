#include "quire/definitions/bpmn_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace quire::definitions {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::filesystem::path(QUIRE_FIXTURES_DIR) / name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Errors(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) out += FormatDiagnostic("", d) + "\n";
  return out;
}

// The source text of a compiled expression, or "" when there is none.
std::string Text(const std::optional<Expression>& e) { return e ? e->text() : ""; }

const Element& Get(const Process& p, const std::string& id) {
  const ElementIndex i = p.Find(id);
  EXPECT_NE(i, kNoElement) << id;
  return p.elements.at(i);
}

TEST(BpmnLoaderTest, BuildsAnIndexedModel) {
  const std::string xml = Fixture("valid-order.bpmn");
  const LoadResult r = LoadBpmn(xml);
  ASSERT_TRUE(r.ok()) << Errors(r);
  EXPECT_TRUE(r.diagnostics.empty()) << Errors(r);
  const Definitions& d = *r.definitions;
  EXPECT_EQ(d.source, xml) << "the file is kept byte for byte for the diagram";
  ASSERT_EQ(d.processes.size(), 1u);
  const Process& p = d.processes[0];
  EXPECT_EQ(p.id, "order");
  EXPECT_EQ(p.name, "Order");
  EXPECT_TRUE(p.executable);

  const Element& check = Get(p, "check");
  EXPECT_EQ(check.kind, ElementKind::kExclusiveGateway);
  ASSERT_EQ(check.outgoing.size(), 2u);
  ASSERT_NE(check.default_flow, kNoFlow);
  EXPECT_EQ(p.flows[check.default_flow].id, "f3");
  const SequenceFlow& f2 = p.flows[check.outgoing[0]];
  EXPECT_EQ(f2.id, "f2");
  EXPECT_EQ(Text(f2.condition), "${amount > 1000}");
  EXPECT_EQ(f2.condition->dialect(), Dialect::kJuel);
  EXPECT_EQ(p.elements[f2.target].id, "approve");
  EXPECT_EQ(p.elements[f2.source].index, check.index);

  const Element& ship = Get(p, "ship");
  EXPECT_EQ(ship.kind, ElementKind::kSubProcess);
  EXPECT_EQ(Get(p, "pack").parent, ship.index);
  EXPECT_EQ(Get(p, "start").parent, kNoElement);
  const Element& no_stock = Get(p, "noStock");
  EXPECT_EQ(no_stock.attached_to, ship.index);
  EXPECT_THAT(ship.boundary_events, ElementsAre(no_stock.index));
  EXPECT_EQ(no_stock.trigger, EventTrigger::kError);
  EXPECT_EQ(no_stock.trigger_ref, "OutOfStock");
  EXPECT_TRUE(no_stock.interrupting);
  EXPECT_EQ(d.FindError("OutOfStock")->code, "OUT_OF_STOCK");

  const Element& wait = Get(p, "wait");
  EXPECT_EQ(wait.trigger, EventTrigger::kMessage);
  EXPECT_EQ(d.FindMessage(wait.trigger_ref)->name, "payment-received");
  EXPECT_EQ(Get(p, "join").incoming.size(), 2u);
  EXPECT_EQ(Get(p, "approve").kind, ElementKind::kUserTask);
}

// The same process under three prefix styles reads the same.
TEST(BpmnLoaderTest, NamespacePrefixDoesNotMatter) {
  const char* body = R"(<P:process id="p"><P:startEvent id="s"/>
      <P:sequenceFlow id="f" sourceRef="s" targetRef="e"/><P:endEvent id="e"/></P:process>)";
  for (const std::string prefix : {"bpmn", "semantic", "x2"}) {
    std::string xml = "<" + prefix + ":definitions xmlns:" + prefix +
                      "=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">" + body + "</" + prefix +
                      ":definitions>";
    for (std::size_t at; (at = xml.find("P:")) != std::string::npos;)
      xml.replace(at, 2, prefix + ":");
    const LoadResult r = LoadBpmn(xml);
    ASSERT_TRUE(r.ok()) << prefix << "\n" << Errors(r);
    EXPECT_EQ(r.definitions->processes[0].flows.size(), 1u);
  }
  const LoadResult plain = LoadBpmn(
      R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">
         <startEvent id="s"/><sequenceFlow id="f" sourceRef="s" targetRef="e"/><endEvent id="e"/>
         </process></definitions>)");
  ASSERT_TRUE(plain.ok()) << Errors(plain);
}

TEST(BpmnLoaderTest, ReadsLoopsTimersAndCalls) {
  const LoadResult r = LoadBpmn(R"(<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
             xmlns:quire="urn:quire:bpmn:1.0">
  <message id="m" name="order-paid">
    <extensionElements><zeebe:subscription correlationKey="= orderId"/></extensionElements>
  </message>
  <process id="p">
    <startEvent id="s"><timerEventDefinition><timeCycle>R/P1D</timeCycle></timerEventDefinition></startEvent>
    <sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <userTask id="review">
      <multiInstanceLoopCharacteristics camunda:collection="${reviewers}" camunda:elementVariable="reviewer">
        <completionCondition>${nrOfCompletedInstances >= 2}</completionCondition>
      </multiInstanceLoopCharacteristics>
    </userTask>
    <sequenceFlow id="f2" sourceRef="review" targetRef="pick"/>
    <serviceTask id="pick">
      <extensionElements>
        <zeebe:taskDefinition type="pick"/>
      </extensionElements>
      <multiInstanceLoopCharacteristics isSequential="true">
        <extensionElements>
          <zeebe:loopCharacteristics inputCollection="= items" inputElement="item"
                                     outputCollection="results" outputElement="= result"/>
        </extensionElements>
      </multiInstanceLoopCharacteristics>
    </serviceTask>
    <sequenceFlow id="f3" sourceRef="pick" targetRef="retry"/>
    <task id="retry">
      <standardLoopCharacteristics testBefore="true" loopMaximum="5">
        <loopCondition>${again}</loopCondition>
      </standardLoopCharacteristics>
    </task>
    <sequenceFlow id="f4" sourceRef="retry" targetRef="pinned"/>
    <callActivity id="pinned" calledElement="billing" camunda:calledElementBinding="version" camunda:calledElementVersion="3"/>
    <sequenceFlow id="f5" sourceRef="pinned" targetRef="zeebeCall"/>
    <callActivity id="zeebeCall">
      <extensionElements><zeebe:calledElement processId="shipping"/></extensionElements>
    </callActivity>
    <sequenceFlow id="f6" sourceRef="zeebeCall" targetRef="quireCall"/>
    <callActivity id="quireCall" calledElement="audit" quire:calledVersion="7"/>
    <boundaryEvent id="late" attachedToRef="quireCall" cancelActivity="false">
      <timerEventDefinition><timeDuration>PT4H30M</timeDuration></timerEventDefinition>
    </boundaryEvent>
    <sequenceFlow id="f7" sourceRef="quireCall" targetRef="e"/>
    <endEvent id="e"><terminateEventDefinition/></endEvent>
  </process>
</definitions>)");
  ASSERT_TRUE(r.ok()) << Errors(r);
  const Process& p = r.definitions->processes[0];
  EXPECT_EQ(Text(r.definitions->messages[0].correlation_key), "= orderId");
  EXPECT_EQ(r.definitions->messages[0].correlation_key->variables(),
            std::vector<std::string>{"orderId"});

  const Element& s = Get(p, "s");
  ASSERT_TRUE(s.timer.has_value());
  EXPECT_EQ(s.timer->kind, TimerSpec::Kind::kCycle);
  EXPECT_EQ(s.timer->expression, "R/P1D");

  const LoopSpec& review = Get(p, "review").loop;
  EXPECT_EQ(review.kind, LoopSpec::Kind::kParallel);
  EXPECT_EQ(Text(review.collection), "${reviewers}");
  EXPECT_EQ(review.element_variable, "reviewer");
  EXPECT_EQ(Text(review.completion_condition), "${nrOfCompletedInstances >= 2}");

  const LoopSpec& pick = Get(p, "pick").loop;
  EXPECT_EQ(pick.kind, LoopSpec::Kind::kSequential);
  EXPECT_EQ(Text(pick.collection), "= items");
  EXPECT_EQ(pick.element_variable, "item");
  EXPECT_EQ(pick.output_collection, "results");
  EXPECT_EQ(Text(pick.output_element), "= result");

  const LoopSpec& retry = Get(p, "retry").loop;
  EXPECT_EQ(retry.kind, LoopSpec::Kind::kStandard);
  EXPECT_TRUE(retry.test_before);
  EXPECT_EQ(retry.loop_maximum, std::optional<std::int64_t>(5));
  EXPECT_EQ(Text(retry.loop_condition), "${again}");

  EXPECT_EQ(Get(p, "pinned").called_element, "billing");
  EXPECT_EQ(Get(p, "pinned").called_version, std::optional<std::int64_t>(3));
  EXPECT_EQ(Get(p, "zeebeCall").called_element, "shipping");
  EXPECT_EQ(Get(p, "zeebeCall").called_version, std::nullopt);
  EXPECT_EQ(Get(p, "quireCall").called_version, std::optional<std::int64_t>(7));

  const Element& late = Get(p, "late");
  EXPECT_FALSE(late.interrupting);
  EXPECT_EQ(late.timer->kind, TimerSpec::Kind::kDuration);
  EXPECT_EQ(late.timer->expression, "PT4H30M");
  EXPECT_EQ(Get(p, "e").trigger, EventTrigger::kTerminate);
}

TEST(BpmnLoaderTest, ReadsTaskSettingsFromQuireCamundaAndZeebe) {
  const LoadResult r = LoadBpmn(R"xml(<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:quire="urn:quire:bpmn:1.0"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             xmlns:zeebe="http://camunda.org/schema/zeebe/1.0">
  <process id="p">
    <extensionElements>
      <zeebe:userTaskForm id="form1">{"components": [
        {"key": "approved", "label": "Approved?", "type": "checkbox"},
        {"key": "amount", "type": "number", "validate": {"required": true, "min": 1, "max": 500}},
        {"key": "reason", "type": "textfield", "validate": {"minLength": 3, "pattern": "[a-z ]+"}},
        {"key": "channel", "type": "select", "values": [{"label": "Mail", "value": "mail"}]},
        {"type": "text", "text": "no key: not a field"}]}</zeebe:userTaskForm>
    </extensionElements>
    <startEvent id="s"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="quire"/>
    <userTask id="quire" quire:assignee="${customer.owner}" quire:candidateGroups="sales-north, service"
              quire:priority="70" quire:dueDate="P3D" quire:formKey="offer-review">
      <extensionElements>
        <quire:form>
          <quire:field name="discount" label="Discount" type="number" required="true" min="0" max="30"/>
          <quire:field name="segment" type="enum" options="gold, silver"/>
          <quire:field name="note" minLength="2" maxLength="200"/>
        </quire:form>
        <quire:escalation after="P1D" action="notify" notify="assignee"/>
        <quire:escalation after="P3D" action="supervisor" raisePriority="20"/>
        <quire:escalation after="due+PT4H" action="reassign" group="managers"/>
        <quire:requiredDocument type="signed-offer"/>
      </extensionElements>
    </userTask>
    <sequenceFlow id="f2" sourceRef="quire" targetRef="camunda"/>
    <userTask id="camunda" camunda:assignee="demo" camunda:candidateUsers="anna,ben"
              camunda:dueDate="${dueDate}" camunda:followUpDate="2026-12-01T09:00:00Z"
              camunda:priority="${prio}" camunda:formRef="approval">
      <extensionElements>
        <camunda:formData>
          <camunda:formField id="amount" label="Amount" type="long" defaultValue="1">
            <camunda:validation>
              <camunda:constraint name="required"/>
              <camunda:constraint name="min" config="1"/>
              <camunda:constraint name="max" config="1000"/>
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="kind" type="enum">
            <camunda:value id="a" name="Type A"/><camunda:value id="b" name="Type B"/>
          </camunda:formField>
        </camunda:formData>
        <camunda:inputOutput>
          <camunda:inputParameter name="limit">${amount * 2}</camunda:inputParameter>
          <camunda:outputParameter name="decision">${approved}</camunda:outputParameter>
        </camunda:inputOutput>
      </extensionElements>
    </userTask>
    <sequenceFlow id="f3" sourceRef="camunda" targetRef="zeebe"/>
    <userTask id="zeebe">
      <extensionElements>
        <zeebe:assignmentDefinition assignee="= owner" candidateGroups="sales"/>
        <zeebe:taskSchedule dueDate="= now() + duration(&quot;P1D&quot;)"/>
        <zeebe:priorityDefinition priority="40"/>
        <zeebe:formDefinition formKey="camunda-forms:bpmn:form1"/>
      </extensionElements>
    </userTask>
    <sequenceFlow id="f4" sourceRef="zeebe" targetRef="external"/>
    <serviceTask id="external" camunda:type="external" camunda:topic="invoice">
      <extensionElements>
        <camunda:failedJobRetryTimeCycle>R5/PT5M</camunda:failedJobRetryTimeCycle>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="f5" sourceRef="external" targetRef="worker"/>
    <serviceTask id="worker">
      <extensionElements>
        <zeebe:taskDefinition type="payment" retries="3"/>
        <zeebe:ioMapping>
          <zeebe:input source="= order.total" target="amount"/>
          <zeebe:output source="= receipt.id" target="receiptId"/>
        </zeebe:ioMapping>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="f6" sourceRef="worker" targetRef="http"/>
    <sendTask id="http">
      <extensionElements>
        <quire:connector type="http" retries="4" retryCycle="R4/PT1M">
          <quire:input target="url" source="https://crm.example/notify"/>
          <quire:input target="body" source="= {id: order.id}"/>
          <quire:output target="status" source="= response.status"/>
        </quire:connector>
      </extensionElements>
    </sendTask>
    <sequenceFlow id="f7" sourceRef="http" targetRef="e"/>
    <endEvent id="e"/>
  </process>
</definitions>)xml");
  ASSERT_TRUE(r.ok()) << Errors(r);
  const Process& p = r.definitions->processes[0];

  const TaskSpec& q = Get(p, "quire").task;
  EXPECT_EQ(q.assignee.text, "${customer.owner}");
  ASSERT_TRUE(q.assignee.expression.has_value());
  EXPECT_EQ(q.candidate_groups.text, "sales-north, service");
  EXPECT_FALSE(q.candidate_groups.expression.has_value()) << "a literal, not an expression";
  EXPECT_EQ(q.priority.text, "70");
  EXPECT_EQ(q.due_date.text, "P3D");
  EXPECT_EQ(q.form_key, "offer-review");
  ASSERT_EQ(q.form_fields.size(), 3u);
  EXPECT_EQ(q.form_fields[0].name, "discount");
  EXPECT_TRUE(q.form_fields[0].required);
  EXPECT_EQ(q.form_fields[0].max, std::optional<double>(30));
  EXPECT_EQ(q.form_fields[1].options.size(), 2u);
  EXPECT_EQ(q.form_fields[1].options[1].value, "silver");
  EXPECT_EQ(q.form_fields[2].max_length, std::optional<std::int64_t>(200));
  ASSERT_EQ(q.escalations.size(), 3u);
  EXPECT_EQ(q.escalations[0].action, EscalationRule::Action::kNotify);
  EXPECT_EQ(q.escalations[0].after, (Duration{0, 0, 1, 0}));
  EXPECT_EQ(q.escalations[1].action, EscalationRule::Action::kReassignToSupervisor);
  EXPECT_EQ(q.escalations[1].raise_priority, 20);
  EXPECT_EQ(q.escalations[2].action, EscalationRule::Action::kReassignToGroup);
  EXPECT_TRUE(q.escalations[2].from_due_date);
  EXPECT_EQ(q.escalations[2].group, "managers");
  EXPECT_EQ(q.required_documents, std::vector<std::string>{"signed-offer"});

  const TaskSpec& c = Get(p, "camunda").task;
  EXPECT_EQ(c.assignee.text, "demo");
  EXPECT_EQ(c.candidate_users.text, "anna,ben");
  EXPECT_TRUE(c.due_date.expression.has_value());
  EXPECT_EQ(c.follow_up_date.text, "2026-12-01T09:00:00Z");
  EXPECT_EQ(c.form_ref, "approval");
  ASSERT_EQ(c.form_fields.size(), 2u);
  EXPECT_EQ(c.form_fields[0].type, "long");
  EXPECT_TRUE(c.form_fields[0].required);
  EXPECT_EQ(c.form_fields[0].min, std::optional<double>(1));
  EXPECT_EQ(c.form_fields[0].default_value, "1");
  EXPECT_EQ(c.form_fields[1].options[0].label, "Type A");
  ASSERT_EQ(c.inputs.size(), 1u);
  EXPECT_EQ(c.inputs[0].target, "limit");
  EXPECT_EQ(c.outputs[0].source.text, "${approved}");

  const TaskSpec& z = Get(p, "zeebe").task;
  EXPECT_EQ(z.assignee.text, "= owner");
  EXPECT_EQ(z.candidate_groups.text, "sales");
  EXPECT_TRUE(z.due_date.expression.has_value());
  EXPECT_EQ(z.priority.text, "40");
  ASSERT_EQ(z.form_fields.size(), 4u) << "the text block has no key and is not a field";
  EXPECT_EQ(z.form_fields[0].type, "boolean");
  EXPECT_TRUE(z.form_fields[1].required);
  EXPECT_EQ(z.form_fields[1].max, std::optional<double>(500));
  EXPECT_EQ(z.form_fields[2].pattern, "[a-z ]+");
  EXPECT_EQ(z.form_fields[3].type, "enum");
  EXPECT_EQ(z.form_fields[3].options[0].value, "mail");

  const TaskSpec& ext = Get(p, "external").task;
  EXPECT_TRUE(ext.external);
  EXPECT_EQ(ext.connector, "invoice");
  EXPECT_EQ(ext.retry_cycle, "R5/PT5M");

  const TaskSpec& w = Get(p, "worker").task;
  EXPECT_EQ(w.connector, "payment");
  EXPECT_EQ(w.retries, std::optional<std::int64_t>(3));
  ASSERT_EQ(w.inputs.size(), 1u);
  EXPECT_EQ(w.inputs[0].source.expression->variables(), std::vector<std::string>{"order"});
  EXPECT_EQ(w.outputs[0].target, "receiptId");

  const TaskSpec& h = Get(p, "http").task;
  EXPECT_EQ(h.connector, "http");
  EXPECT_EQ(h.retries, std::optional<std::int64_t>(4));
  ASSERT_EQ(h.inputs.size(), 2u);
  EXPECT_FALSE(h.inputs[0].source.expression.has_value());
  EXPECT_TRUE(h.inputs[1].source.expression.has_value());
}

TEST(BpmnLoaderTest, KeepsCollaborationParticipants) {
  const LoadResult r = LoadBpmn(R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
    <collaboration id="c">
      <participant id="customer" name="Customer"/>
      <participant id="shop" name="Shop" processRef="p"/>
      <messageFlow id="mf" sourceRef="customer" targetRef="s"/>
    </collaboration>
    <process id="p"><startEvent id="s"/><sequenceFlow id="f" sourceRef="s" targetRef="e"/><endEvent id="e"/></process>
  </definitions>)");
  ASSERT_TRUE(r.ok()) << Errors(r);
  ASSERT_EQ(r.definitions->participants.size(), 2u);
  EXPECT_EQ(r.definitions->participants[1].process_ref, "p");
}

TEST(BpmnLoaderTest, EmptyAndNonXmlInputAreLocatedErrors) {
  for (const std::string input : {"", "   ", "hello", "<", "<?xml version=\"1.0\"?>"}) {
    const LoadResult r = LoadBpmn(input);
    EXPECT_FALSE(r.ok()) << "'" << input << "'";
    ASSERT_FALSE(r.diagnostics.empty());
    EXPECT_EQ(r.diagnostics[0].severity, Severity::kError);
  }
}

TEST(BpmnLoaderTest, DeepNestingIsRefusedNotAStackOverflow) {
  std::string xml =
      R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">)";
  for (int i = 0; i < 20000; ++i) xml += "<subProcess id=\"s" + std::to_string(i) + "\">";
  for (int i = 0; i < 20000; ++i) xml += "</subProcess>";
  xml += "</process></definitions>";
  const LoadResult r = LoadBpmn(xml);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("nested more than 200 levels deep"));
}

// Found by the reader fuzzer: std::regex recursed once per atom of a long pattern.
TEST(BpmnLoaderTest, LongFormPatternsAreRefusedNotAStackOverflow) {
  const std::string xml = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:quire="urn:quire:bpmn:1.0"><process id="p"><startEvent id="s"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="t"/><userTask id="t"><extensionElements>
    <quire:form><quire:field name="x" pattern=")" +
                          std::string(200000, 'a') + R"("/></quire:form>
    </extensionElements></userTask><sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
    <endEvent id="e"/></process></definitions>)";
  const LoadResult r = LoadBpmn(xml);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u) << Errors(r);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("has a pattern of 200000 characters"));
}

TEST(BpmnLoaderTest, UnknownBpmnElementIsNotSilentlyIgnored) {
  const LoadResult r = LoadBpmn(R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
<process id="p"><startEvent id="s"/><sequenceFlow id="f" sourceRef="s" targetRef="e"/><endEvent id="e"/><teleportTask id="t"/></process></definitions>)");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("<teleportTask> 't' at line 2 is not supported"));
  EXPECT_EQ(r.diagnostics[0].where.line, 2);
}

}  // namespace
}  // namespace quire::definitions
