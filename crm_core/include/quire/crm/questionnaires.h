// Questionnaires: a form (a Camunda Forms schema, drawn by form-js) sent to contact persons
// as a link that carries a signed, expiring token — the respondent signs in to nothing —
// and the answers stored on the contact person and their company, counted per campaign and
// per employee, exported as CSV.
//
// A link's token is "q<invitation>-<expiry, unix seconds>-<HMAC>" where the HMAC
// (libsodium crypto_auth, HMAC-SHA-512-256) covers the invitation and the expiry under a key
// kept in the store: a token changed in any character, or made up, is refused as unknown; a
// token past its expiry is refused as expired; an invitation answers once.
//
// Stored in the `crm` column family (every change audited: questionnaire.created,
// questionnaire.invited, questionnaire.answered — ids, never answers):
//   'I' 'k'                    → the HMAC key (32 random bytes)
//   'I' 'q' id                 → the questionnaire, JSON
//   'I' 'i' id                 → an invitation, JSON
//   'I' 'I' questionnaire id   → ""  a questionnaire's invitations
//   'I' 'r' id                 → a response, JSON
//   'I' 'R' questionnaire id   → ""  a questionnaire's responses
//   'I' 'c' contact id         → ""  a contact person's responses
//   'I' 'C' customer id        → ""  a customer's responses
//   "n:questionnaire", "n:invitation", "n:response" → the next ids
//
// Thread-safety: any thread; writes are serialised.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/crm/contacts.h"
#include "quire/definitions/model.h"
#include "quire/storage/store.h"

namespace quire::crm {

struct Questionnaire {
  std::uint64_t id = 0;
  std::string name;
  std::string description;
  std::string form;      // the Camunda Forms schema, as given
  std::string campaign;  // the campaign it belongs to (an id), or ""
  std::string created_by;
  Timestamp created_at{};
  boost::json::object ToJson() const;  // the form as a JSON object
};

struct Invitation {
  std::uint64_t id = 0;
  std::uint64_t questionnaire = 0;
  std::uint64_t contact = 0;
  std::uint64_t customer = 0;  // the contact's company it is about, or 0
  std::string campaign;
  std::string sent_by;  // the employee
  Timestamp created_at{};
  Timestamp expires_at{};
  std::uint64_t response = 0;  // 0: not answered
  boost::json::object ToJson() const;
};

struct QuestionnaireResponse {
  std::uint64_t id = 0;
  std::uint64_t questionnaire = 0;
  std::uint64_t invitation = 0;
  std::uint64_t contact = 0;
  std::uint64_t customer = 0;
  std::string campaign;
  std::string employee;  // who sent the invitation
  boost::json::object answers;
  Timestamp answered_at{};
  boost::json::object ToJson() const;
};

struct QuestionnaireStats {
  struct Count {
    std::uint64_t sent = 0, answered = 0;
  };
  Count total;
  std::map<std::string, Count> by_campaign;  // "" : without a campaign
  std::map<std::string, Count> by_employee;
  boost::json::object ToJson() const;
};

class QuestionnaireStore {
 public:
  QuestionnaireStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                     const ContactStore& contacts)
      : store_(store), audit_(audit), clock_(clock), contacts_(contacts) {}

  // {"name", "description", "form" (a Camunda Forms schema object), "campaign"}. Errors:
  // kValidationFailed (one detail per field; the form's own problems under "form").
  Result<Questionnaire> Create(const boost::json::object& fields, const audit::Actor& actor);
  Result<Questionnaire> Get(std::uint64_t id) const;  // Errors: kNotFound
  Result<std::vector<Questionnaire>> List() const;
  // The fields its form checks answers against.
  Result<std::vector<definitions::FormField>> FieldsOf(const Questionnaire& q) const;

  struct Issued {
    Invitation invitation;
    std::string token;
  };
  // An invitation for `contact` (the customer: `customer`, else the contact's first company)
  // valid `valid_for`, counted under `campaign` (empty: the questionnaire's). Errors:
  // kNotFound (questionnaire, contact), kValidationFailed.
  Result<Issued> Invite(std::uint64_t questionnaire, std::uint64_t contact, std::uint64_t customer,
                        std::chrono::hours valid_for, const audit::Actor& actor,
                        std::string campaign = {});
  // The contact persons invited to a questionnaire already (a bulk sending skips them).
  Result<std::set<std::uint64_t>> InvitedContacts(std::uint64_t questionnaire) const;
  // The invitation a token stands for. Errors: kNotFound (unknown or altered token),
  // kForbidden (expired: the message says when), kConflict (answered already).
  Result<Invitation> Open(std::string_view token) const;
  // Stores the answers (checked against the form). Errors: as Open; kValidationFailed with
  // one detail per field.
  Result<QuestionnaireResponse> Answer(std::string_view token, const boost::json::object& answers);

  // Newest first, at most `limit`, after the response id `after` (0: from the newest).
  Result<std::vector<QuestionnaireResponse>> Responses(std::uint64_t questionnaire,
                                                       std::size_t limit,
                                                       std::uint64_t after) const;
  Result<std::vector<QuestionnaireResponse>> ResponsesOfContact(std::uint64_t contact) const;
  Result<std::vector<QuestionnaireResponse>> ResponsesOfCustomer(std::uint64_t customer) const;
  // Counts over the invitations `keep` answers true for (what the reader reaches).
  Result<QuestionnaireStats> Stats(
      std::uint64_t questionnaire,
      const std::function<Result<bool>(const Invitation&)>& keep) const;
  // Erasure (privacy): the answers of a contact person's (or a customer's) responses are
  // removed; the responses stay as counted records with no content. Returns how many.
  Result<std::size_t> EraseAnswersOfContact(std::uint64_t contact, const audit::Actor& actor);
  Result<std::size_t> EraseAnswersOfCustomer(std::uint64_t customer, const audit::Actor& actor);

 private:
  Result<std::string> Key() const;
  Result<std::string> Sign(std::uint64_t invitation, std::int64_t expiry) const;
  Result<Invitation> GetInvitation(std::uint64_t id) const;
  Result<QuestionnaireResponse> GetResponse(std::uint64_t id) const;
  Result<std::vector<QuestionnaireResponse>> ResponsesUnder(const std::string& prefix,
                                                            std::size_t limit,
                                                            std::uint64_t after) const;
  Result<std::size_t> EraseUnder(const std::string& prefix, const std::string& object,
                                 const audit::Actor& actor);

  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const ContactStore& contacts_;
  std::mutex write_mu_;
  mutable std::mutex key_mu_;
  mutable std::string key_;  // GUARDED_BY(key_mu_)
};

}  // namespace quire::crm
