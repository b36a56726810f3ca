#include "fits/fit_plot.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace onset::fits {

namespace {

// A gnuplot single-quoted string ('' inside).
std::string quote(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  for (char c : text) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  out.push_back('\'');
  return out;
}

// A POSIX shell single-quoted word.
std::string shell_quote(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  for (char c : text) {
    if (c == '\'') {
      out.append("'\\''");
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

}  // namespace

void write_fit_plot(const FitProblem& problem, const FitSummary& summary, const std::string& path) {
  namespace fs = std::filesystem;
  const bool png = path.size() >= 4 && path.substr(path.size() - 4) == ".png";
  const fs::path temp_dir =
      fs::temp_directory_path() / ("onset_fit_plot_" + std::to_string(::getpid()) + "_" +
                                   std::to_string(reinterpret_cast<uintptr_t>(&summary) & 0xffff));
  fs::create_directories(temp_dir);
  const size_t blocks = problem.blocks.size();
  // One data file per observable: x, observed, predicted, residual, standardised residual.
  for (size_t k = 0; k < blocks; ++k) {
    std::ofstream data(temp_dir / ("block" + std::to_string(k) + ".dat"));
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
  }
  const fs::path target = fs::absolute(path);
  std::string temporary_name = target.filename().string();
  temporary_name.insert(0, 1, '.');
  temporary_name.append(".tmp");
  const fs::path temporary = target.parent_path() / temporary_name;
  std::ofstream script(temp_dir / "plot.gp");
  script << (png ? "set terminal pngcairo size 1200," : "set terminal svg size 1200,")
         << 380 * blocks << " font 'sans,10'\n";
  script << "set output " << quote(temporary.string()) << "\n";
  script << "set multiplot layout " << blocks << ",3 title "
         << quote(std::string("onset fit: ") + std::string(fit_status_name(summary.status)) +
                  ", -2LL " + std::to_string(summary.minus_two_log_likelihood))
         << "\nset grid\nset key top right\n";
  for (size_t k = 0; k < blocks; ++k) {
    const std::string file = quote((temp_dir / ("block" + std::to_string(k) + ".dat")).string());
    const std::string name = problem.blocks[k].name;
    script << "set title " << quote(name + ": observed and predicted") << "\n"
           << "set xlabel " << quote(problem.x_name) << "\nset ylabel " << quote(name) << "\n"
           << "plot " << file << " using 1:2 with points pt 7 ps 0.6 title 'observed', " << file
           << " using 1:3 with linespoints pt 6 ps 0.4 lw 1.5 title 'predicted'\n";
    script << "set title " << quote(name + ": standardised residuals over time") << "\n"
           << "set ylabel 'standardised residual'\n"
           << "plot " << file
           << " using 1:5 with points pt 7 ps 0.6 notitle, 0 with lines lc 'gray' notitle\n";
    script << "set title " << quote(name + ": residuals vs predicted") << "\n"
           << "set xlabel 'predicted'\nset ylabel 'standardised residual'\n"
           << "plot " << file
           << " using 3:5 with points pt 7 ps 0.6 notitle, 0 with lines lc 'gray' notitle\n";
  }
  script << "unset multiplot\nset output\n";
  script.close();
  const std::string log = (temp_dir / "gnuplot.log").string();
  const std::string command = "gnuplot " + shell_quote((temp_dir / "plot.gp").string()) + " > " +
                              shell_quote(log) + " 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream log_file(log);
  std::stringstream messages;
  messages << log_file.rdbuf();
  std::error_code ignored;
  if (status != 0 || !fs::exists(temporary)) {
    fs::remove_all(temp_dir, ignored);
    fs::remove(temporary, ignored);
    throw std::runtime_error(
        "gnuplot failed (is gnuplot-nox installed? scripts/setup installs it): " + messages.str());
  }
  fs::rename(temporary, target);
  fs::remove_all(temp_dir, ignored);
}

}  // namespace onset::fits
