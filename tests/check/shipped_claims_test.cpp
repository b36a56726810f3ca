// The shipped claims (data/claims/) through the engine, with reduced draws (the benchmark runs
// the full 10,000). Each expectation is argued from the priors and their sources, not from
// what the answer "should" be.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "check/check.hpp"
#include "check/claim.hpp"
#include "check/report_json.hpp"

namespace onset::check {
namespace {

const std::string kClaims = std::string(ONSET_SOURCE_DIR) + "/data/claims/";
const std::string kPriors = std::string(ONSET_SOURCE_DIR) + "/data/priors";

CheckOptions quick(size_t draws = 256) {
  CheckOptions options;
  options.draws = draws;
  options.band_draws = 64;
  options.threads = 2;
  options.best_case_evaluations = 300;
  return options;
}

const EffectReport& effect(const CheckReport& report, const std::string& id) {
  for (const auto& e : report.effects) {
    if (e.id == id) return e;
  }
  throw std::runtime_error("no effect " + id);
}

const TippingPoint* tipping(const CheckResult& c, const std::string& name) {
  for (const auto& t : c.tipping_points) {
    if (t.assumption == name) return &t;
  }
  return nullptr;
}

bool at_bound(const CheckResult& c, const std::string& name, const std::string& side) {
  for (const auto& b : c.bound_assumptions) {
    if (b.assumption == name && b.side == side) return true;
  }
  return false;
}

class CaseReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    claim_ = new Claim(load_claim(kClaims + "case-report-4h.yaml", kPriors));
    report_ = new CheckReport(run_check(*claim_, quick()));
  }
  static void TearDownTestSuite() {
    delete report_;
    delete claim_;
  }
  static Claim* claim_;
  static CheckReport* report_;
};
Claim* CaseReport::claim_ = nullptr;
CheckReport* CaseReport::report_ = nullptr;

TEST_F(CaseReport, EveryClaimedEffectIsThere) {
  for (const char* id : {"jaundice", "facial_colour", "consciousness", "ascites", "bladder_bowel",
                         "appetite", "speech", "mirna_mechanism"}) {
    EXPECT_NO_THROW(effect(*report_, id)) << id;
  }
}

TEST_F(CaseReport, Jaundice) {
  const EffectReport& e = effect(*report_, "jaundice");
  const CheckResult& c = *e.deciding();
  // The sclera follows plasma with the skin time constant, whose prior is 4-168 h (neonatal
  // TcB data give ~12.5 h; 4 h is the assumed fast end): the best case takes the fast end.
  EXPECT_TRUE(at_bound(c, "bilirubin/skin_equilibration_time_constant", "low"));
  // Starting from 'obvious' icterus (>= 3.5 mg/dL assumed) and clearing to below 2.0-2.5
  // mg/dL with tau = 4 h needs at least 4 ln(3.5/2.5) = 1.35 h even if plasma emptied at
  // once; the best case cannot be faster than that.
  ASSERT_TRUE(c.best_case_onset_h);
  EXPECT_GT(*c.best_case_onset_h, 4 * std::log(3.5 / 2.5));
  // Under the priors (median tau ~26 h, delta-bilirubin with a 19-day half-life that may
  // stain), clearing within 5 h of the start is rare: well under the 0.05 rule.
  EXPECT_LT(c.p_within_claim, 0.05);
  EXPECT_NE(e.verdict, Verdict::kPlausible);
  // The verdict hangs on how yellow the sclera was before: the tipping point of the
  // 'obvious icterus' assumption lies inside its assumed range 3.5-8 mg/dL.
  const TippingPoint* tp = tipping(c, "obvious_scleral_icterus");
  ASSERT_NE(tp, nullptr);
  ASSERT_TRUE(tp->value);
  EXPECT_GT(*tp->value, 3.5);
  EXPECT_LT(*tp->value, 8);
}

TEST_F(CaseReport, AscitesAgainstTheMaximalPeritonealReabsorptionRate) {
  const CheckResult& c = *effect(*report_, "ascites").deciding();
  // Shear 1970: at most ~930 mL/day (prior 650-1200) leaves the peritoneum. Losing even the
  // generous 500 mL at 1200 mL/day takes 10 h, twice the 5 h claimed.
  EXPECT_EQ(c.verdict, Verdict::kImplausible);
  EXPECT_TRUE(at_bound(c, "ascites/max_peritoneal_reabsorption_rate", "high"));
  ASSERT_TRUE(c.best_case_onset_h);
  EXPECT_NEAR(*c.best_case_onset_h, 500.0 / (1200.0 / 24), 0.5);
  // It would take a reabsorption rate of about 2,400 mL/day, twice the prior's top, to flip.
  const TippingPoint* tp = tipping(c, "ascites/max_peritoneal_reabsorption_rate");
  ASSERT_NE(tp, nullptr);
  ASSERT_TRUE(tp->value);
  EXPECT_GT(*tp->value, 1200);
  EXPECT_FALSE(tp->inside_prior_range);
}

