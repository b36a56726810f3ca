// Non-compartmental analysis of one concentration-time profile after a single dose given at
// time 0: what (Profile), how (NcaOptions), what happened (NcaResult). Parameter names are CDISC
// PPTESTCD codes; conventions follow Phoenix WinNonlin and PKNCA (see fits/README.md).
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nca/auc.hpp"
#include "nca/lambda_z.hpp"
#include "nca/units.hpp"

namespace onset::nca {

enum class Route {
  kIvBolus,        // instantaneous intravascular dose; C0 back-extrapolated
  kIvInfusion,     // constant-rate intravascular infusion of known duration
  kExtravascular,  // oral, subcutaneous, ...: CL and V are apparent (CL/F, Vz/F)
};
std::string_view route_name(Route route);  // "bolus", "infusion", "extravascular"
std::optional<Route> parse_route(std::string_view name);

std::string_view auc_method_name(AucMethod method);  // "linear", "linear-up-log-down", "linear-log"
std::optional<AucMethod> parse_auc_method(std::string_view name);

// What to do with concentrations below the lower limit of quantification.
enum class BlqRule {
  // Before Tmax (of the quantifiable values) set to 0, at or after Tmax dropped (treated as
  // missing). The usual rule for single-dose profiles.
  kZeroBeforeTmaxMissingAfter,
  kAllZero,     // every BLQ value set to 0
  kAllMissing,  // every BLQ value dropped
};
std::string_view blq_rule_name(BlqRule rule);  // "zero-before-tmax", "zero", "missing"
std::optional<BlqRule> parse_blq_rule(std::string_view name);

struct PartialAucInterval {
  double start = 0;  // data time unit, >= 0
  double end = 0;    // > start
};

struct NcaOptions {
  // Route of administration; decides C0, the F-suffixed names and the MRT correction.
  Route route = Route::kExtravascular;
  // The samples are from a tissue (an organ), not from the compartment dosed: the curve starts
  // at 0 at the dose time whatever the route (no C0 back-extrapolation, no AUCPBE), and no
  // clearance or volume is derived (a tissue AUC is not dose / CL).
  bool tissue = false;
  // Infusion duration (data time unit); required > 0 for kIvInfusion, ignored otherwise.
  double infusion_duration = 0;
  // Trapezoid rule for AUC and AUMC.
  AucMethod auc_method = AucMethod::kLinear;
  // BLQ handling; a sample is BLQ when flagged so in the data or below its LLOQ.
  BlqRule blq_rule = BlqRule::kZeroBeforeTmaxMissingAfter;
  // Terminal-phase selection.
  LambdaZSelection lambda_z;
  // Fewest points for a best-fit regression (3 in Phoenix and PKNCA).
  int lambda_z_min_points = 3;
  // Best fit: fits within this much of the largest adjusted R^2 count as ties, broken by the
  // number of points (1e-4 in Phoenix and PKNCA).
  double adjusted_r2_tolerance = 1e-4;
  // Results extrapolated to infinity (AUCIFO, CLO, VZO, ...) are excluded, with the reason,
  // when the extrapolated percentage of AUC exceeds this. 100 turns the rule off.
  double max_auc_extrapolated_percent = 20;
  // Lambda_z-derived results are excluded when the terminal regression's adjusted R^2 is below
  // this. 0 turns the rule off (the default: the fit statistics are always reported).
  double min_adjusted_r_squared = 0;
  // Partial AUCs (AUCINT) over these intervals.
  std::vector<PartialAucInterval> partial_aucs;
  // Units of the data and of the results.
  NcaUnits units;
  // Asked now and then during a long profile (the lambda_z search); returning true stops
  // run_nca with NcaCancelled (the CLI passes its Ctrl-C flag). Empty: never asked.
  std::function<bool()> cancelled;

  bool IsValid(std::string* why) const;
};

// One observation. A missing concentration is NaN; `blq` marks values below the LLOQ (their
// `conc` is ignored).
struct Sample {
  double time = 0;
  double conc = 0;
  bool blq = false;
  int line = 0;  // line in the input file, 0 if none
};

struct Profile {
  std::string subject;
  std::string group;            // organ/analyte/cohort; empty if the data have none
  std::vector<Sample> samples;  // in time order, times distinct
  double dose = std::numeric_limits<double>::quiet_NaN();  // dose unit; NaN: unknown
};

// One result. `value` is NaN when not available; `note` says why. An `excluded` result was
// computed (its value is kept) but fails a rule (e.g. AUC extrapolated > 20 %) and must not be
// used; `note` says which.
struct NcaParameter {
  std::string code;  // PPTESTCD, e.g. "AUCIFO"; "AUCINT" for partial AUCs
  double value = std::numeric_limits<double>::quiet_NaN();
  std::string unit;
  std::string note;
  bool excluded = false;
  std::optional<PartialAucInterval> interval;  // AUCINT only

  bool usable() const { return !excluded && value == value; }
  // Key for reports: the code, or "AUCINT_<start>_<end>".
  std::string key() const;
};

struct NcaResult {
  std::string subject;
  std::string group;
  // Set when no parameter could be computed at all (e.g. no usable concentration).
  bool excluded = false;
  std::string exclusion_reason;
  std::vector<NcaParameter> parameters;  // in report order
  LambdaZFit lambda_z;
  // How the data were handled: BLQ replacements, dropped samples, inserted dose-time points.
  std::vector<std::string> notes;

  // The parameter with this code (or key, for AUCINT); nullptr if not reported.
  const NcaParameter* find(std::string_view key) const;
  // Its value when usable, NaN otherwise.
  double value(std::string_view key) const;
};

// Runs NCA on one profile. Never throws for data problems: they become notes and exclusion
// reasons. Throws std::invalid_argument when `options` is not valid.
NcaResult run_nca(const Profile& profile, const NcaOptions& options);

}  // namespace onset::nca
