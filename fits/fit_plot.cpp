#include "fits/fit_plot.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace onset::fits {

io::GnuplotJob fit_plot_job(const FitProblem& problem, const FitSummary& summary, bool png) {
  const size_t blocks = problem.blocks.size();
  io::GnuplotJob job;
  job.terminal = std::string(png ? "pngcairo" : "svg") + " size 1200," +
                 std::to_string(380 * blocks) + " noenhanced font 'sans,10'";
  // One data file per observable: x, observed, predicted, residual, standardised residual.
  for (size_t k = 0; k < blocks; ++k) {
    std::ostringstream data;
    data.precision(10);
    std::vector<size_t> rows;
    for (size_t i = 0; i < problem.y.size(); ++i)
      if (problem.block[i] == static_cast<int>(k)) rows.push_back(i);
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
      return problem.x.empty() ? a < b : problem.x[a] < problem.x[b];
    });
    const auto& block = summary.blocks[k];
    for (size_t i : rows) {
      const double x = problem.x.empty() ? static_cast<double>(i) : problem.x[i];
      const double f = summary.predictions[i];
      const double residual = problem.y[i] - f;
      double scale = block.sigma;
      if (block.error == ErrorKind::kProportional) scale = block.sigma * std::abs(f);
      if (block.error == ErrorKind::kCombined)
        scale =
            std::sqrt(block.additive_sd * block.additive_sd + block.sigma * block.sigma * f * f);
      const double standardised = block.error == ErrorKind::kLogNormal
                                      ? (std::log(problem.y[i]) - std::log(f)) / block.sigma
                                      : residual / scale;
      data << x << " " << problem.y[i] << " " << f << " " << residual << " " << standardised
           << "\n";
    }
    job.data_files.emplace_back("block" + std::to_string(k) + ".dat", data.str());
  }
  std::ostringstream script;
  script << "set multiplot layout " << blocks << ",3 title "
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
           << "plot " << file << " using 1:2 with points pt 7 ps 0.6 title 'observed', " << file
           << " using 1:3 with linespoints pt 6 ps 0.4 lw 1.5 title 'predicted'\n";
    script << "set title " << io::gnuplot_text(name + ": standardised residuals over time") << "\n"
           << "set ylabel 'standardised residual'\n"
           << "plot " << file
           << " using 1:5 with points pt 7 ps 0.6 notitle, 0 with lines lc 'gray' notitle\n";
    script << "set title " << io::gnuplot_text(name + ": residuals vs predicted") << "\n"
           << "set xlabel 'predicted'\nset ylabel 'standardised residual'\n"
           << "plot " << file
           << " using 3:5 with points pt 7 ps 0.6 notitle, 0 with lines lc 'gray' notitle\n";
  }
  script << "unset multiplot\n";
  job.script = script.str();
  return job;
}

std::string draw_fit_plot(const FitProblem& problem, const FitSummary& summary, bool png) {
  return io::run_gnuplot(fit_plot_job(problem, summary, png));
}

}  // namespace onset::fits
