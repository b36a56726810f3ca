// Analytic Jacobians of every rate law, effect and observable kind against central finite
// differences of the right-hand side, and of every library model, at random positive states.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "models/model_file.hpp"
#include "models/model_library.hpp"

namespace onset::models {
namespace {

// Worst |J_analytic - J_fd| / (|J| + scale) over `draws` random states around y0.
double jacobian_error(const pk::Model& model, const std::vector<double>& y0,
                      const std::vector<double>& p, int draws, unsigned seed) {
  const size_t n = static_cast<size_t>(model.num_states());
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> factor(0.2, 3.0);
  double worst = 0;
  for (int d = 0; d < draws; ++d) {
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = (y0[i] != 0 ? y0[i] : 1.0) * factor(rng);
    std::vector<double> jac(n * n, 0.0), up(n), down(n);
    model.jacobian(0.5, y, p, jac);
    double jac_scale = 0;
    for (double v : jac) jac_scale = std::max(jac_scale, std::fabs(v));
    for (size_t j = 0; j < n; ++j) {
      const double h = 1e-5 * std::max(std::fabs(y[j]), 1e-3);
      auto yp = y, ym = y;
      yp[j] += h;
      ym[j] -= h;
      model.rhs(0.5, yp, p, up);
      model.rhs(0.5, ym, p, down);
      for (size_t i = 0; i < n; ++i) {
        const double fd = (up[i] - down[i]) / (2 * h);
        const double analytic = jac[i + n * j];
        worst = std::max(
            worst, std::fabs(analytic - fd) / (std::fabs(analytic) + 1e-6 * jac_scale + 1e-12));
      }
    }
  }
  return worst;
}

TEST(Jacobian, EveryRateLawEffectAndObservableKind) {
  const auto model = read_model_file(std::string(ONSET_SOURCE_DIR) + "/tests/models/all_laws.yaml");
  const auto p = model->default_parameters();
  std::vector<double> y0(static_cast<size_t>(model->num_states()));
  model->initial_state(p, y0);
  const double error = jacobian_error(*model, y0, p, 20, 7);
  EXPECT_LT(error, 1e-6);
  std::printf("  all_laws.yaml: worst relative difference analytic vs finite differences %.2e\n",
              error);
  // Bandwidth covers every non-zero.
  const pk::Bandwidth band = model->bandwidth();
  std::vector<double> jac(49, 0.0);
  model->jacobian(0, y0, p, jac);
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 7; ++j)
      if (jac[static_cast<size_t>(i + 7 * j)] != 0) {
        EXPECT_LE(j - i, band.upper);
        EXPECT_LE(i - j, band.lower);
      }
}

TEST(Jacobian, UnitConversionsInsideRateLaws) {
  // CL = 50 mL/min = 3 L/h from B (V2 = 3000 mL = 3 L): k = 1/h; KOUT = 0.5/day.
  const auto model = read_model_file(std::string(ONSET_SOURCE_DIR) + "/tests/models/all_laws.yaml");
  const auto p = model->default_parameters();
  std::vector<double> jac(49, 0.0), y(7, 0.0);
  model->jacobian(0, y, p, jac);
  const int b = model->state_index("B"), r = model->state_index("R");
  // d(dB/dt)/dB = -CL/V2 - Q/(V2 KP) - (Hill term: 0 at B = 0) = -1 - 1.5/(3*2.5) = -1.2
  EXPECT_NEAR(jac[static_cast<size_t>(b + 7 * b)], -1.0 - 1.5 / (3 * 2.5), 1e-12);
  // R turnover: d(dR/dt)/dR = -KOUT (1 + SLOPE*SUM) = -0.5/24 at y = 0.
  EXPECT_NEAR(jac[static_cast<size_t>(r + 7 * r)], -0.5 / 24, 1e-15);
  // Observables in their declared units: CB in ng/mL of mg / (3000 mL).
  std::vector<double> y1{1, 3, 500, 0, 0, 0, 1}, out(7);
  model->observe(0, y1, p, out);
  EXPECT_NEAR(out[0], 0.5, 1e-15);          // CP = 1 mg / 2 L
  EXPECT_NEAR(out[1], 1000, 1e-9);          // CB = 3 mg / 3 L = 1 mg/L = 1000 ng/mL
  EXPECT_NEAR(out[2], 1 + 3 + 0.5, 1e-12);  // SUM in mg (500 ug = 0.5 mg)
  EXPECT_NEAR(out[3], 0.5 / 1000, 1e-15);   // RATIO CP / CB (mg/L over ng/mL)
  EXPECT_NEAR(out[4], 4.0, 1e-12);          // %ID of A + B, dose 100 mg
  EXPECT_NEAR(out[5], 3.0 / 1.5, 1e-12);    // %ID/g of B (3 %ID in 1.5 g)
  EXPECT_NEAR(out[6], 1 * 3 / 2.0, 1e-12);  // expression
  // Dose modifiers from data columns.
  EXPECT_NEAR(model->dose_modifiers(model->state_index("D"), p, std::vector<double>{35}).lag_h, 0.5,
              1e-15);
}

TEST(Jacobian, AnalyticMatchesFiniteDifferencesForEveryLibraryModel) {
  for (const auto& name : library_model_names()) {
    const auto model = load_model(name);
    const auto p = model->default_parameters();
    std::vector<double> y0(static_cast<size_t>(model->num_states()));
    model->initial_state(p, y0);
    for (double& v : y0) v = v == 0 ? 1.0 : v;
    if (name == "b2_ev_cascade")
      y0 = {1e12, 1e11, 1e10, 1e9, 1e12, 1e12, 1e11, 0.9, 0.95, 0.05, 0.03, 0.02, 0.98};
    const double error = jacobian_error(*model, y0, p, 5, 11);
    // Expression processes (tmdd_qss) use finite differences themselves.
    EXPECT_LT(error, name == "tmdd_qss" ? 1e-5 : 1e-6) << name;
  }
}

}  // namespace
}  // namespace onset::models
