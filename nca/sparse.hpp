// Sparse (destructive, serial-sacrifice) sampling: each animal gives one sample, or a few, so
// there is no individual profile. The mean profile is analysed instead, and the AUC of the mean
// profile gets a standard error and confidence intervals.
//
// With times t_1 < ... < t_m, n_i animals at t_i, mean x_i and variance s_i^2 (n_i - 1 in the
// denominator), and linear-trapezoid weights w_1 = (t_2 - t_1)/2,
// w_i = (t_{i+1} - t_{i-1})/2, w_m = (t_m - t_{m-1})/2:
//
//   AUC         = sum_i w_i x_i                              (linear trapezoid of the means)
//   Var_Bailer  = sum_i w_i^2 s_i^2 / n_i
//     Bailer AJ (1988). Testing for the equality of area under the curves when using
//     destructive measurement techniques. J Pharmacokinet Biopharm 16(3):303-309.
//     Interval: AUC -/+ z_{1-a/2} SE (normal).
//   df          = (sum_i w_i^2 s_i^2/n_i)^2 / sum_i [ w_i^4 s_i^4 / (n_i^2 (n_i - 1)) ]
//     Satterthwaite's approximation as applied by Nedelman JR, Gibiansky E, Lau DTW (1995).
//     Applying Bailer's method for AUC confidence intervals to sparse sampling. Pharm Res
//     12(1):124-128. Interval: AUC -/+ t_{1-a/2, df} SE; better coverage than the normal
//     interval with few animals per time.
//   Var_NJ      = Var_Bailer + 2 sum_{i<j} w_i w_j r_ij s_ij / (n_i n_j)
//     for animals sampled at several times (r_ij animals at both t_i and t_j): Nedelman JR,
//     Jia X (1998). An extension of Satterthwaite's approximation applied to pharmacokinetics.
//     J Biopharm Stat 8(2):317-328, eq. 7; the covariance estimator
//       s_ij = sum_k (x_ik - x_i)(x_jk - x_j) / [(r_ij - 1) + (1 - r_ij/n_i)(1 - r_ij/n_j)]
//     is Holder DJ (2001), J Biopharm Stat 11(1-2):75-79, eq. A3, bounded by
//     |s_ij| <= s_i s_j (Nedelman & Jia eqs. 8-9); s_ij = 0 when r_ij < 2 (as PKNCA).
//     Without repeated sampling Var_NJ = Var_Bailer. Only a normal interval is given for it:
//     the extended degrees of freedom of Nedelman & Jia (1998) are not implemented.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "nca/nca.hpp"

namespace onset::nca {

struct SparseObservation {
  std::string group;   // organ / analyte; one analysis per group
  std::string animal;  // empty: every row is a different animal
  double time = 0;
  double conc = 0;  // NaN: missing
  bool blq = false;
  double dose = std::numeric_limits<double>::quiet_NaN();
  int line = 0;
};

struct SparseOptions {
  // Route, units, BLQ rule and the terminal-phase and AUC options for the NCA of the mean
  // profile. (The Bailer AUC and its SE always use the linear trapezoid.)
  NcaOptions nca;
  // Two-sided confidence level of the AUC intervals.
  double confidence_level = 0.95;
  // Dose for every group when the observations carry none (dose unit).
  double dose = std::numeric_limits<double>::quiet_NaN();

  bool IsValid(std::string* why) const;
};

struct SparseTimePoint {
  double time = 0;
  int n = 0;  // animals with a usable value
  double mean = 0;
  double sd = 0;      // sample standard deviation; 0 when n == 1
  double weight = 0;  // trapezoid weight w_i
};

struct SparseAuc {
  bool estimated = false;
  std::string reason;                   // why the SE or intervals are not available
  std::vector<SparseTimePoint> points;  // includes the dose-time zero when one was added
  double auc = std::numeric_limits<double>::quiet_NaN();
  double start_time = 0;  // the AUC runs from start_time to end_time
  double end_time = 0;
  double se_bailer = std::numeric_limits<double>::quiet_NaN();
  double df = std::numeric_limits<double>::quiet_NaN();  // Satterthwaite
  double z_lower = std::numeric_limits<double>::quiet_NaN();
  double z_upper = std::numeric_limits<double>::quiet_NaN();
  double t_lower = std::numeric_limits<double>::quiet_NaN();
  double t_upper = std::numeric_limits<double>::quiet_NaN();
  bool repeated_sampling = false;  // some animal sampled at more than one time
  double se_nedelman_jia = std::numeric_limits<double>::quiet_NaN();
  double nj_z_lower = std::numeric_limits<double>::quiet_NaN();
  double nj_z_upper = std::numeric_limits<double>::quiet_NaN();
};

// Bailer / Nedelman-Jia AUC of one group. `observations` are usable values (BLQ already
// resolved, missing removed); times and concentrations in consistent units. When
// `zero_at_dose_time` and no sample is at t = 0, a known zero is added at t = 0.
SparseAuc sparse_auc(const std::vector<SparseObservation>& observations, double confidence_level,
                     bool zero_at_dose_time);

struct SparseGroupResult {
  std::string group;
  SparseAuc auc;           // in the output units of options.nca.units
  NcaResult mean_profile;  // NCA of the mean concentration-time profile
  std::vector<std::string> notes;
};

// One result per group, in order of first appearance. The BLQ rule is applied per sample,
// with Tmax taken from the means of the quantifiable values. Throws std::invalid_argument for
// invalid options.
std::vector<SparseGroupResult> run_sparse_nca(const std::vector<SparseObservation>& observations,
                                              const SparseOptions& options);

}  // namespace onset::nca
