#include "quire/crm/activities.h"

#include <boost/json/monotonic_resource.hpp>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <regex>
#include <set>

#include "quire/base/instant.h"
#include "quire/base/json_fields.h"
#include "quire/base/json_merge_patch.h"
#include "quire/base/json_text.h"
#include "quire/crm/segment_index.h"
#include "quire/definitions/iso8601.h"
#include "quire/storage/key_codec.h"
#include "record_fields.h"

namespace quire::crm {
namespace json = boost::json;

namespace {

using namespace internal;  // NOLINT: the module's field readers

constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;
const std::string kNextResourceKey = "n:resource";
const std::string kNextActivityKey = "n:activity";
const std::string kLongestKey = "longest:activity";
constexpr auto kDay = std::chrono::days(1);
// How far ahead a series without an end has its bookings checked.
constexpr auto kBookingHorizon = std::chrono::days(2 * 366);
constexpr std::size_t kMaxCheckedOccurrences = 1000;
constexpr auto kLongestCalendar = std::chrono::days(366);

const std::vector<std::string> kWeekdays{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// ---- resources ----

std::string ResourceKey(ResourceId id) { return storage::KeyEncoder().U8('r').U64(id).Take(); }
std::string ResourceObject(ResourceId id) { return "resource/" + std::to_string(id); }

json::object Editable(const Resource& r) {
  return {{"name", r.name},
          {"kind", r.kind},
          {"capacity", r.capacity},
          {"availableDays", json::array(r.available_days.begin(), r.available_days.end())},
          {"availableFrom", r.available_from},
          {"availableTo", r.available_to},
          {"timeZone", r.time_zone},
          {"active", r.active},
          {"notes", r.notes}};
}

json::object ToStored(const Resource& r) {
  json::object o = Editable(r);
  o["id"] = r.id;
  PutStoredStamps(o, r.created_by, r.created_at, r.modified_at);
  return o;
}

Result<Resource> ResourceFromStored(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(text, "resource"));
  Resource r;
  r.id = static_cast<ResourceId>(IntOf(o, "id"));
  r.name = StrOf(o, "name");
  r.kind = StrOf(o, "kind");
  r.capacity = IntOf(o, "capacity", 1);
  for (const json::value& d : ArrOf(o, "availableDays")) {
    if (d.is_string()) r.available_days.emplace_back(d.get_string());
  }
  r.available_from = StrOf(o, "availableFrom");
  r.available_to = StrOf(o, "availableTo");
  r.time_zone = StrOf(o, "timeZone");
  const json::value* active = o.if_contains("active");
  r.active = active == nullptr || !active->is_bool() || active->get_bool();
  r.notes = StrOf(o, "notes");
  ReadStoredStamps(o, r.created_by, r.created_at, r.modified_at);
  return r;
}

// "08:30" → 510; nullopt when it is not a time of day.
std::optional<int> MinuteOfDay(const std::string& s) {
  static const std::regex kTime(R"(^([01][0-9]|2[0-4]):([0-5][0-9])$)");
  std::smatch m;
  if (!std::regex_match(s, m, kTime)) return std::nullopt;
  const int minute = std::stoi(m[1]) * 60 + std::stoi(m[2]);
  if (minute > 24 * 60) return std::nullopt;
  return minute;
}

void ReadResource(const json::object& in, Resource& r, std::vector<ErrorDetail>& problems) {
  FieldReader f(in, problems);
  f.Known({"name", "kind", "capacity", "availableDays", "availableFrom", "availableTo", "timeZone",
           "active", "notes"},
          "a resource",
          "name, kind, capacity, availableDays, availableFrom, availableTo, timeZone, active, "
          "notes");
  f.Text("name", 200, r.name);
  if (r.name.empty()) f.Problem("name", "is required");
  f.Text("kind", 20, r.kind);
  if (r.kind.empty()) r.kind = "room";
  if (r.kind != "room" && r.kind != "car" && r.kind != "device" && r.kind != "other") {
    f.Problem("kind", "must be room, car, device or other, not '" + r.kind + "'");
  }
  if (const json::value* v = f.Get("capacity")) {
    if (v->is_null()) {
      r.capacity = 1;
    } else if (!v->is_int64() && !v->is_uint64()) {
      f.Problem("capacity", "must be a whole number of people (1 to 10000)");
    } else {
      r.capacity = v->to_number<std::int64_t>();
      if (r.capacity < 1 || r.capacity > 10'000) {
        f.Problem("capacity", "must be 1 to 10000, not " + std::to_string(r.capacity));
      }
    }
  }
  f.List("availableDays", 7, r.available_days,
         [&](const json::value& v, const std::string& at) -> std::optional<std::string> {
           std::string day;
           if (!f.Text(v, at, 10, day)) return std::nullopt;
           for (char& c : day) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
           if (std::find(kWeekdays.begin(), kWeekdays.end(), day) == kWeekdays.end()) {
             f.Problem(at, "'" + day + "' is not a day: write mon, tue, wed, thu, fri, sat or sun");
             return std::nullopt;
           }
           return day;
         });
  f.Text("availableFrom", 5, r.available_from);
  f.Text("availableTo", 5, r.available_to);
  const auto from = MinuteOfDay(r.available_from);
  const auto to = MinuteOfDay(r.available_to);
  if (!r.available_from.empty() && !from) {
    f.Problem("availableFrom", "'" + r.available_from + "' is not a time of day (08:00)");
  }
  if (!r.available_to.empty() && !to) {
    f.Problem("availableTo", "'" + r.available_to + "' is not a time of day (18:00)");
  }
  if (r.available_from.empty() != r.available_to.empty()) {
    f.Problem(r.available_from.empty() ? "availableFrom" : "availableTo",
              "availableFrom and availableTo are given together, or neither");
  } else if (from && to && *from >= *to) {
    f.Problem("availableTo", "must be later than availableFrom (" + r.available_from + ")");
  }
  f.Text("timeZone", 64, r.time_zone);
  if (r.time_zone.empty()) r.time_zone = "Europe/Warsaw";
  if (auto ok = CheckTimeZone(r.time_zone); !ok) f.Problem("timeZone", ok.error().message());
  if (const json::value* v = f.Get("active")) {
    if (v->is_bool()) {
      r.active = v->get_bool();
    } else if (!v->is_null()) {
      f.Problem("active", "must be true or false");
    }
  }
  f.Text("notes", 10'000, r.notes);
}

// ---- activities ----

std::string ActivityObject(ActivityId id) { return "activity/" + std::to_string(id); }

std::string TimelinePrefix(CustomerId customer) {
  return storage::KeyEncoder().U8('t').U64(customer).Take();
}
std::string TimelineKey(CustomerId customer, Timestamp start, ActivityId id) {
  return storage::KeyEncoder().U8('t').U64(customer).I64Desc(Ms(start)).U64(id).Take();
}
std::string EmployeePrefix(char kind, const std::string& user) {
  return storage::KeyEncoder().U8(static_cast<std::uint8_t>(kind)).String(user).Take();
}
std::string ResourcePrefix(char kind, ResourceId resource) {
  return storage::KeyEncoder().U8(static_cast<std::uint8_t>(kind)).U64(resource).Take();
}

// What a single activity's calendar and booking entries hold: its end (I64 ms, so that a
// calendar passes over what ended before its range without reading further), then what a
// calendar shows of it, in binary: kBinarySummary, then the texts type, status, title and
// channel (each a varint length and its bytes), a flags byte (1: all day), the customer
// (varint), the employees (varint count, texts) and the resources (varint count, varints).
// Entries written before it hold a JSON object instead ('{'); they are read as well.
constexpr char kBinarySummary = '\x01';

void PutVarint(std::uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void PutText(std::string_view text, std::string& out) {
  PutVarint(text.size(), out);
  out += text;
}

// Reads a summary's binary fields; nullopt at a truncated or malformed one.
class SummaryReader {
 public:
  explicit SummaryReader(std::string_view bytes) : rest_(bytes) {}
  std::optional<std::uint64_t> Varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64 && !rest_.empty(); shift += 7) {
      const auto byte = static_cast<unsigned char>(rest_.front());
      rest_.remove_prefix(1);
      v |= std::uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80u) == 0) return v;
    }
    return std::nullopt;
  }
  std::optional<std::string_view> Text() {
    const auto size = Varint();
    if (!size || *size > rest_.size()) return std::nullopt;
    const std::string_view text = rest_.substr(0, *size);
    rest_.remove_prefix(*size);
    return text;
  }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

std::string SummaryValue(const Activity& a) {
  std::string out = storage::KeyEncoder().I64(Ms(a.end)).Take();
  out += kBinarySummary;
  PutText(a.type, out);
  PutText(a.status, out);
  PutText(a.title, out);
  PutText(a.channel, out);
  out += static_cast<char>(a.all_day ? 1 : 0);
  PutVarint(a.customer, out);
  PutVarint(a.employees.size(), out);
  for (const std::string& user : a.employees) PutText(user, out);
  PutVarint(a.resources.size(), out);
  for (const ResourceId r : a.resources) PutVarint(r, out);
  return out;
}

// The end an entry's summary holds. REQUIRES: summary.size() > 8.
Result<Timestamp> SummaryEnd(std::string_view summary) {
  storage::KeyDecoder end(summary.substr(0, 8));
  QUIRE_ASSIGN_OR_RETURN(const std::int64_t ms, end.I64());
  return FromMs(ms);
}

// A summary written as JSON, before the binary one.
Result<void> FromJsonSummary(std::string_view text, Activity& a) {
  // Parsed in a buffer on the stack: a team's month is thousands of entries.
  unsigned char buffer[4096];
  json::monotonic_resource memory(buffer, sizeof buffer);
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec, &memory);
  if (ec || !v.is_object()) return Error::Corruption("a calendar entry is not a JSON object");
  const json::object& o = v.get_object();
  auto field = [&](const char* name) -> std::string {
    const json::value* f = o.if_contains(name);
    return f != nullptr && f->is_string() ? std::string(f->get_string()) : std::string();
  };
  a.type = field("type");
  a.status = field("status");
  a.title = field("title");
  a.channel = field("channel");
  const json::value* all_day = o.if_contains("allDay");
  a.all_day = all_day != nullptr && all_day->is_bool() && all_day->get_bool();
  if (const json::value* c = o.if_contains("customer"); c != nullptr && c->is_number()) {
    a.customer = c->to_number<CustomerId>();
  }
  if (const json::value* e = o.if_contains("employees"); e != nullptr && e->is_array()) {
    for (const json::value& user : e->get_array()) {
      if (user.is_string()) a.employees.emplace_back(user.get_string());
    }
  }
  if (const json::value* r = o.if_contains("resources"); r != nullptr && r->is_array()) {
    for (const json::value& resource : r->get_array()) {
      if (resource.is_number()) a.resources.push_back(resource.to_number<ResourceId>());
    }
  }
  return Ok();
}

