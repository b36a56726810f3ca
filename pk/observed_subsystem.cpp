#include "pk/observed_subsystem.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace onset::pk {
namespace {

// Scratch of the plain (unprepared) calls: the calling thread's own, grown on its first call.
std::vector<double>& thread_buffer(int which, size_t size) {
  thread_local std::vector<double> buffers[3];
  std::vector<double>& buffer = buffers[which];
  if (buffer.size() < size) buffer.resize(size);
  return buffer;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

std::vector<int> observed_states(const Model& model, int observable) {
  const JacobianPattern* pattern = model.jacobian_pattern();
  std::vector<int> seeds = model.observable_states(observable);
  const int n = model.num_states();
  if (pattern == nullptr || pattern->n != n || seeds.empty()) return {};
  // The columns each row reads (the pattern is by column).
  std::vector<std::vector<int>> reads(static_cast<size_t>(n));
  for (int j = 0; j < n; ++j)
    for (int k = pattern->column_start[static_cast<size_t>(j)];
         k < pattern->column_start[static_cast<size_t>(j) + 1]; ++k)
      reads[static_cast<size_t>(pattern->rows[static_cast<size_t>(k)])].push_back(j);
  std::vector<char> kept(static_cast<size_t>(n), 0);
  std::vector<int> queue;
  for (int s : seeds) {
    if (s < 0 || s >= n) return {};
    if (!kept[static_cast<size_t>(s)]) {
      kept[static_cast<size_t>(s)] = 1;
      queue.push_back(s);
    }
  }
  while (!queue.empty()) {
    const int i = queue.back();
    queue.pop_back();
    for (int j : reads[static_cast<size_t>(i)]) {
      if (!kept[static_cast<size_t>(j)]) {
        kept[static_cast<size_t>(j)] = 1;
        queue.push_back(j);
      }
    }
  }
  std::vector<int> out;
  for (int i = 0; i < n; ++i)
    if (kept[static_cast<size_t>(i)]) out.push_back(i);
  return out;
}

std::shared_ptr<const ObservedSubsystem> ObservedSubsystem::make(std::shared_ptr<const Model> full,
                                                                 int observable) {
  return make_kept(std::move(full), observable, false);
}

std::shared_ptr<const ObservedSubsystem> ObservedSubsystem::make_following(
    std::shared_ptr<const Model> full, int observable) {
  return make_kept(std::move(full), observable, true);
}

std::shared_ptr<const ObservedSubsystem> ObservedSubsystem::make_kept(
    std::shared_ptr<const Model> full, int observable, bool whole) {
  if (!full || observable < 0 || observable >= full->num_observables()) return nullptr;
  std::vector<int> kept = observed_states(*full, observable);
  const bool every_state = static_cast<int>(kept.size()) == full->num_states();
  if (kept.empty() || (every_state && (!whole || full->num_observables() == 1))) return nullptr;
  std::shared_ptr<ObservedSubsystem> sub(
      new ObservedSubsystem(std::move(full), observable, std::move(kept)));
  // The numerical check of the declared structure: the kept derivatives and the observable
  // at the default parameters and a state with every entry non-zero and distinct, with the
  // left-out states at two different values, must agree bit for bit.
  const Model& m = *sub->full_;
  const size_t n = static_cast<size_t>(m.num_states());
  const std::vector<double> p = m.default_parameters();
  std::vector<double> y(n), y2(n), f(n), f2(n), obs(static_cast<size_t>(m.num_observables())),
      obs2(obs.size());
  for (size_t i = 0; i < n; ++i) {
    y[i] = 0.5 + 0.137 * static_cast<double>(i);
    y2[i] = sub->sub_of_[i] >= 0 ? y[i] : 1e3 * (1 + static_cast<double>(i));
  }
  const double t = 0.25;
  m.rhs(t, y, p, f);
  m.rhs(t, y2, p, f2);
  m.observe(t, y, p, obs);
  m.observe(t, y2, p, obs2);
  for (int i : sub->kept_)
    if (!same_bits(f[static_cast<size_t>(i)], f2[static_cast<size_t>(i)])) return nullptr;
  if (!same_bits(obs[static_cast<size_t>(observable)], obs2[static_cast<size_t>(observable)]))
    return nullptr;
  // The analytic Jacobian is read through the full model's sparse entries: it must have them.
  if (m.has_jacobian()) {
    std::vector<double> workspace(sub->workspace_size());
    std::vector<double> jac(sub->kept_.size() * sub->kept_.size());
    try {
      sub->prepare(p, workspace);
      sub->jacobian_prepared(t, std::span<const double>(y.data(), sub->kept_.size()), p, workspace,
                             jac);
    } catch (const std::logic_error&) {
      return nullptr;
    }
  }
  sub->use_restricted(m.restricted(sub->kept_, observable));
  // Every state kept and evaluated through the whole model: no work saved.
  if (every_state && !sub->restricted_) return nullptr;
  return sub;
}

void ObservedSubsystem::use_restricted(std::shared_ptr<const Model> restricted) {
  restricted_ = nullptr;
  if (!restricted || restricted->num_states() != num_states() ||
      restricted->num_observables() != 1 || restricted->has_jacobian() != full_->has_jacobian())
    return;
  const JacobianPattern* pattern = restricted->jacobian_pattern();
  if (pattern == nullptr || pattern->n != pattern_.n ||
      pattern->column_start != pattern_.column_start || pattern->rows != pattern_.rows)
    return;
  // Its values against the whole model's (this subsystem's gathering path) at the default
  // parameters and a state with every entry non-zero and distinct: bit for bit.
  const size_t m = kept_.size();
  const std::vector<double> p = full_->default_parameters();
  std::vector<double> y(m), f(m), f2(m), y0(m), y02(m), values(pattern_.nonzeros()),
      values2(values.size());
  for (size_t i = 0; i < m; ++i) y[i] = 0.5 + 0.137 * static_cast<double>(kept_[i]);
  const double t = 0.25;
  std::vector<double> workspace(workspace_size());
  prepare(p, workspace);
  rhs_prepared(t, y, p, workspace, f);
  const double o = observable_prepared(0, t, y, p, workspace, {});
  initial_state(p, y0);
  if (restricted->has_jacobian()) jacobian_sparse_prepared(t, y, p, workspace, values);
  std::vector<double> w2(restricted->workspace_size());
  restricted->prepare(p, w2);
  restricted->rhs_prepared(t, y, p, w2, f2);
  std::vector<double> scratch(1);
  const double o2 = restricted->observable_prepared(0, t, y, p, w2, scratch);
  restricted->initial_state(p, y02);
  if (restricted->has_jacobian()) restricted->jacobian_sparse_prepared(t, y, p, w2, values2);
  auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
    return std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
  };
  if (same(f, f2) && same_bits(o, o2) && same(y0, y02) && same(values, values2))
    restricted_ = std::move(restricted);
}

ObservedSubsystem::ObservedSubsystem(std::shared_ptr<const Model> full, int observable,
                                     std::vector<int> kept)
    : full_(std::move(full)), observable_(observable), kept_(std::move(kept)) {
  const int n = full_->num_states();
  sub_of_.assign(static_cast<size_t>(n), -1);
  for (size_t i = 0; i < kept_.size(); ++i) {
    sub_of_[static_cast<size_t>(kept_[i])] = static_cast<int>(i);
    states_.push_back(full_->states()[static_cast<size_t>(kept_[i])]);
  }
  observables_.push_back(full_->observables()[static_cast<size_t>(observable)]);
  full_pattern_ = full_->jacobian_pattern();
  // The kept rows of the kept columns (every row a kept column's derivative reads is kept).
  pattern_.n = static_cast<int>(kept_.size());
  pattern_.column_start.assign(kept_.size() + 1, 0);
  for (size_t c = 0; c < kept_.size(); ++c) {
    const int j = kept_[c];
    for (int k = full_pattern_->column_start[static_cast<size_t>(j)];
         k < full_pattern_->column_start[static_cast<size_t>(j) + 1]; ++k) {
      const int row = sub_of_[static_cast<size_t>(full_pattern_->rows[static_cast<size_t>(k)])];
      if (row < 0) continue;
      pattern_.rows.push_back(row);
      pattern_source_.push_back(k);
    }
    pattern_.column_start[c + 1] = static_cast<int>(pattern_.rows.size());
  }
  full_workspace_ = full_->workspace_size();
}

std::vector<double> ObservedSubsystem::kept_values(std::span<const double> full_values) const {
  std::vector<double> kept(kept_.size());
  for (size_t i = 0; i < kept_.size(); ++i) kept[i] = full_values[static_cast<size_t>(kept_[i])];
  return kept;
}

Regimen ObservedSubsystem::regimen(const Regimen& full) const {
  Regimen out = full;
  out.doses.clear();
  for (Dose dose : full.doses) {
    dose.state = sub_state(dose.state);
    if (dose.state >= 0) out.doses.push_back(dose);
  }
  return out;
}

std::vector<int> ObservedSubsystem::observable_states(int /*o*/) const {
  if (restricted_) return restricted_->observable_states(0);
  std::vector<int> states;
  for (int j : full_->observable_states(observable_)) {
    if (j < 0 || j >= num_full() || sub_of_[static_cast<size_t>(j)] < 0) return {};
    states.push_back(sub_of_[static_cast<size_t>(j)]);
  }
  return states;
}

size_t ObservedSubsystem::workspace_size() const {
  if (restricted_) return restricted_->workspace_size();
  return observables_at() + static_cast<size_t>(full_->num_observables());
}

void ObservedSubsystem::scatter(std::span<const double> y, double* full_y) const {
  for (size_t i = 0; i < kept_.size(); ++i) full_y[kept_[i]] = y[i];
}

void ObservedSubsystem::initial_state(std::span<const double> p, std::span<double> y0) const {
  if (restricted_) return restricted_->initial_state(p, y0);
  std::vector<double>& full_y = thread_buffer(0, static_cast<size_t>(full_->num_states()));
  full_->initial_state(p, std::span<double>(full_y.data(), static_cast<size_t>(num_full())));
  for (size_t i = 0; i < kept_.size(); ++i) y0[i] = full_y[static_cast<size_t>(kept_[i])];
}

void ObservedSubsystem::rhs(double t, std::span<const double> y, std::span<const double> p,
                            std::span<double> ydot) const {
  if (restricted_) return restricted_->rhs(t, y, p, ydot);
  const size_t n = static_cast<size_t>(num_full());
  std::vector<double>& full_y = thread_buffer(0, n);
  std::vector<double>& full_ydot = thread_buffer(1, n);
  std::fill_n(full_y.begin(), n, 0.0);
  scatter(y, full_y.data());
  full_->rhs(t, std::span<const double>(full_y.data(), n), p,
             std::span<double>(full_ydot.data(), n));
  for (size_t i = 0; i < kept_.size(); ++i) ydot[i] = full_ydot[static_cast<size_t>(kept_[i])];
}

void ObservedSubsystem::jacobian(double t, std::span<const double> y, std::span<const double> p,
                                 std::span<double> jac) const {
  if (restricted_) return restricted_->jacobian(t, y, p, jac);
  const size_t n = static_cast<size_t>(num_full());
  std::vector<double>& full_y = thread_buffer(0, n);
  std::vector<double>& full_jac = thread_buffer(2, n * n);
  std::fill_n(full_y.begin(), n, 0.0);
  std::fill_n(full_jac.begin(), n * n, 0.0);
  scatter(y, full_y.data());
  full_->jacobian(t, std::span<const double>(full_y.data(), n), p,
                  std::span<double>(full_jac.data(), n * n));
  const size_t m = kept_.size();
  for (size_t c = 0; c < m; ++c)
    for (size_t r = 0; r < m; ++r)
      jac[r + m * c] = full_jac[static_cast<size_t>(kept_[r]) + n * static_cast<size_t>(kept_[c])];
}

void ObservedSubsystem::prepare(std::span<const double> p, std::span<double> workspace) const {
  if (restricted_) return restricted_->prepare(p, workspace);
  full_->prepare(p, workspace.first(full_workspace_));
  std::fill_n(workspace.begin() + static_cast<std::ptrdiff_t>(y_at()), num_full(), 0.0);
}

void ObservedSubsystem::rhs_prepared(double t, std::span<const double> y, std::span<const double> p,
                                     std::span<double> workspace, std::span<double> ydot) const {
  if (restricted_) return restricted_->rhs_prepared(t, y, p, workspace, ydot);
  const size_t n = static_cast<size_t>(num_full());
  double* full_y = workspace.data() + y_at();
  double* full_ydot = workspace.data() + ydot_at();
  scatter(y, full_y);
  full_->rhs_prepared(t, std::span<const double>(full_y, n), p, workspace.first(full_workspace_),
                      std::span<double>(full_ydot, n));
  for (size_t i = 0; i < kept_.size(); ++i) ydot[i] = full_ydot[kept_[i]];
}

const double* ObservedSubsystem::full_sparse_jacobian(double t, std::span<const double> y,
                                                      std::span<const double> p,
                                                      std::span<double> workspace) const {
  const size_t n = static_cast<size_t>(num_full());
  double* full_y = workspace.data() + y_at();
  double* full_values = workspace.data() + values_at();
  scatter(y, full_y);
  std::fill_n(full_values, full_pattern_->nonzeros(), 0.0);
  full_->jacobian_sparse_prepared(t, std::span<const double>(full_y, n), p,
                                  workspace.first(full_workspace_),
                                  std::span<double>(full_values, full_pattern_->nonzeros()));
  return full_values;
}

void ObservedSubsystem::jacobian_sparse_prepared(double t, std::span<const double> y,
                                                 std::span<const double> p,
                                                 std::span<double> workspace,
                                                 std::span<double> values) const {
  if (restricted_) return restricted_->jacobian_sparse_prepared(t, y, p, workspace, values);
  const double* full_values = full_sparse_jacobian(t, y, p, workspace);
  for (size_t k = 0; k < pattern_source_.size(); ++k) values[k] = full_values[pattern_source_[k]];
}

void ObservedSubsystem::jacobian_prepared(double t, std::span<const double> y,
                                          std::span<const double> p, std::span<double> workspace,
                                          std::span<double> jac) const {
  if (restricted_) return restricted_->jacobian_prepared(t, y, p, workspace, jac);
  // Through the full model's sparse entries: no dense full-size matrix.
  const double* values = full_sparse_jacobian(t, y, p, workspace);
  const size_t m = kept_.size();
  for (size_t c = 0; c < m; ++c)
    for (int k = pattern_.column_start[c]; k < pattern_.column_start[c + 1]; ++k)
      jac[static_cast<size_t>(pattern_.rows[static_cast<size_t>(k)]) + m * c] =
          values[pattern_source_[static_cast<size_t>(k)]];
}

double ObservedSubsystem::observable_prepared(int /*o*/, double t, std::span<const double> y,
                                              std::span<const double> p,
                                              std::span<double> workspace,
                                              std::span<double> scratch) const {
  if (restricted_) return restricted_->observable_prepared(0, t, y, p, workspace, scratch);
  const size_t n = static_cast<size_t>(num_full());
  double* full_y = workspace.data() + y_at();
  scatter(y, full_y);
  return full_->observable_prepared(
      observable_, t, std::span<const double>(full_y, n), p, workspace.first(full_workspace_),
      std::span<double>(workspace.data() + observables_at(),
                        static_cast<size_t>(full_->num_observables())));
}

void ObservedSubsystem::observe_prepared(double t, std::span<const double> y,
                                         std::span<const double> p, std::span<double> workspace,
                                         std::span<double> out) const {
  if (restricted_) return restricted_->observe_prepared(t, y, p, workspace, out);
  out[0] = observable_prepared(0, t, y, p, workspace, {});
}

void ObservedSubsystem::observe(double t, std::span<const double> y, std::span<const double> p,
                                std::span<double> out) const {
  if (restricted_) return restricted_->observe(t, y, p, out);
  const size_t n = static_cast<size_t>(num_full());
  std::vector<double>& full_y = thread_buffer(0, n);
  std::vector<double>& full_obs =
      thread_buffer(1, std::max(n, static_cast<size_t>(full_->num_observables())));
  std::fill_n(full_y.begin(), n, 0.0);
  scatter(y, full_y.data());
  full_->observe(t, std::span<const double>(full_y.data(), n), p,
                 std::span<double>(full_obs.data(), static_cast<size_t>(full_->num_observables())));
  out[0] = full_obs[static_cast<size_t>(observable_)];
}

bool ObservedSubsystem::linear_system(std::span<const double> p, std::span<double> a,
                                      std::span<double> b) const {
  const size_t n = static_cast<size_t>(num_full());
  std::vector<double>& full_a = thread_buffer(2, n * n);
  std::vector<double>& full_b = thread_buffer(1, n);
  std::fill_n(full_a.begin(), n * n, 0.0);
  std::fill_n(full_b.begin(), n, 0.0);
  if (!full_->linear_system(p, std::span<double>(full_a.data(), n * n),
                            std::span<double>(full_b.data(), n)))
    return false;
  const size_t m = kept_.size();
  for (size_t c = 0; c < m; ++c) {
    b[c] = full_b[static_cast<size_t>(kept_[c])];
    for (size_t r = 0; r < m; ++r)
      a[r + m * c] = full_a[static_cast<size_t>(kept_[r]) + n * static_cast<size_t>(kept_[c])];
  }
  return true;
}

}  // namespace onset::pk
