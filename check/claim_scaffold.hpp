// `onset claim new`: a complete, commented claim file for a biomarker of the library, written
// from a few answers (the marker, the reported level before treatment, the threshold, the
// window, the statement), with every other parameter bound to its prior in data/priors and the
// "organ restored at t = 0" switch at its mechanism-free value (check/marker_catalogue.hpp).
// The text is checked by `claim lint` before anything is written: a scaffold that `onset
// check` would refuse is never written.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace onset::check {

// A threshold as the user gives it: "normal" (the marker's upper reference limit prior),
// "0.5x" (a fraction or factor of the value at t = 0; "half" = 0.5x), "prior:family/name", or
// a value with its unit ("1.2 mg/dL").
struct ThresholdSpec {
  enum class Kind { kNormal, kValue, kFraction, kPrior };
  Kind kind = Kind::kNormal;
  double value = 0;     // kValue (in `unit`), kFraction (the factor)
  std::string unit;     // kValue
  std::string prior;    // kPrior: "family/name"
  std::string written;  // as the user wrote it
};

struct ScaffoldRequest {
  std::string marker;     // a library biomarker model (marker_catalogue)
  std::string id;         // claim id (identifier); default "<marker>-<threshold>-<window>"
  std::string title;      // default from the statement
  std::string statement;  // the claim, verbatim (required)
  std::string species = "human";
  std::string sex;        // "", "male" or "female": chooses sex-specific priors
  std::string condition;  // the subject's disease, in words
  std::string agent;      // the intervention
  std::string dose;       // "1e13 particles", "50 g" (optional)
  std::string dose_into;  // compartment that receives the dose (optional)
  std::string route;      // "iv_infusion", "oral", ...
  std::optional<double> duration_h;
  // The reported level before treatment: [low, high] in `baseline_unit` (low == high: fixed).
  double baseline_low = 0;
  double baseline_high = 0;
  std::string baseline_unit;
  std::string baseline_written;
  ThresholdSpec threshold;
  std::optional<bool> falls;  // default: the marker's usual direction
  double within_h = 0;        // claimed window from the start of the intervention, hours
  std::string within_written;
  // Source of the claim (optional; lint warns without it).
  std::string source_authors;
  int source_year = 0;
  std::string source_journal;
  std::string source_doi;
  std::string source_url;
};

// "3.5 mg/dL" or "3-5 mg/dL" / "3 to 5 mg/dL" -> the request's baseline fields. Throws
// UserError naming `option` when the text is not a level (or a range) with a unit.
void parse_baseline(const std::string& text, const std::string& option, ScaffoldRequest* request);
// "normal", "half", "0.5x", "prior:crp/crp_upper_reference", "1.2 mg/dL".
ThresholdSpec parse_threshold(const std::string& text, const std::string& option);
// "6 h", "90 min", "3 days", "2 weeks" -> hours; a bare number is refused (the unit is the
// mistake lint's window-unit warning is about).
double parse_window_h(const std::string& text, const std::string& option);

// The claim file's text. Throws UserError when the request cannot make a claim (an unknown
// marker, a threshold "normal" for a marker without a reference limit, a baseline unit that
// does not fit the model, a threshold already met at t = 0: lint's findings on the text).
// `out_file` is where it will be written (model files and messages are relative to it).
std::string write_claim_scaffold(const ScaffoldRequest& request, const std::string& out_file,
                                 const std::filesystem::path& priors_dir = {});

// A YAML double-quoted scalar: quotes, backslashes and control characters escaped.
std::string yaml_quoted(const std::string& text);

}  // namespace onset::check
