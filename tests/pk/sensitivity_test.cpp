// Forward sensitivities (pk/sensitivity.hpp): onset_bdf's staggered direct method against
// SUNDIALS CVODES's (the reference, same method, same tolerances) and against central
// differences of whole solves at tight tolerances, on nonlinear models with boluses and
// infusions.
#include "pk/sensitivity.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "models/model_library.hpp"
#include "models/reference_problems.hpp"

namespace onset::pk {
namespace {

struct Result {
  std::vector<double> observables, sensitivities;
};

Result run(const Model& model, const SolverOptions& options,
           std::span<const SensitivityEvent> events, std::span<const double> params,
           std::span<const int> wrt, size_t outputs) {
  SensitivitySimulator simulator(model, options);
  Result r;
  const size_t n_obs = static_cast<size_t>(model.num_observables());
  r.observables.assign(outputs * n_obs, 0.0);
  r.sensitivities.assign(outputs * n_obs * wrt.size(), 0.0);
  std::string why;
  EXPECT_TRUE(simulator.run(0, events, params, wrt, r.observables, r.sensitivities, &why)) << why;
  EXPECT_FALSE(simulator.last_run_exact());
  EXPECT_STREQ(simulator.solver_name(),
               options.backend == Backend::kCvodesBdf ? "cvodes_bdf" : "onset_bdf");
  return r;
}

// The worst difference between two sets of sensitivities, each scaled to d obs_k / d ln p_j
// (times |p_j|) and taken relative to the range of obs_k over the outputs: the change of an
// observable per relative change of a parameter, as a fraction of that observable's size.
double scaled_difference(const Result& a, const Result& b, const Result& values,
                         std::span<const double> params, std::span<const int> wrt, size_t outputs,
                         size_t n_obs) {
  const size_t ns = wrt.size();
  double worst = 0;
  for (size_t k = 0; k < n_obs; ++k) {
    double range = 0;
    for (size_t r = 0; r < outputs; ++r)
      range = std::max(range, std::fabs(values.observables[r * n_obs + k]));
    if (range == 0) continue;
    for (size_t j = 0; j < ns; ++j) {
      const double p = std::fabs(params[static_cast<size_t>(wrt[j])]);
      for (size_t r = 0; r < outputs; ++r) {
        const size_t at = (r * n_obs + k) * ns + j;
        worst = std::max(worst, std::fabs(a.sensitivities[at] - b.sensitivities[at]) * p / range);
      }
    }
  }
  return worst;
}

SolverOptions tightened(SolverOptions options, double factor) {
  options.rtol *= factor;
  options.atol *= factor;
  for (double& a : options.atol_per_state) a *= factor;
  return options;
}

// The mouse EV biodistribution model (12 states, capacity-limited uptake by Kupffer cells and
// splenic macrophages: nonlinear) after an IV bolus, with respect to the six parameters the
// biodistribution fit estimates, at the fit's tolerances (rtol 1e-10, atol 1e-12 x dose).
// onset_bdf's sensitivities agree with CVODES's to 1e-7 of each observable's range per unit
// relative change of the parameter, and each is as close to a tight reference (CVODES at
// tolerances 100 times smaller) as the other: onset_bdf's error at most twice CVODES's (plus
// 1e-9 for rounding).
TEST(Sensitivity, OnsetBdfAgreesWithCvodesOnTheMouseBiodistributionModel) {
  const auto model = models::load_model("ev_pbpk_mouse");
  const auto params = model->default_parameters();
  const double dose = params[static_cast<size_t>(model->parameter_index("dose_particles"))];
  std::vector<SensitivityEvent> events;
  events.push_back({SensitivityEvent::Kind::kBolus, 0, 0, dose, 0});
  const std::vector<double> times = {0.083, 0.25, 0.5, 1, 2, 4, 8, 24};
  for (size_t r = 0; r < times.size(); ++r)
    events.push_back({SensitivityEvent::Kind::kOutput, times[r], 0, 0, static_cast<int>(r)});
  std::vector<int> wrt;
  for (const char* name :
       {"plasma_elimination_rate", "fraction_to_liver", "fraction_to_spleen", "fraction_to_lung",
        "phagocyte_degradation_rate", "tissue_degradation_rate"})
    wrt.push_back(model->parameter_index(name));
  SolverOptions options;
  options.rtol = 1e-10;
  options.atol = 1e-12 * dose;
  options.backend = Backend::kCvodesBdf;
  const Result cvodes = run(*model, options, events, params, wrt, times.size());
  const Result reference = run(*model, tightened(options, 1e-2), events, params, wrt, times.size());
  options.backend = Backend::kAuto;
  const Result onset = run(*model, options, events, params, wrt, times.size());
  const size_t n_obs = static_cast<size_t>(model->num_observables());
  for (size_t i = 0; i < onset.observables.size(); ++i)
    EXPECT_NEAR(onset.observables[i], cvodes.observables[i],
                1e-8 * std::max(1.0, std::fabs(cvodes.observables[i])));
  const double between = scaled_difference(onset, cvodes, cvodes, params, wrt, times.size(), n_obs);
  const double onset_error =
      scaled_difference(onset, reference, reference, params, wrt, times.size(), n_obs);
  const double cvodes_error =
      scaled_difference(cvodes, reference, reference, params, wrt, times.size(), n_obs);
  std::printf(
      "  mouse: onset_bdf vs CVODES %.2e; error vs tight reference: onset_bdf %.2e, "
      "CVODES %.2e\n",
      between, onset_error, cvodes_error);
  EXPECT_LT(between, 1e-7);
  EXPECT_LE(onset_error, 2 * cvodes_error + 1e-9);
}

// B2 (13 states, saturable uptake and effect cascade) through a 1-h infusion (two rate
// changes), with respect to Vmax, Km, klys, kt and kp. At tight tolerances (rtol 1e-12)
// onset_bdf's sensitivities equal central differences of whole solves (step 1e-4 relative:
// truncation error about 1e-8 of the range) to 1e-6 of each observable's range per unit relative
// change; at the benchmark's tolerances (rtol 1e-8, atol 1e-6 x scale: the sensitivities'
// absolute tolerances are atol / p) onset_bdf's error against that reference is at most twice
// CVODES's (plus 1e-9).
TEST(Sensitivity, B2ThroughAnInfusionMatchesDifferencesOfWholeSolves) {
  const models::EvCascadeB2 model;
  const auto params = model.default_parameters();
  std::vector<SensitivityEvent> events;
  events.push_back({SensitivityEvent::Kind::kRateChange, 0, models::EvCascadeB2::kP, 1e13, 0});
  events.push_back({SensitivityEvent::Kind::kOutput, 0.5, 0, 0, 0});
  events.push_back({SensitivityEvent::Kind::kRateChange, 1, models::EvCascadeB2::kP, -1e13, 0});
  const std::vector<double> times = {0.5, 2, 12, 48, 96, 200};
  for (size_t r = 1; r < times.size(); ++r)
    events.push_back({SensitivityEvent::Kind::kOutput, times[r], 0, 0, static_cast<int>(r)});
  const std::vector<int> wrt = {1, 2, 5, 10, 13};  // Vmax, Km, klys, kt, kp
  SolverOptions options = models::make_reference_case("B2").options;
  options.backend = Backend::kOnsetBdf;
  const SolverOptions tight = tightened(options, 1e-4);
  const Result onset_tight = run(model, tight, events, params, wrt, times.size());
  const size_t n_obs = static_cast<size_t>(model.num_observables());
  Result differences;
  differences.sensitivities.assign(times.size() * n_obs * wrt.size(), 0.0);
  for (size_t j = 0; j < wrt.size(); ++j) {
    const size_t pj = static_cast<size_t>(wrt[j]);
    const double h = 1e-4 * params[pj];
    std::vector<double> up = params, down = params;
    up[pj] += h;
    down[pj] -= h;
    const Result plus = run(model, tight, events, up, {}, times.size());
    const Result minus = run(model, tight, events, down, {}, times.size());
    for (size_t i = 0; i < times.size() * n_obs; ++i)
      differences.sensitivities[i * wrt.size() + j] =
          (plus.observables[i] - minus.observables[i]) / (2 * h);
  }
  const double exact =
      scaled_difference(onset_tight, differences, onset_tight, params, wrt, times.size(), n_obs);
  EXPECT_LT(exact, 1e-6);

  const Result onset = run(model, options, events, params, wrt, times.size());
  SolverOptions cvodes_options = options;
  cvodes_options.backend = Backend::kCvodesBdf;
  const Result cvodes = run(model, cvodes_options, events, params, wrt, times.size());
  const double onset_error =
      scaled_difference(onset, onset_tight, onset_tight, params, wrt, times.size(), n_obs);
  const double cvodes_error =
      scaled_difference(cvodes, onset_tight, onset_tight, params, wrt, times.size(), n_obs);
  std::printf(
      "  B2: tight onset_bdf vs differences %.2e; at rtol 1e-8 error: onset_bdf %.2e, "
      "CVODES %.2e\n",
      exact, onset_error, cvodes_error);
  EXPECT_LE(onset_error, 2 * cvodes_error + 1e-9);
}

// With sensitivities, the states are also solved to the tolerances: the observables agree
// with those of a run without sensitivities to within the tolerances (B2's absolute tolerance
// on the miRNA copies, 1e6 copies = 3e-5 copies per cell, is the loosest: 1e-4 relative).
TEST(Sensitivity, ObservablesWithAndWithoutSensitivitiesAgreeToTheTolerances) {
  const models::EvCascadeB2 model;
  const auto params = model.default_parameters();
  std::vector<SensitivityEvent> events;
  events.push_back({SensitivityEvent::Kind::kBolus, 0, models::EvCascadeB2::kP, 1e13, 0});
  events.push_back({SensitivityEvent::Kind::kOutput, 100, 0, 0, 0});
  SolverOptions options = models::make_reference_case("B2").options;
  const Result a = run(model, options, events, params, {}, 1);
  std::vector<int> wrt = {1};
  const Result b = run(model, options, events, params, wrt, 1);
  for (size_t i = 0; i < a.observables.size(); ++i)
    EXPECT_NEAR(a.observables[i], b.observables[i],
                1e-4 * std::max(1.0, std::fabs(a.observables[i])));
}

}  // namespace
}  // namespace onset::pk
