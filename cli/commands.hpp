// Every `onset` subcommand registers itself on the CLI11 app through one function.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <utility>

#include "pk/user_error.hpp"

namespace onset::cli {

// Exit codes shared by every command (README.md, "Exit codes"). Every failure prints one
// message on stderr, never a stack trace:
//   0    success
//   1    analysis failed: a solver or fit did not converge; the message says why
//   2    bad input: any onset::UserError (io/user_error.hpp), a bad option, an output that
//        cannot be written (io/output_file.hpp: refused target, full disk, file-size limit,
//        closed or full standard output); "FILE:LINE:COLUMN: error: WHAT (expected ...) fix: ..."
//   3    internal error: an exception onset did not expect ("internal error (a bug in
//        onset, please report it): ..."); main() catches it
//   128+N  ended by signal N (io/interrupt.hpp): 130 SIGINT, 143 SIGTERM, 129 SIGHUP; no
//        output written
inline constexpr int kExitSuccess = 0;
inline constexpr int kExitAnalysisFailed = 1;  // a solver or fit did not succeed
inline constexpr int kExitBadInput = 2;        // the input could not be used
inline constexpr int kExitInternalError = 3;   // an unexpected exception: a bug

// A bad command-line value (an option's text, not a file): a UserError without a place,
// exit code 2.
struct BadInput : UserError {
  explicit BadInput(std::string problem) : UserError({}, std::move(problem)) {}
};

void register_reference_command(CLI::App& app);
void register_simulate_command(CLI::App& app);
void register_models_command(CLI::App& app);
void register_check_command(CLI::App& app);
void register_fit_command(CLI::App& app);

}  // namespace onset::cli
