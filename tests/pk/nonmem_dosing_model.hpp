// The nmtests control stream (shared/data/nonmem-dosing/model.ctl) as a hand-written model:
// ADVAN2 TRANS2, one compartment with first-order absorption.
//   dA1/dt = -KA A1                    (depot, CMT 1)
//   dA2/dt =  KA A1 - CL/V A2          (central, CMT 2)
//   CP = A2 / (V / 1000)
//   ALAG2 = LAGT, F2 = BIOAV, R2 = RAT2 if MODE = 1, D2 = DUR2 if MODE = 2 (data columns).
// CL = 1.1, V = 20, KA = 1.5.
#pragma once

#include <array>
#include <string>

#include "pk/model.hpp"

namespace onset::test_models {

class NonmemDosingModel : public pk::Model {
 public:
  std::string_view name() const override { return "nmtests_advan2"; }
  std::span<const pk::StateInfo> states() const override { return states_; }
  std::span<const pk::ParameterInfo> parameters() const override { return parameters_; }
  std::span<const pk::ObservableInfo> observables() const override { return observables_; }
  void rhs(double, std::span<const double> y, std::span<const double> p,
           std::span<double> ydot) const override {
    ydot[0] = -p[2] * y[0];
    ydot[1] = p[2] * y[0] - p[0] / p[1] * y[1];
  }
  bool has_jacobian() const override { return true; }
  void jacobian(double, std::span<const double>, std::span<const double> p,
                std::span<double> jac) const override {
    jac[0] = -p[2];
    jac[1] = p[2];
    jac[3] = -p[0] / p[1];
  }
  void observe(double, std::span<const double> y, std::span<const double> p,
               std::span<double> out) const override {
    out[0] = y[1] / (p[1] / 1000.0);
  }
  bool linear_system(std::span<const double> p, std::span<double> a,
                     std::span<double> b) const override {
    a[0] = -p[2];
    a[1] = p[2];
    a[2] = 0;
    a[3] = -p[0] / p[1];
    b[0] = b[1] = 0;
    return true;
  }
  std::span<const std::string> covariates() const override { return covariates_; }
  pk::DoseModifiers dose_modifiers(int state, std::span<const double>,
                                   std::span<const double> c) const override {
    pk::DoseModifiers mods;
    if (state != 1) return mods;
    mods.lag_h = c[0];
    mods.bioavailability = c[4];
    if (c[1] == 1) mods.rate = c[3];
    if (c[1] == 2) mods.duration_h = c[2];
    return mods;
  }

 private:
  std::array<pk::StateInfo, 2> states_{{{"depot", "mg"}, {"central", "mg"}}};
  std::array<pk::ParameterInfo, 3> parameters_{
      {{"CL", "L/h", 1.1}, {"V", "L", 20}, {"KA", "1/h", 1.5}}};
  std::array<pk::ObservableInfo, 1> observables_{{{"CP", "ng/mL"}}};
  std::array<std::string, 5> covariates_{"LAGT", "MODE", "DUR2", "RAT2", "BIOAV"};
};

}  // namespace onset::test_models
