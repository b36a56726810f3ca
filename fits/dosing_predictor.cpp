#include "fits/dosing_predictor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

#include "io/format.hpp"

namespace onset::fits {

namespace {
constexpr const char* kSensitivityMethod =
    "onset_bdf forward sensitivities (CVODES's staggered direct method, analytic Jacobian, "
    "error-controlled)";
constexpr const char* kCvodesSensitivityMethod =
    "CVODES forward sensitivities (staggered, difference-quotient sensitivity right-hand side, "
    "error-controlled)";
}  // namespace

DosingPredictor::DosingPredictor(std::shared_ptr<const pk::Model> model,
                                 std::shared_ptr<const pk::DosingData> data,
                                 std::vector<FittedObservation> observations,
                                 pk::SolverOptions solver)
    : model_(std::move(model)),
      data_(std::move(data)),
      observations_(std::move(observations)),
      given_solver_(solver),
      solver_(solver) {
  for (const auto& parameter : model_->parameters()) names_.push_back(parameter.name);
  subjects_ = pk::subject_ranges(*data_);
  output_row_of_record_.assign(data_->records.size(), -1);
  for (const auto& observation : observations_) {
    if (observation.record < 0 || observation.record >= static_cast<int>(data_->records.size()))
      throw std::invalid_argument("observation record out of range");
    if (observation.observable < 0 || observation.observable >= model_->num_observables())
      throw std::invalid_argument("observable out of range");
  }
  fitted_of_record_.assign(data_->records.size(), {});
  for (size_t i = 0; i < observations_.size(); ++i)
    fitted_of_record_[static_cast<size_t>(observations_[i].record)].push_back(i);
  // Only subjects with a fitted observation are simulated (a predictor of one subject's
  // observations must not scan the whole data set at every call).
  std::erase_if(subjects_, [&](const std::array<size_t, 2>& range) {
    for (size_t r = range[0]; r < range[1]; ++r)
      if (!fitted_of_record_[r].empty()) return false;
    return true;
  });
  last_method_ = kSensitivityMethod;
  // Absolute tolerances in the units of the doses: amounts of 1e10 particles and of 300 mg
  // need different atol; scale the given atol by the largest dose.
  double largest_dose = 0;
  for (const auto& record : data_->records)
    largest_dose = std::max(largest_dose, std::abs(record.amount));
  if (largest_dose > 1 && solver_.atol_per_state.empty()) solver_.atol *= largest_dose;
}

std::string DosingPredictor::gradient_method() const { return last_method_; }

std::string DosingPredictor::sensitivity_obstacle(std::span<const double> params,
                                                  std::span<const int> wrt) const {
  const auto& names = model_->covariates();
  std::vector<double> covariates(names.size()), p(params.begin(), params.end());
  for (size_t r = 0; r < data_->records.size(); ++r) {
    const pk::DosingRecord& record = data_->records[r];
    if (record.ss != 0) return "steady-state records (SS) in the data";
    if (record.is_reset()) return "reset records (EVID 3/4) in the data";
    if (!record.is_dose()) continue;
    if (record.rate < 0) return "modelled infusion rates or durations (RATE < 0)";
    for (size_t c = 0; c < names.size(); ++c) {
      const int index = data_->covariate_index(names[c]);
      covariates[c] = index >= 0 ? data_->covariate(r, static_cast<size_t>(index)) : 0.0;
    }
    const int state = record.cmt - 1;
    const pk::DoseModifiers base = model_->dose_modifiers(state, p, covariates);
    for (int j : wrt) {
      std::vector<double> perturbed = p;
      perturbed[static_cast<size_t>(j)] = p[static_cast<size_t>(j)] * 1.001 + 1e-6;
      const pk::DoseModifiers moved = model_->dose_modifiers(state, perturbed, covariates);
      if (moved.lag_h != base.lag_h || moved.bioavailability != base.bioavailability)
        return "the dose lag or bioavailability depends on the estimated parameter " +
               names_[static_cast<size_t>(j)];
    }
  }
  return "";
}

bool DosingPredictor::predict(std::span<const double> params, std::span<const int> wrt,
                              std::span<double> f, std::span<double> jacobian, std::string* why) {
  // Whether sensitivities can be used is a property of the records and of which parameters
  // the dose modifiers depend on: checked once per set of parameters differentiated.
  if (!obstacle_known_ ||
      !std::equal(wrt.begin(), wrt.end(), obstacle_wrt_.begin(), obstacle_wrt_.end())) {
    obstacle_ = sensitivity_obstacle(params, wrt);
    obstacle_wrt_.assign(wrt.begin(), wrt.end());
    obstacle_known_ = true;
  }
  const std::string& obstacle = obstacle_;
  if (obstacle.empty()) {
    const bool ok = predict_sensitivities(params, jacobian.empty() ? std::span<const int>() : wrt,
                                          f, jacobian, why);
    if (ok && !jacobian.empty()) {
      const pk::SensitivitySimulator& used = *(relaxed_ ? relaxed_sensitivity_ : sensitivity_);
      last_method_ = used.last_run_exact()
                         ? "exact: state and sensitivities of the linear model in "
                           "eigen-coordinates (matrix exponentials when ill-conditioned)"
                     : std::string(used.solver_name()) == "cvodes_bdf" ? kCvodesSensitivityMethod
                                                                       : kSensitivityMethod;
    }
    return ok;
  }
  last_method_ = "central finite differences through the dosing engine (" + obstacle + ")";
  if (!predict_dosing(params, f, why)) return false;
  if (jacobian.empty()) return true;
  const size_t n = observations_.size();
  p_work_.assign(params.begin(), params.end());
  f_plus_.resize(n);
  f_minus_.resize(n);
  for (size_t a = 0; a < wrt.size(); ++a) {
    const size_t j = static_cast<size_t>(wrt[a]);
    const double h = 1e-5 * std::max(std::abs(params[j]), 1e-8);
    p_work_[j] = params[j] + h;
    if (!predict_dosing(p_work_, f_plus_, why)) return false;
    p_work_[j] = params[j] - h;
    if (!predict_dosing(p_work_, f_minus_, why)) return false;
    p_work_[j] = params[j];
    for (size_t i = 0; i < n; ++i) jacobian[a * n + i] = (f_plus_[i] - f_minus_[i]) / (2 * h);
  }
  return true;
}

bool DosingPredictor::predict_curve(std::span<const double> params, size_t observation,
                                    std::span<const double> x, std::span<double> f,
                                    std::string* why) {
  if (observation >= observations_.size())
    throw std::invalid_argument("predict_curve: observation out of range");
  const size_t record = static_cast<size_t>(observations_[observation].record);
  std::array<size_t, 2> subject{record, record + 1};
  for (const auto& range : pk::subject_ranges(*data_))
    if (range[0] <= record && record < range[1]) subject = range;
  // The subject's records with one observation record per x, each after the records at or
  // before its time; extra columns (covariates, text) carried forward from the record before.
  pk::DosingData curve;
  curve.source = data_->source;
  curve.header_line = data_->header_line;
  curve.covariate_names = data_->covariate_names;
  curve.covariate_header_columns = data_->covariate_header_columns;
  curve.first_bad_covariate_cell = data_->first_bad_covariate_cell;
  const size_t columns = data_->num_covariates();
  std::vector<FittedObservation> fitted;
  auto append = [&](const pk::DosingRecord& added, size_t row) {
    curve.records.push_back(added);
    for (size_t c = 0; c < columns; ++c) {
      curve.covariates.push_back(data_->covariate(row, c));
      curve.extra_text.push_back(data_->text(row, c));
      curve.extra_columns.push_back(data_->cell_column(row, c));
    }
  };
  size_t next = 0;
  auto append_grid_until = [&](double time, bool inclusive, size_t row) {
    for (; next < x.size() && (x[next] < time || (inclusive && x[next] == time)); ++next) {
      pk::DosingRecord point;
      point.line = data_->records[row].line;
      point.id = data_->records[row].id;
      point.time_h = x[next];
      point.evid = 0;
      point.dv = std::numeric_limits<double>::quiet_NaN();
      fitted.push_back(
          {static_cast<int>(curve.records.size()), observations_[observation].observable});
      append(point, row);
    }
  };
  if (!std::is_sorted(x.begin(), x.end()))
    throw std::invalid_argument("predict_curve: x must be ascending");
  // Points before the first record take its columns.
  append_grid_until(data_->records[subject[0]].time_h, false, subject[0]);
  for (size_t r = subject[0]; r < subject[1]; ++r) {
    // Points strictly before this record's time (so after those at the time before).
    if (r > subject[0]) append_grid_until(data_->records[r].time_h, false, r - 1);
    append(data_->records[r], r);
  }
  append_grid_until(std::numeric_limits<double>::infinity(), true, subject[1] - 1);
  DosingPredictor predictor(model_, std::make_shared<const pk::DosingData>(std::move(curve)),
                            std::move(fitted), given_solver_);
  if (!predictor.predict(params, {}, f, {}, why)) {
    if (why) *why = "the model curve of subject " + data_->records[record].id + ": " + *why;
    return false;
  }
  return true;
}

bool DosingPredictor::predict_dosing(std::span<const double> params, std::span<double> f,
                                     std::string* why) {
  if (!dosing_) {
    pk::DosingOptions options;
    options.solver = solver_;
    dosing_ = std::make_unique<pk::DosingSimulator>(*model_, options);
  }
  pk::DosingRequest request;
  if (!dosing_->run(*data_, params, request, &dosing_result_)) {
    if (why) *why = dosing_result_.message;
    return false;
  }
  // One row per record, in file order.
  for (size_t i = 0; i < observations_.size(); ++i) {
    f[i] = dosing_result_.observable(static_cast<size_t>(observations_[i].record),
                                     static_cast<size_t>(observations_[i].observable));
  }
  return true;
}

bool DosingPredictor::build_plans(std::span<const double> params, std::string* why) {
  const auto& covariate_names = model_->covariates();
  covariates_.resize(covariate_names.size());
  // Dose modifiers (lag, F) of every dose record: the events depend on the parameters only
  // through them, so the plans are rebuilt only when they change.
  std::vector<double>& key = key_work_;
  key.clear();
  std::vector<pk::DoseModifiers>& modifiers = modifiers_work_;
  modifiers.resize(data_->records.size());
  for (const auto& [begin, end] : subjects_)
    for (size_t r = begin; r < end; ++r) {
      const pk::DosingRecord& record = data_->records[r];
      if (!record.is_dose() || record.amount == 0) continue;
      for (size_t c = 0; c < covariate_names.size(); ++c) {
        const int index = data_->covariate_index(covariate_names[c]);
        covariates_[c] = index >= 0 ? data_->covariate(r, static_cast<size_t>(index)) : 0.0;
      }
      const int state = record.cmt - 1;
      if (state < 0 || state >= model_->num_states()) {
        if (why)
          *why = data_->source + ":" + std::to_string(record.line) + ": CMT " +
                 std::to_string(record.cmt) + " is not a compartment of the model";
        return false;
      }
      modifiers[r] = model_->dose_modifiers(state, params, covariates_);
      key.push_back(modifiers[r].lag_h);
      key.push_back(modifiers[r].bioavailability);
    }
  if (plans_valid_ && key == plan_key_) return true;
  plans_.clear();
  plans_valid_ = false;

  // Events: each record's own events keyed by its index; derived events (lagged doses, ADDL,
  // infusion ends) keyed -1 so that they happen before records at the same time.
  struct Keyed {
    double time;
    long key;
    pk::SensitivityEvent event;
  };
  struct Plan {
    std::string label;  // first subject's ID, for messages
    std::vector<size_t> subjects;
    std::vector<Keyed> events;
    std::vector<int> output_record;
  };
  std::map<std::string, Plan> plans;
  for (const auto& [begin, end] : subjects_) {
    std::vector<Keyed> keyed;
    int outputs = 0;
    std::vector<int> output_record;
    for (size_t r = begin; r < end; ++r) {
      const pk::DosingRecord& record = data_->records[r];
      if (record.is_dose() && record.amount != 0) {
        const int state = record.cmt - 1;
        const double amount = record.amount * modifiers[r].bioavailability;
        for (int k = 0; k <= record.addl; ++k) {
          const double start = record.time_h + modifiers[r].lag_h + k * record.ii_h;
          const long key = (k == 0 && modifiers[r].lag_h == 0) ? static_cast<long>(r) : -1;
          if (record.rate > 0) {
            const double duration = amount / record.rate;
            keyed.push_back(
                {start,
                 key,
                 {pk::SensitivityEvent::Kind::kRateChange, start, state, record.rate, 0}});
            keyed.push_back({start + duration,
                             -1,
                             {pk::SensitivityEvent::Kind::kRateChange, start + duration, state,
                              -record.rate, 0}});
          } else {
            keyed.push_back(
                {start, key, {pk::SensitivityEvent::Kind::kBolus, start, state, amount, 0}});
          }
        }
      }
      if (!fitted_of_record_[r].empty()) {
        keyed.push_back({record.time_h,
                         static_cast<long>(r),
                         {pk::SensitivityEvent::Kind::kOutput, record.time_h, 0, 0, outputs}});
        output_record.push_back(static_cast<int>(r));
        ++outputs;
      }
    }
    if (outputs == 0) continue;
    std::stable_sort(keyed.begin(), keyed.end(), [](const Keyed& x, const Keyed& y) {
      return x.time < y.time || (x.time == y.time && x.key < y.key);
    });
    // Subjects with the same doses share one simulation (destructive sampling: one animal per
    // time point, all dosed alike), unless an output falls at a dose time (then the order of
    // records at that time matters and the subject runs alone).
    std::ostringstream signature;
    signature.precision(17);
    std::vector<double> dose_times;
    for (const auto& k : keyed) {
      if (k.event.kind == pk::SensitivityEvent::Kind::kOutput) continue;
      signature << static_cast<int>(k.event.kind) << ':' << k.event.time_h << ':' << k.event.state
                << ':' << k.event.amount << ';';
      dose_times.push_back(k.event.time_h);
    }
    for (const auto& k : keyed) {
      if (k.event.kind == pk::SensitivityEvent::Kind::kOutput &&
          std::find(dose_times.begin(), dose_times.end(), k.time) != dose_times.end()) {
        signature << "#alone" << begin;
        break;
      }
    }
    Plan& plan = plans[signature.str()];
    if (plan.subjects.empty()) {
      plan.label = data_->records[begin].id;
      for (const auto& k : keyed)
        if (k.event.kind != pk::SensitivityEvent::Kind::kOutput) plan.events.push_back(k);
    }
    plan.subjects.push_back(begin);
    for (const auto& k : keyed) {
      if (k.event.kind != pk::SensitivityEvent::Kind::kOutput) continue;
      Keyed output = k;
      output.event.output = static_cast<int>(plan.output_record.size());
      plan.events.push_back(output);
      plan.output_record.push_back(output_record[static_cast<size_t>(k.event.output)]);
    }
  }
  for (auto& [signature, plan] : plans) {
    // Doses (and derived events) before outputs at the same time; outputs by time.
    std::stable_sort(plan.events.begin(), plan.events.end(), [](const Keyed& x, const Keyed& y) {
      if (x.time != y.time) return x.time < y.time;
      const bool x_output = x.event.kind == pk::SensitivityEvent::Kind::kOutput;
      const bool y_output = y.event.kind == pk::SensitivityEvent::Kind::kOutput;
      if (x_output != y_output) return !x_output;
      return x.key < y.key;
    });
    EventPlan cached;
    cached.label = plan.label;
    for (const auto& k : plan.events) cached.events.push_back(k.event);
    cached.output_record = plan.output_record;
    cached.t_start = std::min(0.0, plan.events.front().time);
    plans_.push_back(std::move(cached));
  }
  plan_key_ = key;
  plans_valid_ = true;
  return true;
}

bool DosingPredictor::predict_sensitivities(std::span<const double> params,
                                            std::span<const int> wrt, std::span<double> f,
                                            std::span<double> jacobian, std::string* why) {
  std::unique_ptr<pk::SensitivitySimulator>& simulator =
      relaxed_ ? relaxed_sensitivity_ : sensitivity_;
  if (!simulator) {
    pk::SolverOptions options = solver_;
    // onset_bdf unless the caller asked for CVODES (the reference).
    if (options.backend != pk::Backend::kCvodesBdf) options.backend = pk::Backend::kOnsetBdf;
    if (relaxed_) {
      options.rtol *= kRelaxedToleranceFactor;
      options.atol *= kRelaxedToleranceFactor;
      for (double& atol : options.atol_per_state) atol *= kRelaxedToleranceFactor;
    }
    simulator = std::make_unique<pk::SensitivitySimulator>(*model_, options);
  }
  if (!build_plans(params, why)) return false;
  const size_t n = observations_.size();
  const size_t n_obs = static_cast<size_t>(model_->num_observables());
  const size_t ns = wrt.size();
  for (const EventPlan& plan : plans_) {
    const size_t outputs = plan.output_record.size();
    obs_.resize(outputs * n_obs);
    sens_.resize(outputs * n_obs * ns);
    std::string reason;
    if (!simulator->run(plan.t_start, plan.events, params, wrt, obs_, sens_, &reason)) {
      if (why) *why = "subject " + plan.label + ": " + reason;
      return false;
    }
    for (size_t row = 0; row < outputs; ++row) {
      for (size_t i : fitted_of_record_[static_cast<size_t>(plan.output_record[row])]) {
        const size_t k = static_cast<size_t>(observations_[i].observable);
        f[i] = obs_[row * n_obs + k];
        for (size_t a = 0; a < ns; ++a) jacobian[a * n + i] = sens_[(row * n_obs + k) * ns + a];
      }
    }
  }
  return true;
}

}  // namespace onset::fits
