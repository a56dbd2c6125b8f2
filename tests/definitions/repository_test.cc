#include "quire/definitions/repository.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"

namespace quire::definitions {
namespace {

using ::quire::testing::HasError;
using ::quire::testing::TempDir;
using ::testing::HasSubstr;

std::string ProcessXml(const std::string& id, const std::string& task_name,
                       const std::string& executable = "true") {
  return R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id=")" + id +
         R"(" name="The )" + id + R"(" isExecutable=")" + executable +
         R"("><startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
         <userTask id="t" name=")" +
         task_name +
         R"("/><sequenceFlow id="f2" sourceRef="t" targetRef="e"/><endEvent id="e"/></process></definitions>)";
}

const Timestamp kMonday = *ParseDateTime("2026-11-23T09:00:00Z");

TEST(RepositoryTest, ChangedFilesGetNewVersionsIdenticalOnesAreRecognised) {
  TempDir tmp;
  auto store = std::move(*storage::Store::Open(tmp.path()));
  DefinitionRepository repo(*store);

  auto first = repo.Deploy(ProcessXml("order", "Check"), "order.bpmn", kMonday);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  ASSERT_EQ(first->processes.size(), 1u);
  EXPECT_EQ(first->processes[0].version, 1u);
  EXPECT_TRUE(first->processes[0].is_new);

  auto again = repo.Deploy(ProcessXml("order", "Check"), "order.bpmn", kMonday);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->processes[0].version, 1u);
  EXPECT_FALSE(again->processes[0].is_new) << "an identical file is not deployed twice";

  auto changed = repo.Deploy(ProcessXml("order", "Check carefully"), "order.bpmn", kMonday);
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ(changed->processes[0].version, 2u);
  EXPECT_TRUE(changed->processes[0].is_new);
  EXPECT_NE(changed->hash, first->hash);

  // The first file again is a change relative to the latest version.
  auto back = repo.Deploy(ProcessXml("order", "Check"), "order.bpmn", kMonday);
  EXPECT_EQ(back->processes[0].version, 3u);
}

TEST(RepositoryTest, VersionsSurviveAReopenAndLoadTheirOwnModel) {
  TempDir tmp;
  {
    auto store = std::move(*storage::Store::Open(tmp.path()));
    DefinitionRepository repo(*store);
    ASSERT_TRUE(repo.Deploy(ProcessXml("order", "v1 task"), "order.bpmn", kMonday).has_value());
    ASSERT_TRUE(repo.Deploy(ProcessXml("order", "v2 task"), "order.bpmn", kMonday).has_value());
    ASSERT_TRUE(repo.Deploy(ProcessXml("invoice", "pay"), "invoice.bpmn", kMonday).has_value());
  }
  auto store = std::move(*storage::Store::Open(tmp.path()));
  DefinitionRepository repo(*store);
  auto versions = repo.Versions("order");
  ASSERT_TRUE(versions.has_value());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].version, 2u) << "newest first";
  EXPECT_EQ((*versions)[0].source_name, "order.bpmn");
  EXPECT_EQ((*versions)[0].deployed_at, kMonday);

  auto latest = repo.Latest();
  ASSERT_TRUE(latest.has_value());
  ASSERT_EQ(latest->size(), 2u);
  EXPECT_EQ((*latest)[0].process_id, "invoice");
  EXPECT_EQ((*latest)[1].process_id, "order");
  EXPECT_EQ((*latest)[1].version, 2u);

  auto v1 = repo.Load("order", 1);
  ASSERT_TRUE(v1.has_value());
  const Process& p1 = (*v1)->processes[0];
  EXPECT_EQ(p1.elements[p1.Find("t")].name, "v1 task");
  auto newest = repo.Load("order");
  EXPECT_EQ((*newest)->processes[0].elements[p1.Find("t")].name, "v2 task");
  EXPECT_THAT(repo.Source("invoice"), ::quire::testing::IsOk());
}

TEST(RepositoryTest, InvalidFilesAreRefusedWithLocatedDetails) {
  TempDir tmp;
  auto store = std::move(*storage::Store::Open(tmp.path()));
  DefinitionRepository repo(*store);
  const std::string broken =
      R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">
<startEvent id="s"/><sequenceFlow id="f" sourceRef="s" targetRef="nowhere"/></process></definitions>)";
  auto result = repo.Deploy(broken, "broken.bpmn", kMonday);
  ASSERT_THAT(result, HasError(ErrorCode::kValidationFailed, HasSubstr("broken.bpmn")));
  ASSERT_FALSE(result.error().details().empty());
  EXPECT_EQ(result.error().details()[0].field, "2:21");
  EXPECT_THAT(result.error().details()[0].message, HasSubstr("targetRef 'nowhere'"));
  EXPECT_THAT(repo.Versions("p"), HasError(ErrorCode::kNotFound));

  EXPECT_THAT(repo.Deploy(ProcessXml("sketch", "x", "false"), "sketch.bpmn", kMonday),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("no executable process")));
  EXPECT_THAT(repo.Load("order", 7), HasError(ErrorCode::kNotFound));
}

}  // namespace
}  // namespace quire::definitions
