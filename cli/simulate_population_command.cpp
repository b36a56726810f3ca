#include "cli/simulate_population_command.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "fits/population/population_data.hpp"
#include "fits/population/population_plots.hpp"
#include "fits/population/population_simulate.hpp"
#include "fits/population/population_spec.hpp"
#include "fits/population/population_values.hpp"
#include "fits/population/vpc.hpp"
#include "io/csv.hpp"
#include "io/gnuplot.hpp"
#include "io/interrupt.hpp"
#include "io/output_file.hpp"
#include "pk/distributed.hpp"
#include "pk/text_input.hpp"

namespace onset::cli {

namespace population = fits::population;

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The population model: the fit's JSON (with its model, else the model file's section with the
// fit's values), or the model file's population: section.
population::PopulationModel population_model(const SimulatePopulationArgs& args,
                                             const std::string& model,
                                             const population::PopulationData& data,
                                             std::vector<std::string>* notes) {
  if (args.population_fit.empty()) {
    try {
      return population::build_population_model({}, model, data, notes);
    } catch (const UserError& error) {
      throw BadInput(std::string(error.what()) +
                     "; --replicates simulates a model file's population: section, or the "
                     "population fit of --population-fit FIT.json (onset fit ... --population "
                     "--format json)");
    }
  }
  std::string text;  // a regular file only (io/input_file.hpp)
  if (const std::string why = pk::read_text_file(args.population_fit, &text); !why.empty())
    throw UserError(args.population_fit, why);
  population::PopulationModel result;
  if (!population::population_model_from_fit_json(text, args.population_fit, &result)) {
    result = population::build_population_model({}, model, data, notes);
    population::apply_fit_json(text, args.population_fit, &result);
  }
  return result;
}

void write_json_rows(const population::PopulationSimulation& sim, std::ostream& out) {
  nlohmann::json rows = nlohmann::json::array();
  const size_t m = sim.num_observations(), q = sim.eta_names.size();
  auto number = [](double value) {
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
  };
  for (size_t r = 0; r < static_cast<size_t>(sim.replicates); ++r)
    for (size_t i = 0; i < m; ++i) {
      nlohmann::json eta = nlohmann::json::object();
      for (size_t k = 0; k < q; ++k)
        eta[sim.eta_names[k]] = number(sim.eta[(r * sim.num_subjects + sim.subject[i]) * q + k]);
      rows.push_back({{"rep", r + 1},
                      {"id", sim.id[i]},
                      {"time", sim.time[i]},
                      {"observable", sim.observables[static_cast<size_t>(sim.block[i])]},
                      {"ipred", number(sim.ipred[r * m + i])},
                      {"dv", number(sim.dv[r * m + i])},
                      {"eta", eta}});
    }
  out << nlohmann::json{{"replicates", sim.replicates}, {"failures", sim.failures}, {"rows", rows}}
             .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
      << "\n";
}

}  // namespace

