#include "quire/crm/import.h"

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_set>

#include "quire/base/instant.h"
#include "quire/base/json_merge_patch.h"
#include "quire/crm/csv.h"
#include "quire/crm/ical.h"
#include "quire/crm/names.h"
#include "quire/crm/vcard.h"
#include "quire/definitions/iso8601.h"

namespace quire::crm {
namespace json = boost::json;

namespace {

// A header as compared: lower case, without spaces, punctuation and Polish diacritics
// ("E-mail Address" → "emailaddress", "Imię" → "imie").
std::string HeaderKey(std::string_view header) {
  std::string folded = NameKey(header);
  static const std::vector<std::pair<std::string_view, char>> kPolish = {
      {"ą", 'a'}, {"ć", 'c'}, {"ę", 'e'}, {"ł", 'l'}, {"ń", 'n'},
      {"ó", 'o'}, {"ś", 's'}, {"ź", 'z'}, {"ż", 'z'}};
  for (const auto& [from, to] : kPolish) {
    for (auto at = folded.find(from); at != std::string::npos; at = folded.find(from, at)) {
      folded.replace(at, from.size(), 1, to);
    }
  }
  std::string out;
  for (const char c : folded) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
  }
  return out;
}

// The fields each kind takes, with the headers common exports give them (Google Contacts,
// Outlook, Thunderbird, Salesforce, HubSpot, Odoo, EspoCRM) and Polish spreadsheets'. Headers
// are compared by HeaderKey. Multi-valued fields (emails, phones) are also recognised by
// what their header contains (see FieldFor).
struct FieldNames {
  std::string_view field;
  std::vector<std::string_view> headers;
};

const std::vector<FieldNames>& Known(std::string_view kind) {
  static const std::vector<FieldNames> kCustomers = {
      {"name",
       {"name", "companyname", "company", "accountname", "account", "organization", "organisation",
        "organization1name", "organizationname", "nazwa", "nazwafirmy", "firma", "klient",
        "kontrahent", "displayname", "fullname", "nazwaklienta"}},
      {"kind", {"kind", "type", "companytype", "isacompany", "rodzaj", "typ"}},
      {"taxId",
       {"taxid", "nip", "vat", "vatid", "vatnumber", "vatno", "taxnumber", "regon", "pesel",
        "numernip", "nipue", "tin"}},
      {"street",
       {"street", "address", "billingstreet", "businessstreet", "street1", "address1street",
        "addressstreet", "ulica", "adres", "mailingstreet", "billingaddressstreet",
        "primaryaddressstreet"}},
      {"postalCode",
       {"postalcode", "zip", "zipcode", "postcode", "billingzippostalcode", "billingpostalcode",
        "businesspostalcode", "address1postalcode", "kodpocztowy", "kod", "mailingzippostalcode",
        "billingaddresspostalcode"}},
      {"city",
       {"city", "town", "billingcity", "businesscity", "address1city", "miasto", "miejscowosc",
        "mailingcity", "billingaddresscity"}},
      {"country",
       {"country", "countrycode", "billingcountry", "businesscountryregion", "businesscountry",
        "address1country", "kraj", "mailingcountry", "billingaddresscountry"}},
      {"owner", {"owner", "accountowner", "salesperson", "assigneduser", "opiekun", "handlowiec"}},
      {"tags", {"tags", "labels", "categories", "groupmembership", "tagi", "etykiety"}},
      {"notes", {"notes", "note", "description", "comments", "uwagi", "opis", "notatki"}},
      {"externalId",
       {"externalid", "id", "accountid", "recordid", "companyid", "customerid", "idklienta",
        "identyfikator"}},
      {"industry", {"industry", "branza", "sektor", "industrycode"}},
      {"category", {"category", "customercategory", "kategoria", "kategoriaklienta", "rating"}},
      {"customerType", {"customertype", "accounttype", "typklienta", "relationship"}},
      {"source",
       {"source", "leadsource", "accountsource", "zrodlo", "zrodlopozyskania", "pozyskanyz"}},
      {"deliveryTerms", {"deliveryterms", "incoterms", "warunkidostawy"}},
      {"paymentTermsDays",
       {"paymentterms", "paymenttermsdays", "terminplatnosci", "terminplatnoscidni"}},
      {"satisfaction", {"satisfaction", "zadowolenie", "poziomzadowolenia"}},
      {"currency", {"currency", "currencyisocode", "waluta"}},
      {"creditLimit", {"creditlimit", "limitkredytowy", "limitkupiecki", "limit"}},
      {"team", {"team", "zespol", "salesteam"}},
      {"bankAccounts",
       {"bankaccount", "bankaccounts", "iban", "rachunek", "rachunekbankowy", "numerrachunku",
        "kontobankowe"}},
  };
  static const std::vector<FieldNames> kContacts = {
      {"firstName", {"firstname", "givenname", "imie", "first"}},
      {"lastName", {"lastname", "familyname", "surname", "nazwisko", "last"}},
      {"name", {"name", "fullname", "displayname", "contactname", "imieinazwisko"}},
      {"title",
       {"title", "jobtitle", "organization1title", "position", "role", "stanowisko", "funkcja"}},
      {"company",
       {"company", "companyname", "organization1name", "organization", "organisation",
        "accountname", "account", "firma", "nazwafirmy", "klient"}},
      {"owner", {"owner", "contactowner", "assigneduser", "opiekun"}},
      {"notes", {"notes", "note", "description", "comments", "uwagi", "opis"}},
      {"externalId", {"externalid", "id", "contactid", "recordid", "uid", "identyfikator"}},
  };
  static const std::vector<FieldNames> kActivities = {
      {"type", {"type", "activitytype", "kind", "typ", "rodzaj"}},
      {"status", {"status", "state"}},
      {"title", {"title", "subject", "summary", "name", "temat", "tytul"}},
      {"start", {"start", "startdatetime", "startsat", "begin", "poczatek", "od"}},
      {"startDate", {"startdate", "date", "data", "datarozpoczecia"}},
      {"startTime", {"starttime", "time", "godzina", "godzinarozpoczecia"}},
      {"end", {"end", "enddatetime", "endsat", "finish", "koniec", "do"}},
      {"endDate", {"enddate", "datazakonczenia"}},
      {"endTime", {"endtime", "godzinazakonczenia"}},
      {"allDay", {"allday", "alldayevent", "caloddniowe"}},
      {"customer", {"customer", "customerid", "account", "company", "klient", "firma"}},
      {"employees", {"employees", "employee", "owner", "assignedto", "assigneduser", "pracownik"}},
      {"resources", {"resources", "resource", "room", "location", "zasoby", "zasob", "sala"}},
      {"channel", {"channel", "kanal"}},
      {"outcome", {"outcome", "result", "wynik"}},
      {"note", {"note", "notes", "description", "comments", "uwagi", "opis", "notatka"}},
  };
  static const std::vector<FieldNames> kNone;
  if (kind == "customers") return kCustomers;
  if (kind == "contacts") return kContacts;
  if (kind == "activities") return kActivities;
  return kNone;
}

bool TakesEmailsAndPhones(std::string_view kind) { return kind != "activities"; }

// The label a header gives an e-mail or phone ("Mobile Phone" → mobile).
std::string LabelOf(const std::string& key) {
  if (key.find("mobile") != std::string::npos || key.find("cell") != std::string::npos ||
      key.find("kom") == 0 || key.find("komork") != std::string::npos) {
    return "mobile";
  }
  if (key.find("home") != std::string::npos || key.find("dom") != std::string::npos) {
    return "home";
  }
  if (key.find("fax") != std::string::npos) return "fax";
  if (key.find("business") != std::string::npos || key.find("work") != std::string::npos ||
      key.find("office") != std::string::npos || key.find("sluzb") != std::string::npos) {
    return "work";
  }
  return "";
}

// The field a header feeds: the mapping's word first, then the names above, then e-mail and
// phone columns by what their header holds. "" when none.
std::string FieldFor(std::string_view kind, const std::string& header,
                     const std::map<std::string, std::string>& mapping) {
  if (auto it = mapping.find(header); it != mapping.end()) return it->second;
  const std::string key = HeaderKey(header);
  for (const auto& [h, f] : mapping) {
    if (HeaderKey(h) == key) return f;
  }
  for (const FieldNames& f : Known(kind)) {
    if (std::find(f.headers.begin(), f.headers.end(), key) != f.headers.end()) {
      return std::string(f.field);
    }
  }
  if (TakesEmailsAndPhones(kind)) {
    // Google's "E-mail 1 - Type" and Outlook's "E-mail Type" label a neighbour; not values.
    if (key.find("type") != std::string::npos || key.find("label") != std::string::npos ||
        key.find("displayname") != std::string::npos) {
      return "";
    }
    if (key.find("email") != std::string::npos || key.find("mail") != std::string::npos) {
      return "emails";
    }
    if (key.find("phone") != std::string::npos || key.find("telefon") != std::string::npos ||
        key.find("mobile") != std::string::npos || key == "tel" ||
        key.find("fax") != std::string::npos || key.find("komork") != std::string::npos) {
      return "phones";
    }
  }
  return "";
}

struct Cell {
  std::string column;  // header or vCard property
  std::string field;
  std::string value;
  std::string label;  // emails, phones
};

struct Record {
  std::size_t line = 0;
  std::size_t row = 0;
  std::vector<Cell> cells;
  std::optional<json::object> fields;  // read whole (an iCalendar VEVENT)
};

// One record's fields as the store's JSON, and which column each field path came from.
struct Built {
  json::object fields;
  std::map<std::string, std::string> column_of;  // "emails[1]" → "E-mail 2 Address"
  std::vector<ImportError> errors;
  std::vector<std::string> warnings;
  std::string match_external, match_tax, match_email;
};

std::vector<std::string> SplitList(std::string_view v) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    const auto b = current.find_first_not_of(" \t");
    if (b != std::string::npos) {
      const auto e = current.find_last_not_of(" \t");
      out.push_back(current.substr(b, e - b + 1));
    }
    current.clear();
  };
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v.substr(i, 3) == ":::") {  // Google's multi-value separator
      flush();
      i += 2;
    } else if (v[i] == ',' || v[i] == ';') {
      flush();
    } else {
      current += v[i];
    }
  }
  flush();
  return out;
}

