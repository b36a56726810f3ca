#include "nca/nca.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "io/format.hpp"

namespace onset::nca {

using onset::format_number;
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string format_percent(double value) { return format_number(value, 3); }

// A point of the curve that is integrated: the observations, plus the dose-time point.
struct CurvePoint {
  double time;
  double conc;
};

// Area and first moment of the curve between a and b (a < b), within [curve.front, curve.back]:
// each segment integrated by its own rule, cut at a and b on the same (linear or exponential)
// curve.
std::pair<double, double> curve_area(const std::vector<CurvePoint>& curve, AucMethod method,
                                     double tmax, double a, double b) {
  double auc = 0;
  double aumc = 0;
  for (std::size_t i = 0; i + 1 < curve.size(); ++i) {
    const CurvePoint& p = curve[i];
    const CurvePoint& q = curve[i + 1];
    const double lo = std::max(a, p.time);
    const double hi = std::min(b, q.time);
    if (!(hi > lo)) continue;
    const bool log_rule = uses_log_rule(method, p.time, p.conc, q.conc, tmax);
    const double c_lo = segment_interpolate(p.time, p.conc, q.time, q.conc, log_rule, lo);
    const double c_hi = segment_interpolate(p.time, p.conc, q.time, q.conc, log_rule, hi);
    auc += segment_auc(lo, c_lo, hi, c_hi, log_rule);
    aumc += segment_aumc(lo, c_lo, hi, c_hi, log_rule);
  }
  return {auc, aumc};
}

class ParameterList {
 public:
  // `why_missing` is kept only when the value is NaN.
  void add(std::string code, double value, std::string unit, std::string why_missing = {}) {
    const bool missing = value != value;
    add_with_note(
        std::move(code), value, std::move(unit),
        missing ? (why_missing.empty() ? "not available" : std::move(why_missing)) : std::string());
  }
  // `note` is kept whatever the value (e.g. how C0 was obtained).
  void add_with_note(std::string code, double value, std::string unit, std::string note) {
    NcaParameter parameter;
    parameter.code = std::move(code);
    parameter.value = value;
    parameter.unit = std::move(unit);
    parameter.note = std::move(note);
    list_.push_back(std::move(parameter));
  }
  void add_interval(PartialAucInterval interval, double value, std::string unit, std::string note) {
    add_with_note("AUCINT", value, std::move(unit), std::move(note));
    list_.back().interval = interval;
  }
  // Marks the named results (if computed) as excluded, with the reason.
  void exclude(const std::set<std::string>& codes, const std::string& reason) {
    for (auto& parameter : list_) {
      if (codes.count(parameter.code) == 0 || parameter.excluded) continue;
      if (parameter.value != parameter.value) continue;
      parameter.excluded = true;
      parameter.note = reason;
    }
  }
  std::vector<NcaParameter> take() { return std::move(list_); }

 private:
  std::vector<NcaParameter> list_;
};

}  // namespace

std::string_view route_name(Route route) {
  switch (route) {
    case Route::kIvBolus:
      return "bolus";
    case Route::kIvInfusion:
      return "infusion";
    case Route::kExtravascular:
      return "extravascular";
  }
  return "?";
}

std::optional<Route> parse_route(std::string_view name) {
  if (name == "bolus" || name == "iv-bolus") return Route::kIvBolus;
  if (name == "infusion" || name == "iv-infusion") return Route::kIvInfusion;
  if (name == "extravascular" || name == "ev" || name == "oral") return Route::kExtravascular;
  return std::nullopt;
}

std::string_view auc_method_name(AucMethod method) {
  switch (method) {
    case AucMethod::kLinear:
      return "linear";
    case AucMethod::kLinearUpLogDown:
      return "linear-up-log-down";
    case AucMethod::kLinearLog:
      return "linear-log";
  }
  return "?";
}

std::optional<AucMethod> parse_auc_method(std::string_view name) {
  if (name == "linear") return AucMethod::kLinear;
  if (name == "linear-up-log-down" || name == "lin-up-log-down") {
    return AucMethod::kLinearUpLogDown;
  }
  if (name == "linear-log" || name == "lin-log") return AucMethod::kLinearLog;
  return std::nullopt;
}

