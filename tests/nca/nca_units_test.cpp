// NCA's units are read by onset's one unit parser (io/units.hpp) and keep the factors and
// names NCA reports: the same doubles as the decimal literals (so results do not move by an
// ulp), the usual name for each size, and refusal of other dimensions and compound units.
#include <gtest/gtest.h>

#include "nca/units.hpp"

namespace onset::nca {
namespace {

TEST(NcaUnits, TimeFactorsAreExactAndNamedAsReported) {
  EXPECT_EQ(parse_time_unit("s")->hours, 1.0 / 3600.0);
  EXPECT_EQ(parse_time_unit("minutes")->hours, 1.0 / 60.0);
  EXPECT_EQ(parse_time_unit("min")->name, "min");
  EXPECT_EQ(parse_time_unit("hr")->name, "h");
  EXPECT_EQ(parse_time_unit("hours")->hours, 1.0);
  EXPECT_EQ(parse_time_unit("days")->name, "day");
  EXPECT_EQ(parse_time_unit("d")->hours, 24.0);
  EXPECT_EQ(parse_time_unit("week")->hours, 168.0);
  EXPECT_FALSE(parse_time_unit("mg"));
  EXPECT_FALSE(parse_time_unit("h/2"));
  EXPECT_FALSE(parse_time_unit("fortnight"));
}

TEST(NcaUnits, MassAndVolumeFactorsAreTheDecimalLiterals) {
  EXPECT_EQ(parse_mass_unit("g")->milligrams, 1e3);
  EXPECT_EQ(parse_mass_unit("mg")->milligrams, 1.0);
  EXPECT_EQ(parse_mass_unit("\xC2\xB5g")->milligrams, 1e-3);
  EXPECT_EQ(parse_mass_unit("mcg")->name, "ug");
  EXPECT_EQ(parse_mass_unit("ng")->milligrams, 1e-6);
  EXPECT_EQ(parse_mass_unit("pg")->milligrams, 1e-9);
  EXPECT_EQ(parse_volume_unit("l")->name, "L");
  EXPECT_EQ(parse_volume_unit("dL")->litres, 0.1);
  EXPECT_EQ(parse_volume_unit("ml")->litres, 1e-3);
  EXPECT_EQ(parse_volume_unit("\xC2\xB5L")->litres, 1e-6);
  EXPECT_FALSE(parse_mass_unit("mol"));
  EXPECT_FALSE(parse_volume_unit("m"));
}

TEST(NcaUnits, ConcentrationIsMassOverVolume) {
  const auto unit = parse_concentration_unit(" ng/mL ");
  ASSERT_TRUE(unit);
  EXPECT_EQ(unit->name(), "ng/mL");
  EXPECT_EQ(unit->milligrams_per_litre(), 1e-6 / 1e-3);
  EXPECT_FALSE(parse_concentration_unit("mg"));
  EXPECT_FALSE(parse_concentration_unit("L/mg"));
}

}  // namespace
}  // namespace onset::nca
