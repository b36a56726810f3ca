// The best case along an active reported-baseline constraint (check/check.cpp,
// slide_along_baseline): where the earliest point lies on the constraint away from every point
// that one-coordinate moves reach, the search slides along the constraint to it: on toy claims
// with a closed-form optimum (tests/check/claims/baseline_slide.yaml, falling, and
// baseline_slide_rising.yaml) and on the case report's jaundice, whose best case a search
// without the slide left 4.2 % too late (2.0674 h).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "check/check.hpp"
#include "check/claim.hpp"
#include "check/report_json.hpp"
#include "io/data_dir.hpp"
#include "tests/check/best_case_test_support.hpp"

namespace onset::check {
namespace {

const std::string& kClaims = test_support::kTestClaims;

CheckOptions options_with(size_t draws, int threads = 1) {
  CheckOptions options;
  options.draws = draws;
  options.band_draws = 64;
  options.threads = threads;
  return options;
}

double value_of(const CheckResult& c, const std::string& assumption) {
  return test_support::best_case_value(c, assumption);
}

// y(0) = a b >= 9, t = (a + 4 b) ln(a b) / c with c = 10 /h and y* = 1: on the constraint
// t = (a + 4 b) ln 9 / 10, least at a = 4 b, i.e. a = 6, b = 1.5: t* = 12 ln 9 / 10 h. Every
// other point of the curve a b = 9 is a point where each one-coordinate step is infeasible or
// later, and a search without the slide stopped at a = 6.62, b = 1.36 (2.6493 h, +4.8e-3).
TEST(BestCaseOnConstraint, SlidesAlongTheReportedBaselineToAnOptimumInsideTheCurve) {
  const Claim claim = load_claim(kClaims + "baseline_slide.yaml");
  const CheckReport report = run_check(claim, options_with(1000));
  const CheckResult& c = report.effects.at(0).checks.at(0);
  const double exact = 12 * std::log(9.0) / 10;
  ASSERT_TRUE(c.best_case_onset_h);
  // 1e-6 relative: the ODE's rtol; the slide ends its steps at 1e-4 in the box coordinates,
  // 3.4e-4 in ln a (the range 1-30), which costs (3.4e-4)^2 / 2 = 6e-8 on the curve.
  EXPECT_NEAR(*c.best_case_onset_h, exact, 1e-6 * exact);
  EXPECT_EQ(c.active_constraint, "the reported baseline");
  const double a = value_of(c, "a"), b = value_of(c, "b");
  // On the constraint, from its feasible side: the start a b is 9 to 1e-12 relative.
  EXPECT_GE(a * b, 9.0);
  EXPECT_LE(a * b, 9.0 * (1 + 1e-12));
  // At the closed-form point: the onset's 1e-6 allows sqrt(2e-6) = 1.4e-3 in ln a.
  EXPECT_NEAR(a, 6.0, 6.0 * 2e-3);
  EXPECT_NEAR(b, 1.5, 1.5 * 2e-3);
}

// The rising twin (baseline_below): y grows as g y / (a + 4 b) from y(0) = a b <= 9 to above
// 20, t = (a + 4 b) ln(20 / (a b)) / g with g = 10 /h, least on a b = 9 at a = 4 b:
// t* = 12 ln(20 / 9) / 10 h (a search without the slide: 0.958590 h, +4.0e-4, at a = 5.83).
TEST(BestCaseOnConstraint, SlidesAlongAReportedBaselineBelowForARisingLevel) {
  const Claim claim = load_claim(kClaims + "baseline_slide_rising.yaml");
  const CheckReport report = run_check(claim, options_with(1000));
  const CheckResult& c = report.effects.at(0).checks.at(0);
  const double exact = 12 * std::log(20.0 / 9) / 10;
  ASSERT_TRUE(c.best_case_onset_h);
  EXPECT_NEAR(*c.best_case_onset_h, exact, 1e-6 * exact);  // tolerances as above
  EXPECT_EQ(c.active_constraint, "the reported baseline");
  const double a = value_of(c, "a"), b = value_of(c, "b");
  EXPECT_LE(a * b, 9.0);  // at most the reported level
  EXPECT_GE(a * b, 9.0 * (1 - 1e-12));
  EXPECT_NEAR(a, 6.0, 6.0 * 2e-3);
  EXPECT_NEAR(b, 1.5, 1.5 * 2e-3);
}

// The slide runs in a best-case search's own evaluator, in sequence: the report is the same for
// any thread count.
TEST(BestCaseOnConstraint, SlideGivesTheSameReportForAnyThreadCount) {
  const Claim claim = load_claim(kClaims + "baseline_slide.yaml");
  const std::string one = report_to_json(claim, run_check(claim, options_with(600, 1))).dump();
  for (const int threads : {2, 3})
    EXPECT_EQ(report_to_json(claim, run_check(claim, options_with(600, threads))).dump(), one)
        << threads << " threads";
}

// The case report's jaundice (data/claims/case-report-4h.yaml; models/library/bilirubin.yaml).
// The sclera starts at (U + C + w D) / (10 V) = TB0 (1 - f_d (1 - w)) (total bilirubin TB0,
// delta fraction f_d, staining weight w of the albumin-bound delta bilirubin D) and must start
// at or above the reported 3.5 mg/dL ('obvious' yellowing). After the repair the sclera follows
// plasma U + C + w D with its time constant. Delta bilirubin leaves only with albumin (half-life
// 14-21 days), so any w > 0 leaves pigment that does not clear in hours: the best case has
// w = 0, and its sclera starts exactly at the reported 3.5 mg/dL (any more only takes longer),
// TB0 (1 - f_d) = 3.5. Along that constraint the delta fraction still matters, though it does
// not stain: conjugated bilirubin keeps turning into delta bilirubin at the rate constant that
// held the diseased steady state, k_form = k_alb (D_p0 + D_e0) / C_p0, a second, non-staining
// exit that grows with f_d (and with a short albumin half-life, a fast albumin escape and a small
// intravascular albumin share, which enlarge the extravascular delta pool D_e0). So the earliest
// clearing is from the largest delta fraction of the prior (0.7) with the total bilirubin whose
// non-delta part is exactly the reported level (3.5 / 0.3 = 11.67 mg/dL, inside 5-40), at
// 1.98451 h; not from the lowest total bilirubin (5 mg/dL with f_d = 0.3, w = 0: 1.98570 h, the
// best case a search found before the exact linear solver moved it into a local optimum on the
// constraint at 6.89 mg/dL, f_d = 0.51, w = 0.039: 2.0674 h).
class CaseReportJaundice : public ::testing::TestWithParam<size_t> {};

TEST_P(CaseReportJaundice, BestCaseStartsOnTheReportedBaselineWithTheLargestNonStainingDelta) {
  Claim claim = load_claim(io::data_dir() / "claims" / "case-report-4h.yaml");
  for (const auto& effect : claim.effects)
    if (effect.id == "jaundice") claim.effects = {effect};
  ASSERT_EQ(claim.effects.size(), 1u);
  CheckOptions options = options_with(GetParam());
  options.tipping_points = 0;  // the best case is decided before them
  const CheckReport report = run_check(claim, options);
  const CheckResult& c = report.effects.at(0).checks.at(0);
  ASSERT_TRUE(c.best_case_onset_h);
  // No later than the point 5 mg/dL / 0.3 / 0 (1.98569788 h) ...
  EXPECT_LE(*c.best_case_onset_h, 1.98570);
  // ... and at 1.98451 h (issue 19's figure; 1e-5 relative: the ODE's rtol 1e-6 with room for
  // the solver's digits, far below the 6e-4 between the two points).
  EXPECT_NEAR(*c.best_case_onset_h, 1.98451, 1.98451 * 1e-5);
  EXPECT_EQ(c.active_constraint, "the reported baseline");
  const double tb0 = value_of(c, "baseline_total_bilirubin");
  const double fd = value_of(c, "bilirubin/delta_fraction_baseline");
  const double w = value_of(c, "bilirubin/delta_staining_weight");
  EXPECT_EQ(w, 0.0);   // delta bilirubin does not stain
  EXPECT_EQ(fd, 0.7);  // the prior's largest delta fraction
  // The sclera starts at the reported 3.5 mg/dL, from its feasible side.
  const double sclera = tb0 * (1 - fd * (1 - w));
  EXPECT_GE(sclera, 3.5);
  EXPECT_LE(sclera, 3.5 * (1 + 1e-12));
  // The ends that make delta formation fastest: shortest albumin half-life, fastest escape,
  // smallest intravascular share (data/priors/bilirubin.yaml), and the fastest sclera.
  EXPECT_EQ(value_of(c, "bilirubin/delta_bilirubin_half_life"), 336.0);
  EXPECT_NEAR(value_of(c, "bilirubin/albumin_transcapillary_escape_rate"), 0.13, 1e-12);
  EXPECT_NEAR(value_of(c, "bilirubin/albumin_intravascular_fraction"), 0.3, 1e-12);
  EXPECT_EQ(value_of(c, "bilirubin/skin_equilibration_time_constant"), 4.0);
  EXPECT_EQ(c.verdict, Verdict::kUnlikely);
}

// The draws only add starts for the local searches: 2,000 and the default 10,000.
INSTANTIATE_TEST_SUITE_P(Draws, CaseReportJaundice, ::testing::Values(2000, 10000));

}  // namespace
}  // namespace onset::check
