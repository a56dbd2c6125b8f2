// vCard 2.1, 3.0 (RFC 2426) and 4.0 (RFC 6350), as Outlook, Google Contacts, Apple Contacts
// and Thunderbird write them: folded lines, quoted-printable and base64 values, CHARSET
// parameters, grouped properties (item1.EMAIL), TYPE in each version's form.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/result.h"

namespace quire::crm {

struct VCardProperty {
  std::size_t line = 0;            // where it starts in the file
  std::string group;               // "item1" of item1.EMAIL; empty when none
  std::string name;                // upper case: EMAIL, TEL, N, ...
  std::vector<std::string> types;  // lower case, from TYPE=... or 2.1's bare parameters
  std::string value;               // decoded (quoted-printable, charset) and unescaped, UTF-8
  std::vector<std::string> parts;  // the ;-separated components (N, ADR, ORG), unescaped
  bool binary = false;             // base64 data (a PHOTO): value holds it undecoded

  bool Has(std::string_view type) const;
};

struct VCard {
  std::size_t line = 0;  // its BEGIN:VCARD
  std::string version;   // 2.1, 3.0 or 4.0
  std::vector<VCardProperty> properties;

  // The first property of that name, or null.
  const VCardProperty* Find(std::string_view name) const;
};

// Every vCard in the file. Errors: kInvalidArgument naming the line — a card that never
// ends (a truncated file), a line outside a card, a version other than 2.1, 3.0 and 4.0.
Result<std::vector<VCard>> ParseVCards(std::string_view bytes);

// A vCard 4.0 of `properties` (name → value, already escaped where needed), folded at 75
// bytes, CRLF line ends.
std::string EscapeVCardText(std::string_view text);
std::string FoldVCardLine(std::string_view line);

}  // namespace quire::crm