// The activity `id` starting at `start` as its calendar entry's summary tells it; made
// where it is kept (a team's month is thousands of them).
Result<std::shared_ptr<const Activity>> FromSummary(ActivityId id, std::int64_t start,
                                                    std::string_view summary) {
  auto made = std::make_shared<Activity>();
  Activity& a = *made;
  a.id = id;
  a.start = FromMs(start);
  QUIRE_ASSIGN_OR_RETURN(a.end, SummaryEnd(summary));
  const std::string_view rest = summary.substr(8);
  if (!rest.starts_with(kBinarySummary)) {
    QUIRE_RETURN_IF_ERROR(FromJsonSummary(rest, a));
    return made;
  }
  const auto corrupt = [id] {
    return Error::Corruption("the calendar entry of activity " + std::to_string(id) +
                             " is damaged");
  };
  SummaryReader in(rest.substr(1));
  for (std::string* text : {&a.type, &a.status, &a.title, &a.channel}) {
    const auto t = in.Text();
    if (!t) return corrupt();
    text->assign(*t);
  }
  const auto flags = in.Varint();
  const auto customer = in.Varint();
  const auto employees = in.Varint();
  if (!flags || !customer || !employees) return corrupt();
  a.all_day = (*flags & 1) != 0;
  a.customer = *customer;
  a.employees.reserve(*employees);
  for (std::uint64_t i = 0; i < *employees; ++i) {
    const auto user = in.Text();
    if (!user) return corrupt();
    a.employees.emplace_back(*user);
  }
  const auto resources = in.Varint();
  if (!resources) return corrupt();
  for (std::uint64_t i = 0; i < *resources; ++i) {
    const auto r = in.Varint();
    if (!r) return corrupt();
    a.resources.push_back(*r);
  }
  if (!in.done()) return corrupt();
  return made;
}

// The index entries an activity has (key, value): its timeline entry always, its calendar
// and booking entries unless it is cancelled; a single activity's carry its summary.
std::vector<std::pair<std::string, std::string>> IndexEntries(const Activity& a) {
  std::vector<std::pair<std::string, std::string>> entries;
  if (a.customer != 0) entries.emplace_back(TimelineKey(a.customer, a.start, a.id), "");
  if (!a.external_id.empty()) {
    entries.emplace_back(storage::KeyEncoder().U8('y').String(a.external_id).U64(a.id).Take(), "");
  }
  if (a.status == "cancelled") return entries;
  const std::string summary = a.recurring() ? "" : SummaryValue(a);
  for (const std::string& user : a.employees) {
    storage::KeyEncoder k;
    k.U8(a.recurring() ? 'E' : 'e').String(user);
    if (!a.recurring()) k.I64(Ms(a.start));
    entries.emplace_back(k.U64(a.id).Take(), summary);
  }
  for (const ResourceId r : a.resources) {
    storage::KeyEncoder k;
    k.U8(a.recurring() ? 'B' : 'b').U64(r);
    if (!a.recurring()) k.I64(Ms(a.start));
    entries.emplace_back(k.U64(a.id).Take(), summary);
  }
  return entries;
}

