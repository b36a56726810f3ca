#include "fits/fit_plot.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "fits/fit_residuals.hpp"

namespace onset::fits {

io::GnuplotJob fit_plot_job(const FitProblem& problem, const FitSummary& summary, bool png,
                            bool log_y) {
  const size_t blocks = problem.blocks.size();
  io::GnuplotJob job;
  job.terminal = std::string(png ? "pngcairo" : "svg") + " size 1600," +
                 std::to_string(380 * blocks) + " noenhanced font 'sans,10'";
  // One data file per observable: x, observed, predicted, residual, standardised residual
  // (WRES of the residual table, fits/fit_residuals.hpp).
  const std::vector<ResidualRow> table = residual_table(problem, summary);
  for (size_t k = 0; k < blocks; ++k) {
    std::ostringstream data;
    data.precision(10);
    std::vector<size_t> rows;
    for (size_t i = 0; i < problem.y.size(); ++i)
      if (problem.block[i] == static_cast<int>(k)) rows.push_back(i);
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
      return problem.x.empty() ? a < b : problem.x[a] < problem.x[b];
    });
    for (size_t i : rows) {
      const ResidualRow& row = table[i];
      data << (problem.x.empty() ? static_cast<double>(i) : problem.x[i]) << " " << row.dv << " "
           << row.pred << " " << row.res << " " << row.wres << "\n";
    }
    job.data_files.emplace_back("block" + std::to_string(k) + ".dat", data.str());
  }
  std::ostringstream script;
  script << "set multiplot layout " << blocks << ",4 title "
         << io::gnuplot_text(std::string("onset fit: ") +
                             std::string(fit_status_name(summary.status)) + ", -2LL " +
                             std::to_string(summary.minus_two_log_likelihood))
         << "\nset grid\nset key top right\n";
  for (size_t k = 0; k < blocks; ++k) {
    const std::string file = "'block" + std::to_string(k) + ".dat'";
    const std::string& name = problem.blocks[k].name;
    script << "set title " << io::gnuplot_text(name + ": observed and predicted") << "\n"
           << "set xlabel " << io::gnuplot_text(problem.x_name) << "\nset ylabel "
           << io::gnuplot_text(name) << "\n"
           << (log_y ? "set logscale y\n" : "") << "plot " << file << " using 1:"
           << "2"
           << " with points pt 7 ps 0.6 title 'observed', " << file << " using 1:"
           << "3"
           << " with linespoints pt 6 ps 0.4 lw 1.5 title 'predicted'\n"
           << (log_y ? "unset logscale y\n" : "");
    script << "set title " << io::gnuplot_text(name + ": standardised residuals over time") << "\n"
           << "set ylabel 'standardised residual'\n"
           << "plot " << file
           << " using 1:5 with points pt 7 ps 0.6 notitle, 0 with lines lc 'gray' notitle\n";
    script << "set title " << io::gnuplot_text(name + ": residuals vs predicted") << "\n"
           << "set xlabel 'predicted'\nset ylabel 'standardised residual'\n"
           << "plot " << file
           << " using 3:5 with points pt 7 ps 0.6 notitle, 0 with lines lc 'gray' notitle\n";
    script << "set title " << io::gnuplot_text(name + ": observed vs predicted") << "\n"
           << "set xlabel 'predicted'\nset ylabel 'observed'\n"
           << (log_y ? "set logscale xy\n" : "") << "plot " << file
           << " using 3:2 with points pt 7 ps 0.6 notitle, x with lines lc "
           << "'gray' title 'identity'\n"
           << (log_y ? "unset logscale xy\n" : "");
  }
  script << "unset multiplot\n";
  job.script = script.str();
  return job;
}

std::string draw_fit_plot(const FitProblem& problem, const FitSummary& summary, bool png,
                          bool log_y) {
  return io::run_gnuplot(fit_plot_job(problem, summary, png, log_y));
}

}  // namespace onset::fits
