#include "fits/fit_objective.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace onset::fits {

FitObjective::FitObjective(const FitProblem& problem, Predictor* predictor)
    : problem_(problem), predictor_(predictor), y_(problem.y) {
  y_low_ = problem.y_low.empty() ? std::vector<double>(y_.size(), 0.0) : problem.y_low;
  for (size_t i = 0; i < problem.parameters.size(); ++i) {
    if (!problem.parameters[i].fixed) estimated_.push_back(static_cast<int>(i));
  }
  const size_t n = problem.y.size();
  members_.resize(problem.blocks.size());
  rows_.resize(problem.blocks.size());
  nk_.assign(problem.blocks.size(), 0.0);
  mult_.assign(n, 1.0);
  mean_weight_.assign(n, 1.0);
  extra_row_.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const size_t k = static_cast<size_t>(problem.block[i]);
    members_[k].push_back(i);
    rows_[k].push_back(i);
    block_of_row_.push_back(problem.block[i]);
    const double animals = problem.animals.empty() ? 1.0 : problem.animals[i];
    const double w = problem.weight.empty() ? 1.0 : problem.weight[i];
    mean_weight_[i] = w * animals;
    if (!problem.within_ss.empty() && std::isfinite(problem.within_ss[i])) mult_[i] = animals;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!(mult_[i] > 1)) continue;
    const size_t k = static_cast<size_t>(problem.block[i]);
    extra_row_[i] = static_cast<long>(n + extra_obs_.size());
    rows_[k].push_back(n + extra_obs_.size());
    block_of_row_.push_back(problem.block[i]);
    extra_obs_.push_back(i);
  }
  for (size_t i = 0; i < n; ++i) nk_[static_cast<size_t>(problem.block[i])] += mult_[i];
  for (double count : nk_) total_count_ += count;
  combined_internal_.assign(problem.blocks.size(), -1);
  for (size_t k = 0; k < problem.blocks.size(); ++k) {
    if (problem.blocks[k].error == ErrorKind::kCombined) {
      combined_internal_[k] = static_cast<int>(estimated_.size() + combined_blocks_.size());
      combined_blocks_.push_back(static_cast<int>(k));
    }
  }
  block_weight_.assign(problem.blocks.size(), 1.0);
  params_.resize(problem.parameters.size());
  q_.assign(problem.blocks.size(), 0.0);
  gmean_.assign(problem.blocks.size(), 1.0);
  lambda_.assign(problem.blocks.size(), 0.0);
}

std::vector<double> FitObjective::start() const {
  std::vector<double> theta(num_internal());
  for (size_t a = 0; a < estimated_.size(); ++a) {
    const auto& parameter = problem_.parameters[static_cast<size_t>(estimated_[a])];
    theta[a] = parameter.log_scale ? std::log(parameter.start) : parameter.start;
  }
  for (size_t c = 0; c < combined_blocks_.size(); ++c) {
    const size_t k = static_cast<size_t>(combined_blocks_[c]);
    double ratio = problem_.blocks[k].combined_ratio_start;
    if (!(ratio > 0)) {
      std::vector<double> values;
      for (size_t i : members_[k]) values.push_back(std::abs(y_[i]));
      std::nth_element(values.begin(), values.begin() + static_cast<long>(values.size() / 2),
                       values.end());
      ratio = 0.1 * std::max(values[values.size() / 2], 1e-12);
    }
    theta[estimated_.size() + c] = std::log(ratio);
  }
  return theta;
}

std::pair<double, double> FitObjective::internal_bounds(size_t a) const {
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  if (a >= estimated_.size()) return {-kInfinity, kInfinity};
  const auto& parameter = problem_.parameters[static_cast<size_t>(estimated_[a])];
  if (!parameter.log_scale) return {parameter.lower, parameter.upper};
  return {parameter.lower > 0 ? std::log(parameter.lower) : -kInfinity,
          std::isfinite(parameter.upper) ? std::log(parameter.upper) : kInfinity};
}

