// The evaluation plan of a model file (see evaluation_plan.hpp). The rate laws are those of
// models/file_model.cpp's header; each process moves v from `from` to `to` (which gains
// yield * v), times S(driver) for an effect.
#include "models/evaluation_plan.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "models/file_model.hpp"

namespace onset::models {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Coefficients per nonlinear process: rate coefficient, second coefficient, K, Hill, yield,
// effect magnitude, potency, Hill, and the constant powers K^Hill and potency^Hill.
constexpr int kCoefficients = 10;

double value(const ValueRef& ref, const double* p, const double* derived) {
  switch (ref.kind) {
    case ValueRef::Kind::kConstant:
      return ref.value;
    case ValueRef::Kind::kParameter:
      return p[ref.index] * ref.factor;
    case ValueRef::Kind::kDerived:
      return derived[ref.index] * ref.factor;
  }
  return kNaN;
}

// x^h / (K^h + x^h) and its derivative with respect to x; kh = K^h (computed once per
// parameter vector by prepare()).
inline double hill_fraction(double x, double k, double kh, double h, bool unit_hill, double* d_dx) {
  if (unit_hill) {
    const double denominator = k + x;
    *d_dx = k / (denominator * denominator);
    return x / denominator;
  }
  if (x <= 0) {
    *d_dx = 0;
    return 0;
  }
  const double xh = std::pow(x, h), denominator = kh + xh;
  *d_dx = h * kh * xh / (x * denominator * denominator);
  return xh / denominator;
}

}  // namespace

