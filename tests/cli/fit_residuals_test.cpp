// `onset fit --residuals FILE` and the JSON "observations": the per-observation table a
// reviewer of a PK paper expects (ID, TIME, OBSERVABLE, ERROR_MODEL, N, DV, PRED, RES, WRES).
// What pins it down, from outside onset's own code:
// - PRED of Theoph against the closed-form one-compartment oral solution
//   C = AMT KA / (V (KA - CL/V)) (exp(-CL/V t) - exp(-KA t)) at the reported estimates
//   (onset predicts with the matrix exponential; 1e-8 relative: the estimates are printed with
//   17 digits in the JSON);
// - RES = DV - PRED, and WRES = RES / sigma with the ML sigma sqrt(RSS/N), so sum WRES^2 = N
//   exactly for one error model without weights (additive Theoph: 132; proportional shared
//   by five organs: 15), 1e-9;
// - the CSV and the JSON carry the same rows (CSV at 17 digits: equal as doubles).
#include <gtest/gtest.h>

#include <algorithm>
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

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream file(path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(file, line);) {
    std::vector<std::string> cells;
    std::stringstream stream(line);
    for (std::string cell; std::getline(stream, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

TEST(FitResiduals, TheophTableAgainstTheClosedFormAndTheMlSigma) {
  const std::string data = std::string(ONSET_SOURCE_DIR) + "/data/examples/theoph_nonmem.csv";
  const std::string csv = std::string(ONSET_BINARY_DIR) + "/fit_residuals_theoph.csv";
  std::remove(csv.c_str());
  const auto result = run_onset("fit one_compartment_oral --data " + data +
                                " --start KA=1.5 --start CL=3 --start V=30 --format json "
                                "--residuals " +
                                csv);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  std::map<std::string, double> estimate;
  for (const auto& p : json["parameters"]) estimate[p["name"]] = p["estimate"].get<double>();
  const double ka = estimate["KA"], cl = estimate["CL"], v = estimate["V"], k = cl / v;
  // Doses per subject from the data file (AMT of the EVID 1 row).
  std::map<std::string, double> dose;
  const auto records = read_csv(data);
  for (size_t r = 1; r < records.size(); ++r)
    if (records[r][2] == "1") dose[records[r][0]] = std::stod(records[r][3]);
  const auto& observations = json["observations"];
  ASSERT_EQ(observations.size(), 132u);
  const auto table = read_csv(csv);
  ASSERT_EQ(table.size(), 133u);
  EXPECT_EQ(table[0], (std::vector<std::string>{"ID", "TIME", "OBSERVABLE", "ERROR_MODEL", "N",
                                                "DV", "PRED", "RES", "WRES"}));
  const double sigma = json["sigma"].get<double>();
  double sum_squares = 0;
  for (size_t i = 0; i < observations.size(); ++i) {
    const auto& o = observations[i];
    const std::string id = o["id"];
    const double t = o["time"], dv = o["dv"], pred = o["pred"], res = o["res"], wres = o["wres"];
    const double closed =
        dose.at(id) * ka / (v * (ka - k)) * (std::exp(-k * t) - std::exp(-ka * t));
    EXPECT_NEAR(pred, closed, 1e-8 * std::max(1.0, closed)) << id << " t " << t;
    EXPECT_EQ(res, dv - pred);
    EXPECT_NEAR(wres, res / sigma, 1e-12 * std::max(1.0, std::abs(wres)));
    sum_squares += wres * wres;
    const auto& row = table[i + 1];
    ASSERT_EQ(row.size(), 9u);
    EXPECT_EQ(row[0], id);
    EXPECT_EQ(std::stod(row[1]), t);
    EXPECT_EQ(row[2], o["observable"].get<std::string>());
    EXPECT_EQ(std::stod(row[4]), 1.0);
    EXPECT_EQ(std::stod(row[5]), dv);
    EXPECT_EQ(std::stod(row[6]), pred);
    EXPECT_EQ(std::stod(row[8]), wres);
  }
  EXPECT_NEAR(sum_squares, 132.0, 1e-9 * 132);
  std::remove(csv.c_str());
}

TEST(FitResiduals, SharedErrorModelKeepsEachOrgansObservable) {
  // Wong 2013 (data/examples): 3 times x 5 organs of 64Cu liposomes, one proportional error
  // model shared by all five (fits/README.md).
  const std::string data =
      std::string(ONSET_SOURCE_DIR) + "/data/examples/wong2013_64cu_liposome.csv";
  const auto result =
      run_onset("fit ev_pbpk_mouse --data " + data +
                " --label 64Cu --dose 1e10 --start plasma_elimination_rate=0.1 "
                "--start fraction_to_liver=0.1 --start fraction_to_spleen=0.02 "
                "--start fraction_to_kidney=0.03 --error proportional "
                "--error-group organs=plasma,liver,spleen,kidney,lung --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  const auto& observations = json["observations"];
  ASSERT_EQ(observations.size(), 15u);
  const double sigma = json["error_models"][0]["sigma"].get<double>();
  std::map<std::string, int> per_observable;
  double sum_squares = 0;
  for (const auto& o : observations) {
    EXPECT_EQ(o["error_model"], "organs");
    ++per_observable[o["observable"].get<std::string>()];
    const double pred = o["pred"], wres = o["wres"];
    EXPECT_NEAR(wres, o["res"].get<double>() / (sigma * pred), 1e-12 * std::abs(wres) + 1e-15);
    sum_squares += wres * wres;
  }
  EXPECT_EQ(per_observable.size(), 5u);
  for (const auto& [name, count] : per_observable) {
    EXPECT_EQ(count, 3) << name;
    EXPECT_NE(name.find("_label_"), std::string::npos) << name;  // what the counter read
  }
  EXPECT_NEAR(sum_squares, 15.0, 1e-9 * 15);
}

TEST(FitResiduals, LogAxisPlotIsDrawnAndNeedsAPlot) {
  // Theoph has PRED 0 and DV 0.74 at t = 0 for subject 1: on a log axis those points are left
  // out (NaN), not an error.
  const std::string data = std::string(ONSET_SOURCE_DIR) + "/data/examples/theoph_nonmem.csv";
  const std::string plot = std::string(ONSET_BINARY_DIR) + "/fit_residuals_log.svg";
  std::remove(plot.c_str());
  const std::string fit =
      "fit one_compartment_oral --data " + data + " --start KA=1.5 --start CL=3 --start V=30 ";
  const auto result = run_onset(fit + "--plot " + plot + " --plot-log");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::ifstream svg(plot);
  ASSERT_TRUE(svg) << "no plot written: " << result.err;
  const std::string text((std::istreambuf_iterator<char>(svg)), {});
  EXPECT_NE(text.find("observed vs predicted"), std::string::npos);
  std::remove(plot.c_str());
  const auto without = run_onset(fit + "--plot-log");
  EXPECT_EQ(without.exit_code, 2);
  EXPECT_NE(without.err.find("--plot-log needs --plot"), std::string::npos) << without.err;
}

TEST(FitResiduals, TheTableNeverReplacesTheData) {
  const std::string data = std::string(ONSET_SOURCE_DIR) + "/data/examples/theoph_nonmem.csv";
  std::ifstream before_file(data);
  const std::string before((std::istreambuf_iterator<char>(before_file)), {});
  const auto result = run_onset("fit one_compartment_oral --data " + data +
                                " --start KA=1.5 --start CL=3 --start V=30 --residuals " + data);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--residuals"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
  std::ifstream after_file(data);
  const std::string after((std::istreambuf_iterator<char>(after_file)), {});
  EXPECT_EQ(before, after);
}

}  // namespace

// Both sigma conventions per error model (fits/README.md, "Sigma, both conventions"): with
// several error models each is charged its leverage share h_k of p, so the df n_k - h_k sum to
// N - p (trace of the hat matrix = p; 1e-9), and the n - p sigma is the ML one x sqrt(n_k /
// df_k) (sigma_ML^2 = RSS_k / n_k).
TEST(FitResiduals, BothSigmaConventionsAreLabelledPerErrorModel) {
  const std::string data =
      std::string(ONSET_SOURCE_DIR) + "/data/examples/chow2009_111in_liposome_0.9peg.csv";
  const auto result = run_onset("fit ev_pbpk_mouse --data " + data +
                                " --label 111In --dose 1e10 --start plasma_elimination_rate=0.1 "
                                "--start fraction_to_liver=0.5 --start fraction_to_spleen=0.1 "
                                "--start fraction_to_kidney=0.05 "
                                "--start fraction_to_lung=0.05 --error proportional "
                                "--error-group tissues=liver,spleen,kidney,lung --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  ASSERT_EQ(json["error_models"].size(), 2u);
  EXPECT_NE(json["sigma_n_minus_p_definition"].get<std::string>().find("leverage"),
            std::string::npos);
  double df_sum = 0;
  int n_sum = 0;
  for (const auto& model : json["error_models"]) {
    EXPECT_EQ(model["sigma_definition"], "maximum likelihood, sqrt(RSS/N)");
    const double df = model["df"], sigma = model["sigma"], unbiased = model["sigma_n_minus_p"];
    const int n = model["n"];
    EXPECT_GT(df, 0.0);
    EXPECT_LT(df, n);
    EXPECT_NEAR(unbiased, sigma * std::sqrt(n / df), 1e-12 * unbiased);
    df_sum += df;
    n_sum += n;
  }
  EXPECT_EQ(n_sum, 25);
  EXPECT_NEAR(df_sum, 25.0 - 5.0, 1e-9);  // five estimated parameters
  // Text: both conventions named on each error model's line.
  const auto text = run_onset("fit ev_pbpk_mouse --data " + data +
                              " --label 111In --dose 1e10 --start plasma_elimination_rate=0.1 "
                              "--start fraction_to_liver=0.5 --start fraction_to_spleen=0.1 "
                              "--start fraction_to_kidney=0.05 "
                              "--start fraction_to_lung=0.05 --error proportional "
                              "--error-group tissues=liver,spleen,kidney,lung");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  std::istringstream lines(text.out);
  int labelled = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("error ") && line.find("sigma (ML, sqrt(RSS/N))") != std::string::npos &&
        line.find("sigma (sqrt(RSS/(n - h)), h its share of p") != std::string::npos)
      ++labelled;
  EXPECT_EQ(labelled, 2);
}
