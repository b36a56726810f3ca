// A claim of rapid onset, as a reviewer writes it down: data/claims/*.yaml (format in
// check/README.md). The claim says who was treated (subject), with what (intervention), and
// which effects were seen within which time; each effect is tested by one or more checks, each
// a model, an observable, a direction and threshold, and the assumptions (priors with
// sources) that feed the model's parameters.
//
// Reading a claim resolves every prior reference against data/priors (for the subject's
// species), applies the claim's overrides, and derives clinical bounds (e.g. baseline
// bilirubin from a MELD score); errors in the claim file are ClaimFileError, errors in a prior
// file it uses PriorFileError, both with file:line:column.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/priors.hpp"
#include "pk/trajectory.hpp"

namespace onset::check {

// The data-file types a claim is made of, read by io/ (io/priors.hpp), in check's vocabulary.
using io::Citation;
using io::Interval;
using io::known_species;
using io::Prior;
using io::PriorFileError;
using io::PriorSet;

// A claim file that breaks a limit or does not follow the schema: where (file:line:column,
// 1-based) and what was expected. The YAML helpers' errors (io/yaml.hpp) met while reading the
// claim become this type with the same place and message; an error in a prior file the claim
// names stays a PriorFileError.
class ClaimFileError : public io::yaml::YamlFileError {
 public:
  ClaimFileError(std::string file, int line, int column, std::string message)
      : YamlFileError(std::move(file), line, column, std::move(message)) {}
  explicit ClaimFileError(const io::yaml::YamlFileError& error)
      : ClaimFileError(error.file(), error.line(), error.column(), error.reason()) {}
};

// An uncertain input of a check: its distribution, plausible range (the best-case box), unit
// and source. Either a prior from data/priors (possibly overridden by the claim), a prior the
// claim defines itself, or a range derived from the subject's clinical data.
struct Assumption {
  std::string name;    // "bilirubin/skin_equilibration_time_constant" or a claim-local name
  Prior prior;         // distribution, [low, high], unit, citation or assumption text
  std::string origin;  // "prior file data/priors/bilirubin.yaml", "claim", "derived: MELD"
  std::string override_reason;  // non-empty when the claim changed a prior's range
  std::string derived_from;     // the arithmetic of a derived range, in words

