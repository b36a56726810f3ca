// The reviewer's page (`onset check --report FILE.html`): one self-contained HTML file (no
// network: styles inline, plots inlined as SVG) with the claim text, the verdict table, per
// effect the trajectories (best case, median draw, 5-95 % band) against time with the
// threshold and the claimed point, the onset-time distribution and the elasticities, and every
// assumption with its source, the ones that decide a verdict marked.
//
// Plots are drawn by gnuplot through io/gnuplot.hpp: onset's own scripts, every text from the
// claim (effect ids, observable and assumption names) filtered to the label characters, data
// in files, run without a shell in a private temporary folder. The page is returned as text;
// the caller writes it (io::write_file_atomically).
#pragma once

#include <functional>
#include <string>

#include "check/check.hpp"
#include "io/gnuplot.hpp"

namespace onset::check {

// Draws one plot and returns the file drawn (an SVG): io::run_gnuplot, or, in tests and the
// fuzz target, a function that checks the job instead of running gnuplot.
using PlotRenderer = std::function<std::string(const io::GnuplotJob&)>;

// The page as text. Throws io::GnuplotError when gnuplot is missing or fails (the message says
// which package to install, or gnuplot's own error).
std::string render_html_report(const Claim& claim, const CheckReport& report,
                               const PlotRenderer& draw = io::run_gnuplot);

}  // namespace onset::check
