#include "check/claim_scaffold.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <vector>

#include "check/claim.hpp"
#include "check/claim_lint.hpp"
#include "check/marker_catalogue.hpp"
#include "io/data_dir.hpp"
#include "io/input_file.hpp"
#include "io/names.hpp"
#include "io/priors.hpp"
#include "io/yaml.hpp"
#include "models/model_library.hpp"
#include "models/units.hpp"
#include "pk/text_input.hpp"

namespace onset::check {

namespace {

std::string fmt(double value) { return io::yaml::format(value); }

[[noreturn]] void bad(const std::string& option, const std::string& problem,
                      const std::string& expected = {}, const std::string& fix = {}) {
  throw UserError(option, problem, expected, fix);
}

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

// One line of comment text from a data file: no line breaks, at most `max` bytes.
std::string comment_text(const std::string& text, size_t max = 160) {
  std::string line;
  for (char c : text) line += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  return io::excerpt(line, max);
}

// Text wrapped into "# " comment lines of at most 95 columns.
void write_comment(std::ostream& out, const std::string& text, const std::string& indent = "",
                   const std::string& hang = "", const std::string& lead = "") {
  std::istringstream words(comment_text(text, 4000));
  std::string word, line;
  bool first = true;
  auto flush = [&] {
    out << indent << "# " << (first ? lead : hang) << line << "\n";
    first = false;
    line.clear();
  };
  for (; words >> word;) {
    if (!line.empty() &&
        indent.size() + 2 + std::max(hang.size(), lead.size()) + line.size() + 1 + word.size() > 95)
      flush();
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) flush();
}

// "#   - TEXT" with continuation lines under TEXT.
void write_bullet(std::ostream& out, const std::string& text) {
  write_comment(out, "- " + text, "", "    ", "  ");
}

const std::regex& number_pattern() {
  static const std::regex pattern(R"(^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(.*)$)");
  return pattern;
}

// The prior of a family to bind to `name` for the subject: NAME_<sex> when the sex is given
// and it exists, else NAME, else NAME_male (sex not given). Empty when none.
struct Resolved {
  std::string reference;  // family/name
  const Prior* prior = nullptr;
  std::string note;  // "male: the sex is not given", ...
};

class PriorIndex {
 public:
  PriorIndex(std::filesystem::path dir, std::string species, std::string sex)
      : dir_(std::move(dir)), species_(std::move(species)), sex_(std::move(sex)) {}

  const PriorSet* family(const std::string& name) {
    auto found = sets_.find(name);
    if (found != sets_.end()) return found->second.get();
    std::unique_ptr<PriorSet> set;
    const auto path = dir_ / (name + ".yaml");
    std::error_code ignored;
    if (std::filesystem::is_regular_file(path, ignored))
      set = std::make_unique<PriorSet>(PriorSet::load(path));
    return sets_.emplace(name, std::move(set)).first->second.get();
  }

  // `reference` is "family/name" or a name in `default_family`.
  Resolved resolve(const std::string& default_family, const std::string& reference) {
    std::string fam = default_family, name = reference;
    if (const auto slash = reference.find('/'); slash != std::string::npos) {
      fam = reference.substr(0, slash);
      name = reference.substr(slash + 1);
    }
    Resolved r;
    const PriorSet* set = family(fam);
    if (set == nullptr) return r;
    auto take = [&](const std::string& n, std::string note) {
      if (const Prior* p = set->find(n, species_)) {
        r.reference = fam + "/" + n;
        r.prior = p;
        r.note = std::move(note);
        return true;
      }
      return false;
    };
    if (!sex_.empty() && take(name + "_" + sex_, "")) return r;
    if (take(name, "")) return r;
    if (sex_.empty())
      take(name + "_male",
           "the male prior: the sex is not given (give --sex female for the female one)");
    return r;
  }

