#include "quire/crm/activities.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <sstream>

#include "quire/base/instant.h"
#include "quire/storage/key_codec.h"
#include "quire/testing/temp_dir.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr Timestamp kNow{std::chrono::milliseconds(1796547600000)};  // 2026-12-06 09:00 UTC

json::object J(std::string_view text) { return json::parse(text).as_object(); }

class ActivitiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    customers_ = std::make_unique<CustomerStore>(*store_, *audit_, clock_);
    resources_ = std::make_unique<ResourceStore>(*store_, *audit_, clock_);
    activities_ =
        std::make_unique<ActivityStore>(*store_, *audit_, clock_, *customers_, *resources_);
    customer_ = customers_->Create(J(R"({"name": "Hurtownia Kowalski"})"), anna_)->id;
    room_ = resources_->Create(J(R"({"name": "Sala Wisła", "kind": "room", "capacity": 8})"), anna_)
                ->id;
  }

  Result<Activity> Meeting(const std::string& start, const std::string& end,
                           const std::string& extra = "") {
    return activities_->Create(
        J(R"({"type": "meeting", "customer": )" + std::to_string(customer_) + R"(, "start": ")" +
          start + R"(", "end": ")" + end + R"(", "resources": [")" + std::to_string(room_) + "\"]" +
          extra + "}"),
        anna_);
  }

  std::vector<std::string> Starts(const std::vector<Occurrence>& occurrences) {
    std::vector<std::string> out;
    for (const Occurrence& o : occurrences) out.push_back(FormatInstant(o.start));
    return out;
  }

  std::string Chain() const {
    std::ostringstream out;
    EXPECT_TRUE(audit_->Export(1, 0, out).has_value());
    return out.str();
  }

  quire::testing::TempDir dir_;
  ManualClock clock_{kNow};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<CustomerStore> customers_;
  std::unique_ptr<ResourceStore> resources_;
  std::unique_ptr<ActivityStore> activities_;
  const audit::Actor anna_{"anna"};
  CustomerId customer_ = 0;
  ResourceId room_ = 0;
};

TEST_F(ActivitiesTest, AnActivityIsStoredWithItsEmployeesAndReadBack) {
  auto a = activities_->Create(J(R"({"type": "call", "status": "done",
      "customer": ")" + std::to_string(customer_) +
                                 R"(",
      "start": "2026-12-07T10:00:00+01:00", "end": "2026-12-07T10:12:30+01:00",
      "channel": "phone", "outcome": "interested", "note": "Dzwonić w czwartek"})"),
                               anna_);
  ASSERT_TRUE(a.has_value()) << a.error().message();
  EXPECT_EQ(FormatInstant(a->start), "2026-12-07T09:00:00.000Z");
  EXPECT_EQ(a->duration(), std::chrono::milliseconds(750'000));
  EXPECT_THAT(a->employees, ElementsAre("anna"));  // whoever records it, by default
  auto read = activities_->Get(a->id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->ToJson(), a->ToJson());
  EXPECT_EQ(read->ToJson().at("customer").as_string(), std::to_string(customer_));
  // The chain holds ids and field names, never what the note says.
  const std::string chain = Chain();
  EXPECT_THAT(chain, HasSubstr("activity.created"));
  EXPECT_THAT(chain, HasSubstr("activity/" + std::to_string(a->id)));
  EXPECT_THAT(chain, Not(HasSubstr("czwartek")));
}

TEST_F(ActivitiesTest, BadFieldsAreRefusedOneDetailEachAndNothingIsStored) {
  auto a = activities_->Create(J(R"({"type": "Phone Call", "status": "maybe",
      "start": "2026-12-07T10:00:00Z", "end": "2026-12-07T09:00:00Z", "customer": 999,
      "resources": ["77"], "rrule": "FREQ=FORTNIGHTLY", "timeZone": "Europe/Gdynia",
      "follows": "x", "colour": "red"})"),
                               anna_);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code(), ErrorCode::kValidationFailed);
  std::map<std::string, std::string> by_field;
  for (const ErrorDetail& d : a.error().details()) by_field[d.field] = d.message;
  EXPECT_THAT(by_field["type"], HasSubstr("lower case"));
  EXPECT_THAT(by_field["status"], HasSubstr("planned, done or cancelled"));
  EXPECT_THAT(by_field["end"], HasSubstr("before the start"));
  EXPECT_THAT(by_field["customer"], HasSubstr("customer 999 does not exist"));
  EXPECT_THAT(by_field["resources[0]"], HasSubstr("resource 77 does not exist"));
  EXPECT_THAT(by_field["rrule"], HasSubstr("FREQ=WEEKLY"));
  EXPECT_THAT(by_field["timeZone"], HasSubstr("IANA"));
  EXPECT_THAT(by_field["follows"], HasSubstr("activity id"));
  EXPECT_THAT(by_field["colour"], HasSubstr("not a field of an activity"));
  EXPECT_FALSE(activities_->Get(1).has_value());

  auto no_start = activities_->Create(J(R"({"type": "call"})"), anna_);
  ASSERT_FALSE(no_start.has_value());
  EXPECT_EQ(no_start.error().details().at(0).field, "start");
  auto too_long = activities_->Create(
      J(R"({"type": "visit", "start": "2026-12-01", "end": "2027-02-01"})"), anna_);
  ASSERT_FALSE(too_long.has_value());
  EXPECT_THAT(too_long.error().details().at(0).message, HasSubstr("31 days"));
}

