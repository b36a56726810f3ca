// The stages of `onset check` (check/check.cpp run_stages): every simulation is counted in its
// stage; searches simulate a point once (a repeat uses its remembered outcome), interleaving
// the stages of several checks over the threads changes no number, and a best case that misses
// the claim tries no tipping value inside the prior range. The claim is tests/check/claims/
// one_compartment.yaml: C(t) = D/V exp(-CL t / V), so the time to fall below c* = 1 mg/L after
// D = 100 mg is t = (V/CL) ln(D / (V c*)), shortest at CL = 2 L/h, V = 5 L: 2.5 ln 20 = 7.489 h.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "check/check.hpp"
#include "check/claim.hpp"
#include "check/report_json.hpp"

namespace onset::check {
namespace {

const std::string kClaims = std::string(ONSET_SOURCE_DIR) + "/tests/check/claims/";

CheckOptions quick() {
  CheckOptions options;
  options.draws = 512;
  options.band_draws = 128;
  options.threads = 1;
  return options;
}

// The claim with a second effect on the same model: 'below_1_in_5h' claims 5 h, which even the
// best case (7.489 h) misses, so the claim has a plausible-or-unlikely check and an
// implausible one (different searches and tipping points, run side by side).
Claim two_effects() {
  Claim claim = load_claim(kClaims + "one_compartment.yaml");
  ClaimedEffect second = claim.effects.at(0);
  second.id = "below_1_in_5h";
  second.within_h = 5;
  second.claimed_time_h = 5;
  claim.effects.push_back(second);
  return claim;
}

// The JSON without the counts of simulations (the only numbers that remembering changes).
nlohmann::ordered_json without_counts(nlohmann::ordered_json json) {
  for (auto& effect : json["claims"]) {
    for (auto& check : effect["checks"]) {
      check.erase("simulations");
      check.erase("simulations_by_stage");
      check["best_case_search"].erase("evaluations");
    }
  }
  return json;
}

TEST(CheckStages, EverySimulationIsCountedInItsStage) {
  const Claim claim = two_effects();
  const CheckReport report = run_check(claim, quick());
  const nlohmann::ordered_json json = report_to_json(claim, report);
  ASSERT_EQ(report.effects.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    const CheckResult& c = report.effects[e].checks.at(0);
    long tipping = 0;
    for (const long k : c.work.tipping_points) {
      EXPECT_GT(k, 0);
      tipping += k;
    }
    EXPECT_EQ(c.work.monte_carlo, 512);  // one simulation per draw
    EXPECT_EQ(c.work.tipping_points.size(), c.tipping_points.size());
    EXPECT_EQ(c.simulations, c.work.monte_carlo + c.work.best_case + tipping);
    // The best-case stage is the search plus its trajectories and elasticities.
    EXPECT_EQ(c.work.best_case_search, c.best_case_evaluations);
    EXPECT_GT(c.work.best_case, c.work.best_case_search);
    const auto& stages = json["claims"][e]["checks"][0]["simulations_by_stage"];
    EXPECT_EQ(stages["monte_carlo"], c.work.monte_carlo);
    EXPECT_EQ(stages["best_case"], c.work.best_case);
    EXPECT_EQ(stages["best_case_search"], c.work.best_case_search);
    EXPECT_EQ(stages["tipping_points"].size(), c.work.tipping_points.size());
  }
}

TEST(CheckStages, RememberedPointsGiveTheSameReportWithFewerSimulations) {
  const Claim claim = two_effects();
  CheckOptions remembering = quick();
  CheckOptions simulating = remembering;
  simulating.remember_points = false;
  const CheckReport a = run_check(claim, remembering);
  const CheckReport b = run_check(claim, simulating);
  EXPECT_EQ(without_counts(report_to_json(claim, a)).dump(),
            without_counts(report_to_json(claim, b)).dump());
  for (size_t e = 0; e < 2; ++e) {
    const CheckResult& x = a.effects[e].checks.at(0);
    const CheckResult& y = b.effects[e].checks.at(0);
    EXPECT_EQ(x.work.monte_carlo, y.work.monte_carlo);  // draws are all different points
    // The search revisits points (the centre in the scan and the corners, corners in the
    // flips): with two assumptions, the scan's ends are corners' edges and its middle is the
    // centre, so at least the centre comes back.
    EXPECT_LT(x.work.best_case_search, y.work.best_case_search) << a.effects[e].id;
    EXPECT_LT(x.simulations, y.simulations) << a.effects[e].id;
    for (size_t k = 0; k < x.work.tipping_points.size(); ++k)
      EXPECT_LE(x.work.tipping_points[k], y.work.tipping_points[k]);
  }
}

TEST(CheckStages, InterleavedStagesGiveTheStagedReportForAnyThreadCount) {
  const Claim claim = two_effects();
  CheckOptions staged = quick();
  staged.interleave_stages = false;
  const std::string expected = report_to_json(claim, run_check(claim, staged)).dump();
  for (const int threads : {1, 2, 3}) {
    CheckOptions interleaved = quick();
    interleaved.threads = threads;
    EXPECT_EQ(report_to_json(claim, run_check(claim, interleaved)).dump(), expected)
        << threads << " threads";
  }
  staged.threads = 2;
  EXPECT_EQ(report_to_json(claim, run_check(claim, staged)).dump(), expected);
}

// t(CL, V) = V / CL ln(100 / V) = 5 h: the tipping values of the implausible 5-h claim, with
// the other assumption at its best-case end.
double clearance_flip() { return 5 * std::log(20.0) / 5; }  // V = 5 L: CL = ln 20 L/h
double volume_flip() {  // CL = 2 L/h: V ln(100 / V) = 10, on the branch below V = 100/e
  double lo = 0.5, hi = 5;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (mid * std::log(100 / mid) < 10 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

TEST(CheckStages, AMissedClaimFlipsOnlyOutsideThePriorRange) {
  const Claim claim = two_effects();
  const CheckReport report = run_check(claim, quick());
  const CheckResult& missed = report.effects.at(1).checks.at(0);
  ASSERT_EQ(missed.verdict, Verdict::kImplausible);
  // The best case over the whole box misses 5 h, so no value inside a prior's range can make
  // the re-optimised best case reach it: both flips lie beyond the ranges (CL above 2 L/h, V
  // below 5 L), at the closed form's values (bisection to 1e-5 relative).
  ASSERT_EQ(missed.tipping_points.size(), 2u);
  for (const TippingPoint& tp : missed.tipping_points) {
    ASSERT_TRUE(tp.value) << tp.assumption;
    EXPECT_FALSE(tp.inside_prior_range) << tp.assumption;
    const double expected = tp.assumption == "clearance" ? clearance_flip() : volume_flip();
    EXPECT_NEAR(*tp.value / expected, 1, 2e-5) << tp.assumption;
    EXPECT_EQ(tp.direction, tp.assumption == "clearance" ? "above" : "below");
  }
}

}  // namespace
}  // namespace onset::check
