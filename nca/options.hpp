// NCA's settings as a user gives them (the options of `onset nca`, the arguments of onset_nca()
// in R and onset.nca() in Python) read into NcaOptions by one function, so that the command and
// the api (api/onset_api.cpp) accept the same names and units and refuse the same mistakes.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nca/nca.hpp"

namespace onset::nca {

struct NcaSettings {
  std::string route;           // bolus, infusion, extravascular
  double duration = 0;         // infusion duration (time unit of the data)
  bool tissue = false;         // tissue data: the curve starts at 0 at dose time, no C0, no CL or V
  std::string auc = "linear";  // linear, linear-log, linear-up-log-down
  std::string blq = "zero-before-tmax";  // zero-before-tmax, zero, missing
  // Units (io/units.hpp spellings): of the data, of the dose and of the results; an empty
  // output unit is the data's.
  std::string time_unit = "h";
  std::string conc_unit = "mg/L";
  std::string dose_unit = "mg";
  std::string output_time_unit;
  std::string output_conc_unit;
  std::string volume_unit = "L";
  std::vector<std::pair<double, double>> intervals;  // partial AUCs, [start, end] (data time)
  // lambda_z: a time range (both ends), or the last N points (N >= 2), or neither (best fit).
  std::optional<double> lambda_z_start;
  std::optional<double> lambda_z_end;
  int lambda_z_points = 0;
  double max_extrapolated = 20;  // percent
  double min_r2adj = 0;
};

// How messages name the settings: the api's argument names (lambda_z_start), or the command's
// options (--lambdaz-start).
struct NcaSettingNames {
  std::string duration = "duration";
  std::string lambda_z_start = "lambda_z_start";
  std::string lambda_z_end = "lambda_z_end";
  std::string lambda_z_points = "lambda_z_points";
  std::string max_extrapolated = "max_extrapolated";
  std::string min_r2adj = "min_r2adj";
  std::string interval = "interval";
  static NcaSettingNames command_line();
};

// The options of `settings`. Throws UserError (no place: the caller names the command or
// function) for an unknown route, AUC rule, BLQ rule or unit, a number that is not finite,
// lambda_z's range half given or given with a point count, a point count below 2, or options
// that NcaOptions::IsValid refuses.
NcaOptions nca_options(const NcaSettings& settings, const NcaSettingNames& names = {});

}  // namespace onset::nca
