#include "fits/population/population_spec.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "io/format.hpp"
#include "io/yaml.hpp"
#include "models/model_file.hpp"
#include "pk/text_input.hpp"
#include "pk/user_error.hpp"

namespace onset::fits::population {

namespace {

constexpr double kDefaultOmega = 0.1;
constexpr double kDefaultProportionalSd = 0.1;

std::string trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  const size_t end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t at = text.find(separator, start);
    parts.push_back(trim(std::string_view(text).substr(start, at - start)));
    if (at == std::string::npos) break;
    start = at + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "none" : text;
}

// What is declared, from the file and the command line, before it meets the model.
struct Declarations {
  struct EtaDecl {
    std::string name;
    double omega = kDefaultOmega;
    bool normal = false;
    bool fixed = false;
    std::string origin;  // for messages: "--eta CL=0.1" or "model.yaml:12:5"
  };
  struct ErrorDecl {
    std::optional<ErrorKind> kind;
    std::optional<bool> log_scale;
    std::optional<double> additive, proportional;
    bool additive_fixed = false, proportional_fixed = false;
  };
  std::vector<Theta> thetas;
  std::vector<EtaDecl> etas;
  std::vector<std::vector<std::string>> blocks;
  std::vector<IndividualParameter> parameters;
  std::map<std::string, ErrorDecl> errors;  // by observable; "" for every observable
};

// ------------------------------------------------------------------------ the model file
class SectionReader {
 public:
  SectionReader(std::string source, Declarations* out) : source_(std::move(source)), out_(out) {}

  void read(const YAML::Node& section) {
    require_map(section,
                "the population section (keys theta, eta, omega_blocks, parameters, error)");
    for (auto it = section.begin(); it != section.end(); ++it) {
      const std::string key = it->first.Scalar();
      const YAML::Node value = it->second;
      if (key == "theta") {
        require_map(value, "THETA: NAME: START or NAME: {start, lower, upper, fixed}");
        for (auto t = value.begin(); t != value.end(); ++t)
          out_->thetas.push_back(theta(t->first.Scalar(), t->second));
      } else if (key == "eta") {
        require_map(value, "ETAs: NAME: OMEGA or NAME: {omega, fixed, shape}");
        for (auto e = value.begin(); e != value.end(); ++e)
          out_->etas.push_back(eta(e->first, e->second));
      } else if (key == "omega_blocks") {
        if (!value.IsSequence()) fail(value, "a list of blocks, each a list of ETA names");
        for (const auto& block : value) {
          if (!block.IsSequence() || block.size() < 2)
            fail(block, "a block: a list of at least two ETA names");
          std::vector<std::string> names;
          for (const auto& name : block) names.push_back(scalar(name, "an ETA name"));
          out_->blocks.push_back(names);
        }
      } else if (key == "parameters") {
        require_map(value, "individual parameters: MODEL_PARAMETER: EXPRESSION");
        for (auto p = value.begin(); p != value.end(); ++p)
          out_->parameters.push_back({p->first.Scalar(), scalar(p->second, "an expression")});
      } else if (key == "error") {
        require_map(value,
                    "an error model: {type, scale, additive, proportional} or one per observable");
        if (value["type"]) {
          out_->errors[""] = error(value);
        } else {
          for (auto e = value.begin(); e != value.end(); ++e)
            out_->errors[e->first.Scalar()] = error(e->second);
        }
      } else {
        fail(it->first,
             "one of the keys of population: theta, eta, omega_blocks, parameters, error",
             "unknown key '" + key + "'");
      }
    }
  }

