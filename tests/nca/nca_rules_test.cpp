// NCA conventions on small synthetic profiles whose answers are known in closed form.
#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>

#include "nca/nca.hpp"

namespace onset::nca {
namespace {

Profile make_profile(std::initializer_list<std::pair<double, double>> points, double dose = 100) {
  Profile profile;
  profile.subject = std::string("S");
  profile.dose = dose;
  for (const auto& [time, conc] : points) profile.samples.push_back({time, conc, false, 0});
  return profile;
}

// C = 10 exp(-0.2 t): every quantity is known exactly.
Profile mono_exponential() {
  Profile profile;
  profile.subject = "mono";
  profile.dose = 100;
  for (double t : {1.0, 2.0, 4.0, 8.0, 12.0, 24.0}) {
    profile.samples.push_back({t, 10 * std::exp(-0.2 * t), false, 0});
  }
  return profile;
}

TEST(NcaRules, MonoExponentialBolusWithLogDownIsExact) {
  NcaOptions options;
  options.route = Route::kIvBolus;
  options.auc_method = AucMethod::kLinearUpLogDown;
  const NcaResult result = run_nca(mono_exponential(), options);
  // C0 = 10, AUC(0-inf) = 10/0.2 = 50, CL = 100/50 = 2, Vz = CL/k = 10, MRT = 1/k = 5,
  // Vss = 10, AUC(0-24) = 50 (1 - e^-4.8).
  EXPECT_NEAR(result.value("C0"), 10, 1e-12);
  EXPECT_NEAR(result.value("LAMZ"), 0.2, 1e-13);
  EXPECT_NEAR(result.value("R2"), 1, 1e-13);
  EXPECT_EQ(result.value("LAMZNPT"), 6);  // all points tie at R2adj = 1: the most points win
  EXPECT_NEAR(result.value("AUCLST"), 50 * (1 - std::exp(-4.8)), 1e-11);
  EXPECT_NEAR(result.value("AUCIFO"), 50, 1e-11);
  EXPECT_NEAR(result.value("AUMCIFO"), 10 / (0.2 * 0.2), 1e-9);
  EXPECT_NEAR(result.value("CLO"), 2, 1e-12);
  EXPECT_NEAR(result.value("VZO"), 10, 1e-11);
  EXPECT_NEAR(result.value("MRTIVIFO"), 5, 1e-11);
  EXPECT_NEAR(result.value("VSSO"), 10, 1e-10);
  EXPECT_NEAR(result.value("AUCPBEO"), 100 * (1 - std::exp(-0.2)), 1e-10);
}

TEST(NcaRules, LinearTrapezoidOverestimatesADecliningExponential) {
  NcaOptions options;
  options.route = Route::kIvBolus;
  options.auc_method = AucMethod::kLinear;
  const NcaResult result = run_nca(mono_exponential(), options);
  double by_hand = 0;  // linear trapezoids from (0, 10) through the six points
  double t0 = 0;
  double c0 = 10;
  for (double t : {1.0, 2.0, 4.0, 8.0, 12.0, 24.0}) {
    const double c = 10 * std::exp(-0.2 * t);
    by_hand += (t - t0) * (c0 + c) / 2;
    t0 = t;
    c0 = c;
  }
  EXPECT_NEAR(result.value("AUCLST"), by_hand, 1e-11);
  EXPECT_GT(result.value("AUCLST"), 50 * (1 - std::exp(-4.8)));
}

TEST(NcaRules, InfusionMrtCountsFromTheMiddleOfTheInfusion) {
  NcaOptions bolus;
  bolus.route = Route::kIvBolus;
  NcaOptions infusion;
  infusion.route = Route::kIvInfusion;
  infusion.infusion_duration = 1.0;
  const Profile profile = make_profile({{0, 0}, {1, 8}, {2, 6}, {4, 3.5}, {8, 1.2}, {12, 0.4}});
  const NcaResult result = run_nca(profile, infusion);
  const double auc = result.value("AUCIFO");
  const double aumc = result.value("AUMCIFO");
  EXPECT_NEAR(result.value("MRTIVIFO"), aumc / auc - 0.5, 1e-12);
  EXPECT_NEAR(result.value("MRTIVLST"), result.value("AUMCLST") / result.value("AUCLST") - 0.5,
              1e-12);
  EXPECT_NEAR(result.value("VSSO"), result.value("MRTIVIFO") * result.value("CLO"), 1e-12);
  EXPECT_EQ(result.find("C0"), nullptr);  // no C0 for an infusion
  EXPECT_EQ(result.find("CLFO"), nullptr);
}

TEST(NcaRules, InfusionWithoutDurationIsAnInvalidOption) {
  NcaOptions options;
  options.route = Route::kIvInfusion;
  std::string why;
  EXPECT_FALSE(options.IsValid(&why));
  EXPECT_NE(why.find("duration"), std::string::npos);
  EXPECT_THROW(run_nca(mono_exponential(), options), std::invalid_argument);
}

TEST(NcaRules, BestFitPrefersTheLargestAdjustedR2) {
  // Distribution phase then a clean terminal phase: the last 3 points fit exactly (R2adj = 1),
  // adding earlier points lowers R2adj by far more than 1e-4.
  const Profile profile = make_profile({{0.5, 5},
                                        {1, 9},
                                        {2, 6},
                                        {3, 3},
                                        {4, 2.2},
                                        {6, 8 * std::exp(-0.1 * 6)},
                                        {8, 8 * std::exp(-0.1 * 8)},
                                        {12, 8 * std::exp(-0.1 * 12)}});
  const NcaResult result = run_nca(profile, NcaOptions{});
  EXPECT_EQ(result.value("LAMZNPT"), 3);
  EXPECT_NEAR(result.value("LAMZ"), 0.1, 1e-12);
  EXPECT_EQ(result.value("LAMZLL"), 6);
}

TEST(NcaRules, BestFitTakesMorePointsWhenAdjustedR2IsWithinTolerance) {
  // Points on an exponential with a tiny wobble: every fit has R2adj within 1e-4 of the best,
  // so the one with the most points (all 5 after Cmax) wins.
  const Profile profile = make_profile({{0.5, 1},
                                        {1, 10},
                                        {2, 8.187307 * 1.00001},
                                        {4, 5.488116},
                                        {6, 3.678794 * 0.99999},
                                        {8, 2.465970},
                                        {10, 1.652989}});
  const NcaResult result = run_nca(profile, NcaOptions{});
  EXPECT_EQ(result.value("LAMZNPT"), 5);
  EXPECT_NEAR(result.value("LAMZ"), 0.2, 1e-5);
}

TEST(NcaRules, ExtravascularFitExcludesCmaxButBolusFitMayStartThere) {
  const Profile profile = make_profile({{1, 10}, {2, 8}, {4, 5}, {8, 2}});
  NcaOptions ev;
  const NcaResult oral = run_nca(profile, ev);
  EXPECT_EQ(oral.value("LAMZNPT"), 3);
  EXPECT_EQ(oral.value("LAMZLL"), 2);
  NcaOptions iv;
  iv.route = Route::kIvBolus;
  const NcaResult bolus = run_nca(profile, iv);
  EXPECT_EQ(bolus.value("LAMZLL"), 1);  // 4 points from Cmax fit better than the last 3
}

TEST(NcaRules, FewerThanThreePointsAfterCmaxGivesAReason) {
  const NcaResult result = run_nca(make_profile({{0, 0}, {1, 2}, {2, 5}, {4, 3}, {8, 1}}), {});
  EXPECT_TRUE(std::isnan(result.value("LAMZ")));
  EXPECT_EQ(result.find("LAMZ")->note,
            "LAMZ not estimable: fewer than 3 positive concentrations after Cmax (found 2)");
  EXPECT_EQ(result.find("AUCIFO")->note,
            "LAMZ not estimable: fewer than 3 positive concentrations after Cmax (found 2)");
  EXPECT_NEAR(result.value("AUCLST"), 0.5 * 2 + 0.5 * 7 + 8 + 8, 1e-12);  // still reported
}

TEST(NcaRules, RisingTerminalPhaseMeansLambdaZNotEstimable) {
  const NcaResult result =
      run_nca(make_profile({{1, 10}, {2, 1}, {3, 1.1}, {4, 1.2}, {5, 1.3}}), {});
  EXPECT_TRUE(std::isnan(result.value("LAMZ")));
  EXPECT_NE(result.find("LAMZ")->note.find("no regression"), std::string::npos);
}

TEST(NcaRules, ManualTimeRangeAndLastPointsSelection) {
  const Profile profile = make_profile({{0, 0}, {1, 10}, {2, 8}, {4, 5}, {8, 2}, {12, 0.9}});
  NcaOptions range;
  range.lambda_z.mode = LambdaZSelection::Mode::kTimeRange;
  range.lambda_z.start_time = 2;
  range.lambda_z.end_time = 8;
  const NcaResult by_range = run_nca(profile, range);
  EXPECT_EQ(by_range.value("LAMZNPT"), 3);
  EXPECT_EQ(by_range.value("LAMZLL"), 2);
  EXPECT_EQ(by_range.value("LAMZUL"), 8);
  NcaOptions last;
  last.lambda_z.mode = LambdaZSelection::Mode::kLastPoints;
  last.lambda_z.point_count = 2;
  const NcaResult by_count = run_nca(profile, last);
  EXPECT_NEAR(by_count.value("LAMZ"), std::log(2 / 0.9) / 4, 1e-14);
  EXPECT_TRUE(std::isnan(by_count.value("R2ADJ")));  // 2 points: no adjusted R2
  EXPECT_EQ(by_count.find("R2ADJ")->note, "needs 3 or more points in the regression");
}

TEST(NcaRules, BlqBeforeTmaxBecomesZeroAndAfterTmaxIsDropped) {
  Profile profile = make_profile({{0, 0}, {0.5, 0}, {1, 4}, {2, 10}, {4, 6}, {6, 0}, {8, 2}});
  profile.samples[1].blq = true;  // before Tmax
  profile.samples[5].blq = true;  // after Tmax
  const NcaResult standard = run_nca(profile, NcaOptions{});
  // (0,0) (0.5,0) (1,4) (2,10) (4,6) (8,2): 1 + 7 + 16 + 16 = 40
  EXPECT_NEAR(standard.value("AUCLST"), 0.5 * 4 / 2 + 7 + 16 + 16, 1e-12);
  EXPECT_EQ(standard.notes.back(),
            "BLQ rule 'zero-before-tmax': 1 BLQ value(s) set to 0, 1 dropped");

  NcaOptions all_zero;
  all_zero.blq_rule = BlqRule::kAllZero;
  const NcaResult zero = run_nca(profile, all_zero);
  // ... (4,6) (6,0) (8,2): 6 + 2 instead of 16
  EXPECT_NEAR(zero.value("AUCLST"), 1 + 7 + 16 + 6 + 2, 1e-12);

  NcaOptions all_missing;
  all_missing.blq_rule = BlqRule::kAllMissing;
  const NcaResult missing = run_nca(profile, all_missing);
  // (0,0) (1,4) (2,10) (4,6) (8,2)
  EXPECT_NEAR(missing.value("AUCLST"), 2 + 7 + 16 + 16, 1e-12);
}

TEST(NcaRules, NoPositiveConcentrationExcludesTheSubject) {
  const NcaResult result = run_nca(make_profile({{0, 0}, {1, 0}, {2, 0}}), {});
  EXPECT_TRUE(result.excluded);
  EXPECT_EQ(result.exclusion_reason, "no positive concentration");
  EXPECT_EQ(result.value("CMAX"), 0);
}

TEST(NcaRules, AllMissingConcentrationsExcludeTheSubject) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const NcaResult result = run_nca(make_profile({{1, nan}, {2, nan}}), {});
  EXPECT_TRUE(result.excluded);
  EXPECT_EQ(result.exclusion_reason, "no usable concentrations");
}

TEST(NcaRules, UnsortedProfileIsExcludedNotCrashed) {
  const NcaResult result = run_nca(make_profile({{0, 0}, {2, 5}, {1, 3}}), {});
  EXPECT_TRUE(result.excluded);
  EXPECT_EQ(result.exclusion_reason, "times not strictly increasing: t = 1 follows t = 2");
}

TEST(NcaRules, MissingDoseLeavesClearanceUnavailableWithAReason) {
  Profile profile = mono_exponential();
  profile.dose = std::numeric_limits<double>::quiet_NaN();
  const NcaResult result = run_nca(profile, NcaOptions{});
  EXPECT_TRUE(std::isnan(result.value("CLFO")));
  EXPECT_EQ(result.find("CLFO")->note, "no dose given");
  EXPECT_FALSE(std::isnan(result.value("AUCIFO")));
}

TEST(NcaRules, LowAdjustedR2ExcludesLambdaZResultsWhenAsked) {
  const Profile profile = make_profile({{1, 10}, {2, 8}, {4, 7}, {6, 3}, {8, 2.9}, {10, 1}});
  NcaOptions options;
  options.min_adjusted_r_squared = 0.99;
  const NcaResult result = run_nca(profile, options);
  ASSERT_LT(result.lambda_z.adjusted_r_squared, 0.99);
  EXPECT_TRUE(result.find("AUCIFO")->excluded);
  EXPECT_TRUE(result.find("LAMZHL")->excluded);
  EXPECT_FALSE(result.find("R2ADJ")->excluded);
  EXPECT_EQ(result.find("AUCIFO")->note.rfind("terminal regression adjusted R2", 0), 0u);
}

TEST(NcaRules, PartialAucInterpolatesOnTheLogCurveWhenDeclining) {
  const Profile profile = make_profile({{0, 0}, {1, 8}, {3, 2}, {5, 1}});
  NcaOptions options;
  options.auc_method = AucMethod::kLinearUpLogDown;
  options.partial_aucs = {{0.5, 2}, {4, 9}};
  options.lambda_z.mode = LambdaZSelection::Mode::kLastPoints;  // only 2 points after Cmax
  options.lambda_z.point_count = 2;
  const NcaResult result = run_nca(profile, options);
  // [0.5, 1] linear: C(0.5) = 4, area 0.5 * (4 + 8)/2 = 3.
  // [1, 2] log: C(2) = 8 * (2/8)^(1/2) = 4, area 1 * (8 - 4)/ln 2.
  EXPECT_NEAR(result.value("AUCINT_0.5_2"), 3 + 4 / std::log(2.0), 1e-12);
  // [4, 5] log between (3, 2) and (5, 1): C(4) = sqrt 2; [5, 9] extrapolated from Clast = 1.
  const double lambda = result.value("LAMZ");
  EXPECT_NEAR(lambda, std::log(2.0) / 2, 1e-14);
  const double expected =
      (std::sqrt(2.0) - 1) / std::log(std::sqrt(2.0)) + (1 - std::exp(-4 * lambda)) / lambda;
  EXPECT_NEAR(result.value("AUCINT_4_9"), expected, 1e-12);
  EXPECT_EQ(result.find("AUCINT_4_9")->note, "extrapolated after TLST");
}

TEST(NcaRules, LinearLogUsesLogsOnlyAfterTmax) {
  // A dip before Tmax: linear-log keeps it linear, linear-up/log-down takes the log.
  const Profile profile = make_profile({{0, 0}, {1, 6}, {2, 3}, {3, 9}, {5, 4}, {7, 2}, {9, 1}});
  NcaOptions linear_log;
  linear_log.auc_method = AucMethod::kLinearLog;
  NcaOptions up_down;
  up_down.auc_method = AucMethod::kLinearUpLogDown;
  const double after_tmax =
      2 * 5 / std::log(9.0 / 4) + 2 * 2 / std::log(2.0) + 2 * 1 / std::log(2.0);
  EXPECT_NEAR(run_nca(profile, linear_log).value("AUCLST"), 3 + 4.5 + 6 + after_tmax, 1e-12);
  EXPECT_NEAR(run_nca(profile, up_down).value("AUCLST"), 3 + 3 / std::log(2.0) + 6 + after_tmax,
              1e-12);
}

TEST(NcaRules, UnitConversionsScaleEveryResult) {
  // The mono-exponential with time in minutes and concentrations in ng/mL, dose in ug;
  // results asked in h, ug/mL (= mg/L) and mL.
  Profile profile;
  profile.subject = "units";
  profile.dose = 100 * 1000;  // 100 mg in ug
  for (double t : {1.0, 2.0, 4.0, 8.0, 12.0, 24.0}) {
    profile.samples.push_back({t * 60, 10 * std::exp(-0.2 * t) * 1000, false, 0});
  }
  NcaOptions options;
  options.route = Route::kIvBolus;
  options.auc_method = AucMethod::kLinearUpLogDown;
  options.units.time = *parse_time_unit("min");
  options.units.concentration = *parse_concentration_unit("ng/mL");
  options.units.dose = *parse_mass_unit("ug");
  options.units.output_time = *parse_time_unit("h");
  options.units.output_concentration = *parse_concentration_unit("ug/mL");
  options.units.output_volume = *parse_volume_unit("mL");
  const NcaResult result = run_nca(profile, options);
  EXPECT_NEAR(result.value("LAMZ"), 0.2, 1e-12);
  EXPECT_EQ(result.find("LAMZ")->unit, "1/h");
  EXPECT_NEAR(result.value("AUCIFO"), 50, 1e-10);
  EXPECT_EQ(result.find("AUCIFO")->unit, "h*ug/mL");
  EXPECT_NEAR(result.value("CLO"), 2000, 1e-8);  // 2 L/h
  EXPECT_EQ(result.find("CLO")->unit, "mL/h");
  EXPECT_NEAR(result.value("VZO"), 10000, 1e-7);  // 10 L
  EXPECT_EQ(result.find("VZO")->unit, "mL");
  EXPECT_NEAR(result.value("TLST"), 24, 1e-12);
}

TEST(NcaRules, UnitNamesParse) {
  EXPECT_DOUBLE_EQ(parse_time_unit("day")->hours, 24);
  EXPECT_DOUBLE_EQ(parse_time_unit("min")->hours, 1.0 / 60);
  EXPECT_DOUBLE_EQ(parse_mass_unit("ng")->milligrams, 1e-6);
  EXPECT_DOUBLE_EQ(parse_mass_unit("mcg")->milligrams, 1e-3);
  EXPECT_DOUBLE_EQ(parse_concentration_unit("ng/mL")->milligrams_per_litre(), 1e-3);
  EXPECT_FALSE(parse_concentration_unit("mg").has_value());
  EXPECT_FALSE(parse_time_unit("fortnight").has_value());
}

}  // namespace
}  // namespace onset::nca
