// The plots of `onset fit --plot` (fits/fit_plot.hpp): smooth model curves on a dense grid, the
// unit of each observable on the y axis, the four panels per observable, one row of panels per
// subject with --per-subject. What pins the curves down, from outside onset's own code:
// - Theoph (data/examples/theoph_nonmem.csv, one_compartment_oral, pooled additive fit): every
//   curve point against the closed-form one-compartment oral solution
//   C = AMT KA / (V (KA - k)) (exp(-k t) - exp(-KA t)), k = CL/V, at the estimates, within
//   1e-9 of the peak (onset solves this linear model exactly: matrix exponentials);
// - the mouse EV model (ev_pbpk_mouse, 29 states, a destructive design of 16 animals): the curve
//   at each observation time against the fit's own prediction there, within 1e-7 relative (the
//   tolerance of two BDF solves at rtol 1e-10 with different output times; measured 0: the
//   model is linear and both are solved in eigen-coordinates), and the 16 animals dosed alike
//   share one curve per organ.
// The plot scripts and data files are read as gnuplot would: the tests assert on what they
// hold, not only that they exist.
#include "fits/fit_plot.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fits/ev_biodistribution_problem.hpp"
#include "fits/fit_data.hpp"
#include "fits/per_subject.hpp"
#include "tests/fits/data_table.hpp"