json::array Ids(const std::vector<std::uint64_t>& ids) {
  json::array out;
  for (const std::uint64_t id : ids) out.emplace_back(std::to_string(id));
  return out;
}

// The editable fields, as the API answers them, added to `o`.
void AddEditable(const Activity& a, json::object& o) {
  json::array exdates;
  for (const Timestamp t : a.recurrence.exdates) exdates.emplace_back(FormatInstant(t));
  o.reserve(o.size() + 20);
  o.emplace("type", a.type);
  o.emplace("status", a.status);
  o.emplace("title", a.title);
  o.emplace("start", FormatInstant(a.start));
  o.emplace("end", FormatInstant(a.end));
  o.emplace("allDay", a.all_day);
  o.emplace("rrule", a.recurrence.rule);
  o.emplace("exdates", std::move(exdates));
  o.emplace("timeZone", a.recurrence.time_zone);
  o.emplace("customer", a.customer == 0 ? json::value() : json::value(std::to_string(a.customer)));
  o.emplace("employees", json::array(a.employees.begin(), a.employees.end()));
  o.emplace("resources", Ids(a.resources));
  o.emplace("follows", a.follows == 0 ? json::value() : json::value(std::to_string(a.follows)));
  o.emplace("documents", json::array(a.documents.begin(), a.documents.end()));
  o.emplace("campaign", a.campaign);
  o.emplace("channel", a.channel);
  o.emplace("outcome", a.outcome);
  o.emplace("note", a.note);
  o.emplace("externalId", a.external_id);
  o.emplace("customFields", a.custom_fields);
}

json::object Editable(const Activity& a) {
  json::object o;
  AddEditable(a, o);
  return o;
}

json::object ToStored(const Activity& a) {
  json::array exdates;
  for (const Timestamp t : a.recurrence.exdates) exdates.emplace_back(Ms(t));
  json::array resources;
  for (const ResourceId r : a.resources) resources.emplace_back(r);
  json::object o{{"id", a.id},
                 {"type", a.type},
                 {"status", a.status},
                 {"title", a.title},
                 {"start", Ms(a.start)},
                 {"end", Ms(a.end)},
                 {"allDay", a.all_day},
                 {"rrule", a.recurrence.rule},
                 {"exdates", std::move(exdates)},
                 {"timeZone", a.recurrence.time_zone},
                 {"customer", a.customer},
                 {"employees", json::array(a.employees.begin(), a.employees.end())},
                 {"resources", std::move(resources)},
                 {"follows", a.follows},
                 {"documents", json::array(a.documents.begin(), a.documents.end())},
                 {"campaign", a.campaign},
                 {"channel", a.channel},
                 {"outcome", a.outcome},
                 {"note", a.note},
                 {"externalId", a.external_id},
                 {"createdBy", a.created_by},
                 {"createdAt", Ms(a.created_at)},
                 {"modifiedAt", Ms(a.modified_at)}};
  if (!a.custom_fields.empty()) o["customFields"] = a.custom_fields;
  return o;
}

std::vector<std::string> Strings(const json::array& a) {
  std::vector<std::string> out;
  for (const json::value& v : a) {
    if (v.is_string()) out.emplace_back(v.get_string());
  }
  return out;
}

void ReadActivity(const json::object& in, Activity& a, std::vector<ErrorDetail>& problems) {
  static const std::regex kType(R"(^[a-z][a-z0-9_-]{0,39}$)");
  FieldReader f(in, problems);
  f.Known(
      {"type",     "status",   "title",    "start",     "end",        "allDay",      "rrule",
       "exdates",  "timeZone", "customer", "employees", "resources",  "follows",     "documents",
       "campaign", "channel",  "outcome",  "note",      "externalId", "customFields"},
      "an activity",
      "type, status, title, start, end, allDay, rrule, exdates, timeZone, customer, "
      "employees, resources, follows, documents, campaign, channel, outcome, note, "
      "externalId");
  f.Text("type", 40, a.type);
  if (a.type.empty()) {
    f.Problem("type",
              "is required: call, meeting, email, visit, letter, presentation, task, or "
              "a type of your own (lower case)");
  } else if (!std::regex_match(a.type, kType)) {
    f.Problem("type", "'" + a.type +
                          "' is not a type: call, meeting, email, visit, letter, presentation, "
                          "task, or a word of your own in lower case (a-z, 0-9, _ and -)");
  }
  f.Text("status", 20, a.status);
  if (a.status.empty()) a.status = "planned";
  if (a.status != "planned" && a.status != "done" && a.status != "cancelled") {
    f.Problem("status", "must be planned, done or cancelled, not '" + a.status + "'");
  }
  f.Text("title", 300, a.title);
  if (const json::value* v = f.Get("allDay")) {
    if (v->is_bool()) {
      a.all_day = v->get_bool();
    } else if (!v->is_null()) {
      f.Problem("allDay", "must be true or false");
    }
  }
  const json::value* start = f.Get("start");
  const json::value* end = f.Get("end");
  bool times_ok = true;
  if (start != nullptr) {
    if (auto t = f.Instant(*start, "start")) {
      a.start = *t;
    } else {
      times_ok = false;
    }
  } else if (a.start == Timestamp{}) {
    f.Problem("start", "is required: when it happens, e.g. 2026-12-07T09:00:00Z");
    times_ok = false;
  }
  if (end != nullptr && !end->is_null()) {
    if (auto t = f.Instant(*end, "end")) {
      a.end = *t;
    } else {
      times_ok = false;
    }
  } else if (end != nullptr || start != nullptr) {
    a.end = a.start;  // no end: an instant (a call), or one day when all day
  }
  if (times_ok) {
    if (a.all_day) {
      // Whole days (UTC dates); the end is exclusive, as in iCalendar: the midnight after
      // the last day. No end, or one within the first day: that day alone.
      const auto floor_day = [](Timestamp t) {
        return Timestamp(std::chrono::floor<std::chrono::days>(t).time_since_epoch());
      };
      a.start = floor_day(a.start);
      const Timestamp last = floor_day(a.end);
      a.end = std::max(last == a.end ? last : last + kDay, a.start + kDay);
    }
    if (a.end < a.start) {
      f.Problem("end", "is before the start (" + FormatInstant(a.start) + ")");
    } else if (a.end - a.start > kLongestActivity) {
      f.Problem("end",
                "is more than 31 days after the start: a longer engagement is a "
                "recurring activity (rrule) or several activities");
    }
  }
  f.Text("rrule", 500, a.recurrence.rule);
  if (!a.recurrence.rule.empty()) {
    if (auto ok = CheckRule(a.recurrence.rule); !ok) f.Problem("rrule", ok.error().message());
  }
  f.Text("timeZone", 64, a.recurrence.time_zone);
  if (a.recurrence.time_zone.empty()) a.recurrence.time_zone = "UTC";
  if (auto ok = CheckTimeZone(a.recurrence.time_zone); !ok) {
    f.Problem("timeZone", ok.error().message());
  }
  f.List("exdates", 500, a.recurrence.exdates,
         [&](const json::value& v, const std::string& at) { return f.Instant(v, at); });
  if (!a.recurrence.exdates.empty() && a.recurrence.rule.empty()) {
    f.Problem("exdates", "leave out occurrences of a recurring activity: give an rrule too");
  }
  f.OptionalId("customer", "a customer", a.customer);
  f.List("employees", 50, a.employees,
         [&](const json::value& v, const std::string& at) -> std::optional<std::string> {
           std::string user;
           if (!f.Text(v, at, 128, user)) return std::nullopt;
           if (user.empty()) {
             f.Problem(at, "is empty: give a user id");
             return std::nullopt;
           }
           return user;
         });
  f.List("resources", 20, a.resources,
         [&](const json::value& v, const std::string& at) { return f.Id(v, at, "a resource"); });
  f.OptionalId("follows", "an activity", a.follows);
  f.List("documents", 100, a.documents,
         [&](const json::value& v, const std::string& at) -> std::optional<std::string> {
           std::string doc;
           if (!f.Text(v, at, 64, doc) || doc.empty()) return std::nullopt;
           return doc;
         });
  f.Text("campaign", 100, a.campaign);
  f.Text("channel", 50, a.channel);
  f.Text("outcome", 200, a.outcome);
  f.Text("note", 10'000, a.note);
  f.Text("externalId", 100, a.external_id);
  if (!a.resources.empty() && a.end == a.start && times_ok) {
    f.Problem("end", "is needed when resources are booked: they are held from start to end");
  }
}

std::string Span(Timestamp start, Timestamp end) {
  return "from " + FormatInstant(start) + " to " + FormatInstant(end);
}

}  // namespace

