// The individual layer of a population fit: one subject's predictions, its conditional
// (ETA-given) likelihood, the empirical Bayes estimate (EBE) of its ETAs, and its contribution
// to the population objective under FOCE with interaction, FOCE or FO. Everything here works on
// one subject at one point of the population parameters, so estimation methods (the FOCE
// family in population_fit.cpp; SAEM, importance sampling and simulation later) share it.
//
// Notation (one subject, n observations, q ETAs; on the error scale, i.e. logs for a log-scale
// error model): f(eta) predictions, G = df/deta (n x q, exact: the model's sensitivities
// (pk/sensitivity.hpp: exact linear propagation or CVODES) times d phi / d eta of the
// individual-parameter expressions), V_j residual variance, r = y - f.
//
//   l(eta)  = sum_j [log V_j + r_j^2 / V_j] + eta' OMEGA^-1 eta      (conditional -2 log density,
//                                                                     without constants)
//   FOCE-I  OFV_i = l(eta^) + log|OMEGA| + log|OMEGA^-1 + sum_j (g_j g_j'/V_j
//                                              + 1/2 dV_j dV_j' / V_j^2)|,   V_j = V(f_j(eta^))
//   FOCE    the same with V_j = V(f_j(0)) (no ETA-epsilon interaction), so dV/deta = 0
//   FO      OFV_i = log|C| + r0' C^-1 r0,  C = G0 OMEGA G0' + diag V(f(0)),  r0 = y - f(0)
//
// which is NONMEM's objective (-2 log L without the n log(2 pi) constant; Wang 2007, J
// Pharmacokinet Pharmacodyn 34:575, checked against its Table 2 in
// tests/fits/population_objective_test.cpp). eta^ minimises l: Newton iterations with the
// expected information sum_j [2 g_j g_j'/V_j + dV_j dV_j'/V_j^2] + 2 OMEGA^-1 (exact
// gradient), switching to the Hessian of l by differences of the exact gradient when the
// expected information converges slowly, and a backtracking line search.
#pragma once

#include <Eigen/Dense>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fits/population/population_data.hpp"
#include "fits/population/population_model.hpp"

namespace onset::fits::population {

// kSaem names SAEM fits (fits/population/saem.hpp) in summaries and options; the individual
// layer and the FOCE family's Solve take the three linearised methods only.
enum class Method { kFoceI, kFoce, kFo, kSaem };
std::string_view method_name(Method method);                // "FOCE-I", "FOCE", "FO", "SAEM"
std::optional<Method> parse_method(std::string_view text);  // focei, foce, fo, saem

// The population parameters at one point, on the natural scale.
struct PopulationPoint {
  std::vector<double> theta;
  Eigen::MatrixXd omega;                // q x q
  std::vector<double> additive_sd;      // per observable (unused entries 0)
  std::vector<double> proportional_sd;  // per observable
  // Derived once per point: OMEGA^-1 and log|OMEGA| (false when OMEGA is not positive definite).
  Eigen::MatrixXd omega_inverse;
  double log_det_omega = 0;
  bool prepare();
};

// Predictions of one subject at one ETA, on the error scale.
struct IndividualPrediction {
  Eigen::VectorXd f;        // predictions (logs on log scale)
  Eigen::VectorXd f_raw;    // predictions in the observable's unit
  Eigen::MatrixXd g;        // df/deta, n x q (empty when not asked for)
  std::vector<double> phi;  // the model parameters used
};

struct EbeResult {
  Eigen::VectorXd eta;
  double conditional = 0;  // l(eta^)
  bool converged = false;
  int iterations = 0;
  std::string message;  // why not converged
  // The Hessian of l at eta^ (by differences of the exact gradient), when asked for: the
  // Newton matrix of the next searches that start from this EBE.
  Eigen::MatrixXd hessian;
};

// Where an EBE search starts: an ETA and, when known, the Hessian of l near it (from the last
// accepted point of the outer search), so that searches from nearby points converge in one or
// two Newton steps; empty: the expected information.
struct EbeStart {
  std::span<const double> eta;
  std::span<const double> hessian;  // q x q, or empty
  bool want_hessian = false;        // compute EbeResult::hessian at the EBE
};

// Per-observation diagnostics of one subject (DV, PRED, IPRED in the observable's unit;
// residuals on the error scale).
struct SubjectDiagnostics {
  std::vector<double> pred, ipred, res, ires, iwres, cwres;
};

class SubjectEvaluator {
 public:
  // `errors`: one per observable of `data` (same order); `covariates`: the subject's values of
  // every covariate column (PopulationData::subject_covariates). Takes its own copy of the
  // subject's predictor (evaluators are per worker thread).
  SubjectEvaluator(const IndividualModel& model, const std::vector<ResidualError>& errors,
                   const PopulationSubject& subject, std::vector<double> covariates);

