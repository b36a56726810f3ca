// The best case is a bound (issue 16): on 24 claims of our own (below) and on the shipped ones,
// no Monte Carlo draw is earlier than the best case; on every claim with four or fewer
// assumptions the best case equals, within 1 %, a brute-force minimum over the box (a dense
// grid with its corners plus uniform draws, each point honouring the claim's constraints:
// the reported baseline and a start strictly beyond the threshold); every tipping point,
// moved 5 % past its value, flips the verdict, and every "no value flips it" holds at both
// ends of the range.
//
// The brute force runs ONSET_BRUTE_FORCE_DRAWS uniform draws per claim (default 10,000, so
// that the suite stays short; the 1e5 with ONSET_BRUTE_FORCE_DRAWS=100000).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "check/check.hpp"
#include "check/claim.hpp"
#include "io/data_dir.hpp"

namespace onset::check {
namespace {

struct Range {
  std::string name;
  double low, high;
  std::string unit;
};

// A claim of our own: one effect, one check on a library biomarker model; every assumption a
// uniform range defined in the claim ("test prior").
struct TestClaim {
  std::string id;
  std::string model;
  std::string observable;
  std::string direction;  // falls_below / rises_above
  std::string threshold;  // YAML: "10 mg/L", "{fraction_of_initial: 0.5}", "{assumption: x}"
  double within_h;
  std::vector<std::pair<std::string, std::string>> parameters;  // parameter -> YAML value
  std::vector<Range> ranges;
  std::string extra = "";  // more YAML keys of the check (baseline, parameter_changes)
  std::string why = "";    // the physiology, for the reader
};

std::string yaml_of(const TestClaim& c) {
  std::ostringstream y;
  y << "id: " << c.id << "\nstatement: \"test claim " << c.id << "\"\n"
    << "subject: {species: human, weight_kg: 60}\n"
    << "intervention: {agent: test, dose: \"100 mg\", route: iv_bolus, duration_h: 0}\n"
    << "assumptions:\n";
  for (const auto& r : c.ranges)
    y << "  " << r.name << ": {description: \"" << r.name << "\", low: " << r.low
      << ", high: " << r.high << ", unit: \"" << r.unit
      << "\", assumption: \"test prior (a range for the bound test)\"}\n";
  y << "effects:\n  - id: e\n    statement: s\n    measurable: m\n    within_h: " << c.within_h
    << "\n    checks:\n      - kind: mechanism_free\n        description: d\n        model: "
    << c.model << "\n        parameters:\n";
  for (const auto& [p, v] : c.parameters) y << "          " << p << ": " << v << "\n";
  y << "        observable: " << c.observable << "\n        " << c.direction << ": " << c.threshold
    << "\n        horizon_h: 2000\n";
  if (!c.extra.empty()) y << c.extra;
  return y.str();
}

std::string a(const std::string& name) { return "{assumption: " + name + "}"; }

// 24 claims over eight biomarker models; several with a reported baseline (a constraint that
// is active at the best case), timed parameter changes (dialysis and plasma exchange
// sessions, a graft at reperfusion) and thresholds that are assumptions.
std::vector<TestClaim> own_claims() {
  std::vector<TestClaim> v;
  // CRP falls with its half-life once synthesis stops (Vigushin 1993: 19 h).
  v.push_back({"crp-below-10-in-48h",
               "crp",
               "serum_crp",
               "falls_below",
               "\"10 mg/L\"",
               48,
               {{"crp_half_life", a("t_half")},
                {"crp_baseline", a("crp0")},
                {"inflammatory_stimulus", "\"0\""}},
               {{"t_half", 15, 24, "h"}, {"crp0", 80, 200, "mg/L"}}});
  v.push_back({"crp-halves-in-12h",
               "crp",
               "serum_crp",
               "falls_below",
               "{fraction_of_initial: 0.5}",
               12,
               {{"crp_half_life", a("t_half")}, {"inflammatory_stimulus", "\"0\""}},
               {{"t_half", 15, 24, "h"}}});
  v.push_back({"crp-below-threshold-72h",
               "crp",
               "serum_crp",
               "falls_below",
               a("gone"),
               72,
               {{"crp_half_life", a("t_half")},
                {"crp_baseline", a("crp0")},
                {"inflammatory_stimulus", a("stimulus")}},
               {{"t_half", 15, 24, "h"},
                {"crp0", 50, 150, "mg/L"},
                {"stimulus", 0, 0.2, "1"},
                {"gone", 5, 10, "mg/L"}}});
  // Reported baseline: the start must be at least the reported level; the best case sits on it.
  v.push_back({"crp-reported-baseline-36h",
               "crp",
               "serum_crp",
               "falls_below",
               "\"20 mg/L\"",
               36,
               {{"crp_half_life", a("t_half")},
                {"crp_baseline", a("crp0")},
                {"inflammatory_stimulus", "\"0\""}},
               {{"t_half", 15, 24, "h"}, {"crp0", 50, 200, "mg/L"}, {"reported", 90, 120, "mg/L"}},
               "        baseline_above: {assumption: reported}\n"});
  v.push_back({"crp-rises-doubling-24h",
               "crp",
               "serum_crp",
               "rises_above",
               "{fraction_of_initial: 2}",
               24,
               {{"crp_half_life", a("t_half")},
                {"crp_baseline", a("crp0")},
                {"inflammatory_stimulus", a("stimulus")}},
               {{"t_half", 15, 24, "h"}, {"crp0", 5, 20, "mg/L"}, {"stimulus", 2, 5, "1"}}});
  v.push_back({"crp-four-assumptions-96h",
               "crp",
               "serum_crp",
               "falls_below",
               "\"5 mg/L\"",
               96,
               {{"crp_half_life", a("t_half")},
                {"crp_baseline", a("crp0")},
                {"inflammatory_stimulus", a("stimulus")},
                {"crp_normal", a("crp_n")}},
               {{"t_half", 15, 24, "h"},
                {"crp0", 50, 300, "mg/L"},
                {"stimulus", 0, 0.3, "1"},
                {"crp_n", 0.3, 3, "mg/L"}}});
  // ALT falls with its 30-57 h half-life once injury ends.
  v.push_back({"alt-normal-72h",
               "alt",
               "alt",
               "falls_below",
               "\"33 U/L\"",
               72,
               {{"alt_half_life", a("t_half")},
                {"alt_baseline", a("alt0")},
                {"injury_ended", "\"1\""},
                {"alt_normal", a("alt_n")}},
               {{"t_half", 30, 57, "h"}, {"alt0", 100, 400, "U/L"}, {"alt_n", 10, 25, "U/L"}}});
  v.push_back(
      {"alt-reported-baseline-96h",
       "alt",
       "alt",
       "falls_below",
       "\"40 U/L\"",
       96,
       {{"alt_half_life", a("t_half")}, {"alt_baseline", a("alt0")}, {"injury_ended", "\"1\""}},
       {{"t_half", 30, 57, "h"}, {"alt0", 80, 500, "U/L"}, {"reported", 150, 300, "U/L"}},
       "        baseline_above: {assumption: reported}\n"});
  // Creatinine: the new steady state G/CL and t1/2 = ln 2 V / CL.
  v.push_back({"creatinine-normal-24h",
               "creatinine",
               "serum_creatinine",
               "falls_below",
               "\"1.2 mg/dL\"",
               24,
               {{"kidney_function", a("kf")},
                {"serum_creatinine_baseline", a("scr0")},
                {"creatinine_distribution_volume", a("vd")}},
               {{"kf", 0.5, 1.5, "1"}, {"scr0", 2, 5, "mg/dL"}, {"vd", 30, 50, "L"}}});
  v.push_back({"creatinine-four-48h",
               "creatinine",
               "serum_creatinine",
               "falls_below",
               "\"1.5 mg/dL\"",
               48,
               {{"kidney_function", a("kf")},
                {"serum_creatinine_baseline", a("scr0")},
                {"creatinine_distribution_volume", a("vd")},
                {"creatinine_production_rate", a("g")}},
               {{"kf", 0.3, 1, "1"},
                {"scr0", 2, 6, "mg/dL"},
                {"vd", 30, 55, "L"},
                {"g", 700, 1700, "mg/day"}}});
  // A 4-h dialysis session (a timed change): creatinine falls while it runs, rebounds after.
  v.push_back(
      {"creatinine-dialysis-session-6h",
       "creatinine",
       "serum_creatinine",
       "falls_below",
       "{fraction_of_initial: 0.6}",
       6,
       {{"serum_creatinine_baseline", a("scr0")}, {"creatinine_distribution_volume", a("vd")}},
       {{"scr0", 3, 8, "mg/dL"}, {"vd", 30, 50, "L"}, {"dialyser", 150, 250, "mL/min"}},
       "        parameter_changes:\n"
       "          - {parameter: dialysis_clearance, value: {assumption: dialyser}, "
       "time_h: 0, duration_h: 4}\n"});
  // Lactate: saturable elimination once perfusion is restored.
  v.push_back({"lactate-below-2-in-6h",
               "lactate",
               "blood_lactate",
               "falls_below",
               "\"2 mmol/L\"",
               6,
               {{"lactate_baseline", a("lac0")},
                {"perfusion_restored", "\"1\""},
                {"lactate_vmax_per_volume", a("vmax")},
                {"lactate_km", a("km")}},
               {{"lac0", 4, 10, "mmol/L"}, {"vmax", 10, 30, "mmol/L/h"}, {"km", 2, 6, "mmol/L"}}});
  v.push_back({"lactate-reported-baseline-1h",
               "lactate",
               "blood_lactate",
               "falls_below",
               "\"2 mmol/L\"",
               1,
               {{"lactate_baseline", a("lac0")},
                {"perfusion_restored", "\"1\""},
                {"lactate_vmax_per_volume", a("vmax")}},
               {{"lac0", 3, 8, "mmol/L"}, {"vmax", 10, 30, "mmol/L/h"}},
               "        baseline_above: \"4 mmol/L\"\n"});
  // Troponin: elimination half-life 2-5 h once release stops.
  v.push_back({"troponin-normal-24h",
               "troponin",
               "plasma_troponin",
               "falls_below",
               "\"34 ng/L\"",
               24,
               {{"troponin_half_life", a("t_half")},
                {"troponin_baseline", a("tn0")},
                {"myocardial_release", "\"0\""}},
               {{"t_half", 120, 300, "min"}, {"tn0", 500, 5000, "ng/L"}}});
  v.push_back(
      {"troponin-rises-in-2h",
       "troponin",
       "plasma_troponin",
       "rises_above",
       "\"100 ng/L\"",
       2,
       {{"myocardial_troponin_releasable", a("pool")}, {"troponin_release_half_life", a("t_rel")}},
       {{"pool", 1e5, 1e7, "ng"}, {"t_rel", 4, 12, "h"}}});
  // One compartment (closed form in check_engine_test).
  v.push_back({"one-compartment-10h",
               "one_compartment_iv",
               "CP",
               "falls_below",
               "\"1 mg/L\"",
               10,
               {{"CL", a("cl")}, {"V", a("v")}},
               {{"cl", 0.5, 2, "L/h"}, {"v", 5, 20, "L"}},
               "        dose_intervention_into: central\n"});
  v.push_back({"one-compartment-threshold-8h",
               "one_compartment_iv",
               "CP",
               "falls_below",
               a("c"),
               8,
               {{"CL", a("cl")}, {"V", a("v")}},
               {{"cl", 1, 4, "L/h"}, {"v", 5, 20, "L"}, {"c", 0.5, 2, "mg/L"}},
               "        dose_intervention_into: central\n"});
  // Ammonia clears in minutes once the liver works (Lockwood 1979).
  v.push_back({"ammonia-below-120-in-1h",
               "ammonia",
               "arterial_ammonia",
               "falls_below",
               "\"120 umol/L\"",
               1,
               {{"hepatic_function", "\"1\""},
                {"whole_body_ammonia_clearance", a("cl")},
                {"ammonia_distribution_volume", a("vd")},
                {"arterial_ammonia_encephalopathy", a("nh3")}},
               {{"cl", 3.3, 6.1, "L/min"}, {"vd", 25, 45, "L"}, {"nh3", 150, 250, "umol/L"}}});
  // Bilirubin: a repaired liver, delta-bilirubin only with albumin (Reed 1988).
  v.push_back({"bilirubin-halves-48h",
               "bilirubin",
               "total_bilirubin",
               "falls_below",
               "{fraction_of_initial: 0.5}",
               48,
               {{"hepatic_function", "\"1\""},
                {"baseline_total_bilirubin", a("tb0")},
                {"delta_fraction_baseline", a("delta")},
                {"plasma_volume", a("pv")}},
               {{"tb0", 10, 30, "mg/dL"}, {"delta", 0.08, 0.7, "1"}, {"pv", 2.5, 4, "L"}}});
  // One plasma-exchange session of 1-1.5 plasma volumes (a timed change).
  v.push_back({"bilirubin-exchange-session-3h",
               "bilirubin",
               "total_bilirubin",
               "falls_below",
               "{fraction_of_initial: 0.7}",
               3,
               {{"baseline_total_bilirubin", a("tb0")}, {"plasma_volume", a("pv")}},
               {{"tb0", 10, 30, "mg/dL"}, {"pv", 2.5, 4, "L"}, {"rate", 1, 2, "L/h"}},
               "        parameter_changes:\n"
               "          - {parameter: plasma_exchange_clearance, value: {assumption: rate}, "
               "time_h: 0, duration_h: 2}\n"});
  // A graft perfused at 6 h (timed change held to the end).
  v.push_back(
      {"bilirubin-graft-at-reperfusion",
       "bilirubin",
       "total_bilirubin",
       "falls_below",
       "{fraction_of_initial: 0.5}",
       174,
       {{"baseline_total_bilirubin", a("tb0")}, {"delta_fraction_baseline", a("delta")}},
       {{"tb0", 10, 30, "mg/dL"}, {"delta", 0.08, 0.7, "1"}, {"graft", 0.5, 1, "1"}},
       "        parameter_changes:\n"
       "          - {parameter: hepatic_function, value: {assumption: graft}, time_h: 6}\n"});
  v.push_back({"bilirubin-normal-4h-reported",
               "bilirubin",
               "total_bilirubin",
               "falls_below",
               "\"1.2 mg/dL\"",
               4,
               {{"hepatic_function", "\"1\""},
                {"baseline_total_bilirubin", a("tb0")},
                {"delta_fraction_baseline", a("delta")}},
               {{"tb0", 3, 30, "mg/dL"}, {"delta", 0.08, 0.7, "1"}, {"reported", 5, 8, "mg/dL"}},
               "        baseline_above: {assumption: reported}\n"});
  v.push_back(
      {"alt-two-assumptions-120h",
       "alt",
       "alt",
       "falls_below",
       "\"50 U/L\"",
       120,
       {{"alt_half_life", a("t_half")}, {"alt_baseline", a("alt0")}, {"injury_ended", "\"1\""}},
       {{"t_half", 30, 57, "h"}, {"alt0", 60, 1000, "U/L"}}});
  v.push_back(
      {"troponin-below-url-reported-12h",
       "troponin",
       "plasma_troponin",
       "falls_below",
       "\"34 ng/L\"",
       12,
       {{"troponin_half_life", a("t_half")},
        {"troponin_baseline", a("tn0")},
        {"myocardial_release", "\"0\""}},
       {{"t_half", 120, 300, "min"}, {"tn0", 100, 3000, "ng/L"}, {"reported", 200, 400, "ng/L"}},
       "        baseline_above: {assumption: reported}\n"});
  return v;
}

Claim parse(const TestClaim& c) {
  return parse_claim(yaml_of(c), c.id + ".yaml", std::string(ONSET_SOURCE_DIR) + "/tests/check",
                     io::data_dir() / "priors");
}

CheckOptions quick() {
  CheckOptions options;
  options.draws = 256;
  options.band_draws = 32;
  options.threads = 1;
  return options;
}

size_t brute_force_draws() {
  if (const char* n = std::getenv("ONSET_BRUTE_FORCE_DRAWS")) return std::strtoull(n, nullptr, 10);
  return 10000;
}

// Brute-force minimum of the onset over the box: a grid of `grid` points per assumption (its
// ends are the corners), then `draws` uniform points (std::mt19937_64, seed 16); points
// inconsistent with the claim are skipped. +inf when no point reaches the threshold.
double brute_force_minimum(const Claim& claim, int grid, size_t draws, size_t effect = 0,
                           size_t check = 0) {
  OnsetProbe probe(claim, effect, check);
  const auto& names = probe.assumptions();
  const size_t k = names.size();
  std::vector<std::pair<double, double>> box;
  for (const auto& name : names) {
    const Prior& p = claim.assumptions[static_cast<size_t>(claim.assumption_index(name))].prior;
    box.emplace_back(p.low, p.high);
  }
  double best = std::numeric_limits<double>::infinity();
  std::vector<double> x(k);
  auto consider = [&] {
    if (const auto t = probe.onset(x)) best = std::min(best, *t);
  };
  // Grid values per assumption: `grid` evenly spaced (ends included: the corners), plus the
  // ends of every other range in the same unit that fall inside (the breakpoints where a
  // constraint such as "start >= reported level" can be met with equality).
  std::vector<std::vector<double>> axes(k);
  std::vector<std::string> units;
  for (const auto& name : names)
    units.push_back(
        claim.assumptions[static_cast<size_t>(claim.assumption_index(name))].prior.unit);
  for (size_t d = 0; d < k; ++d) {
    for (int g = 0; g < grid; ++g)
      axes[d].push_back(box[d].first + (box[d].second - box[d].first) * g / (grid - 1));
    for (size_t e = 0; e < k; ++e)
      for (const double end : {box[e].first, box[e].second})
        if (e != d && units[e] == units[d] && end > box[d].first && end < box[d].second)
          axes[d].push_back(end);
  }
  size_t points = 1;
  for (size_t d = 0; d < k; ++d) points *= axes[d].size();
  for (size_t i = 0; i < points; ++i) {
    size_t rest = i;
    for (size_t d = 0; d < k; ++d) {
      x[d] = axes[d][rest % axes[d].size()];
      rest /= axes[d].size();
    }
    consider();
  }
  std::mt19937_64 rng(16);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (size_t i = 0; i < draws; ++i) {
    for (size_t d = 0; d < k; ++d)
      x[d] = box[d].first + uniform(rng) * (box[d].second - box[d].first);
    consider();
  }
  return best;
}

// The best case is never later than any Monte Carlo draw, and the reported earliest draw is the
// earliest of the draws (present exactly when a draw reached the threshold).
void expect_no_draw_beats_the_best_case(const CheckResult& c, const std::string& what) {
  double earliest = std::numeric_limits<double>::infinity();
  for (const double t : c.onset_times_h)
    if (!std::isnan(t)) earliest = std::min(earliest, t);
  EXPECT_EQ(c.earliest_draw_onset_h.has_value(), std::isfinite(earliest)) << what;
  if (c.earliest_draw_onset_h && std::isfinite(earliest)) {
    EXPECT_EQ(*c.earliest_draw_onset_h, earliest) << what;
  }
  if (!c.best_case_onset_h) {
    EXPECT_FALSE(std::isfinite(earliest)) << what << ": a draw reached a never-reached best case";
    return;
  }
  // 1e-6 relative: onsets are roots of an ODE solution solved to rtol 1e-6, and a draw's point
  // goes through the box coordinates before the search evaluates it again.
  EXPECT_LE(*c.best_case_onset_h, earliest * (1 + 1e-6)) << what;
}

// A claim with one assumption pinned to `value` (its box a point).
Claim pinned(Claim claim, const std::string& name, double value) {
  Prior& p = claim.assumptions[static_cast<size_t>(claim.assumption_index(name))].prior;
  p.low = p.high = p.central = value;
  p.distribution = "uniform";
  return claim;
}

bool reaches(const CheckResult& c, double claimed) {
  return c.best_case_onset_h && *c.best_case_onset_h <= claimed * (1 + 1e-9);
}

// Every tipping point moved 5 % past its value flips the verdict; "no value flips it" holds
// at both ends of the range.
void expect_tipping_points_hold(const Claim& claim, const EffectReport& e) {
  const CheckResult& c = *e.deciding();
  if (c.verdict == Verdict::kInconsistent) return;
  const bool reached = reaches(c, e.claimed_time_h);
  for (const auto& tp : c.tipping_points) {
    if (claim.assumption_index(tp.assumption) < 0) continue;
    if (tp.value) {
      const double past = tp.direction == "above" ? *tp.value * 1.05 : *tp.value * 0.95;
      const CheckReport r = run_check(pinned(claim, tp.assumption, past), quick());
      EXPECT_NE(reaches(*r.effects[0].deciding(), e.claimed_time_h), reached)
          << claim.id << ": " << tp.text << " (pinned at " << past << ")";
    } else {
      for (const double end : {tp.prior_low, tp.prior_high}) {
        const CheckReport r = run_check(pinned(claim, tp.assumption, end), quick());
        EXPECT_EQ(reaches(*r.effects[0].deciding(), e.claimed_time_h), reached)
            << claim.id << ": " << tp.text << " (pinned at " << end << ")";
      }
    }
  }
}

// The best case of one check against the brute-force minimum over its box: never later than
// any brute-force point (to 1e-3: local searches stop at 1e-4 in the box coordinates), and
// within 1 % of the lowest (the criterion). Prints one line per check (claim, number of
// assumptions, best case, brute-force minimum, relative difference), the record that
// check/README.md quotes for the full count.
void expect_best_case_equals_brute_force(const Claim& claim, size_t effect, size_t check,
                                         const CheckResult& c, const std::string& label) {
  ASSERT_LE(c.assumptions.size(), 4u) << label;
  const int grid = c.assumptions.size() <= 2 ? 41 : (c.assumptions.size() == 3 ? 13 : 7);
  const size_t draws = brute_force_draws();
  const double brute = brute_force_minimum(claim, grid, draws, effect, check);
  const double best =
      c.best_case_onset_h ? *c.best_case_onset_h : std::numeric_limits<double>::infinity();
  std::printf("brute-force %-60s m=%zu draws=%zu best=%.6g h brute=%.6g h rel=%+.2e\n",
              label.c_str(), c.assumptions.size(), draws, best, brute,
              std::isfinite(brute) ? (best - brute) / brute : 0.0);
  if (!std::isfinite(brute)) {
    EXPECT_FALSE(c.best_case_onset_h) << label << ": brute force never reaches it";
    return;
  }
  ASSERT_TRUE(c.best_case_onset_h) << label << ": the brute force reaches it at " << brute;
  EXPECT_LE(best, brute * (1 + 1e-3)) << label;
  EXPECT_NEAR(best, brute, 0.01 * brute) << label;
}

std::vector<std::string> shipped_claim_files() {
  std::vector<std::string> files;
  for (const auto& folder : {std::string(), std::string("literature/")})
    for (const auto& entry : std::filesystem::directory_iterator(io::data_dir() / "claims" / folder))
      if (entry.path().extension() == ".yaml")
        files.push_back(folder + entry.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(BestCaseBound, OwnClaimsBestCaseEqualsBruteForceMinimumAndNoDrawBeatsIt) {
  const auto claims = own_claims();
  ASSERT_GE(claims.size(), 20u);
  for (const auto& tc : claims) {
    SCOPED_TRACE(tc.id);
    const Claim claim = parse(tc);
    const CheckReport report = run_check(claim, quick());
    const CheckResult& c = *report.effects[0].deciding();
    expect_no_draw_beats_the_best_case(c, tc.id);
    expect_best_case_equals_brute_force(claim, 0, 0, c, tc.id);
  }
}

// Every check of a shipped claim with four or fewer assumptions (the criterion): the
// best case equals the brute-force minimum within 1 %.
TEST(BestCaseBound, ShippedClaimsWithFourOrFewerAssumptionsEqualBruteForceMinimum) {
  size_t compared = 0;
  for (const auto& f : shipped_claim_files()) {
    const Claim claim = load_claim(io::data_dir() / "claims" / f);
    for (size_t e = 0; e < claim.effects.size(); ++e)
      for (size_t k = 0; k < claim.effects[e].checks.size(); ++k) {
        if (OnsetProbe(claim, e, k).assumptions().size() > 4) continue;
        const std::string label = f + ":" + claim.effects[e].id;
        SCOPED_TRACE(label);
        // The claim reduced to this effect and check (the others cost time, not information).
        Claim one = claim;
        one.effects = {claim.effects[e]};
        one.effects[0].checks = {claim.effects[e].checks[k]};
        const CheckReport report = run_check(one, quick());
        expect_best_case_equals_brute_force(one, 0, 0, report.effects[0].checks[0], label);
        ++compared;
      }
  }
  // alt-liver-cleanse, the case report's ascites, crp-halved-overnight, crp-tocilizumab,
  // hba1c-diet and both checks of the npj control have four assumptions or fewer.
  EXPECT_GE(compared, 7u);
}

TEST(BestCaseBound, OwnClaimsTippingPointsFlipTheVerdictFivePercentPast) {
  for (const auto& tc : own_claims()) {
    SCOPED_TRACE(tc.id);
    const Claim claim = parse(tc);
    CheckOptions options = quick();
    options.tipping_points = 2;
    const CheckReport report = run_check(claim, options);
    expect_tipping_points_hold(claim, report.effects[0]);
  }
}

TEST(BestCaseBound, ShippedClaimsNoDrawBeatsTheBestCase) {
  const auto files = shipped_claim_files();
  ASSERT_GE(files.size(), 16u);  // 4 in data/claims, 12 in data/claims/literature
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    const Claim claim = load_claim(io::data_dir() / "claims" / f);
    const CheckReport report = run_check(claim, quick());
    for (const auto& e : report.effects)
      for (const auto& c : e.checks) expect_no_draw_beats_the_best_case(c, f + ":" + e.id);
  }
}

}  // namespace
}  // namespace onset::check