void EvaluationPlan::build(const FileModel& model) {
  n_ = model.num_states();
  num_params_ = model.num_parameters();
  num_derived_ = model.table_.num_derived;
  tapes_ = model.table_.tapes;
  derived_tape_ = model.table_.derived_expression;
  all_derived_order_ = model.table_.derived_order;
  auto expression_states = [&](const std::vector<int>& states) {
    expression_states_.push_back(states);
    return static_cast<int>(expression_states_.size() - 1);
  };

  // Observables: the terms of linear ones in flat arrays (weights in the workspace).
  for (const ObservableDef& def : model.observables_) {
    ObservablePlan o;
    o.kind = def.kind;
    o.numerator = def.numerator;
    o.denominator = def.denominator;
    o.expression = def.expression;
    o.factor = def.factor;
    if (def.kind == ObservableKind::kExpression)
      o.expression_states = expression_states(def.expression_states);
    if (def.kind == ObservableKind::kLinear) {
      o.first_term = static_cast<int>(term_state_.size());
      o.num_terms = def.num_terms;
      for (int k = def.first_term; k < def.first_term + def.num_terms; ++k) {
        const ObservableTerm& term = model.terms_[static_cast<size_t>(k)];
        term_state_.push_back(term.state);
        term_observable_.push_back(static_cast<int>(observables_.size()));
        term_definition_.push_back(term);
      }
    }
    term_range_.push_back(o.first_term);
    term_range_.push_back(o.first_term + o.num_terms);
    linear_observable_.push_back(def.kind == ObservableKind::kLinear ? 1 : 0);
    observables_.push_back(o);
  }
  // Declared observables come first (hidden effect drivers after them), so their terms are a
  // prefix of the term arrays.
  // A term's weight is exactly 1 when it is a number (amount, sum) and the observable has no
  // unit factor: then w y = y bit for bit.
  auto unit_weight = [&](size_t t) {
    const ObservableTerm& term = term_definition_[t];
    return term.constant_weight &&
           observables_[static_cast<size_t>(term_observable_[t])].factor * term.constant == 1.0;
  };
  for (size_t o = 0; o < observables_.size(); ++o) {
    ObservableShape shape;
    const int first = term_range_[2 * o], end = term_range_[2 * o + 1];
    if (linear_observable_[o] && end - first == 1) {
      shape.state = term_state_[static_cast<size_t>(first)];
      shape.term = first;
      shape.shape = unit_weight(static_cast<size_t>(first)) ? Shape::kCopy : Shape::kSingle;
    } else if (linear_observable_[o]) {
      shape.shape = Shape::kLinear;
    }
    shape_.push_back(shape);
  }
  declared_ = model.observable_infos_.size();
  for (size_t o = 0; o < declared_; ++o) {
    const int first = term_range_[2 * o], end = term_range_[2 * o + 1];
    const int observable = static_cast<int>(o);
    if (!linear_observable_[o]) {
      declared_other_.push_back(observable);
      continue;
    }
    if (end - first == 1) {
      const int state = term_state_[static_cast<size_t>(first)];
      if (shape_[o].shape == Shape::kCopy)
        declared_copy_.push_back({observable, state});
      else
        declared_single_.push_back({observable, state, first});
      continue;
    }
    bool unit = end > first, consecutive = true;
    for (int t = first; t < end; ++t) {
      unit = unit && unit_weight(static_cast<size_t>(t));
      if (t > first &&
          term_state_[static_cast<size_t>(t)] != term_state_[static_cast<size_t>(t) - 1] + 1)
        consecutive = false;
    }
    if (unit && consecutive)
      declared_run_.push_back({observable, term_state_[static_cast<size_t>(first)],
                               term_state_[static_cast<size_t>(first)] + (end - first)});
    else if (unit)
      declared_unit_sum_.push_back(observable);
    else
      declared_multi_.push_back(observable);
  }
  // The states an observable reads (for the Jacobian's pattern).
  std::function<void(int, std::vector<int>*)> columns_of = [&](int o, std::vector<int>* columns) {
    const ObservablePlan& def = observables_[static_cast<size_t>(o)];
    if (def.kind == ObservableKind::kLinear) {
      for (int t = def.first_term; t < def.first_term + def.num_terms; ++t)
        columns->push_back(term_state_[static_cast<size_t>(t)]);
    } else if (def.kind == ObservableKind::kRatio) {
      columns_of(def.numerator, columns);
      columns_of(def.denominator, columns);
    } else {
      const auto& states = expression_states_[static_cast<size_t>(def.expression_states)];
      columns->insert(columns->end(), states.begin(), states.end());
    }
  };
  observable_states_.assign(observables_.size(), {});
  for (size_t o = 0; o < observables_.size(); ++o) {
    std::vector<int>& states = observable_states_[o];
    columns_of(static_cast<int>(o), &states);
    std::sort(states.begin(), states.end());
    states.erase(std::unique(states.begin(), states.end()), states.end());
  }

  // Processes: linear ones (no effect; first-order, flow, zero-order) merge into entries; each
  // other one becomes a kernel.
  std::map<std::pair<int, int>, int> entry_of;
  auto entry = [&](int row, int column) {
    if (row < 0 || column < 0) return -1;
    const auto [it, added] =
        entry_of.emplace(std::make_pair(column, row), static_cast<int>(entry_of.size()));
    return it->second;
  };
  std::set<std::pair<int, int>> pattern;  // (column, row)
  size_t coefficients = 0;
  for (const Process& pr : model.processes_) {
    const bool linear_law =
        pr.law == Law::kFirstOrder || pr.law == Law::kFlow || pr.law == Law::kZeroOrder;
    if (linear_law && pr.effect.kind == EffectKind::kNone) {
      ProcessDefinition lp;
      lp.process = pr;
      if (pr.law != Law::kZeroOrder)
        lp.entries = {entry(pr.from, pr.substrate), entry(pr.to, pr.substrate),
                      entry(pr.from, pr.second), entry(pr.to, pr.second)};
      linear_.push_back(std::move(lp));
      continue;
    }
    if (pr.law == Law::kZeroOrder && pr.effect.kind == EffectKind::kLinear &&
        linear_observable_[static_cast<size_t>(pr.effect.driver)]) {
      ProcessDefinition lp;
      lp.process = pr;
      const int* range = term_range_.data() + 2 * pr.effect.driver;
      for (int t = range[0]; t < range[1]; ++t) {
        const int state = term_state_[static_cast<size_t>(t)];
        lp.driver_entries.push_back({entry(pr.from, state), entry(pr.to, state)});
      }
      linear_.push_back(std::move(lp));
      continue;
    }
    ProcessDefinition definition;
    definition.process = pr;
    definition.coefficients = static_cast<int>(coefficients);
    coefficients += kCoefficients;
    Kernel k;
    k.law = pr.law;
    k.effect = pr.effect.kind;
    k.unit_hill = pr.unit_hill;
    k.effect_unit_hill = pr.effect.unit_hill;
    k.from = pr.from;
    k.to = pr.to;
    k.substrate = pr.substrate;
    k.second = pr.second;
    k.coefficients = definition.coefficients;  // made a workspace offset below
    k.driver = pr.effect.driver;
    k.driver_factor = pr.effect.driver_factor;
    k.expression = pr.expression;
    if (pr.law == Law::kExpression) k.expression_states = expression_states(pr.expression_states);
    std::vector<int> columns;
    if (pr.substrate >= 0) columns.push_back(pr.substrate);
    if (pr.second >= 0) columns.push_back(pr.second);
    for (int s : pr.expression_states) columns.push_back(s);
    if (pr.effect.kind != EffectKind::kNone) columns_of(pr.effect.driver, &columns);
    for (int row : {pr.from, pr.to})
      if (row >= 0)
        for (int column : columns) pattern.insert({column, row});
    nonlinear_.push_back(std::move(definition));
    kernels_.push_back(k);
  }
  // The entries numbered by row, and within a row in the order they were made: rhs() sums a
  // row in a register, adding its terms in the order a pass over the entries in that order of
  // making would (the same bits), and stores it once.
  std::vector<std::array<int, 3>> made;  // (row, index when made, column)
  for (const auto& [key, index] : entry_of) {
    made.push_back({key.second, index, key.first});
    pattern.insert(key);
  }
  std::sort(made.begin(), made.end());
  std::vector<int> renumbered(made.size());
  entry_row_.assign(made.size(), 0);
  entry_column_.assign(made.size(), 0);
  row_start_.assign(static_cast<size_t>(n_) + 1, 0);
  for (size_t e = 0; e < made.size(); ++e) {
    renumbered[static_cast<size_t>(made[e][1])] = static_cast<int>(e);
    entry_row_[e] = made[e][0];
    entry_column_[e] = made[e][2];
    ++row_start_[static_cast<size_t>(made[e][0]) + 1];
  }
  for (int r = 0; r < n_; ++r)
    row_start_[static_cast<size_t>(r) + 1] += row_start_[static_cast<size_t>(r)];
  for (ProcessDefinition& lp : linear_) {
    for (int& e : lp.entries)
      if (e >= 0) e = renumbered[static_cast<size_t>(e)];
    for (auto& pair : lp.driver_entries)
      for (int& e : pair)
        if (e >= 0) e = renumbered[static_cast<size_t>(e)];
  }
  pattern_.n = n_;
  pattern_.column_start.assign(static_cast<size_t>(n_) + 1, 0);
  pattern_.rows.clear();
  for (const auto& [column, row] : pattern) {
    ++pattern_.column_start[static_cast<size_t>(column) + 1];
    pattern_.rows.push_back(row);  // the set is ordered by column, then row
  }
  for (int j = 0; j < n_; ++j)
    pattern_.column_start[static_cast<size_t>(j) + 1] +=
        pattern_.column_start[static_cast<size_t>(j)];

  // Workspace layout.
  size_t longest_tape = 1;
  for (const auto& tape : tapes_)
    longest_tape = std::max(longest_tape, static_cast<size_t>(tape.size()));
  size_t at = 0;
  derived_at_ = at;
  at += static_cast<size_t>(num_derived_);
  coefficients_at_ = at;
  at += coefficients;
  entries_at_ = at;
  at += entry_row_.size();
  inputs_at_ = at;
  at += static_cast<size_t>(n_);
  weights_at_ = at;
  at += term_state_.size();
  registers_at_ = at;
  at += longest_tape;
  adjoints_at_ = at;
  at += longest_tape;
  gradient_at_ = at;
  at += static_cast<size_t>(n_);
  rates_at_ = at;
  at += kernels_.size();
  // The expression observables' registers: what does not move with the states or the time is
  // computed once per parameter vector (prepare_weights), the rest per value.
  fixed_range_.assign(2 * observables_.size(), 0);
  for (size_t o = 0; o < observables_.size(); ++o) {
    ObservablePlan& plan = observables_[o];
    fixed_range_[2 * o] = fixed_range_[2 * o + 1] = static_cast<int>(fixed_steps_.size());
    if (plan.kind != ObservableKind::kExpression) continue;
    const ExpressionTape& tape = tapes_[static_cast<size_t>(plan.expression)];
    const std::vector<char> moves = tape.moving();
    plan.registers = static_cast<int>(at);
    at += static_cast<size_t>(tape.size());
    plan.first_moving = static_cast<int>(moving_steps_.size());
    for (int k = 0; k < tape.size(); ++k)
      (moves[static_cast<size_t>(k)] ? moving_steps_ : fixed_steps_).push_back(k);
    plan.end_moving = static_cast<int>(moving_steps_.size());
    fixed_range_[2 * o + 1] = static_cast<int>(fixed_steps_.size());
  }
  workspace_size_ = at;
  for (Kernel& k : kernels_) k.coefficients += static_cast<int>(coefficients_at_);

  // rhs()'s kernels by shape (see the header).
  for (size_t i = 0; i < kernels_.size(); ++i) {
    const Kernel& k = kernels_[i];
    const int slot = static_cast<int>(rates_at_ + i);
    const Scatter scatter{k.from, k.to, k.coefficients + 4};
    scatter_.push_back(scatter);
    if (k.law == Law::kSaturable && k.unit_hill && k.effect == EffectKind::kNone) {
      saturable_rates_.push_back({slot, k.substrate, k.coefficients, scatter});
      continue;
    }
    if (k.law == Law::kCapacity && k.effect == EffectKind::kNone) {
      capacity_rates_.push_back({slot, k.substrate, k.second, k.coefficients, scatter});
      continue;
    }
    const bool one_term_driver = k.effect != EffectKind::kNone &&
                                 (shape_[static_cast<size_t>(k.driver)].shape == Shape::kCopy ||
                                  shape_[static_cast<size_t>(k.driver)].shape == Shape::kSingle);
    if (k.law == Law::kFirstOrder && one_term_driver &&
        (k.effect == EffectKind::kLinear || k.effect_unit_hill)) {
      const ObservableShape& driver = shape_[static_cast<size_t>(k.driver)];
      const EffectRate rate{slot,
                            k.substrate,
                            k.coefficients,
                            driver.state,
                            static_cast<int>(weights_at_) + driver.term,
                            k.driver_factor,
                            k.effect == EffectKind::kEmax ? 1.0 : -1.0,
                            scatter};
      (k.effect == EffectKind::kLinear ? linear_effect_rates_ : hill_effect_rates_).push_back(rate);
      continue;
    }
    general_rates_.push_back(static_cast<int>(i));
  }
  std::vector<int> writers(static_cast<size_t>(n_), 0);
  add_at_once_ = true;
  for (const Kernel& k : kernels_)
    for (int row : {k.from, k.to})
      if (row >= 0 && ++writers[static_cast<size_t>(row)] > 1) add_at_once_ = false;

  // The derived values prepare() computes: those the observables' weights and expressions
  // read, and those the processes' coefficients and expressions read (a model restricted to
  // some states, FileModel::restricted(), leaves out the rest).
  std::vector<char> needed(static_cast<size_t>(num_derived_), 0);
  auto mark = [&](const ValueRef& ref) {
    if (ref.kind == ValueRef::Kind::kDerived) needed[static_cast<size_t>(ref.index)] = 1;
  };
  auto mark_tape = [&](int tape) {
    if (tape < 0) return;
    for (int d : tapes_[static_cast<size_t>(tape)].variables(TapeSource::kDerived))
      needed[static_cast<size_t>(d)] = 1;
  };
  for (const ObservableTerm& term : term_definition_) {
    mark(term.div1);
    mark(term.div2);
  }
  for (const ObservablePlan& o : observables_)
    if (o.kind == ObservableKind::kExpression) mark_tape(o.expression);
  observable_derived_order_ = derived_closure(needed);
  for (const auto* list : {&linear_, &nonlinear_})
    for (const ProcessDefinition& definition : *list) {
      const Process& pr = definition.process;
      for (const ValueRef* ref : pr.values()) mark(*ref);
      if (pr.law == Law::kExpression) mark_tape(pr.expression);
    }
  derived_order_ = derived_closure(std::move(needed));
}

