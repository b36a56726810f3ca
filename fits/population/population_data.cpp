#include "fits/population/population_data.hpp"

#include <cmath>
#include <map>
#include <stdexcept>

#include "io/format.hpp"
#include "pk/text_input.hpp"
#include "pk/user_error.hpp"

namespace onset::fits::population {

std::vector<double> PopulationData::subject_covariates(size_t s,
                                                       const std::vector<int>& used) const {
  const PopulationSubject& subject = subjects[s];
  std::vector<double> values(covariate_names.size(), 0.0);
  for (int c : used) {
    const auto column = static_cast<size_t>(c);
    if (!subject.covariate_problems[column].empty())
      throw UserError("", subject.covariate_problems[column], "",
                      "write the subject's value of " + covariate_names[column] +
                          " on every one of its records");
    values[column] = subject.covariates[column];
  }
  return values;
}

PopulationData population_data_from(LoadedProblem loaded) {
  if (!loaded.dosing_data) throw std::invalid_argument("population data need a model data set");
  const pk::DosingData& records = *loaded.dosing_data;
  const FitProblem& problem = loaded.problem;
  PopulationData data;
  data.source = records.source;
  // The pooled-fit notes about parameters held for want of a start do not apply: population
  // models say themselves what they estimate (population_spec.cpp notes what is held).
  for (auto& note : loaded.notes)
    if (note.find("held at its default 0") == std::string::npos) data.notes.push_back(note);
  data.model_parameters = problem.parameters;
  for (const auto& block : problem.blocks) data.observables.push_back(block.name);
  data.covariate_names = records.covariate_names;

  // Observations of each subject (runs of one ID), in record order.
  const auto ranges = pk::subject_ranges(records);
  std::vector<int> subject_of_record(records.records.size(), -1);
  for (size_t s = 0; s < ranges.size(); ++s)
    for (size_t r = ranges[s][0]; r < ranges[s][1]; ++r) subject_of_record[r] = static_cast<int>(s);
  std::vector<std::vector<size_t>> rows_of(ranges.size());
  for (size_t i = 0; i < loaded.observation_records.size(); ++i)
    rows_of[static_cast<size_t>(
                subject_of_record[static_cast<size_t>(loaded.observation_records[i])])]
        .push_back(i);
  int without = 0;
  for (size_t s = 0; s < ranges.size(); ++s) {
    const auto [begin, end] = ranges[s];
    if (rows_of[s].empty()) {
      ++without;
      continue;
    }
    PopulationSubject subject;
    subject.id = records.records[begin].id;
    subject.first_line = records.records[begin].line;
    for (size_t i : rows_of[s]) {
      subject.y.push_back(problem.y[i]);
      subject.time.push_back(problem.x[i]);
      subject.block.push_back(problem.block[i]);
      subject.line.push_back(
          records.records[static_cast<size_t>(loaded.observation_records[i])].line);
    }
    subject.predictor = loaded.subset_predictor(rows_of[s]);
    subject.covariates.assign(records.num_covariates(), std::nan(""));
    subject.covariate_problems.assign(records.num_covariates(), "");
    for (size_t c = 0; c < records.num_covariates(); ++c) {
      const std::string& name = records.covariate_names[c];
      std::string& problem_text = subject.covariate_problems[c];
      bool have = false;
      double first = 0;
      int first_line = 0;
      for (size_t r = begin; r < end && problem_text.empty(); ++r) {
        const int line = records.records[r].line;
        double value = records.covariate(r, c);
        std::string where = records.source + ":" + std::to_string(line);
        {
          // The cell as written: "." or empty is a missing covariate here, not NONMEM's 0.
          where = UserError::location(records.source, line, records.cell_column(r, c));
          const std::string& text = records.text(r, c);
          if (text.empty() || text == ".") {
            problem_text = where + ": error: covariate " + name + " is missing for subject " +
                           subject.id + " (the cell is '" + text + "')";
            break;
          }
          const std::optional<double> parsed = pk::parse_finite_number(text);
          value = parsed ? *parsed : std::nan("");
        }
        if (!std::isfinite(value)) {
          problem_text = where + ": error: covariate " + name + " of subject " + subject.id +
                         " is not a number";
          break;
        }
        if (!have) {
          have = true;
          first = value;
          first_line = line;
        } else if (value != first) {
          problem_text = where + ": error: covariate " + name + " changes within subject " +
                         subject.id + " (" + format_number(first, 10) + " on line " +
                         std::to_string(first_line) + ", " + format_number(value, 10) +
                         " here); population fits read covariates as properties of the subject "
                         "(time-varying covariates are not supported)";
        }
      }
      if (problem_text.empty()) subject.covariates[c] = first;
    }
    data.subjects.push_back(std::move(subject));
  }
  if (without > 0)
    data.notes.push_back(std::to_string(without) +
                         " subject(s) without observations: not in the population fit");
  return data;
}

PopulationData load_population_data(const std::string& model, const io::CsvTable& data_table,
                                    const ModelDataOptions& options) {
  ModelDataOptions records_only = options;
  records_only.summary_columns = false;  // one row, one subject's observation
  LoadedProblem loaded = load_model_problem(model, data_table, records_only);
  PopulationData data = population_data_from(std::move(loaded));
  data.model_name = model;
  return data;
}

}  // namespace onset::fits::population
