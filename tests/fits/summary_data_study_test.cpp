// Summary-level data (group means with SD and n, as biodistribution papers publish them):
// the likelihood of fits/README.md ("Summary data") against the fit of the animals behind
// the means, on the mouse EV design of ev_simulation_study_test (ev_pbpk_mouse, 5 animals at
// each of 8 times, plasma, liver, spleen and lung %ID of intact vesicles, y = f (1 + 0.2 e),
// one proportional error model per organ, six log-scale parameters).
//
// What is expected, and why:
// - Mean, SD and n (SD computed with n - 1) are sufficient statistics of normal data with a
//   common variance at one time: sum_j (y_j - f)^2 = (n - 1) SD^2 + n (mean - f)^2. The
//   summary likelihood is therefore the animals' likelihood, exactly, for additive,
//   proportional and combined error (g depends on f only, the same for the n animals). No
//   information is lost: estimates, SEs, -2 log L and profile intervals equal the
//   individual-animal fit's to solver precision (pinned 1e-6 relative; measured ~1e-9).
// - Means with n but no SD: only the n (mean - f)^2 / g^2 part is left. For additive error
//   that part alone carries everything about the structural parameters (the estimates are
//   the same); for proportional error the (n - 1) SD^2 / f^2 part also depends on them,
//   through the variance function: per animal the mean part gives (f'/f)^2 / sigma^2 of
//   information and the variance part 2 (f'/f)^2, of which means keep only the share 1/n. The
//   expected loss is therefore at most a factor 1 + 2 sigma^2 (1 - 1/n) = 1.064 in
//   information (sigma = 0.2, n = 5): SEs at most ~3 % larger; and the residual variance is
//   estimated from 32 means instead of 160 animals, 8 means per organ for its own error model
//   (about 6.5 df each after the parameters' leverage). The per-organ SDs set the relative
//   weights of the organs, and estimated weights cost efficiency (Meier 1953, Biometrics
//   9:59, for a weighted mean: variance x [1 + 2 sum_k w_k (1 - w_k) / nu_k], w_k the organs'
//   shares of the information): nothing for a parameter informed by one organ, ~20 % in
//   variance for one informed by three organs alike (nu_k ~ 6.5). The means-only estimate
//   minus the animals' (efficient) estimate has variance V_means - V_animals (Hausman 1978),
//   so the mean squared difference in animal SEs, mean d^2, measures the loss: expected
//   0.06-0.3. Measured (200 replicates, fits/README.md): mean d^2 0.03-0.26 (mean |d|
//   0.14-0.40, largest 3.1); the means-only SEs are 3-10 % smaller than the animals' (the
//   plug-in per-organ SDs, from 6.5 df each, make the information look larger than it is), so
//   the means-only Wald intervals under-cover (87.5-95.5 %). Pinned: |d| < 4 for every
//   parameter and replicate; with the full study mean d^2 < 0.5 per parameter and the mean SE
//   ratio (means-only / individual) in [0.8, 1.15]; by default (4 replicates, each ratio
//   carrying the ~14 % noise of a 26-df sigma) within 4 Monte Carlo SEs of [0.9, 1.032].
// - Coverage of the 95 % profile intervals (t calibration) of the summary fit with SDs over
//   replicates: as for the individual fit (the same numbers). With 200 replicates a true 95 %
//   shows 92-98 % about 95 % of the time (binomial SD 1.54 points) and 93-97 % only 86 % of
//   the time per parameter, so six parameters all inside 93-97 % happen for perfectly
//   calibrated intervals about 40 % of the time (0.86^6, were they independent). ONSET_FULL_STUDY=1
//   (200 replicates) therefore checks each parameter within 91-99 % (182-198 of 200: probability
//   0.994 per parameter at a true 95 %) and all 1200 intervals together within 93-97 % (the issue's
//   band, where the Monte Carlo error, 0.6-1 point, allows it); by default 4 replicates check the
//   means-only comparison and that at least 20 of the 24 intervals cover (83 %; fails with
//   probability about 0.03 at 95 % coverage, were the intervals independent; they are positively
//   correlated within a replicate, so more often: the check guards against gross failure,
//   the full study measures). ONSET_STUDY_REPLICATES=N overrides the count
//   (ONSET_STUDY_FIRST_REPLICATE=K starts at replicate K). The measured
//   table is in fits/README.md.
#include <gtest/gtest.h>

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "fits/ev_biodistribution_problem.hpp"
#include "fits/fit.hpp"
#include "pk/parallel.hpp"

