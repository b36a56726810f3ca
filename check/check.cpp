#include "check/check.hpp"

#include <nlopt.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <boost/random/sobol.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "check/unit_messages.hpp"
#include "io/format.hpp"
#include "models/model_library.hpp"
#include "models/units.hpp"
#include "pk/distributed.hpp"
#include "pk/observed_subsystem.hpp"
#include "pk/parallel.hpp"
#include "pk/quantile_sketch.hpp"
#include "pk/simulate.hpp"
#include "pk/text_input.hpp"
#include "pk/user_error.hpp"

namespace onset::check {

bool CheckOptions::IsValid(std::string* why) const {
  auto bad = [&](const std::string& reason) {
    if (why != nullptr) *why = reason;
    return false;
  };
  if (draws < 1) return bad("draws must be at least 1");
  if (draws > static_cast<size_t>(pk::RunLimits::kMaxDraws))
    return bad(
        "draws = " + std::to_string(draws) + " is " +
        pk::limit_message(std::to_string(pk::RunLimits::kMaxDraws) + " Monte Carlo draws per check",
                          "kMaxDraws", "use fewer draws"));
  if (threads < 0) return bad("threads must be >= 0 (0: every core)");
  if (threads > pk::RunLimits::kMaxThreads)
    return bad("threads = " + std::to_string(threads) + " is " +
               pk::limit_message(std::to_string(pk::RunLimits::kMaxThreads) + " worker threads",
                                 "kMaxThreads", "use 0 for one thread per core"));
  if (!(unlikely_below > 0 && unlikely_below < 1)) return bad("unlikely_below must be in (0, 1)");
  if (grid_points < 2) return bad("grid_points must be at least 2");
  if (best_case_evaluations < 10) return bad("best_case_evaluations must be at least 10");
  if (!(rtol > 0 && rtol < 1))
    return bad("rtol = " + onset::format_number(rtol) + " is not a relative tolerance in (0, 1)");
  if (!(atol > 0) || !std::isfinite(atol))
    return bad("atol = " + onset::format_number(atol) + " is not a positive finite tolerance");
  if (tipping_points < 0) return bad("tipping_points must be >= 0");
  if (chunk_draws < 1) return bad("chunk_draws must be at least 1");
  if (onset_sample < 1) return bad("onset_sample must be at least 1");
  return true;
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string fmt(double value) { return onset::format_number(value); }

// Everything about one check that does not change between simulations.
struct Scenario {
  const Claim* claim = nullptr;
  const EffectCheck* check = nullptr;
  std::vector<int> dims;  // assumption indices, in order of first use
  struct Bound {
    int parameter = 0;
    int dim = -1;  // -1: fixed
    double fixed = 0;
    Transform transform = Transform::kValue;
    double factor = 1;  // (transformed) assumption unit -> parameter unit
  };
  std::vector<Bound> bindings;
  struct Change {
    Bound bound;
    double time_h = 0;
    std::optional<double> duration_h;
  };
  std::vector<Change> changes;  // timed parameter changes (check/claim.hpp TimedChange)
  std::vector<double> base_parameters;
  pk::Regimen regimen;
  int observable = 0;
  std::string observable_unit;
  pk::Direction direction = pk::Direction::kFalling;
  Threshold::Kind threshold_kind = Threshold::Kind::kValue;
  double threshold_fixed = 0;
  int threshold_dim = -1;
  double threshold_factor = 1;
  double threshold_fraction = 0;
  bool has_baseline = false;
  double baseline_fixed = 0;
  int baseline_dim = -1;
  double baseline_factor = 1;
  double horizon_h = 0;
  double claimed_time_h = 0;
  // The model, loaded once and shared by every worker (models are immutable; each worker keeps
  // its own workspace in its Simulator).
  std::shared_ptr<const pk::Model> model;
  std::vector<double> grid;  // plot grid, 0..t_plot
  // Output times of runs that only need the onset (search, Monte Carlo beyond the band draws):
  // log-spaced from claimed/64 to the horizon, so roots are bracketed near the claimed time.
  std::vector<double> onset_grid;
  pk::SolverOptions solver;
  // Wall time of the pilot run (one simulation to the horizon): orders the checks' Monte Carlos
  // in run_check (costliest first), nothing else.
  double pilot_s = 0;

  const Assumption& assumption(size_t dim) const {
    return claim->assumptions[static_cast<size_t>(dims[dim])];
  }
  const Prior& prior(size_t dim) const { return assumption(dim).prior; }
  bool log_scale(size_t dim) const {
    const Prior& p = prior(dim);
    return p.low > 0 && p.high > 0;
  }
  // The model's parameters and the timed changes at assumption values (one per dim).
  void fill(std::span<const double> values, std::vector<double>* params, pk::Regimen* timed) const {
    *params = base_parameters;
    auto bound_value = [&](const Bound& b) {
      double v = b.fixed;
      if (b.dim >= 0) {
        const double x = values[static_cast<size_t>(b.dim)];
        switch (b.transform) {
          case Transform::kValue:
            v = x;
            break;
          case Transform::kRateFromHalfLife:
            v = std::log(2.0) / x;
            break;
          case Transform::kRateFromTimeConstant:
            v = 1 / x;
            break;
        }
        v *= b.factor;
      }
      return v;
    };
    for (const auto& b : bindings) (*params)[static_cast<size_t>(b.parameter)] = bound_value(b);
    // Timed changes: on at time_h, back to the value before at time_h + duration_h.
    timed->parameter_changes.clear();
    for (const auto& c : changes) {
      const int k = c.bound.parameter;
      timed->parameter_changes.push_back({c.time_h, k, bound_value(c.bound)});
      if (c.duration_h)
        timed->parameter_changes.push_back(
            {c.time_h + *c.duration_h, k, (*params)[static_cast<size_t>(k)]});
    }
    std::stable_sort(timed->parameter_changes.begin(), timed->parameter_changes.end(),
                     [](const pk::ParameterChange& a, const pk::ParameterChange& b) {
                       return a.time_h < b.time_h;
                     });
  }
  // Box coordinate u in [0, 1] -> value.
  double box_value(size_t dim, double u) const {
    const Prior& p = prior(dim);
    if (p.low == p.high) return p.low;
    if (log_scale(dim)) return std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low)));
    return p.low + u * (p.high - p.low);
  }
  double box_coordinate(size_t dim, double value) const {
    const Prior& p = prior(dim);
    if (p.low == p.high) return 0.5;
    if (log_scale(dim) && value > 0) {
      return (std::log(value) - std::log(p.low)) / (std::log(p.high) - std::log(p.low));
    }
    return (value - p.low) / (p.high - p.low);
  }
  // Monte Carlo: u in (0, 1) -> value through the prior's inverse CDF, truncated to the box
  // [low, high] (a log-normal prior's stated 5-95 % interval), so that every draw lies in the
  // box the best case searches and no draw can be earlier than the best case.
  double sample_value(size_t dim, double u) const {
    const Prior& p = prior(dim);
    if (p.low == p.high) return p.low;
    if (!p.is_lognormal()) return p.sample_at(u);
    const double a = p.cdf(p.low), b = p.cdf(p.high);
    return std::clamp(p.sample_at(std::clamp(a + u * (b - a), 1e-300, 1 - 1e-16)), p.low, p.high);
  }
};

// The place of an effect check in its claim file ("file:line").
std::string where(const Claim& claim, const EffectCheck& check) {
  return UserError::location(claim.file, check.line, 0);
}

int add_dim(Scenario* s, int assumption) {
  for (size_t i = 0; i < s->dims.size(); ++i) {
    if (s->dims[i] == assumption) return static_cast<int>(i);
  }
  s->dims.push_back(assumption);
  return static_cast<int>(s->dims.size()) - 1;
}

double unit_factor(const std::string& from, const std::string& to, const std::string& what) {
  if (from.empty() || from == to) return 1;
  return models::conversion_factor(from, to, what, "");
}

// A state's scale for its absolute tolerance is at least its peak magnitude in a pilot run
// at the assumptions' central values (to the horizon, on the onset grid): states that start
// at 0 and are not in a dose's unit (miRNA copies made from 1e13 particles, 1e12 copies at
// their peak) would otherwise be solved to 1e-9 copies, steps spent on digits no threshold
// reads. A pilot that fails leaves the scales as they were (dose or initial value).
void scale_tolerances_by_pilot(Scenario* s) {
  std::vector<double> central(s->dims.size()), params;
  for (size_t d = 0; d < central.size(); ++d) central[d] = s->prior(d).central;
  pk::Regimen regimen = s->regimen;
  s->fill(central, &params, &regimen);
  pk::SimulationRequest request;
  request.output_times_h = s->onset_grid;
  request.t_end_h = s->horizon_h;
  request.record_states = true;
  request.zero_within_atol = false;
  pk::Trajectory trajectory;
  try {
    pk::Simulator simulator(*s->model, s->solver);
    const auto begin = std::chrono::steady_clock::now();
    simulator.run(regimen, params, request, &trajectory);
    s->pilot_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  } catch (const std::exception&) {
    return;
  }
  const size_t n = s->solver.atol_per_state.size();
  for (size_t i = 0; i < n; ++i) {
    double peak = 0;
    for (size_t k = 0; k < trajectory.num_times(); ++k)
      if (std::isfinite(trajectory.state(k, i)))
        peak = std::max(peak, std::fabs(trajectory.state(k, i)));
    s->solver.atol_per_state[i] = std::max(s->solver.atol_per_state[i], s->solver.atol * peak);
  }
}

Scenario build_scenario(const Claim& claim, const EffectCheck& check, double claimed_time_h,
                        const CheckOptions& options) {
  Scenario s;
  s.claim = &claim;
  s.check = &check;
  const std::string here = where(claim, check);
  std::unique_ptr<pk::Model> model;
  try {
    model = models::load_model(check.model);
  } catch (const UserError& e) {
    const bool looks_like_file = check.model.find('/') != std::string::npos ||
                                 check.model.ends_with(".yaml") || check.model.ends_with(".yml");
    if (e.where() == check.model && looks_like_file)  // a model file that cannot be read
      throw UserError(here, "model file '" + check.model + "': " + e.problem(), e.expected(),
                      "give the path of a model file, relative to the claim file");
    if (e.where() == check.model)  // not a library name, not a file
      throw UserError(here, "model '" + check.model + "' is neither a library model nor a file",
                      e.expected(), "name a library model (`onset models`) or a model file");
    // An error inside a model file names its own place.
    throw UserError(here, "model '" + check.model + "' cannot be used: " + e.what());
  }
  s.base_parameters = model->default_parameters();
  try {
    auto bind = [&](const ParameterBinding& b) {
      Scenario::Bound bound;
      bound.parameter = model->parameter_index(b.parameter);
      if (bound.parameter < 0) {
        std::string names;
        for (const auto& p : model->parameters()) names += (names.empty() ? "" : ", ") + p.name;
        throw UserError(
            UserError::location(claim.file, b.line, b.column),
            "model " + check.model + " has no parameter '" + b.parameter + "'", "one of " + names,
            "check the spelling (`onset models show " + check.model + "` lists the parameters)");
      }
      const std::string& parameter_unit =
          model->parameters()[static_cast<size_t>(bound.parameter)].unit;
      const std::string what = "parameter " + b.parameter;
      const ValuePlace place{claim.file, b.line, b.column, what,
                             b.assumption < 0 ? b.fixed_value : std::nan("")};
      std::string from = b.fixed_unit;
      if (b.assumption >= 0) {
        const std::string& unit = claim.assumptions[static_cast<size_t>(b.assumption)].prior.unit;
        from = b.transform == Transform::kValue ? unit : "1/(" + unit + ")";
      }
      try {
        if (b.assumption < 0) {
          require_unit(place, b.fixed_unit, parameter_unit);
          bound.fixed = b.fixed_value * unit_factor(b.fixed_unit, parameter_unit, what);
        } else {
          bound.dim = add_dim(&s, b.assumption);
          bound.transform = b.transform;
          bound.factor = unit_factor(from, parameter_unit, what);
        }
      } catch (const models::UnitError& e) {
        throw_unit_mismatch(place, from, parameter_unit, check.model, e.problem());
      }
      return bound;
    };
    for (const auto& b : check.parameters) s.bindings.push_back(bind(b));
    for (const auto& c : check.parameter_changes)
      s.changes.push_back({bind(c.binding), c.time_h, c.duration_h});
    s.observable = model->observable_index(check.observable);
    if (s.observable < 0) {
      std::string names;
      for (const auto& o : model->observables()) names += (names.empty() ? "" : ", ") + o.name;
      throw UserError(here,
                      "model " + check.model + " has no observable '" + check.observable + "'",
                      "one of " + names, "check the spelling of the observable");
    }
    s.observable_unit = model->observables()[static_cast<size_t>(s.observable)].unit;
    s.direction = check.direction;
    s.threshold_kind = check.threshold.kind;
    // A threshold's (or reported baseline's) unit against the observable's, at the
    // threshold's own place: the factor, or an error with a fix.
    auto level_factor = [&](const Threshold& t, const std::string& what) {
      const bool assumed = t.kind == Threshold::Kind::kAssumption;
      const std::string& unit =
          assumed ? claim.assumptions[static_cast<size_t>(t.assumption)].prior.unit : t.unit;
      try {
        return unit_factor(unit, s.observable_unit, what);
      } catch (const models::UnitError& e) {
        throw_unit_mismatch({claim.file, t.line, t.column, what, assumed ? std::nan("") : t.value},
                            unit, s.observable_unit, check.model,
                            what + " of observable " + check.observable + ": " + e.problem());
      }
    };
    switch (check.threshold.kind) {
      case Threshold::Kind::kValue:
        s.threshold_fixed = check.threshold.value * level_factor(check.threshold, "threshold");
        break;
      case Threshold::Kind::kAssumption:
        s.threshold_dim = add_dim(&s, check.threshold.assumption);
        s.threshold_factor = level_factor(check.threshold, "threshold");
        break;
      case Threshold::Kind::kFractionOfInitial:
        s.threshold_fraction = check.threshold.fraction;
        break;
    }
    if (check.baseline) {
      s.has_baseline = true;
      if (check.baseline->kind == Threshold::Kind::kAssumption) {
        s.baseline_dim = add_dim(&s, check.baseline->assumption);
        s.baseline_factor = level_factor(*check.baseline, "baseline");
      } else {
        s.baseline_fixed = check.baseline->value * level_factor(*check.baseline, "baseline");
      }
    }
    for (const auto& d : check.doses) {
      const int state = model->state_index(d.compartment);
      if (state < 0) {
        std::string names;
        for (const auto& st : model->states()) names += (names.empty() ? "" : ", ") + st.name;
        throw UserError(
            here,
            "model " + check.model + " has no compartment '" + d.compartment + "' to dose into",
            "one of " + names, "dose into a compartment of the model");
      }
      const std::string& unit = model->states()[static_cast<size_t>(state)].unit;
      s.regimen.doses.push_back(
          {d.time_h, state, d.amount * unit_factor(d.unit, unit, "dose"), d.duration_h});
    }
  } catch (const models::UnitError& e) {
    throw UserError(here, e.problem(), e.expected(), e.fix());
  }
  // Absolute tolerances scaled to each state's magnitude: a state in the unit of a dose gets
  // atol x the largest such dose (1e13 particles need no 1e-12-particle accuracy), others
  // atol x max(1, |initial value|).
  {
    std::vector<double> y0(static_cast<size_t>(model->num_states()));
    model->initial_state(s.base_parameters, y0);
    s.solver.atol_per_state.assign(y0.size(), options.atol);
    for (size_t i = 0; i < y0.size(); ++i) {
      double scale = std::max(1.0, std::fabs(y0[i]));
      for (const auto& dose : s.regimen.doses) {
        if (model->states()[static_cast<size_t>(dose.state)].unit == model->states()[i].unit) {
          scale = std::max(scale, dose.amount);
        }
      }
      s.solver.atol_per_state[i] = options.atol * scale;
    }
  }
  s.model = std::move(model);
  // Only the states the observable can see are solved (pk/observed_subsystem.hpp): the others'
  // equations come after it and never feed back, so its values are the whole model's. Doses
  // into left-out states cannot reach it and are dropped. Only that observable is computed.
  if (auto sub = options.whole_model
                     ? nullptr
                     : pk::ObservedSubsystem::make_following(s.model, s.observable)) {
    s.regimen = sub->regimen(s.regimen);
    s.solver.atol_per_state = sub->kept_values(s.solver.atol_per_state);
    s.observable = 0;
    s.model = std::move(sub);
  }
  s.horizon_h = check.horizon_h;
  s.claimed_time_h = claimed_time_h;
  const double t_plot = std::min(check.horizon_h, 3 * claimed_time_h);
  s.grid = pk::output_grid(0, t_plot, t_plot / (options.grid_points - 1));
  s.onset_grid.push_back(0);
  for (int i = 0; i <= 24; ++i) {
    const double t =
        claimed_time_h / 64 * std::pow(64 * check.horizon_h / claimed_time_h, i / 24.0);
    if (t > s.onset_grid.back() && t < check.horizon_h) s.onset_grid.push_back(t);
  }
  s.onset_grid.push_back(check.horizon_h);
  s.solver.rtol = options.rtol;
  s.solver.atol = options.atol;  // atol_per_state above (options.atol x each state's scale) rules
  s.solver.backend = options.backend;
  scale_tolerances_by_pilot(&s);
  return s;
}

