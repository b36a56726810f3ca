// Model files that report a linear time-invariant structure (models/linear_structure.hpp,
// FileModel::linear_system) must mean it: A y + b equals the evaluation plan's rhs at random
// states, times and parameter sets, to rounding; models with saturable, capacity-limited or
// effect-modulated processes, or expressions that are not affine in the states, say false.
#include "models/linear_structure.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "models/file_model.hpp"
#include "models/model_file.hpp"
#include "models/model_library.hpp"

namespace onset::models {
namespace {

// Worst |rhs_i - (A y + b)_i| / (sum_j |A_ij y_j| + |b_i| + |rhs_i|) over random positive states
// around y0, at several times; the denominator is the size of the terms summed, so rounding
// alone gives a few u. -1 when linear_system says false.
double affine_residual(const pk::Model& model, const std::vector<double>& p, unsigned seed) {
  const auto n = static_cast<size_t>(model.num_states());
  std::vector<double> a(n * n), b(n);
  if (!model.linear_system(p, a, b)) return -1;
  std::vector<double> y0(n);
  model.initial_state(p, y0);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> factor(0.0, 3.0);
  double worst = 0;
  for (double t : {0.0, 0.37, 7.5, 1000.0}) {
    for (int draw = 0; draw < 5; ++draw) {
      std::vector<double> y(n), f(n);
      for (size_t i = 0; i < n; ++i) y[i] = (y0[i] != 0 ? std::fabs(y0[i]) : 1.0) * factor(rng);
      model.rhs(t, y, p, f);
      for (size_t i = 0; i < n; ++i) {
        double affine = b[i], size = std::fabs(b[i]) + std::fabs(f[i]);
        for (size_t j = 0; j < n; ++j) {
          affine += a[i + n * j] * y[j];
          size += std::fabs(a[i + n * j] * y[j]);
        }
        if (size > 0) worst = std::max(worst, std::fabs(f[i] - affine) / size);
      }
    }
  }
  return worst;
}

// The default parameters times U(0.5, 2), kept within their bounds.
std::vector<double> perturbed(const FileModel& model, unsigned seed) {
  std::vector<double> p = model.default_parameters();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> factor(0.5, 2.0);
  const auto bounds = model.parameter_bounds();
  for (size_t k = 0; k < p.size(); ++k) {
    const double v = p[k] * factor(rng);
    p[k] = k < bounds.size() ? std::clamp(v, bounds[k].lower, bounds[k].upper) : v;
  }
  return p;
}

TEST(LinearStructure, EveryLibraryModelThatClaimsLinearityIsAffineInItsStates) {
  std::set<std::string> linear;
  for (const std::string& name : library_model_names()) {
    const auto model = load_file_model(name);
    std::vector<std::vector<double>> parameter_sets = {model->default_parameters()};
    for (unsigned s = 1; s <= 3; ++s) parameter_sets.push_back(perturbed(*model, s));
    bool claims = false;
    for (size_t k = 0; k < parameter_sets.size(); ++k) {
      const auto& p = parameter_sets[k];
      if (!model->check_parameters(p).empty()) continue;  // a derived volume not positive
      const double residual = affine_residual(*model, p, 19 + static_cast<unsigned>(k));
      if (residual < 0) {
        EXPECT_FALSE(claims) << name << ": linear for one parameter set, not for another";
        continue;
      }
      claims = true;
      // Rounding of sums of a few dozen terms: below 1e-13 of their size.
      EXPECT_LT(residual, 1e-13) << name << " (parameter set " << k << ")";
    }
    if (claims) linear.insert(name);
  }
  // The library's linear time-invariant models. Any model outside this list must say false,
  // and the list changes only with the library: compartmental PK without saturation, the
  // bilirubin, ammonia and marker models whose processes are first- or zero-order with rates
  // from parameters and derived values (conditionals on parameters included).
  const std::set<std::string> nonlinear = {
      "ascites",                 // peritoneal reabsorption is Michaelis-Menten
      "ev_cargo_cascade_human",  // saturable uptake, loading by expressions of two states
      "ev_cargo_cascade_mouse",
      "one_compartment_mm",  // Michaelis-Menten elimination
      "tmdd_qss",            // quasi-steady-state binding
      "idr1_inhibit_kin",    // turnover with an Imax effect of the drug on kin
      "glucose",
  };
  for (const std::string& name : nonlinear)
    EXPECT_EQ(linear.count(name), 0U) << name << " is nonlinear but claims linear_system";
  for (const char* name : {"bilirubin", "ammonia", "one_compartment_iv", "two_compartment_oral",
                           "three_compartment_iv"})
    EXPECT_EQ(linear.count(name), 1U) << name << " is linear time-invariant but says false";
  std::string list;
  for (const auto& name : linear) list += " " + name;
  std::printf("  linear library models:%s\n", list.c_str());
}

// bilirubin's hepatic function is a conditional on a parameter (0: the diseased baseline HF0,
// > 0: that multiple of normal), which the case report changes: linear on both branches, and
// A changes with it.
TEST(LinearStructure, BilirubinIsLinearOnBothBranchesOfItsHepaticFunction) {
  const auto model = load_file_model("bilirubin");
  std::vector<double> p = model->default_parameters();
  const int hf = model->parameter_index("hepatic_function");
  ASSERT_GE(hf, 0);
  const auto n = static_cast<size_t>(model->num_states());
  std::vector<double> a0(n * n), b0(n), a1(n * n), b1(n);
  p[static_cast<size_t>(hf)] = 0;
  ASSERT_TRUE(model->linear_system(p, a0, b0));
  EXPECT_LT(affine_residual(*model, p, 3), 1e-13);
  p[static_cast<size_t>(hf)] = 1;
  ASSERT_TRUE(model->linear_system(p, a1, b1));
  EXPECT_LT(affine_residual(*model, p, 4), 1e-13);
  EXPECT_NE(a0, a1);  // a repaired liver clears faster
  // Reflux of conjugate (zero-order into cb_plasma) stops once the liver works.
  const int cb = model->state_index("cb_plasma");
  EXPECT_GT(b0[static_cast<size_t>(cb)], 0);
  EXPECT_EQ(b1[static_cast<size_t>(cb)], 0);
}

std::string model_with_rate(const std::string& process) {
  return "name: probe\n"
         "parameters:\n"
         "  K: {value: 0.3, unit: 1/h}\n"
         "  V: {value: 2, unit: L}\n"
         "  S: {value: 1, unit: \"1\"}\n"
         "  R0: {value: 0.2, unit: mg/h}\n"
         "  VMAX: {value: 1, unit: mg/h}\n"
         "  KM: {value: 0.5, unit: mg}\n"
         "  SLOPE: {value: 0.1, unit: L/mg}\n"
         "derived:\n"
         "  K2: {expression: \"S > 0 ? 2 * K : K\", unit: 1/h}\n"
         "compartments:\n"
         "  A: {unit: mg, volume: V, initial: 3}\n"
         "  B: {unit: mg, initial: 1}\n"
         "processes:\n"
         "  - {type: first_order, from: A, to: B, k: K2}\n"
         "  - " +
         process +
         "\n"
         "observables:\n"
         "  CA: {concentration: A, unit: mg/L}\n";
}

bool linear_probe(const std::string& process) {
  const auto model = compile_model_text(model_with_rate(process), "probe.yaml");
  const auto n = static_cast<size_t>(model->num_states());
  std::vector<double> a(n * n), b(n);
  const bool linear = model->linear_system(model->default_parameters(), a, b);
  if (linear) {
    EXPECT_LT(affine_residual(*model, model->default_parameters(), 5), 1e-13) << process;
  }
  return linear;
}

TEST(LinearStructure, ExpressionRatesAreLinearOnlyWhenAffineInTheStatesAndFreeOfTime) {
  // Affine: sums and differences of states scaled by parameters, derived values and numbers,
  // division by them, a branch chosen by a condition on parameters.
  EXPECT_TRUE(linear_probe(
      "{type: expression, from: B, to: A, rate: \"K * (B - 0.5 * A) / 2 + K2 * V\", unit: mg/h}"));
  EXPECT_TRUE(linear_probe("{type: expression, from: B, rate: \"-(B / V) * K * V\", unit: mg/h}"));
  EXPECT_TRUE(
      linear_probe("{type: expression, from: B, rate: \"S > 0 ? K * B : K2 * A\", unit: mg/h}"));
  EXPECT_TRUE(linear_probe("{type: expression, to: B, rate: \"exp(K) * V\", unit: mg/h}"));
  // Not affine, or not time-invariant.
  EXPECT_FALSE(linear_probe("{type: expression, from: B, rate: \"K * A * B\", unit: mg/h}"));
  EXPECT_FALSE(linear_probe("{type: expression, from: B, rate: \"K * B / (1 + A)\", unit: mg/h}"));
  EXPECT_FALSE(linear_probe("{type: expression, from: B, rate: \"K * B^2\", unit: mg/h}"));
  EXPECT_FALSE(linear_probe("{type: expression, from: B, rate: \"K * B * t\", unit: mg/h}"));
  EXPECT_FALSE(linear_probe("{type: expression, to: B, rate: \"K * t\", unit: mg/h}"));
  EXPECT_FALSE(linear_probe("{type: expression, from: B, rate: \"abs(K * B)\", unit: mg/h}"));
  EXPECT_FALSE(
      linear_probe("{type: expression, from: B, rate: \"A > 1 ? K * B : 0\", unit: mg/h}"));
  // Typed laws.
  EXPECT_TRUE(linear_probe("{type: zero_order, to: B, rate: R0}"));
  EXPECT_TRUE(linear_probe("{type: first_order, of: A, to: B, k: K}"));
  EXPECT_FALSE(linear_probe("{type: michaelis_menten, from: B, vmax: VMAX, km: KM}"));
  EXPECT_FALSE(linear_probe(
      "{type: first_order, from: B, k: K, effect: {type: linear, by: CA, slope: SLOPE}}"));
}

}  // namespace
}  // namespace onset::models
