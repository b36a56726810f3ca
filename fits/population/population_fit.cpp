#include "fits/population/population_fit.hpp"

#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <stdexcept>

#include "io/format.hpp"
#include "pk/distributed.hpp"
#include "pk/parallel.hpp"
#include "pk/user_error.hpp"

namespace onset::fits::population {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------------
// Internal coordinates <-> population parameters.

class ParameterMap {
 public:
  ParameterMap(const PopulationModel& model, size_t num_observables) : model_(model) {
    base_.theta.resize(model.thetas.size());
    for (size_t k = 0; k < model.thetas.size(); ++k) base_.theta[k] = model.thetas[k].start;
    const auto q = static_cast<Eigen::Index>(model.etas.size());
    const std::vector<double> omega = model.omega_start();
    base_.omega =
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            omega.data(), q, q);
    base_.additive_sd.assign(num_observables, 0.0);
    base_.proportional_sd.assign(num_observables, 0.0);
    for (size_t o = 0; o < model.errors.size(); ++o) {
      base_.additive_sd[o] = model.errors[o].additive_sd;
      base_.proportional_sd[o] = model.errors[o].proportional_sd;
    }
    // Coordinates.
    for (size_t k = 0; k < model.thetas.size(); ++k) {
      const Theta& theta = model.thetas[k];
      if (theta.fixed) continue;
      coordinates_.push_back({Kind::kTheta, static_cast<int>(k), 0, 0});
    }
    for (size_t b = 0; b < model.omega.size(); ++b) {
      const OmegaBlock& block = model.omega[b];
      if (block.fixed) continue;
      const int k = static_cast<int>(block.etas.size());
      for (int a = 0; a < k; ++a)
        for (int c = 0; c <= a; ++c)
          if (a == c || !block.diagonal)
            coordinates_.push_back({Kind::kOmega, static_cast<int>(b), a, c});
    }
    for (size_t o = 0; o < model.errors.size(); ++o) {
      const ResidualError& error = model.errors[o];
      if (error.has_additive() && !error.additive_fixed)
        coordinates_.push_back({Kind::kAdditive, static_cast<int>(o), 0, 0});
      if (error.has_proportional() && !error.proportional_fixed)
        coordinates_.push_back({Kind::kProportional, static_cast<int>(o), 0, 0});
    }
    // Reported parameters: every THETA, OMEGA element, SIGMA.
    for (size_t k = 0; k < model.thetas.size(); ++k)
      reported_.push_back({PopulationEstimate::Kind::kTheta, model.thetas[k].name,
                           "THETA(" + std::to_string(k + 1) + ")", static_cast<int>(k), 0,
                           model.thetas[k].fixed});
    for (const OmegaBlock& block : model.omega) {
      const size_t k = block.etas.size();
      for (size_t a = 0; a < k; ++a)
        for (size_t c = 0; c <= a; ++c) {
          if (a != c && block.diagonal) continue;
          const int i = block.etas[a], j = block.etas[c];
          const std::string name = a == c ? model.etas[static_cast<size_t>(i)]
                                          : model.etas[static_cast<size_t>(i)] + "," +
                                                model.etas[static_cast<size_t>(j)];
          reported_.push_back({PopulationEstimate::Kind::kOmega, name,
                               "OMEGA(" + std::to_string(std::max(i, j) + 1) + "," +
                                   std::to_string(std::min(i, j) + 1) + ")",
                               std::max(i, j), std::min(i, j), block.fixed});
        }
    }
    int sigma = 0;
    for (size_t o = 0; o < model.errors.size(); ++o) {
      const ResidualError& error = model.errors[o];
      auto add = [&](bool additive, bool fixed) {
        ++sigma;
        reported_.push_back({PopulationEstimate::Kind::kSigma,
                             error.observable + (additive ? " additive" : " proportional"),
                             "SIGMA(" + std::to_string(sigma) + "," + std::to_string(sigma) + ")",
                             static_cast<int>(o), additive ? 0 : 1, fixed});
      };
      if (error.has_additive()) add(true, error.additive_fixed);
      if (error.has_proportional()) add(false, error.proportional_fixed);
    }
  }

  size_t size() const { return coordinates_.size(); }

  std::vector<double> start() const {
    std::vector<double> x(coordinates_.size());
    std::vector<Eigen::MatrixXd> factors = block_factors(base_.omega);
    for (size_t i = 0; i < coordinates_.size(); ++i) {
      const Coordinate& c = coordinates_[i];
      switch (c.kind) {
        case Kind::kTheta: {
          const Theta& t = model_.thetas[static_cast<size_t>(c.index)];
          x[i] = theta_to_internal(t, t.start);
          break;
        }
        case Kind::kOmega: {
          const OmegaBlock& block = model_.omega[static_cast<size_t>(c.index)];
          const Eigen::MatrixXd& l = factors[static_cast<size_t>(c.index)];
          if (block.diagonal)
            x[i] = std::log(l(c.row, c.row) * l(c.row, c.row));
          else
            x[i] = c.row == c.col ? std::log(l(c.row, c.col)) : l(c.row, c.col);
          break;
        }
        case Kind::kAdditive:
          x[i] = std::log(base_.additive_sd[static_cast<size_t>(c.index)]);
          break;
        case Kind::kProportional:
          x[i] = std::log(base_.proportional_sd[static_cast<size_t>(c.index)]);
          break;
      }
    }
    return x;
  }