struct Outcome {
  std::optional<double> onset_h;
  double objective = kInf;  // onset, or horizon x (1 + gap) when never
  double threshold = 0;
  double initial = 0;  // the observable at t = 0
  bool failed = false;
  // Inconsistent with the claim: the observable at t = 0 is not beyond the reported baseline
  // (`below_baseline`), or already meets the threshold (`already_met`: falling, at or below
  // it; rising, at or above it), so the claimed change has nothing to do. Such points are
  // infeasible for the best case (objective 4 x horizon x (1 + relative violation), so the
  // search has a slope back to the feasible set) and excluded from the Monte Carlo.
  bool inconsistent = false;
  bool below_baseline = false;
  bool already_met = false;
  // The start beyond the reported baseline, relative to the level: (initial - level) / |level|
  // for a falling effect, (level - initial) / |level| for a rising one; negative below it,
  // +inf without a reported baseline. The best-case search slides along the constraint where
  // this is about 0 (check/README.md, "Best case").
  double baseline_margin = kInf;
};

// Whether a point starts on the reported baseline (consistent, within 1e-3 of the reported
// level, relative): where the searches slide along it and the report names it the active
// constraint.
bool on_reported_baseline(const Outcome& o) { return !o.inconsistent && o.baseline_margin <= 1e-3; }

// One worker's model, simulator and buffers. An evaluator of the searches (best case, elasticities,
// tipping points) remembers the outcome of every onset-only evaluation by its exact values: a
// search revisits points (the centre, corners, flips of a corner it ended on, a bisection's
// end), and a simulation of the same values on the same evaluator gives the same outcome, so a
// repeat costs a look-up instead (`simulations` counts the simulations run). The Monte Carlo's
// evaluators, whose draws are all different points, keep nothing.
class Evaluator {
 public:
  explicit Evaluator(const Scenario& scenario, bool remember = false)
      : remember_(remember),
        s_(&scenario),
        model_(scenario.model),
        simulator_(std::make_unique<pk::Simulator>(*model_, scenario.solver)) {
    params_ = scenario.base_parameters;
    regimen_ = scenario.regimen;
    y0_.resize(static_cast<size_t>(model_->num_states()));
    obs_.resize(static_cast<size_t>(model_->num_observables()));
  }

  const pk::Trajectory& trajectory() const { return trajectory_; }

  // values: one per dim. record: simulate to the horizon on the plot grid (for bands and
  // plots); otherwise stop at the crossing.
  Outcome evaluate(std::span<const double> values, bool record) {
    if (!remember_ || record) return simulate(values, record);
    key_.assign(values.begin(), values.end());
    if (const auto at = seen_.find(key_); at != seen_.end()) return at->second;
    const Outcome out = simulate(values, false);
    seen_.emplace(key_, out);
    return out;
  }

  // The point's start alone (the initial state; no simulation, not counted): the threshold,
  // the observable at t = 0 and whether the point is consistent with the claim, exactly as a
  // simulation of it decides them. Cheap enough for a search to bisect a constraint with.
  Outcome start(std::span<const double> values) {
    const Scenario& s = *s_;
    s.fill(values, &params_, &regimen_);
    return start_filled(values);
  }

  long simulations = 0;  // run (a remembered outcome runs none)
  long failures = 0;

 private:
  Outcome start_filled(std::span<const double> values) {
    const Scenario& s = *s_;
    model_->initial_state(params_, y0_);
    for (const auto& dose : s.regimen.doses) {  // boluses at t = 0 count as the start
      if (dose.time_h == 0 && dose.duration_h == 0)
        y0_[static_cast<size_t>(dose.state)] += dose.amount;
    }
    model_->observe(0, y0_, params_, obs_);
    const double initial = obs_[static_cast<size_t>(s.observable)];
    Outcome out;
    switch (s.threshold_kind) {
      case Threshold::Kind::kValue:
        out.threshold = s.threshold_fixed;
        break;
      case Threshold::Kind::kAssumption:
        out.threshold = values[static_cast<size_t>(s.threshold_dim)] * s.threshold_factor;
        break;
      case Threshold::Kind::kFractionOfInitial:
        out.threshold = s.threshold_fraction * initial;
        break;
    }
    const bool falling = s.direction == pk::Direction::kFalling;
    out.initial = initial;
    double violation = 0;  // relative distance into the inconsistent set
    if (s.has_baseline) {
      const double level = s.baseline_dim >= 0
                               ? values[static_cast<size_t>(s.baseline_dim)] * s.baseline_factor
                               : s.baseline_fixed;
      out.baseline_margin =
          (falling ? initial - level : level - initial) / std::max(std::fabs(level), 1e-300);
      if (falling ? initial < level : initial > level) {
        out.below_baseline = true;
        violation += std::fabs(level - initial) / std::max(std::fabs(level), 1e-300);
      }
    }
    // Strict crossing: the start must be strictly beyond the threshold (check/README.md).
    if (falling ? initial <= out.threshold : initial >= out.threshold) {
      out.already_met = true;
      violation += std::fabs(out.threshold - initial) / std::max(std::fabs(out.threshold), 1e-300);
    }
    if (out.below_baseline || out.already_met) {
      out.inconsistent = true;
      out.objective = 4 * s.horizon_h * (1 + std::min(violation, 1e6));
    }
    return out;
  }

  Outcome simulate(std::span<const double> values, bool record) {
    ++simulations;
    const Scenario& s = *s_;
    s.fill(values, &params_, &regimen_);
    Outcome out = start_filled(values);
    if (out.inconsistent && !record) return out;
    const bool falling = s.direction == pk::Direction::kFalling;
    if (record) {
      request_.output_times_h = s.grid;
      if (s.horizon_h > s.grid.back()) request_.output_times_h.push_back(s.horizon_h);
    } else {
      request_.output_times_h = s.onset_grid;
    }
    request_.t_end_h = s.horizon_h;
    request_.crossings = {{s.observable, out.threshold, s.direction}};
    request_.stop_when_crossed = !record;
    request_.record_states = false;
    request_.outputs_before_doses = false;
    const bool already = out.already_met;
    try {
      simulator_->run(regimen_, params_, request_, &trajectory_);
    } catch (const std::exception&) {
      out.failed = true;
    }
    if (out.failed || !trajectory_.ok()) {
      ++failures;
      out.failed = true;
      if (!out.inconsistent) out.objective = 2 * s.horizon_h;
      return out;
    }
    if (out.inconsistent) return out;  // recorded for the plots only
    if (already) {
      out.onset_h = 0;
    } else if (!trajectory_.crossings.empty() && trajectory_.crossings[0].time_h) {
      out.onset_h = *trajectory_.crossings[0].time_h;
    }
    if (out.onset_h) {
      out.objective = *out.onset_h;
    } else {
      // Never within the horizon: how far the observable stayed from the threshold.
      double gap = kInf;
      const size_t k = static_cast<size_t>(s.observable);
      for (size_t i = 0; i < trajectory_.num_times(); ++i) {
        const double y = trajectory_.observable(i, k);
        const double d = falling ? y - out.threshold : out.threshold - y;
        gap = std::min(gap, d);
      }
      const double scale = std::max(std::fabs(out.threshold), 1e-300);
      out.objective = s.horizon_h * (1 + std::max(0.0, std::min(gap / scale, 1e6)));
    }
    return out;
  }

  // Hash of a point's exact bits (a repeat is the same doubles, not a nearby point).
  struct ValuesHash {
    size_t operator()(const std::vector<double>& v) const {
      uint64_t h = 0x9E3779B97F4A7C15ULL ^ v.size();
      for (const double x : v) h = pk::splitmix64(h ^ std::bit_cast<uint64_t>(x));
      return static_cast<size_t>(h);
    }
  };
  bool remember_;
  std::unordered_map<std::vector<double>, Outcome, ValuesHash> seen_;
  std::vector<double> key_;
  const Scenario* s_;
  std::shared_ptr<const pk::Model> model_;
  std::unique_ptr<pk::Simulator> simulator_;
  std::vector<double> params_, y0_, obs_;
  pk::Regimen regimen_;  // the scenario's doses, with this evaluation's parameter changes
  pk::SimulationRequest request_;
  pk::Trajectory trajectory_;
};

// --- best case ---------------------------------------------------------------------------

// The best case: the least objective over the box, with some assumptions optionally pinned
// to a value (tipping points re-optimise the others with one pinned). Coordinates u in
// [0, 1] per assumption (log-scaled for positive ranges); pinned ones ignore u.
struct Search {
  const Scenario* s;
  Evaluator* ev;
  std::vector<double> pinned;  // per dim: NaN (free) or the pinned value
  std::vector<double> u;       // full box coordinates (NLopt's free dims replace theirs)
  std::vector<double> values;  // scratch
  std::vector<size_t> free;    // dims optimised by NLopt
  double best = kInf;
  std::vector<double> best_u;
  // The lowest distinct points seen, (objective, u), best first: starts of local searches.
  std::vector<std::pair<double, std::vector<double>>> pool;
  static constexpr size_t kPool = 6;
  // A search that only has to tell whether some point reaches `stop_at` (tipping points: is
  // the conditional best case within the claimed time?) ends at the first point that does;
  // -inf: a full search.
  double stop_at = -kInf;
  bool decided() const { return best <= stop_at; }

