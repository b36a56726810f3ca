// onset_bdf beyond its fixed-size kernels: the dynamic-size path with dense, banded and sparse
// (KLU) LU, against CVODES at tight tolerances; the fixed and dynamic paths taking the same
// steps; the 36-state ev_cargo_cascade_human at the tolerances of `onset check` against
// CVODES; and its pattern-replaying dense LU against a fresh dense LU, bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "models/model_library.hpp"
#include "models/reference_problems.hpp"
#include "pk/observed_subsystem.hpp"
#include "pk/onset_bdf.hpp"
#include "pk/simulate.hpp"

namespace onset::pk {
namespace {

// A chain of n compartments with saturable transfer, v_i = Vmax A_i / (Km + A_i), first-order
// loss from each, and a slow return from the last to the first: nonlinear, stiff (the rate
// constants span 1e-2 to 1e2 per hour), with a Jacobian that is banded except for one corner
// entry, declared as a sparsity pattern.
class SaturableChain final : public Model {
 public:
  explicit SaturableChain(int n) : n_(n) {
    for (int i = 0; i < n; ++i) {
      StateInfo state{std::to_string(i), "mg"};
      state.name.insert(0, 1, 'A');  // (not "A" + ...: GCC 12's -Wrestrict false positive)
      states_.push_back(state);
    }
    observables_.push_back({"A1", "mg"});
    pattern_.n = n;
    pattern_.column_start.push_back(0);
    for (int j = 0; j < n; ++j) {
      std::vector<int> rows{j};
      if (j + 1 < n) rows.push_back(j + 1);
      if (j == n - 1) rows.push_back(0);
      std::sort(rows.begin(), rows.end());
      pattern_.rows.insert(pattern_.rows.end(), rows.begin(), rows.end());
      pattern_.column_start.push_back(static_cast<int>(pattern_.rows.size()));
    }
  }
  std::string_view name() const override { return "saturable_chain"; }
  std::span<const StateInfo> states() const override { return states_; }
  std::span<const ParameterInfo> parameters() const override { return {}; }
  std::span<const ObservableInfo> observables() const override { return observables_; }
  void rhs(double, std::span<const double> y, std::span<const double>,
           std::span<double> ydot) const override {
    std::fill(ydot.begin(), ydot.end(), 0.0);
    for (int i = 0; i < n_; ++i) {
      const double v = vmax(i) * y[i] / (kKm + y[i]);
      ydot[i] -= v + kLoss * y[i];
      if (i + 1 < n_) ydot[i + 1] += v;
    }
    ydot[0] += kReturn * y[n_ - 1];
    ydot[n_ - 1] -= kReturn * y[n_ - 1];
  }
  bool has_jacobian() const override { return true; }
  void jacobian(double, std::span<const double> y, std::span<const double>,
                std::span<double> jac) const override {
    const auto n = static_cast<size_t>(n_);
    for (int i = 0; i < n_; ++i) {
      const auto ii = static_cast<size_t>(i);
      const double dv = vmax(i) * kKm / ((kKm + y[ii]) * (kKm + y[ii]));
      jac[ii + n * ii] -= dv + kLoss;
      if (i + 1 < n_) jac[ii + 1 + n * ii] += dv;
    }
    jac[0 + n * (n - 1)] += kReturn;
    jac[(n - 1) + n * (n - 1)] -= kReturn;
  }
  const JacobianPattern* jacobian_pattern() const override { return &pattern_; }
  Bandwidth bandwidth() const override { return {1, n_ - 1}; }
  void jacobian_sparse_prepared(double t, std::span<const double> y, std::span<const double> p,
                                std::span<double>, std::span<double> values) const override {
    std::vector<double> dense(static_cast<size_t>(n_) * static_cast<size_t>(n_), 0.0);
    jacobian(t, y, p, dense);
    for (int j = 0; j < n_; ++j)
      for (int k = pattern_.column_start[static_cast<size_t>(j)];
           k < pattern_.column_start[static_cast<size_t>(j) + 1]; ++k)
        values[static_cast<size_t>(k)] =
            dense[static_cast<size_t>(pattern_.rows[static_cast<size_t>(k)]) +
                  static_cast<size_t>(n_) * static_cast<size_t>(j)];
  }
  void observe(double, std::span<const double> y, std::span<const double>,
               std::span<double> out) const override {
    out[0] = y[1];
  }

