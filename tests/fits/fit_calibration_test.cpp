// Calibration of Wald and profile intervals (fits/fit.hpp) where the exact answer is known in
// closed form: two observables, each the constant mean of its own parameter (y = a in
// observable 1, y = b in observable 2, additive error, each with its own sigma). Observable 1
// alone decides a, so the exact 95 % interval for a is the one-sample t interval
// mean +- t_{n-1} s / sqrt(n) of observable 1 (s^2 = RSS_1 / (n - 1)); for a constant mean
// the profile statistic is n log(RSS_1(a) / RSS_1) and the F-type profile interval is the
// same interval. With equal n the t calibration (Satterthwaite df = n - 1) must give it for
// both methods; the asymptotic calibration gives the normal quantile times the same SE (Wald)
// and n log(1 + n (a - mean)^2 / RSS_1) = chi-square(1) quantile (profile). Theophylline
// against R's nls intervals is in theoph_fit_test.cpp.
#include <gtest/gtest.h>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <numeric>

#include "fits/fit.hpp"

namespace onset::fits {
namespace {

// f = a for observations of observable 0, b for observable 1.
class TwoMeans final : public Predictor {
 public:
  explicit TwoMeans(std::vector<int> block) : block_(std::move(block)) {}
  const std::vector<std::string>& parameter_names() const override { return names_; }
  size_t num_observations() const override { return block_.size(); }
  bool predict(std::span<const double> params, std::span<const int> wrt, std::span<double> f,
               std::span<double> jacobian, std::string*) override {
    const size_t n = block_.size();
    for (size_t i = 0; i < n; ++i) f[i] = params[static_cast<size_t>(block_[i])];
    if (!jacobian.empty()) {
      for (size_t c = 0; c < wrt.size(); ++c)
        for (size_t i = 0; i < n; ++i) jacobian[c * n + i] = block_[i] == wrt[c] ? 1.0 : 0.0;
    }
    return true;
  }
  std::string gradient_method() const override { return "exact"; }
  std::unique_ptr<Predictor> clone() const override { return std::make_unique<TwoMeans>(*this); }

