// The terminal elimination rate constant (lambda_z): log-linear least squares on the last
// points of the profile.
//
// Best fit (Phoenix WinNonlin "Best Fit", PKNCA's default): regress ln(C) on t for the last 3,
// 4, ... positive concentrations after Tmax (from Tmax on for an IV bolus); among fits with a
// negative slope, take the largest adjusted R^2, and among fits whose adjusted R^2 is within
// `adjusted_r2_tolerance` (1e-4) of it, the one with the most points.
//   R^2     = Sxy^2 / (Sxx Syy)
//   R^2_adj = 1 - (1 - R^2)(n - 1)/(n - 2)
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace onset::nca {

// How the points of the terminal phase are chosen.
struct LambdaZSelection {
  enum class Mode {
    kBestFit,     // the rule above
    kTimeRange,   // every positive concentration with start_time <= t <= end_time
    kLastPoints,  // the last `point_count` positive concentrations
  };
  Mode mode = Mode::kBestFit;
  // kTimeRange: first and last time included (data time unit).
  double start_time = 0;
  double end_time = 0;
  // kLastPoints: how many points (>= 2).
  int point_count = 3;
};

struct LambdaZFit {
  bool estimated = false;
  std::string reason;             // why not estimated (empty when estimated)
  double lambda_z = 0;            // 1/time
  double intercept = 0;           // ln-concentration at t = 0 of the fitted line
  double r_squared = 0;           // R^2
  double adjusted_r_squared = 0;  // R^2_adj; NaN for 2 points
  int point_count = 0;
  double first_time = 0;  // LAMZLL
  double last_time = 0;   // LAMZUL
  // Span of the fit in half-lives, (last - first) / (ln 2 / lambda_z).
  double span_ratio() const;
};

// Least squares of ln(conc) on time, all points used. Needs >= 2 points with conc > 0.
LambdaZFit fit_log_linear(const std::vector<double>& times, const std::vector<double>& concs);

// Thrown by estimate_lambda_z (and run_nca) when `cancelled` returned true (Ctrl-C).
struct NcaCancelled : std::runtime_error {
  NcaCancelled() : std::runtime_error("NCA cancelled") {}
};

// Selects and fits the terminal phase. `times`/`concs` are the subject's usable observations in
// time order; `tmax` its Tmax; `include_tmax` true for an IV bolus. Only positive concentrations
// are used. The best-fit search costs O(points) and asks `cancelled` (when set) every 65,536
// points whether to stop, throwing NcaCancelled.
LambdaZFit estimate_lambda_z(const std::vector<double>& times, const std::vector<double>& concs,
                             double tmax, bool include_tmax, const LambdaZSelection& selection,
                             int min_points, double adjusted_r2_tolerance,
                             const std::function<bool()>& cancelled = {});

}  // namespace onset::nca
