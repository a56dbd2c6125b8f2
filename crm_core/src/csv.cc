#include "quire/crm/csv.h"

#include <unicode/ucnv.h>

#include <algorithm>
#include <array>

namespace quire::crm {
namespace {

// The line and the byte within it of offset `at`.
std::string Where(std::string_view text, std::size_t at) {
  const std::size_t line =
      1 + static_cast<std::size_t>(
              std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  const std::size_t start = at == 0 ? 0 : text.rfind('\n', at - 1);
  const std::size_t column = start == std::string_view::npos ? at + 1 : at - start;
  return "line " + std::to_string(line) + ", byte " + std::to_string(column);
}

// The offset of the first byte that is not UTF-8, or npos.
std::size_t InvalidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
    } else {
      return i;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return i;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
    }
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 > 0x8F)) {
      return i;
    }
    i += n + 1;
  }
  return std::string_view::npos;
}

Result<std::string> Convert(std::string_view bytes, const char* from) {
  UErrorCode status = U_ZERO_ERROR;
  std::string out(bytes.size() * 3 + 16, '\0');
  const int32_t n = ucnv_convert("UTF-8", from, out.data(), static_cast<int32_t>(out.size()),
                                 bytes.data(), static_cast<int32_t>(bytes.size()), &status);
  if (U_FAILURE(status)) {
    return Error::InvalidArgument(std::string("the file cannot be read as ") + from + " (" +
                                  u_errorName(status) + ")");
  }
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// How many Polish letters a text holds.
std::size_t PolishLetters(std::string_view utf8) {
  static const std::array<std::string_view, 18> kLetters = {
      "ą", "ć", "ę", "ł", "ń", "ó", "ś", "ź", "ż", "Ą", "Ć", "Ę", "Ł", "Ń", "Ó", "Ś", "Ź", "Ż"};
  std::size_t n = 0;
  for (const std::string_view l : kLetters) {
    for (std::size_t at = utf8.find(l); at != std::string_view::npos; at = utf8.find(l, at + 1)) {
      ++n;
    }
  }
  return n;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.erase(std::remove(out.begin(), out.end(), '_'), out.end());
  return out;
}

}  // namespace

Result<std::string> DecodeText(std::string_view bytes, std::string_view encoding,
                               std::string* used) {
  const std::string name = Lower(encoding);
  auto set = [&](const char* e) {
    if (used != nullptr) *used = e;
  };
  const bool bom8 = bytes.starts_with("\xEF\xBB\xBF");
  const bool bom16le = bytes.starts_with("\xFF\xFE");
  const bool bom16be = bytes.starts_with("\xFE\xFF");
  auto utf8 = [&](std::string_view text) -> Result<std::string> {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    if (const std::size_t bad = InvalidUtf8(text); bad != std::string_view::npos) {
      return Error::InvalidArgument(
          "the file is not UTF-8: " + Where(text, bad) +
          " is not a character in UTF-8 (give its encoding, e.g. --encoding windows-1250)");
    }
    set("utf-8");
    return std::string(text);
  };
  if (name == "auto" || name.empty()) {
    if (bom16le || bom16be) {
      set("utf-16");
      return Convert(bytes, "UTF-16");
    }
    if (bom8 || InvalidUtf8(bytes) == std::string_view::npos) return utf8(bytes);
    // Not UTF-8: a Polish spreadsheet saved by Windows (1250), or by an older Unix (8859-2).
    QUIRE_ASSIGN_OR_RETURN(std::string win, Convert(bytes, "windows-1250"));
    QUIRE_ASSIGN_OR_RETURN(std::string latin2, Convert(bytes, "ISO-8859-2"));
    if (PolishLetters(latin2) > PolishLetters(win)) {
      set("iso-8859-2");
      return latin2;
    }
    set("windows-1250");
    return win;
  }
  if (name == "utf-8" || name == "utf8") return utf8(bytes);
  struct Known {
    std::string_view name;
    const char* icu;
  };
  static const std::array<Known, 10> kKnown = {{{"utf-16", "UTF-16"},
                                                {"windows-1250", "windows-1250"},
                                                {"cp1250", "windows-1250"},
                                                {"iso-8859-2", "ISO-8859-2"},
                                                {"latin2", "ISO-8859-2"},
                                                {"windows-1252", "windows-1252"},
                                                {"cp1252", "windows-1252"},
                                                {"iso-8859-1", "ISO-8859-1"},
                                                {"latin1", "ISO-8859-1"},
                                                {"iso-8859-15", "ISO-8859-15"}}};
  for (const Known& k : kKnown) {
    if (k.name == name) {
      std::string_view text = bytes;
      set(k.icu);
      return Convert(text, k.icu);
    }
  }
  return Error::InvalidArgument("'" + std::string(encoding) +
                                "' is not an encoding Quire reads: auto, utf-8, utf-16, "
                                "windows-1250, iso-8859-2, windows-1252, iso-8859-1");
}

