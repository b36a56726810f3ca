// NCA of tissue (organ) data in %ID/g, as biodistribution studies report them, against a hand
// calculation. The data: liver %ID/g after an IV bolus, simulated from the uptake curve
// C(t) = 20 (exp(-0.1 t) - exp(-2 t)) %ID/g and rounded to 3 significant digits as a paper
// would print them (the rounded values are the data; every number below is from them):
//
//   t (h)      0.25   1     4     8     24    48
//   C (%ID/g)  7.38   15.4  13.4  8.99  1.81  0.165
//
// Tissue samples start at 0 at the dose time: the curve is (0, 0) then the data, whatever the
// route (an IV bolus into blood does not put a C0 into the liver; back-extrapolating one, as
// plasma NCA does, gave the "liver C0 22.66"). Hand calculation, linear up / log down:
//   0    -> 0.25  up, linear: 0.25 (0 + 7.38) / 2            =  0.9225
//   0.25 -> 1     up, linear: 0.75 (7.38 + 15.4) / 2         =  8.5425
//   1    -> 4     down, log: (15.4 - 13.4) 3 / ln(15.4/13.4) = 43.130466
//   4    -> 8     down, log: (13.4 - 8.99) 4 / ln(13.4/8.99) = 44.194814
//   8    -> 24    down, log: (8.99 - 1.81) 16 / ln(8.99/1.81)= 71.675195
//   24   -> 48    down, log: (1.81 - 0.165) 24 / ln(1.81/0.165) = 16.483402
//   AUClast = 184.948877 h*%ID/g; Cmax 15.4 %ID/g at Tmax 1 h; Clast 0.165 at Tlast 48 h.
// Lambda_z: ln C on t over the last 3 points after Tmax (8, 24, 48 h) gives slope -0.0999362,
// adjusted R^2 0.99999787; over the last 4 (4 - 48 h) -0.0999479, adjusted R^2 0.99999888,
// the larger: LAMZ = 0.0999479 /h (least squares by the textbook formulas, slope = Sxy/Sxx).
// AUCIFO = 184.948877 + 0.165 / 0.0999479 = 186.599737 h*%ID/g. No CL or V: a tissue AUC is
// not dose / clearance.
#include <gtest/gtest.h>

#include <cmath>

#include "nca/nca.hpp"

