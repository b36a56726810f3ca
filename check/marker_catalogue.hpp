// The biomarker models of models/library as `onset claim new` uses them: for each marker, the
// observable a claim is about, the parameter that holds the reported level at t = 0, the
// "organ restored at t = 0" switch and the value that makes a check mechanism-free, the
// parameters whose prior has another name than the parameter, the prior of the upper
// reference limit ("normal"), and the level the marker settles at once restored (for
// `claim lint`'s threshold-normal-range warning). The physiology sentence is written into the
// claim as the comment a reviewer reads.
//
// Every other model parameter that has a prior of the same name in data/priors/MODEL.yaml is
// bound to that prior; a parameter NAME without one but with NAME_male / NAME_female priors is
// bound to the subject's sex (male when the sex is not given: the claim file says so).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace onset::check {

struct MarkerEntry {
  std::string model;                    // library model (and prior family) name
  std::string organ;                    // kidney, inflammation, heart, metabolism, blood, liver
  std::string observable;               // the observable a claim tests
  bool falls = true;                    // the usual direction of a claimed improvement
  std::string baseline_parameter;       // the level at t = 0 (from the claim's --baseline)
  std::string switch_parameter;         // "organ restored" switch; empty when a prior sets it
  std::string switch_value;             // its mechanism-free value (a number, its unit "1")
  std::string switch_words;             // what that value means
  std::string kind = "mechanism_free";  // or "mechanism" (e.g. vitamin K given)
  std::string physiology;               // why the bound holds, in words (a comment)
  // Parameters bound to a prior of another name ("family/name" or a name in the family;
  // a name without the _male/_female suffix follows the sex rule).
  std::vector<std::pair<std::string, std::string>> renamed_priors;
  std::string normal_prior;  // upper reference limit in the family (sex rule); "" none
  // Parameters that share the threshold's assumption when the threshold is "normal".
  std::vector<std::string> normal_parameters;
  std::string settles_at;  // parameter or observable: the level reached once restored
  // Molar mass of the molecule the observable measures (g/mol; 0: not one molecule), for the
  // fix of a threshold given in mol/L where the observable is in g/L (or the reverse).
  double molar_mass_g_per_mol = 0;
};

// Every marker `onset claim new` knows, in a fixed order (by organ).
const std::vector<MarkerEntry>& marker_catalogue();
// The entry for `model`; nullptr when it is not a catalogued marker.
const MarkerEntry* find_marker(const std::string& model);
// "creatinine, urea, ..." for messages.
std::string marker_names();

}  // namespace onset::check
