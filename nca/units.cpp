#include "nca/units.hpp"

#include <array>
#include <utility>

#include "io/csv.hpp"
#include "io/units.hpp"

namespace onset::nca {
namespace {

constexpr std::array<int, io::kNumDimensions> kTimePowers{0, 0, 0, 1, 0};
constexpr std::array<int, io::kNumDimensions> kMassPowers{1, 0, 0, 0, 0};
constexpr std::array<int, io::kNumDimensions> kVolumePowers{0, 0, 3, 0, 0};

// One symbol of io's unit table (io/units.hpp: the one parser and table of onset) with the
// given dimension; nullopt for anything else (a product or quotient, another dimension, an
// unknown symbol).
std::optional<io::Unit> single_unit(std::string_view text,
                                    const std::array<int, io::kNumDimensions>& powers) {
  text = io::trimmed(text);
  if (text.empty() || text.find_first_of("*/^() ") != std::string_view::npos) return std::nullopt;
  try {
    io::Unit unit = io::parse_unit(text);
    if (unit.powers != powers) return std::nullopt;
    return unit;
  } catch (const io::UnitError&) {
    return std::nullopt;
  }
}

// The name NCA reports for a unit: the usual one of its size ("hr" and "hours" are "h"), else
// the symbol as io's parser read it.
template <std::size_t N>
std::string report_name(const io::Unit& unit,
                        const std::array<std::pair<double, const char*>, N>& names) {
  for (const auto& [scale, name] : names)
    if (unit.scale == scale) return name;
  return unit.text;
}

}  // namespace

// The factors below are exact for the table's sizes: scale / 3600 for times, scale * 1e6 for
// masses and scale / 1e-3 for volumes give the same doubles as the literals 1/60, 1e3, 1e-6
// (tests/nca/nca_units_test.cpp checks each).
std::optional<TimeUnit> parse_time_unit(std::string_view text) {
  static constexpr std::array<std::pair<double, const char*>, 5> kNames{
      {{1, "s"}, {60, "min"}, {3600, "h"}, {86400, "day"}, {604800, "week"}}};
  const auto unit = single_unit(text, kTimePowers);
  if (!unit) return std::nullopt;
  return TimeUnit{report_name(*unit, kNames), unit->scale / 3600.0};
}

std::optional<MassUnit> parse_mass_unit(std::string_view text) {
  static constexpr std::array<std::pair<double, const char*>, 5> kNames{
      {{1e-3, "g"}, {1e-6, "mg"}, {1e-9, "ug"}, {1e-12, "ng"}, {1e-15, "pg"}}};
  const auto unit = single_unit(text, kMassPowers);
  if (!unit) return std::nullopt;
  return MassUnit{report_name(*unit, kNames), unit->scale * 1e6};
}

std::optional<VolumeUnit> parse_volume_unit(std::string_view text) {
  static constexpr std::array<std::pair<double, const char*>, 4> kNames{
      {{1e-3, "L"}, {1e-4, "dL"}, {1e-6, "mL"}, {1e-9, "uL"}}};
  const auto unit = single_unit(text, kVolumePowers);
  if (!unit) return std::nullopt;
  return VolumeUnit{report_name(*unit, kNames), unit->scale / 1e-3};
}

std::optional<ConcentrationUnit> parse_concentration_unit(std::string_view text) {
  text = io::trimmed(text);
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

}  // namespace onset::nca