// ---- ResourceStore ----

json::object Resource::ToJson() const {
  json::object o{{"id", std::to_string(id)}};
  for (auto& m : Editable(*this)) o[m.key()] = m.value();
  PutAnsweredStamps(o, created_by, created_at, modified_at);
  return o;
}

ResourceStore::ResourceStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock)
    : store_(store), audit_(audit), clock_(clock) {}

Result<Resource> ResourceStore::Check(Resource r, const json::object& fields) const {
  std::vector<ErrorDetail> problems;
  ReadResource(fields, r, problems);
  if (!problems.empty()) return Invalid("the resource", std::move(problems));
  return r;
}

Result<Resource> ResourceStore::Create(const json::object& fields, const audit::Actor& actor) {
  QUIRE_ASSIGN_OR_RETURN(Resource r, Check(Resource{}, fields));
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(r.id, NextId(store_, kNextResourceKey));
  r.created_by = actor.id;
  r.created_at = r.modified_at = clock_.Now();
  storage::WriteBatch batch;
  batch.Put(kCrm, ResourceKey(r.id), json::serialize(ToStored(r)));
  batch.Put(kCrm, kNextResourceKey, std::to_string(r.id + 1));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch),
      {{actor, "resource.created", ResourceObject(r.id), {{"fields", FieldNames(fields)}}}},
      r.created_at));
  return r;
}

Result<Resource> ResourceStore::Update(ResourceId id, const json::object& patch,
                                       const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Resource before, Get(id));
  Resource blank;
  blank.id = id;
  blank.created_by = before.created_by;
  blank.created_at = before.created_at;
  QUIRE_ASSIGN_OR_RETURN(Resource r, Check(std::move(blank), MergePatch(Editable(before), patch)));
  r.modified_at = clock_.Now();
  storage::WriteBatch batch;
  batch.Put(kCrm, ResourceKey(id), json::serialize(ToStored(r)));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch),
      {{actor, "resource.changed", ResourceObject(id), {{"fields", FieldNames(patch)}}}},
      r.modified_at));
  return r;
}

Result<Resource> ResourceStore::Get(ResourceId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, ResourceKey(id)));
  if (!text) return Error::NotFound("resource " + std::to_string(id) + " does not exist");
  return ResourceFromStored(*text);
}

Result<std::vector<Resource>> ResourceStore::List() const {
  return DecodeAll<Resource>(store_, 'r', ResourceFromStored);
}

Result<void> ResourceStore::CheckAvailable(const Resource& r, Timestamp start,
                                           Timestamp end) const {
  if (!r.active) {
    return Error::Conflict("resource " + std::to_string(r.id) + " '" + r.name +
                           "' is inactive and cannot be booked");
  }
  if (r.available_days.empty() && r.available_from.empty()) return Ok();
  const LocalTime first = ToLocal(start, r.time_zone);
  const LocalTime last =
      ToLocal(end > start ? end - std::chrono::milliseconds(1) : start, r.time_zone);
  std::string hours;
  if (!r.available_days.empty()) {
    for (const std::string& d : r.available_days) hours += (hours.empty() ? "" : ",") + d;
    hours = "on " + hours;
  }
  if (!r.available_from.empty()) {
    hours += std::string(hours.empty() ? "" : " ") + "from " + r.available_from + " to " +
             r.available_to;
  }
  auto refuse = [&] {
    return Error::Conflict("resource " + std::to_string(r.id) + " '" + r.name + "' can be booked " +
                           hours + " (" + r.time_zone + "); " + Span(start, end) +
                           " is outside those hours");
  };
  for (std::int64_t day = first.day; day <= last.day; ++day) {
    const int weekday = static_cast<int>(((day % 7) + 7 + 3) % 7);  // 1970-01-01: Thursday
    if (!r.available_days.empty() && std::find(r.available_days.begin(), r.available_days.end(),
                                               kWeekdays[weekday]) == r.available_days.end()) {
      return refuse();
    }
  }
  if (!r.available_from.empty()) {
    const int from = *MinuteOfDay(r.available_from);
    const int to = *MinuteOfDay(r.available_to);
    if (first.day != last.day || first.minute < from || last.minute + 1 > to) return refuse();
  }
  return Ok();
}

// ---- ActivityStore ----

json::object Activity::ToJson() const {
  json::object o(24);
  o.emplace("id", std::to_string(id));
  AddEditable(*this, o);
  PutAnsweredStamps(o, created_by, created_at, modified_at);
  return o;
}

json::object Occurrence::ToJson() const {
  json::object o = activity->ToJson();
  json::value series_start = o["start"];  // a copy: inserting may move the members
  o["seriesStart"] = std::move(series_start);
  o["start"] = FormatInstant(start);
  o["end"] = FormatInstant(end);
  return o;
}

