// A population fit's summary in words and numbers: the text report, JSON, and the two tables
// (per-subject EBEs and individual parameters; per-observation diagnostics) as CSV.
//
// JSON: {"method", "status", "converged", "message", "objective" (NONMEM's, without the
//   N log(2 pi) constant), "minus_two_log_likelihood", "objective_definition", "aic", "bic",
//   "n_subjects", "n_observations", "n_estimated", "iterations", "evaluations" (no wall time:
//   the output is identical for any thread and rank count),
//   "theta": [{"name", "label", "estimate", "se", "rse_pct", "fixed"}],
//   "omega": [{"name", "label", "estimate", "se", "rse_pct", "fixed", "cv_pct", "cv_exact_pct",
//              "correlation", "shrinkage_pct"}],
//   "sigma": [{"name", "label", "estimate" (variance), "sd", "se", "rse_pct", "fixed"}],
//   "eps_shrinkage_pct": {OBS: value}, "covariance": {"ok", "method", "message", "names",
//   "matrix", "correlation"}, "subjects": [{"id", "objective", "eta": {NAME: value},
//   "parameters": {NAME: value}, "ebe_converged"}], "observations": [{"id", "line", "time",
//   "observable", "dv", "pred", "ipred", "res", "ires", "iwres", "cwres", and "epred", "pde",
//   "npde" when NPDE were computed (fits/population/npde.hpp)}] (with include_tables),
//   "gradient_method", "notes"}
// Non-finite numbers are null.
#pragma once

#include <ostream>
#include <string>

#include "fits/population/population_fit.hpp"

namespace onset::fits::population {

void print_text(const PopulationSummary& summary, std::ostream& out);
std::string to_json_text(const PopulationSummary& summary, bool include_tables);
// The two tables alone as JSON arrays (the elements of "subjects" and "observations" above).
std::string subjects_json_text(const PopulationSummary& summary);
std::string observations_json_text(const PopulationSummary& summary);
// ID, ETA columns, individual parameter columns, OBJ (the subject's objective contribution).
void write_subjects_csv(const PopulationSummary& summary, std::ostream& out);
// ID, LINE, TIME, OBS, DV, PRED, IPRED, RES, IRES, IWRES, CWRES (and EPRED, PDE, NPDE when
// computed).
void write_observations_csv(const PopulationSummary& summary, std::ostream& out);

}  // namespace onset::fits::population
