#include "cli/population_extras.hpp"

#include <cmath>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "fits/population/population_plots.hpp"
#include "fits/population/population_report.hpp"
#include "fits/population/population_values.hpp"
#include "io/gnuplot.hpp"
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

void check_plot_path(const std::string& option, const std::string& path) {
  if (path.empty()) return;
  if (!ends_with(path, ".svg") && !ends_with(path, ".png"))
    throw BadInput(option + " " + path + ": expected a file name ending in .svg or .png");
}

std::pair<int, int> parse_iterations(const std::string& text) {
  const size_t comma = text.find(',');
  const auto k1 =
      comma == std::string::npos ? std::nullopt : pk::parse_finite_number(text.substr(0, comma));
  const auto k2 =
      comma == std::string::npos ? std::nullopt : pk::parse_finite_number(text.substr(comma + 1));
  if (!k1 || !k2 || *k1 < 1 || *k2 < 1 || *k1 != std::floor(*k1) || *k2 != std::floor(*k2) ||
      *k1 > 1e6 || *k2 > 1e6)
    throw BadInput("--saem-iterations " + text +
                   ": expected K1,K2 (exploration and smoothing iterations, each 1 to 1000000), "
                   "e.g. 300,200");
  return {static_cast<int>(*k1), static_cast<int>(*k2)};
}

population::SaemOptions saem_options(const PopulationExtraArgs& args,
                                     const population::PopulationOptions& options) {
  population::SaemOptions saem;
  const auto [k1, k2] = parse_iterations(args.saem_iterations);
  saem.exploration_iterations = k1;
  saem.smoothing_iterations = k2;
  saem.chains = args.chains;
  saem.importance_samples = args.importance_samples;
  saem.seed = args.seed;
  saem.covariance = options.covariance;
  saem.threads = options.threads;
  saem.time_limit_s = options.time_limit_s;
  saem.cancelled = options.cancelled;
  return saem;
}

// Draws a plot job and writes its image to `path` (io::write_file_atomically).
void write_plot(const std::string& path, const io::GnuplotJob& job,
                const std::vector<std::string>& inputs) {
  io::write_file_atomically(path, io::run_gnuplot(job), inputs);
}

}  // namespace

