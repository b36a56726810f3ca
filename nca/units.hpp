// Units for NCA input and output: time, mass (dose), volume, concentration (mass/volume),
// read by onset's one unit parser (io/units.hpp) and kept here as a name and a factor to a
// base unit (hour, milligram, litre). Conversions are
// done once, when the profile enters the calculation, so the formulas see consistent numbers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace onset::nca {

struct TimeUnit {
  std::string name = "h";
  double hours = 1.0;  // length of one unit in hours
};

struct MassUnit {
  std::string name = "mg";
  double milligrams = 1.0;  // one unit in mg
};

struct VolumeUnit {
  std::string name = "L";
  double litres = 1.0;  // one unit in L
};

struct ConcentrationUnit {
  MassUnit mass;
  VolumeUnit volume;
  std::string name() const { return mass.name + "/" + volume.name; }
  // One unit in mg/L.
  double milligrams_per_litre() const { return mass.milligrams / volume.litres; }
};

// Any one time symbol of io/units.hpp: s, sec, second(s), min, minute(s), h, hr, hour(s), d,
// day(s), week(s), wk.
std::optional<TimeUnit> parse_time_unit(std::string_view text);
// Any one mass symbol of io/units.hpp: kg, g, mg, ug (also µg, mcg), ng, pg, fg.
std::optional<MassUnit> parse_mass_unit(std::string_view text);
// Any one volume symbol of io/units.hpp: L, dL, mL, uL (also µL), nL, fL; lower-case l too.
std::optional<VolumeUnit> parse_volume_unit(std::string_view text);
// mass/volume, e.g. ng/mL, mg/L, ug/mL.
std::optional<ConcentrationUnit> parse_concentration_unit(std::string_view text);

// Units of the data, and the units wanted in the results.
struct NcaUnits {
  // Unit of the time column.
  TimeUnit time;
  // Unit of the concentration column (and of the LLOQ).
  ConcentrationUnit concentration;
  // Unit of the dose (value or column).
  MassUnit dose;
  // Time unit of the results (TMAX, LAMZHL, MRT, AUC's time part, CL's time part).
  TimeUnit output_time;
  // Concentration unit of the results (CMAX, CLST, C0, AUC's concentration part).
  ConcentrationUnit output_concentration;
  // Volume unit of VZ, VSS and CL's volume part.
  VolumeUnit output_volume;

  // Units as given for the data, and the same units for the results (volumes in L).
  static NcaUnits same_as_data(TimeUnit time, ConcentrationUnit concentration, MassUnit dose);
};

}  // namespace onset::nca