TEST_F(ActivitiesTest, AnOverlappingBookingIsRefusedNamingTheActivityItCollidesWith) {
  auto first = Meeting("2026-12-07T09:00:00Z", "2026-12-07T10:00:00Z");
  ASSERT_TRUE(first.has_value()) << first.error().message();
  auto clash = Meeting("2026-12-07T09:30:00Z", "2026-12-07T10:30:00Z");
  ASSERT_FALSE(clash.has_value());
  EXPECT_EQ(clash.error().code(), ErrorCode::kConflict);
  EXPECT_THAT(clash.error().message(),
              HasSubstr("'Sala Wisła' is booked from 2026-12-07T09:00:00.000Z to "
                        "2026-12-07T10:00:00.000Z by activity " +
                        std::to_string(first->id)));
  // Back to back is no collision.
  EXPECT_TRUE(Meeting("2026-12-07T10:00:00Z", "2026-12-07T11:00:00Z").has_value());
  // A booking cancelled frees its time.
  ASSERT_TRUE(activities_->Update(first->id, J(R"({"status": "cancelled"})"), anna_));
  EXPECT_TRUE(Meeting("2026-12-07T09:30:00Z", "2026-12-07T10:00:00Z").has_value());
  // Moving an activity onto another's booking is refused too, and changes nothing.
  auto later = Meeting("2026-12-07T14:00:00Z", "2026-12-07T15:00:00Z");
  ASSERT_TRUE(later.has_value());
  auto moved = activities_->Update(later->id, J(R"({"start": "2026-12-07T10:30:00Z"})"), anna_);
  ASSERT_FALSE(moved.has_value());
  EXPECT_EQ(moved.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(FormatInstant(activities_->Get(later->id)->start), "2026-12-07T14:00:00.000Z");
  // Moving itself within its own slot is no collision with itself.
  EXPECT_TRUE(activities_->Update(later->id, J(R"({"start": "2026-12-07T14:15:00Z"})"), anna_));
}

TEST_F(ActivitiesTest, ARecurringBookingCollidesOnAnyOfItsOccurrences) {
  // Every Monday 9-10 in Warsaw from 7 December; a single meeting on the third Monday.
  auto single = Meeting("2026-12-21T08:30:00Z", "2026-12-21T09:30:00Z");
  ASSERT_TRUE(single.has_value());
  auto series =
      Meeting("2026-12-07T08:00:00Z", "2026-12-07T09:00:00Z",
              R"(, "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=10", "timeZone": "Europe/Warsaw")");
  ASSERT_FALSE(series.has_value());
  EXPECT_THAT(series.error().message(), HasSubstr("by activity " + std::to_string(single->id)));
  EXPECT_THAT(series.error().message(), HasSubstr("the time asked, from 2026-12-21T08:00:00.000Z"));
  // Without that Monday (EXDATE) it fits; and then a single on another Monday collides.
  auto fitted = Meeting("2026-12-07T08:00:00Z", "2026-12-07T09:00:00Z",
                        R"(, "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=10", "timeZone": "Europe/Warsaw",
                            "exdates": ["2026-12-21T08:00:00Z"])");
  ASSERT_TRUE(fitted.has_value()) << fitted.error().message();
  auto later = Meeting("2027-01-11T08:45:00Z", "2027-01-11T09:15:00Z");
  ASSERT_FALSE(later.has_value());
  EXPECT_THAT(later.error().message(), HasSubstr("by activity " + std::to_string(fitted->id)));
  // After the series' last occurrence (COUNT=10 with one left out: 8 February) the room is free.
  EXPECT_TRUE(Meeting("2027-02-15T08:00:00Z", "2027-02-15T09:00:00Z").has_value());
}

TEST_F(ActivitiesTest, AResourceIsBookedOnlyWithinItsHours) {
  auto car = resources_->Create(J(R"({"name": "Skoda Octavia WX 12345", "kind": "car",
      "capacity": 5, "availableDays": ["mon", "tue", "wed", "thu", "fri"],
      "availableFrom": "08:00", "availableTo": "18:00", "timeZone": "Europe/Warsaw"})"),
                                anna_);
  ASSERT_TRUE(car.has_value()) << car.error().message();
  auto book = [&](const std::string& start, const std::string& end) {
    return activities_->Create(J(R"({"type": "visit", "start": ")" + start + R"(", "end": ")" +
                                 end + R"(", "resources": [)" + std::to_string(car->id) + "]}"),
                               anna_);
  };
  EXPECT_TRUE(book("2026-12-07T07:00:00Z", "2026-12-07T16:59:00Z").has_value());  // 8-17:59
  auto evening = book("2026-12-08T16:30:00Z", "2026-12-08T17:30:00Z");            // to 18:30
  ASSERT_FALSE(evening.has_value());
  EXPECT_EQ(evening.error().code(), ErrorCode::kConflict);
  EXPECT_THAT(evening.error().message(),
              HasSubstr("can be booked on mon,tue,wed,thu,fri from 08:00 to 18:00 "
                        "(Europe/Warsaw)"));
  EXPECT_FALSE(book("2026-12-12T09:00:00Z", "2026-12-12T10:00:00Z").has_value());  // Saturday
  ASSERT_TRUE(resources_->Update(car->id, J(R"({"active": false})"), anna_));
  EXPECT_THAT(book("2026-12-09T09:00:00Z", "2026-12-09T10:00:00Z").error().message(),
              HasSubstr("inactive"));
}