 private:
  static constexpr double kKm = 5, kLoss = 0.01, kReturn = 0.05;
  double vmax(int i) const { return 100.0 * std::pow(0.9, i); }
  int n_;
  std::vector<StateInfo> states_;
  std::vector<ObservableInfo> observables_;
  JacobianPattern pattern_;
};

Trajectory solve_chain(const SaturableChain& model, Backend backend, LinearSolverKind kind,
                       double rtol) {
  Regimen regimen;
  regimen.doses.push_back({0, 0, 1000, 1});  // 1000 mg into A0 over 1 h
  SimulationRequest request;
  request.output_times_h = output_grid(0, 48, 4);
  request.crossings.push_back({0, 10, Direction::kRising});  // A1 rises to 10 mg
  SolverOptions options;
  options.backend = backend;
  options.linear_solver = kind;
  options.rtol = rtol;
  options.atol = 1e-6 * rtol / 1e-8;
  return simulate(model, regimen, {}, request, options);
}

// Every linear solver of the dynamic-size path reaches CVODES's tight-tolerance answer.
// Reference: CVODES at rtol 1e-12; onset_bdf at rtol 1e-9 must agree to 1e-6 relative (the
// global error of a BDF solve is a small multiple of rtol; CVODE at 1e-9 is about 1e-8 off).
TEST(OnsetBdfSizes, DenseBandedAndSparseLuMatchCvodesAtEverySize) {
  for (int n : {17, 40, 90}) {
    const SaturableChain model(n);
    const Trajectory reference =
        solve_chain(model, Backend::kCvodesBdf, LinearSolverKind::kDense, 1e-12);
    ASSERT_TRUE(reference.ok()) << reference.message;
    for (LinearSolverKind kind : {LinearSolverKind::kDense, LinearSolverKind::kBanded,
                                  LinearSolverKind::kSparse, LinearSolverKind::kAuto}) {
      const Trajectory got = solve_chain(model, Backend::kOnsetBdf, kind, 1e-9);
      ASSERT_TRUE(got.ok()) << "n = " << n << ": " << got.message;
      ASSERT_EQ(got.times_h.size(), reference.times_h.size());
      double worst = 0, total = 0;
      for (size_t k = 0; k < got.times_h.size(); ++k)
        for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
          const double r = reference.state(k, i);
          worst = std::max(worst, std::fabs(got.state(k, i) - r));
          total = std::max(total, std::fabs(r));
        }
      EXPECT_LT(worst, 1e-6 * total) << "n = " << n << ", linear solver " << static_cast<int>(kind);
      ASSERT_TRUE(got.crossings[0].time_h.has_value());
      EXPECT_NEAR(*got.crossings[0].time_h, *reference.crossings[0].time_h, 1e-6) << "n = " << n;
    }
  }
}

// B2 (13 states) through the dynamic-size path (banded LU of full width: partial pivoting over
// the whole column, as the dense LU) takes exactly the steps of the fixed-size kernel.
TEST(OnsetBdfSizes, FixedAndDynamicKernelsTakeTheSameSteps) {
  const models::ReferenceCase b2 = models::make_reference_case("B2");
  SolverOptions fixed = b2.options;
  fixed.backend = Backend::kOnsetBdf;
  SolverOptions dynamic = fixed;
  dynamic.linear_solver = LinearSolverKind::kBanded;
  dynamic.lower_bandwidth = dynamic.upper_bandwidth = 12;
  const auto params = b2.model->default_parameters();
  const Trajectory a = simulate(*b2.model, b2.regimen, params, b2.request, fixed);
  const Trajectory b = simulate(*b2.model, b2.regimen, params, b2.request, dynamic);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.stats.steps, b.stats.steps);
  EXPECT_EQ(a.stats.rhs_evals, b.stats.rhs_evals);
  EXPECT_EQ(a.stats.jacobian_evals, b.stats.jacobian_evals);
  EXPECT_NEAR(*a.crossings[0].time_h, *b.crossings[0].time_h, 1e-9);
}