  PopulationPoint point(std::span<const double> x) const {
    PopulationPoint p = base_;
    std::vector<Eigen::MatrixXd> factors = block_factors(base_.omega);
    std::vector<bool> touched(model_.omega.size(), false);
    for (size_t i = 0; i < coordinates_.size(); ++i) {
      const Coordinate& c = coordinates_[i];
      switch (c.kind) {
        case Kind::kTheta:
          p.theta[static_cast<size_t>(c.index)] =
              theta_to_natural(model_.thetas[static_cast<size_t>(c.index)], x[i]);
          break;
        case Kind::kOmega: {
          const OmegaBlock& block = model_.omega[static_cast<size_t>(c.index)];
          Eigen::MatrixXd& l = factors[static_cast<size_t>(c.index)];
          touched[static_cast<size_t>(c.index)] = true;
          if (block.diagonal)
            l(c.row, c.row) = std::exp(0.5 * x[i]);
          else
            l(c.row, c.col) = c.row == c.col ? std::exp(x[i]) : x[i];
          break;
        }
        case Kind::kAdditive:
          p.additive_sd[static_cast<size_t>(c.index)] = std::exp(x[i]);
          break;
        case Kind::kProportional:
          p.proportional_sd[static_cast<size_t>(c.index)] = std::exp(x[i]);
          break;
      }
    }
    for (size_t b = 0; b < model_.omega.size(); ++b) {
      if (!touched[b]) continue;
      const OmegaBlock& block = model_.omega[b];
      const Eigen::MatrixXd omega = factors[b] * factors[b].transpose();
      for (size_t a = 0; a < block.etas.size(); ++a)
        for (size_t c = 0; c < block.etas.size(); ++c)
          p.omega(block.etas[a], block.etas[c]) =
              omega(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(c));
    }
    return p;
  }

  struct Reported {
    PopulationEstimate::Kind kind;
    std::string name, label;
    int i = 0, j = 0;  // THETA index; OMEGA row, column; SIGMA observable, component
    bool fixed = false;
  };
  const std::vector<Reported>& reported() const { return reported_; }

  double reported_value(const Reported& r, const PopulationPoint& p) const {
    switch (r.kind) {
      case PopulationEstimate::Kind::kTheta:
        return p.theta[static_cast<size_t>(r.i)];
      case PopulationEstimate::Kind::kOmega:
        return p.omega(r.i, r.j);
      case PopulationEstimate::Kind::kSigma: {
        const double sd = r.j == 0 ? p.additive_sd[static_cast<size_t>(r.i)]
                                   : p.proportional_sd[static_cast<size_t>(r.i)];
        return sd * sd;
      }
    }
    return kNaN;
  }