bool Truthy(std::string v) {
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "true" || v == "1" || v == "yes" || v == "tak" || v == "y" || v == "t";
}

class Builder {
 public:
  // `resources`: those an activity's resources column may name (by name or id).
  Builder(std::string_view kind, CustomerStore& customers, std::vector<Resource> resources = {})
      : kind_(kind), customers_(customers), resources_(std::move(resources)) {}

  Built Build(const Record& r) const {
    Built b;
    if (r.fields) {
      b.fields = *r.fields;
      if (const json::value* v = b.fields.if_contains("externalId"); v && v->is_string()) {
        b.match_external = std::string(v->get_string());
      }
      return b;
    }
    json::array emails, phones;
    std::string street, postal, city, country, start_date, start_time, end_date, end_time, first,
        last, full;
    for (const Cell& c : r.cells) {
      if (c.field.empty() || c.value.empty()) continue;
      const std::string& f = c.field;
      if (f == "emails" || f == "phones") {
        for (const std::string& v : SplitList(c.value)) {
          json::array& list = f == "emails" ? emails : phones;
          b.column_of[f + "[" + std::to_string(list.size()) + "]"] = c.column;
          list.push_back({{f == "emails" ? "address" : "number", v}, {"label", c.label}});
        }
      } else if (f == "street") {
        street = c.value;
        b.column_of["addresses[0].street"] = c.column;
      } else if (f == "postalCode") {
        postal = c.value;
        b.column_of["addresses[0].postalCode"] = c.column;
      } else if (f == "city") {
        city = c.value;
        b.column_of["addresses[0].city"] = c.column;
      } else if (f == "country") {
        country = CountryCode(c.value);
        b.column_of["addresses[0].country"] = c.column;
      } else if (f.starts_with("customFields.")) {
        json::value& custom = b.fields["customFields"];
        if (!custom.is_object()) custom = json::object();
        custom.get_object()[f.substr(13)] = c.value;
        b.column_of[f] = c.column;
      } else if (f == "bankAccounts") {
        json::array list;
        for (const std::string& v : SplitList(c.value)) list.emplace_back(v);
        b.fields[f] = std::move(list);
        b.column_of[f] = c.column;
      } else if (f == "resources") {
        json::array ids;
        for (const std::string& v : SplitList(c.value)) {
          const Resource* found = nullptr;
          for (const Resource& res : resources_) {
            if (std::to_string(res.id) == v || NameKey(res.name) == NameKey(v)) found = &res;
          }
          if (found == nullptr) {
            b.errors.push_back(
                {0, 0, c.column,
                 "no resource is named '" + v + "' (GET /api/crm/resources lists them)"});
            continue;
          }
          ids.emplace_back(std::to_string(found->id));
        }
        b.fields[f] = std::move(ids);
        b.column_of[f] = c.column;
      } else if (f == "tags" || f == "employees") {
        json::array list;
        for (const std::string& v : SplitList(c.value)) list.emplace_back(v);
        b.fields[f] = std::move(list);
        b.column_of[f] = c.column;
      } else if (f == "kind") {
        std::string v = HeaderKey(c.value);
        if (v == "person" || v == "osoba" || v == "individual" || v == "false" || v == "0") {
          b.fields["kind"] = "person";
        } else if (v == "company" || v == "firma" || v == "organization" || v == "true" ||
                   v == "1") {
          b.fields["kind"] = "company";
        } else {
          b.fields["kind"] = c.value;  // refused by the store, naming the column
        }
        b.column_of["kind"] = c.column;
      } else if (f == "firstName") {
        first = c.value;
        b.column_of["firstName"] = c.column;
      } else if (f == "lastName") {
        last = c.value;
        b.column_of["lastName"] = c.column;
      } else if (f == "name" && kind_ == "contacts") {
        full = c.value;
        b.column_of["lastName"] = c.column;
      } else if (f == "company") {
        Company(c, b);
      } else if (f == "customer") {
        Customer(c, b);
      } else if (f == "startDate") {
        start_date = c.value;
        b.column_of["start"] = c.column;
      } else if (f == "startTime") {
        start_time = c.value;
      } else if (f == "endDate") {
        end_date = c.value;
        b.column_of["end"] = c.column;
      } else if (f == "endTime") {
        end_time = c.value;
      } else if (f == "allDay") {
        b.fields["allDay"] = Truthy(c.value);
        b.column_of["allDay"] = c.column;
      } else {
        b.fields[f] = c.value;
        b.column_of[f] = c.column;
      }
    }
    if (kind_ == "contacts") {
      if (first.empty() && last.empty() && !full.empty()) {
        const auto space = full.rfind(' ');
        first = space == std::string::npos ? "" : full.substr(0, space);
        last = space == std::string::npos ? full : full.substr(space + 1);
      }
      if (!first.empty()) b.fields["firstName"] = first;
      if (!last.empty()) b.fields["lastName"] = last;
    } else if (kind_ == "customers" && !b.fields.contains("name") &&
               (!first.empty() || !last.empty())) {
      b.fields["name"] = first.empty() ? last : last.empty() ? first : first + " " + last;
      if (!b.fields.contains("kind")) b.fields["kind"] = "person";
    }
    if (TakesEmailsAndPhones(kind_)) {
      if (!emails.empty()) b.fields["emails"] = std::move(emails);
      if (!phones.empty()) b.fields["phones"] = std::move(phones);
    }
    if (!street.empty() || !postal.empty() || !city.empty() || !country.empty()) {
      json::object a{{"kind", "billing"}};
      if (!street.empty()) a["street"] = street;
      if (!postal.empty()) a["postalCode"] = postal;
      if (!city.empty()) a["city"] = city;
      if (!country.empty()) a["country"] = country;
      b.fields["addresses"] = json::array{std::move(a)};
    }
    if (!start_date.empty()) {
      b.fields["start"] = DateTime(start_date, start_time);
    }
    if (!end_date.empty() || (!end_time.empty() && !start_date.empty())) {
      b.fields["end"] = DateTime(end_date.empty() ? start_date : end_date, end_time);
    }
    if (const json::value* v = b.fields.if_contains("externalId"); v && v->is_string()) {
      b.match_external = std::string(v->get_string());
    }
    if (const json::value* v = b.fields.if_contains("taxId"); v && v->is_string()) {
      b.match_tax = std::string(v->get_string());
    }
    if (const json::value* v = b.fields.if_contains("emails"); v && !v->get_array().empty()) {
      b.match_email = std::string(v->get_array()[0].at("address").get_string());
    }
    return b;
  }

