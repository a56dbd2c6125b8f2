#include "quire/crm/names.h"

#include <unicode/translit.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>

#include <algorithm>
#include <array>
#include <memory>
#include <sstream>
#include <vector>

namespace quire::crm {
namespace {

std::unique_ptr<icu::Transliterator> Make(const char* rules) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::Transliterator> t(
      icu::Transliterator::createInstance(rules, UTRANS_FORWARD, status));
  return U_SUCCESS(status) ? std::move(t) : nullptr;
}

// One transliterator per thread: ICU's are not to be shared between threads at once. Any-Latin
// leaves Latin text as it is but costs the most of the three steps (it looks for the script
// of every run): names written in Latin letters (Polish ones with their diacritics) skip it.
icu::Transliterator* Folder(bool latin) {
  thread_local std::unique_ptr<icu::Transliterator> any = Make("Any-Latin; Latin-ASCII; Lower");
  thread_local std::unique_ptr<icu::Transliterator> from_latin = Make("Latin-ASCII; Lower");
  return latin && from_latin ? from_latin.get() : any.get();
}

// Whether every character of `text` is Latin, or common to all scripts (digits, punctuation).
bool IsLatin(const icu::UnicodeString& text) {
  for (int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    UErrorCode status = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(c, &status);
    if (U_FAILURE(status) ||
        (script != USCRIPT_LATIN && script != USCRIPT_COMMON && script != USCRIPT_INHERITED)) {
      return false;
    }
    i += U16_LENGTH(c);
  }
  return true;
}

// Legal forms at the end of a company's name, as their words after folding.
const std::array<std::vector<std::string_view>, 14> kLegalForms = {{
    {"sp", "z", "o", "o"},
    {"spolka", "z", "ograniczona", "odpowiedzialnoscia"},
    {"sp", "z", "oo"},
    {"s", "a"},
    {"sa"},
    {"sp", "j"},
    {"spolka", "jawna"},
    {"sp", "k"},
    {"spolka", "komandytowa"},
    {"spolka", "akcyjna"},
    {"gmbh"},
    {"ltd"},
    {"inc"},
    {"llc"},
}};

// ASCII and the Polish letters (ą ć ę ł ń ó ś ź ż, either case), folded as the
// transliteration folds them, without it; false for any other text. Most names in a Polish
// CRM are such, and ICU's transliteration is a tenth of an import's time.
bool FoldPolish(std::string_view name, std::string& out) {
  out.clear();
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {
      out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : static_cast<char>(c);
      continue;
    }
    if (i + 1 >= name.size()) return false;
    const auto d = static_cast<unsigned char>(name[i + 1]);
    char ascii = 0;
    if (c == 0xC3 && (d == 0xB3 || d == 0x93)) {
      ascii = 'o';  // ó Ó
    } else if (c == 0xC4) {
      if (d == 0x84 || d == 0x85) ascii = 'a';  // Ą ą
      if (d == 0x86 || d == 0x87) ascii = 'c';  // Ć ć
      if (d == 0x98 || d == 0x99) ascii = 'e';  // Ę ę
    } else if (c == 0xC5) {
      if (d == 0x81 || d == 0x82) ascii = 'l';                            // Ł ł
      if (d == 0x83 || d == 0x84) ascii = 'n';                            // Ń ń
      if (d == 0x9A || d == 0x9B) ascii = 's';                            // Ś ś
      if (d == 0xB9 || d == 0xBA || d == 0xBB || d == 0xBC) ascii = 'z';  // Ź ź Ż ż
    }
    if (ascii == 0) return false;
    out += ascii;
    ++i;
  }
  return true;
}

}  // namespace

std::string internal::FoldByIcu(std::string_view name) {
  std::string folded;
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
  if (icu::Transliterator* t = Folder(IsLatin(text))) {
    t->transliterate(text);
  } else {
    text.foldCase();
  }
  text.toUTF8String(folded);
  return folded;
}

std::string internal::Fold(std::string_view name) {
  std::string folded;
  if (FoldPolish(name, folded)) return folded;
  return FoldByIcu(name);
}

std::string NameKey(std::string_view name) {
  const std::string folded = internal::Fold(name);
  // Words of letters and digits; everything else separates them.
  std::vector<std::string> words(1);
  for (const char c : folded) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        (static_cast<unsigned char>(c) >= 0x80)) {
      words.back() += c;
    } else if (!words.back().empty()) {
      words.emplace_back();
    }
  }
  if (words.back().empty()) words.pop_back();
  // "Piekarnia Zielińska sp. z o.o." and "PIEKARNIA ZIELINSKA" are one name.
  for (bool stripped = true; stripped && words.size() > 1;) {
    stripped = false;
    for (const auto& form : kLegalForms) {
      if (form.size() < words.size() &&
          std::equal(form.begin(), form.end(),
                     words.end() - static_cast<std::ptrdiff_t>(form.size()))) {
        words.resize(words.size() - form.size());
        stripped = true;
        break;
      }
    }
  }
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace quire::crm
