// `onset fit MODEL --data FILE --population [...]`: a population (nonlinear mixed-effects)
// fit by FOCE-I, FOCE or FO (fits/population/population_fit.hpp). The options that declare
// the population model are listed in fits/population/population_spec.hpp and fits/README.md.
//
// Output: the estimates (THETA, OMEGA with %CV and shrinkage, SIGMA, SEs, RSE %, correlation)
// as text or JSON on stdout; --table FILE.csv|FILE.json: per observation ID, LINE, TIME, OBS,
// DV, PRED, IPRED, RES, IRES, IWRES, CWRES; --etas FILE.csv|FILE.json: per subject its EBEs,
// individual parameters and objective contribution. Files are written atomically, never over
// an input. Exit codes: 0 converged (or evaluated with --max-iterations 0), 1 not converged or
// failed (the estimates reached are still printed), 2 bad input, 130 interrupted.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/population_extras.hpp"
#include "fits/fit_data.hpp"

namespace onset::cli {

struct PopulationCliArgs {
  bool enabled = false;  // --population
  std::vector<std::string> etas;
  std::vector<std::string> parameters;
  std::vector<std::string> thetas;
  std::vector<std::string> omega_blocks;
  std::string method = "focei";
  std::string covariance = "sandwich";
  std::string error_scale;  // "", linear or log
  std::string table;
  std::string etas_file;
  int max_iterations = 1000;
  double time_limit_s = 0;
  PopulationExtraArgs extras;  // SAEM, NPDE, bootstrap, plots (cli/population_extras.hpp)
};

// Adds --population and its options to `command`.
void add_population_options(CLI::App* command, PopulationCliArgs* args);

// Runs the population fit. `data_options`: observable column, error kinds per observable,
// tidy-data and label settings (no starts: those are `start` and `fixed`, which may name
// THETAs, ETAs and residual SDs). `error`: --error when given on the command line.
int run_population_fit(const PopulationCliArgs& args, const std::string& model,
                       const std::string& data, const fits::ModelDataOptions& data_options,
                       const std::map<std::string, double>& start,
                       const std::map<std::string, double>& fixed,
                       std::optional<fits::ErrorKind> error, int threads,
                       const std::string& format);

}  // namespace onset::cli
