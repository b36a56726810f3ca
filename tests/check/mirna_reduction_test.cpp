// The case report's mechanism check runs the full EV cascade (ev_cargo_cascade_human, 36
// states). data/claims/models/kupffer_mirna_delivery.yaml is the five-state reduction of its
// miRNA-delivery path that the check ran before; it stays as a cross-check of the cascade's
// Kupffer-cell cargo: loaded miRNA copies per Kupffer cell (risc_copies_per_cell) of the two
// models, simulated here side by side.
//  - With the processes the reduction leaves out switched off in the cascade (release from
//    phagocytes, return from the rest of the body to plasma, spleen saturation) and organ
//    shares that sum to at most 1, the two are the same equations: they agree to the ODE
//    tolerance.
//  - At the cascade's own values those processes act, and the difference must stay inside
//    the bound they imply (derived below), over the claim's window.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "models/model_library.hpp"
#include "pk/simulate.hpp"

namespace onset::check {
namespace {

const std::string kReduced =
    std::string(ONSET_SOURCE_DIR) + "/data/claims/models/kupffer_mirna_delivery.yaml";

struct ModelRun {
  std::unique_ptr<pk::Model> model;
  std::vector<double> params;
  pk::Trajectory traj;

  explicit ModelRun(const std::string& name) : model(models::load_model(name)) {
    params = model->default_parameters();
  }
  double& parameter(const std::string& name) {
    const int i = model->parameter_index(name);
    EXPECT_GE(i, 0) << name;
    return params[static_cast<size_t>(i)];
  }
  // 1e13 particles over 1 h into plasma (the case report's dose), tight tolerances.
  void simulate(const std::vector<double>& times) {
    pk::Regimen regimen;
    regimen.doses.push_back({0, model->state_index("plasma"), 1e13, 1});
    pk::SimulationRequest request;
    request.output_times_h = times;
    pk::SolverOptions options;
    options.rtol = 1e-9;
    options.atol = 1e-3;  // particles and copies; the amounts are 1e8..1e13
    traj = pk::simulate(*model, regimen, params, request, options);
    ASSERT_TRUE(traj.ok()) << traj.message;
  }
  double copies(size_t i) const {
    return traj.observable(i, static_cast<size_t>(model->observable_index("risc_copies_per_cell")));
  }
};

std::vector<double> window() {  // the claim's window (5 h from the start) and a day after
  std::vector<double> t;
  for (double h = 0.5; h <= 24; h += 0.5) t.push_back(h);
  return t;
}

// The cascade's parameters that the reduction shares, copied into the reduced model.
void copy_shared(ModelRun& full, ModelRun& reduced) {
  for (const auto& p : reduced.model->parameters())
    reduced.parameter(p.name) = full.parameter(p.name);
}

TEST(MirnaReduction, SameEquationsWhenTheLeftOutProcessesAreOff) {
  ModelRun full("ev_cargo_cascade_human"), reduced(kReduced);
  full.parameter("phagocyte_release_rate") = 0;
  full.parameter("rest_return_rate") = 0;
  full.parameter("splenic_macrophage_capacity_per_cell") = 1e12;  // never saturates
  // Defaults: liver 0.7 + spleen 0.045 + lung 0.1 + kidney 0.03 <= 1; Kupffer 0.85 + LSEC
  // 0.12 <= 1: neither joint limit is active, so the Kupffer share is f_liv f_KC in both.
  copy_shared(full, reduced);
  const std::vector<double> t = window();
  full.simulate(t);
  reduced.simulate(t);
  for (size_t i = 0; i < t.size(); ++i) {
    // rtol 1e-9 in both runs: 1e-6 relative leaves room for the error's growth over 24 h.
    EXPECT_NEAR(full.copies(i), reduced.copies(i), 1e-6 * reduced.copies(i)) << t[i] << " h";
  }
  EXPECT_GT(reduced.copies(t.size() - 1), 0);
}

TEST(MirnaReduction, AgreesWithinTheBoundOfWhatItLeavesOut) {
  ModelRun full("ev_cargo_cascade_human"), reduced(kReduced);
  copy_shared(full, reduced);
  const std::vector<double> t = window();
  full.simulate(t);
  reduced.simulate(t);
  const double k_rel = full.parameter("phagocyte_release_rate");
  const double k_ret = full.parameter("rest_return_rate");
  const double f_rest = 1 - full.parameter("fraction_to_liver") -
                        full.parameter("fraction_to_spleen") - full.parameter("fraction_to_lung") -
                        full.parameter("fraction_to_kidney");
  ASSERT_GT(f_rest, 0);
  // The spleen's uptake slows by at most the share of its capacity filled, D / Cap_SM, of its
  // share f_spl of clearance: the Kupffer cells then get at most that much more.
  const double spleen = full.parameter("fraction_to_spleen") * 1e13 /
                        (full.parameter("splenic_macrophage_capacity_per_cell") *
                         full.parameter("splenic_macrophages"));
  for (size_t i = 0; i < t.size(); ++i) {
    // Release from Kupffer cells adds k_rel to the endosomal loss rate: by time t at most a
    // fraction k_rel t of the endosomal vesicles (and so of the cargo released from them) is
    // missing. Return from the rest of the body brings back at most k_ret t of the rest's
    // share f_rest of the dose by time t, and the Kupffer cells take the same share of it as
    // of the dose: at most k_ret f_rest t more. Hence
    //   -k_rel t <= full / reduced - 1 <= k_ret f_rest t + f_spl D / Cap_SM.
    const double ratio = full.copies(i) / reduced.copies(i) - 1;
    EXPECT_GE(ratio, -k_rel * t[i] - 1e-6) << t[i] << " h";
    EXPECT_LE(ratio, k_ret * f_rest * t[i] + spleen + 1e-6) << t[i] << " h";
    // Over the claim's window (5 h from the start): -0.75 % .. +9.8 % at these values.
    if (t[i] <= 5) {
      EXPECT_LT(std::fabs(ratio), 0.098) << t[i] << " h";
    }
    if (t[i] == 3 || t[i] == 5 || t[i] == 24)
      std::printf("risc copies/cell at %g h: full %.6g, reduced %.6g (%+.3f %%)\n", t[i],
                  full.copies(i), reduced.copies(i), 100 * ratio);
  }
}

}  // namespace
}  // namespace onset::check