  // The estimated reported parameters (same count as the coordinates), and d value / d x.
  std::vector<double> estimated_values(std::span<const double> x) const {
    const PopulationPoint p = point(x);
    std::vector<double> values;
    for (const auto& r : reported_)
      if (!r.fixed) values.push_back(reported_value(r, p));
    return values;
  }
  Eigen::MatrixXd jacobian(std::span<const double> x) const {
    const size_t n = coordinates_.size();
    Eigen::MatrixXd j(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
    std::vector<double> moved(x.begin(), x.end());
    for (size_t c = 0; c < n; ++c) {
      const double h = 1e-6 * std::max(1.0, std::abs(x[c]));
      moved[c] = x[c] + h;
      const std::vector<double> plus = estimated_values(moved);
      moved[c] = x[c] - h;
      const std::vector<double> minus = estimated_values(moved);
      moved[c] = x[c];
      for (size_t r = 0; r < n; ++r)
        j(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) =
            (plus[r] - minus[r]) / (2 * h);
    }
    return j;
  }
  std::vector<std::string> estimated_names() const {
    std::vector<std::string> names;
    for (const auto& r : reported_)
      if (!r.fixed)
        names.push_back(r.kind == PopulationEstimate::Kind::kOmega   ? "omega " + r.name
                        : r.kind == PopulationEstimate::Kind::kSigma ? "sigma " + r.name
                                                                     : r.name);
    return names;
  }

 private:
  enum class Kind { kTheta, kOmega, kAdditive, kProportional };
  struct Coordinate {
    Kind kind;
    int index;     // THETA, OMEGA block, observable
    int row, col;  // OMEGA: position in the block's Cholesky factor
  };

  std::vector<Eigen::MatrixXd> block_factors(const Eigen::MatrixXd& omega) const {
    std::vector<Eigen::MatrixXd> factors;
    for (const OmegaBlock& block : model_.omega) {
      const auto k = static_cast<Eigen::Index>(block.etas.size());
      Eigen::MatrixXd sub(k, k);
      for (Eigen::Index a = 0; a < k; ++a)
        for (Eigen::Index c = 0; c < k; ++c)
          sub(a, c) = omega(block.etas[static_cast<size_t>(a)], block.etas[static_cast<size_t>(c)]);
      factors.push_back(Eigen::LLT<Eigen::MatrixXd>(sub).matrixL());
    }
    return factors;
  }

  static double scale_of(const Theta& t) { return std::max(std::abs(t.start), 1e-2); }
  static double theta_to_internal(const Theta& t, double value) {
    const bool low = std::isfinite(t.lower), high = std::isfinite(t.upper);
    if (low && high) return std::log((value - t.lower) / (t.upper - value));
    if (low) return std::log(value - t.lower);
    if (high) return -std::log(t.upper - value);
    return value / scale_of(t);
  }
  static double theta_to_natural(const Theta& t, double x) {
    const bool low = std::isfinite(t.lower), high = std::isfinite(t.upper);
    if (low && high) return t.lower + (t.upper - t.lower) / (1 + std::exp(-x));
    if (low) return t.lower + std::exp(x);
    if (high) return t.upper - std::exp(-x);
    return x * scale_of(t);
  }

  const PopulationModel& model_;
  PopulationPoint base_;
  std::vector<Coordinate> coordinates_;
  std::vector<Reported> reported_;
};

// ---------------------------------------------------------------------------------------------
// The objective over every subject, for many points at once.

class ObjectiveEngine {
 public:
  // Row per (point, subject): [OFV_i, EBE converged (0/1), eta_1..eta_q].
  ObjectiveEngine(const PopulationProblem& problem, const IndividualModel& individual,
                  Method method, int threads)
      : problem_(problem),
        individual_(individual),
        method_(method),
        threads_(pk::resolve_threads(threads)),
        q_(problem.model.etas.size()),
        pools_(static_cast<size_t>(threads_)) {
    const size_t n = problem.data.subjects.size();
    for (size_t s = 0; s < n; ++s)
      covariates_.push_back(problem.data.subject_covariates(s, individual.covariates_used()));
    for (auto& pool : pools_) pool.resize(n);
  }

  size_t width() const { return 2 + q_ + q_ * q_; }
  size_t num_subjects() const { return covariates_.size(); }

  SubjectEvaluator& evaluator(size_t worker, size_t subject) {
    auto& slot = pools_[worker][subject];
    if (!slot)
      slot =
          std::make_unique<SubjectEvaluator>(individual_, problem_.model.errors,
                                             problem_.data.subjects[subject], covariates_[subject]);
    return *slot;
  }

  // Rows of every (point, subject), point-major; eta_start: N x q row-major, hessian_start:
  // N x q x q (or empty).
  std::vector<double> run(const std::vector<PopulationPoint>& points,
                          const std::vector<double>& eta_start,
                          const std::vector<double>& hessian_start, bool want_hessian,
                          std::vector<std::string>* messages) {
    const size_t n = num_subjects(), w = width();
    std::vector<std::string> local_messages(points.size() * n);
    std::vector<double> rows = pk::distributed_map(
        points.size() * n, w, threads_,
        [this] { return static_cast<size_t>(omp_get_thread_num()) % pools_.size(); },
        [&](size_t task, size_t worker, std::span<double> row) {
          const size_t p = task / n, s = task % n;
          EbeResult ebe;
          EbeStart start;
          start.eta = std::span<const double>(eta_start).subspan(s * q_, q_);
          if (!hessian_start.empty())
            start.hessian = std::span<const double>(hessian_start).subspan(s * q_ * q_, q_ * q_);
          start.want_hessian = want_hessian;
          const double ofv = evaluator(worker, s).objective(method_, points[p], start, &ebe);
          row[0] = ofv;
          row[1] = ebe.converged ? 1 : 0;
          std::fill(row.begin() + 2, row.end(), 0.0);
          for (size_t k = 0; k < q_; ++k)
            if (static_cast<Eigen::Index>(k) < ebe.eta.size())
              row[2 + k] = ebe.eta(static_cast<Eigen::Index>(k));
          if (ebe.hessian.size() == static_cast<Eigen::Index>(q_ * q_))
            std::copy(ebe.hessian.data(), ebe.hessian.data() + q_ * q_, row.begin() + 2 + q_);
          if (!std::isfinite(ofv)) local_messages[task] = ebe.message;
        });
    if (messages) *messages = std::move(local_messages);
    ++evaluations_;
    evaluations_points_ += static_cast<int>(points.size());
    return rows;
  }
  int evaluated_points() const { return evaluations_points_; }

