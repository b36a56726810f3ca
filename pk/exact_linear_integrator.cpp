// Exact solution of linear time-invariant models dy/dt = A y + b + u (u: the piece's constant
// input rates) through the matrix exponential (Eigen's Pade scaling-and-squaring):
//   exp([[A, I], [0, 0]] dt) = [[Phi, Psi], [0, I]],  y(t0 + dt) = Phi y(t0) + Psi (b + u),
// with Psi = int_0^dt exp(A s) ds, which stays finite when A is singular (sink compartments).
// Propagators are cached by step length, so an evenly spaced output grid costs one
// exponential per parameter set. Crossings: each output interval is split into
// `exact_root_subdivisions` parts; a sign change in one is refined by regula falsi on the
// exact solution (a crossing and re-crossing inside one part can be missed).
#include <Eigen/Dense>
#include <array>
#include <cmath>
#include <stdexcept>
#include <unsupported/Eigen/MatrixFunctions>
#include <vector>

#include "pk/crossing_search.hpp"
#include "pk/format.hpp"
#include "pk/integrator.hpp"

namespace onset::pk {

namespace {

class ExactLinearIntegrator final : public Integrator {
 public:
  ExactLinearIntegrator(const Model& model, const SolverOptions& options)
      : model_(model), subdivisions_(options.exact_root_subdivisions), n_(model.num_states()) {
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
  }

  void set_parameters(std::span<const double> params) override {
    if (params.size() == params_.size() &&
        std::equal(params.begin(), params.end(), params_.begin()))
      return;  // same system: keep the cached propagators
    params_.assign(params.begin(), params.end());
    std::fill(a_flat_.begin(), a_flat_.end(), 0.0);
    if (!model_.linear_system(params, a_flat_, b_flat_))
      throw std::invalid_argument("exact_linear: model '" + std::string(model_.name()) +
                                  "' is not linear for these parameters");
    a_ = Eigen::Map<const Eigen::MatrixXd>(a_flat_.data(), n_, n_);
    b_ = Eigen::Map<const Eigen::VectorXd>(b_flat_.data(), n_);
    for (auto& entry : cache_) entry.dt = -1;
  }

  void set_crossings(std::span<const CrossingQuery> queries) override {
    crossings_ = CrossingFunctions(model_, queries);
    const auto count = static_cast<size_t>(crossings_.size());
    g_left_.resize(count);
    g_right_.resize(count);
    g_root_.resize(count);
    search_.resize(n_, crossings_.size());
    y_sub_.resize(static_cast<size_t>(n_));
  }

  void restart(double t0, std::span<const double> y0, std::span<const double> input_rate,
               double t_stop) override {
    for (int i = 0; i < n_; ++i) {
      y_[i] = y0[static_cast<size_t>(i)];
      c_[i] = b_[i] + input_rate[static_cast<size_t>(i)];
    }
    t_ = t0;
    t_stop_ = t_stop;
    crossings_.evaluate(t0, y0, params_, g_left_);
  }

  AdvanceOutcome advance(double t_out, std::span<double> y, double* t,
                         std::span<char> crossed) override {
    t_out = std::min(t_out, t_stop_);
    if (!crossings_.empty() && t_out > t_) {
      // Scan [t_, t_out] in equal parts; propagate exactly from part to part.
      const double t_begin = t_, part = (t_out - t_begin) / subdivisions_;
      double t_left = t_begin;
      for (int k = 1; k <= subdivisions_; ++k) {
        const double t_right = k == subdivisions_ ? t_out : t_begin + part * k;
        propagate(t_left, y_, t_right, work_);
        Eigen::Map<Eigen::VectorXd>(y.data(), n_) = work_;
        crossings_.evaluate(t_right, y, params_, g_right_);
        double t_root = 0;
        const Eigen::VectorXd anchor = y_;  // y at t_left, for exact evaluation inside
        const double anchor_t = t_left;
        if (search_.find(
                crossings_, params_, t_left, g_left_, t_right, g_right_,
                [&](double time, std::span<double> out) {
                  propagate_uncached(anchor_t, anchor, time, out);
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

  SolverStats stats() const override {
    SolverStats stats;
    stats.steps = steps_;
    stats.linear_setups = exponentials_;  // matrix exponentials computed
    stats.root_evals = root_evals_;
    return stats;
  }
  void reset_stats() override { steps_ = exponentials_ = root_evals_ = 0; }
  const std::string& failure() const override { return failure_; }

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
    const Propagator& p = propagator(t1 - t0);
    y1.noalias() = p.phi * y0;
    y1.noalias() += p.psi * c_;
  }

  void propagate_uncached(double t0, const Eigen::VectorXd& y0, double t1, std::span<double> out) {
    compute(t1 - t0, &phi_tmp_, &psi_tmp_);
    Eigen::Map<Eigen::VectorXd>(out.data(), n_) = phi_tmp_ * y0 + psi_tmp_ * c_;
  }

  const Model& model_;
  int subdivisions_;
  int n_;
  std::vector<double> a_flat_, b_flat_, params_, g_left_, g_right_, g_root_, y_sub_;
  Eigen::MatrixXd a_, phi_tmp_, psi_tmp_;
  Eigen::VectorXd b_, y_, c_, work_;
  std::array<Propagator, 8> cache_;
  size_t next_slot_ = 0;
  CrossingFunctions crossings_;
  CrossingSearch search_;
  double t_ = 0, t_stop_ = 0;
  long steps_ = 0, exponentials_ = 0, root_evals_ = 0;
  std::string failure_;
};

}  // namespace

std::unique_ptr<Integrator> make_exact_linear_integrator(const Model& model,
                                                         const SolverOptions& options) {
  return std::make_unique<ExactLinearIntegrator>(model, options);
}

}  // namespace onset::pk