 private:
  [[noreturn]] void fail(const YAML::Node& node, const std::string& expected,
                         const std::string& found = {}) const {
    const YAML::Mark mark = node.Mark();
    throw models::ModelFileError(source_, mark.is_null() ? 0 : mark.line + 1,
                                 mark.is_null() ? 0 : mark.column + 1, expected,
                                 found.empty() ? describe(node) : found);
  }
  static std::string describe(const YAML::Node& node) {
    if (node.IsScalar()) return "'" + node.Scalar() + "'";
    if (node.IsMap()) return "a map";
    if (node.IsSequence()) return "a list";
    return "nothing";
  }
  void require_map(const YAML::Node& node, const std::string& expected) const {
    if (!node.IsMap()) fail(node, expected);
  }
  std::string scalar(const YAML::Node& node, const std::string& expected) const {
    if (!node.IsScalar()) fail(node, expected);
    return node.Scalar();
  }
  double number(const YAML::Node& node, const std::string& expected) const {
    const std::string text = scalar(node, expected);
    if (text == ".inf" || text == "+.inf") return std::numeric_limits<double>::infinity();
    if (text == "-.inf") return -std::numeric_limits<double>::infinity();
    const auto value = pk::parse_finite_number(text);
    if (!value) fail(node, expected);
    return *value;
  }
  bool flag(const YAML::Node& node) const {
    const std::string text = scalar(node, "true or false");
    if (text == "true" || text == "yes") return true;
    if (text == "false" || text == "no") return false;
    fail(node, "true or false");
  }
  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                  const std::string& what) const {
    for (auto it = map.begin(); it != map.end(); ++it)
      if (std::find(allowed.begin(), allowed.end(), it->first.Scalar()) == allowed.end())
        fail(it->first, "one of the keys of " + what + ": " + join(allowed),
             "unknown key '" + it->first.Scalar() + "'");
  }
  Theta theta(const std::string& name, const YAML::Node& node) const {
    Theta t;
    t.name = name;
    if (node.IsScalar()) {
      t.start = number(node, "a starting value");
      return t;
    }
    require_map(node, "a starting value or {start, lower, upper, fixed}");
    check_keys(node, {"start", "lower", "upper", "fixed"}, "a THETA");
    if (!node["start"]) fail(node, "a start for THETA " + name, "none");
    t.start = number(node["start"], "a starting value");
    if (node["lower"]) t.lower = number(node["lower"], "a lower bound");
    if (node["upper"]) t.upper = number(node["upper"], "an upper bound");
    if (node["fixed"]) t.fixed = flag(node["fixed"]);
    return t;
  }
  Declarations::EtaDecl eta(const YAML::Node& key, const YAML::Node& node) const {
    Declarations::EtaDecl e;
    e.name = key.Scalar();
    e.origin = UserError::location(source_, key.Mark().line + 1, key.Mark().column + 1);
    if (node.IsScalar()) {
      e.omega = number(node, "a starting variance (OMEGA)");
      return e;
    }
    require_map(node, "a starting variance or {omega, fixed, shape}");
    check_keys(node, {"omega", "fixed", "shape"}, "an ETA");
    if (node["omega"]) e.omega = number(node["omega"], "a starting variance (OMEGA)");
    if (node["fixed"]) e.fixed = flag(node["fixed"]);
    if (node["shape"]) {
      const std::string shape = scalar(node["shape"], "lognormal or normal");
      if (shape != "lognormal" && shape != "normal") fail(node["shape"], "lognormal or normal");
      e.normal = shape == "normal";
    }
    return e;
  }
  Declarations::ErrorDecl error(const YAML::Node& node) const {
    require_map(node, "{type, scale, additive, proportional, fixed}");
    check_keys(node, {"type", "scale", "additive", "proportional", "fixed"}, "an error model");
    Declarations::ErrorDecl e;
    if (node["type"]) {
      const std::string text =
          scalar(node["type"], "additive, proportional, combined or lognormal");
      const auto kind = parse_error_kind(text);
      if (!kind) fail(node["type"], "additive, proportional, combined or lognormal");
      e.kind = *kind;
    }
    if (node["scale"]) {
      const std::string text = scalar(node["scale"], "linear or log");
      if (text != "linear" && text != "log") fail(node["scale"], "linear or log");
      e.log_scale = text == "log";
    }
    if (node["additive"]) e.additive = number(node["additive"], "an additive error SD");
    if (node["proportional"])
      e.proportional = number(node["proportional"], "a proportional error SD");
    if (node["fixed"]) {
      const YAML::Node fixed = node["fixed"];
      std::vector<std::string> which;
      if (fixed.IsSequence())
        for (const auto& item : fixed) which.push_back(scalar(item, "additive or proportional"));
      else
        which.push_back(scalar(fixed, "additive or proportional"));
      for (const auto& w : which) {
        if (w == "additive")
          e.additive_fixed = true;
        else if (w == "proportional")
          e.proportional_fixed = true;
        else
          fail(fixed, "additive, proportional or a list of them");
      }
    }
    return e;
  }

