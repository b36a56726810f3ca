// The reference problems of shared/benchmarks/README.md as hand-written C++ models, used by
// the accuracy tests, the benchmarks and the demo. Equations in reference_problems.cpp.
#pragma once

#include <array>
#include <memory>
#include <string_view>
#include <vector>

#include "pk/model.hpp"
#include "pk/regimen.hpp"
#include "pk/simulate.hpp"

namespace onset::models {

// B1: two-compartment model (CL, V1, Q, V2), amounts A1, A2 in mg; observable C = A1/V1.
class TwoCompartmentB1 final : public pk::Model {
 public:
  std::string_view name() const override { return "b1_two_compartment"; }
  std::span<const pk::StateInfo> states() const override;
  std::span<const pk::ParameterInfo> parameters() const override;
  std::span<const pk::ObservableInfo> observables() const override;
  void rhs(double t, std::span<const double> y, std::span<const double> p,
           std::span<double> ydot) const override;
  bool has_jacobian() const override { return true; }
  void jacobian(double t, std::span<const double> y, std::span<const double> p,
                std::span<double> jac) const override;
  pk::Bandwidth bandwidth() const override { return {1, 1}; }
  void observe(double t, std::span<const double> y, std::span<const double> p,
               std::span<double> out) const override;
  bool linear_system(std::span<const double> p, std::span<double> a,
                     std::span<double> b) const override;
};

// B1's regimen: 7 doses of 1000 mg infused over 1 h every 24 h into A1.
pk::Regimen b1_regimen();
// B1's exact solution C(t) = A1(t)/V1 (mg/L) by superposition of infusions (sum of two
// exponentials), written independently of every solver, as the accuracy oracle.
double b1_exact_concentration(double t_h);

// B2: EV disposition, Kupffer-cell cargo and effect cascade (13 states, stiff, nonlinear).
class EvCascadeB2 final : public pk::Model {
 public:
  static constexpr int kP = 0, kE = 1, kDl = 2, kXe = 3, kDs = 4, kDo = 5, kM = 6, kT = 7, kR = 8,
                       kX1 = 9, kX2 = 10, kX3 = 11, kF = 12;
  std::string_view name() const override { return "b2_ev_cascade"; }
  std::span<const pk::StateInfo> states() const override;
  std::span<const pk::ParameterInfo> parameters() const override;
  std::span<const pk::ObservableInfo> observables() const override;
  void initial_state(std::span<const double> p, std::span<double> y0) const override;
  void rhs(double t, std::span<const double> y, std::span<const double> p,
           std::span<double> ydot) const override;
  bool has_jacobian() const override { return true; }
  void jacobian(double t, std::span<const double> y, std::span<const double> p,
                std::span<double> jac) const override;
  void observe(double t, std::span<const double> y, std::span<const double> p,
               std::span<double> out) const override;
};

// B2's regimen: 1e13 particles infused into P over the first hour.
pk::Regimen b2_regimen();
// B2's per-state absolute tolerances (1e-6 x scale).
std::vector<double> b2_atol(double factor = 1.0);

// B3: HIRES (Hairer & Wanner), 8 states.
class HiresB3 final : public pk::Model {
 public:
  std::string_view name() const override { return "b3_hires"; }
  std::span<const pk::StateInfo> states() const override;
  std::span<const pk::ParameterInfo> parameters() const override;
  std::span<const pk::ObservableInfo> observables() const override;
  void initial_state(std::span<const double> p, std::span<double> y0) const override;
  void rhs(double t, std::span<const double> y, std::span<const double> p,
           std::span<double> ydot) const override;
  bool has_jacobian() const override { return true; }
  void jacobian(double t, std::span<const double> y, std::span<const double> p,
                std::span<double> jac) const override;
  void observe(double t, std::span<const double> y, std::span<const double> p,
               std::span<double> out) const override;
};

inline constexpr double kHiresEnd = 321.8122;
// The IVP test set's published reference solution at t = 321.8122 (hires.f, Mazzia and
// Magherini, Bari).
inline constexpr std::array<double, 8> kHiresReference{
    7.3713125733256685e-04, 1.4424857263161851e-04, 5.8887297409675752e-05, 1.1756513432831491e-03,
    2.3863561988313308e-03, 6.2389682527427964e-03, 2.8499983951857689e-03, 2.8500016048142308e-03};

// A reference problem ready to run: model, regimen, output grid and crossings, and the
// spec's tolerances (B1 and B3 rtol 1e-8 / atol 1e-10; B2 rtol 1e-8 / atol 1e-6 x scale;
// B2 asks for the first time F falls to 0.9).
struct ReferenceCase {
  std::unique_ptr<pk::Model> model;
  pk::Regimen regimen;
  pk::SimulationRequest request;
  pk::SolverOptions options;
};
// name: "B1", "B2" or "B3" (case-insensitive). Throws std::invalid_argument otherwise.
ReferenceCase make_reference_case(std::string_view name);

}  // namespace onset::models
