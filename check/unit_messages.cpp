#include "check/unit_messages.hpp"

#include <cmath>

#include "check/marker_catalogue.hpp"
#include "io/format.hpp"
#include "io/user_error.hpp"
#include "models/units.hpp"

namespace onset::check {

namespace {

std::string where(const ValuePlace& place) {
  return UserError::location(place.file, place.line, place.column);
}

std::string fmt(double value) { return onset::format_number(value, 4); }

}  // namespace

void throw_unit_mismatch(const ValuePlace& place, const std::string& from, const std::string& to,
                         const std::string& model, const std::string& problem) {
  const std::string expected = "a " + place.what + " in " + to + " or a unit that converts to it";
  const MarkerEntry* marker = find_marker(model);
  if (marker != nullptr && marker->molar_mass_g_per_mol > 0) {
    try {
      const double factor = models::conversion_factor_molar(
          models::parse_unit(from), models::parse_unit(to), marker->molar_mass_g_per_mol);
      const std::string through = "through " + model + "'s molar mass (" +
                                  format_number(marker->molar_mass_g_per_mol) + " g/mol) ";
      const std::string fix =
          std::isnan(place.value)
              ? through + "1 " + from + " is " + fmt(factor) + " " + to + ": give it in " + to
              : through + fmt(place.value) + " " + from + " is " + fmt(place.value * factor) + " " +
                    to + ": write \"" + fmt(place.value * factor) + " " + to + "\"";
      throw UserError(where(place), problem, expected, fix);
    } catch (const models::UnitError&) {
      // Not an amount/mass pair: the plain message below.
    }
  }
  throw UserError(where(place), problem, expected, "give the " + place.what + " in " + to);
}

void require_unit(const ValuePlace& place, const std::string& unit, const std::string& to) {
  if (!unit.empty() || to.empty()) return;
  try {
    models::conversion_factor("1", to);
    return;  // dimensionless: a bare number is the value itself
  } catch (const models::UnitError&) {
  }
  const std::string written = fmt(place.value);
  throw UserError(where(place), "the " + place.what + " '" + written + "' has no unit",
                  "a value with its unit, e.g. \"" + written + " " + to + "\"",
                  "write \"" + written + " " + to + "\" if " + to +
                      " is meant (a missing unit is "
                      "never assumed)");
}

}  // namespace onset::check
