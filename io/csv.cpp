#include "io/csv.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>

#include "io/input_file.hpp"
#include "io/names.hpp"
#include "io/text_input.hpp"

namespace onset::io {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Splits text into records of cells. Blank lines are skipped.
std::vector<std::vector<CsvCell>> split_records(std::string_view text, const std::string& source,
                                                const CsvDialect& dialect) {
  std::vector<std::vector<CsvCell>> records;
  std::vector<CsvCell> record;
  CsvCell cell;
  int line = 1;
  int column = 1;
  bool in_quotes = false;
  bool cell_started = false;  // any character (or quote) seen for the current cell
  bool record_has_content = false;
  int quote_line = 0;
  int quote_column = 0;
  cell.line = 1;
  cell.column = 1;

  std::size_t cell_count = 0;
  auto finish_cell = [&]() {
    if (++cell_count > InputLimits::kMaxCells) {
      throw InputError(source, cell.line, cell.column,
                       "more than " + std::to_string(InputLimits::kMaxCells) +
                           " cells, the limit for one table");
    }
    record.push_back(std::move(cell));
    cell = CsvCell{};
    cell_started = false;
  };
  auto finish_record = [&]() {
    if (record_has_content) records.push_back(std::move(record));
    record.clear();
    record_has_content = false;
  };

  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell.text += '"';
          ++i;
          column += 2;
          continue;
        }
        in_quotes = false;
        ++column;
        continue;
      }
      cell.text += ch;
      if (ch == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
      continue;
    }
    if (!cell_started && cell.text.empty()) {
      cell.line = line;
      cell.column = column;
    }
    // A comment line: '#' before anything else of the record (spaces aside).
    if (ch == '#' && dialect.comment_lines && record.empty() && !record_has_content) {
      while (i + 1 < text.size() && text[i + 1] != '\n' && text[i + 1] != '\r') ++i;
      cell = CsvCell{};
      cell_started = false;
      continue;
    }
    if (ch == '"') {
      in_quotes = true;
      cell_started = true;
      record_has_content = true;
      quote_line = line;
      quote_column = column;
      ++column;
    } else if (ch == ',') {
      record_has_content = true;
      finish_cell();
      ++column;
      cell.line = line;
      cell.column = column;
    } else if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++column;  // the '\n' ends the record
    } else if (ch == '\n' || ch == '\r') {
      if (record_has_content) {  // a line of spaces and tabs only is blank
        finish_cell();
      } else {
        cell = CsvCell{};
      }
      finish_record();
      ++line;
      column = 1;
      cell.line = line;
      cell.column = 1;
    } else {
      if (ch != ' ' && ch != '\t') record_has_content = true;
      cell.text += ch;
      cell_started = true;
      ++column;
    }
  }
  if (in_quotes) {
    throw InputError(source, quote_line, quote_column,
                     "unterminated quoted cell: expected a closing '\"'");
  }
  if (record_has_content) {
    finish_cell();
    finish_record();
  }
  return records;
}

}  // namespace

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

CsvDialect nonmem_dialect() {
  CsvDialect dialect;
  dialect.comment_lines = true;
  dialect.case_insensitive_names = true;
  dialect.require_rows = false;
  dialect.noun = "the data set";
  return dialect;
}

CsvTable CsvTable::read_file(const std::string& path, const CsvDialect& dialect) {
  std::string contents;
  const std::string why = read_text_file(path, &contents, InputLimits::kMaxFileBytes);
  if (!why.empty()) throw InputError(path, 0, 0, dialect.noun + " " + why);
  return parse(contents, path, dialect);
}

