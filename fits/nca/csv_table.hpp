// A comma-separated table read whole into memory, every cell remembering its line and column so
// that a later complaint about it can say file:line:column.
//
// Accepted: RFC 4180 quoting ("a, b" and "" inside quotes), LF or CRLF line ends, a UTF-8 byte
// order mark at the start (skipped), blank lines (skipped). Rejected with an InputError: an empty
// file, an empty or duplicated header name, a row with a different number of cells than the
// header, an unterminated quote.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onset::fits {

struct CsvCell {
  std::string text;  // unquoted, surrounding spaces kept (see trimmed())
  int line = 0;      // 1-based line in the file
  int column = 0;    // 1-based character column where the cell starts
};

class CsvTable {
 public:
  // Reads and parses a file; throws InputError (file cannot be opened, or bad CSV).
  static CsvTable read_file(const std::string& path);
  // Parses text; `source_name` is used in error messages in place of a file name.
  static CsvTable parse(std::string_view text, const std::string& source_name);

  const std::string& source_name() const { return source_name_; }
  const std::vector<CsvCell>& header() const { return header_; }
  std::size_t row_count() const { return rows_.size(); }
  std::size_t column_count() const { return header_.size(); }
  const CsvCell& cell(std::size_t row, std::size_t column) const { return rows_[row][column]; }
  int row_line(std::size_t row) const { return rows_[row].front().line; }

  // Index of the column named `name`: an exact match first, else a unique case-insensitive
  // match; nullopt if neither.
  std::optional<std::size_t> find_column(std::string_view name) const;
  // As find_column, but throws InputError naming the available columns when absent.
  // `role` says what the column is for ("time", "concentration").
  std::size_t require_column(std::string_view name, std::string_view role) const;

 private:
  std::string source_name_;
  std::vector<CsvCell> header_;
  std::vector<std::vector<CsvCell>> rows_;
};

// `text` without leading and trailing spaces and tabs.
std::string_view trimmed(std::string_view text);

}  // namespace onset::fits
