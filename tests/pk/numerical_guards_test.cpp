// Numerical guards (STYLE 5): amounts within +-atol reported as zero without touching the
// state, negative amounts beyond atol reported with the state and time, a stiff problem given
// to the explicit odeint_dopri5 named as such when its steps run out, and the maximum-steps
// failure said in words.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "pk/simulate.hpp"

namespace onset::pk {
namespace {

// dA/dt = r (a constant rate, any sign), A(0) = A0; observable A. A(t) = A0 + r t.
class ConstantRate final : public Model {
 public:
  std::string_view name() const override { return "test_constant_rate"; }
  std::span<const StateInfo> states() const override { return states_; }
  std::span<const ParameterInfo> parameters() const override { return params_; }
  std::span<const ObservableInfo> observables() const override { return observables_; }
  void initial_state(std::span<const double> p, std::span<double> y0) const override {
    y0[0] = p[1];
  }
  void rhs(double, std::span<const double>, std::span<const double> p,
           std::span<double> ydot) const override {
    ydot[0] = p[0];
  }
  void observe(double, std::span<const double> y, std::span<const double>,
               std::span<double> out) const override {
    out[0] = y[0];
  }

 private:
  StateInfo states_[1] = {{"depot", "mg"}};
  ParameterInfo params_[2] = {{"r", "mg/h", 0.0}, {"A0", "mg", 0.0}};
  ObservableInfo observables_[1] = {{"A", "mg"}};
};

// Two uncoupled first-order eliminations, dA/dt = -k_fast A, dB/dt = -k_slow B, A(0) = B(0)
// = 1: stiff once A has decayed (its rate still limits an explicit method's step).
class FastAndSlow final : public Model {
 public:
  std::string_view name() const override { return "test_fast_and_slow"; }
  std::span<const StateInfo> states() const override { return states_; }
  std::span<const ParameterInfo> parameters() const override { return params_; }
  std::span<const ObservableInfo> observables() const override { return observables_; }
  void initial_state(std::span<const double>, std::span<double> y0) const override {
    y0[0] = y0[1] = 1;
  }
  void rhs(double, std::span<const double> y, std::span<const double> p,
           std::span<double> ydot) const override {
    ydot[0] = -p[0] * y[0];
    ydot[1] = -p[1] * y[1];
  }
  void observe(double, std::span<const double> y, std::span<const double>,
               std::span<double> out) const override {
    out[0] = y[1];
  }

 private:
  StateInfo states_[2] = {{"fast", "mg"}, {"slow", "mg"}};
  ParameterInfo params_[2] = {{"k_fast", "1/h", 1e5}, {"k_slow", "1/h", 0.1}};
  ObservableInfo observables_[1] = {{"B", "mg"}};
};

// x'' = -w^2 x as two states: not stiff (purely imaginary eigenvalues +-i w).
class Oscillator final : public Model {
 public:
  std::string_view name() const override { return "test_oscillator"; }
  std::span<const StateInfo> states() const override { return states_; }
  std::span<const ParameterInfo> parameters() const override { return params_; }
  std::span<const ObservableInfo> observables() const override { return observables_; }
  void initial_state(std::span<const double>, std::span<double> y0) const override {
    y0[0] = 1;
    y0[1] = 0;
  }
  void rhs(double, std::span<const double> y, std::span<const double> p,
           std::span<double> ydot) const override {
    ydot[0] = y[1];
    ydot[1] = -p[0] * p[0] * y[0];
  }
  void observe(double, std::span<const double> y, std::span<const double>,
               std::span<double> out) const override {
    out[0] = y[0];
  }