TEST_F(ActivitiesTest, BadResourcesAreRefusedOneDetailEach) {
  auto r = resources_->Create(J(R"({"kind": "boat", "capacity": 0, "availableDays": ["mo"],
      "availableFrom": "18:00", "availableTo": "08:00", "timeZone": "Warsaw"})"),
                              anna_);
  ASSERT_FALSE(r.has_value());
  std::map<std::string, std::string> by_field;
  for (const ErrorDetail& d : r.error().details()) by_field[d.field] = d.message;
  EXPECT_THAT(by_field["name"], HasSubstr("required"));
  EXPECT_THAT(by_field["kind"], HasSubstr("room, car, device or other"));
  EXPECT_THAT(by_field["capacity"], HasSubstr("1 to 10000"));
  EXPECT_THAT(by_field["availableDays[0]"], HasSubstr("mon, tue"));
  EXPECT_THAT(by_field["availableTo"], HasSubstr("later than availableFrom"));
  EXPECT_THAT(by_field["timeZone"], HasSubstr("IANA"));
  auto half = resources_->Create(J(R"({"name": "Projektor", "availableFrom": "08:00"})"), anna_);
  ASSERT_FALSE(half.has_value());
  EXPECT_THAT(half.error().details().at(0).message, HasSubstr("together"));
}

