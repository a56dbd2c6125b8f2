#include "quire/crm/vcard.h"

#include <algorithm>

#include "quire/crm/csv.h"

namespace quire::crm {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string QuotedPrintable(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=' && i + 2 < in.size() && Hex(in[i + 1]) >= 0 && Hex(in[i + 2]) >= 0) {
      out += static_cast<char>(Hex(in[i + 1]) * 16 + Hex(in[i + 2]));
      i += 2;
    } else if (in[i] == '=' && (i + 1 == in.size() || in[i + 1] == '\r' || in[i + 1] == '\n')) {
      // a soft line break
      while (i + 1 < in.size() && (in[i + 1] == '\r' || in[i + 1] == '\n')) ++i;
    } else {
      out += in[i];
    }
  }
  return out;
}

// Splits on unescaped `sep`, then unescapes \n \, \; \\ in each part.
std::vector<std::string> SplitUnescape(std::string_view v, char sep) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '\\' && i + 1 < v.size()) {
      const char n = v[++i];
      parts.back() += (n == 'n' || n == 'N') ? '\n' : n;
    } else if (c == sep) {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

// Physical lines with their numbers, folded ones joined (RFC 6350 3.2: a line break followed
// by a space or tab continues the line; quoted-printable soft breaks — a line ending in '=' —
// continue it too).
struct Line {
  std::size_t number;
  std::string text;
};

std::vector<Line> Unfold(std::string_view bytes) {
  std::vector<Line> lines;
  std::size_t number = 0;
  std::size_t pos = 0;
  bool qp_continues = false;
  while (pos <= bytes.size()) {
    std::size_t end = bytes.find('\n', pos);
    if (end == std::string_view::npos) end = bytes.size();
    std::string_view raw = bytes.substr(pos, end - pos);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    ++number;
    const bool folded = !raw.empty() && (raw[0] == ' ' || raw[0] == '\t') && !lines.empty();
    if (folded) {
      lines.back().text.append(raw.substr(1));
    } else if (qp_continues && !lines.empty()) {
      lines.back().text.append("\n").append(raw);  // QuotedPrintable drops "=\n"
    } else if (!raw.empty()) {
      lines.push_back({number, std::string(raw)});
    }
    if (!lines.empty()) {
      const std::string& t = lines.back().text;
      const std::string head = Upper(t.substr(0, t.find(':')));
      qp_continues =
          !raw.empty() && raw.back() == '=' && (head.find("QUOTED-PRINTABLE") != std::string::npos);
    }
    if (end == bytes.size()) break;
    pos = end + 1;
  }
  return lines;
}

}  // namespace

bool VCardProperty::Has(std::string_view type) const {
  return std::find(types.begin(), types.end(), type) != types.end();
}

