// Every public BPMN model in ../shared/conformance either loads, or is refused with
// located errors; models that use what Quire does not run say so ("not supported",
// naming the element and its line). Nothing crashes, hangs, or half-loads.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "quire/definitions/bpmn_loader.h"

namespace quire::definitions {
namespace {

namespace fs = std::filesystem;

enum class Verdict { kLoads, kUnsupported, kInvalid };

// What each known file must get. Files added to the corpus later are checked by the
// general rules only.
const std::map<std::string, Verdict>& Known() {
  static const std::map<std::string, Verdict> known = {
      {"bpmn-engine/signals.bpmn", Verdict::kUnsupported},  // a JavaScript service function
      {"bpmn-engine/timers.bpmn", Verdict::kLoads},
      {"bpmn-engine/bound-error-and-timer.bpmn", Verdict::kUnsupported},  // script task
      {"bpmn-engine/mother-of-all.bpmn", Verdict::kUnsupported},          // script tasks
      {"bpmn-engine/task-with-multi-instance-loop.bpmn", Verdict::kUnsupported},
      {"bpmn-moddle/ad-hoc.bpmn", Verdict::kLoads},  // the ad-hoc subprocess is not executable
      {"bpmn-moddle/choreography-task.bpmn", Verdict::kUnsupported},
      {"bpmn-moddle/error-duplicate-ids.bpmn", Verdict::kInvalid},
      {"bpmn-moddle/error-not-bpmn.bpmn", Verdict::kInvalid},
      {"camunda/BpmnParseTest.testParseProcessDefinitionXXE.bpmn20.xml", Verdict::kInvalid},
      {"camunda/BoundaryConditionalEventTest.testNonInterruptingVariableCondition.bpmn20.xml",
       Verdict::kUnsupported},
      {"camunda/TransactionSubProcessTest.testSimpleCase.bpmn20.xml", Verdict::kUnsupported},
      {"camunda/GatewaysTest.xml", Verdict::kUnsupported},  // complex gateway
      {"camunda/BoundaryTimerNonInterruptingEventTest.testTimerWithCycle.bpmn20.xml",
       Verdict::kLoads},
      {"camunda/CallActivity.testCallSimpleSubProcess.bpmn20.xml", Verdict::kLoads},
      {"camunda/ErrorEventSubProcessTest.testCatchErrorInEmbeddedSubProcess.bpmn20.xml",
       Verdict::kLoads},
      {"camunda/EventBasedGatewayTest.testCatchSignalAndMessageAndTimer.bpmn20.xml",
       Verdict::kLoads},
      {"camunda/ExclusiveGatewayTest.testDefaultSequenceFlow.bpmn20.xml", Verdict::kLoads},
      {"camunda/InclusiveGatewayTest.testDivergingInclusiveGateway.bpmn20.xml", Verdict::kLoads},
      {"camunda/LinkEventTest.testValidEventLink.bpmn20.xml", Verdict::kLoads},
      {"camunda/MessageEventSubprocessTest.testNonInterruptingUnderProcessDefinition.bpmn20.xml",
       Verdict::kLoads},
      {"camunda/MultiInstanceTest.testParallelUserTasksBasedOnCollection.bpmn20.xml",
       Verdict::kLoads},
      {"camunda/StartTimerEventTest.testFixedDateStartTimerEvent.bpmn20.xml", Verdict::kLoads},
      {"camunda/TaskDueDateExtensionsTest.testDueDateExtension.bpmn20.xml", Verdict::kLoads},
      {"camunda/TaskFollowUpDateExtensionsTest.testUserTaskFollowUpDate.bpmn20.xml",
       Verdict::kLoads},
      {"camunda/groupTest.bpmn", Verdict::kLoads},
      {"camunda/simpleSubProcess.bpmn20.xml", Verdict::kLoads},
      {"camunda-examples/invoicePayment.bpmn", Verdict::kLoads},
      {"camunda-examples/loan-granting.bpmn", Verdict::kUnsupported},
      {"camunda-examples/parse-bpmn-process.bpmn", Verdict::kUnsupported},
      {"flowable/checkCreditProcess.bpmn20.xml", Verdict::kLoads},
      {"flowable/orderProcess.bpmn20.xml", Verdict::kLoads},
      {"flowable/reviewSalesLead.bpmn20.xml", Verdict::kLoads},
      {"flowable/VacationRequest.bpmn20.xml", Verdict::kLoads},
      {"flowable/IntermediateTimerEventTest.testLoop.bpmn20.xml", Verdict::kUnsupported},
      {"flowable/"
       "MessageBoundaryEventTest.testSingleBoundaryMessageEventWithBoundaryTimerEvent.bpmn20.xml",
       Verdict::kLoads},
      {"jbpm/BPMN2-Compensation-Transaction.bpmn", Verdict::kUnsupported},
      {"jbpm/BPMN2-DataObject.bpmn", Verdict::kUnsupported},
      {"jbpm/BPMN2-EventSubprocessTimer.bpmn", Verdict::kUnsupported},
      {"jbpm/BPMN2-InclusiveSplitAndJoinLoop.bpmn", Verdict::kUnsupported},  // Java conditions
      {"miwg/A.1.0.bpmn", Verdict::kLoads},
      {"miwg/A.2.0.bpmn", Verdict::kLoads},
      {"miwg/A.3.0.bpmn", Verdict::kLoads},
      {"miwg/A.4.0.bpmn", Verdict::kLoads},
      {"miwg/B.1.0.bpmn", Verdict::kLoads},
      {"miwg/C.1.0.bpmn", Verdict::kUnsupported},  // a Java delegateExpression
      {"miwg/C.2.0.bpmn", Verdict::kLoads},
      {"miwg/C.9.1.bpmn", Verdict::kLoads},
      // Drawn to describe, not to run: signal events without a signal, gateways without
      // conditions. Refused with located errors.
      {"miwg/C.5.0.bpmn", Verdict::kInvalid},
      {"miwg/C.6.0.bpmn", Verdict::kUnsupported},  // compensation
  };
  return known;
}

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  const fs::path root = QUIRE_CONFORMANCE_DIR;
  if (!fs::exists(root)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".bpmn" || ext == ".xml")) {
      files.push_back(fs::relative(entry.path(), root).string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ConformanceTest, EveryModelLoadsOrIsRefusedWithLocatedErrors) {
  const std::vector<std::string> files = CorpusFiles();
  if (files.empty()) GTEST_SKIP() << "no corpus at " << QUIRE_CONFORMANCE_DIR;
  std::size_t loaded = 0;
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    std::ifstream in(fs::path(QUIRE_CONFORMANCE_DIR) / file, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    const LoadResult result = LoadBpmn(content.str());
    EXPECT_EQ(result.ok(), !HasErrors(result.diagnostics));
    bool unsupported = false;
    for (const Diagnostic& d : result.diagnostics) {
      if (d.severity != Severity::kError) continue;
      EXPECT_GT(d.where.line, 0) << "an error without a location: " << d.message;
      if (d.message.find("is not supported by Quire") != std::string::npos) {
        unsupported = true;
        EXPECT_NE(d.message.find("at line " + std::to_string(d.where.line)), std::string::npos)
            << d.message;
      }
    }
    if (result.ok()) {
      ++loaded;
      EXPECT_FALSE(result.definitions->processes.empty() && result.definitions->source.empty());
    }
    const auto known = Known().find(file);
    if (known == Known().end()) continue;
    switch (known->second) {
      case Verdict::kLoads:
        EXPECT_TRUE(result.ok()) << (result.diagnostics.empty()
                                         ? std::string()
                                         : FormatDiagnostic(file, result.diagnostics.front()));
        break;
      case Verdict::kUnsupported:
        EXPECT_FALSE(result.ok());
        EXPECT_TRUE(unsupported) << "refused, but not for an unsupported element";
        break;
      case Verdict::kInvalid:
        EXPECT_FALSE(result.ok());
        break;
    }
  }
  EXPECT_GT(loaded, files.size() / 2) << "most of the corpus is runnable BPMN";
}

// The examples scripts/run deploys, and the automations of examples/automations/, must load
// cleanly (no error, no warning) and carry their diagram, so that they open as drawn in
// Camunda Modeler and bpmn-js to be copied and changed.
TEST(ExamplesTest, EveryExampleLoadsWithoutFindingsAndHasItsDiagram) {
  std::size_t count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(QUIRE_EXAMPLES_DIR)) {
    if (entry.path().extension() != ".bpmn") continue;
    ++count;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    const LoadResult result = LoadBpmn(content.str());
    EXPECT_TRUE(result.ok()) << entry.path();
    EXPECT_NE(content.str().find("<bpmndi:BPMNShape"), std::string::npos) << entry.path();
    for (const Diagnostic& d : result.diagnostics) {
      ADD_FAILURE() << FormatDiagnostic(entry.path().string(), d);
    }
  }
  EXPECT_GE(count, 7u);
}

}  // namespace
}  // namespace quire::definitions
