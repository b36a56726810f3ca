// The theophylline example (R's datasets::Theoph, shared/data/theoph.csv) as a fit problem:
// one_compartment_oral, naive pooled, additive error, KA, CL, V on log scale, ALAG fixed at 0.
// Doses are mg/kg given orally at time 0: AMT = Dose x Wt (mg) into the depot (CMT 1), so V
// is in L and CL in L/h. Used by tests and bench (the same problem in both).
#pragma once

#include <string>

#include "fits/fit_problem.hpp"
#include "io/csv.hpp"

namespace onset::fits {

// `theoph`: the table of theoph.csv as io::CsvTable::read_file reads it.
FitProblem theoph_problem(const io::CsvTable& theoph);

}  // namespace onset::fits
