// Simulation study: mouse EV biodistribution (library model ev_pbpk_mouse), destructive
// sampling (5 animals per time at 8 times, each animal giving plasma, liver, spleen and lung
// %ID of intact vesicles), proportional error 20 %, naive pooled fit with one proportional
// error model per observable and 95 % profile-likelihood intervals (the default t
// calibration, fits/fit.hpp).
//
// Criteria (the issue's): estimates unbiased within 5 % for the identifiable parameters, and
// 95 % profile intervals covering the truth in 90-99 % of replicates. The full study (200
// replicates) runs with ONSET_FULL_STUDY=1 (about 1.2 s of CPU per replicate; the measured
// table is in fits/README.md). By default 10 replicates keep the suite short: bias within 5 %
// per parameter (the Monte Carlo SE of a 10-replicate mean is under 1 %), every interval
// around its estimate, and the 60 intervals together covering the truth at least 50 times
// (83 %; were they independent, that fails with probability 2e-4 at the nominal 95 % and 2e-3
// at the 93.2 % the full study measured). Coverage per parameter is printed, with Wald
// coverage (t and normal quantile) and the mean Satterthwaite df.
// ONSET_STUDY_REPLICATES=N overrides the count.
#include <gtest/gtest.h>

#include <boost/math/distributions/students_t.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <sstream>

#include "fits/dosing_predictor.hpp"
#include "fits/ev_biodistribution_problem.hpp"
#include "fits/fit.hpp"
#include "models/model_library.hpp"
#include "pk/parallel.hpp"

