// `onset models` through the real binary: the library listed one line each, and `show`
// with equations, parameters with units and observables.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "run_command.hpp"

namespace {

using onset::testing::run_onset;

TEST(ModelsCommand, ListsEveryLibraryModelOneLineEach) {
  const auto result = run_onset("models");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* name : {"one_compartment_iv", "one_compartment_oral", "two_compartment_iv",
                           "two_compartment_oral", "idr1_inhibit_kin", "b2_ev_cascade"})
    EXPECT_NE(result.out.find(name), std::string::npos) << name;
  EXPECT_GE(std::count(result.out.begin(), result.out.end(), '\n'), 15);
}

TEST(ModelsCommand, ShowPrintsEquationsParametersWithUnitsAndObservables) {
  const auto result = run_onset("models show two_compartment_iv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("Equations"), std::string::npos);
  EXPECT_NE(result.out.find("CL"), std::string::npos);
  EXPECT_NE(result.out.find("L/h"), std::string::npos);
  EXPECT_NE(result.out.find("V1"), std::string::npos);
  EXPECT_NE(result.out.find("CP"), std::string::npos);
  EXPECT_NE(result.out.find("mg/L"), std::string::npos);
}

TEST(ModelsCommand, ShowPrintsEachParametersPriorWithItsCitation) {
  const auto result = run_onset("models show bilirubin");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("Priors (data/priors)"), std::string::npos);
  // production_rate comes from Berk et al. 1969 (data/priors/bilirubin.yaml).
  const auto at = result.out.find("production_rate", result.out.find("Priors"));
  ASSERT_NE(at, std::string::npos);
  EXPECT_NE(result.out.find("Berk PD", at), std::string::npos);
  EXPECT_NE(result.out.find("(bilirubin.yaml)", at), std::string::npos);
}

TEST(ModelsCommand, UnknownModelExitsWith2AndSaysWhatExists) {
  const auto result = run_onset("models show three_compartment_xyz");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("three_compartment_xyz"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
}

}  // namespace
