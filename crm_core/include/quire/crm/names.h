// Names compared as people mean them: "PIEKARNIA  Zielińska sp. z o.o." and "piekarnia
// zielinska" are one name. ICU transliteration to lower-case ASCII (any script to Latin,
// then diacritics dropped), punctuation as spaces, a trailing legal form (sp. z o.o., S.A.,
// sp.j., GmbH, Ltd, ...) left out.
#pragma once

#include <string>
#include <string_view>

namespace quire::crm {

std::string NameKey(std::string_view name);

}  // namespace quire::crm
