// Names compared as people mean them: "PIEKARNIA  Zielińska" and "piekarnia zielińska" are
// one name. ICU case folding (full, so ß matches ss) and NFKC, spaces collapsed.
#pragma once

#include <string>
#include <string_view>

namespace quire::crm {

std::string NameKey(std::string_view name);

}  // namespace quire::crm
