// The population (nonlinear mixed-effects) model: what is estimated and how each subject's
// model parameters follow from it.
//
//   individual parameter   phi_m = expression_m(THETA, ETA, covariates of the subject)
//                          e.g. CL = tvCL * (WT/70)^dCLWT * dCLSEX^SEX * exp(eta_CL)
//   random effects         ETA ~ N(0, OMEGA), OMEGA block diagonal (each block diagonal or
//                          full, estimated or fixed)
//   observation j          y_j = f_j(phi) + e_j, e_j ~ N(0, V_j), per observable
//                          V_j = a^2 (additive), b^2 f_j^2 (proportional), a^2 + b^2 f_j^2
//                          (combined); on log scale y_j and f_j are replaced by their logs
//
// A PopulationModel is plain data (declared on the command line or in a model file's
// `population:` section, fits/population/population_spec.hpp); IndividualModel is its compiled
// form over one structural model and one data set's covariate columns: the expressions parsed
// once (fits/expression.hpp: interpreted, never compiled as code) with exact derivatives of
// every individual parameter with respect to the ETAs.
#pragma once

#include <limits>
#include <span>
#include <string>
#include <vector>

#include "fits/expression.hpp"
#include "fits/fit_problem.hpp"

namespace onset::fits::population {

// A fixed effect (THETA).
struct Theta {
  std::string name;
  double start = 1;
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
  bool fixed = false;
};

// One block of OMEGA: the random effects it covers (indices into PopulationModel::etas) and
// the starting covariance (row-major k x k). `diagonal`: only the variances are estimated (the
// covariances stay 0); otherwise the whole block (a full, correlated block).
struct OmegaBlock {
  std::vector<int> etas;
  std::vector<double> start;
  bool diagonal = true;
  bool fixed = false;
};

// Residual error of one observable. Standard deviations: `additive_sd` a (in the observable's
// unit, or log units on log scale), `proportional_sd` b (a fraction). NONMEM's SIGMA is their
// square. Additive: V = a^2; proportional: V = b^2 f^2; combined: V = a^2 + b^2 f^2.
struct ResidualError {
  std::string observable;
  ErrorKind kind = ErrorKind::kProportional;  // kAdditive, kProportional or kCombined
  bool log_scale = false;  // log y = log f + e (with kAdditive: exponential error)
  double additive_sd = 1;
  double proportional_sd = 0.1;
  bool additive_fixed = false;
  bool proportional_fixed = false;
  bool has_additive() const { return kind != ErrorKind::kProportional; }
  bool has_proportional() const { return kind != ErrorKind::kAdditive; }
};

// How a model parameter is set per subject: an expression of THETAs, ETAs and covariates.
struct IndividualParameter {
  std::string model_parameter;
  std::string expression;
};

struct PopulationModel {
  std::vector<Theta> thetas;
  std::vector<std::string> etas;
  std::vector<OmegaBlock> omega;
  std::vector<IndividualParameter> parameters;
  std::vector<ResidualError> errors;
  // Model parameters held at these values (others not named in `parameters` keep the model's
  // defaults).
  std::vector<std::pair<std::string, double>> held;

  int theta_index(std::string_view name) const;
  int eta_index(std::string_view name) const;
  // The full OMEGA (q x q, row-major) of the starting values.
  std::vector<double> omega_start() const;
};

// Checks a model against itself (names unique, every ETA in exactly one block, block starts
// symmetric and positive definite, bounds around the starts, error SDs positive) and throws
// UserError("population model", ...) naming the first problem and how to fix it.
void validate(const PopulationModel& model);

// The compiled individual-parameter layer.
class IndividualModel {
 public:
  // `model_parameters`: the structural model's parameter names and default values;
  // `covariate_names`: the data set's covariate columns available to expressions. Throws
  // UserError when an expression assigns a parameter the model does not have, names something
  // that is neither a THETA, an ETA nor a data column, or an ETA is used by no expression.
  IndividualModel(const PopulationModel& population,
                  const std::vector<std::string>& model_parameters,
                  const std::vector<double>& model_defaults,
                  const std::vector<std::string>& covariate_names);

  size_t num_thetas() const { return num_thetas_; }
  size_t num_etas() const { return num_etas_; }
  size_t num_model_parameters() const { return defaults_.size(); }
  // Model parameters that depend on an ETA (their indices): the sensitivities needed.
  const std::vector<int>& eta_dependent() const { return eta_dependent_; }
  // Covariate columns read by some expression (indices into covariate_names).
  const std::vector<int>& covariates_used() const { return covariates_used_; }

  struct Scratch {
    std::vector<double> stack, values;
  };
  // phi (num_model_parameters) and, when d_phi_d_eta is not empty, d phi_m / d eta_k for the
  // eta-dependent parameters, row-major (eta_dependent().size() x num_etas).
  void evaluate(std::span<const double> theta, std::span<const double> eta,
                std::span<const double> covariates, std::span<double> phi,
                std::span<double> d_phi_d_eta, Scratch* scratch) const;

 private:
  struct Compiled {
    int model_parameter = 0;
    Expression expression;
    std::vector<int> source;  // per expression parameter: THETA index, or num_thetas + ETA index
    std::vector<int> variable_column;  // per expression variable: covariate column
    bool depends_on_eta = false;
  };
  size_t num_thetas_ = 0, num_etas_ = 0;
  std::vector<double> defaults_;
  std::vector<Compiled> compiled_;
  std::vector<int> eta_dependent_;
  std::vector<int> row_of_parameter_;  // per model parameter: its row in d_phi_d_eta, or -1
  std::vector<int> covariates_used_;
};

}  // namespace onset::fits::population
