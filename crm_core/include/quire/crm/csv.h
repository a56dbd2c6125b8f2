// Reading the files people export from spreadsheets and other programs: text in the
// encodings Polish offices use (UTF-8 with or without a BOM, UTF-16 with a BOM,
// Windows-1250, ISO-8859-2, Windows-1252), and CSV as RFC 4180 and Excel write it (comma,
// semicolon or tab; quoted fields holding delimiters, quotes and line breaks).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/result.h"

namespace quire::crm {

// The text of `bytes` as UTF-8. `encoding`: "auto" (a BOM, else UTF-8 when it is valid,
// else whichever of Windows-1250 and ISO-8859-2 reads more Polish letters), or a name:
// utf-8, utf-16, windows-1250 (cp1250), iso-8859-2 (latin2), windows-1252 (cp1252),
// iso-8859-1. `used` receives the encoding read. Errors: kInvalidArgument naming the line
// and byte of invalid UTF-8 (when asked for UTF-8), or an unknown encoding.
Result<std::string> DecodeText(std::string_view bytes, std::string_view encoding,
                               std::string* used = nullptr);

struct CsvRow {
  std::size_t line = 0;  // the file's line where the row begins (1-based)
  std::vector<std::string> fields;
};

struct CsvTable {
  char delimiter = ',';
  std::vector<std::string> header;
  std::vector<CsvRow> rows;  // without the header; blank lines left out
};

// `delimiter` 0: the one of , ; and tab that the header line holds most of. The first row
// is the header. Errors: kInvalidArgument for an empty file, or a quoted field still open
// at the end (a truncated file), naming the line where it opened.
Result<CsvTable> ParseCsv(std::string_view text, char delimiter = 0);

// One line of CSV (fields quoted where they need to be), ending in \r\n.
std::string CsvLine(const std::vector<std::string>& fields, char delimiter = ',');
// A text cell as a spreadsheet reads it safely: text that starts like a formula (= + - @, a
// tab or a carriage return) gets a leading ' so that it stays text (OWASP's advice against
// CSV injection). For cells whose text a user chose; not for numbers.
std::string CsvText(std::string text);

}  // namespace quire::crm
