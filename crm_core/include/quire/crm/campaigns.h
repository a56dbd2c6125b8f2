// Campaigns: a goal, a period, a budget, a target segment and actions (a mailing, calls, an
// event, visits). Launching one snapshots the segment's members (kept as they were, whatever
// the segment says later) and makes each action a planned activity of each member for its
// owner. Activities, offers and orders are attributed to a campaign by their `campaign`
// field: "12" (campaign 12) or "12/2" (its action 2); the activities a launch makes carry
// the action. Effectiveness is computed from what is attributed: contacts reached,
// responses, offers, orders, revenue, cost per order, per campaign and per action.
//
// Stored in the `crm` column family:
//   'V' 'c' id              → the campaign, JSON
//   'V' 'm' campaign member → ""  the members snapshotted at launch (and 'Q' 'c' 22 campaign
//                                 member, the segment index of "campaign = 12")
//   "n:campaign"            → the next id
// What is attributed is found through the segment index's 'Q' 'm' campaign entries
// (segment_index.h), written with the records.
//
// A launch is resumable: its members are written first (status "launching"), then the
// activities in batches, each with an external id naming campaign, action and member, so
// a launch cut off by a stop is finished by launching again, making nothing twice.
//
// Thread-safety: any thread; writes are serialised.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/crm/filter.h"
#include "quire/storage/store.h"

namespace quire::crm {

class ActivityStore;
class CustomerStore;
class SegmentEngine;
class SegmentStore;

using CampaignId = std::uint64_t;

struct CampaignAction {
  std::uint32_t id = 0;                             // 1, 2, ... within the campaign
  std::string kind = "call";                        // mailing, call, event, visit
  std::string name;                                 // the activities' title
  std::string owner;                                // who does it; empty: each member's owner
  std::optional<std::chrono::year_month_day> date;  // when; empty: the campaign's start
  friend bool operator==(const CampaignAction&, const CampaignAction&) = default;
};

struct Campaign {
  CampaignId id = 0;
  std::string name;
  std::string goal;
  std::optional<std::chrono::year_month_day> starts_on, ends_on;
  std::int64_t budget = 0;  // minor units of `currency`
  std::string currency = "PLN";
  std::uint64_t segment = 0;  // a saved segment (its filter is taken at launch)
  std::string filter;         // the filter the members were selected by (at launch)
  std::vector<CampaignAction> actions;
  std::string status = "planned";  // planned, launching, running, finished
  std::uint64_t members = 0;
  std::string owner;
  std::string launched_by;
  std::optional<Timestamp> launched_at;
  std::string created_by;
  Timestamp created_at{};
  Timestamp modified_at{};

  boost::json::object ToJson() const;
};

// What a campaign (or one of its actions) achieved.
struct Effectiveness {
  std::uint64_t members = 0;
  std::uint64_t activities = 0;       // attributed
  std::uint64_t done = 0;             // of them done
  std::uint64_t reached = 0;          // members with a done activity
  std::uint64_t responses = 0;        // members with a done activity with an outcome, or an offer
  std::uint64_t offers = 0;           // attributed
  std::uint64_t accepted_offers = 0;  // accepted (or ordered)
  std::uint64_t orders = 0;           // attributed, not cancelled
  std::int64_t revenue = 0;           // their gross, minor units of the campaign's currency
  std::int64_t revenue_other = 0;     // orders in other currencies (not converted): how many
  boost::json::object ToJson(const Campaign& c, std::int64_t budget) const;
};

class CampaignStore {
 public:
  CampaignStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                const CustomerStore& customers, ActivityStore& activities,
                const SegmentEngine& engine, const SegmentStore& segments);

  // From {name, goal, startsOn, endsOn, budget ("15000.00"), currency, segment (a saved
  // segment's id), actions [{kind, name, owner, date}]}. Errors: kValidationFailed, one
  // detail per field.
  Result<Campaign> Create(const boost::json::object& fields, const audit::Actor& actor);
  // JSON Merge Patch; the segment and the actions only while planned. Errors: kConflict.
  Result<Campaign> Update(CampaignId id, const boost::json::object& patch,
                          const audit::Actor& actor);
  Result<Campaign> Get(CampaignId id) const;  // Errors: kNotFound
  Result<std::vector<Campaign>> List() const;

  // Launches (or finishes launching) a planned campaign: the members are those its segment
  // selects now, within `scope` (what the launcher may see; nullptr: everyone). Audited as
  // campaign.launched with the number of members. Errors: kConflict (running or finished),
  // kValidationFailed (no segment).
  Result<Campaign> Launch(CampaignId id, const Filter* scope, const audit::Actor& actor);
  Result<Campaign> Finish(CampaignId id, const audit::Actor& actor);
  // The members, ascending, after `after`, at most `limit`.
  Result<std::vector<std::uint64_t>> Members(CampaignId id, std::uint64_t after,
                                             std::size_t limit) const;
  // For the campaign (key 0) and each action (its id).
  Result<std::map<std::uint32_t, Effectiveness>> Measure(CampaignId id) const;

  // Parses an attribution, "12" or "12/2": the campaign and the action (0: none).
  static std::optional<std::pair<CampaignId, std::uint32_t>> Attribution(std::string_view text);

 private:
  Result<Campaign> Check(Campaign c, const boost::json::object& fields) const;
  Result<void> Put(const Campaign& c, const char* action, const audit::Actor& actor,
                   boost::json::object details);

  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const CustomerStore& customers_;
  ActivityStore& activities_;
  const SegmentEngine& engine_;
  const SegmentStore& segments_;
  std::mutex write_mu_;
};

}  // namespace quire::crm
