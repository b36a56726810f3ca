#include "io/physiology.hpp"

#include <stdexcept>

#include "io/yaml.hpp"

namespace onset::io {

using yaml::fail;
using yaml::get_number;
using yaml::get_string;
using yaml::require_keys;

const std::vector<std::string>& required_organs() {
  static const std::vector<std::string> organs = {"liver", "spleen", "lung", "kidney", "rest"};
  return organs;
}

const OrganPhysiology& SpeciesPhysiology::organ(std::string_view name) const {
  const auto it = organs.find(std::string(name));
  if (it != organs.end()) return it->second;
  std::string have;
  for (const auto& [n, _] : organs) have += (have.empty() ? "" : ", ") + n;
  throw std::out_of_range("no organ '" + std::string(name) + "' for " + species +
                          " (organs: " + have + ")");
}

namespace {

struct Context {
  const std::string& file;
  const std::map<std::string, Citation>& references;
};

PhysiologyValue parse_value(const Context& ctx, const YAML::Node& map, const std::string& key,
                            const std::string& expected_unit, const std::string& where) {
  const YAML::Node node = map[key];
  if (!node) fail(ctx.file, map, where + ": missing '" + key + "'");
  if (!node.IsMap()) fail(ctx.file, node, where + "." + key + ": expected a map with value, unit");
  require_keys(ctx.file, node,
               {"value", "unit", "low", "high", "citation", "assumption", "derivation", "note"},
               where + "." + key);
  PhysiologyValue v;
  v.line = node.Mark().line + 1;
  v.value = get_number(ctx.file, node, "value");
  v.unit = get_string(ctx.file, node, "unit", true);
  if (v.unit != expected_unit) {
    fail(ctx.file, node["unit"],
         where + "." + key + ": expected unit '" + expected_unit + "', found '" + v.unit + "'");
  }
  if (!(v.value > 0)) fail(ctx.file, node["value"], where + "." + key + ": must be positive");
  v.low = node["low"] ? get_number(ctx.file, node, "low") : v.value;
  v.high = node["high"] ? get_number(ctx.file, node, "high") : v.value;
  if (v.low > v.high) fail(ctx.file, node["low"], where + "." + key + ": low > high");
  if (v.value < v.low || v.value > v.high) {
    fail(ctx.file, node["value"], where + "." + key + ": value outside [low, high]");
  }
  v.assumption = get_string(ctx.file, node, "assumption", false);
  v.derivation = get_string(ctx.file, node, "derivation", false);
  v.note = get_string(ctx.file, node, "note", false);
  if (const YAML::Node c = node["citation"]) {
    if (c.IsScalar()) {
      const auto it = ctx.references.find(c.Scalar());
      if (it == ctx.references.end()) {
        fail(ctx.file, c, where + "." + key + ": unknown reference '" + c.Scalar() + "'");
      }
      v.citation = it->second;
    } else {
      v.citation = parse_citation(ctx.file, c, "");
    }
  }
  if (v.citation.empty() && v.assumption.empty()) {
    fail(ctx.file, node,
         where + "." + key + " has no citation: give 'citation:' or state 'assumption:'");
  }
  return v;
}

}  // namespace

PhysiologyTable PhysiologyTable::load(const std::filesystem::path& file) {
  return parse(as_prior_file_error([&] { return yaml::read_file(file, "physiology file"); }),
               file.string());
}

PhysiologyTable PhysiologyTable::parse(const std::string& text, const std::string& file_name) {
  return as_prior_file_error([&] {
    const YAML::Node root = yaml::load(text, file_name);
    if (!root.IsMap()) throw PriorFileError(file_name, 1, 1, "expected a map with 'species'");
    require_keys(file_name, root, {"description", "references", "species", "notes"},
                 "physiology file");
    PhysiologyTable table;
    std::map<std::string, Citation> references;
    if (const YAML::Node refs = root["references"]) {
      for (const auto& entry : refs) {
        const std::string key = entry.first.Scalar();
        references[key] = parse_citation(file_name, entry.second, key);
        table.references_.push_back(references[key]);
      }
    }
    const Context ctx{file_name, references};
    const YAML::Node species = root["species"];
    if (!species || !species.IsMap()) {
      throw PriorFileError(file_name, 1, 1, "missing 'species' map");
    }
    for (const auto& entry : species) {
      SpeciesPhysiology s;
      s.species = entry.first.Scalar();
      const YAML::Node& node = entry.second;
      require_keys(file_name, node,
                   {"strain", "body_weight", "plasma_volume", "blood_volume", "cardiac_output",
                    "organs", "kupffer_cells", "splenic_macrophages", "note"},
                   "species " + s.species);
      s.strain = get_string(file_name, node, "strain", false);
      s.body_weight = parse_value(ctx, node, "body_weight", "kg", s.species);
      s.plasma_volume = parse_value(ctx, node, "plasma_volume", "mL", s.species);
      s.blood_volume = parse_value(ctx, node, "blood_volume", "mL", s.species);
      s.cardiac_output = parse_value(ctx, node, "cardiac_output", "mL/min", s.species);
      s.kupffer_cells = parse_value(ctx, node, "kupffer_cells", "cells", s.species);
      s.splenic_macrophages = parse_value(ctx, node, "splenic_macrophages", "cells", s.species);
      const YAML::Node organs = node["organs"];
      if (!organs || !organs.IsMap()) fail(file_name, node, s.species + ": missing 'organs' map");
      for (const std::string& organ : required_organs()) {
        const YAML::Node o = organs[organ];
        const std::string where = s.species + ".organs." + organ;
        if (!o) fail(file_name, organs, s.species + ": missing organ '" + organ + "'");
        require_keys(file_name, o, {"mass", "blood_flow", "note"}, where);
        OrganPhysiology op;
        op.mass = parse_value(ctx, o, "mass", "g", where);
        op.blood_flow = parse_value(ctx, o, "blood_flow", "mL/min", where);
        s.organs[organ] = op;
      }
      table.species_[s.species] = std::move(s);
    }
    return table;
  });
}

const SpeciesPhysiology& PhysiologyTable::species(std::string_view name) const {
  const auto it = species_.find(std::string(name));
  if (it != species_.end()) return it->second;
  std::string have;
  for (const auto& [n, _] : species_) have += (have.empty() ? "" : ", ") + n;
  throw std::out_of_range("no physiology for species '" + std::string(name) + "' (have: " + have +
                          ")");
}

std::vector<std::string> PhysiologyTable::species_names() const {
  std::vector<std::string> out;
  for (const auto& [n, _] : species_) out.push_back(n);
  return out;
}

}  // namespace onset::io
