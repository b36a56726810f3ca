// `onset nca`: non-compartmental analysis of a CSV file (see fits/README.md).
#pragma once

#include <CLI/CLI.hpp>

namespace onset::cli {

// Adds the `nca` subcommand. Exit codes: 0 success; 1 when no subject (or group) could be
// analysed; 2 for bad input (unreadable file, missing column, bad cell, unsorted or duplicate
// times, invalid options), with the message on stderr as file:line:column: what.
void register_nca_command(CLI::App& app);

}  // namespace onset::cli