TEST_F(ActivitiesTest, AnEmployeesCalendarExpandsSeriesForTheRangeAsked) {
  auto weekly = activities_->Create(J(R"({"type": "meeting", "title": "Odprawa",
      "start": "2026-11-02T08:00:00Z", "end": "2026-11-02T08:30:00Z",
      "rrule": "FREQ=WEEKLY;BYDAY=MO", "timeZone": "Europe/Warsaw", "employees": ["anna", "jan"]})"),
                                    anna_);
  ASSERT_TRUE(weekly.has_value()) << weekly.error().message();
  auto call = activities_->Create(
      J(R"({"type": "call", "start": "2026-12-09T12:00:00Z", "employees": ["jan"]})"), anna_);
  ASSERT_TRUE(call.has_value());
  auto cancelled = activities_->Create(J(R"({"type": "visit", "status": "cancelled",
      "start": "2026-12-10T12:00:00Z", "end": "2026-12-10T13:00:00Z", "employees": ["jan"]})"),
                                       anna_);
  ASSERT_TRUE(cancelled.has_value());
  auto week = activities_->EmployeeCalendar("jan", *ParseInstant("2026-12-07T00:00:00.000Z"),
                                            *ParseInstant("2026-12-21T00:00:00.000Z"));
  ASSERT_TRUE(week.has_value());
  EXPECT_THAT(Starts(*week), ElementsAre("2026-12-07T08:00:00.000Z", "2026-12-09T12:00:00.000Z",
                                         "2026-12-14T08:00:00.000Z"));
  EXPECT_EQ(week->at(0).activity->id, weekly->id);
  EXPECT_EQ(week->at(0).ToJson().at("seriesStart"), "2026-11-02T08:00:00.000Z");
  // Another employee's calendar holds only theirs; a too-long range is refused.
  auto anna = activities_->EmployeeCalendar("anna", *ParseInstant("2026-12-07T00:00:00.000Z"),
                                            *ParseInstant("2026-12-21T00:00:00.000Z"));
  EXPECT_EQ(anna->size(), 2u);
  EXPECT_FALSE(activities_->EmployeeCalendar("jan", kNow, kNow + std::chrono::days(400)));
}

TEST_F(ActivitiesTest, ACalendarShowsFromItsEntriesWhatTheActivitiesThemselvesSay) {
  ASSERT_TRUE(Meeting("2026-12-08T09:00:00Z", "2026-12-08T10:00:00Z",
                      R"(, "title": "Umowa \"A\"\tB", "channel": "in person", "note": "tajne")"));
  ASSERT_TRUE(activities_->Create(J(R"({"type": "task", "allDay": true, "start": "2026-12-09",
      "end": "2026-12-10", "status": "done", "employees": ["anna", "jan"]})"),
                                  anna_));
  ASSERT_TRUE(activities_->Create(J(R"({"type": "meeting", "title": "Co tydzień",
      "start": "2026-11-02T08:00:00Z", "end": "2026-11-02T08:30:00Z",
      "rrule": "FREQ=WEEKLY;BYDAY=MO", "timeZone": "Europe/Warsaw"})"),
                                  anna_));
  const Timestamp from = *ParseInstant("2026-12-07T00:00:00.000Z");
  const Timestamp to = *ParseInstant("2026-12-14T00:00:00.000Z");
  auto summary = activities_->EmployeeCalendar("anna", from, to);
  auto full = activities_->EmployeeCalendar("anna", from, to, CalendarDetail::kFull);
  ASSERT_TRUE(summary.has_value() && full.has_value());
  auto texts = [](const std::vector<Occurrence>& of) {
    std::vector<std::string> out;
    for (const Occurrence& o : of) {
      out.push_back(json::serialize(o.SummaryJson()));
      // Written directly, the same JSON.
      std::string text;
      o.AppendSummaryJson(text);
      EXPECT_EQ(json::parse(text), json::value(o.SummaryJson())) << text;
    }
    return out;
  };
  ASSERT_EQ(summary->size(), 3u);
  EXPECT_EQ(texts(*summary), texts(*full));
  EXPECT_EQ(summary->at(1).SummaryJson().at("title"), "Umowa \"A\"\tB");
  EXPECT_EQ(summary->at(1).SummaryJson().at("resources").at(0), json::value(std::to_string(room_)));
  EXPECT_EQ(summary->at(1).activity->note, "");  // not in the entry
  EXPECT_EQ(full->at(1).activity->note, "tajne");
  EXPECT_EQ(summary->at(0).SummaryJson().at("seriesStart"), "2026-11-02T08:00:00.000Z");
  // Entries whose summary is JSON, as they were written before the binary one, read alike.
  std::map<ActivityId, json::object> by_id;
  for (const Occurrence& o : *full) by_id[o.activity->id] = o.SummaryJson();
  std::vector<std::pair<std::string, std::string>> entries;
  for (auto it = store_->ScanPrefix(storage::ColumnFamily::kCrm, "e"); it.Valid(); it.Next()) {
    entries.emplace_back(it.key(), it.value());
  }
  ASSERT_EQ(entries.size(), 3u);  // anna's two single activities, jan's task
  {
    storage::WriteBatch batch;
    for (const auto& [key, value] : entries) {
      const ActivityId id = *storage::KeyDecoder(key.substr(key.size() - 8)).U64();
      json::object o = by_id.at(id);
      json::object written{{"type", o["type"]},
                           {"status", o["status"]},
                           {"title", o["title"]},
                           {"employees", o["employees"]},
                           {"channel", o["channel"]},
                           {"allDay", o["allDay"]},
                           {"customer", std::stoull(o["customer"].is_null()
                                                        ? std::string("0")
                                                        : std::string(o["customer"].as_string()))}};
      json::array resources;
      for (const auto& r : o["resources"].as_array()) {
        resources.push_back(std::stoull(std::string(r.as_string())));
      }
      written["resources"] = std::move(resources);
      batch.Put(storage::ColumnFamily::kCrm, key, value.substr(0, 8) + json::serialize(written));
    }
    ASSERT_TRUE(store_->Write(batch));
  }
  auto json_entries = activities_->EmployeeCalendar("anna", from, to);
  ASSERT_TRUE(json_entries.has_value()) << json_entries.error().message();
  EXPECT_EQ(texts(*json_entries), texts(*full));
  // A damaged binary summary is reported, not read as something else.
  {
    storage::WriteBatch batch;
    batch.Put(storage::ColumnFamily::kCrm, entries[0].first,
              entries[0].second.substr(0, entries[0].second.size() - 1));
    ASSERT_TRUE(store_->Write(batch));
    auto damaged = activities_->EmployeeCalendar("anna", from, to);
    ASSERT_FALSE(damaged.has_value());
    EXPECT_EQ(damaged.error().code(), ErrorCode::kCorruption);
    EXPECT_THAT(damaged.error().message(), HasSubstr("is damaged"));
  }
  // Entries written before they carried a summary are read whole.
  storage::WriteBatch batch;
  for (const auto& [key, value] : entries) batch.Put(storage::ColumnFamily::kCrm, key, "");
  ASSERT_TRUE(store_->Write(batch));
  auto old = activities_->EmployeeCalendar("anna", from, to);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(texts(*old), texts(*full));
  auto room = activities_->ResourceCalendar(room_, from, to);
  ASSERT_TRUE(room.has_value());
  ASSERT_EQ(room->size(), 1u);
  EXPECT_EQ(room->at(0).SummaryJson().at("title"), "Umowa \"A\"\tB");
}

