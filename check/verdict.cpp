// verdict_name on its own, so that the report renderer (report_html.cpp) builds without the
// engine: the claim-to-report fuzz target (tests/fuzz/claim_report_fuzz.cpp) links the readers
// and the renderer only.
#include "check/check.hpp"

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

}  // namespace onset::check
