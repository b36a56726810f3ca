// The interface every integration backend implements (CVODES, Boost.Odeint, exact linear,
// onset's BDF). The simulation driver (simulate.cpp) cuts time into smooth pieces at dose
// events and drives an Integrator through each piece; backends never see doses except as the
// piece's constant input rates, and never step past the end of a piece.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pk/model.hpp"
#include "pk/solver_options.hpp"
#include "pk/trajectory.hpp"

namespace onset::pk {

// The right-hand side as backends see it: the model's f(t, y, p) plus the piece's input rates.
// Holds non-owning views; cheap to copy.
struct RhsView {
  const Model* model = nullptr;
  std::span<const double> params;
  std::span<const double> input_rate;  // per state, amount per hour

  void operator()(double t, std::span<const double> y, std::span<double> ydot) const {
    model->rhs(t, y, params, ydot);
    for (size_t i = 0; i < input_rate.size(); ++i) ydot[i] += input_rate[i];
  }
};

// Crossing functions g_k(t, y) = observable(t, y) - value, whose roots are the crossings.
// Owns a scratch buffer for the observables, so one instance per integrator (not shared
// between threads).
class CrossingFunctions {
 public:
  CrossingFunctions() = default;
  CrossingFunctions(const Model& model, std::span<const CrossingQuery> queries);

  int size() const { return static_cast<int>(queries_.size()); }
  bool empty() const { return queries_.empty(); }
  const CrossingQuery& query(int k) const { return queries_[static_cast<size_t>(k)]; }
  // g must have size() entries.
  void evaluate(double t, std::span<const double> y, std::span<const double> params,
                std::span<double> g) const;
  // The same through a prepared model (its parameters, its workspace).
  void evaluate(double t, std::span<const double> y, PreparedModel& prepared,
                std::span<double> g) const;
  // Whether g going from g_left to g_right (left to right in time) is a crossing of
  // function k in its query's direction. A zero on the left does not count (it was counted
  // when reached); reaching zero from the proper side counts.
  bool crosses(int k, double g_left, double g_right) const;

 private:
  const Model* model_ = nullptr;
  std::vector<CrossingQuery> queries_;
  mutable std::vector<double> observables_;
};

// Part of a run that a backend handed to another one: exact_linear gives a step it cannot
// solve to the requested accuracy to a BDF method (pk/exact_linear_integrator.cpp).
struct Handover {
  Backend backend = Backend::kAuto;  // the backend that took over
  std::string reason;                // why, in words, for the first step handed over
  long steps = 0;                    // steps handed over since reset_stats()
};

enum class AdvanceOutcome {
  kReachedOutput,  // y holds y(t_out)
  kCrossing,       // y holds y(t) at a crossing; crossed[k] != 0 for each function that crossed
  kFailure,        // see Integrator::failure()
};

class Integrator {
 public:
  Integrator() = default;
  virtual ~Integrator() = default;
  // Integrators point into themselves (at their own prepared model, until set_prepared names
  // another): never copied or moved, only held where they were made.
  Integrator(const Integrator&) = delete;
  Integrator& operator=(const Integrator&) = delete;

  // The parameters used by every later call; the span must stay valid until the next call.
  virtual void set_parameters(std::span<const double> params) = 0;
  // The same, through a model the caller has prepared for them (on this thread): later calls
  // evaluate the model through `prepared` (its parameters, its workspace) instead of preparing
  // a copy of their own, so a simulation prepares each parameter vector once (pk/simulate.cpp).
  // `prepared` must stay prepared for these parameters, and alive, until the next call; the
  // caller may evaluate it between this integrator's calls (its workspace is scratch).
  // Default: set_parameters(prepared->parameters()).
  virtual void set_prepared(PreparedModel* prepared) { set_parameters(prepared->parameters()); }
  // The crossing functions to watch (may be empty).
  virtual void set_crossings(std::span<const CrossingQuery> queries) = 0;
  // Begins a smooth piece at t0 with state y0 and constant input rates (span must stay valid
  // during the piece); discards history; never steps past t_stop.
  virtual void restart(double t0, std::span<const double> y0, std::span<const double> input_rate,
                       double t_stop) = 0;
  // Integrates towards t_out (<= t_stop) and stops early at a crossing. Calling again after a
  // crossing continues from there. *t receives the time y belongs to.
  virtual AdvanceOutcome advance(double t_out, std::span<double> y, double* t,
                                 std::span<char> crossed) = 0;
  // Statistics accumulated since construction or the last reset_stats().
  virtual SolverStats stats() const = 0;
  virtual void reset_stats() = 0;
  // After kFailure: what failed, where (time, offending state) and the backend's flag.
  virtual const std::string& failure() const = 0;
  // What was handed to another backend since reset_stats() (steps == 0: nothing).
  virtual const Handover& handover() const {
    static const Handover kNone;
    return kNone;
  }
};

// Creates the integrator for `backend` (not kAuto). Throws std::invalid_argument when the
// backend cannot take this model (e.g. kExactLinear for a nonlinear model).
std::unique_ptr<Integrator> make_integrator(Backend backend, const Model& model,
                                            const SolverOptions& options);

// Per-backend factories (each in its own file).
std::unique_ptr<Integrator> make_cvodes_integrator(const Model& model, const SolverOptions& options,
                                                   bool adams);
std::unique_ptr<Integrator> make_odeint_integrator(const Model& model, const SolverOptions& options,
                                                   bool rosenbrock);
// The exact solution (matrix exponential) for linear time-invariant models; a step whose
// exponential cannot be computed to options.rtol (exact_linear_error_bound) goes to `fallback`
// (onset_bdf, or cvodes_bdf for models too large for it), reported by handover().
std::unique_ptr<Integrator> make_exact_linear_integrator(const Model& model,
                                                         const SolverOptions& options);
// The relative error that scaling and squaring may commit in exp(A dt): u ||A dt||_1, with u
// the unit roundoff 2^-53 (see pk/exact_linear_integrator.cpp for the reasoning and sources).
double exact_linear_error_bound(double norm1_a, double dt_h);
// onset's BDF for a model of any size (pk/onset_bdf.hpp).
std::unique_ptr<Integrator> make_onset_bdf_integrator(const Model& model,
                                                      const SolverOptions& options);

// Index of the state whose weighted local error is largest, for failure messages:
// argmax |v_i| / (rtol |y_i| + atol_i).
int worst_state(std::span<const double> y, std::span<const double> v, const SolverOptions& options);
// "state 'P' = 1.2e+13" style description of state i of the model.
std::string describe_state(const Model& model, std::span<const double> y, int i);

}  // namespace onset::pk
