// Declaring a population model: on the command line, in the `population:` section of a model
// file, or both (the command line adds to the file and overrides its starting values).
//
// Command line (cli/fit_population_command.cpp; fits/README.md has examples):
//   --eta NAME[=OMEGA][:normal]   a random effect. NAME a model parameter without its own
//                                 --param: NAME = tvNAME * exp(eta_NAME) (log-normal, the
//                                 default) or tvNAME + eta_NAME (:normal), THETA tvNAME starting
//                                 at --start NAME or the model's value, within the model's bounds
//                                 for NAME. Otherwise NAME is an ETA named in a --param.
//                                 OMEGA: the starting variance (default 0.1).
//   --param "NAME = EXPRESSION"   an individual parameter: THETAs, ETAs and data columns, e.g.
//                                 "CL = tvCL * (WT/70)^dCLWT * dCLSEX^SEX * exp(eta_CL)"
//   --theta NAME=START[:LOWER:UPPER]  a THETA of the expressions
//   --omega-block NAME,NAME[,...] these ETAs (or model parameters with a shorthand ETA) form one
//                                 full OMEGA block (correlated); every other ETA its own
//   --start NAME=VALUE            starting value of a THETA, of the typical value of a model
//                                 parameter (tvNAME; a parameter without ETA is then estimated
//                                 as NAME = tvNAME), of an ETA's variance (eta_NAME), of a
//                                 residual SD (sigma_add, sigma_prop, or OBS.sigma_add ...)
//   --fix NAME=VALUE              the same, held at VALUE; a model parameter without ETA is held
//   --error KIND, --error-for OBS=KIND   additive, proportional, combined, lognormal (additive on
//                                 log scale); --error-scale log puts any kind on log scale
//
// Model file:
//   population:
//     theta: {tvCL: 2.8, dCLWT: {start: 0.75, fixed: true}, tvV: {start: 30, lower: 0}}
//     eta: {eta_CL: 0.1, eta_V: {omega: 0.1}, KA: {omega: 0.5}}   # KA: shorthand as --eta KA
//     omega_blocks: [[eta_CL, eta_V]]
//     parameters: {CL: "tvCL * (WT/70)^dCLWT * exp(eta_CL)", V: "tvV * exp(eta_V)"}
//     error: {type: proportional, proportional: 0.1}       # or per observable: {CP: {...}}
//
// Every problem is a UserError: file:line:column for the file, the option and its text for the
// command line, with what was expected.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fits/fit_problem.hpp"
#include "fits/population/population_data.hpp"
#include "fits/population/population_model.hpp"

namespace onset::fits::population {

struct PopulationSpec {
  std::vector<std::string> etas;          // NAME[=OMEGA][:normal]
  std::vector<std::string> parameters;    // "NAME = EXPRESSION"
  std::vector<std::string> thetas;        // NAME=START[:LOWER:UPPER]
  std::vector<std::string> omega_blocks;  // NAME,NAME[,...]
  std::map<std::string, double> start;
  std::map<std::string, double> fixed;
  std::optional<ErrorKind> error;  // every observable (when given)
  std::map<std::string, ErrorKind> error_by_observable;
  std::optional<bool> log_scale;  // --error-scale
};

// The population model of `spec` and of the `population:` section of `model` (when it is a
// model file that has one), for the model and data of `data`. Adds notes (parameters held at
// their values, default starts) to `notes`.
PopulationModel build_population_model(const PopulationSpec& spec, const std::string& model,
                                       const PopulationData& data, std::vector<std::string>* notes);

}  // namespace onset::fits::population