json::object Occurrence::SummaryJson() const {
  const Activity& a = *activity;
  json::object o(16);
  o.emplace("id", std::to_string(a.id));
  o.emplace("type", a.type);
  o.emplace("status", a.status);
  o.emplace("title", a.title);
  o.emplace("start", FormatInstant(start));
  o.emplace("end", FormatInstant(end));
  o.emplace("allDay", a.all_day);
  o.emplace("customer", a.customer == 0 ? json::value() : json::value(std::to_string(a.customer)));
  o.emplace("employees", json::array(a.employees.begin(), a.employees.end()));
  o.emplace("resources", Ids(a.resources));
  o.emplace("channel", a.channel);
  if (a.recurring()) {
    o.emplace("rrule", a.recurrence.rule);
    o.emplace("timeZone", a.recurrence.time_zone);
    o.emplace("seriesStart", FormatInstant(a.start));
  }
  return o;
}

void Occurrence::AppendSummaryJson(std::string& out) const {
  const Activity& a = *activity;
  auto field = [&out](const char* name) {
    out += out.back() == '{' ? "\"" : ",\"";
    out += name;
    out += "\":";
  };
  auto text = [&](const char* name, std::string_view value) {
    field(name);
    AppendJsonString(value, out);
  };
  out += '{';
  text("id", std::to_string(a.id));
  text("type", a.type);
  text("status", a.status);
  text("title", a.title);
  text("start", FormatInstant(start));
  text("end", FormatInstant(end));
  field("allDay");
  out += a.all_day ? "true" : "false";
  field("customer");
  if (a.customer == 0) {
    out += "null";
  } else {
    AppendJsonString(std::to_string(a.customer), out);
  }
  field("employees");
  out += '[';
  for (std::size_t i = 0; i < a.employees.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(a.employees[i], out);
  }
  out += ']';
  field("resources");
  out += '[';
  for (std::size_t i = 0; i < a.resources.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(std::to_string(a.resources[i]), out);
  }
  out += ']';
  text("channel", a.channel);
  if (a.recurring()) {
    text("rrule", a.recurrence.rule);
    text("timeZone", a.recurrence.time_zone);
    text("seriesStart", FormatInstant(a.start));
  }
  out += '}';
}

ActivityStore::ActivityStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                             const CustomerStore& customers, const ResourceStore& resources)
    : store_(store), audit_(audit), clock_(clock), customers_(customers), resources_(resources) {
  // Kept from the first activity on: a store that already holds some without it keeps
  // looking kLongestActivity back (-1). Unreadable: the same, safe.
  auto stored = store_.Get(kCrm, kLongestKey);
  std::int64_t kept = -1;
  if (stored && *stored) {
    // Not a number (a damaged value): the safe look-back, kLongestActivity, from now on.
    const std::string& text = **stored;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), kept);
    longest_stored_ = ec == std::errc() && end == text.data() + text.size() && kept >= 0;
    longest_ms_ = longest_stored_ ? kept : -1;
  } else if (stored) {
    auto next = store_.Get(kCrm, kNextActivityKey);
    if (next && !*next) longest_ms_ = 0;
  }
}

std::chrono::milliseconds ActivityStore::LookBack() const {
  const std::int64_t longest = longest_ms_.load();
  return longest < 0 ? kLongestActivity : std::chrono::milliseconds(longest);
}

std::string ActivityStore::Key(ActivityId id) {
  return storage::KeyEncoder().U8('a').U64(id).Take();
}

Result<Activity> ActivityStore::FromStored(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(text, "activity"));
  Activity a;
  a.id = static_cast<ActivityId>(IntOf(o, "id"));
  a.type = StrOf(o, "type");
  a.status = StrOf(o, "status");
  a.title = StrOf(o, "title");
  a.start = FromMs(IntOf(o, "start"));
  a.end = FromMs(IntOf(o, "end"));
  const json::value* all_day = o.if_contains("allDay");
  a.all_day = all_day != nullptr && all_day->is_bool() && all_day->get_bool();
  a.recurrence.rule = StrOf(o, "rrule");
  for (const json::value& t : ArrOf(o, "exdates")) {
    if (t.is_int64() || t.is_uint64())
      a.recurrence.exdates.push_back(FromMs(t.to_number<std::int64_t>()));
  }
  a.recurrence.time_zone = StrOf(o, "timeZone");
  a.customer = static_cast<CustomerId>(IntOf(o, "customer"));
  a.employees = Strings(ArrOf(o, "employees"));
  for (const json::value& r : ArrOf(o, "resources")) {
    if (r.is_int64() || r.is_uint64()) a.resources.push_back(r.to_number<std::uint64_t>());
  }
  a.follows = static_cast<ActivityId>(IntOf(o, "follows"));
  a.documents = Strings(ArrOf(o, "documents"));
  a.campaign = StrOf(o, "campaign");
  a.channel = StrOf(o, "channel");
  a.outcome = StrOf(o, "outcome");
  a.note = StrOf(o, "note");
  a.external_id = StrOf(o, "externalId");
  if (const json::value* cf = o.if_contains("customFields"); cf != nullptr && cf->is_object()) {
    a.custom_fields = cf->get_object();
  }
  ReadStoredStamps(o, a.created_by, a.created_at, a.modified_at);
  return a;
}

Result<Activity> ActivityStore::Get(ActivityId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, Key(id)));
  if (!text) return Error::NotFound("activity " + std::to_string(id) + " does not exist");
  return FromStored(*text);
}

Result<Activity> ActivityStore::Check(Activity a, const json::object& fields,
                                      const Activity* before) const {
  std::vector<ErrorDetail> problems;
  ReadActivity(fields, a, problems);
  a.custom_fields = customers_.schema().CheckCustomFields(
      "activity", fields, before ? &before->custom_fields : nullptr, problems);
  // What the record refers to must exist.
  if (a.customer != 0) {
    auto c = customers_.Get(a.customer);
    if (!c && c.error().code() == ErrorCode::kNotFound) {
      problems.push_back(
          {"customer", "customer " + std::to_string(a.customer) + " does not exist"});
    } else if (!c) {
      return c.error();
    }
  }
  for (std::size_t i = 0; i < a.resources.size(); ++i) {
    auto r = resources_.Get(a.resources[i]);
    if (!r && r.error().code() == ErrorCode::kNotFound) {
      problems.push_back({"resources[" + std::to_string(i) + "]",
                          "resource " + std::to_string(a.resources[i]) + " does not exist"});
    } else if (!r) {
      return r.error();
    }
  }
  if (a.follows != 0) {
    if (a.follows == a.id) {
      problems.push_back({"follows", "an activity cannot follow itself"});
    } else if (auto prior = Get(a.follows);
               !prior && prior.error().code() == ErrorCode::kNotFound) {
      problems.push_back({"follows", "activity " + std::to_string(a.follows) + " does not exist"});
    } else if (!prior) {
      return prior.error();
    }
  }
  if (!a.external_id.empty()) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<ActivityId> holder, FindByExternalId(a.external_id));
    if (holder && *holder != a.id) {
      problems.push_back({"externalId", "'" + a.external_id + "' is activity " +
                                            std::to_string(*holder) +
                                            "'s already: change that one (a re-import does)"});
    }
  }
  if (!problems.empty()) return Invalid("the activity", std::move(problems));
  return a;
}