std::vector<double> FitObjective::natural_parameters(std::span<const double> theta) const {
  std::vector<double> params(problem_.parameters.size());
  for (size_t i = 0; i < params.size(); ++i) params[i] = problem_.parameters[i].start;
  for (size_t a = 0; a < estimated_.size(); ++a) {
    const auto& parameter = problem_.parameters[static_cast<size_t>(estimated_[a])];
    params[static_cast<size_t>(estimated_[a])] =
        parameter.log_scale ? std::exp(theta[a]) : theta[a];
  }
  return params;
}

bool FitObjective::evaluate(std::span<const double> theta, double* residuals,
                            std::vector<double>* jacobian, std::string* why) {
  const size_t n = y_.size();
  const size_t ms = estimated_.size();
  const size_t m = num_internal();
  for (size_t i = 0; i < params_.size(); ++i) params_[i] = problem_.parameters[i].start;
  for (size_t a = 0; a < ms; ++a) {
    const auto& parameter = problem_.parameters[static_cast<size_t>(estimated_[a])];
    const double value = parameter.log_scale ? std::exp(theta[a]) : theta[a];
    if (!std::isfinite(value)) {
      if (why) *why = parameter.name + " is not finite";
      return false;
    }
    params_[static_cast<size_t>(estimated_[a])] = value;
  }
  f_.resize(n);
  const bool want = jacobian != nullptr;
  jf_.resize(want ? n * ms : 0);
  std::string reason;
  if (!predictor_->predict(params_, estimated_, f_, jf_, &reason)) {
    if (why) *why = reason;
    return false;
  }
  f_low_.resize(n);
  predictor_->prediction_low_parts(f_low_);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(f_[i])) {
      if (why) *why = "prediction " + std::to_string(i + 1) + " is not finite";
      return false;
    }
  }
  if (want) {
    for (size_t a = 0; a < ms; ++a) {
      const auto& parameter = problem_.parameters[static_cast<size_t>(estimated_[a])];
      if (!parameter.log_scale) continue;
      const double scale = params_[static_cast<size_t>(estimated_[a])];
      for (size_t i = 0; i < n; ++i) jf_[a * n + i] *= scale;
    }
    jacobian->assign(num_residuals() * m, 0.0);
  }
  g_.resize(n);
  dlog_gmean_.assign(m, 0.0);
  std::vector<double>& dlog_g = dlog_scratch_;
  for (size_t k = 0; k < problem_.blocks.size(); ++k) {
    const ErrorKind error = problem_.blocks[k].error;
    const auto& rows = members_[k];
    const double nk = nk_[k];
    const double sqrt_c = joint_ ? 1.0 : std::sqrt(block_weight_[k]);
    const int lambda_index = combined_internal_[k];
    const double lambda =
        lambda_index >= 0 ? std::exp(theta[static_cast<size_t>(lambda_index)]) : 0;
    lambda_[k] = lambda;
    // g_i and log G.
    double log_g_sum = 0;
    for (size_t i : rows) {
      const double f = f_[i];
      double g = 1;
      if (error == ErrorKind::kProportional || error == ErrorKind::kLogNormal) {
        if (!(f > 0)) {
          if (why)
            *why = std::string(error_kind_name(error)) + " error needs positive predictions; " +
                   "prediction " + std::to_string(i + 1) + " is " + std::to_string(f);
          return false;
        }
        g = error == ErrorKind::kProportional ? f : 1;
      } else if (error == ErrorKind::kCombined) {
        g = std::sqrt(lambda * lambda + f * f);
      }
      g_[i] = g;
      log_g_sum += mult_[i] * std::log(g);
    }
    const double big_g = std::exp(log_g_sum / nk);
    gmean_[k] = big_g;
    double q = 0;
    for (size_t i : rows) {
      const double w = mean_weight_[i];
      const double r =
          error == ErrorKind::kLogNormal
              ? std::sqrt(w) * (std::log(y_[i]) - std::log(f_[i]))
              : std::sqrt(w) * ((y_[i] - f_[i]) + (y_low_[i] - f_low_[i])) * big_g / g_[i];
      q += r * r;
      residuals[i] = sqrt_c * r;
      if (extra_row_[i] >= 0) {
        // The animals' spread about their mean, sqrt(w (n - 1) SD^2) G / g_i: it depends on
        // the parameters through g_i and G only.
        const double w_row = problem_.weight.empty() ? 1.0 : problem_.weight[i];
        const double e = std::sqrt(w_row * problem_.within_ss[i]) * big_g / g_[i];
        q += e * e;
        residuals[extra_row_[i]] = sqrt_c * e;
      }
    }
    q_[k] = q;
    if (!want) continue;
    // d log g_i / d theta_a, then d log G / d theta_a as their mean.
    dlog_g.assign(rows.size() * m, 0.0);
    if (error == ErrorKind::kProportional || error == ErrorKind::kCombined) {
      for (size_t r = 0; r < rows.size(); ++r) {
        const size_t i = rows[r];
        const double f = f_[i];
        const double factor = error == ErrorKind::kProportional ? 1 / f : f / (g_[i] * g_[i]);
        for (size_t a = 0; a < ms; ++a) dlog_g[r * m + a] = factor * jf_[a * n + i];
        if (lambda_index >= 0)
          dlog_g[r * m + static_cast<size_t>(lambda_index)] = lambda * lambda / (g_[i] * g_[i]);
      }
      for (size_t a = 0; a < m; ++a) {
        double sum = 0;
        for (size_t r = 0; r < rows.size(); ++r) sum += mult_[rows[r]] * dlog_g[r * m + a];
        dlog_gmean_[a] = sum / nk;
      }
    }
    for (size_t r = 0; r < rows.size(); ++r) {
      const size_t i = rows[r];
      const double w = mean_weight_[i];
      const double sw = sqrt_c * std::sqrt(w);
      double* row = jacobian->data() + i * m;
      if (extra_row_[i] >= 0 && error != ErrorKind::kAdditive) {
        // d e / d theta = e (d log G - d log g_i).
        double* extra = jacobian->data() + static_cast<size_t>(extra_row_[i]) * m;
        const double e = residuals[extra_row_[i]];
        for (size_t a = 0; a < m; ++a) {
          const bool own = a < ms || static_cast<int>(a) == lambda_index;
          if (own) extra[a] = e * (dlog_gmean_[a] - dlog_g[r * m + a]);
        }
      }
      if (error == ErrorKind::kLogNormal) {
        for (size_t a = 0; a < ms; ++a) row[a] = -sw * jf_[a * n + i] / f_[i];
      } else if (error == ErrorKind::kAdditive) {
        for (size_t a = 0; a < ms; ++a) row[a] = -sw * jf_[a * n + i];
      } else {
        const double scaled = big_g / g_[i];
        const double e = ((y_[i] - f_[i]) + (y_low_[i] - f_low_[i])) * scaled;
        for (size_t a = 0; a < m; ++a) {
          const bool own = a < ms || static_cast<int>(a) == lambda_index;
          if (!own) continue;
          const double df = a < ms ? jf_[a * n + i] : 0.0;
          row[a] = sw * (-df * scaled + e * (dlog_gmean_[a] - dlog_g[r * m + a]));
        }
      }
    }
  }
  if (joint_ && problem_.blocks.size() > 1) apply_joint_form(residuals, jacobian);
  return true;
}

