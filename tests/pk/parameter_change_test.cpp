// Parameter changes in a regimen: a step of one parameter at a chosen time is an integration
// boundary, every backend switches the parameter vector there, and outputs and crossings see
// the parameters in force. Oracle: the one-compartment model with a clearance step,
// A(t) = D e^{-k1 t} for t < ts and D e^{-k1 ts} e^{-k2 (t - ts)} after.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "models/model_library.hpp"
#include "pk/regimen.hpp"
#include "pk/simulate.hpp"

namespace onset::pk {
namespace {

TEST(ParameterChange, CutsTheTimelineAndListsTheChangesInOrder) {
  Regimen regimen;
  regimen.parameter_changes.push_back({3.0, 0, 5.0});
  regimen.parameter_changes.push_back({-1.0, 1, 7.0});  // before the start: from the start
  regimen.parameter_changes.push_back({3.0, 1, 2.0});
  regimen.parameter_changes.push_back({20.0, 0, 1.0});  // after the end: ignored
  const auto pieces = build_timeline(regimen, 1, 0.0, 10.0);
  ASSERT_EQ(pieces.size(), 2u);
  ASSERT_EQ(pieces[0].parameter_changes.size(), 1u);
  EXPECT_EQ(pieces[0].parameter_changes[0].parameter, 1);
  EXPECT_EQ(pieces[1].t_begin, 3.0);
  ASSERT_EQ(pieces[1].parameter_changes.size(), 2u);
  EXPECT_EQ(pieces[1].parameter_changes[0].parameter, 0);  // same time: order given
  EXPECT_EQ(pieces[1].parameter_changes[1].parameter, 1);
}

TEST(ParameterChange, RejectsBadChanges) {
  Regimen regimen;
  regimen.parameter_changes.push_back({1.0, -1, 1.0});
  EXPECT_THROW(build_timeline(regimen, 1, 0.0, 2.0), std::invalid_argument);
  regimen.parameter_changes = {{NAN, 0, 1.0}};
  EXPECT_THROW(build_timeline(regimen, 1, 0.0, 2.0), std::invalid_argument);
  regimen.parameter_changes = {{1.0, 0, INFINITY}};
  EXPECT_THROW(build_timeline(regimen, 1, 0.0, 2.0), std::invalid_argument);
  const auto model = models::load_model("one_compartment_iv");
  regimen.parameter_changes = {{1.0, 5, 1.0}};  // the model has 2 parameters
  SimulationRequest request;
  request.output_times_h = {2.0};
  EXPECT_THROW(simulate(*model, regimen, model->default_parameters(), request),
               std::invalid_argument);
}

class ClearanceStep : public ::testing::TestWithParam<Backend> {};

TEST_P(ClearanceStep, MatchesTheClosedFormAndFindsTheCrossingAfterTheStep) {
  const auto model = models::load_model("one_compartment_iv");
  const int cl = model->parameter_index("CL");
  const int cp = model->observable_index("CP");
  const double dose = 100, v = 10, k1 = 0.1, k2 = 0.5, ts = 2.0;
  Regimen regimen;
  regimen.doses.push_back({0.0, 0, dose, 0.0});
  regimen.parameter_changes.push_back({ts, cl, k2 * v});
  SimulationRequest request;
  request.output_times_h = {1.0, 2.0, 3.0, 6.0};
  // CP falls through 5 mg/L only after the step: 10 e^{-0.2} e^{-0.5 (t - 2)} = 5.
  request.crossings.push_back({cp, 5.0, Direction::kFalling});
  SolverOptions options;
  options.backend = GetParam();
  options.rtol = 1e-10;
  options.atol = 1e-12;
  const auto traj = simulate(*model, regimen, model->default_parameters(), request, options);
  ASSERT_TRUE(traj.ok()) << traj.message;
  auto exact = [&](double t) {
    const double a =
        t < ts ? dose * std::exp(-k1 * t) : dose * std::exp(-k1 * ts) * std::exp(-k2 * (t - ts));
    return a / v;
  };
  for (size_t i = 0; i < traj.num_times(); ++i)
    EXPECT_NEAR(traj.observable(i, static_cast<size_t>(cp)), exact(traj.times_h[i]),
                1e-7 * exact(traj.times_h[i]))
        << "t = " << traj.times_h[i];
  ASSERT_TRUE(traj.crossings[0].time_h.has_value());
  const double t_cross = ts + std::log(10 * std::exp(-k1 * ts) / 5.0) / k2;
  EXPECT_NEAR(*traj.crossings[0].time_h, t_cross, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Backends, ClearanceStep,
                         ::testing::Values(Backend::kExactLinear, Backend::kOnsetBdf,
                                           Backend::kCvodesBdf, Backend::kOdeintDopri5),
                         [](const auto& info) { return std::string(backend_name(info.param)); });

TEST(ParameterChange, RunsReuseTheSimulatorWithoutCarryingChangesOver) {
  const auto model = models::load_model("one_compartment_iv");
  Simulator simulator(*model, SolverOptions{});
  Regimen stepped;
  stepped.doses.push_back({0.0, 0, 100.0, 0.0});
  stepped.parameter_changes.push_back({1.0, model->parameter_index("CL"), 50.0});
  Regimen plain;
  plain.doses = stepped.doses;
  SimulationRequest request;
  request.output_times_h = {4.0};
  Trajectory a, b;
  simulator.run(stepped, model->default_parameters(), request, &a);
  simulator.run(plain, model->default_parameters(), request, &b);
  EXPECT_NEAR(b.observable(0, 0), 10 * std::exp(-0.4), 1e-6);
  EXPECT_LT(a.observable(0, 0), b.observable(0, 0) * 1e-3);
}

}  // namespace
}  // namespace onset::pk
