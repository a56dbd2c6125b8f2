// Names compared as people mean them: "PIEKARNIA  Zielińska sp. z o.o." and "piekarnia
// zielinska" are one name. ICU transliteration to lower-case ASCII (any script to Latin,
// then diacritics dropped), punctuation as spaces, a trailing legal form (sp. z o.o., S.A.,
// sp.j., GmbH, Ltd, ...) left out.
#pragma once

#include <string>
#include <string_view>

namespace quire::crm {

std::string NameKey(std::string_view name);

namespace internal {
// The folding NameKey starts from: lower-case ASCII, through ICU's transliteration unless
// the text is ASCII and Polish letters. FoldByIcu always transliterates (tests compare them).
std::string Fold(std::string_view name);
std::string FoldByIcu(std::string_view name);
}  // namespace internal

}  // namespace quire::crm