void FitObjective::apply_joint_form(double* residuals, std::vector<double>* jacobian) {
  const size_t m = num_internal();
  const size_t blocks = problem_.blocks.size();
  const double total = total_count_;
  double log_mean = 0;  // L
  for (size_t k = 0; k < blocks; ++k)
    log_mean += nk_[k] / total * std::log(std::max(q_[k], 1e-300));
  if (jacobian) {
    // d log Q_k = 2 sum_i r_i dr_i / Q_k (r, dr: the unweighted residuals and rows above).
    dlog_q_.assign(blocks * m, 0.0);
    for (size_t k = 0; k < blocks; ++k) {
      const double q = std::max(q_[k], 1e-300);
      for (size_t i : rows_[k]) {
        const double* row = jacobian->data() + i * m;
        for (size_t a = 0; a < m; ++a) dlog_q_[k * m + a] += 2 * residuals[i] * row[a] / q;
      }
    }
    std::vector<double>& dlog_mean = dlog_scratch_;
    dlog_mean.assign(m, 0.0);
    for (size_t k = 0; k < blocks; ++k)
      for (size_t a = 0; a < m; ++a) dlog_mean[a] += nk_[k] / total * dlog_q_[k * m + a];
    // r~ = s_k r with log s_k = (log(n_k/N) + L - log Q_k) / 2: dr~ = s_k (dr + r d log s_k).
    for (size_t k = 0; k < blocks; ++k)
      for (size_t a = 0; a < m; ++a)
        dlog_q_[k * m + a] = 0.5 * (dlog_mean[a] - dlog_q_[k * m + a]);  // now d log s_k
  }
  for (size_t k = 0; k < blocks; ++k) {
    const double nk = nk_[k];
    const double scale =
        std::sqrt(nk / total * std::exp(log_mean - std::log(std::max(q_[k], 1e-300))));
    for (size_t i : rows_[k]) {
      if (jacobian) {
        double* row = jacobian->data() + i * m;
        for (size_t a = 0; a < m; ++a)
          row[a] = scale * (row[a] + residuals[i] * dlog_q_[k * m + a]);
      }
      residuals[i] *= scale;
    }
  }
}