  bool is_free(size_t d) const {
    return std::isnan(pinned[d]) && s->prior(d).low != s->prior(d).high;
  }
  std::vector<double> to_values(const std::vector<double>& coords) const {
    std::vector<double> v(coords.size());
    for (size_t d = 0; d < coords.size(); ++d)
      v[d] = std::isnan(pinned[d]) ? s->box_value(d, std::clamp(coords[d], 0.0, 1.0)) : pinned[d];
    return v;
  }
  // The start of the point at coords alone (Evaluator::start: no simulation).
  Outcome start(const std::vector<double>& coords) { return ev->start(to_values(coords)); }
  double at(const std::vector<double>& coords) {
    values = to_values(coords);
    const double objective = ev->evaluate(values, false).objective;
    if (objective < best) {
      best = objective;
      best_u = coords;
    }
    remember(objective, coords);
    return objective;
  }
  void remember(double objective, const std::vector<double>& coords) {
    if (pool.size() == kPool && objective >= pool.back().first) return;
    for (const auto& [o, c] : pool) {
      double distance = 0;
      for (size_t d = 0; d < c.size(); ++d)
        distance = std::max(distance, std::fabs(c[d] - coords[d]));
      if (distance < 0.02) return;  // near a point already kept
    }
    pool.emplace_back(objective, coords);
    std::stable_sort(pool.begin(), pool.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    if (pool.size() > kPool) pool.pop_back();
  }
};

double nlopt_objective(unsigned n, const double* x, double* /*grad*/, void* data) {
  auto* search = static_cast<Search*>(data);
  std::vector<double> coords = search->u;
  for (unsigned i = 0; i < n; ++i) coords[search->free[i]] = x[i];
  return search->at(coords);
}

// Runs NLopt from `start` over the free dims; true when it stopped on a tolerance (converged)
// rather than on the evaluation budget.
bool run_nlopt(Search* search, nlopt_algorithm algorithm, int max_evaluations,
               const std::vector<double>& start) {
  const unsigned n = static_cast<unsigned>(search->free.size());
  if (n == 0) return true;
  nlopt_opt opt = nlopt_create(algorithm, n);
  if (opt == nullptr) return false;
  search->u = start;
  std::vector<double> lower(n, 0.0), upper(n, 1.0), x(n);
  for (unsigned i = 0; i < n; ++i) x[i] = std::clamp(start[search->free[i]], 0.0, 1.0);
  nlopt_set_lower_bounds(opt, lower.data());
  nlopt_set_upper_bounds(opt, upper.data());
  nlopt_set_min_objective(opt, nlopt_objective, search);
  nlopt_set_maxeval(opt, max_evaluations);
  if (std::isfinite(search->stop_at)) nlopt_set_stopval(opt, search->stop_at);
  // Onsets come from root-finding on an ODE solution (rtol 1e-6): 1e-6 relative in the onset
  // and 1e-4 in the box coordinates are as far as a local search can usefully go.
  nlopt_set_xtol_rel(opt, algorithm == NLOPT_LN_BOBYQA ? 1e-4 : 1e-6);
  nlopt_set_ftol_rel(opt, algorithm == NLOPT_LN_BOBYQA ? 1e-6 : 1e-9);
  if (algorithm == NLOPT_LN_BOBYQA) {
    std::vector<double> step(n, 0.05);
    nlopt_set_initial_step(opt, step.data());
  }
  double value = 0;
  const nlopt_result result = nlopt_optimize(opt, x.data(), &value);  // best kept in Search::at
  nlopt_destroy(opt);
  return result == NLOPT_XTOL_REACHED || result == NLOPT_FTOL_REACHED ||
         result == NLOPT_STOPVAL_REACHED;
}

// Constraints (the reported baseline, a start strictly beyond the threshold) make the
// objective jump at their boundary, where local searches stall. For each free assumption in
// turn, towards each end of its range: when the end is no better, bisect (40 steps) between
// the best point and the end for the last point that still improves, so a best case on a
// constraint ends on the boundary. Repeated while it helps (at most 4 rounds). Returns true
// when its last round left the best point as it was: a polish from the same point would then
// repeat that round's evaluations exactly and change nothing.
bool boundary_polish(Search* search, const std::vector<size_t>& free) {
  bool settled = false;
  for (int round = 0; round < 4 && !search->decided(); ++round) {
    const double before = search->best;
    const std::vector<double> start = search->best_u;
    for (const size_t d : free) {
      for (const double edge : {0.0, 1.0}) {
        if (search->decided()) return false;
        double good = search->best_u[d], bad = edge;
        if (good == bad) continue;
        std::vector<double> trial = search->best_u;
        trial[d] = good + (edge > good ? 1e-7 : -1e-7);  // no better a step away: skip
        if (!(search->at(trial) < search->best) && search->best_u[d] == good) continue;
        for (int it = 0; it < 40 && std::fabs(good - bad) > 1e-12 && !search->decided(); ++it) {
          const double mid = 0.5 * (good + bad);
          trial[d] = mid;
          const double reference = search->best;
          if (search->at(trial) < reference)
            good = mid;
          else
            bad = mid;
        }
      }
    }
    settled = search->best_u == start;
    if (!(search->best < before * (1 - 1e-12))) break;
  }
  return settled;
}

// Moves coordinate j of `coords` onto the edge of the feasible set (a consistent start): from
// coords[j] towards the end of j's range where consistency is the other way round (the nearer
// end when both are), bisecting on the start alone (Evaluator::start: no simulation) to 1e-15
// in the box coordinate, and keeps the consistent side of the bracket. An infeasible point
// comes back onto the constraint; a feasible one moves out to it. False when neither end of
// j's range changes consistency.
bool onto_constraint(Search* search, std::vector<double>* coords, size_t j) {
  std::vector<double>& c = *coords;
  const double from = c[j];
  auto consistent_at = [&](double u) {
    c[j] = u;
    return !search->start(c).inconsistent;
  };
  const bool consistent = consistent_at(from);
  double to = std::numeric_limits<double>::quiet_NaN();
  for (const double end : from <= 0.5 ? std::array{0.0, 1.0} : std::array{1.0, 0.0})
    if (std::isnan(to) && end != from && consistent_at(end) != consistent) to = end;
  if (std::isnan(to)) {
    c[j] = from;
    return false;
  }
  double same = from, other = to;  // consistency as at `from`, and the other way round
  for (int it = 0; it < 60 && std::fabs(other - same) > 1e-15; ++it) {
    const double mid = 0.5 * (same + other);
    (consistent_at(mid) == consistent ? same : other) = mid;
  }
  c[j] = consistent ? same : other;
  return true;
}

// A best case on the reported baseline (the start at the reported level, the constraint
// active) may be a point where every one-coordinate step leaves the feasible set or moves
// away from the constraint (and is later) while a step along the constraint is earlier: the
// case report's jaundice ended at 6.89 mg/dL of bilirubin, delta fraction 0.51 and staining
// weight 0.039 (2.0674 h), where sliding along the sclera's start of 3.5 mg/dL reaches 11.67
// mg/dL, 0.70 and 0 (1.9845 h). BOBYQA sees the constraint as a jump and stalls on it, and
// boundary_polish moves one coordinate at a time. This is a compass search (Kolda, Lewis &
// Torczon 2003, SIAM Rev 45:385) on the constraint itself, restored after each step instead
// of penalised: for each ordered pair (i, j) of free assumptions that move the start (or the
// reported level), step i by +-h in box coordinates and bring the point back onto the
// constraint by moving j (onto_constraint, no simulation), keeping the step when its onset
// is earlier. h starts at 1/8, doubles (up to 1/2) after a sweep that helped and is
// quartered after one that did not, down to 1e-4 (the local searches' xtol). Runs only when
// the best point is within 1e-3 (relative) of the reported level, as `active_constraint`
// reports it, and at most `max_simulations` simulations (a sweep is at most 2c(c - 1) for c
// assumptions that move the start; 40 on the case report's jaundice, 2 to 5 sweeps). Returns
// whether it found an earlier point.
bool slide_along_baseline(Search* search, const std::vector<size_t>& free, long max_simulations) {
  if (!search->s->has_baseline || free.size() < 2 || search->decided() || search->best_u.empty())
    return false;
  const Outcome here = search->start(search->best_u);
  if (!on_reported_baseline(here)) return false;
  // The free assumptions the constraint depends on: a step of 1e-3 moves the start.
  std::vector<size_t> moving;
  for (const size_t d : free) {
    std::vector<double> probe = search->best_u;
    probe[d] += probe[d] <= 0.5 ? 1e-3 : -1e-3;
    if (std::fabs(search->start(probe).baseline_margin - here.baseline_margin) > 1e-9)
      moving.push_back(d);
  }
  if (moving.size() < 2) return false;
  const double before = search->best;
  const long limit = search->ev->simulations + max_simulations;
  auto spent = [&] { return search->decided() || search->ev->simulations >= limit; };
  for (double h = 0.125; h >= 1e-4 && !spent();) {
    bool improved = false;
    for (const size_t i : moving)
      for (const double sign : {-1.0, 1.0})
        for (const size_t j : moving) {
          if (j == i || spent()) continue;
          std::vector<double> trial = search->best_u;
          trial[i] = std::clamp(trial[i] + sign * h, 0.0, 1.0);
          if (trial[i] == search->best_u[i] || !onto_constraint(search, &trial, j)) continue;
          const double reference = search->best;
          if (search->at(trial) < reference * (1 - 1e-10)) improved = true;
        }
    h = improved ? std::min(2 * h, 0.5) : h / 4;
  }
  return search->best < before;
}

// For a best case that never reaches its threshold: the level it comes closest at, and when,
// over the plotted trajectory (" (closest approach: 3.1 mg/dL at 12 h, in the first 72 h)").
std::string closest_approach(const Band& band, pk::Direction direction) {
  if (band.best_case.empty() || band.times_h.size() < band.best_case.size()) return "";
  size_t at = 0;
  for (size_t i = 1; i < band.best_case.size(); ++i) {
    const bool closer = direction == pk::Direction::kFalling
                            ? band.best_case[i] < band.best_case[at]
                            : band.best_case[i] > band.best_case[at];
    if (closer) at = i;
  }
  return " (closest approach: " + fmt(band.best_case[at]) + " " + band.unit + " at " +
         fmt(band.times_h[at]) + " h, in the first " +
         fmt(band.times_h[band.best_case.size() - 1]) + " h)";
}

struct SearchResult {
  std::vector<double> values;  // per dim (pinned dims at their pinned value)
  std::vector<double> u;       // box coordinates of the free dims
  double objective = kInf;
  long evaluations = 0;  // simulations run (points seen before are not run again)
  bool converged = true;
};

// Whether the reported baseline is an assumption that nothing but the constraint uses (not a
// parameter, a timed change or the threshold): the best case pins it at its permissive end.
bool baseline_level_only(const Scenario& s) {
  if (s.baseline_dim < 0) return false;
  bool only = s.threshold_dim != s.baseline_dim;
  for (const auto& b : s.bindings) only = only && b.dim != s.baseline_dim;
  for (const auto& c : s.changes) only = only && c.bound.dim != s.baseline_dim;
  return only;
}

// Global search of the box (constraints inside the objective, check/README.md):
//  1. the centre, and a five-point scan of each free assumption (others at the centre): a
//     monotone one suggests its better end (the scan corner);
//  2. corners: all 2^m of the m free assumptions when m <= kAllCorners, else the scan corner,
//     its m one-at-a-time flips and 4m corners of a Sobol sequence;
//  3. NLopt DIRECT-L over every free assumption (deterministic, global);
//  4. the caller's starts (the earliest Monte Carlo draws);
//  5. BOBYQA local searches from the kPool lowest distinct points found, then one-at-a-time
//     corner flips of the winner while they help, and a last BOBYQA polish;
//  6. where the best point lies on the reported baseline, a compass search along that
//     constraint (slide_along_baseline), which the steps above cannot follow.
// The result is never worse than any point evaluated, starts included. With a finite
// `stop_at` the search ends at the first point whose objective is at or below it (the result
// is then that point: it decides that the least objective is <= stop_at, all a tipping point
// asks); a search that finds none runs in full.
class BestCaseSearch {
 public:
  BestCaseSearch(const Scenario& s, Evaluator* ev, const CheckOptions& options,
                 const std::vector<double>& pinned_values, bool thorough, double stop_at)
      : s_(s),
        options_(options),
        thorough_(thorough),
        simulations_before_(ev->simulations),
        search_{&s, ev, pinned_values, std::vector<double>(s.dims.size(), 0.5), {}, {}, kInf,
                {}, {}} {
    const size_t n = s.dims.size();
    search_.stop_at = stop_at;
    if (search_.pinned.size() != n)
      search_.pinned.assign(n, std::numeric_limits<double>::quiet_NaN());
    // A reported baseline level used by nothing else only limits the feasible set, and a more
    // permissive level enlarges it: the best case takes its permissive end (low for
    // baseline_above, high for baseline_below). Exact, and it leaves axis-aligned constraints.
    if (baseline_level_only(s) && std::isnan(search_.pinned[static_cast<size_t>(s.baseline_dim)])) {
      const Prior& p = s.prior(static_cast<size_t>(s.baseline_dim));
      search_.pinned[static_cast<size_t>(s.baseline_dim)] =
          s.direction == pk::Direction::kFalling ? p.low : p.high;
    }
    for (size_t d = 0; d < n; ++d)
      if (search_.is_free(d)) free_.push_back(d);
  }

