// Every `onset` subcommand registers itself on the CLI11 app through one function.
#pragma once

#include <CLI/CLI.hpp>

namespace onset::cli {

// Exit codes shared by every command.
inline constexpr int kExitSuccess = 0;
inline constexpr int kExitAnalysisFailed = 1;  // a solver or fit did not succeed
inline constexpr int kExitBadInput = 2;        // the input could not be used

void register_reference_command(CLI::App& app);
void register_simulate_command(CLI::App& app);
void register_models_command(CLI::App& app);
void register_check_command(CLI::App& app);
void register_fit_command(CLI::App& app);

}  // namespace onset::cli
