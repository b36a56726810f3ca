#include "models/tracer_labels.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "io/yaml.hpp"
#include "pk/text_input.hpp"

namespace onset::models {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& expected,
                         const std::string& found) const {
    fail_at(node.Mark(), expected, found);
  }
  [[noreturn]] void fail_at(const YAML::Mark& mark, const std::string& expected,
                            const std::string& found) const {
    std::ostringstream out;
    out << source_ << ":" << (mark.line >= 0 ? mark.line + 1 : 0) << ":"
        << (mark.column >= 0 ? mark.column + 1 : 0) << ": expected " << expected << "; found "
        << found;
    throw LabelFileError(out.str());
  }

  std::string text(const YAML::Node& parent, const char* key, const std::string& what) const {
    const YAML::Node node = parent[key];
    if (!node || !node.IsScalar() || node.Scalar().empty())
      fail(node ? node : parent, std::string("'") + key + "' (" + what + ")",
           node ? "an empty or non-text value" : "none");
    return node.Scalar();
  }

  double number(const YAML::Node& parent, const char* key, const std::string& what) const {
    const std::string value = text(parent, key, what);
    const std::optional<double> x = pk::parse_finite_number(value);
    if (!x) fail(parent[key], std::string("a number for '") + key + "'", "'" + value + "'");
    return *x;
  }

  // A source: a citation key of `references` or an assumption in words.
  std::string source_of(const YAML::Node& node, const char* citation_key,
                        const char* assumption_key, const std::string& what) const {
    std::string out;
    if (const YAML::Node c = node[citation_key]) {
      if (!references_.count(c.Scalar()))
        fail(c, "a key of 'references' for the citation of " + what, "'" + c.Scalar() + "'");
      out = c.Scalar();
    }
    if (const YAML::Node a = node[assumption_key]) {
      out += (out.empty() ? "" : "; ") + std::string("assumption: ") + a.Scalar();
    }
    if (out.empty())
      fail(node, std::string("'") + citation_key + "' or '" + assumption_key + "' for " + what,
           "neither");
    return out;
  }

  // A prior {central, low, high, unit, citation|assumption}; returns the central value in the
  // unit `unit` (only "1/h" and "1" are used).
  double prior(const YAML::Node& parent, const char* key, const std::string& unit) const {
    const YAML::Node node = parent[key];
    const std::string what = std::string("free-label prior '") + key + "'";
    if (!node || !node.IsMap()) fail(node ? node : parent, what + " as a map", "none");
    const double central = number(node, "central", what);
    const double low = number(node, "low", what);
    const double high = number(node, "high", what);
    if (!(low <= central && central <= high))
      fail(node, "low <= central <= high for " + what,
           "low " + node["low"].Scalar() + ", central " + node["central"].Scalar() + ", high " +
               node["high"].Scalar());
    if (low < 0) fail(node["low"], "a non-negative value for " + what, node["low"].Scalar());
    const std::string given = text(node, "unit", what);
    if (given != unit) fail(node["unit"], "unit '" + unit + "' for " + what, "'" + given + "'");
    source_of(node, "citation", "assumption", what);
    return central;
  }

  void read_references(const YAML::Node& root) {
    const YAML::Node refs = root["references"];
    if (!refs || !refs.IsMap()) fail(root, "a 'references' map", "none");
    for (const auto& entry : refs) {
      const std::string key = entry.first.Scalar();
      for (const char* field : {"authors", "year", "journal"})
        text(entry.second, field, "reference " + key);
      references_.insert(key);
    }
  }

 private:
  std::string source_;
  std::set<std::string> references_;
};

double hours(const Reader& reader, const YAML::Node& half_life, const std::string& label) {
  const double value = reader.number(half_life, "value", "half-life of " + label);
  const std::string unit = reader.text(half_life, "unit", "unit of the half-life of " + label);
  if (!(value > 0)) reader.fail(half_life["value"], "a positive half-life", std::to_string(value));
  if (unit == "h") return value;
  if (unit == "min") return value / 60;
  if (unit == "day" || unit == "d") return value * 24;
  reader.fail(half_life["unit"], "min, h or day", "'" + unit + "'");
}

}  // namespace

std::string label_kind_name(LabelKind kind) {
  switch (kind) {
    case LabelKind::kRadionuclide:
      return "radionuclide";
    case LabelKind::kFluorescent:
      return "fluorescent";
    case LabelKind::kLuminescent:
      return "luminescent";
  }
  return "?";
}

std::string label_fate_name(LabelFate fate) {
  switch (fate) {
    case LabelFate::kResidualising:
      return "residualising";
    case LabelFate::kReleased:
      return "released";
    case LabelFate::kDestroyed:
      return "destroyed";
  }
  return "?";
}

const TracerLabel* LabelTable::find(const std::string& name) const {
  const std::string wanted = lower(name);
  for (const auto& label : labels) {
    if (lower(label.name) == wanted) return &label;
    for (const auto& alias : label.aliases)
      if (lower(alias) == wanted) return &label;
  }
  return nullptr;
}

