// The reviewer's page (`onset check --report FILE.html`): one self-contained HTML file (no
// network: styles inline, plots inlined as SVG) with the claim text, the verdict table, per
// effect the trajectories (best case, median draw, 5-95 % band) against time with the
// threshold and the claimed point, the onset-time distribution and the elasticities, and every
// assumption with its source, the ones that decide a verdict marked.
//
// Plots are drawn by gnuplot (Debian gnuplot-nox, SVG terminal), run as a separate process on
// data files in a temporary directory.
#pragma once

#include <string>

#include "check/check.hpp"

namespace onset::check {

// The page as text. Throws std::runtime_error when gnuplot is missing or fails (the message
// says which package to install, or gnuplot's own error).
std::string render_html_report(const Claim& claim, const CheckReport& report);

// Where gnuplot is looked for: $ONSET_GNUPLOT if set, else `gnuplot` on the PATH.
std::string gnuplot_command();

}  // namespace onset::check