 private:
  std::filesystem::path dir_;
  std::string species_;
  std::string sex_;
  std::map<std::string, std::unique_ptr<PriorSet>> sets_;
};

std::string prior_summary(const Resolved& r) {
  const Prior& p = *r.prior;
  std::string text = r.reference + ": " + fmt(p.central) + " (" + fmt(p.low) + "-" + fmt(p.high) +
                     ") " + p.unit + ", " + p.distribution + "; ";
  if (p.has_citation()) {
    text += p.citation.authors + " " + std::to_string(p.citation.year);
    if (!p.citation.journal.empty()) text += ", " + p.citation.journal;
  } else {
    text += "assumption: " + p.assumption;
  }
  return comment_text(text, 200);
}

std::string verb_for(const ThresholdSpec& t, bool falls) {
  switch (t.kind) {
    case ThresholdSpec::Kind::kNormal:
      return "normal";
    case ThresholdSpec::Kind::kFraction:
      return (falls ? "to-" : "up-") + fmt(t.value) + "x";
    default:
      return falls ? "below" : "above";
  }
}

}  // namespace

std::string yaml_quoted(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02X", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void parse_baseline(const std::string& text, const std::string& option, ScaffoldRequest* request) {
  static const std::regex range(
      R"(^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?:(?:-|to)\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?))?\s*(.*)$)");
  std::smatch m;
  const std::string expected = "a level with its unit, or a range: \"3.5 mg/dL\", \"3-5 mg/dL\"";
  if (!std::regex_match(text, m, range))
    bad(option, "'" + io::excerpt(text) + "' is not a level with its unit", expected,
        "give the level the source reports before treatment");
  const double low = std::stod(m[1].str());
  const double high = m[2].matched ? std::stod(m[2].str()) : low;
  const std::string unit = trim(m[3].str());
  if (!std::isfinite(low) || !std::isfinite(high) || low < 0 || high < low)
    bad(option, "'" + io::excerpt(text) + "' is not a range from low to high", expected);
  if (unit.empty())
    bad(option, "'" + io::excerpt(text) + "' has no unit", expected,
        "write the unit the source uses, e.g. mg/dL, umol/L, mg/L, U/L, g/dL, %; \"1\" for the "
        "INR");
  if (!models::is_unit(unit))
    bad(option, "the unit '" + io::excerpt(unit) + "' cannot be read", expected,
        "write it as models/README.md lists units (mg/dL, mmol/L, ng/L, U/L, cells/nL, ...)");
  request->baseline_low = low;
  request->baseline_high = high;
  request->baseline_unit = unit;
  request->baseline_written = trim(text);
}

ThresholdSpec parse_threshold(const std::string& raw, const std::string& option) {
  ThresholdSpec t;
  const std::string text = trim(raw);
  t.written = text;
  const std::string expected =
      "normal, half, a factor such as 0.5x or 1.25x, prior:FAMILY/NAME, or a value with its "
      "unit such as \"1.2 mg/dL\"";
  if (text == "normal") return t;
  if (text == "half") {
    t.kind = ThresholdSpec::Kind::kFraction;
    t.value = 0.5;
    return t;
  }
  if (text.starts_with("prior:")) {
    t.kind = ThresholdSpec::Kind::kPrior;
    t.prior = text.substr(6);
    if (t.prior.find('/') == std::string::npos)
      bad(option, "'" + io::excerpt(text) + "' does not name a prior", expected,
          "write prior:FAMILY/NAME, e.g. prior:crp/crp_upper_reference");
    return t;
  }
  if (!text.empty() && (text.back() == 'x' || text.back() == 'X')) {
    const std::optional<double> f = pk::parse_finite_number(trim(text.substr(0, text.size() - 1)));
    if (!f || !(*f > 0) || *f == 1)
      bad(option, "'" + io::excerpt(text) + "' is not a factor of the starting value", expected,
          "0.5x for 'halved', 1.25x for 'up 25 %'");
    t.kind = ThresholdSpec::Kind::kFraction;
    t.value = *f;
    return t;
  }
  std::smatch m;
  if (!std::regex_match(text, m, number_pattern()))
    bad(option, "'" + io::excerpt(text) + "' is not a threshold", expected);
  t.kind = ThresholdSpec::Kind::kValue;
  t.value = std::stod(m[1].str());
  t.unit = trim(m[2].str());
  if (!t.unit.empty() && !models::is_unit(t.unit))
    bad(option, "the unit '" + io::excerpt(t.unit) + "' cannot be read", expected);
  return t;
}

double parse_window_h(const std::string& raw, const std::string& option) {
  const std::string text = trim(raw);
  std::smatch m;
  const std::string expected = "a time with its unit: \"6 h\", \"90 min\", \"3 days\", \"2 weeks\"";
  if (!std::regex_match(text, m, number_pattern()))
    bad(option, "'" + io::excerpt(text) + "' is not a time", expected);
  const double value = std::stod(m[1].str());
  std::string unit = trim(m[2].str());
  if (unit.empty())
    bad(option, "'" + io::excerpt(text) + "' has no unit", expected,
        "say whether it is hours or days: --within \"" + io::excerpt(text) + " h\"");
  static const std::map<std::string, std::string> words = {
      {"hour", "h"},      {"hours", "h"},     {"hr", "h"},        {"hrs", "h"}, {"minute", "min"},
      {"minutes", "min"}, {"mins", "min"},    {"days", "day"},    {"d", "day"}, {"weeks", "week"},
      {"wk", "week"},     {"month", "month"}, {"months", "month"}};
  if (auto w = words.find(unit); w != words.end()) unit = w->second;
  double hours = 0;
  if (unit == "month") {
    hours = value * 730.5;  // 365.25 days / 12
  } else {
    try {
      hours = value * models::conversion_factor(unit, "h");
    } catch (const models::UnitError&) {
      bad(option, "'" + io::excerpt(unit) + "' is not a unit of time", expected);
    }
  }
  if (!(hours > 0))
    bad(option, "the window " + io::excerpt(text) + " is not positive", expected,
        "the claimed time from the start of the intervention");
  return hours;
}

std::string write_claim_scaffold(const ScaffoldRequest& q, const std::string& out_file,
                                 const std::filesystem::path& priors_dir_in) {
  const MarkerEntry* marker = find_marker(q.marker);
  if (marker == nullptr)
    bad("--marker", "'" + io::excerpt(q.marker) + "' is not a biomarker of the library",
        "one of " + marker_names(),
        "`onset models` lists every model; a claim about another model is written by hand "
        "(check/README.md)");
  if (trim(q.statement).empty())
    bad("--statement", "the claim's statement is empty", "the claim as its source words it",
        "quote the paper, report or press release");
  if (!q.sex.empty() && q.sex != "male" && q.sex != "female")
    bad("--sex", "'" + io::excerpt(q.sex) + "' is not a sex the priors know", "male or female");
  const std::filesystem::path priors_dir =
      priors_dir_in.empty() ? io::data_dir() / "priors" : priors_dir_in;
  PriorIndex priors(priors_dir, q.species, q.sex);
  const PriorSet* family = priors.family(marker->model);
  if (family == nullptr)
    bad("--marker", "no prior file for " + marker->model,
        (priors_dir / (marker->model + ".yaml")).string());
  bool any_for_species = false;
  for (const auto& n : family->names()) any_for_species |= family->find(n, q.species) != nullptr;
  if (!any_for_species)
    bad("--species",
        "the priors of " + marker->model + " are not for species '" + io::excerpt(q.species) + "'",
        "a species of " + family->file(), "the biomarker priors are for adult humans");
  const auto model = models::load_file_model(marker->model);
  const bool falls = q.falls.value_or(marker->falls);
  // The window as written ("6 h" -> "6h", "3 months" -> "3months") names the claim and effect.
  std::string claim_window;
  for (char c : q.within_written) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.') claim_window += c;
  }
  if (claim_window.empty() || !std::isdigit(static_cast<unsigned char>(claim_window[0])))
    claim_window = fmt(q.within_h) + "h";
  const std::string verb = verb_for(q.threshold, falls);
  std::string id = q.id;
  if (id.empty()) {
    id = marker->model + "-" + verb + "-" + claim_window;
    std::replace(id.begin(), id.end(), '_', '-');
  }
  if (const std::string problem = io::identifier_problem(id); !problem.empty())
    bad("--id", "'" + io::excerpt(id) + "' is not a claim id: " + problem, io::kIdentifierRule);
  std::string effect_id = marker->model + "_" + verb + "_within_" + claim_window;
  std::replace(effect_id.begin(), effect_id.end(), '-', '_');

