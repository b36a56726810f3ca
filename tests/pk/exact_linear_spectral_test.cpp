// The spectral propagator of exact_linear (pk/exact_linear_integrator.hpp): one
// eigendecomposition per parameter set, then any step length in O(n^2). Against closed forms
// (one- and two-compartment), against the Pade exponential of the augmented matrix, against
// onset_bdf at tight tolerance on the library's bilirubin and ammonia models (the case report's
// jaundice and consciousness checks, which `auto` now solves exactly); and it declines what it
// cannot do accurately (complex eigenvalues, a defective matrix).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <unsupported/Eigen/MatrixFunctions>
#include <vector>

#include "models/model_library.hpp"
#include "pk/exact_linear_integrator.hpp"
#include "pk/simulate.hpp"

namespace onset::pk {
namespace {

Eigen::VectorXd step(LinearSpectrum& spectrum, double dt, const Eigen::VectorXd& y0) {
  Eigen::VectorXd y1(y0.size());
  spectrum.propagate(dt, y0.data(), y1.data());
  return y1;
}

// One compartment with elimination k and a constant infusion c: y(t) = y0 e^{-k t} +
// c (1 - e^{-k t}) / k (Gibaldi and Perrier, Pharmacokinetics, 2nd ed., 1982, chapter 1).
TEST(LinearSpectrum, OneCompartmentInfusionMatchesTheClosedFormAtAnyStep) {
  const double k = 0.35, c = 12.5, y0 = 40;
  LinearSpectrum spectrum;
  ASSERT_TRUE(spectrum.set(Eigen::MatrixXd::Constant(1, 1, -k)));
  spectrum.set_input(Eigen::VectorXd::Constant(1, c));
  for (double dt : {1e-9, 1e-3, 0.5, 2.0, 24.0, 300.0, 2000.0}) {
    const double exact = y0 * std::exp(-k * dt) - c * std::expm1(-k * dt) / k;
    const double got = step(spectrum, dt, Eigen::VectorXd::Constant(1, y0))[0];
    // A few roundings of exp and expm1 (each within 1 ulp in glibc).
    EXPECT_NEAR(got, exact, 4e-16 * exact) << "dt = " << dt;
    EXPECT_LE(spectrum.error_bound(dt), 1e-11);
  }
}

// Two compartments (k10, k12, k21), a bolus into the central one: A1(t) = D ((alpha - k21)
// e^{-alpha t} + (k21 - beta) e^{-beta t}) / (alpha - beta), A2(t) = D k12 (e^{-beta t} -
// e^{-alpha t}) / (alpha - beta), alpha and beta the roots of s^2 - (k10 + k12 + k21) s +
// k10 k21 (Gibaldi and Perrier, chapter 2).
TEST(LinearSpectrum, TwoCompartmentBolusMatchesTheBiexponential) {
  const double k10 = 0.5, k12 = 0.2, k21 = 0.05, dose = 100;
  Eigen::MatrixXd a(2, 2);
  a << -(k10 + k12), k21, k12, -k21;
  const double sum = k10 + k12 + k21, product = k10 * k21;
  const double alpha = (sum + std::sqrt(sum * sum - 4 * product)) / 2, beta = product / alpha;
  LinearSpectrum spectrum;
  ASSERT_TRUE(spectrum.set(a));
  spectrum.set_input(Eigen::VectorXd::Zero(2));
  const Eigen::VectorXd y0 = Eigen::Vector2d(dose, 0);
  for (double t : {0.01, 0.25, 1.0, 4.0, 12.0, 50.0, 200.0}) {
    const double central =
        dose * ((alpha - k21) * std::exp(-alpha * t) + (k21 - beta) * std::exp(-beta * t)) /
        (alpha - beta);
    const double peripheral =
        dose * k12 * (std::exp(-beta * t) - std::exp(-alpha * t)) / (alpha - beta);
    const Eigen::VectorXd y = step(spectrum, t, y0);
    // The bound in the header, with a factor 10 for the closed form's own rounding.
    const double tolerance = 10 * spectrum.error_bound(t) + 1e-15;
    EXPECT_NEAR(y[0], central, tolerance * dose) << "t = " << t;
    EXPECT_NEAR(y[1], peripheral, tolerance * dose) << "t = " << t;
  }
}

// A sink (singular A): absorption into a compartment nothing leaves, fed by a constant input.
// y1 = c (1 - e^{-k t}) / k, y2 = c t - y1 (mass balance: everything infused is somewhere).
TEST(LinearSpectrum, ASinkCompartmentKeepsTheMass) {
  const double k = 2.0, c = 3.0;
  Eigen::MatrixXd a(2, 2);
  a << -k, 0, k, 0;
  LinearSpectrum spectrum;
  ASSERT_TRUE(spectrum.set(a));
  spectrum.set_input(Eigen::Vector2d(c, 0));
  for (double t : {1e-6, 0.3, 5.0, 100.0}) {
    const Eigen::VectorXd y = step(spectrum, t, Eigen::Vector2d::Zero());
    const double first = -c * std::expm1(-k * t) / k;
    EXPECT_NEAR(y[0], first, 1e-14 * (first + 1e-300) + 1e-300);
    EXPECT_NEAR(y[0] + y[1], c * t, 1e-14 * c * t);
  }
}

// Random compartmental systems with detailed balance (exchange between compartments with
// k_ij V_i = k_ji V_j, plus eliminations): similar to a symmetric matrix, so every eigenvalue
// is real, as for most compartmental models. The spectral step agrees, within its bound, with
// the Pade exponential of the augmented matrix [[A, I], [0, 0]] computed in long double (x87,
// u = 2^-64, 2,048 times finer than double). The double-precision Pade exponential is no
// reference here: on trials 0 and 33 (n = 2, dt = 500 h) it is off by 1.4e-14 and 1.3e-14 of
// the state, above its own u ||A dt||_1 (5e-15 and 1e-16), where the spectral step is within
// 2e-16.
TEST(LinearSpectrum, AgreesWithALongDoubleExponentialOnRandomCompartmentalSystems) {
  using MatrixL = Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic>;
  using VectorL = Eigen::Matrix<long double, Eigen::Dynamic, 1>;
  std::mt19937_64 rng(14);
  std::uniform_real_distribution<double> log_rate(-3, 1), uniform(0, 1);
  double worst_ratio = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const int n = 2 + trial % 11;
    Eigen::VectorXd volume(n);
    for (int i = 0; i < n; ++i) volume[i] = 0.5 + 5 * uniform(rng);
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) {
        if (uniform(rng) < 0.4) continue;
        const double q = std::pow(10.0, log_rate(rng));  // flow between i and j
        a(j, i) += q / volume[i];
        a(i, i) -= q / volume[i];
        a(i, j) += q / volume[j];
        a(j, j) -= q / volume[j];
      }
    for (int i = 0; i < n; ++i)
      if (uniform(rng) < 0.5) a(i, i) -= std::pow(10.0, log_rate(rng));
    Eigen::VectorXd c(n), y0(n);
    for (int i = 0; i < n; ++i) {
      c[i] = uniform(rng) < 0.3 ? 10 * uniform(rng) : 0.0;
      y0[i] = 100 * uniform(rng);
    }
    LinearSpectrum spectrum;
    ASSERT_TRUE(spectrum.set(a)) << "trial " << trial;
    spectrum.set_input(c);
    for (double dt : {0.01, 1.0, 30.0, 500.0}) {
      MatrixL augmented = MatrixL::Zero(2 * n, 2 * n);
      augmented.topLeftCorner(n, n) = a.cast<long double>() * static_cast<long double>(dt);
      augmented.topRightCorner(n, n) = MatrixL::Identity(n, n) * static_cast<long double>(dt);
      const MatrixL e = augmented.exp();
      const VectorL reference = e.topLeftCorner(n, n) * y0.cast<long double>() +
                                e.topRightCorner(n, n) * c.cast<long double>();
      const Eigen::VectorXd spectral = step(spectrum, dt, y0);
      const double scale = y0.cwiseAbs().sum() + dt * c.cwiseAbs().sum();
      const double error =
          static_cast<double>((spectral.cast<long double>() - reference).cwiseAbs().sum()) / scale;
      EXPECT_LE(error, spectrum.error_bound(dt))
          << "trial " << trial << ", n = " << n << ", dt = " << dt;
      worst_ratio = std::max(worst_ratio, error / spectrum.error_bound(dt));
    }
  }
  std::printf("  worst error / bound: %.3g\n", worst_ratio);
}