 private:
  const PopulationProblem& problem_;
  const IndividualModel& individual_;
  Method method_;
  int threads_;
  size_t q_;
  std::vector<std::vector<double>> covariates_;
  std::vector<std::vector<std::unique_ptr<SubjectEvaluator>>> pools_;
  int evaluations_ = 0, evaluations_points_ = 0;
};

struct Evaluated {
  double total = kInfinity;
  std::vector<double> per_subject;  // OFV_i
  std::vector<double> eta;          // N x q
  std::vector<double> hessian;      // N x q x q (when asked for)
  int ebe_not_converged = 0;
  std::string failure;  // first subject that could not be evaluated
};

double sample_sd(const std::vector<double>& values) {
  const size_t n = values.size();
  if (n < 2) return kNaN;
  double mean = 0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(n);
  double sum = 0;
  for (double v : values) sum += (v - mean) * (v - mean);
  return std::sqrt(sum / static_cast<double>(n - 1));
}

}  // namespace

std::string_view covariance_matrix_name(CovarianceMatrix matrix) {
  switch (matrix) {
    case CovarianceMatrix::kSandwich:
      return "sandwich";
    case CovarianceMatrix::kR:
      return "r";
    case CovarianceMatrix::kS:
      return "s";
    case CovarianceMatrix::kNone:
      return "none";
  }
  return "?";
}

std::optional<CovarianceMatrix> parse_covariance_matrix(std::string_view text) {
  for (auto m : {CovarianceMatrix::kSandwich, CovarianceMatrix::kR, CovarianceMatrix::kS,
                 CovarianceMatrix::kNone})
    if (text == covariance_matrix_name(m)) return m;
  if (text == "R") return CovarianceMatrix::kR;
  if (text == "S") return CovarianceMatrix::kS;
  return std::nullopt;
}

std::string_view population_status_name(PopulationStatus status) {
  switch (status) {
    case PopulationStatus::kConverged:
      return "converged";
    case PopulationStatus::kNotConverged:
      return "not converged";
    case PopulationStatus::kEvaluated:
      return "evaluated";
    case PopulationStatus::kFailed:
      return "failed";
    case PopulationStatus::kInterrupted:
      return "stopped";
  }
  return "?";
}

bool PopulationOptions::IsValid(std::string* why) const {
  auto fail = [&](const std::string& text) {
    if (why) *why = text;
    return false;
  };
  if (method == Method::kSaem)
    return fail("SAEM runs through its own Solve (fits/population/saem.hpp)");
  if (max_iterations < 0) return fail("max_iterations must be >= 0");
  if (!(objective_tolerance > 0)) return fail("objective_tolerance must be > 0");
  if (!(gradient_step > 0 && gradient_step < 0.1)) return fail("gradient_step must be in (0, 0.1)");
  if (!(hessian_step > 0 && hessian_step < 0.5)) return fail("hessian_step must be in (0, 0.5)");
  if (threads < 0) return fail("threads must be >= 0");
  if (time_limit_s < 0) return fail("time_limit_s must be >= 0");
  return true;
}

