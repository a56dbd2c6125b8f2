// Resources (rooms, cars, devices) and activities (calls, meetings, visits, ...): every
// contact with a customer, recorded by whoever made it, in the calendars of the employees
// and the resources it involves. A resource is never booked twice for one moment: an
// activity whose occurrence overlaps another's booking of the same resource is refused
// (kConflict naming that activity). Recurring activities (RRULE in a time zone) are
// expanded when a calendar is read; their bookings are checked occurrence by occurrence.
//
// Stored in the `crm` column family (ids are u64, instants i64 milliseconds):
//   'r' id                  → resource, JSON
//   'a' id                  → activity, JSON
//   't' customer ~start id  → ""  the customer's timeline, newest first
//   'e' user start id       → summary  an employee's single (not recurring) activities
//   'E' user id             → ""  an employee's recurring activities
//   'b' resource start id   → summary  a resource's single bookings
//   'B' resource id         → ""  a resource's recurring bookings
//   'y' external-id id      → ""  by the id another program gave it (re-imports)
//   "n:resource", "n:activity" → the next ids
//   "longest:activity"      → the longest single activity written (ms; see longest_ms_)
// A summary is what a calendar shows of the activity (JSON: type, status, title, end, allDay,
// customer, employees, resources, channel): a month of a team's calendar is one range scan
// per person, no activity read. Entries written before they carried it hold "" and are read
// whole. Cancelled activities stay on the timeline and leave the calendars and bookings.
//
// Thread-safety: any thread; writes are serialised (the booking check and the write are
// one step).
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/crm/customers.h"
#include "quire/crm/recurrence.h"
#include "quire/crm/staged_writes.h"
#include "quire/storage/store.h"

namespace quire::crm {

using ResourceId = std::uint64_t;
using ActivityId = std::uint64_t;

// The longest a single occurrence may last: calendars look this far back for activities
// that began before the range and still run in it.
inline constexpr std::chrono::milliseconds kLongestActivity = std::chrono::days(31);

struct Resource {
  ResourceId id = 0;
  std::string name;
  std::string kind = "room";  // room, car, device, other
  std::int64_t capacity = 1;  // people it holds (a room, a car); 1 for a device
  // When it can be booked, in its time zone: days (mon ... sun; empty: every day) and hours
  // ("08:00" to "18:00"; empty: the whole day).
  std::vector<std::string> available_days;
  std::string available_from, available_to;
  std::string time_zone = "Europe/Warsaw";
  bool active = true;
  std::string notes;
  std::string created_by;
  Timestamp created_at{};
  Timestamp modified_at{};

  boost::json::object ToJson() const;
};

struct Activity {
  ActivityId id = 0;
  std::string type = "call";       // call, meeting, email, visit, letter, presentation, task, ...
  std::string status = "planned";  // planned, done, cancelled
  std::string title;
  Timestamp start{};
  Timestamp end{};                     // == start for an instant (a call with no length)
  bool all_day = false;                // start and end are midnights UTC; end is exclusive
  Recurrence recurrence;               // empty: happens once
  CustomerId customer = 0;             // 0: none
  std::vector<std::string> employees;  // user ids
  std::vector<ResourceId> resources;
  ActivityId follows = 0;              // the activity this one follows in a chain
  std::vector<std::string> documents;  // DMS document ids
  std::string campaign;
  std::string channel;  // phone, e-mail, in person, video, ...
  std::string outcome;
  std::string note;
  std::string external_id;            // the id another program gave it (an iCalendar UID); unique
  boost::json::object custom_fields;  // the installation's custom fields (CrmSchema)
  std::string created_by;
  Timestamp created_at{};
  Timestamp modified_at{};