 private:
  // "Polska", "Poland", "PL" → PL; others as given (the store says when it is not 2 letters).
  static std::string CountryCode(const std::string& v) {
    static const std::map<std::string, std::string> kNames = {
        {"polska", "PL"},        {"poland", "PL"},        {"niemcy", "DE"},
        {"germany", "DE"},       {"deutschland", "DE"},   {"czechy", "CZ"},
        {"czechrepublic", "CZ"}, {"czechia", "CZ"},       {"slowacja", "SK"},
        {"slovakia", "SK"},      {"litwa", "LT"},         {"lithuania", "LT"},
        {"ukraina", "UA"},       {"ukraine", "UA"},       {"francja", "FR"},
        {"france", "FR"},        {"unitedkingdom", "GB"}, {"wielkabrytania", "GB"},
        {"usa", "US"},           {"unitedstates", "US"}};
    const auto it = kNames.find(HeaderKey(v));
    return it == kNames.end() ? v : it->second;
  }

  // "2026-12-07" with "09:30" → 2026-12-07T09:30:00Z (times without a zone are UTC);
  // "07.12.2026" (Polish spreadsheets) and "12/7/2026" (Outlook, US) too.
  static std::string DateTime(const std::string& date, const std::string& time) {
    std::string d = date;
    int a = 0, b = 0, y = 0;
    char s1 = 0, s2 = 0;
    if (std::sscanf(date.c_str(), "%d%c%d%c%d", &a, &s1, &b, &s2, &y) == 5 && y > 999 && s1 == s2) {
      const int day = s1 == '/' ? b : a;
      const int month = s1 == '/' ? a : b;
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, month, day);
      d = buf;
    }
    if (time.empty()) return d;
    std::string t = time;
    int hh = 0, mm = 0, ss = 0;
    char ampm[3] = {0};
    const int n = std::sscanf(time.c_str(), "%d:%d:%d %2s", &hh, &mm, &ss, ampm);
    if (n >= 2) {
      if (n < 4) std::sscanf(time.c_str(), "%d:%d %2s", &hh, &mm, ampm);
      const std::string half = ampm;
      if ((half == "PM" || half == "pm") && hh < 12) hh += 12;
      if ((half == "AM" || half == "am") && hh == 12) hh = 0;
      char buf[16];
      std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", hh, mm, n >= 3 ? ss : 0);
      t = buf;
    }
    return d + "T" + t + "Z";
  }

  // A contact's company: the customer of that name, external id or tax id.
  void Company(const Cell& c, Built& b) const {
    auto id = Lookup(c.value, true);
    if (id) {
      b.fields["customers"] = json::array{std::to_string(*id)};
      b.column_of["customers[0]"] = c.column;
    } else {
      b.warnings.push_back(c.column + " '" + c.value +
                           "' is no customer (by name, external id or tax id): the person is "
                           "imported without a company");
    }
  }
  void Customer(const Cell& c, Built& b) const {
    auto id = Lookup(c.value, true);
    if (id) {
      b.fields["customer"] = std::to_string(*id);
      b.column_of["customer"] = c.column;
    } else {
      b.errors.push_back({0, 0, c.column,
                          "no customer has the id, external id, tax id or name '" + c.value + "'"});
    }
  }
  std::optional<CustomerId> Lookup(const std::string& v, bool by_name) const {
    if (auto ext = customers_.FindByExternalId(v); ext && *ext) return **ext;
    if (auto tax = customers_.FindByTaxId(v, 1); tax && !tax->empty()) return tax->front();
    if (!v.empty() &&
        std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) &&
        v.size() < 19) {
      const CustomerId id = std::stoull(v);
      if (auto exists = customers_.Exists(id); exists && *exists) return id;
    }
    if (by_name) {
      if (auto named = customers_.FindByName(v, 1); named && !named->empty()) {
        return named->front();
      }
    }
    return std::nullopt;
  }

  std::string kind_;
  CustomerStore& customers_;
  std::vector<Resource> resources_;
};

