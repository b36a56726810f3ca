#include "pk/model.hpp"

#include <algorithm>
#include <stdexcept>

namespace onset::pk {

namespace {
template <typename Info>
int index_of(std::span<const Info> items, std::string_view name) {
  const auto it =
      std::find_if(items.begin(), items.end(), [&](const Info& item) { return item.name == name; });
  return it == items.end() ? -1 : static_cast<int>(it - items.begin());
}
}  // namespace

std::vector<double> Model::default_parameters() const {
  std::vector<double> values;
  values.reserve(parameters().size());
  for (const auto& parameter : parameters()) values.push_back(parameter.value);
  return values;
}

int Model::state_index(std::string_view name) const { return index_of(states(), name); }
int Model::parameter_index(std::string_view name) const { return index_of(parameters(), name); }
int Model::observable_index(std::string_view name) const { return index_of(observables(), name); }

void Model::initial_state(std::span<const double> /*p*/, std::span<double> y0) const {
  std::fill(y0.begin(), y0.end(), 0.0);
}

void Model::jacobian(double /*t*/, std::span<const double> /*y*/, std::span<const double> /*p*/,
                     std::span<double> /*jac*/) const {
  throw std::logic_error("model '" + std::string(name()) + "' has no analytic Jacobian");
}

void Model::jacobian_sparse_prepared(double /*t*/, std::span<const double> /*y*/,
                                     std::span<const double> /*p*/, std::span<double> /*workspace*/,
                                     std::span<double> /*values*/) const {
  throw std::logic_error("model '" + std::string(name()) + "' has no sparse Jacobian");
}

DoseModifiers Model::dose_modifiers(int /*state*/, std::span<const double> /*p*/,
                                    std::span<const double> /*covariates*/) const {
  return {};
}

std::string Model::check_parameters(std::span<const double> /*p*/) const { return {}; }

bool Model::linear_system(std::span<const double> /*p*/, std::span<double> /*a*/,
                          std::span<double> /*b*/) const {
  return false;
}

}  // namespace onset::pk