  std::string source_;
  Declarations* out_;
};

void read_section(const std::string& model, Declarations* out) {
  std::error_code ignored;
  if (!std::filesystem::is_regular_file(model, ignored)) return;  // a library model
  std::string text;
  if (!pk::read_text_file(model, &text).empty()) return;  // the model loader reported it
  YAML::Node root;
  if (io::yaml::parse_text(text, &root)) return;  // the model loader has already reported it
  if (io::yaml::check_size(root) || !root.IsMap() || !root["population"]) return;
  SectionReader(model, out).read(root["population"]);
}

// ------------------------------------------------------------------------ the command line
void read_command_line(const PopulationSpec& spec, Declarations* out) {
  for (const auto& item : spec.etas) {
    const std::string where = "--eta " + item;
    Declarations::EtaDecl e;
    e.origin = where;
    std::string text = item;
    if (const size_t colon = text.rfind(':'); colon != std::string::npos) {
      const std::string shape = trim(text.substr(colon + 1));
      if (shape != "normal" && shape != "lognormal")
        throw UserError(where, "unknown shape '" + shape + "'", "lognormal (default) or normal");
      e.normal = shape == "normal";
      text = text.substr(0, colon);
    }
    const size_t equals = text.find('=');
    e.name = trim(text.substr(0, equals));
    if (e.name.empty()) throw UserError(where, "no name", "NAME[=OMEGA][:normal]");
    if (equals != std::string::npos) {
      const auto value = pk::parse_finite_number(trim(text.substr(equals + 1)));
      if (!value) throw UserError(where, "the variance is not a number", "NAME=OMEGA, e.g. CL=0.1");
      e.omega = *value;
    }
    out->etas.push_back(e);
  }
  for (const auto& item : spec.parameters) {
    const size_t equals = item.find('=');
    if (equals == std::string::npos || trim(item.substr(0, equals)).empty())
      throw UserError("--param " + item, "expected NAME = EXPRESSION",
                      "e.g. \"CL = tvCL * (WT/70)^0.75 * exp(eta_CL)\"");
    out->parameters.push_back({trim(item.substr(0, equals)), trim(item.substr(equals + 1))});
  }
  for (const auto& item : spec.thetas) {
    const std::string where = "--theta " + item;
    const size_t equals = item.find('=');
    if (equals == std::string::npos) throw UserError(where, "expected NAME=START[:LOWER:UPPER]");
    Theta t;
    t.name = trim(item.substr(0, equals));
    const std::vector<std::string> parts = split(item.substr(equals + 1), ':');
    if (parts.size() != 1 && parts.size() != 3)
      throw UserError(where, "expected NAME=START or NAME=START:LOWER:UPPER");
    auto value = [&](const std::string& text, double if_empty) -> double {
      if (text.empty()) return if_empty;
      if (text == "inf" || text == "+inf") return std::numeric_limits<double>::infinity();
      if (text == "-inf") return -std::numeric_limits<double>::infinity();
      const auto v = pk::parse_finite_number(text);
      if (!v) throw UserError(where, "'" + text + "' is not a number");
      return *v;
    };
    t.start = value(parts[0], std::numeric_limits<double>::quiet_NaN());
    if (parts.size() == 3) {
      t.lower = value(parts[1], -std::numeric_limits<double>::infinity());
      t.upper = value(parts[2], std::numeric_limits<double>::infinity());
    }
    out->thetas.push_back(t);
  }
  for (const auto& item : spec.omega_blocks) {
    std::vector<std::string> names = split(item, ',');
    if (names.size() < 2 || std::find(names.begin(), names.end(), "") != names.end())
      throw UserError("--omega-block " + item, "expected two or more names, e.g. CL,V");
    out->blocks.push_back(names);
  }
  if (spec.error) {
    auto& all = out->errors[""];
    all.kind = *spec.error;
    // An error kind given on the command line replaces the file's kind for every observable.
    for (auto& [name, decl] : out->errors) decl.kind = *spec.error;
  }
  for (const auto& [name, kind] : spec.error_by_observable) out->errors[name].kind = kind;
  if (spec.log_scale)
    for (auto& [name, decl] : out->errors) decl.log_scale = *spec.log_scale;
  if (spec.log_scale && !out->errors.count("")) out->errors[""].log_scale = *spec.log_scale;
}