Result<CsvTable> ParseCsv(std::string_view text, char delimiter) {
  CsvTable table;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Error::InvalidArgument("the file is empty: a CSV file starts with a header line");
  }
  if (delimiter == 0) {
    std::array<std::size_t, 3> counts{};
    bool quoted = false;
    for (const char c : text) {
      if (c == '"') quoted = !quoted;
      if (quoted) continue;
      if (c == '\n') break;
      if (c == ',') ++counts[0];
      if (c == ';') ++counts[1];
      if (c == '\t') ++counts[2];
    }
    delimiter = ',';
    if (counts[1] > counts[0] && counts[1] >= counts[2]) delimiter = ';';
    if (counts[2] > counts[0] && counts[2] > counts[1]) delimiter = '\t';
  }
  table.delimiter = delimiter;

  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  std::size_t line = 1;
  row.line = 1;
  bool in_quotes = false, field_started = false, was_quoted = false;
  std::size_t quote_line = 0;
  auto end_field = [&] {
    row.fields.push_back(std::move(field));
    field.clear();
    field_started = was_quoted = false;
  };
  auto end_row = [&] {
    end_field();
    const bool blank = row.fields.size() == 1 && row.fields[0].empty();
    if (!blank) rows.push_back(std::move(row));
    row = CsvRow{};
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      in_quotes = was_quoted = field_started = true;
      quote_line = line;
    } else if (c == delimiter) {
      end_field();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;  // the \n ends the row
    } else if (c == '\n' || c == '\r') {
      ++line;
      end_row();
      row.line = line;
    } else {
      // Text after a closing quote, or a quote inside an unquoted field: kept as it is, as
      // spreadsheets read it.
      field += c;
      field_started = true;
    }
  }
  if (in_quotes) {
    return Error::InvalidArgument("line " + std::to_string(quote_line) +
                                  ": a quoted field opens here and never closes — the file "
                                  "is truncated, or a quote inside a field is not doubled (\"\")");
  }
  if (field_started || !row.fields.empty() || !field.empty()) end_row();
  if (rows.empty()) {
    return Error::InvalidArgument("the file is empty: a CSV file starts with a header line");
  }
  table.header = std::move(rows.front().fields);
  for (std::string& h : table.header) {
    const auto b = h.find_first_not_of(" \t");
    const auto e = h.find_last_not_of(" \t");
    h = b == std::string::npos ? "" : h.substr(b, e - b + 1);
  }
  table.rows.assign(std::make_move_iterator(rows.begin() + 1), std::make_move_iterator(rows.end()));
  return table;
}

std::string CsvText(std::string text) {
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                        text[0] == '\t' || text[0] == '\r')) {
    text.insert(text.begin(), '\'');
  }
  return text;
}

std::string CsvLine(const std::vector<std::string>& fields, char delimiter) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += delimiter;
    const std::string& f = fields[i];
    if (f.find_first_of(std::string("\"\r\n") + delimiter) == std::string::npos) {
      out += f;
      continue;
    }
    out += '"';
    for (const char c : f) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  return out + "\r\n";
}

}  // namespace quire::crm
