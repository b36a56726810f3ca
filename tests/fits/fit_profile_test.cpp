// Profile-likelihood intervals and the joint least-squares form of several observables, on the
// mouse EV biodistribution design (fits/ev_biodistribution_problem.hpp: ev_pbpk_mouse, 40
// animals, 4 observables with their own proportional error, 6 log-scale parameters).
//
// The profile search takes shortcuts (warm starts, secant steps on the signed root, looser
// inner fits, skipping inner fits already stationary); the reference here does none of them:
// a separate tight fit (default FitOptions, every other parameter free) with the parameter
// fixed at the reported bound, and at a point just beyond it, gives the profile statistic
// there and its slope, so where the statistic really crosses the threshold: for the default
// t calibration (fits/fit.hpp) c = (N / (N - p)) df log(1 + t^2_df / df) with the parameter's
// Satterthwaite df, for the asymptotic one the chi-square quantile.
#include <gtest/gtest.h>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <random>

#include "fits/ev_biodistribution_problem.hpp"
#include "fits/fit.hpp"
#include "fits/fit_objective.hpp"

namespace onset::fits {
namespace {

// The design with data drawn once (20 % proportional error, seed 7, as the bench).
FitProblem mouse_problem_with_data() {
  FitProblem problem = ev_mouse_biodistribution_problem();
  std::vector<double> params, truth(problem.y.size());
  for (const auto& p : problem.parameters) params.push_back(p.start);
  std::string why;
  EXPECT_TRUE(problem.predictor->predict(params, {}, truth, {}, &why)) << why;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (size_t i = 0; i < truth.size(); ++i) problem.y[i] = truth[i] * (1 + 0.2 * normal(rng));
  return problem;
}

// -2 log L of a tight fit with parameter i fixed at `value`, the others started at `start`.
double fixed_fit(const FitProblem& base, const FitSummary& start, size_t i, double value) {
  FitProblem problem = base;
  problem.predictor = base.predictor->clone();
  for (size_t j = 0; j < problem.parameters.size(); ++j)
    if (!problem.parameters[j].fixed) problem.parameters[j].start = start.parameters[j].estimate;
  problem.parameters[i].fixed = true;
  problem.parameters[i].start = value;
  FitOptions options;
  options.threads = 1;
  FitSummary summary;
  Solve(options, &problem, &summary);
  EXPECT_TRUE(summary.converged()) << problem.parameters[i].name << ": " << summary.message;
  return summary.minus_two_log_likelihood;
}

void check_bounds_against_tight_fits(IntervalCalibration calibration) {
  FitProblem problem = mouse_problem_with_data();
  FitOptions options;
  options.intervals = IntervalMethod::kProfile;
  options.calibration = calibration;
  FitSummary summary;
  Solve(options, &problem, &summary);
  ASSERT_TRUE(summary.converged()) << summary.message;
  std::printf("%s\n", summary.interval_method.c_str());
  const double n = summary.num_observations;
  const double p = summary.num_estimated;  // proportional errors only: no combined a/b
  double worst = 0;
  for (size_t i = 0; i < problem.parameters.size(); ++i) {
    if (problem.parameters[i].fixed) continue;
    const ParameterEstimate& estimate = summary.parameters[i];
    double target = boost::math::quantile(boost::math::chi_squared(1.0), 0.95);
    if (calibration == IntervalCalibration::kStudentT) {
      // Four observables of 40: Satterthwaite df between one observable's (40 less its share
      // of the 6 leverages) and N - p = 154.
      const double df = estimate.ci_df;
      EXPECT_GT(df, 40 - 6) << estimate.name;
      EXPECT_LE(df, n - p + 1e-9) << estimate.name;
      const double t = boost::math::quantile(boost::math::students_t(df), 0.975);
      target = n / (n - p) * df * std::log1p(t * t / df);
      std::printf("%-28s df %.2f threshold %.5f\n", estimate.name.c_str(), df, target);
    } else {
      EXPECT_TRUE(std::isnan(estimate.ci_df)) << estimate.name;
    }
    ASSERT_TRUE(estimate.ci_note.empty()) << estimate.name << ": " << estimate.ci_note;
    for (double bound : {estimate.ci_low, estimate.ci_high}) {
      ASSERT_TRUE(std::isfinite(bound)) << estimate.name;
      // On log scale (the estimation scale): t = log(bound / estimate), and a point 1e-3
      // further out for the slope of the statistic.
      const double t = std::log(bound / estimate.estimate);
      const double t_out = t * (1 + 1e-3);
      const double delta = fixed_fit(problem, summary, i, bound) - summary.minus_two_log_likelihood;
      const double delta_out = fixed_fit(problem, summary, i, estimate.estimate * std::exp(t_out)) -
                               summary.minus_two_log_likelihood;
      const double slope = (delta_out - delta) / (t_out - t);
      ASSERT_GT(slope * t, 0) << estimate.name;  // the statistic grows away from the estimate
      const double t_reference = t - (delta - target) / slope;
      const double reference = estimate.estimate * std::exp(t_reference);
      const double relative = std::abs(bound / reference - 1);
      worst = std::max(worst, relative);
      std::printf("%-28s bound %.9g  reference %.9g  statistic there %.6f  relative %.1e\n",
                  estimate.name.c_str(), bound, reference, delta, relative);
      // The statistic at the reported bound is the threshold to 1e-3 ...
      EXPECT_NEAR(delta, target, 1e-3 * target) << estimate.name;
      // ... and the bound is where the tight fits cross it, to 1e-5 relative (the issue
      // allows 1e-3).
      EXPECT_LT(relative, 1e-5) << estimate.name;
    }
  }
  std::printf("worst relative difference of a profile bound from the tight reference: %.1e\n",
              worst);
}

TEST(FitProfile, BoundsAgreeWithTightFitsAtTheBoundsOfTheMouseDesign) {
  check_bounds_against_tight_fits(IntervalCalibration::kStudentT);
}

TEST(FitProfile, AsymptoticBoundsAgreeWithTightFitsAtTheBoundsOfTheMouseDesign) {
  check_bounds_against_tight_fits(IntervalCalibration::kAsymptotic);
}

TEST(FitProfile, IntervalsAreTheSameForOneAndTwoThreads) {
  // Each side's search depends only on its own history, never on which worker ran it.
  FitProblem problem = mouse_problem_with_data();
  FitOptions options;
  options.intervals = IntervalMethod::kProfile;
  FitSummary one, two;
  options.threads = 1;
  Solve(options, &problem, &one);
  options.threads = 2;
  Solve(options, &problem, &two);
  ASSERT_TRUE(one.converged()) << one.message;
  for (size_t i = 0; i < problem.parameters.size(); ++i) {
    if (problem.parameters[i].fixed) continue;
    EXPECT_EQ(one.parameters[i].ci_low, two.parameters[i].ci_low) << one.parameters[i].name;
    EXPECT_EQ(one.parameters[i].ci_high, two.parameters[i].ci_high) << one.parameters[i].name;
  }
}

TEST(FitProfile, JointFormEstimateIsStationaryForTheProfiledLikelihoodOfSeveralObservables) {
  // sum_k n_k log Q_k (each observable's sigma profiled out) by central differences of
  // FitObjective in the internal (log) coordinates, at the estimate the joint least-squares
  // form found: its gradient times each coordinate's SE must vanish (the statistic would move
  // by that much per SE).
  FitProblem problem = mouse_problem_with_data();
  FitSummary summary;
  Solve(FitOptions{}, &problem, &summary);
  ASSERT_TRUE(summary.converged()) << summary.message;
  ASSERT_EQ(problem.blocks.size(), 4u);
  FitObjective objective(problem, problem.predictor.get());
  std::vector<double> theta;
  std::vector<double> se_internal;
  for (size_t i = 0; i < problem.parameters.size(); ++i) {
    if (problem.parameters[i].fixed) continue;
    theta.push_back(std::log(summary.parameters[i].estimate));
    se_internal.push_back(summary.parameters[i].se / summary.parameters[i].estimate);
  }
  std::vector<double> residuals(problem.y.size());
  std::string why;
  auto value = [&](const std::vector<double>& at) {
    EXPECT_TRUE(objective.evaluate(at, residuals.data(), nullptr, &why)) << why;
    return objective.profile_objective();
  };
  for (size_t a = 0; a < theta.size(); ++a) {
    const double h = 0.01 * se_internal[a];
    std::vector<double> plus = theta, minus = theta;
    plus[a] += h;
    minus[a] -= h;
    const double gradient = (value(plus) - value(minus)) / (2 * h);
    // Curvature, to show the test has teeth: one SE away the statistic rises by about 1.
    std::vector<double> far = theta;
    far[a] += se_internal[a];
    const double rise = value(far) - value(theta);
    std::printf("%-28s gradient x SE %.2e, rise one SE out %.3f\n",
                summary.estimated_names[a].c_str(), gradient * se_internal[a], rise);
    // Measured: below 1e-5 (the difference quotient's own h^2 error is about that).
    EXPECT_LT(std::abs(gradient * se_internal[a]), 1e-4) << summary.estimated_names[a];
    EXPECT_GT(rise, 0.3) << summary.estimated_names[a];
  }
}

}  // namespace
}  // namespace onset::fits
