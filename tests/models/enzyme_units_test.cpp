// Enzyme activity units for the liver-enzyme models (ALT, AST, ALP, GGT in U/L): 1 U = 1 IU =
// 1 umol of substrate per minute; 1 kat = 1 mol/s, so 1 ukat/L = 60 U/L (IFCC reporting).
#include <gtest/gtest.h>

#include "models/units.hpp"

namespace onset::models {
namespace {

TEST(EnzymeUnits, UnitsAndKatalsConvert) {
  EXPECT_DOUBLE_EQ(convert(1, "U", "IU"), 1);
  EXPECT_NEAR(convert(1, "ukat/L", "U/L"), 60, 1e-12);
  EXPECT_NEAR(convert(33, "U/L", "ukat/L"), 0.55, 1e-12);
  EXPECT_NEAR(convert(1, "U", "umol/min"), 1, 1e-12);
  EXPECT_NEAR(convert(1, "U/h", "umol/min/h"), 1, 1e-12);
  // An activity is an amount per time: not convertible to an amount or a mass.
  EXPECT_THROW((void)convert(1, "U", "umol"), UnitError);
  EXPECT_THROW((void)convert(1, "U/L", "mg/dL"), UnitError);
}

}  // namespace
}  // namespace onset::models
