#include "check/claim.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "check/claim_scaffold.hpp"
#include "check/clinical_scores.hpp"
#include "io/data_dir.hpp"
#include "io/input_file.hpp"
#include "io/names.hpp"
#include "io/format.hpp"
#include "io/yaml.hpp"
#include "pk/text_input.hpp"

namespace onset::check {

namespace ys = io::yaml;

std::string Assumption::source_text() const {
  std::string text;
  if (prior.has_citation()) text = prior.citation.text();
  if (!prior.derivation.empty()) text += (text.empty() ? "" : "; ") + prior.derivation;
  if (!prior.assumption.empty())
    text += (text.empty() ? "assumption: " : "; assumption: ") + prior.assumption;
  if (!derived_from.empty()) text += (text.empty() ? "" : "; ") + derived_from;
  if (!override_reason.empty()) text += "; range changed by the claim: " + override_reason;
  return text;
}

std::string bound_kind_name(BoundKind kind) {
  return kind == BoundKind::kMechanismFree ? "mechanism_free" : "mechanism";
}

int Claim::assumption_index(const std::string& name) const {
  for (size_t i = 0; i < assumptions.size(); ++i) {
    if (assumptions[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

namespace {

struct Reader {
  std::string file;
  std::filesystem::path base_dir;
  std::filesystem::path priors_dir;
  std::map<std::string, std::unique_ptr<PriorSet>> prior_sets;
  Claim claim;
  // prior reference ("family/name") -> assumption index, for references made by bindings.
  std::map<std::string, int> by_reference;

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) {
    ys::fail(file, node, message);
  }

  const PriorSet& prior_set(const std::string& family, const YAML::Node& where) {
    auto found = prior_sets.find(family);
    if (found != prior_sets.end()) return *found->second;
    // A family names a file in priors_dir: letters, digits, '_' and '-' only, so that a claim
    // cannot point anywhere else.
    const bool plain = !family.empty() && family.size() <= 64 &&
                       std::all_of(family.begin(), family.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                       });
    if (!plain) {
      fail(where, "expected a prior family name of letters, digits, '_' and '-' (a file in " +
                      priors_dir.string() + "), found '" + io::excerpt(family) + "'");
    }
    const auto path = priors_dir / (family + ".yaml");
    std::error_code ignored;
    if (!std::filesystem::is_regular_file(path, ignored)) {
      fail(where, "no prior file for family '" + family + "' (looked for " + path.string() + ")");
    }
    auto set = std::make_unique<PriorSet>(PriorSet::load(path));
    claim.input_files.push_back(path.string());
    const PriorSet& ref = *set;
    prior_sets.emplace(family, std::move(set));
    return ref;
  }

  // A "family/name" reference to a prior of the subject's species.
  Assumption prior_assumption(const std::string& reference, const YAML::Node& where,
                              std::string species = {}) {
    if (species.empty()) species = claim.subject.species;
    const auto slash = reference.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == reference.size()) {
      fail(where,
           "expected a prior reference 'family/name' (e.g. bilirubin/icterus_threshold), "
           "found '" +
               io::excerpt(reference) + "'");
    }
    const std::string family = reference.substr(0, slash);
    const std::string name = reference.substr(slash + 1);
    const PriorSet& set = prior_set(family, where);
    const Prior* prior = set.find(name, species);
    if (prior == nullptr) {
      std::string names;
      for (const auto& n : set.names()) names += (names.empty() ? "" : ", ") + n;
      fail(where, "no prior '" + io::excerpt(name) + "' for species '" + species + "' in " +
                      set.file() + "; it has: " + names);
    }
    Assumption assumption;
    assumption.name = reference;
    assumption.prior = *prior;
    assumption.origin = "prior file " + set.file();
    return assumption;
  }

  // Ids and names shown in reports, plots and messages: io/names.hpp's identifier set.
  void require_identifier(const YAML::Node& node, const std::string& what,
                          const std::string& value) {
    const std::string problem = io::identifier_problem(value);
    if (!problem.empty())
      fail(node, "expected " + what + " of " + io::kIdentifierRule + ", found '" +
                     io::excerpt(value) + "': " + problem);
  }

  static std::string scalar(const YAML::Node& node) { return node.IsScalar() ? node.Scalar() : ""; }

  std::string text(const YAML::Node& map, const std::string& key, bool required = false) {
    return ys::get_string(file, map, key, required);
  }

  double number(const YAML::Node& node) { return ys::as_number(file, node); }

  // "2.82 L/h" -> (2.82, "L/h"); "3" -> (3, "").
  std::pair<double, std::string> quantity(const YAML::Node& node) {
    if (node.IsMap()) {
      ys::require_keys(file, node, {"value", "unit"}, "quantity");
      return {ys::get_number(file, node, "value"), text(node, "unit")};
    }
    if (!node.IsScalar()) fail(node, "expected a number with its unit, e.g. \"2.82 L/h\"");
    const std::string& s = node.Scalar();
    const auto space = s.find(' ');
    const std::string number_text = s.substr(0, space);
    std::string unit = space == std::string::npos ? "" : s.substr(space + 1);
    while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
    const std::optional<double> value = pk::parse_finite_number(number_text);
    if (!value)
      fail(node,
           "expected a number with its unit, e.g. \"2.82 L/h\", found '" + io::excerpt(s) + "'");
    return {*value, unit};
  }

  std::pair<double, double> range(const YAML::Node& node) {
    if (node.IsScalar()) {
      const double v = number(node);
      return {v, v};
    }
    if (!node.IsSequence() || node.size() != 2) fail(node, "expected [low, high] or one number");
    const double low = number(node[0]), high = number(node[1]);
    if (low > high) fail(node, "expected low <= high");
    return {low, high};
  }

  void parse_header(const YAML::Node& root) {
    ys::require_keys(file, root,
                     {"id", "title", "source", "statement", "subject", "intervention",
                      "time_origin", "assumptions", "effects"},
                     "claim file");
    claim.id = text(root, "id", true);
    require_identifier(root["id"], "a claim id", claim.id);
    claim.title = text(root, "title");
    claim.statement = text(root, "statement", true);
    if (root["source"]) claim.source = io::parse_citation(file, root["source"], "");
    if (const YAML::Node subject = root["subject"]) {
      ys::require_keys(file, subject, {"species", "weight_kg", "sex", "age_years", "condition"},
                       "subject");
      if (subject["species"]) claim.subject.species = text(subject, "species");
      bool known = false;
      for (const auto& s : known_species()) known = known || s == claim.subject.species;
      if (!known)
        fail(subject["species"], "unknown species '" + io::excerpt(claim.subject.species) + "'");
      if (subject["weight_kg"]) claim.subject.weight_kg = number(subject["weight_kg"]);
      if (subject["age_years"]) claim.subject.age_years = number(subject["age_years"]);
      claim.subject.sex = text(subject, "sex");
      claim.subject.condition = text(subject, "condition");
    }
    if (const YAML::Node intervention = root["intervention"]) {
      ys::require_keys(file, intervention, {"agent", "dose", "route", "duration_h"},
                       "intervention");
      claim.intervention.agent = text(intervention, "agent");
      if (intervention["dose"]) {
        const auto [value, unit] = quantity(intervention["dose"]);
        if (!(value > 0))
          fail(intervention["dose"], "expected a positive dose, found " + ys::format(value));
        claim.intervention.dose = value;
        claim.intervention.dose_unit = unit;
      }
      claim.intervention.route = text(intervention, "route");
      if (intervention["duration_h"]) {
        claim.intervention.duration_h = number(intervention["duration_h"]);
        if (claim.intervention.duration_h < 0) fail(intervention["duration_h"], "expected >= 0");
      }
    }
    if (root["time_origin"] && root["time_origin"].IsMap()) {
      // An event at a stated time from the start, e.g. reperfusion of a graft.
      const YAML::Node origin = root["time_origin"];
      ys::require_keys(file, origin, {"event", "at_h"}, "time_origin");
      claim.time_origin = text(origin, "event", true);
      if (!origin["at_h"]) fail(origin, "missing 'at_h': the event's time from the start, in h");
      claim.time_origin_h = number(origin["at_h"]);
      if (!(claim.time_origin_h >= 0))
        fail(origin["at_h"], "expected a time >= 0 h from the start of the intervention");
      return;
    }
    claim.time_origin = root["time_origin"] ? text(root, "time_origin") : "start";
    if (claim.time_origin == "start") {
      claim.time_origin_h = 0;
    } else if (claim.time_origin == "end_of_infusion") {
      claim.time_origin_h = claim.intervention.duration_h;
    } else {
      fail(
          root["time_origin"],
          "expected time_origin 'start', 'end_of_infusion' or {event: NAME, at_h: HOURS}, found '" +
              io::excerpt(claim.time_origin) + "'");
    }
  }

  // Fields of a prior defined (or overridden) in the claim.
  void apply_prior_fields(const YAML::Node& node, Prior* prior, bool defining) {
    if (node["description"]) prior->description = text(node, "description");
    if (node["central"]) prior->central = number(node["central"]);
    if (node["low"]) prior->low = number(node["low"]);
    if (node["high"]) prior->high = number(node["high"]);
    if (node["distribution"]) prior->distribution = text(node, "distribution");
    if (node["unit"]) prior->unit = text(node, "unit");
    if (node["quantiles"]) {
      const auto [lo, hi] = range(node["quantiles"]);
      prior->quantile_low = lo;
      prior->quantile_high = hi;
    }
    if (node["citation"]) prior->citation = io::parse_citation(file, node["citation"], "");
    if (node["assumption"]) prior->assumption = text(node, "assumption");
    if (node["derivation"]) prior->derivation = text(node, "derivation");
    if (defining && prior->unit.empty()) fail(node, "missing 'unit'");
    if (prior->distribution != "uniform" && prior->distribution != "lognormal") {
      fail(node, "expected distribution 'uniform' or 'lognormal', found '" +
                     io::excerpt(prior->distribution) + "'");
    }
    if (!(prior->low <= prior->central && prior->central <= prior->high)) {
      fail(node, "expected low <= central <= high");
    }
    if (prior->is_lognormal() && !(prior->low > 0)) fail(node, "a lognormal prior needs low > 0");
    if (defining && prior->citation.empty() && prior->assumption.empty()) {
      fail(node, "every assumption needs a 'citation' or an 'assumption:' saying why");
    }
  }

  Assumption from_meld(const std::string& name, const YAML::Node& node) {
    const YAML::Node meld = node["from_meld"];
    ys::require_keys(file, meld,
                     {"score", "meld_na", "sodium_mmol_l", "inr", "creatinine_mg_dl", "dialysis",
                      "unknown_inr", "within", "within_reason"},
                     "from_meld");
    MeldReverseQuery query;
    const auto [s_lo, s_hi] = range(meld["score"]);
    query.score_low = static_cast<int>(std::lround(s_lo));
    query.score_high = static_cast<int>(std::lround(s_hi));
    query.is_meld_na = ys::get_bool(file, meld, "meld_na");
    if (meld["sodium_mmol_l"]) {
      const auto [lo, hi] = range(meld["sodium_mmol_l"]);
      query.sodium_mmol_l = LabRange{lo, hi};
    }
    if (meld["inr"]) {
      const auto [lo, hi] = range(meld["inr"]);
      query.inr = LabRange{lo, hi};
    }
    if (meld["creatinine_mg_dl"]) {
      const auto [lo, hi] = range(meld["creatinine_mg_dl"]);
      query.creatinine_mg_dl = LabRange{lo, hi};
    }
    if (meld["unknown_inr"]) {
      const auto [lo, hi] = range(meld["unknown_inr"]);
      query.unknown_inr = LabRange{lo, hi};
    }
    query.dialysis = ys::get_bool(file, meld, "dialysis");
    BilirubinBounds bounds;
    try {
      bounds = bilirubin_bounds_from_meld(query);
    } catch (const std::exception& e) {
      fail(meld, e.what());
    }
    if (!bounds.consistent)
      fail(meld, "no bilirubin fits this MELD with these labs: " + bounds.explanation);
    double low = bounds.low_mg_dl, high = bounds.high_mg_dl;
    std::string words = "MELD " + ys::format(s_lo) +
                        (s_hi != s_lo ? "-" + ys::format(s_hi) : std::string()) +
                        " gives total bilirubin " + ys::format(low) + "-" +
                        (bounds.high_unbounded ? std::string("unbounded") : ys::format(high)) +
                        " mg/dL (" + bounds.explanation + ")";
    if (meld["within"]) {
      const auto [w_lo, w_hi] = range(meld["within"]);
      low = std::max(low, w_lo);
      high = std::min(high, w_hi);
      if (!meld["within_reason"]) fail(meld, "'within' needs a 'within_reason'");
      words += "; intersected with [" + ys::format(w_lo) + ", " + ys::format(w_hi) +
               "] mg/dL: " + text(meld, "within_reason");
    }
    if (!std::isfinite(high)) fail(meld, "the MELD bound has no upper end; add 'within'");
    if (!(low < high)) fail(meld, "the MELD bounds and 'within' do not overlap");
    Assumption assumption;
    assumption.name = name;
    assumption.origin = "derived: MELD (check/clinical_scores.hpp)";
    assumption.derived_from = words;
    Prior& prior = assumption.prior;
    prior.name = name;
    prior.unit = "mg/dL";
    prior.species = claim.subject.species;
    prior.distribution = "uniform";
    prior.low = low;
    prior.high = high;
    prior.central = 0.5 * (low + high);
    prior.citation.authors = "Kamath PS, Wiesner RH, Malinchoc M, et al.";
    prior.citation.year = 2001;
    prior.citation.title = "A model to predict survival in patients with end-stage liver disease";
    prior.citation.journal = "Hepatology 33:464-470";
    prior.citation.doi = "10.1053/jhep.2001.22172";
    prior.description = text(node, "description");
    return assumption;
  }

  void parse_assumptions(const YAML::Node& node) {
    if (!node) return;
    if (!node.IsMap()) fail(node, "expected a map of named assumptions");
    for (const auto& entry : node) {
      const std::string name = entry.first.Scalar();
      const YAML::Node body = entry.second;
      if (!body.IsMap()) fail(body, "expected a map for assumption '" + io::excerpt(name) + "'");
      ys::require_keys(
          file, body,
          {"prior", "reason", "description", "central", "low", "high", "distribution", "unit",
           "quantiles", "citation", "assumption", "derivation", "from_meld", "species"},
          "assumption");
      Assumption assumption;
      if (body["prior"]) {
        const std::string reference = text(body, "prior");
        const std::string species = text(body, "species");
        assumption = prior_assumption(reference, body["prior"], species);
        assumption.name = name;
        if (!species.empty() && species != claim.subject.species) {
          if (!body["reason"]) fail(body, "a prior of another species needs a 'reason'");
          assumption.override_reason = "prior for " + species + " used for " +
                                       claim.subject.species + ": " + text(body, "reason");
        }
        const bool overrides = body["low"] || body["high"] || body["central"] ||
                               body["distribution"] || body["quantiles"];
        if (overrides) {
          if (!body["reason"]) fail(body, "changing a prior's range needs a 'reason'");
          assumption.override_reason = text(body, "reason");
          const Prior before = assumption.prior;
          apply_prior_fields(body, &assumption.prior, false);
          assumption.override_reason += " (file range " + ys::format(before.low) + "-" +
                                        ys::format(before.high) + " " + before.unit + ")";
        } else if (body["description"]) {
          assumption.prior.description = text(body, "description");
        }
        by_reference[reference] = static_cast<int>(claim.assumptions.size());
      } else if (body["from_meld"]) {
        assumption = from_meld(name, body);
      } else {
        assumption.name = name;
        assumption.origin = "claim";
        assumption.prior.name = name;
        assumption.prior.species = claim.subject.species;
        assumption.prior.distribution = "uniform";
        if (!body["central"] && body["low"] && body["high"]) {
          assumption.prior.central = 0.5 * (number(body["low"]) + number(body["high"]));
        }
        apply_prior_fields(body, &assumption.prior, true);
      }
      if (claim.assumption_index(name) >= 0) fail(entry.first, "duplicate assumption " + name);
      claim.assumptions.push_back(std::move(assumption));
    }
  }

  // An assumption reference in a binding or threshold: {prior: family/name} or
  // {assumption: name}. Returns its index.
  int assumption_reference(const YAML::Node& node) {
    if (node["assumption"]) {
      const std::string name = text(node, "assumption");
      const int index = claim.assumption_index(name);
      if (index < 0)
        fail(node["assumption"], "no assumption '" + io::excerpt(name) + "' in 'assumptions'");
      return index;
    }
    const std::string reference = text(node, "prior", true);
    auto found = by_reference.find(reference);
    if (found != by_reference.end()) return found->second;
    claim.assumptions.push_back(prior_assumption(reference, node["prior"]));
    const int index = static_cast<int>(claim.assumptions.size()) - 1;
    by_reference[reference] = index;
    return index;
  }

  ParameterBinding binding(const std::string& parameter, const YAML::Node& node) {
    ParameterBinding b;
    b.parameter = parameter;
    b.line = node.Mark().line + 1;
    b.column = node.Mark().column + 1;
    if (node.IsMap() && (node["prior"] || node["assumption"])) {
      ys::require_keys(file, node, {"prior", "assumption", "as"}, "parameter binding");
      b.assumption = assumption_reference(node);
      const std::string as = node["as"] ? text(node, "as") : "value";
      if (as == "value") {
        b.transform = Transform::kValue;
      } else if (as == "rate_from_half_life") {
        b.transform = Transform::kRateFromHalfLife;
      } else if (as == "rate_from_time_constant") {
        b.transform = Transform::kRateFromTimeConstant;
      } else {
        fail(node["as"],
             "expected 'as' to be value, rate_from_half_life or "
             "rate_from_time_constant, found '" +
                 io::excerpt(as) + "'");
      }
      return b;
    }
    const auto [value, unit] = quantity(node);
    b.fixed_value = value;
    b.fixed_unit = unit;
    return b;
  }

  Threshold threshold(const YAML::Node& node) {
    Threshold t;
    t.line = node.Mark().line + 1;
    t.column = node.Mark().column + 1;
    if (node.IsMap() && node["fraction_of_initial"]) {
      ys::require_keys(file, node, {"fraction_of_initial"}, "threshold");
      t.kind = Threshold::Kind::kFractionOfInitial;
      t.fraction = number(node["fraction_of_initial"]);
      return t;
    }
    if (node.IsMap() && (node["prior"] || node["assumption"])) {
      ys::require_keys(file, node, {"prior", "assumption"}, "threshold");
      t.kind = Threshold::Kind::kAssumption;
      t.assumption = assumption_reference(node);
      return t;
    }
    const auto [value, unit] = quantity(node);
    t.kind = Threshold::Kind::kValue;
    t.value = value;
    t.unit = unit;
    return t;
  }

  EffectCheck effect_check(const YAML::Node& node) {
    ys::require_keys(file, node,
                     {"kind", "description", "model", "doses", "dose_intervention_into",
                      "parameters", "parameter_changes", "observable", "falls_below", "rises_above",
                      "horizon_h", "baseline_above", "baseline_below"},
                     "check");
    EffectCheck check;
    check.line = node.Mark().line + 1;
    const std::string kind = node["kind"] ? text(node, "kind") : "mechanism_free";
    if (kind == "mechanism_free") {
      check.kind = BoundKind::kMechanismFree;
    } else if (kind == "mechanism") {
      check.kind = BoundKind::kMechanism;
    } else {
      fail(node["kind"],
           "expected kind 'mechanism_free' or 'mechanism', found '" + io::excerpt(kind) + "'");
    }
    check.description = text(node, "description");
    check.model = text(node, "model", true);
    const bool looks_like_path = check.model.find('/') != std::string::npos ||
                                 check.model.ends_with(".yaml") || check.model.ends_with(".yml");
    if (looks_like_path) {
      // A model file lies in the claim's folder or below it, and nowhere else.
      std::string why;
      const std::filesystem::path inside = io::resolve_inside_folder(base_dir, check.model, &why);
      if (inside.empty())
        fail(node["model"], "model file '" + io::excerpt(check.model) +
                                "' is not inside the claim's folder: " + why +
                                "; expected a path relative to the claim file, without '..', "
                                "to a model file in its folder or below (or a library model)");
      check.model = inside.string();
      claim.input_files.push_back(check.model);
    } else {
      require_identifier(node["model"], "a library model name", check.model);
    }
    if (node["dose_intervention_into"]) {
      DoseSpec dose;
      dose.compartment = text(node, "dose_intervention_into");
      dose.amount = claim.intervention.dose;
      dose.unit = claim.intervention.dose_unit;
      dose.duration_h = claim.intervention.duration_h;
      if (dose.amount <= 0) fail(node, "dose_intervention_into needs intervention.dose");
      check.doses.push_back(dose);
    }
    if (const YAML::Node doses = node["doses"]) {
      if (!doses.IsSequence()) fail(doses, "expected a list of doses");
      for (const auto& d : doses) {
        ys::require_keys(file, d, {"into", "amount", "time_h", "duration_h"}, "dose");
        DoseSpec dose;
        dose.compartment = text(d, "into", true);
        if (!d["amount"]) fail(d, "missing 'amount'");
        const auto [amount, unit] = quantity(d["amount"]);
        if (!(amount > 0))
          fail(d["amount"], "expected a positive dose amount, found " + ys::format(amount));
        dose.amount = amount;
        dose.unit = unit;
        if (d["time_h"]) {
          dose.time_h = number(d["time_h"]);
          // The model starts at t = 0 (the start of the intervention): an earlier dose is
          // never given.
          if (dose.time_h < 0)
            fail(d["time_h"],
                 "expected a dose time >= 0 h (the start of the intervention), found " +
                     ys::format(dose.time_h));
        }
        if (d["duration_h"]) {
          dose.duration_h = number(d["duration_h"]);
          if (dose.duration_h < 0)
            fail(d["duration_h"],
                 "expected a duration >= 0 h, found " + ys::format(dose.duration_h));
        }
        check.doses.push_back(dose);
      }
    }
    if (const YAML::Node parameters = node["parameters"]) {
      if (!parameters.IsMap()) fail(parameters, "expected a map: model parameter -> value");
      for (const auto& entry : parameters) {
        check.parameters.push_back(binding(entry.first.Scalar(), entry.second));
      }
    }
    if (const YAML::Node changes = node["parameter_changes"]) {
      if (!changes.IsSequence())
        fail(changes, "expected a list of changes: {parameter, value, time_h, duration_h}");
      for (const auto& c : changes) {
        ys::require_keys(file, c, {"parameter", "value", "time_h", "duration_h"},
                         "parameter change");
        if (!c["value"]) fail(c, "missing 'value' (a number with its unit, or an assumption)");
        TimedChange change;
        change.binding = binding(text(c, "parameter", true), c["value"]);
        if (c["time_h"]) change.time_h = number(c["time_h"]);
        if (!(change.time_h >= 0))
          fail(c["time_h"],
               "expected a change time >= 0 h (the start of the intervention), found " +
                   ys::format(change.time_h));
        if (c["duration_h"]) {
          change.duration_h = number(c["duration_h"]);
          if (!(*change.duration_h > 0))
            fail(c["duration_h"],
                 "expected a duration > 0 h (leave it out for a change held to the end), found " +
                     ys::format(*change.duration_h));
        }
        check.parameter_changes.push_back(change);
      }
    }
    check.observable = text(node, "observable", true);
    if (node["falls_below"] && node["rises_above"]) {
      fail(node, "give one of 'falls_below' and 'rises_above', not both");
    }
    if (node["falls_below"]) {
      check.direction = pk::Direction::kFalling;
      check.threshold = threshold(node["falls_below"]);
    } else if (node["rises_above"]) {
      check.direction = pk::Direction::kRising;
      check.threshold = threshold(node["rises_above"]);
    } else {
      fail(node, "missing 'falls_below' or 'rises_above' (the threshold of the effect)");
    }
    if (check.threshold.kind == Threshold::Kind::kFractionOfInitial) {
      // The observable starts at its initial value (an amount, concentration or level, not
      // negative): falling below f times it needs 0 < f < 1 (f >= 1 holds already at t = 0,
      // f <= 0 never), rising above it needs f > 1 (f <= 1 holds at t = 0).
      const bool falling = check.direction == pk::Direction::kFalling;
      const double f = check.threshold.fraction;
      const YAML::Node at = node[falling ? "falls_below" : "rises_above"]["fraction_of_initial"];
      if (falling && !(f > 0 && f < 1))
        fail(at, "fraction_of_initial: " + ys::format(f) +
                     " with falls_below is outside what the observable can do: it starts at its "
                     "initial value, so falling below " +
                     ys::format(f) + " times it " +
                     (f >= 1 ? "is true at t = 0"
                             : "is impossible for a quantity that is not "
                               "negative") +
                     " (expected a fraction between 0 and 1, e.g. 0.5)");
      if (!falling && !(f > 1))
        fail(at, "fraction_of_initial: " + ys::format(f) +
                     " with rises_above is outside what the observable can do: it starts at its "
                     "initial value, so rising above " +
                     ys::format(f) +
                     " times it is true at t = 0 (expected a factor above 1, e.g. 2)");
    }
    if (node["baseline_above"] || node["baseline_below"]) {
      const bool above = static_cast<bool>(node["baseline_above"]);
      if (above != (check.direction == pk::Direction::kFalling)) {
        fail(node, "use baseline_above with falls_below and baseline_below with rises_above");
      }
      check.baseline = threshold(above ? node["baseline_above"] : node["baseline_below"]);
      if (check.baseline->kind == Threshold::Kind::kFractionOfInitial) {
        fail(node, "a baseline level cannot be a fraction of the initial value");
      }
    }
    if (node["horizon_h"]) {
      check.horizon_h = number(node["horizon_h"]);
      if (!(check.horizon_h > 0)) fail(node["horizon_h"], "expected a positive horizon");
    }
    return check;
  }

  // The claimed window of an effect: `within_h: 96` (a number of hours) or `within: "4 d"` (a
  // time with its unit: h, min, d / days, weeks, months), never both. A unit inside within_h, or
  // a bare number in within, is refused with the form that would be read.
  double window(const YAML::Node& effect) {
    const YAML::Node hours = effect["within_h"], with_unit = effect["within"];
    const std::string forms =
        "within_h: a number of hours (within_h: 96), or within: a time "
        "with its unit (within: \"4 d\", \"96 h\", \"2 weeks\")";
    if (hours && with_unit)
      fail(with_unit, "both 'within' and 'within_h' give the claimed window (expected one of " +
                          forms + ") fix: keep one");
    if (!hours && !with_unit) fail(effect, "missing the claimed window (expected " + forms + ")");
    double h = 0;
    if (hours) {
      const std::string text = scalar(hours);
      if (hours.IsScalar() && !pk::parse_finite_number(text)) {
        // "4 days" in within_h: say what it would be in hours, and where a unit may go
        // (anything else that is not a number gets the plain "expected a number" below).
        std::optional<double> as_window;
        try {
          as_window = parse_window_h(text, "within_h");
        } catch (const UserError&) {
        }
        if (as_window)
          fail(hours, "within_h is a number of hours, found '" + io::excerpt(text) +
                          "' (expected " + forms + ") fix: write within: \"" + io::excerpt(text) +
                          "\" or within_h: " + format_number(*as_window));
      }
      h = number(hours);
    } else {
      const std::string text = scalar(with_unit);
      if (pk::parse_finite_number(text))
        fail(with_unit, "the window '" + io::excerpt(text) + "' has no unit (expected " + forms +
                            ") fix: write within: \"" + io::excerpt(text) +
                            " h\" (or within_h: " + io::excerpt(text) + ") if hours are meant");
      try {
        h = parse_window_h(text, "within");
      } catch (const UserError& err) {
        fail(with_unit, err.problem() + " (expected " + forms + ")");
      }
    }
    if (!(h > 0)) fail(hours ? hours : with_unit, "expected a positive time window");
    return h;
  }

  void parse_effects(const YAML::Node& node) {
    if (!node || !node.IsSequence() || node.size() == 0) {
      fail(node ? node : YAML::Node(), "expected 'effects': a list of claimed effects");
    }
    for (const auto& e : node) {
      ys::require_keys(file, e,
                       {"id", "statement", "measurable", "measurable_citation", "within_h",
                        "within", "not_assessable", "checks"},
                       "effect");
      ClaimedEffect effect;
      effect.line = e.Mark().line + 1;
      effect.id = text(e, "id", true);
      require_identifier(e["id"], "an effect id", effect.id);
      for (const auto& other : claim.effects) {
        if (other.id == effect.id) fail(e["id"], "duplicate effect id '" + effect.id + "'");
      }
      effect.statement = text(e, "statement", true);
      effect.measurable = text(e, "measurable");
      if (e["measurable_citation"]) {
        effect.measurable_citation = io::parse_citation(file, e["measurable_citation"], "");
      }
      effect.within_h = window(e);
      effect.claimed_time_h = effect.within_h + claim.time_origin_h;
      effect.not_assessable = text(e, "not_assessable");
      if (const YAML::Node checks = e["checks"]) {
        if (!checks.IsSequence()) fail(checks, "expected a list of checks");
        for (const auto& c : checks) effect.checks.push_back(effect_check(c));
      }
      if (effect.not_assessable.empty() && effect.checks.empty()) {
        fail(e, "effect '" + effect.id + "' needs 'checks', or 'not_assessable:' with the reason");
      }
      if (!effect.not_assessable.empty() && !effect.checks.empty()) {
        fail(e, "effect '" + effect.id + "' has both 'checks' and 'not_assessable'");
      }
      if (effect.measurable.empty() && effect.not_assessable.empty()) {
        fail(e, "effect '" + effect.id + "' needs 'measurable': the threshold tested and why");
      }
      claim.effects.push_back(std::move(effect));
    }
  }
};

}  // namespace

Claim parse_claim(const std::string& text, const std::string& file_name,
                  const std::filesystem::path& base_dir, const std::filesystem::path& priors_dir) {
  try {
    Reader reader;
    reader.file = file_name;
    reader.base_dir = base_dir;
    reader.priors_dir = priors_dir.empty() ? io::data_dir() / "priors" : priors_dir;
    const YAML::Node root = ys::load(text, file_name);
    if (root.IsNull() && root.Mark().is_null())
      throw ClaimFileError(file_name, 1, 1,
                           "the claim file is empty (nothing but blank lines or comments): "
                           "expected a map with id, statement, subject, effects, ...");
    if (!root.IsMap()) ys::fail(file_name, root, "expected a claim: a map with id, statement, ...");
    reader.claim.file = file_name;
    reader.parse_header(root);
    reader.parse_assumptions(root["assumptions"]);
    reader.parse_effects(root["effects"]);
    return std::move(reader.claim);
  } catch (const ClaimFileError&) {
    throw;
  } catch (const PriorFileError&) {  // a prior file the claim uses: its own error
    throw;
  } catch (const io::yaml::YamlFileError& error) {  // the claim file, through the YAML helpers
    throw ClaimFileError(error);
  }
}

Claim load_claim(const std::filesystem::path& file, const std::filesystem::path& priors_dir) {
  std::string text;
  try {
    text = ys::read_file(file, "claim file");
  } catch (const io::yaml::YamlFileError& error) {
    throw ClaimFileError(error);
  }
  Claim claim = parse_claim(text, file.string(), file.parent_path(), priors_dir);
  claim.input_files.insert(claim.input_files.begin(), file.string());
  return claim;
}

}  // namespace onset::check
