#include "nca/dataset.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "io/format.hpp"
#include "nca/input_error.hpp"

namespace onset::nca {

using io::CsvCell;
using io::CsvTable;
using io::trimmed;
using onset::format_number;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);

bool is_missing_token(std::string_view text) {
  return text.empty() || text == "." || text == "NA" || text == "NaN" || text == "nan";
}

bool is_blq_token(std::string_view text) {
  return text == "BLQ" || text == "BQL" || text == "BLOQ" || text == "blq" || text == "bql" ||
         text == "LLOQ" || (!text.empty() && text.front() == '<');
}

std::optional<double> to_number(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// Reads the cells of one table with the column names resolved once.
class CellReader {
 public:
  explicit CellReader(const CsvTable& table) : table_(table) {}

  [[noreturn]] void fail(const CsvCell& cell, const std::string& message) const {
    throw InputError(table_.source_name(), cell.line, cell.column, message);
  }

  std::string column_name(std::size_t column) const { return table_.header()[column].text; }

  // A finite number; throws with the location otherwise.
  double number(std::size_t row, std::size_t column, std::string_view what) const {
    const CsvCell& cell = table_.cell(row, column);
    const std::string_view text = trimmed(cell.text);
    if (auto value = to_number(text)) return *value;
    std::string found = "an empty cell";
    if (!text.empty()) {
      found.assign(1, '\'');
      found.append(text);
      found.push_back('\'');
    }
    fail(cell, "expected a number (" + std::string(what) + ") in column '" + column_name(column) +
                   "', found " + found);
  }

  // A number, or nullopt for a missing cell.
  std::optional<double> optional_number(std::size_t row, std::size_t column,
                                        std::string_view what) const {
    if (is_missing_token(trimmed(table_.cell(row, column).text))) return std::nullopt;
    return number(row, column, what);
  }

  const CsvCell& cell(std::size_t row, std::size_t column) const {
    return table_.cell(row, column);
  }

 private:
  const CsvTable& table_;
};

struct RowValues {
  std::string subject;
  std::string group;
  double time = 0;
  double conc = kNaN;
  bool blq = false;
  double dose = kNaN;
  int line = 0;
};

std::vector<RowValues> read_rows(const CsvTable& table, const DatasetOptions& options,
                                 bool subject_required) {
  const NcaColumns& columns = options.columns;
  CellReader reader(table);
  if (subject_required && columns.subject.empty()) {
    throw InputError(table.source_name(), 0, 0, "no subject column given (--subject)");
  }
  if (columns.time.empty()) throw InputError(table.source_name(), 0, 0, "no time column given");
  if (columns.concentration.empty()) {
    throw InputError(table.source_name(), 0, 0, "no concentration column given");
  }
  // kAbsent for optional columns not given (std::optional here trips GCC 12's
  // -Wmaybe-uninitialized).
  auto optional_column = [&table](const std::string& name, std::string_view role) {
    return name.empty() ? kAbsent : table.require_column(name, role);
  };
  const std::size_t subject_column = optional_column(columns.subject, "subject");
  const std::size_t time_column = table.require_column(columns.time, "time");
  const std::size_t conc_column = table.require_column(columns.concentration, "concentration");
  const std::size_t dose_column = optional_column(columns.dose, "dose");
  const std::size_t lloq_column = optional_column(columns.lloq, "LLOQ");
  const std::size_t group_column = optional_column(columns.group, "group");
  if (options.dose && !(*options.dose > 0)) {
    throw InputError(table.source_name(), 0, 0,
                     "the dose must be > 0, got " + format_number(*options.dose));
  }
  if (options.lloq && !(*options.lloq >= 0)) {
    throw InputError(table.source_name(), 0, 0,
                     "the LLOQ must be >= 0, got " + format_number(*options.lloq));
  }

  std::vector<RowValues> rows;
  rows.reserve(table.row_count());
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    RowValues row;
    row.line = table.row_line(r);
    if (subject_column != kAbsent) {
      const CsvCell& cell = reader.cell(r, subject_column);
      row.subject = std::string(trimmed(cell.text));
      if (row.subject.empty()) {
        reader.fail(cell, "empty subject identifier in column '" +
                              reader.column_name(subject_column) + "'");
      }
    }
    if (group_column != kAbsent) {
      const CsvCell& cell = reader.cell(r, group_column);
      row.group = std::string(trimmed(cell.text));
      if (row.group.empty()) {
        reader.fail(cell, "empty group in column '" + reader.column_name(group_column) + "'");
      }
    }
    row.time = reader.number(r, time_column, "time");

    const CsvCell& conc_cell = reader.cell(r, conc_column);
    const std::string_view conc_text = trimmed(conc_cell.text);
    if (is_blq_token(conc_text)) {
      row.blq = true;
    } else if (!is_missing_token(conc_text)) {
      row.conc = reader.number(r, conc_column, "concentration");
      if (row.conc < 0) {
        reader.fail(conc_cell, "negative concentration " + std::string(conc_text) + " in column '" +
                                   reader.column_name(conc_column) +
                                   "': expected a value >= 0, BLQ, or empty for missing");
      }
    }

    std::optional<double> lloq = options.lloq;
    if (lloq_column != kAbsent) {
      if (auto value = reader.optional_number(r, lloq_column, "LLOQ")) {
        if (*value < 0) reader.fail(reader.cell(r, lloq_column), "negative LLOQ");
        lloq = value;
      }
    }
    if (!row.blq && lloq && row.conc == row.conc && row.conc < *lloq) row.blq = true;

    if (dose_column != kAbsent) {
      if (auto value = reader.optional_number(r, dose_column, "dose")) {
        if (!(*value > 0)) {
          reader.fail(reader.cell(r, dose_column), "expected a dose > 0 in column '" +
                                                       reader.column_name(dose_column) +
                                                       "', found " + format_number(*value));
        }
        row.dose = *value;
      }
    } else if (options.dose) {
      row.dose = *options.dose;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

std::vector<Profile> read_profiles(const CsvTable& table, const DatasetOptions& options) {
  const std::vector<RowValues> rows = read_rows(table, options, true);
  std::vector<Profile> profiles;
  std::map<std::pair<std::string, std::string>, std::size_t> index;  // (group, subject)
  std::vector<int> dose_line;
  for (const RowValues& row : rows) {
    const auto key = std::make_pair(row.group, row.subject);
    auto found = index.find(key);
    if (found == index.end()) {
      found = index.emplace(key, profiles.size()).first;
      Profile profile;
      profile.subject = row.subject;
      profile.group = row.group;
      profiles.push_back(std::move(profile));
      dose_line.push_back(0);
    }
    Profile& profile = profiles[found->second];
    const std::string who = "subject '" + row.subject + "'" +
                            (row.group.empty() ? "" : " in group '" + row.group + "'");
    if (!profile.samples.empty()) {
      const Sample& previous = profile.samples.back();
      if (row.time == previous.time) {
        throw InputError(table.source_name(), row.line, 0,
                         "duplicate time " + format_number(row.time) + " for " + who +
                             " (also on line " + std::to_string(previous.line) +
                             "): expected one sample per time");
      }
      if (row.time < previous.time) {
        throw InputError(table.source_name(), row.line, 0,
                         "time " + format_number(row.time) + " for " + who + " is earlier than " +
                             format_number(previous.time) + " on line " +
                             std::to_string(previous.line) +
                             ": expected the rows of each subject sorted by time");
      }
    }
    if (row.dose == row.dose) {
      if (profile.dose == profile.dose && profile.dose != row.dose) {
        throw InputError(table.source_name(), row.line, 0,
                         "dose " + format_number(row.dose) + " for " + who + " differs from " +
                             format_number(profile.dose) + " on line " +
                             std::to_string(dose_line[found->second]) +
                             ": expected a single dose per subject");
      }
      if (profile.dose != profile.dose) dose_line[found->second] = row.line;
      profile.dose = row.dose;
    }
    profile.samples.push_back({row.time, row.conc, row.blq, row.line});
  }
  return profiles;
}

std::vector<SparseObservation> read_sparse_observations(const CsvTable& table,
                                                        const DatasetOptions& options) {
  const std::vector<RowValues> rows = read_rows(table, options, false);
  std::vector<SparseObservation> observations;
  std::map<std::tuple<std::string, std::string, double>, int> seen;
  for (const RowValues& row : rows) {
    if (!row.subject.empty()) {
      const auto key = std::make_tuple(row.group, row.subject, row.time);
      if (auto found = seen.find(key); found != seen.end()) {
        throw InputError(table.source_name(), row.line, 0,
                         "animal '" + row.subject + "' sampled twice at time " +
                             format_number(row.time) + " (also on line " +
                             std::to_string(found->second) + ")");
      }
      seen.emplace(key, row.line);
    }
    SparseObservation observation;
    observation.group = row.group;
    observation.animal = row.subject;
    observation.time = row.time;
    observation.conc = row.conc;
    observation.blq = row.blq;
    observation.dose = row.dose;
    observation.line = row.line;
    observations.push_back(std::move(observation));
  }
  return observations;
}

}  // namespace onset::nca
