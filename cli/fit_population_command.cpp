#include "cli/fit_population_command.hpp"

#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "fits/population/population_data.hpp"
#include "fits/population/population_fit.hpp"
#include "fits/population/population_report.hpp"
#include "fits/population/population_spec.hpp"
#include "io/csv.hpp"
#include "io/interrupt.hpp"
#include "io/output_file.hpp"
#include "pk/distributed.hpp"

namespace onset::cli {

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A table as CSV (FILE.csv) or inside a JSON document (FILE.json).
void check_table_path(const std::string& option, const std::string& path) {
  if (path.empty()) return;
  if (!ends_with(path, ".csv") && !ends_with(path, ".json"))
    throw BadInput(option + " " + path + ": expected a file name ending in .csv or .json");
}

}  // namespace

void add_population_options(CLI::App* command, PopulationCliArgs* args) {
  command->add_flag("--population", args->enabled,
                    "population (mixed-effects) fit: random effects (--eta), covariates (--param), "
                    "FOCE-I/FOCE/FO (--method); or the model file's population: section");
  command->add_option("--eta", args->etas,
                      "--population: random effect NAME[=OMEGA][:normal]; NAME a model parameter "
                      "(NAME = tvNAME exp(eta_NAME)) or an ETA of a --param (repeatable)");
  command->add_option("--param", args->parameters,
                      "--population: individual parameter \"NAME = EXPRESSION\" of THETAs, ETAs "
                      "and data columns, e.g. \"CL = tvCL * (WT/70)^dWT * exp(eta_CL)\"");
  command->add_option("--theta", args->thetas,
                      "--population: THETA of the expressions NAME=START[:LOWER:UPPER]");
  command->add_option("--omega-block", args->omega_blocks,
                      "--population: correlated random effects NAME,NAME[,...] (a full block)");
  command->add_option("--method", args->method, "--population: focei, foce, fo or saem")
      ->capture_default_str();
  command
      ->add_option("--cov", args->covariance,
                   "--population: covariance step: sandwich (R^-1 S R^-1), r, s or none")
      ->capture_default_str();
  command->add_option("--error-scale", args->error_scale,
                      "--population: linear or log (the error model on log(DV))");
  command->add_option("--table", args->table,
                      "--population: per-observation PRED, IPRED, RES, IRES, IWRES, CWRES to "
                      "FILE.csv or FILE.json");
  command->add_option("--etas", args->etas_file,
                      "--population: per-subject EBEs and individual parameters to FILE.csv or "
                      "FILE.json");
  command
      ->add_option("--max-iterations", args->max_iterations,
                   "--population: most BFGS iterations; 0: evaluate at the starting values")
      ->transform(count_option(0, 1'000'000))
      ->capture_default_str();
  command
      ->add_option("--time-limit", args->time_limit_s,
                   "--population: stop after this many seconds (0: no limit)")
      ->transform(real_option(at_least(0)));
  add_population_extra_options(command, &args->extras);
}

int run_population_fit(const PopulationCliArgs& args, const std::string& model,
                       const std::string& data, const fits::ModelDataOptions& data_options,
                       const std::map<std::string, double>& start,
                       const std::map<std::string, double>& fixed,
                       std::optional<fits::ErrorKind> error, int threads,
                       const std::string& format) {
  namespace population = fits::population;
  population::PopulationProblem problem;
  population::PopulationOptions options;
  try {
    if (model.empty()) throw BadInput("--population needs a MODEL (library name or model file)");
    const auto method = population::parse_method(args.method);
    if (!method)
      throw BadInput("--method: expected focei, foce, fo or saem; found '" + args.method + "'");
    const auto covariance = population::parse_covariance_matrix(args.covariance);
    if (!covariance)
      throw BadInput("--cov: expected sandwich, r, s or none; found '" + args.covariance + "'");
    if (!args.error_scale.empty() && args.error_scale != "linear" && args.error_scale != "log")
      throw BadInput("--error-scale: expected linear or log; found '" + args.error_scale + "'");
    if (args.max_iterations < 0) throw BadInput("--max-iterations: expected a count >= 0");
    if (!(args.time_limit_s >= 0)) throw BadInput("--time-limit: expected seconds >= 0");
    check_table_path("--table", args.table);
    check_table_path("--etas", args.etas_file);
    for (const std::string* path : {&args.table, &args.etas_file})
      if (!path->empty()) io::check_output_target(*path, {model, data});
    check_population_extras(args.extras, *method, {model, data});
    options.method = *method;
    options.covariance = *covariance;
    options.max_iterations = args.max_iterations;
    options.time_limit_s = args.time_limit_s;
    options.threads = threads;
    problem.data = population::load_population_data(
        model, io::CsvTable::read_file(data, io::nonmem_dialect()), data_options);
    population::PopulationSpec spec;
    spec.etas = args.etas;
    spec.parameters = args.parameters;
    spec.thetas = args.thetas;
    spec.omega_blocks = args.omega_blocks;
    spec.start = start;
    spec.fixed = fixed;
    spec.error = error;
    spec.error_by_observable = data_options.error_by_observable;
    if (!args.error_scale.empty()) spec.log_scale = args.error_scale == "log";
    problem.model =
        population::build_population_model(spec, model, problem.data, &problem.data.notes);
  } catch (const std::exception& failure) {
    return report_failure("onset fit", failure);
  }
  population::PopulationSummary summary;
  PopulationExtras extras;
  {
    // Under mpirun the ranks must take the same path: the interrupt flag of one process is not
    // seen by the others, so it is polled only in a single process.
    const io::InterruptScope interruptible;
    if (pk::mpi_size() == 1) options.cancelled = [] { return io::interrupt_requested(); };
    try {
      solve_population(args.extras, options, problem, &summary, &extras);
    } catch (const std::exception& failure) {  // "interrupted" from a cancelled loop, or a failure
      if (io::interrupt_requested()) return io::report_interrupted("onset fit");
      return report_failure("onset fit", failure);
    }
    if (io::interrupt_requested()) return io::report_interrupted("onset fit");
  }
  const int code = summary.converged() ? kExitSuccess : kExitAnalysisFailed;
  if (pk::mpi_rank() != 0) return code;
  const std::vector<std::string> inputs = {model, data};
  try {
    auto write_table = [&](const std::string& path, bool observations) {
      if (path.empty()) return;
      io::write_file_atomically(
          path,
          [&](std::ostream& out) {
            if (ends_with(path, ".json")) {
              out << (observations ? population::observations_json_text(summary)
                                   : population::subjects_json_text(summary))
                  << "\n";
            } else if (observations) {
              population::write_observations_csv(summary, out);
            } else {
              population::write_subjects_csv(summary, out);
            }
          },
          inputs);
    };
    write_table(args.table, true);
    write_table(args.etas_file, false);
    write_population_extras(args.extras, summary, extras, inputs);
  } catch (const std::exception& failure) {
    return report_failure("onset fit", failure);
  }
  if (format == "json")
    std::cout << population_json_text(summary, extras, problem.model) << "\n";
  else
    print_population_text(summary, extras, std::cout);
  return code;
}

}  // namespace onset::cli
