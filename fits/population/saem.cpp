#include "fits/population/saem.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <numbers>
#include <random>
#include <stdexcept>

#include "fits/population/csv_text.hpp"
#include "fits/population/population_report.hpp"
#include "fits/population/population_values.hpp"
#include "fits/population/subject_pool.hpp"
#include "io/format.hpp"
#include "pk/distributed.hpp"
#include "pk/parallel.hpp"
#include "pk/user_error.hpp"

namespace onset::fits::population {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();
// Initial random-walk scale of kernels 2 and 3, as a fraction of each ETA's SD (saemix rw.init).
constexpr double kRandomWalkStart = 0.5;
// Monolix's rule for the number of chains: subjects x chains >= 50.
constexpr int kChainTarget = 50;
// Keys that separate the random streams of the MCMC and of importance sampling.
constexpr uint64_t kMcmcStream = 0x5AE3'0001'0000'0000ull;
constexpr uint64_t kImportanceStream = 0x5AE3'0002'0000'0000ull;

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// ---------------------------------------------------------------------------------------------
// Mu-referencing: how each ETA enters its individual parameter.

enum class Transform { kIdentity, kLog, kLogit };

std::string transform_name(Transform transform) {
  switch (transform) {
    case Transform::kIdentity:
      return "identity";
    case Transform::kLog:
      return "log";
    case Transform::kLogit:
      return "logit";
  }
  return "?";
}

// h^-1(phi): the scale on which the random effect is additive.
double to_psi(Transform transform, double phi) {
  switch (transform) {
    case Transform::kIdentity:
      return phi;
    case Transform::kLog:
      return std::log(phi);
    case Transform::kLogit:
      return std::log(phi / (1 - phi));
  }
  return kNaN;
}

// d phi / d eta when phi = h(mu + eta).
double derivative_if(Transform transform, double phi) {
  switch (transform) {
    case Transform::kIdentity:
      return 1;
    case Transform::kLog:
      return phi;
    case Transform::kLogit:
      return phi * (1 - phi);
  }
  return kNaN;
}

struct MuReferencing {
  std::vector<int> parameter_of_eta;  // model parameter index per ETA
  std::vector<Transform> transform;   // per ETA
  std::vector<int> thetas;            // the estimated THETAs (all enter some mu)
};

// Checks the individual-parameter expressions numerically at the starting THETAs and at THETAs
// moved by 5 %, at ETAs of 0, 0.7, -0.9 and 1.6 and up to eight subjects' covariates.
MuReferencing analyse(const PopulationModel& model, const IndividualModel& individual,
                      const std::vector<std::vector<double>>& covariates,
                      const std::vector<std::string>& parameter_names) {
  const size_t q = model.etas.size(), m = individual.num_model_parameters();
  const std::vector<int>& rows = individual.eta_dependent();
  std::vector<double> theta0;
  for (const Theta& theta : model.thetas) theta0.push_back(theta.start);
  std::vector<double> theta1 = theta0;
  for (size_t t = 0; t < theta1.size(); ++t) {
    const Theta& theta = model.thetas[t];
    const double step = 0.05 * (std::abs(theta.start) + 0.1);
    theta1[t] = theta.start + step <= theta.upper ? theta.start + step : theta.start - step;
    if (theta1[t] < theta.lower) theta1[t] = theta.start;
  }
  std::vector<size_t> subjects;
  const size_t n = covariates.size();
  for (size_t k = 0; k < std::min<size_t>(n, 8); ++k)
    subjects.push_back(k * n / std::min<size_t>(n, 8));
  const double eta_values[] = {0.0, 0.7, -0.9, 1.6};

  IndividualModel::Scratch scratch;
  std::vector<double> phi(m), d(rows.size() * q);
  std::vector<std::vector<bool>> nonzero(rows.size(), std::vector<bool>(q, false));
  // Which transforms hold for each ETA at every point (identity, log, logit).
  std::vector<std::array<bool, 3>> holds(q, {true, true, true});
  std::vector<std::string> counterexample(q);
  for (const auto* theta : {&theta0, &theta1}) {
    for (size_t s : subjects) {
      for (double value : eta_values) {
        const std::vector<double> eta(q, value);
        individual.evaluate(*theta, eta, covariates[s], phi, d, &scratch);
        for (size_t r = 0; r < rows.size(); ++r) {
          const double phi_r = phi[static_cast<size_t>(rows[r])];
          for (size_t k = 0; k < q; ++k) {
            const double derivative = d[r * q + k];
            if (derivative == 0) continue;
            nonzero[r][k] = true;
            int index = 0;
            for (Transform transform : {Transform::kIdentity, Transform::kLog, Transform::kLogit}) {
              const double expected = derivative_if(transform, phi_r);
              if (!(std::abs(derivative - expected) <= 1e-7 * std::max(std::abs(expected), 1e-300)))
                holds[k][static_cast<size_t>(index)] = false;
              ++index;
            }
            if (counterexample[k].empty() && !holds[k][0] && !holds[k][1] && !holds[k][2])
              counterexample[k] = "d " + parameter_names[static_cast<size_t>(rows[r])] + " / d " +
                                  model.etas[k] + " = " + format_number(derivative) + " where " +
                                  parameter_names[static_cast<size_t>(rows[r])] + " = " +
                                  format_number(phi_r) + " and every ETA = " + format_number(value);
          }
        }
      }
    }
  }
  auto fail = [](const std::string& problem, const std::string& fix) {
    throw UserError("population model", "SAEM: " + problem,
                    "a mu-referenced model: each ETA in one parameter, as PARAMETER = "
                    "h(typical value + ETA) with h the identity, exp or the logistic function",
                    fix);
  };
  MuReferencing out;
  out.parameter_of_eta.assign(q, -1);
  out.transform.assign(q, Transform::kLog);
  for (size_t k = 0; k < q; ++k) {
    std::vector<std::string> where;
    for (size_t r = 0; r < rows.size(); ++r)
      if (nonzero[r][k]) {
        where.push_back(parameter_names[static_cast<size_t>(rows[r])]);
        out.parameter_of_eta[k] = rows[r];
      }
    if (where.size() != 1) {
      std::string names;
      for (const auto& name : where) names += (names.empty() ? "" : " and ") + name;
      fail("the random effect " + model.etas[k] + " enters " + names,
           "give each parameter its own ETA (correlated ETAs: an OMEGA block), or use FOCE-I");
    }
    if (holds[k][1]) {
      out.transform[k] = Transform::kLog;
    } else if (holds[k][0]) {
      out.transform[k] = Transform::kIdentity;
    } else if (holds[k][2]) {
      out.transform[k] = Transform::kLogit;
    } else {
      fail("the random effect " + model.etas[k] + " does not enter " + where[0] +
               " additively on the identity, log or logit scale (" + counterexample[k] + ")",
           "write " + where[0] + " = tv" + where[0] + " * exp(" + model.etas[k] +
               ") (log-normal), " + "tv" + where[0] + " + " + model.etas[k] +
               " (normal), or use FOCE-I");
    }
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string etas;
    for (size_t k = 0; k < q; ++k)
      if (nonzero[r][k]) etas += (etas.empty() ? "" : " and ") + model.etas[k];
    if (etas.find(" and ") != std::string::npos)
      fail(parameter_names[static_cast<size_t>(rows[r])] + " depends on " + etas,
           "one ETA per parameter, or use FOCE-I");
  }
  // Each estimated THETA must move some mu and nothing else.
  std::vector<bool> has_eta(m, false);
  for (int parameter : out.parameter_of_eta) has_eta[static_cast<size_t>(parameter)] = true;
  std::vector<double> phi_moved(m);
  const std::vector<double> zero(q, 0.0);
  for (size_t t = 0; t < model.thetas.size(); ++t) {
    if (model.thetas[t].fixed) continue;
    std::vector<double> moved = theta0;
    moved[t] = theta1[t];
    std::vector<bool> changed(m, false);
    for (size_t s : subjects) {
      individual.evaluate(theta0, zero, covariates[s], phi, {}, &scratch);
      individual.evaluate(moved, zero, covariates[s], phi_moved, {}, &scratch);
      for (size_t p = 0; p < m; ++p) changed[p] = changed[p] || phi[p] != phi_moved[p];
    }
    bool any = false;
    for (size_t p = 0; p < m; ++p) {
      if (!changed[p]) continue;
      any = true;
      if (!has_eta[p])
        throw UserError("population model",
                        "SAEM: THETA " + model.thetas[t].name + " enters " + parameter_names[p] +
                            ", which has no random effect, so SAEM's M-step cannot estimate it",
                        "every estimated THETA in a parameter with a random effect",
                        "fix it (--fix " + model.thetas[t].name + "=VALUE), give " +
                            parameter_names[p] + " a random effect, or use FOCE-I");
    }
    if (!any)
      throw UserError("population model",
                      "SAEM: THETA " + model.thetas[t].name + " changes no individual parameter",
                      "every estimated THETA in an individual-parameter expression",
                      "fix it or remove it");
    out.thetas.push_back(static_cast<int>(t));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// THETA coordinates of the M-step: log or logit of the distance to its bounds (as the FOCE
// family's), so that every step stays inside them.

double theta_to_internal(const Theta& t, double value) {
  const bool low = std::isfinite(t.lower), high = std::isfinite(t.upper);
  if (low && high) return std::log((value - t.lower) / (t.upper - value));
  if (low) return std::log(value - t.lower);
  if (high) return -std::log(t.upper - value);
  return value;
}

double theta_to_natural(const Theta& t, double x) {
  const bool low = std::isfinite(t.lower), high = std::isfinite(t.upper);
  if (low && high) return t.lower + (t.upper - t.lower) / (1 + std::exp(-x));
  if (low) return t.lower + std::exp(x);
  if (high) return t.upper - std::exp(-x);
  return x;
}

// ---------------------------------------------------------------------------------------------
// The residual part of -log p(y | eta) (without constants): 1/2 sum_j [log V_j + r_j^2 / V_j],
// on the error scale; infinite when a variance is not positive.

double residual_energy(const PopulationPoint& point, std::span<const int> block,
                       std::span<const double> y, std::span<const double> f) {
  double sum = 0;
  for (size_t j = 0; j < y.size(); ++j) {
    const double v = residual_variance(point, block[j], f[j]);
    if (!(v > 0) || !std::isfinite(v)) return kInfinity;
    const double r = y[j] - f[j];
    sum += std::log(v) + r * r / v;
  }
  return std::isfinite(sum) ? 0.5 * sum : kInfinity;
}

// The energy of subject s at eta: residual part, predictions in *f (error scale).
double energy_at(SubjectPool& subjects, size_t worker, size_t s, const PopulationPoint& point,
                 const Vector& eta, IndividualPrediction* prediction) {
  std::string why;
  if (!subjects.evaluator(worker, s).predict(
          point, std::span<const double>(eta.data(), static_cast<size_t>(eta.size())), false,
          prediction, &why))
    return kInfinity;
  return residual_energy(
      point, subjects.block(s), subjects.y(s),
      std::span<const double>(prediction->f.data(), static_cast<size_t>(prediction->f.size())));
}

// ---------------------------------------------------------------------------------------------
// The E-step of one subject: every chain through kernels 1, 2 and 3.

struct Layout {
  size_t q = 0, chains = 0, n_max = 0;
  size_t psi() const { return 0; }
  size_t f() const { return chains * q; }
  size_t counts() const { return f() + chains * n_max; }
  // kernel 1 accepted, tried; kernel 2 accepted[q], tried[q]; kernel 3 accepted[q-1],
  // tried[q-1] (by block size 2..q); then the number of chains that could be evaluated.
  size_t k2() const { return counts() + 2; }
  size_t k3() const { return k2() + 2 * q; }
  size_t ok() const { return k3() + 2 * (q > 1 ? q - 1 : 0); }
  size_t width() const { return ok() + 1; }
};

struct Sampler {
  const PopulationPoint* point = nullptr;
  Matrix omega_factor;  // lower Cholesky factor of OMEGA
  Vector d2;            // kernel 2 scales (per ETA)
  Matrix d3;            // kernel 3 scales (block size - 2, ETA)
  int steps1 = 2, steps2 = 2, steps3 = 2;
};

void sample_subject(SubjectPool& subjects, size_t worker, size_t s, const Sampler& sampler,
                    const Layout& layout, const Vector& mu, std::span<const double> psi_in,
                    uint64_t key, int iteration, std::span<double> row) {
  std::fill(row.begin(), row.end(), 0.0);
  const size_t q = layout.q;
  const auto qe = static_cast<Eigen::Index>(q);
  const PopulationPoint& point = *sampler.point;
  std::mt19937_64 rng = pk::task_rng(key, s);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  auto prior = [&](const Vector& eta) { return 0.5 * eta.dot(point.omega_inverse * eta); };
  IndividualPrediction current, trial;
  std::vector<size_t> order(q);
  for (size_t c = 0; c < layout.chains; ++c) {
    Vector eta(qe);
    for (size_t k = 0; k < q; ++k)
      eta(static_cast<Eigen::Index>(k)) = psi_in[c * q + k] - mu(static_cast<Eigen::Index>(k));
    double u_y = energy_at(subjects, worker, s, point, eta, &current);
    if (!std::isfinite(u_y)) {
      eta.setZero();
      u_y = energy_at(subjects, worker, s, point, eta, &current);
      if (!std::isfinite(u_y)) {  // the chain stays where it was
        for (size_t k = 0; k < q; ++k) row[layout.psi() + c * q + k] = psi_in[c * q + k];
        continue;
      }
    }
    double u_eta = prior(eta);
    // Kernel 1: independent proposals from the prior, accepted on the likelihood ratio.
    for (int step = 0; step < sampler.steps1; ++step) {
      Vector z(qe);
      for (auto& value : z) value = normal(rng);
      const Vector proposal = sampler.omega_factor * z;
      const double u_trial = energy_at(subjects, worker, s, point, proposal, &trial);
      row[layout.counts() + 1] += 1;
      if (std::log(uniform(rng)) < u_y - u_trial) {
        eta = proposal;
        u_y = u_trial;
        u_eta = prior(eta);
        std::swap(current, trial);
        row[layout.counts()] += 1;
      }
    }
    // Kernel 2: a random walk on one component at a time.
    for (int step = 0; step < sampler.steps2; ++step) {
      for (size_t k = 0; k < q; ++k) {
        Vector proposal = eta;
        proposal(static_cast<Eigen::Index>(k)) +=
            sampler.d2(static_cast<Eigen::Index>(k)) * normal(rng);
        const double u_trial = energy_at(subjects, worker, s, point, proposal, &trial);
        const double u_eta_trial = prior(proposal);
        row[layout.k2() + q + k] += 1;
        if (std::log(uniform(rng)) < (u_y + u_eta) - (u_trial + u_eta_trial)) {
          eta = proposal;
          u_y = u_trial;
          u_eta = u_eta_trial;
          std::swap(current, trial);
          row[layout.k2() + k] += 1;
        }
      }
    }
    // Kernel 3: a random walk on a random block of 2..q components (block size cycling).
    if (q > 1) {
      for (int step = 0; step < sampler.steps3; ++step) {
        const size_t size = 2 + static_cast<size_t>(iteration + step) % (q - 1);
        for (size_t k = 0; k < q; ++k) order[k] = k;
        for (size_t k = 0; k < size; ++k) {  // partial Fisher-Yates: the first `size` entries
          std::uniform_int_distribution<size_t> pick(k, q - 1);
          std::swap(order[k], order[pick(rng)]);
        }
        Vector proposal = eta;
        for (size_t k = 0; k < size; ++k) {
          const auto j = static_cast<Eigen::Index>(order[k]);
          proposal(j) += sampler.d3(static_cast<Eigen::Index>(size - 2), j) * normal(rng);
        }
        const double u_trial = energy_at(subjects, worker, s, point, proposal, &trial);
        const double u_eta_trial = prior(proposal);
        row[layout.k3() + (q - 1) + (size - 2)] += 1;
        if (std::log(uniform(rng)) < (u_y + u_eta) - (u_trial + u_eta_trial)) {
          eta = proposal;
          u_y = u_trial;
          u_eta = u_eta_trial;
          std::swap(current, trial);
          row[layout.k3() + (size - 2)] += 1;
        }
      }
    }
    for (size_t k = 0; k < q; ++k)
      row[layout.psi() + c * q + k] =
          eta(static_cast<Eigen::Index>(k)) + mu(static_cast<Eigen::Index>(k));
    for (Eigen::Index j = 0; j < current.f.size(); ++j)
      row[layout.f() + c * layout.n_max + static_cast<size_t>(j)] = current.f(j);
    row[layout.ok()] += 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Importance sampling of one subject's log-likelihood (with its constants).

struct ImportanceResult {
  double log_likelihood = kNaN;
  double variance = kNaN;  // Monte Carlo variance of log_likelihood (delta method)
};

ImportanceResult importance_sample(SubjectPool& subjects, size_t worker, size_t s,
                                   const PopulationPoint& point, const Vector& mean,
                                   const Matrix& covariance, int draws, double df, uint64_t key) {
  const auto q = mean.size();
  Eigen::LLT<Matrix> cholesky(covariance);
  Matrix factor;
  if (cholesky.info() == Eigen::Success) {
    factor = cholesky.matrixL();
  } else {  // a chain that did not move: a proposal as wide as a quarter of the prior
    factor = (0.5 * point.omega.diagonal().cwiseSqrt()).asDiagonal();
  }
  const double log_det_factor = factor.diagonal().array().log().sum();
  const double n_obs = static_cast<double>(subjects.y(s).size());
  const double log_two_pi = std::log(2 * std::numbers::pi);
  const double qd = static_cast<double>(q);
  const double log_t_constant = std::lgamma(0.5 * (df + qd)) - std::lgamma(0.5 * df) -
                                0.5 * qd * std::log(df * std::numbers::pi) - log_det_factor;
  std::mt19937_64 rng = pk::task_rng(key, s);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::chi_squared_distribution<double> chi_squared(df);
  std::vector<double> log_weights(static_cast<size_t>(draws));
  IndividualPrediction prediction;
  for (int m = 0; m < draws; ++m) {
    Vector z(q);
    for (auto& value : z) value = normal(rng);
    const double scale = std::sqrt(df / chi_squared(rng));
    const Vector eta = mean + scale * (factor * z);
    const double u_y = energy_at(subjects, worker, s, point, eta, &prediction);
    const double log_proposal = log_t_constant - 0.5 * (df + qd) * std::log1p(z.squaredNorm() / df);
    const double log_prior = -0.5 * eta.dot(point.omega_inverse * eta) - 0.5 * point.log_det_omega -
                             0.5 * qd * log_two_pi;
    log_weights[static_cast<size_t>(m)] =
        std::isfinite(u_y) ? -u_y - 0.5 * n_obs * log_two_pi + log_prior - log_proposal
                           : -kInfinity;
  }
  const double top = *std::max_element(log_weights.begin(), log_weights.end());
  ImportanceResult result;
  if (!std::isfinite(top)) return result;
  double sum = 0, sum_squares = 0;
  for (double w : log_weights) {
    const double e = std::exp(w - top);
    sum += e;
    sum_squares += e * e;
  }
  const double count = static_cast<double>(draws);
  const double mean_weight = sum / count;
  result.log_likelihood = top + std::log(mean_weight);
  const double variance_weight = std::max(0.0, sum_squares / count - mean_weight * mean_weight);
  result.variance = variance_weight / (count * mean_weight * mean_weight);
  return result;
}

// Names of the reported parameters in the order of the FOCE family's report.
std::vector<std::string> trajectory_names(const PopulationModel& model) {
  std::vector<std::string> names;
  for (const Theta& theta : model.thetas) names.push_back(theta.name);
  for (const OmegaBlock& block : model.omega) {
    const size_t k = block.etas.size();
    for (size_t a = 0; a < k; ++a)
      for (size_t c = 0; c <= a; ++c) {
        if (a != c && block.diagonal) continue;
        const std::string& row = model.etas[static_cast<size_t>(block.etas[a])];
        names.push_back(
            "omega " + (a == c ? row : row + "," + model.etas[static_cast<size_t>(block.etas[c])]));
      }
  }
  for (const ResidualError& error : model.errors) {
    if (error.has_additive()) names.push_back("sigma " + error.observable + " additive");
    if (error.has_proportional()) names.push_back("sigma " + error.observable + " proportional");
  }
  return names;
}

std::vector<double> trajectory_row(const PopulationModel& model, const PopulationPoint& point) {
  std::vector<double> row = point.theta;
  for (const OmegaBlock& block : model.omega) {
    const size_t k = block.etas.size();
    for (size_t a = 0; a < k; ++a)
      for (size_t c = 0; c <= a; ++c)
        if (a == c || !block.diagonal) row.push_back(point.omega(block.etas[a], block.etas[c]));
  }
  for (size_t o = 0; o < model.errors.size(); ++o) {
    if (model.errors[o].has_additive()) row.push_back(point.additive_sd[o] * point.additive_sd[o]);
    if (model.errors[o].has_proportional())
      row.push_back(point.proportional_sd[o] * point.proportional_sd[o]);
  }
  return row;
}

// argmin over (a, b) of sum_j [log V_j + r_j^2 / V_j], V = a^2 + b^2 f^2, for a combined error
// model (one of them may be fixed): Newton on (log a, log b) with step halving.
std::pair<double, double> combined_error_minimum(const std::vector<double>& r,
                                                 const std::vector<double>& f, double a, double b,
                                                 bool a_fixed, bool b_fixed) {
  auto value = [&](double log_a, double log_b) {
    const double a2 = std::exp(2 * log_a), b2 = std::exp(2 * log_b);
    double sum = 0;
    for (size_t j = 0; j < r.size(); ++j) {
      const double v = a2 + b2 * f[j] * f[j];
      sum += std::log(v) + r[j] * r[j] / v;
    }
    return sum;
  };
  Eigen::Vector2d x(std::log(a), std::log(b));
  const Eigen::Vector2d mask(a_fixed ? 0 : 1, b_fixed ? 0 : 1);
  double current = value(x(0), x(1));
  const double h = 1e-4;
  for (int iteration = 0; iteration < 50; ++iteration) {
    Eigen::Vector2d g;
    Eigen::Matrix2d hessian;
    for (int i = 0; i < 2; ++i) {
      Eigen::Vector2d e = Eigen::Vector2d::Zero();
      e(i) = h;
      g(i) = (value(x(0) + e(0), x(1) + e(1)) - value(x(0) - e(0), x(1) - e(1))) / (2 * h);
      for (int j = 0; j < 2; ++j) {
        Eigen::Vector2d f2 = Eigen::Vector2d::Zero();
        f2(j) = h;
        hessian(i, j) = (value(x(0) + e(0) + f2(0), x(1) + e(1) + f2(1)) -
                         value(x(0) + e(0) - f2(0), x(1) + e(1) - f2(1)) -
                         value(x(0) - e(0) + f2(0), x(1) - e(1) + f2(1)) +
                         value(x(0) - e(0) - f2(0), x(1) - e(1) - f2(1))) /
                        (4 * h * h);
      }
    }
    g = g.cwiseProduct(mask);
    for (int i = 0; i < 2; ++i)
      if (mask(i) == 0) {
        hessian.row(i).setZero();
        hessian.col(i).setZero();
        hessian(i, i) = 1;
      }
    Eigen::Vector2d step;
    Eigen::LLT<Eigen::Matrix2d> llt(hessian);
    step = llt.info() == Eigen::Success ? Eigen::Vector2d(-llt.solve(g)) : Eigen::Vector2d(-g);
    if (step.cwiseAbs().maxCoeff() > 1) step /= step.cwiseAbs().maxCoeff();
    double t = 1;
    bool accepted = false;
    for (int halving = 0; halving < 30; ++halving) {
      const Eigen::Vector2d trial = x + t * step;
      const double v = value(trial(0), trial(1));
      if (std::isfinite(v) && v <= current) {
        x = trial;
        accepted = current - v > 1e-12 * std::max(1.0, std::abs(current));
        current = v;
        break;
      }
      t *= 0.5;
    }
    if (!accepted || t * step.cwiseAbs().maxCoeff() < 1e-10) break;
  }
  return {std::exp(x(0)), std::exp(x(1))};
}

}  // namespace

bool SaemOptions::IsValid(std::string* why) const {
  auto fail = [&](const std::string& text) {
    if (why) *why = text;
    return false;
  };
  if (burn_in < 0) return fail("burn_in must be >= 0");
  if (exploration_iterations < 1) return fail("exploration_iterations must be >= 1");
  if (smoothing_iterations < 1) return fail("smoothing_iterations must be >= 1");
  if (chains < 0) return fail("chains must be >= 0");
  if (kernel1_steps < 0 || kernel2_steps < 0 || kernel3_steps < 0)
    return fail("kernel steps must be >= 0");
  if (kernel1_steps + kernel2_steps + kernel3_steps == 0)
    return fail("at least one Metropolis-Hastings step per iteration");
  if (!(target_acceptance > 0 && target_acceptance < 1))
    return fail("target_acceptance must be in (0, 1)");
  if (!(adaptation_rate >= 0 && adaptation_rate < 1))
    return fail("adaptation_rate must be in [0, 1)");
  if (!(annealing >= 0 && annealing < 1)) return fail("annealing must be in [0, 1)");
  if (importance_samples < 0) return fail("importance_samples must be >= 0");
  if (!(importance_df > 0)) return fail("importance_df must be > 0");
  if (threads < 0) return fail("threads must be >= 0");
  if (time_limit_s < 0) return fail("time_limit_s must be >= 0");
  return true;
}

void Solve(const SaemOptions& options, const PopulationProblem& problem, SaemSummary* summary) {
  std::string why;
  if (!options.IsValid(&why)) throw std::invalid_argument("SAEM options: " + why);
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  SaemSummary& out = *summary;
  out = SaemSummary{};
  out.seed = options.seed;

  // The FOCE-I objective at the starting values: validates the model and data as the FOCE
  // family does (same errors), and fails early when the start cannot be evaluated.
  PopulationOptions check;
  check.method = Method::kFoceI;
  check.max_iterations = 0;
  check.covariance = CovarianceMatrix::kNone;
  check.diagnostics = false;
  check.threads = options.threads;
  {
    PopulationSummary at_start;
    Solve(check, problem, &at_start);
    if (at_start.status == PopulationStatus::kFailed) {
      out.population = at_start;
      out.population.method = Method::kSaem;
      return;
    }
  }

  const PopulationModel& model = problem.model;
  const PopulationData& data = problem.data;
  std::vector<std::string> parameter_names;
  const IndividualModel individual = individual_model_of(problem, &parameter_names);
  SubjectPool subjects(problem, individual, options.threads);
  const size_t n = subjects.size(), q = model.etas.size();
  const auto qe = static_cast<Eigen::Index>(q);
  const MuReferencing mu_ref = analyse(model, individual, subjects.covariates(), parameter_names);
  for (size_t k = 0; k < q; ++k) {
    out.eta_parameters.push_back(parameter_names[static_cast<size_t>(mu_ref.parameter_of_eta[k])]);
    out.eta_transforms.push_back(transform_name(mu_ref.transform[k]));
  }

  const int chains =
      options.chains > 0
          ? options.chains
          : std::max(1, (kChainTarget + static_cast<int>(n) - 1) / static_cast<int>(n));
  out.chains = chains;
  out.burn_in = options.burn_in;
  out.exploration_iterations = options.exploration_iterations;
  out.smoothing_iterations = options.smoothing_iterations;
  Layout layout;
  layout.q = q;
  layout.chains = static_cast<size_t>(chains);
  layout.n_max = subjects.max_observations();

  PopulationPoint point = start_point(model, data.observables.size());

  // mu_i(THETA) for every subject (N x q).
  IndividualModel::Scratch scratch;
  std::vector<double> phi(individual.num_model_parameters());
  const std::vector<double> zero_eta(q, 0.0);
  auto mu_of = [&](const std::vector<double>& theta, Matrix* mu) {
    mu->resize(static_cast<Eigen::Index>(n), qe);
    for (size_t s = 0; s < n; ++s) {
      individual.evaluate(theta, zero_eta, subjects.covariates()[s], phi, {}, &scratch);
      for (size_t k = 0; k < q; ++k)
        (*mu)(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(k)) =
            to_psi(mu_ref.transform[k], phi[static_cast<size_t>(mu_ref.parameter_of_eta[k])]);
    }
    return mu->allFinite();
  };
  Matrix mu;
  if (!mu_of(point.theta, &mu))
    throw UserError("population model",
                    "SAEM: an individual parameter with a random effect is outside the domain of "
                    "its transform at the starting values (log: > 0; logit: in (0, 1))");

  // Chain states psi (N x chains x q), all at mu to start.
  std::vector<double> psi(n * layout.chains * q);
  for (size_t s = 0; s < n; ++s)
    for (size_t c = 0; c < layout.chains; ++c)
      for (size_t k = 0; k < q; ++k)
        psi[(s * layout.chains + c) * q + k] =
            mu(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(k));

  Sampler sampler;
  sampler.steps1 = options.kernel1_steps;
  sampler.steps2 = options.kernel2_steps;
  sampler.steps3 = options.kernel3_steps;
  sampler.d2 = kRandomWalkStart * point.omega.diagonal().cwiseSqrt();
  sampler.d3 = Matrix(std::max<Eigen::Index>(qe - 1, 1), qe);
  for (Eigen::Index b = 0; b < sampler.d3.rows(); ++b) sampler.d3.row(b) = sampler.d2.transpose();

  // Sufficient statistics.
  Matrix s1 = mu;                    // per subject SA of psi (N x q)
  Matrix s2 = Matrix::Zero(qe, qe);  // SA of sum_i psi_i psi_i'
  for (size_t s = 0; s < n; ++s)
    s2 += mu.row(static_cast<Eigen::Index>(s)).transpose() * mu.row(static_cast<Eigen::Index>(s));
  const size_t num_obs = data.observables.size();
  std::vector<double> stat_r2(num_obs, 0.0), stat_rf2(num_obs, 0.0), count(num_obs, 0.0);
  for (size_t s = 0; s < n; ++s)
    for (int b : subjects.block(s)) count[static_cast<size_t>(b)] += 1;
  // Conditional moments of psi over the smoothing phase (importance sampling).
  Matrix conditional_sum = Matrix::Zero(static_cast<Eigen::Index>(n), qe);
  std::vector<Matrix> conditional_outer(n, Matrix::Zero(qe, qe));
  double conditional_count = 0;

  out.trajectory_names = trajectory_names(model);
  const int total = options.burn_in + options.exploration_iterations + options.smoothing_iterations;
  const int annealing_end = options.burn_in + options.exploration_iterations / 2;
  auto& population = out.population;
  PopulationStatus status = PopulationStatus::kConverged;
  std::string message;

  // Which OMEGA entries the M-step estimates, and the fixed ones.
  std::vector<std::vector<bool>> omega_free(q, std::vector<bool>(q, false));
  for (const OmegaBlock& block : model.omega) {
    if (block.fixed) continue;
    for (size_t a = 0; a < block.etas.size(); ++a)
      for (size_t c = 0; c < block.etas.size(); ++c)
        if (a == c || !block.diagonal)
          omega_free[static_cast<size_t>(block.etas[a])][static_cast<size_t>(block.etas[c])] = true;
  }

  int iteration = 0;
  for (; iteration < total; ++iteration) {
    if (options.cancelled && options.cancelled()) {
      status = PopulationStatus::kInterrupted;
      message = "interrupted at iteration " + std::to_string(iteration);
      break;
    }
    if (options.time_limit_s > 0 && elapsed() > options.time_limit_s) {
      status = PopulationStatus::kInterrupted;
      message = "the time limit of " + format_number(options.time_limit_s) +
                " s was reached at iteration " + std::to_string(iteration);
      break;
    }
    // E-step.
    sampler.point = &point;
    sampler.omega_factor = Eigen::LLT<Matrix>(point.omega).matrixL();
    const uint64_t key = pk::splitmix64(options.seed ^ kMcmcStream ^
                                        pk::splitmix64(static_cast<uint64_t>(iteration)));
    const size_t width = layout.width();
    const std::vector<double> rows = pk::distributed_map(
        n, width, options.threads, [&] { return subjects.worker(); },
        [&](size_t s, size_t worker, std::span<double> row) {
          sample_subject(
              subjects, worker, s, sampler, layout,
              mu.row(static_cast<Eigen::Index>(s)).transpose(),
              std::span<const double>(psi).subspan(s * layout.chains * q, layout.chains * q), key,
              iteration, row);
        });
    // New states, acceptance, adaptation of the random-walk scales.
    double accepted1 = 0, tried1 = 0, accepted_rw = 0, tried_rw = 0;
    Vector accepted2 = Vector::Zero(qe), tried2 = Vector::Zero(qe);
    Vector accepted3 = Vector::Zero(std::max<Eigen::Index>(qe - 1, 1)), tried3 = accepted3;
    for (size_t s = 0; s < n; ++s) {
      const double* row = &rows[s * width];
      if (row[layout.ok()] < static_cast<double>(layout.chains) && iteration == 0) {
        population.status = PopulationStatus::kFailed;
        population.method = Method::kSaem;
        population.message =
            "subject " + data.subjects[s].id + " cannot be evaluated at the starting values (SAEM)";
        return;
      }
      std::copy(row, row + layout.chains * q,
                psi.begin() + static_cast<long>(s * layout.chains * q));
      accepted1 += row[layout.counts()];
      tried1 += row[layout.counts() + 1];
      for (size_t k = 0; k < q; ++k) {
        accepted2(static_cast<Eigen::Index>(k)) += row[layout.k2() + k];
        tried2(static_cast<Eigen::Index>(k)) += row[layout.k2() + q + k];
      }
      for (size_t b = 0; b + 1 < q; ++b) {
        accepted3(static_cast<Eigen::Index>(b)) += row[layout.k3() + b];
        tried3(static_cast<Eigen::Index>(b)) += row[layout.k3() + (q - 1) + b];
      }
    }
    for (Eigen::Index k = 0; k < qe; ++k)
      if (tried2(k) > 0)
        sampler.d2(k) *=
            1 + options.adaptation_rate * (accepted2(k) / tried2(k) - options.target_acceptance);
    for (Eigen::Index b = 0; b + 1 < qe; ++b)
      if (tried3(b) > 0)
        sampler.d3.row(b) *=
            1 + options.adaptation_rate * (accepted3(b) / tried3(b) - options.target_acceptance);
    accepted_rw = accepted2.sum() + (q > 1 ? accepted3.sum() : 0.0);
    tried_rw = tried2.sum() + (q > 1 ? tried3.sum() : 0.0);
    out.acceptance_prior = tried1 > 0 ? accepted1 / tried1 : kNaN;
    out.acceptance_random_walk = tried_rw > 0 ? accepted_rw / tried_rw : kNaN;

    if (iteration < options.burn_in) {
      const std::vector<double> row = trajectory_row(model, point);
      out.trajectory.insert(out.trajectory.end(), row.begin(), row.end());
      continue;
    }
    const int k_phase = iteration - options.burn_in;  // 0-based after burn-in
    const double gamma =
        k_phase < options.exploration_iterations
            ? 1.0
            : 1.0 / static_cast<double>(k_phase - options.exploration_iterations + 1);

    // Stochastic approximation of the statistics (means over chains).
    const double per_chain = 1.0 / static_cast<double>(layout.chains);
    Matrix new_s1 = Matrix::Zero(static_cast<Eigen::Index>(n), qe), new_s2 = Matrix::Zero(qe, qe);
    std::vector<double> new_r2(num_obs, 0.0), new_rf2(num_obs, 0.0);
    const bool smoothing = k_phase >= options.exploration_iterations;
    for (size_t s = 0; s < n; ++s) {
      const double* row = &rows[s * width];
      Matrix outer = Matrix::Zero(qe, qe);
      for (size_t c = 0; c < layout.chains; ++c) {
        const Eigen::Map<const Vector> psi_c(row + c * q, qe);
        new_s1.row(static_cast<Eigen::Index>(s)) += per_chain * psi_c.transpose();
        outer += per_chain * psi_c * psi_c.transpose();
        const std::vector<double>& y = subjects.y(s);
        for (size_t j = 0; j < y.size(); ++j) {
          const double f = row[layout.f() + c * layout.n_max + j];
          const double r = y[j] - f;
          const auto o = static_cast<size_t>(subjects.block(s)[j]);
          new_r2[o] += per_chain * r * r;
          new_rf2[o] += per_chain * (f != 0 ? r * r / (f * f) : 0.0);
        }
      }
      new_s2 += outer;
      if (smoothing) {
        conditional_sum.row(static_cast<Eigen::Index>(s)) +=
            new_s1.row(static_cast<Eigen::Index>(s));
        conditional_outer[s] += outer;
      }
    }
    if (smoothing) conditional_count += 1;
    s1 += gamma * (new_s1 - s1);
    s2 += gamma * (new_s2 - s2);
    for (size_t o = 0; o < num_obs; ++o) {
      stat_r2[o] += gamma * (new_r2[o] - stat_r2[o]);
      stat_rf2[o] += gamma * (new_rf2[o] - stat_rf2[o]);
    }

    // M-step: THETA by Gauss-Newton on sum_i (s_i - mu_i)' OMEGA^-1 (s_i - mu_i).
    PopulationPoint next = point;
    if (!mu_ref.thetas.empty()) {
      const size_t p = mu_ref.thetas.size();
      const auto pe = static_cast<Eigen::Index>(p);
      Vector x(pe);
      for (size_t i = 0; i < p; ++i) {
        const auto t = static_cast<size_t>(mu_ref.thetas[i]);
        x(static_cast<Eigen::Index>(i)) = theta_to_internal(model.thetas[t], point.theta[t]);
      }
      auto theta_at = [&](const Vector& at) {
        std::vector<double> theta = point.theta;
        for (size_t i = 0; i < p; ++i) {
          const auto t = static_cast<size_t>(mu_ref.thetas[i]);
          theta[t] = theta_to_natural(model.thetas[t], at(static_cast<Eigen::Index>(i)));
        }
        return theta;
      };
      const Matrix& w = point.omega_inverse;
      auto objective = [&](const Matrix& m) {
        double sum = 0;
        for (Eigen::Index s = 0; s < static_cast<Eigen::Index>(n); ++s) {
          const Vector d = (s1.row(s) - m.row(s)).transpose();
          sum += d.dot(w * d);
        }
        return sum;
      };
      Matrix m_current;
      mu_of(theta_at(x), &m_current);
      double current = objective(m_current);
      for (int gn = 0; gn < 50; ++gn) {
        Matrix jtj = Matrix::Zero(pe, pe);
        Vector jtr = Vector::Zero(pe);
        std::vector<Matrix> jacobian(n, Matrix(qe, pe));
        bool finite = true;
        for (Eigen::Index i = 0; i < pe; ++i) {
          const double h = 1e-6 * std::max(1.0, std::abs(x(i)));
          Vector plus = x, minus = x;
          plus(i) += h;
          minus(i) -= h;
          Matrix m_plus, m_minus;
          finite = mu_of(theta_at(plus), &m_plus) && mu_of(theta_at(minus), &m_minus) && finite;
          for (size_t s = 0; s < n; ++s)
            jacobian[s].col(i) = ((m_plus.row(static_cast<Eigen::Index>(s)) -
                                   m_minus.row(static_cast<Eigen::Index>(s))) /
                                  (2 * h))
                                     .transpose();
        }
        if (!finite) break;
        for (size_t s = 0; s < n; ++s) {
          const auto se = static_cast<Eigen::Index>(s);
          jtj += jacobian[s].transpose() * w * jacobian[s];
          jtr += jacobian[s].transpose() * w * (s1.row(se) - m_current.row(se)).transpose();
        }
        jtj.diagonal() *= 1 + 1e-10;
        const Vector step = jtj.ldlt().solve(jtr);
        if (!step.allFinite()) break;
        double t = 1;
        bool accepted = false;
        for (int halving = 0; halving < 30; ++halving) {
          const Vector trial = x + t * step;
          Matrix m_trial;
          if (mu_of(theta_at(trial), &m_trial)) {
            const double value = objective(m_trial);
            if (value <= current) {
              x = trial;
              accepted = current - value > 1e-14 * std::max(1.0, current);
              current = value;
              m_current = m_trial;
              break;
            }
          }
          t *= 0.5;
        }
        if (!accepted || (t * step).cwiseAbs().maxCoeff() < 1e-12) break;
      }
      next.theta = theta_at(x);
    }
    mu_of(next.theta, &mu);

    // OMEGA = M / N on the declared structure.
    Matrix m_matrix = s2;
    for (size_t s = 0; s < n; ++s) {
      const auto se = static_cast<Eigen::Index>(s);
      const Vector mean = mu.row(se).transpose(), stat = s1.row(se).transpose();
      m_matrix += -stat * mean.transpose() - mean * stat.transpose() + mean * mean.transpose();
    }
    m_matrix /= static_cast<double>(n);
    for (size_t a = 0; a < q; ++a)
      for (size_t c = 0; c < q; ++c) {
        const auto ae = static_cast<Eigen::Index>(a), ce = static_cast<Eigen::Index>(c);
        if (omega_free[a][c]) next.omega(ae, ce) = m_matrix(ae, ce);
      }
    const bool annealing = iteration < annealing_end && options.annealing > 0;
    if (annealing)
      for (Eigen::Index k = 0; k < qe; ++k)
        if (omega_free[static_cast<size_t>(k)][static_cast<size_t>(k)])
          next.omega(k, k) = std::max(next.omega(k, k), options.annealing * point.omega(k, k));

    // Residual error.
    for (size_t o = 0; o < num_obs; ++o) {
      const ResidualError& error = model.errors[o];
      double a = point.additive_sd[o], b = point.proportional_sd[o];
      if (error.kind == ErrorKind::kAdditive) {
        if (!error.additive_fixed) a = std::sqrt(stat_r2[o] / count[o]);
      } else if (error.kind == ErrorKind::kProportional) {
        if (!error.proportional_fixed) b = std::sqrt(stat_rf2[o] / count[o]);
      } else if (!(error.additive_fixed && error.proportional_fixed)) {
        std::vector<double> r, f;
        for (size_t s = 0; s < n; ++s) {
          const double* row = &rows[s * width];
          const std::vector<double>& y = subjects.y(s);
          for (size_t c = 0; c < layout.chains; ++c)
            for (size_t j = 0; j < y.size(); ++j) {
              if (static_cast<size_t>(subjects.block(s)[j]) != o) continue;
              f.push_back(row[layout.f() + c * layout.n_max + j]);
              r.push_back(y[j] - f.back());
            }
        }
        const auto [a_min, b_min] =
            combined_error_minimum(r, f, a, b, error.additive_fixed, error.proportional_fixed);
        a += gamma * (a_min - a);
        b += gamma * (b_min - b);
      }
      if (annealing) {
        if (error.has_additive() && !error.additive_fixed)
          a = std::max(a, options.annealing * point.additive_sd[o]);
        if (error.has_proportional() && !error.proportional_fixed)
          b = std::max(b, options.annealing * point.proportional_sd[o]);
      }
      if (error.has_additive()) next.additive_sd[o] = a;
      if (error.has_proportional()) next.proportional_sd[o] = b;
    }
    if (!next.prepare() || !std::isfinite(next.log_det_omega)) {
      status = PopulationStatus::kFailed;
      message = "OMEGA became singular at iteration " + std::to_string(iteration) +
                " (a random effect with no variability in these data?)";
      break;
    }
    point = next;
    const std::vector<double> row = trajectory_row(model, point);
    out.trajectory.insert(out.trajectory.end(), row.begin(), row.end());
  }
  if (status == PopulationStatus::kConverged)
    message = "SAEM completed " + std::to_string(options.burn_in) + " burn-in, " +
              std::to_string(options.exploration_iterations) + " exploration and " +
              std::to_string(options.smoothing_iterations) +
              " smoothing iterations (judge convergence from the trajectory)";

  // -2 log L by importance sampling.
  out.importance_minus_two_log_likelihood = kNaN;
  out.importance_standard_error = kNaN;
  if (options.importance_samples > 0 && conditional_count > 0 &&
      status != PopulationStatus::kFailed) {
    out.importance_samples = options.importance_samples;
    const uint64_t key = pk::splitmix64(options.seed ^ kImportanceStream);
    const std::vector<double> rows = pk::distributed_map(
        n, 2, options.threads, [&] { return subjects.worker(); },
        [&](size_t s, size_t worker, std::span<double> row) {
          const auto se = static_cast<Eigen::Index>(s);
          const Vector mean_psi = conditional_sum.row(se).transpose() / conditional_count;
          const Matrix covariance =
              conditional_outer[s] / conditional_count - mean_psi * mean_psi.transpose();
          const Vector mean_eta = mean_psi - mu.row(se).transpose();
          const ImportanceResult result = importance_sample(
              subjects, worker, s, point, mean_eta, 0.5 * (covariance + covariance.transpose()),
              options.importance_samples, options.importance_df, key);
          row[0] = result.log_likelihood;
          row[1] = result.variance;
        });
    double sum = 0, variance = 0;
    for (size_t s = 0; s < n; ++s) {
      sum += rows[2 * s];
      variance += rows[2 * s + 1];
    }
    if (std::isfinite(sum)) {
      out.importance_minus_two_log_likelihood = -2 * sum;
      out.importance_standard_error = 2 * std::sqrt(variance);
    }
  }

  // The FOCE-I evaluation at the estimates: objective, covariance step, EBEs, diagnostics.
  PopulationProblem at_estimate{with_point(model, point), data};
  PopulationOptions evaluation;
  evaluation.method = Method::kFoceI;
  evaluation.max_iterations = 0;
  evaluation.covariance =
      status == PopulationStatus::kFailed ? CovarianceMatrix::kNone : options.covariance;
  evaluation.diagnostics = options.diagnostics;
  evaluation.threads = options.threads;
  Solve(evaluation, at_estimate, &population);
  out.focei_objective = population.objective;
  if (population.covariance_ok)
    population.covariance_method =
        "at the SAEM estimates, from the FOCE-I objective: " + population.covariance_method;
  population.notes.push_back("FOCE-I objective at the SAEM estimates: " +
                             format_number(out.focei_objective, 10));
  population.method = Method::kSaem;
  population.status = status;
  population.message = message;
  population.iterations = iteration;
  population.evaluations = iteration;
  const double constant = population.num_observations * std::log(2 * std::numbers::pi);
  if (std::isfinite(out.importance_minus_two_log_likelihood)) {
    population.minus_two_log_likelihood = out.importance_minus_two_log_likelihood;
    population.objective = population.minus_two_log_likelihood - constant;
  } else {
    population.notes.push_back(
        "-2 log L is the FOCE-I approximation (importance sampling " +
        std::string(options.importance_samples == 0 ? "not requested)" : "failed)"));
  }
  const double p = static_cast<double>(population.num_estimated);
  population.aic = population.minus_two_log_likelihood + 2 * p;
  population.bic = population.minus_two_log_likelihood +
                   p * std::log(static_cast<double>(population.num_observations));
  population.wall_time_s = elapsed();
}

// ---------------------------------------------------------------------------------------------
// Reports.

void print_text(const SaemSummary& s, std::ostream& out) {
  print_text(s.population, out);
  out << "SAEM: seed " << s.seed << ", " << s.chains << " chain(s) per subject, " << s.burn_in
      << " + " << s.exploration_iterations << " + " << s.smoothing_iterations
      << " iterations (burn-in, exploration, smoothing); acceptance: prior kernel "
      << format_number(100 * s.acceptance_prior, 3) << " %, random walks "
      << format_number(100 * s.acceptance_random_walk, 3) << " %\n";
  for (size_t k = 0; k < s.eta_parameters.size(); ++k)
    out << "  " << s.population.eta_names[k] << ": " << s.eta_transforms[k] << " scale of "
        << s.eta_parameters[k] << "\n";
  if (std::isfinite(s.importance_minus_two_log_likelihood))
    out << "-2 log L by importance sampling (" << s.importance_samples
        << " t draws per subject): " << format_number(s.importance_minus_two_log_likelihood, 10)
        << " (Monte Carlo SE " << format_number(s.importance_standard_error, 3) << ")\n";
  out << "FOCE-I objective at the SAEM estimates: " << format_number(s.focei_objective, 10) << "\n";
}

std::string to_json_text(const SaemSummary& s, bool include_tables) {
  nlohmann::json out = nlohmann::json::parse(to_json_text(s.population, include_tables));
  auto number = [](double value) {
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
  };
  nlohmann::json transforms = nlohmann::json::object();
  for (size_t k = 0; k < s.eta_parameters.size(); ++k)
    transforms[s.population.eta_names[k]] = {{"parameter", s.eta_parameters[k]},
                                             {"scale", s.eta_transforms[k]}};
  out["saem"] = {
      {"seed", s.seed},
      {"chains", s.chains},
      {"burn_in", s.burn_in},
      {"exploration_iterations", s.exploration_iterations},
      {"smoothing_iterations", s.smoothing_iterations},
      {"importance_samples", s.importance_samples},
      {"importance_minus_two_log_likelihood", number(s.importance_minus_two_log_likelihood)},
      {"importance_standard_error", number(s.importance_standard_error)},
      {"focei_objective", number(s.focei_objective)},
      {"acceptance_prior", number(s.acceptance_prior)},
      {"acceptance_random_walk", number(s.acceptance_random_walk)},
      {"random_effects", transforms}};
  return out.dump(2);
}

void write_trajectory_csv(const SaemSummary& s, std::ostream& out) {
  out << "ITERATION,PHASE";
  for (const auto& name : s.trajectory_names) out << "," << csv_field(name);
  out << "\n";
  const size_t width = s.trajectory_names.size();
  if (width == 0) return;
  for (size_t row = 0; row * width < s.trajectory.size(); ++row) {
    const auto k = static_cast<int>(row);
    const char* phase = k < s.burn_in                              ? "burn-in"
                        : k < s.burn_in + s.exploration_iterations ? "exploration"
                                                                   : "smoothing";
    out << k + 1 << "," << phase;
    for (size_t c = 0; c < width; ++c) out << "," << csv_value(s.trajectory[row * width + c], 17);
    out << "\n";
  }
}

}  // namespace onset::fits::population
