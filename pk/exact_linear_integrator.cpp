// Exact solution of linear time-invariant models dy/dt = A y + b + u (u: the piece's constant
// input rates), by one of two propagators:
//  - spectral (pk/exact_linear_integrator.hpp): A = V diag(lambda) V^-1 once per parameter set,
//    then any step costs O(n^2). Used when every eigenvalue is real and its error bound
//    u cond_1(V) (n + ||A dt||_1) + ||R||_1 ||V^-1||_1 dt (R the residual of the computed
//    decomposition; the header says where it comes from) is within rtol. Compartmental models
//    (first-order transfers, zero-order inputs) have real eigenvalues as a rule; a check over
//    many parameter sets evaluates each at dozens of different times, so this is the path that
//    makes exact solution cheap there.
//  - Pade (Eigen's scaling-and-squaring) of the augmented matrix:
//      exp([[A, I], [0, 0]] dt) = [[Phi, Psi], [0, I]],  y(t0 + dt) = Phi y(t0) + Psi (b + u),
//    with Psi = int_0^dt exp(A s) ds, which stays finite when A is singular (sink compartments).
//    Propagators are cached by step length, so an evenly spaced output grid costs one
//    exponential per parameter set. Taken where the spectral path declines (complex
//    eigenvalues, an ill-conditioned V).
// Crossings: each output interval is split into `exact_root_subdivisions` parts; a sign change
// in one is refined by regula falsi on the exact solution (a crossing and re-crossing inside
// one part can be missed). Observables are evaluated through a model prepared once per
// parameter set (pk/model.hpp), not re-prepared at each evaluation.
//
// Exact or declines. The relative condition number of exp(X) is at least ||X|| (equality for
// normal X: Van Loan, "The sensitivity of the matrix exponential", SIAM J. Numer. Anal. 14
// (1977) 971-981; Higham, Functions of Matrices, SIAM 2008, section 10.2), so no algorithm in
// double precision promises better than a relative error of about u ||A dt|| (u = 2^-53) in
// Phi. Scaling and squaring shows it concretely: it computes exp(A dt / 2^s) with 2^s about
// ||A dt|| / 5.4 (Higham, SIAM J. Matrix Anal. Appl. 26 (2005) 1179-1193) and squares s
// times; the slow part of a stiff system (a depot emptied at KA = 1e14 /h next to a 0.1 /h
// elimination) is then a perturbation of the identity a few hundred u in size, carried with
// a relative error near 1 % and amplified by the squarings (Moler and Van Loan, SIAM Review 45
// (2003) 3-49, "Method 3"). Measured (tests/pk/exact_linear_conditioning_test.cpp:
// depot-central-peripheral model, one 50 h step, KA = 1e2 to 1e13 /h, against the closed form): the
// relative error of C(50 h) stays below u ||A dt||_1, by a factor of 2 to 50, and grows with it
// (3.5e-9 at KA = 1e6 /h, 3.9e-3 at 1e12 /h; issue 14 saw 11 % at 1e14 /h). So a step whose bound u
// ||A dt||_1 exceeds the requested rtol is not taken exactly: from there to the end of the piece
// the run goes to onset_bdf (any size), and handover() says so.
#include "pk/exact_linear_integrator.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <unsupported/Eigen/MatrixFunctions>
#include <utility>
#include <vector>

#include "io/format.hpp"
#include "pk/crossing_search.hpp"
#include "pk/integrator.hpp"

