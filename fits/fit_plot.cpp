#include "fits/fit_plot.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fits/fit_residuals.hpp"

namespace onset::fits {

namespace {

std::string observable_of(const FitProblem& problem, size_t i) {
  return problem.observable.size() == problem.y.size()
             ? problem.observable[i]
             : problem.blocks[static_cast<size_t>(problem.block[i])].name;
}

double x_of(const FitProblem& problem, size_t i) {
  return problem.x.empty() ? static_cast<double>(i) : problem.x[i];
}

// The observables in order of first appearance, each with its observations.
std::vector<std::pair<std::string, std::vector<size_t>>> observations_by_observable(
    const FitProblem& problem) {
  std::vector<std::pair<std::string, std::vector<size_t>>> out;
  for (size_t i = 0; i < problem.y.size(); ++i) {
    const std::string name = observable_of(problem, i);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& o) { return o.first == name; });
    if (it == out.end()) it = out.insert(out.end(), {name, {}});
    it->second.push_back(i);
  }
  return out;
}

// "name (unit)" when the observations of a panel share one unit; "name" otherwise.
std::string with_unit(const std::string& name, const FitProblem& problem,
                      const std::vector<size_t>& rows) {
  if (problem.unit.size() != problem.y.size() || rows.empty()) return name;
  const std::string& unit = problem.unit[rows.front()];
  for (size_t i : rows)
    if (problem.unit[i] != unit) return name;
  return unit.empty() || unit == "1" ? name : name + " (" + unit + ")";
}

struct Part {
  std::string title;  // prefix of the panel titles ("subject 3"), "" for a pooled fit
  const FitProblem* problem;
  const FitSummary* summary;
};

io::GnuplotJob plot_job(const std::vector<Part>& parts, const std::string& title,
                        const FitPlotOptions& options) {
  io::GnuplotJob job;
  std::ostringstream script;
  size_t rows = 0;
  std::ostringstream panels;
  for (size_t part_index = 0; part_index < parts.size(); ++part_index) {
    const Part& part = parts[part_index];
    const FitProblem& problem = *part.problem;
    const std::vector<ResidualRow> table = residual_table(problem, *part.summary);
    std::string no_curve;
    const std::vector<ModelCurve> curves =
        model_curves(problem, *part.summary, options.curve_intervals, &no_curve);
    const auto observables = observations_by_observable(problem);
    for (size_t k = 0; k < observables.size(); ++k, ++rows) {
      const auto& [name, members] = observables[k];
      std::vector<size_t> sorted = members;
      std::stable_sort(sorted.begin(), sorted.end(),
                       [&](size_t a, size_t b) { return x_of(problem, a) < x_of(problem, b); });
      // The observations: x, observed, predicted, residual, standardised residual (WRES of
      // the residual table, fits/fit_residuals.hpp).
      std::ostringstream data;
      data.precision(10);
      for (size_t i : sorted) {
        const ResidualRow& row = table[i];
        data << x_of(problem, i) << " " << row.dv << " " << row.pred << " " << row.res << " "
             << row.wres << "\n";
      }
      const std::string stem = "p" + std::to_string(part_index) + "_" + std::to_string(k);
      job.data_files.emplace_back(stem + ".dat", data.str());
      // The model curves of this observable, one block (blank line between) per curve.
      std::ostringstream curve_data;
      curve_data.precision(10);
      size_t curve_points = 0;
      for (const ModelCurve& curve : curves) {
        if (curve.observable != name) continue;
        if (curve_points > 0) curve_data << "\n";
        for (size_t j = 0; j < curve.x.size(); ++j) {
          if (!std::isfinite(curve.f[j])) continue;
          curve_data << curve.x[j] << " " << curve.f[j] << "\n";
          ++curve_points;
        }
      }
      job.data_files.emplace_back(stem + "_curve.dat", curve_data.str());
      const std::string file = "'" + stem + ".dat'";
      const std::string prefix = part.title.empty() ? name : part.title + ", " + name;
      const std::string y_label = with_unit(name, problem, members);
      const std::string unit_suffix = y_label.substr(name.size());  // " (unit)" or ""
      panels << "set title " << io::gnuplot_text(prefix + ": observed and model") << "\n"
             << "set xlabel " << io::gnuplot_text(problem.x_name) << "\nset ylabel "
             << io::gnuplot_text(y_label) << "\n"
             << (options.log_y ? "set logscale y\n" : "") << "plot ";
      if (curve_points > 0)
        panels << "'" << stem << "_curve.dat' using 1:2 with lines lw 1.5 lc rgb '#1f77b4' "
               << "title 'model', ";
      else
        panels << file << " using 1:3 with points pt 6 ps 0.6 lc rgb '#1f77b4' title "
               << io::gnuplot_text("predicted (no curve: " + no_curve + ")") << ", ";
      panels << file << " using 1:2 with points pt 7 ps 0.6 lc rgb '#d62728' title 'observed'\n"
             << (options.log_y ? "unset logscale y\n" : "");
      panels << "set title " << io::gnuplot_text(prefix + ": standardised residuals over time")
             << "\nset ylabel 'WRES (standardised residual)'\n"
             << "plot " << file
             << " using 1:5 with points pt 7 ps 0.6 notitle, 0 with lines lc 'gray' notitle\n";
      panels << "set title " << io::gnuplot_text(prefix + ": residuals vs predicted") << "\n"
             << "set xlabel " << io::gnuplot_text("predicted" + unit_suffix)
             << "\nset ylabel 'WRES (standardised residual)'\n"
             << "plot " << file
             << " using 3:5 with points pt 7 ps 0.6 notitle, 0 with lines lc 'gray' notitle\n";
      panels << "set title " << io::gnuplot_text(prefix + ": observed vs predicted") << "\n"
             << "set xlabel " << io::gnuplot_text("predicted" + unit_suffix) << "\nset ylabel "
             << io::gnuplot_text("observed" + unit_suffix) << "\n"
             << (options.log_y ? "set logscale xy\n" : "") << "plot " << file
             << " using 3:2 with points pt 7 ps 0.6 notitle, x with lines lc "
             << "'gray' title 'identity'\n"
             << (options.log_y ? "unset logscale xy\n" : "");
    }
  }
  job.terminal = std::string(options.png ? "pngcairo" : "svg") + " size 1600," +
                 std::to_string(380 * std::max<size_t>(rows, 1)) + " noenhanced font 'sans,10'";
  script << "set multiplot layout " << rows << ",4 title " << io::gnuplot_text(title)
         << "\nset grid\nset key top right\n"
         << panels.str() << "unset multiplot\n";
  job.script = script.str();
  return job;
}