TEST_F(CaseReport, ConsciousnessFollowsTheBrainNotArterialAmmonia) {
  const CheckResult& c = *effect(*report_, "consciousness").deciding();
  // Ammonia clears in minutes (Lockwood 1979), but the brain follows with a time constant of
  // 12-48 h (HELP trial): halving the excess drive takes at least 12 ln 2 = 8.3 h.
  EXPECT_EQ(c.verdict, Verdict::kImplausible);
  ASSERT_TRUE(c.best_case_onset_h);
  EXPECT_GT(*c.best_case_onset_h, 12 * std::log(2.0) - 0.1);
}

TEST_F(CaseReport, MirnaMechanismAgainstCopiesPerCell) {
  const CheckResult& c = *effect(*report_, "mirna_mechanism").deciding();
  // 1e13 EVs x <= 0.6 named-miRNA copies per EV, <= 10 % endosomal escape, over ~3e10
  // Kupffer cells whose capacity (<= 1e5 particles each) caps uptake: loaded copies per cell
  // stay below the repression threshold (300-10,000 copies/cell) even at every generous bound.
  EXPECT_EQ(c.verdict, Verdict::kImplausible);
  EXPECT_FALSE(c.best_case_onset_h);
  EXPECT_TRUE(at_bound(c, "ev_cargo_cascade/endosomal_escape_fraction", "high"));
  EXPECT_TRUE(at_bound(c, "ev_cargo_cascade/repression_threshold_copies_per_cell", "low"));
  EXPECT_EQ(c.p_within_claim, 0);
}

TEST_F(CaseReport, NoModelNoNumber) {
  for (const char* id : {"appetite", "speech", "bladder_bowel", "facial_colour"}) {
    const EffectReport& e = effect(*report_, id);
    EXPECT_EQ(e.verdict, Verdict::kNotAssessable) << id;
    EXPECT_EQ(e.deciding(), nullptr) << id;
    EXPECT_FALSE(e.reason.empty()) << id;
  }
  const auto json = report_to_json(*claim_, *report_);
  for (const auto& c : json["claims"]) {
    if (c["verdict"] == "not_assessable") {
      EXPECT_TRUE(c["best_case_onset_h"].is_null());
      EXPECT_TRUE(c["p_within_claim"].is_null());
    }
  }
}

TEST(ShippedClaims, AscitesVerdictMovesWithAPriorAcrossItsTippingPoint) {
  Claim claim = load_claim(kClaims + "case-report-4h.yaml", kPriors);
  claim.effects.erase(std::remove_if(claim.effects.begin(), claim.effects.end(),
                                     [](const ClaimedEffect& e) { return e.id != "ascites"; }),
                      claim.effects.end());
  const CheckReport before = run_check(claim, quick());
  const TippingPoint* tp =
      tipping(*before.effects[0].deciding(), "ascites/max_peritoneal_reabsorption_rate");
  ASSERT_NE(tp, nullptr);
  ASSERT_TRUE(tp->value);
  // Widen the reabsorption prior (Shear 1970: 930 mL/day) just past the reported tipping
  // value: the best case now reaches the claim, so it is no longer implausible.
  Prior& p = claim
                 .assumptions[static_cast<size_t>(
                     claim.assumption_index("ascites/max_peritoneal_reabsorption_rate"))]
                 .prior;
  p.high = *tp->value * 1.02;
  const CheckReport after = run_check(claim, quick());
  EXPECT_EQ(before.effects[0].verdict, Verdict::kImplausible);
  EXPECT_NE(after.effects[0].verdict, Verdict::kImplausible);
  // ... and just short of it, still implausible.
  p.high = *tp->value * 0.98;
  EXPECT_EQ(run_check(claim, quick()).effects[0].verdict, Verdict::kImplausible);
}

