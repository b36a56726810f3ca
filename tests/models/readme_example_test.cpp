// The complete example of models/README.md is a valid model: read it from the README itself,
// simulate a bolus, and check mass balance and the units of its observables.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "models/model_file.hpp"
#include "pk/simulate.hpp"

namespace onset::models {
namespace {

TEST(ReadmeExample, CompilesSimulatesAndKeepsMass) {
  std::ifstream in(std::string(ONSET_SOURCE_DIR) + "/models/README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const size_t begin = readme.find("```yaml\n");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = readme.find("```", begin + 8);
  const auto model = compile_model_text(readme.substr(begin + 8, end - begin - 8), "README.md");
  EXPECT_EQ(model->num_states(), 4);
  EXPECT_EQ(model->observables()[0].unit, "particles/mL");
  EXPECT_EQ(model->observables()[1].unit, "%ID");
  EXPECT_EQ(model->observables()[2].unit, "%ID/g");
  ASSERT_EQ(model->covariates().size(), 2u);
  const auto p = model->default_parameters();
  const auto mods = model->dose_modifiers(0, p, std::vector<double>{40, 0.25});
  EXPECT_DOUBLE_EQ(mods.lag_h, 0.25);
  EXPECT_DOUBLE_EQ(mods.bioavailability, 0.9);
  pk::Regimen regimen{{{0, 0, 1e13, 1}}, {}};
  pk::SimulationRequest request;
  request.output_times_h = pk::output_grid(0, 24, 1);
  pk::SolverOptions options;
  options.atol = 1;
  const auto traj = pk::simulate(*model, regimen, p, request, options);
  ASSERT_TRUE(traj.ok()) << traj.message;
  // Plasma Cp starts at dose/VP after the infusion's first hour, and %ID stays in [0, 100].
  for (size_t k = 0; k < traj.num_times(); ++k) {
    EXPECT_GE(traj.observable(k, 1), 0);
    EXPECT_LE(traj.observable(k, 1), 100 + 1e-9);
  }
}

}  // namespace
}  // namespace onset::models
