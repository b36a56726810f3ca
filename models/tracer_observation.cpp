#include "models/tracer_observation.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <vector>

#include "io/yaml.hpp"
#include "models/model_file.hpp"
#include "models/model_library.hpp"
#include "pk/text_input.hpp"

namespace onset::models {

namespace {

constexpr const char* kLn2 = "0.69314718055994531";

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}
bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string number_text(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

[[noreturn]] void not_a_vesicle_model(const std::string& source, const YAML::Node& node,
                                      const std::string& expected, const std::string& found) {
  const YAML::Mark mark = node.Mark();
  throw ModelFileError(source, mark.line >= 0 ? mark.line + 1 : 0,
                       mark.column >= 0 ? mark.column + 1 : 0, expected, found);
}

std::vector<std::string> names_of(const YAML::Node& node) {
  std::vector<std::string> names;
  if (node.IsScalar()) {
    names.push_back(node.Scalar());
  } else {
    for (const auto& item : node) names.push_back(item.Scalar());
  }
  return names;
}

std::string joined(const std::vector<std::string>& names, const std::string& separator) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : separator) + name;
  return out;
}

YAML::Node parameter(double value, const std::string& unit, const std::string& description) {
  YAML::Node node;
  node["value"] = number_text(value);
  node["unit"] = unit;
  node["description"] = description;
  return node;
}

YAML::Node first_order(const std::string& name, const std::string& from, const std::string& to,
                       const std::string& k) {
  YAML::Node node;
  node["name"] = name;
  node["type"] = "first_order";
  if (!from.empty()) node["from"] = from;
  node["to"] = to;
  node["k"] = k;
  return node;
}

}  // namespace

