// The subjects of a population problem as the sampling methods use them (SAEM, importance
// sampling, simulation with variability, NPDE): each subject's covariates and observations on the
// error scale (logs under a log-scale error model), and one SubjectEvaluator per worker thread and
// subject, made when first used (an evaluator owns a copy of its subject's predictor, so workers
// never share one).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "fits/population/individual.hpp"
#include "fits/population/population_fit.hpp"
#include "pk/parallel.hpp"

namespace onset::fits::population {

// The individual-parameter layer of a problem (its model parameters' names and defaults).
inline IndividualModel individual_model_of(const PopulationProblem& problem,
                                           std::vector<std::string>* parameter_names = nullptr) {
  std::vector<std::string> names;
  std::vector<double> defaults;
  for (const auto& p : problem.data.model_parameters) {
    names.push_back(p.name);
    defaults.push_back(p.start);
  }
  if (parameter_names) *parameter_names = names;
  return IndividualModel(problem.model, names, defaults, problem.data.covariate_names);
}

class SubjectPool {
 public:
  SubjectPool(const PopulationProblem& problem, const IndividualModel& individual, int threads)
      : problem_(problem),
        individual_(individual),
        pools_(static_cast<size_t>(pk::resolve_threads(threads))) {
    const size_t n = problem.data.subjects.size();
    for (size_t s = 0; s < n; ++s) {
      const PopulationSubject& subject = problem.data.subjects[s];
      covariates_.push_back(problem.data.subject_covariates(s, individual.covariates_used()));
      std::vector<double> y(subject.y.size());
      for (size_t j = 0; j < y.size(); ++j)
        y[j] = log_scale(subject.block[j]) ? std::log(subject.y[j]) : subject.y[j];
      y_.push_back(std::move(y));
      max_observations_ = std::max(max_observations_, subject.y.size());
    }
    for (auto& pool : pools_) pool.resize(n);
  }

  size_t size() const { return y_.size(); }
  size_t max_observations() const { return max_observations_; }
  // Observations on the error scale, and their observables.
  const std::vector<double>& y(size_t s) const { return y_[s]; }
  const std::vector<int>& block(size_t s) const { return problem_.data.subjects[s].block; }
  bool log_scale(int block) const {
    return problem_.model.errors[static_cast<size_t>(block)].log_scale;
  }
  const std::vector<std::vector<double>>& covariates() const { return covariates_; }
  // The worker running the calling thread (for the loops of pk/parallel.hpp).
  size_t worker() const { return static_cast<size_t>(omp_get_thread_num()) % pools_.size(); }

  SubjectEvaluator& evaluator(size_t worker, size_t s) {
    auto& slot = pools_[worker][s];
    if (!slot)
      slot = std::make_unique<SubjectEvaluator>(individual_, problem_.model.errors,
                                                problem_.data.subjects[s], covariates_[s]);
    return *slot;
  }

 private:
  const PopulationProblem& problem_;
  const IndividualModel& individual_;
  std::vector<std::vector<std::unique_ptr<SubjectEvaluator>>> pools_;
  std::vector<std::vector<double>> covariates_, y_;
  size_t max_observations_ = 0;
};

// The residual variance a^2 + b^2 f^2 of an observation of observable `block` with prediction f
// on the error scale.
inline double residual_variance(const PopulationPoint& point, int block, double f) {
  const auto o = static_cast<size_t>(block);
  const double a = point.additive_sd[o], b = point.proportional_sd[o];
  return a * a + b * b * f * f;
}

}  // namespace onset::fits::population
