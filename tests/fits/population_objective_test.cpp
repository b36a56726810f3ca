// The population objective at fixed parameters against NONMEM's: Wang 2007 (J Pharmacokinet
// Pharmacodyn 34:575, Table 2; the values nlmixr2est's tests check), 10 subjects observed at
// t = 0 and 1, ipre = 10 exp(-ke t), ke = 0.5 exp(eta), OMEGA 0.04, residual variance 0.1.
// NONMEM prints the objective to 3 decimals, so the tolerance is 1e-3 (the rounding of the
// reference).
#include <gtest/gtest.h>

#include <cmath>
#include <iomanip>
#include <iostream>

#include "tests/fits/population_support.hpp"

namespace onset::fits::population {
namespace {

using testing::make_problem;
using testing::wang_records;

PopulationSummary wang(ErrorKind error, Method method) {
  PopulationSpec spec;
  spec.etas = {"CL"};
  spec.fixed = {{"CL", 0.5}, {"V", 1}, {"eta_CL", 0.04}};
  spec.fixed[error == ErrorKind::kAdditive ? "sigma_add" : "sigma_prop"] = std::sqrt(0.1);
  spec.error = error;
  const PopulationProblem problem = make_problem("one_compartment_iv", wang_records(), spec);
  PopulationOptions options;
  options.method = method;
  options.threads = 1;
  PopulationSummary summary;
  Solve(options, problem, &summary);
  EXPECT_EQ(summary.status, PopulationStatus::kEvaluated) << summary.message;
  EXPECT_EQ(summary.num_estimated, 0);
  EXPECT_EQ(summary.num_subjects, 10);
  EXPECT_EQ(summary.num_observations, 20);
  std::cout << method_name(method) << ", " << error_kind_name(error) << ": objective "
            << std::setprecision(8) << summary.objective << "\n";
  return summary;
}

TEST(PopulationObjective, WangProportionalFoceIMatchesNonmem) {
  EXPECT_NEAR(wang(ErrorKind::kProportional, Method::kFoceI).objective, 39.458, 1e-3);
}

TEST(PopulationObjective, WangProportionalFoceMatchesNonmem) {
  EXPECT_NEAR(wang(ErrorKind::kProportional, Method::kFoce).objective, 39.207, 1e-3);
}

TEST(PopulationObjective, WangProportionalFoMatchesNonmem) {
  EXPECT_NEAR(wang(ErrorKind::kProportional, Method::kFo).objective, 39.213, 1e-3);
}

TEST(PopulationObjective, WangAdditiveFoceIMatchesNonmemAndEqualsFoce) {
  const double focei = wang(ErrorKind::kAdditive, Method::kFoceI).objective;
  EXPECT_NEAR(focei, -2.059, 1e-3);
  // Without an ETA-epsilon interaction (additive error) FOCE-I is FOCE (to the EBE tolerance).
  EXPECT_NEAR(wang(ErrorKind::kAdditive, Method::kFoce).objective, focei, 1e-8);
}

TEST(PopulationObjective, WangAdditiveFoMatchesNonmem) {
  EXPECT_NEAR(wang(ErrorKind::kAdditive, Method::kFo).objective, 0.026, 1e-3);
}

TEST(PopulationObjective, MinusTwoLogLikelihoodAddsTheConstant) {
  const PopulationSummary s = wang(ErrorKind::kProportional, Method::kFoceI);
  EXPECT_NEAR(s.minus_two_log_likelihood - s.objective, 20 * std::log(2 * M_PI), 1e-9);
}

}  // namespace
}  // namespace onset::fits::population
