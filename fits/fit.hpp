// Estimation: Solve(options, &problem, &summary), the Ceres pattern.
//
// Method. Maximum likelihood with every residual variance parameter profiled out analytically,
// which turns each error model into an exact least-squares problem solved by Ceres'
// Levenberg-Marquardt (dense QR) with exact Jacobians (expression AD or CVODES forward
// sensitivities):
//   additive      r_i = sqrt(w_i) (y_i - f_i)
//   log-normal    r_i = sqrt(w_i) (log y_i - log f_i)
//   proportional  r_i = sqrt(w_i) (y_i - f_i) G / f_i,        G = geometric mean of f
//   combined      r_i = sqrt(w_i) (y_i - f_i) G / g_i,  g_i = sqrt(lambda^2 + f_i^2),
//                 G = geometric mean of g, lambda = a/b estimated (log scale) with the model
// so that -2 log L = n log(sum r_i^2) + const for one observable (the geometric-mean scaling
// carries the 2 sum log g_i term of the likelihood exactly). With several observables, each
// has its own sigma; sum_k n_k log Q_k is minimised as one least-squares problem by the same
// device, r~_i = sqrt(n_k / N exp(L) / Q_k) r_i with L = sum_k (n_k / N) log Q_k, so that
// sum r~^2 = exp(L) (fits/fit_objective.hpp). Additive error on one observable is ordinary
// least squares (NIST StRD, R's nls).
//
// Convergence is declared only when Ceres reports convergence AND the Bates-Watts relative
// offset (the part of the residual in the tangent plane, against the part orthogonal to it)
// is below FitOptions::max_relative_offset, AND the Jacobian has full rank; otherwise the
// status says which test failed, in words.
//
// Uncertainty. Covariance of the estimated parameters from the Gauss-Newton approximation of
// the observed Fisher information of the profile likelihood, (J'J)^-1 sigma^2 with
// sigma^2 = RSS/(n - p) (as nls and NIST), mapped to the natural scale by the delta method;
// correlations from it. Confidence intervals: Wald (on the estimation scale: log for
// log-scale parameters), profile likelihood (likelihood ratio), or parametric bootstrap
// (percentile; seeded; parallel, the same for any thread or MPI rank count: multi-starts,
// profile sides and replicates are split over both).
//
// Calibration of Wald and profile intervals (FitOptions::calibration). Every residual variance
// is estimated, so the default is small-sample ("t") calibration, as R's nls (summary, and
// MASS's profile/confint) does for one observable:
//   Wald     theta_hat +- t_{nu_a, 1-alpha/2} SE_a
//   profile  delta(theta_a) = -2 log L(profile) - -2 log L(hat) <= c_a,
//            c_a = (N / nu) nu_a log(1 + t^2_{nu_a, 1-alpha/2} / nu_a)
// with N the number of observations (all observables), p the number of estimated parameters
// of the least-squares problem (structural, plus log(a/b) of each combined error model; the
// profiled-out residual variances are not counted, as in nls), nu = N - p (the divisor of
// sigma^2 in the SEs) and nu_a the degrees of freedom of SE_a. With one observable nu_a = nu
// and c_a = N log(1 + t^2_{N-p} / (N - p)): -2 log L = N log RSS + const, so c_a is exactly
// RSS(theta_a) / RSS(theta_hat) <= 1 + t^2_{N-p} / (N - p), the F (t^2) profile interval of
// Bates & Watts (1988, Nonlinear Regression Analysis and Its Applications, Wiley, ch. 6:
// the profile t statistic against t_{N-p}) and of R's confint.nls. With several observables
// SE_a^2 = sum_k w_k is a sum over the observables' residual variances, each estimated with
// nu_k = n_k - (sum of the leverages of its observations) degrees of freedom (sum_k nu_k = nu),
// and nu_a is Satterthwaite's (1946, Biometrics Bulletin 2:110) (sum_k w_k)^2 /
// sum_k (w_k^2 / nu_k); w_k = SE_a^2 contributed by observable k's information. In the
// quadratic limit c_a is the squared Wald-t bound in units of the profile statistic (N / nu
// converts the ML to the unbiased residual variances), and for observables that inform
// disjoint parameters (equal n_k, equal parameter counts) both reduce to each observable's own
// exact t interval. "asymptotic": the large-sample likelihood-ratio calibration (chi-square 1 df
// threshold, Venzon & Moolgavkar 1988, Appl Stat 37:87) and normal quantiles.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "fits/fit_problem.hpp"