CsvTable CsvTable::parse(std::string_view text, const std::string& source_name,
                         const CsvDialect& dialect) {
  const std::string& noun = dialect.noun;
  static constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  if (text.size() >= 2 && (static_cast<unsigned char>(text[0]) == 0xFF ||
                           static_cast<unsigned char>(text[0]) == 0xFE)) {
    throw InputError(source_name, 1, 1,
                     noun + " looks UTF-16 encoded: expected UTF-8 or ASCII text");
  }
  if (text.find('\0') != std::string_view::npos) {
    throw InputError(source_name, 0, 0, noun + " contains NUL bytes: expected a text CSV file");
  }
  if (text.size() > InputLimits::kMaxFileBytes) {
    throw InputError(source_name, 0, 0,
                     noun + " is larger than the limit of " +
                         std::to_string(InputLimits::kMaxFileBytes >> 20) + " MB");
  }
  if (const auto bad = find_invalid_utf8(text)) {
    throw InputError(source_name, bad->line, bad->column, describe_invalid_utf8(*bad));
  }
  if (const auto long_line = find_long_line(text)) {
    throw InputError(source_name, long_line->line, 1, describe_long_line());
  }

  CsvTable table;
  table.source_name_ = source_name;
  auto records = split_records(text, source_name, dialect);
  if (records.empty()) {
    throw InputError(source_name, 1, 1, noun + " is empty: expected a header line of column names");
  }
  if (records.size() > InputLimits::kMaxRecords + 1) {
    throw InputError(
        source_name, records[InputLimits::kMaxRecords + 1].front().line, 1,
        "more than " + std::to_string(InputLimits::kMaxRecords) + " rows, the limit for one table");
  }
  if (records.front().size() > InputLimits::kMaxColumns) {
    throw InputError(source_name, records.front().front().line, 1,
                     "more than " + std::to_string(InputLimits::kMaxColumns) +
                         " columns, the limit for one table");
  }
  table.header_ = std::move(records.front());
  for (std::size_t c = 0; c < table.header_.size(); ++c) {
    CsvCell& name = table.header_[c];
    name.text = std::string(trimmed(name.text));
    if (name.text.empty()) {
      throw InputError(source_name, name.line, name.column,
                       "empty column name in the header (column " + std::to_string(c + 1) + ")");
    }
    if (name.text.size() > InputLimits::kMaxNameBytes) {
      throw InputError(source_name, name.line, name.column,
                       "a column name longer than " + std::to_string(InputLimits::kMaxNameBytes) +
                           " characters");
    }
    if (const std::string problem = io::label_problem(name.text); !problem.empty())
      throw InputError(source_name, name.line, name.column,
                       "column name '" + io::excerpt(name.text) + "': " + problem + " (expected " +
                           io::kLabelRule + ")");
    for (std::size_t d = 0; d < c; ++d) {
      const std::string& other = table.header_[d].text;
      if (dialect.case_insensitive_names ? iequals(other, name.text) : other == name.text) {
        throw InputError(source_name, name.line, name.column,
                         "duplicate column name '" + name.text +
                             "' in the header (also at column " +
                             std::to_string(table.header_[d].column) + ")");
      }
    }
  }
  if (records.size() == 1 && dialect.require_rows) {
    throw InputError(source_name, table.header_.front().line + 1, 1,
                     "no data rows after the header");
  }
  for (std::size_t r = 1; r < records.size(); ++r) {
    auto& row = records[r];
    if (row.size() != table.header_.size()) {
      throw InputError(source_name, row.front().line, 1,
                       "expected " + std::to_string(table.header_.size()) +
                           " comma-separated cells (as in the header), found " +
                           std::to_string(row.size()));
    }
    table.rows_.push_back(std::move(row));
  }
  return table;
}

std::optional<std::size_t> CsvTable::find_column(std::string_view name) const {
  for (std::size_t c = 0; c < header_.size(); ++c) {
    if (header_[c].text == name) return c;
  }
  std::optional<std::size_t> found;
  for (std::size_t c = 0; c < header_.size(); ++c) {
    if (iequals(header_[c].text, name)) {
      if (found) return std::nullopt;  // ambiguous
      found = c;
    }
  }
  return found;
}

std::size_t CsvTable::require_column(std::string_view name, std::string_view role) const {
  if (auto index = find_column(name)) return *index;
  std::string available;
  for (const auto& column : header_) {
    if (!available.empty()) available += ", ";
    available += "'" + column.text + "'";
  }
  throw InputError(source_name_, header_.front().line, 0,
                   "no column '" + std::string(name) + "' for the " + std::string(role) +
                       "; the header has " + available);
}

std::string csv_field(std::string_view text) {
  const bool padded = !text.empty() && (text.front() == ' ' || text.front() == '\t' ||
                                        text.back() == ' ' || text.back() == '\t');
  if (!padded && text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char ch : text) {
    if (ch == '"') quoted += '"';
    quoted += ch;
  }
  return quoted + "\"";
}

}  // namespace onset::io
