// Theophylline (shared/data/theoph.csv), one_compartment_oral, naive pooled, additive error,
// against R's nls on the same model (tests/fits/reference/theoph_nls.R -> theoph_nls.csv,
// computed once; R is not needed to run the tests). Doses are mg/kg: AMT = Dose x Wt (mg), so
// V is in L and CL in L/h. ALAG is fixed at 0 (nls has no lag).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "fits/dosing_predictor.hpp"
#include "fits/fit.hpp"
#include "fits/theoph_problem.hpp"
#include "io/csv.hpp"

namespace onset::fits {
namespace {

std::map<std::string, std::pair<double, double>> read_reference() {
  std::ifstream file(std::string(ONSET_SOURCE_DIR) + "/tests/fits/reference/theoph_nls.csv");
  std::map<std::string, std::pair<double, double>> values;
  std::string line;
  std::getline(file, line);
  while (std::getline(file, line)) {
    std::stringstream fields(line);
    std::string name, estimate, se;
    std::getline(fields, name, ',');
    std::getline(fields, estimate, ',');
    std::getline(fields, se, ',');
    values[name] = {std::stod(estimate), se == "NA" ? NAN : std::stod(se)};
  }
  return values;
}

TEST(TheophFit, MatchesNls) {
  const auto reference = read_reference();
  ASSERT_EQ(reference.size(), 11u);
  FitProblem problem =
      theoph_problem(io::CsvTable::read_file(std::string(ONSET_SHARED_DIR) + "/data/theoph.csv"));
  FitOptions options;
  FitSummary summary;
  const auto begin = std::chrono::steady_clock::now();
  Solve(options, &problem, &summary);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
  ASSERT_TRUE(summary.converged()) << summary.message;
  std::printf("Theoph: %s; %s; %.1f ms\n", summary.message.c_str(), summary.gradient_method.c_str(),
              ms);
  // Estimates to 5 significant digits and SEs to 3 (nls stops at relative offset 1e-8; the
  // ODE is solved to rtol 1e-8).
  for (const auto& estimate : summary.parameters) {
    if (estimate.fixed) continue;
    const auto [value, se] = reference.at(estimate.name);
    std::printf("  %-3s onset %.6g (SE %.4g)   nls %.6g (SE %.4g)\n", estimate.name.c_str(),
                estimate.estimate, estimate.se, value, se);
    EXPECT_NEAR(estimate.estimate, value, 1e-5 * value) << estimate.name;
    EXPECT_NEAR(estimate.se, se, 1e-3 * se) << estimate.name;
  }
  EXPECT_NEAR(summary.rss, reference.at("rss").first, 1e-7 * reference.at("rss").first);
  EXPECT_NEAR(summary.blocks[0].sigma * std::sqrt(132.0 / 129.0), reference.at("sigma").first,
              1e-6);
  EXPECT_NEAR(summary.minus_two_log_likelihood, reference.at("minus2loglik").first, 1e-5);
  EXPECT_NEAR(summary.aic, reference.at("aic").first, 1e-5);
  EXPECT_NEAR(summary.bic, reference.at("bic").first, 1e-5);
  // Correlations KA-CL, KA-V, CL-V.
  const auto& c = summary.correlation;
  EXPECT_NEAR(c[0 * 3 + 1], reference.at("cor_KA_CL").first, 1e-4);
  EXPECT_NEAR(c[0 * 3 + 2], reference.at("cor_KA_V").first, 1e-4);
  EXPECT_NEAR(c[1 * 3 + 2], reference.at("cor_CL_V").first, 1e-4);
}

// tests/fits/reference/theoph_confint.R -> theoph_confint.csv: per parameter, 95 % intervals
// from R (MASS's confint.nls bounds refined by uniroot on refitted profiles; Wald on log scale
// from nls's SE), with the t quantile (N - p = 129 df) and the large-sample calibration.
std::map<std::string, std::map<std::string, double>> read_interval_reference() {
  std::ifstream file(std::string(ONSET_SOURCE_DIR) + "/tests/fits/reference/theoph_confint.csv");
  std::map<std::string, std::map<std::string, double>> values;
  std::string line, field;
  std::getline(file, line);
  std::vector<std::string> columns;
  std::stringstream header(line);
  while (std::getline(header, field, ',')) columns.push_back(field);
  while (std::getline(file, line)) {
    std::stringstream fields(line);
    std::string name;
    std::getline(fields, name, ',');
    for (size_t c = 1; c < columns.size() && std::getline(fields, field, ','); ++c)
      values[name][columns[c]] = std::stod(field);
  }
  return values;
}

TEST(TheophFit, IntervalsMatchR) {
  // One observable, so the t calibration is R's: the profile interval is
  // RSS(theta) / RSS(theta_hat) <= 1 + t^2_{129} / 129 (confint.nls), Wald uses t_{129}.
  const auto reference = read_interval_reference();
  ASSERT_EQ(reference.size(), 3u);
  struct Case {
    IntervalMethod method;
    IntervalCalibration calibration;
    std::string column;
    double tolerance;  // relative
  };
  // Measured: Wald within 2e-8 relative (the estimates and SEs agree that well), profile
  // within 3.3e-6 (onset's search stops at |delta - c| <= 1e-4 c, and the ODE is solved 100x
  // looser inside profiles): pinned at 1e-7 and 1e-5.
  for (const Case& test :
       {Case{IntervalMethod::kProfile, IntervalCalibration::kStudentT, "profile_t", 1e-5},
        Case{IntervalMethod::kProfile, IntervalCalibration::kAsymptotic, "profile_chisq", 1e-5},
        Case{IntervalMethod::kWald, IntervalCalibration::kStudentT, "wald_t", 1e-7},
        Case{IntervalMethod::kWald, IntervalCalibration::kAsymptotic, "wald_z", 1e-7}}) {
    FitProblem problem =
        theoph_problem(io::CsvTable::read_file(std::string(ONSET_SHARED_DIR) + "/data/theoph.csv"));
    FitOptions options;
    options.intervals = test.method;
    options.calibration = test.calibration;
    FitSummary summary;
    Solve(options, &problem, &summary);
    ASSERT_TRUE(summary.converged()) << summary.message;
    std::printf("%s\n", summary.interval_method.c_str());
    for (const auto& estimate : summary.parameters) {
      if (estimate.fixed) continue;
      const auto& row = reference.at(estimate.name);
      const double low = row.at(test.column + "_low"), high = row.at(test.column + "_high");
      std::printf("  %-3s onset [%.8g, %.8g]   R [%.8g, %.8g]   relative %.1e %.1e\n",
                  estimate.name.c_str(), estimate.ci_low, estimate.ci_high, low, high,
                  estimate.ci_low / low - 1, estimate.ci_high / high - 1);
      EXPECT_NEAR(estimate.ci_low, low, test.tolerance * low)
          << test.column << " " << estimate.name;
      EXPECT_NEAR(estimate.ci_high, high, test.tolerance * high)
          << test.column << " " << estimate.name;
      if (test.calibration == IntervalCalibration::kStudentT) {
        EXPECT_EQ(estimate.ci_df, 129.0) << estimate.name;  // N - p = 132 - 3
        // MASS's own (spline-interpolated) bounds, for the record: within 1e-4.
        if (test.method == IntervalMethod::kProfile) {
          EXPECT_NEAR(estimate.ci_low, row.at("mass_low"), 1e-4 * low) << estimate.name;
          EXPECT_NEAR(estimate.ci_high, row.at("mass_high"), 1e-4 * high) << estimate.name;
        }
      }
    }
  }
}

TEST(TheophFit, SensitivitiesMatchTheClosedForm) {
  // CVODES forward sensitivities of CP against derivatives of the closed form
  // CP = D KA / (V (KA - k)) (exp(-k t) - exp(-KA t)), k = CL / V.
  FitProblem problem =
      theoph_problem(io::CsvTable::read_file(std::string(ONSET_SHARED_DIR) + "/data/theoph.csv"));
  auto& predictor = *problem.predictor;
  const std::vector<double> params = {1.5, 2.6, 33, 0};
  const std::vector<int> wrt = {0, 1, 2};
  const size_t n = predictor.num_observations();
  std::vector<double> f(n), jacobian(n * 3);
  std::string why;
  ASSERT_TRUE(predictor.predict(params, wrt, f, jacobian, &why)) << why;
  // one_compartment_oral is linear: the exact (matrix exponential) path.
  EXPECT_NE(predictor.gradient_method().find("exact"), std::string::npos);
  // Dose of each observation: Dose x Wt of its subject (from the data file).
  const io::CsvTable table =
      io::CsvTable::read_file(std::string(ONSET_SHARED_DIR) + "/data/theoph.csv");
  ASSERT_EQ(table.row_count(), n);
  auto closed_form = [](double dose, double t, double ka, double cl, double v) {
    const double k = cl / v;
    return dose * ka / (v * (ka - k)) * (std::exp(-k * t) - std::exp(-ka * t));
  };
  double worst_value = 0, worst_derivative = 0;
  for (size_t i = 0; i < n; ++i) {
    const double dose = std::stod(table.cell(i, 2).text) * std::stod(table.cell(i, 1).text);
    const double t = std::stod(table.cell(i, 3).text);
    const double exact = closed_form(dose, t, params[0], params[1], params[2]);
    worst_value = std::max(worst_value, std::abs(f[i] - exact) / (std::abs(exact) + 1e-3));
    for (size_t j = 0; j < 3; ++j) {
      auto plus = params, minus = params;
      const double h = 1e-6 * params[j];
      plus[j] += h;
      minus[j] -= h;
      const double derivative = (closed_form(dose, t, plus[0], plus[1], plus[2]) -
                                 closed_form(dose, t, minus[0], minus[1], minus[2])) /
                                (2 * h);
      worst_derivative = std::max(worst_derivative, std::abs(jacobian[j * n + i] - derivative) /
                                                        (std::abs(derivative) + 1e-3));
    }
  }
  std::printf("closed form: worst relative error of CP %.2e, of dCP/dp %.2e\n", worst_value,
              worst_derivative);
  EXPECT_LT(worst_value, 1e-6);
  EXPECT_LT(worst_derivative, 1e-5);
}

}  // namespace
}  // namespace onset::fits