std::string LabelTable::names() const {
  std::string out;
  for (const auto& label : labels) out += (out.empty() ? "" : ", ") + label.name;
  return out;
}

LabelTable parse_label_table(const std::string& text, const std::string& source) {
  YAML::Node root;
  if (const auto failure = io::yaml::parse_text(text, &root))
    throw LabelFileError(source + ":" + std::to_string(failure->mark.line + 1) + ":" +
                         std::to_string(failure->mark.column + 1) + ": expected YAML; " +
                         failure->message);
  Reader reader(source);
  if (const auto hit = io::yaml::check_size(root))
    reader.fail_at(hit->mark, "a label file within the limits", hit->what);
  if (const auto duplicate = io::yaml::find_duplicate_key(root))
    reader.fail_at(duplicate->mark, "each key once in a map", duplicate->what());
  if (!root.IsMap()) reader.fail(root, "a map with references, free_label and labels", "other");
  reader.read_references(root);
  std::map<std::string, FreeLabelKinetics> free;
  if (const YAML::Node kinetics = root["free_label"]) {
    for (const auto& entry : kinetics) {
      FreeLabelKinetics k;
      k.name = entry.first.Scalar();
      const YAML::Node& node = entry.second;
      k.release_rate_per_h = reader.prior(node, "release_rate", "1/h");
      k.elimination_rate_per_h = reader.prior(node, "elimination_rate", "1/h");
      k.fraction_thyroid = reader.prior(node, "fraction_thyroid", "1");
      k.fraction_stomach = reader.prior(node, "fraction_stomach", "1");
      k.fraction_liver = reader.prior(node, "fraction_liver", "1");
      k.thyroid_release_rate_per_h = reader.prior(node, "thyroid_release_rate", "1/h");
      k.stomach_return_rate_per_h = reader.prior(node, "stomach_return_rate", "1/h");
      k.liver_excretion_rate_per_h = reader.prior(node, "liver_excretion_rate", "1/h");
      if (k.fraction_thyroid + k.fraction_stomach + k.fraction_liver > 1)
        reader.fail(node, "fractions to thyroid, stomach and liver summing to at most 1",
                    "a larger sum");
      free[k.name] = k;
    }
  }
  LabelTable table;
  table.source = source;
  const YAML::Node labels = root["labels"];
  if (!labels || !labels.IsSequence()) reader.fail(root, "a 'labels' list", "none");
  std::set<std::string> seen;
  for (const auto& node : labels) {
    TracerLabel label;
    label.name = reader.text(node, "name", "label name");
    if (const YAML::Node aliases = node["aliases"])
      for (const auto& alias : aliases) label.aliases.push_back(alias.Scalar());
    for (const auto& name : [&] {
           auto all = label.aliases;
           all.push_back(label.name);
           return all;
         }()) {
      if (!seen.insert(lower(name)).second)
        reader.fail(node, "names and aliases unique across labels", "'" + name + "' twice");
    }
    const std::string kind = reader.text(node, "kind", "label kind");
    if (kind == "radionuclide")
      label.kind = LabelKind::kRadionuclide;
    else if (kind == "fluorescent")
      label.kind = LabelKind::kFluorescent;
    else if (kind == "luminescent")
      label.kind = LabelKind::kLuminescent;
    else
      reader.fail(node["kind"], "radionuclide, fluorescent or luminescent", "'" + kind + "'");
    const YAML::Node half_life = node["half_life"];
    if (label.kind == LabelKind::kRadionuclide) {
      if (!half_life || !half_life.IsMap())
        reader.fail(node, "a half_life {value, unit, citation} for radionuclide " + label.name,
                    "none");
      label.half_life_h = hours(reader, half_life, label.name);
      label.half_life_source =
          reader.source_of(half_life, "citation", "assumption", "the half-life of " + label.name);
    } else if (half_life) {
      reader.fail(half_life, "no half-life for a " + kind + " label (no physical decay)", "one");
    }
    const std::string fate = reader.text(node, "fate", "label fate");
    if (fate == "residualising")
      label.fate = LabelFate::kResidualising;
    else if (fate == "released")
      label.fate = LabelFate::kReleased;
    else if (fate == "destroyed")
      label.fate = LabelFate::kDestroyed;
    else
      reader.fail(node["fate"], "residualising, released or destroyed", "'" + fate + "'");
    label.fate_source =
        reader.source_of(node, "fate_citation", "fate_assumption", "the fate of " + label.name);
    if (label.fate == LabelFate::kReleased) {
      const std::string key = reader.text(node, "free_label", "the free-label kinetics");
      const auto it = free.find(key);
      if (it == free.end()) reader.fail(node["free_label"], "a key of 'free_label'", key);
      label.free = it->second;
    }
    table.labels.push_back(std::move(label));
  }
  return table;
}

LabelTable read_label_table(const std::string& path) {
  std::string text;
  const std::string why = pk::read_text_file(path, &text);
  if (!why.empty())
    throw LabelFileError(path + ": expected a readable label file; found one that " + why);
  return parse_label_table(text, path);
}

}  // namespace onset::models
