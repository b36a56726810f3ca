// `onset fit --plot` through the command line: units on the y axis, one row of panels per
// observable, and with --per-subject one row per subject (its own fit's curve) and the residual
// table of every subject, each PRED against the closed-form one-compartment oral solution at
// that subject's own estimates (1e-8 relative: the estimates are printed with 17 digits in the
// JSON; onset solves this linear model exactly). Combinations that cannot be drawn are exit 2
// with a message and nothing written. The curves themselves are pinned in
// tests/fits/fit_plot_test.cpp (the plot's data files).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/run_command.hpp"

namespace {

using onset::testing::run_onset;

std::string read_all(const std::string& path) {
  std::ifstream file(path);
  return {std::istreambuf_iterator<char>(file), {}};
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

const std::string kTheoph = std::string(ONSET_SOURCE_DIR) + "/data/examples/theoph_nonmem.csv";
const std::string kTheophFit =
    "fit one_compartment_oral --data " + kTheoph + " --start KA=1.5 --start CL=3 --start V=30";

TEST(FitPlot, PerSubjectPlotAndResidualsCoverEverySubjectWithItsOwnFit) {
  const std::string plot = std::string(ONSET_BINARY_DIR) + "/fit_plot_per_subject.svg";
  const std::string csv = std::string(ONSET_BINARY_DIR) + "/fit_plot_per_subject.csv";
  std::remove(plot.c_str());
  std::remove(csv.c_str());
  const auto result =
      run_onset(kTheophFit + " --per-subject --format json --plot " + plot + " --residuals " + csv);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  ASSERT_EQ(json["subjects"].size(), 12u);
  const std::string svg = read_all(plot);
  ASSERT_NE(svg.find("<svg"), std::string::npos) << "no plot written: " << result.err;
  for (const auto& subject : json["subjects"]) {
    const std::string id = subject["id"];
    EXPECT_EQ(count(svg, "subject " + id + " (converged), CP: observed and model"), 1u) << id;
    EXPECT_EQ(count(svg, "subject " + id + " (converged), CP: observed vs predicted"), 1u) << id;
  }
  EXPECT_NE(svg.find("CP (mg/L)"), std::string::npos);
  EXPECT_NE(svg.find("time (h)"), std::string::npos);
  EXPECT_NE(svg.find("12 of 12 subjects fitted, 12 converged"), std::string::npos);

  // The residual table: every subject's rows, PRED from the subject's own estimates.
  std::map<std::string, std::map<std::string, double>> estimates;
  for (const auto& subject : json["subjects"])
    for (const auto& p : subject["parameters"])
      estimates[subject["id"]][p["name"]] = p["estimate"].get<double>();
  std::map<std::string, double> dose;
  std::ifstream data(kTheoph);
  std::string line;
  std::getline(data, line);
  while (std::getline(data, line)) {
    std::vector<std::string> cells;
    std::stringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) cells.push_back(cell);
    if (cells[2] == "1") dose[cells[0]] = std::stod(cells[3]);
  }
  std::ifstream table(csv);
  ASSERT_TRUE(std::getline(table, line));
  EXPECT_EQ(line, "ID,TIME,OBSERVABLE,ERROR_MODEL,N,DV,PRED,RES,WRES");
  std::map<std::string, int> rows;
  while (std::getline(table, line)) {
    std::vector<std::string> cells;
    std::stringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 9u) << line;
    const std::string& id = cells[0];
    ++rows[id];
    auto& p = estimates.at(id);
    const double ka = p["KA"], k = p["CL"] / p["V"], v = p["V"], t = std::stod(cells[1]);
    const double closed =
        dose.at(id) * ka / (v * (ka - k)) * (std::exp(-k * t) - std::exp(-ka * t));
    const double pred = std::stod(cells[6]);
    EXPECT_NEAR(pred, closed, 1e-8 * std::max(1.0, closed)) << id << " t " << t;
    EXPECT_EQ(std::stod(cells[7]), std::stod(cells[5]) - pred);
  }
  EXPECT_EQ(rows.size(), 12u);
  for (const auto& [id, n] : rows) EXPECT_EQ(n, 11) << id;
  std::remove(plot.c_str());
  std::remove(csv.c_str());
}

