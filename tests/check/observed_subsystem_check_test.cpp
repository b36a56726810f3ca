// `onset check` solves only the states its observable sees (pk/observed_subsystem.hpp). The
// answers must be the whole model's (`--whole-model`): for the case report's mechanism check
// (loaded miRNA per Kupffer cell, 16 of the cascade's 36 states: repression, phenotype, collagen,
// HGF and S phase come after the miRNA and never feed back) and for the npj mouse claim
// (restorative macrophages and collagen, which see the miRNA and phenotype chain but not the HGF
// branch or the degraded pools).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "check/check.hpp"
#include "check/claim.hpp"

namespace onset::check {
namespace {

double peak(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

void expect_same_answers(const std::string& file) {
  const Claim claim = load_claim(std::string(ONSET_SOURCE_DIR) + "/data/claims/" + file);
  Claim checked = claim;
  checked.effects.clear();
  for (const auto& effect : claim.effects)  // the model-file checks (the cascades)
    for (const auto& c : effect.checks)
      if (c.model.rfind("ev_cargo_cascade", 0) == 0) {
        checked.effects.push_back(effect);
        break;
      }
  ASSERT_FALSE(checked.effects.empty()) << file;
  CheckOptions options;
  options.draws = 256;
  options.threads = 2;
  options.tipping_points = 0;
  const CheckReport part = run_check(checked, options);
  options.whole_model = true;
  const CheckReport whole = run_check(checked, options);
  ASSERT_EQ(part.effects.size(), whole.effects.size());
  for (size_t e = 0; e < part.effects.size(); ++e) {
    ASSERT_EQ(part.effects[e].checks.size(), whole.effects[e].checks.size());
    for (size_t c = 0; c < part.effects[e].checks.size(); ++c) {
      const CheckResult& a = part.effects[e].checks[c];
      const CheckResult& b = whole.effects[e].checks[c];
      SCOPED_TRACE(file + " " + part.effects[e].id);
      EXPECT_EQ(a.verdict, b.verdict);
      // The two runs control their error on different state sets: onsets agree to well within
      // 1e-4 relative (rtol 1e-6, accumulated over the horizon), so a draw could flip only if
      // its onset were that close to the claimed time: at most one of 256.
      EXPECT_NEAR(a.p_within_claim, b.p_within_claim, 1.0 / 256 + 1e-12);
      EXPECT_NEAR(a.fraction_never, b.fraction_never, 1.0 / 256 + 1e-12);
      ASSERT_EQ(a.best_case_onset_h.has_value(), b.best_case_onset_h.has_value());
      if (a.best_case_onset_h) {
        EXPECT_NEAR(*a.best_case_onset_h, *b.best_case_onset_h, 1e-4 * *b.best_case_onset_h);
      }
      ASSERT_EQ(a.onset_p50_h.has_value(), b.onset_p50_h.has_value());
      if (a.onset_p50_h) {
        EXPECT_NEAR(*a.onset_p50_h, *b.onset_p50_h, 1e-4 * *b.onset_p50_h);
      }
      // The best-case trajectory (the observable on the plot grid): to 1e-5 of its peak.
      ASSERT_EQ(a.band.best_case.size(), b.band.best_case.size());
      const double scale = peak(b.band.best_case);
      ASSERT_GT(scale, 0);
      for (size_t i = 0; i < a.band.best_case.size(); ++i)
        EXPECT_NEAR(a.band.best_case[i], b.band.best_case[i], 1e-5 * scale) << "grid point " << i;
    }
  }
}

TEST(ObservedSubsystemCheck, CaseReportMechanismGivesTheWholeCascadesAnswers) {
  expect_same_answers("case-report-4h.yaml");
}

TEST(ObservedSubsystemCheck, NpjMouseFibrosisGivesTheWholeCascadesAnswers) {
  expect_same_answers("npj-2021-mouse-fibrosis.yaml");
}

}  // namespace
}  // namespace onset::check
