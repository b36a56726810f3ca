// `onset fit --plot FILE`: observed vs predicted over time per observable and residual plots,
// drawn by gnuplot (Debian gnuplot-nox) through io/gnuplot.hpp: onset's own script, the
// observable and column names filtered to the label characters, the data in files, gnuplot run
// without a shell in a private temporary folder. The svg (FILE.svg) or pngcairo (FILE.png)
// terminal; the caller writes the bytes (io::write_file_atomically), so gnuplot never sees the
// user's path.
#pragma once

#include <string>

#include "fits/fit.hpp"
#include "fits/fit_problem.hpp"
#include "io/gnuplot.hpp"

namespace onset::fits {

// The gnuplot job of the plot: an SVG, or a PNG when `png`. `log_y`: the observed and
// predicted panels on a log y axis (values <= 0 are left out of those panels by gnuplot).
io::GnuplotJob fit_plot_job(const FitProblem& problem, const FitSummary& summary, bool png,
                            bool log_y = false);

// The plot drawn (io::run_gnuplot). Throws io::GnuplotError when gnuplot is missing or fails
// (with its message).
std::string draw_fit_plot(const FitProblem& problem, const FitSummary& summary, bool png,
                          bool log_y = false);

}  // namespace onset::fits
