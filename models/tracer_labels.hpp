// Vesicle labels (data/tracers/labels.yaml): what a gamma counter, imager or luminometer reads.
// A label has a kind (radionuclide, fluorescent, luminescent), a physical half-life
// (radionuclides only), and a fate after the vesicle is degraded: residualising (the label
// stays in the cell), released (free label with its own kinetics: uptake by thyroid, stomach,
// liver, urinary excretion), or destroyed (luciferase: the signal ends with the vesicle).
// Every number in the file carries a citation or an assumption; the reader enforces it.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace onset::models {

// file:line:column: what was expected; found what.
struct LabelFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class LabelKind { kRadionuclide, kFluorescent, kLuminescent };
enum class LabelFate { kResidualising, kReleased, kDestroyed };
std::string label_kind_name(LabelKind kind);
std::string label_fate_name(LabelFate fate);

// Kinetics of a released label once free (central values of the file's priors).
struct FreeLabelKinetics {
  std::string name;                   // "iodide", "lipophilic_dye"
  double release_rate_per_h = 0;      // degraded label in a cell -> free label in plasma
  double elimination_rate_per_h = 0;  // free label leaving plasma (all routes)
  double fraction_thyroid = 0;        // shares of that elimination; urine gets the rest
  double fraction_stomach = 0;
  double fraction_liver = 0;
  double thyroid_release_rate_per_h = 0;  // thyroid -> plasma
  double stomach_return_rate_per_h = 0;   // stomach -> plasma (secreted, reabsorbed)
  double liver_excretion_rate_per_h = 0;  // liver -> excreted (bile, faeces)
};

struct TracerLabel {
  std::string name;  // as in the file ("111In")
  std::vector<std::string> aliases;
  LabelKind kind = LabelKind::kRadionuclide;
  double half_life_h = 0;  // physical half-life; 0: no decay (dyes, luciferase)
  std::string half_life_source;
  LabelFate fate = LabelFate::kResidualising;
  std::string fate_source;
  FreeLabelKinetics free;  // released labels only
};

struct LabelTable {
  std::string source;
  std::vector<TracerLabel> labels;
  // The label named `name` (or an alias; case-insensitive); nullptr if none.
  const TracerLabel* find(const std::string& name) const;
  // "99mTc, 111In, 125I, ..." for messages.
  std::string names() const;
};

// Reads and checks a label file; throws LabelFileError.
LabelTable read_label_table(const std::string& path);
LabelTable parse_label_table(const std::string& text, const std::string& source);

}  // namespace onset::models
