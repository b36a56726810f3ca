// From a data table to a FitProblem: a model over a NONMEM-style data set (with a column naming
// the observable of each DV, a BLQ flag), an observation table or tidy long tracer data (time,
// organ, value, unit, animal) read straight into dosing records (one dose per subject at time
// 0), or an algebraic expression over two columns. fits never opens a file: the caller reads
// the data once with io's CSV reader (io/csv.hpp; io::nonmem_dialect() for model data sets) and
// passes the table. Errors carry file:line:column (fits::InputError, pk::DosingDataError,
// models::ModelFileError).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fits/fit_problem.hpp"
#include "fits/per_subject.hpp"
#include "io/csv.hpp"
#include "models/tracer_labels.hpp"
#include "pk/dosing_records.hpp"

namespace onset::fits {

struct ModelDataOptions {
  // Error model for every observable, unless given per observable in `error_by_observable`.
  ErrorKind error = ErrorKind::kAdditive;
  std::map<std::string, ErrorKind> error_by_observable;
  // Starting values and fixed values by parameter name, within the model's bounds (else
  // InputError). Others: with any start given, held at the model's defaults (one note names
  // them); with none, estimated from the defaults, except those whose default is 0 (held).
  std::map<std::string, double> start;
  std::map<std::string, double> fixed;
  // Column naming the observable of each observation (names of the model's observables);
  // empty: OBS, OBSERVABLE or DVID if present, else every DV is `default_observable`.
  std::string observable_column;
  std::string default_observable;  // empty: the model's first observable
  // Column flagging values below the limit of quantification (1 = BLQ): excluded from the
  // likelihood (Beal's M1), and counted in the problem's notes.
  std::string blq_column = "BLQ";
  // Tidy tracer data (columns time, organ, value[, unit][, animal]): the dose given to every
  // animal at time 0 and its compartment (1-based); organs map to observables by name, then
  // ORGAN_pct for %ID and ORGAN_pct_per_g for %ID/g.
  double tidy_dose = 0;
  int tidy_dose_cmt = 1;
  // Column mapping (--map ROLE=COLUMN): the data's column that plays each role. Roles: ID,
  // TIME, DV, OBS, UNIT, BLQ, N, SD, SEM, DOSE, WT and the NONMEM ones (AMT, EVID, CMT, MDV,
  // RATE, II, ADDL, SS). Unmapped roles are found by their usual names (fits/README.md).
  std::map<std::string, std::string> column_map;
  // Observation tables (no AMT column): the DOSE column or `tidy_dose` is per kg of body
  // weight, multiplied by the WT column (kg) of the subject.
  bool dose_per_kg = false;
  // Error groups (--error-group NAME=OBS1,OBS2): the observables (as the data name them, or
  // the model's observable names) that share one error model; the others have their own.
  std::map<std::string, std::vector<std::string>> error_groups;
  // What tracer values measure. A counter or imager reads the label, not the vesicle, so tidy
  // tracer data are refused unless this is said: kLabel fits the label observation model of
  // `label` (models/tracer_observation.hpp; organ ORGAN maps to ORGAN_label_pct, %ID/g to
  // ORGAN_label_pct_per_g); kIntact fits intact-vesicle observables (ORGAN_pct), only when asked
  // for explicitly. NONMEM-style data name their observables; `label` there switches the model.
  enum class Observe { kUnset, kLabel, kIntact };
  Observe observe = Observe::kUnset;
  std::optional<models::TracerLabel> label;
  // True when the values are decay-corrected to the dose time (the usual convention); false:
  // predictions carry the physical decay factor exp(-ln 2 t / T_half) (doses at t = 0 only).
  bool decay_corrected = true;
  // Whether columns N, SD and SEM (or their --map roles) make rows means of n animals
  // (summary data). Population fits set it false: there each row is one subject's record,
  // and a column named SD or N is an ordinary data item (NONMEM's runODE data sets have SD).
  bool summary_columns = true;
};

struct LoadedProblem {
  FitProblem problem;
  std::vector<std::string> notes;  // what was assumed or dropped, in words
  // The predictor of a subset of the observations (per-subject fits); empty for --expr.
  SubsetPredictorFactory subset_predictor;
  // Model data sets only: the records read, and each observation's record (an index into
  // dosing_data->records), for population fits (fits/population/population_data.hpp).
  std::shared_ptr<const pk::DosingData> dosing_data;
  std::vector<int> observation_records;
};

// True when the table looks like tidy tracer data (has time, organ and value columns, no AMT).
bool is_tidy_tracer_table(const io::CsvTable& table);

// The roles --map knows, in words for messages ("ID, TIME, DV, ...").
std::string column_roles();

// `data`: the data set as io::CsvTable::read_file(path, io::nonmem_dialect()) reads it. An
// observation table's records (LoadedProblem::dosing_data) have the extra columns OBS (the
// model's observable of each row), BLQ, N and SD.
LoadedProblem load_model_problem(const std::string& model, const io::CsvTable& data,
                                 const ModelDataOptions& options);

// `data`: the table as io::CsvTable::read_file(path) reads it.
LoadedProblem load_expression_problem(const std::string& expression, const std::string& x_column,
                                      const std::string& y_column, const io::CsvTable& data,
                                      ErrorKind error, const std::map<std::string, double>& start,
                                      const std::map<std::string, double>& fixed);

}  // namespace onset::fits
