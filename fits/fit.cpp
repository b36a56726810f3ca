#include "fits/fit.hpp"

#include <ceres/ceres.h>

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "fits/fit_objective.hpp"
#include "io/format.hpp"
#include "pk/distributed.hpp"
#include "pk/text_input.hpp"

namespace onset::fits {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kAdditive:
      return "additive";
    case ErrorKind::kProportional:
      return "proportional";
    case ErrorKind::kCombined:
      return "combined";
    case ErrorKind::kLogNormal:
      return "lognormal";
  }
  return "?";
}

std::optional<ErrorKind> parse_error_kind(std::string_view name) {
  for (ErrorKind kind : {ErrorKind::kAdditive, ErrorKind::kProportional, ErrorKind::kCombined,
                         ErrorKind::kLogNormal}) {
    if (error_kind_name(kind) == name) return kind;
  }
  if (name == "log-normal" || name == "exponential") return ErrorKind::kLogNormal;
  return std::nullopt;
}

std::string_view interval_method_name(IntervalMethod method) {
  switch (method) {
    case IntervalMethod::kWald:
      return "wald";
    case IntervalMethod::kProfile:
      return "profile";
    case IntervalMethod::kBootstrap:
      return "bootstrap";
  }
  return "?";
}

std::optional<IntervalMethod> parse_interval_method(std::string_view name) {
  for (IntervalMethod method :
       {IntervalMethod::kWald, IntervalMethod::kProfile, IntervalMethod::kBootstrap}) {
    if (interval_method_name(method) == name) return method;
  }
  return std::nullopt;
}

std::string_view interval_calibration_name(IntervalCalibration calibration) {
  switch (calibration) {
    case IntervalCalibration::kStudentT:
      return "t";
    case IntervalCalibration::kAsymptotic:
      return "asymptotic";
  }
  return "?";
}

std::optional<IntervalCalibration> parse_interval_calibration(std::string_view name) {
  for (IntervalCalibration calibration :
       {IntervalCalibration::kStudentT, IntervalCalibration::kAsymptotic}) {
    if (interval_calibration_name(calibration) == name) return calibration;
  }
  return std::nullopt;
}

std::string_view fit_status_name(FitStatus status) {
  switch (status) {
    case FitStatus::kConverged:
      return "converged";
    case FitStatus::kNotConverged:
      return "not converged";
    case FitStatus::kFailed:
      return "failed";
  }
  return "?";
}

bool FitOptions::IsValid(std::string* why) const {
  auto fail = [&](const std::string& message) {
    if (why) *why = message;
    return false;
  };
  if (max_iterations < 1) return fail("max_iterations must be >= 1");
  if (!(function_tolerance >= 0) || !(parameter_tolerance >= 0) || !(gradient_tolerance >= 0))
    return fail("tolerances must be >= 0");
  if (!(max_relative_offset > 0)) return fail("max_relative_offset must be > 0");
  if (multistart < 0) return fail("multistart must be >= 0");
  if (multistart > pk::RunLimits::kMaxMultistart)
    return fail(
        "multistart = " + std::to_string(multistart) + " is " +
        pk::limit_message(std::to_string(pk::RunLimits::kMaxMultistart) + " extra starts per fit",
                          "kMaxMultistart", "use fewer starts"));
  if (threads < 0) return fail("threads must be >= 0");
  if (threads > pk::RunLimits::kMaxThreads)
    return fail("threads = " + std::to_string(threads) + " is " +
                pk::limit_message(std::to_string(pk::RunLimits::kMaxThreads) + " worker threads",
                                  "kMaxThreads", "use 0 for one thread per core"));
  if (intervals == IntervalMethod::kBootstrap &&
      bootstrap_replicates > pk::RunLimits::kMaxBootstrap)
    return fail("bootstrap_replicates = " + std::to_string(bootstrap_replicates) + " is " +
                pk::limit_message(
                    std::to_string(pk::RunLimits::kMaxBootstrap) + " bootstrap replicates per fit",
                    "kMaxBootstrap", "use fewer replicates"));
  if (!(confidence > 0 && confidence < 1)) return fail("confidence must be in (0, 1)");
  if (intervals == IntervalMethod::kBootstrap && bootstrap_replicates < 10)
    return fail("bootstrap_replicates must be >= 10");
  return true;
}

bool FitProblem::IsValid(std::string* why) const {
  auto fail = [&](const std::string& message) {
    if (why) *why = message;
    return false;
  };
  if (!predictor) return fail("no predictor (model)");
  const auto& names = predictor->parameter_names();
  if (parameters.size() != names.size())
    return fail("the model has " + std::to_string(names.size()) + " parameters; " +
                std::to_string(parameters.size()) + " given");
  const size_t n = predictor->num_observations();
  if (y.size() != n) return fail("observations and predictions differ in number");
  if (block.size() != n) return fail("every observation needs its observable block");
  if (!weight.empty() && weight.size() != n)
    return fail("weights and observations differ in number");
  if (!animals.empty() && animals.size() != n)
    return fail("animal counts and observations differ in number");
  if (!within_ss.empty() && within_ss.size() != n)
    return fail("within-group sums of squares and observations differ in number");
  for (size_t i = 0; i < animals.size(); ++i) {
    if (!(animals[i] >= 1 && std::isfinite(animals[i])))
      return fail("observation " + std::to_string(i + 1) + " is a mean of " +
                  format_number(animals[i]) + " animals; expected a count >= 1");
    const bool has_ss = !within_ss.empty() && !std::isnan(within_ss[i]);
    if (has_ss && !(within_ss[i] >= 0 && std::isfinite(within_ss[i])))
      return fail("observation " + std::to_string(i + 1) + ": the SD must be >= 0 and finite");
    if ((animals[i] != 1 || has_ss) &&
        blocks[static_cast<size_t>(block[i])].error == ErrorKind::kLogNormal)
      return fail("summary data (a mean of " + format_number(animals[i]) + " animals for '" +
                  blocks[static_cast<size_t>(block[i])].name +
                  "') need additive, proportional or combined error: the log of a mean is not "
                  "the mean of the logs, so a log-normal error model does not describe it");
  }
  if (blocks.empty()) return fail("no observable blocks");
  if (n == 0) return fail("no observations");
  for (size_t i = 0; i < n; ++i) {
    if (block[i] < 0 || block[i] >= static_cast<int>(blocks.size()))
      return fail("observation " + std::to_string(i + 1) + " has no observable block");
    if (!std::isfinite(y[i]))
      return fail("observation " + std::to_string(i + 1) + " is not finite");
    if (!weight.empty() && !(weight[i] > 0 && std::isfinite(weight[i])))
      return fail("weight of observation " + std::to_string(i + 1) + " must be > 0");
    if (blocks[static_cast<size_t>(block[i])].error == ErrorKind::kLogNormal && !(y[i] > 0))
      return fail("log-normal error for '" + blocks[static_cast<size_t>(block[i])].name +
                  "' needs positive observations; observation " + std::to_string(i + 1) + " is " +
                  format_number(y[i]));
  }
  int free = 0;
  for (const auto& parameter : parameters) {
    if (!std::isfinite(parameter.start))
      return fail("parameter " + parameter.name + " has no finite start");
    if (parameter.fixed) continue;
    ++free;
    if (parameter.lower > parameter.upper)
      return fail("parameter " + parameter.name + ": lower bound above upper bound");
    if (parameter.start < parameter.lower || parameter.start > parameter.upper)
      return fail("start of " + parameter.name + " (" + format_number(parameter.start) +
                  ") is outside its bounds [" + format_number(parameter.lower) + ", " +
                  format_number(parameter.upper) + "]");
    if (parameter.log_scale && !(parameter.start > 0))
      return fail("parameter " + parameter.name +
                  " is estimated on log scale and needs a start > 0");
  }
  if (free == 0) return fail("every parameter is fixed: nothing to estimate");
  return true;
}

