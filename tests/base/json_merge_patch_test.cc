#include "quire/base/json_merge_patch.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace quire {
namespace {

namespace json = boost::json;

struct Case {
  const char* target;
  const char* patch;
  const char* result;
};

// The example table of RFC 7396, Appendix A.
constexpr Case kRfcExamples[] = {
    {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
    {R"({"a":"b"})", R"({"a":null})", R"({})"},
    {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
    {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
    {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
    {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
    {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
    {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
    {R"({"a":"foo"})", R"(null)", R"(null)"},
    {R"({"a":"foo"})", R"("bar")", R"("bar")"},
    {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
    {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
    {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
};

TEST(JsonMergePatchTest, GivesEveryResultOfTheRfcsExampleTable) {
  for (const Case& c : kRfcExamples) {
    const json::value got = MergePatch(json::parse(c.target), json::parse(c.patch));
    EXPECT_EQ(got, json::parse(c.result))
        << c.target << " + " << c.patch << " gave " << json::serialize(got);
  }
}

TEST(JsonMergePatchTest, ObjectFormLeavesUnnamedMembersAlone) {
  json::object target = json::parse(R"({"customer":"c-1","value":100,"tags":["x"]})").as_object();
  const json::object patch = json::parse(R"({"value":120,"tags":null,"note":"ok"})").as_object();
  EXPECT_EQ(MergePatch(target, patch),
            json::parse(R"({"customer":"c-1","value":120,"note":"ok"})").as_object());
  // The target passed in is a copy: the caller's object is unchanged.
  EXPECT_EQ(target.at("value"), 100);
}

}  // namespace
}  // namespace quire
