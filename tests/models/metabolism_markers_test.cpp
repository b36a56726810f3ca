// Metabolism biomarker models (glucose, HbA1c, lactate) against the fastest real recoveries
// published for them. Each value and its source is written next to its assertion; the
// tolerance is the published spread unless said otherwise.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "tests/models/marker_run.hpp"

namespace onset::models {
namespace {

using marker_test::MarkerRun;

constexpr double kUgPerUnitInsulin = 34.7;  // 1 IU human insulin = 0.0347 mg (diabetes-wiki.org)

// The short insulin tolerance test: K_ITT = slope of ln(glucose) between 3 and 15 min, %/min.
double kitt_percent_per_min(MarkerRun& r, double dose_units_per_kg, double weight_kg) {
  r.set("glucose_baseline", 4.8);  // fasting, non-diabetic
  r.dose("insulin", dose_units_per_kg * weight_kg * kUgPerUnitInsulin);
  std::vector<double> t;
  for (int m = 3; m <= 15; ++m) t.push_back(m / 60.0);
  r.run(t);
  // Least-squares slope of ln G against minutes, as the test is analysed.
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double n = static_cast<double>(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    const double x = 60 * t[i], y = std::log(r.obs("plasma_glucose", i));
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  return -100 * (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

TEST(Glucose, BaselineIsASteadyStateIncludingGlucosuria) {
  MarkerRun r("glucose");
  r.set("glucose_baseline", 16.0);  // above the renal threshold: production covers urine loss
  r.run({0, 24});
  EXPECT_NEAR(r.obs("plasma_glucose", 1), 16.0, 1e-6);
}

TEST(Glucose, InsulinToleranceTestFallsAtThePublishedRate) {
  // Park 1998 (J Korean Diabetes Assoc 22:199): 0.1 U/kg IV regular insulin in 14 healthy
  // subjects, K_ITT 3.50 +/- 0.75 %/min (3-15 min). The central priors (minimal-model S_I of
  // normal glucose tolerance, p2 0.025/min, insulin clearance 750 mL/min) must land within
  // 2 SD. Diabet Med 1993;10:839 (0.05 U/kg, 18 healthy): K_ITT 2.1-6.5 %/min, mean 4.4.
  MarkerRun full("glucose");
  const double k_full = kitt_percent_per_min(full, 0.1, 70);
  MarkerRun half("glucose");
  const double k_half = kitt_percent_per_min(half, 0.05, 70);
  std::printf("glucose ITT: K_ITT %.2f %%/min at 0.1 U/kg, %.2f at 0.05 U/kg\n", k_full, k_half);
  EXPECT_GT(k_full, 3.50 - 2 * 0.75);
  EXPECT_LT(k_full, 3.50 + 2 * 0.75);
  EXPECT_GT(k_half, 2.1);
  EXPECT_LT(k_half, 6.5);
  // Half the dose acts less (the model is dose-dependent through insulin action).
  EXPECT_LT(k_half, k_full);
}

TEST(Glucose, InsulinCannotLowerGlucoseFasterThanItsActionAllows) {
  // The bound: from a steady 15 mmol/L, a plasma-insulin excess of 100 uU/mL (3.47 ug/L) held
  // from t = 0 raises the action X toward S_I x 3.47 with rate p2; glucose can never fall
  // faster than (S_G + X) G, and in the first 10 minutes X has barely begun.
  MarkerRun r("glucose");
  r.set("glucose_baseline", 15.0);
  r.set("insulin_excess_step", 3.47);
  r.run({0, 1.0 / 6, 1, 4});
  const double x_inf = r.get("insulin_sensitivity") * 3.47;  // 1/h
  const double sg = r.get("glucose_effectiveness");
  const double g10 = r.obs("plasma_glucose", 1), g1h = r.obs("plasma_glucose", 2);
  std::printf(
      "glucose, insulin excess 100 uU/mL from t = 0: 15 -> %.1f (10 min) -> %.1f (1 h) -> "
      "%.1f mmol/L (4 h)\n",
      g10, g1h, r.obs("plasma_glucose", 3));
  EXPECT_GT(g10, 15.0 * std::exp(-(sg + x_inf) / 6));  // the instant-action bound
  EXPECT_GT(g1h, 15.0 * std::exp(-(sg + x_inf) * 1));
  EXPECT_LT(g1h, 15.0);
}

TEST(Hba1c, BaselineIsASteadyStateAtTheGivenHba1c) {
  for (double a1c : {5.0, 9.0, 14.0}) {
    MarkerRun r("hba1c");
    r.set("hba1c_baseline", a1c);
    // ADAG: the mean glucose that sustains this HbA1c (1.59 x A1C - 2.59 mmol/L).
    r.set("mean_glucose_after", 1.59 * a1c - 2.59);
    r.run({0, 24 * 365});
    EXPECT_NEAR(r.obs("hba1c", 0), a1c, 1e-9 * a1c) << a1c;  // four Newton steps: exact
    EXPECT_NEAR(r.obs("hba1c", 1), a1c, 1e-6 * a1c) << a1c;
    EXPECT_NEAR(r.obs("hba1c_steady_state_after", 0), a1c, 1e-9 * a1c) << a1c;
  }
}

TEST(Hba1c, HalfOfTheChangeWithinAMonthAsTaharaAndShimaFound) {
  // Tahara & Shima (as summarised in Diabetes Care 2006;29:466): 50 % of HbA1c is set by the
  // glucose of the last 30 days, 25 % by days 30-60, 25 % by days 60-120. After a step in
  // mean glucose at t = 0 the share of the eventual change reached at day 30 is therefore
  // ~0.50 and at day 60 ~0.75. Tolerance 0.08 (the weights are quoted to the nearest quarter).
  MarkerRun r("hba1c");
  r.set("hba1c_baseline", 9.0);
  r.set("mean_glucose_after", 1.59 * 7.0 - 2.59);  // glucose that sustains 7 %
  r.run({0, 24 * 30, 24 * 60, 24 * 120, 24 * 400});
  const double start = r.obs("hba1c", 0), end = r.obs("hba1c", 4);
  auto share = [&](size_t i) { return (start - r.obs("hba1c", i)) / (start - end); };
  std::printf(
      "HbA1c 9 -> 7 %% glucose from t = 0: share of change at 30/60/120 d: %.2f %.2f %.2f\n",
      share(1), share(2), share(3));
  // The ADAG glucose for 7 % gives 7.1 %: glycation saturates a little (1 - exp(-k G a) per
  // cell), so the model's steady state sits just above the linear regression.
  EXPECT_NEAR(end, r.obs("hba1c_steady_state_after", 0), 1e-3);
  EXPECT_NEAR(end, 7.0, 0.15);
  EXPECT_NEAR(share(1), 0.50, 0.08);
  EXPECT_NEAR(share(2), 0.75, 0.08);
  EXPECT_GT(share(3), 0.93);
}

TEST(Hba1c, EvenWithoutGlycationItFallsOnlyAsRedCellsAreReplaced) {
  // The mechanism-free bound: glucose driving no glycation at all from t = 0. HbA1c can then
  // only fall as glycated cells die; in a week that is a few per cent of the red-cell mass,
  // the oldest and most glycated (fixed lifespan: 1 - (1 - 7/106)^2 = 12.7 % of HbA1c, i.e.
  // 9 -> 7.9 %). The Erlang age structure gives about the same; far from a 2-point fall.
  MarkerRun r("hba1c");
  r.set("hba1c_baseline", 9.0);
  r.set("mean_glucose_after", 0);
  r.set("adag_intercept", 0);  // nothing glycates from t = 0
  r.run({0, 24 * 7, 24 * 30});
  const double week = r.obs("hba1c", 1);
  std::printf("HbA1c 9 %% with glycation stopped: %.2f %% after 1 week, %.2f %% after 30 days\n",
              week, r.obs("hba1c", 2));
  EXPECT_GT(week, 9.0 * (1 - 0.2));
  EXPECT_LT(week, 9.0);
  EXPECT_GT(week, 7.0 + 0.5);  // "fell from 9 % to 7 % in a week" is out of reach
}

TEST(Lactate, BaselineIsASteadyState) {
  MarkerRun r("lactate");
  r.set("lactate_baseline", 6);
  r.set("elimination_fraction_baseline", 0.5);
  r.run({0, 12});
  EXPECT_NEAR(r.obs("blood_lactate", 1), 6, 1e-6);
}

TEST(Lactate, HealthyHalfLifeAfterALoadMatchesWollAndRecord) {
  // Woll & Record 1979: lactate half-life after a load 14.7 +/- 2.2 min (mean +/- SEM, n = 6
  // controls; SD = 2.2 x sqrt(6) = 5.4 min). A normal subject given 1 mmol/kg (70 mmol)
  // sodium lactate as a bolus: the excess over the resting level halves within mean +/- 2 SD.
  // (The Michaelis-Menten constants come from the same paper's regression of the removal
  // constant on the peak level, so this is a consistency check; the next tests are not.)
  MarkerRun r("lactate");
  r.set("lactate_baseline", 1.0);
  r.outputs_before_doses = false;  // the output at t = 0 is the peak, just after the bolus
  r.dose("lactate", 70);
  std::vector<double> t;
  for (int s = 0; s <= 3600; s += 10) t.push_back(s / 3600.0);
  r.run(t);
  const double peak = r.obs("blood_lactate", 0), rest = r.get("lactate_normal");
  const double t_half = 60 * r.first_time_at_or_below("blood_lactate", rest + 0.5 * (peak - rest));
  std::printf("lactate: 1 mmol/kg load, peak %.1f mmol/L, excess halved in %.1f min\n", peak,
              t_half);
  EXPECT_GT(t_half, 14.7 - 2 * 5.4);
  EXPECT_LT(t_half, 14.7 + 2 * 5.4);
}

TEST(Lactate, ClearanceMatchesSepticSurvivorsAndTheFallAfterExercise) {
  // Levraut 2003 (Crit Care Med 31:705): exogenous-lactate clearance 0.86 +/- 0.32 L/h/kg in
  // septic survivors with lactate < 3 mmol/L, measured as the response to 1 mmol/kg sodium
  // lactate over 15 min. The model does the same experiment (70 kg, resting lactate 1.5
  // mmol/L): clearance = dose / AUC of the excess over baseline; within mean +/- 1 SD.
  MarkerRun infused("lactate"), control("lactate");
  for (MarkerRun* r : {&infused, &control}) r->set("lactate_baseline", 1.5);
  infused.dose("lactate", 70, 0, 0.25);
  std::vector<double> grid;
  for (int s = 0; s <= 6 * 360; ++s) grid.push_back(s / 360.0);  // 10-s steps to 6 h
  infused.run(grid);
  control.run(grid);
  double auc = 0;  // mmol*h/L, trapezoid
  for (size_t i = 1; i < grid.size(); ++i) {
    const double a = infused.obs("blood_lactate", i - 1) - control.obs("blood_lactate", i - 1);
    const double b = infused.obs("blood_lactate", i) - control.obs("blood_lactate", i);
    auc += 0.5 * (a + b) * (grid[i] - grid[i - 1]);
  }
  const double cl_per_kg = 70 / auc / 70;
  EXPECT_GT(cl_per_kg, 0.86 - 0.32);
  EXPECT_LT(cl_per_kg, 0.86 + 0.32);
  // PubMed 2583155: after 7 min of heavy exercise (mean peak 5.3 mmol/L) blood lactate falls
  // halfway to rest in about 15 min in normal subjects. Production back to normal at t = 0 is
  // the best case (muscle goes on releasing lactate), so the model may be faster, not slower;
  // and with production at rest it should not be implausibly faster (> 7 min).
  MarkerRun exercise("lactate");
  exercise.set("lactate_baseline", 5.3);
  exercise.set("perfusion_restored", 1);
  std::vector<double> t;
  for (int s = 0; s <= 3600; s += 10) t.push_back(s / 3600.0);
  exercise.run(t);
  const double halfway = 0.5 * (5.3 + exercise.get("lactate_normal"));
  const double t_half = 60 * exercise.first_time_at_or_below("blood_lactate", halfway);
  std::printf("lactate: septic clearance %.2f L/h/kg; after exercise halfway to rest in %.1f min\n",
              cl_per_kg, t_half);
  EXPECT_GT(t_half, 7);
  EXPECT_LE(t_half, 15 + 5);
}

TEST(Lactate, PostSeizureFallIsNoFasterThanProductionStoppingAllows) {
  // Orringer 1977 (N Engl J Med; values as quoted in a secondary summary): venous lactate
  // 12.7 +/- 1.0 mmol/L right after a grand-mal seizure, 6.6 +/- 0.7 at 60 min. The seizure's
  // production ends at once, the best case of the model: its 60-min value must be at or below
  // the observed one (a bound), and not absurdly lower (saturable elimination: > 2 mmol/L).
  MarkerRun r("lactate");
  r.set("lactate_baseline", 12.7);
  r.set("perfusion_restored", 1);
  r.run({0, 1});
  const double at_1h = r.obs("blood_lactate", 1);
  std::printf(
      "lactate after a seizure, production normal from t = 0: 12.7 -> %.1f mmol/L at 1 h "
      "(observed 6.6 +/- 0.7)\n",
      at_1h);
  EXPECT_LE(at_1h, 6.6 + 0.7);
  EXPECT_GT(at_1h, 2.0);
}

}  // namespace
}  // namespace onset::models
