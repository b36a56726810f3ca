// A known population for the tests of sampling methods (SAEM, NPDE, VPC, bootstrap, the
// simulation study): a one_compartment_oral design (a single oral dose, sampling times, body
// weights) whose observations are simulated under a declared population model
// (fits/population/population_simulate.hpp), so that the truth is known.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "fits/population/population_simulate.hpp"
#include "fits/population/population_values.hpp"
#include "tests/fits/population_support.hpp"

namespace onset::fits::population::testing {

struct Design {
  int subjects = 50;
  double dose_mg = 100;
  std::vector<double> times_h = {0.5, 1, 2, 4, 8, 12, 24};
};

// NONMEM records of `design`: ID, TIME, EVID, AMT, DV (1 as a placeholder), MDV, WT (50-90 kg).
inline std::string design_records(const Design& design, const std::string& stem) {
  std::ostringstream csv;
  csv << "ID,TIME,EVID,AMT,DV,MDV,WT\n";
  for (int id = 1; id <= design.subjects; ++id) {
    const double wt = 50 + (id * 37 % 41);
    csv << id << ",0,1," << design.dose_mg << ",.,1," << wt << "\n";
    for (double t : design.times_h) csv << id << "," << t << ",0,0,1,0," << wt << "\n";
  }
  return write_file(stem, csv.str());
}

// The problem of `design` under `truth` with every replicate's data simulated (seeded).
inline PopulationProblem design_problem(const Design& design, const PopulationSpec& truth,
                                        const std::string& stem) {
  return make_problem("one_compartment_oral", design_records(design, stem), truth);
}

inline PopulationSimulation simulate_design(const PopulationProblem& problem, int replicates,
                                            uint64_t seed) {
  SimulationOptions options;
  options.replicates = replicates;
  options.seed = seed;
  PopulationSimulation sim;
  simulate_population(problem, start_point(problem.model, problem.data.observables.size()), options,
                      &sim);
  return sim;
}

inline const PopulationEstimate& estimate_named(const PopulationSummary& summary,
                                                const std::string& name) {
  for (const auto& e : summary.estimates)
    if (e.name == name) return e;
  ADD_FAILURE() << "no estimate " << name;
  static PopulationEstimate none;
  return none;
}

}  // namespace onset::fits::population::testing
