// One simulation call: model + regimen + parameters (what), SolverOptions (how), Trajectory
// (what happened). A Simulator keeps its integrator workspace between runs, so repeated
// simulations (Monte Carlo draws, fits) allocate nothing per run once warmed up.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "pk/integrator.hpp"
#include "pk/model.hpp"
#include "pk/regimen.hpp"
#include "pk/solver_options.hpp"
#include "pk/trajectory.hpp"

namespace onset::pk {

struct SimulationRequest {
  // Output times, hours, ascending, all >= t_start_h.
  std::vector<double> output_times_h;
  // Start of the simulation, hours; the state is the model's initial state here.
  double t_start_h = 0;
  // End of the simulation, hours; <= t_start_h means "the last output time".
  double t_end_h = 0;
  // First crossings to locate by root finding.
  std::vector<CrossingQuery> crossings;
  // End the simulation as soon as every crossing has been found.
  bool stop_when_crossed = false;
  // Keep the states on the output grid (besides the observables).
  bool record_states = true;
  // Record a state within +-atol of zero as 0 (STYLE 5: rounding noise such as -3e-15 mg is
  // not shown as an amount); the integrator's state is never changed, and observables are
  // computed from it. false: record the integrated values as they are (conservation and
  // accuracy checks). Either way, a state below -atol is recorded as it is, counted in
  // stats.negative_outputs and, the first time, named with its time in the trajectory's
  // message (a successful run keeps its status).
  bool zero_within_atol = true;
  // An output at the time of a dose shows the state just before that dose (as a trough
  // sample); false: just after it.
  bool outputs_before_doses = true;
};

class Simulator {
 public:
  // Resolves options.backend (kAuto) for this model and builds the integrator. Throws
  // std::invalid_argument if the options are invalid or the backend cannot take the model.
  Simulator(const Model& model, SolverOptions options);
  // Its integrator evaluates through prepared_ (Integrator::set_prepared): a Simulator stays
  // where it was built (hold it by pointer to move it).
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Runs one simulation into *out, reusing its buffers. Returns out->ok(). Throws
  // std::invalid_argument for a bad request or regimen (set-up errors); integration
  // failures are reported in out->status and out->message with the partial trajectory.
  // The regimen's parameter changes switch the parameter vector piece by piece; outputs and
  // crossings use the parameters in force at their time (at a change, the new ones).
  bool run(const Regimen& regimen, std::span<const double> params, const SimulationRequest& request,
           Trajectory* out);

  Backend backend_used() const { return backend_used_; }
  const std::string& backend_reason() const { return backend_reason_; }
  const Model& model() const { return *model_; }

 private:
  const Model* model_;
  // The current piece's parameters, prepared once: the integrator evaluates through it too
  // (Integrator::set_prepared), as do the observables and crossing functions at outputs and doses.
  PreparedModel prepared_;
  SolverOptions options_;
  Backend backend_used_;
  std::string backend_reason_;
  std::unique_ptr<Integrator> integrator_;
  std::vector<CrossingQuery> crossings_;  // what the integrator currently watches
  CrossingFunctions crossing_functions_;  // the same, for jumps at doses
  std::vector<double> y_, g_before_, g_after_;
  std::vector<double> params_now_;  // the parameters of the current piece (after changes)
  std::vector<char> crossed_;
  std::vector<Piece> pieces_;
};

// The backend for options->backend and this model: kAuto becomes the exact solution for
// linear time-invariant models of up to 64 states, else onset's BDF (any size; with a banded
// linear solver, set in *options, when a model of 40 states or more declares a narrow band);
// *reason says why. Any other backend is returned as given.
Backend resolve_backend(const Model& model, SolverOptions* options, std::string* reason);

// backend_reason of a run part of which exact_linear handed to another backend.
std::string describe_handover(const std::string& chosen_because, const Handover& handover);

// Convenience: one simulation with a fresh Simulator.
Trajectory simulate(const Model& model, const Regimen& regimen, std::span<const double> params,
                    const SimulationRequest& request, const SolverOptions& options = {});

// Evenly spaced output times t_begin, t_begin + step, ..., up to t_end (inclusive within
// rounding).
std::vector<double> output_grid(double t_begin, double t_end, double step);

}  // namespace onset::pk
