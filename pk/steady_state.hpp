// Steady state of a dose repeated for ever (NONMEM's SS = 1 and SS = 2 records).
//
// A train gives the same dose into one state at t0 + offset + k * interval for every integer
// k (a bolus, or an infusion of `duration_h`, which may be longer than the interval so that
// infusions overlap). Its steady state at t0 is the state just before the events at t0 that
// the infinite train has produced: the fixed point x = M(x) of the map M that carries a state
// from t0 to t0 + interval through every input of the train in that window.
//  - Linear time-invariant models: M is affine, M(x) = Phi x + c; c and Phi's columns come
//    from n + 1 integrations of one interval, and (I - Phi) x = c is solved by full-pivoting
//    LU. A constant infusion (interval 0) solves A x = -(b + u) directly.
//  - Other models: x <- M(x) from the model's initial state, until the change, extrapolated
//    by the observed contraction, is within the solver's tolerances (rtol |x| + atol); at
//    most SteadyStateOptions::max_intervals intervals, else a SteadyStateError. A constant
//    infusion integrates over doubling spans until the change over a span is within them.
// The integrator is the caller's (its workspace is reused); it is left restarted elsewhere.
#pragma once

#include <Eigen/Dense>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "pk/integrator.hpp"
#include "pk/model.hpp"
#include "pk/regimen.hpp"
#include "pk/solver_options.hpp"
#include "pk/user_error.hpp"

namespace onset::pk {

struct DoseTrain {
  int state = 0;          // receiving state
  double amount = 0;      // per dose, in the state's unit (after bioavailability)
  double duration_h = 0;  // 0: bolus; > 0: zero-order infusion over this long
  double interval_h = 0;  // dosing interval II, hours; 0: a constant infusion at `rate`
  double offset_h = 0;    // dose k starts at t0 + offset_h + k * interval_h (the lag time)
  double rate = 0;        // constant infusion rate (interval_h == 0 only), amount/h
};

struct SteadyStateOptions {
  // Most dosing intervals iterated for a nonlinear model before giving up (raise it for
  // models whose slowest half-life is many intervals long).
  int max_intervals = 5000;
  // Scales the solver's rtol and atol for the convergence test of nonlinear models.
  double tolerance_factor = 1.0;

  bool IsValid(std::string* why) const;
};

// The train has no steady state (no elimination), or it was not reached within the limits.
// A problem with no solution as posed (the model or the dose train must change): a UserError.
class SteadyStateError : public UserError {
 public:
  explicit SteadyStateError(const std::string& message) : UserError({}, message) {}
};

class SteadyStateSolver {
 public:
  SteadyStateSolver(const Model& model, const SolverOptions& solver, SteadyStateOptions options);

  // Steady state at t0 of the train (with the model's own inputs) into x. Throws
  // SteadyStateError when there is none or it is not reached, std::runtime_error when the
  // integrator fails.
  void solve(Integrator& integrator, std::span<const double> params, const DoseTrain& train,
             double t0, std::span<double> x);
  // Steady state of the model without any dose (its own inputs only): the baseline that an
  // SS = 2 record's steady state is counted from. All zero for models without inputs.
  void baseline(Integrator& integrator, std::span<const double> params, double t0,
                std::span<double> x);

 private:
  void period_map(Integrator& integrator, std::span<double> y);
  void constant_input(Integrator& integrator, std::span<const double> params, int state,
                      double rate, double t0, std::span<double> x);
  double weighted_change(std::span<const double> before, std::span<const double> after) const;

  const Model& model_;
  SolverOptions solver_;
  SteadyStateOptions options_;
  int n_;
  std::vector<double> a_flat_, b_flat_, y_, previous_, input_rate_;
  std::vector<char> crossed_;
  Regimen train_regimen_;
  std::vector<Piece> pieces_;
  Eigen::MatrixXd phi_;
  Eigen::VectorXd c_;
};

}  // namespace onset::pk
