// Forward sensitivities of a model's observables with respect to its parameters.
//
// Nonlinear models: onset_bdf (pk/onset_bdf.hpp; BDF + Newton, the model's analytic Jacobian,
// dense LU or KLU by size) solves the states and their sensitivities together by CVODES's
// staggered direct method, with errors controlled on the sensitivities too (CVODES's
// CV_STAGGERED with errconS and CVodeSensEEtolerances): the sensitivity right-hand side is
// J(t, y) s + df/dp, J the model's analytic Jacobian, df/dp by central differences of the
// right-hand side in p alone (exact for rate laws linear in their parameters, the usual case).
// SolverOptions::backend = kCvodesBdf selects SUNDIALS CVODES instead (the same method, the
// reference the tests compare onset_bdf against). Linear time-invariant models
// (Model::linear_system) are solved exactly: the state and its sensitivities together as one
// block-triangular linear system, advanced between events by a matrix exponential (Eigen), so
// the objective of a fit is smooth to rounding and costs no step-size control. Used by the
// fitting engine for exact-to-tolerance gradients of ODE models (not finite differences of
// whole solves).
//
// What: a model, parameters, and one subject's timeline of events (doses, infusion starts and
// ends, outputs) in the order they happen; how: SolverOptions (tolerances, backend); what
// happened: observables and d observable / d parameter at each output, or false with the
// reason (the solver, its flag, the time).
//
// Dose amounts and times must not depend on the parameters whose sensitivities are wanted
// (the caller checks; see fits/dosing_predictor.cpp): doses then move the state but leave the
// sensitivities continuous.
//
// One simulator per thread (it keeps the solver's workspace); the model may be shared.
#pragma once

#include <Eigen/Dense>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pk/model.hpp"
#include "pk/solver_options.hpp"

namespace onset::pk {

struct SensitivityEvent {
  enum class Kind { kBolus, kRateChange, kOutput };
  Kind kind = Kind::kOutput;
  double time_h = 0;
  int state = 0;      // kBolus, kRateChange: receiving state (0-based)
  double amount = 0;  // kBolus: amount added; kRateChange: change of the input rate (amount/h)
  int output = 0;     // kOutput: row of the result
};

class SensitivitySimulator {
 public:
  // Throws std::invalid_argument for invalid options.
  SensitivitySimulator(const Model& model, const SolverOptions& options);
  ~SensitivitySimulator();
  SensitivitySimulator(const SensitivitySimulator&) = delete;
  SensitivitySimulator& operator=(const SensitivitySimulator&) = delete;

  // Simulates from the model's initial state at time `t_start_h` through `events` (times
  // non-decreasing, >= t_start_h). For output row r: observables[r * n_obs + k] and, when `wrt`
  // is not empty, sensitivities[(r * n_obs + k) * wrt.size() + j] = d obs_k / d p_wrt[j].
  // False with the reason in *why for a solver failure.
  // Whether the last run() used the exact linear solution (else the ODE solver).
  bool last_run_exact() const { return last_run_exact_; }
  // The ODE solver used for nonlinear models: "onset_bdf" or "cvodes_bdf".
  const char* solver_name() const;

  bool run(double t_start_h, std::span<const SensitivityEvent> events,
           std::span<const double> params, std::span<const int> wrt, std::span<double> observables,
           std::span<double> sensitivities, std::string* why);

 private:
  struct State;
  struct Bdf;
  bool run_bdf(double t_start_h, std::span<const SensitivityEvent> events,
               std::span<const double> params, std::span<const int> wrt,
               std::span<double> observables, std::span<double> sensitivities, std::string* why);
  bool run_linear(double t_start_h, std::span<const SensitivityEvent> events,
                  std::span<const double> params, std::span<const int> wrt,
                  std::span<double> observables, std::span<double> sensitivities);
  // The linear path in eigen-coordinates (pk/linear_propagation.hpp); false when M is too
  // ill-conditioned to decompose, and then the matrix exponentials of run_linear are used.
  bool run_linear_by_eigenvectors(double t_start_h, std::span<const SensitivityEvent> events,
                                  const Eigen::MatrixXd& a, const Eigen::VectorXd& b,
                                  const std::vector<Eigen::MatrixXd>& da,
                                  const std::vector<Eigen::VectorXd>& db, const Eigen::VectorXd& w0,
                                  std::span<const int> wrt, std::span<double> observables,
                                  std::span<double> sensitivities);
  void observe_with_sensitivities(double t, std::span<const double> y, const double* s, size_t row,
                                  std::span<const int> wrt, std::span<double> observables,
                                  std::span<double> sensitivities);

  const Model& model_;
  SolverOptions options_;
  std::unique_ptr<State> state_;  // CVODES (backend kCvodesBdf) and the shared buffers
  std::unique_ptr<Bdf> bdf_;      // onset_bdf (every other backend)
  bool last_run_exact_ = false;
};

}  // namespace onset::pk
