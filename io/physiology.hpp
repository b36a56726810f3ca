// Species physiology for PBPK models: data/species/physiology.yaml.
//
// Per species (mouse, rat, monkey, human): body weight, plasma and blood volume, cardiac
// output, organ masses and blood flows (liver, spleen, lung, kidney, rest of body), and the
// numbers of Kupffer cells and splenic macrophages. Every value carries its unit and a
// citation (a key of the file's `references`, or inline) or an explicit assumption/derivation.
//
// Units are fixed per quantity so that models never guess: body weight "kg", volumes "mL",
// masses "g", flows "mL/min", cell numbers "cells". A different unit in the file is an error
// naming both units. Lung blood flow is the full cardiac output (pulmonary circulation); the
// spleen's venous outflow joins the portal vein, so the liver's total flow includes it.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "io/priors.hpp"

namespace onset::io {

struct PhysiologyValue {
  double value = 0;
  std::string unit;
  // Optional plausible range (same unit); equal to value when the file gives none.
  double low = 0;
  double high = 0;
  Citation citation;
  std::string assumption;
  std::string derivation;
  std::string note;
  int line = 0;
};

struct OrganPhysiology {
  PhysiologyValue mass;        // g
  PhysiologyValue blood_flow;  // mL/min
};

struct SpeciesPhysiology {
  std::string species;
  std::string strain;                             // e.g. "cynomolgus (Macaca fascicularis)"
  PhysiologyValue body_weight;                    // kg
  PhysiologyValue plasma_volume;                  // mL
  PhysiologyValue blood_volume;                   // mL
  PhysiologyValue cardiac_output;                 // mL/min
  std::map<std::string, OrganPhysiology> organs;  // liver, spleen, lung, kidney, rest
  PhysiologyValue kupffer_cells;                  // cells per animal
  PhysiologyValue splenic_macrophages;            // red-pulp macrophages per animal

  // Throws std::out_of_range naming the organs present.
  const OrganPhysiology& organ(std::string_view name) const;
};

class PhysiologyTable {
 public:
  // Reads and validates the file. Throws PriorFileError (file:line:column).
  static PhysiologyTable load(const std::filesystem::path& file);
  static PhysiologyTable parse(const std::string& text, const std::string& file_name);

  // Throws std::out_of_range naming the species present.
  const SpeciesPhysiology& species(std::string_view name) const;
  std::vector<std::string> species_names() const;
  const std::vector<Citation>& references() const { return references_; }

 private:
  std::map<std::string, SpeciesPhysiology> species_;
  std::vector<Citation> references_;
};

// The organs every species must list, in this order.
const std::vector<std::string>& required_organs();

}  // namespace onset::io
