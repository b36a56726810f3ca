// `onset fit` end to end: Theoph through a NONMEM-style file (JSON as the issue specifies),
// an algebraic model (--expr) with a plot, and bad input (exit 2, where and what).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/run_command.hpp"

namespace {

using onset::testing::run_onset;

std::string write_theoph_nonmem() {
  std::ifstream in(std::string(ONSET_SHARED_DIR) + "/data/theoph.csv");
  const std::string path = std::string(ONSET_BINARY_DIR) + "/fit_cli_theoph.csv";
  std::ofstream out(path);
  out << "ID,TIME,EVID,AMT,CMT,DV,MDV\n";
  std::string line, previous;
  std::getline(in, line);
  while (std::getline(in, line)) {
    // Subject,Wt,Dose,Time,conc; the dose is mg/kg: AMT = Dose x Wt.
    std::vector<std::string> cells;
    size_t start = 0;
    for (size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1)
      cells.push_back(line.substr(start, comma - start));
    cells.push_back(line.substr(start));
    if (cells[0] != previous) {
      out << cells[0] << ",0,1," << std::stod(cells[2]) * std::stod(cells[1]) << ",1,.,1\n";
      previous = cells[0];
    }
    out << cells[0] << "," << cells[3] << ",0,0,2," << cells[4] << ",0\n";
  }
  return path;
}

TEST(FitCommand, TheophJson) {
  const std::string data = write_theoph_nonmem();
  const auto result =
      run_onset("fit one_compartment_oral --data " + data +
                " --start KA=1.5 --start CL=3 --start V=30 --ci profile --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_TRUE(json["converged"].get<bool>());
  for (const char* key : {"objective", "aic", "bic", "sigma", "parameters", "correlation"})
    EXPECT_TRUE(json.contains(key)) << key;
  const auto& ka = json["parameters"][0];
  EXPECT_EQ(ka["name"], "KA");
  EXPECT_NEAR(ka["estimate"].get<double>(), 1.5531517814566, 1e-4);
  EXPECT_NEAR(ka["se"].get<double>(), 0.17459028733527, 1e-3);
  EXPECT_LT(ka["ci_low"].get<double>(), 1.5531);
  EXPECT_GT(ka["ci_high"].get<double>(), 1.5532);
  for (const char* key : {"name", "estimate", "se", "rse_pct", "ci_low", "ci_high"})
    EXPECT_TRUE(ka.contains(key)) << key;
  std::remove(data.c_str());
}

// Ten points of 10 exp(-1.2 t) + 2 exp(-0.1 t) with 1-2 % fixed noise.
std::string write_biexponential(const std::string& name) {
  const std::string data = std::string(ONSET_BINARY_DIR) + "/" + name;
  std::ofstream out(data);
  out << "t,C\n";
  const double noise[] = {0.01, -0.02, 0.015, -0.01, 0.005, 0.02, -0.015, 0.01, -0.005, 0.0};
  const double times[] = {0.1, 0.25, 0.5, 1, 2, 4, 6, 8, 12, 24};
  for (int i = 0; i < 10; ++i) {
    const double c = 10 * std::exp(-1.2 * times[i]) + 2 * std::exp(-0.1 * times[i]);
    out << times[i] << "," << c * (1 + noise[i]) << "\n";
  }
  return data;
}

TEST(FitCommand, SameSeedSameJsonOnOneAndTwoThreads) {
  // Multi-start, bootstrap replicates and profile sides run in parallel; each task's random
  // numbers come from (seed, task), so the JSON is byte-identical for any thread count.
  const std::string data = write_biexponential("fit_cli_threads.csv");
  const std::string base = "fit --expr \"A*exp(-alpha*t)+B*exp(-beta*t)\" --x t --y C --data " +
                           data +
                           " --start A=5 --start alpha=1 --start B=1 --start beta=0.05 "
                           "--error proportional --multistart 3 --format json ";
  const std::string bootstrap = base + "--ci bootstrap --bootstrap 40 --seed 7";
  const auto one = run_onset(bootstrap + " --threads 1");
  const auto two = run_onset(bootstrap + " --threads 2");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, two.out);
  const auto json = nlohmann::json::parse(one.out);
  const auto other = nlohmann::json::parse(run_onset(bootstrap + "8 --threads 2").out);  // seed 78
  EXPECT_NE(json["parameters"][0]["ci_low"], other["parameters"][0]["ci_low"]);
  EXPECT_LT(json["parameters"][0]["ci_low"].get<double>(),
            json["parameters"][0]["estimate"].get<double>());
  const auto profile_one = run_onset(base + "--ci profile --threads 1");
  const auto profile_two = run_onset(base + "--ci profile --threads 2");
  ASSERT_EQ(profile_one.exit_code, 0) << profile_one.err;
  EXPECT_EQ(profile_one.out, profile_two.out);
  std::remove(data.c_str());
}

TEST(FitCommand, ExpressionWithPlot) {
  const std::string data = write_biexponential("fit_cli_biexp.csv");
  const std::string plot = std::string(ONSET_BINARY_DIR) + "/fit_cli_biexp.svg";
  std::remove(plot.c_str());
  const auto result =
      run_onset("fit --expr \"A*exp(-alpha*t)+B*exp(-beta*t)\" --x t --y C --data " + data +
                " --start A=5 --start alpha=1 --start B=1 --start beta=0.05 "
                "--error proportional --plot " +
                plot);
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  EXPECT_NE(result.out.find("status: converged"), std::string::npos) << result.out;
  std::ifstream svg(plot);
  ASSERT_TRUE(svg) << "no plot written: " << result.err;
  std::string first;
  std::getline(svg, first);
  EXPECT_NE(first.find("<?xml"), std::string::npos);
  std::remove(plot.c_str());
  std::remove(data.c_str());
}

TEST(FitCommand, BadInputExitsTwoWithWhere) {
  const auto no_start = run_onset("fit --expr \"A*exp(-k*t)\" --x t --y C --data " +
                                  std::string(ONSET_SHARED_DIR) + "/data/theoph.csv");
  EXPECT_EQ(no_start.exit_code, 2);
  const auto bad_expression =
      run_onset("fit --expr \"A*exp(-k*Time\" --x Time --y conc --data " +
                std::string(ONSET_SHARED_DIR) + "/data/theoph.csv --start A=1 --start k=1");
  EXPECT_EQ(bad_expression.exit_code, 2);
  EXPECT_NE(bad_expression.err.find("column 14"), std::string::npos) << bad_expression.err;
  const auto bad_error = run_onset("fit one_compartment_oral --data x.csv --error cubic");
  EXPECT_EQ(bad_error.exit_code, 2);
}

}  // namespace