int FitProblem::parameter_index(std::string_view name) const {
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (parameters[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

namespace {

// The Ceres view of the objective: the free coordinates of the internal vector.
class CeresResiduals final : public ceres::CostFunction {
 public:
  CeresResiduals(FitObjective* objective, std::vector<double>* theta, const std::vector<int>* free)
      : objective_(objective), theta_(theta), free_(free) {
    set_num_residuals(static_cast<int>(objective->num_residuals()));
    mutable_parameter_block_sizes()->push_back(static_cast<int>(free->size()));
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override {
    for (size_t a = 0; a < free_->size(); ++a)
      (*theta_)[static_cast<size_t>((*free_)[a])] = parameters[0][a];
    const bool want = jacobians != nullptr && jacobians[0] != nullptr;
    if (!objective_->evaluate(*theta_, residuals, want ? &jacobian_ : nullptr, nullptr))
      return false;
    if (want) {
      const size_t n = objective_->num_residuals();
      const size_t m = objective_->num_internal();
      const size_t k = free_->size();
      for (size_t i = 0; i < n; ++i) {
        for (size_t a = 0; a < k; ++a) {
          jacobians[0][i * k + a] = jacobian_[i * m + static_cast<size_t>((*free_)[a])];
        }
      }
    }
    return true;
  }

 private:
  FitObjective* objective_;
  std::vector<double>* theta_;
  const std::vector<int>* free_;
  mutable std::vector<double> jacobian_;
};

// Why a fit whose objective is not a finite number failed, and what to do.
std::string non_finite_objective_message(double objective) {
  return "the objective (-2 log-likelihood) is " + format_number(objective) +
         ", not a finite number: the residuals overflow double precision (values near 1e154 "
         "or above square to infinity) or the model gives NaN; rescale the data (another "
         "unit) or check the model";
}

struct SolveOutcome {
  bool evaluated = false;  // the start could be evaluated
  bool converged = false;
  std::string message;
  int iterations = 0;
  int evaluations = 0;
  double objective = std::numeric_limits<double>::infinity();  // sum n_k log Q_k
  std::vector<double> theta;
};

// A SolveOutcome sent between MPI ranks (pk::distributed_for).
void encode(const SolveOutcome& o, pk::ByteWriter& out) {
  out.put(o.evaluated);
  out.put(o.converged);
  out.put(o.message);
  out.put(o.iterations);
  out.put(o.evaluations);
  out.put(o.objective);
  out.put(o.theta);
}
void decode(pk::ByteReader& in, SolveOutcome* o) {
  o->evaluated = in.get<bool>();
  o->converged = in.get<bool>();
  o->message = in.get_string();
  o->iterations = in.get<int>();
  o->evaluations = in.get<int>();
  o->objective = in.get<double>();
  o->theta = in.get_doubles();
}

// Relative offset (Bates and Watts 1981) of residuals r against the columns `columns` of the
// row-major Jacobian (n x m); 0 when there is nothing to test.
double relative_offset(const std::vector<double>& r, const std::vector<double>& jacobian, size_t m,
                       const std::vector<int>& columns, const std::vector<double>& theta,
                       bool* full_rank, bool* at_rounding_floor) {
  const auto n = static_cast<Eigen::Index>(r.size());
  const auto k = static_cast<Eigen::Index>(columns.size());
  *full_rank = true;
  *at_rounding_floor = false;
  if (k == 0) return 0;
  Eigen::MatrixXd j(n, k);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index a = 0; a < k; ++a)
      j(i, a) = jacobian[static_cast<size_t>(i) * m +
                         static_cast<size_t>(columns[static_cast<size_t>(a)])];
  const Eigen::Map<const Eigen::VectorXd> residual(r.data(), n);
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(j);
  qr.setThreshold(1e-13);
  if (qr.rank() < k) {
    *full_rank = false;
    return std::numeric_limits<double>::infinity();
  }
  const Eigen::VectorXd qtr = qr.householderQ().transpose() * residual;
  const double tangent = qtr.head(k).norm();
  const double orthogonal = qtr.tail(n - k).norm();
  // The tangent part that rounding the parameters to doubles alone produces: a point whose
  // tangent part is this small is stationary to working precision (NIST Lanczos1, where the
  // residuals are 1e-13 of the data).
  double floor_squared = 0;
  for (Eigen::Index a = 0; a < k; ++a) {
    const double scale =
        std::max(std::abs(theta[static_cast<size_t>(columns[static_cast<size_t>(a)])]), 1e-300);
    floor_squared += std::pow(scale * j.col(a).norm(), 2);
  }
  *at_rounding_floor =
      tangent <= 64 * std::numeric_limits<double>::epsilon() * std::sqrt(floor_squared);
  if (n == k) return tangent == 0 ? 0 : (tangent <= 1e-12 * residual.norm() ? 0 : 1);
  const double scale = residual.norm();
  if (orthogonal <= 1e-15 * std::max(scale, 1e-300)) {
    return tangent <= 1e-15 * std::max(scale, 1e-300) ? 0 : std::numeric_limits<double>::infinity();
  }
  return (tangent / std::sqrt(static_cast<double>(k))) /
         (orthogonal / std::sqrt(static_cast<double>(n - k)));
}

// One solve from theta0 with the coordinates in `held` fixed at their theta0 values. With
// `good_enough` > 0, a start where one Gauss-Newton step would lower -2 log L by less than
// that is taken as it is (profile points: the noise of the ODE solution would otherwise keep
// Ceres shrinking its trust region there for a dozen evaluations).
SolveOutcome solve_from(FitObjective& objective, const std::vector<double>& theta0,
                        const std::vector<char>& held, const FitOptions& options,
                        double good_enough = 0) {
  SolveOutcome outcome;
  const size_t m = objective.num_internal();
  std::vector<int> free;
  for (size_t a = 0; a < m; ++a)
    if (!held[a]) free.push_back(static_cast<int>(a));
  std::vector<double> theta = theta0;
  std::vector<double> residual(objective.num_residuals());
  std::string why;
  // Several observables: the joint least-squares form (fits/fit_objective.hpp), one solve.
  struct JointForm {
    FitObjective& objective;
    explicit JointForm(FitObjective& o) : objective(o) { objective.set_joint_blocks(true); }
    ~JointForm() { objective.set_joint_blocks(false); }
  } joint_form(objective);
  std::vector<double> jacobian;
  if (!objective.evaluate(theta, residual.data(), good_enough > 0 ? &jacobian : nullptr, &why)) {
    outcome.message = "the model cannot be evaluated at the start: " + why;
    outcome.theta = theta;
    return outcome;
  }
  outcome.evaluated = true;
  bool skip = false;
  if (good_enough > 0 && !free.empty()) {
    // -2 log L = N log(sum r~^2) + const, so a Gauss-Newton step lowers it by about
    // N |P r~|^2 / |r~|^2, P the projection on the free columns.
    bool full_rank = true, unused = false;
    const double offset = relative_offset(residual, jacobian, m, free, theta, &full_rank, &unused);
    const double n = static_cast<double>(residual.size());
    const double k = static_cast<double>(free.size());
    // offset^2 = (|P r|^2 / k) / (|(1 - P) r|^2 / (n - k)).
    const double ratio = offset * offset * k / (n - k);
    skip = full_rank && std::isfinite(ratio) && n * ratio / (1 + ratio) < good_enough;
  }
  std::vector<double> x(free.size());
  for (size_t a = 0; a < free.size(); ++a) x[a] = theta[static_cast<size_t>(free[a])];
  std::vector<double> scratch_theta = theta;
  ceres::TerminationType termination = ceres::CONVERGENCE;
  std::string ceres_message;
  if (!free.empty() && !skip) {
    ceres::Problem::Options problem_options;
    problem_options.cost_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
    ceres::Problem problem(problem_options);
    CeresResiduals cost(&objective, &scratch_theta, &free);
    problem.AddResidualBlock(&cost, nullptr, x.data());
    for (size_t a = 0; a < free.size(); ++a) {
      const auto [lower, upper] = objective.internal_bounds(static_cast<size_t>(free[a]));
      if (std::isfinite(lower))
        problem.SetParameterLowerBound(x.data(), static_cast<int>(a), lower);
      if (std::isfinite(upper))
        problem.SetParameterUpperBound(x.data(), static_cast<int>(a), upper);
    }
    ceres::Solver::Options solver_options;
    solver_options.linear_solver_type = ceres::DENSE_QR;
    solver_options.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
    solver_options.max_num_iterations = options.max_iterations;
    solver_options.function_tolerance = options.function_tolerance;
    solver_options.parameter_tolerance = options.parameter_tolerance;
    solver_options.gradient_tolerance = options.gradient_tolerance;
    solver_options.num_threads = 1;
    solver_options.logging_type = ceres::SILENT;
    ceres::Solver::Summary ceres_summary;
    ceres::Solve(solver_options, &problem, &ceres_summary);
    outcome.iterations += static_cast<int>(ceres_summary.iterations.size());
    outcome.evaluations += ceres_summary.num_residual_evaluations;
    termination = ceres_summary.termination_type;
    ceres_message = ceres_summary.message;
    for (size_t a = 0; a < free.size(); ++a) theta[static_cast<size_t>(free[a])] = x[a];
  }
  outcome.theta = theta;
  // Final evaluation with the Jacobian for the convergence tests.
  if (!skip && !objective.evaluate(theta, residual.data(), &jacobian, &why)) {
    outcome.message = "the model cannot be evaluated at the last point: " + why;
    return outcome;
  }
  outcome.objective = objective.profile_objective();
  // An infinite or NaN objective (residuals beyond double range: DV = 1e300 squared) is no
  // minimum, whatever the optimiser's tests said.
  if (!std::isfinite(outcome.objective)) {
    outcome.message = "the optimiser ended at a non-finite objective (" + ceres_message + ")";
    return outcome;
  }
  // Columns to test: free coordinates not pressed against a bound.
  std::vector<int> tested;
  int at_bound = 0;
  for (int a : free) {
    const auto [lower, upper] = objective.internal_bounds(static_cast<size_t>(a));
    const double value = theta[static_cast<size_t>(a)];
    const double tolerance = 1e-9 * std::max(1.0, std::abs(value));
    if (value - lower <= tolerance || upper - value <= tolerance) {
      ++at_bound;
      continue;
    }
    tested.push_back(a);
  }
  bool full_rank = true, at_rounding_floor = false;
  const double offset =
      relative_offset(residual, jacobian, m, tested, theta, &full_rank, &at_rounding_floor);
  std::ostringstream message;
  if (termination == ceres::FAILURE || termination == ceres::USER_FAILURE) {
    message << "the optimiser failed: " << ceres_message;
  } else if (!full_rank) {
    message << "the Jacobian is rank deficient at the last point (parameters not identifiable "
               "there)";
  } else if (!(offset <= options.max_relative_offset) && at_rounding_floor) {
    outcome.converged = true;
    message << "converged to working precision: the tangent part of the residuals is at the "
               "rounding level of the parameters (relative offset "
            << format_number(offset) << ") after " << outcome.iterations << " iterations";
  } else if (!(offset <= options.max_relative_offset)) {
    message << "stopped without convergence: relative offset " << format_number(offset) << " > "
            << format_number(options.max_relative_offset)
            << (termination == ceres::NO_CONVERGENCE ? " after the iteration limit" : "") << " ("
            << ceres_message << ")";
  } else {
    outcome.converged = true;
    message << "converged: relative offset " << format_number(offset) << " after "
            << outcome.iterations << " iterations";
    if (at_bound > 0) message << "; " << at_bound << " parameter(s) at a bound";
  }
  outcome.message = message.str();
  return outcome;
}

double chi_square_quantile(double probability) {
  return boost::math::quantile(boost::math::chi_squared(1.0), probability);
}
double normal_quantile(double probability) {
  return boost::math::quantile(boost::math::normal(), probability);
}
// NaN where the t distribution's quantile is not representable (a Satterthwaite df near 0:
// one observation carries the whole residual variance); the interval then says so.
double t_quantile(double df, double probability) {
  if (!(df >= 1e-3)) return std::numeric_limits<double>::quiet_NaN();
  try {
    return boost::math::quantile(boost::math::students_t(df), probability);
  } catch (const std::exception&) {  // boost::math overflow
    return std::numeric_limits<double>::quiet_NaN();
  }
}

// The start box of one internal coordinate (structural parameter).
std::pair<double, double> start_box(const FitParameter& parameter) {
  double low = parameter.start_low, high = parameter.start_high;
  if (std::isnan(low) || std::isnan(high)) {
    if (parameter.log_scale) {
      low = parameter.start / 10;
      high = parameter.start * 10;
    } else {
      const double width = std::max(std::abs(parameter.start), 1.0);
      low = parameter.start - width;
      high = parameter.start + width;
    }
  }
  low = std::max(low, parameter.lower);
  high = std::min(high, parameter.upper);
  if (parameter.log_scale) {
    low = std::max(low, parameter.start * 1e-6);
    return {std::log(low), std::log(high)};
  }
  return {low, high};
}

struct Worker {
  std::unique_ptr<Predictor> predictor;
  std::unique_ptr<FitObjective> objective;
};

// Profile-likelihood bound on one side of internal coordinate `a`; returns the internal
// value where the profile statistic delta(t) = min over the others - objective_hat, at
// theta_a = theta_hat_a + direction * t, reaches `target`, or NaN with a note.
//
// The search works on the signed root z(t) = sqrt(delta(t)), which is linear in t when the
// profile is quadratic (z = t / SE): the first point is the Wald bound `wald_t`, then secant
// steps on z - sqrt(target) (at most 4x further out while below), and once bracketed secant
// steps kept inside the bracket (else Illinois regula falsi), until |delta - target| <= 1e-4 target
// (the bound then to about 1e-5 of its distance from the estimate). Each point's inner fit starts
// from a prediction of the other coordinates: along `slope` (d theta_b / d theta_a of the
// covariance, the conditional mean) at first, then by linear interpolation or extrapolation
// through the two nearest points already solved.
double profile_bound(FitObjective& objective, const std::vector<double>& theta_hat,
                     double objective_hat, size_t a, double direction, double wald_t,
                     const std::vector<double>& slope, double target, bool log_scale,
                     const FitOptions& fit_options, std::string* note, bool* open) {
  // Inner fits need the statistic to about 1e-6 (absolute, -2 log L units), not the last
  // digit: -2 log L moves by N times the relative change of the joint least-squares cost.
  FitOptions options = fit_options;
  const double n = objective.effective_count();
  options.function_tolerance = std::max(options.function_tolerance, 1e-7 / n);
  options.parameter_tolerance = std::max(options.parameter_tolerance, 1e-8);
  const double tolerance = 1e-4 * target;
  const double root = std::sqrt(target);
  const size_t m = objective.num_internal();
  std::vector<char> held(m, 0);
  held[a] = 1;
  const auto [lower, upper] = objective.internal_bounds(a);
  const double bound = direction > 0 ? upper : lower;
  struct Point {
    double t = 0;
    std::vector<double> theta;
  };
  std::vector<Point> solved{{0.0, theta_hat}};
  auto start_for = [&](double t) {
    std::vector<double> start = theta_hat;
    if (solved.size() == 1) {
      for (size_t b = 0; b < m; ++b)
        if (std::isfinite(slope[b])) start[b] += slope[b] * direction * t;
    } else {
      std::vector<size_t> order(solved.size());
      std::iota(order.begin(), order.end(), size_t{0});
      std::partial_sort(order.begin(), order.begin() + 2, order.end(), [&](size_t x, size_t y) {
        return std::abs(solved[x].t - t) < std::abs(solved[y].t - t);
      });
      const Point& p = solved[order[0]];
      const Point& q = solved[order[1]];
      const double weight = (t - p.t) / (q.t - p.t);
      for (size_t b = 0; b < m; ++b) start[b] = p.theta[b] + weight * (q.theta[b] - p.theta[b]);
    }
    for (size_t b = 0; b < m; ++b) {
      const auto [low, high] = objective.internal_bounds(b);
      start[b] = std::clamp(start[b], low, high);
    }
    start[a] = theta_hat[a] + direction * t;
    return start;
  };
  // delta at t (false if the inner fit cannot be evaluated).
  auto statistic = [&](double t, double* delta) {
    SolveOutcome outcome = solve_from(objective, start_for(t), held, options, 0.1 * tolerance);
    if (!outcome.evaluated || !std::isfinite(outcome.objective)) return false;
    *delta = outcome.objective - objective_hat;
    if (std::none_of(solved.begin(), solved.end(), [&](const Point& p) { return p.t == t; }))
      solved.push_back({t, outcome.theta});
    return true;
  };
  auto signed_root = [](double delta) { return std::sqrt(std::max(delta, 0.0)); };
  auto failed = [&]() {
    *note = "profile could not be evaluated " + std::string(direction > 0 ? "above" : "below") +
            " the estimate";
    return std::numeric_limits<double>::quiet_NaN();
  };
  // The side is open: the profile stays below the threshold from the estimate out to the
  // farthest point solved (`t_far`, where delta was at most `delta_far`), either up to the
  // parameter's bound or until the model can no longer be evaluated or the steps run out (a flat
  // profile: the data do not determine the parameter). The interval extends to the bound
  // (-/+ infinity when there is none).
  auto open_side = [&](double t_far, double delta_far, const std::string& why) {
    *open = true;
    auto natural = [&](double internal) { return log_scale ? std::exp(internal) : internal; };
    const double near = natural(theta_hat[a]), far = natural(theta_hat[a] + direction * t_far);
    *note = std::string("not identifiable from these data ") + (direction > 0 ? "above" : "below") +
            " the estimate: -2 log L changes by < " + format_number(std::max(delta_far, 0.0), 3) +
            " (threshold " + format_number(target, 4) + ") over [" +
            format_number(std::min(near, far)) + ", " + format_number(std::max(near, far)) + "]" +
            why;
    return bound;
  };
  double delta_far = 0;  // the largest statistic seen while stepping out
  if (std::isfinite(bound) &&
      std::abs(bound - theta_hat[a]) <= 1e-9 * std::max(1.0, std::abs(theta_hat[a]))) {
    *note = std::string("the estimate is at the ") + (direction > 0 ? "upper" : "lower") + " bound";
    return bound;
  }
  // Step out until z(t) >= root.
  double t_low = 0, z_low = 0, t_high = 0, z_high = 0;
  double t = wald_t;
  bool bracketed = false;
  for (int step_count = 0; step_count < 40 && !bracketed; ++step_count) {
    bool clipped = false;
    if (std::isfinite(bound) && std::abs(bound - theta_hat[a]) <= t) {
      t = std::abs(bound - theta_hat[a]);
      clipped = true;
    }
    double delta = 0;
    if (!statistic(t, &delta)) {
      if (t_low > 0)
        return open_side(t_low, delta_far,
                         "; beyond, the model cannot be evaluated (open: the interval is "
                         "unbounded on this side)");
      return failed();
    }
    if (std::abs(delta - target) <= tolerance) return theta_hat[a] + direction * t;
    const double z = signed_root(delta);
    if (z >= root) {
      t_high = t;
      z_high = z;
      bracketed = true;
      break;
    }
    delta_far = std::max(delta_far, delta);
    if (clipped)
      return open_side(t, delta_far,
                       std::string(" (the ") + (direction > 0 ? "upper" : "lower") +
                           " bound): the interval reaches the bound");
    double next = 4 * t;
    if (z > z_low) next = std::min(next, t + (root - z) * (t - t_low) / (z - z_low));
    t_low = t;
    z_low = z;
    t = std::max(next, t * (1 + 1e-3));
  }
  if (!bracketed)
    return open_side(t_low, delta_far, " (open: the interval is unbounded on this side)");
  // Secant steps on z - root through the last two points, kept inside the bracket (else
  // Illinois regula falsi on the bracket).
  double f_low = z_low - root, f_high = z_high - root;
  double t_last = t_low, f_last = f_low, t_now = t_high, f_now = f_high;
  int side = 0;
  for (int iteration = 0; iteration < 30; ++iteration) {
    double t_new = f_now != f_last ? t_now - f_now * (t_now - t_last) / (f_now - f_last) : t_low;
    const bool inside = t_new > t_low && t_new < t_high;
    if (!inside) t_new = (t_low * f_high - t_high * f_low) / (f_high - f_low);
    double delta = 0;
    if (!statistic(t_new, &delta)) break;
    if (std::abs(delta - target) <= tolerance || std::abs(t_high - t_low) < 1e-10 * (1 + t_new))
      return theta_hat[a] + direction * t_new;
    const double f_new = signed_root(delta) - root;
    t_last = t_now;
    f_last = f_now;
    t_now = t_new;
    f_now = f_new;
    if (f_new > 0) {
      t_high = t_new;
      f_high = f_new;
      if (!inside && side == 1) f_low /= 2;
      side = 1;
    } else {
      t_low = t_new;
      f_low = f_new;
      if (!inside && side == -1) f_high /= 2;
      side = -1;
    }
  }
  return theta_hat[a] + direction * 0.5 * (t_low + t_high);
}

}  // namespace

void Solve(const FitOptions& options, FitProblem* problem, FitSummary* summary) {
  std::string why;
  if (!options.IsValid(&why)) throw std::invalid_argument("fit options: " + why);
  if (!problem->IsValid(&why)) throw std::invalid_argument("fit problem: " + why);
  if (options.intervals == IntervalMethod::kBootstrap &&
      std::any_of(problem->within_ss.begin(), problem->within_ss.end(),
                  [](double ss) { return !std::isnan(ss); }))
    throw std::invalid_argument(
        "--ci bootstrap is not available for summary data with SDs (a replicate would need "
        "the SDs redrawn too); use --ci profile or wald");
  *summary = FitSummary{};
  summary->interval_method = std::string(interval_method_name(options.intervals));

  FitObjective objective(*problem, problem->predictor.get());
  const size_t m = objective.num_internal();
  const size_t n = objective.num_observations();
  // Residual rows (observations, then the SD rows of summary data) and N, the observations
  // the likelihood counts (each animal behind a mean with an SD).
  const size_t rows = objective.num_residuals();
  const double count = objective.effective_count();
  const std::vector<double> theta_start = objective.start();
  const std::vector<char> no_held(m, 0);

  // Starting points: the given one, then multi-start draws.
  std::vector<std::vector<double>> starts{theta_start};
  for (int s = 0; s < options.multistart; ++s) {
    auto rng = pk::task_rng(options.seed, static_cast<uint64_t>(s));
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<double> theta = theta_start;
    for (size_t a = 0; a < objective.num_structural(); ++a) {
      const auto [low, high] =
          start_box(problem->parameters[static_cast<size_t>(objective.estimated()[a])]);
      theta[a] = low + (high - low) * unit(rng);
    }
    starts.push_back(std::move(theta));
  }
  std::vector<SolveOutcome> outcomes(starts.size());
  if (starts.size() == 1) {
    outcomes[0] = solve_from(objective, starts[0], no_held, options);
  } else {
    pk::distributed_for(
        starts.size(), options.threads,
        [&] {
          Worker worker;
          worker.predictor = problem->predictor->clone();
          worker.objective = std::make_unique<FitObjective>(*problem, worker.predictor.get());
          return worker;
        },
        [&](size_t s, Worker& worker) {
          outcomes[s] = solve_from(*worker.objective, starts[s], no_held, options);
        },
        [&](size_t s, pk::ByteWriter& out) { encode(outcomes[s], out); },
        [&](size_t s, pk::ByteReader& in) { decode(in, &outcomes[s]); });
  }
  size_t best = 0;
  bool any_converged = false;
  for (size_t s = 0; s < outcomes.size(); ++s) {
    summary->iterations += outcomes[s].iterations;
    summary->evaluations += outcomes[s].evaluations;
    if (outcomes[s].converged) ++summary->starts_converged;
    const bool better = (outcomes[s].converged && !any_converged) ||
                        (outcomes[s].converged == any_converged &&
                         outcomes[s].objective < outcomes[best].objective);
    if (s == 0 || better) {
      if (s != 0 || true) best = s;
      any_converged = any_converged || outcomes[s].converged;
    }
  }
  summary->starts_tried = static_cast<int>(starts.size());
  summary->best_start = static_cast<int>(best);
  const SolveOutcome& winner = outcomes[best];
  if (!winner.evaluated) {
    summary->status = FitStatus::kFailed;
    summary->message = winner.message;
    return;
  }
  summary->status = winner.converged ? FitStatus::kConverged : FitStatus::kNotConverged;
  summary->message = winner.message;
  if (starts.size() > 1) {
    summary->message += "; best of " + std::to_string(starts.size()) + " starts (" +
                        std::to_string(summary->starts_converged) + " converged)";
  }
  const std::vector<double> theta_hat = winner.theta;
  summary->gradient_method = problem->predictor->gradient_method();

  // Statistics at the estimate.
  std::vector<double> residual(rows), jacobian;
  objective.reset_block_weights();
  objective.evaluate(theta_hat, residual.data(), nullptr, &why);
  objective.update_block_weights();
  objective.evaluate(theta_hat, residual.data(), &jacobian, &why);
  const FitObjective::Statistics stats = objective.statistics();
  summary->predictions = objective.predictions();
  summary->num_observations = static_cast<int>(n);
  summary->num_estimated = static_cast<int>(objective.num_structural());
  summary->num_error_parameters =
      static_cast<int>(problem->blocks.size() + objective.num_combined());
  summary->minus_two_log_likelihood = stats.minus_two_log_likelihood;
  const int k_total = summary->num_estimated + summary->num_error_parameters;
  summary->aic = stats.minus_two_log_likelihood + 2.0 * k_total;
  summary->bic = stats.minus_two_log_likelihood + std::log(count) * k_total;
  summary->rss = stats.rss;
  summary->blocks = stats.blocks;
  if (!std::isfinite(summary->minus_two_log_likelihood)) {
    summary->status = FitStatus::kFailed;
    summary->message = non_finite_objective_message(summary->minus_two_log_likelihood) +
                       (winner.message.empty() ? "" : "; " + winner.message);
    return;
  }

  // Covariance on the internal scale: sum Q / (N - m) (J~'J~)^-1, by SVD.
  Eigen::MatrixXd j(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(m));
  for (size_t i = 0; i < rows; ++i)
    for (size_t a = 0; a < m; ++a)
      j(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(a)) = jacobian[i * m + a];
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(j, Eigen::ComputeThinV);
  const Eigen::VectorXd singular = svd.singularValues();
  const bool full_rank = singular.size() > 0 && singular(singular.size() - 1) > 1e-13 * singular(0);
  // Rank deficient: the parameters with a component in the Jacobian's null space are not
  // identifiable; the others (estimable: e_a in the row space) keep the covariance of the
  // pseudo-inverse, which for them does not depend on how the null space is resolved.
  Eigen::Index rank = 0;
  for (Eigen::Index r = 0; r < singular.size(); ++r)
    if (singular(r) > 1e-13 * singular(0)) ++rank;
  std::vector<char> in_null_space(m, 0);
  if (!full_rank) {
    const Eigen::MatrixXd null_space = svd.matrixV().rightCols(static_cast<Eigen::Index>(m) - rank);
    for (size_t a = 0; a < m; ++a)
      in_null_space[a] = null_space.row(static_cast<Eigen::Index>(a)).norm() > 1e-8 ? 1 : 0;
  }
  // p: the rank of the Jacobian (the number of parameters when they are all identifiable).
  const double dof =
      options.degrees_of_freedom_correction ? count - static_cast<double>(rank) : count;
  const double scale =
      dof > 0 ? stats.scaled_residual_sum / dof : std::numeric_limits<double>::quiet_NaN();
  Eigen::MatrixXd covariance_internal =
      Eigen::MatrixXd::Constant(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(m),
                                std::numeric_limits<double>::quiet_NaN());
  if (full_rank) {
    const Eigen::VectorXd inverse_squares = singular.array().square().inverse();
    covariance_internal =
        scale * svd.matrixV() * inverse_squares.asDiagonal() * svd.matrixV().transpose();
  } else {
    if (summary->status == FitStatus::kConverged) {
      summary->status = FitStatus::kNotConverged;
      summary->message += "; the Fisher information is singular";
    }
    const Eigen::VectorXd inverse_squares = singular.head(rank).array().square().inverse().matrix();
    const Eigen::MatrixXd v = svd.matrixV().leftCols(rank);
    const Eigen::MatrixXd pseudo_inverse = scale * v * inverse_squares.asDiagonal() * v.transpose();
    std::string names;
    for (size_t a = 0; a < m; ++a) {
      if (!in_null_space[a]) continue;
      names += (names.empty() ? "" : ", ") +
               (a < objective.num_structural()
                    ? problem->parameters[static_cast<size_t>(objective.estimated()[a])].name
                    : std::string("the combined-error ratio"));
    }
    for (size_t a = 0; a < m; ++a)
      for (size_t b = 0; b < m; ++b)
        if (!in_null_space[a] && !in_null_space[b])
          covariance_internal(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) =
              pseudo_inverse(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b));
    summary->message += "; the Jacobian has rank " + std::to_string(rank) + " of " +
                        std::to_string(m) + ": not identifiable from these data: " + names +
                        " (no standard errors; the others' from the pseudo-inverse)";
  }
  summary->se_method =
      "Wald: Gauss-Newton approximation of the observed Fisher information of the profiled "
      "likelihood, sigma^2 = RSS/(" +
      std::string(options.degrees_of_freedom_correction ? "n - p" : "n") +
      "); delta method to the natural scale";

  const size_t ms = objective.num_structural();
  const std::vector<int>& estimated = objective.estimated();
  std::vector<double> jacobian_to_natural(ms);  // d p / d theta
  for (size_t a = 0; a < ms; ++a) {
    const auto& parameter = problem->parameters[static_cast<size_t>(estimated[a])];
    jacobian_to_natural[a] = parameter.log_scale ? std::exp(theta_hat[a]) : 1.0;
  }
  summary->covariance.assign(ms * ms, 0);
  summary->correlation.assign(ms * ms, 0);
  for (size_t a = 0; a < ms; ++a) {
    summary->estimated_names.push_back(problem->parameters[static_cast<size_t>(estimated[a])].name);
    for (size_t b = 0; b < ms; ++b) {
      summary->covariance[a * ms + b] =
          jacobian_to_natural[a] * jacobian_to_natural[b] *
          covariance_internal(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b));
    }
  }
  for (size_t a = 0; a < ms; ++a)
    for (size_t b = 0; b < ms; ++b)
      summary->correlation[a * ms + b] =
          summary->covariance[a * ms + b] /
          std::sqrt(summary->covariance[a * ms + a] * summary->covariance[b * ms + b]);

  // Calibration of Wald and profile intervals (fits/fit.hpp). t: the degrees of freedom of each
  // parameter's SE, N - p with one observable, Satterthwaite over the observables' residual
  // variances with several; the profile threshold c_a = (N / nu) nu_a log(1 + t^2 / nu_a).
  const bool t_calibration = options.calibration == IntervalCalibration::kStudentT;
  const double quantile_probability = 0.5 + options.confidence / 2;
  const double residual_df = count - static_cast<double>(rank);  // N - p
  const size_t num_blocks = problem->blocks.size();
  std::vector<double> df_of(ms, std::numeric_limits<double>::quiet_NaN());
  if (residual_df > 0) {
    // N - p; with several observables (and the information of full rank) per parameter.
    if (t_calibration) std::fill(df_of.begin(), df_of.end(), residual_df);
    if (num_blocks == 1 && full_rank) summary->blocks[0].df = residual_df;
    if (num_blocks > 1 && full_rank) {
      // Rows of the block-weighted Jacobian J~ (the Gauss-Newton form of the profiled
      // likelihood): u_i = J~_i' (J~'J~)^-1. Leverage h_i = u_i J~_i; observable k's share of
      // SE_a^2 is proportional to w_k = sum over its observations of u_ia^2.
      const Eigen::VectorXd inverse_squares = singular.array().square().inverse();
      const Eigen::MatrixXd inverse =
          svd.matrixV() * inverse_squares.asDiagonal() * svd.matrixV().transpose();
      const Eigen::MatrixXd u = j * inverse;
      std::vector<double> block_df(num_blocks, 0.0);
      for (size_t k = 0; k < num_blocks; ++k) block_df[k] = objective.block_count(k);
      for (size_t i = 0; i < rows; ++i) {
        const auto row = static_cast<Eigen::Index>(i);
        block_df[static_cast<size_t>(objective.block_of_row(i))] -= u.row(row).dot(j.row(row));
      }
      for (size_t k = 0; k < num_blocks; ++k) summary->blocks[k].df = block_df[k];
      for (size_t a = 0; a < ms && t_calibration; ++a) {
        std::vector<double> w(num_blocks, 0.0);
        for (size_t i = 0; i < rows; ++i) {
          const double value = u(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(a));
          w[static_cast<size_t>(objective.block_of_row(i))] += value * value;
        }
        double total = 0, denominator = 0;
        bool defined = true;
        for (size_t k = 0; k < num_blocks; ++k) {
          total += w[k];
          if (w[k] <= 0) continue;
          if (!(block_df[k] > 0)) defined = false;
          denominator += w[k] * w[k] / block_df[k];
        }
        // Below 1e-3 df (one observation carries an error model's whole variance) the t
        // quantile is not representable: no calibrated interval, said in the note.
        if (defined && denominator > 0 && total * total / denominator >= 1e-3)
          df_of[a] = total * total / denominator;
      }
    }
  }
  // The SE's sigma^2 divisor (N - p, or N without the correction) against the ML one (N).
  const double ml_to_unbiased = count / dof;
  auto wald_quantile = [&](size_t a) {
    return t_calibration ? t_quantile(df_of[a], quantile_probability)
                         : normal_quantile(quantile_probability);
  };
  auto profile_threshold = [&](size_t a) {
    if (!t_calibration) return chi_square_quantile(options.confidence);
    const double df = df_of[a];
    const double t = t_quantile(df, quantile_probability);
    return ml_to_unbiased * df * std::log1p(t * t / df);
  };
  auto df_range = [&] {
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (double df : df_of) {
      if (!std::isfinite(df)) continue;
      low = std::min(low, df);
      high = std::max(high, df);
    }
    if (!(low <= high)) return std::string("undefined");
    if (high - low < 0.05) return format_number(low, 4);
    return format_number(low, 4) + "-" + format_number(high, 4);
  };
  std::string t_df_words;
  if (t_calibration) {
    t_df_words = num_blocks == 1 ? "N - p = " + format_number(residual_df) + " df"
                                 : "Satterthwaite df " + df_range() +
                                       " per parameter over the observables' residual variances "
                                       "(N - p = " +
                                       format_number(residual_df) + ")";
  }
  const std::string no_df_note = "no degrees of freedom for the t calibration";

  const std::vector<double> natural = objective.natural_parameters(theta_hat);
  std::vector<int> internal_of(problem->parameters.size(), -1);
  for (size_t a = 0; a < ms; ++a)
    internal_of[static_cast<size_t>(estimated[a])] = static_cast<int>(a);
  for (size_t i = 0; i < problem->parameters.size(); ++i) {
    const auto& parameter = problem->parameters[i];
    ParameterEstimate estimate;
    estimate.name = parameter.name;
    estimate.unit = parameter.unit;
    estimate.fixed = parameter.fixed;
    estimate.log_scale = parameter.log_scale;
    estimate.estimate = natural[i];
    const int a = internal_of[i];
    if (a < 0) {
      estimate.se = estimate.rse_pct = estimate.ci_low = estimate.ci_high = estimate.ci_df =
          std::numeric_limits<double>::quiet_NaN();
      estimate.ci_note = "fixed";
    } else {
      const size_t ua = static_cast<size_t>(a);
      estimate.se = std::sqrt(summary->covariance[ua * ms + ua]);
      estimate.rse_pct = 100 * estimate.se / std::abs(estimate.estimate);
      estimate.ci_df = options.intervals == IntervalMethod::kBootstrap
                           ? std::numeric_limits<double>::quiet_NaN()
                           : df_of[ua];
      const double se_internal = std::sqrt(covariance_internal(a, a));
      const bool calibrated = !t_calibration || std::isfinite(df_of[ua]);
      if (!calibrated && options.intervals != IntervalMethod::kBootstrap)
        estimate.ci_note = no_df_note;
      const double z = calibrated ? wald_quantile(ua) : std::numeric_limits<double>::quiet_NaN();
      const double low = theta_hat[ua] - z * se_internal, high = theta_hat[ua] + z * se_internal;
      estimate.ci_low = parameter.log_scale ? std::exp(low) : low;
      estimate.ci_high = parameter.log_scale ? std::exp(high) : high;
      if (in_null_space[ua]) {
        estimate.identifiable = false;
        estimate.ci_note = "not identifiable from these data (in the null space of the Jacobian)";
      }
      // The interval never leaves the parameter space (a fraction's upper end at most 1).
      if (estimate.ci_high > parameter.upper || estimate.ci_low < parameter.lower) {
        const bool high_side = estimate.ci_high > parameter.upper;
        estimate.ci_low = std::max(estimate.ci_low, parameter.lower);
        estimate.ci_high = std::min(estimate.ci_high, parameter.upper);
        if (options.intervals == IntervalMethod::kWald)
          estimate.ci_note =
              std::string("Wald interval cut at the ") + (high_side ? "upper" : "lower") + " bound";
      }
    }
    estimate.lower = parameter.lower;
    estimate.upper = parameter.upper;
    summary->parameters.push_back(estimate);
  }

  if (options.intervals == IntervalMethod::kProfile) {
    const double objective_hat = winner.objective;
    struct Side {
      double value = std::numeric_limits<double>::quiet_NaN();
      std::string note;
      bool open = false;  // the profile stays below the threshold out to the bound (or +-inf)
    };
    std::vector<Side> sides(2 * ms);
    pk::distributed_for(
        2 * ms, options.threads,
        [&] {
          Worker worker;
          worker.predictor = problem->predictor->clone();
          // Inner fits need the statistic to about 1e-6, not the last digit.
          worker.predictor->set_relaxed_accuracy(true);
          worker.objective = std::make_unique<FitObjective>(*problem, worker.predictor.get());
          return worker;
        },
        [&](size_t task, Worker& worker) {
          const size_t a = task / 2;
          const double direction = task % 2 == 0 ? -1.0 : 1.0;
          if (t_calibration && !std::isfinite(df_of[a])) {
            if (task % 2 == 0) sides[task].note = no_df_note;
            return;
          }
          const double target = profile_threshold(a);
          const auto ia = static_cast<Eigen::Index>(a);
          const double variance = covariance_internal(ia, ia);
          // The quadratic approximation puts the bound at z SE (the Wald bound).
          double wald_t = std::sqrt(target * variance);
          if (!std::isfinite(wald_t) || wald_t <= 0)
            wald_t = 0.1 * std::max(1.0, std::abs(theta_hat[a]));
          // The conditional mean of the others given theta_a: the first inner fits' start.
          std::vector<double> slope(m, 0.0);
          for (size_t b = 0; b < m; ++b)
            slope[b] = covariance_internal(static_cast<Eigen::Index>(b), ia) / variance;
          const bool log_scale = problem->parameters[static_cast<size_t>(estimated[a])].log_scale;
          sides[task].value = profile_bound(*worker.objective, theta_hat, objective_hat, a,
                                            direction, wald_t, slope, target, log_scale, options,
                                            &sides[task].note, &sides[task].open);
        },
        [&](size_t task, pk::ByteWriter& out) {
          out.put(sides[task].value);
          out.put(sides[task].note);
          out.put(sides[task].open);
        },
        [&](size_t task, pk::ByteReader& in) {
          sides[task].value = in.get<double>();
          sides[task].note = in.get_string();
          sides[task].open = in.get<bool>();
        });
    for (size_t a = 0; a < ms; ++a) {
      auto& estimate = summary->parameters[static_cast<size_t>(estimated[a])];
      const bool log_scale = estimate.log_scale;
      auto to_natural = [&](double value) { return log_scale ? std::exp(value) : value; };
      estimate.ci_low = to_natural(sides[2 * a].value);
      estimate.ci_high = to_natural(sides[2 * a + 1].value);
      if (sides[2 * a].open || sides[2 * a + 1].open) estimate.identifiable = false;
      std::string note = sides[2 * a].note;
      if (!sides[2 * a + 1].note.empty())
        note += (note.empty() ? "" : "; ") + sides[2 * a + 1].note;
      estimate.ci_note = note;
    }
    if (t_calibration) {
      summary->interval_method =
          "profile likelihood, t calibration: threshold (N/(N - p)) df log(1 + t^2_df/df) "
          "(N log(1 + t^2/(N - p)) with one observable; Bates & Watts 1988), " +
          t_df_words;
      if (num_blocks == 1 && std::isfinite(df_of[0]))
        summary->interval_method += ", threshold " + format_number(profile_threshold(0), 5);
    } else {
      summary->interval_method =
          "profile likelihood, asymptotic calibration: likelihood ratio, chi-square 1 df "
          "threshold " +
          format_number(chi_square_quantile(options.confidence), 5);
    }
  } else if (options.intervals == IntervalMethod::kBootstrap) {
    const int replicates = options.bootstrap_replicates;
    std::vector<std::vector<double>> draws(static_cast<size_t>(replicates));
    std::vector<char> converged(static_cast<size_t>(replicates), 0);
    const std::vector<double> predictions = summary->predictions;
    pk::distributed_for(
        static_cast<size_t>(replicates), options.threads,
        [&] {
          Worker worker;
          worker.predictor = problem->predictor->clone();
          worker.objective = std::make_unique<FitObjective>(*problem, worker.predictor.get());
          return worker;
        },
        [&](size_t b, Worker& worker) {
          auto rng = pk::task_rng(options.seed ^ 0xB0075787ull, b);
          std::normal_distribution<double> normal(0.0, 1.0);
          std::vector<double> y(n);
          for (size_t i = 0; i < n; ++i) {
            const auto& block = stats.blocks[static_cast<size_t>(problem->block[i])];
            const double w = (problem->weight.empty() ? 1.0 : problem->weight[i]) *
                             (problem->animals.empty() ? 1.0 : problem->animals[i]);
            const double f = predictions[i];
            const double e = normal(rng) / std::sqrt(w);
            switch (block.error) {
              case ErrorKind::kAdditive:
                y[i] = f + block.sigma * e;
                break;
              case ErrorKind::kProportional:
                y[i] = f * (1 + block.sigma * e);
                break;
              case ErrorKind::kCombined:
                y[i] = f + std::sqrt(block.additive_sd * block.additive_sd +
                                     block.sigma * block.sigma * f * f) *
                               e;
                break;
              case ErrorKind::kLogNormal:
                y[i] = f * std::exp(block.sigma * e);
                break;
            }
          }
          worker.objective->set_observations(y);
          SolveOutcome outcome = solve_from(*worker.objective, theta_hat, no_held, options);
          converged[b] = outcome.converged ? 1 : 0;
          draws[b] = worker.objective->natural_parameters(outcome.theta);
        },
        [&](size_t b, pk::ByteWriter& out) {
          out.put(converged[b]);
          out.put(draws[b]);
        },
        [&](size_t b, pk::ByteReader& in) {
          converged[b] = in.get<char>();
          draws[b] = in.get_doubles();
        });
    const double alpha = 1 - options.confidence;
    for (size_t a = 0; a < ms; ++a) {
      const size_t i = static_cast<size_t>(estimated[a]);
      std::vector<double> values;
      for (int b = 0; b < replicates; ++b)
        if (converged[static_cast<size_t>(b)]) values.push_back(draws[static_cast<size_t>(b)][i]);
      auto& estimate = summary->parameters[i];
      if (values.size() < 10) {
        estimate.ci_low = estimate.ci_high = std::numeric_limits<double>::quiet_NaN();
        estimate.ci_note = "too few converged bootstrap replicates";
        continue;
      }
      std::sort(values.begin(), values.end());
      auto quantile = [&](double q) {
        const double position = q * static_cast<double>(values.size() - 1);
        const size_t below = static_cast<size_t>(std::floor(position));
        const size_t above = std::min(below + 1, values.size() - 1);
        return values[below] +
               (position - static_cast<double>(below)) * (values[above] - values[below]);
      };
      estimate.ci_low = quantile(alpha / 2);
      estimate.ci_high = quantile(1 - alpha / 2);
    }
    summary->bootstrap_converged =
        static_cast<int>(std::count(converged.begin(), converged.end(), 1));
    summary->interval_method = "parametric bootstrap, percentile (" + std::to_string(replicates) +
                               " replicates, " + std::to_string(summary->bootstrap_converged) +
                               " converged, seed " + std::to_string(options.seed) + ")";
  } else {
    summary->interval_method =
        "Wald (on the estimation scale: log for log-scale parameters), " +
        (t_calibration ? "t calibration: t quantile with " + t_df_words
                       : std::string("asymptotic calibration: normal quantile"));
  }
}

}  // namespace onset::fits
