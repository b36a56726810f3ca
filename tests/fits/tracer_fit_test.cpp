// Fitting tracer data through the label observation model: mouse 111In-labelled vesicle data
// (destructive sampling, 4 animals x 8 times, liver/spleen/lung/plasma %ID, 10 % proportional
// error, values below 0.01 %ID flagged BLQ and left out as in a real study) generated with the
// label model are fitted back; fitting intact-vesicle kinetics to the same label data (the
// classic error) reads the residualised label as vesicles never degraded: the biases are
// printed as numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "fits/fit.hpp"
#include "fits/fit_data.hpp"
#include "fits/input_error.hpp"
#include "pk/parallel.hpp"
#include "tests/fits/data_table.hpp"
#include "tests/per_test_path.hpp"

namespace onset::fits {
namespace {

const std::vector<double> kTimes = {0.083, 0.5, 2, 6, 24, 48, 72, 120};
const std::vector<std::string> kOrgans = {"liver", "spleen", "lung", "plasma"};
constexpr int kAnimalsPerTime = 4;
constexpr double kLloqPct = 0.01;  // below: BLQ (excluded, M1)
// Degradation is held at its value: with a residualising label, organ label = intact +
// degraded vesicles, so the degradation rate is barely identifiable from organ counts (a fit
// of these data that estimates it too gave 0.059 +/- 0.062 1/h for a truth of 0.25).
const std::vector<std::string> kNames = {"plasma_elimination_rate", "fraction_to_liver",
                                         "fraction_to_spleen"};
const std::vector<double> kTruth = {6.93, 0.7, 0.045};  // ev_pbpk_mouse central priors
const std::vector<double> kStart = {5, 0.55, 0.03};

std::string write_tidy(const std::vector<double>& values) {
  const std::string path = testing_support::per_test_path("tracer_fit_test.csv");
  std::ofstream out(path);
  out << "time,organ,value,unit,animal,blq\n";
  size_t k = 0;
  int animal = 0;
  for (double t : kTimes) {
    for (int a = 0; a < kAnimalsPerTime; ++a, ++animal) {
      for (const auto& organ : kOrgans) {
        out.precision(17);
        const double value = values.empty() ? 1.0 : values[k];
        out << t << "," << organ << "," << value << ",%ID,m" << animal << ","
            << (value < kLloqPct ? 1 : 0) << "\n";
        ++k;
      }
    }
  }
  return path;
}

models::TracerLabel indium() {
  return *models::read_label_table(std::string(ONSET_SOURCE_DIR) + "/data/tracers/labels.yaml")
              .find("111In");
}

ModelDataOptions options_for(ModelDataOptions::Observe observe, const std::vector<double>& start) {
  ModelDataOptions options;
  options.error = ErrorKind::kProportional;
  options.observe = observe;
  if (observe == ModelDataOptions::Observe::kLabel) options.label = indium();
  options.tidy_dose = 1e10;
  options.tidy_dose_cmt = 1;
  for (size_t j = 0; j < kNames.size(); ++j) options.start[kNames[j]] = start[j];
  return options;
}

std::vector<double> estimates(const FitSummary& summary, std::vector<double>* se,
                              const std::vector<std::string>& names = kNames) {
  std::vector<double> out;
  for (const auto& name : names)
    for (const auto& p : summary.parameters)
      if (p.name == name) {
        out.push_back(p.estimate);
        se->push_back(p.se);
      }
  return out;
}

TEST(TracerFit, LabelModelRecoversTheTruthIntactKineticsAreBiased) {
  // Data: predictions of the 111In label model at the truth, times (1 + 0.1 z).
  const std::string placeholder = write_tidy({});
  LoadedProblem truth = load_model_problem("ev_pbpk_mouse", data_table(placeholder),
                                           options_for(ModelDataOptions::Observe::kLabel, kTruth));
  std::vector<double> params;
  for (const auto& p : truth.problem.parameters) params.push_back(p.start);
  std::vector<double> f(truth.problem.y.size());
  std::string why;
  ASSERT_TRUE(truth.problem.predictor->predict(params, {}, f, {}, &why)) << why;
  auto rng = pk::task_rng(20260101, 0);
  std::normal_distribution<double> z;
  std::vector<double> values;
  for (double v : f) values.push_back(v * (1 + 0.1 * z(rng)));
  const std::string path = write_tidy(values);

  FitOptions fit_options;
  LoadedProblem label = load_model_problem("ev_pbpk_mouse", data_table(path),
                                           options_for(ModelDataOptions::Observe::kLabel, kStart));
  FitSummary label_fit;
  Solve(fit_options, &label.problem, &label_fit);
  // The intact analysis estimates the degradation rates too (the persistence of organ counts
  // seems to inform them).
  ModelDataOptions intact_options = options_for(ModelDataOptions::Observe::kIntact, kStart);
  intact_options.start["phagocyte_degradation_rate"] = 0.25;
  intact_options.start["tissue_degradation_rate"] = 0.1;
  LoadedProblem intact = load_model_problem("ev_pbpk_mouse", data_table(path), intact_options);
  FitSummary intact_fit;
  Solve(fit_options, &intact.problem, &intact_fit);

  std::vector<double> label_se, intact_se;
  const auto label_estimates = estimates(label_fit, &label_se);
  std::vector<std::string> intact_names = kNames;
  intact_names.push_back("phagocyte_degradation_rate");
  intact_names.push_back("tissue_degradation_rate");
  std::vector<double> true_values = kTruth;
  true_values.push_back(0.25);
  true_values.push_back(0.1);
  const auto intact_estimates = estimates(intact_fit, &intact_se, intact_names);
  ASSERT_EQ(label_estimates.size(), 3u);
  ASSERT_EQ(intact_estimates.size(), 5u);
  std::printf(
      "111In label data (n = %d): label model %s, -2 log L %.2f; intact model %s, -2 log "
      "L %.2f\n",
      label_fit.num_observations, label_fit.message.c_str(), label_fit.minus_two_log_likelihood,
      intact_fit.message.c_str(), intact_fit.minus_two_log_likelihood);
  std::printf("  %-28s %8s %18s %8s %18s %8s\n", "parameter", "truth", "label fit (SE)", "bias%",
              "intact fit (SE)", "bias%");
  for (size_t j = 0; j < intact_names.size(); ++j) {
    if (j < kNames.size())
      std::printf("  %-28s %8.4g %9.4g (%6.2g) %7.1f%%", kNames[j].c_str(), kTruth[j],
                  label_estimates[j], label_se[j], 100 * (label_estimates[j] / kTruth[j] - 1));
    else
      std::printf("  %-28s %8.4g %18s %8s", intact_names[j].c_str(), true_values[j], "(held)", "");
    std::printf(" %9.4g (%6.2g) %7.1f%%\n", intact_estimates[j], intact_se[j],
                100 * (intact_estimates[j] / true_values[j] - 1));
  }
  ASSERT_TRUE(label_fit.converged()) << label_fit.message;
  for (size_t j = 0; j < kNames.size(); ++j) {
    // Recovered: within 3 SE and within 10 % of the truth.
    EXPECT_LT(std::abs(label_estimates[j] - kTruth[j]), 3 * label_se[j]) << kNames[j];
    EXPECT_LT(std::abs(label_estimates[j] / kTruth[j] - 1), 0.10) << kNames[j];
  }
  // The classic error: intact-vesicle kinetics fitted to residualising-label data. The
  // residualised label in liver, spleen and lung is read as intact vesicles never degraded:
  // the degradation rates collapse, far outside their own SEs, while the fit looks as good (the
  // data cannot tell the two readings apart; only knowing the label can).
  double largest_bias = 0, largest_bias_in_se = 0;
  for (size_t j = 0; j < intact_names.size(); ++j) {
    largest_bias = std::max(largest_bias, std::abs(intact_estimates[j] / true_values[j] - 1));
    largest_bias_in_se =
        std::max(largest_bias_in_se, std::abs(intact_estimates[j] - true_values[j]) / intact_se[j]);
  }
  std::printf("  intact fit: largest bias %.0f %%, %.0f of its SEs\n", 100 * largest_bias,
              largest_bias_in_se);
  EXPECT_GT(largest_bias, 0.5);
  EXPECT_GT(largest_bias_in_se, 10);
  EXPECT_LT(intact_estimates[3], 0.1 * true_values[3]);  // phagocyte degradation
  EXPECT_LT(intact_estimates[4], 0.1 * true_values[4]);  // tissue degradation
  std::remove(placeholder.c_str());
}

TEST(TracerFit, SensitivitiesOfTheLabelModelMatchFiniteDifferences) {
  for (const char* name : {"111In", "125I"}) {
    const std::string path = write_tidy({});
    ModelDataOptions options = options_for(ModelDataOptions::Observe::kLabel, kTruth);
    options.label =
        *models::read_label_table(std::string(ONSET_SOURCE_DIR) + "/data/tracers/labels.yaml")
             .find(name);
    LoadedProblem loaded = load_model_problem("ev_pbpk_mouse", data_table(path), options);
    std::vector<double> params;
    std::vector<int> wrt;
    for (size_t j = 0; j < loaded.problem.parameters.size(); ++j) {
      params.push_back(loaded.problem.parameters[j].start);
      if (!loaded.problem.parameters[j].fixed) wrt.push_back(static_cast<int>(j));
    }
    const size_t n = loaded.problem.y.size();
    std::vector<double> f(n), jacobian(n * wrt.size()), plus(n), minus(n);
    std::string why;
    ASSERT_TRUE(loaded.problem.predictor->predict(params, wrt, f, jacobian, &why)) << why;
    double worst = 0;
    for (size_t a = 0; a < wrt.size(); ++a) {
      const size_t j = static_cast<size_t>(wrt[a]);
      const double h = 1e-5 * params[j];
      std::vector<double> p = params;
      p[j] = params[j] + h;
      ASSERT_TRUE(loaded.problem.predictor->predict(p, {}, plus, {}, &why));
      p[j] = params[j] - h;
      ASSERT_TRUE(loaded.problem.predictor->predict(p, {}, minus, {}, &why));
      for (size_t i = 0; i < n; ++i) {
        const double fd = (plus[i] - minus[i]) / (2 * h);
        // Relative to the value, with a floor at the quantification limit (0.01 %ID; far below
        // it values approach the solver's absolute tolerance of 0.01 particles).
        const double scale = std::max(std::abs(f[i]), kLloqPct) / params[j];
        worst = std::max(worst, std::abs(jacobian[a * n + i] - fd) / scale);
      }
    }
    std::printf("%s: largest |sensitivity - central difference| / (max(f, 0.01 %%ID) / p) = %.2e\n",
                name, worst);
    EXPECT_LT(worst, 1e-3) << name;  // an error in the label layer would be O(1)
    std::remove(path.c_str());
  }
}

TEST(TracerFit, TidyDataWithoutALabelAreRefused) {
  const std::string path = write_tidy({});
  try {
    load_model_problem("ev_pbpk_mouse", data_table(path),
                       options_for(ModelDataOptions::Observe::kUnset, kStart));
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("--label 111In"), std::string::npos) << message;
    EXPECT_NE(message.find("--label none-intact"), std::string::npos) << message;
  }
  std::remove(path.c_str());
}

TEST(TracerFit, DataNotDecayCorrectedNeedDosesAtTimeZero) {
  // The decay factor counts from t = 0; a later dose (NONMEM-style data) is refused there.
  const std::string path = std::string(ONSET_BINARY_DIR) + "/tracer_fit_late_dose.csv";
  {
    std::ofstream out(path);
    // Two observations: one alone would be refused (its error SD has no estimate).
    out << "ID,TIME,EVID,AMT,CMT,DV,MDV,OBS\n1,1,1,1e10,1,.,1,.\n1,5,0,0,1,40,0,liver_label_pct\n"
           "1,6,0,0,1,38,0,liver_label_pct\n";
  }
  ModelDataOptions options = options_for(ModelDataOptions::Observe::kLabel, kStart);
  options.decay_corrected = false;
  try {
    load_model_problem("ev_pbpk_mouse", data_table(path), options);
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(":2:"), std::string::npos) << message;  // the dose's line
    EXPECT_NE(message.find("decay"), std::string::npos) << message;
  }
  options.decay_corrected = true;  // decay-corrected: any dose time
  EXPECT_NO_THROW(load_model_problem("ev_pbpk_mouse", data_table(path), options));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace onset::fits