// The full 36-state ev_cargo_cascade_human at the tolerances of `onset check` (rtol 1e-6,
// atol 1e-9 x each state's scale: the dose for particle states, 1 for relative levels), 1e13
// particles over 1 h, to 336 h: onset_bdf (the default backend) agrees with CVODES at
// rtol 1e-10 to 1e-4 of each observable's range (a BDF solve's global error at rtol 1e-6 is a
// few times 1e-6 relative; 1e-4 leaves room for the scale-relative absolute tolerances).
TEST(OnsetBdfSizes, FullCargoCascadeAtCheckTolerancesAgreesWithCvodes) {
  const auto model = models::load_model("ev_cargo_cascade_human");
  ASSERT_EQ(model->num_states(), 36);
  const auto params = model->default_parameters();
  Regimen regimen;
  regimen.doses.push_back({0, model->state_index("plasma"), 1e13, 1});
  SimulationRequest request;
  request.output_times_h = output_grid(0, 336, 4);
  auto options_at = [&](Backend backend, double rtol, double atol) {
    SolverOptions options;
    options.backend = backend;
    options.rtol = rtol;
    std::vector<double> y0(36);
    model->initial_state(params, y0);
    for (size_t i = 0; i < 36; ++i) {
      double scale = std::max(1.0, std::fabs(y0[i]));
      if (model->states()[i].unit == "particles") scale = 1e13;
      options.atol_per_state.push_back(atol * scale);
    }
    return options;
  };
  const Trajectory reference =
      simulate(*model, regimen, params, request, options_at(Backend::kCvodesBdf, 1e-10, 1e-13));
  ASSERT_TRUE(reference.ok()) << reference.message;
  const Trajectory got =
      simulate(*model, regimen, params, request, options_at(Backend::kAuto, 1e-6, 1e-9));
  ASSERT_TRUE(got.ok()) << got.message;
  EXPECT_EQ(got.backend_used, Backend::kOnsetBdf);
  for (size_t o = 0; o < got.observable_names.size(); ++o) {
    double range = 0, worst = 0;
    for (size_t k = 0; k < got.times_h.size(); ++k) {
      range = std::max(range, std::fabs(reference.observable(k, o)));
      worst = std::max(worst, std::fabs(got.observable(k, o) - reference.observable(k, o)));
    }
    EXPECT_LE(worst, 1e-4 * range + 1e-300) << got.observable_names[o];
  }
}

