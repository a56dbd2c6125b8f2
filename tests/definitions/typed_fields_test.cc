// Typed fields: declarations read and written, values checked and normalised, dictionaries.
#include "quire/definitions/typed_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>

namespace quire::definitions {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<Field> Declare(std::string_view text) {
  std::vector<ErrorDetail> problems;
  std::vector<Field> fields = ParseFields(json::parse(text), "fields", problems);
  EXPECT_THAT(problems, IsEmpty());
  return fields;
}

std::map<std::string, std::string> ByField(const std::vector<ErrorDetail>& problems) {
  std::map<std::string, std::string> out;
  for (const ErrorDetail& d : problems) out[d.field] = d.message;
  return out;
}

TEST(TypedFieldsTest, DeclarationsRoundTripAndErrorsNameTheProperty) {
  const std::vector<Field> fields = Declare(R"([
      {"name": "size", "type": "integer", "min": 1, "max": 500, "required": true},
      {"name": "tier", "type": "enum", "values": [{"value": "a", "label": "Key account"}, "b"]},
      {"name": "industry", "type": "enum", "dictionary": "industries"},
      {"name": "code", "type": "string", "pattern": "^[A-Z]{2}$", "maxLength": 2}])");
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0].type, "long");  // "integer" is read as Camunda's long
  EXPECT_EQ(fields[1].options[0].label, "Key account");
  std::vector<ErrorDetail> problems;
  const std::vector<Field> again =
      ParseFields(json::value(FieldsToJson(fields)), "fields", problems);
  EXPECT_THAT(problems, IsEmpty());
  EXPECT_EQ(json::serialize(FieldsToJson(again)), json::serialize(FieldsToJson(fields)));

  (void)ParseFields(json::parse(R"([{"name": "1x", "type": "colour"}, {"name": "e", "type": "enum"},
      {"name": "r", "type": "reference"}, {"name": "p", "type": "string", "pattern": "(",
       "extra": 1}, {"name": "e", "type": "string", "min": "one"}])"),
                    "fields", problems);
  EXPECT_THAT(
      ByField(problems),
      UnorderedElementsAre(testing::Key("fields[0].name"), testing::Key("fields[0].type"),
                           testing::Key("fields[1].values"), testing::Key("fields[2].ref"),
                           testing::Key("fields[3].pattern"), testing::Key("fields[3].extra"),
                           testing::Key("fields[4].name"), testing::Key("fields[4].min")));
}

TEST(TypedFieldsTest, ValuesAreCheckedWithOneErrorPerFieldAndNormalised) {
  const std::vector<Field> fields = Declare(R"([
      {"name": "size", "type": "long", "min": 1, "max": 500, "required": true},
      {"name": "price", "type": "number", "min": 0},
      {"name": "vip", "type": "boolean"},
      {"name": "since", "type": "date"},
      {"name": "tier", "type": "enum", "values": [{"value": "a", "label": "Key account"}, "b"]},
      {"name": "code", "type": "string", "pattern": "^[A-Z]{2}$"}])");
  FieldCheck check;
  check.prefix = "customFields.";
  check.owner = "the customer";
  check.refuse_unknown = true;
  std::vector<ErrorDetail> problems;
  (void)CheckFields(fields,
                    json::parse(R"({"price": -1, "vip": "maybe", "since": "2026-02-30",
                                    "tier": "c", "code": "abc", "colour": "red"})")
                        .as_object(),
                    check, problems);
  const auto by_field = ByField(problems);
  EXPECT_THAT(by_field.at("customFields.size"), HasSubstr("is required by the customer"));
  EXPECT_THAT(by_field.at("customFields.price"), HasSubstr("at least 0"));
  EXPECT_THAT(by_field.at("customFields.vip"), HasSubstr("true or false"));
  EXPECT_THAT(by_field.at("customFields.since"), HasSubstr("not a calendar date"));
  EXPECT_THAT(by_field.at("customFields.tier"), HasSubstr("one of: a, b"));
  EXPECT_THAT(by_field.at("customFields.code"), HasSubstr("pattern"));
  EXPECT_THAT(by_field.at("customFields.colour"), HasSubstr("its fields: size, price"));
  EXPECT_EQ(by_field.size(), 7u);

  // Text read as numbers and booleans where asked (CSV files, command lines), labels as
  // their values, date-times as their dates; empty values dropped.
  check.read_text = true;
  problems.clear();
  const json::object out =
      CheckFields(fields,
                  json::parse(R"({"size": "12", "price": "1200,50", "vip": "tak",
                      "since": "2026-03-01T10:00:00+01:00", "tier": "KEY ACCOUNT", "code": ""})")
                      .as_object(),
                  check, problems);
  EXPECT_THAT(problems, IsEmpty());
  EXPECT_EQ(json::serialize(out),
            R"({"size":12,"price":1.2005E3,"vip":true,"since":"2026-03-01","tier":"a"})");
  // Without read_text, text is not a number.
  check.read_text = false;
  problems.clear();
  (void)CheckFields(fields, json::parse(R"({"size": "12"})").as_object(), check, problems);
  EXPECT_THAT(ByField(problems).at("customFields.size"), HasSubstr("must be a number"));
}

TEST(TypedFieldsTest, DictionariesGiveTheValuesWhenChecked) {
  const std::vector<Field> fields =
      Declare(R"([{"name": "industry", "type": "enum", "dictionary": "industries"},
                  {"name": "areas", "type": "multiselect", "dictionary": "industries"},
                  {"name": "other", "type": "enum", "dictionary": "missing"}])");
  auto entries = std::make_shared<const std::vector<FieldOption>>(
      std::vector<FieldOption>{{"construction", "Budownictwo"}, {"it", "IT"}});
  FieldCheck check;
  check.dictionary = [&](std::string_view name) -> std::shared_ptr<const std::vector<FieldOption>> {
    return name == "industries" ? entries : nullptr;
  };
  std::vector<ErrorDetail> problems;
  json::object out = CheckFields(
      fields, json::parse(R"({"industry": "budownictwo", "areas": ["it", "IT"]})").as_object(),
      check, problems);
  EXPECT_THAT(problems, IsEmpty());
  EXPECT_EQ(json::serialize(out), R"({"industry":"construction","areas":["it","it"]})");
  (void)CheckFields(
      fields, json::parse(R"({"industry": "mining", "areas": ["x"], "other": "y"})").as_object(),
      check, problems);
  const auto by_field = ByField(problems);
  EXPECT_THAT(by_field.at("industry"), HasSubstr("one of: construction, it"));
  EXPECT_THAT(by_field.at("areas"), HasSubstr("holds 'x'"));
  EXPECT_THAT(by_field.at("other"), HasSubstr("there is no dictionary 'missing'"));
}

}  // namespace
}  // namespace quire::definitions
