// The kidney markers of the biomarker library (creatinine, urea, cystatin C) against published
// values read through search (source of each number in a comment; priors and their sources in
// data/priors/*.yaml). Each model starts at the steady state of its diseased baseline; with the
// kidney restored at t = 0 it falls no faster than its own distribution volume and clearance
// allow (t1/2 = ln 2 V/CL).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tests/models/marker_run.hpp"

namespace onset::models {
namespace {

using marker_test::excess_half_life;
using marker_test::grid;
using marker_test::MarkerRun;

TEST(Creatinine, BaselineIsASteadyStateOfTheDiseasedKidney) {
  MarkerRun r("creatinine");
  r.run({0, 24, 24 * 30});
  EXPECT_NEAR(r.obs("serum_creatinine", 0), 3.0, 1e-9);
  EXPECT_NEAR(r.obs("serum_creatinine", 2), 3.0, 1e-7);
  // 1 mg/dL = 88.4 umol/L (113.12 g/mol).
  EXPECT_NEAR(r.obs("serum_creatinine_umol_L", 0), 3.0 * 88.402, 1e-6);
}

TEST(Creatinine, NormalKidneysGiveALevelInsideTheReferenceIntervals) {
  // Men: production 1,120 mg/day ((140 - 60) x 70 / 5, medicalalgorithms) and clearance 120
  // mL/min (e-pharmacokinetics) -> 0.65 mg/dL; Pottel 2008 (IDMS enzymatic, men 20-70 y):
  // 0.63-1.16 mg/dL. Women: 830 mg/day ((140 - 60) x 61 / 5.9) with a clearance of 100 mL/min
  // (the prior's range for a smaller adult) -> 0.58 mg/dL; Pottel: 0.48-0.93 mg/dL.
  struct Case {
    double production_mg_day, clearance_ml_min, low, high;
  };
  for (const Case c : {Case{1120, 120, 0.63, 1.16}, Case{830, 100, 0.48, 0.93}}) {
    MarkerRun r("creatinine");
    r.set("creatinine_production_rate", c.production_mg_day);
    r.set("creatinine_clearance_normal", c.clearance_ml_min);
    r.set("kidney_function", 1);
    r.run({0, 24 * 10});
    const double level = r.obs("serum_creatinine", 1);
    std::printf("creatinine, normal kidneys: %.0f mg/day / %.0f mL/min -> %.2f mg/dL\n",
                c.production_mg_day, c.clearance_ml_min, level);
    EXPECT_GE(level, c.low);
    EXPECT_LE(level, c.high);
    EXPECT_NEAR(level, r.obs("steady_state_creatinine", 1), 1e-6);
  }
}

TEST(Creatinine, RisesAsWaikarAndBonventreSimulatedAfterNinetyPercentLossOfClearance) {
  // Waikar & Bonventre, J Am Soc Nephrol 2009 (mass-balance simulation, abstract): with normal
  // baseline function, a 90 % fall in creatinine clearance raises creatinine by 246 % in 24 h
  // and takes 4 h to raise it by 50 %. Same physics here with V = 42 L and a normal clearance
  // of 100 mL/min (their parameter values were not in the abstract: tolerance 25 %).
  MarkerRun r("creatinine");
  r.set("creatinine_clearance_normal", 100);
  r.set("kidney_function", 1);
  const double production = r.params[static_cast<size_t>(r.p("creatinine_production_rate"))];
  r.set("serum_creatinine_baseline", production / 24 / 6.0 / 10);  // the normal steady state
  r.change_at(0.0, "kidney_function", 0.1);
  const std::vector<double> times = grid(24, 0.05);
  r.run(times);
  const double s0 = r.obs("serum_creatinine", 0);
  const double rise_24h = r.obs("serum_creatinine", times.size() - 1) / s0 - 1;
  double t_rise_50 = std::nan("");
  for (size_t i = 0; i < times.size(); ++i) {
    if (r.obs("serum_creatinine", i) >= 1.5 * s0) {
      t_rise_50 = times[i];
      break;
    }
  }
  std::printf(
      "creatinine after a 90 %% fall in clearance: +%.0f %% at 24 h, +50 %% at %.2f h "
      "(Waikar 2009: 246 %%, 4 h)\n",
      100 * rise_24h, t_rise_50);
  EXPECT_NEAR(rise_24h, 2.46, 0.25 * 2.46);
  EXPECT_NEAR(t_rise_50, 4.0, 0.25 * 4.0);
}

TEST(Creatinine, LivingDonorGraftBringsCreatinineBelowOnePointTwoByDayThreeButNotAtOnce) {
  // J Korean Soc Transplant 2003;17:144 (abstract): 224 of 376 living-donor recipients (59.6 %)
  // had creatinine <= 1.2 mg/dL on day 3. A dialysed recipient (8 mg/dL, assumed) with a graft
  // of 0.6 x a normal two-kidney clearance (one donor kidney, assumed) at the central priors.
  MarkerRun r("creatinine");
  r.set("serum_creatinine_baseline", 8.0);
  r.change_at(0.0, "kidney_function", 0.6);
  r.run({0, 6, 24, 72});
  std::printf(
      "living-donor graft: creatinine 8.0 -> %.2f (6 h) -> %.2f (day 1) -> %.2f mg/dL "
      "(day 3); t1/2 %.1f h\n",
      r.obs("serum_creatinine", 1), r.obs("serum_creatinine", 2), r.obs("serum_creatinine", 3),
      r.obs("creatinine_half_life", 3));
  EXPECT_LE(r.obs("serum_creatinine", 3), 1.2);
  // Not instantaneous: a day after reperfusion the excess is still there (t1/2 ~6.7 h).
  EXPECT_GT(r.obs("serum_creatinine", 2), 1.2);
  EXPECT_GT(r.obs("serum_creatinine", 1), 4.0);
}

TEST(Creatinine, EvenAPerfectKidneyHalvesTheExcessNoFasterThanLnTwoVOverCl) {
  // The bound that makes claims checkable: at the fast corner of the priors (V 30 L, clearance
  // 140 mL/min x 1.5 for hyperfiltration) the excess halves in ln 2 x 30 / 12.6 = 1.65 h; at
  // the central priors in ln 2 x 42 / 7.2 = 4.0 h.
  MarkerRun fast("creatinine");
  fast.set("creatinine_distribution_volume", 30);
  fast.set("creatinine_clearance_normal", 140);
  fast.set("kidney_function", 1.5);
  fast.run({0, 1.65});
  const double ss = fast.obs("steady_state_creatinine", 0);
  const double excess_ratio =
      (fast.obs("serum_creatinine", 1) - ss) / (fast.obs("serum_creatinine", 0) - ss);
  EXPECT_NEAR(excess_ratio, 0.5, 0.01);
  EXPECT_NEAR(fast.obs("creatinine_half_life", 0), std::log(2.0) * 30 / (140 * 0.06 * 1.5), 1e-9);
  MarkerRun central("creatinine");
  central.set("kidney_function", 1);
  central.run({0});
  EXPECT_NEAR(central.obs("creatinine_half_life", 0), 4.04, 0.01);
}

TEST(Urea, NormalKidneysGiveANormalUreaAndBun) {
  // Boron (Medical Physiology): ~450 mmol/day excreted on a Western diet; normal plasma urea
  // 2.5-6 mM, BUN 7-18 mg/dL. Renal urea clearance 55 mL/min (0.45 x GFR 120, the central prior).
  MarkerRun r("urea");
  r.set("kidney_function", 1);
  r.run({0, 24 * 10});
  const double urea = r.obs("serum_urea", 1), bun = r.obs("blood_urea_nitrogen", 1);
  std::printf("urea, normal kidneys: %.2f mmol/L, BUN %.1f mg/dL\n", urea, bun);
  EXPECT_GE(urea, 2.5);
  EXPECT_LE(urea, 6.4);
  EXPECT_GE(bun, 7);
  EXPECT_LE(bun, 18);
}

TEST(Urea, FourHourDialysisWithKtOverVOfOnePointOneGivesAUreaReductionRatioOfSixtyFivePercent) {
  // A nephrology textbook figure legend (rrnursingschool.biz, figure 61-1): URR 65 % ~ single-
  // pool Kt/V 1.1 without ultrafiltration; NIDDK recommends URR >= 65 %. A dialysed patient
  // (urea 25 mmol/L at steady state with residual function) dialysed for 4 h with K = 1.1 x
  // 42 L / 4 h = 192.5 mL/min. Tolerance 2 percentage points (urea generation during the
  // session and the residual clearance shift the single-pool relation slightly).
  MarkerRun r("urea");
  r.set("serum_urea_baseline", 25);
  r.change_at(0.0, "dialysis_clearance", 1.1 * 42 / 4 / 0.06);
  r.change_at(4.0, "dialysis_clearance", 0);
  r.run({0, 4});
  const double urr = r.obs("urea_reduction_ratio", 1);
  std::printf("4-h dialysis, Kt/V 1.1: URR %.1f %%\n", 100 * urr);
  EXPECT_NEAR(urr, 0.65, 0.02);
}

TEST(Urea, FallsMoreSlowlyThanCreatinineAfterTheKidneyIsRestored) {
  // Urea's renal clearance is ~half the GFR (40-50 % of the filtered urea is reabsorbed), in the
  // same total body water, so its excess halves more slowly than creatinine's: 8.8 h vs 4.0 h.
  MarkerRun urea("urea"), creat("creatinine");
  urea.set("kidney_function", 1);
  creat.set("kidney_function", 1);
  urea.run({0});
  creat.run({0});
  const double t_urea = urea.obs("urea_half_life", 0),
               t_creat = creat.obs("creatinine_half_life", 0);
  std::printf("half-lives with normal kidneys: urea %.1f h, creatinine %.1f h\n", t_urea, t_creat);
  EXPECT_GT(t_urea, 1.5 * t_creat);
  EXPECT_GT(t_urea, 5.0);
  EXPECT_LT(t_urea, 12.0);
}

TEST(CystatinC, NormalGfrGivesALevelInsideTheReferenceInterval) {
  // Sjostrom 2005: production 0.124 mg/min/1.73 m2, non-renal clearance 22.3 mL/min/1.73 m2;
  // with GFR 120 mL/min: 7.44 / (7.2 + 1.34) = 0.87 mg/L. Saudi adults 2008: 0.53-0.95 mg/L.
  MarkerRun r("cystatin_c");
  r.set("kidney_function", 1);
  r.run({0, 24 * 3});
  const double level = r.obs("serum_cystatin_c", 1);
  std::printf("cystatin C, GFR 120 mL/min: %.2f mg/L\n", level);
  EXPECT_GE(level, 0.53);
  EXPECT_LE(level, 0.95);
}

TEST(CystatinC, NoFiltrationGivesTheLevelOfPatientsOnHaemodialysis) {
  // Sjostrom 2005: 70 patients on haemodialysis had 5.74 +/- 1.15 mg/L; production over the
  // non-renal clearance alone gives 5.56 mg/L. The model with the baseline at that level
  // implies no filtration at all and stays there.
  MarkerRun r("cystatin_c");
  const double at_zero_gfr = 0.124 * 60 / (22.3 * 0.06);
  r.set("serum_cystatin_c_baseline", at_zero_gfr);
  r.run({0, 24 * 5});
  EXPECT_NEAR(r.obs("baseline_gfr_implied", 0), 0, 1e-9);
  EXPECT_NEAR(r.obs("serum_cystatin_c", 1), at_zero_gfr, 1e-6);
  EXPECT_NEAR(at_zero_gfr, 5.74, 1.15);
}

TEST(CystatinC, HalfLifeAtNormalGfrIsShorterThanCreatinines) {
  // Sjostrom et al. (Clin Nephrol, title read: "the shorter T1/2 of cystatin C explains the
  // earlier change of its serum level compared to serum creatinine"): extracellular pool
  // (~12 L) vs total body water (42 L) for similar clearances.
  MarkerRun cys("cystatin_c"), creat("creatinine");
  cys.set("kidney_function", 1);
  creat.set("kidney_function", 1);
  cys.run({0});
  creat.run({0});
  const double t_cys = cys.obs("cystatin_c_half_life", 0);
  std::printf("half-lives with normal kidneys: cystatin C %.2f h, creatinine %.2f h\n", t_cys,
              creat.obs("creatinine_half_life", 0));
  EXPECT_LT(t_cys, 0.5 * creat.obs("creatinine_half_life", 0));
  EXPECT_GT(t_cys, 0.5);
}

}  // namespace
}  // namespace onset::models