TEST_F(ActivitiesTest, ATeamsCalendarShowsAnActivityTheyShareOnce) {
  ASSERT_TRUE(activities_->Create(J(R"({"type": "meeting", "start": "2026-12-08T09:00:00Z",
      "end": "2026-12-08T10:00:00Z", "employees": ["anna", "jan"]})"),
                                  anna_));
  ASSERT_TRUE(activities_->Create(J(R"({"type": "call", "start": "2026-12-08T08:00:00Z",
      "end": "2026-12-08T08:10:00Z", "employees": ["jan"]})"),
                                  anna_));
  ASSERT_TRUE(activities_->Create(J(R"({"type": "meeting", "title": "Co tydzień",
      "start": "2026-11-02T08:00:00Z", "end": "2026-11-02T08:30:00Z", "employees": ["anna", "jan"],
      "rrule": "FREQ=WEEKLY;BYDAY=MO", "timeZone": "Europe/Warsaw"})"),
                                  anna_));
  ASSERT_TRUE(activities_->Create(J(R"({"type": "call", "start": "2026-12-08T11:00:00Z",
      "end": "2026-12-08T11:10:00Z", "employees": ["ewa"]})"),
                                  anna_));
  const Timestamp from = *ParseInstant("2026-12-07T00:00:00.000Z");
  const Timestamp to = *ParseInstant("2026-12-14T00:00:00.000Z");
  auto team = activities_->TeamCalendar({"anna", "jan"}, from, to);
  ASSERT_TRUE(team.has_value()) << team.error().message();
  EXPECT_THAT(Starts(*team), ElementsAre("2026-12-07T08:00:00.000Z", "2026-12-08T08:00:00.000Z",
                                         "2026-12-08T09:00:00.000Z"));
  EXPECT_FALSE(activities_->TeamCalendar({"anna"}, to, from));
  EXPECT_FALSE(activities_->TeamCalendar({"anna"}, from, from + std::chrono::days(400)));
  auto nobody = activities_->TeamCalendar({}, from, to);
  ASSERT_TRUE(nobody.has_value());
  EXPECT_TRUE(nobody->empty());
}