namespace onset::pk {

namespace {

class ExactLinearCore final : public Integrator {
 public:
  ExactLinearCore(const Model& model, const SolverOptions& options)
      : model_(model),
        prepared_(model),
        subdivisions_(options.exact_root_subdivisions),
        rtol_(options.rtol),
        n_(model.num_states()) {
    const auto n = static_cast<size_t>(n_);
    a_flat_.resize(n * n);
    b_flat_.resize(n);
    if (!model.linear_system(model.default_parameters(), a_flat_, b_flat_))
      throw std::invalid_argument("exact_linear solves linear time-invariant models only; model '" +
                                  std::string(model.name()) +
                                  "' is nonlinear: use cvodes_bdf or onset_bdf");
    y_.resize(n_);
    c_.resize(n_);
    work_.resize(n_);
    anchor_.resize(n_);
    modes_.resize(n_);
    modes_next_.resize(n_);
    modes_trial_.resize(n_);
  }

  void set_parameters(std::span<const double> params) override {
    active_ = &prepared_;
    if (set_system(params) || !own_prepared_) {
      prepared_.set_parameters(params_);
      own_prepared_ = true;
    }
  }

  void set_prepared(PreparedModel* prepared) override {
    active_ = prepared;
    if (set_system(prepared->parameters())) own_prepared_ = false;
  }

  // A and b for params (false, and the cached propagators kept, when they are those already
  // in use).
  bool set_system(std::span<const double> params) {
    if (params.size() == params_.size() &&
        std::equal(params.begin(), params.end(), params_.begin()))
      return false;
    params_.assign(params.begin(), params.end());
    std::fill(a_flat_.begin(), a_flat_.end(), 0.0);
    if (!model_.linear_system(params, a_flat_, b_flat_)) {
      // Nothing is cached for these parameters: the same ones again must fail again, not
      // find params_ equal and go on with the previous system (or the half-written a_flat_).
      params_.clear();
      throw std::invalid_argument("exact_linear: model '" + std::string(model_.name()) +
                                  "' is not linear for these parameters");
    }
    a_ = Eigen::Map<const Eigen::MatrixXd>(a_flat_.data(), n_, n_);
    b_ = Eigen::Map<const Eigen::VectorXd>(b_flat_.data(), n_);
    norm1_ = n_ == 0 ? 0.0 : a_.cwiseAbs().colwise().sum().maxCoeff();
    for (auto& entry : cache_) entry.dt = -1;
    decompose_ = true;  // at the next restart (a run's statistics start after set_parameters)
    return true;
  }

  void set_crossings(std::span<const CrossingQuery> queries) override {
    crossings_ = CrossingFunctions(model_, queries);
    const auto count = static_cast<size_t>(crossings_.size());
    g_left_.resize(count);
    g_right_.resize(count);
    g_root_.resize(count);
    search_.resize(n_, crossings_.size());
    y_sub_.resize(static_cast<size_t>(n_));
    // The states the crossing functions read, when every observable declares them and they
    // are fewer than all: inside a scan only those are computed.
    crossing_states_.clear();
    std::vector<char> read(static_cast<size_t>(n_), 0);
    bool declared = !queries.empty();
    for (const CrossingQuery& q : queries) {
      const std::vector<int> states = model_.observable_states(q.observable);
      if (states.empty()) declared = false;
      for (int i : states)
        if (i >= 0 && i < n_) read[static_cast<size_t>(i)] = 1;
    }
    for (int i = 0; i < n_; ++i)
      if (read[static_cast<size_t>(i)]) crossing_states_.push_back(i);
    if (!declared || static_cast<int>(crossing_states_.size()) == n_) crossing_states_.clear();
  }

  void restart(double t0, std::span<const double> y0, std::span<const double> input_rate,
               double t_stop) override {
    for (int i = 0; i < n_; ++i) {
      y_[i] = y0[static_cast<size_t>(i)];
      c_[i] = b_[i] + input_rate[static_cast<size_t>(i)];
    }
    t_ = t0;
    t_stop_ = t_stop;
    if (decompose_) {
      spectral_.set(a_);
      ++decompositions_;
      decompose_ = false;
    }
    if (spectral_.usable()) spectral_.set_input(c_);
    crossings_.evaluate(t0, y0, *active_, g_left_);
  }