std::vector<int> EvaluationPlan::derived_closure(std::vector<char> needed) const {
  needed.resize(static_cast<size_t>(num_derived_), 0);
  // Dependencies come first in the evaluation order: one backward pass closes the set.
  for (auto it = all_derived_order_.rbegin(); it != all_derived_order_.rend(); ++it) {
    if (!needed[static_cast<size_t>(*it)]) continue;
    const ExpressionTape& tape =
        tapes_[static_cast<size_t>(derived_tape_[static_cast<size_t>(*it)])];
    for (int d : tape.variables(TapeSource::kDerived)) needed[static_cast<size_t>(d)] = 1;
  }
  std::vector<int> order;
  for (int d : all_derived_order_)
    if (needed[static_cast<size_t>(d)]) order.push_back(d);
  return order;
}

void EvaluationPlan::derive(const double* p, double* w, std::span<const int> order) const {
  double* derived = w + derived_at_;
  const std::span<double> registers(w + registers_at_, adjoints_at_ - registers_at_);
  for (int d : order)
    derived[d] = tapes_[static_cast<size_t>(derived_tape_[static_cast<size_t>(d)])].evaluate(
        inputs(0, nullptr, p, w), registers);
}

void EvaluationPlan::prepare_observables(const double* p, double* w) const {
  derive(p, w, observable_derived_order_);
  prepare_weights(p, w);
}

