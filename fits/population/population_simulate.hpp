// Simulation with variability: replicates of a data set's subjects under a population model at a
// point (THETA, OMEGA, SIGMA). For replicate r and subject i: ETA_ri ~ N(0, OMEGA), IPRED =
// f(ETA_ri) at the subject's observation times (its own doses and covariates), and DV = IPRED + e
// with e ~ N(0, a^2 + b^2 IPRED^2) on the error scale (on log scale: DV = exp(log IPRED + e)).
//
// One engine for `onset simulate --replicates` (with a VPC, fits/population/vpc.hpp), NPDE
// (fits/population/npde.hpp) and the simulation study of the tests. Replicate r of subject i draws
// its numbers from pk::task_rng(a key of the seed, r N + i); tasks run over threads and MPI ranks
// (pk/distributed.hpp), so a seed gives the same numbers for any split.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "fits/population/individual.hpp"
#include "fits/population/population_fit.hpp"

namespace onset::fits::population {

struct SimulationOptions {
  // Replicates of the whole data set.
  int replicates = 100;
  uint64_t seed = 1;
  // Add residual error (false: DV = IPRED).
  bool residual_error = true;
  // Worker threads per MPI rank (0: all cores); the results do not depend on it.
  int threads = 0;
  // Polled between replicates' tasks; a cancelled run throws std::runtime_error("interrupted").
  std::function<bool()> cancelled;

  bool IsValid(std::string* why) const;
};

struct PopulationSimulation {
  int replicates = 0;
  std::vector<std::string> eta_names;
  std::vector<std::string> observables;
  // The observations of one replicate, in the data set's subject and record order.
  std::vector<size_t> subject;  // index into the data set's subjects
  std::vector<std::string> id;
  std::vector<double> time;
  std::vector<int> block;        // observable index
  std::vector<double> observed;  // the data set's DV
  // replicates x observations (row-major): simulated IPRED and DV, in the observable's unit;
  // NaN where the model could not be evaluated (counted in `failures`).
  std::vector<double> ipred, dv;
  // replicates x subjects x ETAs: the ETAs drawn.
  std::vector<double> eta;
  int failures = 0;  // (replicate, subject) pairs that could not be evaluated
  size_t num_observations() const { return time.size(); }
  size_t num_subjects = 0;
};

// Simulates `options.replicates` replicates of `problem`'s data set at `point` (prepared). Throws
// std::invalid_argument for invalid options, UserError for a model that does not fit the data
// (as the fits do).
void simulate_population(const PopulationProblem& problem, const PopulationPoint& point,
                         const SimulationOptions& options, PopulationSimulation* out);

// REP, ID, TIME, OBS, IPRED, DV, then the subject's ETAs (one column per ETA), one row per
// simulated observation.
void write_simulation_csv(const PopulationSimulation& simulation, std::ostream& out);

// The data set of replicate `replicate` as a problem to fit: `problem` with every subject's
// observations replaced by the simulated DVs (the simulation study, tests).
PopulationProblem simulated_problem(const PopulationProblem& problem,
                                    const PopulationSimulation& simulation, int replicate);

}  // namespace onset::fits::population