  AdvanceOutcome advance(double t_out, std::span<double> y, double* t,
                         std::span<char> crossed) override {
    t_out = std::min(t_out, t_stop_);
    // Spectral when its bound for the whole interval holds (the parts and trial points inside
    // are shorter), Pade otherwise.
    spectral_step_ = spectral_.usable() && spectral_.error_bound(t_out - t_) <= rtol_;
    if (!crossings_.empty() && t_out > t_ && spectral_step_) {
      if (scan_spectral(t_out, y, t, crossed)) return AdvanceOutcome::kCrossing;
    } else if (!crossings_.empty() && t_out > t_) {
      // Scan [t_, t_out] in equal parts; propagate exactly from part to part.
      const double t_begin = t_, part = (t_out - t_begin) / subdivisions_;
      double t_left = t_begin;
      for (int k = 1; k <= subdivisions_; ++k) {
        const double t_right = k == subdivisions_ ? t_out : t_begin + part * k;
        propagate(t_left, y_, t_right, work_);
        Eigen::Map<Eigen::VectorXd>(y.data(), n_) = work_;
        crossings_.evaluate(t_right, y, *active_, g_right_);
        double t_root = 0;
        anchor_ = y_;  // y at t_left, for exact evaluation inside
        const double anchor_t = t_left;
        if (search_.find(
                crossings_, *active_, t_left, g_left_, t_right, g_right_,
                [&](double time, std::span<double> out) {
                  propagate_uncached(anchor_t, anchor_, time, out);
                },
                &t_root, y, g_root_, crossed)) {
          ++root_evals_;
          y_ = Eigen::Map<const Eigen::VectorXd>(y.data(), n_);
          t_ = t_root;
          g_left_ = g_root_;
          *t = t_root;
          return AdvanceOutcome::kCrossing;
        }
        y_ = work_;
        t_left = t_right;
        g_left_ = g_right_;
        t_ = t_right;
      }
    } else if (t_out > t_) {
      propagate(t_, y_, t_out, work_);
      y_ = work_;
      t_ = t_out;
    }
    Eigen::Map<Eigen::VectorXd>(y.data(), n_) = y_;
    *t = t_out;
    ++steps_;
    if (!y_.allFinite()) {
      int bad = 0;
      while (bad + 1 < n_ && std::isfinite(y_[bad])) ++bad;
      failure_ = "exact_linear: at t = " + format_hours(t_out) +
                 ": the solution is not finite (NaN or Inf in the system matrix?); " +
                 describe_state(model_, y, bad);
      return AdvanceOutcome::kFailure;
    }
    return AdvanceOutcome::kReachedOutput;
  }

