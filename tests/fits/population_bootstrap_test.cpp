// Bootstrap by subject (fits/population/population_bootstrap.hpp) of a FOCE-I fit of a known
// population (30 subjects): the bootstrap SEs of the fixed effects agree with the sandwich SEs
// of the covariance step (both estimate the same sampling SD; with 40 replicates the bootstrap
// SE itself has a relative SE of about 11 %, so the ratio must lie in 0.65-1.5), every interval
// holds the estimate, and the replicates do not depend on the thread count.
#include "fits/population/population_bootstrap.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <sstream>

#include "tests/fits/population_design.hpp"

namespace onset::fits::population {
namespace {

PopulationSpec truth_spec() {
  PopulationSpec spec;
  spec.etas = {"KA=0.2", "CL=0.09", "V=0.04"};
  spec.start = {{"KA", 1.2}, {"CL", 2.5}, {"V", 30}, {"sigma_prop", 0.15}};
  spec.error = ErrorKind::kProportional;
  return spec;
}

const PopulationProblem& data() {
  static const PopulationProblem problem = [] {
    testing::Design design;
    design.subjects = 30;
    const PopulationProblem known = testing::design_problem(design, truth_spec(), "boot.csv");
    return simulated_problem(known, testing::simulate_design(known, 1, 31), 0);
  }();
  return problem;
}

const PopulationSummary& original() {
  static const PopulationSummary summary = [] {
    PopulationOptions options;
    options.threads = 2;
    PopulationSummary s;
    Solve(options, data(), &s);
    return s;
  }();
  return summary;
}

TEST(PopulationBootstrap, StandardErrorsAgreeWithTheCovarianceStep) {
  ASSERT_EQ(original().status, PopulationStatus::kConverged) << original().message;
  ASSERT_TRUE(original().covariance_ok);
  BootstrapOptions options;
  options.replicates = 40;
  options.seed = 3;
  options.threads = 2;
  BootstrapSummary b;
  bootstrap_subjects(data(), original(), options, &b);
  print_text(b, std::cout);
  EXPECT_GE(b.converged, 38);
  ASSERT_EQ(b.parameters.size(), original().estimates.size());
  for (size_t i = 0; i < b.parameters.size(); ++i) {
    const BootstrapParameter& p = b.parameters[i];
    const PopulationEstimate& e = original().estimates[i];
    EXPECT_EQ(p.name, e.name);
    EXPECT_LE(p.lower, p.estimate) << p.name;
    EXPECT_GE(p.upper, p.estimate) << p.name;
    if (e.kind == PopulationEstimate::Kind::kTheta) {
      const double ratio = p.se / e.se;
      std::cout << p.name << ": bootstrap SE " << p.se << ", sandwich SE " << e.se << " (ratio "
                << ratio << ")\n";
      EXPECT_GT(ratio, 0.65) << p.name;
      EXPECT_LT(ratio, 1.5) << p.name;
    }
  }
  std::ostringstream csv;
  write_bootstrap_csv(b, csv);
  const std::string text = csv.str();
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "REPLICATE,CONVERGED,THETA(1),THETA(2),THETA(3),\"OMEGA(1,1)\",\"OMEGA(2,2)\","
            "\"OMEGA(3,3)\",\"SIGMA(1,1)\"");
  const std::string json = with_bootstrap_json(R"({"method": "FOCE-I"})", b);
  EXPECT_NE(json.find("\"bootstrap\": {"), std::string::npos);
}

TEST(PopulationBootstrap, SameReplicatesForAnyThreadCount) {
  BootstrapOptions options;
  options.replicates = 10;
  options.seed = 8;
  BootstrapSummary one, two;
  options.threads = 1;
  bootstrap_subjects(data(), original(), options, &one);
  options.threads = 2;
  bootstrap_subjects(data(), original(), options, &two);
  EXPECT_EQ(one.draws, two.draws);
  EXPECT_EQ(one.replicate_converged, two.replicate_converged);
  // Each replicate draws its own subjects: no two replicates give the same estimates.
  const size_t width = one.parameters.size();
  for (size_t a = 0; a < 10; ++a)
    for (size_t b = 0; b < a; ++b) EXPECT_NE(one.draws[a * width], one.draws[b * width]);
}

TEST(PopulationBootstrap, RejectsTooFewReplicates) {
  BootstrapOptions options;
  options.replicates = 5;
  BootstrapSummary b;
  EXPECT_THROW(bootstrap_subjects(data(), original(), options, &b), std::invalid_argument);
}

}  // namespace
}  // namespace onset::fits::population
