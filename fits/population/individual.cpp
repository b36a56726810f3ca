#include "fits/population/individual.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "io/format.hpp"

namespace onset::fits::population {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Inner optimisation: converged when the last Newton step moved every ETA by less than this
// (ETAs are log-scale deviations for log-normal random effects, so 1e-9 is a relative change
// of 1e-9 of the individual parameter); at most kMaxInnerIterations steps. Tight because the
// outer gradient is a difference quotient of objectives that depend on eta^.
constexpr double kEtaStepTolerance = 1e-9;
constexpr int kMaxInnerIterations = 60;
// After this many steps with the expected information, Newton with the Hessian of l (by
// forward differences of the exact gradient, q extra evaluations per step).
constexpr int kExpectedInformationSteps = 3;
// Steps with the Hessian given with the start before it is recomputed.
constexpr int kStartHessianSteps = 4;
}  // namespace

std::string_view method_name(Method method) {
  switch (method) {
    case Method::kFoceI:
      return "FOCE-I";
    case Method::kFoce:
      return "FOCE";
    case Method::kFo:
      return "FO";
    case Method::kSaem:
      return "SAEM";
  }
  return "?";
}

std::optional<Method> parse_method(std::string_view text) {
  std::string lower;
  for (char c : text)
    if (c != '-' && c != '_')
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "focei" || lower == "foceinter" || lower == "foceinteraction") return Method::kFoceI;
  if (lower == "foce") return Method::kFoce;
  if (lower == "fo") return Method::kFo;
  if (lower == "saem") return Method::kSaem;
  return std::nullopt;
}

bool PopulationPoint::prepare() {
  Eigen::LLT<Eigen::MatrixXd> cholesky(omega);
  if (cholesky.info() != Eigen::Success) return false;
  const Eigen::MatrixXd l = cholesky.matrixL();
  log_det_omega = 2 * l.diagonal().array().log().sum();
  omega_inverse = cholesky.solve(Eigen::MatrixXd::Identity(omega.rows(), omega.cols()));
  return std::isfinite(log_det_omega);
}

SubjectEvaluator::SubjectEvaluator(const IndividualModel& model,
                                   const std::vector<ResidualError>& errors,
                                   const PopulationSubject& subject, std::vector<double> covariates)
    : model_(model),
      errors_(errors),
      id_(subject.id),
      predictor_(subject.predictor->clone()),
      block_(subject.block),
      covariates_(std::move(covariates)) {
  y_.resize(static_cast<Eigen::Index>(subject.y.size()));
  for (size_t j = 0; j < subject.y.size(); ++j) {
    const ResidualError& error = errors_[static_cast<size_t>(block_[j])];
    any_log_scale_ = any_log_scale_ || error.log_scale;
    y_(static_cast<Eigen::Index>(j)) = error.log_scale ? std::log(subject.y[j]) : subject.y[j];
  }
}

bool SubjectEvaluator::predict(const PopulationPoint& point, std::span<const double> eta,
                               bool with_gradient, IndividualPrediction* out, std::string* why) {
  const size_t n = y_.size(), q = model_.num_etas();
  const std::vector<int>& wrt = model_.eta_dependent();
  const size_t r = wrt.size();
  out->phi.resize(model_.num_model_parameters());
  d_phi_.resize(r * q);
  model_.evaluate(point.theta, eta, covariates_, out->phi,
                  with_gradient ? std::span<double>(d_phi_) : std::span<double>(), &scratch_);
  for (size_t m = 0; m < out->phi.size(); ++m) {
    if (!std::isfinite(out->phi[m])) {
      if (why) *why = "an individual parameter is not finite";
      return false;
    }
  }
  out->f_raw.resize(static_cast<Eigen::Index>(n));
  jacobian_.resize(with_gradient ? n * r : 0);
  if (!predictor_->predict(out->phi,
                           with_gradient ? std::span<const int>(wrt) : std::span<const int>(),
                           std::span<double>(out->f_raw.data(), n), jacobian_, why))
    return false;
  out->f = out->f_raw;
  if (with_gradient) {
    const Eigen::Map<const Eigen::MatrixXd> j(jacobian_.data(), static_cast<Eigen::Index>(n),
                                              static_cast<Eigen::Index>(r));
    const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>
        dphi(d_phi_.data(), static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(q));
    out->g = j * dphi;
  } else {
    out->g.resize(0, 0);
  }
  for (size_t k = 0; k < n; ++k) {
    const auto j = static_cast<Eigen::Index>(k);
    if (!std::isfinite(out->f_raw(j)) || (with_gradient && !out->g.row(j).allFinite())) {
      if (why) *why = "a prediction is not finite at t = observation " + std::to_string(k + 1);
      return false;
    }
    if (!errors_[static_cast<size_t>(block_[k])].log_scale) continue;
    if (!(out->f_raw(j) > 0)) {
      if (why)
        *why = "prediction " + format_number(out->f_raw(j)) + " <= 0 with a log-scale error model";
      return false;
    }
    out->f(j) = std::log(out->f_raw(j));
    if (with_gradient) out->g.row(j) /= out->f_raw(j);
  }
  return true;
}

