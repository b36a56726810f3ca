#include "pk/simulate.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "io/format.hpp"
#include "pk/onset_bdf.hpp"
#include "pk/text_input.hpp"

namespace onset::pk {

namespace {

void validate_request(const Model& model, const SimulationRequest& request) {
  const auto& times = request.output_times_h;
  if (!std::isfinite(request.t_start_h))
    throw std::invalid_argument("simulation start time must be a finite number of hours");
  for (size_t k = 0; k < times.size(); ++k) {
    if (!std::isfinite(times[k]))
      throw std::invalid_argument("output time " + std::to_string(k + 1) + " is not finite");
    if (times[k] < request.t_start_h)
      throw std::invalid_argument("output time " + std::to_string(times[k]) +
                                  " h is before the simulation start " +
                                  std::to_string(request.t_start_h) + " h");
    if (k > 0 && times[k] < times[k - 1])
      throw std::invalid_argument("output times must be ascending: " + std::to_string(times[k]) +
                                  " h follows " + std::to_string(times[k - 1]) + " h");
  }
  for (const auto& query : request.crossings) {
    if (query.observable < 0 || query.observable >= model.num_observables())
      throw std::invalid_argument("crossing query: observable index " +
                                  std::to_string(query.observable) + " is out of range");
    if (!std::isfinite(query.value))
      throw std::invalid_argument("crossing query: threshold must be finite");
  }
  if (times.empty() && !(request.t_end_h > request.t_start_h))
    throw std::invalid_argument("nothing to simulate: no output times and no end time");
}

bool same_queries(const std::vector<CrossingQuery>& a, const std::vector<CrossingQuery>& b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(), [](const CrossingQuery& x, const CrossingQuery& y) {
        return x.observable == y.observable && x.value == y.value && x.direction == y.direction;
      });
}

// The largest linear model `auto` solves exactly: each exponential costs about 10 (2n)^3
// flops and 4 (2n)^2 doubles (the augmented matrix [[A, I], [0, 0]]), about a millisecond at
// 64 states but minutes and 1.2 GB at 2,000 (issue 14); above, onset's BDF solves it.
constexpr int kExactLinearMaxStates = 64;

}  // namespace

Backend resolve_backend(const Model& model, SolverOptions* options, std::string* reason) {
  const Backend given = options->backend;
  if (given != Backend::kAuto) return given;
  const int n = model.num_states();
  const auto size = static_cast<size_t>(n);
  std::vector<double> a(size * size), b(size);
  const bool linear = model.linear_system(model.default_parameters(), a, b);
  if (linear && n <= kExactLinearMaxStates) {
    *reason = "auto: the model is linear time-invariant, so it is solved exactly";
    return Backend::kExactLinear;
  }
  *reason = "auto: " +
            (linear ? std::to_string(n) + " states is more than the exact solution is fast for (" +
                          std::to_string(kExactLinearMaxStates) + "), so onset_bdf"
                    : "a nonlinear model (" + std::to_string(n) + " states) goes to onset_bdf");
  // A banded Jacobian (compartments coupled to neighbours only: transit chains, tissue
  // series) costs n (l + u + 1) doubles and O(n l (l + u)) per factorisation, instead of n^2
  // and n^3 / 3 (dense) or KLU's sparse bookkeeping: a 2,000-state chain needs 0.1 MB and
  // microseconds. Below kOnsetBdfSparseMinStates the dense fixed-size kernels are faster.
  const Bandwidth band = model.bandwidth();
  if (options->linear_solver == LinearSolverKind::kAuto && n >= kOnsetBdfSparseMinStates &&
      band.lower >= 0 && band.upper >= 0 && 2 * (band.lower + band.upper + 1) <= n) {
    options->linear_solver = LinearSolverKind::kBanded;
    *reason += " with a banded linear solver (bandwidths " + std::to_string(band.lower) + " and " +
               std::to_string(band.upper) + ")";
  }
  return Backend::kOnsetBdf;
}

Simulator::Simulator(const Model& model, SolverOptions options)
    : model_(&model), prepared_(model), options_(std::move(options)) {
  backend_used_ = resolve_backend(model, &options_, &backend_reason_);
  integrator_ = make_integrator(backend_used_, model, options_);
  const auto n = static_cast<size_t>(model.num_states());
  y_.resize(n);
}