namespace onset::fits {
namespace {

LoadedProblem theoph() {
  ModelDataOptions options;
  options.start = {{"KA", 1.5}, {"CL", 3}, {"V", 30}};
  return load_model_problem(
      "one_compartment_oral",
      data_table(std::string(ONSET_SOURCE_DIR) + "/data/examples/theoph_nonmem.csv"), options);
}

std::map<std::string, double> estimates(const FitSummary& summary) {
  std::map<std::string, double> out;
  for (const auto& p : summary.parameters) out[p.name] = p.estimate;
  return out;
}

// The data file of a job by name.
const std::string& data_file(const io::GnuplotJob& job, const std::string& name) {
  for (const auto& [file, content] : job.data_files)
    if (file == name) return content;
  static const std::string none;
  ADD_FAILURE() << "no data file " << name;
  return none;
}

// Blocks of "x y" lines separated by blank lines (one per curve).
std::vector<std::vector<std::pair<double, double>>> curve_blocks(const std::string& text) {
  std::vector<std::vector<std::pair<double, double>>> blocks(1);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) {
      blocks.emplace_back();
      continue;
    }
    std::istringstream fields(line);
    double x = 0, y = 0;
    fields >> x >> y;
    blocks.back().emplace_back(x, y);
  }
  if (blocks.back().empty()) blocks.pop_back();
  return blocks;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(FitPlot, TheophCurvesAreTheClosedFormOnADenseGridThroughEveryPrediction) {
  LoadedProblem loaded = theoph();
  FitOptions options;
  FitSummary summary;
  Solve(options, &loaded.problem, &summary);
  ASSERT_TRUE(summary.converged()) << summary.message;
  auto p = estimates(summary);
  const double ka = p["KA"], k = p["CL"] / p["V"], v = p["V"];
  std::map<std::string, double> dose;
  for (const auto& record : loaded.dosing_data->records)
    if (record.is_dose()) dose[record.id] = record.amount;
  std::string why;
  const std::vector<ModelCurve> curves = model_curves(loaded.problem, summary, 240, &why);
  // One per subject, except subjects 3 and 8, whose doses (mg/kg x weight) are both 319.365 mg:
  // their curves are bit-identical and drawn once.
  ASSERT_EQ(curves.size(), 11u) << why;
  const FitProblem& problem = loaded.problem;
  const double last = *std::max_element(problem.x.begin(), problem.x.end());
  size_t subjects = 0;
  for (const ModelCurve& curve : curves) {
    EXPECT_EQ(curve.observable, "CP");
    // From the dose time (0) to the last observation, 241 steps plus the observation times:
    // many more points than the subject's 11 observations.
    EXPECT_EQ(curve.x.front(), 0.0);
    EXPECT_EQ(curve.x.back(), last);
    EXPECT_GE(curve.x.size(), 241u);
    EXPECT_TRUE(std::is_sorted(curve.x.begin(), curve.x.end()));
    double peak = 0;
    for (double f : curve.f) peak = std::max(peak, f);
    for (const std::string& id : curve.subjects) {
      ++subjects;
      for (size_t j = 0; j < curve.x.size(); ++j) {
        const double t = curve.x[j];
        const double closed =
            dose[id] * ka / (v * (ka - k)) * (std::exp(-k * t) - std::exp(-ka * t));
        EXPECT_NEAR(curve.f[j], closed, 1e-9 * peak) << "subject " << id << " t " << t;
      }
      // Through the fit's prediction at each of the subject's observations.
      size_t observations = 0;
      for (size_t i = 0; i < problem.y.size(); ++i) {
        if (problem.group[i] != id) continue;
        ++observations;
        const auto at = std::find(curve.x.begin(), curve.x.end(), problem.x[i]);
        ASSERT_NE(at, curve.x.end()) << "observation time " << problem.x[i] << " not on the grid";
        EXPECT_NEAR(curve.f[static_cast<size_t>(at - curve.x.begin())], summary.predictions[i],
                    1e-9 * peak);
      }
      EXPECT_GT(curve.x.size(), 20 * observations);
    }
  }
  EXPECT_EQ(subjects, 12u);
  EXPECT_TRUE(std::any_of(curves.begin(), curves.end(), [](const ModelCurve& curve) {
    return curve.subjects == std::vector<std::string>{"3", "8"};
  }));

  // The plot: the curve file holds the 12 curves, the y axis the unit of CP, x in hours.
  const io::GnuplotJob job = fit_plot_job(problem, summary, {});
  const auto blocks = curve_blocks(data_file(job, "p0_0_curve.dat"));
  ASSERT_EQ(blocks.size(), curves.size());
  for (size_t c = 0; c < blocks.size(); ++c) {
    ASSERT_EQ(blocks[c].size(), curves[c].x.size());
    for (size_t j = 0; j < blocks[c].size(); ++j)
      EXPECT_NEAR(blocks[c][j].second, curves[c].f[j], 1e-9 * std::abs(curves[c].f[j]));
  }
  EXPECT_EQ(count(data_file(job, "p0_0.dat"), "\n"), problem.y.size());
  const std::string& script = job.script;
  EXPECT_NE(script.find("set ylabel 'CP (mg/L)'"), std::string::npos) << script;
  EXPECT_NE(script.find("set xlabel 'time (h)'"), std::string::npos);
  EXPECT_NE(script.find("'p0_0_curve.dat' using 1:2 with lines"), std::string::npos);
  EXPECT_NE(script.find("set xlabel 'predicted (mg/L)'"), std::string::npos);
  EXPECT_NE(script.find("set ylabel 'observed (mg/L)'"), std::string::npos);
  EXPECT_NE(script.find("standardised residuals over time"), std::string::npos);
  EXPECT_NE(script.find("set multiplot layout 1,4"), std::string::npos);
  EXPECT_EQ(script.find("logscale"), std::string::npos);
  EXPECT_EQ(io::gnuplot_script_problem(script), "");
  // --plot-log: the observed panel on log y, observed vs predicted on log-log.
  const io::GnuplotJob log = fit_plot_job(problem, summary, {.log_y = true});
  EXPECT_EQ(count(log.script, "\nset logscale y\n"), 1u);
  EXPECT_EQ(count(log.script, "\nset logscale xy\n"), 1u);
}

TEST(FitPlot, MouseCurvesPassThroughThePredictionsAndAnimalsDosedAlikeShareOne) {
  FitProblem problem = ev_mouse_biodistribution_problem(2);
  FitSummary summary;
  std::vector<double> params;
  for (const auto& parameter : problem.parameters) {
    params.push_back(parameter.start);
    ParameterEstimate estimate;
    estimate.name = parameter.name;
    estimate.estimate = parameter.start;
    summary.parameters.push_back(estimate);
  }
  for (const auto& block : problem.blocks)
    summary.blocks.push_back({.name = block.name, .error = block.error, .n = 16, .sigma = 0.2});
  summary.predictions.resize(problem.y.size());
  std::string why;
  ASSERT_TRUE(problem.predictor->predict(params, {}, summary.predictions, {}, &why)) << why;
  const std::vector<ModelCurve> curves = model_curves(problem, summary, 240, &why);
  // 16 animals (2 per time) dosed alike: one curve per organ, naming every animal.
  ASSERT_EQ(curves.size(), 4u) << why;
  double worst = 0;
  for (const ModelCurve& curve : curves) {
    EXPECT_EQ(curve.subjects.size(), 16u);
    EXPECT_EQ(curve.x.front(), 0.0);  // the dose time, not the first observation (5 min)
    EXPECT_EQ(curve.x.back(), 24.0);
    for (size_t i = 0; i < problem.y.size(); ++i) {
      if (problem.blocks[static_cast<size_t>(problem.block[i])].name != curve.observable) continue;
      const auto at = std::find(curve.x.begin(), curve.x.end(), problem.x[i]);
      ASSERT_NE(at, curve.x.end());
      const double f = curve.f[static_cast<size_t>(at - curve.x.begin())];
      const double relative = std::abs(f - summary.predictions[i]) / summary.predictions[i];
      worst = std::max(worst, relative);
      EXPECT_LT(relative, 1e-7) << curve.observable << " at " << problem.x[i];
    }
  }
  std::printf("mouse curves vs predictions: worst relative difference %.2e\n", worst);
  // Without units in the problem the y label is the observable's name alone.
  const io::GnuplotJob job = fit_plot_job(problem, summary, {});
  EXPECT_NE(job.script.find("set ylabel 'liver_pct'\n"), std::string::npos);
  EXPECT_NE(job.script.find("set multiplot layout 4,4"), std::string::npos);
  EXPECT_EQ(curve_blocks(data_file(job, "p0_1_curve.dat")).size(), 1u);
  EXPECT_EQ(io::gnuplot_script_problem(job.script), "");
}

TEST(FitPlot, PerSubjectPlotHasARowPerSubjectWithItsOwnFitAndNamesThoseNotFitted) {
  LoadedProblem loaded = theoph();
  auto subjects = split_by_subject(loaded.problem, loaded.subset_predictor);
  FitOptions options;
  PerSubjectSummary summary;
  SolvePerSubject(options, &subjects, &summary);
  ASSERT_EQ(subjects.size(), 12u);
  // The unit and the curve start travel with each subject's problem.
  for (const auto& subject : subjects) {
    ASSERT_EQ(subject.problem.unit.size(), subject.problem.y.size());
    EXPECT_EQ(subject.problem.unit.front(), "mg/L");
    EXPECT_EQ(subject.problem.curve_from, 0.0);
  }
  // Subject 5 as if it had not been fitted: named in the title, no row.
  summary.subjects[4].fitted = false;
  const io::GnuplotJob job = per_subject_plot_job(subjects, summary, {});
  EXPECT_NE(job.script.find("set multiplot layout 11,4"), std::string::npos) << job.script;
  EXPECT_NE(job.script.find("not fitted: 5"), std::string::npos);
  EXPECT_EQ(io::gnuplot_script_problem(job.script), "");
  size_t part = 0;
  for (size_t s = 0; s < subjects.size(); ++s) {
    if (s == 4) continue;
    const std::string title =
        "'subject " + subjects[s].id + " (converged), CP: observed and model'";
    EXPECT_EQ(count(job.script, "set title " + title), 1u) << title;
    // Each row's curve is that subject's own fit, through its own predictions.
    const auto blocks = curve_blocks(data_file(job, "p" + std::to_string(part) + "_0_curve.dat"));
    ASSERT_EQ(blocks.size(), 1u);
    const FitProblem& problem = subjects[s].problem;
    const FitSummary& fit = summary.subjects[s].summary;
    for (size_t i = 0; i < problem.y.size(); ++i) {
      const auto at = std::find_if(blocks[0].begin(), blocks[0].end(),
                                   [&](const auto& point) { return point.first == problem.x[i]; });
      ASSERT_NE(at, blocks[0].end());
      EXPECT_NEAR(at->second, fit.predictions[i], 1e-8 * std::abs(fit.predictions[i]) + 1e-12);
    }
    EXPECT_GT(blocks[0].size(), 20 * problem.y.size());
    ++part;
  }
  // Nothing fitted: nothing to draw, said (never an empty file).
  for (auto& fit : summary.subjects) fit.fitted = false;
  EXPECT_THROW(per_subject_plot_job(subjects, summary, {}), std::invalid_argument);
}

}  // namespace
}  // namespace onset::fits
