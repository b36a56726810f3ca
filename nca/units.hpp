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
  // "%ID": an amount as a percentage of the injected dose (biodistribution data). Not a mass:
  // it converts to nothing else, and the dose is 100 of it.
  bool dose_percent = false;
};

struct VolumeUnit {
  std::string name = "L";
  double litres = 1.0;  // one unit in L
  // "g" of tissue (%ID/g): a tissue mass, not converted to a volume.
  bool tissue_mass = false;
};

struct ConcentrationUnit {
  MassUnit mass;
  VolumeUnit volume;  // name empty: an amount per organ ("%ID"), no volume
  std::string name() const {
    return volume.name.empty() ? mass.name : mass.name + "/" + volume.name;
  }
  // Per litre, mL, ... (not per organ, not per gram of tissue): dose / AUC is a clearance.
  bool per_volume() const { return !volume.name.empty() && !volume.tissue_mass; }
  // Whether values in `other` can be converted to this unit (same kind: mass/volume, or the
  // same %ID form; %ID/mL to %ID/L converts, %ID/g to mg/L does not).
  bool convertible_from(const ConcentrationUnit& other) const {
    return mass.dose_percent == other.mass.dose_percent &&
           volume.tissue_mass == other.volume.tissue_mass &&
           volume.name.empty() == other.volume.name.empty();
  }
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
// mass/volume, e.g. ng/mL, mg/L, ug/mL; or the biodistribution units %ID (per organ), %ID/g
// (per gram of tissue) and %ID/ over a volume (%ID/mL: blood, plasma).
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