TapeInputs EvaluationPlan::inputs(double t, const double* y, const double* p,
                                  const double* w) const {
  TapeInputs in;
  in.parameters = {p, static_cast<size_t>(num_params_)};
  in.derived = {w + derived_at_, static_cast<size_t>(num_derived_)};
  if (y != nullptr) in.states = {y, static_cast<size_t>(n_)};
  in.time = t;
  return in;
}

void EvaluationPlan::prepare(const double* p, double* w) const {
  std::fill(w, w + workspace_size_, 0.0);
  derive(p, w, derived_order_);
  const double* derived = w + derived_at_;
  prepare_weights(p, w);
  const double* weights = w + weights_at_;

  // Nonlinear processes: their coefficients, with unit factors folded in: [0] the rate
  // coefficient (k, k/V, Vmax, Q/V), [1] the second one (per-volume factor of a saturable law,
  // -Q f/(V2 Kp) of a flow, 1/capacity), [2] K, [3] Hill, [4] yield, [5..7] the effect's
  // magnitude, potency and Hill coefficient, [8] K^Hill, [9] potency^Hill.
  for (const ProcessDefinition& k : nonlinear_) {
    const Process& pr = k.process;
    double* c = w + coefficients_at_ + k.coefficients;
    switch (pr.law) {
      case Law::kZeroOrder:
        c[0] = value(pr.k, p, derived);
        break;
      case Law::kFirstOrder:
      case Law::kCapacity:
        c[0] = pr.has_volume ? value(pr.k, p, derived) / value(pr.volume, p, derived)
                             : value(pr.k, p, derived);
        if (pr.law == Law::kCapacity) c[1] = pr.x_factor / value(pr.km, p, derived);
        break;
      case Law::kSaturable:
        c[0] = value(pr.k, p, derived);
        c[1] = pr.has_volume ? pr.x_factor / value(pr.volume, p, derived) : pr.x_factor;
        c[2] = value(pr.km, p, derived);
        c[3] = value(pr.hill, p, derived);
        if (!pr.unit_hill) c[8] = std::pow(c[2], c[3]);
        break;
      case Law::kFlow: {
        const double q = value(pr.k, p, derived);
        c[0] = q / value(pr.volume, p, derived);
        c[1] =
            -q * (pr.x_factor / (value(pr.volume2, p, derived) * value(pr.partition, p, derived)));
        break;
      }
      case Law::kExpression:
        c[0] = pr.expression_factor;
        break;
    }
    c[4] = pr.to >= 0 ? value(pr.yield, p, derived) : 0.0;
    if (pr.effect.kind != EffectKind::kNone) {
      c[5] = value(pr.effect.magnitude, p, derived);
      c[6] = value(pr.effect.potency, p, derived);
      c[7] = value(pr.effect.hill, p, derived);
      if (pr.effect.kind != EffectKind::kLinear && !pr.effect.unit_hill)
        c[9] = std::pow(c[6], c[7]);
    }
  }

  // Linear processes: summed into the entries and the constant inputs.
  double* entries = w + entries_at_;
  double* constant = w + inputs_at_;
  for (const ProcessDefinition& lp : linear_) {
    const Process& pr = lp.process;
    const double yield = pr.to >= 0 ? value(pr.yield, p, derived) : 0.0;
    auto add = [&](int e, double v) {
      if (e >= 0) entries[e] += v;
    };
    switch (pr.law) {
      case Law::kZeroOrder: {
        const double v = value(pr.k, p, derived);
        if (pr.from >= 0) constant[pr.from] -= v;
        if (pr.to >= 0) constant[pr.to] += yield * v;
        if (!lp.driver_entries.empty()) {  // affine: v (1 + s x), x linear in the states
          const double slope = v * value(pr.effect.magnitude, p, derived) * pr.effect.driver_factor;
          const int first = term_range_[2 * static_cast<size_t>(pr.effect.driver)];
          for (size_t t = 0; t < lp.driver_entries.size(); ++t) {
            const double c = slope * weights[static_cast<size_t>(first) + t];
            add(lp.driver_entries[t][0], -c);
            add(lp.driver_entries[t][1], yield * c);
          }
        }
        break;
      }
      case Law::kFirstOrder: {
        const double k = pr.has_volume ? value(pr.k, p, derived) / value(pr.volume, p, derived)
                                       : value(pr.k, p, derived);
        add(lp.entries[0], -k);
        add(lp.entries[1], yield * k);
        break;
      }
      case Law::kFlow: {
        const double q = value(pr.k, p, derived);
        const double d1 = q / value(pr.volume, p, derived);
        const double d2 =
            -q * (pr.x_factor / (value(pr.volume2, p, derived) * value(pr.partition, p, derived)));
        add(lp.entries[0], -d1);
        add(lp.entries[1], yield * d1);
        add(lp.entries[2], -d2);
        add(lp.entries[3], yield * d2);
        break;
      }
      default:
        break;
    }
  }
}