  // The scan of [t_, t_out] on the spectral path, in modes z = V^-1 y: equal parts of exactly
  // `part` (one set of factors e^{lambda part} per interval; the parts' ends differ from
  // t_begin + k part by the rounding of the times only), one product with V per part for the
  // crossing functions, and the root search, where a function changes sign, from the modes at
  // the part's left end. True at a crossing (y, *t, y_, t_ there); otherwise y_ and y hold
  // y(t_out) and t_ = t_out.
  bool scan_spectral(double t_out, std::span<double> y, double* t, std::span<char> crossed) {
    const double t_begin = t_, part = (t_out - t_begin) / subdivisions_;
    const int count = crossings_.size();
    double t_left = t_begin;
    spectral_.to_modes(y_.data(), modes_.data());
    spectral_.set_step(part);
    for (int k = 1; k <= subdivisions_; ++k) {
      const double t_right = k == subdivisions_ ? t_out : t_begin + part * k;
      spectral_.step_modes(modes_.data(), modes_next_.data());
      // Inside the interval the crossing functions need only the states they read (the
      // others keep older values until the last part, which computes every state).
      if (k < subdivisions_ && !crossing_states_.empty())
        spectral_.from_modes_rows(modes_next_.data(), y.data(), crossing_states_);
      else
        spectral_.from_modes(modes_next_.data(), y.data());
      crossings_.evaluate(t_right, y, *active_, g_right_);
      bool sign_change = false;
      for (int q = 0; q < count && !sign_change; ++q)
        sign_change = crossings_.crosses(q, g_left_[static_cast<size_t>(q)],
                                         g_right_[static_cast<size_t>(q)]);
      if (sign_change) {
        double t_root = 0;
        const double anchor_t = t_left;
        const bool found = search_.find(
            crossings_, *active_, t_left, g_left_, t_right, g_right_,
            [&](double time, std::span<double> out) {
              spectral_.advance_modes(time - anchor_t, modes_.data(), modes_trial_.data());
              spectral_.from_modes(modes_trial_.data(), out.data());
            },
            &t_root, y, g_root_, crossed);
        spectral_.set_step(part);  // the search used other step lengths
        if (found) {
          ++root_evals_;
          y_ = Eigen::Map<const Eigen::VectorXd>(y.data(), n_);
          t_ = t_root;
          g_left_ = g_root_;
          *t = t_root;
          return true;
        }
      }
      modes_.swap(modes_next_);
      g_left_.swap(g_right_);
      t_left = t_right;
    }
    y_ = Eigen::Map<const Eigen::VectorXd>(y.data(), n_);
    t_ = t_out;
    return false;
  }

  SolverStats stats() const override {
    SolverStats stats;
    stats.steps = steps_;
    stats.linear_setups = exponentials_ + decompositions_;  // exponentials, eigendecompositions
    stats.root_evals = root_evals_;
    return stats;
  }
  void reset_stats() override { steps_ = exponentials_ = decompositions_ = root_evals_ = 0; }
  const std::string& failure() const override { return failure_; }

  // ||A||_1 of the current parameters (NaN or Inf when A is not finite).
  double norm1() const { return norm1_; }

 private:
  struct Propagator {
    double dt = -1;
    Eigen::MatrixXd phi, psi;
  };

  // Phi and Psi for step dt, cached (a small ring of recently used step lengths).
  const Propagator& propagator(double dt) {
    for (const auto& entry : cache_)
      if (entry.dt == dt) return entry;
    Propagator& entry = cache_[next_slot_];
    next_slot_ = (next_slot_ + 1) % cache_.size();
    compute(dt, &entry.phi, &entry.psi);
    entry.dt = dt;
    return entry;
  }

  void compute(double dt, Eigen::MatrixXd* phi, Eigen::MatrixXd* psi) {
    ++exponentials_;
    Eigen::MatrixXd augmented = Eigen::MatrixXd::Zero(2 * n_, 2 * n_);
    augmented.topLeftCorner(n_, n_) = a_ * dt;
    augmented.topRightCorner(n_, n_) = Eigen::MatrixXd::Identity(n_, n_) * dt;
    const Eigen::MatrixXd exponential = augmented.exp();
    *phi = exponential.topLeftCorner(n_, n_);
    *psi = exponential.topRightCorner(n_, n_);
  }

  void propagate(double t0, const Eigen::VectorXd& y0, double t1, Eigen::VectorXd& y1) {
    if (spectral_step_) {
      spectral_.propagate(t1 - t0, y0.data(), y1.data());
      return;
    }
    const Propagator& p = propagator(t1 - t0);
    y1.noalias() = p.phi * y0;
    y1.noalias() += p.psi * c_;
  }

  void propagate_uncached(double t0, const Eigen::VectorXd& y0, double t1, std::span<double> out) {
    if (spectral_step_) {
      spectral_.propagate(t1 - t0, y0.data(), out.data());
      return;
    }
    compute(t1 - t0, &phi_tmp_, &psi_tmp_);
    Eigen::Map<Eigen::VectorXd>(out.data(), n_) = phi_tmp_ * y0 + psi_tmp_ * c_;
  }

