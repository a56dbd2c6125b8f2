#include "quire/dms/media_type.h"

#include <algorithm>
#include <cctype>

namespace quire::dms {
namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Valid UTF-8 with no control bytes but tab, CR, LF and form feed; a sequence cut off at
// the end of `s` (the sniffed prefix) is allowed.
bool LooksLikeText(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') return false;
      if (c == 0x7F) return false;
      ++i;
      continue;
    }
    std::size_t extra = 0;
    if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      extra = 3;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= extra; ++k) {
      if (i + k >= s.size()) return true;  // cut off by the sniff window
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

std::string_view SkipSpaceAndBom(std::string_view s) {
  if (StartsWith(s, "\xEF\xBB\xBF")) s.remove_prefix(3);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

std::string ZipKind(std::string_view head) {
  // Office Open XML names its parts in the first local headers; OpenDocument stores its
  // media type uncompressed as the first entry, "mimetype".
  if (head.find("mimetypeapplication/vnd.oasis.opendocument.text") != std::string_view::npos) {
    return "application/vnd.oasis.opendocument.text";
  }
  if (head.find("mimetypeapplication/vnd.oasis.opendocument.spreadsheet") !=
      std::string_view::npos) {
    return "application/vnd.oasis.opendocument.spreadsheet";
  }
  if (head.find("word/") != std::string_view::npos) {
    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  }
  if (head.find("xl/") != std::string_view::npos) {
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  }
  if (head.find("ppt/") != std::string_view::npos) {
    return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
  }
  return "application/zip";
}

}  // namespace

std::string DetectMediaType(std::string_view head) {
  head = head.substr(0, kMediaTypeSniffBytes);
  if (head.empty()) return "application/octet-stream";
  if (StartsWith(head, "%PDF-")) return "application/pdf";
  if (StartsWith(head, "\x89PNG\r\n\x1A\n")) return "image/png";
  if (StartsWith(head, "\xFF\xD8\xFF")) return "image/jpeg";
  if (StartsWith(head, "GIF87a") || StartsWith(head, "GIF89a")) return "image/gif";
  if (StartsWith(head, std::string_view("II*\0", 4)) ||
      StartsWith(head, std::string_view("MM\0*", 4))) {
    return "image/tiff";
  }
  if (StartsWith(head, "RIFF") && head.substr(8, 4) == "WEBP") return "image/webp";
  if (StartsWith(head, "PK\x03\x04")) return ZipKind(head);
  if (StartsWith(head, "\x1F\x8B")) return "application/gzip";
  if (StartsWith(head, "{\\rtf")) return "application/rtf";
  if (!LooksLikeText(head)) return "application/octet-stream";
  const std::string start = Lower(SkipSpaceAndBom(head).substr(0, 512));
  if (StartsWith(start, "<!doctype html") || StartsWith(start, "<html") ||
      (StartsWith(start, "<?xml") && start.find("<html") != std::string::npos)) {
    return "text/html";
  }
  if (StartsWith(start, "<?xml")) return "application/xml";
  if (StartsWith(start, "{") || StartsWith(start, "[")) return "application/json";
  return "text/plain";
}

}  // namespace quire::dms