namespace onset::fits {
namespace {

std::vector<double> truth_predictions(FitProblem& problem) {
  std::vector<double> truth(problem.y.size());
  std::vector<double> params;
  for (const auto& p : problem.parameters) params.push_back(p.start);
  std::string why;
  EXPECT_TRUE(problem.predictor->predict(params, {}, truth, {}, &why)) << why;
  return truth;
}

TEST(EvSimulationStudy, SensitivitiesOfTheNonlinearModelMatchFiniteDifferences) {
  FitProblem problem = ev_mouse_biodistribution_problem();
  std::vector<double> params;
  std::vector<int> wrt;
  for (size_t i = 0; i < problem.parameters.size(); ++i) {
    params.push_back(problem.parameters[i].start);
    if (!problem.parameters[i].fixed) wrt.push_back(static_cast<int>(i));
  }
  const size_t n = problem.y.size();
  std::vector<double> f(n), jacobian(n * wrt.size()), plus(n), minus(n);
  std::string why;
  ASSERT_TRUE(problem.predictor->predict(params, wrt, f, jacobian, &why)) << why;
  EXPECT_NE(problem.predictor->gradient_method().find("onset_bdf forward sensitivities"),
            std::string::npos);
  // A tight reference: the same model solved to rtol 1e-12 with central differences.
  auto reference = std::dynamic_pointer_cast<DosingPredictor>(problem.predictor);
  ASSERT_TRUE(reference);
  double worst = 0;
  for (size_t a = 0; a < wrt.size(); ++a) {
    auto p_plus = params, p_minus = params;
    const double h = 1e-4 * params[static_cast<size_t>(wrt[a])];
    p_plus[static_cast<size_t>(wrt[a])] += h;
    p_minus[static_cast<size_t>(wrt[a])] -= h;
    ASSERT_TRUE(problem.predictor->predict(p_plus, {}, plus, {}, &why));
    ASSERT_TRUE(problem.predictor->predict(p_minus, {}, minus, {}, &why));
    for (size_t i = 0; i < n; ++i) {
      const double fd = (plus[i] - minus[i]) / (2 * h);
      worst = std::max(worst, std::abs(jacobian[a * n + i] - fd) /
                                  (std::abs(fd) + 1e-6 * std::abs(f[i]) + 1e-12));
    }
  }
  std::printf(
      "ev_pbpk_mouse: worst relative difference sensitivities vs central differences %.2e\n",
      worst);
  EXPECT_LT(worst, 1e-3);
}

TEST(EvSimulationStudy, UnbiasedWithCoveringProfileIntervals) {
  const bool full = std::getenv("ONSET_FULL_STUDY") != nullptr;
  int replicates = full ? 200 : 10;
  if (const char* count = std::getenv("ONSET_STUDY_REPLICATES")) replicates = std::atoi(count);
  FitProblem base = ev_mouse_biodistribution_problem();
  const std::vector<double> truth = truth_predictions(base);
  std::vector<size_t> estimated;
  for (size_t i = 0; i < base.parameters.size(); ++i)
    if (!base.parameters[i].fixed) estimated.push_back(i);
  struct Outcome {
    bool converged = false;
    std::vector<double> estimate, low, high, wald_low, wald_high, z_low, z_high, rse, df;
    double ms = 0;
  };
  std::vector<Outcome> outcomes(static_cast<size_t>(replicates));
  const double z = 1.959963984540054;  // standard normal 0.975 quantile (Wald, for comparison)
  pk::parallel_for(
      static_cast<size_t>(replicates), 0, [] { return 0; },
      [&](size_t r, int&) {
        FitProblem problem = base;
        problem.predictor = base.predictor->clone();
        auto rng = pk::task_rng(20240607, r);
        std::normal_distribution<double> normal(0.0, 1.0);
        for (size_t i = 0; i < truth.size(); ++i) problem.y[i] = truth[i] * (1 + 0.2 * normal(rng));
        FitOptions options;
        options.intervals = IntervalMethod::kProfile;
        options.threads = 1;
        FitSummary summary;
        const auto begin = std::chrono::steady_clock::now();
        Solve(options, &problem, &summary);
        Outcome& out = outcomes[r];
        out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin)
                     .count();
        out.converged = summary.converged();
        if (std::getenv("ONSET_STUDY_VERBOSE"))
          std::printf("replicate %zu: %s, %d iterations, %d evaluations, %.0f ms\n", r,
                      summary.message.c_str(), summary.iterations, summary.evaluations, out.ms);
        for (size_t i : estimated) {
          out.estimate.push_back(summary.parameters[i].estimate);
          out.rse.push_back(summary.parameters[i].se / summary.parameters[i].estimate);
          out.low.push_back(summary.parameters[i].ci_low);
          out.high.push_back(summary.parameters[i].ci_high);
          // Wald on log scale (the estimation scale) with the t quantile of the fit's df, and
          // with the normal quantile.
          const double estimate = summary.parameters[i].estimate;
          const double relative_se = summary.parameters[i].se / estimate;
          const double df = summary.parameters[i].ci_df;
          const double t = boost::math::quantile(boost::math::students_t(df), 0.975);
          out.df.push_back(df);
          out.wald_low.push_back(estimate * std::exp(-t * relative_se));
          out.wald_high.push_back(estimate * std::exp(t * relative_se));
          out.z_low.push_back(estimate * std::exp(-z * relative_se));
          out.z_high.push_back(estimate * std::exp(z * relative_se));
        }
      });
  int converged = 0;
  double total_ms = 0;
  for (const auto& o : outcomes) {
    converged += o.converged ? 1 : 0;
    total_ms += o.ms;
  }
  std::printf("%d replicates, %d converged; mean time per fit %.0f ms\n", replicates, converged,
              total_ms / replicates);
  EXPECT_GE(converged, replicates * 9 / 10);
  // emp. CV: the estimates' standard deviation over the replicates / their mean; RSE: the mean
  // of the fits' own SE / estimate (Fisher information). Their ratio above 1 shows
  // model-based SEs (and intervals) that are too narrow for this sample size.
  std::printf("%-28s %10s %11s %8s %8s %9s %7s %6s %9s %9s %9s %7s %5s\n", "parameter", "truth",
              "mean est.", "bias %", "MC SE %", "emp. CV%", "RSE %", "ratio", "profile", "Wald t",
              "Wald z", "df", "open");
  int covered_all = 0, intervals_all = 0;
  for (size_t a = 0; a < estimated.size(); ++a) {
    const double true_value = base.parameters[estimated[a]].start;
    double sum = 0, sum_squares = 0, sum_rse = 0, sum_df = 0;
    int count = 0, covered = 0, wald_covered = 0, z_covered = 0, open = 0;
    for (const auto& o : outcomes) {
      if (!o.converged) continue;
      sum += o.estimate[a];
      sum_squares += o.estimate[a] * o.estimate[a];
      sum_rse += o.rse[a];
      sum_df += o.df[a];
      ++count;
      // An open side (profile flat up to a bound) still covers the truth on that side.
      const bool low_ok = !std::isfinite(o.low[a]) || o.low[a] <= true_value;
      const bool high_ok = !std::isfinite(o.high[a]) || true_value <= o.high[a];
      open += (std::isfinite(o.low[a]) && std::isfinite(o.high[a])) ? 0 : 1;
      covered += (low_ok && high_ok) ? 1 : 0;
      wald_covered += (o.wald_low[a] <= true_value && true_value <= o.wald_high[a]) ? 1 : 0;
      z_covered += (o.z_low[a] <= true_value && true_value <= o.z_high[a]) ? 1 : 0;
      // The interval is around the estimate.
      EXPECT_TRUE(!std::isfinite(o.low[a]) || o.low[a] < o.estimate[a]);
      EXPECT_TRUE(!std::isfinite(o.high[a]) || o.estimate[a] < o.high[a]);
    }
    const double mean = sum / count;
    const double sd = std::sqrt(std::max(0.0, sum_squares / count - mean * mean) * count /
                                std::max(count - 1, 1));
    const double bias = 100 * (mean / true_value - 1);
    const double coverage = 100.0 * covered / count;
    covered_all += covered;
    intervals_all += count;
    const double rse = sum_rse / count;
    std::printf(
        "%-28s %10.4g %11.5g %8.2f %8.2f %9.2f %7.2f %6.3f %8.1f%% %8.1f%% %8.1f%% %7.1f %5d\n",
        base.parameters[estimated[a]].name.c_str(), true_value, mean, bias,
        100 * sd / std::sqrt(count) / true_value, 100 * sd / mean, 100 * rse, sd / mean / rse,
        coverage, 100.0 * wald_covered / count, 100.0 * z_covered / count, sum_df / count, open);
    EXPECT_LT(std::abs(bias), 5.0) << base.parameters[estimated[a]].name;
    if (full) {
      EXPECT_GE(coverage, 90.0) << base.parameters[estimated[a]].name;
      EXPECT_LE(coverage, 99.0) << base.parameters[estimated[a]].name;
    }
  }
  std::printf("all parameters: %d of %d profile intervals cover the truth (%.1f%%)\n", covered_all,
              intervals_all, 100.0 * covered_all / intervals_all);
  EXPECT_GE(covered_all, intervals_all * 5 / 6);
}

}  // namespace
}  // namespace onset::fits
