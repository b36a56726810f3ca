// NONMEM-style dosing records: who got what and when, from a CSV data set read by io's one CSV
// reader (io/csv.hpp, its NONMEM dialect).
//
// Columns (names case-insensitive, any order): ID, TIME, EVID, AMT, CMT, RATE, II, ADDL, SS,
// DV, MDV. Only TIME is required; a missing ID means one subject, a missing EVID means
// "1 if AMT is not 0, else 0", a missing CMT means compartment 1. "." or an empty cell is 0 (DV:
// missing). Every other column is a per-row covariate, passed to a model by name through
// Model::covariates(). A first column named C drops every row whose C cell starts with "C"
// (NONMEM's IGNORE=C); a row whose first cell starts with "#" is a comment.
//
// The reader checks what it can without a model (each problem is a DosingDataError with
// file:line:column): numbers, EVID in 0-4, a negative AMT, RATE other than > 0, 0, -1, -2,
// SS in 0-2 and SS without II, ADDL without II, a time going backwards within a subject.
// What needs the model (the compartment exists, RATE = -1 has a modelled rate...) is
// checked when the records are simulated (pk/dosing_simulate.hpp), with the same kind of
// error.
#pragma once

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/csv.hpp"
#include "pk/user_error.hpp"

namespace onset::pk {

// Bad input in a data set: where (file:line:column, 1-based; 0 = not applicable) and what.
class DosingDataError : public FileError {
 public:
  DosingDataError(std::string file, int line, int column, std::string message)
      : FileError(std::move(file), line, column, std::move(message)) {}

  // The message without the location prefix.
  const std::string& message() const { return problem(); }
};

// The standard NONMEM fields, in the order of DosingRecord::column.
enum class DosingField { kId, kTime, kEvid, kAmt, kCmt, kRate, kIi, kAddl, kSs, kDv, kMdv };
inline constexpr int kNumDosingFields = 11;
// Upper-case name of a field ("RATE").
std::string_view dosing_field_name(DosingField field);

// One kept row of the data set.
struct DosingRecord {
  int line = 0;       // 1-based line in the file
  std::string id;     // ID as written (trimmed); "1" when the data set has no ID column
  double time_h = 0;  // TIME, hours
  int evid = 0;       // 0 observation, 1 dose, 2 other, 3 reset, 4 reset and dose
  double amount = 0;  // AMT, in the receiving state's unit
  int cmt = 1;        // CMT as written: 1-based compartment number
  double rate = 0;    // RATE: 0 bolus, > 0 infusion rate (amount/h), -1 modelled rate,
                      // -2 modelled duration
  double ii_h = 0;    // II: dosing interval, hours
  int addl = 0;       // ADDL: additional doses every II after this one
  int ss = 0;         // SS: 0 none, 1 reset to steady state then dose, 2 add steady state
  double dv = 0;      // DV; NaN when missing
  int mdv = 0;        // MDV
  // 1-based character column of each standard field's cell on this line (0: no such column),
  // indexed by DosingField, for messages about this record.
  std::array<int, kNumDosingFields> column{};

  int column_of(DosingField field) const { return column[static_cast<size_t>(field)]; }
  bool is_dose() const { return evid == 1 || evid == 4; }
  bool is_reset() const { return evid == 3 || evid == 4; }
};

struct DosingData {
  std::string source;                         // file name (or a label) for messages
  int header_line = 1;                        // line of the header in the file
  std::vector<std::string> covariate_names;   // the extra columns, as written in the header
  std::vector<int> covariate_header_columns;  // 1-based character column of each in the header
  std::vector<DosingRecord> records;          // kept rows, in file order
  // Row-major records x covariate_names; "." or empty is 0 (NONMEM), a cell that is not a
  // number is NaN (an error only if a model reads that column: see first_bad_covariate_cell).
  std::vector<double> covariates;
  // Per covariate column: line and column of its first non-numeric cell ({0, 0}: none).
  std::vector<std::array<int, 2>> first_bad_covariate_cell;
  // The extra columns as text, row-major records x covariate_names (trimmed, unquoted), and
  // the 1-based character column of each cell: what is not a number (observable names, BLQ
  // flags, "." for not given) for the readers above (fits/fit_data.hpp).
  std::vector<std::string> extra_text;
  std::vector<int> extra_columns;

  size_t num_covariates() const { return covariate_names.size(); }
  double covariate(size_t record, size_t index) const {
    return covariates[record * covariate_names.size() + index];
  }
  // Index of a covariate column by case-insensitive name; -1 if absent.
  int covariate_index(std::string_view name) const;
  // The text and the character column of extra column `index` on record `record`.
  const std::string& text(size_t record, size_t index) const {
    return extra_text[record * covariate_names.size() + index];
  }
  int cell_column(size_t record, size_t index) const {
    return extra_columns[record * covariate_names.size() + index];
  }
};

// Reads a data set from a file; throws DosingDataError (cannot open, bad cell, bad record).
DosingData read_dosing_file(const std::string& path);
// Parses CSV text; `source` names it in messages.
DosingData parse_dosing_csv(std::string_view text, const std::string& source);
// The table of a data set, read by io's CSV reader in its NONMEM dialect (comment lines,
// case-insensitive column names, a header alone allowed); its errors as DosingDataError.
io::CsvTable read_dosing_table(const std::string& path);
io::CsvTable parse_dosing_table(std::string_view text, const std::string& source);
// The records of a table already read (as read_dosing_table gives it).
DosingData dosing_data_from_table(const io::CsvTable& table);

// Subjects are runs of consecutive records with the same ID (as NONMEM: a new ID starts a
// new individual). Returns [begin, end) record index pairs, in file order.
std::vector<std::array<size_t, 2>> subject_ranges(const DosingData& data);

}  // namespace onset::pk