  // The centre and steps 1-3, which do not depend on the caller's starts: the best case of a
  // check runs them while its Monte Carlo (whose earliest draws are the starts) still runs.
  void explore() {
    constexpr size_t kAllCorners = 8;
    const Scenario& s = s_;
    Search& search = search_;
    const std::vector<size_t>& free = free_;
    const bool thorough = thorough_;
    explored_ = true;
    for (size_t d = 0; d < s.dims.size(); ++d)
      search.u[d] = std::clamp(s.box_coordinate(d, s.prior(d).central), 0.0, 1.0);
    search.at(search.u);
    if (free.empty() || search.decided()) return;
    // 1. Scan (a light search, for tipping points, skips it and DIRECT-L).
    const std::vector<double> centre = search.u;
    std::vector<double> corner = centre;
    for (const size_t d : thorough ? free : std::vector<size_t>{}) {
      if (search.decided()) break;
      double scan[5];
      std::vector<double> coords = centre;
      for (int k = 0; k < 5; ++k) {
        coords[d] = k / 4.0;
        scan[k] = search.at(coords);
      }
      int lowest = 0;
      for (int k = 1; k < 5; ++k)
        if (scan[k] < scan[lowest]) lowest = k;
      corner[d] = scan[4] < scan[0] ? 1.0 : (scan[0] < scan[4] ? 0.0 : lowest / 4.0);
    }
    // 2. Corners.
    const size_t m = free.size();
    if (m <= (thorough ? kAllCorners : size_t{4})) {
      for (size_t mask = 0; mask < (size_t{1} << m) && !search.decided(); ++mask) {
        std::vector<double> coords = centre;
        for (size_t i = 0; i < m; ++i) coords[free[i]] = (mask >> i) & 1 ? 1.0 : 0.0;
        search.at(coords);
      }
    } else if (thorough && !search.decided()) {
      search.at(corner);
      for (const size_t d : free) {
        std::vector<double> coords = corner;
        coords[d] = 1 - std::round(coords[d]);
        search.at(coords);
      }
      boost::random::sobol corners(m);
      for (size_t k = 0; k < 4 * m; ++k) {
        std::vector<double> coords = corner;
        for (size_t i = 0; i < m; ++i)
          coords[free[i]] = static_cast<double>(corners()) / 4294967296.0 < 0.5 ? 0.0 : 1.0;
        search.at(coords);
      }
    }
    // 3. DIRECT-L over every free assumption.
    search.free = free;
    if (thorough && !search.decided())
      run_nlopt(&search, NLOPT_GN_DIRECT_L, options_.best_case_evaluations, search.best_u);
  }

  // Steps 4-5 (explore() first if it has not run), and the result.
  SearchResult finish(const std::vector<std::vector<double>>& starts) {
    if (!explored_) explore();
    const Scenario& s = s_;
    Search& search = search_;
    const std::vector<size_t>& free = free_;
    const bool thorough = thorough_;
    SearchResult result;
    if (!free.empty() && !search.decided()) {
      // 4. The caller's starts.
      for (const auto& start : starts) {
        if (search.decided()) break;
        std::vector<double> coords = search.best_u;
        for (const size_t d : free) coords[d] = std::clamp(s.box_coordinate(d, start[d]), 0.0, 1.0);
        search.at(coords);
      }
      // 5. Local searches from the lowest distinct points, corner flips, polish.
      const size_t m = free.size();
      const int local_budget = (thorough ? 40 : 20) + (thorough ? 20 : 8) * static_cast<int>(m);
      const auto pool = search.pool;
      size_t taken = 0;
      for (const auto& [objective, coords] : pool)
        if (taken++ < (thorough ? size_t{3} : size_t{1}) && !search.decided())
          run_nlopt(&search, NLOPT_LN_BOBYQA, local_budget, coords);
      for (int round = 0; round < (thorough ? 3 : 1) && !search.decided(); ++round) {
        const double before = search.best;
        for (const size_t d : free) {
          for (const double edge : {0.0, 1.0}) {
            if (search.best_u[d] == edge || search.decided()) continue;
            std::vector<double> trial = search.best_u;
            trial[d] = edge;
            search.at(trial);
          }
        }
        if (!(search.best < before * (1 - 1e-9))) break;
      }
      const bool settled = boundary_polish(&search, free);
      const std::vector<double> polished = search.best_u;
      if (thorough && !search.decided())
        result.converged = run_nlopt(&search, NLOPT_LN_BOBYQA, local_budget, search.best_u);
      if (!settled || search.best_u != polished) boundary_polish(&search, free);
      // 6. Along an active reported baseline (slide_along_baseline), then, in a full search,
      // one-coordinate moves from where it ends (the other assumptions may now prefer another
      // value: on the case report's jaundice the albumin escape rate goes to its end); a light
      // search skips them as it skips the last BOBYQA.
      if (slide_along_baseline(&search, free, 40 + 20 * static_cast<long>(m)) && thorough)
        boundary_polish(&search, free);
    }
    result.u = search.best_u;
    result.values = search.to_values(search.best_u);
    result.objective = search.best;
    result.evaluations = search.ev->simulations - simulations_before_;
    return result;
  }

 private:
  const Scenario& s_;
  const CheckOptions& options_;
  bool thorough_;
  long simulations_before_;
  Search search_;
  std::vector<size_t> free_;
  bool explored_ = false;
};

SearchResult best_case_search(const Scenario& s, Evaluator* ev, const CheckOptions& options,
                              const std::vector<std::vector<double>>& starts,
                              const std::vector<double>& pinned_values, bool thorough = true,
                              double stop_at = -kInf) {
  BestCaseSearch search(s, ev, options, pinned_values, thorough, stop_at);
  return search.finish(starts);
}

// --- Monte Carlo -------------------------------------------------------------------------

// Draw i of a Sobol sequence scrambled by a digital shift drawn from the seed: u in (0, 1)^n.
class SobolPoints {
 public:
  SobolPoints(size_t dims, uint64_t seed) : engine_(std::max<size_t>(dims, 1)), shift_(dims) {
    for (size_t d = 0; d < dims; ++d) shift_[d] = pk::splitmix64(seed ^ pk::splitmix64(d + 1));
  }
  void point(uint64_t index, std::span<double> u) {
    engine_.seed(index);
    for (size_t d = 0; d < u.size(); ++d) {
      const uint64_t x = static_cast<uint64_t>(engine_()) ^ shift_[d];
      u[d] = (static_cast<double>(x >> 11) + 0.5) * 0x1.0p-53;
    }
  }

 private:
  boost::random::sobol engine_;
  std::vector<uint64_t> shift_;
};

struct Worker {
  Worker(const Scenario& s, uint64_t seed)
      : evaluator(s), points(s.dims.size(), seed), u(s.dims.size()), values(s.dims.size()) {}
  Evaluator evaluator;
  SobolPoints points;
  std::vector<double> u, values, band;
};

// Values kept per grid point for the trajectory bands (pk/quantile_sketch.hpp).
constexpr size_t kBandSketchSize = 4096;

// The Monte Carlo draws of one check, folded into a summary whose size does not depend on
// the number of draws (except the exact onset times, one per draw up to
// CheckOptions::exact_onset_draws).
struct MonteCarloSummary {
  MonteCarloSummary(size_t grid_points, bool exact, size_t onset_sample)
      : exact_onsets(exact), onset_sketch(onset_sample, 0xD15EA5E) {
    for (size_t g = 0; g < grid_points; ++g)
      bands.emplace_back(kBandSketchSize, static_cast<uint64_t>(g));
  }

  // Folds draw i's row (onset, failed, simulations) into the counts.
  void add_counts(size_t i, double claimed_h, const double* row) {
    const double onset = row[0];
    failed += row[1] > 0 ? 1 : 0;
    simulations += static_cast<long>(row[2]);
    if (!std::isnan(onset)) {
      ++consistent;
      if (onset <= claimed_h) ++hits;
      if (!std::isfinite(onset)) ++never;
      if (std::isfinite(onset)) keep_lowest(onset, i);
    }
  }
  // Folds band draw i's trajectory on the grid.
  void add_band(size_t i, const double* band) {
    for (size_t g = 0; g < bands.size(); ++g)
      if (!std::isnan(band[g])) bands[g].add(i, band[g]);
  }
  // Adds a worker's partial summary (counts and sketches; exact onset times are written at
  // their index directly).
  void merge(const MonteCarloSummary& other) {
    failed += other.failed;
    simulations += other.simulations;
    hits += other.hits;
    never += other.never;
    consistent += other.consistent;
    for (const auto& [onset, i] : other.lowest) keep_lowest(onset, i);
    for (size_t g = 0; g < bands.size(); ++g) bands[g].merge(other.bands[g]);
    if (!exact_onsets) onset_sketch.merge(other.onset_sketch);
  }

  // The kLowest earliest draws, (onset, draw index), earliest first (ties: lower index): the
  // best-case search starts local searches from them.
  static constexpr size_t kLowest = 4;
  void keep_lowest(double onset, uint64_t i) {
    const std::pair<double, uint64_t> entry{onset, i};
    if (lowest.size() == kLowest && !(entry < lowest.back())) return;
    lowest.insert(std::upper_bound(lowest.begin(), lowest.end(), entry), entry);
    if (lowest.size() > kLowest) lowest.pop_back();
  }

  // Merges the summaries of all ranks (each holds its block of the `draws` draws) on every
  // rank: counts add and sketches merge along a tree of ranks (pk::tree_reduce_bytes, a
  // fixed-size message per rank); exact onset times are gathered in draw order.
  void merge_ranks(size_t draws) {
    if (pk::mpi_size() == 1) return;
    pk::tree_reduce_bytes([&] { return pack(); }, [&](const std::string& bytes) { absorb(bytes); },
                          [&](const std::string& bytes) {
                            MonteCarloSummary total(bands.size(), exact_onsets,
                                                    onset_sketch.capacity());
                            total.absorb(bytes);
                            total.onset_times = std::move(onset_times);
                            *this = std::move(total);
                          });
    if (exact_onsets) onset_times = pk::gather_rows(std::move(onset_times), draws, 1);
  }

  // The summary (without exact onset times) as bytes, and adding such bytes.
  std::string pack() const {
    pk::ByteWriter out;
    out.put<uint64_t>(failed);
    out.put(simulations);
    out.put<uint64_t>(hits);
    out.put<uint64_t>(never);
    out.put<uint64_t>(consistent);
    out.put<uint64_t>(lowest.size());
    for (const auto& [onset, i] : lowest) {
      out.put(onset);
      out.put<uint64_t>(i);
    }
    for (const auto& band : bands) band.write(out);
    if (!exact_onsets) onset_sketch.write(out);
    return std::move(out.bytes());
  }
  void absorb(const std::string& bytes) {
    pk::ByteReader in(bytes);
    failed += in.get<uint64_t>();
    simulations += in.get<long>();
    hits += in.get<uint64_t>();
    never += in.get<uint64_t>();
    consistent += in.get<uint64_t>();
    const uint64_t kept = in.get<uint64_t>();
    for (uint64_t k = 0; k < kept; ++k) {
      const double onset = in.get<double>();
      keep_lowest(onset, in.get<uint64_t>());
    }
    for (auto& band : bands) band.merge_from(in);
    if (!exact_onsets) onset_sketch.merge_from(in);
  }