const VCardProperty* VCard::Find(std::string_view name) const {
  for (const VCardProperty& p : properties) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Result<std::vector<VCard>> ParseVCards(std::string_view bytes) {
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  std::vector<VCard> cards;
  bool open = false;
  for (const Line& line : Unfold(bytes)) {
    const std::string& t = line.text;
    if (t.find_first_not_of(" \t") == std::string::npos) continue;
    const std::size_t colon = [&] {
      bool quoted = false;
      for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '"') quoted = !quoted;
        if (t[i] == ':' && !quoted) return i;
      }
      return std::string::npos;
    }();
    auto at = [&](const std::string& what) {
      return Error::InvalidArgument("line " + std::to_string(line.number) + ": " + what);
    };
    if (colon == std::string::npos) {
      return at("'" + t.substr(0, 40) + "' is not a property (NAME;PARAMS:VALUE)");
    }
    const std::string head = t.substr(0, colon);
    const std::string raw_value = t.substr(colon + 1);
    if (Upper(head) == "BEGIN" && Upper(raw_value) == "VCARD") {
      if (open) {
        return at("a vCard begins before the one from line " + std::to_string(cards.back().line) +
                  " ended (END:VCARD missing)");
      }
      open = true;
      cards.push_back(VCard{line.number, "", {}});
      continue;
    }
    if (!open) return at("'" + head + "' is outside a vCard (BEGIN:VCARD ... END:VCARD)");
    VCard& card = cards.back();
    if (Upper(head) == "END" && Upper(raw_value) == "VCARD") {
      if (card.version.empty()) {
        return Error::InvalidArgument("line " + std::to_string(card.line) +
                                      ": the vCard has no VERSION (2.1, 3.0 or 4.0)");
      }
      open = false;
      continue;
    }
    // group.NAME;param;param=value
    std::vector<std::string> pieces;
    {
      std::string piece;
      bool quoted = false;
      for (const char c : head) {
        if (c == '"') quoted = !quoted;
        if (c == ';' && !quoted) {
          pieces.push_back(piece);
          piece.clear();
        } else {
          piece += c;
        }
      }
      pieces.push_back(piece);
    }
    VCardProperty p;
    p.line = line.number;
    std::string name = pieces[0];
    if (const auto dot = name.find('.'); dot != std::string::npos) {
      p.group = name.substr(0, dot);
      name = name.substr(dot + 1);
    }
    p.name = Upper(name);
    std::string encoding, charset;
    for (std::size_t i = 1; i < pieces.size(); ++i) {
      const std::string& param = pieces[i];
      const auto eq = param.find('=');
      const std::string key = Upper(eq == std::string::npos ? "TYPE" : param.substr(0, eq));
      std::string value = eq == std::string::npos ? param : param.substr(eq + 1);
      value.erase(std::remove(value.begin(), value.end(), '"'), value.end());
      if (key == "ENCODING") {
        encoding = Upper(value);
      } else if (key == "CHARSET") {
        charset = value;
      } else if (key == "TYPE") {
        std::size_t start = 0;
        while (start <= value.size()) {
          const auto comma = value.find(',', start);
          const std::string type = Lower(
              value.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
          if (type == "quoted-printable" || type == "base64" || type == "b") {
            encoding = Upper(type);
          } else if (!type.empty()) {
            p.types.push_back(type);
          }
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      }
    }
    if (p.name == "VERSION") {
      if (raw_value != "2.1" && raw_value != "3.0" && raw_value != "4.0") {
        return at("VERSION " + raw_value + " is not a vCard version Quire reads (2.1, 3.0, 4.0)");
      }
      card.version = raw_value;
      continue;
    }
    if (encoding == "B" || encoding == "BASE64") {
      p.binary = true;
      p.value = raw_value;
      card.properties.push_back(std::move(p));
      continue;
    }
    std::string value = encoding == "QUOTED-PRINTABLE" ? QuotedPrintable(raw_value) : raw_value;
    // Text is UTF-8 unless a CHARSET says otherwise (vCard 2.1, Outlook's 3.0).
    auto decoded = DecodeText(value, charset.empty() ? "auto" : charset);
    if (!decoded) return at(p.name + ": " + decoded.error().message());
    value = std::move(*decoded);
    const bool structured = p.name == "N" || p.name == "ADR" || p.name == "ORG";
    // vCard 2.1 escapes nothing but ';' in structured values.
    p.parts = SplitUnescape(value, structured ? ';' : '\0');
    p.value = structured ? value : (p.parts.empty() ? std::string() : p.parts.front());
    card.properties.push_back(std::move(p));
  }
  if (open) {
    return Error::InvalidArgument("line " + std::to_string(cards.back().line) +
                                  ": the vCard that begins here never ends (END:VCARD "
                                  "missing: a truncated file?)");
  }
  return cards;
}

std::string EscapeVCardText(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == ',' || c == ';') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c != '\r') {
      out += c;
    }
  }
  return out;
}

std::string FoldVCardLine(std::string_view line) {
  std::string out;
  std::size_t width = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    // Fold at 75 bytes, never inside a UTF-8 sequence.
    if (width >= 74 && (c & 0xC0) != 0x80) {
      out += "\r\n ";
      width = 1;
    }
    out += line[i];
    ++width;
  }
  return out + "\r\n";
}

}  // namespace quire::crm
