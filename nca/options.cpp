#include "nca/options.hpp"

#include <cmath>

#include "io/user_error.hpp"

namespace onset::nca {
namespace {

double finite(double value, const std::string& name) {
  if (!std::isfinite(value)) throw UserError({}, name + ": expected a finite number");
  return value;
}

template <typename Unit, typename Parse>
Unit unit_of(const std::string& text, Parse parse, const std::string& what,
             const std::string& examples) {
  if (auto unit = parse(text)) return *unit;
  throw UserError({}, "unknown " + what + " unit '" + text + "'", examples);
}

}  // namespace

NcaSettingNames NcaSettingNames::command_line() {
  NcaSettingNames names;
  names.duration = "--duration";
  names.lambda_z_start = "--lambdaz-start";
  names.lambda_z_end = "--lambdaz-end";
  names.lambda_z_points = "--lambdaz-points";
  names.max_extrapolated = "--max-extrapolated";
  names.min_r2adj = "--min-r2adj";
  names.interval = "--interval";
  return names;
}

NcaOptions nca_options(const NcaSettings& settings, const NcaSettingNames& names) {
  NcaOptions options;
  const auto route = parse_route(settings.route);
  if (!route)
    throw UserError({}, "route: found '" + settings.route + "'",
                    "bolus, infusion or extravascular");
  options.route = *route;
  options.infusion_duration = finite(settings.duration, names.duration);
  const auto auc = parse_auc_method(settings.auc);
  if (!auc)
    throw UserError({}, "auc: found '" + settings.auc + "'",
                    "linear, linear-log or linear-up-log-down");
  options.auc_method = *auc;
  const auto blq = parse_blq_rule(settings.blq);
  if (!blq)
    throw UserError({}, "blq: found '" + settings.blq + "'", "zero-before-tmax, zero or missing");
  options.blq_rule = *blq;
  options.tissue = settings.tissue;
  options.max_auc_extrapolated_percent = finite(settings.max_extrapolated, names.max_extrapolated);
  options.min_adjusted_r_squared = finite(settings.min_r2adj, names.min_r2adj);
  if (settings.lambda_z_start || settings.lambda_z_end) {
    if (!settings.lambda_z_start || !settings.lambda_z_end)
      throw UserError({}, names.lambda_z_start + " and " + names.lambda_z_end + " go together");
    if (settings.lambda_z_points > 0)
      throw UserError({}, "give " + names.lambda_z_points + " or " + names.lambda_z_start + "/" +
                              names.lambda_z_end + ", not both");
    options.lambda_z.mode = LambdaZSelection::Mode::kTimeRange;
    options.lambda_z.start_time = finite(*settings.lambda_z_start, names.lambda_z_start);
    options.lambda_z.end_time = finite(*settings.lambda_z_end, names.lambda_z_end);
  } else if (settings.lambda_z_points != 0) {
    if (settings.lambda_z_points < 2)
      throw UserError({}, names.lambda_z_points + " = " + std::to_string(settings.lambda_z_points),
                      "2 or more (two points define the log-linear line)");
    options.lambda_z.mode = LambdaZSelection::Mode::kLastPoints;
    options.lambda_z.point_count = settings.lambda_z_points;
  }
  for (const auto& [start, end] : settings.intervals)
    options.partial_aucs.push_back(
        {finite(start, names.interval + " start"), finite(end, names.interval + " end")});

  const std::string times = "s, min, h, day, week";
  const std::string concentrations =
      "mass/volume such as ng/mL, ug/mL, mg/L, or %ID, %ID/g, %ID/mL";
  NcaUnits& units = options.units;
  units.time = unit_of<TimeUnit>(settings.time_unit, parse_time_unit, "time", times);
  units.concentration = unit_of<ConcentrationUnit>(settings.conc_unit, parse_concentration_unit,
                                                   "concentration", concentrations);
  units.dose = unit_of<MassUnit>(settings.dose_unit, parse_mass_unit, "dose", "g, mg, ug, ng, pg");
  units.output_time =
      settings.output_time_unit.empty()
          ? units.time
          : unit_of<TimeUnit>(settings.output_time_unit, parse_time_unit, "time", times);
  units.output_concentration =
      settings.output_conc_unit.empty()
          ? units.concentration
          : unit_of<ConcentrationUnit>(settings.output_conc_unit, parse_concentration_unit,
                                       "concentration", concentrations);
  units.output_volume =
      unit_of<VolumeUnit>(settings.volume_unit, parse_volume_unit, "volume", "L, dL, mL, uL");
  std::string why;
  if (!options.IsValid(&why)) throw UserError({}, why);
  return options;
}

}  // namespace onset::nca
