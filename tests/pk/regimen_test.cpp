#include "pk/regimen.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace onset::pk {
namespace {

TEST(Timeline, CutsAtEveryInfusionStartAndEnd) {
  Regimen regimen;
  regimen.doses.push_back({0.0, 0, 100.0, 2.0});
  regimen.doses.push_back({1.0, 1, 50.0, 0.0});
  const auto pieces = build_timeline(regimen, 2, 0.0, 10.0);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].t_begin, 0.0);
  EXPECT_EQ(pieces[0].t_end, 1.0);
  EXPECT_EQ(pieces[0].input_rate[0], 50.0);
  EXPECT_EQ(pieces[1].t_begin, 1.0);
  EXPECT_EQ(pieces[1].bolus[1], 50.0);
  EXPECT_EQ(pieces[1].input_rate[0], 50.0);
  EXPECT_EQ(pieces[2].t_begin, 2.0);
  EXPECT_EQ(pieces[2].t_end, 10.0);
  EXPECT_EQ(pieces[2].input_rate[0], 0.0);  // exactly zero after the infusion, no drift
}

TEST(Timeline, OverlappingInfusionsAddTheirRates) {
  Regimen regimen;
  regimen.doses.push_back({0.0, 0, 10.0, 4.0});  // 2.5 per h
  regimen.doses.push_back({2.0, 0, 12.0, 4.0});  // 3 per h
  const auto pieces = build_timeline(regimen, 1, 0.0, 8.0);
  ASSERT_EQ(pieces.size(), 4u);  // cut at 0, 2, 4 and 6 h
  EXPECT_DOUBLE_EQ(pieces[0].input_rate[0], 2.5);
  EXPECT_DOUBLE_EQ(pieces[1].input_rate[0], 5.5);
  EXPECT_DOUBLE_EQ(pieces[2].input_rate[0], 3.0);
  EXPECT_EQ(pieces[3].input_rate[0], 0.0);
}

TEST(Timeline, InfusionRunningAtTheStartContributesFromTheStart) {
  Regimen regimen;
  regimen.doses.push_back({-1.0, 0, 20.0, 2.0});
  const auto pieces = build_timeline(regimen, 1, 0.0, 5.0);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_DOUBLE_EQ(pieces[0].input_rate[0], 10.0);
  EXPECT_EQ(pieces[0].t_end, 1.0);
}

TEST(Timeline, ResetIsAnIntegrationBoundary) {
  Regimen regimen;
  regimen.resets.push_back({3.0});
  const auto pieces = build_timeline(regimen, 1, 0.0, 5.0);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_FALSE(pieces[0].reset_at_begin);
  EXPECT_TRUE(pieces[1].reset_at_begin);
}

TEST(Timeline, RejectsADoseIntoAStateThatDoesNotExist) {
  Regimen regimen;
  regimen.doses.push_back({0.0, 3, 1.0, 0.0});
  EXPECT_THROW(build_timeline(regimen, 2, 0.0, 1.0), std::invalid_argument);
}

TEST(Timeline, RejectsNegativeAmountsAndDurations) {
  Regimen negative_amount;
  negative_amount.doses.push_back({0.0, 0, -1.0, 0.0});
  EXPECT_THROW(build_timeline(negative_amount, 1, 0.0, 1.0), std::invalid_argument);
  Regimen negative_duration;
  negative_duration.doses.push_back({0.0, 0, 1.0, -2.0});
  EXPECT_THROW(build_timeline(negative_duration, 1, 0.0, 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace onset::pk
