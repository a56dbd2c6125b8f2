#include "quire/crm/export.h"

#include <boost/json/serialize.hpp>

#include "quire/base/instant.h"
#include "quire/crm/csv.h"
#include "quire/crm/vcard.h"

namespace quire::crm {
namespace {

std::string Joined(const std::vector<Labelled>& list) {
  std::string out;
  for (const Labelled& l : list) out += (out.empty() ? "" : ", ") + l.value;
  return out;
}

std::string VCardType(const std::string& label) {
  if (label == "mobile") return "cell";
  if (label == "work" || label == "office") return "work";
  if (label == "home") return "home";
  if (label == "fax") return "fax";
  return "";
}

// 2026-12-06T09:00:00.000Z → 20261206T090000Z
std::string Rev(Timestamp t) {
  std::string s = FormatInstant(t);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '-' || s[i] == ':') continue;
    if (s[i] == '.') {
      i += 3;  // the milliseconds
      continue;
    }
    out += s[i];
  }
  return out;
}

}  // namespace

std::string ContactVCard(const Contact& c, const std::string& company) {
  std::string out = "BEGIN:VCARD\r\nVERSION:4.0\r\n";
  auto line = [&](const std::string& text) { out += FoldVCardLine(text); };
  line("UID:" + (c.external_id.empty() ? "urn:quire:contact:" + std::to_string(c.id)
                                       : EscapeVCardText(c.external_id)));
  line("FN:" + EscapeVCardText(c.name()));
  line("N:" + EscapeVCardText(c.last_name) + ";" + EscapeVCardText(c.first_name) + ";;;");
  if (!company.empty()) line("ORG:" + EscapeVCardText(company));
  if (!c.title.empty()) line("TITLE:" + EscapeVCardText(c.title));
  for (const Labelled& e : c.emails) {
    const std::string type = VCardType(e.label);
    line("EMAIL" + (type.empty() ? "" : ";TYPE=" + type) + ":" + e.value);
  }
  for (const Labelled& p : c.phones) {
    const std::string type = VCardType(p.label);
    line("TEL;VALUE=uri" + (type.empty() ? "" : ";TYPE=" + type) + ":tel:" + p.value);
  }
  if (!c.notes.empty()) line("NOTE:" + EscapeVCardText(c.notes));
  line("REV:" + Rev(c.modified_at));
  return out + "END:VCARD\r\n";
}

namespace {

// The profile's columns, headed as the import recognises them.
constexpr std::pair<const char*, const char*> kProfileColumns[] = {
    {"industry", "Industry"},
    {"category", "Category"},
    {"customerType", "Customer type"},
    {"source", "Source"},
    {"deliveryTerms", "Delivery terms"},
    {"paymentTermsDays", "Payment terms"},
    {"satisfaction", "Satisfaction"},
    {"currency", "Currency"},
    {"creditLimit", "Credit limit"},
    {"team", "Team"},
};

std::string CellText(const boost::json::value* v) {
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_array()) {
    std::string out;
    for (const boost::json::value& item : v->get_array()) {
      out += (out.empty() ? "" : ", ") + CellText(&item);
    }
    return out;
  }
  return boost::json::serialize(*v);
}

}  // namespace

std::string CustomersCsvHeader(char d, const std::vector<definitions::Field>& custom) {
  std::vector<std::string> columns{"Quire ID", "Kind",   "Name",        "Tax ID",     "E-mail",
                                   "Phone",    "Street", "Postal code", "City",       "Country",
                                   "Owner",    "Tags",   "Notes",       "External ID"};
  for (const auto& [field, header] : kProfileColumns) columns.emplace_back(header);
  columns.emplace_back("Bank account");
  for (const definitions::Field& f : custom) columns.push_back(f.name);
  return CsvLine(columns, d);
}

std::string CustomerCsvLine(const Customer& c, char d,
                            const std::vector<definitions::Field>& custom, bool sensitive) {
  const Address* a = c.addresses.empty() ? nullptr : &c.addresses.front();
  std::string tags;
  for (const std::string& t : c.tags) tags += (tags.empty() ? "" : ", ") + t;
  const bool pesel = c.tax_id && c.tax_id->kind == TaxId::Kind::kPesel;
  std::vector<std::string> cells{std::to_string(c.id),
                                 c.kind,
                                 c.name,
                                 c.tax_id && (sensitive || !pesel) ? c.tax_id->value : "",
                                 Joined(c.emails),
                                 Joined(c.phones),
                                 a ? a->street : "",
                                 a ? a->postal_code : "",
                                 a ? a->city : "",
                                 a ? a->country : "",
                                 c.owner,
                                 tags,
                                 c.notes,
                                 c.external_id};
  for (const auto& [field, header] : kProfileColumns) {
    const bool withheld = !sensitive && std::string_view(field) == "creditLimit";
    cells.push_back(withheld ? "" : CellText(c.profile.if_contains(field)));
  }
  std::string accounts;
  for (const Labelled& b : c.bank_accounts) accounts += (accounts.empty() ? "" : ", ") + b.value;
  cells.push_back(sensitive ? accounts : "");
  for (const definitions::Field& f : custom)
    cells.push_back(CellText(c.custom_fields.if_contains(f.name)));
  return CsvLine(cells, d);
}

std::string ContactsCsvHeader(char d) {
  return CsvLine({"Quire ID", "First name", "Last name", "Title", "Company", "E-mail", "Phone",
                  "Notes", "External ID"},
                 d);
}

std::string ContactCsvLine(const Contact& c, const std::string& company, char d) {
  return CsvLine({std::to_string(c.id), c.first_name, c.last_name, c.title, company,
                  Joined(c.emails), Joined(c.phones), c.notes, c.external_id},
                 d);
}

}  // namespace quire::crm
