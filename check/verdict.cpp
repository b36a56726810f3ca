// verdict_name and threshold_text on their own, so that the report renderer (report_html.cpp)
// builds without the engine: the claim-to-report fuzz target (tests/fuzz/claim_report_fuzz.cpp)
// links the readers and the renderer only.
#include "check/check.hpp"
#include "io/format.hpp"

namespace onset::check {

std::string verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kImplausible:
      return "implausible";
    case Verdict::kUnlikely:
      return "unlikely";
    case Verdict::kPlausible:
      return "plausible";
    case Verdict::kNotAssessable:
      return "not_assessable";
    case Verdict::kInconsistent:
      return "inconsistent";
  }
  return "not_assessable";
}

std::string threshold_text(const CheckResult& check, int digits) {
  return (check.direction == "rises_above" ? "> " : "< ") +
         onset::format_number(check.threshold_tested, digits) +
         (check.threshold_unit.empty() || check.threshold_unit == "1" ? ""
                                                                      : " " + check.threshold_unit);
}

}  // namespace onset::check