void EvaluationPlan::prepare_weights(const double* p, double* w) const {
  const double* derived = w + derived_at_;
  double* weights = w + weights_at_;
  for (size_t t = 0; t < term_definition_.size(); ++t) {
    const ObservableTerm& term = term_definition_[t];
    const double factor = observables_[static_cast<size_t>(term_observable_[t])].factor;
    weights[t] = factor * (term.constant_weight ? term.constant
                                                : term.constant / (value(term.div1, p, derived) *
                                                                   value(term.div2, p, derived)));
  }
  for (size_t o = 0; o < observables_.size(); ++o) {
    const ObservablePlan& plan = observables_[o];
    if (plan.registers < 0) continue;
    const ExpressionTape& tape = tapes_[static_cast<size_t>(plan.expression)];
    tape.evaluate_instructions(
        inputs(0, nullptr, p, w), {w + plan.registers, static_cast<size_t>(tape.size())},
        std::span<const int>(fixed_steps_)
            .subspan(static_cast<size_t>(fixed_range_[2 * o]),
                     static_cast<size_t>(fixed_range_[2 * o + 1] - fixed_range_[2 * o])));
  }
}

double EvaluationPlan::observable_value(int o, double t, const double* y, const double* p,
                                        double* w) const {
  const ObservableShape& shape = shape_[static_cast<size_t>(o)];
  switch (shape.shape) {
    case Shape::kCopy:  // as linear_value: 0 + 1 y
      return 0.0 + y[shape.state];
    case Shape::kSingle:
      return 0.0 + w[weights_at_ + static_cast<size_t>(shape.term)] * y[shape.state];
    case Shape::kLinear:
      return linear_value(o, y, w);
    case Shape::kOther:
      break;
  }
  return nonlinear_value(o, t, y, p, w);
}

double EvaluationPlan::nonlinear_value(int o, double t, const double* y, const double* p,
                                       double* w) const {
  const ObservablePlan& def = observables_[static_cast<size_t>(o)];
  if (def.kind == ObservableKind::kRatio)
    return def.factor * observable_value(def.numerator, t, y, p, w) /
           observable_value(def.denominator, t, y, p, w);
  // The registers that do not move were computed by prepare() (prepare_weights).
  const ExpressionTape& tape = tapes_[static_cast<size_t>(def.expression)];
  return tape.evaluate_instructions(
             inputs(t, y, p, w), {w + def.registers, static_cast<size_t>(tape.size())},
             std::span<const int>(moving_steps_)
                 .subspan(static_cast<size_t>(def.first_moving),
                          static_cast<size_t>(def.end_moving - def.first_moving))) *
         def.factor;
}

