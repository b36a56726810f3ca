// NCA of one very long profile (issue 14: 1e5-1e6 points took minutes and ignored Ctrl-C):
// the best-fit lambda_z search is O(points), chooses what refitting every candidate chose, and
// stops when asked to.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "nca/lambda_z.hpp"
#include "nca/nca.hpp"

namespace onset::nca {
namespace {

// The selection rule of nca/lambda_z.hpp, applied the slow way: a direct two-pass fit of
// every candidate (the last n points), largest adjusted R^2, ties within the tolerance to the
// most points.
LambdaZFit brute_force_best_fit(const std::vector<double>& t, const std::vector<double>& c,
                                std::size_t min_n, double tolerance) {
  std::vector<LambdaZFit> fits;
  for (std::size_t n = min_n; n <= t.size(); ++n)
    fits.push_back(fit_log_linear(std::vector<double>(t.end() - static_cast<long>(n), t.end()),
                                  std::vector<double>(c.end() - static_cast<long>(n), c.end())));
  double best = -std::numeric_limits<double>::infinity();
  for (const auto& fit : fits)
    if (fit.estimated && fit.adjusted_r_squared > best) best = fit.adjusted_r_squared;
  const LambdaZFit* chosen = nullptr;
  for (const auto& fit : fits)
    if (fit.estimated && fit.adjusted_r_squared >= best - tolerance) chosen = &fit;
  return chosen ? *chosen : LambdaZFit{};
}

// A biexponential decline (distribution half-life 0.7 h, terminal 14 h) with 5 % log-normal
// noise, sampled `count` times from 0.5 to 100 h after the peak.
void noisy_profile(std::size_t count, unsigned seed, std::vector<double>* t,
                   std::vector<double>* c) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.05);
  for (std::size_t i = 0; i < count; ++i) {
    const double time = 0.5 + 99.5 * static_cast<double>(i) / static_cast<double>(count - 1);
    t->push_back(time);
    c->push_back((10 * std::exp(-1.0 * time) + std::exp(-0.05 * time)) * std::exp(noise(rng)));
  }
}

// The O(points) search picks the same terminal phase as refitting every candidate, on noisy
// profiles where the choice is not obvious (ties broken by the 1e-4 tolerance).
TEST(NcaLongProfile, RunningSumsChooseWhatRefittingEveryCandidateChose) {
  for (unsigned seed = 1; seed <= 5; ++seed) {
    std::vector<double> t, c;
    noisy_profile(1500, seed, &t, &c);
    LambdaZSelection selection;
    const LambdaZFit fast = estimate_lambda_z(t, c, 0.0, true, selection, 3, 1e-4);
    const LambdaZFit slow = brute_force_best_fit(t, c, 3, 1e-4);
    ASSERT_TRUE(fast.estimated) << fast.reason;
    EXPECT_EQ(fast.point_count, slow.point_count) << "seed " << seed;
    EXPECT_DOUBLE_EQ(fast.lambda_z, slow.lambda_z) << "seed " << seed;
    EXPECT_DOUBLE_EQ(fast.adjusted_r_squared, slow.adjusted_r_squared) << "seed " << seed;
  }
}

// A million points of C = 10 e^{-0.05 t} after an IV bolus: every candidate fits exactly
// (adjusted R^2 = 1 up to rounding), so the rule takes all the points, and lambda_z is 0.05 /h.
// Refitting every candidate took about 1e12 operations; the running sums take 1e6, and their
// rounding over a million points stays far below the 1e-9 asked here.
TEST(NcaLongProfile, AMillionPointsGiveTheTerminalRate) {
  Profile profile;
  profile.subject = "long";
  profile.dose = 100;
  const std::size_t count = 1'000'000;
  for (std::size_t i = 0; i < count; ++i) {
    const double time = 1e-4 * static_cast<double>(i + 1);  // 0.1 ms to 100 h
    profile.samples.push_back({time, 10 * std::exp(-0.05 * time), false, 0});
  }
  NcaOptions options;
  options.route = Route::kIvBolus;
  const NcaResult result = run_nca(profile, options);
  ASSERT_TRUE(result.lambda_z.estimated) << result.lambda_z.reason;
  EXPECT_NEAR(result.value("LAMZ"), 0.05, 0.05 * 1e-9);
  EXPECT_EQ(result.value("LAMZNPT"), static_cast<double>(count));
  // AUC(0-inf) = C0 / lambda_z = 10 / 0.05 (C0 back-extrapolated to 10).
  EXPECT_NEAR(result.value("AUCIFO"), 200, 200 * 1e-6);
}

// Ctrl-C during a long subject: the search asks the flag and stops (the CLI then writes
// nothing and exits 130).
TEST(NcaLongProfile, LambdaZSearchStopsWhenCancelled) {
  std::vector<double> t, c;
  noisy_profile(200'000, 7, &t, &c);
  LambdaZSelection selection;
  int asked = 0;
  EXPECT_THROW(
      estimate_lambda_z(t, c, 0.0, true, selection, 3, 1e-4, [&asked] { return ++asked >= 2; }),
      NcaCancelled);
  EXPECT_EQ(asked, 2);  // asked every 65,536 points, stopped at the second
  // Not cancelled: the same search runs to the end.
  EXPECT_TRUE(
      estimate_lambda_z(t, c, 0.0, true, selection, 3, 1e-4, [] { return false; }).estimated);
}

}  // namespace
}  // namespace onset::nca
