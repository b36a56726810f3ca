#include "pk/steady_state.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pk/solver_error.hpp"

namespace onset::pk {

namespace {

constexpr int kMaxConstantInputDoublings = 48;  // spans up to 2^47 h

std::string state_list(const Model& model) {
  std::string out;
  for (const auto& state : model.states()) out += (out.empty() ? "'" : ", '") + state.name + "'";
  return out;
}

}  // namespace

bool SteadyStateOptions::IsValid(std::string* why) const {
  if (max_intervals < 1) {
    *why = "steady state: max_intervals must be at least 1";
    return false;
  }
  if (!(tolerance_factor > 0) || !std::isfinite(tolerance_factor)) {
    *why = "steady state: tolerance_factor must be a positive number";
    return false;
  }
  return true;
}

SteadyStateSolver::SteadyStateSolver(const Model& model, const SolverOptions& solver,
                                     SteadyStateOptions options)
    : model_(model), solver_(solver), options_(options), n_(model.num_states()) {
  std::string why;
  if (!options_.IsValid(&why)) throw std::invalid_argument(why);
  const auto n = static_cast<size_t>(n_);
  a_flat_.resize(n * n);
  b_flat_.resize(n);
  y_.resize(n);
  previous_.resize(n);
  input_rate_.resize(n);
  phi_.resize(n_, n_);
  c_.resize(n_);
}

double SteadyStateSolver::weighted_change(std::span<const double> before,
                                          std::span<const double> after) const {
  double worst = 0;
  for (int i = 0; i < n_; ++i) {
    const auto k = static_cast<size_t>(i);
    const double scale =
        options_.tolerance_factor * (solver_.rtol * std::fabs(after[k]) + solver_.atol_of(i));
    worst = std::max(worst, std::fabs(after[k] - before[k]) / scale);
  }
  return worst;
}

void SteadyStateSolver::period_map(Integrator& integrator, std::span<double> y) {
  for (const Piece& piece : pieces_) {
    for (int i = 0; i < n_; ++i) y[static_cast<size_t>(i)] += piece.bolus[static_cast<size_t>(i)];
    // A sliver left by rounding (an infusion ending a hair before the interval does): its
    // input is negligible, and backends refuse steps that short.
    const double scale = std::max({1.0, std::fabs(piece.t_begin), std::fabs(piece.t_end)});
    if (piece.t_end - piece.t_begin <= 64 * std::numeric_limits<double>::epsilon() * scale)
      continue;
    integrator.restart(piece.t_begin, y, piece.input_rate, piece.t_end);
    double t = 0;
    if (integrator.advance(piece.t_end, y, &t, crossed_) == AdvanceOutcome::kFailure)
      throw SolverError("while computing a steady state: " + integrator.failure());
  }
}

void SteadyStateSolver::solve(Integrator& integrator, std::span<const double> params,
                              const DoseTrain& train, double t0, std::span<double> x) {
  if (train.interval_h == 0) {
    constant_input(integrator, params, train.state, train.rate, t0, x);
    return;
  }
  if (!(train.interval_h > 0) || !std::isfinite(train.interval_h))
    throw std::invalid_argument("steady state: the dosing interval must be positive");

  // The train's inputs in [t0, t0 + II): every dose that starts or is still running there.
  const double ii = train.interval_h;
  const int back = static_cast<int>(std::ceil((train.offset_h + train.duration_h) / ii)) + 1;
  train_regimen_.doses.clear();
  train_regimen_.resets.clear();
  for (int k = -back; k <= 0; ++k)
    train_regimen_.doses.push_back(
        {t0 + (train.offset_h + k * ii), train.state, train.amount, train.duration_h});
  build_timeline_into(train_regimen_, n_, t0, t0 + ii, &pieces_);

  std::fill(a_flat_.begin(), a_flat_.end(), 0.0);
  std::fill(b_flat_.begin(), b_flat_.end(), 0.0);
  if (model_.linear_system(params, a_flat_, b_flat_)) {
    // M(x) = Phi x + c: c = M(0), Phi e_i = M(e_i) - c.
    std::fill(y_.begin(), y_.end(), 0.0);
    period_map(integrator, y_);
    c_ = Eigen::Map<const Eigen::VectorXd>(y_.data(), n_);
    for (int i = 0; i < n_; ++i) {
      std::fill(y_.begin(), y_.end(), 0.0);
      y_[static_cast<size_t>(i)] = 1.0;
      period_map(integrator, y_);
      phi_.col(i) = Eigen::Map<const Eigen::VectorXd>(y_.data(), n_) - c_;
    }
    const Eigen::MatrixXd system = Eigen::MatrixXd::Identity(n_, n_) - phi_;
    const Eigen::FullPivLU<Eigen::MatrixXd> lu(system);
    if (!lu.isInvertible())
      throw SteadyStateError(
          "no steady state for doses every " + std::to_string(ii) + " h into state '" +
          model_.states()[static_cast<size_t>(train.state)].name +
          "': some amount never leaves the system (a state without elimination among " +
          state_list(model_) + ")");
    Eigen::Map<Eigen::VectorXd>(x.data(), n_) = lu.solve(c_);
    return;
  }

  // Nonlinear: iterate the map, extrapolating the remaining error from the contraction.
  model_.initial_state(params, x);
  double previous_change = std::numeric_limits<double>::infinity();
  for (int interval = 1; interval <= options_.max_intervals; ++interval) {
    std::copy(x.begin(), x.end(), y_.begin());
    period_map(integrator, y_);
    const double change = weighted_change(x, y_);
    std::copy(y_.begin(), y_.end(), x.begin());
    if (change == 0) return;
    const double contraction = change / previous_change;
    previous_change = change;
    if (interval > 1 && contraction < 1 && change <= 1 &&
        change * contraction / (1 - contraction) <= 1)
      return;
  }
  throw SteadyStateError("steady state not reached after " +
                         std::to_string(options_.max_intervals) + " dosing intervals of " +
                         std::to_string(ii) + " h (the state still changed by " +
                         std::to_string(previous_change) +
                         " x its tolerance per interval); the model may have no steady state, or "
                         "raise the steady-state interval limit");
}

void SteadyStateSolver::constant_input(Integrator& integrator, std::span<const double> params,
                                       int state, double rate, double t0, std::span<double> x) {
  std::fill(a_flat_.begin(), a_flat_.end(), 0.0);
  std::fill(b_flat_.begin(), b_flat_.end(), 0.0);
  if (model_.linear_system(params, a_flat_, b_flat_)) {
    // A x + b + u = 0.
    Eigen::VectorXd rhs = -Eigen::Map<const Eigen::VectorXd>(b_flat_.data(), n_);
    if (state >= 0) rhs[state] -= rate;
    if (rhs.isZero(0.0)) {
      std::fill(x.begin(), x.end(), 0.0);
      return;
    }
    const Eigen::FullPivLU<Eigen::MatrixXd> lu(
        Eigen::Map<const Eigen::MatrixXd>(a_flat_.data(), n_, n_));
    if (!lu.isInvertible())
      throw SteadyStateError(
          "no steady state for a constant input: some amount never leaves the system (a state "
          "without elimination among " +
          state_list(model_) + ")");
    Eigen::Map<Eigen::VectorXd>(x.data(), n_) = lu.solve(rhs);
    return;
  }
  std::fill(input_rate_.begin(), input_rate_.end(), 0.0);
  if (state >= 0) input_rate_[static_cast<size_t>(state)] = rate;
  model_.initial_state(params, x);
  double span = 1.0;
  int quiet_spans = 0;
  for (int k = 0; k < kMaxConstantInputDoublings; ++k, span *= 2) {
    std::copy(x.begin(), x.end(), y_.begin());
    integrator.restart(t0, y_, input_rate_, t0 + span);
    double t = 0;
    if (integrator.advance(t0 + span, y_, &t, crossed_) == AdvanceOutcome::kFailure)
      throw SolverError("while computing a steady state: " + integrator.failure());
    const double change = weighted_change(x, y_);
    std::copy(y_.begin(), y_.end(), x.begin());
    quiet_spans = change <= 1 ? quiet_spans + 1 : 0;
    if (quiet_spans >= 2) return;
  }
  throw SteadyStateError("steady state of a constant input not reached within " +
                         std::to_string(span) + " h; the model may have no steady state");
}

void SteadyStateSolver::baseline(Integrator& integrator, std::span<const double> params, double t0,
                                 std::span<double> x) {
  constant_input(integrator, params, -1, 0.0, t0, x);
}

}  // namespace onset::pk
