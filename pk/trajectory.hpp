// What a simulation produced: states and observables on the output grid, first-crossing
// times from root finding, solver statistics, and a status in words.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "pk/solver_options.hpp"

namespace onset::pk {

enum class Direction { kRising, kFalling, kEither };

// "The first time observable `observable` crosses `value`", located by root finding.
struct CrossingQuery {
  int observable = 0;  // index into Model::observables()
  double value = 0;    // in the observable's unit
  Direction direction = Direction::kEither;
};

struct CrossingResult {
  CrossingQuery query;
  std::optional<double> time_h;  // empty: not crossed within the simulated time
};

struct SolverStats {
  long steps = 0;
  long rhs_evals = 0;
  long jacobian_evals = 0;
  long linear_setups = 0;  // LU factorisations
  long error_test_failures = 0;
  long nonlinear_failures = 0;
  long root_evals = 0;
  long restarts = 0;  // integration restarts at discontinuities
  // Recorded outputs at which some state (an amount) was negative beyond its absolute
  // tolerance: a real negative amount, not rounding. The first one is described in
  // Trajectory::message (STYLE 5: values within +-atol are reported as zero, larger
  // negatives are reported, the state itself is never changed).
  long negative_outputs = 0;
  SolverStats& operator+=(const SolverStats& other);
};

enum class SolveStatus {
  kSuccess,
  kStoppedAtCrossing,  // stopped early because every crossing was found, as asked
  kFailed,             // the integrator failed: see message; outputs up to the failure kept
};

struct Trajectory {
  std::vector<std::string> state_names;
  std::vector<std::string> observable_names;
  std::vector<double> times_h;
  std::vector<double> states;       // row-major: times x states (empty if not recorded)
  std::vector<double> observables;  // row-major: times x observables
  std::vector<CrossingResult> crossings;
  SolverStats stats;
  SolveStatus status = SolveStatus::kSuccess;
  std::string message;  // in words; for kFailed: where and why
  Backend backend_given = Backend::kAuto;
  Backend backend_used = Backend::kAuto;
  std::string backend_reason;  // why backend_used differs from backend_given, if it does

  size_t num_times() const { return times_h.size(); }
  double state(size_t time_index, size_t state_index) const {
    return states[time_index * state_names.size() + state_index];
  }
  double observable(size_t time_index, size_t observable_index) const {
    return observables[time_index * observable_names.size() + observable_index];
  }
  bool ok() const { return status != SolveStatus::kFailed; }
};

// Writes `time_h` and every observable (and state, when recorded and `with_states`) as CSV
// with a header row.
void write_csv(const Trajectory& trajectory, std::ostream& out, bool with_states = true);

}  // namespace onset::pk
