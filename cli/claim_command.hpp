// `onset claim new` (a claim file for a biomarker of the library, from questions or options)
// and `onset claim lint FILE` (what is missing or suspicious in a claim): check/README.md,
// "Checking a new claim".
#pragma once

#include <CLI/CLI.hpp>

namespace onset::cli {

// Adds the `claim` subcommand with `new` and `lint`. Exit codes: 0 success (lint: no errors,
// warnings listed); 2 bad input (an unusable answer or option, a target that may not be
// written, lint errors, or lint warnings with --strict).
void register_claim_command(CLI::App& app);

}  // namespace onset::cli