namespace onset::fits {

enum class IntervalMethod { kWald, kProfile, kBootstrap };
std::string_view interval_method_name(IntervalMethod method);
std::optional<IntervalMethod> parse_interval_method(std::string_view name);

// Small-sample (t, the default) or large-sample (chi-square / normal) calibration of Wald and
// profile intervals; see the header comment.
enum class IntervalCalibration { kStudentT, kAsymptotic };
std::string_view interval_calibration_name(IntervalCalibration calibration);  // "t", "asymptotic"
std::optional<IntervalCalibration> parse_interval_calibration(std::string_view name);

struct FitOptions {
  // Most Levenberg-Marquardt iterations per solve.
  int max_iterations = 1000;
  // Ceres stopping tolerances (relative change of the cost; relative step; projected
  // gradient, max norm). Tight by default: the relative-offset test decides convergence.
  double function_tolerance = 1e-15;
  double parameter_tolerance = 1e-15;
  double gradient_tolerance = 1e-20;
  // Bates-Watts relative offset below which a stationary point counts as converged.
  double max_relative_offset = 1e-4;
  // Extra starting points drawn uniformly (log-uniformly for log-scale parameters) from each
  // parameter's start box; the best converged fit wins. 0: only the given start.
  int multistart = 0;
  // Seed for multi-start points and the bootstrap.
  uint64_t seed = 20240607;
  // Worker threads per MPI rank for multi-start, profiles and bootstrap (0: all cores).
  // Results do not depend on it.
  int threads = 0;
  // Confidence intervals.
  IntervalMethod intervals = IntervalMethod::kWald;
  double confidence = 0.95;
  IntervalCalibration calibration = IntervalCalibration::kStudentT;
  // Parametric bootstrap replicates (IntervalMethod::kBootstrap).
  int bootstrap_replicates = 200;
  // sigma^2 = RSS/(n - p) for standard errors (true, as nls and NIST) or RSS/n (false).
  bool degrees_of_freedom_correction = true;

  bool IsValid(std::string* why) const;
};

enum class FitStatus {
  kConverged,     // a stationary point that passed every test
  kNotConverged,  // stopped without meeting the convergence tests; estimates are the best seen
  kFailed,        // no evaluation possible (bad start, solver failure at the start)
};
std::string_view fit_status_name(FitStatus status);

struct ParameterEstimate {
  std::string name;
  std::string unit;
  bool fixed = false;
  bool log_scale = false;
  double estimate = 0;
  double se = 0;       // natural scale (NaN when not computable)
  double rse_pct = 0;  // 100 se / |estimate|
  double ci_low = 0;   // NaN when not found (profile not crossing within bounds)
  double ci_high = 0;
  std::string ci_note;  // e.g. "not identifiable from these data above the estimate: ..."
  // False when the data do not determine the parameter: it lies in the null space of a
  // rank-deficient Jacobian (no SE), or a profile side stays below the threshold out to the
  // parameter's bound (that end of the interval is then the bound, -/+ infinity when none).
  bool identifiable = true;
  // The bounds the fit respected (natural scale; from the model, -/+ infinity when none).
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
  // Degrees of freedom of the t calibration of the Wald and profile interval (N - p with one
  // observable, Satterthwaite with several); NaN for asymptotic calibration, fixed parameters.
  double ci_df = 0;
};

struct BlockSummary {
  std::string name;
  ErrorKind error = ErrorKind::kAdditive;
  int n = 0;
  double sigma = 0;        // ML sigma (additive: in y units; proportional: fraction)
  double additive_sd = 0;  // combined only: a
  double rss = 0;          // sum of w (y - f)^2 / g^2
  // Residual degrees of freedom of this error model: N - p with one error model; with several,
  // n_k minus the leverage of its observations (h_i of the weighted Jacobian; the df sum to
  // N - p). sqrt(rss / df) is the n - p sigma (R's nls "residual standard error" with one).
  // NaN when not defined (rank-deficient Jacobian, N <= p).
  double df = std::numeric_limits<double>::quiet_NaN();
};

struct FitSummary {
  FitStatus status = FitStatus::kFailed;
  std::string message;  // in words
  bool converged() const { return status == FitStatus::kConverged; }
  int iterations = 0;
  int evaluations = 0;
  int num_observations = 0;
  int num_estimated = 0;  // structural parameters estimated
  int num_error_parameters = 0;
  double minus_two_log_likelihood = 0;  // "objective"
  double aic = 0;
  double bic = 0;
  double rss = 0;  // sum of squared (unscaled) residuals, all blocks
  std::vector<BlockSummary> blocks;
  std::vector<ParameterEstimate> parameters;  // every parameter, estimated or fixed
  // Estimated parameters only, row-major.
  std::vector<std::string> estimated_names;
  std::vector<double> covariance;
  std::vector<double> correlation;
  std::string se_method;
  std::string interval_method;
  std::string gradient_method;
  // Multi-start: points tried, how many converged, index of the winner (0: the given start).
  int starts_tried = 1;
  int starts_converged = 0;
  int best_start = 0;
  // Predictions at the estimate (one per observation).
  std::vector<double> predictions;
  // Bootstrap: replicates that converged.
  int bootstrap_converged = 0;
};

// Fits `problem` by `options`. Throws std::invalid_argument for invalid options or problem.
void Solve(const FitOptions& options, FitProblem* problem, FitSummary* summary);

}  // namespace onset::fits
