// The check engine on a library model with a closed form (tests/check/claims/
// one_compartment.yaml): C(t) = D/V exp(-CL t / V), so the time to fall below c* is
// t = (V/CL) ln(D / (V c*)), increasing in V (while D/(V c*) > e) and decreasing in CL.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "check/check.hpp"
#include "check/claim.hpp"
#include "check/report_json.hpp"

namespace onset::check {
namespace {

const std::string kClaims = std::string(ONSET_SOURCE_DIR) + "/tests/check/claims/";

double onset_time(double cl, double v) { return v / cl * std::log(100.0 / (v * 1.0)); }

CheckOptions quick() {
  CheckOptions options;
  options.draws = 512;
  options.band_draws = 128;
  options.threads = 1;
  return options;
}

TEST(CheckEngine, BestCaseIsTheCornerOfTheClosedForm) {
  const Claim claim = load_claim(kClaims + "one_compartment.yaml");
  const CheckReport report = run_check(claim, quick());
  ASSERT_EQ(report.effects.size(), 1u);
  const CheckResult& c = *report.effects[0].deciding();
  // Best case: CL at its high end (2 L/h), V at its low end (5 L): 2.5 ln 20 = 7.489 h.
  ASSERT_TRUE(c.best_case_onset_h);
  EXPECT_NEAR(*c.best_case_onset_h, onset_time(2, 5), 1e-4);
  ASSERT_EQ(c.bound_assumptions.size(), 2u);
  EXPECT_EQ(c.bound_assumptions[0].assumption, "clearance");
  EXPECT_EQ(c.bound_assumptions[0].side, "high");
  EXPECT_EQ(c.bound_assumptions[1].assumption, "volume");
  EXPECT_EQ(c.bound_assumptions[1].side, "low");
  // d ln t / d ln CL = -1 exactly.
  ASSERT_FALSE(c.elasticities.empty());
  EXPECT_EQ(c.elasticities[0].assumption, "clearance");
  EXPECT_NEAR(c.elasticities[0].at_best_case, -1, 1e-3);
  // Tipping point of CL (V = 5): 2.5 ln 20 / CL * 2 = 10 h -> CL = 0.5 ln 20 = 1.4979 L/h.
  ASSERT_FALSE(c.tipping_points.empty());
  ASSERT_TRUE(c.tipping_points[0].value);
  EXPECT_NEAR(*c.tipping_points[0].value, 5 * std::log(20.0) / 10, 1e-4);
  // P(t <= 10 h) under the priors by direct quadrature of the closed form; the Monte Carlo
  // draws the log-normal clearance truncated to its box [low, high] (its 5-95 % interval), so
  // the quadrature runs over the same truncated distribution.
  double p = 0;
  const int n = 400;
  const Prior& cl = claim.assumptions[0].prior;
  const double a = cl.cdf(cl.low), b = cl.cdf(cl.high);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const double clv = cl.quantile(a + (b - a) * (i + 0.5) / n);
      const double v = 5 + 15 * (j + 0.5) / n;
      p += onset_time(clv, v) <= 10 ? 1.0 / (n * n) : 0;
    }
  }
  EXPECT_NEAR(c.p_within_claim, p, 0.01);
  EXPECT_LE(c.p_ci_low, c.p_within_claim);
  EXPECT_GE(c.p_ci_high, c.p_within_claim);
  // The reachable best case with P < 0.05 is `unlikely` by the rule.
  EXPECT_LT(p, 0.05);
  EXPECT_EQ(c.verdict, Verdict::kUnlikely);
}

TEST(CheckEngine, MovingAPriorAcrossItsTippingPointFlipsTheVerdict) {
  Claim claim = load_claim(kClaims + "one_compartment.yaml");
  const CheckReport before = run_check(claim, quick());
  const TippingPoint& tp = before.effects[0].deciding()->tipping_points[0];
  ASSERT_EQ(tp.assumption, "clearance");
  ASSERT_TRUE(tp.value);
  // Capping clearance just below the tipping value: even the best case now misses 10 h.
  Prior& cl = claim.assumptions[static_cast<size_t>(claim.assumption_index("clearance"))].prior;
  cl.high = *tp.value * 0.99;
  cl.central = std::min(cl.central, cl.high);
  const CheckReport after = run_check(claim, quick());
  EXPECT_EQ(after.effects[0].verdict, Verdict::kImplausible);
  // And just above it: reachable again.
  cl.high = *tp.value * 1.01;
  const CheckReport again = run_check(claim, quick());
  EXPECT_NE(again.effects[0].verdict, Verdict::kImplausible);
}

