// The facade the R package (r/) and the Python module (python/) call: onset's libraries in a
// few functions over plain types, built as one shared library (libonset_api.so) so that
// neither binding needs onset's own dependencies' headers. Nothing here starts a process or
// runs the `onset` command: every function calls the libraries directly.
//
// Errors: bad input of any kind (a model file, a data set or table, an option, a claim) is an
// onset::UserError (io/user_error.hpp) whose what() is the CLI's message, with file:line:column
// where there is one; a simulation or fit that fails numerically is an api::AnalysisError.
// The bindings turn both into their language's errors with the same text.
//
// Results that the CLI prints as JSON (check, nca) come back as the very JSON the CLI writes
// (the same library function builds it), so every number is the CLI's. Fits come back as
// columnar JSON (each table an object of equal-length arrays) that both bindings turn into
// data frames. Simulations come back as plain arrays (no JSON): the bindings copy them into
// R vectors or NumPy arrays.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/user_error.hpp"

namespace onset::models {
class FileModel;
}

namespace onset::api {

// A simulation or fit that could not be carried out numerically (the CLI's exit code 1).
class AnalysisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One column of a table handed over by R or Python: numbers (NaN: a missing cell) or text.
struct Column {
  std::string name;
  bool is_text = false;
  std::vector<double> numbers;     // when !is_text
  std::vector<std::string> texts;  // when is_text
  size_t size() const { return is_text ? texts.size() : numbers.size(); }
};

// A data set: a CSV file, or a table from R or Python. `source` names the table in messages
// ("data frame 'doses'"); a bad cell is reported as "SOURCE, row R, column NAME: error: ...".
struct DataInput {
  std::string path;  // a CSV file; used when `columns` is empty
  std::string source;
  std::vector<Column> columns;
  bool is_table() const { return !columns.empty(); }
};

// CSV text of a table: a header, numbers with 17 significant digits (they read back to the
// same double), NaN as an empty cell, text quoted as RFC 4180 when it needs it. Throws
// UserError for columns of different lengths or a bad name.
std::string table_to_csv(const DataInput& table);

// A loaded model: a library name or a model file (YAML). Nothing is compiled: the file's
// expressions are parsed by muparser when it is read.
class Model {
 public:
  // Throws ModelFileError (a UserError with file:line:column) for a bad file, an unknown name.
  explicit Model(const std::string& name_or_path);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& name_or_path() const { return name_or_path_; }
  std::string name() const;
  std::string description() const;
  std::string equations() const;
  std::string source() const;  // the file's path, or "library:NAME"

  std::vector<std::string> parameter_names() const;
  std::vector<std::string> parameter_units() const;
  std::vector<double> parameter_values() const;  // the defaults
  std::vector<double> parameter_lower() const;
  std::vector<double> parameter_upper() const;
  std::vector<std::string> state_names() const;
  std::vector<std::string> state_units() const;
  std::vector<std::string> observable_names() const;
  std::vector<std::string> observable_units() const;

  const models::FileModel& file_model() const { return *model_; }

