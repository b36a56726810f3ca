#include "pk/dosing_simulate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "io/format.hpp"
#include "pk/simulate.hpp"

namespace onset::pk {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// What a dose record gives, once the model's modifiers are applied.
struct PlannedDose {
  int state = 0;
  double lag_h = 0;
  double amount = 0;      // F * AMT
  double duration_h = 0;  // 0: bolus
  double rate = 0;        // constant steady-state infusion only (AMT = 0, SS > 0, II = 0)
  bool constant_infusion = false;
};

struct PendingEvent {
  enum Kind { kBolus, kInfusionStart, kInfusionStop };
  double time_h = 0;
  long sequence = 0;  // order of scheduling: ties at one time keep it
  Kind kind = kBolus;
  int state = 0;
  double value = 0;   // bolus amount or infusion rate
  long infusion = 0;  // infusion id (start and stop)
};

// Min-heap order on (time, sequence).
bool later(const PendingEvent& a, const PendingEvent& b) {
  return a.time_h != b.time_h ? a.time_h > b.time_h : a.sequence > b.sequence;
}

struct ActiveInfusion {
  long id = 0;
  int state = 0;
  double rate = 0;
};

// Thrown inside a subject's simulation; becomes DosingResult::status = kFailed.
struct SubjectFailure {
  std::string message;
};

// A step so short (rounding of sums of event times) that integrating it changes nothing.
bool negligible_step(double t0, double t1) {
  return t1 - t0 <= 64 * std::numeric_limits<double>::epsilon() *
                        std::max({1.0, std::fabs(t0), std::fabs(t1)});
}

}  // namespace

struct DosingSimulator::Workspace {
  explicit Workspace(const Model& model, const DosingOptions& options)
      : steady_state(model, options.solver, options.steady_state) {}

  SteadyStateSolver steady_state;
  std::vector<PlannedDose> plans;      // per record (doses only meaningful)
  std::vector<int> covariate_columns;  // data column of each model covariate
  std::vector<double> covariates;      // one record's model covariates
  std::vector<PendingEvent> pending;   // heap
  std::vector<ActiveInfusion> active;
  std::vector<double> y, input_rate, steady, base;
  std::vector<double> next_action_time;  // per record of the subject: next EVID 1/3/4 time
  std::vector<char> no_crossings;
  long sequence = 0, next_infusion = 0;
};

DosingSimulator::DosingSimulator(const Model& model, DosingOptions options)
    : model_(model), options_(std::move(options)) {
  std::string why;
  if (!options_.solver.IsValid(&why)) throw std::invalid_argument(why);
  backend_used_ = resolve_backend(model, &options_.solver, &backend_reason_);
  integrator_ = make_integrator(backend_used_, model, options_.solver);
  integrator_->set_crossings({});
  work_ = std::make_unique<Workspace>(model, options_);
  const auto n = static_cast<size_t>(model.num_states());
  work_->y.resize(n);
  work_->input_rate.resize(n);
  work_->steady.resize(n);
  work_->base.resize(n);
}

DosingSimulator::~DosingSimulator() = default;