  std::chrono::milliseconds duration() const { return end - start; }
  bool recurring() const { return !recurrence.empty(); }
  boost::json::object ToJson() const;
};

// One occurrence of an activity in a calendar.
// One occurrence of an activity in a calendar. Calendars read by default the summary their
// index entries carry (Summary below), not the whole activity: `activity` then holds only
// those fields, and the rest (note, outcome, documents, ...) are empty.
struct Occurrence {
  std::shared_ptr<const Activity> activity;
  Timestamp start{};
  Timestamp end{};
  // The whole activity, with this occurrence's start and end (and the series' first start as
  // seriesStart). REQUIRES: read with CalendarDetail::kFull.
  boost::json::object ToJson() const;
  // What a calendar shows: id, type, status, title, start, end, allDay, customer, employees,
  // resources, channel; for a series also rrule, timeZone and seriesStart.
  boost::json::object SummaryJson() const;
  // SummaryJson's text, appended to `out` (no boost::json::value built).
  void AppendSummaryJson(std::string& out) const;
};

enum class CalendarDetail {
  kSummary,  // what the calendar entries carry: no activity is read (calendar views)
  kFull,     // every activity read whole (the iCalendar feed writes notes too)
};

class ResourceStore {
 public:
  ResourceStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock);

  // From the API's JSON (name, kind, capacity, availableDays, availableFrom, availableTo,
  // timeZone, active, notes). Errors: kValidationFailed, one detail per field.
  Result<Resource> Create(const boost::json::object& fields, const audit::Actor& actor);
  Result<Resource> Update(ResourceId id, const boost::json::object& patch,
                          const audit::Actor& actor);
  Result<Resource> Get(ResourceId id) const;   // Errors: kNotFound
  Result<std::vector<Resource>> List() const;  // every resource, by id

  // kConflict when [start, end) is outside the resource's hours, naming them.
  Result<void> CheckAvailable(const Resource& r, Timestamp start, Timestamp end) const;

 private:
  Result<Resource> Check(Resource r, const boost::json::object& fields) const;

  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  std::mutex write_mu_;
};

