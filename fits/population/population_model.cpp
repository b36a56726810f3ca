#include "fits/population/population_model.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <set>

#include "io/format.hpp"
#include "pk/user_error.hpp"

namespace onset::fits::population {

namespace {

[[noreturn]] void fail(const std::string& problem, const std::string& expected = {},
                       const std::string& fix = {}) {
  throw UserError("population model", problem, expected, fix);
}

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "none" : text;
}

}  // namespace

int PopulationModel::theta_index(std::string_view name) const {
  for (size_t k = 0; k < thetas.size(); ++k)
    if (thetas[k].name == name) return static_cast<int>(k);
  return -1;
}

int PopulationModel::eta_index(std::string_view name) const {
  for (size_t k = 0; k < etas.size(); ++k)
    if (etas[k] == name) return static_cast<int>(k);
  return -1;
}

std::vector<double> PopulationModel::omega_start() const {
  const size_t q = etas.size();
  std::vector<double> matrix(q * q, 0.0);
  for (const auto& block : omega) {
    const size_t k = block.etas.size();
    for (size_t a = 0; a < k; ++a)
      for (size_t b = 0; b < k; ++b)
        matrix[static_cast<size_t>(block.etas[a]) * q + static_cast<size_t>(block.etas[b])] =
            block.start[a * k + b];
  }
  return matrix;
}

void validate(const PopulationModel& model) {
  std::set<std::string> names;
  for (const auto& theta : model.thetas) {
    if (!names.insert(theta.name).second)
      fail("the name '" + theta.name + "' is declared twice", "unique THETA and ETA names");
    if (!std::isfinite(theta.start)) fail("THETA " + theta.name + " has no finite starting value");
    if (theta.start < theta.lower || theta.start > theta.upper)
      fail("THETA " + theta.name + " starts at " + format_number(theta.start) +
               ", outside its bounds [" + format_number(theta.lower) + ", " +
               format_number(theta.upper) + "]",
           "a start within the bounds");
    if (!theta.fixed && theta.lower == theta.upper)
      fail("THETA " + theta.name + " has equal lower and upper bounds",
           "lower < upper, or a fixed THETA");
  }
  for (const auto& eta : model.etas)
    if (!names.insert(eta).second)
      fail("the name '" + eta + "' is declared twice", "unique THETA and ETA names");
  if (model.etas.empty())
    fail("no random effects", "at least one ETA (--eta NAME=OMEGA)",
         "declare a random effect on a model parameter, e.g. --eta CL=0.1");
  std::vector<int> block_of(model.etas.size(), -1);
  for (size_t b = 0; b < model.omega.size(); ++b) {
    const auto& block = model.omega[b];
    const size_t k = block.etas.size();
    if (k == 0 || block.start.size() != k * k)
      fail("OMEGA block " + std::to_string(b + 1) + " is empty or its size does not match");
    std::vector<std::string> block_names;
    for (int eta : block.etas) {
      if (eta < 0 || eta >= static_cast<int>(model.etas.size()))
        fail("OMEGA block " + std::to_string(b + 1) + " names an ETA that does not exist");
      if (block_of[static_cast<size_t>(eta)] >= 0)
        fail("ETA " + model.etas[static_cast<size_t>(eta)] + " is in two OMEGA blocks",
             "each ETA in exactly one block");
      block_of[static_cast<size_t>(eta)] = static_cast<int>(b);
      block_names.push_back(model.etas[static_cast<size_t>(eta)]);
    }
    Eigen::MatrixXd omega(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k));
    for (size_t a = 0; a < k; ++a)
      for (size_t c = 0; c < k; ++c) {
        const double value = block.start[a * k + c];
        if (!std::isfinite(value)) fail("OMEGA of " + join(block_names) + " is not finite");
        if (value != block.start[c * k + a])
          fail("OMEGA block (" + join(block_names) + ") is not symmetric",
               "OMEGA(i, j) = OMEGA(j, i)");
        if (block.diagonal && a != c && value != 0)
          fail("a diagonal OMEGA block (" + join(block_names) + ") has a covariance",
               "a full block (--omega-block) for correlated random effects");
        omega(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(c)) = value;
      }
    Eigen::LLT<Eigen::MatrixXd> cholesky(omega);
    if (cholesky.info() != Eigen::Success || (omega.diagonal().array() <= 0).any())
      fail("OMEGA of " + join(block_names) + " is not positive definite",
           "variances > 0 and a covariance matrix with positive eigenvalues (|correlation| < 1)",
           "give positive starting variances, and covariances smaller in magnitude than "
           "sqrt(OMEGA(i,i) OMEGA(j,j))");
  }
  for (size_t e = 0; e < model.etas.size(); ++e)
    if (block_of[e] < 0) fail("ETA " + model.etas[e] + " is in no OMEGA block");
  if (model.errors.empty()) fail("no residual error model", "one per observable");
  for (const auto& error : model.errors) {
    if (error.kind == ErrorKind::kLogNormal)
      fail("observable " + error.observable + ": use additive error on log scale for log-normal",
           "additive, proportional or combined");
    if (error.has_additive() && !(error.additive_sd > 0 && std::isfinite(error.additive_sd)))
      fail("observable " + error.observable + ": the additive error SD must be positive, found " +
           format_number(error.additive_sd));
    if (error.has_proportional() &&
        !(error.proportional_sd > 0 && std::isfinite(error.proportional_sd)))
      fail("observable " + error.observable +
           ": the proportional error SD must be positive, found " +
           format_number(error.proportional_sd));
  }
}

