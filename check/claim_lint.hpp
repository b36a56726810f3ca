// `onset claim lint FILE`: what is missing or suspicious in a claim file, all of it at once,
// each finding with file:line:column, what was expected and a fix (check/README.md, "Checking a
// new claim"). Errors are what `onset check` would refuse or what makes its verdict meaningless
// (a threshold the observable already meets at t = 0); warnings are what a reviewer should look
// at (a prior's range widened, a threshold the marker can never reach, a window that reads like
// the wrong unit).
//
// Every finding has a kind (a stable name shown in brackets, used by tests and scripts):
//
//   kind                    severity  what
//   yaml                    error     not YAML, not UTF-8, a duplicate key (the reader's message)
//   unknown-key             error     a key the claim format does not have
//   statement-missing       error     the claim's or an effect's `statement`, or `measurable`
//   id                      error     a claim or effect id missing or not an identifier
//   duplicate-id            error     two effects (or two assumptions) with one id
//   source-missing          warning   no `source:` citation for the claim
//   prior-citation-missing  error     an assumption defined in the claim without a citation or
//                                     an `assumption:` text
//   unknown-prior           error     a `prior:` reference with no prior file or no such prior
//   range-order             error     low > high
//   nominal-outside-range   error     central not inside [low, high]
//   range-wider-than-prior  warning   a prior's range widened by the claim
//   change-without-reason   error     a prior's range changed without `reason:`
//   unknown-model           error     `model:` neither a library model nor a model file
//   unknown-parameter       error     a parameter the model lacks
//   unknown-observable      error     an observable the model lacks
//   unknown-compartment     error     a dose into a compartment the model lacks
//   unit-mismatch           error     a unit that does not convert to the parameter's or the
//                                     observable's unit, or that cannot be read
//   unit-missing            warning   a threshold without a unit for an observable that has one
//   window-not-positive     error     within_h, horizon_h or a duration not > 0
//   window-order            error     the horizon ends before the claimed window
//   window-unit             warning   the effect's statement names a time ("3 days") that is
//                                     not within_h hours
//   threshold-range         error     a threshold the observable cannot take (below zero, a
//                                     fraction outside (0, 1) falling or <= 1 rising)
//   threshold-start         error     a threshold equal to, or already beyond, the observable's
//                                     value at t = 0 (nominal values)
//   threshold-normal-range  warning   a falling threshold at or below the level the marker
//                                     settles at (rising: at or above it), nominal values
//   check-refuses           error     anything else `onset check` refuses (its message)
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace onset::check {

struct LintFinding {
  bool error = true;
  std::string kind;   // one of the kinds above
  std::string where;  // "file:line:column" (or "file")
  std::string problem;
  std::string expected;  // may be empty
  std::string fix;       // may be empty
  // "WHERE: error: PROBLEM (expected EXPECTED) fix: FIX [KIND]" ("warning" for warnings).
  std::string text() const;
};

struct LintOptions {
  // Prior files are looked up here (default: data_dir() / "priors").
  std::filesystem::path priors_dir;
};

// Lints the claim file at `path`. A file that cannot be read is one finding of kind "yaml".
std::vector<LintFinding> lint_claim_file(const std::filesystem::path& path,
                                         const LintOptions& options = {});
// The same for text; `file_name` is used in places, `base_dir` to find model files.
std::vector<LintFinding> lint_claim_text(const std::string& text, const std::string& file_name,
                                         const std::filesystem::path& base_dir,
                                         const LintOptions& options = {});

size_t count_errors(const std::vector<LintFinding>& findings);

}  // namespace onset::check
