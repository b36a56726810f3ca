// Per-subject fits and the standard two-stage (STS) summary: each subject (FitProblem::group)
// is fitted on its own, in parallel (pk::parallel_for; every subject's fit is independent of
// the thread count), then each parameter is summarised across the subjects whose fit
// converged: arithmetic mean, SD (n - 1), CV% = 100 SD / mean, median, geometric mean. Naive
// pooling stays the default; per-subject fits need a full profile per subject and are refused
// for destructive data (each subject observed at one time point).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fits/fit.hpp"

namespace onset::fits {

// Builds the predictor of a subset of a problem's observations (rows in observation order).
using SubsetPredictorFactory =
    std::function<std::shared_ptr<Predictor>(std::span<const size_t> rows)>;

struct SubjectProblem {
  std::string id;
  FitProblem problem;
};

// One problem per subject (groups in order of first appearance), parameters as in `problem`.
// Throws std::invalid_argument when the problem has no subject labels, and when every subject
// is observed at one time point only (destructive sampling, however many organs), saying so
// and what to do instead.
std::vector<SubjectProblem> split_by_subject(const FitProblem& problem,
                                             const SubsetPredictorFactory& make_predictor);

struct SubjectFit {
  std::string id;
  int num_observations = 0;
  bool fitted = false;         // false: too few observations for the parameters (not tried)
  std::string skipped_reason;  // why not fitted
  FitSummary summary;          // when fitted
  bool converged() const { return fitted && summary.converged(); }
};

struct TwoStageParameter {
  std::string name;
  std::string unit;
  int n = 0;  // converged subjects summarised
  double mean = 0;
  double sd = 0;      // n - 1 denominator; NaN when n < 2
  double cv_pct = 0;  // 100 sd / mean
  double median = 0;
  double geometric_mean = 0;  // NaN unless every estimate is positive
};

struct PerSubjectSummary {
  std::vector<SubjectFit> subjects;
  std::vector<TwoStageParameter> two_stage;  // estimated parameters only
  int num_converged = 0;
  std::vector<std::string> not_converged;  // subject IDs (not converged or not fitted)
};

// Fits every subject with `options` (threads: workers over subjects; each fit runs on one).
void SolvePerSubject(const FitOptions& options, std::vector<SubjectProblem>* subjects,
                     PerSubjectSummary* summary);

}  // namespace onset::fits
