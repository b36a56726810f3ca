// Bootstrap of a population fit by subject (case resampling; Efron and Tibshirani 1993, ch. 6;
// PsN's `bootstrap`): replicate b draws N subjects with replacement from the N of the data set
// (a subject drawn twice enters twice, as two subjects), refits the model from the original
// estimates, and keeps the estimates; the percentile interval, the bootstrap SE (the SD of the
// replicates), median and bias (mean - estimate) of every parameter follow from the replicates
// that converged.
//
// The seeded machinery of the pooled fits' parametric bootstrap (fits/fit.cpp): replicate b draws
// from pk::task_rng(a key of the seed, b); replicates run over threads and MPI ranks
// (pk::distributed_for), each fit with one thread and rank-local loops, so the numbers do not
// depend on the split.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "fits/population/population_fit.hpp"
#include "fits/population/saem.hpp"

namespace onset::fits::population {

struct BootstrapOptions {
  int replicates = 200;
  uint64_t seed = 1;
  double confidence = 0.95;  // of the percentile intervals
  // How each replicate is fitted: the FOCE family (`fit`; its covariance step and diagnostics
  // are switched off) or, when `method` is SAEM, `saem` (seeded per replicate; its importance
  // sampling and FOCE-I covariance step are switched off).
  Method method = Method::kFoceI;
  PopulationOptions fit;
  SaemOptions saem;
  // Worker threads per MPI rank over replicates (0: all cores); the results do not depend on it.
  int threads = 0;
  std::function<bool()> cancelled;

  bool IsValid(std::string* why) const;
};

struct BootstrapParameter {
  PopulationEstimate::Kind kind = PopulationEstimate::Kind::kTheta;
  std::string name, label;
  double estimate = 0;  // of the original fit
  double mean = 0, median = 0, se = 0, bias = 0, lower = 0, upper = 0;
  bool fixed = false;
};

struct BootstrapSummary {
  int replicates = 0, converged = 0;
  uint64_t seed = 0;
  double confidence = 0;
  std::string method;
  std::vector<BootstrapParameter> parameters;
  // The estimates of every replicate (rows, in replicate order; NaN when it failed), in the
  // order of `parameters`, and whether it converged.
  std::vector<double> draws;
  std::vector<char> replicate_converged;
  std::vector<std::string> notes;
};

// The bootstrap of `original` (a fit of `problem`). Throws std::invalid_argument for invalid
// options; a replicate that throws or fails counts as not converged.
void bootstrap_subjects(const PopulationProblem& problem, const PopulationSummary& original,
                        const BootstrapOptions& options, BootstrapSummary* out);

void print_text(const BootstrapSummary& bootstrap, std::ostream& out);
// `fit_json` with "bootstrap": {...} added.
std::string with_bootstrap_json(const std::string& fit_json, const BootstrapSummary& bootstrap);
// REPLICATE, CONVERGED, then one column per parameter.
void write_bootstrap_csv(const BootstrapSummary& bootstrap, std::ostream& out);

}  // namespace onset::fits::population