TEST_F(ActivitiesTest, ACalendarLooksBackAsFarAsTheLongestActivity) {
  auto found = [&](const char* from, const char* to) {
    auto of = activities_->EmployeeCalendar("anna", *ParseInstant(from), *ParseInstant(to));
    EXPECT_TRUE(of.has_value());
    return of.value_or(std::vector<Occurrence>{}).size();
  };
  ASSERT_TRUE(activities_->Create(J(R"({"type": "call", "start": "2026-12-01T09:00:00Z",
      "end": "2026-12-01T09:30:00Z"})"),
                                  anna_));
  EXPECT_EQ(found("2026-12-01T09:10:00.000Z", "2026-12-01T10:00:00.000Z"), 1u);
  // A trade fair of five days, then a range that begins on its fourth.
  ASSERT_TRUE(activities_->Create(J(R"({"type": "visit", "start": "2026-12-07T08:00:00Z",
      "end": "2026-12-11T16:00:00Z"})"),
                                  anna_));
  EXPECT_EQ(found("2026-12-10T00:00:00.000Z", "2026-12-11T00:00:00.000Z"), 1u);
  // Kept in the store: a store opened again looks back as far.
  activities_ = std::make_unique<ActivityStore>(*store_, *audit_, clock_, *customers_, *resources_);
  EXPECT_EQ(found("2026-12-10T00:00:00.000Z", "2026-12-11T00:00:00.000Z"), 1u);
  // A store that held activities before it kept the longest looks back kLongestActivity.
  storage::WriteBatch batch;
  batch.Delete(storage::ColumnFamily::kCrm, "longest:activity");
  ASSERT_TRUE(store_->Write(batch));
  activities_ = std::make_unique<ActivityStore>(*store_, *audit_, clock_, *customers_, *resources_);
  EXPECT_EQ(found("2026-12-10T00:00:00.000Z", "2026-12-11T00:00:00.000Z"), 1u);
}

TEST_F(ActivitiesTest, TheTimelineIsNewestFirstAndPages) {
  for (int day = 1; day <= 5; ++day) {
    ASSERT_TRUE(
        activities_->Create(J(R"({"type": "call", "customer": )" + std::to_string(customer_) +
                              R"(, "start": "2026-11-0)" + std::to_string(day) + R"(T10:00:00Z"})"),
                            anna_));
  }
  auto all = [](const Activity&) -> Result<bool> { return true; };
  auto first = activities_->Timeline(customer_, "", 2, all);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->activities.size(), 2u);
  EXPECT_EQ(FormatInstant(first->activities[0].start), "2026-11-05T10:00:00.000Z");
  EXPECT_EQ(FormatInstant(first->activities[1].start), "2026-11-04T10:00:00.000Z");
  auto second = activities_->Timeline(customer_, first->next, 10, all);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->activities.size(), 3u);
  EXPECT_EQ(FormatInstant(second->activities[0].start), "2026-11-03T10:00:00.000Z");
  EXPECT_TRUE(second->next.empty());
  EXPECT_FALSE(activities_->Timeline(customer_, "garbage", 10, all).has_value());
  // A chain: a follow-up points at what it follows, which must exist.
  auto follow =
      activities_->Create(J(R"({"type": "meeting", "start": "2026-12-10T10:00:00Z", "follows": ")" +
                            std::to_string(first->activities[0].id) + "\"}"),
                          anna_);
  ASSERT_TRUE(follow.has_value());
  EXPECT_EQ(follow->follows, first->activities[0].id);
}

TEST_F(ActivitiesTest, AllDayActivitiesCoverWholeDaysWithAnExclusiveEnd) {
  auto a = activities_->Create(J(R"({"type": "visit", "allDay": true,
      "start": "2026-12-14", "end": "2026-12-16"})"),
                               anna_);
  ASSERT_TRUE(a.has_value()) << a.error().message();
  EXPECT_EQ(FormatInstant(a->start), "2026-12-14T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(a->end), "2026-12-16T00:00:00.000Z");  // 14th and 15th
  auto one = activities_->Create(
      J(R"({"type": "visit", "allDay": true, "start": "2026-12-18T15:00:00Z"})"), anna_);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(FormatInstant(one->end), "2026-12-19T00:00:00.000Z");
}