void SubjectEvaluator::variances(std::span<const int> block, const Eigen::VectorXd& f,
                                 const PopulationPoint& point, Eigen::VectorXd* v,
                                 Eigen::VectorXd* dv) const {
  v->resize(f.size());
  dv->resize(f.size());
  for (Eigen::Index j = 0; j < f.size(); ++j) {
    const auto b = static_cast<size_t>(block[static_cast<size_t>(j)]);
    const ResidualError& error = errors_[b];
    const double a = error.has_additive() ? point.additive_sd[b] : 0.0;
    const double p = error.has_proportional() ? point.proportional_sd[b] : 0.0;
    (*v)(j) = a * a + p * p * f(j) * f(j);
    (*dv)(j) = 2 * p * p * f(j);
  }
}

bool SubjectEvaluator::population_prediction(const PopulationPoint& point, std::string* why) {
  if (!population_valid_ || population_theta_ != point.theta) {
    const std::vector<double> zero(model_.num_etas(), 0.0);
    population_valid_ = predict(point, zero, true, &population_, why);
    if (!population_valid_) return false;
    population_theta_ = point.theta;
  }
  Eigen::VectorXd dv;
  variances(block_, population_.f, point, &population_v_, &dv);
  for (Eigen::Index j = 0; j < population_v_.size(); ++j) {
    if (!(population_v_(j) > 0)) {
      if (why)
        *why = "residual variance 0 at observation " + std::to_string(j + 1) +
               " (a proportional error model and a population prediction of 0)";
      return false;
    }
  }
  return true;
}

bool SubjectEvaluator::conditional_terms(Method method, const PopulationPoint& point,
                                         const Eigen::VectorXd& eta, Terms* terms,
                                         IndividualPrediction* prediction, std::string* why) {
  if (!predict(point, std::span<const double>(eta.data(), static_cast<size_t>(eta.size())), true,
               prediction, why))
    return false;
  const auto q = eta.size();
  Eigen::VectorXd v, dv;
  const bool interaction = method == Method::kFoceI;
  if (interaction) {
    variances(block_, prediction->f, point, &v, &dv);
  } else {
    v = population_v_;
    dv = Eigen::VectorXd::Zero(v.size());
  }
  const Eigen::VectorXd omega_eta = point.omega_inverse * eta;
  terms->l = eta.dot(omega_eta);
  terms->gradient = 2 * omega_eta;
  terms->information = 2 * point.omega_inverse;
  for (Eigen::Index j = 0; j < v.size(); ++j) {
    if (!(v(j) > 0) || !std::isfinite(v(j))) {
      if (why)
        *why = "residual variance " + format_number(v(j)) + " at observation " +
               std::to_string(j + 1) + " (a proportional error model and a prediction of 0)";
      return false;
    }
    const double r = y_(j) - prediction->f(j);
    const double inv_v = 1 / v(j);
    terms->l += std::log(v(j)) + r * r * inv_v;
    const auto g = prediction->g.row(j);
    terms->gradient += ((inv_v - r * r * inv_v * inv_v) * dv(j) - 2 * r * inv_v) * g.transpose();
    const double weight = 2 * inv_v + dv(j) * dv(j) * inv_v * inv_v;
    terms->information.noalias() += weight * g.transpose() * g;
  }
  (void)q;
  return std::isfinite(terms->l);
}

