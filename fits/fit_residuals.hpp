// The per-observation table of a fit, as a reviewer of a PK paper reads it: subject, time,
// observable, observed (DV), predicted (PRED), residual (RES = DV - PRED) and weighted
// residual (WRES = RES / the observation's SD under the fitted error model, ML sigma), for the
// CSV of `onset fit --residuals FILE`, the "observations" array of the JSON, and the plots.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "fits/fit.hpp"
#include "fits/fit_problem.hpp"

namespace onset::fits {

struct ResidualRow {
  std::string id;           // subject (FitProblem::group), empty when none
  double time = 0;          // FitProblem::x (the observation's index when there is none)
  std::string observable;   // the observable (FitProblem::observable, else the error model's)
  std::string error_model;  // the error model (block) it belongs to
  double animals = 1;       // n behind a mean (summary data), 1 otherwise
  double dv = 0, pred = 0, res = 0;
  // RES / SD_i with SD_i = sigma g(PRED) / sqrt(weight n): g = 1 (additive), |PRED|
  // (proportional), sqrt(a^2 + sigma^2 PRED^2) / sigma (combined); log-normal: (log DV - log
  // PRED) sqrt(weight n) / sigma. With one additive error model and no weights, sum WRES^2 = N
  // (sigma is the ML one, sqrt(RSS/N)).
  double wres = 0;
};

// One row per observation, in the data's order. Needs summary.predictions.
std::vector<ResidualRow> residual_table(const FitProblem& problem, const FitSummary& summary);

// CSV: ID,TIME,OBSERVABLE,ERROR_MODEL,N,DV,PRED,RES,WRES (15 or 17 significant digits, as
// needed to read back the same double; names quoted
// as CSV fields).
void write_residuals_csv(std::ostream& out, const std::vector<ResidualRow>& rows);

}  // namespace onset::fits