class ActivityStore {
 public:
  ActivityStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                const CustomerStore& customers, const ResourceStore& resources);
  const ResourceStore& resources() const { return resources_; }

  // From the API's JSON (type, status, title, start, end, allDay, rrule, exdates, timeZone,
  // customer, employees, resources, follows, documents, campaign, channel,
  // outcome, note). Employees default to the actor. Errors: kValidationFailed (fields),
  // kConflict (a resource is booked then, or outside its hours).
  Result<Activity> Create(const boost::json::object& fields, const audit::Actor& actor);
  // JSON Merge Patch; the result is checked as on create (bookings included).
  Result<Activity> Update(ActivityId id, const boost::json::object& patch,
                          const audit::Actor& actor);
  Result<Activity> Get(ActivityId id) const;  // Errors: kNotFound

  // Many creates and updates in one audited batch (imports), as CustomerStore::Bulk. An
  // activity that books a resource, or follows a staged one, commits what was staged first:
  // bookings are always checked against the store.
  class Bulk {
   public:
    explicit Bulk(ActivityStore& store);
    Result<Activity> Create(const boost::json::object& fields, const audit::Actor& actor);
    Result<Activity> Update(ActivityId id, const boost::json::object& patch,
                            const audit::Actor& actor);
    // Gives activity `id` to customer `to` (a merge and its undo), changing nothing else;
    // audited as activity.moved.
    Result<Activity> MoveToCustomer(ActivityId id, CustomerId to, const audit::Actor& actor);
    std::size_t staged() const { return staged_.size(); }
    Result<void> Commit();

   private:
    Result<Activity> Stage(const Activity* before, Activity after, const audit::Actor& actor,
                           std::string action, const boost::json::object& fields);

    ActivityStore& store_;
    std::unique_lock<std::mutex> lock_;
    StagedWrites staged_;
    bool bookings_ = false;   // a staged activity books a resource
    ActivityId next_id_ = 0;  // 0: not read yet
  };

  // The ids of customer `customer`'s activities, newest first.
  Result<std::vector<ActivityId>> IdsOfCustomer(CustomerId customer) const;
  // Moves customer `from`'s activities to `to` (a merge, and its undo): every one, or those of
  // `only` still with `from`. Written in audited batches of 1000; returns those moved.
  Result<std::vector<ActivityId>> MoveCustomer(CustomerId from, CustomerId to,
                                               const std::vector<ActivityId>& only,
                                               const audit::Actor& actor);

  // Checks `fields` as Create would, bookings included, storing nothing (an import's dry run);
  // with `before`, as a change of that record would.
  Result<Activity> Validate(const boost::json::object& fields, const audit::Actor& actor,
                            const Activity* before = nullptr) const;

  // A customer's activities, newest first, from after `cursor` (Timeline's `next`), those
  // `keep` accepts, at most `limit`.
  struct TimelinePage {
    std::vector<Activity> activities;
    std::string next;  // empty at the end
  };
  Result<TimelinePage> Timeline(CustomerId customer, const std::string& cursor, std::size_t limit,
                                const std::function<Result<bool>(const Activity&)>& keep,
                                std::size_t budget = 5000) const;

  // The occurrences of an employee's / a resource's activities overlapping [from, to), in
  // order of start. Errors: kInvalidArgument for a range longer than 366 days.
  Result<std::vector<Occurrence>> EmployeeCalendar(
      const std::string& user, Timestamp from, Timestamp to,
      CalendarDetail detail = CalendarDetail::kSummary) const;
  Result<std::vector<Occurrence>> ResourceCalendar(
      ResourceId resource, Timestamp from, Timestamp to,
      CalendarDetail detail = CalendarDetail::kSummary) const;
  // The occurrences of every one of `users`' activities, each once (an activity several of
  // them share appears once), in order of start. Errors: as EmployeeCalendar.
  Result<std::vector<Occurrence>> TeamCalendar(
      const std::vector<std::string>& users, Timestamp from, Timestamp to,
      CalendarDetail detail = CalendarDetail::kSummary) const;

  Result<std::optional<ActivityId>> FindByExternalId(std::string_view external_id) const;

  // Clears what people wrote about a customer in its activities (title, note, outcome):
  // the activities keep their type, time, status, employees and links. Audited as
  // activity.erased for the customer. Returns how many were cleared.
  Result<std::size_t> EraseCustomerText(CustomerId customer, const audit::Actor& actor);

  // The free windows of a resource within [from, to) at least `duration` long: inside its
  // hours, outside every booking. At most `max` windows, in order. Errors: as calendars.
  struct FreeSlot {
    Timestamp start{};
    Timestamp end{};
  };
  Result<std::vector<FreeSlot>> FreeSlots(const Resource& resource, Timestamp from, Timestamp to,
                                          std::chrono::milliseconds duration,
                                          std::size_t max = 20) const;

  static std::string Key(ActivityId id);
  static Result<Activity> FromStored(std::string_view text);

 private:
  // `before`: the record as stored, for a change (nullptr for a new one).
  Result<Activity> Check(Activity a, const boost::json::object& fields,
                         const Activity* before) const;
  Result<void> CheckBookings(const Activity& a) const;
  // `bounded`: refuse a range longer than a calendar's (the booking check looks further).
  std::chrono::milliseconds LookBack() const;
  static Result<void> CheckRange(Timestamp from, Timestamp to, bool bounded);
  static void SortOccurrences(std::vector<Occurrence>& occurrences);
  // Appends the occurrences of the entries under the two prefixes overlapping [from, to),
  // in no particular order.
  Result<void> Collect(const std::string& single_prefix, const std::string& series_prefix,
                       Timestamp from, Timestamp to, CalendarDetail detail,
                       std::vector<Occurrence>& out) const;
  Result<std::vector<Occurrence>> Calendar(const std::string& single_prefix,
                                           const std::string& series_prefix, Timestamp from,
                                           Timestamp to, bool bounded = true,
                                           CalendarDetail detail = CalendarDetail::kSummary) const;

  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const CustomerStore& customers_;
  const ResourceStore& resources_;
  std::mutex write_mu_;
  // The longest single activity ever written, in ms ("longest:activity"): a calendar looks
  // back this far for activities that began before its range, not kLongestActivity. -1 for
  // a store that held activities before it was kept (it stays at kLongestActivity). Only
  // grows; raised when an activity is staged, before it is written.
  std::atomic<std::int64_t> longest_ms_{-1};
  bool longest_stored_ = false;  // GUARDED_BY(write_mu_)
};

}  // namespace quire::crm
