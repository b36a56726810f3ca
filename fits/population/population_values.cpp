#include "fits/population/population_values.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "io/format.hpp"
#include "pk/user_error.hpp"

namespace onset::fits::population {

namespace {

using Kind = PopulationEstimate::Kind;

std::string kind_word(Kind kind) {
  return kind == Kind::kTheta ? "THETA" : kind == Kind::kOmega ? "OMEGA" : "SIGMA";
}

// The values of `model`'s parameters by (kind, name), as the reports name them.
using Values = std::map<std::pair<Kind, std::string>, double>;

void apply_values(const Values& values, const std::string& source, PopulationModel* model) {
  auto find = [&](Kind kind, const std::string& name) {
    const auto it = values.find({kind, name});
    if (it != values.end()) return it->second;
    std::string names;
    for (const auto& [key, value] : values)
      if (key.first == kind) names += (names.empty() ? "" : ", ") + key.second;
    throw UserError(source, "the fit has no " + kind_word(kind) + " named '" + name + "'",
                    kind_word(kind) + "s of the fit: " + (names.empty() ? "none" : names),
                    "give the population model the fit was made with");
  };
  for (Theta& theta : model->thetas) {
    theta.start = find(Kind::kTheta, theta.name);
    if (!std::isfinite(theta.start) || theta.start < theta.lower || theta.start > theta.upper)
      throw UserError(source, "THETA " + theta.name + " of the fit, " + format_number(theta.start) +
                                  ", is outside its bounds [" + format_number(theta.lower) + ", " +
                                  format_number(theta.upper) + "]");
  }
  for (OmegaBlock& block : model->omega) {
    const size_t k = block.etas.size();
    for (size_t a = 0; a < k; ++a)
      for (size_t c = 0; c <= a; ++c) {
        if (a != c && block.diagonal) continue;
        const std::string& row = model->etas[static_cast<size_t>(block.etas[a])];
        const std::string& column = model->etas[static_cast<size_t>(block.etas[c])];
        const double value = find(Kind::kOmega, a == c ? row : row + "," + column);
        block.start[a * k + c] = block.start[c * k + a] = value;
      }
  }
  for (ResidualError& error : model->errors) {
    auto sd = [&](const std::string& component) {
      const double variance = find(Kind::kSigma, error.observable + " " + component);
      if (!(variance > 0) || !std::isfinite(variance))
        throw UserError(source,
                        "the residual variance of " + error.observable + " " + component + " is " +
                            format_number(variance),
                        "a positive number");
      return std::sqrt(variance);
    };
    if (error.has_additive()) error.additive_sd = sd("additive");
    if (error.has_proportional()) error.proportional_sd = sd("proportional");
  }
  validate(*model);
}

}  // namespace

PopulationPoint start_point(const PopulationModel& model, size_t num_observables) {
  PopulationPoint point;
  for (const Theta& theta : model.thetas) point.theta.push_back(theta.start);
  const auto q = static_cast<Eigen::Index>(model.etas.size());
  const std::vector<double> omega = model.omega_start();
  point.omega =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          omega.data(), q, q);
  point.additive_sd.assign(num_observables, 0.0);
  point.proportional_sd.assign(num_observables, 0.0);
  for (size_t o = 0; o < model.errors.size() && o < num_observables; ++o) {
    point.additive_sd[o] = model.errors[o].has_additive() ? model.errors[o].additive_sd : 0.0;
    point.proportional_sd[o] =
        model.errors[o].has_proportional() ? model.errors[o].proportional_sd : 0.0;
  }
  if (!point.prepare())
    throw UserError("population model", "OMEGA is not positive definite",
                    "variances > 0 and |correlations| < 1");
  return point;
}

PopulationModel with_point(PopulationModel model, const PopulationPoint& point) {
  for (size_t k = 0; k < model.thetas.size(); ++k) model.thetas[k].start = point.theta[k];
  for (OmegaBlock& block : model.omega) {
    const size_t k = block.etas.size();
    for (size_t a = 0; a < k; ++a)
      for (size_t c = 0; c < k; ++c)
        block.start[a * k + c] =
            a == c || !block.diagonal ? point.omega(block.etas[a], block.etas[c]) : 0.0;
  }
  for (size_t o = 0; o < model.errors.size(); ++o) {
    if (model.errors[o].has_additive()) model.errors[o].additive_sd = point.additive_sd[o];
    if (model.errors[o].has_proportional())
      model.errors[o].proportional_sd = point.proportional_sd[o];
  }
  return model;
}

PopulationPoint point_from_summary(const PopulationModel& model, const PopulationSummary& summary) {
  Values values;
  for (const PopulationEstimate& e : summary.estimates) values[{e.kind, e.name}] = e.estimate;
  PopulationModel copy = model;
  apply_values(values, "population fit", &copy);
  return start_point(copy, copy.errors.size());
}

void apply_fit_json(const std::string& json_text, const std::string& source,
                    PopulationModel* model) {
  nlohmann::json fit;
  try {
    fit = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw UserError(source, "not JSON (" + std::string(e.what()) + ")",
                    "the JSON output of a population fit (onset fit --population --format json)");
  }
  Values values;
  const std::pair<const char*, Kind> sections[] = {
      {"theta", Kind::kTheta}, {"omega", Kind::kOmega}, {"sigma", Kind::kSigma}};
  for (const auto& [key, kind] : sections) {
    if (!fit.is_object() || !fit.contains(key) || !fit[key].is_array())
      throw UserError(source, std::string("no \"") + key + "\" list",
                      "the JSON output of a population fit (onset fit --population --format json)");
    for (const auto& item : fit[key]) {
      if (!item.is_object() || !item.contains("name") || !item["name"].is_string() ||
          !item.contains("estimate") || !item["estimate"].is_number())
        throw UserError(
            source,
            std::string("an entry of \"") + key + "\" without a name and a numeric estimate",
            "{\"name\": ..., \"estimate\": ...}");
      values[{kind, item["name"].get<std::string>()}] = item["estimate"].get<double>();
    }
  }
  apply_values(values, source, model);
}

