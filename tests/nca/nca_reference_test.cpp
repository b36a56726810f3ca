// NCA of the two classic datasets, every parameter of every subject, against
// (a) a second implementation in Python (tests/nca/reference/nca_reference.py; its output is
//     committed as tests/nca/data/nca_expected.csv), at relative tolerance 1e-9, for all three
//     AUC methods, and
// (b) a few values worked by hand below.
//
// Theophylline (shared/data/theoph.csv): oral, 320 mg to every subject (the Dose column is
// mg/kg; 320 mg is the nominal dose of Boeckmann, Sheiner & Beal 1994), time h, conc mg/L.
// Indometacin (shared/data/indometh.csv): IV bolus, 25 mg (Kwan et al. 1976), conc ug/mL.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "io/csv.hpp"
#include "nca/dataset.hpp"
#include "nca/nca.hpp"

namespace onset::nca {
namespace {

struct Expected {
  double value;
  bool excluded;
};
// (dataset, method, subject) -> code -> expected
using ExpectedTable =
    std::map<std::tuple<std::string, std::string, std::string>, std::map<std::string, Expected>>;

ExpectedTable read_expected() {
  const io::CsvTable table =
      io::CsvTable::read_file(std::string(ONSET_SOURCE_DIR) + "/tests/nca/data/nca_expected.csv");
  ExpectedTable expected;
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    expected[{table.cell(r, 0).text, table.cell(r, 1).text, table.cell(r, 2).text}]
            [table.cell(r, 3).text] = {std::stod(table.cell(r, 4).text),
                                       table.cell(r, 5).text == "1"};
  }
  return expected;
}

struct Dataset {
  std::string name;
  std::string file;
  NcaColumns columns;
  Route route;
  double dose;
  std::vector<PartialAucInterval> intervals;
};

const Dataset kTheoph{"theoph",
                      "theoph.csv",
                      {"Subject", "Time", "conc", "", "", ""},
                      Route::kExtravascular,
                      320.0,
                      {{0, 6}, {1.5, 12.2}, {10, 30}}};
const Dataset kIndometh{"indometh",      "indometh.csv", {"Subject", "time", "conc", "", "", ""},
                        Route::kIvBolus, 25.0,           {{0, 1}, {0.3, 2.5}, {6, 10}}};

std::vector<Profile> load(const Dataset& dataset) {
  DatasetOptions options;
  options.columns = dataset.columns;
  options.dose = dataset.dose;
  return read_profiles(
      io::CsvTable::read_file(std::string(ONSET_SHARED_DIR) + "/data/" + dataset.file), options);
}

NcaOptions options_for(const Dataset& dataset, AucMethod method) {
  NcaOptions options;
  options.route = dataset.route;
  options.auc_method = method;
  options.partial_aucs = dataset.intervals;
  return options;
}

NcaResult run_subject(const Dataset& dataset, AucMethod method, const std::string& subject) {
  for (const Profile& profile : load(dataset)) {
    if (profile.subject == subject) return run_nca(profile, options_for(dataset, method));
  }
  ADD_FAILURE() << "no subject " << subject;
  return {};
}

class NcaReferenceTest : public ::testing::TestWithParam<std::tuple<const Dataset*, AucMethod>> {};

TEST_P(NcaReferenceTest, EveryParameterOfEverySubjectMatchesThePythonImplementation) {
  const auto [dataset, method] = GetParam();
  static const ExpectedTable expected = read_expected();
  const std::vector<Profile> profiles = load(*dataset);
  ASSERT_EQ(profiles.size(), dataset->name == "theoph" ? 12u : 6u);
  int compared = 0;
  for (const Profile& profile : profiles) {
    const NcaResult result = run_nca(profile, options_for(*dataset, method));
    SCOPED_TRACE(dataset->name + " subject " + profile.subject + " " +
                 std::string(auc_method_name(method)));
    ASSERT_FALSE(result.excluded) << result.exclusion_reason;
    const auto found =
        expected.find({dataset->name, std::string(auc_method_name(method)), profile.subject});
    ASSERT_NE(found, expected.end());
    const auto& codes = found->second;
    // Same set of parameters on both sides, none missing.
    std::set<std::string> ours;
    for (const NcaParameter& parameter : result.parameters) {
      ours.insert(parameter.key());
      ASSERT_TRUE(std::isfinite(parameter.value)) << parameter.key() << ": " << parameter.note;
    }
    std::set<std::string> theirs;
    for (const auto& [code, value] : codes) theirs.insert(code);
    EXPECT_EQ(ours, theirs);
    for (const NcaParameter& parameter : result.parameters) {
      const auto it = codes.find(parameter.key());
      if (it == codes.end()) continue;
      const double want = it->second.value;
      EXPECT_NEAR(parameter.value, want, 1e-9 * std::abs(want) + 1e-15) << parameter.key();
      EXPECT_EQ(parameter.excluded, it->second.excluded)
          << parameter.key() << ": " << parameter.note;
      ++compared;
    }
  }
  // 34 (theoph) or 39 (indometh) parameters per subject.
  EXPECT_EQ(compared, dataset->name == "theoph" ? 12 * 34 : 6 * 39);
}

INSTANTIATE_TEST_SUITE_P(TheophAndIndometh, NcaReferenceTest,
                         ::testing::Combine(::testing::Values(&kTheoph, &kIndometh),
                                            ::testing::Values(AucMethod::kLinear,
                                                              AucMethod::kLinearUpLogDown,
                                                              AucMethod::kLinearLog)),
                         [](const auto& info) {
                           std::string name = std::get<0>(info.param)->name + "_" +
                                              std::string(auc_method_name(std::get<1>(info.param)));
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

// Hand calculations ----------------------------------------------------------------------

TEST(NcaHandCalculation, TheophSubject1AucToTmaxIsThreeLinearTrapezoids) {
  // Subject 1: (0, 0.74), (0.25, 2.84), (0.57, 6.57), (1.12, 10.5).
  const double by_hand =
      0.25 * (0.74 + 2.84) / 2 + 0.32 * (2.84 + 6.57) / 2 + 0.55 * (6.57 + 10.5) / 2;  // 6.647350
  Dataset dataset = kTheoph;
  dataset.intervals = {{0, 1.12}};
  const NcaResult result = run_subject(dataset, AucMethod::kLinear, "1");
  EXPECT_NEAR(result.value("AUCINT_0_1.12"), 6.64735, 1e-12);
  EXPECT_NEAR(result.value("AUCINT_0_1.12"), by_hand, 1e-12);
  EXPECT_DOUBLE_EQ(result.value("CMAX"), 10.5);
  EXPECT_DOUBLE_EQ(result.value("TMAX"), 1.12);
  EXPECT_DOUBLE_EQ(result.value("CLST"), 3.28);
  EXPECT_DOUBLE_EQ(result.value("TLST"), 24.37);
}

TEST(NcaHandCalculation, TheophSubject1TerminalPhaseIsTheLastThreePoints) {
  // (9.05, 6.89), (12.12, 5.94), (24.37, 3.28): by hand, mean t = 15.18, Sxx = 131.3966,
  // Sxy = -6.367085, slope = -0.048457.
  const double t[] = {9.05, 12.12, 24.37};
  const double y[] = {std::log(6.89), std::log(5.94), std::log(3.28)};
  const double mt = (t[0] + t[1] + t[2]) / 3;
  const double my = (y[0] + y[1] + y[2]) / 3;
  double sxx = 0;
  double sxy = 0;
  for (int i = 0; i < 3; ++i) {
    sxx += (t[i] - mt) * (t[i] - mt);
    sxy += (t[i] - mt) * (y[i] - my);
  }
  const NcaResult result = run_subject(kTheoph, AucMethod::kLinear, "1");
  EXPECT_NEAR(result.value("LAMZ"), -sxy / sxx, 1e-13);
  EXPECT_NEAR(result.value("LAMZ"), 0.048457, 5e-7);
  EXPECT_NEAR(result.value("LAMZHL"), 14.3044, 1e-4);
  EXPECT_EQ(result.value("LAMZNPT"), 3);
  // AUCIFO = AUCLST + CLST/LAMZ; extrapolation 31 % > 20 %: computed, but excluded.
  const NcaParameter* aucifo = result.find("AUCIFO");
  ASSERT_NE(aucifo, nullptr);
  EXPECT_NEAR(aucifo->value, result.find("AUCLST")->value + 3.28 / (-sxy / sxx), 1e-10);
  EXPECT_TRUE(aucifo->excluded);
  EXPECT_EQ(aucifo->note, "AUC extrapolated 31.2% > 20%");
  EXPECT_TRUE(std::isnan(result.value("CLFO")));  // excluded: value() gives NaN
  EXPECT_NEAR(result.find("CLFO")->value, 320.0 / aucifo->value, 1e-12);
}

TEST(NcaHandCalculation, IndomethSubject1BackExtrapolatesC0FromTheFirstTwoPoints) {
  // (0.25, 1.50), (0.50, 0.94): C0 = 1.5 * (1.5/0.94)^(0.25/0.25) = 2.2500/0.94.
  const NcaResult result = run_subject(kIndometh, AucMethod::kLinearUpLogDown, "1");
  const double c0 = 1.5 * 1.5 / 0.94;
  EXPECT_NEAR(result.value("C0"), c0, 1e-14);
  EXPECT_NEAR(result.value("C0"), 2.393617, 1e-6);
  // Back-extrapolated area [0, 0.25] by the log trapezoid: dt (C0 - C1) / ln(C0/C1).
  const double back = 0.25 * (c0 - 1.5) / std::log(c0 / 1.5);
  EXPECT_NEAR(result.value("AUCPBEO"), 100 * back / result.value("AUCIFO"), 1e-10);
  // The bolus fit may start at Cmax (t = 0.25).
  EXPECT_GE(result.value("LAMZLL"), 0.25);
  // VSS = MRT * CL, CL = dose / AUCIFO.
  EXPECT_NEAR(result.value("CLO"), 25.0 / result.value("AUCIFO"), 1e-12);
  EXPECT_NEAR(result.value("VSSO"), result.value("MRTIVIFO") * result.value("CLO"), 1e-12);
}

TEST(NcaHandCalculation, TheophSubject1AgreesWithPkncaPrintedValues) {
  // A third opinion: PKNCA's introductory vignette (lin up/log down, Theoph subject 1) prints
  // auclast 147.2347, aucinf.obs 214.9236, half.life 14.30438, span.ratio 1.071001,
  // clast.pred 3.280146, adj.r.squared 0.9999995. Compared at the printed precision.
  const NcaResult result = run_subject(kTheoph, AucMethod::kLinearUpLogDown, "1");
  EXPECT_NEAR(result.value("AUCLST"), 147.2347, 5e-5);
  EXPECT_NEAR(result.find("AUCIFO")->value, 214.9236, 5e-5);
  EXPECT_NEAR(result.value("LAMZHL"), 14.30438, 5e-6);
  EXPECT_NEAR(result.value("LAMZSPN"), 1.071001, 5e-7);
  EXPECT_NEAR(result.value("CLSTP"), 3.280146, 5e-7);
  EXPECT_NEAR(result.value("R2ADJ"), 0.9999995, 5e-8);
}

}  // namespace
}  // namespace onset::nca