  // The threshold.
  std::string threshold_yaml, threshold_words, threshold_reference, threshold_note;
  const Prior* threshold_prior = nullptr;
  switch (q.threshold.kind) {
    case ThresholdSpec::Kind::kNormal: {
      if (marker->normal_prior.empty())
        bad("--threshold", "marker " + marker->model + " has no upper-reference-limit prior",
            "a value with its unit (\"2 mmol/L\"), a factor (0.5x) or prior:FAMILY/NAME",
            "give the level the source calls normal");
      const Resolved r = priors.resolve(marker->model, marker->normal_prior);
      if (r.prior == nullptr)
        bad("--threshold", "no prior " + marker->normal_prior + " for species " + q.species);
      threshold_reference = r.reference;
      threshold_prior = r.prior;
      threshold_note = r.note;
      threshold_yaml = "{prior: " + r.reference + "}";
      threshold_words = "below the upper reference limit (prior " + r.reference + ": " +
                        fmt(r.prior->low) + "-" + fmt(r.prior->high) + " " + r.prior->unit + ")";
      if (!falls) threshold_words = "above " + threshold_words.substr(6);
      break;
    }
    case ThresholdSpec::Kind::kPrior: {
      const Resolved r = priors.resolve(marker->model, q.threshold.prior);
      if (r.prior == nullptr)
        bad("--threshold",
            "no prior '" + io::excerpt(q.threshold.prior) + "' for species " + q.species,
            "prior:FAMILY/NAME of data/priors");
      threshold_reference = r.reference;
      threshold_prior = r.prior;
      threshold_note = r.note;
      threshold_yaml = "{prior: " + r.reference + "}";
      threshold_words = std::string(falls ? "below " : "above ") + "prior " + r.reference + " (" +
                        fmt(r.prior->low) + "-" + fmt(r.prior->high) + " " + r.prior->unit + ")";
      break;
    }
    case ThresholdSpec::Kind::kFraction:
      if (falls != (q.threshold.value < 1))
        bad("--threshold",
            "the factor " + fmt(q.threshold.value) + "x " +
                (falls ? "does not describe a fall (it holds at t = 0)"
                       : "does not describe a rise (it holds at t = 0)"),
            falls ? "a factor below 1 for a fall, e.g. 0.5x" : "a factor above 1, e.g. 1.25x",
            "or change --direction");
      threshold_yaml = "{fraction_of_initial: " + fmt(q.threshold.value) + "}";
      threshold_words = std::string(falls ? "at or below " : "at or above ") +
                        fmt(q.threshold.value) + " x its value at t = 0";
      break;
    case ThresholdSpec::Kind::kValue:
      threshold_yaml = yaml_quoted(fmt(q.threshold.value) +
                                   (q.threshold.unit.empty() ? "" : " " + q.threshold.unit));
      threshold_words = std::string(falls ? "below " : "above ") + q.threshold.written;
      break;
  }

