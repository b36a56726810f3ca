// `onset fit --population` with SAEM, NPDE, the bootstrap by subject and the diagnostic plots,
// and `onset simulate --replicates` (simulation with variability, VPC), end to end on the
// Theophylline example: the JSON blocks and tables they add, a fit's JSON driving a simulation,
// and bad input exiting 2 before any work.
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
const std::string kFit = "fit " + kModel + " --data " + kData + " --population --threads 2";

int count_lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

TEST(PopulationSamplingCommand, SaemFitReportsImportanceSamplingAndTrajectory) {
  const std::string trajectory = per_test_path("trajectory.csv");
  const auto result = run_onset(kFit +
                                " --method saem --saem-iterations 60,40 --importance-samples "
                                "300 --format json --saem-trajectory " +
                                trajectory);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["method"], "SAEM");
  EXPECT_TRUE(json["converged"].get<bool>());
  const auto& saem = json["saem"];
  EXPECT_EQ(saem["chains"], 5);
  EXPECT_EQ(saem["exploration_iterations"], 60);
  EXPECT_EQ(saem["random_effects"]["eta_CL"]["scale"], "log");
  // -2 log L is the importance-sampling value; the FOCE-I objective is beside it.
  EXPECT_NEAR(json["minus_two_log_likelihood"].get<double>(),
              saem["importance_minus_two_log_likelihood"].get<double>(), 1e-9);
  EXPECT_GT(saem["focei_objective"].get<double>() + 132 * std::log(2 * M_PI),
            saem["importance_minus_two_log_likelihood"].get<double>() - 5);
  EXPECT_TRUE(json.contains("population_model"));
  const std::string csv = read_all(trajectory);
  EXPECT_EQ(first_line(csv),
            "ITERATION,PHASE,tvKA,tvCL,dCLWT,tvV,omega eta_KA,omega eta_CL,"
            "omega eta_V,sigma CP additive");
  EXPECT_EQ(count_lines(csv), 1 + 5 + 60 + 40);
}

TEST(PopulationSamplingCommand, NpdeInTheTableAndTheReport) {
  const std::string table = per_test_path("table.csv");
  const auto result = run_onset(kFit + " --npde 200 --table " + table + " --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["npde"]["simulations"], 200);
  EXPECT_EQ(json["npde"]["count"], 132);
  const std::string csv = read_all(table);
  EXPECT_EQ(first_line(csv), "ID,LINE,TIME,OBS,DV,PRED,IPRED,RES,IRES,IWRES,CWRES,EPRED,PDE,NPDE");
  EXPECT_EQ(count_lines(csv), 133);
  const auto text = run_onset(kFit + " --npde 200");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("NPDE (200 simulations"), std::string::npos);
  EXPECT_NE(text.out.find("Shapiro-Wilk"), std::string::npos);
}

TEST(PopulationSamplingCommand, BootstrapBySubject) {
  const std::string table = per_test_path("bootstrap.csv");
  const auto result = run_onset(kFit +
                                " --ci bootstrap --bootstrap 10 --seed 4 --format json "
                                "--bootstrap-table " +
                                table);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["bootstrap"]["replicates"], 10);
  EXPECT_EQ(json["bootstrap"]["seed"], 4);
  EXPECT_EQ(json["bootstrap"]["parameters"].size(), 8u);
  const std::string csv = read_all(table);
  EXPECT_EQ(count_lines(csv), 11);
  EXPECT_EQ(first_line(csv).substr(0, 29), "REPLICATE,CONVERGED,THETA(1),");
}

TEST(PopulationSamplingCommand, DiagnosticPlotsAreDrawn) {
  const std::string gof = per_test_path("gof.svg"), individual = per_test_path("individual.png");
  const auto result =
      run_onset(kFit + " --npde 100 --plot " + gof + " --individual-plot " + individual);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string svg = read_all(gof);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("CWRES vs TIME"), std::string::npos);
  EXPECT_NE(svg.find("NPDE vs TIME"), std::string::npos);
  const std::string png = read_all(individual);
  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