bool Simulator::run(const Regimen& regimen, std::span<const double> params,
                    const SimulationRequest& request, Trajectory* out) {
  const Model& model = *model_;
  if (params.size() != static_cast<size_t>(model.num_parameters()))
    throw std::invalid_argument("model '" + std::string(model.name()) + "' takes " +
                                std::to_string(model.num_parameters()) + " parameters, " +
                                std::to_string(params.size()) + " given");
  validate_request(model, request);
  for (const auto& change : regimen.parameter_changes)
    if (change.parameter >= model.num_parameters())
      throw std::invalid_argument("parameter change: model '" + std::string(model.name()) +
                                  "' has no parameter with index " +
                                  std::to_string(change.parameter) + " (it has " +
                                  std::to_string(model.num_parameters()) + ")");
  const auto n = static_cast<size_t>(model.num_states());
  const auto n_obs = static_cast<size_t>(model.num_observables());
  const auto& times = request.output_times_h;
  const double t_end = std::max(request.t_end_h, times.empty() ? request.t_start_h : times.back());
  build_timeline_into(regimen, model.num_states(), request.t_start_h, t_end, &pieces_);

  if (!same_queries(crossings_, request.crossings)) {
    crossings_ = request.crossings;
    integrator_->set_crossings(crossings_);
    crossing_functions_ = CrossingFunctions(model, crossings_);
  }
  const CrossingFunctions& crossing_functions = crossing_functions_;
  const auto n_cross = crossings_.size();
  g_before_.resize(n_cross);
  g_after_.resize(n_cross);
  crossed_.assign(n_cross, 0);
  params_now_.assign(params.begin(), params.end());
  const std::span<const double> p_now(params_now_);
  // One preparation of the parameters, shared by the integrator and the outputs.
  prepared_.set_parameters(p_now);
  integrator_->set_prepared(&prepared_);
  integrator_->reset_stats();

  // Reset the trajectory, keeping its buffers.
  Trajectory& traj = *out;
  // Names are copied once per trajectory (a reused trajectory keeps them: no allocation).
  if (traj.state_names.size() != n || traj.observable_names.size() != n_obs ||
      (n > 0 && traj.state_names[0] != model.states()[0].name)) {
    traj.state_names.clear();
    for (const auto& state : model.states()) traj.state_names.push_back(state.name);
    traj.observable_names.clear();
    for (const auto& observable : model.observables())
      traj.observable_names.push_back(observable.name);
  }
  traj.times_h.clear();
  traj.states.clear();
  traj.observables.clear();
  traj.times_h.reserve(times.size());
  if (request.record_states) traj.states.reserve(times.size() * n);
  traj.observables.reserve(times.size() * n_obs);
  traj.crossings.clear();
  for (const auto& query : crossings_) traj.crossings.push_back({query, std::nullopt});
  traj.status = SolveStatus::kSuccess;
  traj.message.clear();
  traj.backend_given = options_.backend;
  traj.backend_used = backend_used_;
  traj.backend_reason = backend_reason_;
  traj.stats = {};

  if (std::string why = model.check_parameters(p_now); !why.empty()) {
    traj.status = SolveStatus::kFailed;
    traj.message = "at t = " + format_hours(request.t_start_h) + ": " + why;
    return false;
  }
  std::span<double> y(y_);
  model.initial_state(params, y);  // before any parameter change
  size_t next_output = 0;
  size_t crossings_left = n_cross;

  long negative_outputs = 0;
  std::string negative_message;
  auto record = [&](double t) {
    traj.times_h.push_back(t);
    bool negative = false;
    for (size_t i = 0; i < n; ++i) {
      const double atol = options_.atol_of(static_cast<int>(i));
      if (y[i] < -atol && !negative) {
        negative = true;
        if (negative_message.empty())
          negative_message = "negative amount: state '" + model.states()[i].name +
                             "' = " + format_number(y[i]) + " " + model.states()[i].unit +
                             " at t = " + format_hours(t) + ", beyond its absolute tolerance " +
                             format_number(atol) +
                             " (a sign error in the model, or tolerances too loose for it)";
      }
      if (request.record_states)
        traj.states.push_back(request.zero_within_atol && std::fabs(y[i]) <= atol ? 0.0 : y[i]);
    }
    negative_outputs += negative;
    const size_t offset = traj.observables.size();
    traj.observables.resize(offset + n_obs);
    prepared_.observe(t, y, std::span<double>(traj.observables).subspan(offset, n_obs));
  };
  auto found = [&](size_t k, double t) {
    if (traj.crossings[k].time_h) return;
    traj.crossings[k].time_h = t;
    --crossings_left;
  };
  auto all_crossed = [&] {
    return request.stop_when_crossed && n_cross > 0 && crossings_left == 0;
  };
  // Integrates to `target`, recording crossings on the way; false when the run must end.
  auto step_to = [&](double target) {
    double t = 0;
    while (true) {
      const auto outcome = integrator_->advance(target, y, &t, crossed_);
      if (outcome == AdvanceOutcome::kFailure) {
        traj.status = SolveStatus::kFailed;
        traj.message = integrator_->failure();
        return false;
      }
      if (outcome == AdvanceOutcome::kReachedOutput) return true;
      for (size_t k = 0; k < n_cross; ++k)
        if (crossed_[k]) found(k, t);
      if (all_crossed()) {
        traj.status = SolveStatus::kStoppedAtCrossing;
        traj.message = "stopped at t = " + std::to_string(t) + " h: every crossing was found";
        return false;
      }
    }
  };

  bool running = true;
  for (size_t p = 0; p < pieces_.size() && running; ++p) {
    const Piece& piece = pieces_[p];
    const bool last = p + 1 == pieces_.size();
    if (request.outputs_before_doses && p == 0)
      while (next_output < times.size() && times[next_output] <= piece.t_begin)
        record(times[next_output++]);
    // Events at the start of the piece; a jump across a threshold is a crossing at this time.
    crossing_functions.evaluate(piece.t_begin, y, prepared_, g_before_);
    if (!piece.parameter_changes.empty()) {
      for (const auto& change : piece.parameter_changes)
        params_now_[static_cast<size_t>(change.parameter)] = change.value;
      prepared_.set_parameters(p_now);
      integrator_->set_prepared(&prepared_);
      if (std::string why = model.check_parameters(p_now); !why.empty()) {
        traj.status = SolveStatus::kFailed;
        traj.message = "at t = " + format_hours(piece.t_begin) + ": " + why;
        break;
      }
    }
    if (piece.reset_at_begin) model.initial_state(params, y);
    for (size_t i = 0; i < n; ++i) y[i] += piece.bolus[i];
    crossing_functions.evaluate(piece.t_begin, y, prepared_, g_after_);
    for (size_t k = 0; k < n_cross; ++k)
      if (crossing_functions.crosses(static_cast<int>(k), g_before_[k], g_after_[k]))
        found(k, piece.t_begin);
    if (all_crossed()) {
      traj.status = SolveStatus::kStoppedAtCrossing;
      traj.message = "stopped at t = " + std::to_string(piece.t_begin) +
                     " h: every crossing was found (at a dose)";
      break;
    }
    while (next_output < times.size() && times[next_output] <= piece.t_begin)
      record(times[next_output++]);

    integrator_->restart(piece.t_begin, y, piece.input_rate, piece.t_end);
    ++traj.stats.restarts;
    double t_now = piece.t_begin;
    // Outputs inside the piece; one at its very end belongs here when outputs come before
    // the next piece's doses (or when this is the last piece).
    const bool take_end = last || request.outputs_before_doses;
    while (running && next_output < times.size() &&
           (times[next_output] < piece.t_end || (take_end && times[next_output] <= piece.t_end))) {
      running = step_to(times[next_output]);
      if (running) {
        t_now = times[next_output];
        record(times[next_output++]);
      }
    }
    if (running && t_now < piece.t_end && (!last || crossings_left > 0)) {
      running = step_to(piece.t_end);
    }
  }
  const SolveStatus status = traj.status;
  const long restarts = traj.stats.restarts;
  traj.stats = integrator_->stats();
  traj.stats.restarts = restarts;
  traj.stats.negative_outputs = negative_outputs;
  traj.status = status;
  if (const Handover& handover = integrator_->handover(); handover.steps > 0) {
    traj.backend_used = handover.backend;
    traj.backend_reason = describe_handover(backend_reason_, handover);
  }
  if (!negative_message.empty()) {
    negative_message += " (" + std::to_string(negative_outputs) + " of " +
                        std::to_string(traj.times_h.size()) + " outputs)";
    traj.message = traj.message.empty() ? negative_message : traj.message + "; " + negative_message;
  }
  return traj.ok();
}

