// Boost.Odeint backends: Dormand-Prince 5(4) (explicit, non-stiff) and Rosenbrock4 (stiff,
// needs the Jacobian), both through their dense-output steppers so that outputs and
// crossings are interpolated, not stepped to. A step is never allowed past the end of the
// piece: the stepper is re-initialised with the remaining distance when it would be.
#include <boost/numeric/odeint/stepper/generation.hpp>
#include <boost/numeric/odeint/stepper/runge_kutta_dopri5.hpp>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "io/format.hpp"
#include "pk/crossing_search.hpp"
#include "pk/integrator.hpp"
#include "pk/odeint_rosenbrock_core.hpp"

namespace onset::pk {

namespace {

namespace odeint = boost::numeric::odeint;

// Odeint takes one absolute tolerance; the smallest per-state one is the safe choice.
double single_atol(const SolverOptions& options) {
  double smallest = options.atol;
  if (!options.atol_per_state.empty()) {
    smallest = options.atol_per_state.front();
    for (double value : options.atol_per_state) smallest = std::min(smallest, value);
  }
  return smallest;
}

// The model as odeint steppers call it.
struct System {
  const Model* model = nullptr;
  RhsView rhs;
  int n = 0;
  long rhs_evals = 0;
  long jacobian_evals = 0;

  static void rhs_function(void* context, double t, const double* y, double* dydt) {
    auto* self = static_cast<System*>(context);
    ++self->rhs_evals;
    const auto n = static_cast<size_t>(self->n);
    self->rhs(t, std::span<const double>(y, n), std::span<double>(dydt, n));
  }
  static void jacobian_function(void* context, double t, const double* y, double* jac) {
    auto* self = static_cast<System*>(context);
    ++self->jacobian_evals;
    const auto n = static_cast<size_t>(self->n);
    self->model->jacobian(t, std::span<const double>(y, n), self->rhs.params,
                          std::span<double>(jac, n * n));
  }
};

// Dormand-Prince 5(4) with dense output, behind the same plain interface as the
// Rosenbrock core.
class DopriStepper {
 public:
  static constexpr const char* kName = "odeint_dopri5";
  DopriStepper(System* system, double atol, double rtol)
      : system_(system),
        stepper_(odeint::make_dense_output(atol, rtol, odeint::runge_kutta_dopri5<State>())),
        state_(static_cast<size_t>(system->n)),
        scratch_(state_.size()) {}

  void initialize(const double* y0, double t0, double dt) {
    std::copy_n(y0, state_.size(), state_.begin());
    stepper_.initialize(state_, t0, dt);
  }
  void do_step() {
    stepper_.do_step([this](const State& x, State& dxdt, double t) {
      System::rhs_function(system_, t, x.data(), dxdt.data());
    });
  }
  double current_time() const { return stepper_.current_time(); }
  double current_time_step() const { return stepper_.current_time_step(); }
  void current_state(double* out) const {
    std::copy(stepper_.current_state().begin(), stepper_.current_state().end(), out);
  }
  void calc_state(double t, double* out) {
    stepper_.calc_state(t, scratch_);
    std::copy(scratch_.begin(), scratch_.end(), out);
  }

 private:
  using State = std::vector<double>;
  System* system_;
  odeint::dense_output_runge_kutta<
      odeint::controlled_runge_kutta<odeint::runge_kutta_dopri5<State>>>
      stepper_;
  State state_, scratch_;
};

class RosenbrockStepper {
 public:
  static constexpr const char* kName = "odeint_rosenbrock4";
  RosenbrockStepper(System* system, double atol, double rtol)
      : core_(system->n, atol, rtol, &System::rhs_function, &System::jacobian_function, system) {}
  void initialize(const double* y0, double t0, double dt) { core_.initialize(y0, t0, dt); }
  void do_step() { core_.do_step(); }
  double current_time() const { return core_.current_time(); }
  double current_time_step() const { return core_.current_time_step(); }
  void current_state(double* out) const { core_.current_state(out); }
  void calc_state(double t, double* out) { core_.calc_state(t, out); }

 private:
  OdeintRosenbrockCore core_;
};

template <typename Stepper>
class OdeintIntegrator final : public Integrator {
 public:
  OdeintIntegrator(const Model& model, const SolverOptions& options)
      : model_(model),
        options_(options),
        n_(model.num_states()),
        system_{&model, RhsView{&model, {}, {}}, model.num_states()},
        stepper_(&system_, single_atol(options), options.rtol) {
    current_.resize(static_cast<size_t>(n_));
  }