namespace onset::nca {
namespace {

Profile liver() {
  Profile profile;
  profile.subject = "liver";
  profile.dose = 1e10;  // particles, irrelevant: %ID data carry the dose in their unit
  const double t[] = {0.25, 1, 4, 8, 24, 48};
  const double c[] = {7.38, 15.4, 13.4, 8.99, 1.81, 0.165};
  for (int i = 0; i < 6; ++i) profile.samples.push_back({t[i], c[i], false, 0});
  return profile;
}

NcaOptions tissue_options() {
  NcaOptions options;
  options.route = Route::kIvBolus;
  options.tissue = true;
  options.auc_method = AucMethod::kLinearUpLogDown;
  const auto unit = parse_concentration_unit("%ID/g");
  EXPECT_TRUE(unit.has_value());
  options.units = NcaUnits::same_as_data(TimeUnit{}, *unit, MassUnit{});
  return options;
}

TEST(NcaTissue, PercentDosePerGramAgainstAHandCalculation) {
  const NcaResult result = run_nca(liver(), tissue_options());
  ASSERT_FALSE(result.excluded) << result.exclusion_reason;
  // The hand calculation above carries 9 significant digits: 1e-8 relative.
  EXPECT_NEAR(result.value("AUCLST"), 184.948877, 1e-8 * 185);
  EXPECT_EQ(result.value("CMAX"), 15.4);
  EXPECT_EQ(result.value("TMAX"), 1.0);
  EXPECT_EQ(result.value("CLST"), 0.165);
  EXPECT_EQ(result.value("TLST"), 48.0);
  EXPECT_EQ(result.value("LAMZNPT"), 4.0);
  EXPECT_NEAR(result.value("LAMZ"), 0.0999479, 1e-6 * 0.1);
  EXPECT_NEAR(result.value("AUCIFO"), 186.599737, 1e-6 * 187);
  // Units as a reader of a biodistribution paper writes them.
  EXPECT_EQ(result.find("CMAX")->unit, "%ID/g");
  EXPECT_EQ(result.find("AUCLST")->unit, "h*%ID/g");
  EXPECT_EQ(result.find("AUMCLST")->unit, "h^2*%ID/g");
  EXPECT_EQ(result.find("TMAX")->unit, "h");
  // No C0 and no back-extrapolated area for tissue; the curve started at (0, 0).
  EXPECT_EQ(result.find("C0"), nullptr);
  EXPECT_EQ(result.find("AUCPBEO"), nullptr);
  bool zero_at_dose = false;
  for (const auto& note : result.notes) zero_at_dose |= note.find("concentration 0") == 0;
  EXPECT_TRUE(zero_at_dose);
  // No clearance or volume, with the reason.
  for (const char* code : {"CLO", "VZO", "VSSO"}) {
    ASSERT_NE(result.find(code), nullptr) << code;
    EXPECT_TRUE(std::isnan(result.find(code)->value)) << code;
    EXPECT_NE(result.find(code)->note.find("tissue"), std::string::npos) << code;
  }
}

TEST(NcaTissue, PlasmaBolusRulesWouldInventAC0ForTheSameOrgan) {
  // The same liver data treated as plasma (no --tissue): the first two points rise, so C0 is
  // the first concentration, 7.38, put at t = 0, and the first segment becomes 0.25 x 7.38
  // = 1.845 instead of 0.9225: AUClast larger by 0.9225. This is what --tissue prevents.
  NcaOptions options = tissue_options();
  options.tissue = false;
  const NcaResult plasma = run_nca(liver(), options);
  EXPECT_EQ(plasma.value("C0"), 7.38);
  EXPECT_NEAR(plasma.value("AUCLST"), 184.948877 + 0.9225, 1e-8 * 186);
  // %ID/g is per gram of tissue, not per volume: no clearance even without --tissue.
  EXPECT_TRUE(std::isnan(plasma.find("CLO")->value));
  EXPECT_NE(plasma.find("CLO")->note.find("per volume"), std::string::npos);
}

TEST(NcaTissue, PercentDosePerMillilitreOfBloodGivesAClearanceFromTheHundredPercentDose) {
  // Blood in %ID/mL, C = 10 exp(-0.2 t) %ID/mL: AUC(0-inf) = 50 h*%ID/mL; the dose is 100 %ID,
  // so CL = 100 / 50 = 2 mL/h = 0.002 L/h (volumes reported in L), Vz = CL / 0.2 = 0.01 L.
  Profile blood;
  blood.subject = "blood";
  for (double t : {1.0, 2.0, 4.0, 8.0, 12.0, 24.0})
    blood.samples.push_back({t, 10 * std::exp(-0.2 * t), false, 0});
  NcaOptions options;
  options.route = Route::kIvBolus;
  options.auc_method = AucMethod::kLinearUpLogDown;
  options.units =
      NcaUnits::same_as_data(TimeUnit{}, *parse_concentration_unit("%ID/mL"), MassUnit{});
  const NcaResult result = run_nca(blood, options);
  EXPECT_NEAR(result.value("C0"), 10, 1e-12);
  EXPECT_NEAR(result.value("AUCIFO"), 50, 1e-10);
  EXPECT_EQ(result.find("AUCIFO")->unit, "h*%ID/mL");
  EXPECT_NEAR(result.value("CLO"), 0.002, 1e-14);
  EXPECT_EQ(result.find("CLO")->unit, "L/h");
  EXPECT_NEAR(result.value("VZO"), 0.01, 1e-13);
}

TEST(NcaTissue, PercentDoseUnitsAreNotConvertedToMassUnits) {
  EXPECT_EQ(parse_concentration_unit("%ID")->name(), "%ID");
  EXPECT_EQ(parse_concentration_unit("%ID/g")->name(), "%ID/g");
  EXPECT_FALSE(parse_concentration_unit("%ID/kg").has_value());
  EXPECT_FALSE(parse_concentration_unit("%IDg").has_value());
  NcaOptions options = tissue_options();
  options.units.output_concentration = *parse_concentration_unit("mg/L");
  std::string why;
  EXPECT_FALSE(options.IsValid(&why));
  EXPECT_NE(why.find("%ID/g"), std::string::npos) << why;
  // %ID/mL to %ID/L converts (a volume change only).
  options.units =
      NcaUnits::same_as_data(TimeUnit{}, *parse_concentration_unit("%ID/mL"), MassUnit{});
  options.units.output_concentration = *parse_concentration_unit("%ID/L");
  EXPECT_TRUE(options.IsValid(&why)) << why;
}

}  // namespace
}  // namespace onset::nca
