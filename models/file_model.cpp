// Run time of a model read from a model file: the evaluation plan (models/evaluation_plan.hpp)
// built from what ModelFileCompiler (model_file.cpp) read.
//
// Each process moves v (amount per hour, in the unit of `from`, or of the substrate or `to`
// when there is no `from`) from `from` to `to`, with `to` gaining yield * v:
//   first-order  v = k x                      x = A_sub or A_sub / V_sub
//   zero-order   v = k
//   saturable    v = k x^h / (K^h + x^h)      Michaelis-Menten: h = 1
//   flow         v = Q (A_from/V_from - A_to/(V_to Kp))
//   capacity     v = k x max(0, 1 - A_fill/Cap)
//   expression   v = f(parameters, states, t) (an expression tape)
// times S(driver) for an effect: Emax, Imax or linear. Unit conversions are folded into the
// constant factors of each reference when the file is read.
#include "models/file_model.hpp"

#include <muParser.h>

#include <algorithm>

#include "io/format.hpp"
#include "models/evaluation_plan.hpp"
#include "models/linear_structure.hpp"

namespace onset::models {

// ------------------------------------------------------------------- expression table
ExpressionTable::ExpressionTable() = default;
ExpressionTable::~ExpressionTable() = default;

void ExpressionTable::allocate_slots() {
  const size_t size = static_cast<size_t>(time_slot() + 1);
  slots = std::make_unique<double[]>(size);
  std::fill(slots.get(), slots.get() + size, 0.0);
}

TapeVariable ExpressionTable::variable(int slot) const {
  if (slot < derived_slot(0)) return {TapeSource::kParameter, slot};
  if (slot < covariate_slot(0)) return {TapeSource::kDerived, slot - derived_slot(0)};
  if (slot < state_slot(0)) return {TapeSource::kCovariate, slot - covariate_slot(0)};
  if (slot < time_slot()) return {TapeSource::kState, slot - state_slot(0)};
  return {TapeSource::kTime, 0};
}

// ------------------------------------------------------------------------- FileModel
FileModel::FileModel() = default;
FileModel::~FileModel() = default;

void FileModel::build_plan() {
  plan_ = std::make_unique<EvaluationPlan>();
  plan_->build(*this);
  linear_ = processes_are_linear(processes_, table_.tapes);
  std::vector<char> needed(static_cast<size_t>(table_.num_derived), 0);
  auto mark = [&](const ScalarDef& def) {
    if (def.kind != ScalarDef::Kind::kExpression) return;
    for (int d : table_.tapes[static_cast<size_t>(def.index)].variables(TapeSource::kDerived))
      needed[static_cast<size_t>(d)] = 1;
  };
  for (const ScalarDef& def : initial_) mark(def);
  for (const CompartmentDoseDef& def : dose_defs_)
    for (const ScalarDef* s : {&def.lag, &def.bioavailability, &def.rate, &def.duration}) mark(*s);
  scalar_derived_ = plan_->derived_closure(std::move(needed));
  needed.assign(static_cast<size_t>(table_.num_derived), 0);
  for (const PositiveDerived& rule : positive_derived_) needed[static_cast<size_t>(rule.index)] = 1;
  check_derived_ = plan_->derived_closure(std::move(needed));
}

std::shared_ptr<const pk::Model> FileModel::restricted(std::span<const int> kept,
                                                       int observable) const {
  const int n = num_states();
  if (observable < 0 || observable >= static_cast<int>(observable_infos_.size()) || kept.empty())
    return nullptr;
  std::vector<int> state_map(static_cast<size_t>(n), -1);
  for (size_t i = 0; i < kept.size(); ++i) {
    if (kept[i] < 0 || kept[i] >= n || (i > 0 && kept[i] <= kept[i - 1])) return nullptr;
    state_map[static_cast<size_t>(kept[i])] = static_cast<int>(i);
  }
  auto map_read = [&](int* state) {  // a state read: must be kept
    if (*state < 0) return true;
    *state = state_map[static_cast<size_t>(*state)];
    return *state >= 0;
  };
  auto out = std::make_shared<FileModel>();
  FileModel& r = *out;
  r.name_ = name_;
  r.parameters_ = parameters_;
  r.bounds_ = bounds_;
  r.covariates_ = covariates_;
  r.positive_derived_ = positive_derived_;
  r.uses_expressions_ = uses_expressions_;
  r.rhs_expressions_ = rhs_expressions_;
  r.documentation_.description = documentation_.description;
  r.documentation_.equations = documentation_.equations;
  r.documentation_.source = documentation_.source;
  for (int s : kept) {
    r.states_.push_back(states_[static_cast<size_t>(s)]);
    r.initial_.push_back(initial_[static_cast<size_t>(s)]);
    r.dose_defs_.push_back(dose_defs_[static_cast<size_t>(s)]);
  }
  // The processes that write a kept state, in their order (a kept row's sums keep their
  // terms and order); a left-out `from` or `to` is dropped from the process.
  std::vector<char> needed(observables_.size(), 0), tape_used(table_.tapes.size(), 0);
  needed[static_cast<size_t>(observable)] = 1;
  for (const Process& pr : processes_) {
    Process q = pr;
    q.from = pr.from < 0 ? -1 : state_map[static_cast<size_t>(pr.from)];
    q.to = pr.to < 0 ? -1 : state_map[static_cast<size_t>(pr.to)];
    if (q.from < 0 && q.to < 0) continue;
    if (!map_read(&q.substrate) || !map_read(&q.second)) return nullptr;
    for (int& s : q.expression_states)
      if (!map_read(&s)) return nullptr;
    if (q.law == Law::kExpression) tape_used[static_cast<size_t>(q.expression)] = 1;
    if (q.effect.kind != EffectKind::kNone) needed[static_cast<size_t>(q.effect.driver)] = 1;
    r.processes_.push_back(std::move(q));
  }
  // The observables: the one followed first (the only declared one), then the effect drivers
  // and the parts of ratios they read, in their order.
  for (bool grown = true; grown;) {
    grown = false;
    for (size_t o = 0; o < observables_.size(); ++o) {
      const ObservableDef& def = observables_[o];
      if (!needed[o] || def.kind != ObservableKind::kRatio) continue;
      for (int part : {def.numerator, def.denominator})
        if (!needed[static_cast<size_t>(part)]) needed[static_cast<size_t>(part)] = 1, grown = true;
    }
  }
  std::vector<int> order{observable}, observable_map(observables_.size(), -1);
  for (size_t o = 0; o < observables_.size(); ++o)
    if (needed[o] && static_cast<int>(o) != observable) order.push_back(static_cast<int>(o));
  for (size_t i = 0; i < order.size(); ++i)
    observable_map[static_cast<size_t>(order[i])] = static_cast<int>(i);
  for (int o : order) {
    ObservableDef def = observables_[static_cast<size_t>(o)];
    if (def.kind == ObservableKind::kLinear) {
      const int first = def.first_term;
      def.first_term = static_cast<int>(r.terms_.size());
      for (int k = first; k < first + def.num_terms; ++k) {
        ObservableTerm term = terms_[static_cast<size_t>(k)];
        if (!map_read(&term.state)) return nullptr;
        r.terms_.push_back(term);
      }
      if (def.simple) {
        const int first_simple = def.first_simple;
        def.first_simple = static_cast<int>(r.simple_terms_.size());
        for (int k = first_simple; k < first_simple + def.num_terms; ++k) {
          SimpleTerm term = simple_terms_[static_cast<size_t>(k)];
          if (!map_read(&term.state)) return nullptr;
          r.simple_terms_.push_back(term);
        }
      }
    } else if (def.kind == ObservableKind::kRatio) {
      def.numerator = observable_map[static_cast<size_t>(def.numerator)];
      def.denominator = observable_map[static_cast<size_t>(def.denominator)];
    } else {
      tape_used[static_cast<size_t>(def.expression)] = 1;
      for (int& s : def.expression_states)
        if (!map_read(&s)) return nullptr;
    }
    r.observables_.push_back(std::move(def));
  }
  r.observable_infos_.push_back(observable_infos_[static_cast<size_t>(observable)]);
  for (Process& q : r.processes_)
    if (q.effect.kind != EffectKind::kNone)
      q.effect.driver = observable_map[static_cast<size_t>(q.effect.driver)];
  // The tapes, at their indices: those of kept processes and observables read the kept
  // states' new indices; the others that read states are never evaluated (left empty).
  r.table_.num_params = table_.num_params;
  r.table_.num_derived = table_.num_derived;
  r.table_.num_covariates = table_.num_covariates;
  r.table_.num_states = static_cast<int>(kept.size());
  r.table_.derived_expression = table_.derived_expression;
  r.table_.derived_order = table_.derived_order;
  r.table_.tapes = table_.tapes;
  for (size_t i = 0; i < r.table_.tapes.size(); ++i) {
    ExpressionTape& tape = r.table_.tapes[i];
    if (!tape.reads(TapeSource::kState)) continue;
    if (!tape_used[i]) {
      tape = ExpressionTape();
    } else if (!tape.renumber_states(state_map)) {
      return nullptr;
    }
  }
  r.build_plan();
  return out;
}

size_t FileModel::workspace_size() const { return plan_->workspace_size(); }

const pk::JacobianPattern* FileModel::jacobian_pattern() const { return &plan_->pattern(); }
std::vector<int> FileModel::observable_states(int o) const { return plan_->observable_states(o); }

void FileModel::prepare(std::span<const double> p, std::span<double> workspace) const {
  plan_->prepare(p.data(), workspace.data());
}

std::string FileModel::check_parameters(std::span<const double> p) const {
  if (positive_derived_.empty()) return {};
  const std::span<double> w = scratch();
  plan_->derive(p.data(), w.data(), check_derived_);
  for (const auto& rule : positive_derived_) {
    const double value = plan_->derived(rule.index, w.data());
    if (rule.zero_allowed ? value >= 0 : value > 0) continue;
    return "the derived " + rule.role + " '" + rule.name + "' = " + format_number(value) + " " +
           rule.unit + " is " + (rule.zero_allowed ? "negative" : "not positive") + " (" +
           rule.where + ": " + rule.name + " = " + rule.expression + "); a " + rule.role +
           " must be " + (rule.zero_allowed ? ">= 0" : "> 0") +
           ": check the parameter values it is computed from";
  }
  return {};
}

std::span<double> FileModel::scratch() const {
  // One buffer per thread, grown on first use: the plain calls allocate nothing afterwards
  // and share nothing between threads.
  thread_local std::vector<double> buffer;
  const size_t size = plan_->workspace_size();
  if (buffer.size() < size) buffer.resize(size);
  return {buffer.data(), size};
}

std::span<double> FileModel::prepared_scratch(std::span<const double> p) const {
  const std::span<double> w = scratch();
  plan_->prepare(p.data(), w.data());
  return w;
}

void FileModel::rhs_prepared(double t, std::span<const double> y, std::span<const double> p,
                             std::span<double> workspace, std::span<double> ydot) const {
  plan_->rhs(t, y.data(), p.data(), workspace.data(), ydot.data());
}

void FileModel::jacobian_prepared(double t, std::span<const double> y, std::span<const double> p,
                                  std::span<double> workspace, std::span<double> jac) const {
  plan_->jacobian(t, y.data(), p.data(), workspace.data(), jac.data());
}

void FileModel::observe_prepared(double t, std::span<const double> y, std::span<const double> p,
                                 std::span<double> workspace, std::span<double> out) const {
  plan_->observe(t, y.data(), p.data(), workspace.data(), out.data(), out.size());
}

double FileModel::observable_prepared(int o, double t, std::span<const double> y,
                                      std::span<const double> p, std::span<double> workspace,
                                      std::span<double> /*scratch*/) const {
  return plan_->observable_value(o, t, y.data(), p.data(), workspace.data());
}

void FileModel::jacobian_sparse_prepared(double t, std::span<const double> y,
                                         std::span<const double> p, std::span<double> workspace,
                                         std::span<double> values) const {
  plan_->jacobian_sparse(t, y.data(), p.data(), workspace.data(), values.data());
}

void FileModel::rhs(double t, std::span<const double> y, std::span<const double> p,
                    std::span<double> ydot) const {
  rhs_prepared(t, y, p, prepared_scratch(p), ydot);
}

void FileModel::jacobian(double t, std::span<const double> y, std::span<const double> p,
                         std::span<double> jac) const {
  jacobian_prepared(t, y, p, prepared_scratch(p), jac);
}

void FileModel::observe(double t, std::span<const double> y, std::span<const double> p,
                        std::span<double> out) const {
  // Only what the observables read: their derived values and weights.
  const std::span<double> w = scratch();
  plan_->prepare_observables(p.data(), w.data());
  observe_prepared(t, y, p, w, out);
}

void FileModel::initial_state(std::span<const double> p, std::span<double> y0) const {
  const std::span<double> w = scratch();
  plan_->derive(p.data(), w.data(), scalar_derived_);
  for (size_t i = 0; i < y0.size(); ++i) {
    const ScalarDef& def = initial_[i];
    y0[i] = def.kind == ScalarDef::Kind::kNone ? 0.0
                                               : plan_->scalar(def, p.data(), nullptr, 0, w.data());
  }
}

pk::DoseModifiers FileModel::dose_modifiers(int state, std::span<const double> p,
                                            std::span<const double> covariates) const {
  pk::DoseModifiers modifiers;
  if (state < 0 || state >= num_states()) return modifiers;
  const CompartmentDoseDef& def = dose_defs_[static_cast<size_t>(state)];
  const double* cov = covariates.size() == covariates_.size() ? covariates.data() : nullptr;
  const std::span<double> w = scratch();
  plan_->derive(p.data(), w.data(), scalar_derived_);
  auto scalar = [&](const ScalarDef& s) {
    return plan_->scalar(s, p.data(), cov, covariates_.size(), w.data());
  };
  if (def.lag.kind != ScalarDef::Kind::kNone) modifiers.lag_h = scalar(def.lag);
  if (def.bioavailability.kind != ScalarDef::Kind::kNone)
    modifiers.bioavailability = scalar(def.bioavailability);
  // As NONMEM's Rn and Dn, a modelled rate or duration of 0 means "not modelled".
  if (def.rate.kind != ScalarDef::Kind::kNone) {
    const double rate = scalar(def.rate);
    if (rate != 0) modifiers.rate = rate;
  }
  if (def.duration.kind != ScalarDef::Kind::kNone) {
    const double duration = scalar(def.duration);
    if (duration != 0) modifiers.duration_h = duration;
  }
  return modifiers;
}

bool FileModel::linear_system(std::span<const double> p, std::span<double> a,
                              std::span<double> b) const {
  if (!linear_) return false;
  // Affine in y and time-invariant (models/linear_structure.hpp): A is the (constant)
  // Jacobian, b the rate at y = 0. One preparation of p serves both; nothing allocated after
  // the calling thread's first call.
  const size_t n = states_.size();
  thread_local std::vector<double> zero, rate;
  zero.assign(n, 0.0);
  rate.assign(n, 0.0);
  const std::span<double> w = prepared_scratch(p);
  std::fill(a.begin(), a.end(), 0.0);
  jacobian_prepared(0, zero, p, w, a);
  rhs_prepared(0, zero, p, w, rate);
  if (!b.empty()) std::copy(rate.begin(), rate.end(), b.begin());
  return true;
}

}  // namespace onset::models
