// Reference problems B1-B3 (shared/benchmarks/README.md).
//
// B1  dA1/dt = R(t) - (CL/V1 + Q/V1) A1 + (Q/V2) A2
//     dA2/dt = (Q/V1) A1 - (Q/V2) A2                      C = A1/V1
//     CL = 5 L/h, V1 = 10 L, Q = 2 L/h, V2 = 40 L; 7 x 1000 mg over 1 h every 24 h.
//
// B2  Cp = P/Vp, vKC = Vmax Cp/(Km + Cp), m = M/Nkc
//     dP/dt = Rinf(t) - vKC - kS P - kO P     dE/dt = vKC - (klys + kesc) E
//     dDl/dt = klys E   dXe/dt = kesc E   dDs/dt = kS P   dDo/dt = kO P
//     dM/dt = nmir kesc E - kmdeg M
//     dT/dt = kt - kt (1 + Smax m/(SC50 + m)) T       dR/dt = kp (T - R)
//     dX1/dt = ktr ((1 - R) - X1)   dX2/dt = ktr (X1 - X2)   dX3/dt = ktr (X2 - X3)
//     dF/dt = kf - kf (1 + Ef X3) F
//     A solver benchmark, not a biological estimate (values chosen to make every state move).
//
// B3  HIRES, Hairer & Wanner, Solving ODEs II; IVP test set (Mazzia & Magherini).
#include "models/reference_problems.hpp"

#include <cctype>
#include <cmath>
#include <stdexcept>
#include <string>

