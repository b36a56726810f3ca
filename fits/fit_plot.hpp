// `onset fit --plot FILE`: observed vs predicted over time per observable and residual plots,
// drawn by gnuplot (Debian gnuplot-nox): the data and a gnuplot script go to a temporary
// folder, gnuplot renders with the svg (FILE.svg) or pngcairo (FILE.png) terminal to a
// temporary file beside FILE, which is then renamed over it.
#pragma once

#include <string>

#include "fits/fit.hpp"
#include "fits/fit_problem.hpp"

namespace onset::fits {

// Throws std::runtime_error when gnuplot is missing or fails (with its message).
void write_fit_plot(const FitProblem& problem, const FitSummary& summary, const std::string& path);

}  // namespace onset::fits