// The columns of a CSV file as records.
// `custom`: the kind's custom fields; a column feeds one when the mapping says
// "customFields.NAME" or its header is the field's name or label.
Result<std::vector<Record>> CsvRecords(std::string_view text, const ImportOptions& options,
                                       const std::vector<definitions::Field>& custom,
                                       ImportReport& report) {
  QUIRE_ASSIGN_OR_RETURN(CsvTable table, ParseCsv(text, options.delimiter));
  std::vector<std::string> fields;
  std::vector<std::string> labels;
  const std::vector<std::string> names = ImportFields(options.kind);
  std::set<std::string> valid(names.begin(), names.end());
  for (const definitions::Field& f : custom) valid.insert("customFields." + f.name);
  for (const std::string& h : table.header) {
    std::string f = FieldFor(options.kind, h, options.mapping);
    for (const definitions::Field& cf : custom) {
      const std::string key = HeaderKey(h);
      if (f.empty() &&
          (key == HeaderKey(cf.name) || (!cf.label.empty() && key == HeaderKey(cf.label)))) {
        f = "customFields." + cf.name;
      }
    }
    if (!f.empty() && !valid.contains(f)) {
      return Error::InvalidArgument("the mapping sends column '" + h + "' to '" + f + "', which " +
                                    options.kind + " do not have");
    }
    report.columns.emplace_back(h, f);
    if (f.empty() && !h.empty()) {
      report.warnings.push_back("column '" + h + "' is not imported (map it with --mapping)");
    }
    fields.push_back(f);
    labels.push_back(LabelOf(HeaderKey(h)));
  }
  std::vector<Record> records;
  std::size_t row = 0;
  for (const CsvRow& r : table.rows) {
    Record rec{r.line, ++row, {}, std::nullopt};
    rec.cells.reserve(r.fields.size());
    if (r.fields.size() > table.header.size()) {
      bool extra = false;
      for (std::size_t i = table.header.size(); i < r.fields.size(); ++i) {
        extra = extra || !r.fields[i].empty();
      }
      if (extra) {
        report.errors.push_back({r.line, row, "",
                                 "the row has " + std::to_string(r.fields.size()) +
                                     " fields, the header " + std::to_string(table.header.size()) +
                                     " (a delimiter inside a field that is not quoted?)"});
        rec.cells.clear();
        rec.line = 0;  // marked bad
        records.push_back(std::move(rec));
        continue;
      }
    }
    for (std::size_t i = 0; i < r.fields.size() && i < table.header.size(); ++i) {
      std::string v = r.fields[i];
      const auto b = v.find_first_not_of(" \t");
      v = b == std::string::npos ? "" : v.substr(b, v.find_last_not_of(" \t") - b + 1);
      rec.cells.push_back({table.header[i], fields[i], std::move(v), labels[i]});
    }
    records.push_back(std::move(rec));
  }
  return records;
}

