// Sparse (destructive) sampling: Bailer's AUC standard error on a hand-worked example, the
// Nedelman-Jia covariance terms for animals sampled twice, and the coverage of the intervals
// over simulated studies with a known true AUC.
#include "nca/sparse.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

namespace onset::nca {
namespace {

std::vector<SparseObservation> observations(
    std::initializer_list<std::tuple<std::string, double, double>> rows) {
  std::vector<SparseObservation> out;
  for (const auto& [animal, time, conc] : rows) {
    SparseObservation observation;
    observation.animal = animal;
    observation.time = time;
    observation.conc = conc;
    out.push_back(observation);
  }
  return out;
}

// Three animals at each of t = 1, 2, 4 h (each animal sampled once); a known zero at t = 0.
//   t = 1: 4, 5, 6   mean 5, s^2 = 1
//   t = 2: 6, 8, 10  mean 8, s^2 = 4
//   t = 4: 2, 3, 4   mean 3, s^2 = 1
// Weights: w(1) = (2 - 0)/2 = 1, w(2) = (4 - 1)/2 = 1.5, w(4) = (4 - 2)/2 = 1.
// AUC = 1*5 + 1.5*8 + 1*3 = 20 (= trapezoids 2.5 + 6.5 + 11).
// Var = 1^2*1/3 + 1.5^2*4/3 + 1^2*1/3 = 11/3, SE = 1.914854.
// df = (11/3)^2 / [(1/3)^2/2 + 3^2/2 + (1/3)^2/2] = (121/9) / (83/18) = 242/83 = 2.915663.
std::vector<SparseObservation> hand_example() {
  return observations({{"a", 1, 4},
                       {"b", 1, 5},
                       {"c", 1, 6},
                       {"d", 2, 6},
                       {"e", 2, 8},
                       {"f", 2, 10},
                       {"g", 4, 2},
                       {"h", 4, 3},
                       {"i", 4, 4}});
}

TEST(SparseAuc, BailerStandardErrorMatchesTheHandWorkedExample) {
  const SparseAuc result = sparse_auc(hand_example(), 0.95, true);
  ASSERT_TRUE(result.estimated) << result.reason;
  EXPECT_NEAR(result.auc, 20, 1e-12);
  EXPECT_NEAR(result.se_bailer, std::sqrt(11.0 / 3), 1e-12);
  EXPECT_NEAR(result.se_bailer, 1.914854, 1e-6);
  EXPECT_NEAR(result.df, 242.0 / 83, 1e-12);
  EXPECT_NEAR(result.z_lower, 20 - 1.959963984540054 * std::sqrt(11.0 / 3), 1e-9);
  EXPECT_NEAR(result.z_upper, 20 + 1.959963984540054 * std::sqrt(11.0 / 3), 1e-9);
  // The t interval is wider than the normal one: between t(0.975, 3) and t(0.975, 2).
  const double t = (result.t_upper - result.auc) / result.se_bailer;
  EXPECT_GT(t, 3.18);  // t(0.975, 3) = 3.182446
  EXPECT_LT(t, 4.31);  // t(0.975, 2) = 4.302653
  EXPECT_FALSE(result.repeated_sampling);
  EXPECT_NEAR(result.se_nedelman_jia, result.se_bailer, 1e-15);
  ASSERT_EQ(result.points.size(), 4u);
  EXPECT_EQ(result.points[0].n, 0);  // the added dose-time zero
  EXPECT_DOUBLE_EQ(result.points[2].weight, 1.5);
}

TEST(SparseAuc, StudentTQuantileForSatterthwaiteDf) {
  const SparseAuc result = sparse_auc(hand_example(), 0.95, true);
  // Reference value from scipy 1.10: stats.t.ppf(0.975, 242/83) = 3.23516247440371.
  const double t = (result.t_upper - result.auc) / result.se_bailer;
  EXPECT_NEAR(t, 3.23516247440371, 1e-9);
}

TEST(SparseAuc, NedelmanJiaAddsCovarianceForAnimalsSampledTwice) {
  // Animals A, B, C sampled at t = 1 and t = 2 (no zero added: IV bolus convention).
  //   t = 1: 4, 5, 6   mean 5, s^2 = 1;  t = 2: 6, 8, 10  mean 8, s^2 = 4; w = 0.5, 0.5.
  // r12 = 3 = n1 = n2, so the Holder denominator is (3 - 1) + 0 = 2;
  // cross products (-1)(-2) + 0 + (1)(2) = 4, s12 = 2 (= s1 s2: perfectly correlated).
  // Var_Bailer = 0.25/3 + 0.25*4/3 = 5/12;
  // Var_NJ = 5/12 + 2*0.5*0.5*3*2/(3*3) = 5/12 + 1/3 = 3/4.
  const SparseAuc result = sparse_auc(
      observations({{"A", 1, 4}, {"B", 1, 5}, {"C", 1, 6}, {"A", 2, 6}, {"B", 2, 8}, {"C", 2, 10}}),
      0.95, false);
  ASSERT_TRUE(result.estimated) << result.reason;
  EXPECT_TRUE(result.repeated_sampling);
  EXPECT_NEAR(result.auc, 6.5, 1e-12);
  EXPECT_NEAR(result.se_bailer, std::sqrt(5.0 / 12), 1e-12);
  EXPECT_NEAR(result.se_nedelman_jia, std::sqrt(0.75), 1e-12);
}

TEST(SparseAuc, NedelmanJiaWithPartialOverlapUsesHoldersDenominator) {
  // t = 1: A 4, B 5, C 6 (mean 5, s^2 1); t = 2: A 6, B 9, D 9 (mean 8, s^2 3). r12 = 2 (A, B).
  // Denominator (2 - 1) + (1 - 2/3)(1 - 2/3) = 10/9; cross (-1)(-2) + (0)(1) = 2;
  // s12 = 2 * 9/10 = 1.8 (bound s1 s2 = sqrt 3 = 1.732: clamped to 1.732).
  // Var_NJ = 0.25/3 + 0.25*3/3 + 2*0.25*2*sqrt(3)/9.
  const SparseAuc result = sparse_auc(
      observations({{"A", 1, 4}, {"B", 1, 5}, {"C", 1, 6}, {"A", 2, 6}, {"B", 2, 9}, {"D", 2, 9}}),
      0.95, false);
  const double variance = 0.25 / 3 + 0.25 + 2 * 0.25 * 2 * std::sqrt(3.0) / 9;
  EXPECT_NEAR(result.se_nedelman_jia, std::sqrt(variance), 1e-12);
}

TEST(SparseAuc, SingleAnimalAtATimeGivesNoStandardErrorAndSaysWhy) {
  const SparseAuc result =
      sparse_auc(observations({{"a", 1, 4}, {"b", 1, 5}, {"c", 2, 6}}), 0.95, true);
  EXPECT_FALSE(result.estimated);
  EXPECT_EQ(result.reason, "only 1 animal at t = 2: no variance estimate, so no standard error");
  EXPECT_NEAR(result.auc, 0.5 * 4.5 + 0.5 * (4.5 + 6), 1e-12);
}

// 2,000 simulated destructive studies: 8 times, 4 animals per time, log-normal concentrations
// (CV 30 %) around a one-compartment oral profile. The estimand of Bailer's method is the
// linear-trapezoid AUC of the true mean profile over the design times (with the known zero at
// t = 0), so that is the "true AUC" here. The t interval with Satterthwaite df should cover it
// 95 % of the time (binomial SE 0.5 %); the normal interval under-covers with 4 animals per time
// (about 92 %), which is why the t interval is the one to read.
TEST(SparseAuc, NinetyFivePercentIntervalsCoverTheTrueAucIn93To97PercentOfStudies) {
  const std::vector<double> times = {0.25, 0.5, 1, 2, 4, 8, 12, 24};
  const double ka = 1.5;
  const double ke = 0.15;
  const auto true_mean = [&](double t) {
    return 10 * ka / (ka - ke) * (std::exp(-ke * t) - std::exp(-ka * t));
  };
  double true_auc = 0;
  double previous_t = 0;
  double previous_c = 0;
  for (double t : times) {
    true_auc += (t - previous_t) * (previous_c + true_mean(t)) / 2;
    previous_t = t;
    previous_c = true_mean(t);
  }
  const double cv = 0.3;
  const double sigma = std::sqrt(std::log(1 + cv * cv));
  std::mt19937_64 rng(20240611);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int studies = 2000;
  const int animals_per_time = 4;
  int covered_t = 0;
  int covered_z = 0;
  for (int study = 0; study < studies; ++study) {
    std::vector<SparseObservation> data;
    for (double t : times) {
      for (int animal = 0; animal < animals_per_time; ++animal) {
        SparseObservation observation;
        observation.time = t;
        observation.conc = true_mean(t) * std::exp(sigma * normal(rng) - sigma * sigma / 2);
        data.push_back(observation);
      }
    }
    const SparseAuc result = sparse_auc(data, 0.95, true);
    ASSERT_TRUE(result.estimated);
    covered_t += result.t_lower <= true_auc && true_auc <= result.t_upper;
    covered_z += result.z_lower <= true_auc && true_auc <= result.z_upper;
  }
  const double coverage_t = static_cast<double>(covered_t) / studies;
  const double coverage_z = static_cast<double>(covered_z) / studies;
  EXPECT_GE(coverage_t, 0.93);
  EXPECT_LE(coverage_t, 0.97);
  EXPECT_LT(coverage_z, coverage_t);
  RecordProperty("coverage_t", std::to_string(coverage_t));
  RecordProperty("coverage_normal", std::to_string(coverage_z));
}

TEST(SparseNca, GroupsAreAnalysedSeparatelyWithTheMeanProfileNca) {
  std::vector<SparseObservation> data = hand_example();
  for (auto& observation : data) observation.group = "liver";
  std::vector<SparseObservation> plasma = hand_example();
  for (auto& observation : plasma) {
    observation.group = "plasma";
    observation.conc *= 2;
  }
  data.insert(data.end(), plasma.begin(), plasma.end());
  SparseOptions options;
  options.dose = 10;
  const auto results = run_sparse_nca(data, options);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].group, "liver");
  EXPECT_NEAR(results[0].auc.auc, 20, 1e-12);
  EXPECT_NEAR(results[1].auc.auc, 40, 1e-12);
  EXPECT_NEAR(results[1].auc.se_bailer, 2 * std::sqrt(11.0 / 3), 1e-12);
  // Mean profile (0,0) (1,5) (2,8) (4,3): linear AUCLST = 20, CMAX 8 at 2 h.
  EXPECT_NEAR(results[0].mean_profile.value("AUCLST"), 20, 1e-12);
  EXPECT_EQ(results[0].mean_profile.value("CMAX"), 8);
  EXPECT_EQ(results[0].mean_profile.value("TMAX"), 2);
}

}  // namespace
}  // namespace onset::nca