namespace onset::models {

namespace {
constexpr double kInfusedB2 = 1e13;

// Column-major element (i, j) of an n x n matrix.
inline double& at(std::span<double> m, int n, int i, int j) {
  return m[static_cast<size_t>(i + n * j)];
}
}  // namespace

// ------------------------------------------------------------------------------------ B1
namespace {
const pk::StateInfo kB1States[] = {{"A1", "mg"}, {"A2", "mg"}};
const pk::ParameterInfo kB1Params[] = {
    {"CL", "L/h", 5.0}, {"V1", "L", 10.0}, {"Q", "L/h", 2.0}, {"V2", "L", 40.0}};
const pk::ObservableInfo kB1Observables[] = {{"C", "mg/L"}};
}  // namespace

std::span<const pk::StateInfo> TwoCompartmentB1::states() const { return kB1States; }
std::span<const pk::ParameterInfo> TwoCompartmentB1::parameters() const { return kB1Params; }
std::span<const pk::ObservableInfo> TwoCompartmentB1::observables() const { return kB1Observables; }

void TwoCompartmentB1::rhs(double, std::span<const double> y, std::span<const double> p,
                           std::span<double> ydot) const {
  const double cl = p[0], v1 = p[1], q = p[2], v2 = p[3];
  ydot[0] = -(cl + q) / v1 * y[0] + q / v2 * y[1];
  ydot[1] = q / v1 * y[0] - q / v2 * y[1];
}

void TwoCompartmentB1::jacobian(double, std::span<const double>, std::span<const double> p,
                                std::span<double> jac) const {
  linear_system(p, jac, {});
}

void TwoCompartmentB1::observe(double, std::span<const double> y, std::span<const double> p,
                               std::span<double> out) const {
  out[0] = y[0] / p[1];
}

bool TwoCompartmentB1::linear_system(std::span<const double> p, std::span<double> a,
                                     std::span<double> b) const {
  const double cl = p[0], v1 = p[1], q = p[2], v2 = p[3];
  at(a, 2, 0, 0) = -(cl + q) / v1;
  at(a, 2, 0, 1) = q / v2;
  at(a, 2, 1, 0) = q / v1;
  at(a, 2, 1, 1) = -q / v2;
  for (double& value : b) value = 0;
  return true;
}

pk::Regimen b1_regimen() {
  pk::Regimen regimen;
  for (int k = 0; k < 7; ++k) regimen.doses.push_back({24.0 * k, 0, 1000.0, 1.0});
  return regimen;
}

double b1_exact_concentration(double t_h) {
  // Macro-constants of the two-compartment model: C(t) after a unit-rate infusion of
  // duration T is sum_i A_i/lambda_i (1 - e^{-lambda_i t}) for t <= T and
  // sum_i A_i/lambda_i (e^{lambda_i T} - 1) e^{-lambda_i t} after it, with
  // A_i = (k21 - lambda_i) / (V1 (lambda_j - lambda_i)) (Gibaldi and Perrier).
  const double cl = 5, v1 = 10, q = 2, v2 = 40;
  const double k10 = cl / v1, k12 = q / v1, k21 = q / v2;
  const double sum = k10 + k12 + k21, root = std::sqrt(sum * sum - 4 * k10 * k21);
  const double alpha = (sum + root) / 2, beta = (sum - root) / 2;
  const double coef_a = (alpha - k21) / (v1 * (alpha - beta));
  const double coef_b = (k21 - beta) / (v1 * (alpha - beta));
  const double rate = 1000.0, duration = 1.0;
  double c = 0;
  for (int k = 0; k < 7; ++k) {
    const double s = t_h - 24.0 * k;
    if (s <= 0) continue;
    for (const auto& [coef, lambda] : {std::pair{coef_a, alpha}, std::pair{coef_b, beta}}) {
      if (s <= duration)
        c += rate * coef / lambda * (-std::expm1(-lambda * s));
      else
        c += rate * coef / lambda * std::expm1(lambda * duration) * std::exp(-lambda * s);
    }
  }
  return c;
}

// ------------------------------------------------------------------------------------ B2
namespace {
const pk::StateInfo kB2States[] = {{"P", "particles"},  {"E", "particles"},  {"Dl", "particles"},
                                   {"Xe", "particles"}, {"Ds", "particles"}, {"Do", "particles"},
                                   {"M", "copies"},     {"T", "1"},          {"R", "1"},
                                   {"X1", "1"},         {"X2", "1"},         {"X3", "1"},
                                   {"F", "1"}};
const pk::ParameterInfo kB2Params[] = {{"Vp", "L", 3.0},
                                       {"Vmax", "particles/h", 2.0e13},
                                       {"Km", "particles/L", 1.0e12},
                                       {"kS", "1/h", 0.8},
                                       {"kO", "1/h", 0.4},
                                       {"klys", "1/h", 0.7},
                                       {"kesc", "1/h", 0.014},
                                       {"nmir", "copies/particle", 50},
                                       {"kmdeg", "1/h", 0.03},
                                       {"Nkc", "cells", 3.5e10},
                                       {"kt", "1/h", 0.077},
                                       {"Smax", "1", 4},
                                       {"SC50", "copies/cell", 0.05},
                                       {"kp", "1/h", 0.015},
                                       {"ktr", "1/h", 0.1},
                                       {"kf", "1/h", 0.001},
                                       {"Ef", "1", 10}};
const pk::ObservableInfo kB2Observables[] = {{"Cp", "particles/L"},
                                             {"copies_per_cell", "copies/cell"},
                                             {"T", "1"},
                                             {"R", "1"},
                                             {"F", "1"},
                                             {"total_particles", "particles"}};

struct B2Params {
  double vp, vmax, km, ks, ko, klys, kesc, nmir, kmdeg, nkc, kt, smax, sc50, kp, ktr, kf, ef;
  explicit B2Params(std::span<const double> p)
      : vp(p[0]),
        vmax(p[1]),
        km(p[2]),
        ks(p[3]),
        ko(p[4]),
        klys(p[5]),
        kesc(p[6]),
        nmir(p[7]),
        kmdeg(p[8]),
        nkc(p[9]),
        kt(p[10]),
        smax(p[11]),
        sc50(p[12]),
        kp(p[13]),
        ktr(p[14]),
        kf(p[15]),
        ef(p[16]) {}
};
}  // namespace

std::span<const pk::StateInfo> EvCascadeB2::states() const { return kB2States; }
std::span<const pk::ParameterInfo> EvCascadeB2::parameters() const { return kB2Params; }
std::span<const pk::ObservableInfo> EvCascadeB2::observables() const { return kB2Observables; }

void EvCascadeB2::initial_state(std::span<const double>, std::span<double> y0) const {
  for (double& v : y0) v = 0;
  y0[kT] = y0[kR] = y0[kF] = 1;
}

void EvCascadeB2::rhs(double, std::span<const double> y, std::span<const double> p,
                      std::span<double> d) const {
  const B2Params k(p);
  const double cp = y[kP] / k.vp, v = k.vmax * cp / (k.km + cp), m = y[kM] / k.nkc;
  d[kP] = -v - (k.ks + k.ko) * y[kP];
  d[kE] = v - (k.klys + k.kesc) * y[kE];
  d[kDl] = k.klys * y[kE];
  d[kXe] = k.kesc * y[kE];
  d[kDs] = k.ks * y[kP];
  d[kDo] = k.ko * y[kP];
  d[kM] = k.nmir * k.kesc * y[kE] - k.kmdeg * y[kM];
  d[kT] = k.kt - k.kt * (1 + k.smax * m / (k.sc50 + m)) * y[kT];
  d[kR] = k.kp * (y[kT] - y[kR]);
  d[kX1] = k.ktr * ((1 - y[kR]) - y[kX1]);
  d[kX2] = k.ktr * (y[kX1] - y[kX2]);
  d[kX3] = k.ktr * (y[kX2] - y[kX3]);
  d[kF] = k.kf - k.kf * (1 + k.ef * y[kX3]) * y[kF];
}

void EvCascadeB2::jacobian(double, std::span<const double> y, std::span<const double> p,
                           std::span<double> jac) const {
  const B2Params k(p);
  constexpr int n = 13;
  const double cp = y[kP] / k.vp, m = y[kM] / k.nkc;
  const double dv = k.vmax * k.km / ((k.km + cp) * (k.km + cp)) / k.vp;
  at(jac, n, kP, kP) = -dv - k.ks - k.ko;
  at(jac, n, kE, kP) = dv;
  at(jac, n, kDs, kP) = k.ks;
  at(jac, n, kDo, kP) = k.ko;
  at(jac, n, kE, kE) = -(k.klys + k.kesc);
  at(jac, n, kDl, kE) = k.klys;
  at(jac, n, kXe, kE) = k.kesc;
  at(jac, n, kM, kE) = k.nmir * k.kesc;
  at(jac, n, kM, kM) = -k.kmdeg;
  at(jac, n, kT, kM) = -k.kt * y[kT] * k.smax * k.sc50 / ((k.sc50 + m) * (k.sc50 + m)) / k.nkc;
  at(jac, n, kT, kT) = -k.kt * (1 + k.smax * m / (k.sc50 + m));
  at(jac, n, kR, kT) = k.kp;
  at(jac, n, kR, kR) = -k.kp;
  at(jac, n, kX1, kR) = -k.ktr;
  at(jac, n, kX1, kX1) = -k.ktr;
  at(jac, n, kX2, kX1) = k.ktr;
  at(jac, n, kX2, kX2) = -k.ktr;
  at(jac, n, kX3, kX2) = k.ktr;
  at(jac, n, kX3, kX3) = -k.ktr;
  at(jac, n, kF, kX3) = -k.kf * k.ef * y[kF];
  at(jac, n, kF, kF) = -k.kf * (1 + k.ef * y[kX3]);
}

void EvCascadeB2::observe(double, std::span<const double> y, std::span<const double> p,
                          std::span<double> out) const {
  out[0] = y[kP] / p[0];
  out[1] = y[kM] / p[9];
  out[2] = y[kT];
  out[3] = y[kR];
  out[4] = y[kF];
  out[5] = y[kP] + y[kE] + y[kDl] + y[kXe] + y[kDs] + y[kDo];
}

pk::Regimen b2_regimen() {
  pk::Regimen regimen;
  regimen.doses.push_back({0.0, EvCascadeB2::kP, kInfusedB2, 1.0});
  return regimen;
}

std::vector<double> b2_atol(double factor) {
  std::vector<double> atol(13);
  for (int i = 0; i < 13; ++i)
    atol[static_cast<size_t>(i)] = 1e-6 * (i < 6 ? 1e13 : i == 6 ? 1e12 : 1.0) * factor;
  return atol;
}

// ------------------------------------------------------------------------------------ B3
namespace {
const pk::StateInfo kB3States[] = {{"y1", "1"}, {"y2", "1"}, {"y3", "1"}, {"y4", "1"},
                                   {"y5", "1"}, {"y6", "1"}, {"y7", "1"}, {"y8", "1"}};
const pk::ObservableInfo kB3Observables[] = {{"y1", "1"}, {"y8", "1"}};
}  // namespace

std::span<const pk::StateInfo> HiresB3::states() const { return kB3States; }
std::span<const pk::ParameterInfo> HiresB3::parameters() const { return {}; }
std::span<const pk::ObservableInfo> HiresB3::observables() const { return kB3Observables; }

void HiresB3::initial_state(std::span<const double>, std::span<double> y0) const {
  for (double& v : y0) v = 0;
  y0[0] = 1;
  y0[7] = 0.0057;
}

void HiresB3::rhs(double, std::span<const double> x, std::span<const double>,
                  std::span<double> d) const {
  const double r = 280.0 * x[5] * x[7];
  d[0] = -1.71 * x[0] + 0.43 * x[1] + 8.32 * x[2] + 0.0007;
  d[1] = 1.71 * x[0] - 8.75 * x[1];
  d[2] = -10.03 * x[2] + 0.43 * x[3] + 0.035 * x[4];
  d[3] = 8.32 * x[1] + 1.71 * x[2] - 1.12 * x[3];
  d[4] = -1.745 * x[4] + 0.43 * x[5] + 0.43 * x[6];
  d[5] = -r + 0.69 * x[3] + 1.71 * x[4] - 0.43 * x[5] + 0.69 * x[6];
  d[6] = r - 1.81 * x[6];
  d[7] = -d[6];
}

void HiresB3::jacobian(double, std::span<const double> x, std::span<const double>,
                       std::span<double> jac) const {
  constexpr int n = 8;
  at(jac, n, 0, 0) = -1.71;
  at(jac, n, 0, 1) = 0.43;
  at(jac, n, 0, 2) = 8.32;
  at(jac, n, 1, 0) = 1.71;
  at(jac, n, 1, 1) = -8.75;
  at(jac, n, 2, 2) = -10.03;
  at(jac, n, 2, 3) = 0.43;
  at(jac, n, 2, 4) = 0.035;
  at(jac, n, 3, 1) = 8.32;
  at(jac, n, 3, 2) = 1.71;
  at(jac, n, 3, 3) = -1.12;
  at(jac, n, 4, 4) = -1.745;
  at(jac, n, 4, 5) = 0.43;
  at(jac, n, 4, 6) = 0.43;
  at(jac, n, 5, 3) = 0.69;
  at(jac, n, 5, 4) = 1.71;
  at(jac, n, 5, 5) = -0.43 - 280.0 * x[7];
  at(jac, n, 5, 6) = 0.69;
  at(jac, n, 5, 7) = -280.0 * x[5];
  at(jac, n, 6, 5) = 280.0 * x[7];
  at(jac, n, 6, 6) = -1.81;
  at(jac, n, 6, 7) = 280.0 * x[5];
  at(jac, n, 7, 5) = -280.0 * x[7];
  at(jac, n, 7, 6) = 1.81;
  at(jac, n, 7, 7) = -280.0 * x[5];
}

void HiresB3::observe(double, std::span<const double> y, std::span<const double>,
                      std::span<double> out) const {
  out[0] = y[0];
  out[1] = y[7];
}

// ---------------------------------------------------------------------------- the cases
ReferenceCase make_reference_case(std::string_view name) {
  std::string upper(name);
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  ReferenceCase reference;
  if (upper == "B1") {
    reference.model = std::make_unique<TwoCompartmentB1>();
    reference.regimen = b1_regimen();
    reference.request.output_times_h = pk::output_grid(0, 168, 0.5);
    reference.options.rtol = 1e-8;
    reference.options.atol = 1e-10;
  } else if (upper == "B2") {
    reference.model = std::make_unique<EvCascadeB2>();
    reference.regimen = b2_regimen();
    reference.request.output_times_h = pk::output_grid(0, 672, 0.5);
    reference.request.crossings.push_back({4, 0.9, pk::Direction::kFalling});
    reference.options.rtol = 1e-8;
    reference.options.atol_per_state = b2_atol();
  } else if (upper == "B3") {
    reference.model = std::make_unique<HiresB3>();
    reference.request.output_times_h = {0.0, kHiresEnd};
    reference.options.rtol = 1e-8;
    reference.options.atol = 1e-10;
  } else {
    throw std::invalid_argument("unknown reference problem '" + std::string(name) +
                                "': expected B1, B2 or B3");
  }
  return reference;
}

}  // namespace onset::models