double median_abs(std::vector<double> values) {
  for (double& v : values) v = std::abs(v);
  if (values.empty()) return 1;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

PopulationModel build_population_model(const PopulationSpec& spec, const std::string& model_name,
                                       const PopulationData& data,
                                       std::vector<std::string>* notes) {
  Declarations d;
  read_section(model_name, &d);
  read_command_line(spec, &d);

  std::vector<std::string> model_parameters;
  for (const auto& p : data.model_parameters) model_parameters.push_back(p.name);
  auto model_index = [&](const std::string& name) {
    for (size_t m = 0; m < model_parameters.size(); ++m)
      if (model_parameters[m] == name) return static_cast<int>(m);
    return -1;
  };
  std::set<std::string> expression_lhs;
  for (const auto& p : d.parameters) expression_lhs.insert(p.model_parameter);
  // Names used in expressions (free names other than data columns), to tell ETAs declared
  // for expressions from shorthand random effects on model parameters.
  std::set<std::string> used_names;
  for (const auto& p : d.parameters) {
    try {
      const Expression e = Expression::parse(p.expression, data.covariate_names);
      used_names.insert(e.parameters().begin(), e.parameters().end());
    } catch (const ExpressionError& error) {
      throw UserError("individual parameter " + p.model_parameter + " = " + p.expression,
                      error.what());
    }
  }

  PopulationModel model;
  std::map<std::string, double> start = spec.start, fixed = spec.fixed;
  std::set<std::string> consumed;
  auto take = [&](const std::string& name, double* value, bool* is_fixed) {
    if (auto it = fixed.find(name); it != fixed.end()) {
      *value = it->second;
      *is_fixed = true;
      consumed.insert(name);
      return true;
    }
    if (auto it = start.find(name); it != start.end()) {
      *value = it->second;
      consumed.insert(name);
      return true;
    }
    return false;
  };

  // THETAs declared for expressions.
  for (Theta t : d.thetas) {
    take(t.name, &t.start, &t.fixed);
    if (!std::isfinite(t.start))
      throw UserError("THETA " + t.name, "no starting value",
                      "--theta NAME=START or --start NAME=VALUE");
    model.thetas.push_back(t);
  }
  // ETAs: shorthand on model parameters, or declared for expressions.
  std::vector<std::string> shorthand_of(d.etas.size());
  for (size_t k = 0; k < d.etas.size(); ++k) {
    auto& e = d.etas[k];
    const int m = model_index(e.name);
    if (m >= 0 && !expression_lhs.count(e.name) && !used_names.count(e.name)) {
      const FitParameter& parameter = data.model_parameters[static_cast<size_t>(m)];
      Theta t;
      t.name = "tv" + e.name;
      t.start = parameter.start;
      t.lower = parameter.lower;
      t.upper = parameter.upper;
      if (!take(e.name, &t.start, &t.fixed)) take(t.name, &t.start, &t.fixed);
      if (t.start < t.lower || t.start > t.upper || (t.lower >= 0 && !(t.start > t.lower)))
        throw UserError(e.origin,
                        "the typical value of " + e.name + " starts at " + format_number(t.start) +
                            ", outside the model's bounds for it [" + format_number(t.lower) +
                            ", " + format_number(t.upper) + "]",
                        "a start inside the bounds", "--start " + e.name + "=VALUE");
      const std::string eta = "eta_" + e.name;
      if (model.theta_index(t.name) < 0) model.thetas.push_back(t);
      model.parameters.push_back(
          {e.name, e.normal ? t.name + " + " + eta : t.name + " * exp(" + eta + ")"});
      shorthand_of[k] = e.name;
      e.name = eta;
    } else if (!used_names.count(e.name)) {
      throw UserError(e.origin,
                      "'" + e.name +
                          "' is neither a parameter of the model nor an ETA used in an "
                          "individual-parameter expression",
                      "a model parameter (" + join(model_parameters) + ") or an ETA of a --param",
                      "put the random effect on a parameter the model has");
    }
    bool is_fixed = e.fixed;
    take(e.name, &e.omega, &is_fixed);
    e.fixed = is_fixed;
    if (!(e.omega > 0))
      throw UserError(e.origin,
                      "the starting variance of " + e.name + " is " + format_number(e.omega) +
                          ": OMEGA is not positive definite",
                      "a variance > 0");
    if (model.eta_index(e.name) >= 0)
      throw UserError(e.origin, "the random effect " + e.name + " is declared twice");
    model.etas.push_back(e.name);
  }
  for (const auto& p : d.parameters) model.parameters.push_back(p);
  // Model parameters without an expression: estimated as NAME = tvNAME with a --start, held
  // with a --fix, else held at the model's value.
  std::vector<std::string> held;
  std::set<std::string> assigned;
  for (const auto& p : model.parameters) assigned.insert(p.model_parameter);
  for (size_t m = 0; m < model_parameters.size(); ++m) {
    const std::string& name = model_parameters[m];
    if (assigned.count(name)) continue;
    if (auto it = fixed.find(name); it != fixed.end()) {
      model.held.push_back({name, it->second});
      consumed.insert(name);
    } else if (auto s = start.find(name); s != start.end()) {
      const FitParameter& parameter = data.model_parameters[m];
      Theta t{"tv" + name, s->second, parameter.lower, parameter.upper, false};
      consumed.insert(name);
      model.thetas.push_back(t);
      model.parameters.push_back({name, t.name});
    } else {
      held.push_back(name + " = " + format_number(data.model_parameters[m].start));
    }
  }
  if (!held.empty() && notes)
    notes->push_back("held at the model's values (no random effect, --start or --param): " +
                     join(held));
  // OMEGA blocks.
  std::vector<bool> in_block(model.etas.size(), false);
  for (const auto& names : d.blocks) {
    OmegaBlock block;
    block.diagonal = false;
    for (const auto& raw : names) {
      std::string name = raw;
      if (model.eta_index(name) < 0 && model.eta_index("eta_" + name) >= 0) name = "eta_" + name;
      const int k = model.eta_index(name);
      if (k < 0)
        throw UserError("OMEGA block " + join(names), "'" + raw + "' is not a random effect",
                        "ETAs " + join(model.etas));
      if (in_block[static_cast<size_t>(k)])
        throw UserError("OMEGA block " + join(names), name + " is in two blocks");
      in_block[static_cast<size_t>(k)] = true;
      block.etas.push_back(k);
    }
    const size_t n = block.etas.size();
    block.start.assign(n * n, 0.0);
    bool any_fixed = false, all_fixed = true;
    for (size_t a = 0; a < n; ++a) {
      const auto& e = d.etas[static_cast<size_t>(block.etas[a])];
      block.start[a * n + a] = e.omega;
      any_fixed = any_fixed || e.fixed;
      all_fixed = all_fixed && e.fixed;
    }
    if (any_fixed && !all_fixed)
      throw UserError("OMEGA block " + join(names), "some but not all of its ETAs are fixed",
                      "a whole block fixed or estimated");
    block.fixed = all_fixed;
    model.omega.push_back(block);
  }
  for (size_t k = 0; k < model.etas.size(); ++k) {
    if (in_block[k]) continue;
    model.omega.push_back({{static_cast<int>(k)}, {d.etas[k].omega}, true, d.etas[k].fixed});
  }
  // Residual errors, one per observable.
  for (const auto& [name, decl] : d.errors)
    if (!name.empty() &&
        std::find(data.observables.begin(), data.observables.end(), name) == data.observables.end())
      throw UserError("error model of " + name, "'" + name + "' is not an observable of the data",
                      "one of " + join(data.observables));
  for (size_t o = 0; o < data.observables.size(); ++o) {
    const std::string& observable = data.observables[o];
    Declarations::ErrorDecl decl = d.errors.count("") ? d.errors.at("") : Declarations::ErrorDecl{};
    if (auto it = d.errors.find(observable); it != d.errors.end()) {
      const auto& own = it->second;
      if (own.kind) decl.kind = own.kind;
      if (own.log_scale) decl.log_scale = own.log_scale;
      if (own.additive) decl.additive = own.additive;
      if (own.proportional) decl.proportional = own.proportional;
      decl.additive_fixed = decl.additive_fixed || own.additive_fixed;
      decl.proportional_fixed = decl.proportional_fixed || own.proportional_fixed;
    }
    ResidualError error;
    error.observable = observable;
    error.kind = decl.kind.value_or(ErrorKind::kAdditive);
    error.log_scale = decl.log_scale.value_or(false);
    if (error.kind == ErrorKind::kLogNormal) {
      error.kind = ErrorKind::kAdditive;
      error.log_scale = true;
    }
    std::vector<double> values;
    for (const auto& subject : data.subjects)
      for (size_t j = 0; j < subject.y.size(); ++j)
        if (subject.block[j] == static_cast<int>(o))
          values.push_back(error.log_scale && subject.y[j] > 0 ? std::log(subject.y[j])
                                                               : subject.y[j]);
    error.additive_sd = decl.additive.value_or(error.log_scale ? 0.2 : 0.1 * median_abs(values));
    error.proportional_sd = decl.proportional.value_or(kDefaultProportionalSd);
    error.additive_fixed = decl.additive_fixed;
    error.proportional_fixed = decl.proportional_fixed;
    for (const std::string& prefix : {std::string(), observable + "."}) {
      take(prefix + "sigma_add", &error.additive_sd, &error.additive_fixed);
      take(prefix + "sigma_prop", &error.proportional_sd, &error.proportional_fixed);
    }
    model.errors.push_back(error);
  }
  // Anything given a start or value that nothing took.
  for (const auto* map : {&start, &fixed})
    for (const auto& [name, value] : *map)
      if (!consumed.count(name)) {
        std::vector<std::string> known = model_parameters;
        for (const auto& t : model.thetas) known.push_back(t.name);
        for (const auto& e : model.etas) known.push_back(e);
        known.push_back("sigma_add");
        known.push_back("sigma_prop");
        throw UserError(std::string(map == &start ? "--start " : "--fix ") + name,
                        "'" + name + "' is not a parameter of the population model",
                        "one of " + join(known));
      }
  validate(model);
  return model;
}

}  // namespace onset::fits::population
