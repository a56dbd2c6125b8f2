// Mail templates: a subject and a text per language, with {{placeholders}} filled from the
// record the message is about ({{customer.name}}, {{offer.number}}, {{task.name}}) and from
// the caller's data. A placeholder whose value is missing renders empty and is reported,
// so a sender can refuse to send a half-filled message. A template used only for SMS may
// leave the subject out (an e-mail from it is then refused: it needs one).
//
// Stored in the `outbox` column family: 't' String(name) → the template, JSON
//   {"description", "languages": {"pl": {"subject", "text"}, "en": {...}}}
// Every change is audited (mail.template.put / .deleted).
//
// Thread-safety: any thread; writes are serialised.
#pragma once

#include <boost/json/object.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/storage/store.h"

namespace quire::mail {

struct Rendered {
  std::string language;  // the one used
  std::string subject;
  std::string text;
  std::vector<std::string> missing;  // placeholders without a value
};

// Fills {{a.b.c}} in `text` from `context` (objects by name, arrays by index); numbers as
// JSON writes them, true/false, null and absent as "" (then listed in `missing`).
std::string Fill(std::string_view text, const boost::json::object& context,
                 std::vector<std::string>& missing);

class TemplateStore {
 public:
  TemplateStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock);

  // Creates or replaces. Errors: kValidationFailed naming the field (languages.pl.subject,
  // a placeholder not closed, ...).
  Result<boost::json::object> Put(std::string_view name, const boost::json::object& body,
                                  const audit::Actor& actor);
  Result<boost::json::object> Get(std::string_view name) const;  // Errors: kNotFound
  Result<std::vector<boost::json::object>> List() const;
  Result<void> Delete(std::string_view name, const audit::Actor& actor);
  // In `language`, else Polish, else English, else the first it has.
  Result<Rendered> Render(std::string_view name, std::string_view language,
                          const boost::json::object& context) const;

 private:
  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  std::mutex write_mu_;
};

}  // namespace quire::mail
