// Exact propagation of linear systems and their sensitivities in eigen-coordinates
// (pk/linear_propagation.hpp) against the matrix exponential of the augmented generator
// [[M, 0], [dM_j, M]] (Van Loan 1978, IEEE Trans Automat Control 23:395: its lower-left block is
// the Frechet derivative), computed by Eigen's Pade approximant: relative 1e-10. Complex
// eigenvalues (a rotation-like system), an input switched on and off (the decomposition
// changes), and a defective system (absorption rate equal to elimination rate) that set()
// refuses so that callers fall back to the exponentials.
#include "pk/linear_propagation.hpp"

#include <gtest/gtest.h>

#include <unsupported/Eigen/MatrixFunctions>
#include <vector>

namespace onset::pk {
namespace {

// Reference: state and sensitivities after `dt` by the exponential of the augmented generator.
void reference_advance(const Eigen::MatrixXd& a, const Eigen::VectorXd& c,
                       const std::vector<Eigen::MatrixXd>& da,
                       const std::vector<Eigen::VectorXd>& db, double dt, Eigen::VectorXd* y,
                       Eigen::MatrixXd* s) {
  const Eigen::Index n = a.rows(), m = n + 1, ns = static_cast<Eigen::Index>(da.size());
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(m * (ns + 1), m * (ns + 1));
  for (Eigen::Index k = 0; k <= ns; ++k) {
    g.block(k * m, k * m, n, n) = a;
    g.block(k * m, k * m + n, n, 1) = k == 0 ? c : Eigen::VectorXd::Zero(n);
  }
  for (Eigen::Index j = 0; j < ns; ++j) {
    g.block((j + 1) * m, 0, n, n) = da[static_cast<size_t>(j)];
    g.block((j + 1) * m, n, n, 1) = db[static_cast<size_t>(j)];
  }
  Eigen::VectorXd w = Eigen::VectorXd::Zero(m * (ns + 1));
  w.head(n) = *y;
  w(n) = 1;
  for (Eigen::Index j = 0; j < ns; ++j) w.segment((j + 1) * m, n) = s->col(j);
  w = (g * dt).exp() * w;
  *y = w.head(n);
  for (Eigen::Index j = 0; j < ns; ++j) s->col(j) = w.segment((j + 1) * m, n);
}

void expect_close(const Eigen::MatrixXd& value, const Eigen::MatrixXd& reference) {
  const double scale = std::max(1.0, reference.cwiseAbs().maxCoeff());
  EXPECT_LT((value - reference).cwiseAbs().maxCoeff() / scale, 1e-10) << value << "\n---\n"
                                                                      << reference;
}

// One compartment with first-order absorption: y = (depot, central), p = (KA, CL, V).
struct OralModel {
  double ka, cl, v;
  Eigen::MatrixXd a() const {
    Eigen::MatrixXd m(2, 2);
    m << -ka, 0, ka, -cl / v;
    return m;
  }
  std::vector<Eigen::MatrixXd> da() const {
    Eigen::MatrixXd dka(2, 2), dcl(2, 2), dv(2, 2);
    dka << -1, 0, 1, 0;
    dcl << 0, 0, 0, -1 / v;
    dv << 0, 0, 0, cl / (v * v);
    return {dka, dcl, dv};
  }
};

TEST(LinearPropagation, OralModelWithAnInfusionMatchesTheAugmentedExponential) {
  const OralModel model{1.5, 2.8, 32};
  const std::vector<Eigen::VectorXd> db(3, Eigen::VectorXd::Zero(2));
  LinearSensitivityPropagator propagator;
  Eigen::VectorXd y(2), y_ref(2), c = Eigen::VectorXd::Zero(2);
  y << 320, 0;
  Eigen::MatrixXd s = Eigen::MatrixXd::Zero(2, 3), s_ref = s;
  y_ref = y;
  ASSERT_TRUE(propagator.set(model.a(), c, model.da(), db, false));
  propagator.start(y, s);
  // Bolus at 0, outputs at 0.5 and 2 h, an infusion into central from 2 to 5 h, outputs after.
  const std::vector<std::pair<double, double>> steps = {{0.5, 0}, {1.5, 0}, {3, 40}, {7, -40}};
  for (const auto& [dt, rate_change] : steps) {
    propagator.advance(dt);
    reference_advance(model.a(), c, model.da(), db, dt, &y_ref, &s_ref);
    propagator.read(&y, &s);
    expect_close(y, y_ref);
    expect_close(s, s_ref);
    if (rate_change != 0) {
      c(1) += rate_change;
      ASSERT_TRUE(propagator.set(model.a(), c, model.da(), db, true));
    }
  }
  propagator.add(0, 100);  // a second dose
  y_ref(0) += 100;
  propagator.advance(4);
  reference_advance(model.a(), c, model.da(), db, 4, &y_ref, &s_ref);
  propagator.read(&y, &s);
  expect_close(y, y_ref);
  expect_close(s, s_ref);
}

TEST(LinearPropagation, ComplexEigenvaluesMatchTheAugmentedExponential) {
  // A damped oscillator x'' + 0.4 x' + 4 x = u, p = (damping, stiffness).
  Eigen::MatrixXd a(2, 2), d_damping(2, 2), d_stiffness(2, 2);
  a << 0, 1, -4, -0.4;
  d_damping << 0, 0, 0, -1;
  d_stiffness << 0, 0, -1, 0;
  const std::vector<Eigen::MatrixXd> da = {d_damping, d_stiffness};
  const std::vector<Eigen::VectorXd> db(2, Eigen::VectorXd::Zero(2));
  Eigen::VectorXd c(2), y(2);
  c << 0, 1;
  y << 1, 0;
  Eigen::MatrixXd s = Eigen::MatrixXd::Zero(2, 2);
  Eigen::VectorXd y_ref = y;
  Eigen::MatrixXd s_ref = s;
  LinearSensitivityPropagator propagator;
  ASSERT_TRUE(propagator.set(a, c, da, db, false));
  propagator.start(y, s);
  for (double dt : {0.3, 1.7, 5.0}) {
    propagator.advance(dt);
    reference_advance(a, c, da, db, dt, &y_ref, &s_ref);
    propagator.read(&y, &s);
    expect_close(y, y_ref);
    expect_close(s, s_ref);
  }
}

TEST(LinearPropagation, DefectiveSystemIsRefused) {
  // KA = CL/V: the absorption and elimination eigenvalues coincide (a Jordan block).
  const OralModel model{0.1, 3.2, 32};
  LinearSensitivityPropagator propagator;
  EXPECT_FALSE(propagator.set(model.a(), Eigen::VectorXd::Zero(2), model.da(),
                              std::vector<Eigen::VectorXd>(3, Eigen::VectorXd::Zero(2)), false));
}

}  // namespace
}  // namespace onset::pk