IndividualModel::IndividualModel(const PopulationModel& population,
                                 const std::vector<std::string>& model_parameters,
                                 const std::vector<double>& model_defaults,
                                 const std::vector<std::string>& covariate_names)
    : num_thetas_(population.thetas.size()),
      num_etas_(population.etas.size()),
      defaults_(model_defaults) {
  auto parameter_index = [&](const std::string& name) {
    for (size_t m = 0; m < model_parameters.size(); ++m)
      if (model_parameters[m] == name) return static_cast<int>(m);
    return -1;
  };
  for (const auto& [name, value] : population.held) {
    const int m = parameter_index(name);
    if (m < 0)
      fail("'" + name + "' is not a parameter of the model", "one of " + join(model_parameters));
    defaults_[static_cast<size_t>(m)] = value;
  }
  std::vector<bool> eta_used(num_etas_, false), column_used(covariate_names.size(), false);
  std::set<int> assigned;
  for (const auto& parameter : population.parameters) {
    const int m = parameter_index(parameter.model_parameter);
    if (m < 0)
      fail("'" + parameter.model_parameter +
               "' is not a parameter of the model (it has an individual-parameter expression or "
               "a random effect)",
           "one of " + join(model_parameters));
    if (!assigned.insert(m).second)
      fail("parameter " + parameter.model_parameter + " has two expressions");
    // Data columns are the expression's variables: only those it names (a first parse with
    // none lists every free name), so that a column it does not read is never required.
    std::vector<std::string> columns;
    const Expression probe = Expression::parse(parameter.expression, {});
    for (const auto& name : probe.parameters())
      if (std::find(covariate_names.begin(), covariate_names.end(), name) != covariate_names.end())
        columns.push_back(name);
    Compiled compiled{m, Expression::parse(parameter.expression, columns), {}, {}, false};
    for (const auto& name : compiled.expression.parameters()) {
      const int theta = population.theta_index(name);
      const int eta = population.eta_index(name);
      if (theta >= 0) {
        compiled.source.push_back(theta);
      } else if (eta >= 0) {
        compiled.source.push_back(static_cast<int>(num_thetas_) + eta);
        compiled.depends_on_eta = true;
        eta_used[static_cast<size_t>(eta)] = true;
      } else {
        std::vector<std::string> thetas, etas = population.etas;
        for (const auto& t : population.thetas) thetas.push_back(t.name);
        fail("'" + name + "' in the expression of " + parameter.model_parameter + " (" +
                 parameter.expression + ") is not a THETA, an ETA or a data column",
             "THETAs " + join(thetas) + "; ETAs " + join(etas) + "; columns " +
                 join(covariate_names),
             "declare it with --theta " + name + "=START, or add the column to the data set");
      }
    }
    for (const auto& variable : compiled.expression.variables()) {
      const auto it = std::find(covariate_names.begin(), covariate_names.end(), variable);
      const int column = static_cast<int>(it - covariate_names.begin());
      compiled.variable_column.push_back(column);
      column_used[static_cast<size_t>(column)] = true;
    }
    compiled_.push_back(std::move(compiled));
  }
  for (size_t e = 0; e < num_etas_; ++e)
    if (!eta_used[e])
      fail("ETA " + population.etas[e] + " appears in no individual-parameter expression",
           "every ETA used, e.g. CL = tvCL * exp(" + population.etas[e] + ")");
  row_of_parameter_.assign(defaults_.size(), -1);
  for (const auto& compiled : compiled_) {
    if (!compiled.depends_on_eta) continue;
    row_of_parameter_[static_cast<size_t>(compiled.model_parameter)] =
        static_cast<int>(eta_dependent_.size());
    eta_dependent_.push_back(compiled.model_parameter);
  }
  for (size_t c = 0; c < column_used.size(); ++c)
    if (column_used[c]) covariates_used_.push_back(static_cast<int>(c));
}

void IndividualModel::evaluate(std::span<const double> theta, std::span<const double> eta,
                               std::span<const double> covariates, std::span<double> phi,
                               std::span<double> d_phi_d_eta, Scratch* scratch) const {
  std::copy(defaults_.begin(), defaults_.end(), phi.begin());
  if (!d_phi_d_eta.empty()) std::fill(d_phi_d_eta.begin(), d_phi_d_eta.end(), 0.0);
  for (const auto& compiled : compiled_) {
    const size_t nv = compiled.variable_column.size(), np = compiled.source.size();
    if (scratch->values.size() < nv + 2 * np) scratch->values.resize(nv + 2 * np);
    double* variables = scratch->values.data();
    double* parameters = variables + nv;
    double* gradient = parameters + np;
    for (size_t v = 0; v < nv; ++v)
      variables[v] = covariates[static_cast<size_t>(compiled.variable_column[v])];
    for (size_t k = 0; k < np; ++k) {
      const auto source = static_cast<size_t>(compiled.source[k]);
      parameters[k] = source < num_thetas_ ? theta[source] : eta[source - num_thetas_];
    }
    const size_t m = static_cast<size_t>(compiled.model_parameter);
    const int row = row_of_parameter_[m];
    phi[m] = compiled.expression.evaluate_with_gradient({variables, nv}, {parameters, np},
                                                        {gradient, np}, &scratch->stack);
    if (d_phi_d_eta.empty() || row < 0) continue;
    for (size_t k = 0; k < np; ++k) {
      const auto source = static_cast<size_t>(compiled.source[k]);
      if (source >= num_thetas_)
        d_phi_d_eta[static_cast<size_t>(row) * num_etas_ + (source - num_thetas_)] += gradient[k];
    }
  }
}

}  // namespace onset::fits::population