std::string_view blq_rule_name(BlqRule rule) {
  switch (rule) {
    case BlqRule::kZeroBeforeTmaxMissingAfter:
      return "zero-before-tmax";
    case BlqRule::kAllZero:
      return "zero";
    case BlqRule::kAllMissing:
      return "missing";
  }
  return "?";
}

std::optional<BlqRule> parse_blq_rule(std::string_view name) {
  if (name == "zero-before-tmax") return BlqRule::kZeroBeforeTmaxMissingAfter;
  if (name == "zero") return BlqRule::kAllZero;
  if (name == "missing") return BlqRule::kAllMissing;
  return std::nullopt;
}

bool NcaOptions::IsValid(std::string* why) const {
  auto fail = [why](std::string message) {
    if (why != nullptr) *why = std::move(message);
    return false;
  };
  if (route == Route::kIvInfusion && !(infusion_duration > 0)) {
    return fail("an IV infusion needs a duration > 0 (--duration)");
  }
  if (!(infusion_duration >= 0)) return fail("the infusion duration must be >= 0");
  if (lambda_z_min_points < 2) return fail("lambda_z needs at least 2 points");
  if (!(adjusted_r2_tolerance >= 0)) return fail("adjusted_r2_tolerance must be >= 0");
  if (!(max_auc_extrapolated_percent >= 0)) {
    return fail("the extrapolation limit must be a percentage >= 0");
  }
  if (!(min_adjusted_r_squared <= 1)) return fail("min_adjusted_r_squared must be <= 1");
  if (!units.output_concentration.convertible_from(units.concentration)) {
    return fail("concentrations in " + units.concentration.name() + " cannot be reported in " +
                units.output_concentration.name() +
                " (%ID, %ID/g and mass/volume are different kinds)");
  }
  using Mode = LambdaZSelection::Mode;
  if (lambda_z.mode == Mode::kTimeRange && !(lambda_z.end_time > lambda_z.start_time)) {
    return fail("the lambda_z time range needs start < end (got " +
                format_number(lambda_z.start_time) + ", " + format_number(lambda_z.end_time) + ")");
  }
  if (lambda_z.mode == Mode::kLastPoints && lambda_z.point_count < 2) {
    return fail("lambda_z needs at least 2 points (got " + std::to_string(lambda_z.point_count) +
                ")");
  }
  for (const auto& interval : partial_aucs) {
    if (!(interval.start >= 0) || !(interval.end > interval.start)) {
      return fail("a partial AUC interval needs 0 <= start < end (got " +
                  format_number(interval.start) + ", " + format_number(interval.end) + ")");
    }
  }
  return true;
}

std::string NcaParameter::key() const {
  if (!interval) return code;
  return code + "_" + format_number(interval->start) + "_" + format_number(interval->end);
}

const NcaParameter* NcaResult::find(std::string_view key) const {
  for (const auto& parameter : parameters) {
    if (parameter.key() == key) return &parameter;
  }
  return nullptr;
}

double NcaResult::value(std::string_view key) const {
  const NcaParameter* parameter = find(key);
  return parameter != nullptr && parameter->usable() ? parameter->value : kNaN;
}

