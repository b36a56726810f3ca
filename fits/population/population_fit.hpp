// Population fits by the FOCE family: Solve(options, problem, &summary), the Ceres pattern.
//
// What: a PopulationProblem (the population model and the subjects' data). How:
// PopulationOptions (method, covariance matrix, threads, limits). What happened:
// PopulationSummary (status in words, NONMEM's objective and -2 log L, THETA / OMEGA / SIGMA
// with SEs, RSE % and correlations, per-subject EBEs, shrinkage, per-observation diagnostics),
// which prints itself as text, JSON and CSV (population_report.hpp).
//
// Estimation. The objective is the sum of the subjects' contributions (individual.hpp: FOCE-I,
// FOCE or FO, each subject's EBE found by Newton iterations with exact gradients). It is
// minimised over the estimated parameters in internal coordinates (THETA: log or logit of the
// distance to its bounds, or scaled by its start when unbounded; each OMEGA block: the Cholesky
// factor with log diagonal, so OMEGA stays positive definite; residual SDs: log) by BFGS with a
// backtracking line search and central-difference gradients, every objective warm-starting the
// subjects' EBE searches from the last accepted point (as NONMEM does). The subjects of all
// points of one gradient (2 p objectives) are one parallel loop over threads and MPI ranks
// (pk/distributed.hpp); each subject's result is stored by index and the sum is taken in
// subject order, so the answer does not depend on the number of threads or ranks.
//
// Covariance step (NONMEM's $COV): R = the Hessian of the objective (central second differences
// in internal coordinates), S = sum over subjects of the outer products of the gradients of
// their contributions; covariance R^-1 S R^-1 (the default, NONMEM's), 2 R^-1 (R alone) or
// 4 S^-1 (S alone), mapped to THETA, OMEGA and SIGMA (variances) by the delta method.
#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "fits/population/individual.hpp"
#include "fits/population/population_data.hpp"
#include "fits/population/population_model.hpp"

namespace onset::fits::population {

enum class CovarianceMatrix { kSandwich, kR, kS, kNone };
std::string_view covariance_matrix_name(CovarianceMatrix matrix);  // sandwich, r, s, none
std::optional<CovarianceMatrix> parse_covariance_matrix(std::string_view text);

struct PopulationOptions {
  Method method = Method::kFoceI;
  // The covariance step: sandwich R^-1 S R^-1 (NONMEM's default), R or S alone, or none.
  CovarianceMatrix covariance = CovarianceMatrix::kSandwich;
  // Most BFGS iterations; 0: evaluate the objective, EBEs and diagnostics at the starting values
  // (NONMEM's MAXEVAL=0).
  int max_iterations = 1000;
  // Converged when the predicted decrease of the objective (half the squared Newton decrement
  // under the BFGS metric) is below this, in objective units (-2 log L).
  double objective_tolerance = 1e-6;
  // Central-difference steps in internal coordinates: gradient and covariance (Hessian).
  double gradient_step = 1e-4;
  double hessian_step = 2e-3;
  // Worker threads per MPI rank (0: all cores); the results do not depend on it.
  int threads = 0;
  // Wall-time limit in seconds (0: none), and a flag polled between objective evaluations (the
  // CLI's interrupt); when either stops the fit, the status says so and the summary keeps the
  // best point reached.
  double time_limit_s = 0;
  std::function<bool()> cancelled;
  // Per-observation diagnostics and EBE tables in the summary.
  bool diagnostics = true;