TEST(FitPlot, TracerPlotHasARowPerOrganWithPercentDoseOnY) {
  // Wong 2013 (data/examples): 3 times x 5 observables of 64Cu liposomes (%ID, %ID/g), one
  // proportional error model shared by the five organs: still one row of panels per organ.
  const std::string data =
      std::string(ONSET_SOURCE_DIR) + "/data/examples/wong2013_64cu_liposome.csv";
  const std::string plot = std::string(ONSET_BINARY_DIR) + "/fit_plot_wong.svg";
  std::remove(plot.c_str());
  const auto result = run_onset("fit ev_pbpk_mouse --data " + data +
                                " --label 64Cu --dose 1e10 --start plasma_elimination_rate=0.1 "
                                "--start fraction_to_liver=0.1 --start fraction_to_spleen=0.02 "
                                "--start fraction_to_kidney=0.03 --error proportional "
                                "--error-group organs=plasma,liver,spleen,kidney,lung --plot " +
                                plot);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string svg = read_all(plot);
  EXPECT_EQ(count(svg, ": observed and model"), 5u);
  EXPECT_EQ(count(svg, ": standardised residuals over time"), 5u);
  // Blood as %ID of plasma, the organs as %ID/g (the units of the data, as the model's
  // observables carry them).
  EXPECT_NE(svg.find("plasma_label_pct (%ID)"), std::string::npos);
  for (const char* organ : {"liver", "spleen", "kidney", "lung"})
    EXPECT_NE(svg.find(std::string(organ) + "_label_pct_per_g (%ID/g)"), std::string::npos)
        << organ;
  EXPECT_NE(svg.find("observed (%ID/g)"), std::string::npos);
  std::remove(plot.c_str());
}

TEST(FitPlot, CombinationsThatCannotBeDrawnAreRefusedAndWriteNothing) {
  const std::string plot = std::string(ONSET_BINARY_DIR) + "/fit_plot_refused.svg";
  std::remove(plot.c_str());
  // Per-subject fits of an algebraic model: no subjects to split.
  const std::string csv = std::string(ONSET_BINARY_DIR) + "/fit_plot_refused.csv";
  std::ofstream(csv) << "t,y\n0,1\n1,0.5\n2,0.26\n3,0.12\n";
  const auto expr = run_onset("fit --expr \"A*exp(-k*t)\" --x t --y y --data " + csv +
                              " --start A=1 --start k=0.5 --per-subject --plot " + plot);
  EXPECT_EQ(expr.exit_code, 2);
  EXPECT_NE(expr.err.find("--per-subject needs a MODEL"), std::string::npos) << expr.err;
  EXPECT_TRUE(expr.out.empty());
  EXPECT_FALSE(std::ifstream(plot).good());
  // Per-subject plots of destructive data (each animal one time point): no subject has a curve
  // of its own to fit.
  const std::string destructive_data = std::string(ONSET_BINARY_DIR) + "/fit_plot_animals.csv";
  std::ofstream(destructive_data) << "time,organ,value,unit,animal\n1,liver,20,%ID,m1\n"
                                     "1,spleen,2,%ID,m1\n4,liver,28,%ID,m2\n4,spleen,2.5,%ID,m2\n"
                                     "24,liver,25,%ID,m3\n24,spleen,2.2,%ID,m3\n";
  const auto destructive = run_onset(
      "fit ev_pbpk_mouse --data " + destructive_data +
      " --label 125I --dose 1e10 --start fraction_to_liver=0.5 --error-group organs=liver,spleen "
      "--per-subject --plot " +
      plot);
  EXPECT_EQ(destructive.exit_code, 2);
  EXPECT_NE(destructive.err.find("one time point"), std::string::npos) << destructive.err;
  EXPECT_TRUE(destructive.out.empty());
  EXPECT_FALSE(std::ifstream(plot).good());
  // A plot format gnuplot is not asked for.
  const auto pdf =
      run_onset(kTheophFit + " --plot " + std::string(ONSET_BINARY_DIR) + "/fit_plot_refused.pdf");
  EXPECT_EQ(pdf.exit_code, 2);
  EXPECT_NE(pdf.err.find("expected a file name ending in .svg or .png"), std::string::npos)
      << pdf.err;
  EXPECT_TRUE(pdf.out.empty());
  std::remove(csv.c_str());
  std::remove(destructive_data.c_str());
}

}  // namespace