TEST(PopulationSamplingCommand, SimulateFromAFitsJson) {
  const std::string fit = per_test_path("fit.json"), vpc = per_test_path("vpc.csv"),
                    plot = per_test_path("vpc.svg");
  const auto fitted = run_onset(kFit + " --format json");
  ASSERT_EQ(fitted.exit_code, 0) << fitted.err;
  std::ofstream(fit) << fitted.out;
  // The library model: the population model comes from the fit's JSON.
  const std::string simulate = "simulate one_compartment_oral --data " + kData +
                               " --replicates 40 --seed 5 --population-fit " + fit;
  const auto one = run_onset(simulate + " --threads 1 --vpc-table " + vpc + " --vpc " + plot);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(first_line(one.out), "REP,ID,TIME,OBS,IPRED,DV,eta_KA,eta_CL,eta_V");
  EXPECT_EQ(count_lines(one.out), 1 + 40 * 132);
  const auto two = run_onset(simulate + " --threads 2");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(one.out, two.out);
  const std::string table = read_all(vpc);
  EXPECT_EQ(first_line(table).substr(0, 33), "OBS,BIN,TIME,TLOW,THIGH,N,OBS_P5,");
  EXPECT_EQ(count_lines(table), 11);  // 10 bins of about 13 observations
  EXPECT_NE(read_all(plot).find("<svg"), std::string::npos);
  // The model file's population section alone, without residual error: DV = IPRED.
  const auto section = run_onset("simulate " + kModel + " --data " + kData +
                                 " --replicates 2 --no-residual-error "
                                 "--format json");
  ASSERT_EQ(section.exit_code, 0) << section.err;
  const auto rows = nlohmann::json::parse(section.out)["rows"];
  ASSERT_EQ(rows.size(), 264u);
  EXPECT_EQ(rows[5]["dv"], rows[5]["ipred"]);
}

TEST(PopulationSamplingCommand, BadInputExitsTwoBeforeAnyWork) {
  const std::string out = per_test_path("never.csv");
  struct Case {
    std::string arguments, message;
  };
  const std::vector<Case> cases = {
      {kFit + " --saem-trajectory " + out, "--saem-trajectory needs --method saem"},
      {kFit + " --method saem --saem-iterations 300", "--saem-iterations 300: expected K1,K2"},
      {kFit + " --npde 50", "at least 100 simulations"},
      {kFit + " --npde 2e6", "--npde: 2e6 is outside [0, 1000000]"},
      {kFit + " --method saem --chains -1", "--chains: -1 is below 0"},
      {"simulate " + kModel + " --data " + kData + " --replicates 3 --vpc-bins 0",
       "--vpc-bins: 0 is below 1"},
      {kFit + " --ci profile", "--ci profile is not available for --population"},
      {kFit + " --plot " + per_test_path("plot.pdf"),
       "expected a file name ending in .svg or .png"},
      {kFit + " --method sam", "expected focei, foce, fo or saem"},
      {"simulate " + kModel + " --data " + kData + " --replicates 0", "expected a count >= 1"},
      {"simulate " + kModel + " --data " + kData + " --replicates 3 --times 0:1:0.5",
       "--times cannot be combined with --replicates"},
      {"simulate one_compartment_oral --data " + kData + " --replicates 3",
       "--replicates simulates a model file's population: section"},
      {"simulate " + kModel + " --data " + kData + " --replicates 3 --population-fit " +
           per_test_path("missing.json"),
       "cannot be opened for reading"},
      {"simulate " + kModel + " --data " + kData + " --replicates 3 --vpc " + out,
       "expected a file name ending in .svg or .png"},
      {"simulate " + kModel + " --data " + kData + " --replicates 3 --out " + kData,
       "will not write here: it is the input file"},
  };
  for (const Case& c : cases) {
    const auto result = run_onset(c.arguments);
    EXPECT_EQ(result.exit_code, 2) << c.arguments << "\n" << result.err;
    EXPECT_NE(result.err.find(c.message), std::string::npos) << c.arguments << "\n" << result.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << c.arguments;
  }
  // A fit's JSON that is not one.
  const std::string bad = per_test_path("bad.json");
  std::ofstream(bad) << "{\"theta\": 3}";
  const auto result = run_onset("simulate " + kModel + " --data " + kData +
                                " --replicates 3 --population-fit " + bad);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find(bad + ": error: no \"theta\" list"), std::string::npos) << result.err;
}

}  // namespace
