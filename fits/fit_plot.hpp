// `onset fit --plot FILE`: per observable, the observations with the model's smooth curve over
// time, the standardised residuals (WRES) over time and against the prediction, and observed
// against predicted; per subject with --per-subject. Drawn by gnuplot (Debian gnuplot-nox)
// through io/gnuplot.hpp: onset's own script, every name from the data (observables, subjects,
// columns, units) filtered to the label characters, the data in files, gnuplot run without a
// shell in a private temporary folder. The svg (FILE.svg) or pngcairo (FILE.png) terminal; the
// caller writes the bytes (io::write_file_atomically), so gnuplot never sees the user's path.
//
// The model curves are the model simulated on a dense grid (Predictor::predict_curve), not the
// predictions joined at the sampled times: `curve_intervals` equal steps from the start
// (FitProblem::curve_from, 0 for model data: the dose time; else the first x) to the last
// observation of the observable, plus every observation time of the observable, so that the
// curve passes through each prediction. Subjects dosed alike share one curve (drawn once).
#pragma once

#include <string>
#include <vector>

#include "fits/fit.hpp"
#include "fits/fit_problem.hpp"
#include "fits/per_subject.hpp"
#include "io/gnuplot.hpp"

namespace onset::fits {

struct FitPlotOptions {
  bool png = false;    // pngcairo, else svg
  bool log_y = false;  // the observed panels on a log y axis (values <= 0 left out by gnuplot)
  int curve_intervals = 240;
};

// One model curve: of one observable, for the subjects listed (several when dosed alike).
struct ModelCurve {
  std::string observable;
  std::vector<std::string> subjects;  // FitProblem::group values; {""} when there are none
  std::vector<double> x, f;
};

// The model curves of a fit at its estimates, per observable and subject. Empty, with the
// reason in *why, when the predictor draws no curves or the model fails on the grid.
std::vector<ModelCurve> model_curves(const FitProblem& problem, const FitSummary& summary,
                                     int curve_intervals, std::string* why);

// The gnuplot job of a fit's plot: one row of four panels per observable.
io::GnuplotJob fit_plot_job(const FitProblem& problem, const FitSummary& summary,
                            const FitPlotOptions& options);

// The gnuplot job of per-subject fits: one row of four panels per observable of each subject
// that was fitted (converged or not: the panel title says which); subjects not fitted are named
// in the title with the reason. Throws std::invalid_argument when no subject was fitted (there
// is nothing to draw).
io::GnuplotJob per_subject_plot_job(const std::vector<SubjectProblem>& subjects,
                                    const PerSubjectSummary& summary,
                                    const FitPlotOptions& options);

// The plot drawn (io::run_gnuplot). Throws io::GnuplotError when gnuplot is missing or fails
// (with its message).
std::string draw_fit_plot(const FitProblem& problem, const FitSummary& summary,
                          const FitPlotOptions& options);
std::string draw_per_subject_plot(const std::vector<SubjectProblem>& subjects,
                                  const PerSubjectSummary& summary, const FitPlotOptions& options);

}  // namespace onset::fits