TEST(LinearSpectrum, DeclinesComplexEigenvaluesAndDefectiveMatrices) {
  // A rotation (a predator-prey-like exchange): eigenvalues +-i.
  Eigen::MatrixXd rotation(2, 2);
  rotation << -0.1, 1, -1, -0.1;
  LinearSpectrum spectrum;
  EXPECT_FALSE(spectrum.set(rotation));
  EXPECT_FALSE(spectrum.usable());
  // KA = k: the one-compartment oral model with equal absorption and elimination rates, a
  // Jordan block (t e^{-k t} in the solution); the eigenvectors are (nearly) parallel, so the
  // bound is far above any tolerance and the Pade path takes the step.
  Eigen::MatrixXd jordan(2, 2);
  jordan << -0.7, 0, 0.7, -0.7;
  if (spectrum.set(jordan)) {
    EXPECT_GT(spectrum.error_bound(1.0), 1e-3);
  }
  // Not finite.
  Eigen::MatrixXd bad = Eigen::MatrixXd::Identity(2, 2);
  bad(0, 1) = std::nan("");
  EXPECT_FALSE(spectrum.set(bad));
}

// The one-compartment oral model at KA = k through the simulator: the spectral path declines,
// the Pade path solves it, and C(t) is the closed form D k t e^{-k t} / V.
TEST(LinearSpectrum, EqualRatesStillSolvedExactlyByThePadePath) {
  const auto model = models::load_model("one_compartment_oral");
  std::vector<double> p = model->default_parameters();
  const int ka = model->parameter_index("KA"), cl = model->parameter_index("CL"),
            v = model->parameter_index("V");
  ASSERT_GE(ka, 0);
  ASSERT_GE(cl, 0);
  ASSERT_GE(v, 0);
  const double k = p[static_cast<size_t>(cl)] / p[static_cast<size_t>(v)];
  p[static_cast<size_t>(ka)] = k;
  Regimen regimen;
  regimen.doses.push_back({0.0, model->state_index("depot"), 100.0, 0.0});
  SimulationRequest request;
  request.output_times_h = {0.5, 2.0, 8.0, 24.0};
  request.record_states = true;
  SolverOptions options;
  options.backend = Backend::kExactLinear;
  options.rtol = 1e-8;
  const Trajectory result = simulate(*model, regimen, p, request, options);
  ASSERT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.backend_used, Backend::kExactLinear);
  const int central = model->state_index("central");
  for (size_t i = 0; i < request.output_times_h.size(); ++i) {
    const double t = request.output_times_h[i];
    const double expected = 100 * k * t * std::exp(-k * t);
    EXPECT_NEAR(result.state(i, static_cast<size_t>(central)), expected, 1e-10 * expected);
  }
}

