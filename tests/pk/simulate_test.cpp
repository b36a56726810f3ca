// The simulation driver: doses as integration boundaries, outputs around doses, crossings
// found by root finding in every backend, and failures that say where and why.
#include "pk/simulate.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "models/reference_problems.hpp"

namespace onset::pk {
namespace {

// dA/dt = -k A, C = A / V: the one-compartment IV model, with C(t) = D/V e^{-k t}.
class OneCompartment final : public Model {
 public:
  std::string_view name() const override { return "test_one_compartment"; }
  std::span<const StateInfo> states() const override { return states_; }
  std::span<const ParameterInfo> parameters() const override { return params_; }
  std::span<const ObservableInfo> observables() const override { return observables_; }
  void rhs(double, std::span<const double> y, std::span<const double> p,
           std::span<double> ydot) const override {
    ydot[0] = -p[0] * y[0];
  }
  bool has_jacobian() const override { return true; }
  void jacobian(double, std::span<const double>, std::span<const double> p,
                std::span<double> jac) const override {
    jac[0] = -p[0];
  }
  void observe(double, std::span<const double> y, std::span<const double> p,
               std::span<double> out) const override {
    out[0] = y[0] / p[1];
  }
  bool linear_system(std::span<const double> p, std::span<double> a,
                     std::span<double> b) const override {
    a[0] = -p[0];
    b[0] = 0;
    return true;
  }

 private:
  StateInfo states_[1] = {{"A", "mg"}};
  ParameterInfo params_[2] = {{"k", "1/h", 0.5}, {"V", "L", 10.0}};
  ObservableInfo observables_[1] = {{"C", "mg/L"}};
};

// A model whose right-hand side turns NaN once the state passes 1 (log of a negative).
class NanModel final : public Model {
 public:
  std::string_view name() const override { return "test_nan"; }
  std::span<const StateInfo> states() const override { return states_; }
  std::span<const ParameterInfo> parameters() const override { return {}; }
  std::span<const ObservableInfo> observables() const override { return observables_; }
  void rhs(double, std::span<const double> y, std::span<const double>,
           std::span<double> ydot) const override {
    ydot[0] = 1.0 + std::log(1.0 - y[0]) * 0.0 + (y[0] > 1.0 ? std::nan("") : 0.0);
  }
  void observe(double, std::span<const double> y, std::span<const double>,
               std::span<double> out) const override {
    out[0] = y[0];
  }