  const Model& model_;
  PreparedModel prepared_;              // params_ prepared, for the crossing functions
  PreparedModel* active_ = &prepared_;  // prepared_, or the caller's (set_prepared)
  bool own_prepared_ = false;           // prepared_ is prepared for params_
  int subdivisions_;
  double rtol_;
  int n_;
  std::vector<double> a_flat_, b_flat_, params_, g_left_, g_right_, g_root_, y_sub_;
  Eigen::MatrixXd a_, phi_tmp_, psi_tmp_;
  Eigen::VectorXd b_, y_, c_, work_, anchor_;
  Eigen::VectorXd modes_, modes_next_, modes_trial_;  // spectral scan: V^-1 y
  std::array<Propagator, 8> cache_;
  size_t next_slot_ = 0;
  LinearSpectrum spectral_;
  bool decompose_ = false;      // A changed since the last decomposition
  bool spectral_step_ = false;  // this advance() propagates spectrally
  CrossingFunctions crossings_;
  CrossingSearch search_;
  std::vector<int> crossing_states_;  // what the crossing functions read (empty: every state)
  double t_ = 0, t_stop_ = 0, norm1_ = 0;
  long steps_ = 0, exponentials_ = 0, decompositions_ = 0, root_evals_ = 0;
  std::string failure_;
};

// ExactLinearCore where each step is within its accuracy, the fallback BDF elsewhere (see the
// top of the file). A step handed over takes the rest of its piece with it: the fallback
// restarts from the exact state at the step's start, and the next piece starts exact again.
class ExactLinearIntegrator final : public Integrator {
 public:
  ExactLinearIntegrator(const Model& model, const SolverOptions& options)
      : model_(model), options_(options), exact_(model, options) {
    y_now_.resize(static_cast<size_t>(model.num_states()));
  }

  void set_parameters(std::span<const double> params) override {
    exact_.set_parameters(params);
    params_ = params;
    shared_ = nullptr;
    if (fallback_) fallback_->set_parameters(params);
  }

  void set_prepared(PreparedModel* prepared) override {
    exact_.set_prepared(prepared);
    params_ = prepared->parameters();
    shared_ = prepared;
    if (fallback_) fallback_->set_prepared(prepared);
  }

  void set_crossings(std::span<const CrossingQuery> queries) override {
    exact_.set_crossings(queries);
    queries_.assign(queries.begin(), queries.end());
    if (fallback_) fallback_->set_crossings(queries_);
  }

  void restart(double t0, std::span<const double> y0, std::span<const double> input_rate,
               double t_stop) override {
    on_fallback_ = false;
    t_now_ = t0;
    std::copy(y0.begin(), y0.end(), y_now_.begin());
    input_rate_ = input_rate;
    t_stop_ = t_stop;
    exact_.restart(t0, y0, input_rate, t_stop);
  }

  AdvanceOutcome advance(double t_out, std::span<double> y, double* t,
                         std::span<char> crossed) override {
    if (!on_fallback_) {
      const double dt = std::min(t_out, t_stop_) - t_now_;
      const double bound = exact_linear_error_bound(exact_.norm1(), dt);
      if (bound <= options_.rtol) {
        const AdvanceOutcome outcome = exact_.advance(t_out, y, t, crossed);
        t_now_ = *t;
        std::copy(y.begin(), y.end(), y_now_.begin());
        return outcome;
      }
      hand_over(dt, bound);
    }
    return fallback_->advance(t_out, y, t, crossed);
  }

  SolverStats stats() const override {
    SolverStats stats = exact_.stats();
    if (fallback_) stats += fallback_->stats();
    return stats;
  }
  void reset_stats() override {
    exact_.reset_stats();
    if (fallback_) fallback_->reset_stats();
    handover_ = {};
  }
  const std::string& failure() const override {
    return on_fallback_ ? fallback_->failure() : exact_.failure();
  }
  const Handover& handover() const override { return handover_; }

