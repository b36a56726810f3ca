// The least-squares form of the likelihood (see fits/fit.hpp): internal coordinates (log
// scale where asked, then one log(a/b) per combined-error observable), scaled residuals and
// their exact Jacobian. One object per thread: it owns its buffers and calls its predictor.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fits/fit.hpp"
#include "fits/fit_problem.hpp"

namespace onset::fits {

class FitObjective {
 public:
  FitObjective(const FitProblem& problem, Predictor* predictor);

  size_t num_observations() const { return y_.size(); }
  // Residual rows: one per observation, then one per summary observation with a reported SD
  // (its within-group sum of squares, FitProblem::within_ss).
  size_t num_residuals() const { return y_.size() + extra_obs_.size(); }
  // The error-model block of residual row `row`.
  int block_of_row(size_t row) const { return block_of_row_[row]; }
  // Observations each block counts in its likelihood (animals behind a mean with an SD count
  // one each) and their sum N: the n of n log Q and of the degrees of freedom.
  double block_count(size_t k) const { return nk_[k]; }
  double effective_count() const { return total_count_; }
  size_t num_structural() const { return estimated_.size(); }
  size_t num_combined() const { return combined_blocks_.size(); }
  size_t num_internal() const { return estimated_.size() + combined_blocks_.size(); }
  size_t num_blocks() const { return problem_.blocks.size(); }
  // Indices (into FitProblem::parameters) of the estimated parameters, internal order.
  const std::vector<int>& estimated() const { return estimated_; }

  std::vector<double> start() const;
  std::pair<double, double> internal_bounds(size_t a) const;
  // Every parameter on its natural scale (fixed ones at their values).
  std::vector<double> natural_parameters(std::span<const double> theta) const;

  // Scaled residuals (num_residuals()) and, if `jacobian` is given, their Jacobian (row-major n x
  // m).
  bool evaluate(std::span<const double> theta, double* residuals, std::vector<double>* jacobian,
                std::string* why);

  // Block weights n_k / Q_k (normalised); reset to 1, or update from the last evaluation
  // (returns the largest relative change). Used for the statistics at the estimate (there the
  // weighted residuals are the Gauss-Newton form of the profiled likelihood).
  void reset_block_weights();
  double update_block_weights();

  // Joint form for several observables (what the optimiser minimises): residuals
  //   r~_i = sqrt(n_k / N * exp(L) / Q_k) r_i,   L = sum_k (n_k / N) log Q_k,
  // so that sum r~_i^2 = exp(L), a monotone function of the profiled -2 log L (N L + const):
  // one least-squares problem with the same minimum, no outer re-weighting passes. The
  // Jacobian is exact (it carries d log Q_k / d theta). With one observable r~ = r. Block
  // weights are ignored while it is on.
  void set_joint_blocks(bool on) { joint_ = on; }

  // sum_k n_k log Q_k at the last evaluation (the profiled -2 log L up to a constant).
  double profile_objective() const;

  struct Statistics {
    double minus_two_log_likelihood = 0;
    double rss = 0;                  // sum (y - f)^2, all blocks
    double scaled_residual_sum = 0;  // sum_k Q_k
    std::vector<BlockSummary> blocks;
  };
  Statistics statistics() const;
  const std::vector<double>& predictions() const { return f_; }

  // Replaces the observations (bootstrap).
  void set_observations(std::span<const double> y) {
    y_.assign(y.begin(), y.end());
    std::fill(y_low_.begin(), y_low_.end(), 0.0);
  }

 private:
  void apply_joint_form(double* residuals, std::vector<double>* jacobian);

  const FitProblem& problem_;
  Predictor* predictor_;
  std::vector<double> y_, y_low_, f_low_;
  std::vector<int> estimated_;
  std::vector<int> combined_blocks_;          // block index of each combined-error block
  std::vector<int> combined_internal_;        // per block: internal index of log lambda, or -1
  std::vector<std::vector<size_t>> members_;  // observations of each block
  std::vector<std::vector<size_t>> rows_;     // residual rows of each block (with SD rows)
  std::vector<int> block_of_row_;
  std::vector<size_t> extra_obs_;    // per SD row (after the observations): its observation
  std::vector<long> extra_row_;      // per observation: its SD row, or -1
  std::vector<double> mult_;         // per observation: how many it counts as (animals with SD)
  std::vector<double> mean_weight_;  // per observation: weight x animals
  std::vector<double> nk_;           // per block: sum of mult_
  double total_count_ = 0;
  std::vector<double> block_weight_;  // c_k
  bool joint_ = false;
  // Last evaluation.
  std::vector<double> params_, f_, jf_, g_, q_, gmean_;
  std::vector<double> dlog_gmean_;  // d log G / d theta (current block)
  std::vector<double> dlog_scratch_;
  std::vector<double> lambda_;  // a/b per combined block at the last evaluation
  std::vector<double> dlog_q_;  // joint form: d log Q_k / d theta (blocks x m)
};

}  // namespace onset::fits