// The case report's checks on bilirubin (7 states: the jaundice check) and ammonia (2 states:
// consciousness), as `onset check` runs them: the liver repaired at t = 0 (hepatic_function =
// 1), the onset grid (0, then 25 times log-spaced from claimed/64 to the horizon, claimed 4 h),
// a falling crossing. `auto` now solves them exactly, at the cost of one eigendecomposition
// and no matrix exponential per run.
SimulationRequest check_request(const Model& model, const char* observable, double threshold,
                                double horizon_h) {
  SimulationRequest request;
  const double claimed = 4;
  request.output_times_h.push_back(0);
  for (int i = 0; i <= 24; ++i) {
    const double t = claimed / 64 * std::pow(64 * horizon_h / claimed, i / 24.0);
    if (t > request.output_times_h.back() && t < horizon_h) request.output_times_h.push_back(t);
  }
  request.output_times_h.push_back(horizon_h);
  request.t_end_h = horizon_h;
  request.crossings = {{model.observable_index(observable), threshold, Direction::kFalling}};
  return request;
}

Trajectory solve_with_auto(const Model& model, const std::vector<double>& p,
                           const SimulationRequest& request) {
  SolverOptions options;  // the check's defaults: rtol 1e-6, atol 1e-9
  options.rtol = 1e-6;
  options.atol = 1e-9;
  return simulate(model, Regimen{}, p, request, options);
}

