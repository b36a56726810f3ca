// The evaluation plan of a model file (see evaluation_plan.hpp). The rate laws are those of
// models/file_model.cpp's header; each process moves v from `from` to `to` (which gains
// yield * v), times S(driver) for an effect.
#include "models/evaluation_plan.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "models/file_model.hpp"

namespace onset::models {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Coefficients per nonlinear process: rate coefficient, second coefficient, K, Hill, yield,
// effect magnitude, potency, Hill.
constexpr int kCoefficients = 8;

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

// x^h / (K^h + x^h) and its derivative with respect to x.
inline double hill_fraction(double x, double k, double h, bool unit_hill, double* d_dx) {
  if (unit_hill) {
    const double denominator = k + x;
    *d_dx = k / (denominator * denominator);
    return x / denominator;
  }
  if (x <= 0) {
    *d_dx = 0;
    return 0;
  }
  const double xh = std::pow(x, h), kh = std::pow(k, h), denominator = kh + xh;
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
  derived_order_ = model.table_.derived_order;

  // Observables: linear terms get a weight slot each.
  for (const ObservableDef& def : model.observables_) {
    ObservablePlan o;
    o.kind = def.kind;
    o.numerator = def.numerator;
    o.denominator = def.denominator;
    o.expression = def.expression;
    o.expression_states = def.expression_states;
    o.factor = def.factor;
    if (def.kind == ObservableKind::kLinear) {
      o.first_term = static_cast<int>(terms_.size());
      o.num_terms = def.num_terms;
      for (int k = def.first_term; k < def.first_term + def.num_terms; ++k) {
        const ObservableTerm& term = model.terms_[static_cast<size_t>(k)];
        terms_.push_back({term.state, term});
      }
    }
    observables_.push_back(std::move(o));
  }

  // Processes: linear ones (no effect; first-order, flow, zero-order) merge into entries.
  std::map<std::pair<int, int>, int> entry_of;
  auto entry = [&](int row, int column) {
    if (row < 0 || column < 0) return -1;
    const auto [it, added] =
        entry_of.emplace(std::make_pair(column, row), static_cast<int>(entry_of.size()));
    return it->second;
  };
  std::set<std::pair<int, int>> pattern;  // (column, row)
  int coefficients = 0;
  for (const Process& pr : model.processes_) {
    const bool linear_law =
        pr.law == Law::kFirstOrder || pr.law == Law::kFlow || pr.law == Law::kZeroOrder;
    if (linear_law && pr.effect.kind == EffectKind::kNone) {
      Kernel lp;
      lp.process = pr;
      lp.entries = {entry(pr.from, pr.substrate), entry(pr.to, pr.substrate),
                    entry(pr.from, pr.second), entry(pr.to, pr.second)};
      if (pr.law == Law::kZeroOrder) lp.entries = {-1, -1, -1, -1};
      linear_.push_back(std::move(lp));
      continue;
    }
    Kernel k;
    k.process = pr;
    k.coefficients = coefficients;
    coefficients += kCoefficients;
    std::vector<int> columns;
    if (pr.substrate >= 0) columns.push_back(pr.substrate);
    if (pr.second >= 0) columns.push_back(pr.second);
    for (int s : pr.expression_states) columns.push_back(s);
    if (pr.effect.kind != EffectKind::kNone) {
      std::vector<int> stack{pr.effect.driver};
      while (!stack.empty()) {
        const ObservablePlan& o = observables_[static_cast<size_t>(stack.back())];
        stack.pop_back();
        if (o.kind == ObservableKind::kLinear) {
          for (int t = o.first_term; t < o.first_term + o.num_terms; ++t)
            columns.push_back(terms_[static_cast<size_t>(t)].state);
        } else if (o.kind == ObservableKind::kRatio) {
          stack.push_back(o.numerator);
          stack.push_back(o.denominator);
        } else {
          columns.insert(columns.end(), o.expression_states.begin(), o.expression_states.end());
        }
      }
    }
    for (int row : {pr.from, pr.to})
      if (row >= 0)
        for (int column : columns) pattern.insert({column, row});
    kernels_.push_back(std::move(k));
  }
  entry_row_.assign(entry_of.size(), 0);
  entry_column_.assign(entry_of.size(), 0);
  for (const auto& [key, index] : entry_of) {
    entry_column_[static_cast<size_t>(index)] = key.first;
    entry_row_[static_cast<size_t>(index)] = key.second;
    pattern.insert(key);
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
  at += static_cast<size_t>(coefficients);
  entries_at_ = at;
  at += entry_row_.size();
  inputs_at_ = at;
  at += static_cast<size_t>(n_);
  weights_at_ = at;
  at += terms_.size();
  registers_at_ = at;
  at += longest_tape;
  adjoints_at_ = at;
  at += longest_tape;
  gradient_at_ = at;
  at += static_cast<size_t>(n_);
  workspace_size_ = at;
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
  double* derived = w + derived_at_;
  const std::span<double> registers(w + registers_at_, adjoints_at_ - registers_at_);
  for (int d : derived_order_)
    derived[d] = tapes_[static_cast<size_t>(derived_tape_[static_cast<size_t>(d)])].evaluate(
        inputs(0, nullptr, p, w), registers);

  // Nonlinear processes: their coefficients.
  for (const Kernel& k : kernels_) {
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
    }
  }

  // Linear processes: summed into the entries and the constant inputs.
  double* entries = w + entries_at_;
  double* constant = w + inputs_at_;
  for (const Kernel& lp : linear_) {
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

  // Linear observables: their weights.
  double* weights = w + weights_at_;
  for (size_t t = 0; t < terms_.size(); ++t) {
    const ObservableTerm& term = terms_[t].definition;
    weights[t] =
        term.constant_weight
            ? term.constant
            : term.constant / (value(term.div1, p, derived) * value(term.div2, p, derived));
  }
}

double EvaluationPlan::observable_value(int o, double t, const double* y, const double* p,
                                        double* w) const {
  const ObservablePlan& def = observables_[static_cast<size_t>(o)];
  switch (def.kind) {
    case ObservableKind::kLinear: {
      const double* weights = w + weights_at_;
      double sum = 0;
      for (int k = def.first_term; k < def.first_term + def.num_terms; ++k)
        sum += weights[k] * y[terms_[static_cast<size_t>(k)].state];
      return sum * def.factor;
    }
    case ObservableKind::kRatio:
      return def.factor * observable_value(def.numerator, t, y, p, w) /
             observable_value(def.denominator, t, y, p, w);
    case ObservableKind::kExpression:
      return tapes_[static_cast<size_t>(def.expression)].evaluate(
                 inputs(t, y, p, w), {w + registers_at_, adjoints_at_ - registers_at_}) *
             def.factor;
  }
  return kNaN;
}

template <typename Add>
void EvaluationPlan::add_observable_gradient(int o, double coef, int row, double t, const double* y,
                                             const double* p, double* w, Add& add) const {
  const ObservablePlan& def = observables_[static_cast<size_t>(o)];
  switch (def.kind) {
    case ObservableKind::kLinear: {
      const double* weights = w + weights_at_;
      for (int k = def.first_term; k < def.first_term + def.num_terms; ++k)
        add(row, terms_[static_cast<size_t>(k)].state, coef * def.factor * weights[k]);
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
      for (int s : def.expression_states) gradient[s] = 0;
      tapes_[static_cast<size_t>(def.expression)].gradient(
          inputs(t, y, p, w), coef * def.factor, {gradient, static_cast<size_t>(n_)},
          {w + registers_at_, adjoints_at_ - registers_at_},
          {w + adjoints_at_, gradient_at_ - adjoints_at_});
      for (int s : def.expression_states) add(row, s, gradient[s]);
      return;
    }
  }
}

double EvaluationPlan::effect_factor(const Kernel& k, double t, const double* y, const double* p,
                                     double* w, double* ds_dx) const {
  const Effect& effect = k.process.effect;
  const double* c = w + coefficients_at_ + k.coefficients;
  const double x = observable_value(effect.driver, t, y, p, w) * effect.driver_factor;
  const double magnitude = c[5];
  if (effect.kind == EffectKind::kLinear) {
    *ds_dx = magnitude * effect.driver_factor;
    return 1 + magnitude * x;
  }
  double dfrac = 0;
  const double fraction = hill_fraction(x, c[6], c[7], effect.unit_hill, &dfrac);
  const double sign = effect.kind == EffectKind::kEmax ? 1.0 : -1.0;
  *ds_dx = sign * magnitude * dfrac * effect.driver_factor;
  return 1 + sign * magnitude * fraction;
}

double EvaluationPlan::kernel_rate(const Kernel& k, double t, const double* y, const double* p,
                                   double* w, double* d_substrate, double* d_second) const {
  const Process& pr = k.process;
  const double* c = w + coefficients_at_ + k.coefficients;
  *d_substrate = 0;
  *d_second = 0;
  switch (pr.law) {
    case Law::kZeroOrder:
      return c[0];
    case Law::kFirstOrder:
      *d_substrate = c[0];
      return c[0] * y[pr.substrate];
    case Law::kSaturable: {
      double dfrac = 0;
      const double fraction =
          hill_fraction(y[pr.substrate] * c[1], c[2], c[3], pr.unit_hill, &dfrac);
      *d_substrate = c[0] * dfrac * c[1];
      return c[0] * fraction;
    }
    case Law::kFlow:
      *d_substrate = c[0];
      *d_second = c[1];
      return c[0] * y[pr.substrate] + c[1] * y[pr.second];
    case Law::kCapacity: {
      const double free = 1 - y[pr.second] * c[1];
      if (free <= 0) return 0;
      *d_substrate = c[0] * free;
      *d_second = -c[0] * y[pr.substrate] * c[1];
      return c[0] * y[pr.substrate] * free;
    }
    case Law::kExpression:
      return tapes_[static_cast<size_t>(pr.expression)].evaluate(
                 inputs(t, y, p, w), {w + registers_at_, adjoints_at_ - registers_at_}) *
             c[0];
  }
  return kNaN;
}

void EvaluationPlan::rhs(double t, const double* y, const double* p, double* w,
                         double* ydot) const {
  const double* constant = w + inputs_at_;
  std::copy(constant, constant + n_, ydot);
  const double* entries = w + entries_at_;
  const size_t count = entry_row_.size();
  const int* rows = entry_row_.data();
  const int* columns = entry_column_.data();
  for (size_t e = 0; e < count; ++e) ydot[rows[e]] += entries[e] * y[columns[e]];
  for (const Kernel& k : kernels_) {
    const Process& pr = k.process;
    double d1, d2;
    double v = kernel_rate(k, t, y, p, w, &d1, &d2);
    if (pr.effect.kind != EffectKind::kNone) {
      double ds;
      v *= effect_factor(k, t, y, p, w, &ds);
    }
    if (pr.from >= 0) ydot[pr.from] -= v;
    if (pr.to >= 0)
      ydot[pr.to] += w[coefficients_at_ + static_cast<size_t>(k.coefficients) + 4] * v;
  }
}

template <typename Add>
void EvaluationPlan::jacobian_into(double t, const double* y, const double* p, double* w,
                                   Add& add) const {
  const double* entries = w + entries_at_;
  for (size_t e = 0; e < entry_row_.size(); ++e) add(entry_row_[e], entry_column_[e], entries[e]);
  for (const Kernel& k : kernels_) {
    const Process& pr = k.process;
    const double stoich = w[coefficients_at_ + static_cast<size_t>(k.coefficients) + 4];
    auto add_column = [&](int column, double dv) {
      if (pr.from >= 0) add(pr.from, column, -dv);
      if (pr.to >= 0) add(pr.to, column, stoich * dv);
    };
    double ds = 0, s = 1;
    if (pr.effect.kind != EffectKind::kNone) s = effect_factor(k, t, y, p, w, &ds);
    double v = 0;
    if (pr.law == Law::kExpression) {
      double* gradient = w + gradient_at_;
      for (int state : pr.expression_states) gradient[state] = 0;
      const double factor = w[coefficients_at_ + static_cast<size_t>(k.coefficients)];
      v = tapes_[static_cast<size_t>(pr.expression)].gradient(
              inputs(t, y, p, w), 1.0, {gradient, static_cast<size_t>(n_)},
              {w + registers_at_, adjoints_at_ - registers_at_},
              {w + adjoints_at_, gradient_at_ - adjoints_at_}) *
          factor;
      for (int state : pr.expression_states) add_column(state, s * factor * gradient[state]);
    } else {
      double d1, d2;
      v = kernel_rate(k, t, y, p, w, &d1, &d2);
      if (pr.substrate >= 0 && d1 != 0) add_column(pr.substrate, s * d1);
      if (pr.second >= 0 && d2 != 0) add_column(pr.second, s * d2);
    }
    if (ds != 0 && v != 0) {
      if (pr.from >= 0)
        add_observable_gradient(pr.effect.driver, -v * ds, pr.from, t, y, p, w, add);
      if (pr.to >= 0)
        add_observable_gradient(pr.effect.driver, stoich * v * ds, pr.to, t, y, p, w, add);
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

void EvaluationPlan::observe(double t, const double* y, const double* p, double* w, double* out,
                             size_t count) const {
  for (size_t o = 0; o < count; ++o) out[o] = observable_value(static_cast<int>(o), t, y, p, w);
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