void add_simulate_population_options(CLI::App* command, SimulatePopulationArgs* args) {
  command->add_option("--replicates", args->replicates,
                      "simulation with variability: N replicates of the data set, each subject "
                      "with ETAs drawn from OMEGA and residual errors (the model file's "
                      "population: section, or --population-fit)");
  command->add_option("--population-fit", args->population_fit,
                      "--replicates: draw at the estimates of this population fit (the JSON of "
                      "onset fit --population --format json)");
  command->add_option("--seed", args->seed, "--replicates: seed")
      ->transform(seed_option())
      ->capture_default_str();
  command->add_flag("--no-residual-error", args->no_residual_error,
                    "--replicates: DV = IPRED (between-subject variability only)");
  command->add_option("--vpc", args->vpc,
                      "--replicates: visual predictive check of the data set's DVs (FILE.svg or "
                      "FILE.png)");
  command->add_option("--vpc-table", args->vpc_table,
                      "--replicates: the VPC's percentiles and intervals per bin (FILE.csv or "
                      "FILE.json)");
  command
      ->add_option("--vpc-bins", args->vpc_bins,
                   "--replicates: most time bins of the VPC (nominal times when fewer)")
      ->transform(count_option(1, 100'000))
      ->capture_default_str();
}

bool population_simulation_requested(const SimulatePopulationArgs& args) {
  return args.replicates != -1 || !args.population_fit.empty() || !args.vpc.empty() ||
         !args.vpc_table.empty();
}

int run_population_simulation(const SimulatePopulationArgs& args, const std::string& model,
                              const std::string& data_path, const std::string& out,
                              const std::string& format, int threads,
                              const std::string& conflicting) {
  const char* prefix = "onset simulate: ";
  population::PopulationProblem problem;
  population::PopulationPoint point;
  const std::vector<std::string> inputs = {model, data_path, args.population_fit};
  try {
    if (args.replicates < 1)
      throw BadInput("--replicates: expected a count >= 1 (simulation with variability)");
    if (args.replicates > 100000) throw BadInput("--replicates: at most 100000");
    if (!conflicting.empty()) throw BadInput(conflicting + " cannot be combined with --replicates");
    if (!args.vpc.empty() && !ends_with(args.vpc, ".svg") && !ends_with(args.vpc, ".png"))
      throw BadInput("--vpc " + args.vpc + ": expected a file name ending in .svg or .png");
    if (!args.vpc_table.empty() && !ends_with(args.vpc_table, ".csv") &&
        !ends_with(args.vpc_table, ".json"))
      throw BadInput("--vpc-table " + args.vpc_table + ": expected FILE.csv or FILE.json");
    if (args.vpc_bins < 1) throw BadInput("--vpc-bins: expected a count >= 1");
    // The targets (not an input, a folder, FIFO or device; in a folder that exists) and
    // gnuplot, before the work.
    for (const std::string* path : {&out, &args.vpc, &args.vpc_table})
      if (!path->empty()) io::check_output_target(*path, inputs);
    if (!args.vpc.empty() && pk::mpi_rank() == 0)
      if (const std::string problem_text = io::gnuplot_problem(); !problem_text.empty())
        throw BadInput("cannot draw the VPC: " + problem_text);
    problem.data = population::load_population_data(
        model, io::CsvTable::read_file(data_path, io::nonmem_dialect()), fits::ModelDataOptions{});
    problem.model = population_model(args, model, problem.data, &problem.data.notes);
    // One residual error model per observable of the data set, in its order.
    std::vector<population::ResidualError> errors;
    for (const auto& observable : problem.data.observables) {
      auto it = std::find_if(problem.model.errors.begin(), problem.model.errors.end(),
                             [&](const auto& e) { return e.observable == observable; });
      if (it == problem.model.errors.end())
        throw UserError(args.population_fit.empty() ? model : args.population_fit,
                        "no residual error model for the data set's observable " + observable);
      errors.push_back(*it);
    }
    problem.model.errors = errors;
    point = population::start_point(problem.model, problem.data.observables.size());
    // What the run keeps: every simulated IPRED and DV, the ETAs, and the output table's text.
    double observations = 0;
    for (const auto& subject : problem.data.subjects) observations += subject.y.size();
    const double replicates = args.replicates, q = problem.model.etas.size();
    const double bytes = 8.0 * replicates * (3 * observations + problem.data.subjects.size() * q) +
                         pk::output_memory_bytes(replicates * observations * (6 + q));
    if (const std::string refusal =
            pk::check_memory_estimate(bytes,
                                      format_number(replicates, 6) + " replicates of " +
                                          format_number(observations, 9) + " observations",
                                      "use fewer --replicates");
        !refusal.empty())
      throw BadInput("--replicates " + std::to_string(args.replicates) + ": " + refusal);
  } catch (const std::exception& error) {
    return report_failure("onset simulate", error);
  }
  population::PopulationSimulation sim;
  {
    const io::InterruptScope interruptible;
    population::SimulationOptions options;
    options.replicates = args.replicates;
    options.seed = args.seed;
    options.residual_error = !args.no_residual_error;
    options.threads = threads;
    if (pk::mpi_size() == 1) options.cancelled = [] { return io::interrupt_requested(); };
    try {
      population::simulate_population(problem, point, options, &sim);
    } catch (const std::exception& error) {
      if (io::interrupt_requested()) return io::report_interrupted("onset simulate");
      return report_failure("onset simulate", error);
    }
    if (io::interrupt_requested()) return io::report_interrupted("onset simulate");
  }
  const size_t tasks = static_cast<size_t>(args.replicates) * sim.num_subjects;
  if (pk::mpi_rank() != 0)
    return sim.failures == static_cast<int>(tasks) ? kExitAnalysisFailed : kExitSuccess;
  if (sim.failures > 0)
    std::cerr << prefix << "note: " << sim.failures << " of " << tasks
              << " simulated subjects could not be evaluated (left empty)\n";
  if (sim.failures == static_cast<int>(tasks)) {
    std::cerr << prefix << "no subject could be simulated\n";
    return kExitAnalysisFailed;
  }
  try {
    if (!args.vpc.empty() || !args.vpc_table.empty()) {
      population::VpcOptions vpc_options;
      vpc_options.max_bins = args.vpc_bins;
      const population::Vpc vpc = population::compute_vpc(sim, vpc_options);
      if (!args.vpc_table.empty())
        io::write_file_atomically(
            args.vpc_table,
            [&](std::ostream& stream) {
              if (ends_with(args.vpc_table, ".json"))
                stream << population::vpc_json_text(vpc) << "\n";
              else
                population::write_vpc_csv(vpc, stream);
            },
            inputs);
      if (!args.vpc.empty()) {
        io::write_file_atomically(args.vpc, io::run_gnuplot(population::vpc_plot(vpc, args.vpc)),
                                  inputs);
      }
    }
    auto write = [&](std::ostream& stream) {
      if (format == "json")
        write_json_rows(sim, stream);
      else
        population::write_simulation_csv(sim, stream);
    };
    if (out.empty()) {
      std::ostringstream buffer;
      write(buffer);
      std::cout << buffer.str();
    } else {
      io::write_file_atomically(out, write, inputs);
    }
  } catch (const std::exception& error) {
    return report_failure("onset simulate", error);
  }
  return kExitSuccess;
}

}  // namespace onset::cli
