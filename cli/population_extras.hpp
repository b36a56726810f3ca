// What `onset fit --population` does besides the FOCE family's fit (cli/fit_population_command
// .cpp): estimation by SAEM (--method saem, fits/population/saem.hpp), NPDE (--npde N), the
// bootstrap by subject (--ci bootstrap --bootstrap N), the diagnostic plots (--plot FILE: DV vs
// PRED/IPRED, CWRES vs TIME and PRED, NPDE; --individual-plot FILE) and the SAEM trajectory
// (--saem-trajectory FILE.csv|.svg|.png). Every output target is checked, and gnuplot's presence
// when a plot is asked for, before any work starts; files are written atomically by rank 0.
//
// The JSON output of a population fit carries its population model ("population_model") so that
// `onset simulate --population-fit FIT.json` can draw from it without the model declaration.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "fits/population/npde.hpp"
#include "fits/population/population_bootstrap.hpp"
#include "fits/population/population_fit.hpp"
#include "fits/population/saem.hpp"

namespace onset::cli {

struct PopulationExtraArgs {
  std::string saem_iterations = "300,200";  // --saem-iterations K1,K2
  int chains = 0;                           // --chains (0: automatic)
  int importance_samples = 5000;            // --importance-samples
  std::string saem_trajectory;              // --saem-trajectory FILE
  int npde = 0;                             // --npde N (simulations; 0: none)
  std::string individual_plot;              // --individual-plot FILE
  std::string bootstrap_table;              // --bootstrap-table FILE.csv
  // Filled by `onset fit` from its own options: --plot, --seed, --ci bootstrap --bootstrap N.
  std::string plot;
  unsigned long long seed = 1;
  int bootstrap = 0;
};

void add_population_extra_options(CLI::App* command, PopulationExtraArgs* args);

// Throws BadInput for bad values or targets (before the work).
void check_population_extras(const PopulationExtraArgs& args, fits::population::Method method,
                             const std::vector<std::string>& inputs);

struct PopulationExtras {
  bool saem = false;
  fits::population::SaemSummary saem_summary;
  bool npde = false;
  fits::population::NpdeSummary npde_summary;
  bool bootstrap = false;
  fits::population::BootstrapSummary bootstrap_summary;
};

// The fit by `options.method` (SAEM or the FOCE family), then NPDE and the bootstrap when asked.
void solve_population(const PopulationExtraArgs& args,
                      const fits::population::PopulationOptions& options,
                      const fits::population::PopulationProblem& problem,
                      fits::population::PopulationSummary* summary, PopulationExtras* extras);

// Plots, trajectory and bootstrap table (rank 0). Throws on a failed write.
void write_population_extras(const PopulationExtraArgs& args,
                             const fits::population::PopulationSummary& summary,
                             const PopulationExtras& extras,
                             const std::vector<std::string>& inputs);

// The text report (the fit's, with SAEM's settings, NPDE and the bootstrap) and the JSON.
void print_population_text(const fits::population::PopulationSummary& summary,
                           const PopulationExtras& extras, std::ostream& out);
std::string population_json_text(const fits::population::PopulationSummary& summary,
                                 const PopulationExtras& extras,
                                 const fits::population::PopulationModel& model);

}  // namespace onset::cli
