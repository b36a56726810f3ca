// SAEM (fits/population/saem.hpp) against nlmixr2's published SAEM fit of Theophylline, and on
// data simulated from a known population (combined error, a normal and a logit-normal random
// effect besides log-normal ones).
//
// Reference: the nlmixr2 README (github.com/nlmixr2/nlmixr2, README.md, "Example": the
// one.compartment model fitted to theo_sd with est = "saem", printed output), the numbers the
// issue quotes: tka 0.454, tcl 1.02, tv 3.45 (logs of KA, CL, V), add.sd 0.693, BSV 71.5 / 27.6 /
// 13.4 %CV. nlmixr2 prints BSV of a log-normal ETA as 100 sqrt(exp(omega^2) - 1) (its
// parFixedDf "BSV(CV%)"; e.g. its FOCE-I validation values list omega 0.03817 as 19.73 %), which
// is onset's cv_exact_pct.
//
// Tolerances. SAEM is stochastic: each run's estimates are the maximum-likelihood estimate plus
// Monte Carlo noise that the smoothing phase averages down. Six seeds of onset's SAEM (2-7,
// measured when this test was written) gave tka 0.4588-0.4623, tcl 1.0077-1.0109, tv 3.4535-
// 3.4563, add.sd 0.6931-0.6977, CV 69.9-71.6 / 26.4-27.5 / 13.1-14.1 %: the spread of one
// implementation. nlmixr2's numbers are one run of another (its own seed, 3 chains, 200 + 300
// iterations), so the two differ by both runs' noise. Fixed effects and the residual SD:
// within 2 % on the natural scale (KA, CL, V; |log difference| < 0.02), about twice the largest
// difference seen (CL: exp(1.0077 - 1.02) = -1.2 %), which is 0.15 of nlmixr2's SE of tcl
// (0.0853). The variance terms are known far less well (RSE of OMEGA 40-55 % here, 12 subjects),
// so their Monte Carlo noise is larger: the CVs within 10 % (relative) of nlmixr2's, again about
// twice the largest difference seen (CV of V: 14.06 against 13.4, +4.9 %).
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <map>
#include <sstream>

#include "fits/population/population_simulate.hpp"
#include "fits/population/population_values.hpp"
#include "fits/population/saem.hpp"
#include "pk/user_error.hpp"
#include "tests/fits/population_design.hpp"
#include "tests/fits/population_support.hpp"