void FitObjective::reset_block_weights() {
  std::fill(block_weight_.begin(), block_weight_.end(), 1.0);
}

double FitObjective::update_block_weights() {
  if (problem_.blocks.size() == 1) return 0;
  double total_q = 0, total_n = 0;
  for (size_t k = 0; k < q_.size(); ++k) {
    total_q += q_[k];
    total_n += nk_[k];
  }
  double change = 0;
  for (size_t k = 0; k < q_.size(); ++k) {
    const double nk = nk_[k];
    const double weight = q_[k] > 0 ? (nk / q_[k]) / (total_n / total_q) : 1.0;
    change = std::max(change, std::abs(weight / block_weight_[k] - 1));
    block_weight_[k] = weight;
  }
  return change;
}

double FitObjective::profile_objective() const {
  double value = 0;
  for (size_t k = 0; k < q_.size(); ++k) {
    const double nk = nk_[k];
    value += nk * std::log(std::max(q_[k], 1e-300));
  }
  return value;
}

FitObjective::Statistics FitObjective::statistics() const {
  Statistics stats;
  double log_w = 0, log_y = 0;
  for (size_t i = 0; i < y_.size(); ++i) {
    stats.rss += (y_[i] - f_[i]) * (y_[i] - f_[i]);
    // log det of the covariance: a mean of n animals without SD has variance sigma^2 g^2 /
    // (w n); with an SD each of its n animals has sigma^2 g^2 / w.
    const double w = problem_.weight.empty() ? 1.0 : problem_.weight[i];
    log_w += mult_[i] > 1 ? mult_[i] * std::log(w) : std::log(mean_weight_[i]);
    if (problem_.blocks[static_cast<size_t>(problem_.block[i])].error == ErrorKind::kLogNormal)
      log_y += std::log(y_[i]);
  }
  stats.minus_two_log_likelihood = -log_w + 2 * log_y;
  for (size_t k = 0; k < q_.size(); ++k) {
    const double nk = nk_[k];
    const double q = std::max(q_[k], 1e-300);
    stats.minus_two_log_likelihood += nk * (std::log(2 * std::numbers::pi * q / nk) + 1);
    stats.scaled_residual_sum += q_[k];
    BlockSummary block;
    block.name = problem_.blocks[k].name;
    block.error = problem_.blocks[k].error;
    block.n = static_cast<int>(std::lround(nk));
    block.rss = q_[k] / (gmean_[k] * gmean_[k]);
    block.sigma = std::sqrt(block.rss / nk);
    if (combined_internal_[k] >= 0) {
      block.additive_sd = lambda_[k] * block.sigma;
    }
    stats.blocks.push_back(block);
  }
  return stats;
}

}  // namespace onset::fits