Result<std::vector<ActivityId>> ActivityStore::IdsOfCustomer(CustomerId customer) const {
  std::vector<ActivityId> ids;
  const std::string prefix = TimelinePrefix(customer);
  auto it = store_.ScanPrefix(kCrm, prefix);
  for (; it.Valid(); it.Next()) {
    storage::KeyDecoder key(it.key().substr(prefix.size()));
    QUIRE_RETURN_IF_ERROR(key.I64Desc());
    QUIRE_ASSIGN_OR_RETURN(const ActivityId id, key.U64());
    ids.push_back(id);
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return ids;
}

Result<std::vector<ActivityId>> ActivityStore::MoveCustomer(CustomerId from, CustomerId to,
                                                            const std::vector<ActivityId>& only,
                                                            const audit::Actor& actor) {
  std::vector<ActivityId> ids = only;
  if (ids.empty()) {
    QUIRE_ASSIGN_OR_RETURN(ids, IdsOfCustomer(from));
  }
  std::vector<ActivityId> moved;
  Bulk bulk(*this);
  for (const ActivityId id : ids) {
    auto a = Get(id);
    if (!a && a.error().code() == ErrorCode::kNotFound) continue;
    QUIRE_RETURN_IF_ERROR(a);
    if (a->customer != from) continue;  // moved or changed since
    QUIRE_RETURN_IF_ERROR(bulk.MoveToCustomer(id, to, actor));
    moved.push_back(id);
    if (bulk.staged() >= 1000) QUIRE_RETURN_IF_ERROR(bulk.Commit());
  }
  QUIRE_RETURN_IF_ERROR(bulk.Commit());
  return moved;
}

Result<std::size_t> ActivityStore::EraseCustomerText(CustomerId customer,
                                                     const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(std::vector<ActivityId> ids, IdsOfCustomer(customer));
  const Timestamp now = clock_.Now();
  for (std::size_t at = 0; at < ids.size(); at += 500) {
    storage::WriteBatch batch;
    json::array done;
    for (std::size_t i = at; i < ids.size() && i < at + 500; ++i) {
      QUIRE_ASSIGN_OR_RETURN(Activity a, Get(ids[i]));
      const Activity erased_from = a;
      // The calendar entries' summaries hold the title too: rewritten with the record.
      for (const auto& [k, v] : IndexEntries(a)) batch.Delete(kCrm, k);
      a.title.clear();
      a.note.clear();
      a.outcome.clear();
      a.custom_fields.clear();  // may say anything about the person
      a.modified_at = now;
      batch.Put(kCrm, Key(a.id), json::serialize(ToStored(a)));
      for (const auto& [k, v] : IndexEntries(a)) batch.Put(kCrm, k, v);
      IndexSegments(&erased_from, &a, batch);
      done.emplace_back("activity/" + std::to_string(a.id));
    }
    QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch),
                                        {{actor,
                                          "activity.erased",
                                          "customer/" + std::to_string(customer),
                                          {{"activities", std::move(done)}}}},
                                        now));
  }
  return ids.size();
}

Result<std::optional<ActivityId>> ActivityStore::FindByExternalId(
    std::string_view external_id) const {
  QUIRE_ASSIGN_OR_RETURN(
      std::vector<std::uint64_t> ids,
      IdsUnder(store_, storage::KeyEncoder().U8('y').String(external_id).Take(), 1));
  if (ids.empty()) return std::optional<ActivityId>();
  return std::optional<ActivityId>(ids.front());
}

Result<void> ActivityStore::CheckBookings(const Activity& a) const {
  if (a.resources.empty() || a.status == "cancelled") return Ok();
  const auto duration = a.duration();
  std::vector<Timestamp> starts;
  if (a.recurring()) {
    const std::optional<Timestamp> end = SeriesEnd(a.start, duration, a.recurrence);
    const Timestamp horizon =
        end ? std::min(*end, a.start + kBookingHorizon) : a.start + kBookingHorizon;
    starts = Occurrences(a.start, duration, a.recurrence, a.start, horizon, kMaxCheckedOccurrences);
  } else {
    starts.push_back(a.start);
  }
  if (starts.empty()) return Ok();
  const Timestamp lo = starts.front();
  const Timestamp hi = starts.back() + duration;

  for (const ResourceId rid : a.resources) {
    QUIRE_ASSIGN_OR_RETURN(Resource resource, resources_.Get(rid));
    for (const Timestamp s : starts) {
      QUIRE_RETURN_IF_ERROR(resources_.CheckAvailable(resource, s, s + duration));
    }
    // The resource's other bookings in [lo, hi), as occurrences sorted by start.
    QUIRE_ASSIGN_OR_RETURN(std::vector<Occurrence> booked,
                           Calendar(ResourcePrefix('b', rid), ResourcePrefix('B', rid), lo, hi,
                                    /*bounded=*/false));
    std::erase_if(booked,
                  [&](const Occurrence& o) { return o.activity->id == a.id || o.end == o.start; });
    for (const Timestamp s : starts) {
      const Timestamp e = s + duration;
      // Sorted by start, and none lasts longer than kLongestActivity: only those starting
      // in [s - kLongestActivity, e) can overlap [s, e).
      auto k = std::lower_bound(booked.begin(), booked.end(), s - kLongestActivity,
                                [](const Occurrence& o, Timestamp t) { return o.start < t; });
      for (; k != booked.end() && k->start < e; ++k) {
        if (k->end > s) {
          return Error::Conflict("resource " + std::to_string(rid) + " '" + resource.name +
                                 "' is booked " + Span(k->start, k->end) + " by activity " +
                                 std::to_string(k->activity->id) + "; the time asked, " +
                                 Span(s, e) +
                                 ", collides with it: choose another time or another resource");
        }
      }
    }
  }
  return Ok();
}

Result<void> ActivityStore::CheckRange(Timestamp from, Timestamp to, bool bounded) {
  if (to < from) return Error::InvalidArgument("the range ends before it begins");
  if (bounded && to - from > kLongestCalendar) {
    return Error::InvalidArgument("a calendar covers at most 366 days at a time");
  }
  return Ok();
}

void ActivityStore::SortOccurrences(std::vector<Occurrence>& occurrences) {
  std::sort(occurrences.begin(), occurrences.end(), [](const Occurrence& x, const Occurrence& y) {
    return std::tie(x.start, x.activity->id) < std::tie(y.start, y.activity->id);
  });
}

Result<std::vector<Occurrence>> ActivityStore::Calendar(const std::string& single_prefix,
                                                        const std::string& series_prefix,
                                                        Timestamp from, Timestamp to, bool bounded,
                                                        CalendarDetail detail) const {
  QUIRE_RETURN_IF_ERROR(CheckRange(from, to, bounded));
  std::vector<Occurrence> out;
  QUIRE_RETURN_IF_ERROR(Collect(single_prefix, series_prefix, from, to, detail, out));
  SortOccurrences(out);
  return out;
}