 private:
  std::vector<int> block_;
  std::vector<std::string> names_ = {"a", "b"};
};

// Eight observations of each; different spreads, so the two sigmas differ by about 5x.
const std::vector<double> kFirst = {9.71, 10.42, 9.93, 10.88, 10.15, 9.47, 10.61, 10.03};
const std::vector<double> kSecond = {4.2, 6.9, 3.1, 5.5, 7.8, 2.6, 5.0, 6.1};

FitProblem two_means_problem() {
  FitProblem problem;
  std::vector<int> block;
  for (double y : kFirst) {
    problem.y.push_back(y);
    block.push_back(0);
  }
  for (double y : kSecond) {
    problem.y.push_back(y);
    block.push_back(1);
  }
  problem.block = block;
  problem.predictor = std::make_shared<TwoMeans>(block);
  problem.blocks = {{"first", ErrorKind::kAdditive, 0}, {"second", ErrorKind::kAdditive, 0}};
  for (const auto& [name, start] : {std::pair{"a", 8.0}, std::pair{"b", 4.0}}) {
    FitParameter parameter;
    parameter.name = name;
    parameter.start = start;
    problem.parameters.push_back(parameter);
  }
  return problem;
}

struct OneSample {
  double mean, rss, n;
};
OneSample one_sample(const std::vector<double>& y) {
  const double n = static_cast<double>(y.size());
  const double mean = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double rss = 0;
  for (double v : y) rss += (v - mean) * (v - mean);
  return {mean, rss, n};
}

FitSummary fit(IntervalMethod method, IntervalCalibration calibration) {
  FitProblem problem = two_means_problem();
  FitOptions options;
  options.intervals = method;
  options.calibration = calibration;
  options.threads = 1;
  FitSummary summary;
  Solve(options, &problem, &summary);
  EXPECT_TRUE(summary.converged()) << summary.message;
  return summary;
}

TEST(FitCalibration, TCalibrationGivesEachObservablesOwnExactTInterval) {
  for (IntervalMethod method : {IntervalMethod::kWald, IntervalMethod::kProfile}) {
    const FitSummary summary = fit(method, IntervalCalibration::kStudentT);
    std::printf("%s\n", summary.interval_method.c_str());
    EXPECT_NE(summary.interval_method.find("t calibration"), std::string::npos);
    for (size_t k = 0; k < 2; ++k) {
      const OneSample sample = one_sample(k == 0 ? kFirst : kSecond);
      const double df = sample.n - 1;
      const double t = boost::math::quantile(boost::math::students_t(df), 0.975);
      const double half = t * std::sqrt(sample.rss / df / sample.n);
      const ParameterEstimate& estimate = summary.parameters[k];
      std::printf("  %s: [%.10g, %.10g] df %.12g; exact [%.10g, %.10g]\n", estimate.name.c_str(),
                  estimate.ci_low, estimate.ci_high, estimate.ci_df, sample.mean - half,
                  sample.mean + half);
      // The estimate to its convergence test (relative offset 1e-4): 1e-9 here.
      EXPECT_NEAR(estimate.estimate, sample.mean, 1e-8 * half);
      // Satterthwaite: only observable k informs the parameter, with n - 1 df.
      EXPECT_NEAR(estimate.ci_df, df, 1e-9);
      // Wald: exact but for the estimate; profile: to its search tolerance
      // (|delta - c| <= 1e-4 c, so the half-width to about 5e-5).
      const double tolerance = method == IntervalMethod::kWald ? 1e-8 * half : 1e-4 * half;
      EXPECT_NEAR(estimate.ci_low, sample.mean - half, tolerance) << estimate.name;
      EXPECT_NEAR(estimate.ci_high, sample.mean + half, tolerance) << estimate.name;
    }
  }
}

TEST(FitCalibration, AsymptoticCalibrationGivesNormalAndChiSquareIntervals) {
  const double z = boost::math::quantile(boost::math::normal(), 0.975);
  const double chi2 = boost::math::quantile(boost::math::chi_squared(1.0), 0.95);
  for (IntervalMethod method : {IntervalMethod::kWald, IntervalMethod::kProfile}) {
    const FitSummary summary = fit(method, IntervalCalibration::kAsymptotic);
    std::printf("%s\n", summary.interval_method.c_str());
    EXPECT_NE(summary.interval_method.find("asymptotic calibration"), std::string::npos);
    for (size_t k = 0; k < 2; ++k) {
      const OneSample sample = one_sample(k == 0 ? kFirst : kSecond);
      // Wald: z times the SE, which with equal n is s / sqrt(n) (sigma^2 = sum Q / (N - p)
      // scaled per observable); profile: n log(1 + n d^2 / RSS) = chi2.
      const double half = method == IntervalMethod::kWald
                              ? z * std::sqrt(sample.rss / (sample.n - 1) / sample.n)
                              : std::sqrt(sample.rss / sample.n * std::expm1(chi2 / sample.n));
      const ParameterEstimate& estimate = summary.parameters[k];
      EXPECT_TRUE(std::isnan(estimate.ci_df));
      const double tolerance = method == IntervalMethod::kWald ? 1e-8 * half : 1e-4 * half;
      EXPECT_NEAR(estimate.ci_low, sample.mean - half, tolerance) << estimate.name;
      EXPECT_NEAR(estimate.ci_high, sample.mean + half, tolerance) << estimate.name;
    }
  }
}

TEST(FitCalibration, TIntervalsAreWiderThanAsymptoticOnesForFewObservations) {
  // Eight observations per sigma: t_7 = 2.36 against z = 1.96 (Wald, 21 % wider), and the
  // F-type profile threshold 8 log(1 + t_7^2 / 7) = 4.70 against 3.84 (14 % wider).
  for (IntervalMethod method : {IntervalMethod::kWald, IntervalMethod::kProfile}) {
    const FitSummary t = fit(method, IntervalCalibration::kStudentT);
    const FitSummary asymptotic = fit(method, IntervalCalibration::kAsymptotic);
    for (size_t k = 0; k < 2; ++k) {
      const double ratio = (t.parameters[k].ci_high - t.parameters[k].ci_low) /
                           (asymptotic.parameters[k].ci_high - asymptotic.parameters[k].ci_low);
      std::printf("%s %s: t / asymptotic width %.4f\n",
                  std::string(interval_method_name(method)).c_str(), t.parameters[k].name.c_str(),
                  ratio);
      EXPECT_GT(ratio, 1.1);
    }
  }
}

TEST(FitCalibration, NamesParse) {
  EXPECT_EQ(parse_interval_calibration("t"), IntervalCalibration::kStudentT);
  EXPECT_EQ(parse_interval_calibration("asymptotic"), IntervalCalibration::kAsymptotic);
  EXPECT_FALSE(parse_interval_calibration("z").has_value());
  EXPECT_EQ(interval_calibration_name(IntervalCalibration::kStudentT), "t");
  FitOptions options;
  EXPECT_EQ(options.calibration, IntervalCalibration::kStudentT);  // the default
}

}  // namespace
}  // namespace onset::fits
