// `onset simulate MODEL --data FILE --replicates N [--population-fit FIT.json] [--vpc FILE.svg]`:
// simulation with variability (fits/population/population_simulate.hpp). Each replicate of the
// data set draws every subject's ETAs from N(0, OMEGA) and a residual error for every
// observation (unless --no-residual-error), at the estimates of a population fit (its JSON
// output, which carries the population model: `onset fit ... --population --format json`) or at
// the values of the model file's `population:` section. The observation records of the data set
// (EVID 0 with a DV; any number when there is nothing observed) say where to simulate; doses
// and covariates are the subjects' own.
//
// Output (stdout or --out, atomically): REP, ID, TIME, OBS, IPRED, DV and the subject's ETAs per
// simulated observation (CSV), or the same rows as JSON. --vpc FILE.svg|FILE.png: the visual
// predictive check of the data set's DVs (fits/population/vpc.hpp: observed 5th, 50th, 95th
// percentiles over the simulated 95 % intervals, binned by time); --vpc-table FILE.csv|.json:
// its numbers. Replicates are seeded (--seed) and the numbers do not depend on --threads or the
// MPI split. Exit codes: 0, 1 when no replicate could be simulated, 2 bad input, 130 interrupted.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace onset::cli {

struct SimulatePopulationArgs {
  int replicates = -1;  // -1: not given
  std::string population_fit;
  unsigned long long seed = 1;
  bool no_residual_error = false;
  std::string vpc;
  std::string vpc_table;
  int vpc_bins = 10;
};

void add_simulate_population_options(CLI::App* command, SimulatePopulationArgs* args);

// True when the options ask for a population simulation.
bool population_simulation_requested(const SimulatePopulationArgs& args);

// `conflicting`: the simulate options that have no meaning here and were given ("" if none).
int run_population_simulation(const SimulatePopulationArgs& args, const std::string& model,
                              const std::string& data, const std::string& out,
                              const std::string& format, int threads,
                              const std::string& conflicting);

}  // namespace onset::cli
