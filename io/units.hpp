// The one unit system of onset: parsing, dimension checks and conversion factors, for model
// parameters and states (models/), priors and claims (check/) and NCA's data and results
// (nca/units.hpp, which reads its time, mass and volume units through parse_unit).
//
// A unit is a scale factor to SI-like base units times a dimension vector
// (mass, amount of substance, length, time, count). "L" is length^3 (1e-3 m^3); particles,
// copies, cells and vesicles are all counts; "%", "%ID" and "1" are dimensionless (%ID is a
// percentage of the dose, i.e. 0.01); enzyme activity U = IU = 1 umol/min (amount/time), kat =
// 1 mol/s. Grammar: factors joined by '*' or '/', each a symbol
// with an optional integer power ('^2'), parentheses allowed: "mg/L", "L/h", "1/h",
// "mL/min/kg", "particles/(h*L)", "%ID/g", "umol/L".
//
// Mass and amount of substance convert only through a molar mass (g/mol), e.g. bilirubin
// (584.66 g/mol): 1 mg/dL = 17.104 umol/L.
#pragma once

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "io/user_error.hpp"

namespace onset::io {

enum class Dimension { kMass = 0, kAmount = 1, kLength = 2, kTime = 3, kCount = 4 };
inline constexpr int kNumDimensions = 5;

// A unit of measure: value_in_base = value * scale; powers of each Dimension.
struct Unit {
  double scale = 1;
  std::array<int, kNumDimensions> powers{};
  std::string text;  // as written (or built), for messages

  bool dimensionless() const;
  // Same dimension (convertible without a molar mass).
  bool compatible_with(const Unit& other) const { return powers == other.powers; }
  // Product and quotient (text joined with '*' and '/').
  Unit operator*(const Unit& other) const;
  Unit operator/(const Unit& other) const;
  // The dimension vector in words, e.g. "mass/length^3".
  std::string dimension_text() const;
};

// A unit that cannot be parsed, or a conversion between incompatible units. The message names
// both units and where they came from. It has no place of its own: a reader that catches it
// reports problem() at the place of the unit in its file.
class UnitError : public UserError {
 public:
  explicit UnitError(const std::string& message) : UserError({}, message) {}
};

// Parses a unit string (see the grammar above). Throws UnitError naming the bad symbol.
Unit parse_unit(std::string_view text);
// True when `text` parses as a unit.
bool is_unit(std::string_view text);

// Factor f such that value_in_`to` = f * value_in_`from`. Throws UnitError naming both
// units and `from_where` / `to_where` (e.g. "parameter Km", "compartment central") when they
// are incompatible.
double conversion_factor(const Unit& from, const Unit& to, std::string_view from_where = {},
                         std::string_view to_where = {});
double conversion_factor(std::string_view from, std::string_view to,
                         std::string_view from_where = {}, std::string_view to_where = {});

// Like conversion_factor, but mass and amount of substance may also convert into each other
// through molar_mass_g_per_mol (mg/dL <-> umol/L, mg <-> mmol, ...).
double conversion_factor_molar(const Unit& from, const Unit& to, double molar_mass_g_per_mol,
                               std::string_view from_where = {}, std::string_view to_where = {});

// value converted from `from` to `to`; with a molar mass when given.
double convert(double value, std::string_view from, std::string_view to,
               std::optional<double> molar_mass_g_per_mol = std::nullopt);

// Molar mass of unconjugated bilirubin, g/mol (C33H36N4O6).
inline constexpr double kBilirubinMolarMass = 584.66;

}  // namespace onset::io
