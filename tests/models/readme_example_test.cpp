// The complete example of models/README.md is a valid model: read it from the README itself,
// simulate an infusion, check the units of its observables and its mass balance.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

#include "models/model_file.hpp"
#include "pk/simulate.hpp"

namespace onset::models {
namespace {

// The model of the README's first ```yaml block; nullptr when the README has none.
std::unique_ptr<FileModel> readme_model() {
  std::ifstream in(std::string(ONSET_SOURCE_DIR) + "/models/README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const size_t begin = readme.find("```yaml\n");
  if (begin == std::string::npos) return nullptr;
  const size_t end = readme.find("```", begin + 8);
  return compile_model_text(readme.substr(begin + 8, end - begin - 8), "README.md");
}

TEST(ReadmeExample, CompilesWithItsUnitsModifiersAndPercentDoseInRange) {
  const auto model = readme_model();
  ASSERT_NE(model, nullptr);
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
  // %ID stays in [0, 100].
  for (size_t k = 0; k < traj.num_times(); ++k) {
    EXPECT_GE(traj.observable(k, 1), 0);
    EXPECT_LE(traj.observable(k, 1), 100 + 1e-9);
  }
}

// Mass balance of the README's model: particles only leave by the renal route (first-order
// from plasma with clearance CLR = 100 mL/min = 6 L/h over VP = 3 L, k = 2 /h); flow, uptake
// and the Michaelis-Menten route move them between plasma, liver and Kupffer cells. So at
// every time, plasma + liver + kupffer + 2 /h x integral of plasma = what was infused
// (1e13 over the first hour). The integral is Simpson's rule on a 0.001 h grid, split at the
// end of the infusion (where the plasma amount has a kink); its error, h^4 / 180 x max |f(4)|
// x 24 h with rates up to about 40 /h (flow 30 /h, uptake 6.7 /h), is below 1e-9 of the dose.
// The tolerance, 1e-6 of the dose, is a hundred times the integrator's rtol of 1e-8 (the
// default of pk::SolverOptions) applied to the 1e13 particles.
TEST(ReadmeExample, ParticlesLeaveOnlyByTheRenalRoute) {
  const auto model = readme_model();
  ASSERT_NE(model, nullptr);
  const auto p = model->default_parameters();
  // Parameters keep their declared units (CLR in mL/min); the model folds the factors in.
  const size_t i_clr = static_cast<size_t>(model->parameter_index("CLR"));
  ASSERT_EQ(model->parameters()[i_clr].unit, "mL/min");
  const double clr_l_per_h = p[i_clr] * 60.0 / 1000.0;
  const double vp = p[static_cast<size_t>(model->parameter_index("VP"))];
  EXPECT_NEAR(clr_l_per_h, 6.0, 1e-12);  // 100 mL/min
  EXPECT_NEAR(vp, 3.0, 1e-12);
  const double k_renal = clr_l_per_h / vp;
  const double dose = 1e13;
  pk::Regimen regimen{{{0, 0, dose, 1}}, {}};
  pk::SimulationRequest request;
  const double h = 0.001;
  request.output_times_h = pk::output_grid(0, 24, h);
  pk::SolverOptions options;
  options.atol = 1;
  const auto traj = pk::simulate(*model, regimen, p, request, options);
  ASSERT_TRUE(traj.ok()) << traj.message;
  ASSERT_EQ(traj.num_times(), 24001u);
  auto plasma = [&](size_t k) { return traj.state(k, 0); };
  double eliminated = 0;  // particles excreted by time t_k (k even)
  for (size_t k = 0; k < traj.num_times(); k += 2) {
    // Simpson over [t_{k-2}, t_k]; t = 1 h (k = 1000) is an even point, so no panel crosses
    // the end of the infusion.
    if (k > 0) eliminated += k_renal * h / 3 * (plasma(k - 2) + 4 * plasma(k - 1) + plasma(k));
    if (k % 1000 != 0) continue;  // every whole hour
    const double t = traj.times_h[k];
    const double infused = dose * std::min(t, 1.0);
    const double inside = traj.state(k, 0) + traj.state(k, 1) + traj.state(k, 2);
    EXPECT_NEAR(inside + eliminated, infused, 1e-6 * dose) << "t = " << t << " h";
  }
  // The renal route has taken a real share by 24 h, so the balance is not met trivially.
  EXPECT_GT(eliminated, 0.05 * dose);
}

}  // namespace
}  // namespace onset::models
