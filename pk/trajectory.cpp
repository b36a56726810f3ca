#include "pk/trajectory.hpp"

#include <cstdio>
#include <ostream>

#include "io/format.hpp"

namespace onset::pk {

SolverStats& SolverStats::operator+=(const SolverStats& other) {
  steps += other.steps;
  rhs_evals += other.rhs_evals;
  jacobian_evals += other.jacobian_evals;
  linear_setups += other.linear_setups;
  error_test_failures += other.error_test_failures;
  nonlinear_failures += other.nonlinear_failures;
  root_evals += other.root_evals;
  restarts += other.restarts;
  negative_outputs += other.negative_outputs;
  return *this;
}

namespace {
void put_number(std::ostream& out, double value) { out << format_number(value, 10); }
}  // namespace

void write_csv(const Trajectory& trajectory, std::ostream& out, bool with_states) {
  const bool states = with_states && !trajectory.states.empty();
  out << "time_h";
  for (const auto& name : trajectory.observable_names) out << ',' << name;
  if (states)
    for (const auto& name : trajectory.state_names) out << ",state:" << name;
  out << '\n';
  for (size_t k = 0; k < trajectory.num_times(); ++k) {
    put_number(out, trajectory.times_h[k]);
    for (size_t j = 0; j < trajectory.observable_names.size(); ++j) {
      out << ',';
      put_number(out, trajectory.observable(k, j));
    }
    if (states)
      for (size_t i = 0; i < trajectory.state_names.size(); ++i) {
        out << ',';
        put_number(out, trajectory.state(k, i));
      }
    out << '\n';
  }
}

}  // namespace onset::pk
