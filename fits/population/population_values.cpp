#include "fits/population/population_values.hpp"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "pk/format.hpp"
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

}  // namespace onset::fits::population