Result<void> ActivityStore::Collect(const std::string& single_prefix,
                                    const std::string& series_prefix, Timestamp from, Timestamp to,
                                    CalendarDetail detail, std::vector<Occurrence>& out) const {
  auto overlaps = [&](Timestamp s, Timestamp e) { return s < to && (e > from || s >= from); };
  auto add = [&](std::shared_ptr<const Activity> a) {
    if (!overlaps(a->start, a->end)) return;
    const Timestamp start = a->start, end = a->end;
    out.push_back({std::move(a), start, end});
  };
  {
    // The entries' summaries; the activities themselves, when asked for or when an entry
    // has none, read in one batched lookup.
    std::vector<std::string> keys;
    // Bounded on both sides: the iterator neither reads the block past the range nor
    // opens files that hold nothing in it.
    auto it =
        store_.Scan(kCrm, storage::KeyEncoder(single_prefix).I64(Ms(from - LookBack())).Take(),
                    storage::KeyEncoder(single_prefix).I64(Ms(to)).Take());
    for (; it.Valid(); it.Next()) {
      storage::KeyDecoder key(it.key().substr(single_prefix.size()));
      QUIRE_ASSIGN_OR_RETURN(const std::int64_t start, key.I64());
      QUIRE_ASSIGN_OR_RETURN(const ActivityId id, key.U64());
      const std::string_view summary = it.value();
      if (summary.size() > 8 && FromMs(start) < from) {
        QUIRE_ASSIGN_OR_RETURN(const Timestamp end, SummaryEnd(summary));
        if (!overlaps(FromMs(start), end)) continue;  // ended before the range
      }
      if (summary.size() <= 8 || detail == CalendarDetail::kFull) {
        keys.push_back(Key(id));
        continue;
      }
      QUIRE_ASSIGN_OR_RETURN(std::shared_ptr<const Activity> a, FromSummary(id, start, summary));
      add(std::move(a));
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    std::sort(keys.begin(), keys.end());
    QUIRE_ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> values,
                           store_.MultiGet(kCrm, keys, /*sorted=*/true));
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (!values[i]) return Error::Corruption("a calendar entry names an activity that is gone");
      QUIRE_ASSIGN_OR_RETURN(Activity a, FromStored(*values[i]));
      add(std::make_shared<const Activity>(std::move(a)));
    }
  }
  {
    auto it = store_.ScanPrefix(kCrm, series_prefix);
    for (; it.Valid(); it.Next()) {
      storage::KeyDecoder key(it.key().substr(series_prefix.size()));
      QUIRE_ASSIGN_OR_RETURN(const ActivityId id, key.U64());
      QUIRE_ASSIGN_OR_RETURN(Activity a, Get(id));
      if (a.start >= to) continue;
      auto shared = std::make_shared<const Activity>(std::move(a));
      const auto duration = shared->duration();
      for (const Timestamp s : Occurrences(shared->start, duration, shared->recurrence, from, to)) {
        out.push_back({shared, s, s + duration});
      }
    }
    QUIRE_RETURN_IF_ERROR(it.status());
  }
  return Ok();
}

Result<std::vector<Occurrence>> ActivityStore::EmployeeCalendar(const std::string& user,
                                                                Timestamp from, Timestamp to,
                                                                CalendarDetail detail) const {
  return Calendar(EmployeePrefix('e', user), EmployeePrefix('E', user), from, to, true, detail);
}

Result<std::vector<Occurrence>> ActivityStore::TeamCalendar(const std::vector<std::string>& users,
                                                            Timestamp from, Timestamp to,
                                                            CalendarDetail detail) const {
  QUIRE_RETURN_IF_ERROR(CheckRange(from, to, true));
  std::vector<Occurrence> out;
  for (const std::string& user : users) {
    QUIRE_RETURN_IF_ERROR(
        Collect(EmployeePrefix('e', user), EmployeePrefix('E', user), from, to, detail, out));
  }
  SortOccurrences(out);
  // An activity of several of them once: its entries sort side by side.
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Occurrence& x, const Occurrence& y) {
                          return x.start == y.start && x.activity->id == y.activity->id;
                        }),
            out.end());
  return out;
}

Result<std::vector<Occurrence>> ActivityStore::ResourceCalendar(ResourceId resource, Timestamp from,
                                                                Timestamp to,
                                                                CalendarDetail detail) const {
  return Calendar(ResourcePrefix('b', resource), ResourcePrefix('B', resource), from, to, true,
                  detail);
}

Result<std::vector<ActivityStore::FreeSlot>> ActivityStore::FreeSlots(
    const Resource& r, Timestamp from, Timestamp to, std::chrono::milliseconds duration,
    std::size_t max) const {
  std::vector<FreeSlot> out;
  if (!r.active || duration.count() <= 0) return out;
  // The windows it may be booked in.
  std::vector<FreeSlot> open;
  if (r.available_days.empty() && r.available_from.empty()) {
    open.push_back({from, to});
  } else {
    const int first_minute = r.available_from.empty() ? 0 : *MinuteOfDay(r.available_from);
    const int last_minute = r.available_to.empty() ? 24 * 60 : *MinuteOfDay(r.available_to);
    const std::int64_t first_day = ToLocal(from, r.time_zone).day;
    const std::int64_t last_day = ToLocal(to, r.time_zone).day;
    for (std::int64_t day = first_day; day <= last_day; ++day) {
      const int weekday = static_cast<int>(((day % 7) + 7 + 3) % 7);  // 1970-01-01: Thursday
      if (!r.available_days.empty() && std::find(r.available_days.begin(), r.available_days.end(),
                                                 kWeekdays[weekday]) == r.available_days.end()) {
        continue;
      }
      const Timestamp s = std::max(from, FromLocal(day, first_minute, r.time_zone));
      const Timestamp e = std::min(to, FromLocal(day, last_minute, r.time_zone));
      if (s < e) open.push_back({s, e});
    }
  }
  QUIRE_ASSIGN_OR_RETURN(std::vector<Occurrence> booked,
                         Calendar(ResourcePrefix('b', r.id), ResourcePrefix('B', r.id), from, to));
  for (const FreeSlot& window : open) {
    Timestamp cursor = window.start;
    for (const Occurrence& b : booked) {
      if (b.end <= cursor || b.start >= window.end) continue;
      if (b.start - cursor >= duration) out.push_back({cursor, b.start});
      cursor = std::max(cursor, b.end);
      if (out.size() >= max) return out;
    }
    if (window.end - cursor >= duration) out.push_back({cursor, window.end});
    if (out.size() >= max) return out;
  }
  return out;
}

Result<Activity> ActivityStore::Validate(const json::object& fields, const audit::Actor& actor,
                                         const Activity* before) const {
  Activity blank;
  blank.id = before != nullptr ? before->id : 0;
  if (!actor.id.empty()) blank.employees.push_back(actor.id);
  QUIRE_ASSIGN_OR_RETURN(Activity a, Check(std::move(blank), fields, before));
  if (a.employees.empty() && !actor.id.empty()) a.employees.push_back(actor.id);
  QUIRE_RETURN_IF_ERROR(CheckBookings(a));
  return a;
}

