#include "quire/workflow/camunda_variables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace quire::workflow {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

TEST(CamundaVariablesTest, RecognisesOnlyTheTypedShape) {
  EXPECT_TRUE(IsCamundaTyped(json::parse(R"({"value": 1, "type": "Integer"})")));
  EXPECT_TRUE(IsCamundaTyped(json::parse(R"({"value": 1, "type": "long", "valueInfo": {}})")));
  EXPECT_TRUE(IsCamundaTyped(json::parse(R"({"type": "Null"})")));
  // A business object that happens to have a type is not a typed value.
  EXPECT_FALSE(IsCamundaTyped(json::parse(R"({"type": "car", "value": 1})")));
  EXPECT_FALSE(IsCamundaTyped(json::parse(R"({"type": "String", "value": "x", "colour": 1})")));
  EXPECT_FALSE(IsCamundaTyped(json::parse(R"({"value": 1})")));
  EXPECT_FALSE(IsCamundaTyped(json::parse(R"("String")")));
}

TEST(CamundaVariablesTest, ConvertsEachTypeAndRefusesWhatDoesNotFit) {
  auto from = [](const char* typed) {
    return FromCamundaTyped("v", json::parse(typed).as_object());
  };
  EXPECT_EQ(*from(R"({"value": "7", "type": "Short"})"), 7);
  EXPECT_EQ(*from(R"({"value": 9007199254740993, "type": "Long"})"), 9007199254740993LL);
  EXPECT_EQ(*from(R"({"value": 4.0, "type": "Integer"})"), 4);
  EXPECT_EQ(*from(R"({"value": "2.5", "type": "Double"})"), 2.5);
  EXPECT_EQ(*from(R"({"value": 3, "type": "Double"})"), 3.0);
  EXPECT_EQ(*from(R"({"value": false, "type": "Boolean"})"), false);
  EXPECT_EQ(*from(R"({"value": "2026-12-06T10:00:00.000+0100", "type": "Date"})"),
            "2026-12-06T10:00:00.000+0100");
  EXPECT_EQ(*from(R"({"value": "[1]", "type": "Object", "valueInfo":
                      {"serializationDataFormat": "application/json"}})"),
            json::parse("[1]"));
  EXPECT_EQ(*from(R"({"value": {"a": 1}, "type": "Json"})"), json::parse(R"({"a": 1})"));
  EXPECT_TRUE(from(R"({"value": 5, "type": "Null"})")->is_null());
  EXPECT_EQ(*from(R"({"value": 5})"), 5);  // no type: kept as it is

  for (const auto& [typed, says] :
       {std::pair{R"({"value": 40000, "type": "Short"})", "-32768 to 32767"},
        std::pair{R"({"value": 1e30, "type": "Long"})", "a whole number"},
        std::pair{R"({"value": 1.5, "type": "Integer"})", "a whole number"},
        std::pair{R"({"value": "x", "type": "Double"})", "a number"},
        std::pair{R"({"value": 1, "type": "String"})", "a string"},
        std::pair{R"({"value": "", "type": "File"})", "as a document"},
        std::pair{R"({"value": 1, "type": "Money"})", "unknown Camunda type 'Money'"}}) {
    auto r = from(typed);
    ASSERT_FALSE(r) << typed;
    EXPECT_THAT(r.error().message(), HasSubstr(says)) << typed;
    EXPECT_THAT(r.error().message(), HasSubstr("'v'")) << typed;
  }
}

TEST(CamundaVariablesTest, PlainAndTypedRoundTrip) {
  const json::object plain =
      json::parse(R"({"s": "x", "b": true, "i": 5, "l": 5000000000, "d": 0.25, "n": null,
                      "o": {"a": [1, {"b": 2}]}})")
          .as_object();
  const json::object typed = CamundaTypedVariables(plain);
  EXPECT_EQ(typed.at("i").at("type"), "Integer");
  EXPECT_EQ(typed.at("l").at("type"), "Long");
  EXPECT_EQ(typed.at("o").at("type"), "Json");
  auto back = PlainVariables(typed);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, plain);
}

}  // namespace
}  // namespace quire::workflow
