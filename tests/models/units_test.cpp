// Unit parsing, conversion factors and the errors for incompatible units.
#include "models/units.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace onset::models {
namespace {

TEST(Units, TimeVolumeMassConversions) {
  EXPECT_DOUBLE_EQ(convert(1, "h", "min"), 60);
  EXPECT_DOUBLE_EQ(convert(2, "day", "h"), 48);
  EXPECT_DOUBLE_EQ(convert(1, "week", "day"), 7);
  EXPECT_DOUBLE_EQ(convert(1, "L", "mL"), 1000);
  EXPECT_DOUBLE_EQ(convert(1, "dL", "mL"), 100);
  EXPECT_DOUBLE_EQ(convert(1, "mg", "ug"), 1000);
  EXPECT_DOUBLE_EQ(convert(1, "µg", "ng"), 1000);
  EXPECT_DOUBLE_EQ(convert(1, "g", "mg"), 1000);
  EXPECT_DOUBLE_EQ(convert(1, "mmol", "umol"), 1000);
  EXPECT_NEAR(convert(1, "mL/min", "L/h"), 0.06, 1e-15);
  EXPECT_NEAR(convert(1, "1/min", "1/h"), 60, 1e-12);
  EXPECT_NEAR(convert(1, "mg/L", "ng/mL"), 1000, 1e-9);
  EXPECT_NEAR(convert(1, "mg/L", "ug/mL"), 1, 1e-15);
  EXPECT_NEAR(convert(3, "mL/min/kg", "L/(h*kg)"), 0.18, 1e-15);
  EXPECT_NEAR(convert(1, "cm^3", "mL"), 1, 1e-12);
}

TEST(Units, ParticlesCountsAndPercentDose) {
  EXPECT_DOUBLE_EQ(convert(1e10, "particles", "particles"), 1e10);
  EXPECT_DOUBLE_EQ(convert(50, "copies/particle", "1"), 50);  // counts per count
  EXPECT_DOUBLE_EQ(convert(2e13, "particles/h", "particles/min"), 2e13 / 60);
  EXPECT_DOUBLE_EQ(convert(1, "particles/mL", "particles/L"), 1000);
  EXPECT_DOUBLE_EQ(convert(25, "%ID", "1"), 0.25);
  EXPECT_DOUBLE_EQ(convert(10, "%ID/g", "%ID/mg"), 0.01);
  EXPECT_DOUBLE_EQ(convert(10, "%ID/g", "1/kg"), 100);
}

TEST(Units, BilirubinMassToMolarThroughMolarMass) {
  // 1 mg/dL of bilirubin (584.66 g/mol) = 10 mg/L / 584.66 g/mol = 17.104 umol/L.
  const double umol_per_l = convert(1, "mg/dL", "umol/L", kBilirubinMolarMass);
  EXPECT_NEAR(umol_per_l, 17.104, 5e-4);
  EXPECT_NEAR(umol_per_l, 1e4 / 584.66, 1e-12);
  EXPECT_NEAR(convert(umol_per_l, "umol/L", "mg/dL", kBilirubinMolarMass), 1, 1e-14);
  EXPECT_NEAR(convert(20.5, "umol/L", "mg/dL", kBilirubinMolarMass), 20.5 / 17.1037, 1e-4);
  EXPECT_NEAR(convert(1, "mmol", "mg", 584.66), 584.66, 1e-9);
  // Without a molar mass, mass and amount of substance do not convert.
  EXPECT_THROW(convert(1, "mg/dL", "umol/L"), UnitError);
}

TEST(Units, IncompatibleUnitsNameBothAndWhere) {
  try {
    conversion_factor("mg/L", "particles", "parameter Km", "compartment P");
    FAIL() << "expected a UnitError";
  } catch (const UnitError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'mg/L' (parameter Km)"), std::string::npos) << message;
    EXPECT_NE(message.find("'particles' (compartment P)"), std::string::npos) << message;
    EXPECT_NE(message.find("mass/length^3"), std::string::npos) << message;
  }
  EXPECT_THROW(convert(1, "L/h", "1/h"), UnitError);
  EXPECT_THROW(convert(1, "mg", "mol", -1.0), UnitError);
}

TEST(Units, ParseErrorsPointAtTheSymbol) {
  EXPECT_THROW(parse_unit("mg/furlong"), UnitError);
  EXPECT_THROW(parse_unit(""), UnitError);
  EXPECT_THROW(parse_unit("mg/(L"), UnitError);
  EXPECT_THROW(parse_unit("mg^"), UnitError);
  try {
    parse_unit("mg/furlong");
  } catch (const UnitError& error) {
    EXPECT_NE(std::string(error.what()).find("unknown symbol 'furlong'"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("character 4"), std::string::npos) << error.what();
  }
  EXPECT_TRUE(is_unit("particles/(h*L)"));
  EXPECT_TRUE(parse_unit("1").dimensionless());
  EXPECT_TRUE(parse_unit("%").dimensionless());
  EXPECT_EQ(parse_unit("L/h").dimension_text(), "length^3/time");
}

}  // namespace
}  // namespace onset::models