// vCards as contact-person records.
Result<std::vector<Record>> VCardRecords(std::string_view bytes, ImportReport& report) {
  QUIRE_ASSIGN_OR_RETURN(std::vector<VCard> cards, ParseVCards(bytes));
  std::vector<Record> records;
  std::size_t row = 0;
  std::set<std::string> ignored;
  for (const VCard& card : cards) {
    Record rec{card.line, ++row, {}, std::nullopt};
    bool named = false;
    for (const VCardProperty& p : card.properties) {
      auto label = [&]() -> std::string {
        if (p.Has("cell") || p.Has("mobile") || p.Has("iphone")) return "mobile";
        if (p.Has("fax")) return "fax";
        if (p.Has("work")) return "work";
        if (p.Has("home")) return "home";
        return "";
      };
      if (p.name == "N") {
        if (p.parts.size() > 0 && !p.parts[0].empty()) {
          rec.cells.push_back({"N", "lastName", p.parts[0], ""});
        }
        std::string given = p.parts.size() > 1 ? p.parts[1] : "";
        if (p.parts.size() > 2 && !p.parts[2].empty()) given += " " + p.parts[2];
        if (!given.empty()) rec.cells.push_back({"N", "firstName", given, ""});
        named = named || !p.value.empty();
      } else if (p.name == "FN") {
        rec.cells.push_back({"FN", "name", p.value, ""});
      } else if (p.name == "EMAIL") {
        rec.cells.push_back({"EMAIL", "emails", p.value, label()});
      } else if (p.name == "TEL") {
        std::string number = p.value;
        if (number.starts_with("tel:")) number = number.substr(4);
        rec.cells.push_back({"TEL", "phones", number, label()});
      } else if (p.name == "ORG") {
        if (!p.parts.empty() && !p.parts[0].empty()) {
          rec.cells.push_back({"ORG", "company", p.parts[0], ""});
        }
      } else if (p.name == "TITLE" || p.name == "ROLE") {
        rec.cells.push_back({p.name, "title", p.value, ""});
      } else if (p.name == "NOTE") {
        rec.cells.push_back({"NOTE", "notes", p.value, ""});
      } else if (p.name == "UID") {
        rec.cells.push_back({"UID", "externalId", p.value, ""});
      } else if (p.name != "PRODID" && p.name != "REV" && p.name != "PHOTO" &&
                 !p.name.starts_with("X-")) {
        ignored.insert(p.name);
      }
    }
    // Both N and FN: N's parts win; FN only fills in when N is empty.
    if (named) {
      std::erase_if(rec.cells, [](const Cell& c) { return c.field == "name"; });
    }
    records.push_back(std::move(rec));
  }
  for (const std::string& name : ignored) {
    report.warnings.push_back("vCard property " + name + " is not imported");
  }
  return records;
}

// The store's JSON of a record, without what the API answers but does not take.
json::object Editable(json::object o) {
  for (const char* k : {"id", "taxIdKind", "createdBy", "createdAt", "modifiedAt", "seriesStart",
                        "erasedAt", "possibleDuplicates", "mergedInto", "withheld"}) {
    o.erase(k);
  }
  return o;
}

}  // namespace

std::vector<std::string> ImportFields(std::string_view kind) {
  std::vector<std::string> out;
  for (const FieldNames& f : Known(kind)) out.emplace_back(f.field);
  if (TakesEmailsAndPhones(kind)) {
    out.emplace_back("emails");
    out.emplace_back("phones");
  }
  if (kind == "customers") {
    out.emplace_back("firstName");
    out.emplace_back("lastName");
  }
  return out;
}

Result<std::map<std::string, std::string>> ParseMapping(std::string_view text,
                                                        std::string_view kind) {
  std::map<std::string, std::string> mapping;
  const std::vector<std::string> fields = ImportFields(kind);
  auto check = [&](const std::string& header, const std::string& field,
                   const std::string& where) -> Result<void> {
    if (!field.empty() && std::find(fields.begin(), fields.end(), field) == fields.end()) {
      std::string list;
      for (const std::string& f : fields) list += (list.empty() ? "" : ", ") + f;
      return Error::InvalidArgument(where + ": '" + field + "' is not a field of " +
                                    std::string(kind) + " (" + list +
                                    ", or \"\" to leave the "
                                    "column out)");
    }
    mapping[header] = field;
    return Ok();
  };
  const auto first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (first != std::string_view::npos && text[first] == '{') {
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) {
      return Error::InvalidArgument(
          "the mapping file is not a JSON object {\"Header\": "
          "\"field\"}: " +
          ec.message());
    }
    for (const auto& m : v.get_object()) {
      if (!m.value().is_string()) {
        return Error::InvalidArgument("mapping of '" + std::string(m.key()) +
                                      "': a field name (text)");
      }
      QUIRE_RETURN_IF_ERROR(check(std::string(m.key()), std::string(m.value().get_string()),
                                  "mapping of '" + std::string(m.key()) + "'"));
    }
    return mapping;
  }
  QUIRE_ASSIGN_OR_RETURN(std::string utf8, DecodeText(text, "auto"));
  QUIRE_ASSIGN_OR_RETURN(CsvTable table, ParseCsv("header,field\n" + utf8));
  for (const CsvRow& r : table.rows) {
    if (r.line == 2 && r.fields.size() >= 2 && HeaderKey(r.fields[1]) == "field") continue;
    if (r.fields.size() < 2) {
      return Error::InvalidArgument("mapping line " + std::to_string(r.line - 1) +
                                    ": write it as Header,field");
    }
    QUIRE_RETURN_IF_ERROR(
        check(r.fields[0], r.fields[1], "mapping line " + std::to_string(r.line - 1)));
  }
  return mapping;
}