namespace onset::fits {
namespace {

constexpr int kAnimals = 5;
constexpr double kCv = 0.2;

struct Fits {
  bool converged = false;
  FitSummary individual, with_sd, means_only;
};

// The individual-animal problem with simulated data, and the two summaries of the same data.
// Profile intervals for the summary fit with SDs, and for the individual fit when
// `all_profiles`; Wald otherwise (the means-only comparison needs SEs only).
Fits fit_replicate(const FitProblem& individual_base, const FitProblem& summary_base,
                   const std::vector<double>& truth, size_t replicate, bool all_profiles) {
  FitProblem individual = individual_base;
  individual.predictor = individual_base.predictor->clone();
  auto rng = pk::task_rng(20261204, replicate);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (size_t i = 0; i < truth.size(); ++i) individual.y[i] = truth[i] * (1 + kCv * normal(rng));
  // The design: animal a at time t gives 4 observables in a row; summary row (t, k) is the
  // mean of the 5 animals' observable k at t.
  const size_t observables = individual.blocks.size();
  const size_t rows = summary_base.y.size();
  FitProblem summary = summary_base;
  summary.predictor = summary_base.predictor->clone();
  summary.animals.assign(rows, kAnimals);
  summary.within_ss.assign(rows, 0.0);
  for (size_t row = 0; row < rows; ++row) {
    const size_t time = row / observables, k = row % observables;
    double sum = 0, squares = 0;
    for (int a = 0; a < kAnimals; ++a) {
      const double y = individual.y[(time * kAnimals + static_cast<size_t>(a)) * observables + k];
      sum += y;
      squares += y * y;
    }
    const double mean = sum / kAnimals;
    summary.y[row] = mean;
    summary.within_ss[row] = squares - kAnimals * mean * mean;  // (n - 1) SD^2
  }
  FitProblem means_only = summary;
  means_only.predictor = summary_base.predictor->clone();
  means_only.within_ss.clear();
  FitOptions options;
  options.intervals = IntervalMethod::kProfile;
  options.threads = 1;
  FitOptions others = options;
  if (!all_profiles) others.intervals = IntervalMethod::kWald;
  Fits out;
  Solve(others, &individual, &out.individual);
  Solve(options, &summary, &out.with_sd);
  FitOptions wald = options;
  wald.intervals = IntervalMethod::kWald;
  Solve(wald, &means_only, &out.means_only);
  out.converged =
      out.individual.converged() && out.with_sd.converged() && out.means_only.converged();
  return out;
}

std::vector<double> truth_of(FitProblem& problem) {
  std::vector<double> truth(problem.y.size()), params;
  for (const auto& p : problem.parameters) params.push_back(p.start);
  std::string why;
  EXPECT_TRUE(problem.predictor->predict(params, {}, truth, {}, &why)) << why;
  return truth;
}

TEST(SummaryData, MeanSdAndNGiveTheIndividualAnimalFitExactly) {
  FitProblem individual = ev_mouse_biodistribution_problem(kAnimals);
  FitProblem summary = ev_mouse_biodistribution_problem(1);
  const std::vector<double> truth = truth_of(individual);
  const Fits fits = fit_replicate(individual, summary, truth, 0, true);
  ASSERT_TRUE(fits.converged) << fits.individual.message << " | " << fits.with_sd.message;
  // The same likelihood: the same -2 log L (not only up to a constant), N and error SDs.
  EXPECT_NEAR(fits.with_sd.minus_two_log_likelihood, fits.individual.minus_two_log_likelihood,
              1e-6 * std::abs(fits.individual.minus_two_log_likelihood));
  for (size_t k = 0; k < fits.individual.blocks.size(); ++k) {
    EXPECT_EQ(fits.with_sd.blocks[k].n, fits.individual.blocks[k].n);
    EXPECT_NEAR(fits.with_sd.blocks[k].sigma, fits.individual.blocks[k].sigma,
                1e-6 * fits.individual.blocks[k].sigma);
  }
  double worst = 0;
  for (size_t i = 0; i < fits.individual.parameters.size(); ++i) {
    const auto& a = fits.individual.parameters[i];
    const auto& b = fits.with_sd.parameters[i];
    if (a.fixed) continue;
    for (auto [x, y] :
         {std::pair{a.estimate, b.estimate}, std::pair{a.se, b.se}, std::pair{a.ci_low, b.ci_low},
          std::pair{a.ci_high, b.ci_high}, std::pair{a.ci_df, b.ci_df}}) {
      const double relative = std::abs(x - y) / std::abs(x);
      worst = std::max(worst, relative);
      EXPECT_LT(relative, 1e-6) << a.name << ": " << x << " vs " << y;
    }
  }
  std::printf("summary (mean, SD, n) vs individual animals: worst relative difference %.2e\n",
              worst);
}

TEST(SummaryData, ProfileCoverageAndTheInformationLostWithoutSds) {
  const bool full = std::getenv("ONSET_FULL_STUDY") != nullptr;
  int replicates = full ? 200 : 4;
  if (const char* count = std::getenv("ONSET_STUDY_REPLICATES")) replicates = std::atoi(count);
  // ONSET_STUDY_FIRST_REPLICATE=K: replicates K .. K + N - 1 (seeds by replicate index), to
  // extend a study with fresh replicates without repeating the first ones.
  size_t first = 0;
  if (const char* from = std::getenv("ONSET_STUDY_FIRST_REPLICATE"))
    first = static_cast<size_t>(std::atol(from));
  FitProblem individual = ev_mouse_biodistribution_problem(kAnimals);
  FitProblem summary = ev_mouse_biodistribution_problem(1);
  const std::vector<double> truth = truth_of(individual);
  std::vector<Fits> outcomes(static_cast<size_t>(replicates));
  pk::parallel_for(
      static_cast<size_t>(replicates), 0, [] { return 0; },
      [&](size_t r, int&) {
        outcomes[r] = fit_replicate(individual, summary, truth, first + r, false);
      });
  int converged = 0;
  for (const auto& o : outcomes) converged += o.converged ? 1 : 0;
  std::printf("%d replicates, %d with all three fits converged\n", replicates, converged);
  EXPECT_GE(converged, replicates * 9 / 10);
  std::printf("%-28s %9s %10s %10s %10s %12s %12s %10s %10s\n", "parameter", "truth", "cover SD",
              "cover mean", "SE ratio", "mean |d|/SE", "max |d|/SE", "mean d^2", "SD ratio");
  int covered_all = 0, intervals_all = 0;
  // Why a coverage is where it is (fits/README.md, "Summary-data study"): the misses on each
  // side, the intervals with an open side (a profile flat to a bound counts as covering), the
  // spread of z = (log estimate - log truth) / SE_log (1 when the SEs are calibrated; below 1
  // over-covers whatever the interval's shape), the mean t df, and the profile interval's
  // width on log scale over the Wald one's (2 t SE_log: the profile's own shape).
  std::vector<std::string> diagnostics;
  for (size_t i = 0; i < individual.parameters.size(); ++i) {
    if (individual.parameters[i].fixed) continue;
    const double true_value = individual.parameters[i].start;
    int count = 0, covered = 0, covered_means = 0;
    double ratio_sum = 0, distance_sum = 0, distance_max = 0, squares_sum = 0;
    // Empirical spread of the log estimates, means-only and animals.
    double sum_m = 0, sum_mm = 0, sum_a = 0, sum_aa = 0;
    int miss_below = 0, miss_above = 0, open_sides = 0;
    double z_sum = 0, z_squares = 0, df_sum = 0, width_ratio_sum = 0;
    for (const auto& o : outcomes) {
      if (!o.converged) continue;
      ++count;
      const auto& sd_fit = o.with_sd.parameters[i];
      if (std::isfinite(sd_fit.ci_low) && true_value < sd_fit.ci_low) ++miss_below;
      if (std::isfinite(sd_fit.ci_high) && true_value > sd_fit.ci_high) ++miss_above;
      if (!std::isfinite(sd_fit.ci_low) || !std::isfinite(sd_fit.ci_high) || !sd_fit.identifiable)
        ++open_sides;
      const double se_log = sd_fit.se / sd_fit.estimate;
      const double z = std::log(sd_fit.estimate / true_value) / se_log;
      z_sum += z;
      z_squares += z * z;
      df_sum += sd_fit.ci_df;
      const double t = std::isfinite(sd_fit.ci_df)
                           ? boost::math::quantile(boost::math::students_t(sd_fit.ci_df), 0.975)
                           : 1.959964;
      width_ratio_sum += std::log(sd_fit.ci_high / sd_fit.ci_low) / (2 * t * se_log);
      const auto& mean_fit = o.means_only.parameters[i];
      const auto& animal_fit = o.individual.parameters[i];
      // Open sides (flat to a bound) still cover on that side.
      auto covers = [&](const ParameterEstimate& p) {
        return (!std::isfinite(p.ci_low) || p.ci_low <= true_value) &&
               (!std::isfinite(p.ci_high) || true_value <= p.ci_high);
      };
      covered += covers(sd_fit) ? 1 : 0;
      covered_means += covers(mean_fit) ? 1 : 0;
      // The means-only fit against the animals' fit: on log scale (the estimation scale).
      const double d = std::abs(std::log(mean_fit.estimate / animal_fit.estimate)) /
                       (animal_fit.se / animal_fit.estimate);
      distance_sum += d;
      squares_sum += d * d;
      distance_max = std::max(distance_max, d);
      const double log_m = std::log(mean_fit.estimate), log_a = std::log(animal_fit.estimate);
      sum_m += log_m;
      sum_mm += log_m * log_m;
      sum_a += log_a;
      sum_aa += log_a * log_a;
      ratio_sum += (mean_fit.se / mean_fit.estimate) / (animal_fit.se / animal_fit.estimate);
      EXPECT_LT(d, 4.0) << individual.parameters[i].name;
    }
    covered_all += covered;
    intervals_all += count;
    const double coverage = 100.0 * covered / count;
    const double variance_m = (sum_mm - sum_m * sum_m / count) / (count - 1);
    const double variance_a = (sum_aa - sum_a * sum_a / count) / (count - 1);
    std::printf("%-28s %9.4g %9.1f%% %9.1f%% %10.3f %12.3f %12.3f %10.3f %10.3f\n",
                individual.parameters[i].name.c_str(), true_value, coverage,
                100.0 * covered_means / count, ratio_sum / count, distance_sum / count,
                distance_max, squares_sum / count,
                count > 1 ? std::sqrt(variance_m / variance_a) : std::nan(""));
    {
      const double z_mean = z_sum / count;
      char line[256];
      std::snprintf(line, sizeof line,
                    "%-28s misses below %d, above %d; open sides %d; z mean %+.3f SD %.3f; t df "
                    "%.1f; profile/Wald width %.3f",
                    individual.parameters[i].name.c_str(), miss_below, miss_above, open_sides,
                    z_mean, std::sqrt((z_squares - count * z_mean * z_mean) / (count - 1)),
                    df_sum / count, width_ratio_sum / count);
      diagnostics.emplace_back(line);
    }
    if (full) {
      // Per parameter: the binomial band of a true 95 % over 200 replicates (above).
      EXPECT_GE(coverage, 91.0) << individual.parameters[i].name;
      EXPECT_LE(coverage, 99.0) << individual.parameters[i].name;
      // The means-only fit: information lost, measured as mean d^2 (Hausman), and its SEs.
      EXPECT_LT(squares_sum / count, 0.5) << individual.parameters[i].name;
      EXPECT_GE(ratio_sum / count, 0.8) << individual.parameters[i].name;
      EXPECT_LE(ratio_sum / count, 1.15) << individual.parameters[i].name;
    } else {
      // Each replicate's ratio carries the noise of the means-only sigma (26 df: CV ~14 %),
      // so the mean of a few replicates scatters by ~0.05-0.07.
      const double spread = 0.14 / std::sqrt(static_cast<double>(count));
      EXPECT_GE(ratio_sum / count, 0.9 - 4 * spread) << individual.parameters[i].name;
      EXPECT_LE(ratio_sum / count, 1.032 + 4 * spread) << individual.parameters[i].name;
    }
  }
  for (const auto& line : diagnostics) std::printf("%s\n", line.c_str());
  std::printf("all parameters: %d of %d profile intervals (summary with SD) cover (%.1f%%)\n",
              covered_all, intervals_all, 100.0 * covered_all / intervals_all);
  EXPECT_GE(covered_all, intervals_all * 5 / 6);
  if (full) {  // all intervals together: the 93-97 %
    EXPECT_GE(100.0 * covered_all / intervals_all, 93.0);
    EXPECT_LE(100.0 * covered_all / intervals_all, 97.0);
  }
}

}  // namespace
}  // namespace onset::fits
