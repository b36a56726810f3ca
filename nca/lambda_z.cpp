#include "nca/lambda_z.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "io/format.hpp"

namespace onset::nca {

using onset::format_number;
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

double LambdaZFit::span_ratio() const {
  if (!estimated) return kNaN;
  return (last_time - first_time) * lambda_z / std::log(2.0);
}

LambdaZFit fit_log_linear(const std::vector<double>& times, const std::vector<double>& concs) {
  LambdaZFit fit;
  const std::size_t n = times.size();
  fit.point_count = static_cast<int>(n);
  if (n < 2) {
    fit.reason = "fewer than 2 points for the log-linear regression";
    return fit;
  }
  // Two-pass (centred) sums: accurate when times are large relative to their spread.
  double mean_t = 0;
  double mean_y = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mean_t += times[i];
    mean_y += std::log(concs[i]);
  }
  mean_t /= static_cast<double>(n);
  mean_y /= static_cast<double>(n);
  double sxx = 0;
  double sxy = 0;
  double syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = times[i] - mean_t;
    const double dy = std::log(concs[i]) - mean_y;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  fit.first_time = times.front();
  fit.last_time = times.back();
  if (sxx <= 0) {
    fit.reason = "all points of the terminal phase at the same time";
    return fit;
  }
  const double slope = sxy / sxx;
  fit.lambda_z = -slope;
  fit.intercept = mean_y - slope * mean_t;
  fit.r_squared = syy > 0 ? (sxy * sxy) / (sxx * syy) : 0.0;
  fit.adjusted_r_squared =
      n > 2 ? 1.0 - (1.0 - fit.r_squared) * static_cast<double>(n - 1) / static_cast<double>(n - 2)
            : kNaN;
  if (!(fit.lambda_z > 0)) {
    fit.reason =
        "terminal slope not negative: concentrations do not decline over the points "
        "from t = " +
        format_number(fit.first_time) + " to " + format_number(fit.last_time);
    return fit;
  }
  fit.estimated = true;
  return fit;
}

LambdaZFit estimate_lambda_z(const std::vector<double>& times, const std::vector<double>& concs,
                             double tmax, bool include_tmax, const LambdaZSelection& selection,
                             int min_points, double adjusted_r2_tolerance,
                             const std::function<bool()>& cancelled) {
  std::vector<double> t;
  std::vector<double> c;
  using Mode = LambdaZSelection::Mode;
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (!(concs[i] > 0)) continue;
    if (selection.mode == Mode::kBestFit) {
      if (times[i] < tmax || (times[i] == tmax && !include_tmax)) continue;
    } else if (selection.mode == Mode::kTimeRange) {
      if (times[i] < selection.start_time || times[i] > selection.end_time) continue;
    }
    t.push_back(times[i]);
    c.push_back(concs[i]);
  }

  if (selection.mode == Mode::kTimeRange) {
    if (t.size() < 2) {
      LambdaZFit fit;
      fit.reason = "fewer than 2 positive concentrations between the chosen times " +
                   format_number(selection.start_time) + " and " +
                   format_number(selection.end_time);
      return fit;
    }
    return fit_log_linear(t, c);
  }
  if (selection.mode == Mode::kLastPoints) {
    const auto wanted = static_cast<std::size_t>(selection.point_count);
    if (t.size() < wanted) {
      LambdaZFit fit;
      fit.reason = "asked for the last " + std::to_string(wanted) +
                   " positive concentrations, the profile has " + std::to_string(t.size());
      return fit;
    }
    const auto offset = static_cast<std::ptrdiff_t>(t.size() - wanted);
    return fit_log_linear(std::vector<double>(t.begin() + offset, t.end()),
                          std::vector<double>(c.begin() + offset, c.end()));
  }

  // Best fit.
  const auto min_n = static_cast<std::size_t>(min_points);
  if (t.size() < min_n) {
    LambdaZFit fit;
    fit.reason = "fewer than " + std::to_string(min_n) + " positive concentrations " +
                 (include_tmax ? "from Cmax on" : "after Cmax") + " (found " +
                 std::to_string(t.size()) + ")";
    return fit;
  }
  // Every candidate (the last n points, n = min_n .. all) from running sums, one point added
  // at a time from the end: Welford/West updates of the means and centred co-moments (stable
  // when the times are large relative to their spread), O(points) in all where refitting each
  // candidate was O(points^2) (minutes for 1e6 points). The chosen candidate is then fitted
  // again by fit_log_linear (two-pass sums), so its numbers are those of a direct fit.
  const std::size_t count = t.size();
  std::vector<double> adjusted(count + 1, kNaN);  // by number of points; NaN: no negative slope
  double mean_t = 0, mean_y = 0, sxx = 0, sxy = 0, syy = 0;
  for (std::size_t n = 1; n <= count; ++n) {
    if (cancelled && (n & 0xFFFF) == 0 && cancelled()) throw NcaCancelled();
    const double x = t[count - n];
    const double y = std::log(c[count - n]);
    const double dx = x - mean_t, dy = y - mean_y;
    mean_t += dx / static_cast<double>(n);
    mean_y += dy / static_cast<double>(n);
    sxx += dx * (x - mean_t);
    sxy += dx * (y - mean_y);
    syy += dy * (y - mean_y);
    if (n < min_n || n < 3 || !(sxx > 0) || !(-sxy / sxx > 0)) continue;
    const double r_squared = syy > 0 ? (sxy * sxy) / (sxx * syy) : 0.0;
    adjusted[n] = 1.0 - (1.0 - r_squared) * static_cast<double>(n - 1) / static_cast<double>(n - 2);
  }
  double best_adjusted = -std::numeric_limits<double>::infinity();
  for (std::size_t n = min_n; n <= count; ++n)
    if (adjusted[n] > best_adjusted) best_adjusted = adjusted[n];
  std::size_t chosen = 0;  // increasing n: the last qualifying fit has the most points
  for (std::size_t n = min_n; n <= count; ++n)
    if (adjusted[n] >= best_adjusted - adjusted_r2_tolerance) chosen = n;
  auto last_points = [&](std::size_t n) {
    const auto offset = static_cast<std::ptrdiff_t>(count - n);
    return fit_log_linear(std::vector<double>(t.begin() + offset, t.end()),
                          std::vector<double>(c.begin() + offset, c.end()));
  };
  if (chosen == 0) {
    LambdaZFit fit = last_points(count);
    fit.estimated = false;
    fit.reason = "LAMZ not estimable: no regression on the last " + std::to_string(min_n) +
                 " or more points after Cmax has a negative slope";
    return fit;
  }
  return last_points(chosen);
}

}  // namespace onset::nca