TEST_F(ActivitiesTest, ActivitiesAndResourcesSurviveAReopen) {
  auto a = Meeting("2026-12-07T09:00:00Z", "2026-12-07T10:00:00Z");
  ASSERT_TRUE(a.has_value());
  activities_.reset();
  resources_.reset();
  customers_.reset();
  audit_.reset();
  store_.reset();
  SetUp();  // opens the same directory again (a second customer and room are added)
  auto read = activities_->Get(a->id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->resources, std::vector<ResourceId>{1});
  EXPECT_EQ(resources_->List()->size(), 2u);
  auto next = Meeting("2026-12-08T09:00:00Z", "2026-12-08T10:00:00Z");
  ASSERT_TRUE(next.has_value());
  EXPECT_GT(next->id, a->id);
}

TEST_F(ActivitiesTest, FreeSlotsLieWithinTheHoursAndAroundTheBookings) {
  auto room = resources_->Create(J(R"({"name": "Sala Odra", "capacity": 6,
      "availableDays": ["mon", "tue", "wed", "thu", "fri"], "availableFrom": "08:00",
      "availableTo": "18:00", "timeZone": "Europe/Warsaw"})"),
                                 anna_);
  ASSERT_TRUE(room.has_value());
  // Tuesday 8 December 2026, 10:00-11:00 in Warsaw (UTC+1).
  ASSERT_TRUE(activities_->Create(
      J(R"({"type": "meeting", "start": "2026-12-08T09:00:00Z", "end": "2026-12-08T10:00:00Z",
            "resources": [")" +
        std::to_string(room->id) + R"("]})"),
      anna_));
  auto slots =
      activities_->FreeSlots(*room, *ParseInstant("2026-12-07T23:00:00.000Z"),
                             *ParseInstant("2026-12-08T23:00:00.000Z"), std::chrono::hours(1));
  ASSERT_TRUE(slots.has_value()) << slots.error().message();
  ASSERT_EQ(slots->size(), 2u);
  EXPECT_EQ(FormatInstant(slots->at(0).start), "2026-12-08T07:00:00.000Z");
  EXPECT_EQ(FormatInstant(slots->at(0).end), "2026-12-08T09:00:00.000Z");
  EXPECT_EQ(FormatInstant(slots->at(1).start), "2026-12-08T10:00:00.000Z");
  EXPECT_EQ(FormatInstant(slots->at(1).end), "2026-12-08T17:00:00.000Z");
  // Three hours at once fit only after the meeting; Saturday not at all.
  EXPECT_EQ(activities_
                ->FreeSlots(*room, *ParseInstant("2026-12-07T23:00:00.000Z"),
                            *ParseInstant("2026-12-08T23:00:00.000Z"), std::chrono::hours(3))
                ->size(),
            1u);
  EXPECT_TRUE(activities_
                  ->FreeSlots(*room, *ParseInstant("2026-12-12T00:00:00.000Z"),
                              *ParseInstant("2026-12-13T00:00:00.000Z"), std::chrono::hours(1))
                  ->empty());
}

TEST_F(ActivitiesTest, AnEndlessSeriesBooksItsResourceYearsAhead) {
  // Every Monday 9-10 in Warsaw, with no end: checked two years ahead.
  auto series = Meeting("2026-12-07T08:00:00Z", "2026-12-07T09:00:00Z",
                        R"(, "rrule": "FREQ=WEEKLY;BYDAY=MO", "timeZone": "Europe/Warsaw")");
  ASSERT_TRUE(series.has_value()) << series.error().message();
  // A Monday a year and a half later, in summer time (9:00 Warsaw is 07:00 UTC).
  auto later = Meeting("2028-06-05T07:30:00Z", "2028-06-05T08:30:00Z");
  ASSERT_FALSE(later.has_value());
  EXPECT_THAT(later.error().message(), HasSubstr("by activity " + std::to_string(series->id)));
  EXPECT_TRUE(Meeting("2028-06-05T08:00:00Z", "2028-06-05T09:00:00Z").has_value());
}

}  // namespace
}  // namespace quire::crm