void add_population_extra_options(CLI::App* command, PopulationExtraArgs* args) {
  command
      ->add_option("--saem-iterations", args->saem_iterations,
                   "--method saem: exploration and smoothing iterations K1,K2 (step size 1, then "
                   "1/k)")
      ->capture_default_str();
  command
      ->add_option("--chains", args->chains,
                   "--method saem: Markov chains per subject (0: subjects x chains >= 50)")
      ->transform(count_option(0, 10'000))
      ->capture_default_str();
  command
      ->add_option("--importance-samples", args->importance_samples,
                   "--method saem: t draws per subject for -2 log L by importance sampling (0: "
                   "none; the FOCE-I approximation is reported)")
      ->transform(count_option(0, 10'000'000))
      ->capture_default_str();
  command->add_option("--saem-trajectory", args->saem_trajectory,
                      "--method saem: the estimates at every iteration to FILE.csv, or their "
                      "plot to FILE.svg or FILE.png");
  command
      ->add_option("--npde", args->npde,
                   "--population: NPDE from N simulations under the fit (1000 recommended; "
                   "seeded by --seed) in --table and the report")
      ->transform(count_option(0, 1'000'000))
      ->capture_default_str();
  command->add_option("--individual-plot", args->individual_plot,
                      "--population: DV, IPRED and PRED over time for every subject (FILE.svg "
                      "or FILE.png)");
  command->add_option("--bootstrap-table", args->bootstrap_table,
                      "--population --ci bootstrap: every replicate's estimates to FILE.csv");
}

void check_population_extras(const PopulationExtraArgs& args, population::Method method,
                             const std::vector<std::string>& inputs) {
  if (method == population::Method::kSaem) {
    parse_iterations(args.saem_iterations);
    if (args.chains < 0) throw BadInput("--chains: expected a count >= 0");
    if (args.importance_samples < 0) throw BadInput("--importance-samples: expected a count >= 0");
  } else if (!args.saem_trajectory.empty()) {
    throw BadInput("--saem-trajectory needs --method saem");
  }
  if (args.npde != 0 && args.npde < 100)
    throw BadInput("--npde " + std::to_string(args.npde) +
                   ": expected at least 100 simulations (npde recommends 1000)");
  if (args.bootstrap != 0 && args.bootstrap < 10)
    throw BadInput("--bootstrap " + std::to_string(args.bootstrap) +
                   ": expected at least 10 replicates");
  if (!args.bootstrap_table.empty()) {
    if (args.bootstrap == 0) throw BadInput("--bootstrap-table needs --ci bootstrap");
    if (!ends_with(args.bootstrap_table, ".csv"))
      throw BadInput("--bootstrap-table " + args.bootstrap_table + ": expected FILE.csv");
  }
  check_plot_path("--plot", args.plot);
  check_plot_path("--individual-plot", args.individual_plot);
  const bool trajectory_plot = !ends_with(args.saem_trajectory, ".csv");
  if (!args.saem_trajectory.empty() && trajectory_plot)
    check_plot_path("--saem-trajectory", args.saem_trajectory);
  // The targets (io::check_output_target: not an input, not a folder, FIFO or device, in a
  // folder that exists) and gnuplot, before the work.
  const bool plots = !args.plot.empty() || !args.individual_plot.empty() ||
                     (!args.saem_trajectory.empty() && trajectory_plot);
  for (const std::string* path :
       {&args.plot, &args.individual_plot, &args.saem_trajectory, &args.bootstrap_table})
    if (!path->empty()) io::check_output_target(*path, inputs);
  if (plots && pk::mpi_rank() == 0)
    if (const std::string problem = io::gnuplot_problem(); !problem.empty())
      throw BadInput("cannot draw the plots: " + problem);
}

void solve_population(const PopulationExtraArgs& args, const population::PopulationOptions& options,
                      const population::PopulationProblem& problem,
                      population::PopulationSummary* summary, PopulationExtras* extras) {
  const bool saem = options.method == population::Method::kSaem;
  if (args.npde > 0) {  // the NPDE simulations are kept whole: refuse before the fit
    double observations = 0;
    for (const auto& subject : problem.data.subjects) observations += subject.y.size();
    const double bytes = 8.0 * args.npde * 3 * observations;
    if (const std::string refusal = pk::check_memory_estimate(
            bytes,
            std::to_string(args.npde) + " simulations of " + format_number(observations, 9) +
                " observations",
            "use fewer --npde simulations (1000 is npde's recommendation)");
        !refusal.empty())
      throw BadInput("--npde " + std::to_string(args.npde) + ": " + refusal);
  }
  if (saem) {
    extras->saem = true;
    population::Solve(saem_options(args, options), problem, &extras->saem_summary);
    *summary = extras->saem_summary.population;
  } else {
    population::Solve(options, problem, summary);
  }
  if (!summary->converged()) return;
  if (args.npde > 0) {
    population::NpdeOptions npde;
    npde.simulations = args.npde;
    npde.seed = args.seed;
    npde.threads = options.threads;
    npde.cancelled = options.cancelled;
    extras->npde = true;
    population::compute_npde(problem, npde, summary, &extras->npde_summary);
  }
  if (args.bootstrap > 0) {
    population::BootstrapOptions bootstrap;
    bootstrap.replicates = args.bootstrap;
    bootstrap.seed = args.seed;
    bootstrap.method = options.method;
    bootstrap.fit = options;
    bootstrap.fit.method = saem ? population::Method::kFoceI : options.method;
    bootstrap.fit.cancelled = nullptr;
    bootstrap.fit.time_limit_s = 0;
    if (saem) bootstrap.saem = saem_options(args, options);
    bootstrap.saem.cancelled = nullptr;
    bootstrap.saem.time_limit_s = 0;
    bootstrap.threads = options.threads;
    bootstrap.cancelled = options.cancelled;
    extras->bootstrap = true;
    population::bootstrap_subjects(problem, *summary, bootstrap, &extras->bootstrap_summary);
  }
}

void write_population_extras(const PopulationExtraArgs& args,
                             const population::PopulationSummary& summary,
                             const PopulationExtras& extras,
                             const std::vector<std::string>& inputs) {
  if (!args.plot.empty() && !summary.observations.empty())
    write_plot(args.plot, population::goodness_of_fit_plot(summary, args.plot), inputs);
  if (!args.individual_plot.empty() && !summary.observations.empty())
    write_plot(args.individual_plot,
               population::individual_fits_plot(summary, args.individual_plot), inputs);
  if (!args.saem_trajectory.empty() && extras.saem) {
    if (ends_with(args.saem_trajectory, ".csv"))
      io::write_file_atomically(
          args.saem_trajectory,
          [&](std::ostream& out) { population::write_trajectory_csv(extras.saem_summary, out); },
          inputs);
    else
      write_plot(args.saem_trajectory,
                 population::saem_trajectory_plot(extras.saem_summary, args.saem_trajectory),
                 inputs);
  }
  if (!args.bootstrap_table.empty() && extras.bootstrap)
    io::write_file_atomically(
        args.bootstrap_table,
        [&](std::ostream& out) { population::write_bootstrap_csv(extras.bootstrap_summary, out); },
        inputs);
}

void print_population_text(const population::PopulationSummary& summary,
                           const PopulationExtras& extras, std::ostream& out) {
  if (extras.saem)
    population::print_text(extras.saem_summary, out);  // the SAEM summary holds `summary`'s fit
  else
    population::print_text(summary, out);
  if (extras.npde) population::print_text(extras.npde_summary, out);
  if (extras.bootstrap) population::print_text(extras.bootstrap_summary, out);
}

std::string population_json_text(const population::PopulationSummary& summary,
                                 const PopulationExtras& extras,
                                 const population::PopulationModel& model) {
  std::string json = extras.saem ? population::to_json_text(extras.saem_summary, false)
                                 : population::to_json_text(summary, false);
  if (extras.npde) json = population::with_npde_json(json, extras.npde_summary);
  if (extras.bootstrap) json = population::with_bootstrap_json(json, extras.bootstrap_summary);
  return population::with_population_model_json(json, model);
}

}  // namespace onset::cli