bool SubjectEvaluator::hessian(Method method, const PopulationPoint& point,
                               const Eigen::VectorXd& eta, const Terms& at, Eigen::MatrixXd* out) {
  const auto q = eta.size();
  Terms shifted;
  IndividualPrediction scratch;
  Eigen::MatrixXd h(q, q);
  for (Eigen::Index k = 0; k < q; ++k) {
    const double step = 1e-6 * std::max(1.0, std::abs(eta(k)));
    Eigen::VectorXd moved = eta;
    moved(k) += step;
    if (!conditional_terms(method, point, moved, &shifted, &scratch, nullptr)) return false;
    h.col(k) = (shifted.gradient - at.gradient) / step;
  }
  *out = 0.5 * (h + h.transpose());
  return Eigen::LLT<Eigen::MatrixXd>(*out).info() == Eigen::Success;
}

EbeResult SubjectEvaluator::estimate_eta(Method method, const PopulationPoint& point,
                                         const EbeStart& start) {
  EbeResult result;
  const auto q = static_cast<Eigen::Index>(model_.num_etas());
  std::string why;
  if (method != Method::kFoceI && !population_prediction(point, &why)) {
    result.eta = Eigen::VectorXd::Zero(q);
    result.message = why;
    result.conditional = kNaN;
    return result;
  }
  Eigen::VectorXd eta = Eigen::Map<const Eigen::VectorXd>(start.eta.data(), q);
  Terms terms, trial_terms;
  IndividualPrediction prediction, trial_prediction;
  if (!conditional_terms(method, point, eta, &terms, &prediction, &why)) {
    eta.setZero();
    if (!conditional_terms(method, point, eta, &terms, &prediction, &why)) {
      result.eta = eta;
      result.message = why;
      result.conditional = kNaN;
      return result;
    }
  }
  // The Newton matrix: the Hessian given with the start (kept while it makes fast progress),
  // else the expected information for a few steps, then the Hessian of l at each step.
  Eigen::MatrixXd newton;
  bool from_start = false;
  if (start.hessian.size() == static_cast<size_t>(q * q)) {
    newton = Eigen::Map<const Eigen::MatrixXd>(start.hessian.data(), q, q);
    from_start = Eigen::LLT<Eigen::MatrixXd>(newton).info() == Eigen::Success;
  }
  for (int iteration = 0; iteration < kMaxInnerIterations; ++iteration) {
    result.iterations = iteration + 1;
    Eigen::MatrixXd matrix = terms.information;
    if (from_start && iteration < kStartHessianSteps) {
      matrix = newton;
    } else if (iteration >= kExpectedInformationSteps || from_start) {
      Eigen::MatrixXd h;
      if (hessian(method, point, eta, terms, &h)) matrix = h;
    }
    Eigen::LLT<Eigen::MatrixXd> cholesky(matrix);
    if (cholesky.info() != Eigen::Success) cholesky.compute(terms.information);
    const Eigen::VectorXd step = -cholesky.solve(terms.gradient);
    const double slope = terms.gradient.dot(step);
    double t = 1;
    bool accepted = false;
    for (int halving = 0; halving < 40; ++halving) {
      const Eigen::VectorXd trial = eta + t * step;
      if (conditional_terms(method, point, trial, &trial_terms, &trial_prediction, nullptr) &&
          (trial_terms.l <= terms.l + 1e-4 * t * slope ||
           // At the rounding level of l: any step that does not increase it noticeably.
           (t * step.cwiseAbs().maxCoeff() < 1e-6 &&
            trial_terms.l <= terms.l + 1e-12 * std::max(1.0, std::abs(terms.l))))) {
        eta = trial;
        std::swap(terms, trial_terms);
        std::swap(prediction, trial_prediction);
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) {
      // No decrease along the Newton direction: at the minimum to rounding, or stuck.
      result.converged = std::abs(slope) < 1e-8 * std::max(1.0, std::abs(terms.l));
      if (!result.converged)
        result.message = "the EBE search found no decrease of the conditional objective";
      break;
    }
    if (t * step.cwiseAbs().maxCoeff() < kEtaStepTolerance) {
      result.converged = true;
      break;
    }
  }
  if (!result.converged && result.message.empty())
    result.message = "the EBE search did not converge in " + std::to_string(kMaxInnerIterations) +
                     " Newton steps";
  result.eta = eta;
  result.conditional = terms.l;
  last_information_ = terms.information;
  if (start.want_hessian && !hessian(method, point, eta, terms, &result.hessian))
    result.hessian.resize(0, 0);
  return result;
}

double SubjectEvaluator::objective(Method method, const PopulationPoint& point,
                                   const EbeStart& start, EbeResult* ebe) {
  const auto q = static_cast<Eigen::Index>(model_.num_etas());
  std::string why;
  if (method == Method::kFo) {
    ebe->eta = Eigen::VectorXd::Zero(q);
    ebe->converged = true;
    if (!population_prediction(point, &why)) {
      ebe->message = why;
      return kNaN;
    }
    const Eigen::MatrixXd& g = population_.g;
    Eigen::MatrixXd c = g * point.omega * g.transpose();
    c.diagonal() += population_v_;
    Eigen::LLT<Eigen::MatrixXd> cholesky(c);
    if (cholesky.info() != Eigen::Success) {
      ebe->message = "the FO covariance of the observations is not positive definite";
      return kNaN;
    }
    const Eigen::VectorXd r = y_ - population_.f;
    const Eigen::MatrixXd l = cholesky.matrixL();
    return 2 * l.diagonal().array().log().sum() + r.dot(cholesky.solve(r));
  }
  *ebe = estimate_eta(method, point, start);
  if (!std::isfinite(ebe->conditional)) return kNaN;
  // log|information / 2| = log|OMEGA^-1 + sum_j (g g'/V + 1/2 dV dV'/V^2)|
  Eigen::LLT<Eigen::MatrixXd> cholesky(0.5 * last_information_);
  if (cholesky.info() != Eigen::Success) {
    ebe->message = "the information matrix at the EBE is not positive definite";
    return kNaN;
  }
  const Eigen::MatrixXd l = cholesky.matrixL();
  return ebe->conditional + point.log_det_omega + 2 * l.diagonal().array().log().sum();
}

std::vector<double> SubjectEvaluator::individual_parameters(const PopulationPoint& point,
                                                            std::span<const double> eta) {
  std::vector<double> phi(model_.num_model_parameters());
  model_.evaluate(point.theta, eta, covariates_, phi, {}, &scratch_);
  return phi;
}

bool SubjectEvaluator::diagnostics(Method method, const PopulationPoint& point,
                                   std::span<const double> eta, SubjectDiagnostics* out,
                                   std::string* why) {
  if (!population_prediction(point, why)) return false;
  IndividualPrediction individual;
  if (!predict(point, eta, true, &individual, why)) return false;
  const Eigen::Index n = y_.size();
  Eigen::VectorXd v_individual, dv;
  variances(block_, individual.f, point, &v_individual, &dv);
  const Eigen::VectorXd& v_method = method == Method::kFoceI ? v_individual : population_v_;
  // CWRES (Hooker, Staatz and Karlsson 2007, Pharm Res 24:2187): the observations' first-order
  // expansion around the EBE, mean f(eta^) - G eta^, covariance G OMEGA G' + diag V, decorrelated
  // by the Cholesky factor of that covariance.
  const Eigen::VectorXd eta_hat = Eigen::Map<const Eigen::VectorXd>(eta.data(), eta.size());
  Eigen::MatrixXd c = individual.g * point.omega * individual.g.transpose();
  c.diagonal() += v_method;
  Eigen::LLT<Eigen::MatrixXd> cholesky(c);
  if (cholesky.info() != Eigen::Success) {
    if (why) *why = "the covariance of the observations at the EBE is not positive definite";
    return false;
  }
  const Eigen::VectorXd mean = individual.f - individual.g * eta_hat;
  const Eigen::VectorXd cwres = cholesky.matrixL().solve(y_ - mean);
  out->pred.resize(static_cast<size_t>(n));
  out->ipred.resize(static_cast<size_t>(n));
  out->res.resize(static_cast<size_t>(n));
  out->ires.resize(static_cast<size_t>(n));
  out->iwres.resize(static_cast<size_t>(n));
  out->cwres.resize(static_cast<size_t>(n));
  for (Eigen::Index j = 0; j < n; ++j) {
    const auto k = static_cast<size_t>(j);
    out->pred[k] = population_.f_raw(j);
    out->ipred[k] = individual.f_raw(j);
    out->res[k] = y_(j) - population_.f(j);
    out->ires[k] = y_(j) - individual.f(j);
    out->iwres[k] = out->ires[k] / std::sqrt(v_individual(j));
    out->cwres[k] = cwres(j);
  }
  return true;
}

}  // namespace onset::fits::population