TEST(CheckEngine, SameSeedSameJsonForAnyThreadCount) {
  const Claim claim = load_claim(kClaims + "one_compartment.yaml");
  CheckOptions one = quick();
  one.draws = 3000;
  CheckOptions two = one;
  two.threads = 2;
  const std::string a = report_to_json(claim, run_check(claim, one)).dump();
  const std::string b = report_to_json(claim, run_check(claim, two)).dump();
  EXPECT_EQ(a, b);
  CheckOptions other = one;
  other.seed = 2;
  EXPECT_NE(a, report_to_json(claim, run_check(claim, other)).dump());
}

TEST(CheckEngine, AbsoluteToleranceReachesTheIntegrator) {
  // CheckOptions::atol scales each state's absolute tolerance (here the 100 mg dose: atol x
  // 100 mg). Solved by onset's BDF (the default picks the exact exponential for this linear
  // model, which has no tolerance), the default 1e-9 gives the closed-form best case
  // 2.5 ln 20 h to 1e-4 h; an atol of 0.05 (5 mg on a 100 mg dose that falls to the 5 mg
  // threshold) lets the integrator take steps whose error moves the best case visibly. Before
  // CheckOptions carried the tolerances, ONSET_CHECK_ATOL was applied after the per-state
  // tolerances were set and changed nothing.
  const Claim claim = load_claim(kClaims + "one_compartment.yaml");
  CheckOptions tight = quick();
  tight.draws = 64;
  tight.band_draws = 16;
  tight.tipping_points = 0;
  tight.backend = pk::Backend::kOnsetBdf;
  CheckOptions loose = tight;
  loose.atol = 0.05;
  const CheckResult a = *run_check(claim, tight).effects[0].deciding();
  const CheckResult b = *run_check(claim, loose).effects[0].deciding();
  ASSERT_TRUE(a.best_case_onset_h && b.best_case_onset_h);
  EXPECT_NEAR(*a.best_case_onset_h, onset_time(2, 5), 1e-4);
  EXPECT_GT(std::fabs(*b.best_case_onset_h - *a.best_case_onset_h), 1e-3);
  // The exact exponential ignores tolerances: the same loose atol changes nothing there.
  CheckOptions exact = loose;
  exact.backend = pk::Backend::kExactLinear;
  const CheckResult c = *run_check(claim, exact).effects[0].deciding();
  ASSERT_TRUE(c.best_case_onset_h);
  EXPECT_NEAR(*c.best_case_onset_h, onset_time(2, 5), 1e-4);
}

TEST(CheckEngine, OptionsOutsideTheirRangeAreRefusedByIsValid) {
  std::string why;
  CheckOptions options;
  EXPECT_TRUE(options.IsValid(&why)) << why;
  options.rtol = 1;
  EXPECT_FALSE(options.IsValid(&why));
  EXPECT_NE(why.find("rtol = 1 "), std::string::npos) << why;
  options = CheckOptions{};
  options.rtol = std::nan("");
  EXPECT_FALSE(options.IsValid(&why));
  options = CheckOptions{};
  options.atol = 0;
  EXPECT_FALSE(options.IsValid(&why));
  EXPECT_NE(why.find("atol = 0 "), std::string::npos) << why;
  options.atol = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(options.IsValid(&why));
}

TEST(CheckEngine, ChunkSizeDoesNotChangeTheJson) {
  // Draws run in chunks folded into a summary; chunks of 16384 (one chunk here) and of 97
  // (chunk edges everywhere, also across the band draws) must give the same bytes.
  const Claim claim = load_claim(kClaims + "one_compartment.yaml");
  CheckOptions whole = quick();
  whole.draws = 3000;
  whole.band_draws = 700;
  CheckOptions chunked = whole;
  chunked.chunk_draws = 97;
  chunked.threads = 2;
  EXPECT_EQ(report_to_json(claim, run_check(claim, whole)).dump(),
            report_to_json(claim, run_check(claim, chunked)).dump());
}

