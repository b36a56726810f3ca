// Derived volumes and clearances that leave their physical range stop the run with the time
// and the expression (issue 14: a derived volume that went negative gave negative
// concentrations with exit code 0).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "models/model_file.hpp"
#include "pk/simulate.hpp"

namespace onset::models {
namespace {

// A one-compartment model whose volume shrinks with a fluid-loss fraction and whose clearance
// falls with an inhibition fraction: both are derived values.
const char* kModel = R"(name: derived_positivity
parameters:
  VREF: {value: 10, unit: L, lower: 0}
  LOSS: {value: 0.2, unit: "1"}
  CLREF: {value: 2, unit: L/h, lower: 0}
  INH: {value: 0.5, unit: "1"}
derived:
  V: {expression: VREF * (1 - LOSS), unit: L}
  CL: {expression: CLREF * (1 - INH), unit: L/h}
compartments:
  central: {unit: mg, volume: V}
processes:
  - {name: elimination, type: first_order, from: central, k: CL}
observables:
  CP: {concentration: central, unit: mg/L}
)";

std::vector<double> parameters(const pk::Model& model, double loss, double inhibition) {
  std::vector<double> p = model.default_parameters();
  p[static_cast<size_t>(model.parameter_index("LOSS"))] = loss;
  p[static_cast<size_t>(model.parameter_index("INH"))] = inhibition;
  return p;
}

TEST(DerivedPositivity, VolumesMustBePositiveClearancesNotNegative) {
  const auto model = compile_model_text(kModel, "m.yaml");
  EXPECT_EQ(model->check_parameters(parameters(*model, 0.2, 0.5)), "");
  // A clearance of zero shuts elimination: a meaningful best case, not an error.
  EXPECT_EQ(model->check_parameters(parameters(*model, 0.2, 1.0)), "");
  const std::string negative_clearance = model->check_parameters(parameters(*model, 0.2, 1.5));
  EXPECT_NE(negative_clearance.find("the derived clearance 'CL' = -1 L/h is negative (m.yaml:9:20: "
                                    "CL = CLREF * (1 - INH)); a clearance must be >= 0"),
            std::string::npos)
      << negative_clearance;
  const std::string zero_volume = model->check_parameters(parameters(*model, 1.0, 0.5));
  EXPECT_NE(zero_volume.find("the derived volume 'V' = 0 L is not positive (m.yaml:8:19: V = "
                             "VREF * (1 - LOSS)); a volume must be > 0"),
            std::string::npos)
      << zero_volume;
}

// A parameter change during the run that makes the volume negative stops the run at its time;
// the outputs before it stand.
TEST(DerivedPositivity, AParameterChangeStopsTheRunAtItsTime) {
  const auto model = compile_model_text(kModel, "m.yaml");
  pk::Regimen regimen;
  regimen.doses.push_back({0.0, 0, 100.0, 0.0});
  regimen.parameter_changes.push_back({5.0, model->parameter_index("LOSS"), 1.2});
  pk::SimulationRequest request;
  request.output_times_h = {1, 2, 4, 6, 8};
  const pk::Trajectory result =
      pk::simulate(*model, regimen, parameters(*model, 0.2, 0.5), request);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.message.find("at t = 5 h: the derived volume 'V' = -2 L is not positive"),
            std::string::npos)
      << result.message;
  ASSERT_EQ(result.num_times(), 3u);  // 1, 2 and 4 h, before the change
  // C(4 h) = 100 / 8 exp(-(1 / 8) 4): V = 8 L, CL = 1 L/h.
  EXPECT_NEAR(result.observable(2, 0), 12.5 * std::exp(-0.5), 1e-6);
}

}  // namespace
}  // namespace onset::models
