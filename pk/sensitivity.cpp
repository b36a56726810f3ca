#include "pk/sensitivity.hpp"

#include <cvodes/cvodes.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <unsupported/Eigen/MatrixFunctions>

#include "io/format.hpp"
#include "pk/linear_propagation.hpp"
#include "pk/onset_bdf.hpp"
#include "pk/solver_error.hpp"
#include "pk/sundials_support.hpp"

namespace onset::pk {

namespace {

using sundials::ContextDeleter;
using sundials::CvodeDeleter;
using sundials::flag_name;
using sundials::LinearSolverDeleter;
using sundials::MatrixDeleter;
using sundials::VectorArrayDeleter;
using sundials::VectorDeleter;

}  // namespace

struct SensitivitySimulator::State {
  const Model* model = nullptr;
  int n = 0;
  std::unique_ptr<_SUNContext, ContextDeleter> context;
  std::unique_ptr<void, CvodeDeleter> memory;
  std::unique_ptr<_generic_N_Vector, VectorDeleter> y;
  std::unique_ptr<N_Vector, VectorArrayDeleter> sensitivities;
  std::unique_ptr<_generic_SUNMatrix, MatrixDeleter> matrix;
  std::unique_ptr<_generic_SUNLinearSolver, LinearSolverDeleter> linear_solver;
  int sensitivity_count = -1;  // Ns of the current CVodeSensInit1; -1: none yet
  bool sensitivities_on = false;
  std::vector<double> params;  // read by rhs; CVODES perturbs it for the difference quotients
  std::vector<double> pbar;
  std::vector<int> plist;
  std::vector<double> input_rate;  // per state, amount/h
  std::vector<double> y0, y_work, obs_plus, obs_minus, p_work, s_flat, next_stop;
  // Observables at p and at p +- h_j e_j (h_j = 1e-6 pbar_j), prepared once per run.
  PreparedModel observe_base;
  std::vector<PreparedModel> observe_plus, observe_minus;
  std::vector<std::vector<double>> p_plus, p_minus;
  std::vector<double> observe_step;
  // Linear path: A, b and their parameter derivatives.
  std::vector<double> a, b, a_work, b_work;
  LinearSensitivityPropagator propagator;
  std::string last_error;