std::string describe_handover(const std::string& chosen_because, const Handover& handover) {
  return (chosen_because.empty() ? std::string() : chosen_because + "; ") + handover.reason +
         (handover.steps > 1 ? " (" + std::to_string(handover.steps) + " steps handed over)" : "");
}

Trajectory simulate(const Model& model, const Regimen& regimen, std::span<const double> params,
                    const SimulationRequest& request, const SolverOptions& options) {
  Simulator simulator(model, options);
  Trajectory trajectory;
  simulator.run(regimen, params, request, &trajectory);
  return trajectory;
}

std::vector<double> output_grid(double t_begin, double t_end, double step) {
  if (!std::isfinite(t_begin) || !std::isfinite(t_end) || !std::isfinite(step) || !(step > 0) ||
      !(t_end >= t_begin))
    throw std::invalid_argument("output grid needs finite times, step > 0 and end >= begin");
  // Counted in double first: (end - begin) / step may be far beyond size_t (0:1e20:1).
  const double intervals = std::floor((t_end - t_begin) / step + 1e-9);
  if (!(intervals < static_cast<double>(RunLimits::kMaxGridPoints)))
    throw std::invalid_argument(
        "the grid would have " + format_number(intervals + 1, 15) + " points, " +
        limit_message(std::to_string(RunLimits::kMaxGridPoints) + " points per output grid",
                      "kMaxGridPoints", "use a larger step or a shorter span"));
  const auto count = static_cast<size_t>(intervals) + 1;
  std::vector<double> grid;
  grid.reserve(count);
  for (size_t k = 0; k < count; ++k) {
    const double t = t_begin + step * static_cast<double>(k);
    // A step below the spacing of doubles at these times (1 h near t = 1e17 h) repeats points.
    if (k > 0 && !(t > grid.back()))
      throw std::invalid_argument("the step " + format_number(step) +
                                  " h is too small to tell grid points apart near t = " +
                                  format_hours(t) + " (double precision): use a larger step");
    grid.push_back(t);
  }
  return grid;
}

}  // namespace onset::pk