NcaResult run_nca(const Profile& profile, const NcaOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) throw std::invalid_argument("invalid NCA options: " + why);

  NcaResult result;
  result.subject = profile.subject;
  result.group = profile.group;

  // Units: convert once, here. Results are in the output units.
  const NcaUnits& units = options.units;
  const double time_factor = units.time.hours / units.output_time.hours;
  const double conc_factor = units.concentration.milligrams_per_litre() /
                             units.output_concentration.milligrams_per_litre();
  // Dose in the mass unit of the output concentration, so dose / AUC is a volume per time in
  // the output concentration's volume unit; volume_factor then takes that volume to the output
  // volume unit.
  // Concentrations in %ID: the dose is 100 %ID whatever the dose given.
  const bool dose_percent = units.output_concentration.mass.dose_percent;
  const double dose = dose_percent ? 100.0
                                   : profile.dose * units.dose.milligrams /
                                         units.output_concentration.mass.milligrams;
  const double volume_factor =
      units.output_concentration.volume.litres / units.output_volume.litres;
  const std::string time_unit = units.output_time.name;
  const std::string conc_unit = units.output_concentration.name();
  const std::string auc_unit = time_unit + "*" + conc_unit;
  const std::string aumc_unit = time_unit + "^2*" + conc_unit;
  const std::string volume_unit = units.output_volume.name;
  const std::string clearance_unit = volume_unit + "/" + time_unit;
  const std::string rate_unit = "1/" + time_unit;
  // Tissue samples after a bolus start at 0 like any other curve that the dose enters later.
  const bool bolus = options.route == Route::kIvBolus && !options.tissue;
  const bool extravascular = options.route == Route::kExtravascular;
  const double infusion_duration =
      options.route == Route::kIvInfusion ? options.infusion_duration * time_factor : 0.0;

  auto exclude_all = [&](std::string reason) {
    result.excluded = true;
    result.exclusion_reason = std::move(reason);
    return result;
  };

  // 1. Usable observations: order checked, pre-dose and missing dropped, BLQ rule applied.
  for (std::size_t i = 1; i < profile.samples.size(); ++i) {
    if (!(profile.samples[i].time > profile.samples[i - 1].time)) {
      return exclude_all(
          "times not strictly increasing: t = " + format_number(profile.samples[i].time) +
          " follows t = " + format_number(profile.samples[i - 1].time));
    }
  }
  std::vector<Sample> kept;
  int dropped_predose = 0;
  int dropped_missing = 0;
  for (const Sample& sample : profile.samples) {
    if (sample.time < 0) {
      ++dropped_predose;
    } else if (!sample.blq && sample.conc != sample.conc) {
      ++dropped_missing;
    } else {
      kept.push_back(sample);
    }
  }
  if (dropped_predose > 0) {
    result.notes.push_back(std::to_string(dropped_predose) +
                           " pre-dose sample(s) (t < 0) not used");
  }
  if (dropped_missing > 0) {
    result.notes.push_back(std::to_string(dropped_missing) + " missing concentration(s) dropped");
  }
  double blq_tmax = kNaN;  // Tmax of the quantifiable values
  double blq_cmax = -1;
  for (const Sample& sample : kept) {
    if (!sample.blq && sample.conc > blq_cmax) {
      blq_cmax = sample.conc;
      blq_tmax = sample.time;
    }
  }
  std::vector<double> times;
  std::vector<double> concs;
  int blq_zero = 0;
  int blq_dropped = 0;
  for (const Sample& sample : kept) {
    double conc = sample.conc;
    if (sample.blq) {
      bool to_zero = false;
      switch (options.blq_rule) {
        case BlqRule::kAllZero:
          to_zero = true;
          break;
        case BlqRule::kAllMissing:
          to_zero = false;
          break;
        case BlqRule::kZeroBeforeTmaxMissingAfter:
          // With no quantifiable value there is no Tmax: every BLQ value counts as before it.
          to_zero = blq_tmax != blq_tmax || sample.time < blq_tmax;
          break;
      }
      if (!to_zero) {
        ++blq_dropped;
        continue;
      }
      ++blq_zero;
      conc = 0;
    }
    times.push_back(sample.time * time_factor);
    concs.push_back(conc * conc_factor);
  }
  if (blq_zero + blq_dropped > 0) {
    result.notes.push_back("BLQ rule '" + std::string(blq_rule_name(options.blq_rule)) +
                           "': " + std::to_string(blq_zero) + " BLQ value(s) set to 0, " +
                           std::to_string(blq_dropped) + " dropped");
  }
  if (times.empty()) return exclude_all("no usable concentrations");

  ParameterList out;
  // 2. Cmax, Tmax (first occurrence), Clast, Tlast (last positive concentration).
  std::size_t imax = 0;
  for (std::size_t i = 1; i < concs.size(); ++i) {
    if (concs[i] > concs[imax]) imax = i;
  }
  const double cmax = concs[imax];
  const double tmax = times[imax];
  if (!(cmax > 0)) {
    out.add("CMAX", cmax, conc_unit);
    result.parameters = out.take();
    return exclude_all("no positive concentration");
  }
  std::size_t ilast = concs.size() - 1;
  while (!(concs[ilast] > 0)) --ilast;
  const double tlast = times[ilast];
  const double clast = concs[ilast];

  // 3. The curve from dose time: C0 for a bolus, else 0, where no sample was taken at t = 0.
  std::vector<CurvePoint> curve;
  double c0 = kNaN;
  std::string c0_note;
  if (bolus) {
    if (times.front() == 0) {
      c0 = concs.front();
      c0_note = "observed at t = 0";
    } else if (concs.size() >= 2 && concs[1] < concs[0] && concs[1] > 0) {
      // Log-linear back-extrapolation through the first two points.
      const double slope = std::log(concs[1] / concs[0]) / (times[1] - times[0]);
      c0 = concs[0] * std::exp(-slope * times[0]);
      c0_note = "log-linear back-extrapolation from the first two points";
    } else {
      for (double conc : concs) {
        if (conc > 0) {
          c0 = conc;
          break;
        }
      }
      c0_note = "first positive concentration (first two points not declining)";
    }
    if (times.front() > 0) {
      curve.push_back({0.0, c0});
      result.notes.push_back("C0 = " + format_number(c0) + " at t = 0 (" + c0_note + ")");
    }
  } else if (times.front() > 0) {
    curve.push_back({0.0, 0.0});
    result.notes.push_back("concentration 0 assumed at dose time t = 0");
  }
  const std::size_t first_observation = curve.size();
  for (std::size_t i = 0; i < times.size(); ++i) curve.push_back({times[i], concs[i]});
  const std::size_t curve_last = first_observation + ilast;
  // Tmax of the integrated curve (a back-extrapolated C0 may exceed the observed Cmax): where
  // the linear-log rule switches to logs.
  double curve_tmax = tmax;
  if (bolus && c0 > cmax) curve_tmax = 0;

  const std::vector<CurvePoint> to_tlast(
      curve.begin(), curve.begin() + static_cast<std::ptrdiff_t>(curve_last + 1));
  const auto [auclast, aumclast] =
      curve_area(to_tlast, options.auc_method, curve_tmax, curve.front().time, tlast);
  const double aucall =
      curve.back().time > curve.front().time
          ? curve_area(curve, options.auc_method, curve_tmax, curve.front().time, curve.back().time)
                .first
          : 0.0;
  const double auc_back_extrapolated =
      bolus && first_observation == 1
          ? curve_area(curve, options.auc_method, curve_tmax, 0.0, curve[1].time).first
          : 0.0;

  // 4. Terminal phase.
  LambdaZSelection selection = options.lambda_z;
  selection.start_time *= time_factor;
  selection.end_time *= time_factor;
  const LambdaZFit fit =
      estimate_lambda_z(times, concs, tmax, bolus, selection, options.lambda_z_min_points,
                        options.adjusted_r2_tolerance, options.cancelled);
  result.lambda_z = fit;
  const bool has_lambda = fit.estimated;
  const double lambda_z = has_lambda ? fit.lambda_z : kNaN;
  const std::string no_lambda = has_lambda ? "" : "LAMZ not estimable: " + fit.reason;

  const double clast_pred = has_lambda ? std::exp(fit.intercept - lambda_z * tlast) : kNaN;
  const double aucifo = auclast + clast / lambda_z;
  const double aucifp = auclast + clast_pred / lambda_z;
  const double aumcifo = aumclast + clast * tlast / lambda_z + clast / (lambda_z * lambda_z);
  const double aumcifp =
      aumclast + clast_pred * tlast / lambda_z + clast_pred / (lambda_z * lambda_z);
  const double aucpeo = (aucifo - auclast) / aucifo * 100.0;
  const double aucpep = (aucifp - auclast) / aucifp * 100.0;
  const double aumcpeo = (aumcifo - aumclast) / aumcifo * 100.0;
  const double aumcpep = (aumcifp - aumclast) / aumcifp * 100.0;

  // 5. Report, in Phoenix's order.
  if (bolus) out.add_with_note("C0", c0, conc_unit, c0_note);
  out.add("TMAX", tmax, time_unit);
  out.add("CMAX", cmax, conc_unit);
  out.add("TLST", tlast, time_unit);
  out.add("CLST", clast, conc_unit);
  out.add("AUCLST", auclast, auc_unit);
  out.add("AUCALL", aucall, auc_unit);
  out.add("AUMCLST", aumclast, aumc_unit);
  const double npoints = fit.point_count > 0 && (has_lambda || fit.point_count >= 2)
                             ? static_cast<double>(fit.point_count)
                             : kNaN;
  out.add("LAMZNPT", has_lambda ? npoints : kNaN, "", no_lambda);
  out.add("LAMZLL", has_lambda ? fit.first_time : kNaN, time_unit, no_lambda);
  out.add("LAMZUL", has_lambda ? fit.last_time : kNaN, time_unit, no_lambda);
  out.add("LAMZ", lambda_z, rate_unit, no_lambda);
  out.add("LAMZHL", std::log(2.0) / lambda_z, time_unit, no_lambda);
  out.add("R2", has_lambda ? fit.r_squared : kNaN, "", no_lambda);
  out.add("R2ADJ", has_lambda ? fit.adjusted_r_squared : kNaN, "",
          has_lambda ? "needs 3 or more points in the regression" : no_lambda);
  out.add("LAMZSPN", fit.span_ratio(), "", no_lambda);
  out.add("CLSTP", clast_pred, conc_unit, no_lambda);
  out.add("AUCIFO", aucifo, auc_unit, no_lambda);
  out.add("AUCIFP", aucifp, auc_unit, no_lambda);
  out.add("AUCPEO", aucpeo, "%", no_lambda);
  out.add("AUCPEP", aucpep, "%", no_lambda);
  if (bolus) {
    out.add("AUCPBEO", auc_back_extrapolated / aucifo * 100.0, "%", no_lambda);
    out.add("AUCPBEP", auc_back_extrapolated / aucifp * 100.0, "%", no_lambda);
  }
  out.add("AUMCIFO", aumcifo, aumc_unit, no_lambda);
  out.add("AUMCIFP", aumcifp, aumc_unit, no_lambda);
  out.add("AUMCPEO", aumcpeo, "%", no_lambda);
  out.add("AUMCPEP", aumcpep, "%", no_lambda);

  // No clearance or volume from a tissue curve, nor from amounts per organ or per gram.
  std::string no_clearance;
  if (options.tissue) {
    no_clearance = "not derived from tissue samples (a tissue AUC is not dose / CL)";
  } else if (!units.output_concentration.per_volume()) {
    no_clearance = "not derived from " + conc_unit + " (needs a concentration per volume)";
  }
  const bool has_dose = dose > 0 && no_clearance.empty();
  const std::string no_dose = !no_clearance.empty()          ? no_clearance
                              : profile.dose != profile.dose ? "no dose given"
                                                             : "dose is not positive";
  const std::string no_lambda_or_dose = !has_lambda ? no_lambda : (has_dose ? "" : no_dose);
  const double clo = has_dose ? dose / aucifo * volume_factor : kNaN;
  const double clp = has_dose ? dose / aucifp * volume_factor : kNaN;
  const double vzo = has_dose ? dose / (lambda_z * aucifo) * volume_factor : kNaN;
  const double vzp = has_dose ? dose / (lambda_z * aucifp) * volume_factor : kNaN;
  // MRT of an infusion counts from the middle of the infusion.
  const double mrt_correction = infusion_duration / 2.0;
  const double mrtlst = aumclast / auclast - mrt_correction;
  const double mrtifo = aumcifo / aucifo - mrt_correction;
  const double mrtifp = aumcifp / aucifp - mrt_correction;
  if (extravascular) {
    out.add("MRTEVLST", mrtlst, time_unit);
    out.add("MRTEVIFO", mrtifo, time_unit, no_lambda);
    out.add("MRTEVIFP", mrtifp, time_unit, no_lambda);
    out.add("CLFO", clo, clearance_unit, no_lambda_or_dose);
    out.add("CLFP", clp, clearance_unit, no_lambda_or_dose);
    out.add("VZFO", vzo, volume_unit, no_lambda_or_dose);
    out.add("VZFP", vzp, volume_unit, no_lambda_or_dose);
  } else {
    out.add("MRTIVLST", mrtlst, time_unit);
    out.add("MRTIVIFO", mrtifo, time_unit, no_lambda);
    out.add("MRTIVIFP", mrtifp, time_unit, no_lambda);
    out.add("CLO", clo, clearance_unit, no_lambda_or_dose);
    out.add("CLP", clp, clearance_unit, no_lambda_or_dose);
    out.add("VZO", vzo, volume_unit, no_lambda_or_dose);
    out.add("VZP", vzp, volume_unit, no_lambda_or_dose);
    out.add("VSSO", mrtifo * clo, volume_unit, no_lambda_or_dose);
    out.add("VSSP", mrtifp * clp, volume_unit, no_lambda_or_dose);
  }

  // 6. Partial AUCs: interpolated inside the data on each segment's own curve, extrapolated
  // after Tlast as Clast exp(-LAMZ (t - Tlast)).
  for (const PartialAucInterval& given : options.partial_aucs) {
    const PartialAucInterval interval{given.start * time_factor, given.end * time_factor};
    const std::string label =
        "[" + format_number(given.start) + ", " + format_number(given.end) + "]";
    if (interval.start < curve.front().time) {
      out.add_interval(given, kNaN, auc_unit, "interval " + label + " starts before the data");
      continue;
    }
    double area = 0;
    if (interval.start < tlast) {
      area += curve_area(to_tlast, options.auc_method, curve_tmax, interval.start,
                         std::min(interval.end, tlast))
                  .first;
    }
    if (interval.end > tlast) {
      if (!has_lambda) {
        out.add_interval(given, kNaN, auc_unit,
                         "interval " + label + " ends after TLST and " + no_lambda);
        continue;
      }
      const double from = std::max(interval.start, tlast);
      area += clast / lambda_z *
              (std::exp(-lambda_z * (from - tlast)) - std::exp(-lambda_z * (interval.end - tlast)));
    }
    out.add_interval(given, area, auc_unit, interval.end > tlast ? "extrapolated after TLST" : "");
  }

  // 7. Exclusion rules (values kept, flagged).
  const std::set<std::string> depends_on_lambda = {
      "LAMZ",     "LAMZHL",   "CLSTP",    "AUCIFO",  "AUCIFP",  "AUCPEO",  "AUCPEP",
      "AUCPBEO",  "AUCPBEP",  "AUMCIFO",  "AUMCIFP", "AUMCPEO", "AUMCPEP", "MRTEVIFO",
      "MRTEVIFP", "MRTIVIFO", "MRTIVIFP", "CLFO",    "CLFP",    "VZFO",    "VZFP",
      "CLO",      "CLP",      "VZO",      "VZP",     "VSSO",    "VSSP"};
  if (has_lambda && options.min_adjusted_r_squared > 0 &&
      !(fit.adjusted_r_squared >= options.min_adjusted_r_squared)) {
    out.exclude(depends_on_lambda, "terminal regression adjusted R2 " +
                                       format_number(fit.adjusted_r_squared) + " < " +
                                       format_number(options.min_adjusted_r_squared));
  }
  if (has_lambda && aucpeo > options.max_auc_extrapolated_percent) {
    out.exclude({"AUCIFO", "AUMCIFO", "MRTEVIFO", "MRTIVIFO", "CLFO", "CLO", "VZFO", "VZO", "VSSO"},
                "AUC extrapolated " + format_percent(aucpeo) + "% > " +
                    format_number(options.max_auc_extrapolated_percent) + "%");
  }
  if (has_lambda && aucpep > options.max_auc_extrapolated_percent) {
    out.exclude({"AUCIFP", "AUMCIFP", "MRTEVIFP", "MRTIVIFP", "CLFP", "CLP", "VZFP", "VZP", "VSSP"},
                "AUC extrapolated (predicted Clast) " + format_percent(aucpep) + "% > " +
                    format_number(options.max_auc_extrapolated_percent) + "%");
  }
  result.parameters = out.take();
  return result;
}

}  // namespace onset::nca