 private:
  std::string name_or_path_;
  std::unique_ptr<models::FileModel> model_;
};

// Names of the library models, sorted (`onset models`).
std::vector<std::string> library_models();

struct SimulateOptions {
  // Parameter values by name (others: the model's defaults); each within the model's bounds.
  std::map<std::string, double> params;
  // Output times (hours) for every subject; empty: one row per record of the data set.
  std::vector<double> times_h;
  // With times_h: also one row per record.
  bool with_records = false;
  std::string backend = "auto";
  std::optional<double> rtol;
  std::optional<double> atol;
};

// One row per output: rows of subject 0, then subject 1, ... (as `onset simulate`).
struct Simulation {
  std::vector<std::string> subject_ids;  // distinct IDs, in data order
  std::vector<int> subject;              // per row: index into subject_ids
  std::vector<double> time_h;            // per row
  std::vector<std::string> observable_names;
  std::vector<std::string> observable_units;
  std::vector<double> values;  // column-major: observable j is values[j * rows, (j + 1) * rows)
  std::string backend_used;
  std::string backend_reason;
  size_t rows() const { return time_h.size(); }
};

// Simulates the model over NONMEM-style dosing records (pk/dosing_records.hpp columns), as
// `onset simulate MODEL --data FILE [--param ...] [--times ...]`, with the same checks.
// Throws UserError (bad records, parameters, options) or AnalysisError (solver failure).
Simulation simulate(const Model& model, const DataInput& doses, const SimulateOptions& options);

struct FitRequest {
  std::string model;  // library name or model file
  DataInput data;     // NONMEM-style data with DV (a CSV file or a table)
  std::string error = "additive";
  std::map<std::string, std::string> error_for;  // observable -> kind
  std::map<std::string, double> start;
  std::map<std::string, double> fix;
  std::string ci = "wald";
  std::string calibration = "t";
  int multistart = 0;
  int bootstrap = 200;
  uint64_t seed = 20240607;
  int threads = 0;
};

// Maximum-likelihood fit, as `onset fit MODEL --data ...` (fits/fit.hpp). Columnar JSON:
// {"status", "converged", "message", "objective", "aic", "bic", "n_observations",
//  "parameters": {"name", "unit", "estimate", "se", "rse_pct", "ci_low", "ci_high", "ci_df",
//  "fixed", "identifiable", "lower", "upper"}, "error_models": {"observable", "error", "n",
//  "sigma", "additive_sd"}, "correlation": {"names", "matrix"}, "observations": {"ID", "TIME",
//  "observable", "DV", "PRED", "RES"}, "se_method", "ci_method", "gradient_method",
//  "iterations", "notes"}; non-finite numbers are null. A fit that did not converge is still
// returned (status and message say why); one that could not start throws AnalysisError.
nlohmann::ordered_json fit(const FitRequest& request);

struct NcaRequest {
  DataInput data;
  std::string subject;
  std::string time;
  std::string conc;
  std::optional<double> dose;
  std::string dose_column;
  std::string route;  // bolus, infusion, extravascular
  double duration = 0;
  bool tissue = false;  // organ samples: the curve starts at 0 at dose time, no C0, CL or V
  std::string auc = "linear";
  std::string blq = "zero-before-tmax";
  std::optional<double> lloq;
  std::string lloq_column;
  std::string group;
  std::string time_unit = "h";
  std::string conc_unit = "mg/L";
  std::string dose_unit = "mg";
  std::string volume_unit = "L";
  std::string output_time_unit;  // of the results; empty: time_unit
  std::string output_conc_unit;  // of the results; empty: conc_unit
  std::vector<std::pair<double, double>> intervals;
  std::optional<double> lambda_z_start;
  std::optional<double> lambda_z_end;
  int lambda_z_points = 0;
  double max_extrapolated = 20;
  double min_r2adj = 0;
  bool sparse = false;
  double confidence = 0.95;
};

// NCA's options as a binding holds them (Python's dict, R's named list), read by one function so
// that both bindings take the same names: each binding says how to read a text, a number, a
// whole number, a flag and a list of (start, end) pairs from its own values. A key that is
// missing or null gives nullopt and leaves the request's default.
class NcaOptionSource {
 public:
  virtual ~NcaOptionSource() = default;
  virtual std::optional<std::string> text(const char* key) const = 0;
  virtual std::optional<double> number(const char* key) const = 0;
  virtual std::optional<int> whole_number(const char* key) const = 0;
  virtual std::optional<bool> flag(const char* key) const = 0;
  virtual std::optional<std::vector<std::pair<double, double>>> pairs(const char* key) const = 0;
};

// Every NcaRequest field but `data`, from the option of the same name.
void read_nca_options(const NcaOptionSource& options, NcaRequest* request);

// Non-compartmental analysis: exactly the JSON of `onset nca ... --format json` (an array
// with one object per subject or group, CDISC PPTESTCD keys; nca/report.hpp).
nlohmann::ordered_json nca(const NcaRequest& request);

struct CheckRequest {
  std::string claim;  // claim file (YAML)
  size_t draws = 10000;
  uint64_t seed = 1;
  int threads = 0;
  double unlikely_below = 0.05;
  std::string report;  // write the HTML report here (needs gnuplot); empty: none
};

// `onset check CLAIM --format json`: exactly the CLI's JSON (check/report_json.hpp); the
// report, when asked for, is written as the CLI writes it (atomically, never over an input).
nlohmann::ordered_json check(const CheckRequest& request);

}  // namespace onset::api
