#include "quire/crm/names.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

namespace quire::crm {

std::string NameKey(std::string_view name) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
  icu::UnicodeString folded = U_SUCCESS(status) ? nfkc_cf->normalize(text, status) : text;
  if (U_FAILURE(status)) folded = text.foldCase();
  std::string utf8;
  folded.toUTF8String(utf8);
  std::string out;
  bool space = false;
  for (const char c : utf8) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace quire::crm