// A model with its Jacobian's sparsity hidden: the same equations, Jacobian and observables,
// so that onset_bdf's dynamic-size dense path factors every iteration matrix afresh (dense LU
// with partial pivoting, no pattern) instead of replaying a symbolic analysis.
class WithoutPattern final : public Model {
 public:
  explicit WithoutPattern(const Model& inner) : inner_(inner) {}
  std::string_view name() const override { return inner_.name(); }
  std::span<const StateInfo> states() const override { return inner_.states(); }
  std::span<const ParameterInfo> parameters() const override { return inner_.parameters(); }
  std::span<const ObservableInfo> observables() const override { return inner_.observables(); }
  void initial_state(std::span<const double> p, std::span<double> y0) const override {
    inner_.initial_state(p, y0);
  }
  void rhs(double t, std::span<const double> y, std::span<const double> p,
           std::span<double> ydot) const override {
    inner_.rhs(t, y, p, ydot);
  }
  bool has_jacobian() const override { return inner_.has_jacobian(); }
  void jacobian(double t, std::span<const double> y, std::span<const double> p,
                std::span<double> jac) const override {
    inner_.jacobian(t, y, p, jac);
  }
  size_t workspace_size() const override { return inner_.workspace_size(); }
  void prepare(std::span<const double> p, std::span<double> workspace) const override {
    inner_.prepare(p, workspace);
  }
  void rhs_prepared(double t, std::span<const double> y, std::span<const double> p,
                    std::span<double> workspace, std::span<double> ydot) const override {
    inner_.rhs_prepared(t, y, p, workspace, ydot);
  }
  void jacobian_prepared(double t, std::span<const double> y, std::span<const double> p,
                         std::span<double> workspace, std::span<double> jac) const override {
    inner_.jacobian_prepared(t, y, p, workspace, jac);
  }
  void observe_prepared(double t, std::span<const double> y, std::span<const double> p,
                        std::span<double> workspace, std::span<double> out) const override {
    inner_.observe_prepared(t, y, p, workspace, out);
  }
  double observable_prepared(int o, double t, std::span<const double> y, std::span<const double> p,
                             std::span<double> workspace,
                             std::span<double> scratch) const override {
    return inner_.observable_prepared(o, t, y, p, workspace, scratch);
  }
  void observe(double t, std::span<const double> y, std::span<const double> p,
               std::span<double> out) const override {
    inner_.observe(t, y, p, out);
  }
  DoseModifiers dose_modifiers(int state, std::span<const double> p,
                               std::span<const double> covariates) const override {
    return inner_.dose_modifiers(state, p, covariates);
  }
  std::string check_parameters(std::span<const double> p) const override {
    return inner_.check_parameters(p);
  }

 private:
  const Model& inner_;
};

// The dense LU of the dynamic-size path refactors a model with a declared sparsity pattern by
// replaying symbolic analyses (one per sequence of row interchanges, a few kept), and must give
// the factors of a fresh dense LU with partial pivoting value for value: the 36-state cascade at
// the check's tolerances, whose pivots change with gamma during the solve (the organs' uptake
// from plasma against the diagonal), takes exactly the steps, Jacobians and factorisations of
// the same model with its pattern hidden, and every output is the same double. A second and
// third solve by the same Simulator (analyses kept from the first) give the same doubles again.
TEST(OnsetBdfSizes, PatternLuRefactorisationsEqualFreshDenseLuBitForBit) {
  const auto model = models::load_model("ev_cargo_cascade_human");
  const WithoutPattern hidden(*model);
  ASSERT_NE(model->jacobian_pattern(), nullptr);
  ASSERT_EQ(hidden.jacobian_pattern(), nullptr);
  const auto params = model->default_parameters();
  Regimen regimen;
  regimen.doses.push_back({0, model->state_index("plasma"), 1e13, 1});
  SimulationRequest request;
  request.output_times_h = output_grid(0, 336, 4);
  // AGO-loaded miRNA copies per Kupffer cell rising through 0.02, about half their peak with
  // the library's default parameters (0.037 copies/cell near 12 h): a crossing to locate.
  request.crossings.push_back(
      {model->observable_index("risc_copies_per_cell"), 0.02, Direction::kRising});
  SolverOptions options;
  options.backend = Backend::kOnsetBdf;
  options.linear_solver = LinearSolverKind::kDense;
  options.rtol = 1e-6;
  std::vector<double> y0(36);
  model->initial_state(params, y0);
  for (size_t i = 0; i < 36; ++i)
    options.atol_per_state.push_back(
        1e-9 * (model->states()[i].unit == "particles" ? 1e13 : std::max(1.0, std::fabs(y0[i]))));
  const Trajectory fresh = simulate(hidden, regimen, params, request, options);
  ASSERT_TRUE(fresh.ok()) << fresh.message;
  Simulator simulator(*model, options);
  for (int run = 0; run < 3; ++run) {
    Trajectory replayed;
    simulator.run(regimen, params, request, &replayed);
    ASSERT_TRUE(replayed.ok()) << replayed.message;
    EXPECT_EQ(replayed.stats.steps, fresh.stats.steps) << "run " << run;
    EXPECT_EQ(replayed.stats.rhs_evals, fresh.stats.rhs_evals) << "run " << run;
    EXPECT_EQ(replayed.stats.jacobian_evals, fresh.stats.jacobian_evals) << "run " << run;
    EXPECT_EQ(replayed.stats.linear_setups, fresh.stats.linear_setups) << "run " << run;
    ASSERT_EQ(replayed.observables.size(), fresh.observables.size());
    for (size_t k = 0; k < fresh.observables.size(); ++k)
      ASSERT_EQ(replayed.observables[k], fresh.observables[k]) << "run " << run << ", entry " << k;
    ASSERT_TRUE(fresh.crossings[0].time_h.has_value());
    EXPECT_EQ(*replayed.crossings[0].time_h, *fresh.crossings[0].time_h) << "run " << run;
  }
}

