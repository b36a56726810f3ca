#include "fits/nca/units.hpp"

#include <array>
#include <utility>

#include "fits/nca/csv_table.hpp"

namespace onset::fits {
namespace {

template <typename Unit, std::size_t N>
std::optional<Unit> lookup(std::string_view text,
                           const std::array<std::pair<std::string_view, Unit>, N>& table) {
  text = trimmed(text);
  for (const auto& [spelling, unit] : table) {
    if (spelling == text) return unit;
  }
  return std::nullopt;
}

}  // namespace

std::optional<TimeUnit> parse_time_unit(std::string_view text) {
  const TimeUnit second{"s", 1.0 / 3600.0};
  const TimeUnit minute{"min", 1.0 / 60.0};
  const TimeUnit hour{"h", 1.0};
  const TimeUnit day{"day", 24.0};
  const TimeUnit week{"week", 168.0};
  const std::array<std::pair<std::string_view, TimeUnit>, 15> table{{
      {"s", second},
      {"sec", second},
      {"second", second},
      {"seconds", second},
      {"min", minute},
      {"minute", minute},
      {"minutes", minute},
      {"h", hour},
      {"hr", hour},
      {"hour", hour},
      {"hours", hour},
      {"d", day},
      {"day", day},
      {"days", day},
      {"week", week},
  }};
  return lookup(text, table);
}

std::optional<MassUnit> parse_mass_unit(std::string_view text) {
  const MassUnit g{"g", 1e3};
  const MassUnit mg{"mg", 1.0};
  const MassUnit ug{"ug", 1e-3};
  const MassUnit ng{"ng", 1e-6};
  const MassUnit pg{"pg", 1e-9};
  const std::array<std::pair<std::string_view, MassUnit>, 7> table{{
      {"g", g},
      {"mg", mg},
      {"ug", ug},
      {"\xC2\xB5g", ug},
      {"mcg", ug},
      {"ng", ng},
      {"pg", pg},
  }};
  return lookup(text, table);
}

std::optional<VolumeUnit> parse_volume_unit(std::string_view text) {
  const VolumeUnit l{"L", 1.0};
  const VolumeUnit dl{"dL", 0.1};
  const VolumeUnit ml{"mL", 1e-3};
  const VolumeUnit ul{"uL", 1e-6};
  const std::array<std::pair<std::string_view, VolumeUnit>, 8> table{{
      {"L", l},
      {"l", l},
      {"dL", dl},
      {"dl", dl},
      {"mL", ml},
      {"ml", ml},
      {"uL", ul},
      {"\xC2\xB5L", ul},
  }};
  return lookup(text, table);
}

std::optional<ConcentrationUnit> parse_concentration_unit(std::string_view text) {
  text = trimmed(text);
  if (text.starts_with("%ID")) {
    const MassUnit percent{"%ID", 1.0, true};
    const std::string_view rest = text.substr(3);
    if (rest.empty()) return ConcentrationUnit{percent, VolumeUnit{"", 1.0, false}};
    if (rest == "/g") return ConcentrationUnit{percent, VolumeUnit{"g", 1.0, true}};
    if (!rest.starts_with("/")) return std::nullopt;
    auto volume = parse_volume_unit(rest.substr(1));
    if (!volume) return std::nullopt;
    return ConcentrationUnit{percent, *volume};
  }
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto mass = parse_mass_unit(text.substr(0, slash));
  auto volume = parse_volume_unit(text.substr(slash + 1));
  if (!mass || !volume) return std::nullopt;
  return ConcentrationUnit{*mass, *volume};
}

NcaUnits NcaUnits::same_as_data(TimeUnit time, ConcentrationUnit concentration, MassUnit dose) {
  NcaUnits units;
  units.time = time;
  units.concentration = concentration;
  units.dose = dose;
  units.output_time = time;
  units.output_concentration = concentration;
  units.output_volume = VolumeUnit{};
  return units;
}

}  // namespace onset::fits
