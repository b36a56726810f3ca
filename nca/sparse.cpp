#include "nca/sparse.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "io/format.hpp"

namespace onset::nca {

using onset::format_number;
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Values at one time, with the animal of each (empty animal: a distinct animal per row).
struct TimeGroup {
  double time = 0;
  std::vector<double> values;
  std::vector<std::string> animals;
};

std::vector<TimeGroup> by_time(const std::vector<SparseObservation>& observations) {
  std::map<double, TimeGroup> groups;
  for (const auto& observation : observations) {
    TimeGroup& group = groups[observation.time];
    group.time = observation.time;
    group.values.push_back(observation.conc);
    group.animals.push_back(observation.animal);
  }
  std::vector<TimeGroup> ordered;
  for (auto& [time, group] : groups) ordered.push_back(std::move(group));
  return ordered;
}

double mean_of(const std::vector<double>& values) {
  double sum = 0;
  for (double value : values) sum += value;
  return sum / static_cast<double>(values.size());
}

}  // namespace

bool SparseOptions::IsValid(std::string* why) const {
  if (!(confidence_level > 0 && confidence_level < 1)) {
    if (why != nullptr) *why = "the confidence level must be between 0 and 1 (e.g. 0.95)";
    return false;
  }
  return nca.IsValid(why);
}

SparseAuc sparse_auc(const std::vector<SparseObservation>& observations, double confidence_level,
                     bool zero_at_dose_time) {
  SparseAuc result;
  const std::vector<TimeGroup> groups = by_time(observations);
  if (groups.empty()) {
    result.reason = "no usable observations";
    return result;
  }
  const bool add_zero = zero_at_dose_time && groups.front().time > 0;
  if (add_zero) result.points.push_back({0.0, 0, 0.0, 0.0, 0.0});
  for (const TimeGroup& group : groups) {
    SparseTimePoint point;
    point.time = group.time;
    point.n = static_cast<int>(group.values.size());
    point.mean = mean_of(group.values);
    double ss = 0;
    for (double value : group.values) ss += (value - point.mean) * (value - point.mean);
    point.sd = point.n > 1 ? std::sqrt(ss / (point.n - 1)) : 0.0;
    result.points.push_back(point);
  }
  const std::size_t m = result.points.size();
  for (std::size_t i = 0; i < m; ++i) {
    const double before = i > 0 ? result.points[i].time - result.points[i - 1].time : 0.0;
    const double after = i + 1 < m ? result.points[i + 1].time - result.points[i].time : 0.0;
    result.points[i].weight = (before + after) / 2.0;
  }
  result.start_time = result.points.front().time;
  result.end_time = result.points.back().time;
  result.auc = 0;
  for (const auto& point : result.points) result.auc += point.weight * point.mean;
  if (m < 2) {
    result.reason = "fewer than 2 sampling times";
    return result;
  }

  // Bailer variance and Satterthwaite degrees of freedom.
  double variance = 0;
  double df_denominator = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const SparseTimePoint& point = result.points[i];
    if (add_zero && i == 0) continue;  // a known zero: no variance
    if (point.n < 2) {
      result.reason = "only 1 animal at t = " + format_number(point.time) +
                      ": no variance estimate, so no standard error";
      return result;
    }
    const double term = point.weight * point.weight * point.sd * point.sd / point.n;
    variance += term;
    df_denominator += term * term / (point.n - 1);
  }
  result.se_bailer = std::sqrt(variance);
  result.df = df_denominator > 0 ? variance * variance / df_denominator
                                 : std::numeric_limits<double>::infinity();

  // Nedelman-Jia covariance terms for animals sampled at several times.
  const std::size_t offset = add_zero ? 1 : 0;
  double covariance_sum = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    for (std::size_t j = i + 1; j < groups.size(); ++j) {
      const TimeGroup& gi = groups[i];
      const TimeGroup& gj = groups[j];
      std::vector<std::pair<double, double>> pairs;
      for (std::size_t a = 0; a < gi.animals.size(); ++a) {
        if (gi.animals[a].empty()) continue;
        for (std::size_t b = 0; b < gj.animals.size(); ++b) {
          if (gj.animals[b] == gi.animals[a]) pairs.emplace_back(gi.values[a], gj.values[b]);
        }
      }
      if (pairs.empty()) continue;
      result.repeated_sampling = true;
      const double r = static_cast<double>(pairs.size());
      if (pairs.size() < 2) continue;
      const SparseTimePoint& pi = result.points[i + offset];
      const SparseTimePoint& pj = result.points[j + offset];
      double cross = 0;
      for (const auto& [xi, xj] : pairs) cross += (xi - pi.mean) * (xj - pj.mean);
      double covariance = cross / ((r - 1) + (1 - r / pi.n) * (1 - r / pj.n));
      const double bound = pi.sd * pj.sd;
      covariance = std::clamp(covariance, -bound, bound);
      covariance_sum += 2 * pi.weight * pj.weight * r * covariance / (pi.n * pj.n);
    }
  }
  const double nj_variance = variance + covariance_sum;
  result.se_nedelman_jia = nj_variance >= 0 ? std::sqrt(nj_variance) : kNaN;

  const double alpha = 1 - confidence_level;
  const double z = boost::math::quantile(boost::math::normal(), 1 - alpha / 2);
  result.z_lower = result.auc - z * result.se_bailer;
  result.z_upper = result.auc + z * result.se_bailer;
  const double t = std::isfinite(result.df)
                       ? boost::math::quantile(boost::math::students_t(result.df), 1 - alpha / 2)
                       : z;
  result.t_lower = result.auc - t * result.se_bailer;
  result.t_upper = result.auc + t * result.se_bailer;
  if (result.se_nedelman_jia == result.se_nedelman_jia) {
    result.nj_z_lower = result.auc - z * result.se_nedelman_jia;
    result.nj_z_upper = result.auc + z * result.se_nedelman_jia;
  }
  result.estimated = true;
  return result;
}