  bool IsValid(std::string* why) const;
};

struct PopulationProblem {
  PopulationModel model;
  PopulationData data;
};

// kInterrupted: stopped by the cancel flag or the time limit ("stopped"; the message says which).
enum class PopulationStatus { kConverged, kNotConverged, kEvaluated, kFailed, kInterrupted };
std::string_view population_status_name(PopulationStatus status);

// One reported parameter: a THETA, an OMEGA element (variance or covariance) or a SIGMA
// (variance of a residual error component).
struct PopulationEstimate {
  enum class Kind { kTheta, kOmega, kSigma };
  Kind kind = Kind::kTheta;
  std::string name;   // THETA name; OMEGA "eta_CL" or "eta_CL,eta_V"; SIGMA "CP additive"
  std::string label;  // NONMEM's: THETA(1), OMEGA(2,1), SIGMA(1,1)
  double estimate = 0;
  double se = 0;       // NaN when not computed
  double rse_pct = 0;  // 100 SE / |estimate|
  bool fixed = false;
  // OMEGA diagonal: 100 sqrt(OMEGA) (the usual %CV of a log-normal ETA) and
  // 100 sqrt(exp(OMEGA) - 1) (its exact CV); SIGMA: the SD (sqrt of the variance); OMEGA
  // off-diagonal: the correlation. NaN where not defined.
  double cv_pct = 0;
  double cv_exact_pct = 0;
  double sd = 0;
  double correlation = 0;
};

struct SubjectEstimate {
  std::string id;
  std::vector<double> eta;         // the EBE
  std::vector<double> parameters;  // the individual model parameters at the EBE
  double objective = 0;            // the subject's contribution
  bool ebe_converged = true;
  std::string message;
};

struct ObservationDiagnostics {
  std::string id;
  int line = 0;
  double time = 0;
  std::string observable;
  double dv = 0, pred = 0, ipred = 0, res = 0, ires = 0, iwres = 0, cwres = 0;
  // From simulations under the model (fits/population/npde.hpp), when asked for: the mean of
  // the simulations (error scale), the decorrelated prediction discrepancy and its normal
  // quantile; NaN otherwise.
  double epred = std::numeric_limits<double>::quiet_NaN();
  double pde = std::numeric_limits<double>::quiet_NaN();
  double npde = std::numeric_limits<double>::quiet_NaN();
};

struct PopulationSummary {
  PopulationStatus status = PopulationStatus::kFailed;
  std::string message;
  Method method = Method::kFoceI;
  bool converged() const {
    return status == PopulationStatus::kConverged || status == PopulationStatus::kEvaluated;
  }
  int num_subjects = 0;
  int num_observations = 0;
  int num_estimated = 0;
  int iterations = 0;
  int evaluations = 0;  // objective evaluations (each over every subject)
  double wall_time_s = 0;
  // NONMEM's objective: -2 log L without the N log(2 pi) constant; and with it.
  double objective = 0;
  double minus_two_log_likelihood = 0;
  double aic = 0, bic = 0;                    // from -2 log L, counting the estimated parameters
  std::vector<PopulationEstimate> estimates;  // THETAs, then OMEGA, then SIGMA
  std::vector<std::string> model_parameter_names;
  std::vector<std::string> eta_names;
  std::vector<std::string> observable_names;
  // Covariance step: status, the matrix used, and covariance / correlation of the estimated
  // parameters (row-major, in the order of `covariance_names`).
  bool covariance_ok = false;
  std::string covariance_method;
  std::string covariance_message;
  std::vector<std::string> covariance_names;
  std::vector<double> covariance, correlation;
  // Per-subject EBEs, shrinkage (%), per-observation diagnostics.
  std::vector<SubjectEstimate> subjects;
  std::vector<double> eta_shrinkage_pct;  // per ETA: 100 (1 - SD(eta^) / sqrt(OMEGA))
  std::vector<double> eps_shrinkage_pct;  // per observable: 100 (1 - SD(IWRES))
  std::vector<ObservationDiagnostics> observations;
  std::string gradient_method;
  std::vector<std::string> notes;
};

// Fits `problem`. Throws UserError for a model that does not fit the data (an unknown
// parameter, a covariate missing for a subject, OMEGA not positive definite, a non-positive
// observation under a log-scale error model); std::invalid_argument for invalid options.
void Solve(const PopulationOptions& options, const PopulationProblem& problem,
           PopulationSummary* summary);

}  // namespace onset::fits::population
