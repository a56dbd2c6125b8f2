#include "quire/crm/mailing.h"

#include <boost/json/serialize.hpp>

#include "quire/base/instant.h"
#include "quire/base/json_fields.h"
#include "quire/base/json_merge_patch.h"
#include "quire/storage/key_codec.h"
#include "record_fields.h"

namespace quire::crm {
namespace json = boost::json;

namespace {

using namespace internal;  // NOLINT: the module's field readers

constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;
const std::string kNextGroupKey = "n:group";

std::string GroupKey(GroupId id) { return storage::KeyEncoder().U8('G').U64(id).Take(); }

json::object Editable(const MailingGroup& g) {
  json::array ids;
  for (const ContactId c : g.contacts) ids.emplace_back(std::to_string(c));
  return {{"name", g.name}, {"description", g.description}, {"contacts", std::move(ids)}};
}

json::object ToStored(const MailingGroup& g) {
  json::object o = Editable(g);
  o["id"] = g.id;
  PutStoredStamps(o, g.created_by, g.created_at, g.modified_at);
  return o;
}

Result<MailingGroup> FromStored(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(text, "mailing group"));
  MailingGroup g;
  g.id = static_cast<GroupId>(IntOf(o, "id"));
  g.name = StrOf(o, "name");
  g.description = StrOf(o, "description");
  for (const json::value& v : ArrOf(o, "contacts")) {
    if (v.is_string()) g.contacts.push_back(std::stoull(std::string(v.get_string())));
  }
  ReadStoredStamps(o, g.created_by, g.created_at, g.modified_at);
  return g;
}

}  // namespace

json::object MailingGroup::ToJson() const {
  json::object o{{"id", std::to_string(id)}};
  for (auto& m : Editable(*this)) o[m.key()] = m.value();
  PutAnsweredStamps(o, created_by, created_at, modified_at);
  return o;
}

MailingGroups::MailingGroups(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                             const ContactStore& contacts)
    : store_(store), audit_(audit), clock_(clock), contacts_(contacts) {}

Result<MailingGroup> MailingGroups::Check(MailingGroup g, const json::object& fields) const {
  std::vector<ErrorDetail> problems;
  FieldReader f(fields, problems);
  f.Known({"name", "description", "contacts"}, "a mailing group", "name, description, contacts");
  f.Text("name", 200, g.name);
  if (g.name.empty()) f.Problem("name", "is required");
  f.Text("description", 2000, g.description);
  f.List("contacts", 10'000, g.contacts,
         [&](const json::value& v, const std::string& at) { return f.Id(v, at, "a contact"); });
  for (std::size_t i = 0; i < g.contacts.size(); ++i) {
    auto c = contacts_.Get(g.contacts[i]);
    if (!c && c.error().code() == ErrorCode::kNotFound) {
      problems.push_back({"contacts[" + std::to_string(i) + "]",
                          "contact person " + std::to_string(g.contacts[i]) + " does not exist"});
    } else if (!c) {
      return c.error();
    }
  }
  if (!problems.empty()) return Invalid("the mailing group", std::move(problems));
  return g;
}

Result<MailingGroup> MailingGroups::Create(const json::object& fields, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(MailingGroup g, Check(MailingGroup{}, fields));
  QUIRE_ASSIGN_OR_RETURN(g.id, NextId(store_, kNextGroupKey));
  g.created_by = actor.id;
  g.created_at = g.modified_at = clock_.Now();
  storage::WriteBatch batch;
  batch.Put(kCrm, GroupKey(g.id), json::serialize(ToStored(g)));
  batch.Put(kCrm, kNextGroupKey, std::to_string(g.id + 1));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch),
                                      {{actor,
                                        "mailing-group.created",
                                        "mailing-group/" + std::to_string(g.id),
                                        {{"fields", FieldNames(fields)}}}},
                                      g.created_at));
  return g;
}

Result<MailingGroup> MailingGroups::Update(GroupId id, const json::object& patch,
                                           const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(MailingGroup before, Get(id));
  MailingGroup blank;
  blank.id = id;
  blank.created_by = before.created_by;
  blank.created_at = before.created_at;
  QUIRE_ASSIGN_OR_RETURN(MailingGroup g,
                         Check(std::move(blank), MergePatch(Editable(before), patch)));
  g.modified_at = clock_.Now();
  storage::WriteBatch batch;
  batch.Put(kCrm, GroupKey(id), json::serialize(ToStored(g)));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch),
                                      {{actor,
                                        "mailing-group.changed",
                                        "mailing-group/" + std::to_string(id),
                                        {{"fields", FieldNames(patch)}}}},
                                      g.modified_at));
  return g;
}

Result<MailingGroup> MailingGroups::Get(GroupId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, GroupKey(id)));
  if (!text) return Error::NotFound("mailing group " + std::to_string(id) + " does not exist");
  return FromStored(*text);
}

Result<std::vector<MailingGroup>> MailingGroups::List() const {
  return DecodeAll<MailingGroup>(store_, 'G', FromStored);
}

}  // namespace quire::crm