template <typename Add>
void EvaluationPlan::add_observable_gradient(int o, double coef, int row, double t, const double* y,
                                             const double* p, double* w, Add& add) const {
  const ObservablePlan& def = observables_[static_cast<size_t>(o)];
  switch (def.kind) {
    case ObservableKind::kLinear: {
      const double* weights = w + weights_at_;
      for (int k = def.first_term; k < def.first_term + def.num_terms; ++k)
        add(row, term_state_[static_cast<size_t>(k)], coef * weights[k]);
      return;
    }
    case ObservableKind::kRatio: {
      const double a = observable_value(def.numerator, t, y, p, w);
      const double b = observable_value(def.denominator, t, y, p, w);
      add_observable_gradient(def.numerator, coef * def.factor / b, row, t, y, p, w, add);
      add_observable_gradient(def.denominator, -coef * def.factor * a / (b * b), row, t, y, p, w,
                              add);
      return;
    }
    case ObservableKind::kExpression: {
      double* gradient = w + gradient_at_;
      const auto& states = expression_states_[static_cast<size_t>(def.expression_states)];
      for (int s : states) gradient[s] = 0;
      tapes_[static_cast<size_t>(def.expression)].gradient(
          inputs(t, y, p, w), coef * def.factor, {gradient, static_cast<size_t>(n_)},
          {w + registers_at_, adjoints_at_ - registers_at_},
          {w + adjoints_at_, gradient_at_ - adjoints_at_});
      for (int s : states) add(row, s, gradient[s]);
      return;
    }
  }
}

inline double EvaluationPlan::effect_factor(const Kernel& k, double t, const double* y,
                                            const double* p, double* w, double* ds_dx) const {
  const double* c = w + k.coefficients;
  const double x =
      (linear_observable_[static_cast<size_t>(k.driver)] ? linear_value(k.driver, y, w)
                                                         : observable_value(k.driver, t, y, p, w)) *
      k.driver_factor;
  const double magnitude = c[5];
  if (k.effect == EffectKind::kLinear) {
    *ds_dx = magnitude * k.driver_factor;
    return 1 + magnitude * x;
  }
  double dfrac = 0;
  const double fraction = hill_fraction(x, c[6], c[9], c[7], k.effect_unit_hill, &dfrac);
  const double sign = k.effect == EffectKind::kEmax ? 1.0 : -1.0;
  *ds_dx = sign * magnitude * dfrac * k.driver_factor;
  return 1 + sign * magnitude * fraction;
}

inline double EvaluationPlan::kernel_value(const Kernel& k, double t, const double* y,
                                           const double* p, double* w) const {
  const double* c = w + k.coefficients;
  double v = 0;
  switch (k.law) {
    case Law::kZeroOrder:
      v = c[0];
      break;
    case Law::kFirstOrder:
      v = c[0] * y[k.substrate];
      break;
    case Law::kSaturable: {
      const double x = y[k.substrate] * c[1];
      if (k.unit_hill) {
        v = c[0] * x / (c[2] + x);
      } else {
        double dfrac;
        v = c[0] * hill_fraction(x, c[2], c[8], c[3], false, &dfrac);
      }
      break;
    }
    case Law::kFlow:
      v = c[0] * y[k.substrate] + c[1] * y[k.second];
      break;
    case Law::kCapacity: {
      const double free = 1 - y[k.second] * c[1];
      v = free <= 0 ? 0.0 : c[0] * y[k.substrate] * free;
      break;
    }
    case Law::kExpression:
      v = tapes_[static_cast<size_t>(k.expression)].evaluate(
              inputs(t, y, p, w), {w + registers_at_, adjoints_at_ - registers_at_}) *
          c[0];
      break;
  }
  if (k.effect == EffectKind::kNone) return v;
  const double x =
      (linear_observable_[static_cast<size_t>(k.driver)] ? linear_value(k.driver, y, w)
                                                         : observable_value(k.driver, t, y, p, w)) *
      k.driver_factor;
  if (k.effect == EffectKind::kLinear) return v * (1 + c[5] * x);
  double fraction;
  if (k.effect_unit_hill) {
    fraction = x / (c[6] + x);
  } else {
    double dfrac;
    fraction = hill_fraction(x, c[6], c[9], c[7], false, &dfrac);
  }
  return v * (1 + (k.effect == EffectKind::kEmax ? c[5] : -c[5]) * fraction);
}

inline double EvaluationPlan::kernel_rate(const Kernel& k, double t, const double* y,
                                          const double* p, double* w, double* d_substrate,
                                          double* d_second) const {
  const double* c = w + k.coefficients;
  *d_substrate = 0;
  *d_second = 0;
  switch (k.law) {
    case Law::kZeroOrder:
      return c[0];
    case Law::kFirstOrder:
      *d_substrate = c[0];
      return c[0] * y[k.substrate];
    case Law::kSaturable: {
      double dfrac = 0;
      const double fraction =
          hill_fraction(y[k.substrate] * c[1], c[2], c[8], c[3], k.unit_hill, &dfrac);
      *d_substrate = c[0] * dfrac * c[1];
      return c[0] * fraction;
    }
    case Law::kFlow:
      *d_substrate = c[0];
      *d_second = c[1];
      return c[0] * y[k.substrate] + c[1] * y[k.second];
    case Law::kCapacity: {
      const double free = 1 - y[k.second] * c[1];
      if (free <= 0) return 0;
      *d_substrate = c[0] * free;
      *d_second = -c[0] * y[k.substrate] * c[1];
      return c[0] * y[k.substrate] * free;
    }
    case Law::kExpression:
      return tapes_[static_cast<size_t>(k.expression)].evaluate(
                 inputs(t, y, p, w), {w + registers_at_, adjoints_at_ - registers_at_}) *
             c[0];
  }
  return kNaN;
}