 private:
  StateInfo states_[2] = {{"x", "mg"}, {"v", "mg/h"}};
  ParameterInfo params_[1] = {{"w", "1/h", 1.0}};
  ObservableInfo observables_[1] = {{"x", "mg"}};
};

SolverOptions with(Backend backend, double atol = 1e-10) {
  SolverOptions options;
  options.backend = backend;
  options.rtol = 1e-8;
  options.atol = atol;
  return options;
}

TEST(Positivity, AmountsWithinAtolAreRecordedAsZeroButTheStateIsUnchanged) {
  ConstantRate model;
  SimulationRequest request;
  request.output_times_h = {0, 1};
  for (const double a0 : {5e-11, -5e-11}) {
    const std::vector<double> params = {0.0, a0};  // A stays at A0 (< atol = 1e-10)
    const Trajectory out =
        simulate(model, Regimen{}, params, request, with(Backend::kOdeintDopri5));
    ASSERT_TRUE(out.ok()) << out.message;
    EXPECT_EQ(out.state(0, 0), 0.0);
    EXPECT_EQ(out.state(1, 0), 0.0);
    // The observable is computed from the state itself, which was not changed.
    EXPECT_NEAR(out.observable(1, 0), a0, 1e-20);
    EXPECT_EQ(out.stats.negative_outputs, 0);
    EXPECT_TRUE(out.message.empty()) << out.message;
  }
}

TEST(Positivity, RawValuesOnRequest) {
  ConstantRate model;
  SimulationRequest request;
  request.output_times_h = {0, 1};
  request.zero_within_atol = false;
  const std::vector<double> params = {0.0, -5e-11};
  const Trajectory out = simulate(model, Regimen{}, params, request, with(Backend::kOdeintDopri5));
  EXPECT_EQ(out.state(1, 0), -5e-11);
  EXPECT_EQ(out.stats.negative_outputs, 0);  // within atol: rounding, not a negative amount
}

TEST(Positivity, AmountsBeyondAtolAreRecordedAsTheyAre) {
  ConstantRate model;
  SimulationRequest request;
  request.output_times_h = {0, 1};
  const std::vector<double> params = {0.0, 3e-10};
  const Trajectory out = simulate(model, Regimen{}, params, request, with(Backend::kOdeintDopri5));
  EXPECT_DOUBLE_EQ(out.state(1, 0), 3e-10);
}

TEST(Positivity, APersistentNegativeAmountIsReportedWithStateAndTime) {
  // A(t) = 1 - t mg: negative beyond atol from the output at t = 1.5 h on (A = -0.5 mg).
  ConstantRate model;
  SimulationRequest request;
  request.output_times_h = {0, 0.5, 1.0, 1.5, 2.0, 3.0};
  const std::vector<double> params = {-1.0, 1.0};
  const Trajectory out = simulate(model, Regimen{}, params, request, with(Backend::kOdeintDopri5));
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(out.stats.negative_outputs, 3);  // t = 1.5, 2, 3 h
  EXPECT_NE(out.message.find("negative amount: state 'depot' = -0.5 mg at t = 1.5 h"),
            std::string::npos)
      << out.message;
  EXPECT_NE(out.message.find("3 of 6 outputs"), std::string::npos) << out.message;
  // Recorded as they are (A = 1 - t, exact for a constant rate).
  EXPECT_NEAR(out.state(5, 0), -2.0, 1e-9);
  // t = 1 h: A = 0 up to rounding, within atol: zero, not a negative amount.
  EXPECT_EQ(out.state(2, 0), 0.0);
}

TEST(StiffnessDetection, Dopri5OnAStiffProblemSaysStiffAndNamesTheStiffSolvers) {
  FastAndSlow model;
  SimulationRequest request;
  request.output_times_h = {0, 100};
  SolverOptions options = with(Backend::kOdeintDopri5);
  options.max_steps = 20000;  // 100 h at the stability limit 3.3e-5 h needs ~3e6 steps
  const Trajectory out = simulate(model, Regimen{}, model.default_parameters(), request, options);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.message.find("more than 20000 steps"), std::string::npos) << out.message;
  EXPECT_NE(out.message.find("the problem is stiff here"), std::string::npos) << out.message;
  EXPECT_NE(out.message.find("cvodes_bdf or onset_bdf"), std::string::npos) << out.message;
  // The fastest rate is k_fast = 1e5 /h, named in the message.
  EXPECT_NE(out.message.find("fastest rate 100000 /h"), std::string::npos) << out.message;

  // The solver it names does the job: B(100 h) = exp(-10), to 1e-5 relative (the global error
  // of BDF at rtol 1e-8 over 100 h; 3.5e-6 seen).
  const Trajectory bdf =
      simulate(model, Regimen{}, model.default_parameters(), request, with(Backend::kCvodesBdf));
  ASSERT_TRUE(bdf.ok()) << bdf.message;
  EXPECT_NEAR(bdf.observable(1, 0), std::exp(-10.0), 1e-5 * std::exp(-10.0));
}

TEST(StiffnessDetection, Dopri5OutOfStepsOnANonStiffProblemDoesNotClaimStiffness) {
  Oscillator model;
  SimulationRequest request;
  request.output_times_h = {0, 1000};
  SolverOptions options = with(Backend::kOdeintDopri5);
  options.max_steps = 50;  // 160 periods need thousands of accuracy-limited steps
  const Trajectory out = simulate(model, Regimen{}, model.default_parameters(), request, options);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.message.find("too much work: more than 50 steps before the next output"),
            std::string::npos)
      << out.message;
  EXPECT_NE(out.message.find("raise max_steps, loosen the tolerances"), std::string::npos)
      << out.message;
  EXPECT_EQ(out.message.find("stiff here"), std::string::npos) << out.message;
}

TEST(MaximumSteps, EveryBackendSaysInWordsThatItRanOutOfSteps) {
  Oscillator model;
  SimulationRequest request;
  request.output_times_h = {0, 1000};
  for (const Backend backend :
       {Backend::kCvodesBdf, Backend::kCvodesAdams, Backend::kOdeintDopri5, Backend::kOnsetBdf}) {
    SolverOptions options = with(backend);
    options.max_steps = 50;
    const Trajectory out = simulate(model, Regimen{}, model.default_parameters(), request, options);
    ASSERT_FALSE(out.ok()) << backend_name(backend);
    EXPECT_NE(out.message.find("50"), std::string::npos) << out.message;
    EXPECT_NE(out.message.find("steps"), std::string::npos) << out.message;
    EXPECT_NE(out.message.find("t = "), std::string::npos) << out.message;
  }
}

}  // namespace
}  // namespace onset::pk
