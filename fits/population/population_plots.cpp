#include "fits/population/population_plots.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <map>

#include "io/format.hpp"
#include "io/gnuplot.hpp"

namespace onset::fits::population {

namespace {

// A number for a data file (gnuplot reads 'NaN' as undefined; rows with one are left out
// instead, so this is only called on finite values).
std::string value(double x) { return format_number(x, 10); }

// A data row of numbers separated by spaces, ending in a line break (appended piece by piece:
// gcc 12 misreads `" " + temporary` as an overlapping copy).
std::string row_of(std::initializer_list<double> values) {
  std::string row;
  for (double x : values) {
    if (!row.empty()) row += ' ';
    row += value(x);
  }
  row += '\n';
  return row;
}

// The series colours (fixed text of onset's).
const char* const kColours[] = {"'#1f77b4'", "'#d62728'", "'#2ca02c'",
                                "'#9467bd'", "'#ff7f0e'", "'#8c564b'"};
const char* colour(size_t k) { return kColours[k % 6]; }

std::string file_name(const std::string& stem, size_t k) {
  return stem + std::to_string(k) + ".dat";
}

std::string multiplot(size_t rows, size_t columns, const std::string& title) {
  return "set multiplot layout " + std::to_string(rows) + "," + std::to_string(columns) +
         " title " + io::gnuplot_text(title) + "\n";
}

}  // namespace

std::string plot_terminal(const std::string& path, int width, int height) {
  const bool png = path.size() >= 4 && path.compare(path.size() - 4, 4, ".png") == 0;
  return std::string(png ? "pngcairo" : "svg") + " size " + std::to_string(width) + "," +
         std::to_string(height) + (png ? "" : " dynamic") + " noenhanced font 'sans,10'";
}

io::GnuplotJob goodness_of_fit_plot(const PopulationSummary& s, const std::string& path) {
  io::GnuplotJob job;
  bool npde = false;
  for (const auto& row : s.observations) npde = npde || std::isfinite(row.npde);
  const size_t columns = npde ? 3 : 2;
  job.terminal = plot_terminal(path, 520 * static_cast<int>(columns), 900);
  // One file per observable: TIME PRED IPRED DV CWRES NPDE (rows with every value finite but
  // NPDE, which is 0 when not computed).
  const size_t observables = s.observable_names.size();
  for (size_t o = 0; o < observables; ++o) {
    std::string data;
    for (const auto& row : s.observations) {
      if (row.observable != s.observable_names[o]) continue;
      if (!std::isfinite(row.pred) || !std::isfinite(row.ipred) || !std::isfinite(row.cwres))
        continue;
      data += row_of({row.time, row.pred, row.ipred, row.dv, row.cwres,
                      std::isfinite(row.npde) ? row.npde : 0.0});
    }
    job.data_files.push_back({file_name("gof", o), data});
  }
  auto series = [&](const std::string& columns_used) {
    std::string text;
    for (size_t o = 0; o < observables; ++o)
      text += (o ? ", " : "") + io::gnuplot_text(file_name("gof", o)) + " using " + columns_used +
              " with points pt 7 ps 0.5 lc rgb " + colour(o) + " title " +
              io::gnuplot_text(s.observable_names[o]);
    return text;
  };
  std::string& script = job.script;
  script += multiplot(
      2, columns,
      "onset population fit (" + std::string(method_name(s.method)) + "): goodness of fit");
  script += "set grid\nset key top left\n";
  script += "set title 'DV vs PRED'\nset xlabel 'PRED'\nset ylabel 'DV'\n";
  script += "plot " + series("2:4") + ", x with lines lc rgb 'gray' notitle\n";
  script += "set title 'DV vs IPRED'\nset xlabel 'IPRED'\nset ylabel 'DV'\n";
  script += "plot " + series("3:4") + ", x with lines lc rgb 'gray' notitle\n";
  if (npde) {
    script += "set title 'NPDE vs TIME'\nset xlabel 'TIME'\nset ylabel 'NPDE'\n";
    script += "plot " + series("1:6") +
              ", 0 with lines lc rgb 'gray' notitle, -1.96 with lines dt 2 lc rgb 'gray' "
              "notitle, 1.96 with lines dt 2 lc rgb 'gray' notitle\n";
  }
  script += "set title 'CWRES vs TIME'\nset xlabel 'TIME'\nset ylabel 'CWRES'\n";
  script += "plot " + series("1:5") +
            ", 0 with lines lc rgb 'gray' notitle, -2 with lines dt 2 lc rgb 'gray' notitle, 2 "
            "with lines dt 2 lc rgb 'gray' notitle\n";
  script += "set title 'CWRES vs PRED'\nset xlabel 'PRED'\nset ylabel 'CWRES'\n";
  script += "plot " + series("2:5") +
            ", 0 with lines lc rgb 'gray' notitle, -2 with lines dt 2 lc rgb 'gray' notitle, 2 "
            "with lines dt 2 lc rgb 'gray' notitle\n";
  if (npde) {
    script += "set title 'NPDE vs PRED'\nset xlabel 'PRED'\nset ylabel 'NPDE'\n";
    script += "plot " + series("2:6") +
              ", 0 with lines lc rgb 'gray' notitle, -1.96 with lines dt 2 lc rgb 'gray' "
              "notitle, 1.96 with lines dt 2 lc rgb 'gray' notitle\n";
  }
  script += "unset multiplot";
  return job;
}

io::GnuplotJob individual_fits_plot(const PopulationSummary& s, const std::string& path) {
  io::GnuplotJob job;
  // Subjects in the order of the table; per subject and observable a file TIME DV IPRED PRED.
  std::vector<std::string> ids;
  std::map<std::string, size_t> index;
  for (const auto& row : s.observations)
    if (index.emplace(row.id, ids.size()).second) ids.push_back(row.id);
  const size_t n = ids.size(), observables = s.observable_names.size();
  const auto columns = static_cast<size_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const size_t rows = columns == 0 ? 0 : (n + columns - 1) / columns;
  job.terminal = plot_terminal(path, 280 * static_cast<int>(std::max<size_t>(columns, 1)),
                               220 * static_cast<int>(std::max<size_t>(rows, 1)));
  std::vector<std::vector<std::vector<std::array<double, 4>>>> points(
      n, std::vector<std::vector<std::array<double, 4>>>(observables));
  for (const auto& row : s.observations) {
    if (!std::isfinite(row.ipred) || !std::isfinite(row.pred)) continue;
    size_t o = 0;
    while (o < observables && s.observable_names[o] != row.observable) ++o;
    if (o == observables) continue;
    points[index[row.id]][o].push_back({row.time, row.dv, row.ipred, row.pred});
  }
  std::string& script = job.script;
  script += multiplot(rows, columns,
                      "onset population fit: individual fits (points DV, line "
                      "IPRED, dashed PRED)");
  script += "set grid\nunset key\n";
  for (size_t i = 0; i < n; ++i) {
    std::string plot;
    for (size_t o = 0; o < observables; ++o) {
      auto& rows_of = points[i][o];
      if (rows_of.empty()) continue;
      std::stable_sort(rows_of.begin(), rows_of.end(),
                       [](const auto& a, const auto& b) { return a[0] < b[0]; });
      std::string data;
      for (const auto& r : rows_of) data += row_of({r[0], r[1], r[2], r[3]});
      std::string name = "s";
      name += std::to_string(i);
      name += '_';
      name += std::to_string(o);
      name += ".dat";
      job.data_files.push_back({name, data});
      const std::string file = io::gnuplot_text(name);
      plot += std::string(plot.empty() ? "" : ", ") + file +
              " using 1:2 with points pt 7 ps 0.5 lc rgb " + colour(o) + ", " + file +
              " using 1:3 with lines lw 1.5 lc rgb " + colour(o) + ", " + file +
              " using 1:4 with lines dt 2 lc rgb " + colour(o);
    }
    script += "set title " + io::gnuplot_text("ID " + ids[i]) + "\n";
    script += plot.empty() ? "plot 0 with lines lc rgb 'white'\n" : "plot " + plot + "\n";
  }
  script += "unset multiplot";
  return job;
}

io::GnuplotJob vpc_plot(const Vpc& vpc, const std::string& path) {
  io::GnuplotJob job;
  const size_t panels = vpc.observables.size(), np = vpc.percentiles.size();
  job.terminal = plot_terminal(path, 900, 420 * static_cast<int>(std::max<size_t>(panels, 1)));
  std::string& script = job.script;
  script += multiplot(std::max<size_t>(panels, 1), 1,
                      "onset VPC: observed percentiles (lines, points: observations) over the " +
                          format_number(vpc.interval, 3) + " % intervals of " +
                          std::to_string(vpc.replicates) + " simulated replicates (bands)");
  script += "set grid\nset key top right\nset xlabel 'TIME'\n";
  for (size_t o = 0; o < panels; ++o) {
    const VpcObservable& observable = vpc.observables[o];
    std::string bins, observations;
    // TIME, then per percentile: LOW MEDIAN HIGH OBSERVED.
    for (const VpcBin& bin : observable.bins) {
      bool finite = std::isfinite(bin.time);
      for (size_t k = 0; k < np; ++k)
        finite = finite && std::isfinite(bin.low[k]) && std::isfinite(bin.high[k]) &&
                 std::isfinite(bin.median[k]) && std::isfinite(bin.observed[k]);
      if (!finite) continue;
      bins += value(bin.time);
      for (size_t k = 0; k < np; ++k)
        for (double x : {bin.low[k], bin.median[k], bin.high[k], bin.observed[k]}) {
          bins += ' ';
          bins += value(x);
        }
      bins += '\n';
    }
    for (size_t i = 0; i < observable.times.size(); ++i)
      observations += row_of({observable.times[i], observable.values[i]});
    const std::string bin_file = file_name("vpc", o), point_file = file_name("obs", o);
    job.data_files.push_back({bin_file, bins});
    job.data_files.push_back({point_file, observations});
    script += "set title " + io::gnuplot_text(observable.observable) + "\nset ylabel " +
              io::gnuplot_text(observable.observable) + "\n";
    std::string plot = "plot ";
    for (size_t k = 0; k < np; ++k) {
      const size_t c = 2 + 4 * k;  // LOW column
      const bool middle = std::abs(vpc.percentiles[k] - 50) < 1e-9;
      plot += io::gnuplot_text(bin_file) + " using 1:" + std::to_string(c) + ":" +
              std::to_string(c + 2) + " with filledcurves fc rgb " +
              (middle ? "'#f4a6a6'" : "'#a6c8f4'") + " fs solid 0.5 title " +
              io::gnuplot_text("simulated P" + format_number(vpc.percentiles[k], 4)) + ", ";
    }
    plot += io::gnuplot_text(point_file) +
            " using 1:2 with points pt 7 ps 0.5 lc rgb '#666666' title " + "'observations'";
    for (size_t k = 0; k < np; ++k) {
      const size_t c = 2 + 4 * k;
      plot += ", " + io::gnuplot_text(bin_file) + " using 1:" + std::to_string(c + 3) +
              " with lines lw 2 lc rgb 'black'" +
              (std::abs(vpc.percentiles[k] - 50) < 1e-9 ? "" : " dt 2") + " title " +
              io::gnuplot_text("observed P" + format_number(vpc.percentiles[k], 4));
    }
    script += plot + "\n";
  }
  script += "unset multiplot";
  return job;
}

io::GnuplotJob saem_trajectory_plot(const SaemSummary& saem, const std::string& path) {
  io::GnuplotJob job;
  const size_t p = saem.trajectory_names.size();
  const size_t columns = std::min<size_t>(3, std::max<size_t>(p, 1));
  const size_t rows = (p + columns - 1) / std::max<size_t>(columns, 1);
  job.terminal = plot_terminal(path, 360 * static_cast<int>(columns),
                               260 * static_cast<int>(std::max<size_t>(rows, 1)));
  std::string data;
  for (size_t r = 0; p > 0 && r * p < saem.trajectory.size(); ++r) {
    data += std::to_string(r + 1);
    for (size_t c = 0; c < p; ++c) {
      data += ' ';
      data += value(saem.trajectory[r * p + c]);
    }
    data += '\n';
  }
  job.data_files.push_back({"trajectory.dat", data});
  std::string& script = job.script;
  script += multiplot(std::max<size_t>(rows, 1), columns,
                      "onset SAEM: estimates over the iterations (burn-in " +
                          std::to_string(saem.burn_in) + ", exploration " +
                          std::to_string(saem.exploration_iterations) + ", smoothing " +
                          std::to_string(saem.smoothing_iterations) + ")");
  script += "set grid\nunset key\nset xlabel 'iteration'\n";
  for (size_t c = 0; c < p; ++c)
    script += "set title " + io::gnuplot_text(saem.trajectory_names[c]) +
              "\nplot 'trajectory.dat' using 1:" + std::to_string(c + 2) +
              " with lines lc rgb '#1f77b4'\n";
  script += "unset multiplot";
  return job;
}

}  // namespace onset::fits::population
