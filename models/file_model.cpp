// Run time of a model read from a model file: right-hand side, Jacobian, observables and dose
// modifiers over the flat representation built by ModelFileCompiler (model_file.cpp).
//
// Each process moves v (amount per hour, in the unit of `from`, or of the substrate or `to`
// when there is no `from`) from `from` to `to`, with `to` gaining yield * v:
//   first-order  v = k x                      x = A_sub or A_sub / V_sub
//   zero-order   v = k
//   saturable    v = k x^h / (K^h + x^h)      Michaelis-Menten: h = 1
//   flow         v = Q (A_from/V_from - A_to/(V_to Kp))
//   capacity     v = k x max(0, 1 - A_fill/Cap)
//   expression   v = f(parameters, states, t) (muparser)
// times S(driver) for an effect: Emax, Imax or linear. Unit conversions are folded into the
// constant factors of each reference when the file is read.
#include "models/file_model.hpp"

#include <muParser.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "pk/format.hpp"

namespace onset::models {

namespace {
constexpr int kMaxFiniteDifferenceStates = 4096;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double fd_step(double y) { return 6.0554544523933395e-06 * std::max(std::fabs(y), 1.0); }

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

// ------------------------------------------------------------------- expression table
ExpressionTable::ExpressionTable() = default;
ExpressionTable::~ExpressionTable() = default;

void ExpressionTable::allocate_slots() {
  const size_t size = static_cast<size_t>(time_slot() + 1);
  slots = std::make_unique<double[]>(size);
  std::fill(slots.get(), slots.get() + size, 0.0);
}

double ExpressionTable::eval(int expression) const {
  try {
    return parsers[static_cast<size_t>(expression)]->Eval();
  } catch (const mu::Parser::exception_type&) {
    return kNaN;
  }
}

void ExpressionTable::load_parameters(const double* p) const {
  std::copy(p, p + num_params, slots.get());
  for (int d : derived_order)
    slots[static_cast<size_t>(derived_slot(d))] = eval(derived_expression[static_cast<size_t>(d)]);
}

void ExpressionTable::load(double t, std::span<const double> y, std::span<const double> p) const {
  load_parameters(p.data());
  std::copy(y.begin(), y.end(), slots.get() + state_slot(0));
  slots[static_cast<size_t>(time_slot())] = t;
}

// ------------------------------------------------------------------------- FileModel
FileModel::FileModel() = default;
FileModel::~FileModel() = default;

const double* FileModel::derived_values() const {
  return table_.slots ? table_.slots.get() + table_.num_params : nullptr;
}

double FileModel::scalar(const ScalarDef& def, const double* p, const double* covariates) const {
  switch (def.kind) {
    case ScalarDef::Kind::kNone:
      return kNaN;
    case ScalarDef::Kind::kConstant:
      return def.value;
    case ScalarDef::Kind::kParameter:
      return p[def.index] * def.factor;
    case ScalarDef::Kind::kExpression: {
      const std::lock_guard<std::mutex> lock(table_.mutex);
      table_.load_parameters(p);
      for (int c = 0; c < table_.num_covariates; ++c)
        table_.slots[static_cast<size_t>(table_.covariate_slot(c))] =
            covariates ? covariates[c] : kNaN;
      return table_.eval(def.index) * def.factor;
    }
  }
  return kNaN;
}

std::string FileModel::check_parameters(std::span<const double> p) const {
  if (positive_derived_.empty()) return {};
  const std::lock_guard<std::mutex> lock(table_.mutex);
  table_.load_parameters(p.data());
  for (const auto& rule : positive_derived_) {
    const double value = table_.slots[static_cast<size_t>(table_.derived_slot(rule.index))];
    if (rule.zero_allowed ? value >= 0 : value > 0) continue;
    return "the derived " + rule.role + " '" + rule.name + "' = " + format_number(value) + " " +
           rule.unit + " is " + (rule.zero_allowed ? "negative" : "not positive") + " (" +
           rule.where + ": " + rule.name + " = " + rule.expression + "); a " + rule.role +
           " must be " + (rule.zero_allowed ? ">= 0" : "> 0") +
           ": check the parameter values it is computed from";
  }
  return {};
}

void FileModel::initial_state(std::span<const double> p, std::span<double> y0) const {
  for (size_t i = 0; i < y0.size(); ++i) {
    const ScalarDef& def = initial_[i];
    y0[i] = def.kind == ScalarDef::Kind::kNone ? 0.0 : scalar(def, p.data(), nullptr);
  }
}

double FileModel::observable_value(int o, const double* y, const double* p,
                                   const double* derived) const {
  const ObservableDef& def = observables_[static_cast<size_t>(o)];
  switch (def.kind) {
    case ObservableKind::kLinear:
      return linear_value(def, y, p, derived);
    case ObservableKind::kRatio:
      return def.factor *
             linear_value(observables_[static_cast<size_t>(def.numerator)], y, p, derived) /
             linear_value(observables_[static_cast<size_t>(def.denominator)], y, p, derived);
    case ObservableKind::kExpression:
      return table_.eval(def.expression) * def.factor;
  }
  return kNaN;
}

void FileModel::add_observable_gradient(int o, double coef, int row, const double* y,
                                        const double* p, const double* derived, double* jac) const {
  const ObservableDef& def = observables_[static_cast<size_t>(o)];
  const int n = num_states();
  auto add_linear = [&](int linear, double scale) {
    const ObservableDef& lin = observables_[static_cast<size_t>(linear)];
    for (int k = lin.first_term; k < lin.first_term + lin.num_terms; ++k) {
      const ObservableTerm& term = terms_[static_cast<size_t>(k)];
      const double weight =
          term.constant_weight
              ? term.constant
              : term.constant / (value(term.div1, p, derived) * value(term.div2, p, derived));
      jac[row + n * term.state] += scale * lin.factor * weight;
    }
  };
  switch (def.kind) {
    case ObservableKind::kLinear:
      add_linear(o, coef);
      return;
    case ObservableKind::kRatio: {
      const double a = observable_value(def.numerator, y, p, derived);
      const double b = observable_value(def.denominator, y, p, derived);
      add_linear(def.numerator, coef * def.factor / b);
      add_linear(def.denominator, -coef * def.factor * a / (b * b));
      return;
    }
    case ObservableKind::kExpression:
      for (int s : def.expression_states) {
        double& slot = table_.slots[static_cast<size_t>(table_.state_slot(s))];
        const double saved = slot, h = fd_step(saved);
        slot = saved + h;
        const double up = table_.eval(def.expression);
        slot = saved - h;
        const double down = table_.eval(def.expression);
        slot = saved;
        jac[row + n * s] += coef * def.factor * (up - down) / (2 * h);
      }
      return;
  }
}

double FileModel::effect_factor(const Effect& effect, const double* y, const double* p,
                                const double* derived, double* ds_dx) const {
  if (effect.kind == EffectKind::kNone) {
    *ds_dx = 0;
    return 1;
  }
  const double x = observable_value(effect.driver, y, p, derived) * effect.driver_factor;
  const double magnitude = value(effect.magnitude, p, derived);
  if (effect.kind == EffectKind::kLinear) {
    *ds_dx = magnitude * effect.driver_factor;
    return 1 + magnitude * x;
  }
  double dfrac = 0;
  const double fraction = hill_fraction(x, value(effect.potency, p, derived),
                                        value(effect.hill, p, derived), effect.unit_hill, &dfrac);
  const double sign = effect.kind == EffectKind::kEmax ? 1.0 : -1.0;
  *ds_dx = sign * magnitude * dfrac * effect.driver_factor;
  return 1 + sign * magnitude * fraction;
}

double FileModel::base_rate(const Process& pr, const double* y, const double* p,
                            const double* derived, double* d_substrate, double* d_second) const {
  *d_substrate = 0;
  *d_second = 0;
  switch (pr.law) {
    case Law::kZeroOrder:
      return value(pr.k, p, derived);
    case Law::kFirstOrder: {
      const double k = pr.has_volume ? value(pr.k, p, derived) / value(pr.volume, p, derived)
                                     : value(pr.k, p, derived);
      *d_substrate = k;
      return k * y[pr.substrate];
    }
    case Law::kSaturable: {
      const double per_volume =
          pr.has_volume ? pr.x_factor / value(pr.volume, p, derived) : pr.x_factor;
      const double vmax = value(pr.k, p, derived);
      double dfrac = 0;
      const double fraction = hill_fraction(y[pr.substrate] * per_volume, value(pr.km, p, derived),
                                            value(pr.hill, p, derived), pr.unit_hill, &dfrac);
      *d_substrate = vmax * dfrac * per_volume;
      return vmax * fraction;
    }
    case Law::kFlow: {
      const double q = value(pr.k, p, derived);
      const double c1 = 1.0 / value(pr.volume, p, derived);
      const double c2 =
          pr.x_factor / (value(pr.volume2, p, derived) * value(pr.partition, p, derived));
      *d_substrate = q * c1;
      *d_second = -q * c2;
      return q * (c1 * y[pr.substrate] - c2 * y[pr.second]);
    }
    case Law::kCapacity: {
      const double k = pr.has_volume ? value(pr.k, p, derived) / value(pr.volume, p, derived)
                                     : value(pr.k, p, derived);
      const double per_capacity = pr.x_factor / value(pr.km, p, derived);
      const double free = 1 - y[pr.second] * per_capacity;
      if (free <= 0) return 0;
      *d_substrate = k * free;
      *d_second = -k * y[pr.substrate] * per_capacity;
      return k * y[pr.substrate] * free;
    }
    case Law::kExpression:
      return table_.eval(pr.expression) * pr.expression_factor;
  }
  return kNaN;
}

void FileModel::rhs_impl(double, const double* y, const double* p, const double* derived,
                         double* ydot) const {
  for (const Process& pr : processes_) {
    double d1, d2;
    double v = base_rate(pr, y, p, derived, &d1, &d2);
    if (pr.effect.kind != EffectKind::kNone) {
      double ds;
      v *= effect_factor(pr.effect, y, p, derived, &ds);
    }
    if (pr.from >= 0) ydot[pr.from] -= v;
    if (pr.to >= 0) ydot[pr.to] += value(pr.yield, p, derived) * v;
  }
}

void FileModel::rhs(double t, std::span<const double> y, std::span<const double> p,
                    std::span<double> ydot) const {
  std::fill(ydot.begin(), ydot.end(), 0.0);
  if (!rhs_expressions_) {
    rhs_impl(t, y.data(), p.data(), nullptr, ydot.data());
    return;
  }
  const std::lock_guard<std::mutex> lock(table_.mutex);
  table_.load(t, y, p);
  rhs_impl(t, y.data(), p.data(), derived_values(), ydot.data());
}

void FileModel::jacobian_impl(double, const double* y, const double* p, const double* derived,
                              double* jac) const {
  const int n = num_states();
  for (const Process& pr : processes_) {
    const double stoich = pr.to >= 0 ? value(pr.yield, p, derived) : 0.0;
    auto add_column = [&](int column, double dv) {
      if (pr.from >= 0) jac[pr.from + n * column] -= dv;
      if (pr.to >= 0) jac[pr.to + n * column] += stoich * dv;
    };
    double d1, d2, ds = 0, s = 1;
    const double v = base_rate(pr, y, p, derived, &d1, &d2);
    if (pr.effect.kind != EffectKind::kNone) s = effect_factor(pr.effect, y, p, derived, &ds);
    if (pr.law == Law::kExpression) {
      for (int state : pr.expression_states) {
        double& slot = table_.slots[static_cast<size_t>(table_.state_slot(state))];
        const double saved = slot, h = fd_step(saved);
        slot = saved + h;
        const double up = table_.eval(pr.expression);
        slot = saved - h;
        const double down = table_.eval(pr.expression);
        slot = saved;
        add_column(state, s * pr.expression_factor * (up - down) / (2 * h));
      }
    } else {
      if (pr.substrate >= 0 && d1 != 0) add_column(pr.substrate, s * d1);
      if (pr.second >= 0 && d2 != 0) add_column(pr.second, s * d2);
    }
    if (ds != 0 && v != 0) {
      if (pr.from >= 0)
        add_observable_gradient(pr.effect.driver, -v * ds, pr.from, y, p, derived, jac);
      if (pr.to >= 0)
        add_observable_gradient(pr.effect.driver, stoich * v * ds, pr.to, y, p, derived, jac);
    }
  }
}

void FileModel::jacobian(double t, std::span<const double> y, std::span<const double> p,
                         std::span<double> jac) const {
  if (!rhs_expressions_) {
    jacobian_impl(t, y.data(), p.data(), nullptr, jac.data());
    return;
  }
  const std::lock_guard<std::mutex> lock(table_.mutex);
  table_.load(t, y, p);
  jacobian_impl(t, y.data(), p.data(), derived_values(), jac.data());
}

void FileModel::observe(double t, std::span<const double> y, std::span<const double> p,
                        std::span<double> out) const {
  auto fill = [&](const double* derived) {
    for (size_t o = 0; o < out.size(); ++o) {
      const ObservableDef& def = observables_[o];
      out[o] = def.kind == ObservableKind::kLinear
                   ? linear_value(def, y.data(), p.data(), derived)
                   : observable_value(static_cast<int>(o), y.data(), p.data(), derived);
    }
  };
  if (!rhs_expressions_) {
    fill(nullptr);
    return;
  }
  const std::lock_guard<std::mutex> lock(table_.mutex);
  table_.load(t, y, p);
  fill(derived_values());
}

pk::DoseModifiers FileModel::dose_modifiers(int state, std::span<const double> p,
                                            std::span<const double> covariates) const {
  pk::DoseModifiers modifiers;
  if (state < 0 || state >= num_states()) return modifiers;
  const CompartmentDoseDef& def = dose_defs_[static_cast<size_t>(state)];
  const double* cov = covariates.size() == covariates_.size() ? covariates.data() : nullptr;
  if (def.lag.kind != ScalarDef::Kind::kNone) modifiers.lag_h = scalar(def.lag, p.data(), cov);
  if (def.bioavailability.kind != ScalarDef::Kind::kNone)
    modifiers.bioavailability = scalar(def.bioavailability, p.data(), cov);
  // As NONMEM's Rn and Dn, a modelled rate or duration of 0 means "not modelled".
  if (def.rate.kind != ScalarDef::Kind::kNone) {
    const double rate = scalar(def.rate, p.data(), cov);
    if (rate != 0) modifiers.rate = rate;
  }
  if (def.duration.kind != ScalarDef::Kind::kNone) {
    const double duration = scalar(def.duration, p.data(), cov);
    if (duration != 0) modifiers.duration_h = duration;
  }
  return modifiers;
}

bool FileModel::linear_system(std::span<const double> p, std::span<double> a,
                              std::span<double> b) const {
  if (!linear_) return false;
  const size_t n = states_.size();
  // Linear and time-invariant: A is the (constant) Jacobian, b the rate at y = 0.
  static_assert(kMaxFiniteDifferenceStates > 0);
  std::vector<double> zero(n, 0.0);
  std::fill(a.begin(), a.end(), 0.0);
  jacobian(0, zero, p, a);
  std::vector<double> rate(n, 0.0);
  rhs(0, zero, p, rate);
  if (!b.empty()) std::copy(rate.begin(), rate.end(), b.begin());
  return true;
}

}  // namespace onset::models