std::string fit_title(const FitSummary& summary) {
  return std::string("onset fit: ") + std::string(fit_status_name(summary.status)) + ", -2LL " +
         std::to_string(summary.minus_two_log_likelihood);
}

}  // namespace

std::vector<ModelCurve> model_curves(const FitProblem& problem, const FitSummary& summary,
                                     int curve_intervals, std::string* why) {
  std::vector<ModelCurve> curves;
  if (summary.parameters.size() != problem.parameters.size() || problem.y.empty()) {
    if (why) *why = "no estimates";
    return curves;
  }
  std::vector<double> params;
  for (const auto& p : summary.parameters) params.push_back(p.estimate);
  for (const auto& [name, members] : observations_by_observable(problem)) {
    // The grid: equal steps from the start to the last observation, and every observation.
    double low = x_of(problem, members.front()), high = low;
    for (size_t i : members) {
      low = std::min(low, x_of(problem, i));
      high = std::max(high, x_of(problem, i));
    }
    if (!std::isnan(problem.curve_from)) low = std::min(low, problem.curve_from);
    std::vector<double> grid;
    const int steps = std::max(curve_intervals, 1);
    for (int s = 0; s <= steps; ++s) grid.push_back(low + (high - low) * s / steps);
    for (size_t i : members) grid.push_back(x_of(problem, i));
    std::sort(grid.begin(), grid.end());
    grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
    // One curve per subject (first observation of the subject for this observable).
    std::vector<std::string> seen;
    for (size_t i : members) {
      const std::string subject = problem.group.size() == problem.y.size() ? problem.group[i] : "";
      if (std::find(seen.begin(), seen.end(), subject) != seen.end()) continue;
      seen.push_back(subject);
      std::vector<double> f(grid.size());
      std::string reason;
      if (!problem.predictor->predict_curve(params, i, grid, f, &reason)) {
        if (why) *why = reason;
        return {};
      }
      auto same = std::find_if(curves.begin(), curves.end(), [&](const ModelCurve& c) {
        return c.observable == name && c.f == f;
      });
      if (same != curves.end()) {
        same->subjects.push_back(subject);
        continue;
      }
      curves.push_back({name, {subject}, grid, std::move(f)});
    }
  }
  return curves;
}

io::GnuplotJob fit_plot_job(const FitProblem& problem, const FitSummary& summary,
                            const FitPlotOptions& options) {
  return plot_job({{"", &problem, &summary}}, fit_title(summary), options);
}

io::GnuplotJob per_subject_plot_job(const std::vector<SubjectProblem>& subjects,
                                    const PerSubjectSummary& summary,
                                    const FitPlotOptions& options) {
  if (subjects.size() != summary.subjects.size())
    throw std::invalid_argument("per_subject_plot_job: subjects and fits differ");
  std::vector<Part> parts;
  std::string not_fitted;
  for (size_t s = 0; s < subjects.size(); ++s) {
    const SubjectFit& fit = summary.subjects[s];
    if (fit.id != subjects[s].id)
      throw std::invalid_argument("per_subject_plot_job: subjects and fits differ");
    if (!fit.fitted || fit.summary.predictions.size() != subjects[s].problem.y.size()) {
      not_fitted += (not_fitted.empty() ? "" : ", ") + fit.id;
      continue;
    }
    parts.push_back(
        {"subject " + fit.id + " (" + std::string(fit_status_name(fit.summary.status)) + ")",
         &subjects[s].problem, &fit.summary});
  }
  if (parts.empty())
    throw std::invalid_argument(
        "no subject was fitted (too few observations for the "
        "parameters in each), so there is nothing to plot");
  std::string title = "onset fit --per-subject: " + std::to_string(parts.size()) + " of " +
                      std::to_string(subjects.size()) + " subjects fitted, " +
                      std::to_string(summary.num_converged) + " converged";
  if (!not_fitted.empty()) title += "; not fitted: " + not_fitted;
  return plot_job(parts, title, options);
}

std::string draw_fit_plot(const FitProblem& problem, const FitSummary& summary,
                          const FitPlotOptions& options) {
  return io::run_gnuplot(fit_plot_job(problem, summary, options));
}

std::string draw_per_subject_plot(const std::vector<SubjectProblem>& subjects,
                                  const PerSubjectSummary& summary, const FitPlotOptions& options) {
  return io::run_gnuplot(per_subject_plot_job(subjects, summary, options));
}

}  // namespace onset::fits
