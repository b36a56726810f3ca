// The one CSV reader of onset: a comma-separated table read whole into memory, every cell
// remembering its line and column so that a later complaint about it can say file:line:column.
// NONMEM data sets (pk/dosing_records.hpp), NCA tables (nca/dataset.hpp), observation tables and
// tidy tracer data (fits/fit_data.hpp) and covariate tables are all read through it; the
// readers above turn its cells into typed objects and never split text themselves.
//
// Accepted: RFC 4180 quoting ("a, b", "" inside quotes, a line break inside quotes), LF or CRLF
// line ends, a UTF-8 byte order mark at the start (skipped), blank lines (skipped); with
// CsvDialect::comment_lines, a line whose first non-blank character is '#' (skipped). Rejected
// with an io::InputError (file:line:column): an empty file, a file that is UTF-16 or holds NUL
// bytes, bytes that are not UTF-8, a line or file above the limits of io/text_input.hpp, an empty,
// too long or duplicated header name or one with characters outside io::kLabelRule, a row with
// a different number of cells than the header, an unterminated quote, and (unless
// CsvDialect::require_rows is false) a header without rows.
//
// Writing: csv_field quotes a text cell when it must (RFC 4180), for the CSV tables onset
// writes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/input_error.hpp"

namespace onset::io {

// What a table accepts beyond RFC 4180, and how its messages name it.
struct CsvDialect {
  // Lines whose first non-blank character is '#' are comments (NONMEM data sets).
  bool comment_lines = false;
  // Header names compared without regard to case when looking for duplicates (NONMEM's
  // column names are case-insensitive: "AMT" and "amt" are the same column).
  bool case_insensitive_names = false;
  // A header without data rows is an error ("no data rows after the header").
  bool require_rows = true;
  // What the messages call the file: "the file", "the data set".
  std::string noun = "the file";
};

// The dialect of NONMEM-style data sets (pk/dosing_records.hpp, onset fit, onset simulate).
CsvDialect nonmem_dialect();

struct CsvCell {
  std::string text;  // unquoted, surrounding spaces kept (see trimmed())
  int line = 0;      // 1-based line in the file
  int column = 0;    // 1-based character column where the cell starts
};

class CsvTable {
 public:
  // Reads and parses a file; throws InputError (file cannot be opened, or bad CSV).
  static CsvTable read_file(const std::string& path, const CsvDialect& dialect = {});
  // Parses text; `source_name` is used in error messages in place of a file name.
  static CsvTable parse(std::string_view text, const std::string& source_name,
                        const CsvDialect& dialect = {});

  const std::string& source_name() const { return source_name_; }
  const std::vector<CsvCell>& header() const { return header_; }
  std::size_t row_count() const { return rows_.size(); }
  std::size_t column_count() const { return header_.size(); }
  const CsvCell& cell(std::size_t row, std::size_t column) const { return rows_[row][column]; }
  int row_line(std::size_t row) const { return rows_[row].front().line; }
  // Line of the header (after any blank or comment lines before it).
  int header_line() const { return header_.front().line; }

  // Index of the column named `name`: an exact match first, else a unique case-insensitive
  // match; nullopt if neither.
  std::optional<std::size_t> find_column(std::string_view name) const;
  // As find_column, but throws InputError naming the available columns when absent.
  // `role` says what the column is for ("time", "concentration").
  std::size_t require_column(std::string_view name, std::string_view role) const;
  // Gives column `index` a new name (onset fit's --map ROLE=COLUMN); the cell keeps its place.
  void rename_column(std::size_t index, std::string name) { header_[index].text = std::move(name); }

 private:
  std::string source_name_;
  std::vector<CsvCell> header_;
  std::vector<std::vector<CsvCell>> rows_;
};

// `text` without leading and trailing spaces and tabs.
std::string_view trimmed(std::string_view text);

// One cell of a CSV file (RFC 4180): as it is, or in double quotes with its quotes doubled
// when it holds a comma, a quote, a line break, or spaces at either end (which this reader's
// callers trim from unquoted cells).
std::string csv_field(std::string_view text);

}  // namespace onset::io