 private:
  void hand_over(double dt, double bound) {
    if (!fallback_) {
      fallback_ = make_onset_bdf_integrator(model_, options_);
      fallback_backend_ = Backend::kOnsetBdf;
      fallback_->set_crossings(queries_);
    }
    if (shared_ != nullptr)
      fallback_->set_prepared(shared_);
    else
      fallback_->set_parameters(params_);
    fallback_->restart(t_now_, y_now_, input_rate_, t_stop_);
    on_fallback_ = true;
    if (handover_.steps++ == 0) {
      handover_.backend = fallback_backend_;
      handover_.reason = "exact_linear declined the step of " + format_hours(dt) +
                         " from t = " + format_hours(t_now_) +
                         ": ||A dt||_1 = " + format_number(exact_.norm1() * dt) +
                         " (stiffness), so the matrix exponential may be wrong by u ||A dt||_1 = " +
                         format_number(bound) +
                         ", more than rtol = " + format_number(options_.rtol) + "; solved with " +
                         std::string(backend_name(fallback_backend_)) + " from there";
    }
  }

  const Model& model_;
  SolverOptions options_;
  ExactLinearCore exact_;
  std::unique_ptr<Integrator> fallback_;
  Backend fallback_backend_ = Backend::kOnsetBdf;
  bool on_fallback_ = false;
  std::span<const double> params_, input_rate_;
  PreparedModel* shared_ = nullptr;  // the caller's prepared model (set_prepared), or none
  std::vector<CrossingQuery> queries_;
  std::vector<double> y_now_;
  double t_now_ = 0, t_stop_ = 0;
  Handover handover_;
};

}  // namespace

namespace {

// out = M x for the column-major N x N matrix M, as a sum of columns (the inner loop has no
// reduction, so the compiler vectorises it and, N being known, unrolls it): for the few states
// of a model Eigen's dynamic-size product costs more in set-up than in arithmetic.
template <int N>
void multiply_fixed(const double* __restrict m, const double* __restrict x, double* __restrict out,
                    Eigen::Index /*n*/) {
  double sum[N] = {};
  for (int j = 0; j < N; ++j) {
    const double xj = x[j];
    for (int i = 0; i < N; ++i) sum[i] += m[i + N * j] * xj;
  }
  for (int i = 0; i < N; ++i) out[i] = sum[i];
}

void multiply_any(const double* __restrict m, const double* __restrict x, double* __restrict out,
                  Eigen::Index n) {
  for (Eigen::Index i = 0; i < n; ++i) out[i] = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    const double xj = x[j];
    for (Eigen::Index i = 0; i < n; ++i) out[i] += m[i + n * j] * xj;
  }
}

template <int... N>
LinearSpectrum::Multiply pick_multiply(Eigen::Index n, std::integer_sequence<int, N...>) {
  LinearSpectrum::Multiply chosen = multiply_any;
  ((n == N + 1 ? (chosen = multiply_fixed<N + 1>, 0) : 0), ...);
  return chosen;
}

}  // namespace