// Scleral pigment falls below 2.5 mg/dL (icterus gone). Against onset_bdf at rtol 1e-11: the
// crossing and every output to 1e-8 relative (the reference's own error is about 1e-9 here).
TEST(LinearSpectrum, BilirubinCheckMatchesOnsetBdfAtTightTolerance) {
  const auto model = models::load_model("bilirubin");
  std::vector<double> p = model->default_parameters();
  p[static_cast<size_t>(model->parameter_index("hepatic_function"))] = 1;
  const SimulationRequest request = check_request(*model, "skin_bilirubin", 2.5, 2000);
  const Trajectory exact = solve_with_auto(*model, p, request);
  SolverOptions tight;
  tight.backend = Backend::kOnsetBdf;
  tight.rtol = 1e-11;
  tight.atol = 1e-13;
  const Trajectory reference = simulate(*model, Regimen{}, p, request, tight);
  ASSERT_TRUE(exact.ok()) << exact.message;
  ASSERT_TRUE(reference.ok()) << reference.message;
  EXPECT_EQ(exact.backend_used, Backend::kExactLinear) << exact.backend_reason;
  EXPECT_EQ(exact.stats.linear_setups, 1);  // the eigendecomposition; no exponential
  ASSERT_TRUE(exact.crossings[0].time_h);
  ASSERT_TRUE(reference.crossings[0].time_h);
  EXPECT_NEAR(*exact.crossings[0].time_h, *reference.crossings[0].time_h,
              1e-8 * *reference.crossings[0].time_h);
  const auto o = static_cast<size_t>(model->observable_index("skin_bilirubin"));
  for (size_t k = 0; k < exact.num_times(); ++k) {
    const double r = reference.observable(k, o);
    EXPECT_NEAR(exact.observable(k, o), r, 1e-8 * std::fabs(r) + 1e-12)
        << "t = " << exact.times_h[k];
  }
}

// A model with the states its observables read hidden (Model::observable_states empty): the
// same equations, linear system and observables otherwise.
class WithoutObservableStates final : public Model {
 public:
  explicit WithoutObservableStates(const Model& inner) : inner_(inner) {}
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
  size_t workspace_size() const override { return inner_.workspace_size(); }
  void prepare(std::span<const double> p, std::span<double> workspace) const override {
    inner_.prepare(p, workspace);
  }
  double observable_prepared(int o, double t, std::span<const double> y, std::span<const double> p,
                             std::span<double> workspace,
                             std::span<double> scratch) const override {
    return inner_.observable_prepared(o, t, y, p, workspace, scratch);
  }
  void observe_prepared(double t, std::span<const double> y, std::span<const double> p,
                        std::span<double> workspace, std::span<double> out) const override {
    inner_.observe_prepared(t, y, p, workspace, out);
  }
  void observe(double t, std::span<const double> y, std::span<const double> p,
               std::span<double> out) const override {
    inner_.observe(t, y, p, out);
  }
  bool linear_system(std::span<const double> p, std::span<double> a,
                     std::span<double> b) const override {
    return inner_.linear_system(p, a, b);
  }

 private:
  const Model& inner_;
};

// Inside an output interval the scan computes only the states the crossing functions read
// (Model::observable_states: the sclera pigment, one of the bilirubin model's 7 states), and
// every state at the interval's end: the crossing and every output are those of a scan that
// computes every state, bit for bit.
TEST(LinearSpectrum, ScanOfTheStatesTheCrossingReadsEqualsTheFullScanBitForBit) {
  const auto model = models::load_model("bilirubin");
  const WithoutObservableStates hidden(*model);
  const int o = model->observable_index("skin_bilirubin");
  ASSERT_EQ(model->observable_states(o).size(), 1u);
  ASSERT_TRUE(hidden.observable_states(o).empty());
  std::vector<double> p = model->default_parameters();
  p[static_cast<size_t>(model->parameter_index("hepatic_function"))] = 1;
  const SimulationRequest request = check_request(*model, "skin_bilirubin", 2.5, 2000);
  SolverOptions options;
  options.backend = Backend::kExactLinear;
  const Trajectory rows = simulate(*model, Regimen{}, p, request, options);
  const Trajectory full = simulate(hidden, Regimen{}, p, request, options);
  ASSERT_TRUE(rows.ok() && full.ok()) << rows.message << full.message;
  ASSERT_TRUE(rows.crossings[0].time_h && full.crossings[0].time_h);
  EXPECT_EQ(*rows.crossings[0].time_h, *full.crossings[0].time_h);
  ASSERT_EQ(rows.observables.size(), full.observables.size());
  for (size_t k = 0; k < rows.observables.size(); ++k)
    ASSERT_EQ(rows.observables[k], full.observables[k]) << "entry " << k;
  ASSERT_EQ(rows.states.size(), full.states.size());
  for (size_t k = 0; k < rows.states.size(); ++k)
    ASSERT_EQ(rows.states[k], full.states[k]) << "state entry " << k;

  // The entries from_modes_rows() computes are from_modes()'s, bit for bit (the crossing
  // functions between outputs see what a full scan would give them), at every size of the
  // unrolled kernels and above, on random systems and modes; the others are left as they were.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> uniform(-1, 1);
  for (int n = 1; n <= 18; ++n) {
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
    for (int i = 0; i < n; ++i) {
      a(i, i) = -(1 + i + 0.5 * uniform(rng));  // distinct real eigenvalues (triangular)
      for (int j = 0; j < i; ++j) a(i, j) = uniform(rng);
    }
    LinearSpectrum spectrum;
    ASSERT_TRUE(spectrum.set(a)) << n;
    std::vector<double> z(static_cast<size_t>(n)), whole(z.size()), some(z.size(), -7.0);
    for (double& v : z) v = 1e3 * uniform(rng);
    spectrum.from_modes(z.data(), whole.data());
    std::vector<int> rows;
    for (int i = n % 2; i < n; i += 2) rows.push_back(i);
    spectrum.from_modes_rows(z.data(), some.data(), rows);
    for (int i = 0; i < n; ++i) {
      if (i % 2 == n % 2)
        EXPECT_EQ(some[static_cast<size_t>(i)], whole[static_cast<size_t>(i)]) << n << ", " << i;
      else
        EXPECT_EQ(some[static_cast<size_t>(i)], -7.0) << n << ", " << i;
    }
  }
}