Result<Activity> ActivityStore::Create(const json::object& fields, const audit::Actor& actor) {
  Bulk bulk(*this);
  QUIRE_ASSIGN_OR_RETURN(Activity a, bulk.Create(fields, actor));
  QUIRE_RETURN_IF_ERROR(bulk.Commit());
  return a;
}

Result<Activity> ActivityStore::Update(ActivityId id, const json::object& patch,
                                       const audit::Actor& actor) {
  Bulk bulk(*this);
  QUIRE_ASSIGN_OR_RETURN(Activity a, bulk.Update(id, patch, actor));
  QUIRE_RETURN_IF_ERROR(bulk.Commit());
  return a;
}

ActivityStore::Bulk::Bulk(ActivityStore& store)
    : store_(store), lock_(store.write_mu_), staged_(store.audit_) {}

Result<void> ActivityStore::Bulk::Commit() {
  bookings_ = false;
  return staged_.Commit();
}

Result<Activity> ActivityStore::Bulk::Stage(const Activity* before, Activity after,
                                            const audit::Actor& actor, std::string action,
                                            const json::object& fields) {
  QUIRE_RETURN_IF_ERROR(store_.CheckBookings(after));
  // Calendars look back as far as the longest single activity: raised before it is written.
  if (const std::int64_t longest = store_.longest_ms_.load(); longest >= 0 && !after.recurring()) {
    const std::int64_t length = Ms(after.end) - Ms(after.start);
    if (length > longest || !store_.longest_stored_) {
      const std::int64_t raised = std::max(length, longest);
      store_.longest_ms_ = raised;
      staged_.batch().Put(kCrm, kLongestKey, std::to_string(raised));
      store_.longest_stored_ = true;
    }
  }
  if (before != nullptr) {
    for (const auto& [k, v] : IndexEntries(*before)) staged_.batch().Delete(kCrm, k);
  } else {
    staged_.batch().Put(kCrm, kNextActivityKey, std::to_string(after.id + 1));
  }
  staged_.batch().Put(kCrm, Key(after.id), json::serialize(ToStored(after)));
  for (const auto& [k, v] : IndexEntries(after)) staged_.batch().Put(kCrm, k, v);
  IndexSegments(before, &after, staged_.batch());
  json::object data{{"fields", FieldNames(fields)}};
  if (after.customer != 0) data["customer"] = "customer/" + std::to_string(after.customer);
  staged_.Add({actor, std::move(action), ActivityObject(after.id), std::move(data)},
              after.modified_at, after.id, after.external_id);
  if (!after.resources.empty()) bookings_ = true;
  return after;
}

Result<Activity> ActivityStore::Bulk::MoveToCustomer(ActivityId id, CustomerId to,
                                                     const audit::Actor& actor) {
  if (staged_.Holds(id)) QUIRE_RETURN_IF_ERROR(Commit());
  QUIRE_ASSIGN_OR_RETURN(Activity before, store_.Get(id));
  Activity a = before;
  a.customer = to;
  a.modified_at = store_.clock_.Now();
  return Stage(&before, std::move(a), actor, "activity.moved",
               json::object{{"customer", std::to_string(to)}});
}

Result<Activity> ActivityStore::Bulk::Create(const json::object& fields,
                                             const audit::Actor& actor) {
  // Checked under the lock against the store: an external id is unique, a booking is free,
  // what it follows exists.
  if (staged_.SetsExternalId(fields) || (bookings_ && fields.contains("resources")) ||
      (staged_.size() > 0 && fields.contains("follows"))) {
    QUIRE_RETURN_IF_ERROR(Commit());
  }
  Activity blank;
  if (!actor.id.empty()) blank.employees.push_back(actor.id);
  QUIRE_ASSIGN_OR_RETURN(Activity a, store_.Check(std::move(blank), fields, nullptr));
  if (a.employees.empty() && !actor.id.empty()) a.employees.push_back(actor.id);
  if (next_id_ == 0) {
    QUIRE_ASSIGN_OR_RETURN(next_id_, NextId(store_.store_, kNextActivityKey));
  }
  a.id = next_id_++;
  a.created_by = actor.id;
  a.created_at = a.modified_at = store_.clock_.Now();
  return Stage(nullptr, std::move(a), actor, "activity.created", fields);
}

Result<Activity> ActivityStore::Bulk::Update(ActivityId id, const json::object& patch,
                                             const audit::Actor& actor) {
  if (staged_.Holds(id) || bookings_ || staged_.SetsExternalId(patch) ||
      (staged_.size() > 0 && patch.contains("follows"))) {
    QUIRE_RETURN_IF_ERROR(Commit());
  }
  QUIRE_ASSIGN_OR_RETURN(Activity before, store_.Get(id));
  Activity blank;
  blank.id = id;
  blank.created_by = before.created_by;
  blank.created_at = before.created_at;
  QUIRE_ASSIGN_OR_RETURN(
      Activity a, store_.Check(std::move(blank), MergePatch(Editable(before), patch), &before));
  a.modified_at = store_.clock_.Now();
  return Stage(&before, std::move(a), actor, "activity.changed", patch);
}

Result<ActivityStore::TimelinePage> ActivityStore::Timeline(
    CustomerId customer, const std::string& cursor, std::size_t limit,
    const std::function<Result<bool>(const Activity&)>& keep, std::size_t budget) const {
  const std::string prefix = TimelinePrefix(customer);
  auto it = store_.ScanPrefix(kCrm, prefix);
  if (!cursor.empty()) {
    // "<start ms>.<id>" of the last activity of the previous page.
    const auto dot = cursor.find('.');
    std::int64_t start = 0;
    std::uint64_t id = 0;
    try {
      if (dot == std::string::npos) throw std::invalid_argument("no dot");
      start = std::stoll(cursor.substr(0, dot));
      id = std::stoull(cursor.substr(dot + 1));
    } catch (const std::exception&) {
      return Error::InvalidArgument("'" + cursor +
                                    "' is not a cursor of this timeline: pass the `next` of "
                                    "the previous page");
    }
    it.Seek(TimelineKey(customer, FromMs(start), id));
    if (it.Valid() && it.key() == TimelineKey(customer, FromMs(start), id)) it.Next();
  }
  TimelinePage page;
  std::size_t looked = 0;
  std::string last;
  for (; it.Valid(); it.Next()) {
    if (page.activities.size() == limit || looked == budget) {
      page.next = last;
      return page;
    }
    ++looked;
    storage::KeyDecoder key(it.key().substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(const std::int64_t start, key.I64Desc());
    QUIRE_ASSIGN_OR_RETURN(const ActivityId id, key.U64());
    last = std::to_string(start) + "." + std::to_string(id);
    QUIRE_ASSIGN_OR_RETURN(Activity a, Get(id));
    QUIRE_ASSIGN_OR_RETURN(bool kept, keep(a));
    if (kept) page.activities.push_back(std::move(a));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return page;
}

}  // namespace quire::crm