namespace onset::fits::population {
namespace {

using testing::estimate;
using testing::make_problem;

// nlmixr2's one.compartment ini block: tka 0.45, tcl 1, tv 3.45 (logs), eta.ka ~ 0.6,
// eta.cl ~ 0.3, eta.v ~ 0.1, add.sd 0.7.
PopulationSpec theo_spec() {
  PopulationSpec spec;
  spec.etas = {"KA=0.6", "CL=0.3", "V=0.1"};
  spec.start = {
      {"KA", std::exp(0.45)}, {"CL", std::exp(1.0)}, {"V", std::exp(3.45)}, {"sigma_add", 0.7}};
  spec.error = ErrorKind::kAdditive;
  return spec;
}

const PopulationProblem& theo_problem() {
  static const PopulationProblem problem =
      make_problem("one_compartment_oral", testing::theo_sd_records(), theo_spec());
  return problem;
}

TEST(PopulationSaem, TheophyllineMatchesNlmixr2Saem) {
  SaemOptions options;
  options.threads = 2;
  SaemSummary s;
  Solve(options, theo_problem(), &s);
  print_text(s, std::cout);
  ASSERT_EQ(s.population.status, PopulationStatus::kConverged) << s.population.message;
  EXPECT_EQ(s.population.method, Method::kSaem);
  EXPECT_EQ(s.chains, 5);  // 12 subjects: 5 chains each (Monolix's 50)
  const double ka = estimate(s.population, "THETA(1)").estimate;
  const double cl = estimate(s.population, "THETA(2)").estimate;
  const double v = estimate(s.population, "THETA(3)").estimate;
  std::cout << "log KA " << std::log(ka) << " (nlmixr2 0.454), log CL " << std::log(cl)
            << " (1.02), log V " << std::log(v) << " (3.45)\n";
  EXPECT_NEAR(ka / std::exp(0.454), 1, 0.02);
  EXPECT_NEAR(cl / std::exp(1.02), 1, 0.02);
  EXPECT_NEAR(v / std::exp(3.45), 1, 0.02);
  EXPECT_NEAR(estimate(s.population, "SIGMA(1,1)").sd / 0.693, 1, 0.02);
  EXPECT_NEAR(estimate(s.population, "OMEGA(1,1)").cv_exact_pct / 71.5, 1, 0.10);
  EXPECT_NEAR(estimate(s.population, "OMEGA(2,2)").cv_exact_pct / 27.6, 1, 0.10);
  EXPECT_NEAR(estimate(s.population, "OMEGA(3,3)").cv_exact_pct / 13.4, 1, 0.10);
  // -2 log L by importance sampling is the exact likelihood (to its Monte Carlo error, about
  // 0.2 here); the FOCE-I objective at the same estimates is a linearisation and comes out
  // higher (359.4 against 356.8-357.3 for seeds 2-7: FOCE-I's expected-information
  // approximation of the integral over the ETAs). Both are finite and the IS error small.
  const double constant = 132 * std::log(2 * M_PI);
  EXPECT_LT(s.importance_standard_error, 0.5);
  EXPECT_NEAR(s.importance_minus_two_log_likelihood, 357.0, 1.0);
  EXPECT_NEAR(s.focei_objective + constant, 359.4, 0.2);
  EXPECT_NEAR(s.population.objective, s.importance_minus_two_log_likelihood - constant, 1e-9);
  // Standard errors from the FOCE-I covariance step at the estimates (nlmixr2 reports 0.196,
  // 0.0853, 0.0454 for the logs by its linearised FIM; the delta method: SE(log KA) =
  // SE(KA) / KA).
  const PopulationEstimate& ka_estimate = estimate(s.population, "THETA(1)");
  EXPECT_TRUE(s.population.covariance_ok) << s.population.covariance_message;
  EXPECT_GT(ka_estimate.se / ka_estimate.estimate, 0.1);
  EXPECT_LT(ka_estimate.se / ka_estimate.estimate, 0.3);
  // The trajectory: one row per iteration, ending at the estimates.
  const size_t width = s.trajectory_names.size();
  ASSERT_EQ(s.trajectory.size(), width * 505);
  EXPECT_EQ(s.trajectory[504 * width], ka);
}

SaemOptions short_run(int threads) {
  SaemOptions options;
  options.threads = threads;
  options.seed = 11;
  options.exploration_iterations = 20;
  options.smoothing_iterations = 10;
  options.importance_samples = 300;
  options.covariance = CovarianceMatrix::kNone;
  options.diagnostics = false;
  return options;
}

TEST(PopulationSaem, SameNumbersForAnyThreadCount) {
  SaemSummary one, three;
  Solve(short_run(1), theo_problem(), &one);
  Solve(short_run(3), theo_problem(), &three);
  ASSERT_EQ(one.trajectory.size(), three.trajectory.size());
  for (size_t k = 0; k < one.trajectory.size(); ++k)
    ASSERT_EQ(one.trajectory[k], three.trajectory[k]) << "trajectory entry " << k;
  EXPECT_EQ(one.importance_minus_two_log_likelihood, three.importance_minus_two_log_likelihood);
  // Another seed moves the chains.
  SaemOptions other = short_run(1);
  other.seed = 12;
  SaemSummary moved;
  Solve(other, theo_problem(), &moved);
  EXPECT_NE(moved.trajectory.back(), one.trajectory.back());
}

TEST(PopulationSaem, RefusesAThetaWithoutRandomEffect) {
  PopulationSpec spec = theo_spec();
  spec.etas = {"KA=0.6", "CL=0.3"};
  spec.start["V"] = 31;  // estimated as V = tvV, no ETA
  const PopulationProblem problem =
      make_problem("one_compartment_oral", testing::theo_sd_records(), spec);
  SaemSummary s;
  try {
    Solve(short_run(1), problem, &s);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("THETA tvV enters V, which has no random effect"), std::string::npos)
        << text;
    EXPECT_NE(text.find("--fix tvV=VALUE"), std::string::npos) << text;
  }
}

TEST(PopulationSaem, RefusesARandomEffectThatIsNotMuReferenced) {
  PopulationSpec spec = theo_spec();
  spec.etas = {"KA=0.6", "V=0.1", "eta_CL=0.3"};
  spec.parameters = {"CL = tvCL * exp(2 * eta_CL)"};
  spec.thetas = {"tvCL=2.7:0:100"};
  spec.start.erase("CL");
  const PopulationProblem problem =
      make_problem("one_compartment_oral", testing::theo_sd_records(), spec);
  SaemSummary s;
  try {
    Solve(short_run(1), problem, &s);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("eta_CL does not enter CL additively"), std::string::npos) << text;
  }
}

