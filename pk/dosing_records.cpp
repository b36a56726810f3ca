#include "pk/dosing_records.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "io/csv.hpp"
#include "io/format.hpp"
#include "io/input_file.hpp"
#include "io/names.hpp"
#include "pk/text_input.hpp"

namespace onset::pk {

namespace {

constexpr std::array<std::string_view, kNumDosingFields> kFieldNames = {
    "ID", "TIME", "EVID", "AMT", "CMT", "RATE", "II", "ADDL", "SS", "DV", "MDV"};

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

// "." or empty: nullopt-as-missing; else the number, or nullopt with *bad set.
std::optional<double> parse_number(const std::string& text, bool* bad) {
  *bad = false;
  if (text.empty() || text == ".") return std::nullopt;
  double value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (*begin == '+') ++begin;
  const auto result = std::from_chars(begin, end, value);
  if (result.ec != std::errc() || result.ptr != end || !std::isfinite(value)) {
    *bad = true;
    return std::nullopt;
  }
  return value;
}

bool is_integer(double value) { return std::floor(value) == value && std::fabs(value) < 1e9; }

}  // namespace

std::string_view dosing_field_name(DosingField field) {
  return kFieldNames[static_cast<size_t>(field)];
}

int DosingData::covariate_index(std::string_view name) const {
  const std::string wanted = upper(name);
  for (size_t k = 0; k < covariate_names.size(); ++k)
    if (upper(covariate_names[k]) == wanted) return static_cast<int>(k);
  return -1;
}

DosingData read_dosing_file(const std::string& path) {
  return dosing_data_from_table(read_dosing_table(path));
}

io::CsvTable read_dosing_table(const std::string& path) {
  try {
    return io::CsvTable::read_file(path, io::nonmem_dialect());
  } catch (const io::InputError& error) {
    throw DosingDataError(error.file(), error.line(), error.column(), error.message());
  }
}

io::CsvTable parse_dosing_table(std::string_view text, const std::string& source) {
  try {
    return io::CsvTable::parse(text, source, io::nonmem_dialect());
  } catch (const io::InputError& error) {
    throw DosingDataError(error.file(), error.line(), error.column(), error.message());
  }
}

DosingData parse_dosing_csv(std::string_view text, const std::string& source) {
  return dosing_data_from_table(parse_dosing_table(text, source));
}

DosingData dosing_data_from_table(const io::CsvTable& table) {
  const std::string& source = table.source_name();
  DosingData data;
  data.source = source;
  data.header_line = table.header_line();

  // Header (names checked by the reader: not empty, not too long, characters, duplicates).
  const std::vector<io::CsvCell>& header = table.header();
  std::array<int, kNumDosingFields> field_index;  // cell index of each field, -1: absent
  field_index.fill(-1);
  std::vector<int> covariate_cells;  // cell index of each covariate column
  bool has_c_column = false;
  for (size_t k = 0; k < header.size(); ++k) {
    const std::string name = upper(header[k].text);
    if (k == 0 && name == "C") {
      has_c_column = true;
      continue;
    }
    const auto known = std::find(kFieldNames.begin(), kFieldNames.end(), name);
    if (known != kFieldNames.end()) {
      field_index[static_cast<size_t>(known - kFieldNames.begin())] = static_cast<int>(k);
    } else {
      covariate_cells.push_back(static_cast<int>(k));
      data.covariate_names.push_back(header[k].text);
      data.covariate_header_columns.push_back(header[k].column);
    }
  }
  if (field_index[1] < 0)
    throw DosingDataError(source, data.header_line, 1,
                          "the data set has no TIME column (NONMEM-style columns: ID, TIME, "
                          "EVID, AMT, CMT, RATE, II, ADDL, SS, DV, MDV)");
  data.first_bad_covariate_cell.assign(covariate_cells.size(), {0, 0});

  std::size_t doses = 0;  // after ADDL expansion
  constexpr size_t id_field = 0, time_field = 1, evid_field = 2, amt_field = 3, cmt_field = 4,
                   rate_field = 5, ii_field = 6, addl_field = 7, ss_field = 8, dv_field = 9,
                   mdv_field = 10;
  for (size_t row = 0; row < table.row_count(); ++row) {
    const int line_number = table.row_line(row);
    // The cell of column `index` on this row, trimmed.
    auto cell_text = [&](size_t index) {
      return std::string(io::trimmed(table.cell(row, index).text));
    };
    if (has_c_column) {
      const std::string first = cell_text(0);
      if (!first.empty() && (first[0] == 'C' || first[0] == 'c')) continue;
    }
    if (data.records.size() >= InputLimits::kMaxRecords)
      throw DosingDataError(source, line_number, 1,
                            "more than " + std::to_string(InputLimits::kMaxRecords) +
                                " records, the limit for one data set: split it by subject");
    DosingRecord record;
    record.line = line_number;
    // Reads field f as a number; nullopt when the column is absent or the cell missing.
    auto number = [&](size_t f) -> std::optional<double> {
      if (field_index[f] < 0) return std::nullopt;
      const auto index = static_cast<size_t>(field_index[f]);
      record.column[f] = table.cell(row, index).column;
      const std::string text = cell_text(index);
      bool bad = false;
      auto value = parse_number(text, &bad);
      if (bad)
        throw DosingDataError(
            source, line_number, record.column[f],
            std::string(kFieldNames[f]) + " must be a number, found '" + io::excerpt(text) + "'");
      return value;
    };
    auto integer = [&](size_t f, int fallback) {
      const auto value = number(f);
      if (!value) return fallback;
      if (!is_integer(*value))
        throw DosingDataError(source, line_number, record.column[f],
                              std::string(kFieldNames[f]) + " must be a whole number, found '" +
                                  io::excerpt(cell_text(static_cast<size_t>(field_index[f]))) +
                                  "'");
      return static_cast<int>(*value);
    };
    auto fail = [&](size_t f, const std::string& message) {
      const int column = record.column[f] > 0 ? record.column[f] : 1;
      throw DosingDataError(source, line_number, column, message);
    };

    if (field_index[id_field] >= 0) {
      const auto index = static_cast<size_t>(field_index[id_field]);
      record.column[id_field] = table.cell(row, index).column;
      record.id = cell_text(index);
      if (record.id.empty() || record.id == ".") fail(id_field, "ID is missing");
      if (record.id.size() > InputLimits::kMaxNameBytes)
        fail(id_field,
             "an ID longer than " + std::to_string(InputLimits::kMaxNameBytes) + " characters");
    } else {
      record.id = "1";
    }
    const auto time = number(time_field);
    if (!time) fail(time_field, "TIME is missing");
    record.time_h = *time;
    record.amount = number(amt_field).value_or(0.0);
    record.rate = number(rate_field).value_or(0.0);
    record.ii_h = number(ii_field).value_or(0.0);
    record.dv = number(dv_field).value_or(std::numeric_limits<double>::quiet_NaN());
    record.cmt = integer(cmt_field, 0);
    record.addl = integer(addl_field, 0);
    record.ss = integer(ss_field, 0);
    record.mdv = integer(mdv_field, 0);
    record.evid = integer(evid_field, record.amount != 0 ? 1 : 0);
    if (record.cmt == 0) record.cmt = 1;

    if (record.evid < 0 || record.evid > 4)
      fail(evid_field,
           "EVID must be 0 (observation), 1 (dose), 2 (other), 3 (reset) or 4 (reset "
           "and dose), found " +
               std::to_string(record.evid));
    if (record.cmt < 0)
      fail(cmt_field, "CMT " + std::to_string(record.cmt) +
                          ": turning a compartment off (negative CMT) is not supported");
    if (record.is_dose()) {
      if (record.amount < 0)
        fail(amt_field, "AMT must not be negative for a dose, found " +
                            cell_text(static_cast<size_t>(field_index[amt_field])));
      if (record.rate < 0 && record.rate != -1 && record.rate != -2)
        fail(rate_field,
             "RATE must be 0 (bolus), > 0 (infusion rate), -1 (modelled rate) or -2 "
             "(modelled duration), found " +
                 cell_text(static_cast<size_t>(field_index[rate_field])));
      if (record.ii_h < 0) fail(ii_field, "II must not be negative");
      if (record.addl < 0) fail(addl_field, "ADDL must not be negative");
      if (record.ss < 0 || record.ss > 2)
        fail(ss_field, "SS must be 0, 1 (reset to steady state) or 2 (add steady state), found " +
                           std::to_string(record.ss));
      const bool constant_infusion = record.amount == 0 && record.rate > 0;
      if (record.ss > 0 && record.ii_h == 0 && !constant_infusion)
        fail(record.column_of(DosingField::kIi) > 0 ? ii_field : ss_field,
             "SS = " + std::to_string(record.ss) +
                 " needs the dosing interval II > 0 (only a constant infusion, AMT = 0 with RATE "
                 "> 0, may have II = 0)");
      if (record.addl > 0 && record.ii_h == 0)
        fail(record.column_of(DosingField::kIi) > 0 ? ii_field : addl_field,
             "ADDL = " + std::to_string(record.addl) + " needs the dosing interval II > 0");
    }
    if (record.is_dose()) {
      // Each dose record stands for 1 + ADDL doses, which the dose engine schedules.
      doses += 1 + static_cast<std::size_t>(record.addl);
      if (doses > RunLimits::kMaxDoses)
        fail(record.addl > 0 ? addl_field : evid_field,
             (record.addl > 0 ? "ADDL = " + std::to_string(record.addl) + " makes " : "makes ") +
                 std::to_string(doses) + " doses in the data set so far, " +
                 limit_message(std::to_string(RunLimits::kMaxDoses) +
                                   " doses per data set once ADDL is expanded",
                               "kMaxDoses",
                               "give ADDL only up to the last time simulated, or split the data "
                               "set by subject"));
    }
    const DosingRecord* previous = data.records.empty() ? nullptr : &data.records.back();
    if (previous && previous->id == record.id && record.time_h < previous->time_h)
      fail(time_field, "TIME goes backwards within subject " + record.id + ": " +
                           cell_text(static_cast<size_t>(field_index[time_field])) + " h after " +
                           std::to_string(previous->time_h) + " h on line " +
                           std::to_string(previous->line) +
                           "; sort each subject's records by time");

    for (size_t k = 0; k < covariate_cells.size(); ++k) {
      const auto index = static_cast<size_t>(covariate_cells[k]);
      const int column = table.cell(row, index).column;
      std::string text = cell_text(index);
      bool bad = false;
      const auto value = parse_number(text, &bad);
      if (bad && data.first_bad_covariate_cell[k][0] == 0)
        data.first_bad_covariate_cell[k] = {line_number, column};
      data.covariates.push_back(bad ? std::numeric_limits<double>::quiet_NaN()
                                    : value.value_or(0.0));
      data.extra_text.push_back(std::move(text));
      data.extra_columns.push_back(column);
    }
    data.records.push_back(std::move(record));
  }
  return data;
}

std::vector<std::array<size_t, 2>> subject_ranges(const DosingData& data) {
  std::vector<std::array<size_t, 2>> ranges;
  for (size_t k = 0; k < data.records.size(); ++k) {
    if (k == 0 || data.records[k].id != data.records[k - 1].id)
      ranges.push_back({k, k + 1});
    else
      ranges.back()[1] = k + 1;
  }
  return ranges;
}

}  // namespace onset::pk