TEST(CheckEngine, OnsetSketchIsExactWhileItHoldsEveryDraw) {
  // Above exact_onset_draws the onset quantiles and the median draw come from a bottom-k
  // sample; with room for every draw that sample is all of them, so the report is the same
  // as from one onset time per draw.
  const Claim claim = load_claim(kClaims + "one_compartment.yaml");
  CheckOptions exact = quick();
  exact.draws = 3000;
  CheckOptions sketched = exact;
  sketched.exact_onset_draws = 1000;
  sketched.onset_sample = 4096;
  const CheckReport a = run_check(claim, exact), b = run_check(claim, sketched);
  EXPECT_EQ(report_to_json(claim, a).dump(), report_to_json(claim, b).dump());
  ASSERT_TRUE(b.effects[0].deciding()->onset_p50_h);
  EXPECT_FALSE(b.effects[0].deciding()->band.median_draw.empty());
}

TEST(CheckEngine, OnsetSketchQuantilesWithinTheirBoundAndSplitIndependent) {
  // A 256-value sample of 4000 draws: each quantile's rank among the exact onset times is
  // within 4 standard errors sqrt(p (1 - p) / 256) of p, and the sample (so the JSON) is
  // the same for 1 and 2 threads and any chunk size.
  const Claim claim = load_claim(kClaims + "one_compartment.yaml");
  CheckOptions exact = quick();
  exact.draws = 4000;
  CheckOptions sketched = exact;
  sketched.exact_onset_draws = 1000;
  sketched.onset_sample = 256;
  CheckOptions split = sketched;
  split.threads = 2;
  split.chunk_draws = 333;
  const CheckReport a = run_check(claim, exact), b = run_check(claim, sketched);
  EXPECT_EQ(report_to_json(claim, b).dump(), report_to_json(claim, run_check(claim, split)).dump());
  const CheckResult& all = *a.effects[0].deciding();
  const CheckResult& sample = *b.effects[0].deciding();
  EXPECT_EQ(sample.onset_times_h.size(), 256u);
  EXPECT_EQ(sample.p_within_claim, all.p_within_claim);  // counts stay exact
  std::vector<double> sorted;
  for (const double t : all.onset_times_h)
    if (!std::isnan(t)) sorted.push_back(t);
  std::sort(sorted.begin(), sorted.end());
  const std::pair<double, std::optional<double>> quantiles[] = {
      {0.05, sample.onset_p05_h}, {0.50, sample.onset_p50_h}, {0.95, sample.onset_p95_h}};
  for (const auto& [p, value] : quantiles) {
    ASSERT_TRUE(value) << p;
    const double rank = static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), *value) -
                                            sorted.begin()) /
                        static_cast<double>(sorted.size());
    EXPECT_NEAR(rank, p, 4 * std::sqrt(p * (1 - p) / 256)) << p;
  }
}

TEST(CheckEngine, ClaimErrorsNameFileLineAndColumn) {
  const std::string text = R"(id: x
statement: s
effects:
  - id: e
    statement: s
    measurable: m
    within_h: 4
    checks:
      - model: one_compartment_iv
        observable: CP
        falls_below: {prior: nosuchfamily/thing}
)";
  try {
    parse_claim(text, "bad.yaml", ".", std::string(ONSET_SOURCE_DIR) + "/data/priors");
    FAIL() << "expected an error";
  } catch (const ClaimFileError& e) {  // the claim's line, not the prior folder's
    EXPECT_EQ(e.line(), 11);
    EXPECT_NE(std::string(e.what()).find("nosuchfamily"), std::string::npos);
  }
  const Claim bad_parameter = parse_claim(
      "id: x\nstatement: s\neffects:\n  - id: e\n    statement: s\n    measurable: m\n"
      "    within_h: 4\n    checks:\n      - model: one_compartment_iv\n        observable: CP\n"
      "        falls_below: \"1 mg/L\"\n        parameters: {NOPE: \"1 L/h\"}\n",
      "bad.yaml", ".", std::string(ONSET_SOURCE_DIR) + "/data/priors");
  try {
    run_check(bad_parameter, quick());
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(e.where(), "bad.yaml:12:28");
    EXPECT_NE(e.problem().find("no parameter 'NOPE'"), std::string::npos) << e.what();
    EXPECT_EQ(e.expected(), "one of CL, V");
    EXPECT_NE(e.fix().find("onset models show one_compartment_iv"), std::string::npos);
  }
}

}  // namespace
}  // namespace onset::check
