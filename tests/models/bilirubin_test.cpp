// The bilirubin model against the ranges of shared/research/clinical_params.md (source of each
// range in a comment): normal production and level, the 4-h tracer retention of a normal liver,
// the biphasic fall after liver transplantation, the fall and rebound after one plasma exchange.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "check/clinical_scores.hpp"
#include "models/model_library.hpp"
#include "pk/simulate.hpp"

namespace onset::models {
namespace {

struct BiliRun {
  std::unique_ptr<pk::Model> model = load_model("bilirubin");
  std::vector<double> params = model->default_parameters();
  pk::Regimen regimen;
  pk::Trajectory traj;
  int p(const std::string& name) const {
    const int i = model->parameter_index(name);
    EXPECT_GE(i, 0) << name;
    return i;
  }
  void set(const std::string& name, double v) { params[static_cast<size_t>(p(name))] = v; }
  void change_at(double t, const std::string& name, double v) {
    regimen.parameter_changes.push_back({t, p(name), v});
  }
  void run(std::vector<double> times) {
    pk::SimulationRequest request;
    request.output_times_h = std::move(times);
    pk::SolverOptions options;
    options.rtol = 1e-10;
    options.atol = 1e-9;
    traj = pk::simulate(*model, regimen, params, request, options);
    ASSERT_TRUE(traj.ok()) << traj.message;
  }
  double obs(const std::string& name, size_t i) const {
    return traj.observable(i, static_cast<size_t>(model->observable_index(name)));
  }
};

TEST(Bilirubin, NormalProductionGivesANormalSteadyStateLevel) {
  BiliRun r;
  // A normal liver from t = 0, started without delta bilirubin (none forms in normals).
  r.set("baseline_total_bilirubin", 0.5);
  r.set("delta_fraction_baseline", 0);
  r.set("hepatic_function", 1);
  r.run({0, 24 * 60, 24 * 90});
  const double production_mg_day = 24 * r.params[static_cast<size_t>(r.p("production_rate"))];
  const double tb = r.obs("total_bilirubin", 2);
  std::printf("normal liver: production %.0f mg/day, steady-state TB %.3f mg/dL (%.1f umol/L)\n",
              production_mg_day, tb, r.obs("total_bilirubin_umol_L", 2));
  // Berk 1969: 3.8 +/- 0.6 mg/kg/day (228 mg/day at 60 kg); textbooks 200-300 (Front Pharmacol
  // 2017) and 250-400 mg/day (UpToDate).
  EXPECT_GE(production_mg_day, 192);
  EXPECT_LE(production_mg_day, 400);
  // Normal serum total bilirubin 0.2-1.0 mg/dL (Medscape, clinical_params.md conventions).
  EXPECT_GE(tb, 0.2);
  EXPECT_LE(tb, 1.0);
  EXPECT_NEAR(r.obs("total_bilirubin", 1), tb, 1e-3 * tb);  // steady by day 60
  // Delta bilirubin is absent in normals (Weiss 1983).
  EXPECT_LT(r.obs("delta_fraction", 2), 1e-6);
}

TEST(Bilirubin, NormalLiverLeavesAboutFivePercentOfATracerInPlasmaAtFourHours) {
  // Berk 1970: 5.0 +/- 1.9 % of an IV unconjugated-bilirubin tracer left in plasma at 4 h in
  // normal subjects. The model is linear, so a tracer is the difference of two runs.
  const double t0 = 24 * 60, tracer = 100;
  BiliRun with, without;
  for (BiliRun* r : {&with, &without}) {
    r->set("baseline_total_bilirubin", 0.5);
    r->set("hepatic_function", 1);
  }
  with.regimen.doses.push_back({t0, with.model->state_index("ucb_plasma"), tracer, 0});
  with.run({t0 + 4});
  without.run({t0 + 4});
  const int u = with.model->state_index("ucb_plasma");
  const double left = (with.traj.state(0, u) - without.traj.state(0, u)) / tracer;
  std::printf("tracer left in plasma at 4 h: %.1f %% (Berk 1970: 5.0 +/- 1.9 %%)\n", 100 * left);
  EXPECT_GE(100 * left, 5.0 - 1.9);
  EXPECT_LE(100 * left, 5.0 + 1.9);
}

TEST(Bilirubin, FallAfterLiverTransplantIsBiphasic) {
  // Baseline from the case report's MELD 30 with INR 2.5 and creatinine 1.38 mg/dL
  // (clinical_params.md F: these labs with bilirubin 15 mg/dL give MELD 30.0).
  check::MeldReverseQuery query;
  query.score_low = query.score_high = 30;
  query.inr = check::LabRange{2.5, 2.5};
  query.creatinine_mg_dl = check::LabRange{1.38, 1.38};
  const check::BilirubinBounds bounds = check::bilirubin_bounds_from_meld(query);
  ASSERT_TRUE(bounds.consistent);
  const double tb0 = 0.5 * (bounds.low_mg_dl + bounds.high_mg_dl);
  BiliRun r;
  r.set("baseline_total_bilirubin", tb0);
  r.change_at(0.0, "hepatic_function", 1.0);  // a working graft from t = 0
  const std::vector<double> days{0, 1, 2, 3, 7, 10, 14, 28, 90};
  std::vector<double> times;
  for (double d : days) times.push_back(24 * d);
  r.run(times);
  std::printf("transplant, TB0 %.1f mg/dL [MELD 30 -> %.1f-%.1f]:\n", tb0, bounds.low_mg_dl,
              bounds.high_mg_dl);
  for (size_t i = 0; i < days.size(); ++i)
    std::printf("  day %3.0f  TB %6.2f mg/dL (%6.1f umol/L)  delta %4.0f %%  conjugated %4.1f %%\n",
                days[i], r.obs("total_bilirubin", i), r.obs("total_bilirubin_umol_L", i),
                100 * r.obs("delta_fraction", i),
                100 * r.obs("conjugated_bilirubin", i) / r.obs("total_bilirubin", i));
  const double tb_day3 = r.obs("total_bilirubin", 3), tb_day7 = r.obs("total_bilirubin", 4);
  // Fast phase over days: drainage with good recovery lowers bilirubin by 0.60 +/- 0.12 by
  // day 3 (PubMed 9684135); uncomplicated grafts are below 10 mg/dL on day 7 (Olthoff 2010
  // early-allograft-dysfunction definition).
  EXPECT_LE(tb_day3 / tb0, 1 - 0.48);
  EXPECT_LT(tb_day7, 10.0);
  // Wu 1990: in uncomplicated recipients delta rose to > 40-50 % of total by days 7-10 while
  // conjugated fell below 10 %.
  EXPECT_GT(r.obs("delta_fraction", 5), 0.40);
  EXPECT_LT(r.obs("conjugated_bilirubin", 5) / r.obs("total_bilirubin", 5), 0.10);
  // Lu 2003: TB 127 +/- 113 umol/L in week 1 and 73 +/- 50 at week 4 (mean +/- SD).
  EXPECT_LE(r.obs("total_bilirubin_umol_L", 4), 127 + 113);
  EXPECT_GE(r.obs("total_bilirubin_umol_L", 7), 73 - 50);
  EXPECT_LE(r.obs("total_bilirubin_umol_L", 7), 73 + 50);
  // Slow phase over weeks: between days 14 and 28 the excess over the normal level falls with
  // the albumin half-life (Reed 1988: delta leaves with albumin, ~19 d [14, 21] d).
  const double normal = r.obs("total_bilirubin", 8) - r.obs("delta_bilirubin", 8);
  const double slow_half_life_d =
      14 * std::log(2.0) /
      std::log((r.obs("total_bilirubin", 6) - normal) / (r.obs("total_bilirubin", 7) - normal));
  std::printf("  slow-phase half-life (days 14-28): %.1f d (albumin 14-21 d)\n", slow_half_life_d);
  EXPECT_GE(slow_half_life_d, 10.0);
  EXPECT_LE(slow_half_life_d, 25.0);
}

TEST(Bilirubin, OnePlasmaExchangeLowersBilirubinWhichThenRebounds) {
  // One plasma volume (3 L) exchanged over 2 h in the diseased baseline (TB 15 mg/dL).
  BiliRun r;
  r.set("baseline_total_bilirubin", 15);
  r.change_at(0.0, "plasma_exchange_clearance", 1.5);
  r.change_at(2.0, "plasma_exchange_clearance", 0.0);
  r.run({0, 2, 26});
  const double pre = r.obs("total_bilirubin", 0), post = r.obs("total_bilirubin", 1),
               day1 = r.obs("total_bilirubin", 2);
  const double removed = 1 - post / pre, rebound = (day1 - post) / (pre - post);
  std::printf(
      "plasma exchange: TB %.1f -> %.1f (-%.0f %%) -> %.1f mg/dL at 24 h (rebound %.0f %% "
      "of the fall)\n",
      pre, post, 100 * removed, day1, 100 * rebound);
  // Mancini 2002 (plasma separation + adsorption): 25 +/- 13 % removed per session; one plasma
  // volume removes at most 1 - e^-1 = 63 % of the intravascular pool (no re-entry, TPE
  // teaching notes). Rebound 34.9 +/- 38.7 % within 24 h, starting within minutes (Mancini),
  // read here as the share of the fall regained.
  EXPECT_GE(removed, 0.12);
  EXPECT_LE(removed, 0.63);
  EXPECT_GT(rebound, 0.0);
  EXPECT_LE(rebound, 0.349 + 0.387);
}

TEST(Bilirubin, BaselineIsASteadyStateOfTheDiseasedLiver) {
  BiliRun r;
  r.run({0, 24, 24 * 30});
  EXPECT_NEAR(r.obs("total_bilirubin", 0), 15.0, 1e-9);
  EXPECT_NEAR(r.obs("total_bilirubin", 2), 15.0, 1e-6);
  EXPECT_NEAR(r.obs("delta_fraction", 2), 0.3, 1e-7);
  EXPECT_NEAR(r.obs("skin_bilirubin", 2), r.obs("skin_bilirubin", 0), 1e-6);
  // At the central priors the baseline implies more conjugate refluxing into plasma than the
  // liver conjugates (J0 > P): conjugated-bilirubin excretion is more impaired than uptake at
  // these labs. Reported, not hidden (models/README.md).
  std::printf("baseline: hepatic function %.3f of normal, reflux/production %.2f\n",
              r.obs("hepatic_function_used", 0), r.obs("baseline_reflux_over_production", 0));
}

TEST(Bilirubin, ScleraStaysIctericForHoursEvenIfTheLiverIsRepairedAtOnce) {
  // clinical_params.md hand calculation: with delta 30 % the serum level at 4 h stays ~4.5-6
  // mg/dL even with an infinitely good liver; the sclera lags further (tau 12 h).
  BiliRun r;
  r.change_at(0.0, "hepatic_function", 100.0);
  r.run({0, 4});
  std::printf("100x normal liver from t = 0: TB at 4 h %.2f mg/dL, icterus ratio %.2f\n",
              r.obs("total_bilirubin", 1), r.obs("icterus_ratio", 1));
  EXPECT_GT(r.obs("total_bilirubin", 1), 4.47);  // the delta component alone (hand calc.)
  EXPECT_LT(r.obs("total_bilirubin", 1), 6.5);
  EXPECT_GT(r.obs("icterus_ratio", 1), 1.0);
}

}  // namespace
}  // namespace onset::models