void Solve(const PopulationOptions& options, const PopulationProblem& problem,
           PopulationSummary* summary) {
  std::string why;
  if (!options.IsValid(&why)) throw std::invalid_argument("population options: " + why);
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  const PopulationModel& model = problem.model;
  const PopulationData& data = problem.data;
  validate(model);
  if (model.errors.size() != data.observables.size())
    throw std::invalid_argument("one residual error model per observable is needed");
  for (size_t o = 0; o < model.errors.size(); ++o)
    if (model.errors[o].observable != data.observables[o])
      throw std::invalid_argument("residual error models out of observable order");
  if (data.subjects.empty()) throw UserError(data.source, "no subjects with observations");
  std::vector<std::string> model_names;
  std::vector<double> model_defaults;
  for (const auto& p : data.model_parameters) {
    model_names.push_back(p.name);
    model_defaults.push_back(p.start);
  }
  const IndividualModel individual(model, model_names, model_defaults, data.covariate_names);
  // Log-scale error models need positive observations.
  for (const auto& subject : data.subjects)
    for (size_t j = 0; j < subject.y.size(); ++j)
      if (model.errors[static_cast<size_t>(subject.block[j])].log_scale && !(subject.y[j] > 0))
        throw UserError(UserError::location(data.source, subject.line[j], 0),
                        "observation " + format_number(subject.y[j]) + " of subject " + subject.id +
                            " is not positive, and its error model is on log scale",
                        "DV > 0",
                        "exclude it (MDV = 1, or BLQ = 1) or use a linear-scale error model");

  PopulationSummary& out = *summary;
  out = PopulationSummary{};
  out.method = options.method;
  out.notes = data.notes;
  out.model_parameter_names = model_names;
  out.eta_names = model.etas;
  out.observable_names = data.observables;
  out.num_subjects = static_cast<int>(data.subjects.size());
  for (const auto& subject : data.subjects)
    out.num_observations += static_cast<int>(subject.y.size());

  const ParameterMap map(model, data.observables.size());
  const size_t p = map.size();
  const size_t n = data.subjects.size(), q = model.etas.size();
  out.num_estimated = static_cast<int>(p);
  ObjectiveEngine engine(problem, individual, options.method, options.threads);

  auto stop_requested = [&]() -> std::string {
    if (options.cancelled && options.cancelled()) return "interrupted";
    if (options.time_limit_s > 0 && elapsed() > options.time_limit_s)
      return "the time limit of " + format_number(options.time_limit_s) + " s was reached";
    return "";
  };

  // Evaluates points (internal coordinates), EBE searches starting from `eta_start`.
  auto evaluate = [&](const std::vector<std::vector<double>>& xs,
                      const std::vector<double>& eta_start,
                      const std::vector<double>& hessian_start, bool want_hessian) {
    std::vector<PopulationPoint> points;
    std::vector<bool> valid;
    for (const auto& x : xs) {
      points.push_back(map.point(x));
      valid.push_back(points.back().prepare());
    }
    std::vector<std::string> messages;
    const std::vector<double> rows =
        engine.run(points, eta_start, hessian_start, want_hessian, &messages);
    std::vector<Evaluated> results(xs.size());
    const size_t w = engine.width();
    for (size_t k = 0; k < xs.size(); ++k) {
      Evaluated& e = results[k];
      e.per_subject.resize(n);
      e.eta.resize(n * q);
      if (want_hessian) e.hessian.resize(n * q * q);
      double total = 0;
      for (size_t s = 0; s < n; ++s) {
        const double* row = &rows[(k * n + s) * w];
        e.per_subject[s] = row[0];
        if (row[1] == 0) ++e.ebe_not_converged;
        for (size_t j = 0; j < q; ++j) e.eta[s * q + j] = row[2 + j];
        if (want_hessian)
          std::copy(row + 2 + q, row + 2 + q + q * q,
                    e.hessian.begin() + static_cast<long>(s * q * q));
        if (!std::isfinite(row[0]) && e.failure.empty())
          e.failure = "subject " + data.subjects[s].id + ": " + messages[k * n + s];
        total += row[0];
      }
      e.total = valid[k] && std::isfinite(total) ? total : kInfinity;
      if (!valid[k] && e.failure.empty()) e.failure = "OMEGA is not positive definite";
    }
    return results;
  };

  std::vector<double> x = map.start();
  std::vector<double> base_eta(n * q, 0.0), base_hessian;
  const bool want_hessian = options.method != Method::kFo;
  Evaluated current = evaluate({x}, base_eta, base_hessian, want_hessian)[0];
  out.evaluations = 1;
  if (!std::isfinite(current.total)) {
    out.status = PopulationStatus::kFailed;
    out.message = "the objective cannot be evaluated at the starting values: " + current.failure;
    out.wall_time_s = elapsed();
    return;
  }
  base_eta = current.eta;
  base_hessian = current.hessian;

  // Central-difference gradient of the total objective at x (each perturbed objective starts
  // its EBE searches from the EBEs at x).
  Eigen::VectorXd curvature = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(p));
  auto gradient = [&](const std::vector<double>& at, double step) {
    std::vector<std::vector<double>> xs;
    for (size_t i = 0; i < p; ++i) {
      std::vector<double> plus = at, minus = at;
      plus[i] += step;
      minus[i] -= step;
      xs.push_back(plus);
      xs.push_back(minus);
    }
    const std::vector<Evaluated> values = evaluate(xs, base_eta, base_hessian, false);
    out.evaluations += static_cast<int>(xs.size());
    Eigen::VectorXd g(static_cast<Eigen::Index>(p));
    bool finite = true;
    for (size_t i = 0; i < p; ++i) {
      const auto a = static_cast<Eigen::Index>(i);
      g(a) = (values[2 * i].total - values[2 * i + 1].total) / (2 * step);
      // The second differences of the same points: the diagonal of the Hessian, for the
      // starting metric of BFGS.
      curvature(a) =
          (values[2 * i].total - 2 * current.total + values[2 * i + 1].total) / (step * step);
      finite = finite && std::isfinite(g(a));
    }
    return std::make_pair(g, finite);
  };
  // The inverse of the diagonal of the Hessian (non-positive or tiny entries replaced by the
  // median of the positive ones): a scale-aware first metric.
  auto diagonal_metric = [&] {
    const auto pe = static_cast<Eigen::Index>(p);
    std::vector<double> positive;
    for (Eigen::Index i = 0; i < pe; ++i)
      if (curvature(i) > 0 && std::isfinite(curvature(i))) positive.push_back(curvature(i));
    double median = 1;
    if (!positive.empty()) {
      std::nth_element(positive.begin(), positive.begin() + static_cast<long>(positive.size() / 2),
                       positive.end());
      median = positive[positive.size() / 2];
    }
    Eigen::MatrixXd metric = Eigen::MatrixXd::Zero(pe, pe);
    for (Eigen::Index i = 0; i < pe; ++i) {
      const double c = curvature(i) > 0 && std::isfinite(curvature(i))
                           ? std::max(curvature(i), 1e-3 * median)
                           : median;
      metric(i, i) = 1 / c;
    }
    return metric;
  };

  PopulationStatus status = PopulationStatus::kEvaluated;
  std::string message = "objective evaluated at the given values (nothing estimated)";
  if (p > 0 && options.max_iterations > 0) {
    status = PopulationStatus::kNotConverged;
    message = "the iteration limit (" + std::to_string(options.max_iterations) + ") was reached";
    auto [g, finite] = gradient(x, options.gradient_step);
    if (!finite) {
      out.status = PopulationStatus::kFailed;
      out.message = "the objective cannot be evaluated near the starting values";
      out.wall_time_s = elapsed();
      return;
    }
    Eigen::MatrixXd h = diagonal_metric();
    int small_changes = 0;
    for (int iteration = 1; iteration <= options.max_iterations; ++iteration) {
      out.iterations = iteration;
      if (const std::string stop = stop_requested(); !stop.empty()) {
        status = PopulationStatus::kInterrupted;
        message = stop;
        break;
      }
      Eigen::VectorXd d = -h * g;
      if (g.dot(d) >= 0) {
        h = diagonal_metric();
        d = -h * g;
      }
      const double decrement = -g.dot(d);
      if (iteration > 2 && 0.5 * decrement < options.objective_tolerance) {
        status = PopulationStatus::kConverged;
        message = "converged: the predicted decrease of the objective is " +
                  format_number(0.5 * decrement, 2) + " (< " +
                  format_number(options.objective_tolerance, 2) + ")";
        break;
      }
      // Steps of at most 1 in internal coordinates (a factor e on a log-scale parameter).
      const double longest = d.cwiseAbs().maxCoeff();
      if (longest > 1) d /= longest;
      const double slope = g.dot(d);
      double t = 1;
      bool accepted = false;
      Evaluated trial;
      std::vector<double> trial_x;
      for (int attempt = 0; attempt < 30; ++attempt) {
        trial_x = x;
        for (size_t i = 0; i < p; ++i) trial_x[i] += t * d(static_cast<Eigen::Index>(i));
        trial = evaluate({trial_x}, base_eta, base_hessian, want_hessian)[0];
        ++out.evaluations;
        if (std::isfinite(trial.total) && trial.total <= current.total + 1e-4 * t * slope) {
          accepted = true;
          break;
        }
        // Quadratic interpolation of the objective along d, kept within [0.1 t, 0.5 t].
        double next = 0.5 * t;
        if (std::isfinite(trial.total)) {
          const double curvature = trial.total - current.total - slope * t;
          if (curvature > 0) next = std::clamp(-slope * t * t / (2 * curvature), 0.1 * t, 0.5 * t);
        } else {
          next = 0.1 * t;
        }
        t = next;
      }
      if (!accepted) {
        if (0.5 * decrement < 100 * options.objective_tolerance) {
          status = PopulationStatus::kConverged;
          message =
              "converged to the precision of the objective: no decrease along the "
              "search direction (predicted decrease " +
              format_number(0.5 * decrement, 2) + ")";
        } else {
          message = "the line search found no decrease of the objective (predicted decrease " +
                    format_number(0.5 * decrement, 2) + ")";
        }
        break;
      }
      const double change = current.total - trial.total;
      x = trial_x;
      current = std::move(trial);
      base_eta = current.eta;
      base_hessian = current.hessian;
      auto [g_new, g_finite] = gradient(x, options.gradient_step);
      if (!g_finite) {
        message = "the objective cannot be evaluated near the current estimate";
        break;
      }
      const Eigen::VectorXd s = t * d;
      const Eigen::VectorXd y = g_new - g;
      const double sy = s.dot(y);
      if (sy > 1e-12 * s.norm() * y.norm()) {
        // BFGS update of the inverse Hessian.
        const Eigen::VectorXd hy = h * y;
        const double rho = 1 / sy;
        h += rho *
             ((1 + rho * y.dot(hy)) * s * s.transpose() - hy * s.transpose() - s * hy.transpose());
      }
      g = g_new;
      small_changes = change < 0.1 * options.objective_tolerance ? small_changes + 1 : 0;
      if (small_changes >= 3) {
        status = PopulationStatus::kConverged;
        message = "converged: the objective changed by less than " +
                  format_number(0.1 * options.objective_tolerance, 2) +
                  " in three successive iterations";
        break;
      }
    }
  }
  out.status = status;
  out.message = message;
  if (current.ebe_not_converged > 0)
    out.notes.push_back(std::to_string(current.ebe_not_converged) +
                        " subject(s) whose EBE search did not converge at the estimate");

  const PopulationPoint estimate = [&] {
    PopulationPoint point = map.point(x);
    point.prepare();
    return point;
  }();
  out.objective = current.total;
  out.minus_two_log_likelihood =
      current.total + out.num_observations * std::log(2 * std::numbers::pi);
  out.aic = out.minus_two_log_likelihood + 2.0 * static_cast<double>(p);
  out.bic = out.minus_two_log_likelihood +
            static_cast<double>(p) * std::log(static_cast<double>(out.num_observations));

  // Estimates.
  for (const auto& r : map.reported()) {
    PopulationEstimate e;
    e.kind = r.kind;
    e.name = r.name;
    e.label = r.label;
    e.fixed = r.fixed;
    e.estimate = map.reported_value(r, estimate);
    e.se = kNaN;
    e.rse_pct = kNaN;
    e.cv_pct = e.cv_exact_pct = e.sd = e.correlation = kNaN;
    if (r.kind == PopulationEstimate::Kind::kOmega) {
      if (r.i == r.j) {
        e.cv_pct = 100 * std::sqrt(e.estimate);
        e.cv_exact_pct = 100 * std::sqrt(std::expm1(e.estimate));
      } else {
        e.correlation = e.estimate / std::sqrt(estimate.omega(r.i, r.i) * estimate.omega(r.j, r.j));
      }
    }
    if (r.kind == PopulationEstimate::Kind::kSigma) e.sd = std::sqrt(e.estimate);
    out.estimates.push_back(e);
  }

  // Covariance step.
  if (options.covariance != CovarianceMatrix::kNone && p > 0 &&
      status != PopulationStatus::kFailed && status != PopulationStatus::kInterrupted) {
    const double hstep = options.hessian_step;
    std::vector<std::vector<double>> xs;
    for (size_t i = 0; i < p; ++i)
      for (int sign : {1, -1}) {
        std::vector<double> moved = x;
        moved[i] += sign * hstep;
        xs.push_back(moved);
      }
    for (size_t i = 0; i < p; ++i)
      for (size_t j = 0; j < i; ++j)
        for (int si : {1, -1})
          for (int sj : {1, -1}) {
            std::vector<double> moved = x;
            moved[i] += si * hstep;
            moved[j] += sj * hstep;
            xs.push_back(moved);
          }
    const std::vector<Evaluated> values = evaluate(xs, base_eta, base_hessian, false);
    out.evaluations += static_cast<int>(xs.size());
    const auto pe = static_cast<Eigen::Index>(p);
    Eigen::MatrixXd r_matrix(pe, pe), s_matrix = Eigen::MatrixXd::Zero(pe, pe);
    bool finite = true;
    for (const auto& v : values) finite = finite && std::isfinite(v.total);
    size_t k = 2 * p;
    for (size_t i = 0; i < p; ++i) {
      const auto a = static_cast<Eigen::Index>(i);
      r_matrix(a, a) =
          (values[2 * i].total - 2 * current.total + values[2 * i + 1].total) / (hstep * hstep);
      for (size_t j = 0; j < i; ++j) {
        const auto b = static_cast<Eigen::Index>(j);
        const double value =
            (values[k].total - values[k + 1].total - values[k + 2].total + values[k + 3].total) /
            (4 * hstep * hstep);
        r_matrix(a, b) = r_matrix(b, a) = value;
        k += 4;
      }
    }
    for (size_t s = 0; s < n; ++s) {
      Eigen::VectorXd gs(pe);
      for (size_t i = 0; i < p; ++i)
        gs(static_cast<Eigen::Index>(i)) =
            (values[2 * i].per_subject[s] - values[2 * i + 1].per_subject[s]) / (2 * hstep);
      s_matrix += gs * gs.transpose();
    }
    Eigen::MatrixXd cov_x;
    out.covariance_method = options.covariance == CovarianceMatrix::kSandwich
                                ? "R^-1 S R^-1 (sandwich, NONMEM's default)"
                            : options.covariance == CovarianceMatrix::kR ? "2 R^-1 (R matrix)"
                                                                         : "4 S^-1 (S matrix)";
    if (!finite) {
      out.covariance_message = "the objective cannot be evaluated around the estimate";
    } else {
      const Eigen::LLT<Eigen::MatrixXd> r_llt(r_matrix);
      const Eigen::LLT<Eigen::MatrixXd> s_llt(s_matrix);
      const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(pe, pe);
      if (options.covariance != CovarianceMatrix::kS && r_llt.info() != Eigen::Success) {
        out.covariance_message =
            "the R matrix (Hessian of the objective) is not positive definite: the estimate is "
            "not a strict minimum, or a parameter is not identifiable";
      } else if (options.covariance == CovarianceMatrix::kS && s_llt.info() != Eigen::Success) {
        out.covariance_message = "the S matrix is singular";
      } else {
        if (options.covariance == CovarianceMatrix::kSandwich) {
          const Eigen::MatrixXd r_inverse = r_llt.solve(identity);
          cov_x = r_inverse * s_matrix * r_inverse;
        } else if (options.covariance == CovarianceMatrix::kR) {
          cov_x = 2 * r_llt.solve(identity);
        } else {
          cov_x = 4 * s_llt.solve(identity);
        }
        const Eigen::MatrixXd jac = map.jacobian(x);
        const Eigen::MatrixXd cov = jac * cov_x * jac.transpose();
        out.covariance_ok = true;
        out.covariance_names = map.estimated_names();
        out.covariance.assign(cov.data(), cov.data() + cov.size());  // symmetric
        out.correlation.resize(p * p);
        for (Eigen::Index a = 0; a < pe; ++a)
          for (Eigen::Index b = 0; b < pe; ++b)
            out.correlation[static_cast<size_t>(a * pe + b)] =
                cov(a, b) / std::sqrt(cov(a, a) * cov(b, b));
        size_t m = 0;
        for (auto& e : out.estimates) {
          if (e.fixed) continue;
          const auto a = static_cast<Eigen::Index>(m++);
          e.se = cov(a, a) >= 0 ? std::sqrt(cov(a, a)) : kNaN;
          e.rse_pct = 100 * e.se / std::abs(e.estimate);
        }
      }
    }
  } else if (options.covariance == CovarianceMatrix::kNone) {
    out.covariance_message = "not requested";
  }

  // EBEs, diagnostics, shrinkage (every rank computes them all: one prediction per subject).
  out.subjects.resize(n);
  std::vector<SubjectDiagnostics> diagnostics(n);
  std::vector<std::string> failures(n);
  if (options.diagnostics) {
    pk::parallel_for(
        n, options.threads,
        [&] {
          return static_cast<size_t>(omp_get_thread_num()) %
                 static_cast<size_t>(pk::resolve_threads(options.threads));
        },
        [&](size_t s, size_t worker) {
          SubjectEvaluator& evaluator = engine.evaluator(worker, s);
          SubjectEstimate& subject = out.subjects[s];
          subject.id = data.subjects[s].id;
          subject.objective = current.per_subject[s];
          std::vector<double> eta(base_eta.begin() + static_cast<long>(s * q),
                                  base_eta.begin() + static_cast<long>((s + 1) * q));
          if (options.method == Method::kFo) {
            // Posthoc EBE (FOCE conditional mode), as NONMEM's POSTHOC.
            const EbeResult ebe = evaluator.estimate_eta(Method::kFoce, estimate, {eta, {}, false});
            eta.assign(ebe.eta.data(), ebe.eta.data() + ebe.eta.size());
            subject.ebe_converged = ebe.converged;
            subject.message = ebe.message;
          }
          subject.eta = eta;
          subject.parameters = evaluator.individual_parameters(estimate, eta);
          if (!evaluator.diagnostics(options.method, estimate, eta, &diagnostics[s], &failures[s]))
            diagnostics[s] = SubjectDiagnostics{};
        },
        1);
  }
  for (size_t s = 0; s < n && options.diagnostics; ++s) {
    const PopulationSubject& subject = data.subjects[s];
    if (!failures[s].empty()) {
      out.notes.push_back("subject " + subject.id + ": no diagnostics (" + failures[s] + ")");
      continue;
    }
    for (size_t j = 0; j < subject.y.size(); ++j) {
      ObservationDiagnostics row;
      row.id = subject.id;
      row.line = subject.line[j];
      row.time = subject.time[j];
      row.observable = data.observables[static_cast<size_t>(subject.block[j])];
      row.dv = subject.y[j];
      row.pred = diagnostics[s].pred[j];
      row.ipred = diagnostics[s].ipred[j];
      row.res = diagnostics[s].res[j];
      row.ires = diagnostics[s].ires[j];
      row.iwres = diagnostics[s].iwres[j];
      row.cwres = diagnostics[s].cwres[j];
      out.observations.push_back(row);
    }
  }
  if (options.diagnostics) {
    for (size_t k = 0; k < q; ++k) {
      std::vector<double> values;
      for (const auto& subject : out.subjects) values.push_back(subject.eta[k]);
      out.eta_shrinkage_pct.push_back(
          100 * (1 - sample_sd(values) / std::sqrt(estimate.omega(static_cast<Eigen::Index>(k),
                                                                  static_cast<Eigen::Index>(k)))));
    }
    for (size_t o = 0; o < data.observables.size(); ++o) {
      std::vector<double> values;
      for (const auto& row : out.observations)
        if (row.observable == data.observables[o]) values.push_back(row.iwres);
      out.eps_shrinkage_pct.push_back(100 * (1 - sample_sd(values)));
    }
  }
  out.gradient_method = engine.evaluator(0, 0).gradient_method();
  out.wall_time_s = elapsed();
}

}  // namespace onset::fits::population