namespace {

nlohmann::json bound(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

double bound_from(const nlohmann::json& value, double otherwise) {
  return value.is_number() ? value.get<double>() : otherwise;
}

}  // namespace

std::string with_population_model_json(const std::string& fit_json, const PopulationModel& model) {
  nlohmann::json out = nlohmann::json::parse(fit_json);
  nlohmann::json thetas = nlohmann::json::array(), blocks = nlohmann::json::array(),
                 parameters = nlohmann::json::array(), errors = nlohmann::json::array(),
                 held = nlohmann::json::array();
  for (const Theta& t : model.thetas)
    thetas.push_back({{"name", t.name},
                      {"lower", bound(t.lower)},
                      {"upper", bound(t.upper)},
                      {"fixed", t.fixed}});
  for (const OmegaBlock& b : model.omega) {
    nlohmann::json etas = nlohmann::json::array();
    for (int k : b.etas) etas.push_back(model.etas[static_cast<size_t>(k)]);
    blocks.push_back({{"etas", etas}, {"diagonal", b.diagonal}, {"fixed", b.fixed}});
  }
  for (const IndividualParameter& p : model.parameters)
    parameters.push_back({{"parameter", p.model_parameter}, {"expression", p.expression}});
  for (const ResidualError& e : model.errors)
    errors.push_back({{"observable", e.observable},
                      {"type", std::string(error_kind_name(e.kind))},
                      {"log_scale", e.log_scale},
                      {"additive_fixed", e.additive_fixed},
                      {"proportional_fixed", e.proportional_fixed}});
  for (const auto& [name, value] : model.held)
    held.push_back({{"parameter", name}, {"value", value}});
  out["population_model"] = {{"thetas", thetas},       {"etas", model.etas},
                             {"omega_blocks", blocks}, {"parameters", parameters},
                             {"errors", errors},       {"held", held}};
  return out.dump(2);
}

bool population_model_from_fit_json(const std::string& json_text, const std::string& source,
                                    PopulationModel* model) {
  nlohmann::json fit;
  try {
    fit = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw UserError(source, "not JSON (" + std::string(e.what()) + ")",
                    "the JSON output of a population fit (onset fit --population --format json)");
  }
  if (!fit.is_object() || !fit.contains("population_model")) return false;
  const nlohmann::json& m = fit["population_model"];
  auto fail = [&](const std::string& what) -> void {
    throw UserError(source, "\"population_model\": " + what,
                    "the JSON output of a population fit (onset fit --population --format json)");
  };
  PopulationModel out;
  try {
    for (const auto& t : m.at("thetas")) {
      Theta theta;
      theta.name = t.at("name").get<std::string>();
      theta.lower = bound_from(t.at("lower"), -std::numeric_limits<double>::infinity());
      theta.upper = bound_from(t.at("upper"), std::numeric_limits<double>::infinity());
      theta.fixed = t.at("fixed").get<bool>();
      out.thetas.push_back(theta);
    }
    out.etas = m.at("etas").get<std::vector<std::string>>();
    for (const auto& b : m.at("omega_blocks")) {
      OmegaBlock block;
      for (const auto& name : b.at("etas")) {
        const int k = out.eta_index(name.get<std::string>());
        if (k < 0) fail("an OMEGA block names an unknown ETA");
        block.etas.push_back(k);
      }
      block.diagonal = b.at("diagonal").get<bool>();
      block.fixed = b.at("fixed").get<bool>();
      const size_t k = block.etas.size();
      block.start.assign(k * k, 0.0);
      for (size_t a = 0; a < k; ++a) block.start[a * k + a] = 1;  // replaced by the estimates
      out.omega.push_back(block);
    }
    for (const auto& p : m.at("parameters"))
      out.parameters.push_back(
          {p.at("parameter").get<std::string>(), p.at("expression").get<std::string>()});
    for (const auto& e : m.at("errors")) {
      ResidualError error;
      error.observable = e.at("observable").get<std::string>();
      const auto kind = parse_error_kind(e.at("type").get<std::string>());
      if (!kind) fail("an unknown error type");
      error.kind = *kind;
      error.log_scale = e.at("log_scale").get<bool>();
      error.additive_fixed = e.at("additive_fixed").get<bool>();
      error.proportional_fixed = e.at("proportional_fixed").get<bool>();
      out.errors.push_back(error);
    }
    for (const auto& h : m.at("held"))
      out.held.push_back({h.at("parameter").get<std::string>(), h.at("value").get<double>()});
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("malformed (") + e.what() + ")");
  }
  for (Theta& theta : out.thetas)  // a start inside the bounds until the estimates replace it
    theta.start =
        std::isfinite(theta.lower)
            ? theta.lower + (std::isfinite(theta.upper) ? 0.5 * (theta.upper - theta.lower) : 1)
            : 0;
  apply_fit_json(json_text, source, &out);
  *model = std::move(out);
  return true;
}

}  // namespace onset::fits::population
