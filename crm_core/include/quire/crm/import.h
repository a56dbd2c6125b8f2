// Imports of customers, contact persons and activities from the files other programs
// export: CSV (Google Contacts, Outlook, Thunderbird, Salesforce, HubSpot, Odoo, EspoCRM and
// spreadsheets, their columns recognised by their headers, or mapped by a file) and vCard.
//
// Every row is checked first; a bad row is reported with its line, row, column and what is
// wrong. Unless the caller asked to skip bad rows, one bad row means nothing is written. A
// dry run checks and counts and writes nothing. A record that carries an external id (or,
// for customers, a tax id; for contact persons, an e-mail address) already stored is
// updated, not duplicated.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "quire/audit/actor.h"
#include "quire/base/result.h"
#include "quire/crm/activities.h"
#include "quire/crm/contacts.h"
#include "quire/crm/customers.h"

namespace quire::crm {

struct ImportOptions {
  std::string kind = "customers";  // customers, contacts, activities
  std::string format = "csv";      // csv, vcard (contacts), ical (activities)
  std::string encoding = "auto";
  char delimiter = 0;  // 0: found from the header line
  // Header → field ("Nazwa firmy" → "name"); on top of the headers recognised by themselves.
  // A field "" leaves the column out.
  std::map<std::string, std::string> mapping;
  bool dry_run = false;
  bool skip_bad_rows = false;
  // Called for each record that passed the store's checks, with its fields and the id of the
  // record it updates (0: a new one); an error refuses the row with its message (the HTTP
  // API checks the caller's reach here).
  std::function<Result<void>(const boost::json::object& fields, std::uint64_t existing)> check;
};

struct ImportError {
  std::size_t line = 0;  // the file's line (where the row or card begins)
  std::size_t row = 0;   // the data row (1 = the first after the header) or card; 0: the file
  std::string column;    // the CSV column's header, or the vCard property; may be empty
  std::string message;
};

struct ImportReport {
  std::string kind, format, encoding;
  bool dry_run = false;
  std::size_t records = 0;  // rows or cards read
  std::size_t created = 0, updated = 0, refused = 0;
  std::size_t emails = 0, phones = 0;  // in the records accepted
  std::vector<ImportError> errors;
  std::vector<std::string> warnings;
  // Each header in the file's order and the field it fed ("" none).
  std::vector<std::pair<std::string, std::string>> columns;
  bool written = false;  // whether anything was stored

  boost::json::object ToJson() const;
};

// The fields a kind takes from a file, and the headers that name each of them.
std::vector<std::string> ImportFields(std::string_view kind);

// Reads a mapping file: JSON {"Header": "field", ...} or CSV lines "Header,field".
// Errors: kInvalidArgument naming the line, or a field the kind does not have.
Result<std::map<std::string, std::string>> ParseMapping(std::string_view text,
                                                        std::string_view kind);

class Importer {
 public:
  // `now`: for iCalendar events, what has ended is done and what has not is planned.
  Importer(
      CustomerStore& customers, ContactStore& contacts, ActivityStore& activities,
      std::function<Timestamp()> now = [] { return SystemClock::Instance().Now(); });

  // `progress(done, total)` is called as rows are written. Errors: a file that cannot be read
  // at all (its encoding, a truncated quote or card, no header) — kInvalidArgument with the
  // line; the report holds the rest.
  Result<ImportReport> Run(std::string_view bytes, const ImportOptions& options,
                           const audit::Actor& actor,
                           const std::function<void(std::size_t, std::size_t)>& progress = {});

 private:
  CustomerStore& customers_;
  ContactStore& contacts_;
  ActivityStore& activities_;
  std::function<Timestamp()> now_;
};

}  // namespace quire::crm
