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
}

size_t FileModel::workspace_size() const { return plan_->workspace_size(); }

const pk::JacobianPattern* FileModel::jacobian_pattern() const { return &plan_->pattern(); }
std::vector<int> FileModel::observable_states(int o) const { return plan_->observable_states(o); }

void FileModel::prepare(std::span<const double> p, std::span<double> workspace) const {
  plan_->prepare(p.data(), workspace.data());
}

std::string FileModel::check_parameters(std::span<const double> p) const {
  if (positive_derived_.empty()) return {};
  const std::span<double> w = prepared_scratch(p);
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

std::span<double> FileModel::prepared_scratch(std::span<const double> p) const {
  // One buffer per thread, grown on first use: the plain calls allocate nothing afterwards
  // and share nothing between threads.
  thread_local std::vector<double> buffer;
  const size_t size = plan_->workspace_size();
  if (buffer.size() < size) buffer.resize(size);
  plan_->prepare(p.data(), buffer.data());
  return {buffer.data(), size};
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
  observe_prepared(t, y, p, prepared_scratch(p), out);
}

void FileModel::initial_state(std::span<const double> p, std::span<double> y0) const {
  const std::span<double> w = prepared_scratch(p);
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
  const std::span<double> w = prepared_scratch(p);
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
