// Simulation study of FOCE-I population fits (a stochastic simulation and estimation, SSE): data
// sets of a 50-subject design simulated from a known population (fits/population/
// population_simulate.hpp), each fitted by FOCE-I from starting values 20 % off, with the
// sandwich covariance step. Measured per parameter: bias (mean estimate / truth - 1) and its
// Monte Carlo SE, the empirical CV of the estimates against the mean RSE the fits report, and for
// the fixed effects the coverage of the 95 % Wald intervals estimate -/+ 1.96 SE.
//
// Design: one_compartment_oral, 100 mg at t = 0, samples at 0.5, 1, 2, 4, 8, 12, 24 h (350
// observations); KA 1.2 /h, CL 2.5 L/h, V 30 L, log-normal ETAs with OMEGA 0.2, 0.09, 0.04,
// proportional error SD 0.15.
//
// By default 10 replicates (the default ctest run): every fit converges, fixed-effect bias within
// 5 % plus 3 of its Monte Carlo SEs (the first 10 replicates give KA -5.8 % with an MC SE of
// 1.5 %, where the 100 give -2.4 % +/- 0.7 %), the variances' bias within 3 of its Monte Carlo
// SEs (10 replicates cannot resolve 5 % for parameters with 15-25 % RSE), at least 25 of the 30
// fixed-effect intervals cover the truth.
// ONSET_FULL_STUDY=1 runs 100 replicates (the study; fits/README.md has the numbers) and
// checks bias within 5 % for every fixed effect and variance and coverage in 88-99 % per fixed
// effect (95 % nominal; the Monte Carlo SE of a coverage near 95 % over 100 replicates is 2.2
// points); ONSET_POPULATION_STUDY_REPLICATES=N sets the count.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "pk/parallel.hpp"
#include "tests/fits/population_design.hpp"

namespace onset::fits::population {
namespace {

bool full_study() {
  const char* value = std::getenv("ONSET_FULL_STUDY");
  return value != nullptr && std::string(value) == "1";
}

int replicate_count() {
  if (const char* value = std::getenv("ONSET_POPULATION_STUDY_REPLICATES")) {
    const int n = std::atoi(value);
    if (n > 0) return n;
  }
  return full_study() ? 100 : 10;
}

PopulationSpec truth_spec() {
  PopulationSpec spec;
  spec.etas = {"KA=0.2", "CL=0.09", "V=0.04"};
  spec.start = {{"KA", 1.2}, {"CL", 2.5}, {"V", 30}, {"sigma_prop", 0.15}};
  spec.error = ErrorKind::kProportional;
  return spec;
}

TEST(PopulationSimulationStudy, FoceIBiasAndCoverage) {
  const int replicates = replicate_count();
  const PopulationProblem design =
      testing::design_problem(testing::Design{}, truth_spec(), "study_design.csv");
  const PopulationSimulation sim = testing::simulate_design(design, replicates, 2026);
  ASSERT_EQ(sim.failures, 0);
  const std::vector<std::pair<std::string, double>> truth = {{"tvKA", 1.2},
                                                             {"tvCL", 2.5},
                                                             {"tvV", 30},
                                                             {"eta_KA", 0.2},
                                                             {"eta_CL", 0.09},
                                                             {"eta_V", 0.04},
                                                             {"CP proportional", 0.15 * 0.15}};
  const size_t p = truth.size();
  std::vector<std::vector<double>> estimates(static_cast<size_t>(replicates)),
      ses(static_cast<size_t>(replicates));
  std::vector<int> status(static_cast<size_t>(replicates), -1);
  pk::parallel_for(
      static_cast<size_t>(replicates), 2, [] { return 0; },
      [&](size_t r, int&) {
        PopulationProblem problem = simulated_problem(design, sim, static_cast<int>(r));
        for (Theta& theta : problem.model.thetas) theta.start *= 1.2;
        for (auto& block : problem.model.omega) block.start[0] *= 1.2;
        problem.model.errors[0].proportional_sd *= 1.2;
        PopulationOptions options;
        options.threads = 1;
        options.diagnostics = false;
        PopulationSummary s;
        Solve(options, problem, &s);
        status[r] = s.status == PopulationStatus::kConverged && s.covariance_ok ? 1 : 0;
        for (const auto& [name, value] : truth) {
          const PopulationEstimate& e = testing::estimate_named(s, name);
          estimates[r].push_back(e.estimate);
          ses[r].push_back(e.se);
        }
      },
      1);
  int converged = 0;
  for (int s : status) converged += s;
  EXPECT_EQ(converged, replicates);

  std::printf(
      "FOCE-I simulation study, %d replicates of 50 subjects (%d converged with a "
      "covariance step)\n%-18s %9s %9s %9s %9s %9s %9s\n",
      replicates, converged, "parameter", "truth", "bias%", "MC SE%", "emp.CV%", "mean RSE%",
      "coverage");
  int covered_total = 0, intervals_total = 0;
  for (size_t k = 0; k < p; ++k) {
    const double value = truth[k].second;
    double mean = 0, rse = 0;
    int covered = 0, n = 0;
    for (size_t r = 0; r < static_cast<size_t>(replicates); ++r) {
      if (status[r] != 1) continue;
      ++n;
      mean += estimates[r][k];
      rse += ses[r][k] / estimates[r][k];
      if (std::abs(estimates[r][k] - value) <= 1.96 * ses[r][k]) ++covered;
    }
    mean /= n;
    rse /= n;
    double sum = 0;
    for (size_t r = 0; r < static_cast<size_t>(replicates); ++r)
      if (status[r] == 1) sum += (estimates[r][k] - mean) * (estimates[r][k] - mean);
    const double sd = std::sqrt(sum / (n - 1));
    const double bias = mean / value - 1, mc_se = sd / std::sqrt(n) / value;
    const bool fixed_effect = k < 3;
    std::printf("%-18s %9.4g %9.2f %9.2f %9.2f %9.2f %9s\n", truth[k].first.c_str(), value,
                100 * bias, 100 * mc_se, 100 * sd / mean, 100 * rse,
                fixed_effect ? (std::to_string(covered) + "/" + std::to_string(n)).c_str() : "");
    if (fixed_effect) {
      // Full study: the bias itself under 5 %. Reduced run: the mean of 10 fits has a Monte
      // Carlo SE of 1-2 % (KA: its estimates' CV is 6.8 %), so it can only show a bias that is
      // clearly above 5 %: the bound is 5 % plus 3 Monte Carlo SEs.
      EXPECT_LT(std::abs(bias), full_study() ? 0.05 : 0.05 + 3 * mc_se) << truth[k].first;
      covered_total += covered;
      intervals_total += n;
      if (full_study()) {
        EXPECT_GE(covered, 0.88 * n) << truth[k].first;
        EXPECT_LE(covered, 0.99 * n) << truth[k].first;
      }
    } else if (full_study()) {
      EXPECT_LT(std::abs(bias), 0.05) << truth[k].first;
    } else {
      EXPECT_LT(std::abs(bias), 3 * mc_se) << truth[k].first;
    }
  }
  if (!full_study()) {
    EXPECT_GE(covered_total, intervals_total - intervals_total / 6);
  }
}

}  // namespace
}  // namespace onset::fits::population