json::object ImportReport::ToJson() const {
  json::array errs;
  for (const ImportError& e : errors) {
    json::object o{{"line", e.line}, {"row", e.row}, {"message", e.message}};
    o["column"] = e.column.empty() ? json::value() : json::value(e.column);
    if (format == "vcard") {
      json::value column = o["column"];  // a copy: inserting may move the members
      o["property"] = std::move(column);
    }
    errs.push_back(std::move(o));
  }
  json::array cols;
  for (const auto& [h, f] : columns) {
    cols.push_back({{"header", h}, {"field", f.empty() ? json::value() : json::value(f)}});
  }
  return {{"kind", kind},
          {"format", format},
          {"encoding", encoding},
          {"dryRun", dry_run},
          {"records", records},
          {"created", created},
          {"updated", updated},
          {"refused", refused},
          {"emails", emails},
          {"phones", phones},
          {"written", written},
          {"errors", std::move(errs)},
          {"warnings", json::array(warnings.begin(), warnings.end())},
          {"columns", std::move(cols)}};
}

Importer::Importer(CustomerStore& customers, ContactStore& contacts, ActivityStore& activities,
                   std::function<Timestamp()> now)
    : customers_(customers), contacts_(contacts), activities_(activities), now_(std::move(now)) {}

Result<ImportReport> Importer::Run(std::string_view bytes, const ImportOptions& options,
                                   const audit::Actor& actor,
                                   const std::function<void(std::size_t, std::size_t)>& progress) {
  ImportReport report;
  report.kind = options.kind;
  report.format = options.format;
  report.dry_run = options.dry_run;
  if (options.kind != "customers" && options.kind != "contacts" && options.kind != "activities") {
    return Error::InvalidArgument("'" + options.kind +
                                  "' is not something Quire imports: customers, contacts or "
                                  "activities");
  }
  std::vector<Record> records;
  if (options.format == "csv") {
    QUIRE_ASSIGN_OR_RETURN(std::string text, DecodeText(bytes, options.encoding, &report.encoding));
    // customers → customer, contacts → contact, activities → activity
    const std::string entity =
        options.kind == "activities" ? "activity" : options.kind.substr(0, options.kind.size() - 1);
    const Fields custom = customers_.schema().CustomFields(entity);
    QUIRE_ASSIGN_OR_RETURN(records, CsvRecords(text, options, *custom, report));
  } else if (options.format == "vcard") {
    if (options.kind != "contacts") {
      return Error::InvalidArgument("vCard files hold contact persons: import them as contacts");
    }
    report.encoding = "per vCard";
    QUIRE_ASSIGN_OR_RETURN(records, VCardRecords(bytes, report));
  } else if (options.format == "ical") {
    if (options.kind != "activities") {
      return Error::InvalidArgument("iCalendar files hold events: import them as activities");
    }
    report.encoding = "utf-8";
    QUIRE_ASSIGN_OR_RETURN(std::string text, DecodeText(bytes, options.encoding));
    QUIRE_ASSIGN_OR_RETURN(std::vector<IcalEvent> events, ReadIcalEvents(text, now_()));
    std::size_t row = 0;
    for (IcalEvent& e : events) {
      records.push_back(Record{e.line, ++row, {}, std::move(e.fields)});
    }
  } else {
    return Error::InvalidArgument("'" + options.format +
                                  "' is not a format Quire imports: csv, vcard or ical");
  }
  report.records = records.size();

  // Pass 1: every record checked; what each would do.
  struct Plan {
    const Record* record;
    json::object fields;
    std::uint64_t existing = 0;  // update this one
    std::string key;             // its match key within the file
    std::string external, tax, email;
    // A new record as the first pass checked it: written without reading its fields again.
    std::optional<Customer> customer;
    std::optional<Contact> contact;
  };
  // The stored record a row updates: by external id, else (customers) by tax id, else
  // (contacts) by e-mail address; 0 for none.
  auto resolve = [&](const Plan& plan) -> Result<std::uint64_t> {
    if (!plan.external.empty()) {
      std::optional<std::uint64_t> id;
      if (options.kind == "customers") {
        QUIRE_ASSIGN_OR_RETURN(id, customers_.FindByExternalId(plan.external));
      } else if (options.kind == "contacts") {
        QUIRE_ASSIGN_OR_RETURN(id, contacts_.FindByExternalId(plan.external));
      } else {
        QUIRE_ASSIGN_OR_RETURN(id, activities_.FindByExternalId(plan.external));
      }
      if (id) return *id;
    }
    if (options.kind == "customers" && !plan.tax.empty()) {
      QUIRE_ASSIGN_OR_RETURN(std::vector<CustomerId> ids, customers_.FindByTaxId(plan.tax, 1));
      if (!ids.empty()) return ids.front();
    }
    if (options.kind == "contacts" && !plan.email.empty()) {
      QUIRE_ASSIGN_OR_RETURN(std::vector<ContactId> ids, contacts_.FindByEmail(plan.email, 1));
      if (!ids.empty()) return ids.front();
    }
    return std::uint64_t{0};
  };
  std::vector<Plan> plans;
  std::set<std::string> seen_in_file;
  std::vector<Resource> resources;
  if (options.kind == "activities") {
    QUIRE_ASSIGN_OR_RETURN(resources, activities_.resources().List());
  }
  const Builder builder(options.kind, customers_, std::move(resources));
  // What each record is and whether the store would take it: the dear part (phone numbers,
  // names, lookups), done for the records in parallel; the file's order matters only below.
  struct Analysed {
    Built b;
    Plan plan;
    Result<void> checked = Ok();
    std::size_t emails = 0, phones = 0;
  };
  auto analyse = [&](const Record& r, Analysed& out) -> Result<void> {
    Built& b = out.b;
    b = builder.Build(r);
    Plan& plan = out.plan;
    plan = Plan{&r, b.fields, 0, "", "", "", "", std::nullopt, std::nullopt};
    // Which stored record it updates.
    plan.external = b.match_external;
    plan.tax = b.match_tax;
    plan.email = b.match_email;
    for (char& ch : plan.email)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    QUIRE_ASSIGN_OR_RETURN(plan.existing, resolve(plan));
    if (!plan.external.empty()) {
      plan.key = "x:" + plan.external;
    } else if (auto tax = ParseTaxId(plan.tax); options.kind == "customers" && tax) {
      plan.key = "t:" + tax->value;
    } else if (options.kind == "contacts" && !plan.email.empty()) {
      plan.key = "m:" + plan.email;
    }
    // Checked as the store will check it.
    if (options.kind == "customers") {
      json::object fields = b.fields;
      std::optional<Customer> before;
      if (plan.existing != 0) {
        QUIRE_ASSIGN_OR_RETURN(before, customers_.Get(plan.existing));
        fields = MergePatch(Editable(before->ToJson()), b.fields);
      }
      auto c = customers_.Validate(fields, actor, before ? &*before : nullptr);
      if (c) {
        out.emails = c->emails.size();
        out.phones = c->phones.size();
        if (plan.existing == 0) plan.customer = *c;
      } else {
        out.checked = c.error();
      }
    } else if (options.kind == "contacts") {
      json::object fields = b.fields;
      std::optional<Contact> before;
      if (plan.existing != 0) {
        QUIRE_ASSIGN_OR_RETURN(before, contacts_.Get(plan.existing));
        json::object editable = Editable(before->ToJson());
        editable.erase("name");  // a contact person's is computed from first and last
        fields = MergePatch(editable, b.fields);
      }
      auto c = contacts_.Validate(fields, actor, before ? &*before : nullptr);
      if (c) {
        out.emails = c->emails.size();
        out.phones = c->phones.size();
        if (plan.existing == 0) plan.contact = *c;
      } else {
        out.checked = c.error();
      }
    } else {
      json::object fields = b.fields;
      std::optional<Activity> before;
      if (plan.existing != 0) {
        QUIRE_ASSIGN_OR_RETURN(before, activities_.Get(plan.existing));
        fields = MergePatch(Editable(before->ToJson()), b.fields);
      }
      auto a = activities_.Validate(fields, actor, before ? &*before : nullptr);
      if (!a) out.checked = a.error();
    }
    return Ok();
  };
  std::vector<Analysed> analysed(records.size());
  {
    // Two workers (the second on its own thread) take records in turn.
    std::atomic<std::size_t> next{0};
    std::mutex failed_mu;
    std::optional<Error> failed;
    auto work = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < records.size();) {
        if (records[i].line == 0) continue;
        if (auto done = analyse(records[i], analysed[i]); !done) {
          std::lock_guard lock(failed_mu);
          if (!failed) failed = done.error();
        }
      }
    };
    std::thread helper;
    if (records.size() >= 1000) helper = std::thread(work);
    work();
    if (helper.joinable()) helper.join();
    if (failed) return *failed;
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    if (r.line == 0) {  // refused while reading
      ++report.refused;
      continue;
    }
    Analysed& an = analysed[i];
    const Built& b = an.b;
    Plan& plan = an.plan;
    Result<void>& checked = an.checked;
    auto fail = [&](const std::string& column, const std::string& message) {
      report.errors.push_back({r.line, r.row, column, message});
    };
    for (const ImportError& e : b.errors) fail(e.column, e.message);
    for (const std::string& w : b.warnings) {
      report.warnings.push_back("line " + std::to_string(r.line) + ": " + w);
    }
    if (!checked) {
      const Error& e = checked.error();
      if (e.details().empty()) {
        fail("", e.message());
      } else {
        for (const ErrorDetail& d : e.details()) {
          // The column the field came from: its own, or its list entry's ("emails[1]").
          std::string column;
          for (std::string path = d.field; !path.empty();) {
            if (auto it = b.column_of.find(path); it != b.column_of.end()) {
              column = it->second;
              break;
            }
            const auto cut = path.find_last_of(".[");
            path = cut == std::string::npos ? "" : path.substr(0, cut);
          }
          fail(column, (column.empty() ? d.field + " " : "") + d.message);
        }
      }
    }
    if (checked && b.errors.empty() && options.check) {
      if (auto allowed = options.check(b.fields, plan.existing); !allowed) {
        fail("", allowed.error().message());
        checked = allowed.error();
      }
    }
    if (!b.errors.empty() || !checked) {
      ++report.refused;
      continue;
    }
    report.emails += an.emails;
    report.phones += an.phones;
    if (plan.existing != 0 || (!plan.key.empty() && seen_in_file.contains(plan.key))) {
      ++report.updated;
    } else {
      ++report.created;
    }
    if (!plan.key.empty()) seen_in_file.insert(plan.key);
    plans.push_back(std::move(plan));
  }
  if (options.dry_run) return report;
  if (report.refused > 0 && !options.skip_bad_rows) {
    report.created = report.updated = 0;
    return report;
  }

  // Pass 2: written in batches of up to kBatch records, each batch one atomic write with an
  // audit entry per record, matched again at write time (an earlier row of the file may have
  // created what a later one updates: a row matched by what a staged row holds commits the
  // batch first, so that the match finds it).
  constexpr std::size_t kBatch = 1000;
  auto tax_match = [](const TaxId& id) {
    // One company, one key: a Polish EU VAT number is its NIP (as the store's index).
    return id.kind == TaxId::Kind::kEuVat && id.value.starts_with("PL") ? id.value.substr(2)
                                                                        : id.value;
  };
  auto lower = [](std::string text) {
    for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return text;
  };
  // A batch holds its store's write lock: released between batches, so that people's own
  // edits are not held up by a long import.
  std::optional<CustomerStore::Bulk> customer_bulk;
  std::optional<ContactStore::Bulk> contact_bulk;
  std::optional<ActivityStore::Bulk> activity_bulk;
  std::set<std::string> staged_keys;             // what the staged records are matched by
  std::unordered_set<std::string> written_keys;  // ... and every record staged before
  std::size_t staged = 0, done = 0;
  auto commit = [&]() -> Result<void> {
    if (customer_bulk) QUIRE_RETURN_IF_ERROR(customer_bulk->Commit());
    if (contact_bulk) QUIRE_RETURN_IF_ERROR(contact_bulk->Commit());
    if (activity_bulk) QUIRE_RETURN_IF_ERROR(activity_bulk->Commit());
    customer_bulk.reset();
    contact_bulk.reset();
    activity_bulk.reset();
    if (staged == 0) return Ok();
    report.written = true;
    done += staged;
    staged = 0;
    staged_keys.clear();
    if (progress) progress(done, plans.size());
    return Ok();
  };
  report.created = report.updated = 0;
  for (Plan& plan : plans) {
    const Record& r = *plan.record;
    std::vector<std::string> keys;
    if (!plan.external.empty()) keys.push_back("x:" + plan.external);
    if (auto tax = ParseTaxId(plan.tax); options.kind == "customers" && tax) {
      keys.push_back("t:" + tax_match(*tax));
    }
    if (options.kind == "contacts" && !plan.email.empty()) keys.push_back("m:" + plan.email);
    for (const std::string& k : keys) {
      if (staged_keys.contains(k)) {
        QUIRE_RETURN_IF_ERROR(commit());
        break;
      }
    }
    // Matched again unless the first pass found no stored match and no row written before
    // holds any of its keys: then nothing can have come to match it but another writer's
    // record, and an external id (the one unique key) is checked again when staged.
    const bool may_match =
        plan.existing != 0 || std::any_of(keys.begin(), keys.end(), [&](const std::string& k) {
          return written_keys.contains(k);
        });
    std::uint64_t existing = 0;
    if (may_match || (!plan.customer && !plan.contact)) {
      QUIRE_ASSIGN_OR_RETURN(existing, resolve(plan));
    }
    const bool updated = existing != 0;
    if (options.kind == "customers" && !customer_bulk) {
      customer_bulk.emplace(customers_);
    } else if (options.kind == "contacts" && !contact_bulk) {
      contact_bulk.emplace(contacts_);
    } else if (options.kind == "activities" && !activity_bulk) {
      activity_bulk.emplace(activities_);
    }
    Result<void> wrote = Ok();
    // What the record is found by from now on.
    std::vector<std::string> holds;
    if (customer_bulk) {
      auto c = updated         ? customer_bulk->Update(existing, plan.fields, actor)
               : plan.customer ? customer_bulk->Create(*plan.customer, plan.fields, actor)
                               : customer_bulk->Create(plan.fields, actor);
      if (c) {
        if (!c->external_id.empty()) holds.push_back("x:" + c->external_id);
        if (c->tax_id) holds.push_back("t:" + tax_match(*c->tax_id));
      } else {
        wrote = c.error();
      }
    } else if (contact_bulk) {
      auto c = updated        ? contact_bulk->Update(existing, plan.fields, actor)
               : plan.contact ? contact_bulk->Create(*plan.contact, plan.fields, actor)
                              : contact_bulk->Create(plan.fields, actor);
      if (c) {
        if (!c->external_id.empty()) holds.push_back("x:" + c->external_id);
        for (const Labelled& e : c->emails) holds.push_back("m:" + lower(e.value));
      } else {
        wrote = c.error();
      }
    } else {
      auto a = updated ? activity_bulk->Update(existing, plan.fields, actor)
                       : activity_bulk->Create(plan.fields, actor);
      if (a) {
        if (!a->external_id.empty()) holds.push_back("x:" + a->external_id);
      } else {
        wrote = a.error();
      }
    }
    if (wrote) {
      ++(updated ? report.updated : report.created);
      ++staged;
      staged_keys.insert(holds.begin(), holds.end());
      written_keys.insert(holds.begin(), holds.end());
    } else {
      ++report.refused;
      report.errors.push_back({r.line, r.row, "", wrote.error().message()});
    }
    if (staged == kBatch) QUIRE_RETURN_IF_ERROR(commit());
  }
  QUIRE_RETURN_IF_ERROR(commit());
  return report;
}

}  // namespace quire::crm
