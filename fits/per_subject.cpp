#include "fits/per_subject.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "pk/distributed.hpp"
#include "pk/parallel.hpp"

namespace onset::fits {

std::vector<SubjectProblem> split_by_subject(const FitProblem& problem,
                                             const SubsetPredictorFactory& make_predictor) {
  const size_t n = problem.y.size();
  if (problem.group.size() != n || n == 0)
    throw std::invalid_argument(
        "--per-subject needs subject IDs (a model fitted to data with an ID or animal column)");
  std::vector<std::string> order;
  std::map<std::string, std::vector<size_t>> rows;
  for (size_t i = 0; i < n; ++i) {
    auto [it, added] = rows.try_emplace(problem.group[i]);
    if (added) order.push_back(problem.group[i]);
    it->second.push_back(i);
  }
  // Destructive sampling: every subject observed at one time (several organs at most).
  size_t most_times = 0;
  for (const auto& [id, list] : rows) {
    std::vector<double> times;
    for (size_t i : list)
      times.push_back(problem.x.empty() ? static_cast<double>(i) : problem.x[i]);
    std::sort(times.begin(), times.end());
    most_times = std::max(
        most_times, static_cast<size_t>(std::unique(times.begin(), times.end()) - times.begin()));
  }
  if (most_times <= 1)
    throw std::invalid_argument(
        "--per-subject: every subject is observed at one time point (destructive sampling: "
        "each animal gives one observation time), so no subject has a profile to fit on its "
        "own. Fit the pooled data (naive pooling, the default: leave out --per-subject)");
  std::vector<SubjectProblem> subjects;
  for (const auto& id : order) {
    const auto& list = rows[id];
    SubjectProblem subject;
    subject.id = id;
    FitProblem& sub = subject.problem;
    sub.parameters = problem.parameters;
    sub.x_name = problem.x_name;
    sub.curve_from = problem.curve_from;
    std::map<int, int> block_of;
    for (size_t i : list) {
      const int block = problem.block[i];
      if (!block_of.count(block)) {
        block_of[block] = static_cast<int>(sub.blocks.size());
        sub.blocks.push_back(problem.blocks[static_cast<size_t>(block)]);
      }
      sub.y.push_back(problem.y[i]);
      if (!problem.y_low.empty()) sub.y_low.push_back(problem.y_low[i]);
      if (!problem.weight.empty()) sub.weight.push_back(problem.weight[i]);
      sub.block.push_back(block_of[block]);
      if (!problem.x.empty()) sub.x.push_back(problem.x[i]);
      if (!problem.animals.empty()) sub.animals.push_back(problem.animals[i]);
      if (!problem.within_ss.empty()) sub.within_ss.push_back(problem.within_ss[i]);
      if (!problem.observable.empty()) sub.observable.push_back(problem.observable[i]);
      if (!problem.unit.empty()) sub.unit.push_back(problem.unit[i]);
      sub.group.push_back(id);
    }
    sub.predictor = make_predictor(list);
    subjects.push_back(std::move(subject));
  }
  return subjects;
}

namespace {

TwoStageParameter summarise(const std::string& name, const std::string& unit,
                            std::vector<double> values) {
  TwoStageParameter s;
  s.name = name;
  s.unit = unit;
  s.n = static_cast<int>(values.size());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (values.empty()) {
    s.mean = s.sd = s.cv_pct = s.median = s.geometric_mean = nan;
    return s;
  }
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  if (values.size() >= 2) {
    double squares = 0;
    for (double v : values) squares += (v - s.mean) * (v - s.mean);
    s.sd = std::sqrt(squares / static_cast<double>(values.size() - 1));
    s.cv_pct = 100 * s.sd / s.mean;
  } else {
    s.sd = s.cv_pct = nan;
  }
  std::sort(values.begin(), values.end());
  const size_t m = values.size();
  s.median = m % 2 == 1 ? values[m / 2] : 0.5 * (values[m / 2 - 1] + values[m / 2]);
  if (values.front() > 0) {
    double logs = 0;
    for (double v : values) logs += std::log(v);
    s.geometric_mean = std::exp(logs / static_cast<double>(m));
  } else {
    s.geometric_mean = nan;
  }
  return s;
}

}  // namespace

void SolvePerSubject(const FitOptions& options, std::vector<SubjectProblem>* subjects,
                     PerSubjectSummary* summary) {
  *summary = PerSubjectSummary();
  const size_t count = subjects->size();
  summary->subjects.resize(count);
  FitOptions one = options;
  one.threads = 1;  // the workers run over subjects
  pk::parallel_for(
      count, options.threads, [] { return 0; },
      [&](size_t s, int&) {
        // Every rank fits every subject (the same numbers); the fits' own loops stay local.
        const pk::RankLocalScope local;
        SubjectProblem& subject = (*subjects)[s];
        SubjectFit& fit = summary->subjects[s];
        fit.id = subject.id;
        fit.num_observations = static_cast<int>(subject.problem.y.size());
        int estimated = 0;
        for (const auto& p : subject.problem.parameters) estimated += p.fixed ? 0 : 1;
        if (fit.num_observations <= estimated) {
          fit.skipped_reason = "too few observations (" + std::to_string(fit.num_observations) +
                               ") for " + std::to_string(estimated) + " estimated parameters";
          return;
        }
        fit.fitted = true;
        try {
          Solve(one, &subject.problem, &fit.summary);
        } catch (const std::exception& error) {
          fit.fitted = false;
          fit.skipped_reason = error.what();
        }
      },
      /*max_chunk=*/1);
  const FitProblem* first = count > 0 ? &(*subjects)[0].problem : nullptr;
  for (const auto& fit : summary->subjects) {
    if (fit.converged())
      ++summary->num_converged;
    else
      summary->not_converged.push_back(fit.id);
  }
  if (!first) return;
  for (size_t j = 0; j < first->parameters.size(); ++j) {
    const FitParameter& parameter = first->parameters[j];
    if (parameter.fixed) continue;
    std::vector<double> values;
    for (const auto& fit : summary->subjects)
      if (fit.converged()) values.push_back(fit.summary.parameters[j].estimate);
    summary->two_stage.push_back(summarise(parameter.name, parameter.unit, std::move(values)));
  }
}

}  // namespace onset::fits