// A known population: 40 subjects, one_compartment_oral, 100 mg at t = 0, 7 samples; KA log-
// normal, CL = tvCL (WT/70)^0.75 exp(eta_CL), V normal (tvV + eta_V), combined residual error.
// SAEM from starts 30-50 % off must find every parameter within 3 of its standard errors (from
// the FOCE-I covariance step at the SAEM estimates): a check of the M-step of each kind (Gauss-
// Newton with a covariate, identity transform, combined error).
TEST(PopulationSaem, RecoversASimulatedPopulation) {
  PopulationSpec truth;
  truth.etas = {"KA=0.16", "eta_CL=0.09", "eta_V=16"};
  truth.parameters = {"CL = tvCL * (WT/70)^0.75 * exp(eta_CL)", "V = tvV + eta_V"};
  truth.thetas = {"tvCL=2.5:0:100", "tvV=30:0:200"};
  truth.start = {{"KA", 1.2}, {"sigma_add", 0.1}, {"sigma_prop", 0.1}};
  truth.error = ErrorKind::kCombined;
  testing::Design design;
  design.subjects = 40;
  const PopulationProblem known = testing::design_problem(design, truth, "saem_known.csv");
  PopulationProblem problem = simulated_problem(known, testing::simulate_design(known, 1, 2024), 0);
  const std::map<std::string, double> truth_values = {
      {"tvKA", 1.2},    {"tvCL", 2.5}, {"tvV", 30},           {"eta_KA", 0.16},
      {"eta_CL", 0.09}, {"eta_V", 16}, {"CP additive", 0.01}, {"CP proportional", 0.01}};
  // Starting values away from the truth.
  for (Theta& theta : problem.model.thetas) theta.start *= 1.4;
  for (auto& block : problem.model.omega) block.start[0] *= 2;
  problem.model.errors[0].additive_sd = 0.2;
  problem.model.errors[0].proportional_sd = 0.2;

  SaemOptions options;
  options.threads = 2;
  options.exploration_iterations = 100;
  options.smoothing_iterations = 60;
  options.importance_samples = 300;
  SaemSummary s;
  Solve(options, problem, &s);
  print_text(s, std::cout);
  ASSERT_EQ(s.population.status, PopulationStatus::kConverged) << s.population.message;
  EXPECT_EQ(s.eta_transforms, (std::vector<std::string>{"log", "log", "identity"}));
  ASSERT_TRUE(s.population.covariance_ok) << s.population.covariance_message;
  ASSERT_EQ(s.population.estimates.size(), truth_values.size());
  for (const auto& [name, value] : truth_values) {
    const PopulationEstimate& e = testing::estimate_named(s.population, name);
    EXPECT_LT(std::abs(e.estimate - value), 3 * e.se)
        << name << ": " << e.estimate << " (SE " << e.se << "), truth " << value;
  }
}

}  // namespace
}  // namespace onset::fits::population
