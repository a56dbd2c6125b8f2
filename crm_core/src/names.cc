#include "quire/crm/names.h"

#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <array>
#include <memory>
#include <sstream>
#include <vector>

namespace quire::crm {
namespace {

// One transliterator per thread: ICU's are not to be shared between threads at once.
icu::Transliterator* Folder() {
  thread_local std::unique_ptr<icu::Transliterator> folder = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> t(icu::Transliterator::createInstance(
        "Any-Latin; Latin-ASCII; Lower", UTRANS_FORWARD, status));
    return U_SUCCESS(status) ? std::move(t) : nullptr;
  }();
  return folder.get();
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

}  // namespace

std::string NameKey(std::string_view name) {
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
  if (icu::Transliterator* t = Folder()) {
    t->transliterate(text);
  } else {
    text.foldCase();
  }
  std::string folded;
  text.toUTF8String(folded);
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