template <bool kAddAtOnce>
inline void EvaluationPlan::kernel_rates(double t, const double* y, const double* p, double* w,
                                         double* ydot) const {
  // The rates, by shape (kernel_value()'s operations in its order), added at once or ...
  auto rate = [&](int slot, const Scatter& s, double v) {
    if constexpr (kAddAtOnce) {
      if (s.from >= 0) ydot[s.from] -= v;
      if (s.to >= 0) ydot[s.to] += w[s.yield] * v;
    } else {
      w[slot] = v;
    }
  };
  for (const SaturableRate& r : saturable_rates_) {
    const double* c = w + r.coefficients;
    const double x = y[r.substrate] * c[1];
    rate(r.slot, r.scatter, c[0] * x / (c[2] + x));
  }
  for (const CapacityRate& r : capacity_rates_) {
    const double* c = w + r.coefficients;
    const double free = 1 - y[r.fill] * c[1];
    rate(r.slot, r.scatter, free <= 0 ? 0.0 : c[0] * y[r.substrate] * free);
  }
  for (const EffectRate& r : linear_effect_rates_) {
    const double* c = w + r.coefficients;
    const double x = (0.0 + w[r.driver_term] * y[r.driver_state]) * r.driver_factor;
    rate(r.slot, r.scatter, c[0] * y[r.substrate] * (1 + c[5] * x));
  }
  for (const EffectRate& r : hill_effect_rates_) {
    const double* c = w + r.coefficients;
    const double x = (0.0 + w[r.driver_term] * y[r.driver_state]) * r.driver_factor;
    rate(r.slot, r.scatter, c[0] * y[r.substrate] * (1 + (r.sign * c[5]) * (x / (c[6] + x))));
  }
  for (int i : general_rates_)
    rate(static_cast<int>(rates_at_) + i, scatter_[static_cast<size_t>(i)],
         general_rate(i, t, y, p, w));
  if constexpr (!kAddAtOnce) {
    // ... in process order.
    const double* rates = w + rates_at_;
    for (const Scatter& s : scatter_) {
      const double v = *rates++;
      if (s.from >= 0) ydot[s.from] -= v;
      if (s.to >= 0) ydot[s.to] += w[s.yield] * v;
    }
  }
}

double EvaluationPlan::general_rate(int i, double t, const double* y, const double* p,
                                    double* w) const {
  return kernel_value(kernels_[static_cast<size_t>(i)], t, y, p, w);
}

void EvaluationPlan::rhs(double t, const double* y, const double* p, double* w,
                         double* ydot) const {
  const double* constant = w + inputs_at_;
  const double* entries = w + entries_at_;
  const int* columns = entry_column_.data();
  const int* start = row_start_.data();
  for (int r = 0; r < n_; ++r) {
    double sum = constant[r];
    for (int e = start[r]; e < start[r + 1]; ++e) sum += entries[e] * y[columns[e]];
    ydot[r] = sum;
  }
  if (kernels_.empty()) return;
  if (add_at_once_)
    kernel_rates<true>(t, y, p, w, ydot);
  else
    kernel_rates<false>(t, y, p, w, ydot);
}

template <typename Add>
void EvaluationPlan::jacobian_into(double t, const double* y, const double* p, double* w,
                                   Add& add) const {
  const double* entries = w + entries_at_;
  for (size_t e = 0; e < entry_row_.size(); ++e) add(entry_row_[e], entry_column_[e], entries[e]);
  for (const Kernel& k : kernels_) {
    const double stoich = w[k.coefficients + 4];
    auto add_column = [&](int column, double dv) {
      if (k.from >= 0) add(k.from, column, -dv);
      if (k.to >= 0) add(k.to, column, stoich * dv);
    };
    double ds = 0, s = 1;
    if (k.effect != EffectKind::kNone) s = effect_factor(k, t, y, p, w, &ds);
    double v = 0;
    if (k.law == Law::kExpression) {
      double* gradient = w + gradient_at_;
      const auto& states = expression_states_[static_cast<size_t>(k.expression_states)];
      for (int state : states) gradient[state] = 0;
      const double factor = w[k.coefficients];
      v = tapes_[static_cast<size_t>(k.expression)].gradient(
              inputs(t, y, p, w), 1.0, {gradient, static_cast<size_t>(n_)},
              {w + registers_at_, adjoints_at_ - registers_at_},
              {w + adjoints_at_, gradient_at_ - adjoints_at_}) *
          factor;
      for (int state : states) add_column(state, s * factor * gradient[state]);
    } else {
      double d1, d2;
      v = kernel_rate(k, t, y, p, w, &d1, &d2);
      if (k.substrate >= 0 && d1 != 0) add_column(k.substrate, s * d1);
      if (k.second >= 0 && d2 != 0) add_column(k.second, s * d2);
    }
    if (ds != 0 && v != 0) {
      if (k.from >= 0) add_observable_gradient(k.driver, -v * ds, k.from, t, y, p, w, add);
      if (k.to >= 0) add_observable_gradient(k.driver, stoich * v * ds, k.to, t, y, p, w, add);
    }
  }
}

