// `onset reference` through the real binary (the demo's main job for now).
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "run_command.hpp"

namespace {

using onset::testing::run_onset;

TEST(ReferenceCommand, B2SummaryReportsTheCrossingAndMassBalance) {
  const auto result = run_onset("reference B2 --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  // At the spec's tolerances the crossing agrees with the Radau reference 77.442372527 h
  // to the CVODE peer's accuracy (7.2e-6 relative).
  EXPECT_NEAR(json.at("t_F090_h").get<double>(), 77.442372527, 1e-5 * 77.44);
  EXPECT_LE(json.at("mass_balance_rel_error").get<double>(), 1e-9);
  EXPECT_EQ(json.at("outputs").get<int>(), 1345);
}

TEST(ReferenceCommand, WritesTheCsvAtomicallyWithAHeader) {
  const std::string path = std::string(ONSET_BINARY_DIR) + "/reference_test_b1.csv";
  std::remove(path.c_str());
  const auto result = run_onset("reference B1 --csv " + path);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string csv = onset::testing::read_all(path);
  EXPECT_EQ(csv.rfind("time_h,C,state:A1,state:A2\n", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 338);  // header + 337 outputs
  std::remove(path.c_str());
}

TEST(ReferenceCommand, UnknownProblemOrBackendExitsWith2) {
  EXPECT_EQ(run_onset("reference B9").exit_code, 2);
  const auto result = run_onset("reference B2 --backend exact_linear");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("nonlinear"), std::string::npos) << result.err;
}

}  // namespace
