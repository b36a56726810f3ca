// NPDE (fits/population/npde.hpp): the tests npde runs on them against R 4.2's (computed once:
// shapiro.test, wilcox.test(exact = FALSE), and the chi-square variance test as npde's
// testnpde writes it), and the NPDE of a known population: N(0, 1) and decorrelated under the
// true model, rejected under a wrong one.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <map>
#include <sstream>
#include <vector>

#include "fits/population/npde.hpp"
#include "fits/population/population_report.hpp"
#include "tests/fits/population_design.hpp"

namespace onset::fits::population {
namespace {

// R: set.seed(3); x <- round(rnorm(25)^2 - 0.5, 6)
const std::vector<double> kSkewed = {
    0.425316, -0.414429, -0.433029, 0.827408, -0.461669, -0.499093, -0.492704, 0.746818, 0.985613,
    1.106223, 0.0547,    0.779655,  0.013169, -0.436167, -0.476882, -0.405348, 0.408242, -0.079781,
    0.998944, -0.460075, -0.165357, 0.387931, -0.458495, 2.277138,  -0.265303};

TEST(PopulationNpde, ShapiroWilkMatchesR) {
  // R's shapiro.test (Royston's AS R94) to its printed 15 digits; the n <= 11 and n = 3 branches
  // too. Our polynomial coefficients are R's, so agreement is to rounding (1e-12).
  double w = 0;
  EXPECT_NEAR(shapiro_wilk_p(kSkewed, &w), 0.00115050830118755, 1e-12);
  EXPECT_NEAR(w, 0.840126767580925, 1e-12);
  EXPECT_NEAR(shapiro_wilk_p({0.3, -1.2, 0.8, 2.1, -0.4, 0.3, 1.1, -0.9}, &w), 0.909667990976636,
              1e-12);
  EXPECT_NEAR(w, 0.971520810823612, 1e-12);
  EXPECT_NEAR(shapiro_wilk_p({1.5, 0.2, -0.7}, &w), 0.800248328460252, 1e-12);
  EXPECT_NEAR(w, 0.989100817438692, 1e-12);
  EXPECT_TRUE(std::isnan(shapiro_wilk_p({1, 2}, &w)));
}

TEST(PopulationNpde, WilcoxonAndVarianceTestsMatchR) {
  EXPECT_NEAR(wilcoxon_signed_rank_p(kSkewed), 0.628155653709986, 1e-12);
  EXPECT_NEAR(wilcoxon_signed_rank_p({0.3, -1.2, 0.8, 2.1, -0.4, 0.3, 1.1, -0.9}),
              0.725963626250157, 1e-12);  // with a tie (0.3, 0.3)
  // 2 min(pchisq(var(x) 24, 24), 1 - pchisq(...)).
  EXPECT_NEAR(variance_test_p(kSkewed), 0.0467132616558917, 1e-12);
}

// 50 subjects, 7 samples each, log-normal KA, CL, V, proportional error: the truth.
PopulationSpec truth_spec() {
  PopulationSpec spec;
  spec.etas = {"KA=0.2", "CL=0.09", "V=0.04"};
  spec.start = {{"KA", 1.2}, {"CL", 2.5}, {"V", 30}, {"sigma_prop", 0.15}};
  spec.error = ErrorKind::kProportional;
  return spec;
}

// The model at given values, evaluated (FOCE-I, MAXEVAL=0) on the simulated data set: the
// summary whose estimates NPDE simulates from.
PopulationSummary evaluated(const PopulationProblem& problem) {
  PopulationOptions options;
  options.max_iterations = 0;
  options.covariance = CovarianceMatrix::kNone;
  options.threads = 2;
  PopulationSummary summary;
  Solve(options, problem, &summary);
  EXPECT_EQ(summary.status, PopulationStatus::kEvaluated) << summary.message;
  return summary;
}

const PopulationProblem& known_data() {
  static const PopulationProblem problem = [] {
    const PopulationProblem design =
        testing::design_problem(testing::Design{}, truth_spec(), "npde_design.csv");
    return simulated_problem(design, testing::simulate_design(design, 1, 79), 0);
  }();
  return problem;
}

// Mean within-subject correlation of consecutive values of `value` (lag 1).
double lag_one_correlation(const PopulationSummary& s, double ObservationDiagnostics::*value) {
  double mean = 0, n = 0;
  for (const auto& row : s.observations) {
    mean += row.*value;
    n += 1;
  }
  mean /= n;
  double num = 0, den = 0;
  for (size_t i = 0; i < s.observations.size(); ++i) {
    const double d = s.observations[i].*value - mean;
    den += d * d;
    if (i + 1 < s.observations.size() && s.observations[i + 1].id == s.observations[i].id)
      num += d * (s.observations[i + 1].*value - mean);
  }
  return num / den;
}

TEST(PopulationNpde, TrueModelGivesDecorrelatedStandardNormalNpde) {
  PopulationSummary summary = evaluated(known_data());
  NpdeOptions options;
  options.threads = 2;
  NpdeSummary npde;
  compute_npde(known_data(), options, &summary, &npde);
  print_text(npde, std::cout);
  ASSERT_EQ(npde.count, 350);
  // Under the model npde ~ N(0, 1): with 350 values the mean has SE 0.053 and the variance SE
  // 0.076, so 3 SE bounds; no test rejects at 1 %. (Data sets simulated with seeds 77-83 gave
  // means -0.11..0.06, variances 0.88-1.11 and global p-values 0.011-1; this one is seed 79.)
  EXPECT_NEAR(npde.mean, 0, 0.16);
  EXPECT_NEAR(npde.variance, 1, 0.23);
  EXPECT_GT(npde.p_global, 0.01);
  // Decorrelation: the raw deviations DV - EPRED of one subject share its ETAs (strongly
  // correlated from one sample to the next); the npde are not.
  for (auto& row : summary.observations) row.res = row.dv - row.epred;  // proportional: unit scale
  const double raw = lag_one_correlation(summary, &ObservationDiagnostics::res);
  const double decorrelated = lag_one_correlation(summary, &ObservationDiagnostics::npde);
  std::cout << "lag-1 correlation within subjects: DV - EPRED " << raw << ", NPDE " << decorrelated
            << "\n";
  EXPECT_GT(raw, 0.3);
  EXPECT_LT(std::abs(decorrelated), 0.12);
  // The CSV and JSON carry the columns.
  std::ostringstream csv;
  write_observations_csv(summary, csv);
  EXPECT_NE(csv.str().find(",EPRED,PDE,NPDE\n"), std::string::npos);
  const std::string json = with_npde_json(to_json_text(summary, true), npde);
  EXPECT_NE(json.find("\"npde\": {"), std::string::npos);
  EXPECT_NE(json.find("\"p_normality_shapiro_wilk\""), std::string::npos);
}

TEST(PopulationNpde, TooLittleVariabilityIsRejected) {
  // The same data against a model whose between-subject variances are a quarter of the truth:
  // the observations spread more than the simulations, so the npde variance exceeds 1 (1.49;
  // 0.88-1.11 under the true model for seeds 77-83).
  PopulationProblem wrong = known_data();
  for (auto& block : wrong.model.omega) block.start[0] /= 4;
  PopulationSummary summary = evaluated(wrong);
  NpdeOptions options;
  options.threads = 2;
  NpdeSummary npde;
  compute_npde(wrong, options, &summary, &npde);
  print_text(npde, std::cout);
  EXPECT_GT(npde.variance, 1.3);
  EXPECT_LT(npde.p_variance, 1e-6);
  EXPECT_LT(npde.p_global, 1e-5);
}

TEST(PopulationNpde, SameNumbersForAnyThreadCount) {
  PopulationSummary one = evaluated(known_data()), two = one;
  NpdeOptions options;
  options.simulations = 200;
  options.seed = 5;
  NpdeSummary a, b;
  options.threads = 1;
  compute_npde(known_data(), options, &one, &a);
  options.threads = 3;
  compute_npde(known_data(), options, &two, &b);
  ASSERT_EQ(one.observations.size(), two.observations.size());
  for (size_t i = 0; i < one.observations.size(); ++i)
    ASSERT_EQ(one.observations[i].npde, two.observations[i].npde) << i;
  EXPECT_EQ(a.p_global, b.p_global);
}

}  // namespace
}  // namespace onset::fits::population
