#include "quire/crm/staged_writes.h"

#include "record_fields.h"

namespace quire::crm {

void StagedWrites::Add(audit::EntryFields entry, Timestamp time, std::uint64_t id,
                       const std::string& external_id) {
  entries_.push_back(std::move(entry));
  time_ = time;
  ids_.insert(id);
  if (!external_id.empty()) external_ids_.insert(external_id);
}

bool StagedWrites::SetsExternalId(const boost::json::object& fields) const {
  const boost::json::value* x = fields.if_contains("externalId");
  return x != nullptr && x->is_string() && external_ids_.contains(internal::Trim(x->get_string()));
}

Result<void> StagedWrites::Commit() {
  if (entries_.empty()) return Ok();
  storage::WriteBatch batch = std::move(batch_);
  std::vector<audit::EntryFields> entries = std::move(entries_);
  batch_ = storage::WriteBatch();
  entries_.clear();
  ids_.clear();
  external_ids_.clear();
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), time_));
  return Ok();
}

}  // namespace quire::crm
