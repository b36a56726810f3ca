// The literature and press claims of data/claims/literature/ for metabolism (HbA1c, lactate),
// blood (haemoglobin, platelets) and the liver (ALT, INR after vitamin K), through the engine.
// Each test pins the verdict and says why, from the model and its priors: the time the
// physiology needs at the generous end of the priors against the claimed window. Claims near
// the 5 % line run 2,000 draws so that the estimate of P is well inside its verdict.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "check/check.hpp"
#include "check/claim.hpp"

namespace onset::check {
namespace {

const std::string kClaims = std::string(ONSET_SOURCE_DIR) + "/data/claims/literature/";
const std::string kPriors = std::string(ONSET_SOURCE_DIR) + "/data/priors";

CheckOptions options(size_t draws) {
  CheckOptions o;
  o.draws = draws;
  o.band_draws = 32;
  o.threads = 2;
  o.best_case_evaluations = 300;
  return o;
}

struct Checked {
  Claim claim;
  CheckReport report;
  Checked(const std::string& file, size_t draws)
      : claim(load_claim(kClaims + file, kPriors)), report(run_check(claim, options(draws))) {}
  const EffectReport& effect(const std::string& id) const {
    for (const auto& e : report.effects)
      if (e.id == id) return e;
    throw std::runtime_error("no effect " + id);
  }
  const CheckResult& check(const std::string& id) const { return *effect(id).deciding(); }
  // The best-case value of an assumption (by name).
  double best(const std::string& id, const std::string& assumption) const {
    const CheckResult& c = check(id);
    for (size_t i = 0; i < c.assumptions.size(); ++i)
      if (c.assumptions[i] == assumption) return c.best_case_values[i];
    ADD_FAILURE() << assumption << " not in the best case";
    return NAN;
  }
};

const TippingPoint* tipping(const CheckResult& c, const std::string& name) {
  for (const auto& t : c.tipping_points)
    if (t.assumption == name) return &t;
  return nullptr;
}

TEST(LiteratureClaims, Hba1cFromTenToFiveInThreeMonthsIsUnlikely) {
  const Checked r("hba1c-diet-three-months.yaml", 2000);
  const CheckResult& c = r.check("hba1c_5_0_within_3_months");
  // Glycated haemoglobin leaves only with the red cells that carry it. With a fixed lifespan
  // L the share of the baseline excess left at t is (1 - t/L)^2; from 10.2 % to 5.05 % with
  // the new steady state at its lowest (normal glucose 4.8 mmol/L, ADAG: about 4.2 %) needs
  // (1 - t/L)^2 <= 0.15, t >= 0.61 L = 52 days for the shortest lifespan (85 days). The
  // Erlang age structure lets a few cells die early, so the best case is above 45 days, but
  // below the 90 claimed: not excluded.
  ASSERT_TRUE(c.best_case_onset_h);
  EXPECT_GT(*c.best_case_onset_h, 45 * 24.0);
  EXPECT_LT(*c.best_case_onset_h, 90 * 24.0);
  // Over the priors (normal glucose 4.8-6.0 mmol/L, lifespan 85-127 days) few draws get there:
  // 5.0 % is at or below the steady state of most people without diabetes.
  EXPECT_EQ(r.effect("hba1c_5_0_within_3_months").verdict, Verdict::kUnlikely);
  EXPECT_LT(c.p_within_claim, 0.05);
  // The verdict hangs on how low the diet brought mean glucose: the tipping point lies inside
  // the normal range, so a clinician can see what the blog would have needed.
  const TippingPoint* tp = tipping(c, "hba1c/normal_mean_glucose");
  ASSERT_NE(tp, nullptr);
  ASSERT_TRUE(tp->value);
  EXPECT_TRUE(tp->inside_prior_range);
}

TEST(LiteratureClaims, LactateNormalWithinSixHoursOfTheSepsisBundleIsPlausible) {
  const Checked r("lactate-septic-shock-6h.yaml", 1000);
  const CheckResult& c = r.check("lactate_below_2_within_6h");
  // Elimination saturates at Vmax/V = 15-28 mmol/L/h: from the generous 2.5 mmol/L to 2 takes
  // minutes once perfusion (production) is normal, so the best case is far inside 6 h.
  EXPECT_EQ(r.effect("lactate_below_2_within_6h").verdict, Verdict::kPlausible);
  ASSERT_TRUE(c.best_case_onset_h);
  EXPECT_LT(*c.best_case_onset_h, 1.0);
  // Whether a draw gets there depends on the starting level and on whether production and
  // elimination are really back to normal; Ryoo 2019 saw it in 42 % of survivors, and the
  // priors give a share of the same order (not 0, not all).
  EXPECT_GT(c.p_within_claim, 0.15);
  EXPECT_LT(c.p_within_claim, 0.75);
}

TEST(LiteratureClaims, HaemoglobinUpByOneGramInADayWithoutTransfusionIsImplausible) {
  const Checked r("haemoglobin-up-in-24h.yaml", 256);
  const CheckResult& c = r.check("haemoglobin_rise_24h");
  // New haemoglobin arrives only in new red cells, after the erythroid maturation time
  // (60-144 h): even with the marrow at 8 x normal from t = 0, the first new cells arrive too
  // late, and afterwards Hb rises by at most ~1 g/dL per day. The best case is well beyond a day.
  EXPECT_EQ(r.effect("haemoglobin_rise_24h").verdict, Verdict::kImplausible);
  ASSERT_TRUE(c.best_case_onset_h);
  EXPECT_GT(*c.best_case_onset_h, 1.5 * 24);
  EXPECT_EQ(c.p_within_claim, 0);
  // Only a maturation time of hours - far below anything reported (reticulocytes rise 3-4
  // days after B12) - would let it happen.
  const TippingPoint* tp = tipping(c, "haemoglobin/erythroid_maturation_time");
  ASSERT_NE(tp, nullptr);
  ASSERT_TRUE(tp->value);
  EXPECT_LT(*tp->value, 30);
  EXPECT_FALSE(tp->inside_prior_range);
}

TEST(LiteratureClaims, PlateletRiseWithinFortyHoursInDengueIsPlausible) {
  const Checked r("platelets-papaya-40h.yaml", 256);
  const CheckResult& c = r.check("platelets_up_25pct_40h");
  // In dengue platelets are low because they are consumed while the marrow keeps producing
  // (the baseline implies output at or above normal). When consumption stops, the platelets
  // already being released survive their whole 7-10-day life and the count rises by several
  // per cent per hour: 25 % within hours, long before new megakaryocytes mature. Physically
  // possible in nearly every draw - which says the rise needs no drug, not that the juice did it.
  EXPECT_EQ(r.effect("platelets_up_25pct_40h").verdict, Verdict::kPlausible);
  ASSERT_TRUE(c.best_case_onset_h);
  EXPECT_LT(*c.best_case_onset_h, 12);
  EXPECT_GT(c.p_within_claim, 0.8);
}

TEST(LiteratureClaims, AltNormalWithinThreeDaysOfALiverCleanseIsUnlikely) {
  const Checked r("alt-liver-cleanse-3-days.yaml", 2000);
  const CheckResult& c = r.check("alt_normal_within_3_days");
  // With injury ended at t = 0, ALT = C_n + (C_0 - C_n) exp(-ln2 t / t_half): it reaches the
  // upper limit U at t = t_half log2((C_0 - C_n)/(U - C_n)). The engine's best case must be
  // that closed form at its best-case values (the generous ends: C_0 = 66, t_half = 30 h).
  ASSERT_TRUE(c.best_case_onset_h);
  const double c0 = r.best("alt_normal_within_3_days", "alt_before");
  const double cn = r.best("alt_normal_within_3_days", "alt/alt_normal");
  const double u = r.best("alt_normal_within_3_days", "alt/alt_upper_limit_normal_male");
  const double t_half = r.best("alt_normal_within_3_days", "alt/alt_half_life");
  const double closed_form = t_half * std::log2((c0 - cn) / (u - cn));
  EXPECT_NEAR(*c.best_case_onset_h, closed_form, 0.01 * closed_form);
  // A day is out of reach even there (> 24 h); three days only if ALT was barely raised and
  // its half-life at the short end: most of the prior box misses.
  EXPECT_GT(*c.best_case_onset_h, 24);
  EXPECT_EQ(r.effect("alt_normal_within_3_days").verdict, Verdict::kUnlikely);
  const TippingPoint* tp = tipping(c, "alt_before");
  ASSERT_NE(tp, nullptr);
  ASSERT_TRUE(tp->value);
  EXPECT_TRUE(tp->inside_prior_range);  // ALT above ~130 U/L cannot normalise in 3 days
}

TEST(LiteratureClaims, InrAfterIntravenousVitaminKFallsWithinHoursButRarelyNormalisesInADay) {
  const Checked r("inr-iv-vitamin-k.yaml", 2000);
  // A 10 % fall within 4 h needs only the vitamin-K lag (1-6 h) and factor VII (t1/2 3-7 h):
  // plausible, and likely.
  const CheckResult& early = r.check("inr_falls_within_4h");
  EXPECT_EQ(r.effect("inr_falls_within_4h").verdict, Verdict::kPlausible);
  ASSERT_TRUE(early.best_case_onset_h);
  EXPECT_LT(*early.best_case_onset_h, 4);
  EXPECT_GT(early.p_within_claim, 0.5);
  const TippingPoint* lag = tipping(early, "inr_factors/vitamin_k_delay");
  ASSERT_NE(lag, nullptr);
  ASSERT_TRUE(lag->value);
  EXPECT_FALSE(lag->inside_prior_range);  // only a lag far beyond 6 h would stop it
  // INR < 1.5 within 24 h needs factors II (t1/2 50-80 h) and X (20-60 h) mostly restored:
  // reachable from a low starting INR, rare from a high one. The study saw it in 14.5 %; the
  // model's share is of that order, and the deciding input is the starting INR.
  const CheckResult& full = r.check("inr_below_1_5_within_24h");
  EXPECT_EQ(r.effect("inr_below_1_5_within_24h").verdict, Verdict::kPlausible);
  EXPECT_GT(full.p_within_claim, 0.05);
  EXPECT_LT(full.p_within_claim, 0.3);
  ASSERT_FALSE(full.elasticities.empty());
  EXPECT_EQ(full.elasticities.front().assumption, "inr_before");
}

}  // namespace
}  // namespace onset::check
