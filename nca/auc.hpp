// Areas under a concentration-time curve between observations: the trapezoid rules of NCA.
//
// Linear trapezoid on [t1, t2]:   AUC = (t2 - t1)(c1 + c2)/2
//                                 AUMC = (t2 - t1)(t1 c1 + t2 c2)/2
// Log trapezoid (c1 > c2 > 0), with k = ln(c1/c2)/(t2 - t1), i.e. c(t) = c1 exp(-k (t - t1)):
//                                 AUC = (c1 - c2)/k
//                                 AUMC = (t1 c1 - t2 c2)/k + (c1 - c2)/k^2
// (Gabrielsson & Weiner, Pharmacokinetic and Pharmacodynamic Data Analysis, 5th ed., ch. 2;
// the same formulas as Phoenix WinNonlin's NCA user guide and PKNCA.)
#pragma once

namespace onset::nca {

enum class AucMethod {
  // Linear trapezoid everywhere (Phoenix "Linear Trapezoidal Linear Interpolation").
  kLinear,
  // Log trapezoid for every declining segment with both concentrations positive, linear
  // otherwise (Phoenix "Linear Up Log Down", PKNCA "lin up/log down").
  kLinearUpLogDown,
  // Linear up to Tmax; after Tmax the log trapezoid for declining segments with both
  // concentrations positive, linear for rising, flat or zero segments (Phoenix "Linear Log
  // Trapezoidal", PKNCA "lin-log").
  kLinearLog,
};

// Whether a segment from (t1, c1) to (t2, c2) is integrated with the log rule. `tmax` is the
// subject's Tmax (only kLinearLog looks at it).
bool uses_log_rule(AucMethod method, double t1, double c1, double c2, double tmax);

// Area of one segment, by the log rule if `log_rule` (needs c1 > c2 > 0) else linear.
double segment_auc(double t1, double c1, double t2, double c2, bool log_rule);
// First moment area of one segment.
double segment_aumc(double t1, double c1, double t2, double c2, bool log_rule);
// Concentration at t in [t1, t2] on the same curve the segment integrates (linear or
// exponential).
double segment_interpolate(double t1, double c1, double t2, double c2, bool log_rule, double t);

}  // namespace onset::nca