void EvaluationPlan::jacobian(double t, const double* y, const double* p, double* w,
                              double* jac) const {
  const size_t n = static_cast<size_t>(n_);
  auto add = [jac, n](int row, int column, double v) {
    jac[static_cast<size_t>(row) + n * static_cast<size_t>(column)] += v;
  };
  jacobian_into(t, y, p, w, add);
}

void EvaluationPlan::jacobian_sparse(double t, const double* y, const double* p, double* w,
                                     double* values) const {
  const int* start = pattern_.column_start.data();
  const int* rows = pattern_.rows.data();
  auto add = [values, start, rows](int row, int column, double v) {
    // The rows of a column are few and sorted.
    const int* first = rows + start[column];
    const int* last = rows + start[column + 1];
    const int* at = std::lower_bound(first, last, row);
    values[at - rows] += v;
  };
  jacobian_into(t, y, p, w, add);
}

namespace {

// 0 + y[0] + y[1] + ... + y[L-1], in that order (linear_value()'s sum of unit weights).
template <int L>
inline double sum_run(const double* y) {
  double sum = 0;
  for (int s = 0; s < L; ++s) sum += y[s];  // unrolled: L is a constant
  return sum;
}

}  // namespace

inline void EvaluationPlan::observe_linear(const double* y, const double* w, double* out) const {
  // The short lists are unrolled (a jump into straight code, no loop counter): the observe of
  // an output time is a few dozen instructions.
  const double* weights = w + weights_at_;
  const Copy* copy = declared_copy_.data();
  switch (const size_t n = declared_copy_.size(); n) {
    case 4:
      out[copy[3].observable] = y[copy[3].state];
      [[fallthrough]];
    case 3:
      out[copy[2].observable] = y[copy[2].state];
      [[fallthrough]];
    case 2:
      out[copy[1].observable] = y[copy[1].state];
      [[fallthrough]];
    case 1:
      out[copy[0].observable] = y[copy[0].state];
      [[fallthrough]];
    case 0:
      break;
    default:
      for (size_t i = 0; i < n; ++i) out[copy[i].observable] = y[copy[i].state];
  }
  const SingleTerm* single = declared_single_.data();
  switch (const size_t n = declared_single_.size(); n) {
    case 2:
      out[single[1].observable] = weights[single[1].term] * y[single[1].state];
      [[fallthrough]];
    case 1:
      out[single[0].observable] = weights[single[0].term] * y[single[0].state];
      [[fallthrough]];
    case 0:
      break;
    default:
      for (size_t i = 0; i < n; ++i)
        out[single[i].observable] = weights[single[i].term] * y[single[i].state];
  }
  for (const StateRun& run : declared_run_) {
    const double* first = y + run.first;
    double sum;
    switch (run.end - run.first) {
      case 2:
        sum = sum_run<2>(first);
        break;
      case 3:
        sum = sum_run<3>(first);
        break;
      case 4:
        sum = sum_run<4>(first);
        break;
      case 5:
        sum = sum_run<5>(first);
        break;
      case 6:
        sum = sum_run<6>(first);
        break;
      case 7:
        sum = sum_run<7>(first);
        break;
      case 8:
        sum = sum_run<8>(first);
        break;
      default:
        sum = 0;  // as linear_value: 0 + 1 y_first + ...
        for (int s = run.first; s < run.end; ++s) sum += y[s];
    }
    out[run.observable] = sum;
  }
  const int* range = term_range_.data();
  const int* states = term_state_.data();
  for (int o : declared_unit_sum_) {
    const int end = range[2 * o + 1];
    double sum = 0;
    for (int k = range[2 * o]; k < end; ++k) sum += y[states[k]];
    out[o] = sum;
  }
  for (int o : declared_multi_) out[o] = linear_value(o, y, w);
}

void EvaluationPlan::observe(double t, const double* y, const double* p, double* w, double* out,
                             size_t count) const {
  if (count != declared_ || !declared_other_.empty()) [[unlikely]] {
    observe_general(t, y, p, w, out, count);
    return;
  }
  observe_linear(y, w, out);
}

void EvaluationPlan::observe_general(double t, const double* y, const double* p, double* w,
                                     double* out, size_t count) const {
  if (count != declared_) {  // not the declared set: one by one
    for (size_t o = 0; o < count; ++o) out[o] = observable_value(static_cast<int>(o), t, y, p, w);
    return;
  }
  observe_linear(y, w, out);
  for (int o : declared_other_) out[o] = observable_value(o, t, y, p, w);
}

double EvaluationPlan::scalar(const ScalarDef& def, const double* p, const double* covariates,
                              size_t num_covariates, double* w) const {
  switch (def.kind) {
    case ScalarDef::Kind::kNone:
      return kNaN;
    case ScalarDef::Kind::kConstant:
      return def.value;
    case ScalarDef::Kind::kParameter:
      return p[def.index] * def.factor;
    case ScalarDef::Kind::kExpression: {
      TapeInputs in = inputs(0, nullptr, p, w);
      if (covariates != nullptr) in.covariates = {covariates, num_covariates};
      return tapes_[static_cast<size_t>(def.index)].evaluate(
                 in, {w + registers_at_, adjoints_at_ - registers_at_}) *
             def.factor;
    }
  }
  return kNaN;
}

}  // namespace onset::models