 private:
  StateInfo states_[1] = {{"X", "mg"}};
  ObservableInfo observables_[1] = {{"X", "mg"}};
};

constexpr Backend kAllBackends[] = {Backend::kCvodesBdf,    Backend::kCvodesAdams,
                                    Backend::kOdeintDopri5, Backend::kOdeintRosenbrock4,
                                    Backend::kExactLinear,  Backend::kOnsetBdf};

SolverOptions tight(Backend backend) {
  SolverOptions options;
  options.backend = backend;
  options.rtol = 1e-10;
  options.atol = 1e-12;
  return options;
}

class EveryBackend : public ::testing::TestWithParam<Backend> {};

TEST_P(EveryBackend, BolusDecayMatchesTheExponential) {
  OneCompartment model;
  Regimen regimen;
  regimen.doses.push_back({0.0, 0, 100.0, 0.0});
  SimulationRequest request;
  request.output_times_h = output_grid(0, 12, 1);
  request.outputs_before_doses = false;
  const Trajectory traj =
      simulate(model, regimen, model.default_parameters(), request, tight(GetParam()));
  ASSERT_TRUE(traj.ok()) << traj.message;
  for (size_t k = 0; k < traj.num_times(); ++k) {
    const double exact = 10.0 * std::exp(-0.5 * traj.times_h[k]);
    EXPECT_NEAR(traj.observable(k, 0), exact, 1e-7 * exact) << backend_name(GetParam());
  }
}

TEST_P(EveryBackend, FindsTheFirstFallingCrossingAtTheAnalyticTime) {
  // C(t) = 10 e^{-0.5 t} falls to 1 at t = 2 ln 10.
  OneCompartment model;
  Regimen regimen;
  regimen.doses.push_back({0.0, 0, 100.0, 0.0});
  SimulationRequest request;
  request.output_times_h = output_grid(0, 12, 1);
  request.crossings.push_back({0, 1.0, Direction::kFalling});
  request.crossings.push_back({0, 20.0, Direction::kRising});  // never reaches 20
  const Trajectory traj =
      simulate(model, regimen, model.default_parameters(), request, tight(GetParam()));
  ASSERT_TRUE(traj.ok()) << traj.message;
  ASSERT_TRUE(traj.crossings[0].time_h.has_value()) << backend_name(GetParam());
  EXPECT_NEAR(*traj.crossings[0].time_h, 2 * std::log(10.0), 1e-7) << backend_name(GetParam());
  EXPECT_FALSE(traj.crossings[1].time_h.has_value()) << backend_name(GetParam());
  EXPECT_EQ(traj.num_times(), 13u);  // the crossing does not end the run unless asked
}

TEST_P(EveryBackend, StopsAtTheCrossingWhenAsked) {
  OneCompartment model;
  Regimen regimen;
  regimen.doses.push_back({0.0, 0, 100.0, 0.0});
  SimulationRequest request;
  request.output_times_h = output_grid(0, 12, 1);
  request.crossings.push_back({0, 1.0, Direction::kFalling});
  request.stop_when_crossed = true;
  const Trajectory traj =
      simulate(model, regimen, model.default_parameters(), request, tight(GetParam()));
  EXPECT_EQ(traj.status, SolveStatus::kStoppedAtCrossing);
  EXPECT_TRUE(traj.ok());
  EXPECT_EQ(traj.num_times(), 5u) << traj.message;  // outputs 0..4 h; the crossing is at 4.6 h
}

INSTANTIATE_TEST_SUITE_P(Backends, EveryBackend, ::testing::ValuesIn(kAllBackends),
                         [](const auto& info) { return std::string(backend_name(info.param)); });

TEST(Outputs, AtADoseTimeShowTheTroughByDefaultAndThePeakWhenAsked) {
  OneCompartment model;
  Regimen regimen;
  regimen.doses.push_back({0.0, 0, 100.0, 0.0});
  regimen.doses.push_back({2.0, 0, 100.0, 0.0});
  SimulationRequest request;
  request.output_times_h = {0.0, 2.0, 3.0};
  const auto params = model.default_parameters();
  const Trajectory trough = simulate(model, regimen, params, request, tight(Backend::kCvodesBdf));
  EXPECT_NEAR(trough.observable(0, 0), 0.0, 1e-12);
  EXPECT_NEAR(trough.observable(1, 0), 10 * std::exp(-1.0), 1e-8);
  request.outputs_before_doses = false;
  const Trajectory peak = simulate(model, regimen, params, request, tight(Backend::kCvodesBdf));
  EXPECT_NEAR(peak.observable(0, 0), 10.0, 1e-8);
  EXPECT_NEAR(peak.observable(1, 0), 10 * std::exp(-1.0) + 10, 1e-8);
  EXPECT_NEAR(peak.observable(2, 0), trough.observable(2, 0), 1e-8);
}

TEST(Crossings, AJumpAcrossTheThresholdAtABolusCountsAtTheDoseTime) {
  OneCompartment model;
  Regimen regimen;
  regimen.doses.push_back({1.5, 0, 100.0, 0.0});
  SimulationRequest request;
  request.output_times_h = {0.0, 4.0};
  request.crossings.push_back({0, 5.0, Direction::kRising});
  const Trajectory traj =
      simulate(model, regimen, model.default_parameters(), request, tight(Backend::kCvodesBdf));
  ASSERT_TRUE(traj.crossings[0].time_h.has_value());
  EXPECT_EQ(*traj.crossings[0].time_h, 1.5);
}

TEST(Simulator, RepeatedRunsGiveIdenticalResults) {
  models::ReferenceCase reference = models::make_reference_case("B2");
  reference.options.backend = Backend::kCvodesBdf;
  Simulator simulator(*reference.model, reference.options);
  const auto params = reference.model->default_parameters();
  Trajectory first, second;
  simulator.run(reference.regimen, params, reference.request, &first);
  simulator.run(reference.regimen, params, reference.request, &second);
  EXPECT_EQ(first.observables, second.observables);
  EXPECT_EQ(first.crossings[0].time_h, second.crossings[0].time_h);
  EXPECT_EQ(first.stats.steps, second.stats.steps);
}

TEST(Simulator, BandedAndFiniteDifferenceJacobiansGiveTheSameAnswer) {
  models::ReferenceCase reference = models::make_reference_case("B1");
  reference.options.backend = Backend::kCvodesBdf;
  const auto params = reference.model->default_parameters();
  const Trajectory dense =
      simulate(*reference.model, reference.regimen, params, reference.request, reference.options);
  SolverOptions banded = reference.options;
  banded.linear_solver = LinearSolverKind::kBanded;
  const Trajectory band =
      simulate(*reference.model, reference.regimen, params, reference.request, banded);
  SolverOptions finite = reference.options;
  finite.use_model_jacobian = false;
  const Trajectory fd =
      simulate(*reference.model, reference.regimen, params, reference.request, finite);
  ASSERT_TRUE(band.ok() && fd.ok());
  for (size_t k = 1; k < dense.num_times(); ++k) {
    const double c = dense.observable(k, 0);
    EXPECT_NEAR(band.observable(k, 0), c, 1e-6 * c);
    EXPECT_NEAR(fd.observable(k, 0), c, 1e-6 * c);
  }
  EXPECT_EQ(fd.stats.jacobian_evals > 0, true);
}

TEST(Failures, NanRightHandSideIsAnErrorWithTimeAndStateNotASilentNan) {
  NanModel model;
  Regimen regimen;
  SimulationRequest request;
  request.output_times_h = output_grid(0, 3, 0.5);
  for (Backend backend : {Backend::kCvodesBdf, Backend::kOdeintDopri5, Backend::kOnsetBdf}) {
    SolverOptions options;
    options.backend = backend;
    const Trajectory traj = simulate(model, regimen, {}, request, options);
    EXPECT_EQ(traj.status, SolveStatus::kFailed) << backend_name(backend);
    EXPECT_NE(traj.message.find("'X'"), std::string::npos) << traj.message;
    EXPECT_NE(traj.message.find("t = "), std::string::npos) << traj.message;
    for (double value : traj.observables) EXPECT_TRUE(std::isfinite(value));  // no NaN output
    EXPECT_LT(traj.num_times(), request.output_times_h.size());
  }
}

TEST(Failures, CvodesMessageNamesTheFlag) {
  NanModel model;
  SimulationRequest request;
  request.output_times_h = {0.0, 3.0};
  SolverOptions options;
  options.backend = Backend::kCvodesBdf;
  const Trajectory traj = simulate(model, {}, {}, request, options);
  ASSERT_EQ(traj.status, SolveStatus::kFailed);
  EXPECT_NE(traj.message.find("CV_"), std::string::npos) << traj.message;
  EXPECT_NE(traj.message.find("not a finite number"), std::string::npos) << traj.message;
}

TEST(Failures, ImpossibleToleranceIsRejectedBeforeSolving) {
  OneCompartment model;
  SolverOptions options;
  options.rtol = 1e-20;
  std::string why;
  EXPECT_FALSE(options.IsValid(&why));
  EXPECT_NE(why.find("rtol"), std::string::npos);
  EXPECT_THROW(Simulator(model, options), std::invalid_argument);
  options.rtol = 1e-8;
  options.atol = -1;
  EXPECT_THROW(Simulator(model, options), std::invalid_argument);
}

TEST(Failures, ZeroAbsoluteToleranceOnAZeroStateSaysWhichStateAndWhatToDo) {
  models::ReferenceCase reference = models::make_reference_case("B3");
  reference.options.backend = Backend::kCvodesBdf;
  reference.options.atol = 0;  // y2..y7 start at 0: no error scale
  const Trajectory traj =
      simulate(*reference.model, reference.regimen, reference.model->default_parameters(),
               reference.request, reference.options);
  ASSERT_EQ(traj.status, SolveStatus::kFailed);
  EXPECT_NE(traj.message.find("CV_ILL_INPUT"), std::string::npos) << traj.message;
  EXPECT_NE(traj.message.find("atol > 0"), std::string::npos) << traj.message;
  EXPECT_NE(traj.message.find("state 'y"), std::string::npos) << traj.message;
}

TEST(Failures, TooMuchWorkSaysHowManyStepsAndWhatToDo) {
  models::ReferenceCase reference = models::make_reference_case("B3");
  reference.options.backend = Backend::kCvodesBdf;
  reference.options.max_steps = 50;
  const Trajectory traj =
      simulate(*reference.model, reference.regimen, reference.model->default_parameters(),
               reference.request, reference.options);
  ASSERT_EQ(traj.status, SolveStatus::kFailed);
  EXPECT_NE(traj.message.find("CV_TOO_MUCH_WORK"), std::string::npos) << traj.message;
  EXPECT_NE(traj.message.find("more than 50 steps"), std::string::npos) << traj.message;
  EXPECT_NE(traj.message.find("worst state"), std::string::npos) << traj.message;
}

TEST(Failures, ExactLinearBackendRefusesANonlinearModel) {
  models::EvCascadeB2 model;
  SolverOptions options;
  options.backend = Backend::kExactLinear;
  try {
    Simulator simulator(model, options);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("nonlinear"), std::string::npos);
  }
}

TEST(Failures, BadRequestsAreSetUpErrors) {
  OneCompartment model;
  SimulationRequest unsorted;
  unsorted.output_times_h = {0.0, 2.0, 1.0};
  EXPECT_THROW(simulate(model, {}, model.default_parameters(), unsorted), std::invalid_argument);
  SimulationRequest wrong_observable;
  wrong_observable.output_times_h = {0.0, 1.0};
  wrong_observable.crossings.push_back({3, 1.0, Direction::kEither});
  EXPECT_THROW(simulate(model, {}, model.default_parameters(), wrong_observable),
               std::invalid_argument);
  SimulationRequest fine;
  fine.output_times_h = {0.0, 1.0};
  EXPECT_THROW(simulate(model, {}, std::vector<double>{1.0}, fine), std::invalid_argument);
}

}  // namespace
}  // namespace onset::pk
