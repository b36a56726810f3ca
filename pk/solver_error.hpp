// The one exception for a numerical failure that stops a run: SUNDIALS (CVODES) could not be
// set up or failed a call, a steady state could not be integrated to, a sparse factorisation
// could not be analysed (AMICI's habit: one IntegrationFailure type for the solver, so that
// callers tell a failure of the numerics from bad input and from a bug). The message says
// which solver, which call, and why ("cvodes: CVodeInit failed with CV_MEM_FAIL").
//
// A failure inside one simulation does not throw: it ends that trajectory with a status and a
// message (pk/trajectory.hpp), so a Monte Carlo or a fit can count it and carry on. The
// `onset` command maps SolverError to exit code 1, "analysis failed" (cli/exit_codes.hpp).
#pragma once

#include <stdexcept>

namespace onset::pk {

class SolverError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace onset::pk
