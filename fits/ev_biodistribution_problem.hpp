// The mouse EV biodistribution design of the simulation study and the bench: library model
// ev_pbpk_mouse, one IV bolus of the model's dose_particles per animal, destructive sampling
// (5 animals at each of 0.083, 0.25, 0.5, 1, 2, 4, 8, 24 h), each animal giving plasma, liver,
// spleen and lung %ID of intact vesicles; proportional error per observable; estimated (log
// scale): plasma_elimination_rate, fraction_to_liver, fraction_to_spleen, fraction_to_lung,
// phagocyte_degradation_rate, tissue_degradation_rate; the rest held at the library values,
// which are also the starting values. Observations are placeholders (1): fill problem.y.
#pragma once

#include "fits/fit_problem.hpp"

namespace onset::fits {

// `animals_per_time` animals at each time (5 in the study; 1 gives the design of a table of
// group means, one row per time and organ).
FitProblem ev_mouse_biodistribution_problem(int animals_per_time = 5);

}  // namespace onset::fits
