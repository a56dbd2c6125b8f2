// Mailing groups: named lists of contact persons (for mailings and address labels).
//
// Stored in the `crm` column family: 'G' id → the group, JSON; "n:group" → the next id.
//
// Thread-safety: any thread; writes are serialised.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/crm/contacts.h"
#include "quire/storage/store.h"

namespace quire::crm {

using GroupId = std::uint64_t;

struct MailingGroup {
  GroupId id = 0;
  std::string name;
  std::string description;
  std::vector<ContactId> contacts;
  std::string created_by;
  Timestamp created_at{};
  Timestamp modified_at{};

  boost::json::object ToJson() const;
};

class MailingGroups {
 public:
  MailingGroups(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                const ContactStore& contacts);

  // From {name, description, contacts: [ids]}. Errors: kValidationFailed, one detail per
  // field (a contact person that does not exist).
  Result<MailingGroup> Create(const boost::json::object& fields, const audit::Actor& actor);
  // JSON Merge Patch (contacts: the whole list).
  Result<MailingGroup> Update(GroupId id, const boost::json::object& patch,
                              const audit::Actor& actor);
  Result<MailingGroup> Get(GroupId id) const;  // Errors: kNotFound
  Result<std::vector<MailingGroup>> List() const;

 private:
  Result<MailingGroup> Check(MailingGroup g, const boost::json::object& fields) const;

  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const ContactStore& contacts_;
  std::mutex write_mu_;
};

}  // namespace quire::crm
