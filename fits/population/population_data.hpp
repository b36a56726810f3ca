// From a data table to the subjects of a population fit: the one adapter between the records
// (read by io/csv.hpp, converted by pk/dosing_records.hpp or fits/fit_data.hpp) and the
// population engine.
//
// Loads a model over a NONMEM-style data set through fits::load_model_problem (observations,
// observable column, BLQ (M1), tidy tracer data, the model's parameters and bounds), splits the
// observations into subjects (NONMEM's rule: a run of records with one ID) and reads each
// subject's covariates (every data column that is not a standard NONMEM field) from the
// cells as written. A covariate is a property of the subject: its value must be written on
// every record of the subject and be the same on all of them. Cells that break this are
// reported (file:line:column) only when a population model reads that column.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fits/fit_data.hpp"
#include "fits/fit_problem.hpp"

namespace onset::fits::population {

struct PopulationSubject {
  std::string id;
  int first_line = 0;  // line of the subject's first record, for messages
  // Predictions of this subject's observations (Predictor over the model's parameters).
  std::shared_ptr<Predictor> predictor;
  std::vector<double> y;     // observations (DV), in record order
  std::vector<double> time;  // their times (h)
  std::vector<int> block;    // per observation: index into PopulationData::observables
  std::vector<int> line;     // per observation: its line in the data file
  // Per covariate column: the subject's value (NaN when the column is unusable for it), and
  // why it is unusable ("" when usable), with file:line:column.
  std::vector<double> covariates;
  std::vector<std::string> covariate_problems;
};

struct PopulationData {
  std::string source;                        // the data file
  std::vector<std::string> observables;      // names, in the order of PopulationSubject::block
  std::vector<std::string> covariate_names;  // data columns besides the NONMEM fields
  // The structural model's parameters (names, units, defaults or --start values, bounds).
  std::vector<FitParameter> model_parameters;
  std::string model_name;
  std::string gradient_method;  // how the predictor differentiates
  std::vector<PopulationSubject> subjects;
  std::vector<std::string> notes;  // what was assumed or dropped, in words

  // The covariate values of subject `s` for the columns `used`; throws UserError naming the
  // cell when one of them is missing, not a number, or changes within the subject.
  std::vector<double> subject_covariates(size_t s, const std::vector<int>& used) const;
};

// `data`: the data set as io::CsvTable::read_file(path, io::nonmem_dialect()) reads it (the
// caller reads it; fits opens no file). Throws UserError (file:line:column) for bad data or
// model files.
PopulationData load_population_data(const std::string& model, const io::CsvTable& data,
                                    const ModelDataOptions& options);

// The same from a problem already loaded (tests; the CLI uses load_population_data). Covariate
// cells are read from the records' extra columns as written ("." or empty: missing).
PopulationData population_data_from(LoadedProblem loaded);

}  // namespace onset::fits::population
