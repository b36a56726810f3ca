// The standard library against independent solutions: every linear model against its
// closed-form sum of exponentials (written here, not taken from the models) to 1e-8
// relative; the four indirect response models against a hand-written C++ version solved at
// rtol 1e-12 by another backend, and against their qualitative signature; the Michaelis-Menten
// model against a hand-written version; B2 as a model file against models::EvCascadeB2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

#include "models/model_library.hpp"
#include "models/reference_problems.hpp"
#include "pk/simulate.hpp"

namespace onset::models {
namespace {

constexpr double kClosedFormTolerance = 1e-8;

// Amount in the observed compartment after a unit bolus, from its Laplace transform
//   A(s) = prod_z (s + z) / prod_l (s + l)   (distinct poles l):
//   A(t) = sum_l prod_z (z - l) / prod_{m != l} (m - l) exp(-l t).
double residue_sum(const std::vector<double>& zeros, const std::vector<double>& poles, double t) {
  double sum = 0;
  for (size_t i = 0; i < poles.size(); ++i) {
    double numerator = 1, denominator = 1;
    for (double z : zeros) numerator *= z - poles[i];
    for (size_t j = 0; j < poles.size(); ++j)
      if (j != i) denominator *= poles[j] - poles[i];
    sum += numerator / denominator * std::exp(-poles[i] * t);
  }
  return sum;
}

// Roots of s^2 - b s + c (both positive here).
std::vector<double> quadratic_roots(double b, double c) {
  const double root = std::sqrt(b * b - 4 * c);
  return {(b + root) / 2, (b - root) / 2};
}

// Real roots of s^3 - a2 s^2 + a1 s - a0 = 0 (three distinct positive roots for a
// three-compartment model), trigonometric method.
std::vector<double> cubic_roots(double a2, double a1, double a0) {
  // Substitute s = x + a2/3: x^3 + p x + q = 0.
  const double p = a1 - a2 * a2 / 3;
  const double q = -2 * a2 * a2 * a2 / 27 + a2 * a1 / 3 - a0;
  const double r = 2 * std::sqrt(-p / 3);
  const double phi = std::acos(3 * q / (p * r)) / 3;
  std::vector<double> roots;
  for (int k = 0; k < 3; ++k)
    roots.push_back(a2 / 3 + r * std::cos(phi - 2 * std::numbers::pi * k / 3));
  return roots;
}

struct Run {
  std::unique_ptr<pk::Model> model;
  pk::Trajectory traj;
};

Run run(const std::string& name, const pk::Regimen& regimen, const std::vector<double>& times,
        const std::vector<std::pair<std::string, double>>& params, pk::SolverOptions options = {}) {
  Run out;
  out.model = load_model(name);
  auto p = out.model->default_parameters();
  for (const auto& [param, value] : params) {
    const int index = out.model->parameter_index(param);
    EXPECT_GE(index, 0) << param;
    p[static_cast<size_t>(index)] = value;
  }
  pk::SimulationRequest request;
  request.output_times_h = times;
  request.outputs_before_doses = false;
  out.traj = pk::simulate(*out.model, regimen, p, request, options);
  EXPECT_TRUE(out.traj.ok()) << out.traj.message;
  return out;
}

std::vector<double> grid() { return pk::output_grid(0.25, 48, 0.25); }

void expect_close(const Run& r, const std::function<double(double)>& exact, const char* what) {
  double worst = 0;
  for (size_t k = 0; k < r.traj.num_times(); ++k) {
    const double want = exact(r.traj.times_h[k]);
    if (want < 1e-12) continue;
    worst = std::max(worst, std::fabs(r.traj.observable(k, 0) - want) / want);
  }
  EXPECT_LT(worst, kClosedFormTolerance) << what;
  std::printf("  %-44s max rel error vs closed form %.2e\n", what, worst);
}

TEST(Library, ListsTheStandardModels) {
  const auto names = library_model_names();
  for (const char* name :
       {"one_compartment_iv", "one_compartment_oral", "two_compartment_iv", "two_compartment_oral",
        "three_compartment_iv", "three_compartment_oral", "one_compartment_transit",
        "one_compartment_mm", "tmdd_qss", "effect_compartment_emax", "idr1_inhibit_kin",
        "idr2_inhibit_kout", "idr3_stimulate_kin", "idr4_stimulate_kout", "b2_ev_cascade"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  for (const auto& name : names) EXPECT_NO_THROW(load_model(name)) << name;
  // NONMEM-like names and compartment order of issue 3.
  const auto oral = load_model("one_compartment_oral");
  EXPECT_EQ(oral->state_index("depot"), 0);
  EXPECT_EQ(oral->state_index("central"), 1);
  EXPECT_GE(oral->parameter_index("KA"), 0);
  EXPECT_EQ(load_model("two_compartment_iv")->observables()[0].name, "CP");
}

// models/README.md, parameters: a parameter with a physical unit is a magnitude, positive
// unless the file declares a lower bound (`lower: -.inf` for a signed one); a dimensionless one
// is bounded only as declared; a negative default implies nothing.
TEST(Library, ParametersWithAPhysicalUnitArePositiveUnlessDeclaredOtherwise) {
  const std::string path = std::string(ONSET_BINARY_DIR) + "/library_test_positive.yaml";
  {
    std::ofstream out(path);
    out << "name: positive_by_unit\nparameters:\n"
           "  CL: {value: 1, unit: L/h}\n"
           "  V: \"10 L\"\n"
           "  SLOPE: {value: 0.5, unit: L/mg, lower: -.inf}\n"
           "  SHIFT: {value: -2, unit: mg/L}\n"
           "  E0: {value: 1, unit: \"1\"}\n"
           "  FR: {value: 0.3, unit: \"1\", bounds: [0, 1]}\n"
           "compartments:\n  central: {unit: mg, volume: V}\n"
           "processes:\n  - {name: elimination, type: first_order, from: central, k: CL}\n"
           "observables:\n  CP: {concentration: central, unit: mg/L}\n";
  }
  const auto model = load_file_model(path);
  const auto bounds = model->parameter_bounds();
  auto lower = [&](const char* name) {
    return bounds[static_cast<size_t>(model->parameter_index(name))].lower;
  };
  EXPECT_EQ(lower("CL"), 0.0);
  EXPECT_EQ(lower("V"), 0.0);  // the "value unit" shorthand too
  EXPECT_EQ(lower("SLOPE"), -INFINITY);
  EXPECT_EQ(lower("SHIFT"), -INFINITY);
  EXPECT_EQ(lower("E0"), -INFINITY);
  EXPECT_EQ(lower("FR"), 0.0);
  EXPECT_EQ(bounds[static_cast<size_t>(model->parameter_index("FR"))].upper, 1.0);
  EXPECT_EQ(bounds[static_cast<size_t>(model->parameter_index("CL"))].upper, INFINITY);
  std::remove(path.c_str());
}

TEST(Library, OneCompartmentIvBolusAndInfusion) {
  const double cl = 2, v = 15, k = cl / v, dose = 100, tinf = 2;
  pk::Regimen bolus{{{0, 0, dose, 0}}, {}};
  auto r = run("one_compartment_iv", bolus, grid(), {{"CL", cl}, {"V", v}});
  EXPECT_EQ(pk::Simulator(*r.model, {}).backend_used(), pk::Backend::kExactLinear);
  expect_close(
      r, [&](double t) { return dose / v * std::exp(-k * t); }, "one_compartment_iv bolus");
  pk::Regimen infusion{{{0, 0, dose, tinf}}, {}};
  auto ri = run("one_compartment_iv", infusion, grid(), {{"CL", cl}, {"V", v}});
  expect_close(
      ri,
      [&](double t) {
        const double rate = dose / tinf;
        return t <= tinf ? rate / cl * -std::expm1(-k * t)
                         : rate / cl * -std::expm1(-k * tinf) * std::exp(-k * (t - tinf));
      },
      "one_compartment_iv infusion");
}

TEST(Library, OneCompartmentOralWithLag) {
  const double ka = 1.3, cl = 1.1, v = 20, k = cl / v, dose = 100, lag = 0.6;
  pk::Regimen regimen{{{0, 0, dose, 0}}, {}};
  auto r = run("one_compartment_oral", regimen, grid(), {{"KA", ka}, {"CL", cl}, {"V", v}});
  expect_close(
      r,
      [&](double t) { return dose / v * ka / (ka - k) * (std::exp(-k * t) - std::exp(-ka * t)); },
      "one_compartment_oral");
  // The lag is a dose modifier (applied by the dose engine); here it shifts the dose itself.
  const auto mods = r.model->dose_modifiers(0, std::vector<double>{ka, cl, v, lag}, {});
  EXPECT_DOUBLE_EQ(mods.lag_h, lag);
  pk::Regimen lagged{{{mods.lag_h, 0, dose, 0}}, {}};
  auto rl = run("one_compartment_oral", lagged, grid(), {{"KA", ka}, {"CL", cl}, {"V", v}});
  expect_close(
      rl,
      [&](double t) {
        const double s = t - lag;
        return s <= 0 ? 0.0 : dose / v * ka / (ka - k) * (std::exp(-k * s) - std::exp(-ka * s));
      },
      "one_compartment_oral, lag 0.6 h");
}

TEST(Library, TwoCompartmentIvAndOral) {
  const double cl = 5, v1 = 10, q = 2, v2 = 40, ka = 0.9, dose = 1000;
  const double k10 = cl / v1, k12 = q / v1, k21 = q / v2;
  const auto poles = quadratic_roots(k10 + k12 + k21, k10 * k21);
  pk::Regimen regimen{{{0, 0, dose, 0}}, {}};
  auto r =
      run("two_compartment_iv", regimen, grid(), {{"CL", cl}, {"V1", v1}, {"Q", q}, {"V2", v2}});
  expect_close(
      r, [&](double t) { return dose / v1 * residue_sum({k21}, poles, t); },
      "two_compartment_iv bolus");
  auto ro = run("two_compartment_oral", regimen, grid(),
                {{"KA", ka}, {"CL", cl}, {"V1", v1}, {"Q", q}, {"V2", v2}});
  expect_close(
      ro,
      [&](double t) {
        return dose * ka / v1 * residue_sum({k21}, {poles[0], poles[1], ka}, t);
      },
      "two_compartment_oral");
  // B1 (7 infusions) through the library model against models::b1_exact_concentration.
  auto rb = run("two_compartment_iv", b1_regimen(), pk::output_grid(0.5, 168, 0.5),
                {{"CL", cl}, {"V1", v1}, {"Q", q}, {"V2", v2}});
  expect_close(rb, b1_exact_concentration, "two_compartment_iv, B1 infusions");
}

TEST(Library, ThreeCompartmentIvAndOral) {
  const double cl = 5, v1 = 10, q2 = 3, v2 = 20, q3 = 0.5, v3 = 100, ka = 1.7, dose = 500;
  const double k10 = cl / v1, k12 = q2 / v1, k21 = q2 / v2, k13 = q3 / v1, k31 = q3 / v3;
  const auto poles =
      cubic_roots(k10 + k12 + k13 + k21 + k31,
                  k10 * k21 + k10 * k31 + k21 * k31 + k21 * k13 + k31 * k12, k10 * k21 * k31);
  const std::vector<std::pair<std::string, double>> params{{"CL", cl}, {"V1", v1}, {"Q2", q2},
                                                           {"V2", v2}, {"Q3", q3}, {"V3", v3}};
  pk::Regimen regimen{{{0, 0, dose, 0}}, {}};
  auto r = run("three_compartment_iv", regimen, grid(), params);
  expect_close(
      r,
      [&](double t) {
        return dose / v1 * residue_sum({k21, k31}, poles, t);
      },
      "three_compartment_iv bolus");
  auto oral_params = params;
  oral_params.push_back({"KA", ka});
  auto ro = run("three_compartment_oral", regimen, grid(), oral_params);
  expect_close(
      ro,
      [&](double t) {
        return dose * ka / v1 * residue_sum({k21, k31}, {poles[0], poles[1], poles[2], ka}, t);
      },
      "three_compartment_oral");
}

TEST(Library, TransitAbsorption) {
  const double ktr = 2.5, cl = 1, v = 10, k = cl / v, dose = 100;
  const int n = 4;  // depot + 3 transit compartments
  pk::Regimen regimen{{{0, 0, dose, 0}}, {}};
  auto r = run("one_compartment_transit", regimen, grid(), {{"KTR", ktr}, {"CL", cl}, {"V", v}});
  expect_close(
      r,
      [&](double t) {
        const double a = ktr - k;
        double series = 0, term = 1;
        for (int j = 0; j < n; ++j) {
          series += term;
          term *= a * t / (j + 1);
        }
        return dose / v * std::pow(ktr / a, n) * (std::exp(-k * t) - std::exp(-ktr * t) * series);
      },
      "one_compartment_transit (n = 4)");
}

// --------------------------------------------------------------- nonlinear models
// A hand-written PK + indirect response model (Dayneka, Garg and Jusko 1993), the oracle.
class HandIdr final : public pk::Model {
 public:
  explicit HandIdr(int type) : type_(type) {}
  std::string_view name() const override { return "hand_idr"; }
  std::span<const pk::StateInfo> states() const override { return states_; }
  std::span<const pk::ParameterInfo> parameters() const override { return params_; }
  std::span<const pk::ObservableInfo> observables() const override { return obs_; }
  void initial_state(std::span<const double> p, std::span<double> y0) const override {
    y0[0] = 0;
    y0[1] = p[2] / p[3];
  }
  void rhs(double, std::span<const double> y, std::span<const double> p,
           std::span<double> d) const override {
    const double cl = p[0], v = p[1], kin = p[2], kout = p[3], mag = p[4], c50 = p[5];
    const double c = y[0] / v, frac = mag * c / (c50 + c);
    d[0] = -cl / v * y[0];
    switch (type_) {
      case 1:
        d[1] = kin * (1 - frac) - kout * y[1];
        break;
      case 2:
        d[1] = kin - kout * (1 - frac) * y[1];
        break;
      case 3:
        d[1] = kin * (1 + frac) - kout * y[1];
        break;
      default:
        d[1] = kin - kout * (1 + frac) * y[1];
        break;
    }
  }
  void observe(double, std::span<const double> y, std::span<const double> p,
               std::span<double> out) const override {
    out[0] = y[0] / p[1];
    out[1] = y[1];
  }

 private:
  int type_;
  std::vector<pk::StateInfo> states_{{"central", "mg"}, {"response", "1"}};
  std::vector<pk::ParameterInfo> params_{{"CL", "L/h", 1},  {"V", "L", 10},
                                         {"KIN", "1/h", 1}, {"KOUT", "1/h", 0.1},
                                         {"MAG", "1", 0.9}, {"C50", "mg/L", 1}};
  std::vector<pk::ObservableInfo> obs_{{"CP", "mg/L"}, {"R", "1"}};
};

TEST(Library, IndirectResponseModelsAgainstHandWrittenVersions) {
  const char* names[] = {"idr1_inhibit_kin", "idr2_inhibit_kout", "idr3_stimulate_kin",
                         "idr4_stimulate_kout"};
  const std::vector<double> times = pk::output_grid(0.5, 96, 0.5);
  for (int type = 1; type <= 4; ++type) {
    SCOPED_TRACE(names[type - 1]);
    const double mag = type <= 2 ? 0.9 : 2.0;
    pk::Regimen regimen{{{0, 0, 100, 0}}, {}};
    pk::SolverOptions file_options;  // onset_bdf at rtol 1e-10
    file_options.backend = pk::Backend::kOnsetBdf;
    file_options.rtol = 1e-10;
    file_options.atol = 1e-12;
    auto r = run(names[type - 1], regimen, times, {}, file_options);
    HandIdr hand(type);
    pk::SolverOptions oracle;
    oracle.backend = pk::Backend::kCvodesBdf;
    oracle.rtol = 1e-12;
    oracle.atol = 1e-14;
    pk::SimulationRequest request;
    request.output_times_h = times;
    const std::vector<double> p{1, 10, 1, 0.1, mag, 1};
    const auto want = pk::simulate(hand, regimen, p, request, oracle);
    ASSERT_TRUE(want.ok()) << want.message;
    double worst = 0;
    const int r_index = r.model->observable_index("R");
    for (size_t k = 0; k < times.size(); ++k)
      worst = std::max(worst, std::fabs(r.traj.observable(k, static_cast<size_t>(r_index)) -
                                        want.observable(k, 1)) /
                                  std::fabs(want.observable(k, 1)));
    EXPECT_LT(worst, 1e-8);
    std::printf("  %-22s max rel error of R vs hand-written (CVODES rtol 1e-12) %.2e\n",
                names[type - 1], worst);
  }
}

TEST(Library, IndirectResponseSignatureExtremeComesLaterForHigherDoses) {
  // Sharma and Jusko (1996): after a bolus, the time of the response's extreme (minimum for
  // inhibition of kin and stimulation of kout, maximum for the other two) increases with dose.
  const char* names[] = {"idr1_inhibit_kin", "idr2_inhibit_kout", "idr3_stimulate_kin",
                         "idr4_stimulate_kout"};
  const bool minimum[] = {true, false, false, true};
  const std::vector<double> times = pk::output_grid(0.0, 120, 0.02);
  for (int type = 0; type < 4; ++type) {
    double previous_time = -1;
    double previous_extreme = 1.0 / 0.1;  // baseline KIN/KOUT
    for (double dose : {10.0, 100.0, 1000.0}) {
      pk::Regimen regimen{{{0, 0, dose, 0}}, {}};
      auto r = run(names[type], regimen, times, {});
      const size_t ri = static_cast<size_t>(r.model->observable_index("R"));
      size_t best = 0;
      for (size_t k = 0; k < times.size(); ++k) {
        const double value = r.traj.observable(k, ri), current = r.traj.observable(best, ri);
        if (minimum[type] ? value < current : value > current) best = k;
      }
      const double extreme = r.traj.observable(best, ri);
      std::printf("  %-22s dose %6.0f mg: %s R = %.4f at t = %.2f h\n", names[type], dose,
                  minimum[type] ? "min" : "max", extreme, times[best]);
      EXPECT_GT(times[best], previous_time) << names[type] << " dose " << dose;
      if (minimum[type])
        EXPECT_LT(extreme, previous_extreme);
      else
        EXPECT_GT(extreme, previous_extreme);
      previous_time = times[best];
      previous_extreme = extreme;
    }
  }
}

TEST(Library, MichaelisMentenAgainstIntegratedForm) {
  // Bolus: the integrated Michaelis-Menten equation gives t(C) exactly:
  //   t = [ (C0 - C) + KM ln(C0 / C) ] V / VMAX.
  const double vmax = 10, km = 2, v = 10, dose = 100, c0 = dose / v;
  std::vector<double> cs;
  for (double c = 9.5; c > 0.05; c *= 0.8) cs.push_back(c);
  std::vector<double> times;
  for (double c : cs) times.push_back(((c0 - c) + km * std::log(c0 / c)) * v / vmax);
  pk::SolverOptions options;
  options.rtol = 1e-12;
  options.atol = 1e-14;
  options.backend = pk::Backend::kCvodesBdf;
  pk::Regimen regimen{{{0, 0, dose, 0}}, {}};
  auto r = run("one_compartment_mm", regimen, times, {}, options);
  double worst = 0;
  for (size_t k = 0; k < cs.size(); ++k)
    worst = std::max(worst, std::fabs(r.traj.observable(k, 0) - cs[k]) / cs[k]);
  EXPECT_LT(worst, 1e-8);
  std::printf("  one_compartment_mm max rel error vs integrated MM equation %.2e\n", worst);
}

// ------------------------------------------------------------------------------ B2
TEST(Library, B2ModelFileMatchesTheCppImplementation) {
  const auto file = load_model("b2_ev_cascade");
  const EvCascadeB2 cpp;
  ASSERT_EQ(file->num_states(), 13);
  ASSERT_EQ(file->num_parameters(), cpp.num_parameters());
  for (int i = 0; i < 13; ++i)
    EXPECT_EQ(file->states()[static_cast<size_t>(i)].name,
              cpp.states()[static_cast<size_t>(i)].name);
  const auto p = cpp.default_parameters();
  EXPECT_EQ(file->default_parameters(), p);
  // Same right-hand side and Jacobian at states along the way (to rounding).
  ReferenceCase reference = make_reference_case("B2");
  reference.options.rtol = 1e-12;
  reference.options.backend = pk::Backend::kCvodesBdf;
  for (double& atol : reference.options.atol_per_state) atol *= 1e-4;
  const auto want = pk::simulate(cpp, reference.regimen, p, reference.request, reference.options);
  ASSERT_TRUE(want.ok()) << want.message;
  double worst_rhs = 0, worst_jac = 0;
  for (size_t k = 0; k < want.num_times(); k += 37) {
    std::vector<double> y(13), f1(13), f2(13), j1(169, 0.0), j2(169, 0.0);
    for (size_t i = 0; i < 13; ++i) y[i] = want.state(k, i);
    cpp.rhs(0, y, p, f1);
    file->rhs(0, y, p, f2);
    cpp.jacobian(0, y, p, j1);
    file->jacobian(0, y, p, j2);
    for (size_t i = 0; i < 13; ++i)
      worst_rhs = std::max(worst_rhs, std::fabs(f1[i] - f2[i]) /
                                          (std::fabs(f1[i]) + reference.options.atol_per_state[i]));
    for (size_t i = 0; i < 169; ++i)
      worst_jac =
          std::max(worst_jac, std::fabs(j1[i] - j2[i]) / std::max(std::fabs(j1[i]), 1e-300));
  }
  EXPECT_LT(worst_rhs, 1e-10);  // rounding: terms are summed in another order
  EXPECT_LT(worst_jac, 1e-12);
  // Same trajectory, both solved tightly (CVODES, rtol 1e-12).
  const auto got = pk::simulate(*file, reference.regimen, p, reference.request, reference.options);
  ASSERT_TRUE(got.ok()) << got.message;
  double worst = 0;
  for (size_t k = 0; k < want.num_times(); ++k)
    for (size_t i = 0; i < 13; ++i) {
      const double scale = reference.options.atol_per_state[i] * 1e10;  // 1e13, 1e12 or 1
      worst = std::max(worst, std::fabs(got.state(k, i) - want.state(k, i)) /
                                  std::max(std::fabs(want.state(k, i)), 1e-6 * scale));
    }
  EXPECT_LT(worst, 1e-8);
  ASSERT_TRUE(got.crossings[0].time_h && want.crossings[0].time_h);
  EXPECT_NEAR(*got.crossings[0].time_h, *want.crossings[0].time_h, 1e-8 * 77.44);
  // The same with the production settings (onset_bdf, rtol 1e-8): identical step sequences are
  // not expected, agreement to the solver's accuracy is.
  ReferenceCase fast = make_reference_case("B2");
  fast.options.backend = pk::Backend::kOnsetBdf;
  const auto fast_cpp = pk::simulate(cpp, fast.regimen, p, fast.request, fast.options);
  const auto fast_file = pk::simulate(*file, fast.regimen, p, fast.request, fast.options);
  EXPECT_NEAR(*fast_file.crossings[0].time_h, *fast_cpp.crossings[0].time_h, 1e-6 * 77.44);
  std::printf(
      "  B2 file vs C++: rhs %.1e, Jacobian %.1e, trajectory (rtol 1e-12) %.2e, "
      "t(F=0.9) %.10f vs %.10f h\n",
      worst_rhs, worst_jac, worst, *got.crossings[0].time_h, *want.crossings[0].time_h);
}

}  // namespace
}  // namespace onset::models
