// What a store's Bulk (CustomerStore::Bulk, ContactStore::Bulk, ActivityStore::Bulk) has
// staged and not yet written: one batch with an audit entry per record, and the ids and
// external ids of the records in it. A write that depends on one of those commits the batch
// first, so that the store's checks, which read the store, see it.
//
// Thread-safety: none; a Bulk is used by one thread under its store's write lock.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/storage/store.h"

namespace quire::crm {

class StagedWrites {
 public:
  // REQUIRES: `audit` outlives this.
  explicit StagedWrites(audit::AuditLog& audit) : audit_(audit) {}

  storage::WriteBatch& batch() { return batch_; }
  // Records that the batch now holds record `id` (with `external_id`, "" for none), written
  // at `time`, and its audit entry.
  void Add(audit::EntryFields entry, Timestamp time, std::uint64_t id,
           const std::string& external_id);
  bool Holds(std::uint64_t id) const { return ids_.contains(id); }
  bool HoldsExternalId(std::string_view external_id) const {
    return external_ids_.contains(external_id);
  }
  // Whether `fields` set an external id a staged record holds.
  bool SetsExternalId(const boost::json::object& fields) const;
  std::size_t size() const { return entries_.size(); }

  // Writes what is staged as one atomic batch with its entries, waits until it is durable,
  // and starts empty again (also when the write failed).
  Result<void> Commit();

 private:
  audit::AuditLog& audit_;
  storage::WriteBatch batch_;
  std::vector<audit::EntryFields> entries_;
  std::set<std::uint64_t> ids_;
  std::set<std::string, std::less<>> external_ids_;
  Timestamp time_{};
};

}  // namespace quire::crm
