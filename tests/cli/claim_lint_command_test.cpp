// onset claim lint through the real binary: one test per kind of mistake it names
// (check/claim_lint.hpp), each made in a clean claim about CRP, with the place
// (file:line:column), what was expected and the fix; errors exit 2, warnings exit 0 unless
// --strict.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/cli/run_command.hpp"

namespace onset::testing {
namespace {

// Line numbers are referred to below.
const std::string kClean =
    "id: lint-base\n"                                                      // 1
    "title: \"CRP halved overnight\"\n"                                    // 2
    "source: {authors: \"Test A\", year: 2024, journal: \"Test J\"}\n"     // 3
    "statement: \"CRP halved within 12 hours of the treatment.\"\n"        // 4
    "subject: {species: human}\n"                                          // 5
    "intervention: {agent: \"a drug\"}\n"                                  // 6
    "assumptions:\n"                                                       // 7
    "  crp_before:\n"                                                      // 8
    "    description: \"CRP at t = 0\"\n"                                  // 9
    "    central: 150\n"                                                   // 10
    "    low: 100\n"                                                       // 11
    "    high: 200\n"                                                      // 12
    "    unit: mg/L\n"                                                     // 13
    "    assumption: \"reported by the source\"\n"                         // 14
    "  half_life:\n"                                                       // 15
    "    prior: crp/crp_half_life\n"                                       // 16
    "    low: 15\n"                                                        // 17
    "    high: 24\n"                                                       // 18
    "    reason: \"the prior's own range, written out\"\n"                 // 19
    "effects:\n"                                                           // 20
    "  - id: crp_halved\n"                                                 // 21
    "    statement: \"CRP halved within 12 hours\"\n"                      // 22
    "    measurable: \"serum CRP at or below half its value at t = 0\"\n"  // 23
    "    within_h: 12\n"                                                   // 24
    "    checks:\n"                                                        // 25
    "      - kind: mechanism_free\n"                                       // 26
    "        model: crp\n"                                                 // 27
    "        parameters:\n"                                                // 28
    "          inflammatory_stimulus: \"0\"\n"                             // 29
    "          crp_baseline: {assumption: crp_before}\n"                   // 30
    "          crp_half_life: {assumption: half_life}\n"                   // 31
    "          crp_normal: {prior: crp/crp_normal}\n"                      // 32
    "        observable: serum_crp\n"                                      // 33
    "        falls_below: {fraction_of_initial: 0.5}\n"                    // 34
    "        horizon_h: 500\n";                                            // 35

// The clean claim with `from` replaced by `to` (which must occur), written as NAME.yaml.
std::string claim_with(const std::string& name, const std::string& from, const std::string& to) {
  std::string text = kClean;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  const std::string dir = std::string(ONSET_BINARY_DIR) + "/claim_lint_test";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name + ".yaml";
  std::ofstream(path) << text;
  return path;
}

CommandResult lint(const std::string& path, const std::string& options = {}) {
  return run_onset("claim lint " + path + (options.empty() ? "" : " " + options));
}

// Asserts one finding: its place, severity, words and kind, and the exit code.
void expect_finding(const CommandResult& r, int exit_code, const std::string& place_and_words,
                    const std::string& kind) {
  EXPECT_EQ(r.exit_code, exit_code) << r.out << r.err;
  const auto at = r.out.find(place_and_words);
  ASSERT_NE(at, std::string::npos) << "expected '" << place_and_words << "' in:\n" << r.out;
  const auto end = r.out.find('\n', at);
  const std::string line = r.out.substr(at, end - at);
  EXPECT_NE(line.find("[" + kind + "]"), std::string::npos) << line;
  EXPECT_NE(line.find("(expected "), std::string::npos) << line;
  EXPECT_NE(line.find(" fix: "), std::string::npos) << line;
}

TEST(ClaimLint, CleanClaimHasNoFindings) {
  const CommandResult r = lint(claim_with("clean", "", ""));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("clean.yaml: 0 errors, 0 warnings"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(ClaimLint, UnknownModelIsAnErrorAtItsColumn) {
  const std::string path = claim_with("unknown_model", "model: crp\n", "model: c_reactive\n");
  expect_finding(lint(path), 2, "unknown_model.yaml:27:16: error: unknown model 'c_reactive'",
                 "unknown-model");
}

TEST(ClaimLint, AssumptionWithoutCitationOrReasonIsAnError) {
  const std::string path =
      claim_with("no_citation", "    assumption: \"reported by the source\"\n", "");
  expect_finding(lint(path), 2,
                 "no_citation.yaml:9:5: error: assumption 'crp_before' has neither a citation "
                 "nor a reason",
                 "prior-citation-missing");
}

TEST(ClaimLint, ClaimWithoutSourceIsAWarning) {
  const std::string path = claim_with(
      "no_source", "source: {authors: \"Test A\", year: 2024, journal: \"Test J\"}\n", "");
  const CommandResult r = lint(path);
  expect_finding(r, 0, "no_source.yaml:1:1: warning: the claim names no source", "source-missing");
  EXPECT_EQ(lint(path, "--strict").exit_code, 2);
}

TEST(ClaimLint, UnknownPrior) {
  const std::string path =
      claim_with("unknown_prior", "prior: crp/crp_half_life", "prior: crp/crp_halflife");
  expect_finding(lint(path), 2,
                 "unknown_prior.yaml:16:12: error: no prior 'crp_halflife' for species 'human'",
                 "unknown-prior");
}

TEST(ClaimLint, ThresholdBelowZeroIsOutsideTheObservablesRange) {
  const std::string path =
      claim_with("negative_threshold", "{fraction_of_initial: 0.5}", "\"-1 mg/L\"");
  expect_finding(lint(path), 2,
                 "negative_threshold.yaml:34:22: error: falls_below -1 mg/L: serum_crp is a level "
                 "that is not negative",
                 "threshold-range");
}

TEST(ClaimLint, FractionAboveOneIsOutsideTheObservablesRange) {
  const std::string path =
      claim_with("fraction_above_one", "fraction_of_initial: 0.5", "fraction_of_initial: 1.5");
  expect_finding(lint(path), 2,
                 "fraction_above_one.yaml:34:44: error: falls_below {fraction_of_initial: 1.5} is "
                 "outside what the observable can do",
                 "threshold-range");
}

// 150 mg/L is the nominal CRP at t = 0 (the baseline's central value).
TEST(ClaimLint, ThresholdEqualToTheStartingValue) {
  const std::string path =
      claim_with("threshold_at_start", "{fraction_of_initial: 0.5}", "\"150 mg/L\"");
  expect_finding(lint(path), 2,
                 "threshold_at_start.yaml:34:22: error: falls_below 150 mg/L equals serum_crp at "
                 "t = 0 (150 mg/L, nominal values)",
                 "threshold-start");
}

TEST(ClaimLint, ThresholdUnitDoesNotMatchTheObservable) {
  const std::string path = claim_with("wrong_unit", "{fraction_of_initial: 0.5}", "\"5 mmol/L\"");
  expect_finding(lint(path), 2,
                 "wrong_unit.yaml:34:22: error: the threshold's unit does not match observable "
                 "serum_crp (mg/L)",
                 "unit-mismatch");
}

TEST(ClaimLint, ThresholdWithoutUnitIsAWarning) {
  const std::string path = claim_with("no_unit", "{fraction_of_initial: 0.5}", "\"5\"");
  expect_finding(lint(path), 0,
                 "no_unit.yaml:34:22: warning: the threshold 5 has no unit; it is read as mg/L",
                 "unit-missing");
}

// CRP settles at its normal level (crp_normal, nominal 0.8 mg/L) once the stimulus is gone:
// a threshold of 0.5 mg/L is approached but not crossed.
TEST(ClaimLint, ThresholdBelowTheNormalLevelIsAWarning) {
  const std::string path = claim_with("below_normal", "{fraction_of_initial: 0.5}", "\"0.5 mg/L\"");
  const CommandResult r = lint(path);
  expect_finding(r, 0,
                 "below_normal.yaml:34:22: warning: the threshold 0.5 mg/L is at or below the "
                 "level serum_crp settles at once restored (crp_normal = 0.8 mg/L",
                 "threshold-normal-range");
  const CommandResult strict = lint(path, "--strict");
  EXPECT_EQ(strict.exit_code, 2);
  EXPECT_NE(strict.out.find("below_normal.yaml:34:22: error:"), std::string::npos) << strict.out;
}

TEST(ClaimLint, HorizonBeforeTheWindowIsTheWrongOrder) {
  const std::string path = claim_with("horizon_first", "horizon_h: 500", "horizon_h: 10");
  expect_finding(lint(path), 2,
                 "horizon_first.yaml:35:20: error: horizon_h 10 h ends before the claimed window "
                 "(12 h from the start)",
                 "window-order");
}

TEST(ClaimLint, WindowNotPositive) {
  const std::string path = claim_with("zero_window", "within_h: 12", "within_h: 0");
  expect_finding(lint(path), 2,
                 "zero_window.yaml:24:15: error: the time window within_h: 0 is not positive",
                 "window-not-positive");
}

TEST(ClaimLint, WindowThatReadsLikeTheWrongUnitIsAWarning) {
  const std::string path = claim_with("days_as_hours", "within_h: 12\n", "within_h: 2\n");
  // The effect's statement says "12 hours"; within_h 2 looks like another unit.
  std::string text;
  {
    std::ifstream in(path);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto at = text.find("\"CRP halved within 12 hours\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 28, "\"CRP halved within 2 days\"");
  std::ofstream(path) << text;
  expect_finding(lint(path), 0,
                 "days_as_hours.yaml:24:15: warning: the effect's text says '2 days' (48 h) but "
                 "within_h is 2 h",
                 "window-unit");
}

TEST(ClaimLint, AssumptionRangeMustContainItsNominalValue) {
  const std::string path = claim_with("nominal_outside", "central: 150", "central: 250");
  expect_finding(lint(path), 2,
                 "nominal_outside.yaml:10:14: error: assumption 'crp_before': its nominal value "
                 "250 is outside its range 100-200",
                 "nominal-outside-range");
}

TEST(ClaimLint, RangeInTheWrongOrder) {
  const std::string path = claim_with("low_above_high", "low: 100", "low: 300");
  expect_finding(lint(path), 2,
                 "low_above_high.yaml:11:10: error: assumption 'crp_before': low 300 is above "
                 "high 200",
                 "range-order");
}

TEST(ClaimLint, RangeWiderThanThePriorIsAWarning) {
  const std::string path = claim_with("wider", "    low: 15\n", "    low: 5\n");
  expect_finding(lint(path), 0,
                 "wider.yaml:17:10: warning: assumption 'half_life' widens the prior "
                 "crp/crp_half_life to 5-24 h",
                 "range-wider-than-prior");
}

TEST(ClaimLint, ChangedRangeWithoutReason) {
  const std::string path =
      claim_with("no_reason", "    reason: \"the prior's own range, written out\"\n", "");
  expect_finding(lint(path), 2,
                 "no_reason.yaml:16:5: error: assumption 'half_life' changes the range of a "
                 "prior without a reason",
                 "change-without-reason");
}

TEST(ClaimLint, DuplicateEffectIds) {
  const std::string effect = kClean.substr(kClean.find("  - id: crp_halved"));
  const std::string path =
      claim_with("duplicate_id", "        horizon_h: 500\n", "        horizon_h: 500\n" + effect);
  expect_finding(lint(path), 2,
                 "duplicate_id.yaml:36:9: error: duplicate effect id 'crp_halved' (first at line "
                 "21)",
                 "duplicate-id");
}

TEST(ClaimLint, ClaimStatementMissing) {
  const std::string path = claim_with(
      "no_statement", "statement: \"CRP halved within 12 hours of the treatment.\"\n", "");
  expect_finding(lint(path), 2,
                 "no_statement.yaml:1:1: error: the claim's statement text is missing",
                 "statement-missing");
}

TEST(ClaimLint, EffectStatementEmpty) {
  const std::string path =
      claim_with("empty_effect_statement", "\"CRP halved within 12 hours\"", "\"  \"");
  expect_finding(lint(path), 2,
                 "empty_effect_statement.yaml:22:16: error: effect 'crp_halved' has no statement "
                 "text",
                 "statement-missing");
}

TEST(ClaimLint, UnknownParameter) {
  const std::string path =
      claim_with("unknown_parameter", "crp_half_life: {assumption", "crp_halflife: {assumption");
  expect_finding(lint(path), 2,
                 "unknown_parameter.yaml:31:25: error: model crp has no parameter 'crp_halflife'",
                 "unknown-parameter");
}

TEST(ClaimLint, UnknownObservable) {
  const std::string path =
      claim_with("unknown_observable", "observable: serum_crp", "observable: serum_cpr");
  expect_finding(lint(path), 2,
                 "unknown_observable.yaml:33:21: error: model crp has no observable 'serum_cpr'",
                 "unknown-observable");
}

TEST(ClaimLint, DoseIntoACompartmentTheModelLacks) {
  const std::string path =
      claim_with("unknown_compartment", "        parameters:\n",
                 "        doses: [{into: liver, amount: \"10 mg/L\"}]\n        parameters:\n");
  expect_finding(lint(path), 2,
                 "unknown_compartment.yaml:28:16: error: model crp has no compartment 'liver' to "
                 "dose into (expected one of crp)",
                 "unknown-compartment");
}

TEST(ClaimLint, ParameterUnitDoesNotMatch) {
  const std::string path = claim_with("parameter_unit", "    unit: mg/L\n", "    unit: h\n");
  expect_finding(lint(path), 2,
                 "parameter_unit.yaml:30:25: error: parameter crp_baseline from assumption "
                 "'crp_before'",
                 "unit-mismatch");
}

TEST(ClaimLint, UnknownKey) {
  const std::string path = claim_with("unknown_key", "    within_h: 12", "    within_hours: 12");
  expect_finding(lint(path), 2,
                 "unknown_key.yaml:24:5: error: unknown key 'within_hours' in effect",
                 "unknown-key");
}

TEST(ClaimLint, IdNotAnIdentifier) {
  const std::string path = claim_with("bad_id", "id: lint-base", "id: lint base");
  expect_finding(lint(path), 2, "bad_id.yaml:1:5: error: the claim id 'lint base'", "id");
}

TEST(ClaimLint, DuplicateKeyIsTheReadersError) {
  const std::string path =
      claim_with("duplicate_key", "    within_h: 12\n", "    within_h: 12\n    within_h: 12\n");
  const CommandResult r = lint(path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("duplicate_key.yaml:25:5: error: duplicate key 'within_h' (first at line "
                       "24, column 5)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("[yaml]"), std::string::npos);
}

TEST(ClaimLint, WhatOnlyCheckRefusesIsReportedWithItsPlace) {
  const std::string path = claim_with("time_origin", "subject: {species: human}\n",
                                      "subject: {species: human}\ntime_origin: later\n");
  expect_finding(lint(path), 2,
                 "time_origin.yaml:6:14: error: expected time_origin 'start', 'end_of_infusion' or",
                 "check-refuses");
}

// Several mistakes in one file are all listed in one run.
TEST(ClaimLint, ListsEveryMistakeAtOnce) {
  std::string text = kClean;
  text.replace(text.find("central: 150"), 12, "central: 250");
  text.replace(text.find("within_h: 12"), 12, "within_h: -3");
  text.replace(text.find("    assumption: \"reported by the source\"\n"), 41, "");
  const std::string path = std::string(ONSET_BINARY_DIR) + "/claim_lint_test/three.yaml";
  std::ofstream(path) << text;
  const CommandResult r = lint(path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("[nominal-outside-range]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[window-not-positive]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[prior-citation-missing]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("three.yaml: 3 errors, 0 warnings"), std::string::npos) << r.out;
}

// The shipped claims are clean, apart from one true warning: the HbA1c diet claim's threshold
// (5.05 %) lies below the HbA1c that a normal mean glucose gives at nominal ADAG values
// (5.22 %): only the low end of the glucose prior reaches it, hence its "unlikely" verdict.
TEST(ClaimLint, ShippedLiteratureClaimsHaveNoErrors) {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(ONSET_SOURCE_DIR) +
                                                               "/data/claims/literature")) {
    const CommandResult r = lint(entry.path().string());
    EXPECT_EQ(r.exit_code, 0) << r.out;
    const bool hba1c = entry.path().filename() == "hba1c-diet-three-months.yaml";
    EXPECT_NE(r.out.find(hba1c ? "0 errors, 1 warning" : "0 errors, 0 warnings"), std::string::npos)
        << r.out;
  }
}

}  // namespace
}  // namespace onset::testing
