// The one mapping from what a command threw to its exit code, used by every command and by
// main() (README.md, "Errors and exit codes"):
//
//   0    success
//   1    analysis failed: pk::SolverError (SUNDIALS or another integrator could not go on;
//        pk/solver_error.hpp), std::bad_alloc (out of memory mid-run), or a fit or solver that
//        did not converge (the command's own status, not an exception); the message says why
//   2    bad input: any onset::UserError (io/user_error.hpp: every reader's error, a bad option,
//        io::OutputError for an output that cannot be written), io::GnuplotError (a plot that
//        cannot be drawn), std::invalid_argument and std::out_of_range (a value a library
//        function refuses: an output grid of too many points, a species without physiology)
//   3    internal error: any other exception, a bug ("internal error (a bug in onset, please
//        report it): ...")
//   128+N  ended by signal N (io/interrupt.hpp): 130 SIGINT, 143 SIGTERM, 129 SIGHUP; no
//        output written
//
// Every failure is one message on stderr, never a stack trace; under mpirun rank 0 alone says it.
#pragma once

#include <iostream>
#include <new>
#include <stdexcept>
#include <string>

#include "io/gnuplot.hpp"
#include "io/user_error.hpp"
#include "pk/distributed.hpp"
#include "pk/solver_error.hpp"

namespace onset::cli {

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitAnalysisFailed = 1;  // a solver or fit did not succeed
inline constexpr int kExitBadInput = 2;        // the input could not be used
inline constexpr int kExitInternalError = 3;   // an unexpected exception: a bug

// The exit code of a command that ended with `error` (the table above).
inline int exit_code_for(const std::exception& error) {
  if (dynamic_cast<const UserError*>(&error) != nullptr) return kExitBadInput;
  if (dynamic_cast<const io::GnuplotError*>(&error) != nullptr) return kExitBadInput;
  if (dynamic_cast<const std::invalid_argument*>(&error) != nullptr) return kExitBadInput;
  if (dynamic_cast<const std::out_of_range*>(&error) != nullptr) return kExitBadInput;
  if (dynamic_cast<const pk::SolverError*>(&error) != nullptr) return kExitAnalysisFailed;
  if (dynamic_cast<const std::bad_alloc*>(&error) != nullptr) return kExitAnalysisFailed;
  return kExitInternalError;
}

// Says "PREFIX: WHAT" on stderr (rank 0 only; "PREFIX: internal error (a bug in onset, please
// report it): WHAT" for exit code 3) and returns exit_code_for(error). PREFIX is the command
// ("onset fit") and what was being done, if anything ("onset check: --report").
inline int report_failure(const std::string& prefix, const std::exception& error) {
  const int code = exit_code_for(error);
  if (pk::mpi_rank() == 0) {
    std::cerr << prefix << ": ";
    if (code == kExitInternalError)
      std::cerr << "internal error (a bug in onset, please report it): ";
    if (dynamic_cast<const std::bad_alloc*>(&error) != nullptr) std::cerr << "out of memory: ";
    std::cerr << error.what() << "\n";
  }
  return code;
}

}  // namespace onset::cli