  void set_parameters(std::span<const double> params) override { system_.rhs.params = params; }

  void set_crossings(std::span<const CrossingQuery> queries) override {
    crossings_ = CrossingFunctions(model_, queries);
    const auto count = static_cast<size_t>(crossings_.size());
    g_left_.resize(count);
    g_right_.resize(count);
    g_root_.resize(count);
    search_.resize(n_, crossings_.size());
  }

  void restart(double t0, std::span<const double> y0, std::span<const double> input_rate,
               double t_stop) override {
    system_.rhs.input_rate = input_rate;
    t_stop_ = t_stop;
    t_left_ = t0;
    const double span = t_stop - t0;
    double h0 = options_.initial_step_h > 0 ? options_.initial_step_h : 1e-3 * std::max(span, 1e-6);
    if (options_.max_step_h > 0) h0 = std::min(h0, options_.max_step_h);
    stepper_.initialize(y0.data(), t0, std::min(h0, std::max(span, 1e-300)));
    at_stop_ = span <= 0;
    crossings_.evaluate(t0, y0, system_.rhs.params, g_left_);
  }

  AdvanceOutcome advance(double t_out, std::span<double> y, double* t,
                         std::span<char> crossed) override {
    t_out = std::min(t_out, t_stop_);
    long steps_taken = 0;
    while (true) {
      const double t_cur = at_stop_ ? t_stop_ : stepper_.current_time();
      // Look for a crossing in [t_left, min(t_cur, t_out)].
      const double t_right = std::min(t_cur, t_out);
      if (!crossings_.empty() && t_right > t_left_) {
        state_at(t_right, y);
        crossings_.evaluate(t_right, y, system_.rhs.params, g_right_);
        double t_root = 0;
        if (search_.find(
                crossings_, system_.rhs.params, t_left_, g_left_, t_right, g_right_,
                [this](double time, std::span<double> out) { state_at(time, out); }, &t_root, y,
                g_root_, crossed)) {
          ++root_evals_;
          t_left_ = t_root;
          g_left_ = g_root_;
          *t = t_root;
          return AdvanceOutcome::kCrossing;
        }
        t_left_ = t_right;
        g_left_ = g_right_;
      }
      if (t_out <= t_cur) {
        state_at(t_out, y);
        t_left_ = std::max(t_left_, t_out);
        *t = t_out;
        return AdvanceOutcome::kReachedOutput;
      }
      if (++steps_taken > options_.max_steps) {
        fail("too much work: more than " + std::to_string(options_.max_steps) +
                 " steps before the next output; " + too_much_work_advice(),
             t_cur, 0);
        return AdvanceOutcome::kFailure;
      }
      if (!take_step()) return AdvanceOutcome::kFailure;
    }
  }

  SolverStats stats() const override {
    SolverStats stats;
    stats.steps = steps_;
    stats.rhs_evals = system_.rhs_evals;
    stats.jacobian_evals = system_.jacobian_evals;
    stats.root_evals = root_evals_;
    return stats;
  }
  void reset_stats() override {
    steps_ = root_evals_ = 0;
    system_.rhs_evals = system_.jacobian_evals = 0;
  }
  const std::string& failure() const override { return failure_; }

 private:
  // One step, never past t_stop. False on failure.
  bool take_step() {
    const double t_cur = stepper_.current_time();
    const double remaining = t_stop_ - t_cur;
    if (remaining <= 1e-14 * std::max(1.0, std::fabs(t_stop_))) {
      at_stop_ = true;  // within rounding of the end: the current state is the end state
      return true;
    }
    const double h_now = stepper_.current_time_step();
    double h = h_now;
    if (options_.max_step_h > 0) h = std::min(h, options_.max_step_h);
    if (t_cur + h > t_stop_ || h != h_now) {
      stepper_.current_state(current_.data());
      stepper_.initialize(current_.data(), t_cur, std::min(h, remaining));
    }
    try {
      stepper_.do_step();
    } catch (const std::exception& error) {  // odeint throws when the step size underflows
      fail(std::string("the stepper gave up: ") + error.what(), t_cur, 0);
      return false;
    }
    ++steps_;
    stepper_.current_state(current_.data());
    for (int i = 0; i < n_; ++i)
      if (!std::isfinite(current_[static_cast<size_t>(i)])) {
        fail("the state became NaN or Inf (is the right-hand side finite?)",
             stepper_.current_time(), i);
        return false;
      }
    if (stepper_.current_time() >= t_stop_) at_stop_ = true;
    return true;
  }