// Models of 8-16 states with a sparse Jacobian keep the fixed-size kernels and factor the
// iteration matrix by the pattern-replaying LU (make_onset_bdf); the factors are those of the
// fixed-size dense LU value for value, so the 16 states AGO-loaded miRNA per Kupffer cell sees
// in the cascade, at the check's tolerances, take exactly the steps, Jacobians and
// factorisations of the dense fixed-size kernel (linear_solver = kDense) and give the same
// doubles at every output and crossing.
TEST(OnsetBdfSizes, FixedSizePatternLuEqualsFixedSizeDenseLuBitForBit) {
  const std::shared_ptr<const Model> model(models::load_model("ev_cargo_cascade_human"));
  const int risc = model->observable_index("risc_copies_per_cell");
  const auto sub = ObservedSubsystem::make(model, risc);
  ASSERT_NE(sub, nullptr);
  ASSERT_EQ(sub->num_states(), 16);
  const auto params = model->default_parameters();
  Regimen full;
  full.doses.push_back({0, model->state_index("plasma"), 1e13, 1});
  const Regimen regimen = sub->regimen(full);
  SimulationRequest request;
  request.output_times_h = output_grid(0, 240, 4);
  request.crossings.push_back({0, 0.02, Direction::kRising});
  SolverOptions pattern;
  pattern.backend = Backend::kOnsetBdf;
  pattern.rtol = 1e-6;
  std::vector<double> y0(36);
  model->initial_state(params, y0);
  std::vector<double> atol;
  for (size_t i = 0; i < 36; ++i)
    atol.push_back(
        1e-9 * (model->states()[i].unit == "particles" ? 1e13 : std::max(1.0, std::fabs(y0[i]))));
  pattern.atol_per_state = sub->kept_values(atol);
  SolverOptions dense = pattern;
  dense.linear_solver = LinearSolverKind::kDense;
  const Trajectory a = simulate(*sub, regimen, params, request, pattern);
  const Trajectory b = simulate(*sub, regimen, params, request, dense);
  ASSERT_TRUE(a.ok() && b.ok()) << a.message << b.message;
  EXPECT_EQ(a.stats.steps, b.stats.steps);
  EXPECT_EQ(a.stats.rhs_evals, b.stats.rhs_evals);
  EXPECT_EQ(a.stats.jacobian_evals, b.stats.jacobian_evals);
  EXPECT_EQ(a.stats.linear_setups, b.stats.linear_setups);
  ASSERT_EQ(a.observables.size(), b.observables.size());
  for (size_t k = 0; k < a.observables.size(); ++k)
    ASSERT_EQ(a.observables[k], b.observables[k]) << "entry " << k;
  ASSERT_TRUE(a.crossings[0].time_h.has_value());
  EXPECT_EQ(*a.crossings[0].time_h, *b.crossings[0].time_h);
}

}  // namespace
}  // namespace onset::pk
