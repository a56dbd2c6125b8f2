// Loading a BPMN definition: read, check rules, analyse the graph, build the model.
//
// BM_LoadGenerated/N: a generated executable process with N flow nodes, shaped like what
// modelers draw (exclusive choices with conditions, merges, user and service tasks,
// parallel splits and joins, boundary timers, an embedded subprocess every few blocks),
// with a BPMNDI shape or edge per element as Camunda Modeler writes them.
// BM_LoadReference: ../shared/bench/reference-process.bpmn (set QUIRE_REFERENCE_BPMN to
// point elsewhere).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "quire/definitions/bpmn_loader.h"

namespace {

// Emits blocks of 12 flow nodes until `nodes` is reached.
std::string GenerateProcess(int nodes) {
  std::ostringstream xml;
  std::ostringstream di;
  int flow = 0;
  int shape = 0;
  const auto node = [&](const std::string& tag, const std::string& id,
                        const std::string& extra = "", const std::string& body = "") {
    xml << "    <bpmn:" << tag << " id=\"" << id << "\" name=\"" << tag << " " << id << "\""
        << extra;
    if (body.empty()) {
      xml << "/>\n";
    } else {
      xml << ">" << body << "</bpmn:" << tag << ">\n";
    }
    di << "      <bpmndi:BPMNShape id=\"" << id << "_di\" bpmnElement=\"" << id
       << "\"><dc:Bounds x=\"" << (shape * 150) % 6000 << "\" y=\"" << (shape / 40) * 120
       << "\" width=\"100\" height=\"80\"/></bpmndi:BPMNShape>\n";
    ++shape;
  };
  const auto seq = [&](const std::string& from, const std::string& to,
                       const std::string& cond = "") {
    const std::string id = "f" + std::to_string(++flow);
    xml << "    <bpmn:sequenceFlow id=\"" << id << "\" sourceRef=\"" << from << "\" targetRef=\""
        << to << "\"";
    if (cond.empty()) {
      xml << "/>\n";
    } else {
      xml << "><bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">" << cond
          << "</bpmn:conditionExpression></bpmn:sequenceFlow>\n";
    }
    di << "      <bpmndi:BPMNEdge id=\"" << id << "_di\" bpmnElement=\"" << id
       << "\"><di:waypoint x=\"10\" y=\"20\"/><di:waypoint x=\"110\" "
          "y=\"20\"/></bpmndi:BPMNEdge>\n";
    return id;
  };

  node("startEvent", "start");
  std::string previous = "start";
  int count = 1;
  for (int b = 0; count + 13 < nodes; ++b) {
    const std::string p = "b" + std::to_string(b) + "_";
    node("exclusiveGateway", p + "choose", " default=\"f" + std::to_string(flow + 3) + "\"");
    seq(previous, p + "choose");
    node("userTask", p + "approve", " camunda:assignee=\"anna\" camunda:candidateGroups=\"sales\"");
    node("userTask", p + "check");
    seq(p + "choose", p + "approve", "${amount &gt; " + std::to_string(b * 100) + "}");
    seq(p + "choose", p + "check");
    node("exclusiveGateway", p + "merge");
    seq(p + "approve", p + "merge");
    seq(p + "check", p + "merge");
    node("parallelGateway", p + "split");
    seq(p + "merge", p + "split");
    node("serviceTask", p + "notify", "",
         "<bpmn:extensionElements><zeebe:taskDefinition type=\"noop\"/></bpmn:extensionElements>");
    node("sendTask", p + "send", "",
         "<bpmn:extensionElements><zeebe:taskDefinition type=\"mail\"/></bpmn:extensionElements>");
    seq(p + "split", p + "notify");
    seq(p + "split", p + "send");
    node("boundaryEvent", p + "late", " attachedToRef=\"" + p + "notify\" cancelActivity=\"false\"",
         "<bpmn:timerEventDefinition><bpmn:timeDuration>PT4H</bpmn:timeDuration>"
         "</bpmn:timerEventDefinition>");
    node("manualTask", p + "remind");
    seq(p + "late", p + "remind");
    node("endEvent", p + "reminded");
    seq(p + "remind", p + "reminded");
    node("parallelGateway", p + "join");
    seq(p + "notify", p + "join");
    seq(p + "send", p + "join");
    node("receiveTask", p + "wait", " messageRef=\"m\"");
    seq(p + "join", p + "wait");
    node("businessRuleTask", p + "rate", "",
         "<bpmn:extensionElements><zeebe:taskDefinition type=\"rate\"/></bpmn:extensionElements>");
    seq(p + "wait", p + "rate");
    previous = p + "rate";
    count += 13;
  }
  while (count + 1 < nodes) {
    const std::string id = "t" + std::to_string(count);
    node("task", id);
    seq(previous, id);
    previous = id;
    ++count;
  }
  node("endEvent", "end");
  seq(previous, "end");

  return R"(<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  id="generated-definitions" targetNamespace="urn:bench">
  <bpmn:message id="m" name="go"/>
  <bpmn:process id="generated" isExecutable="true">
)" + xml.str() +
         "  </bpmn:process>\n  <bpmndi:BPMNDiagram id=\"d\">\n    <bpmndi:BPMNPlane id=\"plane\" "
         "bpmnElement=\"generated\">\n" +
         di.str() + "    </bpmndi:BPMNPlane>\n  </bpmndi:BPMNDiagram>\n</bpmn:definitions>\n";
}

void BM_LoadGenerated(benchmark::State& state) {
  const std::string xml = GenerateProcess(static_cast<int>(state.range(0)));
  const quire::definitions::LoadResult check = quire::definitions::LoadBpmn(xml);
  if (!check.ok()) {
    state.SkipWithError(
        quire::definitions::FormatDiagnostic("generated", check.diagnostics[0]).c_str());
    return;
  }
  for (auto _ : state) {
    quire::definitions::LoadResult r = quire::definitions::LoadBpmn(xml);
    benchmark::DoNotOptimize(r.definitions);
  }
  const auto& p = check.definitions->processes[0];
  state.counters["elements"] = static_cast<double>(p.elements.size());
  state.counters["flows"] = static_cast<double>(p.flows.size());
  state.counters["bytes"] = static_cast<double>(xml.size());
}
BENCHMARK(BM_LoadGenerated)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_LoadReference(benchmark::State& state) {
  const char* env = std::getenv("QUIRE_REFERENCE_BPMN");
  std::ifstream in(env != nullptr ? env : "../shared/bench/reference-process.bpmn");
  std::ostringstream content;
  content << in.rdbuf();
  const std::string xml = content.str();
  if (!quire::definitions::LoadBpmn(xml).ok()) {
    state.SkipWithError("reference-process.bpmn not found or not valid (run from the repository)");
    return;
  }
  for (auto _ : state) {
    quire::definitions::LoadResult r = quire::definitions::LoadBpmn(xml);
    benchmark::DoNotOptimize(r.definitions);
  }
}
BENCHMARK(BM_LoadReference)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
