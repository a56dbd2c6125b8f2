// Merging two records of one customer, and undoing it: the records (crm::CustomerStore::
// Merge) and every link to the duplicate moved to the survivor — its activities, its contact
// persons, the documents linked to it, the open tasks linked to it (and through them the
// running instances the card shows). What was moved is kept with the merge, so an undo
// within kMergeUndoWindow moves exactly that back.
//
// A merge is written in steps (the records, then the links store by store, each step one
// audited batch). Should it be interrupted, its state stays "moving" and merging the same
// two customers again finishes it.
//
// Thread-safety: one merge or undo at a time (serialised here).
#pragma once

#include <mutex>

#include "quire/crm/activities.h"
#include "quire/crm/contacts.h"
#include "quire/crm/customers.h"
#include "quire/dms/documents.h"
#include "quire/workflow/engine.h"

namespace quire::services {

class CustomerMerger {
 public:
  CustomerMerger(crm::CustomerStore& customers, crm::ContactStore& contacts,
                 crm::ActivityStore& activities, dms::DocumentStore& documents,
                 workflow::Engine& engine);

  // Merges `duplicate` into `survivor` and moves its links. Errors: CustomerStore::Merge's.
  Result<crm::CustomerMerge> Merge(crm::CustomerId survivor, crm::CustomerId duplicate,
                                   const audit::Actor& actor);
  // Moves back what the merge moved and restores the records. Errors: kNotFound, kConflict
  // (undone already, too late, unfinished).
  Result<crm::CustomerMerge> Undo(crm::MergeId id, const audit::Actor& actor);

 private:
  // Moves `from`'s links to `to`: all, or (`only` not null) those it lists.
  Result<boost::json::object> MoveLinks(crm::CustomerId from, crm::CustomerId to,
                                        const boost::json::object* only, const audit::Actor& actor);

  crm::CustomerStore& customers_;
  crm::ContactStore& contacts_;
  crm::ActivityStore& activities_;
  dms::DocumentStore& documents_;
  workflow::Engine& engine_;
  std::mutex mu_;
};

}  // namespace quire::services
