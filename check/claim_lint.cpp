#include "check/claim_lint.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>

#include "check/claim.hpp"
#include "check/marker_catalogue.hpp"
#include "io/data_dir.hpp"
#include "io/format.hpp"
#include "io/input_file.hpp"
#include "io/names.hpp"
#include "io/yaml.hpp"
#include "models/model_library.hpp"
#include "models/units.hpp"
#include "pk/text_input.hpp"

namespace onset::check {

namespace ys = io::yaml;

std::string LintFinding::text() const {
  std::string line = where.empty() ? "" : where + ": ";
  line += (error ? "error: " : "warning: ") + problem;
  if (!expected.empty()) line += " (expected " + expected + ")";
  if (!fix.empty()) line += " fix: " + fix;
  return line + " [" + kind + "]";
}

size_t count_errors(const std::vector<LintFinding>& findings) {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(),
                                           [](const LintFinding& f) { return f.error; }));
}

namespace {

constexpr double kRelativeEqual = 1e-9;

bool nearly_equal(double a, double b) {
  return std::fabs(a - b) <= kRelativeEqual * std::max({1.0, std::fabs(a), std::fabs(b)});
}

std::string fmt(double value) { return ys::format(value); }

class Linter {
 public:
  Linter(std::string file, std::filesystem::path base_dir, std::filesystem::path priors_dir)
      : file_(std::move(file)),
        base_dir_(std::move(base_dir)),
        priors_dir_(std::move(priors_dir)) {}

  std::vector<LintFinding> run(const std::string& text) {
    YAML::Node root;
    try {
      root = ys::load(text, file_);
    } catch (const UserError& e) {
      add_at(e.where(), true, "yaml", e.problem(), e.expected(), e.fix());
      return std::move(findings_);
    }
    if (root.IsNull()) {
      add_at(UserError::location(file_, 1, 1), true, "yaml",
             "the claim file is empty (nothing but blank lines or comments)",
             "a map with id, statement, subject, effects, ...", "start from `onset claim new`");
      return std::move(findings_);
    }
    if (!root.IsMap()) {
      add(root, true, "yaml", "the file is not a claim", "a map with id, statement, effects, ...",
          "start from `onset claim new`");
      return std::move(findings_);
    }
    structure(root);
    if (count_errors(findings_) > 0) return std::move(findings_);
    Claim claim;
    try {
      claim = parse_claim(text, file_, base_dir_, priors_dir_);
    } catch (const UserError& e) {
      add_at(e.where(), true, "check-refuses", e.problem(),
             e.expected().empty() ? "a claim that `onset check` reads" : e.expected(),
             e.fix().empty() ? "correct it as the message says (check/README.md, \"Claim files\")"
                             : e.fix());
      return std::move(findings_);
    }
    const YAML::Node effects = root["effects"];
    for (size_t i = 0; i < claim.effects.size(); ++i) {
      const YAML::Node checks = effects[i]["checks"];
      for (size_t j = 0; j < claim.effects[i].checks.size(); ++j) {
        semantics(claim, claim.effects[i], claim.effects[i].checks[j], checks[j]);
      }
    }
    return std::move(findings_);
  }

 private:
  std::string file_;
  std::filesystem::path base_dir_;
  std::filesystem::path priors_dir_;
  std::vector<LintFinding> findings_;
  std::map<std::string, std::unique_ptr<PriorSet>> prior_sets_;
  std::string species_ = "human";

  std::string where(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return file_;
    return UserError::location(file_, mark.line + 1, mark.column + 1);
  }

  void add_at(const std::string& place, bool error, const std::string& kind,
              const std::string& problem, const std::string& expected = {},
              const std::string& fix = {}) {
    findings_.push_back({error, kind, place.empty() ? file_ : place, problem, expected, fix});
  }

  void add(const YAML::Node& node, bool error, const std::string& kind, const std::string& problem,
           const std::string& expected = {}, const std::string& fix = {}) {
    add_at(where(node), error, kind, problem, expected, fix);
  }

  static std::string scalar(const YAML::Node& node) {
    return node && node.IsScalar() ? node.Scalar() : std::string();
  }

