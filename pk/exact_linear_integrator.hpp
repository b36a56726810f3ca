// The spectral propagator of the exact linear backend (pk/exact_linear_integrator.cpp), exposed
// for its tests.
//
// For dy/dt = A y + c (c constant) and A = V diag(lambda) V^-1 with real lambda:
//   y(t0 + dt) = V (e^{lambda dt} o z0 + dt phi1(lambda dt) o w),  z0 = V^-1 y0,  w = V^-1 c,
// phi1(x) = (e^x - 1) / x (1 at x = 0, so a singular A, a sink compartment, is fine), computed
// as expm1(lambda dt) / lambda. One eigendecomposition per parameter set; then any step length
// costs O(n^2) (two matrix-vector products and n exponentials), where the Pade path pays an
// exponential of the 2n x 2n augmented matrix, O((2n)^3), per distinct step length.
// This is "Method 14" of Moler and Van Loan, "Nineteen dubious ways to compute the exponential
// of a matrix, twenty-five years later", SIAM Review 45 (2003) 3-49, the method NONMEM's
// ADVAN5/ADVAN7 (general linear models) use through eigenvalues.
//
// Accuracy. Moler and Van Loan: the error of Method 14 is governed by cond(V). Concretely, the
// computed V and lambda satisfy A V = V diag(lambda) + R with a residual R computed here, so the
// propagator is the exact one of A - F, F = R V^-1 (||F||_1 <= ||R||_1 ||V^-1||_1); the relative
// perturbation of exp(A dt) by F is about ||F dt|| (Van Loan, SIAM J. Numer. Anal. 14 (1977)
// 971-981, for normal A), and the changes of basis V^-1 and V add about n u cond_1(V) (a
// backward-stable solve and product, Higham, Accuracy and Stability, 2nd ed., sections 3.5 and
// 9.4). The bound used is
//   error_bound(dt) = u cond_1(V) (n + ||A||_1 dt) + ||R||_1 ||V^-1||_1 dt,
// at least the scaling-and-squaring bound u ||A dt||_1 (cond_1(V) >= 1), so whatever the
// spectral path takes the Pade path would also have taken. Measured
// (tests/pk/exact_linear_spectral_test.cpp, 160 steps of random compartmental systems of 2-12
// states, against a long-double exponential): the error stays below 0.53 times the bound. set() refuses complex eigenvalues
// (a rotation in the system: the Pade path solves it) and a decomposition that failed or is not
// finite; a near-defective A (e.g. an absorption rate equal to the elimination rate) has a huge
// cond(V), so its bound exceeds any rtol and the Pade path takes those steps.
#pragma once

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>
#include <span>

namespace onset::pk {

class LinearSpectrum {
 public:
  // out = M x, M column-major n x n (a kernel unrolled for n up to 16).
  using Multiply = void (*)(const double* m, const double* x, double* out, Eigen::Index n);

  // Decomposes A (n x n); false (and unusable) when an eigenvalue is complex or the
  // decomposition is not finite.
  bool set(const Eigen::MatrixXd& a);
  bool usable() const { return usable_; }
  // The bound on the relative error of a step of dt hours (top of the file).
  double error_bound(double dt) const;
  double condition() const { return condition_; }
  // Sets the constant input c (w = V^-1 c).
  void set_input(const Eigen::VectorXd& c);
  // y1 = y(t0 + dt) from y0 = y(t0), dt >= 0. y1 must not alias y0.
  void propagate(double dt, const double* y0, double* y1);
  // The same in modes z = V^-1 y: z = V^-1 y, y = V z (z and y distinct), and
  // z1 = e^{lambda dt} o z0 + int_0^dt e^{lambda s} ds o w (z1 may be z0).
  void to_modes(const double* y, double* z) const;
  void from_modes(const double* z, double* y) const;
  // from_modes() of the listed entries of y only (each the same sum in the same order).
  void from_modes_rows(const double* z, double* y, std::span<const int> rows) const;
  void advance_modes(double dt, const double* z0, double* z1);
  // advance_modes() by a step length set once (the factors of dt computed here), for a scan.
  void set_step(double dt);
  void step_modes(const double* z0, double* z1) const {
    for (Eigen::Index k = 0; k < n_; ++k) z1[k] = growth_[k] * z0[k] + integral_[k] * w_[k];
  }

 private:
  Eigen::Index n_ = 0;
  bool usable_ = false;
  Multiply multiply_ = nullptr;
  Eigen::EigenSolver<Eigen::MatrixXd> solver_;
  Eigen::PartialPivLU<Eigen::MatrixXd> lu_;
  Eigen::VectorXd lambda_, w_, z_;
  Eigen::VectorXd growth_, integral_;  // e^{lambda dt} and int_0^dt e^{lambda s} ds
  double factors_dt_ = 0;              // the dt of growth_ and integral_ (NaN: none)
  Eigen::MatrixXd v_, v_inverse_, residual_;
  double condition_ = 0, norm1_ = 0, perturbation_ = 0;
};

}  // namespace onset::pk