// The brain's ammonia drive falls to half its baseline excess. With the liver repaired the
// model has a closed form: plasma C(t) = C_n + (C0 - C_n) e^{-k t} (k = CL/V, the production
// C_n CL balancing clearance at C_n), and the brain, dB/dt = (C - B)/tau, B(0) = C0, gives the
// observable (B - C_n)/(C0 - C_n) = kb (e^{-k t} - e^{-kb t})/(kb - k) + e^{-kb t}, kb = 1/tau.
// onset_bdf is no reference here: at rtol 1e-11 its excess is off by 1.5e-12 at 1000 h, where the
// true value is 1e-18, and by 1e-10 at 133 h.
TEST(LinearSpectrum, AmmoniaCheckMatchesTheClosedForm) {
  const auto model = models::load_model("ammonia");
  std::vector<double> p = model->default_parameters();
  auto value = [&](const char* name) {
    return p[static_cast<size_t>(model->parameter_index(name))];
  };
  p[static_cast<size_t>(model->parameter_index("hepatic_function"))] = 1;
  const double k =
      value("whole_body_ammonia_clearance") * 60 / value("ammonia_distribution_volume");
  const double kb = 1 / value("he_resolution_time");
  auto excess = [&](double t) {
    return kb * (std::exp(-k * t) - std::exp(-kb * t)) / (kb - k) + std::exp(-kb * t);
  };
  const SimulationRequest request = check_request(*model, "encephalopathy_excess", 0.5, 1000);
  const Trajectory exact = solve_with_auto(*model, p, request);
  ASSERT_TRUE(exact.ok()) << exact.message;
  EXPECT_EQ(exact.backend_used, Backend::kExactLinear) << exact.backend_reason;
  EXPECT_EQ(exact.stats.linear_setups, 1);
  // The closed form's crossing, by bisection (excess falls monotonically after its early rise).
  double lo = 1, hi = 1000;
  for (int i = 0; i < 200; ++i) (excess(0.5 * (lo + hi)) > 0.5 ? lo : hi) = 0.5 * (lo + hi);
  ASSERT_TRUE(exact.crossings[0].time_h);
  EXPECT_NEAR(*exact.crossings[0].time_h, hi, 1e-10 * hi);
  const auto o = static_cast<size_t>(model->observable_index("encephalopathy_excess"));
  for (size_t i = 0; i < exact.num_times(); ++i) {
    // The observable is a difference of levels near 100 umol/L over 49: rounding of the
    // brain level (1e-14 of 100) gives about 1e-14 absolute.
    const double expected = excess(exact.times_h[i]);
    EXPECT_NEAR(exact.observable(i, o), expected, 1e-10 * expected + 1e-13)
        << "t = " << exact.times_h[i];
  }
}

// The ascites model reabsorbs by Michaelis-Menten: nonlinear, so `auto` keeps it on onset_bdf.
TEST(LinearSpectrum, AutoKeepsANonlinearModelFileOnOnsetBdf) {
  const auto model = models::load_model("ascites");
  SolverOptions options;
  std::string reason;
  EXPECT_EQ(resolve_backend(*model, &options, &reason), Backend::kOnsetBdf) << reason;
  const auto bilirubin = models::load_model("bilirubin");
  EXPECT_EQ(resolve_backend(*bilirubin, &options, &reason), Backend::kExactLinear) << reason;
}

}  // namespace
}  // namespace onset::pk
