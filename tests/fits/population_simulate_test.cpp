// Simulation with variability (fits/population/population_simulate.hpp) and the VPC built on it
// (fits/population/vpc.hpp): the ETAs drawn have the covariance OMEGA, residual error is added
// on the error scale, the numbers do not depend on the thread count, and the VPC of a data set
// simulated from the model keeps its observed percentiles inside the simulated intervals, while
// a model with too little variability does not.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <iostream>
#include <sstream>

#include "fits/population/population_values.hpp"
#include "fits/population/vpc.hpp"
#include "tests/fits/population_design.hpp"

namespace onset::fits::population {
namespace {

// Correlated CL and V (a full OMEGA block), log-normal KA, combined error.
PopulationSpec block_spec() {
  PopulationSpec spec;
  spec.etas = {"KA=0.2", "CL=0.09", "V=0.04"};
  spec.omega_blocks = {"CL,V"};
  spec.start = {{"KA", 1.2}, {"CL", 2.5}, {"V", 30}, {"sigma_prop", 0.15}, {"sigma_add", 0.05}};
  spec.error = ErrorKind::kCombined;
  return spec;
}

const PopulationProblem& design() {
  static const PopulationProblem problem = [] {
    PopulationProblem p =
        testing::design_problem(testing::Design{}, block_spec(), "simulate_design.csv");
    // CL-V correlation 0.5: covariance 0.5 sqrt(0.09 x 0.04) = 0.03.
    for (auto& block : p.model.omega)
      if (block.etas.size() == 2) block.start = {0.09, 0.03, 0.03, 0.04};
    return p;
  }();
  return problem;
}

TEST(PopulationSimulate, EtasHaveCovarianceOmega) {
  const PopulationSimulation sim = testing::simulate_design(design(), 200, 3);
  ASSERT_EQ(sim.failures, 0);
  const size_t q = 3, draws = 200 * 50;
  ASSERT_EQ(sim.eta.size(), draws * q);
  const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>
      eta(sim.eta.data(), static_cast<Eigen::Index>(draws), 3);
  const Eigen::MatrixXd covariance = eta.transpose() * eta / static_cast<double>(draws);
  const PopulationPoint point = start_point(design().model, 1);
  // 10,000 draws: a variance has relative SE sqrt(2/n) = 1.4 %, so 5 % is 3.5 SE.
  for (Eigen::Index a = 0; a < 3; ++a)
    for (Eigen::Index b = 0; b < 3; ++b) {
      const double expected = point.omega(a, b);
      const double scale = std::sqrt(point.omega(a, a) * point.omega(b, b));
      EXPECT_NEAR(covariance(a, b), expected, 0.05 * scale) << a << "," << b;
    }
  EXPECT_NEAR(point.omega(2, 1), 0.03, 1e-15);
}

TEST(PopulationSimulate, ResidualErrorOnTheErrorScale) {
  SimulationOptions options;
  options.replicates = 50;
  options.seed = 9;
  options.residual_error = false;
  PopulationSimulation exact;
  simulate_population(design(), start_point(design().model, 1), options, &exact);
  for (size_t i = 0; i < exact.dv.size(); ++i) ASSERT_EQ(exact.dv[i], exact.ipred[i]);
  // With error: DV - IPRED has variance a^2 + b^2 IPRED^2 (combined, linear scale); the
  // standardised residuals of 17,500 draws have variance 1 within 4 %.
  options.residual_error = true;
  PopulationSimulation noisy;
  simulate_population(design(), start_point(design().model, 1), options, &noisy);
  double sum = 0;
  for (size_t i = 0; i < noisy.dv.size(); ++i) {
    const double f = noisy.ipred[i];
    const double z = (noisy.dv[i] - f) / std::sqrt(0.05 * 0.05 + 0.15 * 0.15 * f * f);
    sum += z * z;
  }
  EXPECT_NEAR(sum / static_cast<double>(noisy.dv.size()), 1, 0.04);
  // The same ETAs with and without residual error (the error draws come after the ETAs).
  EXPECT_EQ(exact.eta, noisy.eta);
  EXPECT_EQ(exact.ipred, noisy.ipred);
}

TEST(PopulationSimulate, SameNumbersForAnyThreadCount) {
  SimulationOptions options;
  options.replicates = 70;  // two blocks of replicates
  options.seed = 4;
  PopulationSimulation one, three;
  options.threads = 1;
  simulate_population(design(), start_point(design().model, 1), options, &one);
  options.threads = 3;
  simulate_population(design(), start_point(design().model, 1), options, &three);
  EXPECT_EQ(one.dv, three.dv);
  EXPECT_EQ(one.eta, three.eta);
  std::ostringstream csv;
  write_simulation_csv(one, csv);
  const std::string text = csv.str();
  EXPECT_EQ(text.substr(0, text.find('\n')), "REP,ID,TIME,OBS,IPRED,DV,eta_KA,eta_CL,eta_V");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1 + 70 * 350);
}

TEST(PopulationSimulate, SimulatedProblemReplacesTheObservations) {
  const PopulationSimulation sim = testing::simulate_design(design(), 3, 8);
  const PopulationProblem second = simulated_problem(design(), sim, 1);
  const size_t m = sim.num_observations();
  EXPECT_EQ(second.data.subjects[0].y[0], sim.dv[m]);
  EXPECT_EQ(second.data.subjects[49].y[6], sim.dv[2 * m - 1]);
  EXPECT_THROW(simulated_problem(design(), sim, 3), std::invalid_argument);
}

// ------------------------------------------------------------------------------------- VPC

TEST(PopulationVpc, QuantileIsRType7) {
  // R: quantile(c(3.2, -1, 0.5, 7, 2.2, 2.2, -4.1), c(.05, .5, .95, .025, .975), type = 7)
  std::vector<double> x = {3.2, -1, 0.5, 7, 2.2, 2.2, -4.1};
  EXPECT_NEAR(quantile_type7(x, 0.05), -3.17, 1e-12);
  EXPECT_NEAR(quantile_type7(x, 0.5), 2.2, 1e-12);
  EXPECT_NEAR(quantile_type7(x, 0.95), 5.86, 1e-12);
  EXPECT_NEAR(quantile_type7(x, 0.025), -3.635, 1e-12);
  EXPECT_NEAR(quantile_type7(x, 0.975), 6.43, 1e-12);
  std::vector<double> none;
  EXPECT_TRUE(std::isnan(quantile_type7(none, 0.5)));
}

TEST(PopulationVpc, BinsAreNominalTimesOrEqualCounts) {
  // Seven nominal times: one bin each, 50 observations per bin.
  const PopulationSimulation sim = testing::simulate_design(design(), 20, 1);
  const Vpc nominal = compute_vpc(sim, VpcOptions{});
  ASSERT_EQ(nominal.observables.size(), 1u);
  ASSERT_EQ(nominal.observables[0].bins.size(), 7u);
  for (const VpcBin& bin : nominal.observables[0].bins) {
    EXPECT_EQ(bin.count, 50);
    EXPECT_EQ(bin.lower, bin.upper);
  }
  // At most three bins: equal counts (7 runs of 50 -> 150, 100, 100 or similar), ties kept
  // together.
  VpcOptions three;
  three.max_bins = 3;
  const Vpc merged = compute_vpc(sim, three);
  ASSERT_EQ(merged.observables[0].bins.size(), 3u);
  int total = 0;
  for (const VpcBin& bin : merged.observables[0].bins) {
    EXPECT_EQ(bin.count % 50, 0);
    EXPECT_GE(bin.count, 100);
    total += bin.count;
  }
  EXPECT_EQ(total, 350);
}

// The data: one replicate simulated from the design's model. Its VPC against 300 replicates of
// the same model: each of the 21 observed percentiles (7 bins x 3) falls in its 95 % interval
// with probability about 0.95, so at most 3 outside (1.05 expected). Against a model with a
// quarter of the between-subject variance, the observed 5th and 95th percentiles fall outside
// their intervals in most bins.
TEST(PopulationVpc, TrueModelCoversTheObservedPercentilesAndAWrongOneDoesNot) {
  const PopulationProblem data =
      simulated_problem(design(), testing::simulate_design(design(), 1, 99), 0);
  SimulationOptions options;
  options.replicates = 300;
  options.seed = 100;
  PopulationSimulation sim;
  simulate_population(data, start_point(data.model, 1), options, &sim);
  const Vpc good = compute_vpc(sim, VpcOptions{});
  std::cout << "true model: " << good.outside << " of " << good.total << " outside\n";
  write_vpc_csv(good, std::cout);
  EXPECT_EQ(good.total, 21);
  EXPECT_LE(good.outside, 3);
  PopulationProblem wrong = data;
  for (auto& block : wrong.model.omega)
    for (double& value : block.start) value /= 4;
  simulate_population(wrong, start_point(wrong.model, 1), options, &sim);
  const Vpc bad = compute_vpc(sim, VpcOptions{});
  std::cout << "too little variability: " << bad.outside << " of " << bad.total << " outside\n";
  EXPECT_GE(bad.outside, 8);
  const std::string json = vpc_json_text(bad);
  EXPECT_NE(json.find("\"simulated_high\""), std::string::npos);
}

}  // namespace
}  // namespace onset::fits::population