TEST(ShippedClaims, AHundredfoldLiverLowersTheJaundiceBestCase) {
  Claim claim = load_claim(kClaims + "case-report-4h.yaml", kPriors);
  claim.effects.erase(std::remove_if(claim.effects.begin(), claim.effects.end(),
                                     [](const ClaimedEffect& e) { return e.id != "jaundice"; }),
                      claim.effects.end());
  const CheckReport before = run_check(claim, quick(64));
  Prior& p =
      claim
          .assumptions[static_cast<size_t>(claim.assumption_index("hepatic_function_after_repair"))]
          .prior;
  p.low = p.high = p.central = 100;
  const CheckReport after = run_check(claim, quick(64));
  ASSERT_TRUE(before.effects[0].deciding()->best_case_onset_h);
  ASSERT_TRUE(after.effects[0].deciding()->best_case_onset_h);
  // Plasma emptied at the hepatic flow limit: unconjugated and conjugated bilirubin leave
  // faster, so the sclera relaxes toward a lower level sooner. (With the delta pool also pinned
  // at 0 the best case rises instead: the next test says why.)
  EXPECT_LT(*after.effects[0].deciding()->best_case_onset_h,
            *before.effects[0].deciding()->best_case_onset_h);
}

// Why pinning the delta fraction at 0 (on top of a hundredfold liver) makes the jaundice best
// case later, not earlier (1.99 h -> 2.84 h when first seen; issue 16). The sclera follows
//   S(0) = TB0 ((1 - f_d) + w_D f_d),   dS/dt = ((U_p + C_p + w_D D_p)/(10 V) - S)/tau_skin
// (models/library/bilirubin.yaml). The claim requires "obvious" icterus before the infusion,
// S(0) >= 3.5-8 mg/dL, and reads its "marked jaundice" as TB0 >= 5 mg/dL (from_meld within).
// With delta free, the best case takes a delta pool that does not stain (w_D = 0, f_d > 0):
// the sclera starts exactly at the reported 3.5 mg/dL (the active constraint) although TB0 is
// above it, and only pigment that a repaired liver clears at once is in it. Of the points
// with TB0 (1 - f_d) = 3.5 the earliest has the prior's largest delta fraction, 0.7 (TB0 =
// 11.67 mg/dL): conjugated bilirubin keeps turning into delta bilirubin at the rate constant
// of the diseased steady state, which grows with f_d, a second exit that does not stain
// (1.40357 h against 1.40360 h at TB0 = 5, f_d = 0.3, where a search without the slide along
// the constraint stopped and this test first expected it). With no delta (f_d = 0)
// the sclera starts at TB0 itself, at least 5 mg/dL: more pigment to relax away at the same
// tau_skin (S falls roughly as S(0) e^{-t/tau}, so the onset grows with ln S(0)), and the
// reported baseline is no longer what limits it. Not a search failure: lowering TB0's floor
// to the reported 3.5 mg/dL gives back the earlier onset.
TEST(ShippedClaims, WithoutDeltaTheScleraStartsAtTheTotalBilirubinSoTheJaundiceClearsLater) {
  Claim claim = load_claim(kClaims + "case-report-4h.yaml", kPriors);
  claim.effects.erase(std::remove_if(claim.effects.begin(), claim.effects.end(),
                                     [](const ClaimedEffect& e) { return e.id != "jaundice"; }),
                      claim.effects.end());
  auto prior = [&](Claim& c, const std::string& name) -> Prior& {
    return c.assumptions[static_cast<size_t>(c.assumption_index(name))].prior;
  };
  auto value_at_best = [](const CheckResult& c, const std::string& name) {
    const auto it = std::find(c.assumptions.begin(), c.assumptions.end(), name);
    EXPECT_NE(it, c.assumptions.end()) << name;
    return c.best_case_values[static_cast<size_t>(it - c.assumptions.begin())];
  };
  Prior& liver = prior(claim, "hepatic_function_after_repair");
  liver.low = liver.high = liver.central = 100;
  const CheckReport with_delta = run_check(claim, quick(64));
  Claim no_delta = claim;
  Prior& delta = prior(no_delta, "bilirubin/delta_fraction_baseline");
  delta.low = delta.high = delta.central = 0;
  const CheckReport without = run_check(no_delta, quick(64));
  Claim low_floor = no_delta;
  prior(low_floor, "baseline_total_bilirubin").low = 3.5;
  const CheckReport floor_lowered = run_check(low_floor, quick(64));
  const CheckResult& a = *with_delta.effects[0].deciding();
  const CheckResult& b = *without.effects[0].deciding();
  const CheckResult& c = *floor_lowered.effects[0].deciding();
  ASSERT_TRUE(a.best_case_onset_h && b.best_case_onset_h && c.best_case_onset_h);
  std::printf(
      "jaundice best case, liver x100: delta free %.3f h, delta 0 %.3f h, delta 0 and TB0 "
      ">= 3.5 mg/dL %.3f h\n",
      *a.best_case_onset_h, *b.best_case_onset_h, *c.best_case_onset_h);
  // With delta: the sclera starts on the reported level (from its feasible side, to 1e-12),
  // with a delta pool that does not stain, as large as the prior allows.
  EXPECT_EQ(a.active_constraint, "the reported baseline");
  const double tb0 = value_at_best(a, "baseline_total_bilirubin");
  const double w = value_at_best(a, "bilirubin/delta_staining_weight");
  const double f = value_at_best(a, "bilirubin/delta_fraction_baseline");
  EXPECT_GE(tb0 * ((1 - f) + w * f), 3.5) << "TB0 " << tb0 << ", f_d " << f << ", w_D " << w;
  EXPECT_LE(tb0 * ((1 - f) + w * f), 3.5 * (1 + 1e-12))
      << "TB0 " << tb0 << ", f_d " << f << ", w_D " << w;
  EXPECT_EQ(w, 0.0);
  EXPECT_EQ(f, 0.7);
  // Without delta: S(0) = TB0 = 5 mg/dL > 3.5, the baseline is not the limit, and it is later.
  EXPECT_EQ(b.active_constraint, "");
  EXPECT_NEAR(value_at_best(b, "baseline_total_bilirubin"), 5, 1e-6);
  EXPECT_GT(*b.best_case_onset_h, *a.best_case_onset_h * 1.2);
  // The sclera's own lag explains the gap: tau ln(5 / 3.5) at the best case's tau (4 h) bounds
  // it from above (the plasma does not empty at once, which shortens the difference).
  const double tau = value_at_best(b, "bilirubin/skin_equilibration_time_constant");
  EXPECT_LT(*b.best_case_onset_h - *a.best_case_onset_h, tau * std::log(5 / 3.5) * 1.01);
  // TB0 allowed down to the reported 3.5 mg/dL: no delta starts the sclera at 3.5 again, and
  // the onset comes back to the delta-free-staining case (within 2 %: the same clearable
  // pigment, split between unconjugated and conjugated at the same best-case share).
  EXPECT_NEAR(*c.best_case_onset_h, *a.best_case_onset_h, 0.02 * *a.best_case_onset_h);
}