bool LinearSpectrum::set(const Eigen::MatrixXd& a) {
  usable_ = false;
  n_ = a.rows();
  if (n_ == 0 || !a.allFinite()) return false;
  solver_.compute(a, true);
  if (solver_.info() != Eigen::Success) return false;
  if ((solver_.eigenvalues().imag().array() != 0).any()) return false;
  lambda_ = solver_.eigenvalues().real();
  // With real eigenvalues the pseudo-eigenvectors are the eigenvectors; scaled to unit 1-norm
  // (||V||_1 = 1), so cond_1(V) = ||V^-1||_1.
  v_ = solver_.pseudoEigenvectors();
  for (Eigen::Index j = 0; j < n_; ++j) {
    const double length = v_.col(j).cwiseAbs().sum();
    if (!(length > 0) || !std::isfinite(length)) return false;
    v_.col(j) /= length;
  }
  lu_.compute(v_);
  v_inverse_ = lu_.inverse();
  multiply_ = pick_multiply(n_, std::make_integer_sequence<int, 16>{});
  condition_ = v_inverse_.cwiseAbs().colwise().sum().maxCoeff();
  norm1_ = a.cwiseAbs().colwise().sum().maxCoeff();
  residual_.noalias() = a * v_;
  residual_.noalias() -= v_ * lambda_.asDiagonal();
  perturbation_ = residual_.cwiseAbs().colwise().sum().maxCoeff() * condition_;
  if (!std::isfinite(condition_) || !std::isfinite(perturbation_) || !lambda_.allFinite() ||
      !v_inverse_.allFinite())
    return false;
  w_.setZero(n_);
  z_.resize(n_);
  growth_.resize(n_);
  integral_.resize(n_);
  factors_dt_ = std::numeric_limits<double>::quiet_NaN();
  usable_ = true;
  return true;
}

double LinearSpectrum::error_bound(double dt) const {
  constexpr double kUnitRoundoff = 0x1p-53;
  if (!usable_) return std::numeric_limits<double>::infinity();
  const double step = std::max(dt, 0.0);
  return kUnitRoundoff * condition_ * (static_cast<double>(n_) + norm1_ * step) +
         perturbation_ * step;
}

void LinearSpectrum::set_input(const Eigen::VectorXd& c) { w_.noalias() = v_inverse_ * c; }

void LinearSpectrum::to_modes(const double* y, double* z) const {
  multiply_(v_inverse_.data(), y, z, n_);
}

void LinearSpectrum::from_modes(const double* z, double* y) const {
  multiply_(v_.data(), z, y, n_);
}

void LinearSpectrum::from_modes_rows(const double* z, double* y, std::span<const int> rows) const {
  const double* v = v_.data();
  for (const int i : rows) {
    double sum = 0;  // as multiply_fixed and multiply_any: 0, then the columns in order
    for (Eigen::Index j = 0; j < n_; ++j) sum += v[i + n_ * j] * z[j];
    y[i] = sum;
  }
}

void LinearSpectrum::set_step(double dt) {
  if (dt == factors_dt_) return;
  for (Eigen::Index k = 0; k < n_; ++k) {
    const double lambda = lambda_[k], x = lambda * dt;
    const double growth = std::exp(x);
    growth_[k] = growth;
    // int_0^dt e^{lambda s} ds = (e^{lambda dt} - 1) / lambda: expm1 where the difference
    // would cancel (|x| < 1/2), e^x - 1 elsewhere (its relative error stays below 4 u); dt at
    // lambda dt = 0.
    integral_[k] = x == 0               ? dt
                   : std::fabs(x) < 0.5 ? std::expm1(x) / lambda
                                        : (growth - 1) / lambda;
  }
  factors_dt_ = dt;
}

void LinearSpectrum::advance_modes(double dt, const double* z0, double* z1) {
  set_step(dt);
  step_modes(z0, z1);
}

void LinearSpectrum::propagate(double dt, const double* y0, double* y1) {
  to_modes(y0, z_.data());
  advance_modes(dt, z_.data(), z_.data());
  from_modes(z_.data(), y1);
}

double exact_linear_error_bound(double norm1_a, double dt_h) {
  // A non-finite norm (NaN or Inf in A) gives a non-finite bound: handed over, and the BDF
  // method reports the bad right-hand side.
  constexpr double kUnitRoundoff = 0x1p-53;
  if (!(dt_h > 0)) return 0;
  return kUnitRoundoff * norm1_a * dt_h;
}

std::unique_ptr<Integrator> make_exact_linear_integrator(const Model& model,
                                                         const SolverOptions& options) {
  return std::make_unique<ExactLinearIntegrator>(model, options);
}

}  // namespace onset::pk