bool DosingSimulator::run(const DosingData& data, std::span<const double> params,
                          const DosingRequest& request, DosingResult* out) {
  const Model& model = model_;
  Workspace& w = *work_;
  const auto n = static_cast<size_t>(model.num_states());
  const auto n_obs = static_cast<size_t>(model.num_observables());
  if (params.size() != static_cast<size_t>(model.num_parameters()))
    throw std::invalid_argument("model '" + std::string(model.name()) + "' takes " +
                                std::to_string(model.num_parameters()) + " parameters, " +
                                std::to_string(params.size()) + " given");
  const auto& grid = request.grid_times_h;
  for (size_t k = 0; k < grid.size(); ++k)
    if (!std::isfinite(grid[k]) || (k > 0 && grid[k] < grid[k - 1]))
      throw std::invalid_argument("output grid times must be finite and ascending");

  // The model's covariate columns.
  const auto covariate_names = model.covariates();
  w.covariate_columns.clear();
  for (const auto& name : covariate_names) {
    const int index = data.covariate_index(name);
    if (index < 0)
      throw DosingDataError(data.source, data.header_line, 0,
                            "model '" + std::string(model.name()) + "' reads data column '" + name +
                                "', which the data set does not have");
    const auto& bad = data.first_bad_covariate_cell[static_cast<size_t>(index)];
    if (bad[0] > 0)
      throw DosingDataError(data.source, bad[0], bad[1],
                            "column '" + data.covariate_names[static_cast<size_t>(index)] +
                                "' (read by model '" + std::string(model.name()) +
                                "') must be a number");
    w.covariate_columns.push_back(index);
  }
  w.covariates.resize(covariate_names.size());
  auto load_covariates = [&](size_t record) {
    for (size_t k = 0; k < w.covariate_columns.size(); ++k)
      w.covariates[k] = data.covariate(record, static_cast<size_t>(w.covariate_columns[k]));
  };

  // Plan every dose (and check it) before simulating anything.
  w.plans.assign(data.records.size(), {});
  for (size_t r = 0; r < data.records.size(); ++r) {
    const DosingRecord& record = data.records[r];
    if (!record.is_dose()) continue;
    auto fail = [&](DosingField field, const std::string& message) {
      const int column = record.column_of(field) > 0 ? record.column_of(field) : 1;
      throw DosingDataError(data.source, record.line, column, message);
    };
    if (record.cmt > model.num_states()) {
      std::string names;
      for (int i = 0; i < model.num_states(); ++i)
        names += (i ? ", " : "") + std::to_string(i + 1) + " '" +
                 model.states()[static_cast<size_t>(i)].name + "'";
      fail(DosingField::kCmt, "CMT " + std::to_string(record.cmt) + " does not exist: model '" +
                                  std::string(model.name()) + "' has " +
                                  std::to_string(model.num_states()) + " compartments (" + names +
                                  ")");
    }
    PlannedDose& plan = w.plans[r];
    plan.state = record.cmt - 1;
    const std::string& state_name = model.states()[static_cast<size_t>(plan.state)].name;
    load_covariates(r);
    const DoseModifiers mods = model.dose_modifiers(plan.state, params, w.covariates);
    if (!std::isfinite(mods.lag_h) || mods.lag_h < 0)
      fail(DosingField::kCmt, "the lag time of compartment '" + state_name + "' is " +
                                  format_decimal(mods.lag_h) +
                                  " h for this record; it must be >= 0");
    if (!std::isfinite(mods.bioavailability) || mods.bioavailability < 0)
      fail(DosingField::kCmt, "the bioavailability of compartment '" + state_name + "' is " +
                                  format_decimal(mods.bioavailability) +
                                  " for this record; it must be >= 0");
    plan.lag_h = mods.lag_h;
    plan.amount = record.amount * mods.bioavailability;
    if (record.ss > 0 && record.ii_h == 0) {  // constant infusion at steady state
      plan.constant_infusion = true;
      plan.rate = record.rate;
      continue;
    }
    if (record.rate > 0) {
      plan.duration_h = plan.amount / record.rate;
    } else if (record.rate == -1) {
      if (!mods.rate)
        fail(DosingField::kRate,
             "RATE = -1 needs a modelled rate: declare `rate` for compartment '" + state_name +
                 "' in the model");
      if (!std::isfinite(*mods.rate) || *mods.rate <= 0)
        fail(DosingField::kRate, "the modelled rate of compartment '" + state_name + "' is " +
                                     format_decimal(*mods.rate) + "; it must be > 0");
      plan.duration_h = plan.amount / *mods.rate;
    } else if (record.rate == -2) {
      if (!mods.duration_h)
        fail(DosingField::kRate,
             "RATE = -2 needs a modelled duration: declare `duration` for compartment '" +
                 state_name + "' in the model");
      if (!std::isfinite(*mods.duration_h) || *mods.duration_h <= 0)
        fail(DosingField::kRate, "the modelled duration of compartment '" + state_name + "' is " +
                                     format_decimal(*mods.duration_h) + " h; it must be > 0");
      plan.duration_h = plan.amount > 0 ? *mods.duration_h : 0.0;
    }
  }

  // Reset the result, keeping its buffers.
  DosingResult& result = *out;
  result.state_names.clear();
  for (const auto& state : model.states()) result.state_names.push_back(state.name);
  result.observable_names.clear();
  for (const auto& observable : model.observables())
    result.observable_names.push_back(observable.name);
  result.subject_ids.clear();
  result.rows.clear();
  result.observables.clear();
  result.states.clear();
  const auto subjects = subject_ranges(data);
  result.rows.reserve((request.record_rows ? data.records.size() : 0) +
                      grid.size() * subjects.size());
  result.status = SolveStatus::kSuccess;
  result.message.clear();
  result.stats = {};
  result.backend_used = backend_used_;
  result.backend_reason = backend_reason_;

  if (std::string why = model.check_parameters(params); !why.empty()) {
    // Parameters do not change during a run: wrong from the first record on.
    result.status = SolveStatus::kFailed;
    result.message = data.source + ": at t = " +
                     format_decimal(data.records.empty() ? 0.0 : data.records.front().time_h) +
                     " h: " + why;
    return false;
  }
  integrator_->set_parameters(params);
  integrator_->reset_stats();
  long restarts = 0;

  std::span<double> y(w.y);
  double t_now = 0, t_stop_limit = 0;
  bool need_restart = true;
  size_t next_record = 0;  // first record of the subject not processed yet
  size_t subject_begin = 0;

  auto recompute_rates = [&] {
    std::fill(w.input_rate.begin(), w.input_rate.end(), 0.0);
    for (const auto& infusion : w.active)
      w.input_rate[static_cast<size_t>(infusion.state)] += infusion.rate;
  };
  auto push = [&](PendingEvent event) {
    event.sequence = w.sequence++;
    w.pending.push_back(event);
    std::push_heap(w.pending.begin(), w.pending.end(), later);
  };
  auto integrate_to = [&](double t) {
    if (!(t > t_now)) return;
    if (negligible_step(t_now, t)) {  // rounding of event times; backends refuse such steps
      t_now = t;
      need_restart = true;
      return;
    }
    if (need_restart) {
      double t_stop = t_stop_limit;
      if (!w.pending.empty()) t_stop = std::min(t_stop, w.pending.front().time_h);
      if (next_record - subject_begin < w.next_action_time.size())
        t_stop = std::min(t_stop, w.next_action_time[next_record - subject_begin]);
      t_stop = std::max(t_stop, t);
      integrator_->restart(t_now, y, w.input_rate, t_stop);
      ++restarts;
      need_restart = false;
    }
    double reached = 0;
    if (integrator_->advance(t, y, &reached, w.no_crossings) == AdvanceOutcome::kFailure)
      throw SubjectFailure{integrator_->failure()};
    t_now = t;
  };
  auto apply = [&](const PendingEvent& event) {
    switch (event.kind) {
      case PendingEvent::kBolus:
        y[static_cast<size_t>(event.state)] += event.value;
        break;
      case PendingEvent::kInfusionStart:
        w.active.push_back({event.infusion, event.state, event.value});
        recompute_rates();
        break;
      case PendingEvent::kInfusionStop:
        std::erase_if(w.active, [&](const ActiveInfusion& a) { return a.id == event.infusion; });
        recompute_rates();
        break;
    }
    need_restart = true;
  };
  // Integrates to t, applying every pending event up to and including t on the way.
  auto advance_to = [&](double t) {
    while (!w.pending.empty() && w.pending.front().time_h <= t) {
      const double t_event = w.pending.front().time_h;
      integrate_to(t_event);
      while (!w.pending.empty() && w.pending.front().time_h <= t_event) {
        std::pop_heap(w.pending.begin(), w.pending.end(), later);
        const PendingEvent event = w.pending.back();
        w.pending.pop_back();
        apply(event);
      }
    }
    integrate_to(t);
  };
  auto reset = [&] {
    model.initial_state(params, y);
    w.pending.clear();
    w.active.clear();
    recompute_rates();
    need_restart = true;
  };
  // Schedules dose k of a train starting at `first` (its k = 0 dose), if any of it is at or
  // after `now`.
  auto schedule = [&](const PlannedDose& plan, double start, double now) {
    if (plan.duration_h == 0) {
      if (start >= now && plan.amount > 0)
        push({start, 0, PendingEvent::kBolus, plan.state, plan.amount, 0});
      return;
    }
    const double end = start + plan.duration_h;
    if (end <= now) return;
    const long id = w.next_infusion++;
    const double rate = plan.amount / plan.duration_h;
    push({std::max(start, now), 0, PendingEvent::kInfusionStart, plan.state, rate, id});
    push({end, 0, PendingEvent::kInfusionStop, plan.state, 0.0, id});
  };
  auto emit = [&](size_t subject, int record, double t) {
    result.rows.push_back({subject, record, t});
    const size_t offset = result.observables.size();
    result.observables.resize(offset + n_obs);
    model.observe(t, y, params, std::span<double>(result.observables).subspan(offset, n_obs));
    // STYLE 5: a state within +-atol of zero is shown as 0 (rounding noise such as -3e-15 mg
    // is not an amount); the integrated state is not changed, and observables use it as is.
    if (request.record_states) {
      for (size_t i = 0; i < y.size(); ++i) {
        const double atol = options_.solver.atol_of(static_cast<int>(i));
        result.states.push_back(request.zero_within_atol && std::fabs(y[i]) <= atol ? 0.0 : y[i]);
      }
    }
  };

  for (size_t s = 0; s < subjects.size(); ++s) {
    const auto [begin, end] = subjects[s];
    result.subject_ids.push_back(data.records[begin].id);
    subject_begin = begin;
    next_record = begin;
    // Next time of a record that changes something, for each record of the subject.
    w.next_action_time.assign(end - begin + 1, kInf);
    for (size_t r = end; r-- > begin;) {
      const auto& record = data.records[r];
      w.next_action_time[r - begin] =
          record.evid == 1 || record.is_reset() ? record.time_h : w.next_action_time[r - begin + 1];
    }
    double t_first = data.records[begin].time_h;
    t_stop_limit = data.records[end - 1].time_h;
    if (!grid.empty()) {
      t_first = std::min(t_first, grid.front());
      t_stop_limit = std::max(t_stop_limit, grid.back());
    }
    t_now = t_first;
    w.pending.clear();
    w.active.clear();
    recompute_rates();
    model.initial_state(params, y);
    need_restart = true;
    size_t next_grid = 0;
    size_t r = begin;
    try {
      while (r < end || next_grid < grid.size()) {
        const bool take_record =
            r < end && (next_grid >= grid.size() || data.records[r].time_h <= grid[next_grid]);
        if (!take_record) {
          advance_to(grid[next_grid]);
          emit(s, -1, grid[next_grid]);
          ++next_grid;
          continue;
        }
        const DosingRecord& record = data.records[r];
        const double t = record.time_h;
        advance_to(t);
        next_record = r + 1;
        if (record.is_reset() || (record.is_dose() && record.ss == 1)) reset();
        if (record.is_dose()) {
          const PlannedDose& plan = w.plans[r];
          if (record.ss > 0) {
            DoseTrain train;
            train.state = plan.state;
            train.amount = plan.amount;
            train.duration_h = plan.duration_h;
            train.interval_h = plan.constant_infusion ? 0.0 : record.ii_h;
            train.offset_h = plan.lag_h;
            train.rate = plan.rate;
            try {
              w.steady_state.solve(*integrator_, params, train, t, w.steady);
              if (record.ss == 1) {
                std::copy(w.steady.begin(), w.steady.end(), y.begin());
              } else {
                w.steady_state.baseline(*integrator_, params, t, w.base);
                for (size_t i = 0; i < n; ++i) y[i] += w.steady[i] - w.base[i];
              }
            } catch (const std::runtime_error& error) {
              throw SubjectFailure{error.what()};
            }
            restarts += 1;
            // Implied earlier doses still running (or, with a lag >= II, still to come).
            if (!plan.constant_infusion) {
              const int back =
                  static_cast<int>(std::ceil((plan.lag_h + plan.duration_h) / record.ii_h)) + 1;
              for (int k = -back; k < 0; ++k) schedule(plan, t + (plan.lag_h + k * record.ii_h), t);
            }
          }
          if (!plan.constant_infusion)
            for (int k = 0; k <= record.addl; ++k)
              schedule(plan, t + (plan.lag_h + k * record.ii_h), t);
        }
        if (record.evid != 0 && record.evid != 2) need_restart = true;
        advance_to(t);  // the record's own events at t (a dose without lag)
        if (request.record_rows) emit(s, static_cast<int>(r), t);
        ++r;
      }
    } catch (const SubjectFailure& failure) {
      const int line = r < end ? data.records[r].line : data.records[end - 1].line;
      result.status = SolveStatus::kFailed;
      result.message = data.source + ":" + std::to_string(line) + ": subject " +
                       data.records[begin].id + ": " + failure.message;
      break;
    }
  }
  result.stats = integrator_->stats();
  result.stats.restarts = restarts;
  if (const Handover& handover = integrator_->handover(); handover.steps > 0) {
    result.backend_used = handover.backend;
    result.backend_reason = describe_handover(backend_reason_, handover);
  }
  return result.ok();
}

}  // namespace onset::pk