  static int rhs(double t, N_Vector y, N_Vector ydot, void* user_data) {
    auto* self = static_cast<State*>(user_data);
    const std::span<const double> state(N_VGetArrayPointer(y), static_cast<size_t>(self->n));
    const std::span<double> derivative(N_VGetArrayPointer(ydot), static_cast<size_t>(self->n));
    self->model->rhs(t, state, self->params, derivative);
    for (int i = 0; i < self->n; ++i)
      derivative[static_cast<size_t>(i)] += self->input_rate[static_cast<size_t>(i)];
    for (double value : derivative)
      if (!std::isfinite(value)) return 1;  // recoverable: CVODES retries a smaller step
    return 0;
  }
  static int jacobian(double t, N_Vector y, N_Vector, SUNMatrix jac, void* user_data, N_Vector,
                      N_Vector, N_Vector) {
    auto* self = static_cast<State*>(user_data);
    const size_t n = static_cast<size_t>(self->n);
    SUNMatZero(jac);
    // SUNDIALS dense matrices are column-major, like Model::jacobian.
    self->model->jacobian(t, std::span<const double>(N_VGetArrayPointer(y), n), self->params,
                          std::span<double>(SUNDenseMatrix_Data(jac), n * n));
    return 0;
  }
  // Sensitivity right-hand side, one parameter at a time: J(t, y) s + df/dp_j, with the model's
  // analytic Jacobian (computed once per (t, y)) and df/dp_j by a central difference of the
  // right-hand side in p alone (exact for rate laws linear in their parameters, the usual case).
  std::vector<double> jac, rhs_plus, rhs_minus;
  double jac_t = std::numeric_limits<double>::quiet_NaN();
  const double* jac_y = nullptr;
  static int sensitivity_rhs(int, double t, N_Vector y, N_Vector, int is, N_Vector ys,
                             N_Vector ysdot, void* user_data, N_Vector, N_Vector) {
    auto* self = static_cast<State*>(user_data);
    const size_t n = static_cast<size_t>(self->n);
    const double* state = N_VGetArrayPointer(y);
    const std::span<const double> state_span(state, n);
    if (is == 0 || t != self->jac_t || state != self->jac_y) {
      std::fill(self->jac.begin(), self->jac.end(), 0.0);
      self->model->jacobian(t, state_span, self->params, self->jac);
      self->jac_t = t;
      self->jac_y = state;
    }
    const double* s = N_VGetArrayPointer(ys);
    double* out = N_VGetArrayPointer(ysdot);
    const size_t j = static_cast<size_t>(self->plist[static_cast<size_t>(is)]);
    const double p = self->params[j];
    const double h = 1e-6 * self->pbar[static_cast<size_t>(is)];
    self->params[j] = p + h;
    self->model->rhs(t, state_span, self->params, self->rhs_plus);
    self->params[j] = p - h;
    self->model->rhs(t, state_span, self->params, self->rhs_minus);
    self->params[j] = p;
    for (size_t i = 0; i < n; ++i) {
      double value = (self->rhs_plus[i] - self->rhs_minus[i]) / (2 * h);
      for (size_t k = 0; k < n; ++k) value += self->jac[i + n * k] * s[k];
      out[i] = value;
    }
    return 0;
  }
  static void error_handler(int, const char*, const char* function, char* message,
                            void* user_data) {
    static_cast<State*>(user_data)->last_error = std::string(function) + ": " + message;
  }
};

struct SensitivitySimulator::Bdf {
  std::unique_ptr<OnsetBdfIntegrator> integrator;
  std::vector<double> y, s;
  bool configured = false;
};

SensitivitySimulator::SensitivitySimulator(const Model& model, const SolverOptions& options)
    : model_(model), options_(options), state_(std::make_unique<State>()) {
  std::string why;
  if (!options.IsValid(&why)) throw std::invalid_argument("solver options: " + why);
  State& s = *state_;
  s.model = &model;
  s.n = model.num_states();
  s.params.resize(static_cast<size_t>(model.num_parameters()));
  s.input_rate.assign(static_cast<size_t>(s.n), 0.0);
  s.y0.resize(static_cast<size_t>(s.n));
  s.a.resize(static_cast<size_t>(s.n) * static_cast<size_t>(s.n));
  s.a_work.resize(s.a.size());
  s.b.resize(static_cast<size_t>(s.n));
  s.b_work.resize(s.b.size());
  s.jac.assign(static_cast<size_t>(s.n) * static_cast<size_t>(s.n), 0.0);
  s.rhs_plus.resize(static_cast<size_t>(s.n));
  s.rhs_minus.resize(static_cast<size_t>(s.n));
  s.y_work.resize(static_cast<size_t>(s.n));
  s.obs_plus.resize(static_cast<size_t>(model.num_observables()));
  s.obs_minus.resize(static_cast<size_t>(model.num_observables()));
  s.observe_base = PreparedModel(model);
  if (options.backend != Backend::kCvodesBdf) {
    bdf_ = std::make_unique<Bdf>();
    bdf_->integrator = make_onset_bdf(model, options);
    bdf_->y.resize(static_cast<size_t>(s.n));
    return;
  }
  SUNContext raw = nullptr;
  if (SUNContext_Create(nullptr, &raw) != 0) throw SolverError("cvodes: SUNContext_Create failed");
  s.context.reset(raw);
  s.y.reset(N_VNew_Serial(s.n, s.context.get()));
  N_VConst(0.0, s.y.get());
  s.memory.reset(CVodeCreate(CV_BDF, s.context.get()));
  if (!s.y || !s.memory) throw SolverError("cvodes: allocation failed");
  void* mem = s.memory.get();
  auto check = [&](int flag, const char* function) {
    if (flag < 0)
      throw SolverError(std::string("cvodes: ") + function + " failed with " + flag_name(flag));
  };
  check(CVodeInit(mem, &State::rhs, 0.0, s.y.get()), "CVodeInit");
  check(CVodeSetUserData(mem, &s), "CVodeSetUserData");
  check(CVodeSetErrHandlerFn(mem, &State::error_handler, &s), "CVodeSetErrHandlerFn");
  std::unique_ptr<_generic_N_Vector, VectorDeleter> atol(N_VNew_Serial(s.n, s.context.get()));
  for (int i = 0; i < s.n; ++i) NV_Ith_S(atol.get(), i) = options.atol_of(i);
  check(CVodeSVtolerances(mem, options.rtol, atol.get()), "CVodeSVtolerances");
  check(CVodeSetMaxNumSteps(mem, options.max_steps), "CVodeSetMaxNumSteps");
  if (options.max_step_h > 0) check(CVodeSetMaxStep(mem, options.max_step_h), "CVodeSetMaxStep");
  s.matrix.reset(SUNDenseMatrix(s.n, s.n, s.context.get()));
  s.linear_solver.reset(SUNLinSol_Dense(s.y.get(), s.matrix.get(), s.context.get()));
  check(CVodeSetLinearSolver(mem, s.linear_solver.get(), s.matrix.get()), "CVodeSetLinearSolver");
  if (options.use_model_jacobian && model.has_jacobian())
    check(CVodeSetJacFn(mem, &State::jacobian), "CVodeSetJacFn");
}

const char* SensitivitySimulator::solver_name() const { return bdf_ ? "onset_bdf" : "cvodes_bdf"; }

SensitivitySimulator::~SensitivitySimulator() = default;

bool SensitivitySimulator::run(double t_start_h, std::span<const SensitivityEvent> events,
                               std::span<const double> params, std::span<const int> wrt,
                               std::span<double> observables, std::span<double> sensitivities,
                               std::string* why) {
  State& s = *state_;
  void* mem = s.memory.get();
  const size_t n = static_cast<size_t>(s.n);
  const int ns = static_cast<int>(wrt.size());
  auto fail = [&](int flag, const char* function, double t) {
    if (why)
      *why = std::string("cvodes: ") + function + " failed with " + flag_name(flag) +
             " at t = " + format_number(t) + " h" +
             (s.last_error.empty() ? "" : " (" + s.last_error + ")");
    return false;
  };
  std::copy(params.begin(), params.end(), s.params.begin());
  std::fill(s.input_rate.begin(), s.input_rate.end(), 0.0);
  s.last_error.clear();
  // The observation models at p and p +- h e_j, for observe_with_sensitivities().
  s.observe_base.set_parameters(s.params);
  s.observe_step.resize(wrt.size());
  s.p_plus.resize(wrt.size());
  s.p_minus.resize(wrt.size());
  while (s.observe_plus.size() < wrt.size()) {
    s.observe_plus.emplace_back(model_);
    s.observe_minus.emplace_back(model_);
  }
  for (size_t j = 0; j < wrt.size(); ++j) {
    const size_t pj = static_cast<size_t>(wrt[j]);
    const double pbar = s.params[pj] != 0 ? std::abs(s.params[pj]) : 1.0;
    const double h = 1e-6 * pbar;
    s.observe_step[j] = h;
    s.p_plus[j].assign(s.params.begin(), s.params.end());
    s.p_minus[j].assign(s.params.begin(), s.params.end());
    s.p_plus[j][pj] = s.params[pj] + h;
    s.p_minus[j][pj] = s.params[pj] - h;
    s.observe_plus[j].set_parameters(s.p_plus[j]);
    s.observe_minus[j].set_parameters(s.p_minus[j]);
  }
  last_run_exact_ = run_linear(t_start_h, events, params, wrt, observables, sensitivities);
  if (last_run_exact_) return true;
  if (bdf_) return run_bdf(t_start_h, events, params, wrt, observables, sensitivities, why);

  // Initial state and its sensitivities (difference quotients of initial_state: algebraic).
  model_.initial_state(s.params, s.y0);
  std::copy(s.y0.begin(), s.y0.end(), N_VGetArrayPointer(s.y.get()));
  int flag = CVodeReInit(mem, t_start_h, s.y.get());
  if (flag < 0) return fail(flag, "CVodeReInit", t_start_h);
  if (ns > 0) {
    if (ns != s.sensitivity_count) {
      if (s.sensitivity_count > 0) CVodeSensFree(mem);
      s.sensitivities = std::unique_ptr<N_Vector, VectorArrayDeleter>(
          N_VCloneVectorArray(ns, s.y.get()), VectorArrayDeleter{ns});
      for (int j = 0; j < ns; ++j) N_VConst(0.0, s.sensitivities.get()[j]);
      const bool analytic = options_.use_model_jacobian && model_.has_jacobian();
      flag = CVodeSensInit1(mem, ns, CV_STAGGERED, analytic ? &State::sensitivity_rhs : nullptr,
                            s.sensitivities.get());
      if (flag < 0) return fail(flag, "CVodeSensInit1", t_start_h);
      s.sensitivity_count = ns;
    }
    s.plist.assign(wrt.begin(), wrt.end());
    s.pbar.resize(static_cast<size_t>(ns));
    for (int j = 0; j < ns; ++j) {
      const double p = s.params[static_cast<size_t>(wrt[static_cast<size_t>(j)])];
      s.pbar[static_cast<size_t>(j)] = p != 0 ? std::abs(p) : 1.0;
    }
    for (int j = 0; j < ns; ++j) {
      double* sj = N_VGetArrayPointer(s.sensitivities.get()[j]);
      const size_t pj = static_cast<size_t>(wrt[static_cast<size_t>(j)]);
      const double h = 1e-7 * s.pbar[static_cast<size_t>(j)];
      s.p_work = s.params;
      s.p_work[pj] += h;
      model_.initial_state(s.p_work, s.y_work);
      for (size_t i = 0; i < n; ++i) sj[i] = (s.y_work[i] - s.y0[i]) / h;
    }
    flag = CVodeSensReInit(mem, CV_STAGGERED, s.sensitivities.get());
    if (flag < 0) return fail(flag, "CVodeSensReInit", t_start_h);
    flag = CVodeSetSensParams(mem, s.params.data(), s.pbar.data(), s.plist.data());
    if (flag < 0) return fail(flag, "CVodeSetSensParams", t_start_h);
    flag = CVodeSensEEtolerances(mem);
    if (flag < 0) return fail(flag, "CVodeSensEEtolerances", t_start_h);
    flag = CVodeSetSensErrCon(mem, SUNTRUE);
    if (flag < 0) return fail(flag, "CVodeSetSensErrCon", t_start_h);
    s.sensitivities_on = true;
  } else if (s.sensitivities_on) {
    CVodeSensToggleOff(mem);
    s.sensitivities_on = false;
  }

  double t = t_start_h;
  auto reinitialise = [&]() -> bool {
    int f = CVodeReInit(mem, t, s.y.get());
    if (f < 0) return fail(f, "CVodeReInit", t);
    if (ns > 0) {
      f = CVodeSensReInit(mem, CV_STAGGERED, s.sensitivities.get());
      if (f < 0) return fail(f, "CVodeSensReInit", t);
    }
    return true;
  };
  // The next discontinuity (dose or rate change) at or after each event: the integrator may
  // step past outputs (and interpolate) but never past a discontinuity.
  std::vector<double>& next_stop = s.next_stop;
  next_stop.assign(events.size() + 1, std::numeric_limits<double>::infinity());
  for (size_t e = events.size(); e-- > 0;) {
    next_stop[e] =
        events[e].kind == SensitivityEvent::Kind::kOutput ? next_stop[e + 1] : events[e].time_h;
  }
  size_t event_index = 0;
  double stop_set = std::numeric_limits<double>::quiet_NaN();
  auto advance = [&](double t_target) -> bool {
    if (t_target <= t) return true;
    int f = 0;
    // After the last discontinuity, the last event (a stop time set before must not linger
    // behind the current time).
    const double stop = std::isfinite(next_stop[event_index])
                            ? next_stop[event_index]
                            : std::max(events.back().time_h, t_target);
    if (stop != stop_set) {
      f = CVodeSetStopTime(mem, stop);
      if (f < 0) return fail(f, "CVodeSetStopTime", t);
      stop_set = stop;
    }
    double t_reached = t;
    f = CVode(mem, t_target, s.y.get(), &t_reached, CV_NORMAL);
    if (f < 0) return fail(f, "CVode", t_reached);
    if (ns > 0) {
      f = CVodeGetSens(mem, &t_reached, s.sensitivities.get());
      if (f < 0) return fail(f, "CVodeGetSens", t_reached);
    }
    t = t_target;
    return true;
  };
  for (const SensitivityEvent& event : events) {
    event_index = static_cast<size_t>(&event - events.data());
    if (event.time_h < t) {
      if (why) *why = "events out of time order at t = " + format_number(event.time_h) + " h";
      return false;
    }
    if (!advance(event.time_h)) return false;
    switch (event.kind) {
      case SensitivityEvent::Kind::kBolus:
        NV_Ith_S(s.y.get(), event.state) += event.amount;
        if (!reinitialise()) return false;
        stop_set = std::numeric_limits<double>::quiet_NaN();
        break;
      case SensitivityEvent::Kind::kRateChange:
        s.input_rate[static_cast<size_t>(event.state)] += event.amount;
        if (std::abs(s.input_rate[static_cast<size_t>(event.state)]) <
            1e-12 * std::abs(event.amount))
          s.input_rate[static_cast<size_t>(event.state)] = 0;
        if (!reinitialise()) return false;
        stop_set = std::numeric_limits<double>::quiet_NaN();
        break;
      case SensitivityEvent::Kind::kOutput: {
        const std::span<const double> y(N_VGetArrayPointer(s.y.get()), n);
        s.s_flat.resize(n * static_cast<size_t>(ns));
        for (int j = 0; j < ns; ++j) {
          const double* sj = N_VGetArrayPointer(s.sensitivities.get()[j]);
          std::copy(sj, sj + n, s.s_flat.begin() + static_cast<long>(static_cast<size_t>(j) * n));
        }
        observe_with_sensitivities(t, y, s.s_flat.data(), static_cast<size_t>(event.output), wrt,
                                   observables, sensitivities);
        break;
      }
    }
  }
  return true;
}

void SensitivitySimulator::observe_with_sensitivities(double t, std::span<const double> y,
                                                      const double* sensitivity, size_t row,
                                                      std::span<const int> wrt,
                                                      std::span<double> observables,
                                                      std::span<double> sensitivities) {
  State& s = *state_;
  const size_t n = static_cast<size_t>(s.n);
  const size_t n_obs = static_cast<size_t>(model_.num_observables());
  const size_t ns = wrt.size();
  s.observe_base.observe(t, y, observables.subspan(row * n_obs, n_obs));
  for (size_t j = 0; j < ns; ++j) {
    // d obs / d p_j = (d obs / d y) s_j + d obs / d p_j: one central difference along the
    // direction (s_j, e_j) (observables are algebraic and cheap).
    const double* sj = sensitivity + j * n;
    const double h = s.observe_step[j];
    for (size_t i = 0; i < n; ++i) s.y_work[i] = y[i] + h * sj[i];
    s.observe_plus[j].observe(t, s.y_work, s.obs_plus);
    for (size_t i = 0; i < n; ++i) s.y_work[i] = y[i] - h * sj[i];
    s.observe_minus[j].observe(t, s.y_work, s.obs_minus);
    for (size_t k = 0; k < n_obs; ++k)
      sensitivities[(row * n_obs + k) * ns + j] = (s.obs_plus[k] - s.obs_minus[k]) / (2 * h);
  }
}

bool SensitivitySimulator::run_bdf(double t_start_h, std::span<const SensitivityEvent> events,
                                   std::span<const double> /*params: in the state's copy*/,
                                   std::span<const int> wrt, std::span<double> observables,
                                   std::span<double> sensitivities, std::string* why) {
  State& s = *state_;
  Bdf& b = *bdf_;
  OnsetBdfIntegrator& integrator = *b.integrator;
  const size_t n = static_cast<size_t>(s.n);
  const size_t ns = wrt.size();
  // Sensitivity arrays are sized when the set of parameters changes (not per run).
  s.pbar.resize(ns);
  for (size_t j = 0; j < ns; ++j) {
    const double p = s.params[static_cast<size_t>(wrt[j])];
    s.pbar[j] = p != 0 ? std::abs(p) : 1.0;
  }
  if (!b.configured) {
    integrator.set_crossings({});
    b.configured = true;
  }
  integrator.set_sensitivities(wrt, s.pbar);
  integrator.set_parameters(s.params);
  // Initial state; its sensitivities by differences of initial_state (algebraic).
  model_.initial_state(s.params, s.y0);
  std::copy(s.y0.begin(), s.y0.end(), b.y.begin());
  b.s.assign(n * ns, 0.0);
  for (size_t j = 0; j < ns; ++j) {
    const size_t pj = static_cast<size_t>(wrt[j]);
    const double h = 1e-7 * s.pbar[j];
    s.p_work = s.params;
    s.p_work[pj] += h;
    model_.initial_state(s.p_work, s.y_work);
    for (size_t i = 0; i < n; ++i) b.s[j * n + i] = (s.y_work[i] - s.y0[i]) / h;
  }
  integrator.set_sensitivity_values(b.s);
  // The next discontinuity (dose or rate change) after each event: a piece never steps past
  // it; after the last one, the last event's time.
  std::vector<double>& next_stop = s.next_stop;
  next_stop.assign(events.size() + 1, events.empty() ? t_start_h : events.back().time_h);
  for (size_t e = events.size(); e-- > 0;)
    next_stop[e] =
        events[e].kind == SensitivityEvent::Kind::kOutput ? next_stop[e + 1] : events[e].time_h;
  double t = t_start_h;
  bool restart_due = true;  // a piece starts at t (the start, a dose, a rate change)
  std::vector<char> no_crossings;
  for (size_t e = 0; e < events.size(); ++e) {
    const SensitivityEvent& event = events[e];
    if (event.time_h < t) {
      if (why) *why = "events out of time order at t = " + format_number(event.time_h) + " h";
      return false;
    }
    if (event.time_h > t) {
      if (restart_due) {
        // The piece runs to the next discontinuity after time t.
        double stop = next_stop[e];
        if (stop <= t) stop = event.time_h;
        integrator.restart(t, b.y, s.input_rate, std::max(stop, event.time_h));
        restart_due = false;
      }
      double reached = t;
      const AdvanceOutcome outcome = integrator.advance(event.time_h, b.y, &reached, no_crossings);
      if (outcome == AdvanceOutcome::kFailure) {
        if (why) *why = integrator.failure();
        return false;
      }
      integrator.sensitivities(b.s);
      t = event.time_h;
    }
    switch (event.kind) {
      case SensitivityEvent::Kind::kBolus:
        b.y[static_cast<size_t>(event.state)] += event.amount;
        restart_due = true;
        break;
      case SensitivityEvent::Kind::kRateChange: {
        double& rate = s.input_rate[static_cast<size_t>(event.state)];
        rate += event.amount;
        if (std::abs(rate) < 1e-12 * std::abs(event.amount)) rate = 0;
        restart_due = true;
        break;
      }
      case SensitivityEvent::Kind::kOutput:
        observe_with_sensitivities(t, b.y, b.s.data(), static_cast<size_t>(event.output), wrt,
                                   observables, sensitivities);
        break;
    }
    if (restart_due) integrator.set_sensitivity_values(b.s);
  }
  return true;
}

bool SensitivitySimulator::run_linear(double t_start_h, std::span<const SensitivityEvent> events,
                                      std::span<const double> params, std::span<const int> wrt,
                                      std::span<double> observables,
                                      std::span<double> sensitivities) {
  State& s = *state_;
  const auto n = static_cast<Eigen::Index>(s.n);
  std::fill(s.a.begin(), s.a.end(), 0.0);
  std::fill(s.b.begin(), s.b.end(), 0.0);
  if (!model_.linear_system(params, s.a, s.b)) return false;
  const auto ns = static_cast<Eigen::Index>(wrt.size());
  // Augmented state w = [y; 1; s_1; 0; ...; s_k; 0] with blocks of size n + 1:
  //   [y; 1]'   = M [y; 1],            M   = [[A, b + u], [0, 0]]
  //   [s_j; 0]' = M [s_j; 0] + dM_j [y; 1], dM_j = [[dA/dp_j, db/dp_j], [0, 0]]
  const Eigen::Index block = n + 1;
  const Eigen::Index size = block * (ns + 1);
  Eigen::MatrixXd a = Eigen::Map<const Eigen::MatrixXd>(s.a.data(), n, n);
  Eigen::VectorXd b = Eigen::Map<const Eigen::VectorXd>(s.b.data(), n);
  std::vector<Eigen::MatrixXd> da(static_cast<size_t>(ns));
  std::vector<Eigen::VectorXd> db(static_cast<size_t>(ns));
  for (Eigen::Index j = 0; j < ns; ++j) {
    const size_t pj = static_cast<size_t>(wrt[static_cast<size_t>(j)]);
    const double pbar = params[pj] != 0 ? std::abs(params[pj]) : 1.0;
    const double h = 1e-5 * pbar;
    s.p_work.assign(params.begin(), params.end());
    s.p_work[pj] = params[pj] + h;
    std::fill(s.a_work.begin(), s.a_work.end(), 0.0);
    std::fill(s.b_work.begin(), s.b_work.end(), 0.0);
    model_.linear_system(s.p_work, s.a_work, s.b_work);
    Eigen::MatrixXd a_plus = Eigen::Map<const Eigen::MatrixXd>(s.a_work.data(), n, n);
    Eigen::VectorXd b_plus = Eigen::Map<const Eigen::VectorXd>(s.b_work.data(), n);
    s.p_work[pj] = params[pj] - h;
    std::fill(s.a_work.begin(), s.a_work.end(), 0.0);
    std::fill(s.b_work.begin(), s.b_work.end(), 0.0);
    model_.linear_system(s.p_work, s.a_work, s.b_work);
    da[static_cast<size_t>(j)] =
        (a_plus - Eigen::Map<const Eigen::MatrixXd>(s.a_work.data(), n, n)) / (2 * h);
    db[static_cast<size_t>(j)] =
        (b_plus - Eigen::Map<const Eigen::VectorXd>(s.b_work.data(), n)) / (2 * h);
  }
  Eigen::VectorXd input = Eigen::VectorXd::Zero(n);
  Eigen::MatrixXd generator = Eigen::MatrixXd::Zero(size, size);
  auto build_generator = [&]() {
    generator.setZero();
    for (Eigen::Index k = 0; k <= ns; ++k) {
      generator.block(k * block, k * block, n, n) = a;
      if (k == 0) generator.block(0, n, n, 1) = b + input;
    }
    for (Eigen::Index j = 0; j < ns; ++j) {
      generator.block((j + 1) * block, 0, n, n) = da[static_cast<size_t>(j)];
      generator.block((j + 1) * block, n, n, 1) = db[static_cast<size_t>(j)];
    }
  };
  build_generator();
  // Initial state; its sensitivities by differences of initial_state (algebraic).
  Eigen::VectorXd w = Eigen::VectorXd::Zero(size);
  model_.initial_state(params, s.y0);
  for (Eigen::Index i = 0; i < n; ++i) w(i) = s.y0[static_cast<size_t>(i)];
  w(n) = 1;
  for (Eigen::Index j = 0; j < ns; ++j) {
    const size_t pj = static_cast<size_t>(wrt[static_cast<size_t>(j)]);
    const double h = 1e-7 * (params[pj] != 0 ? std::abs(params[pj]) : 1.0);
    s.p_work.assign(params.begin(), params.end());
    s.p_work[pj] += h;
    model_.initial_state(s.p_work, s.y_work);
    for (Eigen::Index i = 0; i < n; ++i)
      w((j + 1) * block + i) =
          (s.y_work[static_cast<size_t>(i)] - s.y0[static_cast<size_t>(i)]) / h;
  }
  std::vector<double> y(static_cast<size_t>(n));
  s.s_flat.resize(static_cast<size_t>(n * ns));
  if (run_linear_by_eigenvectors(t_start_h, events, a, b, da, db, w, wrt, observables,
                                 sensitivities))
    return true;
  double t = t_start_h;
  for (const SensitivityEvent& event : events) {
    if (event.time_h > t) {
      w = (generator * (event.time_h - t)).exp() * w;
      t = event.time_h;
    }
    switch (event.kind) {
      case SensitivityEvent::Kind::kBolus:
        w(event.state) += event.amount;
        break;
      case SensitivityEvent::Kind::kRateChange:
        input(event.state) += event.amount;
        build_generator();
        break;
      case SensitivityEvent::Kind::kOutput: {
        for (Eigen::Index i = 0; i < n; ++i) y[static_cast<size_t>(i)] = w(i);
        for (Eigen::Index j = 0; j < ns; ++j)
          for (Eigen::Index i = 0; i < n; ++i)
            s.s_flat[static_cast<size_t>(j * n + i)] = w((j + 1) * block + i);
        observe_with_sensitivities(t, y, s.s_flat.data(), static_cast<size_t>(event.output), wrt,
                                   observables, sensitivities);
        break;
      }
    }
  }
  return true;
}

bool SensitivitySimulator::run_linear_by_eigenvectors(
    double t_start_h, std::span<const SensitivityEvent> events, const Eigen::MatrixXd& a,
    const Eigen::VectorXd& b, const std::vector<Eigen::MatrixXd>& da,
    const std::vector<Eigen::VectorXd>& db, const Eigen::VectorXd& w0, std::span<const int> wrt,
    std::span<double> observables, std::span<double> sensitivities) {
  State& s = *state_;
  const auto n = static_cast<Eigen::Index>(s.n);
  const auto ns = static_cast<Eigen::Index>(wrt.size());
  const Eigen::Index block = n + 1;
  LinearSensitivityPropagator& propagator = s.propagator;
  Eigen::VectorXd input = Eigen::VectorXd::Zero(n);
  if (!propagator.set(a, b, da, db, false)) return false;
  Eigen::VectorXd y0 = w0.head(n);
  Eigen::MatrixXd s0(n, ns);
  for (Eigen::Index j = 0; j < ns; ++j) s0.col(j) = w0.segment((j + 1) * block, n);
  propagator.start(y0, s0);
  double t = t_start_h;
  Eigen::VectorXd y;
  Eigen::MatrixXd sens;
  std::vector<double> y_out(static_cast<size_t>(n));
  for (const SensitivityEvent& event : events) {
    if (event.time_h > t) {
      propagator.advance(event.time_h - t);
      t = event.time_h;
    }
    switch (event.kind) {
      case SensitivityEvent::Kind::kBolus:
        propagator.add(event.state, event.amount);
        break;
      case SensitivityEvent::Kind::kRateChange:
        input(event.state) += event.amount;
        if (!propagator.set(a, b + input, da, db, true)) return false;
        break;
      case SensitivityEvent::Kind::kOutput: {
        propagator.read(&y, &sens);
        for (Eigen::Index i = 0; i < n; ++i) y_out[static_cast<size_t>(i)] = y(i);
        for (Eigen::Index j = 0; j < ns; ++j)
          for (Eigen::Index i = 0; i < n; ++i)
            s.s_flat[static_cast<size_t>(j * n + i)] = sens(i, j);
        observe_with_sensitivities(t, y_out, s.s_flat.data(), static_cast<size_t>(event.output),
                                   wrt, observables, sensitivities);
        break;
      }
    }
  }
  return true;
}

}  // namespace onset::pk
