// Plots of population fits, drawn by gnuplot (Debian gnuplot-nox):
//  - goodness of fit: DV vs PRED, DV vs IPRED (with the line of identity), CWRES vs TIME and
//    CWRES vs PRED (with 0 and -/+2), and NPDE vs TIME when they were computed;
//  - individual fits: per subject its DVs, IPRED and PRED over time;
//  - the VPC: the observed percentiles (lines) and observations (points) over the simulated
//    prediction intervals of the same percentiles (bands), per observable;
//  - the SAEM trajectory: every estimate over the iterations.
//
// A plot is an io::GnuplotJob (io/gnuplot.hpp): the terminal, onset's own script of `set`,
// `unset` and `plot` commands with fixed words, and data files of numbers. Every text that
// comes from an input (observable, subject ID and parameter names) goes through
// io::gnuplot_text(); io::run_gnuplot() refuses any script that is not onset's own, runs gnuplot
// without a shell in a private folder and returns the bytes drawn, which the caller writes with
// io::write_file_atomically. The SVG or PNG terminal follows the target's extension.
#pragma once

#include <string>

#include "fits/population/population_fit.hpp"
#include "fits/population/saem.hpp"
#include "fits/population/vpc.hpp"
#include "io/gnuplot.hpp"

namespace onset::fits::population {

// The terminal for a target path: pngcairo for *.png, else svg; `width` x `height` pixels.
std::string plot_terminal(const std::string& path, int width, int height);

io::GnuplotJob goodness_of_fit_plot(const PopulationSummary& summary, const std::string& path);
io::GnuplotJob individual_fits_plot(const PopulationSummary& summary, const std::string& path);
io::GnuplotJob vpc_plot(const Vpc& vpc, const std::string& path);
io::GnuplotJob saem_trajectory_plot(const SaemSummary& saem, const std::string& path);

}  // namespace onset::fits::population