  static bool blank(const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return std::isspace(c) != 0; });
  }

  static std::optional<double> number(const YAML::Node& node) {
    if (!node || !node.IsScalar()) return std::nullopt;
    return pk::parse_finite_number(node.Scalar());
  }

  // Unknown keys in a map (the allowed set mirrors check/claim.cpp).
  void keys(const YAML::Node& map, const std::set<std::string>& allowed, const std::string& what) {
    if (!map.IsMap()) return;
    for (const auto& entry : map) {
      const std::string key = scalar(entry.first);
      if (allowed.count(key)) continue;
      std::string list;
      for (const auto& k : allowed) list += (list.empty() ? "" : ", ") + k;
      add(entry.first, true, "unknown-key", "unknown key '" + io::excerpt(key) + "' in " + what,
          "one of " + list, "check the spelling (check/README.md lists every key)");
    }
  }

  const PriorSet* prior_set(const std::string& family) {
    const bool plain = !family.empty() && family.size() <= 64 &&
                       std::all_of(family.begin(), family.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                       });
    if (!plain) return nullptr;
    auto found = prior_sets_.find(family);
    if (found != prior_sets_.end()) return found->second.get();
    const auto path = priors_dir_ / (family + ".yaml");
    std::unique_ptr<PriorSet> set;
    std::error_code ignored;
    if (std::filesystem::is_regular_file(path, ignored)) {
      set = std::make_unique<PriorSet>(PriorSet::load(path));  // a broken file: its error
    }
    return prior_sets_.emplace(family, std::move(set)).first->second.get();
  }

  // A "family/name" reference; nullptr (and a finding) when it does not resolve.
  const Prior* prior_reference(const YAML::Node& node, const std::string& species) {
    const std::string reference = scalar(node);
    const auto slash = reference.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == reference.size()) {
      add(node, true, "unknown-prior", "'" + io::excerpt(reference) + "' is not a prior reference",
          "'family/name', e.g. creatinine/creatinine_clearance_normal",
          "name a prior of data/priors (`grep -n 'name:' data/priors/FAMILY.yaml`)");
      return nullptr;
    }
    const std::string family = reference.substr(0, slash);
    const std::string name = reference.substr(slash + 1);
    const PriorSet* set = nullptr;
    try {
      set = prior_set(family);
    } catch (const UserError& e) {
      add_at(e.where(), true, "check-refuses", e.problem(), e.expected(), e.fix());
      return nullptr;
    }
    if (set == nullptr) {
      add(node, true, "unknown-prior", "no prior file for family '" + io::excerpt(family) + "'",
          "a file " + (priors_dir_ / (io::excerpt(family) + ".yaml")).string(),
          "use a family of data/priors (the library model's name for a biomarker)");
      return nullptr;
    }
    const Prior* prior = set->find(name, species);
    if (prior == nullptr) {
      std::string names;
      for (const auto& n : set->names()) names += (names.empty() ? "" : ", ") + n;
      add(node, true, "unknown-prior",
          "no prior '" + io::excerpt(name) + "' for species '" + species + "' in " + set->file(),
          "one of " + names, "check the spelling");
    }
    return prior;
  }

  void unit_readable(const YAML::Node& node, const std::string& unit) {
    try {
      models::parse_unit(unit);
    } catch (const models::UnitError& e) {
      add(node, true, "unit-mismatch",
          "the unit '" + io::excerpt(unit) + "' cannot be read: " + e.problem(),
          "a unit such as mg/dL, mmol/L, U/L, ng/L, h, \"1\"",
          "write the unit as models/README.md (\"Values and units\") lists them");
    }
  }

  // --- Structure: everything found from the YAML alone, all findings at once ---

  void structure(const YAML::Node& root) {
    keys(root,
         {"id", "title", "source", "statement", "subject", "intervention", "time_origin",
          "assumptions", "effects"},
         "claim file");
    if (!root["id"]) {
      add(root, true, "id", "the claim has no id",
          "id: a name of " + std::string(io::kIdentifierRule), "add `id: my-claim-6h` at the top");
    } else if (const std::string problem = io::identifier_problem(scalar(root["id"]));
               !problem.empty()) {
      add(root["id"], true, "id",
          "the claim id '" + io::excerpt(scalar(root["id"])) + "' " +
              problem.substr(problem.find(' ') + 1),
          io::kIdentifierRule, "use letters, digits, '-', '_' or '.' only");
    }
    if (!root["statement"] || blank(scalar(root["statement"]))) {
      add(root["statement"] ? root["statement"] : root, true, "statement-missing",
          "the claim's statement text is missing", "statement: the claim, verbatim from its source",
          "add `statement: \"...\"` with the words of the paper, press release or report");
    }
    if (!root["source"]) {
      add(root, false, "source-missing", "the claim names no source",
          "source: {authors, year, journal[, doi, url]}",
          "add the citation of the paper or article the claim comes from");
    }
    if (const YAML::Node subject = root["subject"]; subject && subject.IsMap()) {
      if (subject["species"]) species_ = scalar(subject["species"]);
    }
    assumptions(root["assumptions"]);
    const YAML::Node effects = root["effects"];
    if (!effects || !effects.IsSequence() || effects.size() == 0) {
      add(effects ? effects : root, true, "statement-missing", "the claim has no effects",
          "effects: a list of claimed effects, each with id, statement, measurable, within_h "
          "and checks",
          "start from `onset claim new`");
      return;
    }
    std::map<std::string, YAML::Node> seen;
    for (const auto& effect : effects) effect_structure(effect, &seen);
  }

  void assumptions(const YAML::Node& node) {
    if (!node || !node.IsMap()) return;
    for (const auto& entry : node) {
      const std::string name = scalar(entry.first);
      const YAML::Node body = entry.second;
      if (!body.IsMap()) continue;  // check-refuses below
      keys(body,
           {"prior", "reason", "description", "central", "low", "high", "distribution", "unit",
            "quantiles", "citation", "assumption", "derivation", "from_meld", "species"},
           "assumption '" + io::excerpt(name) + "'");
      if (body["from_meld"]) continue;
      std::optional<double> low = number(body["low"]), high = number(body["high"]),
                            central = number(body["central"]);
      if (body["prior"]) {
        const std::string species = body["species"] ? scalar(body["species"]) : species_;
        const Prior* prior = prior_reference(body["prior"], species);
        const bool changes = body["low"] || body["high"] || body["central"] ||
                             body["distribution"] || body["quantiles"];
        if (changes && !body["reason"]) {
          add(body, true, "change-without-reason",
              "assumption '" + io::excerpt(name) +
                  "' changes the range of a prior without a reason",
              "reason: why the claim's range differs from the prior file's",
              "add `reason: \"...\"` or remove the changed keys");
        }
        if (prior == nullptr) continue;
        if (!low) low = prior->low;
        if (!high) high = prior->high;
        if (!central) central = prior->central;
        if ((body["low"] && *low < prior->low) || (body["high"] && *high > prior->high)) {
          add(body["low"] && *low < prior->low ? body["low"] : body["high"], false,
              "range-wider-than-prior",
              "assumption '" + io::excerpt(name) + "' widens the prior " + scalar(body["prior"]) +
                  " to " + fmt(*low) + "-" + fmt(*high) + " " + prior->unit,
              "a range inside the prior's " + fmt(prior->low) + "-" + fmt(prior->high) + " " +
                  prior->unit + " (" + prior->file + ":" + std::to_string(prior->line) + ")",
              "keep the prior's range, or give the source of the wider one in `reason:`");
        }
      } else {
        if (!body["unit"]) {
          add(body, true, "unit-missing", "assumption '" + io::excerpt(name) + "' has no unit",
              "unit: e.g. mg/dL, mmol/L, h, \"1\"", "add the unit of the values");
        } else {
          unit_readable(body["unit"], scalar(body["unit"]));
        }
        const bool cited = body["citation"] && body["citation"].IsMap();
        const bool reasoned = body["assumption"] && !blank(scalar(body["assumption"]));
        if (!cited && !reasoned) {
          add(body, true, "prior-citation-missing",
              "assumption '" + io::excerpt(name) + "' has neither a citation nor a reason",
              "citation: {authors, year, journal} or assumption: \"why this range\"",
              "cite where the range comes from, or say in `assumption:` why it is assumed");
        }
        if (!central && low && high) central = 0.5 * (*low + *high);
      }
      if (low && high && *low > *high) {
        add(body["low"] ? body["low"] : body, true, "range-order",
            "assumption '" + io::excerpt(name) + "': low " + fmt(*low) + " is above high " +
                fmt(*high),
            "low <= high", "swap low and high");
      } else if (low && high && central && (*central < *low || *central > *high)) {
        add(body["central"] ? body["central"] : body, true, "nominal-outside-range",
            "assumption '" + io::excerpt(name) + "': its nominal value " + fmt(*central) +
                " is outside its range " + fmt(*low) + "-" + fmt(*high),
            "low <= central <= high",
            "set central inside the range, or widen the range to include it (with a reason)");
      }
    }
  }

  void effect_structure(const YAML::Node& e, std::map<std::string, YAML::Node>* seen) {
    if (!e.IsMap()) return;  // check-refuses
    keys(e,
         {"id", "statement", "measurable", "measurable_citation", "within_h", "within",
          "not_assessable", "checks"},
         "effect");
    const std::string id = scalar(e["id"]);
    if (!e["id"]) {
      add(e, true, "id", "an effect has no id", io::kIdentifierRule, "add `id: marker_normal_6h`");
    } else if (const std::string problem = io::identifier_problem(id); !problem.empty()) {
      add(e["id"], true, "id", "effect id '" + io::excerpt(id) + "': " + problem,
          io::kIdentifierRule, "use letters, digits, '-', '_' or '.' only");
    } else if (auto found = seen->find(id); found != seen->end()) {
      const YAML::Mark first = found->second.Mark();
      add(e["id"], true, "duplicate-id",
          "duplicate effect id '" + id + "' (first at line " + std::to_string(first.line + 1) + ")",
          "a different id for each effect", "rename one of them, e.g. '" + id + "_2'");
    } else {
      seen->emplace(id, e["id"]);
    }
    if (!e["statement"] || blank(scalar(e["statement"]))) {
      add(e["statement"] ? e["statement"] : e, true, "statement-missing",
          "effect '" + io::excerpt(id) + "' has no statement text",
          "statement: what the source says about this effect",
          "add `statement: \"...\"` quoting the source");
    }
    const bool assessable = !e["not_assessable"];
    if (assessable && (!e["measurable"] || blank(scalar(e["measurable"])))) {
      add(e["measurable"] ? e["measurable"] : e, true, "statement-missing",
          "effect '" + io::excerpt(id) + "' does not say what is measured",
          "measurable: the threshold tested and why it is the right one",
          "add `measurable: \"...\"`");
    }
    const std::optional<double> within = number(e["within_h"]);
    if (!e["within_h"] && e["within"]) {
      // `within: "4 d"`, a time with its unit: read (and refused when wrong) by the claim
      // parser, reported as check-refuses.
    } else if (!e["within_h"]) {
      add(e, true, "window-not-positive", "effect '" + io::excerpt(id) + "' has no time window",
          "within_h: the claimed window in hours, > 0, or within: a time with its unit",
          "add `within_h: 6` or `within: \"6 h\"`");
    } else if (within && !(*within > 0)) {
      add(e["within_h"], true, "window-not-positive",
          "the time window within_h: " + fmt(*within) + " is not positive",
          "a window in hours > 0, measured from the time origin",
          "write the claimed time in hours, e.g. `within_h: 6`");
    } else if (within) {
      window_unit(e, *within);
    }
    const YAML::Node checks = e["checks"];
    if (!checks || !checks.IsSequence()) return;
    for (const auto& c : checks) check_structure(c);
  }

  // "within 3 days" in the text but within_h: 3 -> the window is probably in the wrong unit.
  void window_unit(const YAML::Node& e, double within_h) {
    static const std::regex time_words(
        R"((\d+(?:\.\d+)?)[ -]?(minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|wk|months?)\b)",
        std::regex::icase);
    std::vector<std::pair<std::string, double>> mentions;
    for (const char* key : {"statement", "measurable"}) {
      const std::string text = scalar(e[key]);
      for (auto it = std::sregex_iterator(text.begin(), text.end(), time_words);
           it != std::sregex_iterator(); ++it) {
        const double n = std::stod((*it)[1].str());
        std::string unit = (*it)[2].str();
        std::transform(unit.begin(), unit.end(), unit.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        double hours = n;
        if (unit.starts_with("min")) hours = n / 60;
        if (unit.starts_with("d")) hours = n * 24;
        if (unit.starts_with("w")) hours = n * 168;
        if (unit.starts_with("month")) hours = n * 730.5;
        mentions.emplace_back((*it)[0].str(), hours);
      }
    }
    if (mentions.empty()) return;
    for (const auto& [words, hours] : mentions) {
      if (std::fabs(hours - within_h) <= 0.02 * hours) return;  // one of them is the window
    }
    const auto& [words, hours] = mentions.front();
    add(e["within_h"], false, "window-unit",
        "the effect's text says '" + io::excerpt(words) + "' (" + fmt(hours) +
            " h) but within_h is " + fmt(within_h) + " h",
        "within_h in hours, from the time origin",
        "if the window is " + words + ", write `within_h: " + fmt(hours) + "`");
  }

  void check_structure(const YAML::Node& c) {
    if (!c.IsMap()) return;
    keys(c,
         {"kind", "description", "model", "doses", "dose_intervention_into", "parameters",
          "observable", "falls_below", "rises_above", "horizon_h", "baseline_above",
          "baseline_below"},
         "check");
    if (const YAML::Node model = c["model"]) model_known(model);
    const std::optional<double> horizon = number(c["horizon_h"]);
    if (c["horizon_h"] && horizon && !(*horizon > 0)) {
      add(c["horizon_h"], true, "window-not-positive",
          "horizon_h: " + fmt(*horizon) + " is not positive", "a horizon in hours > within_h",
          "set horizon_h to several times the claimed window");
    }
    if (const YAML::Node doses = c["doses"]; doses && doses.IsSequence()) {
      for (const auto& d : doses) {
        for (const char* key : {"time_h", "duration_h"}) {
          const std::optional<double> v = number(d[key]);
          if (v && *v < 0)
            add(d[key], true, "window-not-positive",
                std::string(key) + ": " + fmt(*v) + " is negative",
                "a time >= 0 h from the start of the intervention", "give a time >= 0");
        }
      }
    }
    for (const char* key : {"falls_below", "rises_above"}) {
      const YAML::Node t = c[key];
      if (!t || !t.IsMap() || !t["fraction_of_initial"]) continue;
      const std::optional<double> f = number(t["fraction_of_initial"]);
      if (!f) continue;
      const bool falls = std::string(key) == "falls_below";
      if (falls && !(*f > 0 && *f < 1)) {
        add(t["fraction_of_initial"], true, "threshold-range",
            "falls_below {fraction_of_initial: " + fmt(*f) +
                "} is outside what the observable "
                "can do: it starts at 1 x its value, " +
                (*f >= 1 ? "so it holds at t = 0"
                         : "and a level that is not negative cannot "
                           "fall to " +
                               fmt(*f) + " x"),
            "a fraction between 0 and 1, e.g. 0.5 for 'halved'",
            "for a rise use rises_above with a factor above 1");
      }
      if (!falls && !(*f > 1)) {
        add(t["fraction_of_initial"], true, "threshold-range",
            "rises_above {fraction_of_initial: " + fmt(*f) + "} holds already at t = 0",
            "a factor above 1, e.g. 1.25 for 'up 25 %'",
            "for a fall use falls_below with a fraction below 1");
      }
    }
  }

  void model_known(const YAML::Node& node) {
    const std::string model = scalar(node);
    const bool looks_like_path =
        model.find('/') != std::string::npos || model.ends_with(".yaml") || model.ends_with(".yml");
    if (looks_like_path) {
      std::string why;
      const auto inside = io::resolve_inside_folder(base_dir_, model, &why);
      std::error_code ignored;
      if (!inside.empty() && std::filesystem::is_regular_file(inside, ignored)) return;
      add(node, true, "unknown-model",
          "model file '" + io::excerpt(model) + "' " +
              (inside.empty() ? "is not inside the claim's folder: " + why
                              : std::string("does not exist")),
          "a model file relative to the claim, in its folder or below, or a library model",
          "`onset models` lists the library");
      return;
    }
    const auto names = models::library_model_names();
    if (std::find(names.begin(), names.end(), model) != names.end()) return;
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    add(node, true, "unknown-model",
        "unknown model '" + io::excerpt(model) + "': neither a library model nor a model file",
        "a library model (" + list + ") or a model file next to the claim",
        "for a biomarker, one of " + marker_names() + " (`onset claim new --marker NAME`)");
  }

  // --- Semantics: with the claim read and the model loaded ---

  struct Scale {
    bool ok = true;
    double factor = 1;
  };

  Scale convert_unit(const std::string& from, const std::string& to, const std::string& where,
                     const std::string& what, const std::string& fix) {
    if (from.empty() || from == to) return {};
    try {
      return {true, models::conversion_factor(from, to)};
    } catch (const models::UnitError& e) {
      std::string to_dimension = to;
      try {
        to_dimension = to + ", a " + models::parse_unit(to).dimension_text();
      } catch (const models::UnitError&) {
      }
      add_at(where, true, "unit-mismatch", what + ": " + e.problem(),
             "a unit convertible to " + to_dimension, fix);
      return {false, 1};
    }
  }

  void semantics(const Claim& claim, const ClaimedEffect& effect, const EffectCheck& check,
                 const YAML::Node& node) {
    std::unique_ptr<pk::Model> model;
    try {
      model = models::load_model(check.model);
    } catch (const UserError& e) {
      add(node["model"], true, "unknown-model",
          "model '" + io::excerpt(check.model) + "' cannot be used: " + e.what(), {},
          "`onset models show MODEL` reads a model file and says what is wrong");
      return;
    }
    if (check.horizon_h < effect.claimed_time_h) {
      add(node["horizon_h"] ? node["horizon_h"] : node, true, "window-order",
          "horizon_h " + fmt(check.horizon_h) + " h ends before the claimed window (" +
              fmt(effect.claimed_time_h) +
              " h from the start): every onset after the horizon "
              "counts as never",
          "horizon_h > within_h (and > the infusion for time_origin end_of_infusion)",
          "set horizon_h to several times the window, e.g. " +
              fmt(std::max(720.0, 4 * effect.claimed_time_h)));
    }
    std::vector<double> p = model->default_parameters();
    bool nominal_ok = true;
    for (const auto& b : check.parameters) {
      const std::string place = UserError::location(file_, b.line, b.column);
      const int index = model->parameter_index(b.parameter);
      if (index < 0) {
        std::string names;
        for (const auto& q : model->parameters()) names += (names.empty() ? "" : ", ") + q.name;
        add_at(place, true, "unknown-parameter",
               "model " + std::string(model->name()) + " has no parameter '" +
                   io::excerpt(b.parameter) + "'",
               "one of " + names, "`onset models show " + check.model + "` lists them");
        nominal_ok = false;
        continue;
      }
      const std::string& unit = model->parameters()[static_cast<size_t>(index)].unit;
      const std::string what = "parameter " + b.parameter;
      if (b.assumption < 0) {
        const Scale s = convert_unit(b.fixed_unit, unit, place, what,
                                     "write the value in " + unit + " or a unit convertible to it");
        if (!s.ok) nominal_ok = false;
        p[static_cast<size_t>(index)] = b.fixed_value * s.factor;
        continue;
      }
      const Assumption& a = claim.assumptions[static_cast<size_t>(b.assumption)];
      const std::string from =
          b.transform == Transform::kValue ? a.prior.unit : "1/(" + a.prior.unit + ")";
      const Scale s = convert_unit(from, unit, place, what + " from assumption '" + a.name + "'",
                                   "bind a prior in a unit of the parameter's kind (" + unit +
                                       "), or use `as:` for a half-life or time constant");
      if (!s.ok) {
        nominal_ok = false;
        continue;
      }
      double x = a.prior.central;
      if (b.transform == Transform::kRateFromHalfLife) x = std::log(2.0) / x;
      if (b.transform == Transform::kRateFromTimeConstant) x = 1 / x;
      p[static_cast<size_t>(index)] = x * s.factor;
    }
    for (const auto& d : check.doses) {
      const int state = model->state_index(d.compartment);
      if (state < 0) {
        std::string names;
        for (const auto& st : model->states()) names += (names.empty() ? "" : ", ") + st.name;
        add(node["doses"] ? node["doses"] : node["dose_intervention_into"], true,
            "unknown-compartment",
            "model " + std::string(model->name()) + " has no compartment '" +
                io::excerpt(d.compartment) + "' to dose into",
            "one of " + names, "dose into a compartment of the model");
        nominal_ok = false;
        continue;
      }
      const std::string& unit = model->states()[static_cast<size_t>(state)].unit;
      if (!convert_unit(d.unit, unit, where(node["doses"] ? node["doses"] : node),
                        "the dose into " + d.compartment,
                        "give the dose in " + unit + " or a unit convertible to it")
               .ok)
        nominal_ok = false;
    }
    const int observable = model->observable_index(check.observable);
    if (observable < 0) {
      std::string names;
      for (const auto& o : model->observables()) names += (names.empty() ? "" : ", ") + o.name;
      add(node["observable"], true, "unknown-observable",
          "model " + std::string(model->name()) + " has no observable '" +
              io::excerpt(check.observable) + "'",
          "one of " + names, "check the spelling");
      return;
    }
    const std::string obs_unit = model->observables()[static_cast<size_t>(observable)].unit;
    const bool falls = check.direction == pk::Direction::kFalling;
    const YAML::Node t_node = node[falls ? "falls_below" : "rises_above"];
    const std::string t_place = where(t_node);
    // The threshold in the observable's unit, at nominal values.
    std::optional<double> threshold;
    switch (check.threshold.kind) {
      case Threshold::Kind::kValue: {
        if (check.threshold.unit.empty()) {
          const bool dimensionless = obs_unit.empty() || obs_unit == "1";
          if (!dimensionless)
            add(t_node, false, "unit-missing",
                "the threshold " + fmt(check.threshold.value) + " has no unit; it is read as " +
                    obs_unit + ", the unit of " + check.observable,
                "a value with its unit, e.g. \"" + fmt(check.threshold.value) + " " + obs_unit +
                    "\"",
                "write the unit");
          threshold = check.threshold.value;
          break;
        }
        const Scale s = convert_unit(check.threshold.unit, obs_unit, t_place,
                                     "the threshold's unit does not match observable " +
                                         check.observable + " (" + obs_unit + ")",
                                     "write the threshold in " + obs_unit +
                                         ", or choose the observable in the threshold's unit");
        if (s.ok) threshold = check.threshold.value * s.factor;
        break;
      }
      case Threshold::Kind::kAssumption: {
        const Assumption& a = claim.assumptions[static_cast<size_t>(check.threshold.assumption)];
        const Scale s = convert_unit(a.prior.unit, obs_unit, t_place,
                                     "the threshold '" + a.name + "' (" + a.prior.unit +
                                         ") does not match observable " + check.observable + " (" +
                                         obs_unit + ")",
                                     "use a threshold in the observable's unit");
        if (s.ok) threshold = a.prior.central * s.factor;
        break;
      }
      case Threshold::Kind::kFractionOfInitial:
        break;
    }
    if (!threshold || !nominal_ok) return;
    if (falls && *threshold <= 0) {
      add(t_node, true, "threshold-range",
          "falls_below " + fmt(*threshold) + " " + obs_unit + ": " + check.observable +
              " is a level that is not negative, so it " +
              (*threshold < 0 ? "can never fall below it"
                              : "only approaches 0 and never crosses it"),
          "a threshold above 0 " + obs_unit, "give the level the source calls normal or reached");
      return;
    }
    // The observable at t = 0 with nominal values (as `onset check` starts every draw).
    std::vector<double> y0(static_cast<size_t>(model->num_states()));
    std::vector<double> obs(static_cast<size_t>(model->num_observables()));
    try {
      if (!model->check_parameters(p).empty()) return;  // check reports it with its place
      model->initial_state(p, y0);
      for (const auto& d : check.doses) {  // boluses at t = 0 count as the start, as in check
        const int state = model->state_index(d.compartment);
        if (state < 0 || d.time_h != 0 || d.duration_h != 0) continue;
        const std::string& unit = model->states()[static_cast<size_t>(state)].unit;
        y0[static_cast<size_t>(state)] +=
            d.amount *
            (d.unit.empty() || d.unit == unit ? 1 : models::conversion_factor(d.unit, unit));
      }
      model->observe(0, y0, p, obs);
    } catch (const std::exception&) {
      return;
    }
    const double initial = obs[static_cast<size_t>(observable)];
    if (!std::isfinite(initial)) return;
    const bool equal = nearly_equal(*threshold, initial);
    const bool met = falls ? *threshold > initial : *threshold < initial;
    if (equal || met) {
      add(t_node, true, "threshold-start",
          std::string(falls ? "falls_below " : "rises_above ") + fmt(*threshold) + " " + obs_unit +
              (equal ? " equals " : (falls ? " is above " : " is below ")) + check.observable +
              " at t = 0 (" + onset::format_number(initial, 4) + " " + obs_unit +
              ", nominal values): the effect would hold before any treatment",
          std::string("a threshold ") + (falls ? "below" : "above") + " the starting value",
          "check the baseline (the level the source reports before treatment) and the "
          "threshold's direction and unit");
      return;
    }
    // The level the marker settles at once restored (catalogued biomarkers).
    const MarkerEntry* marker = find_marker(std::string(model->name()));
    if (marker == nullptr || marker->settles_at.empty()) return;
    double settles = 0;
    std::string settles_unit;
    if (const int q = model->parameter_index(marker->settles_at); q >= 0) {
      settles = p[static_cast<size_t>(q)];
      settles_unit = model->parameters()[static_cast<size_t>(q)].unit;
    } else if (const int o = model->observable_index(marker->settles_at); o >= 0) {
      settles = obs[static_cast<size_t>(o)];
      settles_unit = model->observables()[static_cast<size_t>(o)].unit;
    } else {
      return;
    }
    try {
      settles *= models::conversion_factor(settles_unit, obs_unit);
    } catch (const models::UnitError&) {
      return;
    }
    const bool beyond = falls ? *threshold <= settles * (1 + kRelativeEqual)
                              : *threshold >= settles * (1 - kRelativeEqual);
    if (beyond) {
      add(t_node, false, "threshold-normal-range",
          "the threshold " + fmt(*threshold) + " " + obs_unit + " is " +
              (falls ? "at or below " : "at or above ") + "the level " + check.observable +
              " settles at once restored (" + marker->settles_at + " = " +
              onset::format_number(settles, 4) + " " + obs_unit +
              ", nominal values): it approaches it and may never cross it",
          std::string("a threshold ") + (falls ? "above" : "below") + " the normal level",
          "test the upper reference limit (`onset claim new --threshold normal`) or a change "
          "from the baseline");
    }
  }
};

}  // namespace

std::vector<LintFinding> lint_claim_text(const std::string& text, const std::string& file_name,
                                         const std::filesystem::path& base_dir,
                                         const LintOptions& options) {
  const std::filesystem::path priors =
      options.priors_dir.empty() ? io::data_dir() / "priors" : options.priors_dir;
  Linter linter(file_name, base_dir, priors);
  return linter.run(text);
}

std::vector<LintFinding> lint_claim_file(const std::filesystem::path& path,
                                         const LintOptions& options) {
  std::string text;
  try {
    text = ys::read_file(path, "claim file");
  } catch (const UserError& e) {
    return {{true, "yaml", e.where(), e.problem(), e.expected(), e.fix()}};
  }
  return lint_claim_text(text, path.string(), path.parent_path(), options);
}

}  // namespace onset::check
