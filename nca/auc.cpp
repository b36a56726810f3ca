#include "nca/auc.hpp"

#include <cmath>

namespace onset::nca {

bool uses_log_rule(AucMethod method, double t1, double c1, double c2, double tmax) {
  const bool declining_positive = c2 < c1 && c2 > 0 && c1 > 0;
  switch (method) {
    case AucMethod::kLinear:
      return false;
    case AucMethod::kLinearUpLogDown:
      return declining_positive;
    case AucMethod::kLinearLog:
      return declining_positive && t1 >= tmax;
  }
  return false;
}

double segment_auc(double t1, double c1, double t2, double c2, bool log_rule) {
  const double dt = t2 - t1;
  if (!log_rule) return dt * (c1 + c2) / 2.0;
  return dt * (c1 - c2) / std::log(c1 / c2);
}

double segment_aumc(double t1, double c1, double t2, double c2, bool log_rule) {
  const double dt = t2 - t1;
  if (!log_rule) return dt * (t1 * c1 + t2 * c2) / 2.0;
  const double k = std::log(c1 / c2) / dt;
  return (t1 * c1 - t2 * c2) / k + (c1 - c2) / (k * k);
}

double segment_interpolate(double t1, double c1, double t2, double c2, bool log_rule, double t) {
  if (t <= t1) return c1;
  if (t >= t2) return c2;
  const double fraction = (t - t1) / (t2 - t1);
  if (!log_rule) return c1 + fraction * (c2 - c1);
  return c1 * std::exp(fraction * std::log(c2 / c1));
}

}  // namespace onset::nca
