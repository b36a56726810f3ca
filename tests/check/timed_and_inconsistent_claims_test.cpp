// Claims that say what they mean (issue 16): a plasma-exchange session that lasts a stated
// time, a graft perfused at a stated time, and claims that contradict themselves
// (`inconsistent`, with the reason).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "check/check.hpp"
#include "check/claim.hpp"
#include "io/data_dir.hpp"

namespace onset::check {
namespace {

Claim parse(const std::string& yaml) {
  return parse_claim(yaml, "test.yaml", std::string(ONSET_SOURCE_DIR) + "/tests/check",
                     io::data_dir() / "priors");
}

CheckOptions quick() {
  CheckOptions options;
  options.draws = 128;
  options.band_draws = 16;
  options.threads = 1;
  return options;
}

const char* kHeader =
    "id: t\nstatement: s\nsubject: {species: human, sex: female, weight_kg: 60}\n"
    "intervention: {agent: test, route: iv, duration_h: 0}\n";

// One session of plasma exchange (TPE) in a 60-kg woman with 20 mg/dL total bilirubin and no
// liver function (the model's diseased baseline). Plasma volume 2.4 L: 40 mL/kg, within the
// 2.0-2.6 L of Nadler's formula at heights 1.50-1.65 m (research16 Deliverable 3). One plasma
// volume exchanged in 2 h (1.2 L/h; Mao et al. 25-30 mL/min, and a median TPE of 120 min,
// PMC5769505, both in Tan EXX et al. World J Gastroenterol 2020;26:219). The deepest fall of
// total bilirubin (at the end of the session) is found by bisection on a threshold level.
double exchange_session_fall(double plasma_volume_l, double exchanged_l, double session_h) {
  const std::string yaml =
      std::string(kHeader) +
      "assumptions:\n  level: {description: level, low: 0.1, high: 19.9, unit: mg/dL, "
      "assumption: \"a threshold, bisected\"}\n"
      "effects:\n  - id: e\n    statement: s\n    measurable: m\n    within_h: 48\n"
      "    checks:\n      - kind: mechanism_free\n        description: d\n"
      "        model: bilirubin\n        parameters:\n"
      "          baseline_total_bilirubin: \"20 mg/dL\"\n"
      "          plasma_volume: \"" +
      std::to_string(plasma_volume_l) +
      " L\"\n"
      "        parameter_changes:\n"
      "          - {parameter: plasma_exchange_clearance, value: \"" +
      std::to_string(exchanged_l / session_h) +
      " L/h\", time_h: 0, duration_h: " + std::to_string(session_h) +
      "}\n"
      "        observable: total_bilirubin\n        falls_below: {assumption: level}\n"
      "        horizon_h: 48\n";
  const Claim claim = parse(yaml);
  OnsetProbe probe(claim, 0, 0);
  double reached = 20, missed = 0;  // levels: reached at some time / never
  for (int i = 0; i < 40; ++i) {
    const double mid = 0.5 * (reached + missed);
    (probe.onset({mid}) ? reached : missed) = mid;
  }
  return 1 - reached / 20;
}

TEST(TimedInterventions, PlasmaExchangeSessionFallsLikePublishedSessions) {
  const double fall = exchange_session_fall(2.4, 2.4, 2);
  // Upper bound: one compartment, no return from the extravascular pool, no production:
  // 1 - e^-1 = 63.2 % for one plasma volume (Reverberi & Reverberi, Blood Transfus
  // 2007;5:164: exchange removes only the intravascular part). Bilirubin returns from the
  // interstitium during the session, so the fall is smaller.
  EXPECT_LT(fall, 1 - std::exp(-1.0));
  // Published per-session falls: plasma separation with BR-350 adsorption, 3-4 L plasma
  // processed (about 1-1.5 plasma volumes) at 20-30 mL/min: 25.2 +/- 14 % (Mancini E et al.
  // Crit Care 2002;6(Suppl 1):P188); Prometheus, 6 h: 41.2 +/- 5.1 % (Blood Purif 2005;23:349);
  // MARS 18-27 % (clinical_params.md D). An exchange removes all bilirubin of the plasma it
  // takes, an adsorber or albumin dialysis only part of it, so one plasma volume exchanged
  // falls at least as far as Mancini's mean for the same plasma volume processed. The model
  // gives 53 %, between Mancini's 25 % and the 63 % one-compartment bound; the published
  // figure for plain exchange (50 % at 5 % of body weight, Otake 1983) is the next test.
  EXPECT_GE(fall, 0.252) << fall;
  // A 60 % fall in one 1-plasma-volume session (issue 16's example, once "plausible" with the
  // exchange left on all the time) is now out of reach.
  EXPECT_LT(fall, 0.60) << fall;
  // A session limited in time: the same exchange held for the whole 48 h would go far deeper.
  EXPECT_GT(exchange_session_fall(2.4, 2.4 * 24, 48), fall + 0.2);
  // More plasma exchanged in the same session: a larger fall (1.5 plasma volumes).
  EXPECT_GT(exchange_session_fall(2.4, 3.6, 2), fall);
}

TEST(TimedInterventions, PlasmaExchangeOfFivePercentOfBodyWeightHalvesBilirubin) {
  // The published per-session figure for plain plasma exchange, with its volume: Otake Y,
  // Odaka M, Hirasawa H, et al. "Indications and limits of plasmapheresis for liver failure
  // with hyperbilirubinaemia" (高ビリルビン血症を主症状とした肝不全に対するPlasmapheresisの適応と
  // 限界), Jinko Zoki (Japanese Journal of Artificial Organs) 1983;12(1):297-300 (abstract read
  // at https://www.jstage.jst.go.jp/article/jsao1972/12/1/12_1_297/_article/-char/ja): 71
  // centrifugal exchanges (Haemonetics Model 30) in 24 patients; the fall of bilirubin
  // correlates with the volume exchanged per body weight (r = 0.739), and **an exchange of 5 %
  // of body weight lowered bilirubin by 50 %**. For the 60-kg woman of exchange_session_fall
  // that is 3 L (plasma about 1 kg/L), 1.25 of her 2.4 L plasma volume.
  // The abstract gives neither the regression's scatter nor the session length (discontinuous-
  // flow centrifuges of 1983 took hours). At the model's central values the fall depends on
  // the session's length, since bilirubin returns from the interstitium while plasma is
  // removed (UCB 0.30 /h, CB 0.15 /h plasma -> extravascular): 65 % in 1 h, 61 % in 2 h, 57 %
  // in 3 h, 54 % in 4 h, 50 % in 6 h. So: (1) the published 50 % lies within the model's range
  // for 2-6 h sessions; (2) the model is never harsher than the published mean (a checker's
  // best case must not understate what an exchange can do), and over-generous by at most
  // 12 percentage points for a 2-h session.
  const double fall_2h = exchange_session_fall(2.4, 3.0, 2);
  const double fall_6h = exchange_session_fall(2.4, 3.0, 6);
  EXPECT_GE(fall_2h, 0.50) << fall_2h;
  EXPECT_LE(fall_6h, 0.52) << fall_6h;
  EXPECT_LE(fall_2h, 0.50 + 0.12) << fall_2h;
  // Less than the one-compartment bound for 1.25 plasma volumes, 1 - e^-1.25 = 71 %.
  EXPECT_LT(fall_2h, 1 - std::exp(-1.25));
}

TEST(TimedInterventions, GraftAtReperfusionIsExpressibleAndClocksStartThere) {
  // Anhepatic until reperfusion at 6 h; total bilirubin halves later than with a graft at
  // t = 0, and the window counts from reperfusion (time_origin {event, at_h}).
  auto claim_with = [](double reperfusion_h) {
    return parse(std::string(kHeader) +
                 "time_origin: {event: reperfusion, at_h: " + std::to_string(reperfusion_h) +
                 "}\n"
                 "effects:\n  - id: e\n    statement: s\n    measurable: m\n    within_h: 168\n"
                 "    checks:\n      - kind: mechanism_free\n        description: d\n"
                 "        model: bilirubin\n        parameters:\n"
                 "          baseline_total_bilirubin: \"15 mg/dL\"\n"
                 "        parameter_changes:\n"
                 "          - {parameter: hepatic_function, value: \"1\", time_h: " +
                 std::to_string(reperfusion_h) +
                 "}\n"
                 "        observable: total_bilirubin\n"
                 "        falls_below: {fraction_of_initial: 0.5}\n        horizon_h: 2000\n");
  };
  const Claim at_zero = claim_with(0), at_six = claim_with(6);
  EXPECT_EQ(at_six.time_origin, "reperfusion");
  EXPECT_DOUBLE_EQ(at_six.effects[0].claimed_time_h, 174);
  const CheckReport a = run_check(at_zero, quick()), b = run_check(at_six, quick());
  ASSERT_TRUE(a.effects[0].deciding()->best_case_onset_h);
  ASSERT_TRUE(b.effects[0].deciding()->best_case_onset_h);
  // Nothing clears bilirubin before reperfusion (production continues), so the fall starts
  // at 6 h: the onset is later by at least the anhepatic time's worth.
  EXPECT_GT(*b.effects[0].deciding()->best_case_onset_h,
            *a.effects[0].deciding()->best_case_onset_h + 5.9);
}

TEST(InconsistentClaims, ThresholdEqualToTheStartingValue) {
  // CRP starts at 100 mg/L; "falls below 100 mg/L" holds at t = 0 only by a non-strict
  // reading: the claimed change has nothing to do (strict crossing, check/README.md).
  const Claim claim = parse(std::string(kHeader) +
                            "effects:\n  - id: e\n    statement: s\n    measurable: m\n"
                            "    within_h: 12\n    checks:\n      - kind: mechanism_free\n"
                            "        description: d\n        model: crp\n        parameters:\n"
                            "          crp_baseline: \"100 mg/L\"\n"
                            "          inflammatory_stimulus: \"0\"\n"
                            "        observable: serum_crp\n        falls_below: \"100 mg/L\"\n");
  const CheckReport r = run_check(claim, quick());
  EXPECT_EQ(r.effects[0].verdict, Verdict::kInconsistent);
  EXPECT_NE(r.effects[0].reason.find("already meets the threshold"), std::string::npos)
      << r.effects[0].reason;
}

TEST(InconsistentClaims, BeforeAndAfterRangesOverlap) {
  // "Obvious jaundice before" from 2 mg/dL and "gone" below 2.5 mg/dL: the ranges overlap,
  // so the claim's "before" could already be its "after".
  const Claim claim =
      parse(std::string(kHeader) +
            "assumptions:\n"
            "  before: {description: b, low: 2, high: 6, unit: mg/dL, assumption: a}\n"
            "  gone: {description: g, low: 2, high: 2.5, unit: mg/dL, assumption: a}\n"
            "effects:\n  - id: e\n    statement: s\n    measurable: m\n    within_h: 4\n"
            "    checks:\n      - kind: mechanism_free\n        description: d\n"
            "        model: bilirubin\n        parameters:\n          hepatic_function: \"1\"\n"
            "          baseline_total_bilirubin: \"10 mg/dL\"\n"
            "        observable: total_bilirubin\n        falls_below: {assumption: gone}\n"
            "        baseline_above: {assumption: before}\n");
  const CheckReport r = run_check(claim, quick());
  EXPECT_EQ(r.effects[0].verdict, Verdict::kInconsistent);
  EXPECT_NE(r.effects[0].reason.find("overlap"), std::string::npos) << r.effects[0].reason;
}

TEST(InconsistentClaims, BaselineNowhereReachable) {
  // The reported "before" level (40-50 mg/dL) is above every start the box allows (10 mg/dL).
  const Claim claim =
      parse(std::string(kHeader) +
            "effects:\n  - id: e\n    statement: s\n    measurable: m\n    within_h: 4\n"
            "    checks:\n      - kind: mechanism_free\n        description: d\n"
            "        model: bilirubin\n        parameters:\n          hepatic_function: \"1\"\n"
            "          baseline_total_bilirubin: \"10 mg/dL\"\n"
            "        observable: total_bilirubin\n        falls_below: \"2 mg/dL\"\n"
            "        baseline_above: \"40 mg/dL\"\n");
  const CheckReport r = run_check(claim, quick());
  EXPECT_EQ(r.effects[0].verdict, Verdict::kInconsistent);
  EXPECT_NE(r.effects[0].reason.find("reported baseline"), std::string::npos)
      << r.effects[0].reason;
}

}  // namespace
}  // namespace onset::check
