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

TEST(BpmnLoaderTest, UnknownBpmnElementIsNotSilentlyIgnored) {
  const LoadResult r = LoadBpmn(R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
<process id="p"><startEvent id="s"/><teleportTask id="t"/></process></definitions>)");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("<teleportTask> 't' at line 2 is not supported"));
  EXPECT_EQ(r.diagnostics[0].where.line, 2);
}

}  // namespace
}  // namespace quire::definitions