  size_t num_observations() const { return y_.size(); }
  // f (and G when with_gradient) at eta. False with the reason when the model cannot be
  // evaluated there (solver failure, a prediction <= 0 on log scale, non-finite values).
  bool predict(const PopulationPoint& point, std::span<const double> eta, bool with_gradient,
               IndividualPrediction* out, std::string* why);
  // The EBE: argmin l(eta) from `start` (interaction: V at f(eta), else at f(0)).
  EbeResult estimate_eta(Method method, const PopulationPoint& point, const EbeStart& start);
  // The subject's objective contribution at `point` (EBE from `start`; FO needs none), and the
  // EBE found (zeros for FO). NaN and a message when it cannot be evaluated.
  double objective(Method method, const PopulationPoint& point, const EbeStart& start,
                   EbeResult* ebe);
  // PRED, IPRED, RES, IRES, IWRES, CWRES at `point` and the subject's EBE.
  bool diagnostics(Method method, const PopulationPoint& point, std::span<const double> eta,
                   SubjectDiagnostics* out, std::string* why);
  // Individual model parameters at eta.
  std::vector<double> individual_parameters(const PopulationPoint& point,
                                            std::span<const double> eta);
  const std::string& id() const { return id_; }
  // How the predictor differentiated in its last evaluation, in words.
  std::string gradient_method() const { return predictor_->gradient_method(); }

 private:
  struct Terms {
    double l = 0;
    Eigen::VectorXd gradient;
    Eigen::MatrixXd information;  // expected information (Fisher), 2 x (what FOCE-I uses)
  };
  // Residual variances at f (error scale) and their derivatives dV/df.
  void variances(std::span<const int> block, const Eigen::VectorXd& f, const PopulationPoint& point,
                 Eigen::VectorXd* v, Eigen::VectorXd* dv) const;
  bool conditional_terms(Method method, const PopulationPoint& point, const Eigen::VectorXd& eta,
                         Terms* terms, IndividualPrediction* prediction, std::string* why);
  bool population_prediction(const PopulationPoint& point, std::string* why);
  // The Hessian of l at eta by forward differences of the exact gradient (q evaluations).
  bool hessian(Method method, const PopulationPoint& point, const Eigen::VectorXd& eta,
               const Terms& at, Eigen::MatrixXd* out);

  const IndividualModel& model_;
  const std::vector<ResidualError>& errors_;
  std::string id_;
  std::shared_ptr<Predictor> predictor_;
  Eigen::VectorXd y_;  // on the error scale
  std::vector<int> block_;
  std::vector<double> covariates_;
  bool any_log_scale_ = false;
  // Work space.
  IndividualModel::Scratch scratch_;
  std::vector<double> d_phi_, jacobian_;
  // Population prediction f(0) and its variances (FOCE, FO), cached per point.
  IndividualPrediction population_;
  Eigen::VectorXd population_v_;
  bool population_valid_ = false;
  std::vector<double> population_theta_;
  Eigen::MatrixXd last_information_;  // at the last EBE
};

}  // namespace onset::fits::population
