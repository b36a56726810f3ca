// Every `onset` subcommand registers itself on the CLI11 app through one function.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <utility>

#include "cli/exit_codes.hpp"
#include "pk/user_error.hpp"

namespace onset::cli {

// Exit codes and the one mapping from an exception to them: cli/exit_codes.hpp.

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
