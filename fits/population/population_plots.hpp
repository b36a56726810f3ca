// Plots of population fits, drawn by gnuplot (Debian gnuplot-nox):
//  - goodness of fit: DV vs PRED, DV vs IPRED (with the line of identity), CWRES vs TIME and
//    CWRES vs PRED (with 0 and -/+2), and NPDE vs TIME when they were computed;
//  - individual fits: per subject its DVs, IPRED and PRED over time;
//  - the VPC: the observed percentiles (lines) and observations (points) over the simulated
//    prediction intervals of the same percentiles (bands), per observable;
//  - the SAEM trajectory: every estimate over the iterations.
//
// A plot is a job (the terminal, onset's own script, its data files) in the form of the project's
// gnuplot module (io::GnuplotJob of the security work: the same fields). Scripts hold only `set`,
// `unset` and `plot` commands with fixed words; every text that comes from an input (observable,
// subject ID and parameter names) goes through plot_text(), which keeps the label characters
// (ASCII letters, digits, space and _ - . , : ( ) [ ] / % + * = #) inside a single-quoted string
// and turns anything else into '?'. Data files hold numbers only. run_plot() runs gnuplot as a
// program (posix_spawn, no shell) in a private temporary folder (mkdtemp) and returns the bytes
// drawn; the caller writes them (atomically). The SVG or PNG terminal follows the target's
// extension.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fits/population/population_fit.hpp"
#include "fits/population/saem.hpp"
#include "fits/population/vpc.hpp"

namespace onset::fits::population {

struct PlotJob {
  std::string terminal;  // e.g. "svg size 1000,800 dynamic noenhanced font 'sans,10'"
  std::string script;    // set / unset / plot commands; data files by their names
  std::vector<std::pair<std::string, std::string>> data_files;  // name, content
};

// `text` as a gnuplot single-quoted string with every character outside the label set as '?'.
std::string plot_text(std::string_view text);

// The terminal for a target path: pngcairo for *.png, else svg; `width` x `height` pixels.
std::string plot_terminal(const std::string& path, int width, int height);

PlotJob goodness_of_fit_plot(const PopulationSummary& summary, const std::string& path);
PlotJob individual_fits_plot(const PopulationSummary& summary, const std::string& path);
PlotJob vpc_plot(const Vpc& vpc, const std::string& path);
PlotJob saem_trajectory_plot(const SaemSummary& saem, const std::string& path);

// Runs gnuplot on `job` and returns the image. Throws std::runtime_error with gnuplot's message
// when it is missing or fails.
std::string run_plot(const PlotJob& job);

// "" when gnuplot can be run; else why not and the fix (check before the work starts).
std::string plot_problem();

}  // namespace onset::fits::population
