// `onset fit MODEL --data FILE --population` end to end: a model file's population section and
// the same model on the command line give the same fit; the tables (CSV and JSON); bad input
// exits 2 with where and what, writing nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/run_command.hpp"
#include "tests/per_test_path.hpp"

namespace {

using onset::testing::read_all;
using onset::testing::run_onset;
using onset::testing_support::per_test_path;

const std::string kExamples = std::string(ONSET_SOURCE_DIR) + "/data/examples/";
const std::string kData = kExamples + "theoph_population.csv";
const std::string kModel = kExamples + "theophylline_population.yaml";

// The population section of theophylline_population.yaml, as options on the library model.
const std::string kOptions =
    " --population --param \"KA = tvKA * exp(eta_KA)\" --param \"CL = tvCL * (WT/70)^dCLWT * "
    "exp(eta_CL)\" --param \"V = tvV * exp(eta_V)\" --theta tvKA=1.5:0:inf --theta "
    "tvCL=2.8:0:inf --theta dCLWT=0.75 --theta tvV=32:0:inf --eta eta_KA=0.4 --eta eta_CL=0.07 "
    "--eta eta_V=0.02 --error additive --start sigma_add=0.7 --fix ALAG=0";

TEST(FitPopulationCommand, ModelFileSectionAndCommandLineGiveTheSameFit) {
  const std::string table = per_test_path("table.csv"), etas = per_test_path("etas.json");
  const auto file =
      run_onset("fit " + kModel + " --data " + kData +
                " --population --format json --threads 2 --table " + table + " --etas " + etas);
  ASSERT_EQ(file.exit_code, 0) << file.err;
  const auto json = nlohmann::json::parse(file.out);
  EXPECT_EQ(json["method"], "FOCE-I");
  EXPECT_TRUE(json["converged"].get<bool>());
  EXPECT_EQ(json["n_subjects"], 12);
  EXPECT_EQ(json["n_observations"], 132);
  ASSERT_EQ(json["theta"].size(), 4u);
  EXPECT_EQ(json["theta"][2]["name"], "dCLWT");
  EXPECT_EQ(json["omega"].size(), 3u);
  EXPECT_TRUE(json["omega"][0].contains("shrinkage_pct"));
  EXPECT_EQ(json["sigma"][0]["label"], "SIGMA(1,1)");
  EXPECT_TRUE(json["covariance"]["ok"].get<bool>());
  const double objective = json["objective"].get<double>();
  EXPECT_NEAR(json["minus_two_log_likelihood"].get<double>() - objective, 132 * std::log(2 * M_PI),
              1e-6);

  const auto library = run_onset("fit one_compartment_oral --data " + kData + kOptions +
                                 " --format json --threads 1");
  ASSERT_EQ(library.exit_code, 0) << library.err;
  const auto same = nlohmann::json::parse(library.out);
  EXPECT_NEAR(same["objective"].get<double>(), objective, 1e-6);
  for (size_t k = 0; k < 4; ++k)
    EXPECT_NEAR(
        same["theta"][k]["estimate"].get<double>() / json["theta"][k]["estimate"].get<double>(),
        1.0, 1e-5);

  // Per-observation table: header and one row per observation.
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "ID,LINE,TIME,OBS,DV,PRED,IPRED,RES,IRES,IWRES,CWRES");
  int rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, 132);
  const auto subjects = nlohmann::json::parse(read_all(etas));
  ASSERT_EQ(subjects.size(), 12u);
  EXPECT_TRUE(subjects[0]["eta"].contains("eta_CL"));
  EXPECT_TRUE(subjects[0]["parameters"].contains("CL"));
}

TEST(FitPopulationCommand, TextReportNamesEveryBlock) {
  const auto result = run_onset("fit " + kModel + " --data " + kData + " --population --cov r");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* text :
       {"population fit (FOCE-I): converged", "THETA", "OMEGA (variance)", "shrink%",
        "SIGMA (variance)", "EPS shrinkage CP", "covariance step: 2 R^-1 (R matrix)", "-2 log L:"})
    EXPECT_NE(result.out.find(text), std::string::npos) << text << "\n" << result.out;
}

TEST(FitPopulationCommand, MaxIterationsZeroEvaluatesAtTheStart) {
  const auto result = run_onset("fit " + kModel + " --data " + kData +
                                " --population --max-iterations 0 --cov none --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["status"], "evaluated");
  EXPECT_EQ(json["theta"][0]["estimate"].get<double>(), 1.5);
}

void expect_bad_input(const std::string& arguments, const std::string& message,
                      const std::string& output = {}) {
  const auto result = run_onset(arguments);
  EXPECT_EQ(result.exit_code, 2) << arguments << "\n" << result.out << result.err;
  EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
  if (!output.empty()) {
    EXPECT_FALSE(std::filesystem::exists(output)) << output;
  }
}

TEST(FitPopulationCommand, BadInputExitsTwoWithWhereAndWhat) {
  const std::string table = per_test_path("never.csv");
  const std::string base = "fit one_compartment_oral --data " + kData + " --population ";
  expect_bad_input(base + "--eta CL=-0.1 --table " + table,
                   "the starting variance of eta_CL is -0.1: OMEGA is not positive definite",
                   table);
  expect_bad_input(base + "--eta CLEARANCE=0.1",
                   "--eta CLEARANCE=0.1: error: 'CLEARANCE' is neither a parameter of the model",
                   table);
  expect_bad_input(base +
                       "--eta CL=0.1 --param \"V = tvV * (AGE/40) * exp(eta_V)\" --theta "
                       "tvV=30 --eta eta_V=0.1",
                   "'AGE' in the expression of V");
  expect_bad_input(base + "--eta CL=0.1 --method laplace",
                   "--method: expected focei, foce, fo or saem");
  expect_bad_input(base + "--eta CL=0.1 --table out.txt", "expected a file name ending in .csv");
  expect_bad_input(base, "no random effects");
  expect_bad_input("fit --expr 'A*exp(-k*t)' --x t --y c --data " + kData + " --population",
                   "--population needs a MODEL");
  // A covariate cell left empty for one subject: file, line and column.
  const std::string data = per_test_path("missing_wt.csv");
  std::ifstream original(kData);
  std::ofstream edited(data);
  for (std::string line; std::getline(original, line);) {
    // Subject 2's dose record: WT (the last cell) left as '.'.
    if (line.rfind("2,0,1,", 0) == 0) line = line.substr(0, line.rfind(',')) + ",.";
    edited << line << "\n";
  }
  edited.close();
  expect_bad_input("fit " + kModel + " --data " + data + " --population",
                   "error: covariate WT is missing for subject 2 (the cell is '.')");
}

}  // namespace
