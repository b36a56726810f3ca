// Sampling: reproducible with a seed, and the empirical quantiles match the stated mapping of
// the range ([low, high] = the stated quantiles of a lognormal, the support of a uniform).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <vector>

#include "io/priors.hpp"

namespace onset::io {
namespace {

Prior make_prior(const std::string& distribution, double low, double central, double high) {
  Prior p;
  p.name = "test";
  p.unit = "1/h";
  p.species = "any";
  p.distribution = distribution;
  p.low = low;
  p.central = central;
  p.high = high;
  return p;
}

std::vector<double> draws(const Prior& p, std::uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::vector<double> out(n);
  for (double& x : out) x = p.sample(rng);
  return out;
}

double empirical_quantile(std::vector<double> x, double p) {
  std::sort(x.begin(), x.end());
  const double pos = p * (x.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  return x[i] + (pos - i) * (x[i + 1] - x[i]);
}

TEST(Normal, QuantileInvertsTheCdf) {
  EXPECT_NEAR(standard_normal_quantile(0.95), 1.6448536269514722, 1e-13);
  EXPECT_NEAR(standard_normal_quantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(standard_normal_quantile(1e-10), -6.361340902404056, 1e-9);
  for (double p : {1e-12, 0.001, 0.02425, 0.3, 0.7, 0.97575, 0.999}) {
    EXPECT_NEAR(standard_normal_cdf(standard_normal_quantile(p)), p, 1e-14 + 1e-12 * p);
  }
  EXPECT_THROW(standard_normal_quantile(0.0), std::domain_error);
}

TEST(Sampling, SameSeedSameNumbersDifferentSeedDifferent) {
  const Prior p = make_prior("lognormal", 0.5, 1, 2);
  EXPECT_EQ(draws(p, 42, 1000), draws(p, 42, 1000));
  EXPECT_NE(draws(p, 42, 1000), draws(p, 43, 1000));
  // One draw consumes exactly one generator output, so parameters can share a stream.
  std::mt19937_64 a(7), b(7);
  (void)p.sample(a);
  b.discard(1);
  EXPECT_EQ(a(), b());
}

TEST(Sampling, LognormalRangeEndsAreThe5thAnd95thPercentiles) {
  // Central value 1 /h, range [0.5, 2]: ln-scale sigma = ln 4 / (2 x 1.645) = 0.421.
  const Prior p = make_prior("lognormal", 0.5, 1, 2);
  EXPECT_NEAR(p.quantile(0.05), 0.5, 1e-12);
  EXPECT_NEAR(p.quantile(0.95), 2.0, 1e-12);
  EXPECT_NEAR(p.log_mean(), 0.0, 1e-12);  // median sqrt(0.5 x 2) = 1
  EXPECT_NEAR(p.log_sd(), std::log(4.0) / (2 * 1.6448536269514722), 1e-12);
  const auto x = draws(p, 20240501, 20000);
  EXPECT_NEAR(empirical_quantile(x, 0.05), 0.5, 0.02 * 0.5);
  EXPECT_NEAR(empirical_quantile(x, 0.95), 2.0, 0.02 * 2.0);
  EXPECT_NEAR(p.cdf(0.5), 0.05, 1e-12);
}

TEST(Sampling, OtherStatedQuantilesAreHonoured) {
  // mean +/- 1 SD given as the range: 16th and 84th percentiles.
  Prior p = make_prior("lognormal", 2.22, 2.82, 3.42);
  p.quantile_low = 0.16;
  p.quantile_high = 0.84;
  const auto x = draws(p, 99, 20000);
  EXPECT_NEAR(empirical_quantile(x, 0.16), 2.22, 0.02 * 2.22);
  EXPECT_NEAR(empirical_quantile(x, 0.84), 3.42, 0.02 * 3.42);
}

TEST(Sampling, UniformStaysInItsSupportWithFlatQuantiles) {
  const Prior p = make_prior("uniform", 2, 3, 6);
  const auto x = draws(p, 5, 20000);
  EXPECT_GE(*std::min_element(x.begin(), x.end()), 2.0);
  EXPECT_LE(*std::max_element(x.begin(), x.end()), 6.0);
  // 5th / 95th percentiles at 2.2 and 5.8, within 2 % of the range width.
  EXPECT_NEAR(empirical_quantile(x, 0.05), 2.2, 0.02 * 4);
  EXPECT_NEAR(empirical_quantile(x, 0.95), 5.8, 0.02 * 4);
  EXPECT_EQ(p.box().low, 2.0);
  EXPECT_EQ(p.box().high, 6.0);
}

TEST(Sampling, EveryShippedPriorMatchesItsStatedMapping) {
  // 20,000 draws per prior. Lognormal: the empirical quantiles at the stated probabilities
  // fall within 2 % of low and high, or within 4 standard errors for very wide priors
  // (SE of ln q_p = sigma sqrt(p(1-p)/n) / phi(z_p) exceeds 0.5 % when sigma > ~0.35).
  // Uniform: inside [low, high], 5th/95th percentiles within 2 % of the width.
  const int n = 20000;
  for (const PriorSet& set :
       load_prior_directory(std::filesystem::path(ONSET_SOURCE_DIR) / "data/priors")) {
    std::uint64_t seed = 1;
    for (const Prior& p : set.priors()) {
      SCOPED_TRACE(p.file + ":" + std::to_string(p.line) + " " + p.name);
      const auto x = draws(p, seed++, n);
      if (p.is_lognormal()) {
        for (const auto& [prob, end] :
             {std::pair{p.quantile_low, p.low}, std::pair{p.quantile_high, p.high}}) {
          const double z = standard_normal_quantile(prob);
          const double density = std::exp(-z * z / 2) / std::sqrt(2 * M_PI);
          const double se_ln = p.log_sd() * std::sqrt(prob * (1 - prob) / n) / density;
          const double tol_ln = std::max(std::log(1.02), 4 * se_ln);
          EXPECT_NEAR(std::log(empirical_quantile(x, prob)), std::log(end), tol_ln);
        }
      } else {
        const double width = p.high - p.low;
        EXPECT_GE(*std::min_element(x.begin(), x.end()), p.low);
        EXPECT_LE(*std::max_element(x.begin(), x.end()), p.high);
        EXPECT_NEAR(empirical_quantile(x, 0.05), p.low + 0.05 * width, 0.02 * width + 1e-300);
        EXPECT_NEAR(empirical_quantile(x, 0.95), p.low + 0.95 * width, 0.02 * width + 1e-300);
      }
    }
  }
}

}  // namespace
}  // namespace onset::io