std::vector<SparseGroupResult> run_sparse_nca(const std::vector<SparseObservation>& observations,
                                              const SparseOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) throw std::invalid_argument("invalid sparse NCA options: " + why);
  const NcaUnits& units = options.nca.units;
  const double time_factor = units.time.hours / units.output_time.hours;
  const double conc_factor = units.concentration.milligrams_per_litre() /
                             units.output_concentration.milligrams_per_litre();

  std::vector<std::string> group_order;
  std::map<std::string, std::vector<SparseObservation>> by_group;
  for (const auto& observation : observations) {
    if (by_group.count(observation.group) == 0) group_order.push_back(observation.group);
    by_group[observation.group].push_back(observation);
  }

  std::vector<SparseGroupResult> results;
  for (const std::string& name : group_order) {
    SparseGroupResult result;
    result.group = name;
    const auto& all = by_group[name];

    // Usable observations; Tmax for the BLQ rule from the means of the quantifiable values.
    std::map<double, std::pair<double, int>> quantifiable;  // time -> (sum, count)
    double dose = options.dose;
    int missing = 0;
    int predose = 0;
    for (const auto& observation : all) {
      if (observation.dose == observation.dose) dose = observation.dose;
      if (!observation.blq && observation.conc == observation.conc && observation.time >= 0) {
        auto& [sum, count] = quantifiable[observation.time];
        sum += observation.conc;
        ++count;
      }
    }
    double tmax = kNaN;
    double best = -1;
    for (const auto& [time, sum_count] : quantifiable) {
      const double mean = sum_count.first / sum_count.second;
      if (mean > best) {
        best = mean;
        tmax = time;
      }
    }
    std::vector<SparseObservation> usable;
    int blq_zero = 0;
    int blq_dropped = 0;
    for (SparseObservation observation : all) {
      if (observation.time < 0) {
        ++predose;
        continue;
      }
      if (observation.blq) {
        bool to_zero = options.nca.blq_rule == BlqRule::kAllZero ||
                       (options.nca.blq_rule == BlqRule::kZeroBeforeTmaxMissingAfter &&
                        (tmax != tmax || observation.time < tmax));
        if (!to_zero) {
          ++blq_dropped;
          continue;
        }
        ++blq_zero;
        observation.conc = 0;
      } else if (observation.conc != observation.conc) {
        ++missing;
        continue;
      }
      observation.time *= time_factor;
      observation.conc *= conc_factor;
      usable.push_back(std::move(observation));
    }
    if (predose > 0)
      result.notes.push_back(std::to_string(predose) + " pre-dose sample(s) not used");
    if (missing > 0) result.notes.push_back(std::to_string(missing) + " missing value(s) dropped");
    if (blq_zero + blq_dropped > 0) {
      result.notes.push_back("BLQ rule '" + std::string(blq_rule_name(options.nca.blq_rule)) +
                             "': " + std::to_string(blq_zero) + " set to 0, " +
                             std::to_string(blq_dropped) + " dropped");
    }

    const bool bolus = options.nca.route == Route::kIvBolus && !options.nca.tissue;
    result.auc = sparse_auc(usable, options.confidence_level, !bolus);
    if (bolus && !result.auc.points.empty() && result.auc.points.front().time > 0) {
      result.notes.push_back("IV bolus: the sparse AUC and its SE cover the sampled times only (" +
                             format_number(result.auc.start_time) + " to " +
                             format_number(result.auc.end_time) +
                             "); AUCLST of the mean profile includes the back-extrapolated part");
    }

    // NCA of the mean profile, already in output units.
    Profile profile;
    profile.subject = "mean";
    profile.group = name;
    profile.dose = dose;
    for (const auto& point : result.auc.points) {
      if (point.n == 0) continue;  // the added dose-time zero: run_nca adds its own
      profile.samples.push_back({point.time, point.mean, false, 0});
    }
    NcaOptions nca = options.nca;
    const NcaUnits given = units;
    nca.units = NcaUnits::same_as_data(given.output_time, given.output_concentration, given.dose);
    nca.units.output_volume = given.output_volume;
    nca.infusion_duration *= time_factor;
    nca.lambda_z.start_time *= time_factor;
    nca.lambda_z.end_time *= time_factor;
    for (auto& interval : nca.partial_aucs) {
      interval.start *= time_factor;
      interval.end *= time_factor;
    }
    result.mean_profile = run_nca(profile, nca);
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace onset::nca