  std::ostringstream out;
  out << "# Claim written by `onset claim new` (check/README.md, \"Checking a new claim\").\n";
  write_comment(out, "Marker: " + marker->model + " (" + marker->organ + "), library model `" +
                         marker->model + "` (`onset models show " + marker->model +
                         "`); priors data/priors/" + marker->model + ".yaml.");
  out << "#\n";
  write_comment(out, "The bound: " + marker->physiology);
  write_comment(out, std::string("The check sets the switch ") +
                         (marker->switch_parameter.empty()
                              ? std::string("through its prior")
                              : marker->switch_parameter + " = " + marker->switch_value) +
                         ": " + marker->switch_words +
                         ". If even that best case cannot reach the threshold in time, no "
                         "treatment can, whatever its mechanism.");
  out << "#\n# Review before `onset claim lint` and `onset check`:\n";
  write_bullet(
      out, std::string("statement, source and subject: as the source gives them") +
               (q.source_authors.empty() ? " (no source given: add `source:`; lint warns)" : "") +
               ";");
  write_bullet(out,
               marker->baseline_parameter + ": the level the source reports before treatment;");
  write_bullet(out, "the threshold: " + threshold_words + ";");
  write_bullet(out, "each prior: its range and source are in the comment above its line;");
  write_bullet(out, "the parameters left at the model's value (listed under `parameters`).");
  out << "id: " << id << "\n";
  const std::string title =
      q.title.empty() ? marker->model + " " + verb + " within " +
                            (q.within_written.empty() ? fmt(q.within_h) + " h" : q.within_written) +
                            ": " + io::excerpt(q.statement, 100)
                      : q.title;
  out << "title: " << yaml_quoted(title) << "\n";
  if (!q.source_authors.empty()) {
    out << "source:\n  authors: " << yaml_quoted(q.source_authors) << "\n";
    out << "  year: " << q.source_year << "\n";
    out << "  journal: " << yaml_quoted(q.source_journal.empty() ? "not stated" : q.source_journal)
        << "\n";
    if (!q.source_doi.empty()) out << "  doi: " << yaml_quoted(q.source_doi) << "\n";
    if (!q.source_url.empty()) out << "  url: " << yaml_quoted(q.source_url) << "\n";
  }
  out << "statement: " << yaml_quoted(q.statement) << "\n";
  out << "subject:\n  species: " << q.species << "\n";
  if (!q.sex.empty()) out << "  sex: " << q.sex << "\n";
  if (!q.condition.empty()) out << "  condition: " << yaml_quoted(q.condition) << "\n";
  out << "intervention:\n  agent: " << yaml_quoted(q.agent.empty() ? "not stated" : q.agent)
      << "\n";
  if (!q.dose.empty()) out << "  dose: " << yaml_quoted(q.dose) << "\n";
  if (!q.route.empty()) out << "  route: " << yaml_quoted(q.route) << "\n";
  if (q.duration_h) out << "  duration_h: " << fmt(*q.duration_h) << "\n";
  out << "time_origin: start              # windows are measured from the start of the "
         "intervention\n";
  const std::string baseline_name = marker->baseline_parameter;
  const bool ranged = q.baseline_high > q.baseline_low;
  out << "assumptions:\n  " << baseline_name << ":\n";
  out << "    description: " << yaml_quoted(marker->observable + " at t = 0, before treatment")
      << "\n";
  out << "    central: " << fmt(0.5 * (q.baseline_low + q.baseline_high)) << "\n";
  out << "    low: " << fmt(q.baseline_low) << "\n";
  out << "    high: " << fmt(q.baseline_high) << "\n";
  out << "    unit: " << yaml_quoted(q.baseline_unit) << "\n";
  out << "    assumption: "
      << yaml_quoted("The level the source reports before treatment (" + q.baseline_written +
                     (ranged ? "): the range is searched for the best case and drawn uniformly."
                             : "): fixed; give a range if the source gives one."))
      << "\n";
  out << "effects:\n";
  out << "  - id: " << effect_id << "\n";
  out << "    statement: " << yaml_quoted(q.statement) << "\n";
  out << "    measurable: "
      << yaml_quoted(marker->observable + " " + threshold_words + " within " + fmt(q.within_h) +
                     " h of the start of the intervention")
      << "\n";
  out << "    within_h: " << fmt(q.within_h) << "       # "
      << comment_text(q.within_written.empty() ? fmt(q.within_h) + " h" : q.within_written, 40)
      << ", in hours\n";
  out << "    checks:\n";
  out << "      - kind: " << marker->kind << "\n";
  out << "        description: " << yaml_quoted(marker->model + " model, " + marker->switch_words)
      << "\n";
  out << "        model: " << marker->model << "\n";
  if (!q.dose_into.empty()) out << "        dose_intervention_into: " << q.dose_into << "\n";
  out << "        parameters:\n";
  std::vector<std::string> left;
  for (const auto& parameter : model->parameters()) {
    const std::string& name = parameter.name;
    const std::string pad = "          ";
    if (name == marker->switch_parameter) {
      out << pad << "# the switch: " << comment_text(marker->switch_words, 120) << "\n";
      out << pad << name << ": " << yaml_quoted(marker->switch_value) << "\n";
      continue;
    }
    if (name == baseline_name) {
      out << pad << name << ": {assumption: " << baseline_name << "}\n";
      continue;
    }
    if (threshold_prior != nullptr &&
        std::find(marker->normal_parameters.begin(), marker->normal_parameters.end(), name) !=
            marker->normal_parameters.end()) {
      out << pad << "# the same draw as the threshold\n";
      out << pad << name << ": {prior: " << threshold_reference << "}\n";
      continue;
    }
    std::string source = name;
    for (const auto& [parameter_name, prior_name] : marker->renamed_priors) {
      if (parameter_name == name) source = prior_name;
    }
    const Resolved r = priors.resolve(marker->model, source);
    if (r.prior == nullptr) {
      left.push_back(name + " = " + fmt(parameter.value) + " " + parameter.unit);
      continue;
    }
    out << pad << "# " << prior_summary(r) << "\n";
    if (!r.note.empty()) out << pad << "#   " << comment_text(r.note) << "\n";
    out << pad << name << ": {prior: " << r.reference << "}\n";
  }
  if (!left.empty()) {
    std::string list;
    for (const auto& l : left) list += (list.empty() ? "" : "; ") + l;
    write_comment(out, "Left at the model's value (no prior; review): " + list, "          ");
  }
  out << "        observable: " << marker->observable << "\n";
  if (!threshold_note.empty()) write_comment(out, "The threshold: " + threshold_note, "        ");
  out << "        " << (falls ? "falls_below: " : "rises_above: ") << threshold_yaml << "\n";
  const double horizon = std::max(720.0, 4 * q.within_h);
  out << "        horizon_h: " << fmt(horizon)
      << "              # onsets later than this count as never\n";
  const std::string text = out.str();

  // A scaffold that lint finds an error in is never written: say what is wrong with the
  // request instead.
  const std::filesystem::path out_path(out_file);
  const auto findings = lint_claim_text(text, out_file, out_path.parent_path(), {priors_dir});
  for (const auto& f : findings) {
    if (f.error)
      throw UserError({}, "the claim as asked cannot be checked: " + f.problem, f.expected, f.fix);
  }
  return text;
}

}  // namespace onset::check