  bool exact_onsets;
  size_t failed = 0, hits = 0, never = 0, consistent = 0;
  long simulations = 0;
  std::vector<std::pair<double, uint64_t>> lowest;
  std::vector<pk::QuantileSketch> bands;  // per grid point
  std::vector<double> onset_times;        // exact: per draw (this rank's block, then all)
  pk::QuantileSketch onset_sketch;        // not exact: consistent draws' onsets
};

// Wilson score interval for a binomial proportion (95 %).
std::pair<double, double> wilson(size_t hits, size_t n) {
  const double z = 1.959963984540054;
  const double p = static_cast<double>(hits) / static_cast<double>(n);
  const double nn = static_cast<double>(n);
  const double centre = (p + z * z / (2 * nn)) / (1 + z * z / nn);
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / (1 + z * z / nn);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

// R type-1 quantile of sorted values.
double quantile_sorted(const std::vector<double>& sorted, double p) {
  const double rank = std::ceil(p * static_cast<double>(sorted.size()));
  const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

std::optional<double> finite(double v) {
  if (std::isfinite(v)) return v;
  return std::nullopt;
}

// --- elasticities, tipping points --------------------------------------------------------

double log_objective(double objective) { return std::log(std::max(objective, 1e-9)); }

// The assumptions that can keep a best case on an active reported baseline while another one
// moves (elasticity_at): those free in the best-case search (not the reported level when
// nothing else uses it, which the search pins) that move the start there, found as
// slide_along_baseline finds them (a step of 1e-3 in the box coordinate changes the margin;
// no simulation). Empty when the best case does not start within 1e-3 (relative) of the
// reported level, as `active_constraint` reports it.
std::vector<size_t> baseline_restorers(const Scenario& s, Evaluator* ev,
                                       const std::vector<double>& best) {
  std::vector<size_t> restorers;
  if (!s.has_baseline) return restorers;
  const Outcome here = ev->start(best);
  if (!on_reported_baseline(here)) return restorers;
  for (size_t j = 0; j < s.dims.size(); ++j) {
    if (s.prior(j).low == s.prior(j).high ||
        (baseline_level_only(s) && static_cast<int>(j) == s.baseline_dim))
      continue;
    std::vector<double> probe = best;
    const double u = std::clamp(s.box_coordinate(j, best[j]), 0.0, 1.0);
    probe[j] = s.box_value(j, u <= 0.5 ? u + 1e-3 : u - 1e-3);
    if (std::fabs(ev->start(probe).baseline_margin - here.baseline_margin) > 1e-9)
      restorers.push_back(j);
  }
  return restorers;
}

// One end of an elasticity's difference: its objective, whether it can be an end of a slope
// (not a side the model refuses, not a point the claim rules out, whose objective is a
// penalty), and whether it is a point brought back onto the reported baseline.
struct Side {
  double objective = kInf;
  bool usable = false;
  bool restored = false;
};

// The side at `values` (assumption d moved from the best case). With `restorers` (the best
// case on an active reported baseline) and a start that d moved: the earliest consistent point
// among `values` itself and, for each restoring assumption j other than d, `values` with j
// moved onto the constraint (onto_constraint: bisection on the start alone, inside j's range,
// then one simulation); from the earliest restored point, when two or more restorers other
// than d remain, a slide along the constraint with d held (slide_along_baseline, at most 40
// simulations). That is the best case re-optimised with d moved, cheaply (only the
// assumptions that move the start move): to first order in the step the derivative of the
// constrained optimum (the envelope theorem: restoring with any j free inside its range gives
// the same slope, since the optimum makes d t / d x_j = lambda d g / d x_j for each of them),
// and for a finite step the slide follows the optimum where it moves along the constraint
// (the case report's staining weight). Every candidate is a simulated point of the box (but
// for d itself) on the consistent side. Without this a step into the infeasible side scored
// the penalty (4 x horizon) and the elasticity read ~200.
Side side_at(const Scenario& s, Evaluator* ev, const std::vector<double>& values, size_t d,
             const std::vector<size_t>& restorers, double best_margin) {
  const Outcome o = ev->evaluate(values, false);
  Side side{o.objective, !o.failed && !o.inconsistent, false};
  if (restorers.empty() || std::fabs(ev->start(values).baseline_margin - best_margin) <= 1e-9)
    return side;
  const size_t n = s.dims.size();
  std::vector<double> restored;  // the earliest restored point (values)
  std::vector<size_t> others;    // the restorers other than d
  for (const size_t j : restorers) {
    if (j == d) continue;
    others.push_back(j);
    std::vector<double> pinned = values;
    pinned[j] = std::numeric_limits<double>::quiet_NaN();
    Search search{&s, ev, pinned, std::vector<double>(n, 0.5), {}, {}, kInf, {}, {}};
    std::vector<double> coords(n, 0.5);
    coords[j] = std::clamp(s.box_coordinate(j, values[j]), 0.0, 1.0);
    if (!onto_constraint(&search, &coords, j)) continue;
    const Outcome r = ev->evaluate(search.to_values(coords), false);
    if (r.failed || r.inconsistent || (side.usable && !(r.objective < side.objective))) continue;
    side = {r.objective, true, true};
    restored = search.to_values(coords);
  }
  if (!side.restored || others.size() < 2) return side;
  // Then along the constraint from there, d held (slide_along_baseline over the other
  // restorers): a step can move the best case along the constraint further than one restorer
  // follows. The case report's staining weight w: at w = 0.02 the best case moves from delta
  // fraction 0.7 to 0.31 (and total bilirubin to its low end, 5 mg/dL), where the staining
  // delta weighs less: +0.94 % in the onset, where restoring by the total bilirubin alone
  // gave +4.7 % (a slope of 2.31 per prior range instead of 0.47).
  std::vector<double> pinned = values;
  for (const size_t j : others) pinned[j] = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> coords(n, 0.5);
  for (const size_t j : others) coords[j] = std::clamp(s.box_coordinate(j, restored[j]), 0.0, 1.0);
  Search search{&s, ev, pinned, coords, {}, {}, side.objective, coords, {}};
  slide_along_baseline(&search, others, 40);
  side.objective = std::min(side.objective, search.best);
  return side;
}

// d ln t / d ln p of assumption d at `values` (central differences, +-2 %; per prior range
// for a value <= 0). A side that is not usable (Side) gives way to the one-sided slope of the
// other side against the point itself. With `restorers` (elasticities at a best case on an
// active reported baseline, baseline_restorers) each side that moves the start is the best
// case kept on the constraint (side_at): for the reported level itself, the slope of the
// constrained optimum in the level; for an assumption the optimum holds inside its range,
// about 0, as at an unconstrained optimum.
Elasticity elasticity_at(const Scenario& s, Evaluator* ev, std::vector<double> values, size_t d,
                         const std::vector<size_t>& restorers = {}) {
  Elasticity e;
  e.assumption = s.assumption(d).name;
  const double v = values[d];
  const double h = 0.02;
  const double margin = restorers.empty() ? kInf : ev->start(values).baseline_margin;
  auto side = [&](double moved) {
    std::vector<double> x = values;
    x[d] = moved;
    return side_at(s, ev, x, d, restorers, margin);
  };
  if (v > 0) {
    const Side up = side(v * std::exp(h));
    const Side down = side(v * std::exp(-h));
    e.kept_on_baseline = up.restored || down.restored;
    // A side the model refuses (a fraction at 1 pushed to 1.02 is outside its bounds) or the
    // claim rules out scores a penalty, not a slope: the other side against the point itself.
    if (up.usable != down.usable) {
      const double here = log_objective(ev->evaluate(values, false).objective);
      e.at_best_case = up.usable ? (log_objective(up.objective) - here) / h
                                 : (here - log_objective(down.objective)) / h;
    } else {
      e.at_best_case = (log_objective(up.objective) - log_objective(down.objective)) / (2 * h);
    }
  } else {
    const Prior& p = s.prior(d);
    const double step = h * (p.high - p.low);
    const double here = log_objective(ev->evaluate(values, false).objective);
    const Side up = side(v + step);
    e.kept_on_baseline = up.restored;
    e.at_best_case = (log_objective(up.objective) - here) / h;
    // An upper side the model refuses or the claim rules out scores a penalty, not a slope:
    // the lower side instead, where it is usable (as in the branch above).
    if (!up.usable) {
      const Side down = side(v - step);
      if (down.usable) {
        e.kept_on_baseline = down.restored;
        e.at_best_case = (here - log_objective(down.objective)) / h;
      }
    }
    e.per_range = true;
  }
  return e;
}

// Tipping point of assumption d: the value at which the best case, re-optimised over every
// other assumption with d pinned there, crosses the claimed time. The prior's two ends are
// tried first (the one the elasticity points to first); if neither flips the verdict, values
// beyond the range in the elasticity's direction (steps of x4, up to 1e4 x the range); then
// the bracket is narrowed to 1e-5 relative (the flipped end is reported, so 5 % past it
// flips). The value reported is on the flipped side.
//
// Each value v asks one question: does the conditional best case at v reach the claimed
// time? A yes needs one point within it (a witness), a no a search that finds none. So the
// points of earlier searches, moved to v, are tried first, and a conditional search ends at
// its first point within the claimed time. The bracket is narrowed by bisection of the
// witness itself (its other assumptions held, one simulation per step); only the last
// step's far end, where the witness misses, gets a conditional search. Where the witness is
// not the best point (that search finds one within the claimed time after all) the rest is
// bisected by conditional searches; where it leaves the feasible set (a reported baseline
// stops it, not the claimed time) that step gets a conditional search. Either way the
// bracket's ends are decided as a bisection of conditional searches decides them: a witness
// at one end, a search that found none at the other; only the number of searches changes.
TippingPoint tipping_point(const Scenario& s, Evaluator* ev, const CheckOptions& options,
                           const std::vector<double>& best, size_t d, double elasticity,
                           double best_objective) {
  const Assumption& a = s.assumption(d);
  const Prior& p = a.prior;
  const size_t n = s.dims.size();
  TippingPoint tp;
  tp.assumption = a.name;
  tp.description = p.description;
  tp.best_case_value = best[d];
  tp.prior_low = p.low;
  tp.prior_high = p.high;
  tp.unit = p.unit;
  tp.source = a.source_text();
  const double claimed = s.claimed_time_h;
  const double limit = claimed * (1 + 1e-9);
  const bool reached = best_objective <= limit;
  // Points within the claimed time seen so far (d at its value there), the best case first
  // when it reaches the claim.
  std::vector<std::vector<double>> witnesses;
  if (reached) witnesses.push_back(best);
  std::vector<std::vector<double>> starts{best};
  // Whether the best case re-optimised with d pinned at v reaches the claimed time.
  auto reaches_at = [&](double v) {
    std::vector<std::vector<double>> tries = starts;
    if (!witnesses.empty() &&
        std::find(tries.begin(), tries.end(), witnesses.back()) == tries.end())
      tries.insert(tries.begin(), witnesses.back());
    for (const auto& start : tries) {
      std::vector<double> x = start;
      x[d] = v;
      if (ev->evaluate(x, false).objective <= limit) {
        witnesses.push_back(std::move(x));
        return true;
      }
    }
    std::vector<double> pinned(n, std::numeric_limits<double>::quiet_NaN());
    pinned[d] = v;
    const SearchResult r = best_case_search(s, ev, options, starts, pinned, false, limit);
    starts.push_back(r.values);
    if (starts.size() > 3) starts.erase(starts.begin() + 1);
    if (r.objective > limit) return false;
    witnesses.push_back(r.values);
    return true;
  };
  auto flipped_at = [&](double v) { return reaches_at(v) != reached; };
  // The direction that raises the onset (if reached) or lowers it (if not), by the elasticity.
  bool go_up = elasticity < 0;
  if (reached) go_up = !go_up;
  const bool fraction = (p.unit == "1" || p.unit.empty()) && p.low >= 0 && p.high <= 1;
  const bool positive = p.low >= 0;
  const double range = std::max(p.high - p.low, std::fabs(p.central) * 1e-3);
  std::optional<std::pair<double, double>> bracket;  // (not flipped, flipped)
  // A threshold that is an assumption of its own (nothing else uses it): the best case,
  // re-optimised with it pinned at v, reaches v within the claimed time exactly when some
  // point of the box reaches level v by then, so the flip lies at the highest level (rising;
  // falling: the lowest) reached by the claimed time. The best case's own extreme by then is a
  // close guess: two conditional searches, at it and 0.1 % beyond, confirm a bracket that
  // replaces the search from the prior's ends outward (about a dozen conditional searches
  // fewer); when they do not straddle the flip, the usual search follows. Either way the
  // value reported has been seen to flip.
  bool threshold_only = s.threshold_kind == Threshold::Kind::kAssumption &&
                        s.threshold_dim == static_cast<int>(d) &&
                        s.baseline_dim != static_cast<int>(d) && s.threshold_factor > 0;
  for (const auto& b : s.bindings) threshold_only = threshold_only && b.dim != static_cast<int>(d);
  for (const auto& c : s.changes)
    threshold_only = threshold_only && c.bound.dim != static_cast<int>(d);
  if (threshold_only) {
    const bool rising = s.direction == pk::Direction::kRising;
    const Outcome o = ev->evaluate(best, true);
    const pk::Trajectory& t = ev->trajectory();
    double level = rising ? -kInf : kInf;
    for (size_t i = 0; !o.failed && !o.inconsistent && i < t.num_times(); ++i) {
      if (t.times_h[i] > claimed) break;
      const double y = t.observable(i, static_cast<size_t>(s.observable));
      level = rising ? std::max(level, y) : std::min(level, y);
    }
    const double guess = level / s.threshold_factor;
    if (std::isfinite(guess) && guess > 0) {
      const double beyond = guess * (rising ? 1 + 1e-3 : 1 - 1e-3);
      const bool at = flipped_at(guess);
      if (at != flipped_at(beyond)) {
        bracket = at ? std::make_pair(beyond, guess) : std::make_pair(guess, beyond);
        go_up = bracket->second > bracket->first;
      }
    }
  }
  // Inside the prior range, a best case that misses the claim cannot flip: the conditional
  // best case at any value of the range is no earlier than the best case over the whole box
  // (the verdict says that none reaches the claim), so only values beyond the range are tried.
  for (const bool up : {go_up, !go_up}) {
    const double end = up ? p.high : p.low;
    if (end == best[d] || bracket || !reached) continue;
    if (flipped_at(end)) {
      bracket = std::make_pair(best[d], end);
      go_up = up;
    }
  }
  if (!bracket) {
    double v = go_up ? p.high : p.low;
    for (int step = 0; step < 40; ++step) {
      double next;
      if (positive && v > 0)
        next = go_up ? v * 4 : v / 4;
      else
        next = go_up ? v + range : v - range;
      if (go_up && fraction) next = std::min(next, 1.0);
      if (!go_up && positive) next = std::max(next, 0.0);
      if (next == v) break;
      if (go_up && next > std::max(p.high, 1e-300) * 1e4 + range * 1e4) break;
      if (!go_up && positive && next > 0 && next < std::max(p.low, range) * 1e-4) break;
      if (flipped_at(next)) {
        bracket = std::make_pair(v, next);
        break;
      }
      v = next;
    }
  }
  tp.direction = go_up ? "above" : "below";
  if (bracket) {
    auto [lo, hi] = *bracket;  // lo: not flipped, hi: flipped
    // The witness's end (within the claimed time: the flipped end when the best case misses
    // the claim, the other when it reaches it) and the searched end.
    double& near = reached ? lo : hi;
    double& far = reached ? hi : lo;
    std::vector<double> witness;
    for (auto w = witnesses.rbegin(); w != witnesses.rend() && witness.empty(); ++w)
      if ((*w)[d] == near) witness = *w;
    double searched_far = far;  // the nearest far value a conditional search has decided
    bool far_searched = true;
    bool by_searches = witness.empty();
    auto narrow = [&] {
      return std::fabs(hi - lo) <= 1e-5 * std::max(std::fabs(hi), range * 1e-3);
    };
    auto middle = [&] {
      return (positive && lo > 0 && hi > 0) ? std::sqrt(lo * hi) : 0.5 * (lo + hi);
    };
    for (int step = 0; step < 200 && !by_searches; ++step) {
      if (narrow()) {
        if (far_searched) break;
        if (!reaches_at(far)) {
          searched_far = far;
          far_searched = true;
          break;
        }
        // The witness missed a better point there: the rest by conditional searches.
        near = far;
        far = searched_far;
        far_searched = true;
        by_searches = true;
        break;
      }
      const double mid = middle();
      std::vector<double> x = witness;
      x[d] = mid;
      const Outcome o = ev->evaluate(x, false);
      if (o.objective <= limit) {
        witness = std::move(x);
        near = mid;
      } else if (!o.inconsistent) {
        far = mid;
        far_searched = false;
      } else if (reaches_at(mid)) {  // a constraint, not the claimed time, stopped the witness
        witness = witnesses.back();
        near = mid;
      } else {
        far = searched_far = mid;
        far_searched = true;
      }
    }
    if (!far_searched) {
      far = searched_far;
      by_searches = true;
    }
    for (int it = 0; it < 40 && by_searches && !narrow(); ++it) {
      const double mid = middle();
      (reaches_at(mid) ? near : far) = mid;
    }
    tp.value = hi;
    tp.inside_prior_range = hi >= p.low && hi <= p.high;
  }
  const std::string name = p.description.empty() ? a.name : p.description + " (" + a.name + ")";
  const std::string range_text = "prior range " + fmt(p.low) + "-" + fmt(p.high) + " " + p.unit;
  if (tp.value) {
    tp.text = std::string(reached ? "the best case misses the claim only if " : "flips only if ") +
              name + " is " + tp.direction + " " + fmt(*tp.value) + " " + p.unit +
              ", the other assumptions re-optimised (" + range_text +
              (tp.inside_prior_range ? ", inside it" : ", outside it") + "; " + tp.source + ")";
  } else {
    tp.text = "no value of " + name + " in its " + range_text +
              " (nor up to 1e4 x beyond it) flips the verdict, the other assumptions re-optimised";
  }
  return tp;
}

std::optional<double> time_constant_h(const Prior& p, double value) {
  try {
    return value * models::conversion_factor(p.unit, "h");
  } catch (const std::exception&) {
  }
  try {
    const double rate = value * models::conversion_factor(p.unit, "1/h");
    if (rate > 0) return 1 / rate;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// A claim whose reported "before" level (baseline_above / baseline_below) and threshold can
// meet within their ranges contradicts itself: the "before" state could already be the
// "after" state. Returns the reason, or "" when they are apart everywhere.
std::string before_and_after_overlap(const Scenario& s) {
  if (!s.has_baseline || s.threshold_kind == Threshold::Kind::kFractionOfInitial) return "";
  auto range_of = [&](int dim, double fixed, double factor) {
    if (dim < 0) return std::make_pair(fixed, fixed);
    const Prior& p = s.prior(static_cast<size_t>(dim));
    return std::make_pair(std::min(p.low, p.high) * factor, std::max(p.low, p.high) * factor);
  };
  const auto [b_low, b_high] = range_of(s.baseline_dim, s.baseline_fixed, s.baseline_factor);
  const auto [t_low, t_high] = range_of(s.threshold_dim, s.threshold_fixed, s.threshold_factor);
  const bool falling = s.direction == pk::Direction::kFalling;
  const bool overlap = falling ? b_low <= t_high : b_high >= t_low;
  if (!overlap) return "";
  auto text = [&](double lo, double hi) {
    return (lo == hi ? fmt(lo) : fmt(lo) + "-" + fmt(hi)) + " " + s.observable_unit;
  };
  return std::string("the reported 'before' level (") + text(b_low, b_high) +
         ") and the threshold (" + text(t_low, t_high) + ") overlap: a " +
         (falling ? "falling" : "rising") + " effect needs the 'before' level " +
         (falling ? "above" : "below") + " the threshold over both ranges";
}

// --- one check ---------------------------------------------------------------------------

// One check, run in stages so that run_check can run each stage of every check together: the
// Monte Carlo of each check over every thread (monte_carlo), then the best-case searches of
// all checks side by side (best_case: the search, its trajectory, the median draw's, the
// elasticities), then every tipping point of every check side by side (tipping_point_at),
// then the verdicts. Each stage after the Monte Carlo runs on its own evaluator, so no number
// depends on the threads or on which stage ran where.
struct CheckRun {
  CheckRun(const Claim& claim, const ClaimedEffect& effect_, const EffectCheck& check_,
           const CheckOptions& options_)
      : effect(&effect_),
        check(&check_),
        options(&options_),
        s(build_scenario(claim, check_, effect_.claimed_time_h, options_)) {
    const size_t n = s.dims.size();
    r.kind = check->kind;
    r.description = check->description;
    r.model = check->model;
    r.observable = check->observable;
    r.direction = check->direction == pk::Direction::kFalling ? "falls_below" : "rises_above";
    r.horizon_h = s.horizon_h;
    for (size_t d = 0; d < n; ++d) r.assumptions.push_back(s.assumption(d).name);
  }
  CheckRun(const CheckRun&) = delete;
  CheckRun& operator=(const CheckRun&) = delete;

  size_t dim_of(const std::string& name) const {
    for (size_t d = 0; d < s.dims.size(); ++d) {
      if (s.assumption(d).name == name) return d;
    }
    return s.dims.size();
  }

  // The Monte Carlo, in three parts so that run_check can interleave the draws of every check
  // with the searches: mc_begin (once), mc_block (from any thread, until it returns 0) and
  // mc_finish (once, after every block has ended); monte_carlo() runs them over every thread.
  // Draw i is the i-th point of the seeded Sobol sequence, wherever it runs. Ranks take
  // contiguous blocks of draws (pk/distributed.hpp); inside a rank, workers take blocks of
  // consecutive draws (at most `chunk_draws`, fewer near the end) from a shared counter and
  // fold each draw at once into their own fixed-size partial summary: counts, per grid point a
  // band sketch of the first `band_draws` draws' trajectories, and the onset times (one number
  // per draw up to `exact_onset_draws` draws, written at the draw's index; a bottom-k sketch
  // above). No worker waits for another until the last draw; the partial summaries are then
  // merged, and the ranks' summaries merged on every rank. Each part of the summary is
  // independent of how the draws are split, so the report is the same for any thread or rank
  // count.
  struct MonteCarlo {
    size_t draws = 0, band_draws = 0, grid_points = 0, begin = 0, end = 0, block = 1;
    bool exact_onsets = true;
    std::string what;
    std::atomic<size_t> next{0}, completed{0}, done{0};
    // One worker and one partial summary per thread, each created (so allocated) by its thread.
    std::vector<std::unique_ptr<Worker>> pool;
    std::vector<std::unique_ptr<MonteCarloSummary>> partials;
    std::unique_ptr<MonteCarloSummary> summary;
  };

  void mc_begin(int threads) {
    const CheckOptions& options = *this->options;
    mc = std::make_unique<MonteCarlo>();
    MonteCarlo& m = *mc;
    m.draws = s.dims.empty() ? 1 : options.draws;
    m.what = effect->id + " (" + bound_kind_name(check->kind) + ")";
    m.band_draws = std::min(options.band_draws, m.draws);
    m.grid_points = s.grid.size();
    m.exact_onsets = m.draws <= options.exact_onset_draws;
    m.pool.resize(static_cast<size_t>(threads));
    m.partials.resize(static_cast<size_t>(threads));
    m.summary =
        std::make_unique<MonteCarloSummary>(m.grid_points, m.exact_onsets, options.onset_sample);
    std::tie(m.begin, m.end) = pk::rank_block(m.draws, pk::mpi_rank(), pk::mpi_size());
    if (m.exact_onsets) m.summary->onset_times.assign(m.end - m.begin, 0.0);
    m.block = std::clamp<size_t>((m.end - m.begin) / (8 * static_cast<size_t>(threads)), 1,
                                 std::max<size_t>(options.chunk_draws, 1));
    m.next = m.begin;
  }
  size_t mc_draws() const { return mc->end - mc->begin; }  // this rank's
  bool mc_left() const { return mc && mc->next.load() < mc->end; }
  void mc_stop() { mc->next.store(mc->end); }  // after a failure: no more blocks
  // Claims the next block of draws: its first draw (mc->end or beyond: none left). The stage
  // pool claims under its lock, so that a thread never holds a Monte Carlo it has no block of
  // (which could then finish and be freed while that thread goes on to use it).
  size_t mc_claim() { return mc->next.fetch_add(mc->block); }
  // Runs the next block of draws on `thread`'s worker; the number of draws it ran (0: none
  // left). The caller that brings the draws run to mc_draws() calls mc_finish.
  size_t mc_block(int thread) { return mc_run(thread, mc_claim()); }
  // Runs the block that starts at `first` (from mc_claim) on `thread`'s worker.
  size_t mc_run(int thread, size_t first) {
    const CheckOptions& options = *this->options;
    MonteCarlo& m = *mc;
    if (first >= m.end) return 0;
    const size_t last = std::min(m.end, first + m.block);
    const size_t n = s.dims.size();
    auto& worker = m.pool[static_cast<size_t>(thread)];
    if (!worker) worker = std::make_unique<Worker>(s, options.seed);
    auto& partial = m.partials[static_cast<size_t>(thread)];
    if (!partial)
      partial = std::make_unique<MonteCarloSummary>(m.grid_points, false, options.onset_sample);
    Worker& w = *worker;
    w.band.resize(m.grid_points);
    for (size_t i = first; i < last; ++i) {
      // Onset (h; +inf never; NaN inconsistent with the reported baseline), failed, simulations
      // run; for band draws, `band` gets the observable on the grid (NaN when unusable).
      const bool record = i < m.band_draws;
      w.points.point(i, w.u);
      for (size_t d = 0; d < n; ++d) w.values[d] = s.sample_value(d, w.u[d]);
      const long simulations_before = w.evaluator.simulations;
      const Outcome o = w.evaluator.evaluate(w.values, record);
      double row[3];
      row[0] = o.inconsistent ? std::numeric_limits<double>::quiet_NaN() : o.onset_h.value_or(kInf);
      row[1] = o.failed ? 1.0 : 0.0;
      row[2] = static_cast<double>(w.evaluator.simulations - simulations_before);
      if (record) {
        const bool usable = !o.failed && !o.inconsistent;
        const pk::Trajectory& t = w.evaluator.trajectory();
        for (size_t g = 0; g < m.grid_points; ++g)
          w.band[g] = usable && g < t.num_times()
                          ? t.observable(g, static_cast<size_t>(s.observable))
                          : std::numeric_limits<double>::quiet_NaN();
      }
      const size_t count = ++m.done;
      if (options.progress && pk::mpi_rank() == 0 && omp_get_thread_num() == 0 &&
          (count % 64 == 0 || count == m.draws)) {
        options.progress(m.what, count, m.draws);
      }
      partial->add_counts(i, effect->claimed_time_h, row);
      if (m.exact_onsets)
        m.summary->onset_times[i - m.begin] = row[0];
      else if (!std::isnan(row[0]))
        partial->onset_sketch.add(i, row[0]);
      if (record) partial->add_band(i, w.band.data());
    }
    return last - first;
  }
  // Every block over `threads` workers, then mc_finish (the stages one check at a time).
  // Returns the seconds the workers spent drawing, summed (not their wait for the last block).
  double monte_carlo(int threads) {
    mc_begin(threads);
    std::exception_ptr failure;
    std::mutex mutex;
    double busy_s = 0;
#pragma omp parallel num_threads(threads)
    {
      const int thread = omp_get_thread_num();
      const auto begin = std::chrono::steady_clock::now();
      try {
        while (mc_block(thread) > 0) {
        }
      } catch (...) {
        const std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        mc_stop();  // the other workers stop drawing
      }
      const std::lock_guard<std::mutex> lock(mutex);
      busy_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    }
    if (failure) std::rethrow_exception(failure);
    const auto begin = std::chrono::steady_clock::now();
    mc_finish();
    mc.reset();  // the workers' models, solvers and partial summaries
    return busy_s + std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  }

  void mc_finish() {
    const CheckOptions& options = *this->options;
    const size_t n = s.dims.size();
    MonteCarlo& m = *mc;
    MonteCarloSummary& summary = *m.summary;
    const size_t draws = m.draws, grid_points = m.grid_points;
    const bool exact_onsets = m.exact_onsets;
    const std::vector<std::unique_ptr<MonteCarloSummary>>& partials = m.partials;
    const std::string& what = m.what;
    for (const auto& partial : partials)
      if (partial) summary.merge(*partial);
    summary.merge_ranks(draws);
    if (options.progress && pk::mpi_rank() == 0) options.progress(what, draws, draws);
    r.work.monte_carlo = summary.simulations;
    r.failed_simulations = static_cast<long>(summary.failed);
    for (size_t g = 0; g < grid_points; ++g) {
      r.band.p05.push_back(summary.bands[g].quantile(0.05));
      r.band.p50.push_back(summary.bands[g].quantile(0.50));
      r.band.p95.push_back(summary.bands[g].quantile(0.95));
    }
    const size_t hits = summary.hits, never = summary.never, consistent = summary.consistent;
    r.fraction_inconsistent = static_cast<double>(draws - consistent) / static_cast<double>(draws);
    // The median draw: the first draw whose onset equals the median (of the sample, above
    // exact_onset_draws draws).
    if (consistent > 0) {
      r.p_within_claim = static_cast<double>(hits) / static_cast<double>(consistent);
      std::tie(r.p_ci_low, r.p_ci_high) = wilson(hits, consistent);
      r.fraction_never = static_cast<double>(never) / static_cast<double>(consistent);
      std::vector<double> sorted;
      std::vector<std::pair<uint64_t, double>> sample;
      if (exact_onsets) {
        r.onset_times_h = std::move(summary.onset_times);
        for (const double t : r.onset_times_h)
          if (!std::isnan(t)) sorted.push_back(t);
      } else {
        sample = summary.onset_sketch.sample();
        for (const auto& [task, t] : sample) {
          r.onset_times_h.push_back(t);
          sorted.push_back(t);
        }
      }
      std::sort(sorted.begin(), sorted.end());
      r.onset_p05_h = finite(quantile_sorted(sorted, 0.05));
      r.onset_p50_h = finite(quantile_sorted(sorted, 0.50));
      r.onset_p95_h = finite(quantile_sorted(sorted, 0.95));
      if (r.onset_p50_h && exact_onsets) {
        for (size_t i = 0; i < draws && !median_draw; ++i)
          if (r.onset_times_h[i] == *r.onset_p50_h) median_draw = i;
      } else if (r.onset_p50_h) {
        for (size_t k = 0; k < sample.size() && !median_draw; ++k)
          if (sample[k].second == *r.onset_p50_h) median_draw = sample[k].first;
      }
    } else if (exact_onsets) {
      r.onset_times_h = std::move(summary.onset_times);
    }

    // Best case: a global search of the box, with local searches also started from the
    // earliest Monte Carlo draws, so that no draw is earlier than the best case.
    if (n > 0) {
      SobolPoints points(n, options.seed);
      std::vector<double> u(n), values(n);
      for (const auto& [onset, i] : summary.lowest) {
        points.point(i, u);
        for (size_t d = 0; d < n; ++d) values[d] = s.sample_value(d, u[d]);
        starts.push_back(values);
      }
    }
    if (!summary.lowest.empty()) r.earliest_draw_onset_h = summary.lowest.front().first;
    // The caller frees `mc` (the workers' models, solvers and partial summaries) after this,
    // where no other thread reads it.
  }

  // The best-case search's steps that do not need the Monte Carlo (BestCaseSearch::explore).
  void explore() {
    main_evaluator = std::make_unique<Evaluator>(s, options->remember_points);
    searcher = std::make_unique<BestCaseSearch>(s, main_evaluator.get(), *options,
                                                std::vector<double>{}, true, -kInf);
    searcher->explore();
    r.work.best_case_explore = main_evaluator->simulations;
  }

  // The rest of the best case, after the Monte Carlo: the search from the earliest draws, its
  // trajectory, the median draw's, the elasticities; then the tipping points to compute.
  void best_case() {
    const CheckOptions& options = *this->options;
    const EffectCheck& check = *this->check;
    const size_t n = s.dims.size();
    auto dim_of = [&](const std::string& name) { return this->dim_of(name); };
    if (!searcher) explore();
    Evaluator& main = *main_evaluator;
    search = searcher->finish(starts);
    searcher.reset();
    const std::vector<double>& best_u = search.u;
    const std::vector<double>& best = search.values;
    r.best_case_values = best;
    r.best_case_evaluations = search.evaluations;
    r.best_case_converged = search.converged;
    best_outcome = main.evaluate(best, true);
    r.best_case_onset_h = best_outcome.inconsistent ? std::nullopt : best_outcome.onset_h;
    r.threshold_tested = best_outcome.threshold;
    r.threshold_unit = s.observable_unit;
    r.band.observable = check.observable;
    r.band.unit = s.observable_unit;
    r.band.times_h = s.grid;
    r.band.threshold_best = best_outcome.threshold;
    {
      const pk::Trajectory& t = main.trajectory();
      for (size_t i = 0; i < t.num_times() && i < s.grid.size(); ++i) {
        r.band.best_case.push_back(t.observable(i, static_cast<size_t>(s.observable)));
      }
    }
    for (size_t d = 0; d < n; ++d) {
      const Prior& p = s.prior(d);
      if (p.low == p.high) continue;
      if (best_u[d] <= 1e-6)
        r.bound_assumptions.push_back({s.assumption(d).name, "low", best[d], p.unit});
      if (best_u[d] >= 1 - 1e-6) {
        r.bound_assumptions.push_back({s.assumption(d).name, "high", best[d], p.unit});
      }
    }
    {
      std::vector<double> central(n);
      for (size_t d = 0; d < n; ++d) central[d] = s.prior(d).central;
      r.band.threshold_central = main.evaluate(central, false).threshold;
    }
    // The reported baseline is the active constraint when the best case starts on it.
    if (on_reported_baseline(best_outcome)) r.active_constraint = "the reported baseline";

    std::optional<std::vector<double>> median_values;
    if (median_draw && n > 0) {
      SobolPoints points(n, options.seed);
      std::vector<double> u(n), values(n);
      points.point(*median_draw, u);
      for (size_t d = 0; d < n; ++d) values[d] = s.sample_value(d, u[d]);
      median_values = values;
    }
    if (median_values) {
      main.evaluate(*median_values, true);
      const pk::Trajectory& t = main.trajectory();
      for (size_t i = 0; i < t.num_times() && i < s.grid.size(); ++i) {
        r.band.median_draw.push_back(t.observable(i, static_cast<size_t>(s.observable)));
      }
    }

    // Elasticities; at a best case on an active reported baseline, kept on it (side_at).
    const std::vector<size_t> restorers = baseline_restorers(s, &main, best);
    for (size_t d = 0; d < n; ++d) {
      if (s.prior(d).low == s.prior(d).high) continue;
      Elasticity e = elasticity_at(s, &main, best, d, restorers);
      if (median_values) {
        e.at_median = elasticity_at(s, &main, *median_values, d).at_best_case;
      }
      r.elasticities.push_back(e);
    }
    std::stable_sort(r.elasticities.begin(), r.elasticities.end(),
                     [](const Elasticity& a, const Elasticity& b) {
                       return std::fabs(a.at_best_case) > std::fabs(b.at_best_case);
                     });
    auto named = [&](size_t d) {
      const Prior& p = s.prior(d);
      return p.description.empty() ? s.assumption(d).name
                                   : p.description + " (" + s.assumption(d).name + ")";
    };
    const bool never_best = !best_outcome.onset_h || best_outcome.inconsistent;
    if (!r.elasticities.empty() && std::fabs(r.elasticities[0].at_best_case) > 0) {
      const Elasticity& top = r.elasticities[0];
      std::string sentence = "moves the onset most: " + named(dim_of(top.assumption)) +
                             (top.per_range ? ", d ln t per prior range " : ", elasticity ") +
                             fmt(top.at_best_case) + " at the best case";
      if (top.at_median) sentence += ", " + fmt(*top.at_median) + " at the median draw";
      if (top.kept_on_baseline)
        sentence +=
            "; at the best case kept on the reported baseline (another assumption moves "
            "to keep the start at the reported level)";
      if (never_best)
        sentence += " (of the distance to the threshold: the best case never crosses)";
      r.rate_limiting.push_back(sentence);
    }
    {
      double longest = 0;
      size_t which = n;
      for (const auto& e : r.elasticities) {
        if (std::fabs(e.at_best_case) < 0.05) continue;
        const size_t d = dim_of(e.assumption);
        const auto tau = time_constant_h(s.prior(d), best[d]);
        if (tau && *tau > longest) {
          longest = *tau;
          which = d;
        }
      }
      if (which < n) {
        const Prior& p = s.prior(which);
        r.rate_limiting.push_back("longest time constant on the path: " + named(which) +
                                  ", about " + fmt(longest) + " h at the best case (prior " +
                                  fmt(p.low) + "-" + fmt(p.high) + " " + p.unit + ")");
      }
    }

    // Tipping points (computed side by side by run_check, tipping_point_at).
    int taken = 0;
    for (const auto& e : r.elasticities) {
      if (taken >= options.tipping_points) break;
      if (std::fabs(e.at_best_case) < 1e-3) continue;
      tipping.emplace_back(dim_of(e.assumption), e.at_best_case);
      ++taken;
    }
    r.tipping_points.resize(tipping.size());
    r.work.tipping_points.assign(tipping.size(), 0);
    r.work.tipping_points_s.assign(tipping.size(), 0.0);
    r.work.best_case = main.simulations;
    r.work.best_case_search = search.evaluations;
    main_evaluator.reset();
  }

  void tipping_point_at(size_t k) {
    const auto begin = std::chrono::steady_clock::now();
    Evaluator ev(s, options->remember_points);
    r.tipping_points[k] = tipping_point(s, &ev, *options, search.values, tipping[k].first,
                                        tipping[k].second, search.objective);
    r.work.tipping_points[k] = ev.simulations;
    r.work.tipping_points_s[k] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  }

  CheckResult verdict() {
    const CheckOptions& options = *this->options;
    const ClaimedEffect& effect = *this->effect;
    r.simulations = r.work.monte_carlo + r.work.best_case;
    for (const long k : r.work.tipping_points) r.simulations += k;
    // Verdict.
    const double claimed = effect.claimed_time_h;
    const std::string overlap = before_and_after_overlap(s);
    const bool touches = best_outcome.onset_h && !best_outcome.inconsistent &&
                         std::fabs(best_outcome.initial - best_outcome.threshold) <=
                             1e-6 * std::max(std::fabs(best_outcome.threshold), 1e-300);
    const std::string budget_note =
        r.best_case_converged ? ""
                              : " (the best-case search ended on its evaluation budget before its "
                                "last local search converged)";
    if (!overlap.empty()) {
      r.verdict = Verdict::kInconsistent;
      r.verdict_reason = overlap;
    } else if (best_outcome.inconsistent) {
      r.verdict = Verdict::kInconsistent;
      r.verdict_reason =
          best_outcome.below_baseline
              ? "no point of the prior box is consistent with the reported baseline: the closest "
                "start, " +
                    fmt(best_outcome.initial) + " " + s.observable_unit +
                    ", is not beyond the reported 'before' level" +
                    (best_outcome.already_met ? " and already meets the threshold" : "")
              : "the starting value already meets the threshold everywhere in the prior box "
                "(start " +
                    fmt(best_outcome.initial) + " " + s.observable_unit + ", threshold " +
                    fmt(best_outcome.threshold) + " " + s.observable_unit +
                    "): the claimed change has nothing to do";
    } else if (touches) {
      r.verdict = Verdict::kInconsistent;
      r.verdict_reason = "the starting value can equal the threshold (" +
                         fmt(best_outcome.threshold) + " " + s.observable_unit +
                         ") inside the prior box: the claim's 'before' and 'after' overlap";
    } else if (!best_outcome.onset_h || *best_outcome.onset_h > claimed * (1 + 1e-9)) {
      r.verdict = Verdict::kImplausible;
      r.verdict_reason =
          "even the best case " +
          (best_outcome.onset_h
               ? "reaches the threshold (" + fmt(best_outcome.threshold) + " " + s.observable_unit +
                     ") only at " + fmt(*best_outcome.onset_h) + " h"
               : "never reaches the threshold (" + fmt(best_outcome.threshold) + " " +
                     s.observable_unit + ") within " + fmt(s.horizon_h) + " h" +
                     closest_approach(r.band, s.direction)) +
          ", later than the claimed " + fmt(claimed) + " h" + budget_note;
    } else if (r.p_within_claim < options.unlikely_below) {
      r.verdict = Verdict::kUnlikely;
      r.verdict_reason = "the best case reaches the threshold (" + fmt(best_outcome.threshold) +
                         " " + s.observable_unit + ") at " + fmt(*best_outcome.onset_h) +
                         " h, but P(onset <= " + fmt(claimed) + " h) = " + fmt(r.p_within_claim) +
                         " < " + fmt(options.unlikely_below) + budget_note;
    } else {
      r.verdict = Verdict::kPlausible;
      r.verdict_reason = "the best case reaches the threshold (" + fmt(best_outcome.threshold) +
                         " " + s.observable_unit + ") at " + fmt(*best_outcome.onset_h) +
                         " h and P(onset <= " + fmt(claimed) + " h) = " + fmt(r.p_within_claim) +
                         budget_note;
    }
    if (!r.active_constraint.empty() && r.verdict != Verdict::kInconsistent)
      r.rate_limiting.insert(r.rate_limiting.begin(),
                             "limited by " + r.active_constraint +
                                 ": the best case starts exactly at the reported 'before' level");
    return std::move(r);
  }

  const ClaimedEffect* effect;
  const EffectCheck* check;
  const CheckOptions* options;
  const Scenario s;
  CheckResult r;
  std::optional<size_t> median_draw;
  std::vector<std::vector<double>> starts;  // the earliest draws: starts of local searches
  std::unique_ptr<MonteCarlo> mc;
  std::unique_ptr<Evaluator> main_evaluator;  // the best case's (search, trajectories, slopes)
  std::unique_ptr<BestCaseSearch> searcher;   // from explore() to best_case()
  SearchResult search;
  Outcome best_outcome;
  std::vector<std::pair<size_t, double>> tipping;  // (dim, elasticity at the best case)
  double cost_s = 0;  // wall time of the stages so far: orders the next stages' tasks only
};

// Every stage of every check over `threads` workers, as one pool of tasks. A check's stages:
// its Monte Carlo (blocks of draws, any number of workers at once), the first steps of its
// best-case search (BestCaseSearch::explore, which do not need the draws), the rest of its best
// case (when both have ended: it starts local searches from the earliest draws) and then its
// tipping points (they start from the best case). A free worker takes, in this order: a best
// case that is ready (it releases tipping points), a tipping point (of the costliest check
// first), a search's first steps, and else the next block of draws of the Monte Carlo of the
// costliest check (by its pilot run) that has draws left. So the long searches start at once
// and the blocks of draws, short and many, fill the time around them: no worker waits while
// another finishes a stage, and the last task to end is a short one unless a tipping point is
// the only work left. With `interleave` false (MPI runs: the ranks merge each check's Monte
// Carlo together, in claim order) each check's Monte Carlo runs over every worker first, one
// check after another, and the searches follow. Each task is deterministic and writes only its
// own results, so nothing depends on the thread count or on which worker ran what (the JSON is
// byte-identical for any --threads, interleaved or not). When tasks fail, the failure that
// staged work would meet first is rethrown, whatever the timing: a Monte Carlo's before any
// search's, then claim order (a check's best case before its tipping points); tasks that come
// after a failure in that order are not started, and a check whose best case failed queues
// no tipping points.
void run_stages(int threads, const std::vector<std::unique_ptr<CheckRun>>& runs, bool interleave) {
  enum Kind { kExplore, kBestCase, kTip };
  struct Task {
    size_t run;
    Kind kind;
    long tip;  // kTip: which
  };
  // The order in which staged work would meet failures: (stage, run, tip).
  using Key = std::tuple<int, size_t, long>;
  auto key_of = [](const Task& t) { return Key{1, t.run, t.kind == kTip ? t.tip : -1}; };
  auto seconds_since = [](std::chrono::steady_clock::time_point begin) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Task> ready;
  std::vector<char> explored(runs.size(), 0), sampled(runs.size(), 0);
  // Monte Carlos with draws left, costliest (pilot run x draws) first; ties in claim order.
  std::vector<size_t> by_cost(runs.size());
  std::iota(by_cost.begin(), by_cost.end(), size_t{0});
  std::stable_sort(by_cost.begin(), by_cost.end(),
                   [&](size_t a, size_t b) { return runs[a]->s.pilot_s > runs[b]->s.pilot_s; });
  if (interleave) {
    for (const size_t i : by_cost) {
      runs[i]->mc_begin(threads);
      ready.push_back({i, kExplore, 0});
    }
  } else {
    for (size_t i = 0; i < runs.size(); ++i) {
      runs[i]->r.work.monte_carlo_s = runs[i]->monte_carlo(threads);
      runs[i]->cost_s += runs[i]->r.work.monte_carlo_s;
      ready.push_back({i, kBestCase, 0});
    }
  }
  long in_flight = 0;
  std::optional<Key> failed_key;
  std::exception_ptr failure;
  auto fail = [&](const Key& key) {  // under the lock
    if (!failed_key || key < *failed_key) {
      failed_key = key;
      failure = std::current_exception();
    }
  };
  auto allowed = [&](const Key& key) { return !failed_key || key < *failed_key; };
  // The next search task (under the lock): best cases, then tipping points of the costliest
  // check, then the searches' first steps (in the Monte Carlo order).
  auto take = [&]() -> std::optional<Task> {
    auto rank = [&](const Task& t) {
      const int kind = t.kind == kBestCase ? 0 : (t.kind == kTip ? 1 : 2);
      const double cost = t.kind == kTip ? -runs[t.run]->cost_s : 0.0;
      return std::make_tuple(kind, cost, key_of(t));
    };
    auto best = ready.end();
    for (auto it = ready.begin(); it != ready.end(); ++it)
      if (allowed(key_of(*it)) && (best == ready.end() || rank(*it) < rank(*best))) best = it;
    if (best == ready.end()) return std::nullopt;
    const Task task = *best;
    ready.erase(best);
    return task;
  };
  auto sampling = [&]() -> std::optional<size_t> {  // a Monte Carlo with draws left
    for (const size_t i : by_cost)
      if (runs[i]->mc_left() && allowed(Key{0, i, 0})) return i;
    return std::nullopt;
  };
  // A check whose Monte Carlo and first search steps have both ended gets its best case.
  auto release = [&](size_t i) {
    if (explored[i] && sampled[i]) ready.push_back({i, kBestCase, 0});
  };
#pragma omp parallel num_threads(threads)
  {
    const int thread = omp_get_thread_num();
    for (;;) {
      std::optional<Task> task;
      std::optional<size_t> draws_of;
      size_t first_draw = 0;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock,
                     [&] { return (task = take()) || (draws_of = sampling()) || in_flight == 0; });
        if (!task && !draws_of) break;
        // The block is claimed before the lock is released (sampling() saw draws left, and
        // every claim is made here): its Monte Carlo cannot finish without it.
        if (draws_of) first_draw = runs[*draws_of]->mc_claim();
        ++in_flight;
      }
      const auto begin = std::chrono::steady_clock::now();
      if (draws_of) {
        CheckRun& run = *runs[*draws_of];
        bool last = false;
        try {
          const size_t ran = run.mc_run(thread, first_draw);
          last = ran > 0 && run.mc->completed.fetch_add(ran) + ran == run.mc_draws();
          if (last) run.mc_finish();
        } catch (...) {
          const std::lock_guard<std::mutex> lock(mutex);
          fail(Key{0, *draws_of, 0});
          run.mc_stop();
          last = false;
        }
        const double seconds = seconds_since(begin);
        {
          const std::lock_guard<std::mutex> lock(mutex);
          run.r.work.monte_carlo_s += seconds;
          run.cost_s += seconds;
          if (last) {
            run.mc.reset();  // under the lock: sampling() reads it
            sampled[*draws_of] = 1;
            release(*draws_of);
          }
          --in_flight;
        }
        changed.notify_all();
        continue;
      }
      CheckRun& run = *runs[task->run];
      bool ok = true;
      try {
        if (task->kind == kExplore)
          run.explore();
        else if (task->kind == kBestCase)
          run.best_case();
        else
          run.tipping_point_at(static_cast<size_t>(task->tip));
      } catch (...) {
        ok = false;
        const std::lock_guard<std::mutex> lock(mutex);
        fail(key_of(*task));
      }
      const double seconds = seconds_since(begin);
      {
        const std::lock_guard<std::mutex> lock(mutex);
        if (task->kind != kTip) {
          run.r.work.best_case_s += seconds;
          run.cost_s += seconds;
        }
        if (ok && task->kind == kExplore) {
          explored[task->run] = 1;
          release(task->run);
        }
        if (ok && task->kind == kBestCase) {
          const size_t tips = run.tipping.size();
          for (size_t k = 0; k < tips; ++k)
            ready.push_back({task->run, kTip, static_cast<long>(k)});
        }
        --in_flight;
      }
      changed.notify_all();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

int severity(Verdict v) {
  switch (v) {
    case Verdict::kImplausible:
      return 3;
    case Verdict::kUnlikely:
      return 2;
    case Verdict::kPlausible:
      return 1;
    case Verdict::kNotAssessable:
      return 0;
    case Verdict::kInconsistent:
      return 4;
  }
  return 0;
}

// Refuses, before any simulation, a run whose memory would exceed RunLimits::kMaxMemoryBytes:
// per worker thread two models with their stiff solver's workspace (dense n x n matrices unless
// the model declares a narrow band) and trajectory on the plot grid, one more per check (its
// best-case search), and per check the onset times kept (one per draw up to
// exact_onset_draws, with a sorted copy).
void check_memory(const Claim& claim, const CheckOptions& options) {
  double largest_solver = 0, onset_bytes = 0;
  int largest_states = 0, checks = 0;
  for (const auto& effect : claim.effects) {
    if (!effect.not_assessable.empty()) continue;
    for (const auto& check : effect.checks) {
      std::unique_ptr<pk::Model> model;
      try {
        model = models::load_model(check.model);
      } catch (const std::exception&) {
        continue;  // run_one reports it, with the claim's line
      }
      const int n = model->num_states();
      const pk::Bandwidth band = model->bandwidth();
      const bool banded =
          band.lower >= 0 && band.upper >= 0 && 2 * (band.lower + band.upper + 1) <= n;
      const double solver =
          pk::solver_memory_bytes(n, banded, banded ? 2.0 * band.lower + band.upper + 1 : 0) +
          8.0 * options.grid_points * (n + model->num_observables());
      if (solver > largest_solver) {
        largest_solver = solver;
        largest_states = n;
      }
      onset_bytes += 16.0 * static_cast<double>(std::min(options.draws, options.exact_onset_draws));
      ++checks;
    }
  }
  // Workspaces alive at once (run_stages): each thread's for the Monte Carlos of at most two
  // checks (it takes the next check's draws while its last block of the previous one ends
  // elsewhere), and each check's best-case search, from its first steps to its end.
  const int threads = pk::resolve_threads(options.threads);
  const std::string refusal = pk::check_memory_estimate(
      (2.0 * threads + checks) * largest_solver + onset_bytes,
      std::to_string(threads) + " threads x 2 Monte Carlos + " + std::to_string(checks) +
          " best-case searches, each with " + pk::format_bytes(largest_solver) +
          " of solver workspace for a " + std::to_string(largest_states) + "-state model, and " +
          pk::format_bytes(onset_bytes) + " of onset times",
      "use fewer --threads, or fewer --draws");
  if (!refusal.empty()) throw UserError({}, refusal);
}

}  // namespace

struct OnsetProbe::Impl {
  Impl(const Claim& claim, size_t effect, size_t check, const CheckOptions& options)
      : scenario(build_scenario(claim, claim.effects.at(effect).checks.at(check),
                                claim.effects.at(effect).claimed_time_h, options)),
        evaluator(scenario) {
    for (size_t d = 0; d < scenario.dims.size(); ++d) names.push_back(scenario.assumption(d).name);
  }
  Scenario scenario;
  Evaluator evaluator;
  std::vector<std::string> names;
};

OnsetProbe::OnsetProbe(const Claim& claim, size_t effect, size_t check, const CheckOptions& options)
    : impl_(std::make_unique<Impl>(claim, effect, check, options)) {}
OnsetProbe::~OnsetProbe() = default;
const std::vector<std::string>& OnsetProbe::assumptions() const { return impl_->names; }
std::optional<double> OnsetProbe::onset(const std::vector<double>& values) {
  if (values.size() != impl_->names.size())
    throw std::invalid_argument("OnsetProbe: expected one value per assumption");
  const Outcome o = impl_->evaluator.evaluate(values, false);
  if (o.inconsistent || o.failed) return std::nullopt;
  return o.onset_h;
}

CheckReport run_check(const Claim& claim, const CheckOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) throw UserError({}, "check options: " + why);
  check_memory(claim, options);
  const auto start = std::chrono::steady_clock::now();
  CheckReport report;
  report.seed = options.seed;
  report.draws = options.draws;
  report.unlikely_below = options.unlikely_below;
  // Every assessable check in claim order (its scenario is built here, so a claim that does
  // not fit its models stops before any simulation). Stages (CheckRun): each check's Monte
  // Carlo over every thread; then the best-case searches of all checks and their tipping
  // points, one pool of tasks over the threads (run_searches); then the verdicts.
  std::vector<std::unique_ptr<CheckRun>> runs;
  for (const auto& effect : claim.effects) {
    if (!effect.not_assessable.empty()) continue;
    for (const auto& check : effect.checks)
      runs.push_back(std::make_unique<CheckRun>(claim, effect, check, options));
  }
  run_stages(pk::resolve_threads(options.threads), runs,
             options.interleave_stages && pk::mpi_size() == 1);
  size_t next_run = 0;
  for (const auto& effect : claim.effects) {
    EffectReport e;
    e.id = effect.id;
    e.statement = effect.statement;
    e.measurable = effect.measurable;
    e.claimed_within_h = effect.within_h;
    e.claimed_time_h = effect.claimed_time_h;
    if (!effect.not_assessable.empty()) {
      e.verdict = Verdict::kNotAssessable;
      e.reason = effect.not_assessable;
      report.effects.push_back(std::move(e));
      continue;
    }
    for (size_t c = 0; c < effect.checks.size(); ++c)
      e.checks.push_back(runs[next_run++]->verdict());
    for (size_t i = 0; i < e.checks.size(); ++i) {
      if (e.deciding_check < 0 ||
          severity(e.checks[i].verdict) >
              severity(e.checks[static_cast<size_t>(e.deciding_check)].verdict)) {
        e.deciding_check = static_cast<int>(i);
      }
    }
    const CheckResult& deciding = *e.deciding();
    e.verdict = deciding.verdict;
    e.reason = bound_kind_name(deciding.kind) + " bound: " + deciding.verdict_reason;
    for (const auto& b : deciding.bound_assumptions) {
      for (const auto& el : deciding.elasticities) {
        if (el.assumption == b.assumption && std::fabs(el.at_best_case) >= 0.1 &&
            std::find(report.deciding_assumptions.begin(), report.deciding_assumptions.end(),
                      b.assumption) == report.deciding_assumptions.end()) {
          report.deciding_assumptions.push_back(b.assumption);
        }
      }
    }
    for (const auto& tp : deciding.tipping_points) {
      if (tp.value &&
          std::find(report.deciding_assumptions.begin(), report.deciding_assumptions.end(),
                    tp.assumption) == report.deciding_assumptions.end()) {
        report.deciding_assumptions.push_back(tp.assumption);
      }
    }
    report.effects.push_back(std::move(e));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace onset::check