TEST(ShippedClaims, TransplantControls) {
  // A working graft clears unconjugated/conjugated bilirubin (2.8-8.5 L/h vs a 3 L plasma
  // volume) within hours; only delta (8-70 %) stays: halving within 7 days is reachable and
  // likely (Wu 1990: conjugated < 10 % of total by days 7-10).
  const Claim halves = load_claim(kClaims + "control-transplant-bilirubin-halves.yaml", kPriors);
  EXPECT_EQ(run_check(halves, quick()).effects[0].verdict, Verdict::kPlausible);
  // Normal (< 1.2 mg/dL) within 4 h from >= 10 mg/dL: even with delta at its 8 % floor
  // (0.8 mg/dL that leaves with albumin, t1/2 ~19 d) the extravascular pools return
  // bilirubin to plasma at 0.1-0.5 /h, so the best case takes longer than 4 h.
  const Claim normal = load_claim(kClaims + "control-transplant-bilirubin-normal-4h.yaml", kPriors);
  EXPECT_EQ(run_check(normal, quick()).effects[0].verdict, Verdict::kImplausible);
}

}  // namespace
}  // namespace onset::check

namespace onset::check {
namespace {

TEST(ShippedClaims, NpjMouseFibrosisPositiveControl) {
  // Mouse, 1e10 EVs: Kupffer cells take up vesicles within hours; the phenotype switch has a
  // mean transit of 48-96 h and collagen resolves at 0.0045-0.018 /h (rat CCl4 data), so
  // a restorative majority within 14 days and a 10-30 % fall of excess collagen within
  // 4 weeks are reached in the best case and in most draws.
  const Claim claim =
      load_claim(std::string(ONSET_SOURCE_DIR) + "/data/claims/npj-2021-mouse-fibrosis.yaml",
                 std::string(ONSET_SOURCE_DIR) + "/data/priors");
  CheckOptions options;
  options.draws = 32;
  options.band_draws = 8;
  options.threads = 2;
  options.best_case_evaluations = 100;
  options.tipping_points = 1;
  const CheckReport report = run_check(claim, options);
  ASSERT_EQ(report.effects.size(), 2u);
  for (const auto& e : report.effects) {
    EXPECT_EQ(e.verdict, Verdict::kPlausible) << e.id;
    ASSERT_TRUE(e.deciding()->best_case_onset_h) << e.id;
    // Days, not hours: the phenotype transit alone takes days.
    EXPECT_GT(*e.deciding()->best_case_onset_h, 24) << e.id;
  }
}

}  // namespace
}  // namespace onset::check