  // Why the steps ran out, in words. For the explicit Dormand-Prince method: a problem is
  // stiff where the step size is held down by stability rather than accuracy, i.e. where
  // h x rho(J) sits near the edge of the method's stability region (about 3.3 on the negative
  // real axis, Hairer & Wanner, Solving ODEs II, sec. IV.2); rho(J), the fastest rate of the
  // system at the current state, is estimated by power iteration on finite-difference
  // Jacobian-vector products.
  std::string too_much_work_advice() {
    if constexpr (std::is_same_v<Stepper, DopriStepper>) {
      const double h = std::fabs(stepper_.current_time_step());
      const double rho = fastest_rate();
      if (h * rho > kStiffStepTimesRate) {
        return "the problem is stiff here: the step size " + format_hours(h) +
               " is held down by stability, not accuracy (step x fastest rate " +
               format_number(rho) + " /h = " + format_number(h * rho, 3) +
               ", at the edge of what an explicit method can take); use a stiff solver: "
               "--backend cvodes_bdf or onset_bdf";
      }
    }
    return "raise max_steps, loosen the tolerances or use a stiff solver (cvodes_bdf)";
  }

  // Largest |eigenvalue| of df/dy at the current state, 1/h (power iteration, 30 steps).
  double fastest_rate() {
    const auto n = static_cast<size_t>(n_);
    const double t = stepper_.current_time();
    std::vector<double> y(n), f0(n), y1(n), f1(n), v(n);
    stepper_.current_state(y.data());
    system_.rhs(t, y, f0);
    double y_norm = 0;
    for (size_t i = 0; i < n; ++i) {
      y_norm = std::max(y_norm, std::fabs(y[i]));
      v[i] = 1.0 + 0.1 * static_cast<double>(i % 7);  // not orthogonal to any one mode
    }
    double rho = 0;
    for (int iteration = 0; iteration < 30; ++iteration) {
      double v_norm = 0;
      for (double value : v) v_norm = std::max(v_norm, std::fabs(value));
      if (!(v_norm > 0) || !std::isfinite(v_norm)) break;
      const double eps = 1e-7 * std::max(1.0, y_norm) / v_norm;
      for (size_t i = 0; i < n; ++i) y1[i] = y[i] + eps * v[i];
      system_.rhs(t, y1, f1);
      double jv_norm = 0;
      for (size_t i = 0; i < n; ++i) {
        v[i] = (f1[i] - f0[i]) / eps;
        jv_norm = std::max(jv_norm, std::fabs(v[i]));
      }
      rho = jv_norm / v_norm;
    }
    return std::isfinite(rho) ? rho : 0.0;
  }

  // h x rho above which the steps are taken to be limited by stability (the Dormand-Prince
  // stability region reaches about -3.3 on the real axis; accuracy-limited steps on a
  // non-stiff problem sit well below 1).
  static constexpr double kStiffStepTimesRate = 1.5;

  void state_at(double time, std::span<double> out) {
    if (at_stop_ && time >= stepper_.current_time()) {
      stepper_.current_state(out.data());
      return;
    }
    stepper_.calc_state(time, out.data());
  }

  void fail(const std::string& why, double time, int state) {
    stepper_.current_state(current_.data());
    failure_ = std::string(Stepper::kName) + ": at t = " + format_hours(time) + ": " + why + "; " +
               describe_state(model_, current_, state);
  }

  const Model& model_;
  SolverOptions options_;
  int n_;
  System system_;
  Stepper stepper_;
  CrossingFunctions crossings_;
  CrossingSearch search_;
  std::vector<double> current_, g_left_, g_right_, g_root_;
  double t_stop_ = 0, t_left_ = 0;
  bool at_stop_ = false;
  long steps_ = 0, root_evals_ = 0;
  std::string failure_;
};

}  // namespace

std::unique_ptr<Integrator> make_odeint_integrator(const Model& model, const SolverOptions& options,
                                                   bool rosenbrock) {
  if (rosenbrock) {
    if (!model.has_jacobian())
      throw std::invalid_argument("odeint_rosenbrock4 needs an analytic Jacobian; model '" +
                                  std::string(model.name()) +
                                  "' has none: use cvodes_bdf (finite differences)");
    return std::make_unique<OdeintIntegrator<RosenbrockStepper>>(model, options);
  }
  return std::make_unique<OdeintIntegrator<DopriStepper>>(model, options);
}

}  // namespace onset::pk
