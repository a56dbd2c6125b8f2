// Segments: filters (filter.h) answered from the secondary indexes (segment_index.h), and
// saved segments.
//
// The planner (customers): a filter is a tree; each condition becomes a set of customer ids
// (a bitmap over the ids) or a check of one customer. For an AND, every condition's size is
// estimated first (its index range counted, up to a cap), the most selective is read from
// its index, and each other one is either read from its index and intersected, or checked
// customer by customer on the candidates left, whichever the estimates say is cheaper. OR
// unites, NOT subtracts from every customer. A condition on related records ("has activity
// (type = meeting and start >= today - 90d)") reads the related records' index over the
// partitions (type, status) and days the condition names, the rest of the condition checked
// on each index row; count and sum add up per customer. `explain` shows the plan taken, with
// each step's estimate, the rows it read and its time.
//
// Filters over activities, offers, orders or cases read their index over the partitions and
// days the filter names (all of them, when it names none) and check the filter on each row.
//
// Saved segments ('V' 's' id → JSON; 'V' 'S' lower-case name → id; "n:segment"): a name, the
// filter (kept as text and re-parsed when run, so relative days move with time), audited.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
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
class ClassStore;
class OfferStore;
class CaseStore;

struct SegmentAnswer {
  std::uint64_t count = 0;
  std::vector<std::uint64_t> ids;  // the page, ascending
  std::uint64_t next = 0;          // continue after this id; 0 at the end
  boost::json::object plan;        // {"steps": [{"step", "estimate", "rows", "ms"}], "ms"}
};

class SegmentEngine {
 public:
  SegmentEngine(storage::Store& store, const Clock& clock, const ActivityStore& activities,
                const OfferStore& offers, const CaseStore& cases);

  // The records `filter` selects, and `scope` too when given (what the caller may see;
  // over the same entity), counted, with the page of at most `limit` ids after `after`.
  Result<SegmentAnswer> Run(const Filter& filter, const Filter* scope, std::uint64_t after,
                            std::size_t limit) const;
  // Every id `filter` (and `scope`) selects, ascending (exports, campaigns, processes).
  Result<std::vector<std::uint64_t>> All(const Filter& filter, const Filter* scope) const;

  // Builds the indexes from the records when the store's are older than this Quire's (or
  // absent): run at open, before anything is served. Returns how many records were indexed
  // (0: they were current).
  Result<std::size_t> BuildIfNeeded();

  // Where "class = ..." finds its rules (classes.h); without it a class selects nobody.
  // REQUIRES: outlives the engine; set before the engine is used.
  void UseClasses(const ClassStore* classes) { classes_ = classes; }

 private:
  // `filter` with every "class" comparison replaced by its class's rule.
  Result<Filter> WithClassRules(const Filter& filter) const;

  storage::Store& store_;
  const Clock& clock_;
  const ActivityStore& activities_;
  const OfferStore& offers_;
  const ClassStore* classes_ = nullptr;
  const CaseStore& cases_;
};

using SegmentId = std::uint64_t;

struct SavedSegment {
  SegmentId id = 0;
  std::string name;
  std::string description;
  Entity target = Entity::kCustomer;
  std::string text;  // the filter's text form
  std::string owner;
  std::string created_by;
  Timestamp created_at{};
  Timestamp modified_at{};
  boost::json::object ToJson() const;  // with "filter" (the JSON form) too
};

class SegmentStore {
 public:
  SegmentStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock);

  // From {name, description, target ("customers"), text | filter}. Errors: kValidationFailed
  // (the filter's error, located; a name taken).
  Result<SavedSegment> Create(const boost::json::object& fields, const audit::Actor& actor);
  Result<SavedSegment> Update(SegmentId id, const boost::json::object& patch,
                              const audit::Actor& actor);
  Result<void> Delete(SegmentId id, const audit::Actor& actor);
  Result<SavedSegment> Get(SegmentId id) const;  // Errors: kNotFound
  // By id (digits) or by name.
  Result<SavedSegment> Find(std::string_view id_or_name) const;
  Result<std::vector<SavedSegment>> List() const;
  // The filter of a saved segment, parsed now.
  static Result<Filter> FilterOf(const SavedSegment& s);

 private:
  Result<SavedSegment> Check(SavedSegment s, const boost::json::object& fields) const;

  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  std::mutex write_mu_;
};

// The filter of a request body: {"text": "..."} or {"filter": {...}}, with "of" (customers,
// activities, offers, orders, cases; customers when absent). Errors: kValidationFailed.
Result<Filter> FilterFromRequest(const boost::json::object& body);

}  // namespace quire::crm