std::string tracer_model_text(const std::string& base_text, const std::string& base_source,
                              const TracerLabel& label, const TracerObservationOptions& options) {
  YAML::Node root;
  if (const auto failure = io::yaml::parse_text(base_text, &root))
    throw ModelFileError(base_source, failure->mark.line + 1, failure->mark.column + 1, "YAML",
                         failure->message);
  // Limits and duplicate keys here, at the base model's own lines (the text made from it is
  // written anew and would lose both).
  if (const auto hit = io::yaml::check_size(root))
    throw ModelFileError(base_source, hit->mark.line + 1, hit->mark.column + 1,
                         "a model file within the limits", hit->what);
  if (const auto duplicate = io::yaml::find_duplicate_key(root))
    throw ModelFileError(base_source, duplicate->mark.line + 1, duplicate->mark.column + 1,
                         "each key once in a map", duplicate->what());
  const std::string name = root["name"] ? root["name"].Scalar() : "model";
  YAML::Node compartments = root["compartments"];
  YAML::Node processes = root["processes"];
  YAML::Node observables = root["observables"];
  YAML::Node parameters = root["parameters"];
  const std::string need =
      "a vesicle model (ev_pbpk_*): degraded_* compartments fed by first-order degradation "
      "processes and observables ORGAN_pct naming each organ's compartments";
  if (!compartments || !processes || !observables || !parameters)
    not_a_vesicle_model(base_source, root, need, "no compartments, processes or observables");

  // Organs: observables ORGAN_pct with percent_dose (not the model's own *_label_pct).
  std::vector<std::string> organs;
  std::map<std::string, std::vector<std::string>> organ_compartments;
  std::map<std::string, std::string> organ_of;
  std::string dose;
  for (const auto& entry : observables) {
    const std::string key = entry.first.Scalar();
    if (!ends_with(key, "_pct") || ends_with(key, "_label_pct") || !entry.second["percent_dose"])
      continue;
    const std::string organ = key.substr(0, key.size() - 4);
    organs.push_back(organ);
    organ_compartments[organ] = names_of(entry.second["percent_dose"]);
    for (const auto& c : organ_compartments[organ]) organ_of[c] = organ;
    if (dose.empty() && entry.second["dose"]) dose = entry.second["dose"].Scalar();
  }
  std::vector<std::string> intact, degraded;
  for (const auto& entry : compartments) {
    const std::string c = entry.first.Scalar();
    (starts_with(c, "degraded_") ? degraded : intact).push_back(c);
  }
  if (degraded.empty() || organs.empty() || dose.empty())
    not_a_vesicle_model(base_source, root, need,
                        degraded.empty() ? "no degraded_* compartment" : "no ORGAN_pct observable");

  const bool released = label.fate == LabelFate::kReleased;
  const bool retained = label.fate != LabelFate::kDestroyed;  // label outlives the vesicle
  // Degradation fluxes copied (driven by, not consumed from, the intact compartment) into
  // label_degraded_ORGAN: the base model's degraded_* pools lump organs (lung, kidney, rest).
  std::vector<YAML::Node> added;
  std::map<std::string, bool> has_degraded_label;
  for (const auto& process : processes) {
    const std::string to = process["to"] ? process["to"].Scalar() : "";
    if (!starts_with(to, "degraded_")) continue;
    const std::string pname = process["name"] ? process["name"].Scalar() : "?";
    if (!process["type"] || process["type"].Scalar() != "first_order" || !process["from"] ||
        process["effect"] || process["of"] || process["yield"])
      not_a_vesicle_model(base_source, process,
                          "a plain first-order degradation process (from, to, k)",
                          "process '" + pname + "'");
    const std::string from = process["from"].Scalar();
    const auto organ = organ_of.find(from);
    if (organ == organ_of.end())
      not_a_vesicle_model(base_source, process,
                          "compartment '" + from + "' in an ORGAN_pct observable", "it in none");
    if (!retained) continue;
    const std::string state = "label_degraded_" + organ->second;
    if (!has_degraded_label[organ->second]) {
      has_degraded_label[organ->second] = true;
      YAML::Node c;
      c["unit"] = compartments[from]["unit"] ? compartments[from]["unit"].Scalar() : "particles";
      c["description"] = "label of vesicles degraded in " + organ->second + ", still there";
      compartments[state] = c;
    }
    YAML::Node copy = first_order("label_" + pname, "", state, process["k"].Scalar());
    copy["of"] = from;
    added.push_back(copy);
  }

  std::string equations = root["equations"] ? root["equations"].Scalar() : "";
  equations += "\nLabel " + label.name + " (" + label_kind_name(label.kind) + ", " +
               label_fate_name(label.fate) + ") observation layer: models/tracer_observation.hpp\n";
  if (released) {
    const FreeLabelKinetics& k = label.free;
    parameters["label_release_rate"] = parameter(
        k.release_rate_per_h, "1/h",
        "release of degraded label from cells (" + k.name + "; data/tracers/labels.yaml)");
    parameters["free_label_elimination_rate"] =
        parameter(k.elimination_rate_per_h, "1/h", "free label leaving plasma, all routes");
    parameters["free_label_fraction_thyroid"] =
        parameter(k.fraction_thyroid, "1", "share of free-label elimination to the thyroid");
    parameters["free_label_fraction_stomach"] =
        parameter(k.fraction_stomach, "1", "share of free-label elimination to the stomach");
    parameters["free_label_fraction_liver"] =
        parameter(k.fraction_liver, "1", "share of free-label elimination to the liver");
    parameters["free_label_thyroid_release_rate"] =
        parameter(k.thyroid_release_rate_per_h, "1/h", "thyroid -> plasma");
    parameters["free_label_stomach_return_rate"] =
        parameter(k.stomach_return_rate_per_h, "1/h", "stomach -> plasma (reabsorbed)");
    parameters["free_label_liver_excretion_rate"] =
        parameter(k.liver_excretion_rate_per_h, "1/h", "liver -> faeces");
    for (const char* fraction : {"free_label_fraction_thyroid", "free_label_fraction_stomach",
                                 "free_label_fraction_liver"}) {
      YAML::Node bounds;
      bounds.push_back(0);
      bounds.push_back(1);
      parameters[fraction]["bounds"] = bounds;
    }
    YAML::Node derived = root["derived"];
    auto rate = [&](const std::string& key, const std::string& expression) {
      YAML::Node node;
      node["expression"] = expression;
      node["unit"] = "1/h";
      derived[key] = node;
    };
    rate("free_label_k_thyroid", "free_label_elimination_rate * free_label_fraction_thyroid");
    rate("free_label_k_stomach", "free_label_elimination_rate * free_label_fraction_stomach");
    rate("free_label_k_liver", "free_label_elimination_rate * free_label_fraction_liver");
    rate("free_label_k_urine",
         "free_label_elimination_rate * max(0, 1 - free_label_fraction_thyroid - "
         "free_label_fraction_stomach - free_label_fraction_liver)");
    root["derived"] = derived;
    const std::string unit = compartments[intact.front()]["unit"].Scalar();
    for (const std::string where : {"plasma", "thyroid", "stomach", "liver", "urine", "faeces"}) {
      YAML::Node c;
      c["unit"] = unit;
      c["description"] = "free " + label.free.name + " label (" + where + ")";
      compartments["free_label_" + where] = c;
    }
    for (const auto& [organ, present] : has_degraded_label)
      added.push_back(first_order("label_release_" + organ, "label_degraded_" + organ,
                                  "free_label_plasma", "label_release_rate"));
    added.push_back(first_order("free_label_to_urine", "free_label_plasma", "free_label_urine",
                                "free_label_k_urine"));
    added.push_back(first_order("free_label_to_thyroid", "free_label_plasma", "free_label_thyroid",
                                "free_label_k_thyroid"));
    added.push_back(first_order("free_label_to_stomach", "free_label_plasma", "free_label_stomach",
                                "free_label_k_stomach"));
    added.push_back(first_order("free_label_to_liver", "free_label_plasma", "free_label_liver",
                                "free_label_k_liver"));
    added.push_back(first_order("free_label_thyroid_release", "free_label_thyroid",
                                "free_label_plasma", "free_label_thyroid_release_rate"));
    added.push_back(first_order("free_label_stomach_return", "free_label_stomach",
                                "free_label_plasma", "free_label_stomach_return_rate"));
    added.push_back(first_order("free_label_liver_excretion", "free_label_liver",
                                "free_label_faeces", "free_label_liver_excretion_rate"));
  }
  for (const auto& node : added) processes.push_back(node);

  // Physical decay when the data are not decay-corrected.
  const bool decays = label.half_life_h > 0 && !options.decay_corrected;
  std::string factor;
  if (decays) {
    parameters["label_half_life"] =
        parameter(label.half_life_h, "h",
                  "physical half-life of " + label.name + " (" + label.half_life_source + ")");
    factor = std::string("exp(-") + kLn2 + " * t / label_half_life)";
  }
  auto percent = [&](const std::string& key, const std::vector<std::string>& states,
                     const std::string& description, const std::string& per_gram_mass) {
    YAML::Node node;
    if (!decays && per_gram_mass.empty()) {
      YAML::Node list;
      for (const auto& s : states) list.push_back(s);
      node["percent_dose"] = list;
      node["dose"] = dose;
    } else {
      std::string expression = "100 * (" + joined(states, " + ") + ") / " + dose;
      if (!per_gram_mass.empty()) expression += " / " + per_gram_mass;
      if (decays) expression += " * " + factor;
      node["expression"] = expression;
      node["unit"] = per_gram_mass.empty() ? "%ID" : "%ID/g";
    }
    node["description"] = description;
    observables[key] = node;
  };
  const std::string reads = label.name + (decays ? ", not decay-corrected" : "");
  for (const auto& organ : organs) {
    std::vector<std::string> states = organ_compartments[organ];
    if (has_degraded_label[organ]) states.push_back("label_degraded_" + organ);
    if (released && organ == "plasma") states.push_back("free_label_plasma");
    if (released && organ == "liver") states.push_back("free_label_liver");
    percent(organ + "_label_pct", states, "%ID of label in " + organ + " (" + reads + ")", "");
    if (parameters[organ + "_mass"])
      percent(organ + "_label_pct_per_g", states, "%ID/g of label in " + organ + " (" + reads + ")",
              organ + "_mass");
  }
  if (released) {
    percent("thyroid_label_pct", {"free_label_thyroid"}, "%ID of free label in the thyroid", "");
    percent("stomach_label_pct", {"free_label_stomach"}, "%ID of free label in the stomach", "");
    percent("urine_label_pct", {"free_label_urine"}, "%ID of label excreted in urine", "");
    percent("faeces_label_pct", {"free_label_faeces"}, "%ID of label excreted in faeces", "");
  }
  // Mass balance: every state that carries label (the base degraded_* pools carry it only for
  // a destroyed label, as signal lost), times the decay factor, plus the decayed share.
  std::vector<std::string> carrying = intact;
  for (const auto& entry : compartments) {
    const std::string c = entry.first.Scalar();
    if (starts_with(c, "label_degraded_") || starts_with(c, "free_label_")) carrying.push_back(c);
  }
  if (!retained) carrying.insert(carrying.end(), degraded.begin(), degraded.end());
  {
    YAML::Node decayed;
    decayed["expression"] = decays ? "100 * (1 - " + factor + ")" : std::string("0 * t");
    decayed["unit"] = "%ID";
    decayed["description"] = "%ID decayed physically since the dose (0 when decay-corrected)";
    observables["label_decayed_pct"] = decayed;
    YAML::Node balance;
    balance["expression"] = "100 * (" + joined(carrying, " + ") + ") / " + dose +
                            (decays ? " * " + factor + " + 100 * (1 - " + factor + ")" : "");
    balance["unit"] = "%ID";
    balance["description"] =
        "intact + degraded + free + excreted label (+ decayed): 100 %ID (mass balance)";
    observables["label_balance_pct"] = balance;
  }
  root["name"] = name + "_" + label.name;
  root["description"] = (root["description"] ? root["description"].Scalar() : name) +
                        " observed through the label " + label.name;
  root["equations"] = equations;
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

std::unique_ptr<FileModel> load_tracer_model(const std::string& name_or_path,
                                             const TracerLabel& label,
                                             const TracerObservationOptions& options) {
  std::string text = library_model_text(name_or_path);
  std::string source = "library:" + name_or_path + ".yaml";
  if (text.empty()) {
    const std::string why = pk::read_text_file(name_or_path, &text);
    if (!why.empty())
      throw ModelFileError(name_or_path, 0, 0, "a library vesicle model or a model file",
                           "'" + name_or_path + "', a file that " + why);
    source = name_or_path;
  }
  return compile_model_text(tracer_model_text(text, source, label, options),
                            source + " + label " + label.name);
}

}  // namespace onset::models
