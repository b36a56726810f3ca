// The theophylline example (R's datasets::Theoph, shared/data/theoph.csv) as a fit problem:
// one_compartment_oral, naive pooled, additive error, KA, CL, V on log scale, ALAG fixed at 0.
// Doses are mg/kg given orally at time 0: AMT = Dose x Wt (mg) into the depot (CMT 1), so V
// is in L and CL in L/h. Used by tests and bench (the same problem in both).
#pragma once

#include <string>

#include "fits/fit_problem.hpp"

namespace onset::fits {

FitProblem theoph_problem(const std::string& theoph_csv_path);

}  // namespace onset::fits