  bool fixed() const { return prior.low == prior.high; }
  // "Ruiz MA ... 1997 ..." or "assumption: ..." - what the value rests on, in one line.
  std::string source_text() const;
};

// How an assumption's value becomes a model parameter value.
enum class Transform {
  kValue,                 // the value itself (unit converted)
  kRateFromHalfLife,      // ln 2 / value
  kRateFromTimeConstant,  // 1 / value
};

struct ParameterBinding {
  std::string parameter;  // model parameter name
  // Fixed value (in `fixed_unit`) when assumption < 0.
  double fixed_value = 0;
  std::string fixed_unit;
  int assumption = -1;  // index into Claim::assumptions
  Transform transform = Transform::kValue;
  int line = 0;
  int column = 0;
};

struct Threshold {
  enum class Kind { kValue, kAssumption, kFractionOfInitial };
  Kind kind = Kind::kValue;
  double value = 0;     // kValue: in `unit`
  std::string unit;     // kValue: the value's unit (empty: the observable's unit)
  int assumption = -1;  // kAssumption
  double fraction = 0;  // kFractionOfInitial: threshold = fraction x observable at t = 0
  int line = 0;         // the threshold's value in the claim file (messages)
  int column = 0;
};

struct DoseSpec {
  std::string compartment;  // receiving compartment (a state of the model)
  double amount = 0;
  std::string unit;  // converted to the compartment's unit
  double time_h = 0;
  double duration_h = 0;  // 0: bolus
};

// A parameter that changes at a time during the check (pk::ParameterChange): an exchange
// session (plasma_exchange_clearance on for `duration_h`), a transplant at reperfusion
// (hepatic_function stepping to the graft's function at `time_h`, held), dialysis. The value
// is fixed or an assumption (binding.parameter, binding.fixed_* or binding.assumption); when
// `duration_h` is given the parameter returns to its value before the change at
// time_h + duration_h.
struct TimedChange {
  ParameterBinding binding;
  double time_h = 0;
  std::optional<double> duration_h;
};

enum class BoundKind {
  kMechanismFree,  // the organ repaired (fully or k-fold) at t = 0: physics of disposition only
  kMechanism,      // through the proposed mechanism
};
std::string bound_kind_name(BoundKind kind);

// One way of testing an effect: a model run from t = 0 (start of the intervention).
struct EffectCheck {
  BoundKind kind = BoundKind::kMechanismFree;
  std::string description;  // what this bound assumes, in words
  std::string model;        // library name, or a model file path (absolute once read)
  std::vector<DoseSpec> doses;
  std::vector<ParameterBinding> parameters;
  std::vector<TimedChange> parameter_changes;
  std::string observable;
  pk::Direction direction = pk::Direction::kFalling;
  Threshold threshold;
  // The reported baseline: draws whose observable at t = 0 is not beyond this level (above it
  // for a falling effect, below it for a rising one) contradict the claim's own "before"
  // state and are excluded (e.g. sclera not visibly yellow before the infusion).
  std::optional<Threshold> baseline;
  double horizon_h = 720;  // onset later than this counts as "never"
  int line = 0;
};

struct ClaimedEffect {
  std::string id;
  std::string statement;         // what the source says, verbatim or translated
  std::string measurable;        // the measurable threshold tested, and why it is the right one
  Citation measurable_citation;  // source for that mapping, when there is one
  double within_h = 0;           // claimed window, measured from the claim's time origin
  double claimed_time_h = 0;     // the same, measured from t = 0 (start of the intervention)
  std::string not_assessable;    // non-empty: no model covers this; the reason
  std::vector<EffectCheck> checks;
  int line = 0;
};

struct Subject {
  std::string species = "human";
  std::optional<double> weight_kg;
  std::string sex;
  std::optional<double> age_years;
  std::string condition;  // e.g. "end-stage autoimmune cirrhosis, Child-Pugh C, MELD ~30"
};

struct Intervention {
  std::string agent;
  double dose = 0;
  std::string dose_unit;
  std::string route;  // "iv_infusion", "iv_bolus", ...
  double duration_h = 0;
};

struct Claim {
  std::string file;
  std::string id;
  std::string title;
  Citation source;
  std::string statement;  // verbatim
  Subject subject;
  Intervention intervention;
  // "start", "end_of_infusion", or an event at a stated time ({event: reperfusion, at_h: 8}).
  std::string time_origin;
  double time_origin_h = 0;  // t at which claimed windows start
  std::vector<Assumption> assumptions;
  std::vector<ClaimedEffect> effects;
  // Every file the claim was read from: the claim file (load_claim), its model files and the
  // prior files it uses. An output must never replace one of them.
  std::vector<std::string> input_files;

  // Index of the assumption called `name`; -1 if none.
  int assumption_index(const std::string& name) const;
};

// Reads a claim file. Prior references are resolved in `priors_dir` (default: data_dir()/
// priors). A model is a library model (its name, an identifier of io/names.hpp) or a model file
// given relative to the claim file, inside the claim's folder (no absolute path, no "..", no
// symbolic link leading out: io::resolve_inside_folder). The claim's id and its effects' ids
// are identifiers. Throws ClaimFileError (the claim file) or PriorFileError (a prior file),
// with file:line:column; a model file's error is its own (models::ModelFileError).
Claim load_claim(const std::filesystem::path& file, const std::filesystem::path& priors_dir = {});
Claim parse_claim(const std::string& text, const std::string& file_name,
                  const std::filesystem::path& base_dir, const std::filesystem::path& priors_dir);

}  // namespace onset::check
